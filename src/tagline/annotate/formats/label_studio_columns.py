"""A plain Label Studio task array (see :mod:`.label_studio_bulk`) read as columns: each block's
tasks decoded by msgspec in one call and flattened straight into the texts, keys, sources and meta
of the tasks, the annotator of each annotation and the offsets, labels and texts of each span, with
no record, answer or span object made; what :func:`.label_studio_bulk.plain_records` gives as
records, column by column. A file that is not plain raises :class:`.label_studio_bulk.NotPlain`, as
:func:`~.label_studio_bulk.plain_records` does."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from operator import attrgetter, contains, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, cast

import msgspec

from tagline.annotate.formats.common import ReadOptions
from tagline.annotate.formats.label_studio import ANNOTATOR_KEY, TASKS_KEY, _who
from tagline.annotate.formats.label_studio_bulk import (
    _BETWEEN,
    _DECODE_ANY,
    _WHITESPACE,
    NotPlain,
    Part,
    _arrays,
    _Lines,
    _Task,
)

if TYPE_CHECKING:
    import numpy as np

_DECODE_TASKS = msgspec.json.Decoder(list[_Task]).decode


@dataclass
class TaskColumns:
    """Tasks as columns: per task, per annotation (an answer) and per span, in the file's order."""

    texts: list[str]
    keys: list[str]  # the task's id, else its number in the file
    wheres: list[str]  # the task's ``file:line``
    metas: list[dict[str, Any] | None]  # the data's other strings and numbers (None: none)
    answer_tasks: np.ndarray  # each annotation's task (an index into the texts)
    annotators: list[str | None]  # each annotation's annotator id, as the task reader gives it
    span_answers: np.ndarray  # each span's annotation
    starts: np.ndarray
    ends: np.ndarray
    labels: list[str]
    span_texts: list[str | None]  # the text a span says it covers, if it says
    # Read with the lines left for later (``wheres`` empty): where in the file each task begins, then
    # where the last ends (see FileLines).
    offsets: np.ndarray | None = None
    # Read as a part of the file (see plain_columns): the tasks whose key is their number, counted from
    # the part's first task (the reader of a part does not know how many tasks come before it).
    numbered: list[int] | None = None
    # Read as a part (``wheres`` empty): each task's line counted from the part's first line (1), then the
    # newlines the part holds in all.
    part_lines: np.ndarray | None = None

    @classmethod
    def joined(cls, parts: list[TaskColumns]) -> TaskColumns:
        """The columns of ``parts``, one after another."""
        import numpy as np

        if len(parts) == 1:
            return parts[0]
        tasks = np.cumsum([0] + [len(part.texts) for part in parts[:-1]])
        answers = np.cumsum([0] + [len(part.annotators) for part in parts[:-1]])
        chained = itertools.chain.from_iterable
        return cls(
            list(chained(part.texts for part in parts)), list(chained(part.keys for part in parts)),
            list(chained(part.wheres for part in parts)), list(chained(part.metas for part in parts)),
            np.concatenate([part.answer_tasks + first for part, first in zip(parts, tasks)]),
            list(chained(part.annotators for part in parts)),
            np.concatenate([part.span_answers + first for part, first in zip(parts, answers)]),
            np.concatenate([part.starts for part in parts]), np.concatenate([part.ends for part in parts]),
            list(chained(part.labels for part in parts)), list(chained(part.span_texts for part in parts)),
            _joined_offsets([part.offsets for part in parts]),
            None if all(part.numbered is None for part in parts) else
            [int(first) + task for part, first in zip(parts, tasks) for task in part.numbered or ()],
            None if parts[0].part_lines is None else np.concatenate([part.part_lines for part in parts]))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled (handed back by a worker process) with each column of strings as one string: a
        column of a million short strings is pickled and unpickled several times faster so."""
        return _unpickled, tuple(_joined(value) if type(value) is list and name not in _SHARED else value
                                 for name, value in zip(_FIELDS, map(getattr, itertools.repeat(self), _FIELDS)))

    def answer_where(self, answer: int) -> str:
        """Where annotation ``answer`` is, as the task reader says it."""
        import numpy as np

        task = int(self.answer_tasks[answer])
        return f"{self.wheres[task]} annotation {int(np.sum(self.answer_tasks[:answer] == task)) + 1}"


def _joined_offsets(offsets: list[np.ndarray | None]) -> np.ndarray | None:
    """The offsets of parts (see :attr:`TaskColumns.offsets`) one after another: each part's tasks,
    then where the last part's last ends."""
    import numpy as np

    if offsets[0] is None:
        return None
    parts = cast(list[np.ndarray], offsets)
    return np.concatenate([part[:-1] for part in parts] + [parts[-1][-1:]])


