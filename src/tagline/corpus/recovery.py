"""Putting back what a killed transaction was writing, from its journal (see
:class:`tagline.corpus.transaction.Transaction`)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import orjson

from tagline.corpus.primitives import fsync_directory, remove_if_abandoned
from tagline.corpus.transaction import _cut_back, _move_back, _open_locked, _restore


def recover(journal: str | os.PathLike[str], root: str | os.PathLike[str], *,
            folders: Iterable[str | os.PathLike[str]] = ()) -> list[str]:
    """Put back the files a killed transaction was writing, from its ``journal``; return what was
    done. The temporary files that killed writers left (their lock free) in ``folders`` are removed before the
    journal is, so that they are not left for good when the recovery is killed after that. The
    caller holds the workspace lock. Every step is safe to repeat, so a recovery that is itself
    interrupted is finished by the next one."""
    from tagline.corpus.store import sweep_temporaries  # the store re-exports this module

    journal = Path(journal)
    root = Path(root)
    entries, whole = [], 0
    with open(journal, "rb") as handle:
        for line in handle:
            try:
                entries.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                break  # the entry being written when the process died: its write had not begun
            whole += len(line)
    done = []
    lost = {entry["path"] for entry in entries if entry["op"] == "lost"}
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
        elif entry["op"] == "create":
            if _created_here(root, entry, lost):
                if path.exists():
                    os.unlink(path)
                    done.append(f"removed {entry['path']}")
            elif entry["path"] not in lost:  # noted before the temporary file that tells so goes
                _note_lost(journal, whole, entry["path"])
                lost.add(entry["path"])
            if "temporary" in entry:  # unless a running writer holds it (another process of that id)
                remove_if_abandoned(root / entry["temporary"])
        elif entry["op"] == "move" and (root / entry["to"]).exists() and _move_back(root / entry["to"], path):
            done.append(f"moved {entry['to']} back to {entry['path']}")
    names = [entry[key] for entry in entries for key in ("path", "to") if key in entry]
    for directory in {(root / name).parent for name in names}:
        if directory.is_dir():
            fsync_directory(directory)
    for folder in folders:  # after the entries: a create entry's temporary file says whose its file is
        sweep_temporaries(folder)
    os.unlink(journal)
    fsync_directory(journal.parent)
    return done


def _note_lost(journal: Path, whole: int, name: str) -> None:
    """Add to the ``journal`` (its first ``whole`` bytes its whole entries) that the file ``name`` is
    another process's, so that a recovery run again after this one was killed leaves it too."""
    fd = os.open(journal, os.O_RDWR | os.O_CLOEXEC)
    try:
        if os.fstat(fd).st_size > whole:
            os.ftruncate(fd, whole)  # a torn last entry would hide the note from the next reader
        newline = b"\n" if whole and os.pread(fd, 1, whole - 1) != b"\n" else b""
        os.lseek(fd, 0, os.SEEK_END)
        os.write(fd, newline + orjson.dumps({"op": "lost", "path": name}) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def _created_here(root: Path, entry: dict, lost: set[str]) -> bool:
    """Whether the file a ``create`` entry names is the transaction's own: not when another process
    linked one there first (a ``lost`` entry), nor when the transaction's temporary file is still
    there and is not that file (the link had not been made, or failed before ``lost`` was noted).
    Entries of older journals name no temporary file: the file is the transaction's."""
    if entry["path"] in lost:
        return False
    temporary = root / entry["temporary"] if "temporary" in entry else None
    if temporary is None or not temporary.exists():
        return True
    try:
        return os.path.samefile(temporary, root / entry["path"])
    except OSError:
        return False
