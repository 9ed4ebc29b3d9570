"""An answer file decoded by msgspec, a block of lines at a time, into the columns the fold needs:
the quick way to fold a file that has no saved fold.

Each block is decoded by one call (``Decoder.decode_lines``) into small typed structs that check,
while parsing, what :func:`tagline.schemas.records.decode_record` checks of an event; what depends
on the task and op (a stance names its target, a set answer its label or spans, only a retraction
may have no value) is checked on the columns. The structs are stricter than the typed reader where
that keeps them simple (a value or span with a field the event does not declare, an empty target
of another task, a blank line): such a file, and any file msgspec refuses, is left to Arrow's
reader (:func:`tagline.annotate.columns._fold_arrow`), which leaves what it refuses to the line by
line reader that names a bad line. The columns, and so the fold, are those Arrow's reader makes
of the same file, code for code.

What is done for each event or span in Python is the least the columns need: the blocks are read
into buffers the structs point into, without copying them, and the spans' text, most of a file's
bytes, is kept as the JSON it is in the file (``msgspec.Raw``) and made one Arrow string array a
block at a time from those bytes (:func:`_texts`), which checks what decoding each text would."""

from __future__ import annotations

import gc
from functools import lru_cache
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Raw, Struct, UnsetType

from tagline.corpus.sentence_table import int32_values
from tagline.schemas import TASKS
from tagline.schemas.records import MAX_OFFSET, NonEmpty, Op, Task

if TYPE_CHECKING:
    from tagline.annotate.columns import Names
    from tagline.corpus.workspace import Workspace

BLOCK_BYTES = 1 << 20
"""Lines decoded at once: a block's structs (some 5,000 events) are dropped once it is columns. Small
blocks keep the structs in the processor's caches and the memory they take reused rather than
mapped anew: a fold of a million sentences' file (712 MB) took 8.5-8.9 s of CPU in blocks of 512 KB
to 2 MB, against 10.2 s in blocks of 16 MB (and 9.2 s in blocks of 256 KB)."""

_TASK = {name: code for code, name in enumerate(TASKS)}
STANCE, CLAIM, ENTITIES = _TASK["stance"], _TASK["claim_type"], _TASK["entities"]


_START = Annotated[int, Meta(ge=0, le=MAX_OFFSET)]  # the columns hold a span's offsets as int32
_END = Annotated[int, Meta(ge=1, le=MAX_OFFSET)]


# gc=False: decoded JSON holds no cycles, and millions of tracked objects make the collector run
# over and over while a file is decoded (most of the decoding time).
class _Span(Struct, forbid_unknown_fields=True, gc=False):
    start: _START
    end: _END
    label: NonEmpty
    text: Raw  # a non-empty string, checked with the block's other texts by _texts


class _Value(Struct, forbid_unknown_fields=True, gc=False):
    # None where absent (or null: a stance without its target, an answer without its label or spans,
    # is refused on the columns; where the typed reader does not look, a null is not read).
    target: NonEmpty | None = None
    label: NonEmpty | None = None
    spans: list[_Span] | None = None


class _Suggestion(Struct, gc=False):
    source: NonEmpty
    accepted: Literal["as_is", "changed"]
    score: Annotated[float, Meta(ge=0, le=1)] | UnsetType = UNSET


class _Event(Struct, gc=False):
    sentence_id: NonEmpty
    annotator: NonEmpty
    time: NonEmpty
    task: Task
    op: Op
    value: _Value | None
    source: str | UnsetType = UNSET
    suggestion: _Suggestion | UnsetType = UNSET
    meta: dict[str, Any] | UnsetType = UNSET


_DECODER = msgspec.json.Decoder(_Event)
_TEXT = msgspec.json.Decoder(NonEmpty)
_NO_VALUE = _Value()
_SET = {"set": True, "retract": False}
_ACCEPTED = {"as_is": 0, "changed": 1}  # places in columns.ACCEPTED

Expected = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
"""The names a workspace's answers are expected to hold: its stance targets, the labels of its label
tasks and those of its entities (:func:`expected_names`)."""


def expected_names(workspace: Workspace) -> Expected:
    """The targets and labels the configuration of ``workspace`` names, for :func:`expecting`."""
    config = workspace.config

    def names(given: Any) -> tuple[str, ...]:
        return tuple(sorted({name for name in given if isinstance(name, str) and name}))

    return (names(config.targets),
            names(label for task in config.tasks if task != "entities" for label in config.labels(task)),
            names(config.labels("entities") if "entities" in config.tasks else ()))