_FIELDS = tuple(field.name for field in fields(TaskColumns))
# Columns of a few strings, each held once (see _shared): pickled as they are, each string once and the
# rest as references to it, and unpickled so (the checks then hash each string once).
_SHARED = frozenset(("annotators", "labels"))
_PIECE = 1 << 20  # bytes counted at a time (see _marks_before)
_SEPARATOR = "\x00"  # in no text of a plain import (a column whose strings hold one is pickled as it is)


class _Joined(NamedTuple):
    """A column of strings as one string, the strings apart by :data:`_SEPARATOR`."""

    text: str


def _joined(column: list[Any]) -> _Joined | list[Any]:
    """``column`` as one string, when it holds strings only, none with the separator; else as it is."""
    try:
        text = _SEPARATOR.join(column)
    except TypeError:  # (a None, a dict)
        return column
    return _Joined(text) if column and text.count(_SEPARATOR) == len(column) - 1 else column


def _unpickled(*values: Any) -> TaskColumns:
    columns: list[Any] = [value.text.split(_SEPARATOR) if type(value) is _Joined else value for value in values]
    return TaskColumns(*columns)


def plain_columns(path: Path, options: ReadOptions, *, lines_later: bool = False, part: Part | None = None,
                  lines: _Lines | None = None) -> Iterator[TaskColumns]:
    """The tasks of a plain task array as columns, a block of the file at a time; :class:`NotPlain`,
    raised as soon as it is found (at the latest once the file is read), when the file is not plain.
    With ``lines_later``, each task's line is not counted: the columns say where their tasks are in
    the file instead, for :class:`FileLines` (in another process). With ``part``, the tasks of that
    part of the file only, their lines counted from the part's first (see
    :attr:`TaskColumns.part_lines`; ``lines.line``, once all are read, the line of the part's end),
    a task keyed by its number keyed by its number in the part (see :attr:`TaskColumns.numbered`);
    whether any holds a span is left to the caller to see."""
    lines = lines or _Lines(str(path))
    number = 0
    labelled = part is not None
    try:
        for array, raws, line in _arrays(path, lines, part):
            columns = _columns(array, raws, line, lines, number, options, lines_later, part is not None)
            number += len(columns.texts)
            labelled = labelled or len(columns.labels) > 0
            yield columns
    except (msgspec.DecodeError, RecursionError, OSError, OverflowError):
        raise NotPlain from None
    if not labelled:
        raise NotPlain  # without a span anywhere, the general reader gives annotations no span answer


def _starts(array: bytes, raws: list[msgspec.Raw]) -> np.ndarray:
    """Where each task (whose view is in ``raws``) begins in ``array``. msgspec has checked
    the array, so only white space and one comma lie between two tasks: when every two are apart by
    the same bytes (as in a file written by one program), found without a step per task."""
    import numpy as np

    count = len(raws)
    lengths = np.fromiter(map(len, raws), dtype=np.int64, count=count)
    if count > 1:
        between = _BETWEEN.match(array, 1 + int(lengths[0]))
        assert between is not None
        separator = array[1 + int(lengths[0]):between.end()]
        starts = 1 + np.concatenate(([0], np.cumsum(lengths[:-1] + len(separator))))
        view = np.frombuffer(array, dtype=np.uint8)
        # A start at another place would be in white space or a comma, or a separator would not be all there.
        if int(starts[-1] + lengths[-1]) <= len(array) and bool(np.all(view[starts] == 123)) and \
                all(bool(np.all(view[starts[1:] - len(separator) + offset] == byte))
                    for offset, byte in enumerate(separator)):
            return starts
        found = [1]
        for length in lengths[:-1].tolist():
            between = _BETWEEN.match(array, found[-1] + length)
            assert between is not None
            found.append(between.end())
        return np.array(found, dtype=np.int64)
    return np.ones(count, dtype=np.int64)


