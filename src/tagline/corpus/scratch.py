"""Scratch folders of tagline's own in the system's temporary folder (``tagline-scratch-NAME-*``), for
files a library insists on writing (CRFsuite's trainer writes its model to a file): each is removed as
its block ends; by :func:`remove_mine` before a worker ends with ``os._exit``
(:func:`tagline.corpus.workers.end_with_command`), which skips every ``finally``; and, when its process
was killed outright (SIGKILL, a pool's SIGTERM, a power cut), by the next process that makes one.

Only what tagline can prove is its own and stale is swept: a folder of that name, this user's, made a
minute ago or more, whose lock nothing holds. Its maker locks it (``flock``) as soon as it has made it
and holds the lock while it lives; the system drops a dead process's locks however it died.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PREFIX = "tagline-scratch-"
STALE_SECONDS = 60.0
"""A folder this much older is swept once unlocked (a younger one may not be locked yet by its maker)."""

_mine: dict[str, tuple[int, int]] = {}  # path -> (its locked descriptor, the process that made it)
_swept = False


@contextlib.contextmanager
def scratch_directory(name: str) -> Iterator[Path]:
    """A new empty folder ``tagline-scratch-NAME-*`` in the temporary folder, removed as the block ends.
    The first in a process sweeps the stale folders that killed processes left (see the module)."""
    sweep_stale()
    path = tempfile.mkdtemp(prefix=f"{PREFIX}{name}-")
    handle = os.open(path, os.O_RDONLY)
    try:
        _lock(handle, wait=True)
        _mine[path] = (handle, os.getpid())
        yield Path(path)
    finally:
        _mine.pop(path, None)
        shutil.rmtree(path, ignore_errors=True)  # still locked: no sweeper takes it meanwhile
        os.close(handle)


def remove_mine() -> None:
    """Remove the scratch folders this process made and has not removed yet (called before ``os._exit``;
    a forked child's copy of its parent's list is not its own)."""
    for path, (_, owner) in list(_mine.items()):
        if owner == os.getpid():
            shutil.rmtree(path, ignore_errors=True)


def sweep_stale(root: str | None = None) -> list[str]:
    """Remove the stale scratch folders in ``root`` (default: the temporary folder), once a process;
    the paths removed."""
    global _swept
    if _swept and root is None:
        return []
    _swept = True
    removed = []
    try:
        entries = list(os.scandir(root or tempfile.gettempdir()))
    except OSError:
        return []
    for entry in entries:
        if entry.name.startswith(PREFIX) and _remove_if_stale(entry.path):
            removed.append(entry.path)
    return removed


def _remove_if_stale(path: str) -> bool:
    try:
        info = os.lstat(path)
        if not os.path.isdir(path) or os.path.islink(path) or info.st_uid != os.getuid() \
                or time.time() - info.st_mtime < STALE_SECONDS:
            return False
        handle = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        if not _lock(handle, wait=False):
            return False  # its maker still lives
        shutil.rmtree(path, ignore_errors=True)
        return True
    finally:
        os.close(handle)


def _lock(handle: int, *, wait: bool) -> bool:
    """Lock the folder open as ``handle``; whether it was (without ``wait``, not if another holds it).
    Where there are no ``flock`` locks (not POSIX) nothing is locked, and nothing found is stale."""
    try:
        import fcntl
    except ImportError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True
