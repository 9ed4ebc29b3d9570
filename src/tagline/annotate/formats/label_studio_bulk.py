"""Label Studio's JSON export (a task array) read in bulk, when it is plain: the array's tasks found
by msgspec without decoding them (each a view of the file's bytes), then decoded one at a time
into typed records holding only the fields the reader uses, so that neither a dict per JSON object
nor the whole array's values are ever held; the same records, line numbers and all, as
:func:`tagline.annotate.formats.label_studio.read` gives.

A task is plain when it holds span results only (``labels``), by named annotators or not, with its
text in ``data``: a choice, another result type, a prediction, a cancelled annotation, tagline's
own keys, a file that is not UTF-8 JSON, ... make :func:`read_plain` return ``None``, and the
general reader reads the file and says what is wrong where."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

import msgspec

from tagline.annotate.formats.common import ForeignAnswer, ForeignRecord, ForeignSpan, ReadOptions, ReadResult
from tagline.annotate.formats.label_studio import ANNOTATOR_KEY, TASKS_KEY, _who

_BLOCK = 1 << 24  # bytes checked as UTF-8 at a time
_BETWEEN = re.compile(rb"[ \t\r\n]*,[ \t\r\n]*")  # what separates two values of an array
_WHITESPACE = re.compile(rb"[ \t\r\n]*")


class _Value(msgspec.Struct):
    start: int
    end: int
    labels: list[str]
    text: str | None = None


class _Result(msgspec.Struct):
    type: str
    value: _Value


class _Annotation(msgspec.Struct):
    result: list[_Result] | None = None
    completed_by: Any = None
    was_cancelled: Any = None
    ground_truth: Any = None
    tagline_tasks: Any = msgspec.UNSET


class _Task(msgspec.Struct):
    data: dict[str, Any]
    id: int | str | None = None
    annotations: list[_Annotation] | None = None
    completions: Any = msgspec.UNSET
    predictions: Any = None


_DECODE_TASK = msgspec.json.Decoder(_Task).decode
_DECODE_ANY = msgspec.json.Decoder().decode
_DECODE_ARRAY = msgspec.json.Decoder(list[msgspec.Raw]).decode


class _NotPlain(Exception):
    """The file is left to the general reader."""


def read_plain(path: Path, options: ReadOptions) -> ReadResult | None:
    """The records of a plain task array (see the module's docstring), or ``None``."""
    from tagline.corpus.readers import read_input

    data = read_input(path)
    try:
        _check_bytes(data)
        tasks = _DECODE_ARRAY(data)
        if not tasks:
            raise _NotPlain
        places = _places(data, tasks, str(path))
        records: list[ForeignRecord] = []
        has_labels = False
        for number, (raw, (where, start)) in enumerate(zip(tasks, places), 1):
            # One task's typed record at a time, dropped once it is made a record.
            record, labelled = _record(_decode(data, raw, start), where, number, options)
            records.append(record)
            has_labels = has_labels or labelled
    except (_NotPlain, msgspec.DecodeError, RecursionError):
        return None
    if not has_labels:
        return None  # without a span anywhere, the general reader gives annotations no span answer
    return ReadResult(records, [], encoding="utf-8")


def _check_bytes(data: bytes) -> None:
    """:class:`_NotPlain` unless ``data`` is UTF-8 without a byte order mark or NUL, and a JSON array."""
    if data[:3] == codecs.BOM_UTF8 or data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\x00" in data:
        raise _NotPlain
    if not data.startswith(b"[", _after_whitespace(data, 0)):
        raise _NotPlain
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), _BLOCK):
            decoder.decode(data[start:start + _BLOCK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _NotPlain from None


def _after_whitespace(data: bytes, position: int) -> int:
    match = _WHITESPACE.match(data, position)
    assert match is not None  # the pattern matches the empty string, so it matches at every position
    return match.end()


def _places(data: bytes, tasks: list[msgspec.Raw], path: str) -> list[tuple[str, int]]:
    """Each task's ``file:line`` (told apart by its number when tasks share a line, as the general
    reader does) and byte offset. msgspec has checked the array, so only white space and one comma
    lie between two tasks."""
    places = []
    position = data.index(b"[") + 1
    position = _after_whitespace(data, position)
    line, counted_to, previous_line = 1, 0, 0
    for ordinal, raw in enumerate(tasks, 1):
        line += data.count(b"\n", counted_to, position)
        counted_to = position
        places.append((f"{path}:{line}" if line != previous_line else f"{path}:{line} (record {ordinal})", position))
        previous_line = line
        between = _BETWEEN.match(data, position + len(raw))
        if between is not None:
            position = between.end()
    return places


def _decode(data: bytes, raw: msgspec.Raw, start: int) -> _Task:
    """A task as its typed record; :class:`_NotPlain` when it may nest deeper than the general reader accepts."""
    from tagline.corpus.readers import MAX_JSON_DEPTH, json_nesting_problem

    end = start + len(raw)
    if data.count(b"[", start, end) + data.count(b"{", start, end) > MAX_JSON_DEPTH and \
            json_nesting_problem(_DECODE_ANY(raw)):
        raise _NotPlain
    return _DECODE_TASK(raw)


def _record(task: _Task, where: str, number: int, options: ReadOptions) -> tuple[ForeignRecord, bool]:
    """The task as the general reader makes it, and whether it holds a span result."""
    data = task.data
    field = options.text_field or "text"
    text = data.get(field)
    if task.completions is not msgspec.UNSET or task.predictions or not isinstance(text, str) or \
            not text.strip() or "sentence_id" in data or ANNOTATOR_KEY in data or TASKS_KEY in data:
        raise _NotPlain
    answers = []
    labelled = False
    for index, annotation in enumerate(task.annotations or (), 1):
        if annotation.was_cancelled or annotation.tagline_tasks is not msgspec.UNSET:
            raise _NotPlain
        spans = []
        for result in annotation.result or ():
            value = result.value
            if result.type != "labels" or not value.labels:
                raise _NotPlain
            labelled = True
            spans += [ForeignSpan(value.start, value.end, label, value.text) for label in value.labels]
        answers.append(ForeignAnswer("spans", f"{where} annotation {index}", spans=spans,
                                     annotator=_who(annotation.completed_by), gold=bool(annotation.ground_truth)))
    raw_id = task.id
    return ForeignRecord(
        text=text, where=where, key=str(raw_id) if raw_id not in (None, "") else str(number), answers=answers,
        meta={key: value for key, value in data.items()
              if key != field and isinstance(value, (str, int, float))}), labelled