def _positions(array: bytes, raws: list[msgspec.Raw], line: int, lines: _Lines) -> list[str]:
    """Each task's ``file:line`` (the first on ``line``); :class:`NotPlain` when a task may nest
    deeper than the general reader accepts."""
    numbers = _task_lines(array, raws, line, lines)
    return _wheres(numbers, lines) if len(numbers) else []


def _task_lines(array: bytes, raws: list[msgspec.Raw], line: int, lines: _Lines) -> np.ndarray:
    """Each task's line (the first on ``line``); :class:`NotPlain` as :func:`_positions` says."""
    import numpy as np

    starts = _starts(array, raws)
    if not len(starts):
        return np.zeros(0, dtype=np.int64)
    spans = _spans(array, starts, lambda task: raws[task])
    steps = np.zeros(len(starts), dtype=np.int64)
    steps[1:] = spans[:-1]
    lines.counted = int(spans.sum())  # (the array's first task on to its end: the block need not be counted again)
    return line + np.cumsum(steps)


def _spans(data: bytes, starts: np.ndarray, task: Callable[[int], Any]) -> np.ndarray:
    """The lines of each task and the gap after it, the tasks beginning at ``starts`` in ``data`` (the
    last going to its end); :class:`NotPlain` when a task (``task(number)`` its bytes) may nest deeper
    than the general reader accepts."""
    import numpy as np

    # What lies between two tasks' starts counted over the bytes in NumPy: two passes, no step per task.
    view = np.frombuffer(data, dtype=np.uint8)
    # (The masks summed as bytes into 32 bits: twice as fast as booleans into 64.)
    _not_deep(np.add.reduceat(((view | 32) == 123).view(np.uint8), starts, dtype=np.uint32), task)  # "[" and "{"
    return np.add.reduceat((view == 10).view(np.uint8), starts, dtype=np.uint32).astype(np.int64)


def _not_deep(brackets: np.ndarray, task: Callable[[int], Any]) -> None:
    """:class:`NotPlain` when a task with more than :data:`MAX_JSON_DEPTH` opening brackets
    (``brackets``: each task's) nests that deep (``task(number)``: its bytes)."""
    import numpy as np

    from tagline.corpus.readers import MAX_JSON_DEPTH, json_nesting_problem

    for deep in np.flatnonzero(brackets > MAX_JSON_DEPTH).tolist():
        if json_nesting_problem(_DECODE_ANY(task(deep))):
            raise NotPlain


