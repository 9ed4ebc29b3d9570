"""Label Studio's JSON export (a task array) read in bulk, when it is plain: the file read a block
of some megabytes at a time, the whole tasks of each block found and checked by msgspec as an array
of views, then decoded one at a time into typed records holding only the fields the reader uses, so
that neither the file's bytes, nor a dict per JSON object, nor the whole array's values are ever
held; the same records, line numbers and all, as :func:`tagline.annotate.formats.label_studio.read`
gives. :func:`plain_records` gives them a block at a time, for an import that writes as it reads.

A task is plain when it holds span results only (``labels``), by named annotators or not, with its
text in ``data``: a choice, another result type, a prediction, a cancelled annotation, tagline's
own keys, a file that is not UTF-8 JSON, ... make :func:`read_plain` return ``None``, and the
general reader reads the file and says what is wrong where."""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import msgspec

from tagline.annotate.formats.common import ForeignAnswer, ForeignRecord, ForeignSpan, ReadOptions, ReadResult
from tagline.annotate.formats.label_studio import ANNOTATOR_KEY, TASKS_KEY, _who

# Bytes read at a time: a block's tasks are found, checked and decoded while what they are made of is
# in the processor's cache (twice as fast as blocks of some megabytes).
_BLOCK = 1 << 20
_OPENING = re.compile(rb"[ \t\r\n]*\[[ \t\r\n]*")  # what comes before the first task
_BETWEEN = re.compile(rb"[ \t\r\n]*,[ \t\r\n]*")  # what separates two values of an array
_WHITESPACE = b" \t\r\n"


# Not tracked by the cyclic collector (smaller, made faster): a decoded task holds no cycle.
class _Value(msgspec.Struct, gc=False):
    start: int
    end: int
    labels: list[str]
    text: str | None = None


class _Result(msgspec.Struct, gc=False):
    type: Literal["labels"]  # (another type is not plain: no string is made for the type of each span)
    value: _Value


class _Annotation(msgspec.Struct, gc=False):
    result: list[_Result] | None = None
    completed_by: Any = None
    was_cancelled: Any = None
    ground_truth: Any = None
    tagline_tasks: Any = msgspec.UNSET


class _Task(msgspec.Struct, gc=False):
    data: dict[str, Any]
    id: int | str | None = None
    annotations: list[_Annotation] | None = None
    completions: Any = msgspec.UNSET
    predictions: Any = None


_DECODE_TASK = msgspec.json.Decoder(_Task).decode
_DECODE_ANY = msgspec.json.Decoder().decode
_DECODE_ARRAY = msgspec.json.Decoder(list[msgspec.Raw]).decode


class NotPlain(Exception):
    """The file is left to the general reader."""


def read_plain(path: Path, options: ReadOptions) -> ReadResult | None:
    """The records of a plain task array (see the module's docstring), or ``None``."""
    try:
        records = [record for chunk in plain_records(path, options) for record in chunk]
    except NotPlain:
        return None
    return ReadResult(records, [], encoding="utf-8")


def plain_records(path: Path, options: ReadOptions) -> Iterator[list[ForeignRecord]]:
    """The records of a plain task array a block of the file at a time, the records of a block made
    one task at a time (each typed task dropped once it is a record); :class:`NotPlain`, raised as
    soon as it is found (at the latest once the file is read), when the file is not plain."""
    has_labels = False
    number = 0
    try:
        for tasks in _tasks(path):
            records = []
            for where, task in tasks:
                number += 1
                record, labelled = _record(task, where, number, options)
                records.append(record)
                has_labels = has_labels or labelled
            yield records
    except (msgspec.DecodeError, RecursionError, OSError):
        raise NotPlain from None
    if not has_labels:
        raise NotPlain  # without a span anywhere, the general reader gives annotations no span answer


@dataclass(frozen=True)
class Part:
    """A part of an indented task array, read alone (in a worker process, beside other parts): from
    ``start`` (0, else where a task begins: its ``{``, after a newline and ``indent``) to ``stop``
    (where the next part begins; None: the file's end). Its tasks are decoded as an array that ends
    at ``stop`` (the comma before it taken out), which fails unless both ends are between two tasks
    of the file's array (a newline is never inside a JSON string, and the bytes from a task's start
    to a place deeper in the array do not close as an array does): a wrong cut makes the file not
    plain, never a wrong task."""

    start: int
    stop: int | None
    indent: bytes


@dataclass
class _Lines:
    """Where the tasks found so far are: the line of the unread block's first byte, each task's
    ``file:line`` told apart by its number when tasks share a line (as the general reader does)."""

    path: str
    line: int = 1
    previous: int = 0  # the line of the last task
    ordinal: int = 0  # tasks so far
    counted: int | None = None  # the lines the last array's tasks span, when its reader counted them
    offset: int = 0  # where in the file the last array's second byte (its first task) is

    def where(self, line: int) -> str:
        self.ordinal += 1
        shown = f"{self.path}:{line}" if line != self.previous else f"{self.path}:{line} (record {self.ordinal})"
        self.previous = line
        return shown


