"""A new folder of many files made whole or not at all: written in a hidden folder beside it, made
durable with one ``syncfs`` of its file system (which reports a failed write-back) and renamed
into place in one step.

A folder export (brat: a ``.txt`` and an ``.ann`` file per document) writes tens of thousands of
files. Made one durable file at a time (written under a temporary name, fsync'd, renamed, then
linked into the folder) they took most of the export; when the folder does not exist yet, nobody
else can see the hidden folder, so its files need neither temporary names nor one fsync each. A
hidden folder that a killed process left is removed by the next one made for the same folder.
Measured on ext4 with 20,000 files of 120 bytes, on a loaded machine: writing them 16.6 s, then
one ``os.sync()`` 19 s, against 29 s for an fsync of each from 32 threads and 72 s for an fsync
of each in turn.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path

from tagline.corpus.primitives import fsync_directory, make_locked_folder, remove_if_abandoned, sync_file_system


def write_new_folder(folder: str | os.PathLike[str], files: Mapping[str, str | bytes]) -> None:
    """Make ``folder``, which must not exist, holding ``files`` (file name -> text, written as
    UTF-8), all of them or none.

    Raises
    ------
    FileExistsError
        Something was made at ``folder`` meanwhile (an empty folder there is taken over); nothing
        is written.
    OSError
        Writing failed (a full disk); nothing is left behind.
    """
    folder = Path(folder)
    for name in files:
        if not name or os.sep in name or (os.altsep and os.altsep in name) or name in (".", ".."):
            raise ValueError(f"{name!r} is not the name of a file in the folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    remove_left_staging(folder)
    staging = staging_name(folder)
    # The permissions a new folder gets, as folder.mkdir() would give it; locked until it is renamed.
    held = make_locked_folder(staging)
    try:
        _write_files(staging, files)
        try:
            sync_file_system(staging)  # every file and the folder's entries durable at once
        except OSError as error:
            error.filename = os.fspath(folder)  # a write-back that failed: named by the folder asked for
            raise
        try:
            os.rename(staging, folder)
        except OSError as error:
            if folder.exists():
                raise FileExistsError(error.errno, "made by another program meanwhile", str(folder)) from None
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        os.close(held)
    fsync_directory(folder.parent)


def staging_name(folder: Path) -> Path:
    """A hidden folder beside ``folder`` to make it in, named for this process (for people: its lock
    says whether it is a running writer's, see :func:`remove_left_staging`)."""
    return folder.with_name(f".{folder.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def remove_left_staging(folder: Path) -> None:
    """Remove the hidden folders that killed processes left while making ``folder`` (a whole export's
    files, perhaps); those whose lock a running process holds are its own, in whatever container
    it runs."""
    pattern = re.compile(rf"\.{re.escape(folder.name)}\.(\d+)\.[0-9a-f]{{8}}\.tmp")
    try:
        names = [entry.name for entry in os.scandir(folder.parent) if entry.name.startswith(f".{folder.name}.")]
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match:
            remove_if_abandoned(folder.parent / name)


def _write_files(folder: Path, files: Mapping[str, str | bytes]) -> None:
    """Each file made new in ``folder`` and written whole: by name relative to the folder's descriptor
    and with the descriptor's own calls, a path neither looked up from the root nor wrapped in a
    buffered file object for each of tens of thousands of small files."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    directory = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            descriptor = os.open(name, flags, 0o666, dir_fd=directory)
            try:
                view = memoryview(data)
                while view:  # a write may take less than it is given
                    view = view[os.write(descriptor, view):]
            finally:
                os.close(descriptor)
    finally:
        os.close(directory)
