"""Where one annotator's current answers are in its file: for each sentence and question, the byte
offset of the event that counts (the last one; none once retracted). A session on a large corpus
opens from this instead of reading every answer into Python, and reads a sentence's answers (a
few lines) when it shows the sentence.

The fold is derived data, saved in ``build/index/answers-<annotator>.npz`` with how much of the file
it covers (bytes and lines), the file's inode, size and times when it was saved, and a digest of
every byte it covers (xxHash's XXH3, read a megabyte at a time: 0.03 s for the 176 MB of a million
answers in the page cache), so that a line an editor changed in place is seen even when answers
were appended after it. Annotation files only grow, so the next session folds only what was
appended since; a saved fold that does not match the file (another inode, a shorter file, other
bytes in what it covers, the same size but other times, arrays that do not agree) is removed, and
the file is folded from its first line. Each answer read through it is checked: the line at the
offset must be an event of that sentence and question (:class:`StaleAnswers` if not, and the saved
fold is removed, so that the session started again folds the file as it is).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import msgspec

from tagline.annotate.events import slot
from tagline.errors import DataError, StorageError
from tagline.schemas.records import Op, Task

if TYPE_CHECKING:
    import numpy as np

    from tagline.corpus.byte_columns import AppendedLines
    from tagline.corpus.workspace import Workspace

Slot = tuple[str, str | None]
FORMAT_VERSION = 3  # 3: the digest covers every byte the fold covers, not the last 512
# Lines read beyond the saved fold before opening a session saves the fold again.
SAVE_AFTER = 2000
# Beyond this many bytes to fold, the lines are read in Arrow (what a question needs of each event,
# its envelope checked); each answer's whole record is checked when it is read.
FAST_AFTER = 1 << 20
UNTOUCHED = -2  # in a fold of appended lines: no line answered or retracted this question


class StaleAnswers(Exception):
    """The line at an offset the fold gives is not the answer it should be."""


@dataclass
class AnswerIndex:
    """``offsets[row, column]``: where the answer to question ``slots[column]`` of sentence
    ``ids[row]`` (ids sorted, UTF-8 bytes) starts in ``path``, -1 when there is none."""

    path: Path
    slots: list[Slot]
    ids: np.ndarray
    offsets: np.ndarray
    covered: int = 0  # bytes of the file folded (whole lines)
    lines: int = 0
    store: Path | None = None  # where the fold is saved, if it is

    def forget_saved(self) -> None:
        """Remove the saved fold, found not to be the file's: the next fold reads the file from its start."""
        if self.store is not None:
            with contextlib.suppress(OSError):
                self.store.unlink(missing_ok=True)

    def row(self, sentence_id: str) -> int | None:
        import numpy as np

        wanted = np.bytes_(sentence_id.encode("utf-8"))
        row = int(np.searchsorted(self.ids, wanted))
        return row if row < len(self.ids) and self.ids[row] == wanted else None

    def complete(self, required: list[Slot]) -> np.ndarray:
        """The ids (sorted) that have an answer to every one of ``required``."""
        import numpy as np

        if any(wanted not in self.slots for wanted in required):
            return self.ids[:0]
        columns = [self.slots.index(wanted) for wanted in required]
        return self.ids[np.all(self.offsets[:, columns] >= 0, axis=1)]

    def values(self, sentence_id: str, handle: Any) -> dict[Slot, dict[str, Any]]:
        """The sentence's current answers, each read from its line in the open file ``handle``."""
        from tagline.schemas.records import decode_record

        row = self.row(sentence_id)
        found: dict[Slot, dict[str, Any]] = {}
        if row is None:
            return found
        for column, offset in enumerate(self.offsets[row].tolist()):
            if offset < 0:
                continue
            line = _line_at(handle.fileno(), offset)
            try:
                event = decode_record("event", line)
            except msgspec.DecodeError:
                event = None
            except ValueError as error:  # a line that is JSON but not an event
                raise DataError(f"not a valid annotation event: {error}", where=f"{self.path} (byte {offset})",
                                fix="fix or remove that line (`tagline validate` lists every problem)") from None
            if event is None or event["sentence_id"] != sentence_id or slot(event) != self.slots[column] or \
                    event["op"] != "set":
                raise StaleAnswers(f"{self.path}: byte {offset} is not {sentence_id}'s answer")
            found[self.slots[column]] = event["value"]
        return found


