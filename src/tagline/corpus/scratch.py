"""Scratch folders of tagline's own in the system's temporary folder (``tagline-scratch-NAME-PID-RANDOM``),
for files a library insists on writing (CRFsuite's trainer writes its model to a file): each is
removed as its block ends; by :func:`remove_mine` before a worker ends with ``os._exit``
(:func:`tagline.corpus.workers.end_with_command`), which skips every ``finally``; and, when its process
was killed outright (SIGKILL, a worker terminated, a power cut), by the next process that makes one.

Only what tagline can prove is its own and abandoned is swept: a folder of that name whose lock
nothing holds. Its maker holds the lock from the moment it makes it until it has removed it
(:func:`tagline.corpus.primitives.make_locked_folder`, as a staging folder), and the system drops a
dead process's locks however it died; the sweep takes the lock without waiting
(:func:`tagline.corpus.primitives.remove_if_abandoned`), so a live process's folder is never taken.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

PREFIX = "tagline-scratch-"

_mine: dict[str, int] = {}  # path -> the process that made it (a forked child's copy is not its own)
_swept = False


@contextlib.contextmanager
def scratch_directory(name: str) -> Iterator[Path]:
    """A new empty folder ``tagline-scratch-NAME-*`` (this user's alone) in the temporary folder, removed
    as the block ends. The first in a process sweeps the abandoned ones (see the module)."""
    import secrets

    from tagline.corpus.primitives import make_locked_folder

    sweep_abandoned()
    while True:
        path = os.path.join(tempfile.gettempdir(), f"{PREFIX}{name}-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            handle = make_locked_folder(path)
            break
        except FileExistsError:
            continue
    try:
        os.chmod(path, 0o700)
        _mine[path] = os.getpid()
        yield Path(path)
    finally:
        _mine.pop(path, None)
        shutil.rmtree(path, ignore_errors=True)  # its lock still held: no sweep takes it meanwhile
        os.close(handle)


def remove_mine() -> None:
    """Remove the scratch folders this process made and has not removed yet (called before ``os._exit``)."""
    for path, maker in list(_mine.items()):
        if maker == os.getpid():
            shutil.rmtree(path, ignore_errors=True)


def sweep_abandoned(root: str | None = None) -> list[str]:
    """Remove the scratch folders in ``root`` whose lock nothing holds (default: the temporary folder,
    once a process); the paths removed."""
    from tagline.corpus.primitives import remove_if_abandoned

    global _swept
    if root is None:
        if _swept:
            return []
        _swept = True
    try:
        entries = [entry.path for entry in os.scandir(root or tempfile.gettempdir()) if entry.name.startswith(PREFIX)]
    except OSError:
        return []
    return [path for path in entries if os.path.exists(path) and remove_if_abandoned(path)]
