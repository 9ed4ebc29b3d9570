"""The undoing of a transaction's writes, shared with the recovery from its journal: an append cut
back, a replaced file put back, a move undone, a new file or folder removed; and the names of
backups."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path


def _cut_back(fd: int, size: int) -> None:
    if os.fstat(fd).st_size > size:
        os.ftruncate(fd, size)
        _sync_if_possible(fd)


def _sync_if_possible(fd: int) -> None:
    """fsync after an undo. Once the undo is made, every reader sees the file as it was; if the disk
    cannot sync now (the error that caused the undo), there is nothing better to do than go on."""
    with contextlib.suppress(OSError):
        os.fsync(fd)


def _restore(backup: Path, path: Path) -> None:
    if path.exists() and os.path.samefile(backup, path):
        os.unlink(backup)  # the replacement never happened: only the backup link is extra
    else:
        os.replace(backup, path)


def _move_back(moved: Path, path: Path) -> bool:
    """Undo a move; whether it was undone. A file that was made at the old name since (a session
    appending to an answer file it no longer finds) is kept, and then so is the moved one: neither
    is written over."""
    if not os.path.lexists(path):
        os.link(moved, path)
    if os.path.samefile(moved, path):
        os.unlink(moved)
        return True
    return False


def _remove_if_empty(directory: Path) -> None:
    try:
        os.rmdir(directory)
    except OSError:
        pass  # something was put there meanwhile: it stays


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _backup_name(path: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    backup = path.with_name(f"{path.name}.{stamp}.bak")
    counter = 1
    while backup.exists():
        counter += 1
        backup = path.with_name(f"{path.name}.{stamp}-{counter}.bak")
    return backup


def _resolved(path: Path) -> Path:
    """``path``, or for a symbolic link the file it points to: a link stays a link when written."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path