def _tasks(path: Path) -> Iterator[list[tuple[str, _Task]]]:
    """The array's tasks with their ``file:line``, those of a block of the file at a time (see
    :func:`_arrays`), each decoded alone."""
    lines = _Lines(str(path))
    for array, raws, line in _arrays(path, lines):
        yield _decoded(array, raws, line, lines)


def _arrays(path: Path, lines: _Lines, part: Part | None = None) -> Iterator[tuple[bytes, list[msgspec.Raw], int]]:
    """The array's tasks a block of the file at a time: whole tasks are cut from each block (the
    rest carried over to the next), their array (``[`` and the tasks) decoded by msgspec as views
    (which checks it, and so where it was cut), given with the views and the line of the array's
    second byte (its first task's); ``lines.line`` kept at the line of the unread rest. The file's
    bytes are never all held. With ``part``, only the tasks of that part of the file (see
    :class:`Part`)."""
    pending = b""
    indent: bytes | None = None  # what goes before each task on its line in an indented file
    before = _OPENING  # what comes before the block's first task: the array's opening until a task is cut
    offset = 0  # where in the file the block begins
    if part is not None and part.start:
        indent, before, offset = part.indent, _BETWEEN, part.start  # (a part after the first begins at a task)
    for data, final in _blocks(path, offset, None if part is None else part.stop):
        block = pending + data if pending else data
        match = before.match(block)
        if before is _OPENING:
            if match is None:
                if final or block.strip(_WHITESPACE):
                    raise NotPlain
                pending = block
                continue
            start = match.end()
            begins = block.rfind(b"\n", 0, start) + 1
            indent = block[begins:start] if begins and start < len(block) else None
        else:
            start = match.end() if match else 0
        lines.offset = offset + start
        if final:
            array = b"[" + block[start:]
            if part is not None and part.stop is not None:  # its tasks, then the comma before the next part's
                array = array.rstrip(_WHITESPACE)
                if not array.endswith(b","):
                    raise NotPlain
                array = array[:-1] + b"]"
            line = lines.line + block.count(b"\n", 0, start)
            yield array, _DECODE_ARRAY(array), line
            lines.line = line + block.count(b"\n", start)  # (the line of the end: a part's lines are counted)
            return
        cut = _cut(block, start, indent)
        if cut is None:
            pending = block  # not one whole task yet
            continue
        end, array, raws = cut
        before = _BETWEEN
        line = lines.line + block.count(b"\n", 0, start)
        lines.counted = None
        yield array, raws, line
        lines.line = line + lines.counted if lines.counted is not None else lines.line + block.count(b"\n", 0, end)
        pending = block[end:]
        offset += end


def _cut(block: bytes, start: int, indent: bytes | None) -> tuple[int, bytes, list[msgspec.Raw]] | None:
    """Where the last whole task of ``block`` (whose tasks begin at ``start``) ends, the array of
    its tasks and their views, or ``None``. In an indented file, found from the layout (each task
    begins on a line of its own, after ``indent``), which the array's decoding confirms: it fails
    unless the array was cut between two tasks. Otherwise (or if it failed) by :func:`_scanned_end`."""
    if indent is not None and (last := block.rfind(b"\n" + indent + b"{", start)) > start:
        end = _stripped_end(block, start, last)
        if block[end - 1:end] == b",":
            end = _stripped_end(block, start, end - 1)
            array = b"".join((b"[", memoryview(block)[start:end], b"]"))
            try:
                return end, array, _DECODE_ARRAY(array)
            except msgspec.DecodeError:
                pass
    end = _scanned_end(block, start)
    if end < 0:
        return None
    array = b"".join((b"[", memoryview(block)[start:end], b"]"))
    return end, array, _DECODE_ARRAY(array)


def _stripped_end(block: bytes, start: int, end: int) -> int:
    """``end`` moved back over the white space before it, not past ``start`` (without a copy of the block)."""
    while end > start and block[end - 1] in _WHITESPACE:
        end -= 1
    return end