def answer_index(workspace: Workspace, annotator: str, *, saved: bool = True) -> AnswerIndex:
    """The fold of the annotator's file: the saved one (when it matches the file) brought up to date
    with what was appended since, saved again when that was more than :data:`SAVE_AFTER` lines.
    ``saved=False`` folds the whole file, ignoring what was saved."""
    import numpy as np

    from tagline.corpus.store import _torn, complete_size

    path = workspace.annotation_path(annotator)
    store = workspace.build_dir / "index" / f"answers-{annotator}.npz"
    empty = AnswerIndex(path, [], np.zeros(0, "S1"), np.zeros((0, 0), np.int64))
    try:
        inode = os.stat(path).st_ino  # the file folded: one archived meanwhile keeps its fold unsaved
    except FileNotFoundError:
        return empty
    base = (_load(store, path) if saved else None) or empty
    size, torn = complete_size(path)
    folded = _fold_arrow(path, base.covered, size, base.lines) if size - base.covered > FAST_AFTER else None
    if folded is None:
        folded = _fold_lines(path, base.covered, size, base.lines)
    tail, lines, end = folded
    if torn:
        _torn(path, lines + 1, None)  # the store reader's warning: a write cut short, skipped
    if not len(tail.ids):
        base.store = store
        return base
    index = _merged(base, tail, end, lines)
    index.store = store
    if lines - base.lines > SAVE_AFTER:
        _save(index, store, inode)
    return index


def keep_fold_current(workspace: Workspace, annotator: str) -> None:
    """After answers were appended to the annotator's file in bulk (an import): fold them into the
    saved fold now (read from the file as it is, from where the saved fold ends, and checked), so the
    annotator's next session opens without folding them."""
    answer_index(workspace, annotator)


def fold_appended(workspace: Workspace, annotator: str, appended: AppendedLines, answered: Slot) -> None:
    """After answers to question ``answered`` were appended to the annotator's file in bulk (an import,
    each line an event ``set`` on the sentence it is keyed by in ``appended``): the saved fold
    extended with them from memory, as :func:`keep_fold_current` would fold them from the file. What
    the file held before them is folded from the file, from where the saved fold ends. Taken only when
    the file is whole up to where the last line ends and the first and last of the lines are the
    answers it says; otherwise the file is folded as :func:`keep_fold_current` does."""
    import numpy as np

    from tagline.corpus.store import complete_size

    path = workspace.annotation_path(annotator)
    store = workspace.build_dir / "index" / f"answers-{annotator}.npz"
    ids = appended.ids()
    try:
        inode = os.stat(path).st_ino  # the file folded: one archived meanwhile keeps its fold unsaved
    except FileNotFoundError:
        return
    if not appended.whole or appended.first < 0 or not len(ids) or complete_size(path)[0] < appended.end:
        keep_fold_current(workspace, annotator)
        return
    empty = AnswerIndex(path, [], np.zeros(0, "S1"), np.zeros((0, 0), np.int64))
    saved = _load(store, path)
    base = saved if saved is not None and saved.covered <= appended.first else empty
    if base.covered < appended.first:
        before = _fold_arrow(path, base.covered, appended.first, base.lines) \
            if appended.first - base.covered > FAST_AFTER else None
        tail, lines, end = before or _fold_lines(path, base.covered, appended.first, base.lines)
        if end != appended.first:
            keep_fold_current(workspace, annotator)
            return
        base = _merged(base, tail, end, lines) if len(tail.ids) else base
    found, last_reversed = np.unique(ids[::-1], return_index=True)  # the last line of each sentence counts
    offsets = appended.starts()[len(ids) - 1 - last_reversed]
    tail = AnswerIndex(path, [answered], found, offsets[:, None])
    index = _merged(base, tail, appended.end, base.lines + len(ids))
    try:
        with open(path, "rb") as handle:
            for sentence_id in {ids[0], ids[-1]}:
                index.values(sentence_id.decode("utf-8"), handle)
    except StaleAnswers:
        keep_fold_current(workspace, annotator)
        return
    if index.lines - (saved.lines if saved is not None else 0) > SAVE_AFTER:
        _save(index, store, inode)


