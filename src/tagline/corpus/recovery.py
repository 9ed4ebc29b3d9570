"""Putting back what a killed transaction was writing, from its journal (see
:class:`tagline.corpus.transaction.Transaction`)."""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from tagline.corpus.primitives import fsync_directory
from tagline.corpus.transaction import _cut_back, _move_back, _open_locked, _restore


def recover(journal: str | os.PathLike[str], root: str | os.PathLike[str]) -> list[str]:
    """Put back the files a killed transaction was writing, from its ``journal``; return what was
    done. The caller holds the workspace lock. Every step is safe to repeat, so a recovery that is
    itself interrupted is finished by the next one."""
    journal = Path(journal)
    root = Path(root)
    entries = []
    with open(journal, "rb") as handle:
        for line in handle:
            try:
                entries.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                break  # the entry being written when the process died: its write had not begun
    done = []
    for entry in reversed(entries):
        path = root / entry["path"]
        if entry["op"] == "append" and path.exists() and path.stat().st_size > entry["size"]:
            fd = _open_locked(path)
            try:
                _cut_back(fd, entry["size"])
            finally:
                os.close(fd)
            done.append(f"cut {entry['path']} back to {entry['size']} bytes")
        elif entry["op"] == "replace":
            backup = root / entry["backup"]
            if backup.exists():
                _restore(backup, path)
                done.append(f"restored {entry['path']}")
        elif entry["op"] == "create" and path.exists():
            os.unlink(path)
            done.append(f"removed {entry['path']}")
        elif entry["op"] == "move" and (root / entry["to"]).exists() and _move_back(root / entry["to"], path):
            done.append(f"moved {entry['to']} back to {entry['path']}")
    names = [entry[key] for entry in entries for key in ("path", "to") if key in entry]
    for directory in {(root / name).parent for name in names}:
        if directory.is_dir():
            fsync_directory(directory)
    os.unlink(journal)
    fsync_directory(journal.parent)
    return done