def _marks_before(data: bytes, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How many ``[`` or ``{``, and how many newlines, ``data`` holds before each of ``starts`` (in
    order, none at 0) and in all (the last of each). Counted a piece of a megabyte at a time, so that
    no array as large as ``data`` is made and each piece is counted while in the processor's cache."""
    import numpy as np

    view = np.frombuffer(data, dtype=np.uint8)
    firsts = np.searchsorted(starts, np.arange(0, len(data), _PIECE)).tolist() + [len(starts)]
    counts = (np.empty(len(starts) + 1, dtype=np.int64), np.empty(len(starts) + 1, dtype=np.int64))
    before = [0, 0]
    for piece, (first, last) in enumerate(itertools.pairwise(firsts)):
        part = view[piece * _PIECE:(piece + 1) * _PIECE]
        # Segments of the piece: up to its first start, then from each start on.
        cuts = np.concatenate(([0], starts[first:last] - piece * _PIECE))
        for kind, mask in enumerate((((part | 32) == 123).view(np.uint8), (part == 10).view(np.uint8))):
            sums = np.add.reduceat(mask, cuts, dtype=np.uint32).astype(np.int64)
            if len(cuts) > 1 and cuts[1] == 0:
                sums[0] = 0  # (a start at the piece's first byte: nothing before it)
            totals = before[kind] + np.cumsum(sums)
            counts[kind][first:last] = totals[:-1]
            before[kind] = int(totals[-1])
    counts[0][-1], counts[1][-1] = before
    return counts


def _wheres(numbers: np.ndarray, lines: _Lines) -> list[str]:
    """The ``file:line`` of tasks on lines ``numbers``, after those ``lines`` has seen."""
    import numpy as np

    # A task on the line of the one before it is told apart by its number in the file, as the task reader does.
    shared = np.empty(len(numbers), dtype=bool)
    shared[0], shared[1:] = numbers[0] == lines.previous, numbers[1:] == numbers[:-1]
    path, first = lines.path, lines.ordinal + 1
    lines.ordinal += len(numbers)
    lines.previous = int(numbers[-1])
    return [f"{path}:{number} (record {ordinal})" if same else f"{path}:{number}"
            for ordinal, number, same in zip(itertools.count(first), numbers.tolist(), shared.tolist())]


class FileLines:
    """Each task's ``file:line`` in columns read with ``lines_later`` (see :func:`plain_columns`),
    counted in the file from where the columns say their tasks are, the columns in the file's order:
    so that a process other than the reader's counts them (an import whose tasks are read in a worker
    process counts them while the worker reads on). The same ``file:line`` as the reader gives, and
    the same :class:`NotPlain` for a task that may nest deeper than the general reader accepts."""

    def __init__(self, path: Path, handle: BinaryIO) -> None:
        self._handle = handle  # the file, open
        self._lines = _Lines(str(path))
        self._at = 0  # how far the file is counted
        self._line = 1  # the line there

    def place(self, columns: TaskColumns) -> None:
        """``columns.wheres`` made from ``columns.offsets``; :class:`NotPlain` (see the class)."""
        import numpy as np

        offsets = columns.offsets
        assert offsets is not None and len(offsets) > len(columns.texts) > 0
        self._handle.seek(self._at)
        data = self._handle.read(int(offsets[-1]) - self._at)
        if len(data) != int(offsets[-1]) - self._at:
            raise NotPlain  # (the file cut short since it was read: the general reader says what it holds)
        starts = offsets[:-1] - self._at
        brackets, newlines = _marks_before(data, starts)

        def task(number: int) -> bytes:  # (the bytes of a task that may nest deep: the gap after it left out)
            found = data[int(starts[number]):int(starts[number + 1]) if number + 1 < len(starts) else len(data)]
            return found.rstrip(_WHITESPACE).removesuffix(b",")

        _not_deep(np.diff(brackets), task)
        columns.wheres = _wheres(self._line + newlines[:-1], self._lines)
        columns.offsets = None
        self._at, self._line = int(offsets[-1]), self._line + int(newlines[-1])


def _columns(array: bytes, raws: list[msgspec.Raw], line: int, lines: _Lines, before: int,
             options: ReadOptions, lines_later: bool = False, in_part: bool = False) -> TaskColumns:
    """The tasks of ``array`` (see :func:`_decoded <.label_studio_bulk._decoded>`) as columns, the
    first the file's task ``before + 1``; :class:`NotPlain` unless each is plain, as
    :func:`_record <.label_studio_bulk._record>` finds it. With ``lines_later``, where the tasks are
    in the file in place of their lines."""
    import numpy as np

    offsets = part_lines = None
    wheres: list[str] = []
    if in_part:
        part_lines = _task_lines(array, raws, line, lines)
    elif lines_later:
        starts = _starts(array, raws)
        offsets = np.append(starts, starts[-1] + len(raws[-1]) if len(raws) else 1) - 1 + lines.offset
        lines.counted = 0  # (not counted: the block need not be either)
    else:
        wheres = _positions(array, raws, line, lines)
    tasks = _DECODE_TASKS(array)
    count = len(tasks)
    if list(map(attrgetter("completions"), tasks)).count(msgspec.UNSET) != count or \
            any(map(attrgetter("predictions"), tasks)):
        raise NotPlain
    field = options.text_field or "text"
    datas = list(map(attrgetter("data"), tasks))
    texts: list[Any] = list(map(dict.get, datas, itertools.repeat(field)))
    if not set(map(type, texts)) <= {str} or not all(map(str.strip, texts)) or \
            any(any(map(contains, datas, itertools.repeat(key))) for key in ("sentence_id", ANNOTATOR_KEY, TASKS_KEY)):
        raise NotPlain
    metas: list[dict[str, Any] | None] = [None] * count if max(map(len, datas), default=1) == 1 else \
        [None if len(data) == 1 else {key: value for key, value in data.items()
                                          if key != field and isinstance(value, (str, int, float))} or None
         for data in datas]
    ids = list(map(attrgetter("id"), tasks))
    numbered = None
    if set(map(type, ids)) <= {int}:
        keys = list(map(str, ids))
    else:
        keys = [str(raw_id) if raw_id not in (None, "") else str(number)
                for number, raw_id in enumerate(ids, before + 1)]
        numbered = [task for task, raw_id in enumerate(ids) if raw_id in (None, "")] or None
    per_task = [task.annotations or () for task in tasks]
    annotations = list(itertools.chain.from_iterable(per_task))
    if any(map(attrgetter("was_cancelled"), annotations)) or \
            list(map(attrgetter("tagline_tasks"), annotations)).count(msgspec.UNSET) != len(annotations):
        raise NotPlain
    answer_tasks = np.repeat(np.arange(count), np.fromiter(map(len, per_task), dtype=np.int64, count=count))
    per_answer = [annotation.result or () for annotation in annotations]
    results = list(itertools.chain.from_iterable(per_answer))  # (each of type ``labels``: see _Result)
    values = list(map(attrgetter("value"), results))
    span_answers = np.repeat(np.arange(len(annotations)),
                             np.fromiter(map(len, per_answer), dtype=np.int64, count=len(annotations)))
    starts = np.fromiter(map(attrgetter("start"), values), dtype=np.int64, count=len(values))
    ends = np.fromiter(map(attrgetter("end"), values), dtype=np.int64, count=len(values))
    span_texts = list(map(attrgetter("text"), values))
    label_lists = list(map(attrgetter("labels"), values))
    widths = np.fromiter(map(len, label_lists), dtype=np.int64, count=len(values))
    if len(widths) and int(widths.min()) == 0:
        raise NotPlain
    if len(widths) and int(widths.max()) == 1:  # the usual result: one label
        labels = list(map(itemgetter(0), label_lists))
    else:  # a span per label, in order
        labels = list(itertools.chain.from_iterable(label_lists))
        span_answers, starts, ends = np.repeat(span_answers, widths), np.repeat(starts, widths), np.repeat(ends, widths)
        span_texts = [text for text, width in zip(span_texts, widths.tolist()) for _ in range(width)]
    annotators = _annotator_ids(list(map(attrgetter("completed_by"), annotations)))
    return TaskColumns(texts, keys, wheres, metas, answer_tasks, _shared(annotators), span_answers, starts, ends,
                       _shared(labels), span_texts, offsets, numbered, part_lines)


def _annotator_ids(whos: list[Any]) -> list[str | None]:
    """Each annotation's annotator id, as the task reader gives it, from its ``completed_by``."""
    if set(map(type, whos)) == {dict}:  # Label Studio's usual annotator: by email, a column at a time
        emails = list(map(dict.get, whos, itertools.repeat("email")))
        if set(map(type, emails)) == {str} and all(emails):
            return emails
    return [who["email"] if type(who) is dict and type(who.get("email")) is str and who["email"] else _who(who)
            for who in whos]


def _shared(column: list[Any]) -> list[Any]:
    """``column`` with equal strings made one object (msgspec makes a string per value): a label or
    an annotator's id is hashed once by the checks that follow, and pickled once."""
    held: dict[Any, Any] = {}
    return list(map(held.setdefault, column, column))
