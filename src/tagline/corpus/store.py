"""Crash-safe JSONL files: locked, fsync'd whole-line appends that are all or nothing, streaming and
checked reads that survive torn lines, and whole files replaced atomically. The writes go through
:mod:`tagline.corpus.transaction`."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import msgspec
import orjson

from tagline.corpus.primitives import (  # noqa: F401  (the store's public names, re-exported)
    TORN_SUFFIX,
    encode_record,
    fsync_directory,
    is_json,
    last_line_start,
    remove_if_abandoned,
    utc_now,
)
from tagline.corpus.recovery import recover  # noqa: F401  (re-exported)
from tagline.corpus.transaction import (  # noqa: F401  (the store's public names, re-exported)
    Transaction,
)
from tagline.errors import DataError

_TEMPORARY = re.compile(r"\..+\.(\d+)\.(?:tmp|old)")


class TornLineWarning(UserWarning):
    """A file ended in an incomplete line (a write cut short by a crash); it was skipped, not lost."""


@dataclass(frozen=True)
class LineProblem:
    """One unreadable line of a JSONL file."""

    path: str
    line: int
    message: str
    warning: bool = False  # torn last lines and orphaned annotations: reported, not errors

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


# ----- appending ----------------------------------------------------------------------------
def append_records(path: str | os.PathLike[str], records: Iterable[dict[str, Any]], *,
                   check: Callable[[], None] | None = None) -> int:
    """Append ``records`` to the JSONL file at ``path``, all or nothing, durably.

    All lines are written with one exclusive ``flock`` held, flushed and fsync'd before returning,
    so concurrent writers never interleave and a crash loses at most this call's lines. A torn
    tail left by an earlier crash is moved aside to ``<path>.torn`` first, so the new lines never
    merge with it. If the write fails (a full disk, an I/O error), the file is cut back to its
    size before the call and :class:`~tagline.errors.StorageError` names it. ``check`` runs with the
    lock held, just before the lines are written, and refuses them by raising (an annotator retired
    meanwhile: see :meth:`~tagline.corpus.transaction.Transaction.append_bytes`).

    Returns
    -------
    int
        The number of records written.
    """
    payload = b"".join(encode_record(record) for record in records)
    if not payload:
        return 0
    with Transaction() as transaction:
        transaction.append_bytes(path, payload, check=check)
    return payload.count(b"\n")


def complete_size(path: str | os.PathLike[str]) -> tuple[int, bool]:
    """``(size, torn)``: how many leading bytes of the JSONL file hold whole lines, and whether a
    torn last line (unterminated and not JSON) follows them. Readers that take the file whole (Arrow)
    read only those bytes, as :func:`iter_lines` skips the torn line."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return size, False
        tail_start = last_line_start(fd, size)
        tail = os.pread(fd, size - tail_start, tail_start)
        if not tail.strip() or is_json(tail):
            return size, False
        return tail_start, True
    finally:
        os.close(fd)