def _fold_lines(path: Path, start: int, size: int, lines: int) -> tuple[AnswerIndex, int, int]:
    """Fold the lines between ``start`` and ``size`` one by one with the store's reader (its checks
    and its errors): what :func:`_fold_arrow` gives."""
    import numpy as np

    from tagline.corpus.store import iter_placed_lines

    latest: dict[str, dict[Slot, int]] = {}
    end = start
    for line_number, at, event in iter_placed_lines(path, kind="event", start=start, first_line=lines + 1):
        if at >= size:
            break  # appended after this fold began: the next fold reads it
        latest.setdefault(event["sentence_id"], {})[slot(event)] = at if event["op"] == "set" else -1
        lines, end = line_number, at
    slots = list(dict.fromkeys(key for answers in latest.values() for key in answers))
    ids = np.array(sorted(sentence_id.encode("utf-8") for sentence_id in latest), dtype=bytes) if latest else \
        np.zeros(0, "S1")
    offsets = np.full((len(ids), len(slots)), UNTOUCHED, dtype=np.int64)
    column = {key: number for number, key in enumerate(slots)}
    for row, sentence_id in enumerate(ids.tolist()):
        for key, offset in latest[sentence_id.decode("utf-8")].items():
            offsets[row, column[key]] = offset
    return AnswerIndex(path, slots, ids, offsets), lines, _line_end(path, end) if latest else end


def _merged(base: AnswerIndex, tail: AnswerIndex, covered: int, lines: int) -> AnswerIndex:
    """``base`` with what was folded since (``tail``, whose ``UNTOUCHED`` questions keep their answer):
    rows inserted for sentences it did not have, in id order, so a short tail costs a copy of the
    arrays and no sort."""
    import numpy as np

    if not len(base.ids):
        return AnswerIndex(base.path, tail.slots, tail.ids, np.where(tail.offsets == UNTOUCHED, -1, tail.offsets),
                           covered, lines)
    slots = base.slots + [key for key in tail.slots if key not in base.slots]
    width = f"S{max(base.ids.dtype.itemsize, tail.ids.dtype.itemsize)}"
    ids, new_ids = base.ids.astype(width), tail.ids.astype(width)
    offsets = np.pad(base.offsets, ((0, 0), (0, len(slots) - len(base.slots))), constant_values=-1)
    rows = np.minimum(np.searchsorted(ids, new_ids), len(ids) - 1)
    missing = new_ids[ids[rows] != new_ids]
    if len(missing):
        at = np.searchsorted(ids, missing)
        ids = np.insert(ids, at, missing)
        offsets = np.insert(offsets, at, -1, axis=0)
    rows = np.searchsorted(ids, new_ids)
    for column, key in enumerate(tail.slots):
        given = tail.offsets[:, column] != UNTOUCHED
        offsets[rows[given], slots.index(key)] = tail.offsets[given, column]
    return AnswerIndex(base.path, slots, ids, offsets, covered, lines)


