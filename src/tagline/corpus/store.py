"""Crash-safe JSONL files: locked, fsync'd whole-line appends; streaming reads that survive torn lines."""

from __future__ import annotations

import fcntl
import os
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from tagline.errors import DataError

TORN_SUFFIX = ".torn"


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


def encode_record(record: dict) -> bytes:
    """Serialise one record as a compact UTF-8 JSON line (with the newline)."""
    return orjson.dumps(record) + b"\n"


def append_records(path: str | os.PathLike, records: Iterable[dict]) -> int:
    """Append ``records`` to the JSONL file at ``path`` atomically and durably.

    All lines are written with one exclusive ``flock`` held, flushed and fsync'd before returning,
    so concurrent writers never interleave and a crash loses at most this call's lines. A torn
    tail left by an earlier crash is moved aside to ``<path>.torn`` first, so the new lines never
    merge with it.

    Returns
    -------
    int
        The number of records written.
    """
    payload = [encode_record(record) for record in records]
    if not payload:
        return 0
    path = Path(path)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _set_aside_torn_tail(fd, path)
        _write_all(fd, b"".join(payload))
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock
    if created:
        fsync_directory(path.parent)
    return len(payload)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _set_aside_torn_tail(fd: int, path: Path) -> None:
    """If the file does not end with a newline, deal with its last, unterminated line.

    A complete JSON record that only lacks its newline (a hand-edited file) gets the newline. An
    incomplete one is copied to ``<path>.torn`` (fsync'd) and then cut off, so it is kept aside
    rather than lost, and no complete record is ever touched.
    """
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    tail_start = _last_line_start(fd, size)
    fragment = os.pread(fd, size - tail_start, tail_start)
    try:
        orjson.loads(fragment)
    except orjson.JSONDecodeError:
        pass
    else:
        _write_all(fd, b"\n")
        return
    aside = {
        "file": path.name,
        "byte_offset": tail_start,
        "found": utc_now(),
        "text": fragment.decode("utf-8", errors="replace"),
    }
    aside_fd = os.open(str(path) + TORN_SUFFIX, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        _write_all(aside_fd, encode_record(aside))
        os.fsync(aside_fd)
    finally:
        os.close(aside_fd)
    os.ftruncate(fd, tail_start)
    os.fsync(fd)


def _last_line_start(fd: int, size: int) -> int:
    """Byte offset just after the last newline of the file (0 if there is none)."""
    chunk = 65536
    end = size
    while end > 0:
        start = max(0, end - chunk)
        block = os.pread(fd, end - start, start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        end = start
    return 0


def iter_lines(
    path: str | os.PathLike, *, problems: list[LineProblem] | None = None
) -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, record)`` for every JSON object line of ``path``, streaming.

    Blank lines are skipped. An unterminated, unparsable last line is a torn write: it is
    reported (in ``problems``, or as a :class:`TornLineWarning`) and skipped. Any other bad line
    raises :class:`~tagline.errors.DataError` naming ``path:line``, unless ``problems`` is given,
    in which case it is recorded there and skipped so that every problem can be listed.
    """
    loads = orjson.loads
    with open(path, "rb") as lines:
        for line_number, line in enumerate(lines, 1):
            try:
                record = loads(line)
            except orjson.JSONDecodeError as error:
                if not line.strip():
                    continue
                if not line.endswith(b"\n"):
                    problem = LineProblem(
                        str(path), line_number,
                        "incomplete last line (a write cut short by a crash); skipped, the lines "
                        "before it are intact and the next append moves it to "
                        f"{Path(path).name}{TORN_SUFFIX}",
                        warning=True,
                    )
                    if problems is None:
                        warnings.warn(str(problem), TornLineWarning, stacklevel=2)
                    else:
                        problems.append(problem)
                    return
                _bad_line(path, line_number, f"not valid JSON ({error.msg})", problems)
                continue
            if type(record) is not dict:
                _bad_line(path, line_number, f"expected a JSON object, found {type(record).__name__}", problems)
                continue
            yield line_number, record


def _bad_line(path, line_number: int, message: str, problems: list[LineProblem] | None) -> None:
    if problems is None:
        raise DataError(message, where=f"{path}:{line_number}",
                        fix="fix or remove that line; nothing was changed")
    problems.append(LineProblem(str(path), line_number, message))


def read_records(path: str | os.PathLike, *, problems: list[LineProblem] | None = None) -> Iterator[dict]:
    """Yield the records of a JSONL file, streaming; see :func:`iter_lines` for error handling."""
    for _, record in iter_lines(path, problems=problems):
        yield record


def replace_file(path: str | os.PathLike, records: Iterable[dict], *, keep_old: bool = True) -> Path | None:
    """Write ``records`` to a new file and rename it over ``path`` atomically.

    The old file is kept (hard-linked as ``<path>.<UTC timestamp>.bak``) when ``keep_old`` is true,
    so a migration never loses what was there. Returns the backup's path, if one was made.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as out:
        for record in records:
            out.write(encode_record(record))
        out.flush()
        os.fsync(out.fileno())
    backup = None
    if keep_old and path.exists():
        backup = path.with_name(f"{path.name}.{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.bak")
        counter = 1
        while backup.exists():
            counter += 1
            backup = backup.with_name(f"{path.name}.{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{counter}.bak")
        os.link(path, backup)
    os.replace(tmp, path)
    fsync_directory(path.parent)
    return backup


def write_text_atomic(path: str | os.PathLike, text: str, *, sync_directory: bool = True) -> None:
    """Write ``text`` as UTF-8 to ``path`` via a temporary file, fsync and rename.

    ``sync_directory=False`` leaves the directory fsync to the caller, who writes many files into
    one directory and syncs it once.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    if sync_directory:
        fsync_directory(path.parent)


def fsync_directory(directory: str | os.PathLike) -> None:
    """fsync a directory so that a new or renamed entry in it survives a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def utc_now() -> str:
    """The current UTC time as ISO 8601 with microseconds and a ``Z`` suffix."""
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