# ----- reading ------------------------------------------------------------------------------
def iter_lines(
    path: str | os.PathLike[str], *, problems: list[LineProblem] | None = None, kind: str | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, record)`` for every JSON object line of ``path``, streaming.

    With ``kind`` (``sentence``, ``document``, ``event``, ``gold``, ``orphan``) every record is
    decoded as that typed record and checked (see :mod:`tagline.schemas.records`), so a line that
    is JSON but lacks a field or has one of the wrong type is reported like a line that is not
    JSON, instead of failing later in the command.

    Blank lines are skipped. An unterminated, unparsable last line is a torn write: it is
    reported (in ``problems``, or as a :class:`TornLineWarning`) and skipped. Any other bad line
    raises :class:`~tagline.errors.DataError` naming ``path:line``, unless ``problems`` is given,
    in which case it is recorded there and skipped so that every problem can be listed.
    """
    read, start = 0, 0  # lines yielded; where the line reader takes over
    with open(path, "rb") as handle:
        for block_start, lines in _whole_lines(handle):
            try:
                records = _decode_lines(kind, lines)
            except (ValueError, msgspec.DecodeError, RecursionError):
                start = block_start  # read again line by line from here, to say what is wrong where
                break
            yield from enumerate(records, read + 1)
            read += len(records)
            del records, lines  # not kept while the next block is read and decoded
        else:
            start = handle.tell()  # past the last newline: what may follow is an unterminated last line
    for line_number, _, record in iter_placed_lines(path, problems=problems, kind=kind, start=start,
                                                     first_line=read + 1):
        yield line_number, record


_BLOCK = 1 << 20


def _whole_lines(handle: BinaryIO) -> Iterator[tuple[int, list[bytes]]]:
    """The whole lines of an open file (without their newlines), about :data:`_BLOCK` bytes at a
    time, each block with where it starts; the handle is left after the last newline."""
    size = _BLOCK
    while True:
        start = handle.tell()
        block = handle.read(size)
        end = block.rfind(b"\n")
        if end < 0:
            handle.seek(start)
            if len(block) < size:
                return  # the end of the file: nothing, or a last line without its newline
            size *= 2  # a line longer than a block
            continue
        handle.seek(start + end + 1)
        yield start, block[:end].split(b"\n")


def _decode_lines(kind: str | None, lines: list[bytes]) -> list[Any]:
    """Every line of a block as its record, or an exception when any one is not (blank, not JSON,
    not an object, not the record ``kind`` says)."""
    if kind is not None:
        from tagline.schemas.records import decode_records

        return decode_records(kind, lines)
    records = [orjson.loads(line) for line in lines]
    if not all(type(record) is dict for record in records):
        raise ValueError("a line that is not a JSON object")
    return records


def iter_placed_lines(
    path: str | os.PathLike[str], *, problems: list[LineProblem] | None = None, kind: str | None = None,
    start: int = 0, first_line: int = 1,
) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """:func:`iter_lines` yielding ``(line_number, byte_offset, record)``, from byte ``start`` (the
    start of line ``first_line``) on: what an index of a file's records, or the reading of what was
    appended since, needs."""
    if kind is None:
        decode: Callable[[bytes], object] = orjson.loads
    else:
        from functools import partial

        from tagline.schemas.records import decode_record

        decode = partial(decode_record, kind)
    offset = start
    with open(path, "rb") as lines:
        lines.seek(start)
        for line_number, line in enumerate(lines, first_line):
            at, offset = offset, offset + len(line)
            try:
                record = decode(line)
            except (orjson.JSONDecodeError, msgspec.DecodeError) as error:
                if not line.strip():
                    continue
                if not line.endswith(b"\n"):
                    _torn(path, line_number, problems)
                    return
                _bad_line(path, line_number, f"not valid JSON ({_json_message(error)})", problems)
                continue
            except ValueError as error:  # RecordError: JSON, but not the record it should be
                if not line.endswith(b"\n") and not is_json(line):
                    _torn(path, line_number, problems)
                    return
                _bad_line(path, line_number, _record_message(kind, error, line), problems)
                continue
            if type(record) is not dict:
                _bad_line(path, line_number, f"expected a JSON object, found {type(record).__name__}", problems)
                continue
            yield line_number, at, record


def _torn(path: str | os.PathLike[str], line_number: int, problems: list[LineProblem] | None) -> None:
    problem = LineProblem(
        str(path), line_number,
        "incomplete last line (a write cut short by a crash); skipped, the lines before it are intact "
        f"and the next append moves it to {Path(path).name}{TORN_SUFFIX}",
        warning=True,
    )
    if problems is None:
        warnings.warn(str(problem), TornLineWarning, stacklevel=3)
    else:
        problems.append(problem)


def _json_message(error: Exception) -> str:
    return getattr(error, "msg", None) or str(error)


def _record_message(kind: str | None, error: Exception, line: bytes) -> str:
    names = {"sentence": "sentence", "document": "document record", "event": "annotation event",
             "gold": "gold record", "orphan": "orphaned sentence", "annotator": "annotator record"}
    if not is_json(line):
        return f"not valid JSON ({error})"
    if not line.lstrip().startswith(b"{"):
        return f"expected a JSON object, found {type(orjson.loads(line)).__name__}"
    return f"not a valid {names.get(kind or '', 'record')}: {error}"


def _bad_line(path: str | os.PathLike[str], line_number: int, message: str, problems: list[LineProblem] | None) -> None:
    if problems is None:
        raise DataError(message, where=f"{path}:{line_number}",
                        fix="fix or remove that line (`tagline validate` lists every problem); nothing was changed")
    problems.append(LineProblem(str(path), line_number, message))


def read_records(path: str | os.PathLike[str], *, problems: list[LineProblem] | None = None,
                 kind: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield the records of a JSONL file, streaming; see :func:`iter_lines` for checks and errors."""
    for _, record in iter_lines(path, problems=problems, kind=kind):
        yield record