@lru_cache(maxsize=8)
def expecting(expected: Expected, annotator: str) -> msgspec.json.Decoder:
    """A decoder of the events of ``annotator`` whose targets and labels are those ``expected``, as
    ``Literal`` types: msgspec then gives each the one string object of the type instead of making
    a string of every answer's (and coding them is a lookup of a string whose hash is known), a
    quarter of the time of a block's columns. A block holding another name, which the typed reader
    accepts as well, is decoded again by the structs above (:func:`_block_columns`); the columns
    are the same."""
    def either(names: tuple[str, ...]) -> Any:
        return Literal[names] if names else NonEmpty

    targets, labels, span_labels = expected
    span = msgspec.defstruct("_Span", [("start", _START), ("end", _END),
                                       ("label", either(span_labels)), ("text", Raw)],
                             forbid_unknown_fields=True, gc=False)
    value = msgspec.defstruct("_Value", [("target", either(targets) | None, None),
                                         ("label", either(labels) | None, None),
                                         ("spans", list[span] | None, None)],  # type: ignore[valid-type]
                              forbid_unknown_fields=True, gc=False)
    kinds = {"value": value | None, "annotator": Literal[annotator] if annotator else NonEmpty}
    fields = [(field.name, kinds.get(field.name, field.type)) if field.required else
              (field.name, field.type, field.default) for field in msgspec.structs.fields(_Event)]
    return msgspec.json.Decoder(msgspec.defstruct("_Event", fields, gc=False))


def decoded_parts(path: Any, names: Names, expected: Expected | None = None,
                  start: int = 0) -> list[dict[str, Any]] | None:
    """The columns of every block of answer file ``path``, as
    :func:`tagline.annotate.columns._compact` makes them of the blocks Arrow reads; None when a
    line is not one these structs accept (the file is then left to Arrow). With ``expected`` (the
    workspace's names, :func:`expected_names`), blocks are decoded by :func:`expecting`'s decoder
    (the annotator expected the one the file is named after) until one holds another name; that
    block and those after it by the structs above. With ``start``, the lines from that byte on
    (the start of a line) are decoded."""
    from pathlib import Path

    enabled = gc.isenabled()
    gc.disable()  # the blocks' objects are freed by reference counting; see the structs above
    decoders = [expecting(expected, Path(path).stem), _DECODER] if expected else [_DECODER]
    try:
        parts = []
        for block in _blocks(path, start):
            part = _block_columns(block, names, decoders[0])
            while part is None and len(decoders) > 1:
                decoders.pop(0)
                part = _block_columns(block, names, decoders[0])
            if part is None:
                return None
            parts.append(part)
        return parts
    finally:
        if enabled:
            gc.enable()


def _blocks(path: Any, start: int = 0) -> Any:
    """The file's bytes a block of whole lines at a time (the last one as it ends), read into one
    buffer (the structs decoded from a block point into it) without copying them again. A block is
    read over by the next one: the caller is done with it (its structs freed) before asking for the
    next, which saves allocating, clearing and faulting in a megabyte per block."""
    tail = b""
    buffer = bytearray(BLOCK_BYTES)
    with open(path, "rb", buffering=0) as handle:
        handle.seek(start)
        while True:
            if 2 * len(tail) > len(buffer):  # a line longer than half the buffer: room to read past it
                buffer = bytearray(len(tail) + BLOCK_BYTES)
            buffer[:len(tail)] = tail
            size = len(tail)
            while size < len(buffer) and (got := handle.readinto(memoryview(buffer)[size:])):
                size += got
            if size == len(tail):
                break
            cut = buffer.rfind(b"\n", 0, size) + 1
            if cut:
                yield memoryview(buffer)[:cut]
            tail = bytes(buffer[cut:size])
            if size < len(buffer):
                break
    if tail:
        yield memoryview(tail)


def _block_columns(block: memoryview, names: Names, decoder: msgspec.json.Decoder = _DECODER) -> dict[str, Any] | None:
    try:
        events = decoder.decode_lines(block)
    except (msgspec.DecodeError, RecursionError):
        return None
    import numpy as np

    newlines = int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == ord("\n")))  # 5 times bytes.count's speed
    if len(events) != newlines + (block.nbytes > 0 and block[-1] != ord("\n")):
        return None  # a blank line, which msgspec skips: left to the readers that judge it
    try:
        return _columns(events, names)
    except OverflowError:  # an offset past int64, which Arrow refuses too
        return None


def _numbers(items: Any, count: int, dtype: Any = None) -> Any:
    import numpy as np

    return np.fromiter(items, dtype=dtype or np.int64, count=count)


