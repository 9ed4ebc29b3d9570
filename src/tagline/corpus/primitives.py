"""The small pieces the store and its transactions share: a record as a JSON line, where a file's
last line starts, a folder or a file system made durable, a write's temporary file, and the time
stamp every record carries."""

from __future__ import annotations

import errno
import functools
import os
from datetime import UTC
from typing import Any

import orjson


def encode_record(record: dict[str, Any]) -> bytes:
    """Serialise one record as a compact UTF-8 JSON line (with the newline)."""
    return orjson.dumps(record) + b"\n"


def is_json(data: bytes) -> bool:
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    return True


def last_line_start(fd: int, size: int) -> int:
    """Byte offset just after the last newline among the first ``size`` bytes (0 if there is none)."""
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


def fsync_directory(directory: str | os.PathLike[str]) -> None:
    """fsync a directory so that a new or renamed entry in it survives a power cut."""
    fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno != errno.EINVAL:  # some file systems cannot sync a directory; nothing to do there
            error.filename = os.fspath(directory)  # so the error names it
            raise
    finally:
        os.close(fd)


def sync_file_system(path: str | os.PathLike[str]) -> None:
    """Make every file written on the file system that holds ``path`` durable, and raise the error a
    write-back met (``OSError`` naming ``path``): Linux's ``syncfs``, which reports such errors since
    5.8, where ``os.sync`` reports none and waits for every file system. The standard library has no
    ``syncfs``, so it is called from the C library; elsewhere ``os.sync`` stands in."""
    syncfs = _syncfs()
    if syncfs is None:
        os.sync()
        return
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if syncfs(fd) != 0:
            import ctypes

            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), os.fspath(path))
    finally:
        os.close(fd)


@functools.cache
def _syncfs() -> Any:
    """The C library's ``syncfs``, or None where it has none."""
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


def utc_now() -> str:
    """The current UTC time as ISO 8601 with microseconds and a ``Z`` suffix."""
    from datetime import datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def open_temporary(path: str | os.PathLike[str], flags: int) -> int:
    """Make the temporary file ``path`` of a write (``.NAME.PID.tmp``, named for this process), never
    through a link planted there. One already there was left by a killed process that had the same
    id (a container may run every command as the same low id): it is replaced, not taken for a rival's."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644)