def _fold_arrow(path: Path, start: int, size: int, lines: int) -> tuple[AnswerIndex, int, int] | None:
    """Fold the whole lines between ``start`` and ``size`` in Arrow, vectorised: ``(tail, lines, end)``,
    where ``tail.offsets`` is ``UNTOUCHED`` for a question no line answered; or None when a line is
    not an event (or is blank), which the store's reader then reports by its line number. Each
    event's envelope is checked here, its value when it is read.

    The columns are compared as dictionary codes in NumPy views of their Arrow buffers, never
    through a Python value converted to Arrow or ``to_numpy`` (either makes pyarrow import pandas,
    half the time of an import of ten thousand answers)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.json as pa_json

    from tagline.corpus.byte_columns import newline_offsets

    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read(size - start)
    newlines = newline_offsets(data)
    if not len(newlines):
        return None
    line_starts = np.concatenate(([0], newlines[:-1] + 1)) + start
    fields = [(name, pa.string()) for name in ("sentence_id", "annotator", "time", "task", "op")]
    schema = pa.schema([*fields, ("value", pa.struct([("target", pa.string())]))])
    try:
        table = pa_json.read_json(pa.py_buffer(data), parse_options=pa_json.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="ignore")).combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if table.num_rows != len(line_starts) or not all(_filled(table[name].chunk(0)) for name, _ in fields):
        return None
    op_codes, op_values = _encoded(table["op"].chunk(0))
    ops = op_values.to_pylist()
    keys = _slot_keys(table) if set(ops) <= set(get_args(Op)) else None
    if keys is None:
        return None
    slot_codes, slots = keys
    sentence_codes, sentence_ids = _encoded(table["sentence_id"].chunk(0))
    width = len(slots)
    combined = sentence_codes.astype(np.int64) * width + slot_codes
    found, last_reversed = np.unique(combined[::-1], return_index=True)
    last = len(combined) - 1 - last_reversed  # the last line of each sentence and question
    sets = op_codes == (ops.index("set") if "set" in ops else -1)
    ids = _strings(sentence_ids)
    order = np.argsort(ids, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    offsets = np.full((len(ids), width), UNTOUCHED, dtype=np.int64)
    offsets[rank[found // width], found % width] = np.where(sets[last], line_starts[last], -1)
    return AnswerIndex(path, slots, ids[order], offsets), lines + len(line_starts), start + int(newlines[-1]) + 1


def _slot_keys(table: Any) -> tuple[np.ndarray, list[Slot]] | None:
    """Each event's question as a column number into the questions (in the order they first appear),
    with those questions; None when a task is not one there is, or a stance event names no target."""
    import numpy as np
    import pyarrow.compute as pc

    task_codes, task_values = _encoded(table["task"].chunk(0))
    tasks = task_values.to_pylist()
    if not set(tasks) <= set(get_args(Task)):
        return None
    target_codes, target_values = _encoded(pc.struct_field(table["value"].chunk(0), "target"))
    targets = target_values.to_pylist()
    stance = task_codes == (tasks.index("stance") if "stance" in tasks else -1)
    named = np.array([bool(target) for target in targets] + [False], dtype=bool)
    if not bool(np.all(named[target_codes[stance]])):
        return None  # a stance event names its target
    no_target = len(targets)
    codes = task_codes.astype(np.int64) * (no_target + 1) + np.where(stance, target_codes, no_target)
    distinct, first = np.unique(codes, return_index=True)
    distinct = distinct[np.argsort(first, kind="stable")]
    column = np.zeros(int(distinct.max()) + 1, dtype=np.int64)
    column[distinct] = np.arange(len(distinct))
    slots = [(tasks[code // (no_target + 1)], None if code % (no_target + 1) == no_target else
              targets[code % (no_target + 1)]) for code in distinct.tolist()]
    return column[codes], slots


def _encoded(array: Any) -> tuple[np.ndarray, Any]:
    """A string array's dictionary codes (a NumPy view of the int32 indices; a null is a code of its
    own, whose value is None) and the values they stand for (an Arrow array)."""
    import numpy as np
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(array, null_encoding="encode")
    indices = encoded.indices
    codes = np.frombuffer(indices.buffers()[1], dtype=np.int32)[indices.offset:indices.offset + len(indices)]
    return codes, encoded.dictionary


def _filled(array: Any) -> bool:
    """Whether a string array has no null and no empty string (its offsets all increase)."""
    import numpy as np

    if array.null_count:
        return False
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32, count=len(array) + 1, offset=array.offset * 4)
    return bool(np.all(offsets[1:] > offsets[:-1]))


def _strings(array: Any) -> np.ndarray:
    """An Arrow string array without nulls as a NumPy ``S`` array of its UTF-8 bytes, gathered from its
    buffers (not a Python object per string)."""
    import numpy as np

    from tagline.corpus.byte_columns import fixed_width

    _, offsets_buffer, data = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32, count=len(array) + 1, offset=array.offset * 4) \
        .astype(np.int64)
    return fixed_width(np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8),
                       offsets[:-1], np.diff(offsets))


def _line_at(fd: int, offset: int) -> bytes:
    """The line that starts at ``offset`` (with its newline, when it has one)."""
    chunks, at = [], offset
    while True:
        chunk = os.pread(fd, 4096, at)
        newline = chunk.find(b"\n")
        if newline >= 0 or not chunk:
            chunks.append(chunk[:newline + 1] if newline >= 0 else chunk)
            return b"".join(chunks)
        chunks.append(chunk)
        at += len(chunk)


def _line_end(path: Path, start: int) -> int:
    with open(path, "rb") as handle:
        return start + len(_line_at(handle.fileno(), start))


def _digest(path: Path, covered: int) -> str:
    """XXH3 (128 bits) of the first ``covered`` bytes of the file, read a megabyte at a time into one
    buffer (a map of the file would count every page it touched in the session's memory)."""
    return digest_state(path, covered).hexdigest()


def digest_state(path: Path, end: int, state: Any = None, start: int = 0) -> Any:
    """An XXH3 (128 bits) hasher fed the file's bytes from ``start`` to ``end``, after what ``state``
    (a hasher, copied) was fed: a digest of the first bytes carried on over bytes appended since."""
    import xxhash

    digest = state.copy() if state is not None else xxhash.xxh3_128()
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    left = max(end - start, 0)
    with open(path, "rb", buffering=0) as handle:
        handle.seek(start)
        while left:
            read = handle.readinto(view[:min(left, len(buffer))])
            if not read:
                break  # shorter than said: the digest differs from the saved one
            digest.update(view[:read])
            left -= read
    return digest


def _load(store: Path, path: Path) -> AnswerIndex | None:
    """The saved fold, if it is one of this file as it still begins; None otherwise (and a saved fold
    that is not removed)."""
    import numpy as np

    try:
        with np.load(store, allow_pickle=False) as saved:
            meta = json.loads(bytes(saved["meta"]).decode("utf-8"))
            ids, offsets = saved["ids"], saved["offsets"]
        status = os.stat(path)
        slots = [(task, target) for task, target in meta["slots"]]
        # The same size at other times: written in place since (an editor's fix of a line), not appended to.
        rewritten = status.st_size == meta["size"] and [status.st_mtime_ns, status.st_ctime_ns] != meta["times"]
        if meta["version"] != FORMAT_VERSION or meta["inode"] != status.st_ino or rewritten or not \
                0 < meta["covered"] <= status.st_size or meta["digest"] != _digest(path, meta["covered"]) or \
                offsets.shape != (len(ids), len(slots)) or not bool(np.all(ids[1:] > ids[:-1])) or \
                (offsets.size and int(offsets.max()) >= meta["covered"]):
            raise ValueError("not this file's fold")
    except FileNotFoundError:
        return None  # none saved
    except (OSError, ValueError, KeyError, TypeError):
        with contextlib.suppress(OSError):  # not one this version reads, or another file's: never of use again
            store.unlink(missing_ok=True)
        return None
    return AnswerIndex(path, slots, ids, offsets.astype(np.int64), meta["covered"], meta["lines"])


def _save(index: AnswerIndex, store: Path, inode: int) -> None:
    """Save the fold of the file whose inode was ``inode`` when it was read, unless another file is
    at its path now (the fold then describes a file that is no longer there)."""
    import numpy as np

    from tagline.corpus.transaction import Transaction

    try:
        status = os.stat(index.path)
    except FileNotFoundError:
        return
    if status.st_ino != inode:
        return
    meta = {"version": FORMAT_VERSION, "inode": inode, "covered": index.covered,
            "size": status.st_size, "times": [status.st_mtime_ns, status.st_ctime_ns],
            "lines": index.lines, "digest": _digest(index.path, index.covered), "slots": index.slots}
    buffer = io.BytesIO()
    np.savez(buffer, ids=index.ids, offsets=index.offsets,
             meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        with Transaction() as transaction:  # a temporary file renamed into place
            transaction.write_text(store, buffer.getvalue())
    except (OSError, StorageError):
        pass  # a read-only workspace: folded again next time