def _columns(events: list[_Event], names: Names) -> dict[str, Any] | None:
    """The block's columns. Each field is taken from every struct at once by ``map`` (no Python
    code runs per event): most of the time left after decoding."""
    import numpy as np
    import pyarrow.compute as pc

    n = len(events)
    task = _numbers(map(_TASK.__getitem__, map(attrgetter("task"), events)), n, np.int8)
    is_set = _numbers(map(_SET.__getitem__, map(attrgetter("op"), events)), n, bool)
    values = list(map(attrgetter("value"), events))
    null = np.zeros(n, dtype=bool)
    if values.count(None):
        null = _numbers((value is None for value in values), n, bool)
        values = [_NO_VALUE if value is None else value for value in values]
    # The codes are given in the order Arrow's reader gives them: targets, labels, span labels, sources.
    target = names.codes_of(list(map(attrgetter("target"), values)))
    label = names.codes_of(list(map(attrgetter("label"), values)))
    entities = task == ENTITIES
    rows = np.flatnonzero(entities)
    lists = list(map(attrgetter("spans"), map(values.__getitem__, rows.tolist())))
    no_spans = np.zeros(n, dtype=bool)
    if lists.count(None):
        no_spans[rows] = _numbers((spans is None for spans in lists), len(lists), bool)
        lists = [spans or () for spans in lists]
    # What the typed reader checks per task and op: only a retraction of a claim type or of the
    # entities may have no value; a stance names its target; a set answer has its label or spans.
    if (null & (is_set | (task == STANCE))).any() or ((task == STANCE) & (target < 0)).any() or \
            (is_set & ~entities & (label < 0)).any() or (is_set & no_spans).any():
        return None
    count = np.zeros(n, dtype=np.int32)
    count[rows] = _numbers(map(len, lists), len(lists))
    flat = list(chain.from_iterable(lists))
    texts = _texts(list(map(attrgetter("text"), flat)))
    if texts is None:
        return None
    small = np.int32  # a million sentences' answers held in half the memory of int64
    start = _numbers(map(attrgetter("start"), flat), len(flat)).astype(small)
    end = _numbers(map(attrgetter("end"), flat), len(flat)).astype(small)
    span_label = names.codes_of(list(map(attrgetter("label"), flat)))
    accepted, source = _suggestions(events, names)
    encoded = pc.dictionary_encode(_ids(list(map(attrgetter("sentence_id"), events))))
    return {"span_text": texts, "sentence_ids": encoded.dictionary,
            "sentence": int32_values(encoded.indices), "task": task,
            "target": np.where(task == STANCE, target, -1).astype(small),
            "label": np.where(entities, -1, label).astype(small), "set": is_set, "count": count,
            "span_start": start, "span_end": end, "span_label": span_label.astype(small),
            "accepted": accepted.astype(np.int8), "source": source.astype(small)}


def _texts(raws: list[Raw]) -> Any:
    """The spans' texts, each the JSON of a string as it is in the file, as an Arrow string array;
    None where one is not a non-empty string, as the structs would refuse it. Without an escape, a
    text's bytes between its quotes are the string's UTF-8 (checked by Arrow), taken all at once."""
    import numpy as np
    import pyarrow as pa

    joined = b"".join(raws)
    if b"\\" in joined:  # an escape: each text is decoded as the structs decode a string
        try:
            return _strings([_TEXT.decode(raw) for raw in raws])
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
    lengths = np.fromiter(map(len, raws), dtype=np.int64, count=len(raws))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    data = np.frombuffer(joined, dtype=np.uint8)
    # The JSON of anything else than a non-empty string (a number, an object, null, "") is refused.
    if len(raws) and ((lengths < 3).any() or (data[starts] != ord('"')).any()) or len(data) >= 1 << 31:
        return None
    quoted = np.ones(len(data), dtype=bool)
    quoted[starts] = quoted[ends - 1] = False
    offsets = np.zeros(len(raws) + 1, dtype=np.int32)
    np.cumsum(lengths - 2, out=offsets[1:])
    try:
        texts = pa.StringArray.from_buffers(len(raws), pa.py_buffer(offsets), pa.py_buffer(data[quoted]))
        texts.validate(full=True)  # UTF-8, as msgspec checks a string
    except pa.ArrowInvalid:
        return None
    return texts


def _ids(ids: list[str]) -> Any:
    """The sentence ids as an Arrow string array: of ASCII ids, from their joined bytes (``pa.array``
    would make pyarrow import pandas in each fold worker)."""
    import numpy as np
    import pyarrow as pa

    joined = "".join(ids)
    if not joined.isascii() or len(joined) >= 1 << 31:
        return _strings(ids)
    offsets = np.zeros(len(ids) + 1, dtype=np.int32)
    np.cumsum(np.fromiter(map(len, ids), dtype=np.int32, count=len(ids)), out=offsets[1:])
    return pa.StringArray.from_buffers(len(ids), pa.py_buffer(offsets), pa.py_buffer(joined.encode("ascii")))


def _strings(strings: Any) -> Any:
    """An Arrow string array of ``strings`` (None a null)."""
    import pyarrow as pa

    return pa.array(list(strings), pa.string())


def _suggestions(events: list[_Event], names: Names) -> tuple[Any, Any]:
    import numpy as np

    suggestions = list(map(attrgetter("suggestion"), events))
    if suggestions.count(UNSET) == len(suggestions):
        none = np.full(len(suggestions), -1, dtype=np.int64)
        return none, none
    accepted = _numbers((_ACCEPTED[given.accepted] if given is not UNSET else -1 for given in suggestions),
                        len(suggestions))
    return accepted, names.codes_of([given.source if given is not UNSET else None for given in suggestions])