# ----- what killed writes leave -------------------------------------------------------------
def holds_temporaries(directory: str | os.PathLike[str]) -> bool:
    """Whether ``directory`` holds a ``.NAME.PID.tmp`` or ``.NAME.PID.old`` file (a running writer's,
    or one a killed write left): what :func:`sweep_temporaries` would look at."""
    try:
        with os.scandir(os.fspath(directory)) as entries:
            return any(entry.name.startswith(".") and _TEMPORARY.fullmatch(entry.name) for entry in entries)
    except OSError:
        return False


def fold_folders(workspace: Any) -> list[Path]:
    """The folders of the saved folds, ``build/index/folds/<annotator>/``, which the next command sweeps
    (:meth:`Workspace.recover_if_needed`) as it does the workspace's other folders: a fold save killed
    while another process saved the same fold leaves its temporary file where no later command saves
    that fold again, so no save of it sweeps it."""
    try:
        with os.scandir(workspace.build_dir / "index" / "folds") as entries:
            return [Path(entry.path) for entry in entries if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def sweep_temporaries(directory: str | os.PathLike[str], *, only: Iterable[str] | None = None) -> list[Path]:
    """Remove the ``.NAME.PID.tmp`` and ``.NAME.PID.old`` files that killed writes left in
    ``directory`` (a write killed between its temporary file and the rename); return them.

    A file is a running writer's for as long as the writer holds its lock
    (:func:`~tagline.corpus.primitives.open_temporary`), whichever process, container or machine
    it runs in: only a file whose lock is free is removed, and the lock is taken, without waiting,
    before it is. The process id in the name is for people; it decides nothing.

    ``only`` limits the sweep to the temporaries of those file names, in a folder the workspace does
    not own (an export's)."""
    removed: list[Path] = []
    wanted = None if only is None else set(only)
    try:
        names = [entry.name for entry in os.scandir(os.fspath(directory)) if str(entry.name).startswith(".")]
    except OSError:
        return removed
    for name in names:
        match = _TEMPORARY.fullmatch(str(name))
        if not match or (wanted is not None and str(name)[1:match.start(1) - 1] not in wanted):
            continue
        path = Path(directory) / name
        if os.path.lexists(path) and remove_if_abandoned(path):
            removed.append(path)
    return removed


# ----- whole files --------------------------------------------------------------------------
def replace_file(path: str | os.PathLike[str], records: Iterable[dict[str, Any]], *,
                 keep_old: bool = True) -> Path | None:
    """Write ``records`` to a new file and rename it over ``path`` atomically.

    The old file is kept (hard-linked as ``<path>.<UTC timestamp>.bak``) when ``keep_old`` is true,
    so a migration never loses what was there. Returns the backup's path, if one was made.
    """
    with Transaction() as transaction:
        return transaction.replace(path, records, keep_old=keep_old)


def write_text_atomic(path: str | os.PathLike[str], text: str, *, sync_directory: bool = True,
                      create: bool = False) -> None:
    """Write ``text`` as UTF-8 to ``path`` via a temporary file, fsync and rename.

    ``sync_directory=False`` leaves the directory fsync to the caller, who writes many files into
    one directory and syncs it once. With ``create`` the file must not exist, and one made there
    meanwhile by another process is never written over (:class:`FileExistsError`).
    """
    with Transaction() as transaction:
        if create:
            transaction.create_text(path, text)
        else:
            transaction.write_text(path, text, sync_directory=sync_directory)