def _blocks(path: Path, start: int = 0, stop: int | None = None) -> Iterator[tuple[bytes, bool]]:
    """The file's bytes a block at a time (from ``start``, to ``stop`` if given: a part beginning
    with a task, so at a character's start), and whether it is the last; :class:`NotPlain` unless
    it is a regular file, UTF-8 without a byte order mark or NUL."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    # O_NONBLOCK: a named pipe is not waited on (the general reader says what it is).
    with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise NotPlain
        handle.seek(start)
        first, left = not start, -1 if stop is None else stop - start
        while True:
            data = handle.read(_BLOCK if left < 0 else min(_BLOCK, left))
            if first and (data[:3] == codecs.BOM_UTF8 or data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                raise NotPlain
            if left >= 0:
                left -= len(data)
            first, final = False, len(data) < _BLOCK or not left
            if b"\x00" in data:
                raise NotPlain
            try:
                # ASCII is UTF-8: checked without decoding, unless a character began in the block before.
                if not (data.isascii() and not decoder.getstate()[0]):
                    decoder.decode(data, final=final)
            except UnicodeDecodeError:
                raise NotPlain from None
            yield data, final
            if final:
                return


def _decoded(array: bytes, raws: list[msgspec.Raw], line: int, lines: _Lines) -> list[tuple[str, _Task]]:
    """The tasks of ``array`` (``[`` and tasks, the first on ``line``, whose views are ``raws``), each
    with its ``file:line``. msgspec has checked the array, so only white space and one comma lie
    between two tasks."""
    decoded = []
    position = 1
    for raw in raws:
        end = position + len(raw)
        decoded.append((lines.where(line), _decode(array, raw, position, end)))
        between = _BETWEEN.match(array, end)
        if between is not None:
            line += array.count(b"\n", position, between.end())
            position = between.end()
    return decoded


def _scanned_end(block: bytes, start: int) -> int:
    """Where the last value at the array's level ends in ``block[start:]``, found by following the
    brackets outside strings (a quote is a string's end unless an odd number of backslashes go
    before it), or -1."""
    import numpy as np

    view = np.frombuffer(block, dtype=np.uint8)[start:]
    quotes = np.flatnonzero(view == 34)
    escaped = quotes[(quotes > 0) & (view[quotes - 1] == 92)]
    if len(escaped):
        keep = np.ones(len(quotes), dtype=bool)
        for index, quote in zip(np.searchsorted(quotes, escaped).tolist(), (escaped + start).tolist()):
            run = 1  # the backslashes just before the quote
            while quote - run > start and block[quote - run - 1] == 92:
                run += 1
            keep[index] = run % 2 == 0
        quotes = quotes[keep]
    folded = view | 32  # "[" and "{" become "{", "]" and "}" become "}"
    opening, closing = np.flatnonzero(folded == 123), np.flatnonzero(folded == 125)
    opening = opening[np.searchsorted(quotes, opening) % 2 == 0]
    closing = closing[np.searchsorted(quotes, closing) % 2 == 0]
    places = np.concatenate((opening, closing))
    steps = np.concatenate((np.ones(len(opening), np.int64), -np.ones(len(closing), np.int64)))
    order = np.argsort(places, kind="stable")
    depth = np.cumsum(steps[order])
    ends = places[order][(depth == 0) & (steps[order] < 0)]
    return start + int(ends[-1]) + 1 if len(ends) else -1


def _decode(array: bytes, raw: msgspec.Raw, start: int, end: int) -> _Task:
    """A task as its typed record; :class:`NotPlain` when it may nest deeper than the general reader accepts."""
    from tagline.corpus.readers import MAX_JSON_DEPTH, json_nesting_problem

    if array.count(b"[", start, end) + array.count(b"{", start, end) > MAX_JSON_DEPTH and \
            json_nesting_problem(_DECODE_ANY(raw)):
        raise NotPlain
    return _DECODE_TASK(raw)


def _record(task: _Task, where: str, number: int, options: ReadOptions) -> tuple[ForeignRecord, bool]:
    """The task as the general reader makes it, and whether it holds a span result."""
    data = task.data
    field = options.text_field or "text"
    text = data.get(field)
    if task.completions is not msgspec.UNSET or task.predictions or not isinstance(text, str) or \
            not text.strip() or "sentence_id" in data or ANNOTATOR_KEY in data or TASKS_KEY in data:
        raise NotPlain
    answers = []
    labelled = False
    for index, annotation in enumerate(task.annotations or (), 1):
        if annotation.was_cancelled or annotation.tagline_tasks is not msgspec.UNSET:
            raise NotPlain
        spans = []
        for result in annotation.result or ():
            value = result.value
            labels = value.labels
            if result.type != "labels" or not labels:
                raise NotPlain
            labelled = True
            if len(labels) == 1:  # the usual result: no list made for it
                spans.append(ForeignSpan(value.start, value.end, labels[0], value.text))
            else:
                spans += [ForeignSpan(value.start, value.end, label, value.text) for label in labels]
        who = annotation.completed_by
        email = who.get("email") if type(who) is dict else None  # Label Studio's usual annotator: by email
        answers.append(ForeignAnswer("spans", f"{where} annotation {index}", spans,
                                     annotator=email if type(email) is str and email else _who(who),
                                     gold=bool(annotation.ground_truth)))
    raw_id = task.id
    return ForeignRecord(
        text=text, where=where, key=str(raw_id) if raw_id not in (None, "") else str(number), answers=answers,
        meta={key: value for key, value in data.items()
              if key != field and isinstance(value, (str, int, float))}), labelled
