"""Writes that take effect together: transactions over one or several files that put every file
back as it was when a write fails, is interrupted, or the process is killed (with a journal)."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO

from tagline.corpus.primitives import TORN_SUFFIX as TORN_SUFFIX
from tagline.corpus.primitives import (
    allow_open_files,
    encode_record,
    fsync_directory,
    held_as_named,
    hold,
    lock,
    open_for_lock,
    open_temporary,
    set_aside_torn_tail,
)
from tagline.corpus.undoing import (  # noqa: F401  (_restore and _move_back: the recovery's too)
    _backup_name,
    _cut_back,
    _move_back,
    _remove_if_empty,
    _resolved,
    _restore,
    _unlink_quietly,
)
from tagline.errors import StorageError, storage_error
from tagline.interrupts import deferred

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

# Many new files are fsync'd side by side: this many at once, in batches of this many files.
SYNC_THREADS, SYNC_BATCH = 32, 1024


def _open_locked(path: Path) -> int:
    """Open ``path`` for appending (created if needed) with an exclusive ``flock`` held. A file
    replaced by a rename while we waited for the lock is opened again, so the lines never go to
    the old, unlinked copy."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        if held_as_named(fd, path, lock, follow_links=True):
            return fd


def _open_existing_locked(path: Path) -> int | None:
    """:func:`_open_locked` without making the file: None when it is not there (or no longer)."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        if held_as_named(fd, path, lock, follow_links=True):
            return fd


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class Transaction:
    """Writes to one or several files that take effect together.

    Every write is durable when it returns (fsync'd), but an append, durable at the next checkpoint
    or the block's end (the files fsync'd together there; a file appended to again is noted in the
    journal once, at its first size, which undoes every append). When the block ends with an
    exception (a full disk, Ctrl-C, also at those fsyncs), every file is put back as it was: appends
    are cut back, replaced and overwritten files get their old content back, moved files their old
    name, new files are removed. Appended files stay locked until the end, so no other process
    appends after our lines in the meantime.

    With a ``journal`` path, what to undo is written there (and fsync'd) before each write, and
    removed when the block ends well: a process killed in the middle leaves the journal, and
    :func:`recover` puts the files back from it. Only files written under the workspace lock alone
    may be journalled; appends to annotation files, which the terminal session makes without it, are
    not (see ``docs/architecture.md``). Moving one may be: undoing a move cuts nothing off.
    """

    def __init__(self, journal: str | os.PathLike[str] | None = None, *, root: str | os.PathLike[str] | None = None):
        self.journal = Path(journal) if journal is not None else None
        self.root = Path(root) if root is not None else None
        self._undo: list[Callable[[], None]] = []
        self._commit: list[Callable[[], None]] = []
        self._locked: dict[Path, int] = {}
        self._held: list[int] = []  # the locks that say the temporary and .old files are this running writer's
        self._directories: set[Path] = set()
        self._synced: set[Path] = set()  # directories synced at a checkpoint: again only if written after it
        self._unsynced: dict[int, Path] = {}  # the files appended to since they were last fsync'd
        self._noted: set[int] = set()  # the files whose appends the journal (as it is) undoes
        self._journal_fd: int | None = None

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            if exc_type is None:
                self._finish()
            else:
                self._roll_back()
        finally:
            for fd in [*self._locked.values(), *self._held]:
                os.close(fd)
            self._locked.clear()
            self._held.clear()

    # -- the writes --
    def append(self, path: str | os.PathLike[str], records: Iterable[dict[str, Any]], *, journal: bool = True) -> int:
        """Append ``records`` as JSON lines; returns how many."""
        payload = b"".join(encode_record(record) for record in records)
        if payload:
            self.append_bytes(path, payload, journal=journal)
        return payload.count(b"\n")

    def append_bytes(self, path: str | os.PathLike[str], payload: bytes | memoryview, *, journal: bool = True,
                     check: Callable[[], None] | None = None) -> int:
        """Append ``payload`` (whole lines); returns the offset in the file where it starts. ``check``,
        which may refuse the lines by raising, runs with the file's lock held (a new file: just before
        it is linked into place), so that nothing that moves the file comes between it and the write."""
        path = Path(path)
        try:
            fd = self._locked.get(path)
            if fd is None and not os.path.lexists(path) and self._create_whole(path, payload, journal, check):
                return 0
            if fd is None:
                fd = _open_existing_locked(path) if check else _open_locked(path)
                if fd is None:  # moved away while its lock was waited for (its annotator retired)
                    return self.append_bytes(path, payload, journal=journal, check=check)
                self._locked[path] = fd
                if check:
                    check()
                set_aside_torn_tail(fd, path, _write_all)
            size = os.fstat(fd).st_size
            if journal and fd not in self._noted:
                self._note({"op": "append", "path": self._name(path), "size": size})
                self._noted.add(fd)
            self._undo.append(lambda: _cut_back(fd, size))
            _write_all(fd, payload)
            self._unsynced[fd] = path
        except OSError as error:
            raise storage_error(path, error) from None
        return size

    def _create_whole(self, path: Path, payload: bytes | memoryview, journal: bool,
                      check: Callable[[], None] | None) -> bool:
        """Make a new file holding ``payload`` whole: written and fsync'd under a temporary name with
        the lock taken, then linked into place, so a crash never leaves it empty or half written.
        False when another process made the file first (then it is appended to as usual)."""
        tmp = _temporary(path)
        if journal:
            self._note({"op": "create", "path": self._name(path), "temporary": self._name(tmp)})
        fd = open_temporary(tmp, os.O_RDWR | os.O_CLOEXEC)  # locked: the lock is on the file, whatever its name
        try:
            try:
                _write_all(fd, payload)
                os.fsync(fd)
                if check:
                    check()
                os.link(tmp, path)
            except FileExistsError:
                if journal:  # another process made it: recovery must leave it. Noted before the temporary
                    self._note({"op": "lost", "path": self._name(path)})  # file that tells so goes
                raise
            finally:
                _unlink_quietly(tmp)  # with its lock held: no other writer's file of that name is taken
        except FileExistsError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._locked[path] = fd
        self._undo.append(lambda: _unlink_quietly(path))
        self._directories.add(path.parent)
        return True

    def replace(self, path: str | os.PathLike[str], records: Iterable[dict[str, Any]], *,
                keep_old: bool = True) -> Path | None:
        """Write ``records`` to a new file renamed over ``path``; the old file is kept as a
        ``.bak`` hard link beside it when ``keep_old``. A symbolic link stays a link: the file it
        points to is the one replaced. Returns the backup's path, if one was made."""
        return self._replace(Path(path), lambda out: out.writelines(map(encode_record, records)), keep_old=keep_old)

    def write_text(self, path: str | os.PathLike[str], text: str | bytes | Callable[[BinaryIO], object], *,
                   keep_old: bool = False, sync_directory: bool = True) -> Path | None:
        """Write ``text`` (UTF-8, bytes as they are, or what ``text(handle)`` writes, streaming) to a
        new file renamed over ``path``; see :meth:`replace`."""
        return self._replace(Path(path), _text_writer(text), keep_old=keep_old, sync_directory=sync_directory)

    def write_texts(self, items: Iterable[tuple[str | os.PathLike[str], str, bool]]) -> None:
        """Write many ``(path, text, keep_old)`` files as :meth:`write_text` does, noting them in the
        journal with one fsync and syncing their folders once at the end. The files are written and
        fsync'd side by side, a batch at a time, before any is renamed into place: the file system
        commits their fsyncs together instead of one after another."""
        files = [(Path(path), text, keep_old) for path, text, keep_old in items]
        entries = []
        for path, _, keep_old in files:
            if path.exists():
                backup = _backup_name(path) if keep_old else path.with_name(f".{path.name}.{os.getpid()}.old")
                entries.append({"op": "replace", "path": self._name(path), "backup": self._name(backup)})
            else:
                entries.append({"op": "create", "path": self._name(path)})
        self._note_many(entries)
        allow_open_files(len(entries) + SYNC_BATCH)  # the locks of the batch's temporaries and of the .old files
        planned = [(_resolved(path), text, keep_old, self._resolve(entry["backup"]) if "backup" in entry else None)
                   for (path, text, keep_old), entry in zip(files, entries, strict=True)]
        from concurrent.futures import ThreadPoolExecutor  # only here: most commands make no files side by side
        with ThreadPoolExecutor(max_workers=SYNC_THREADS) as pool:
            for start in range(0, len(planned), SYNC_BATCH):
                batch = [(path, _temporary(path), text.encode("utf-8"), keep_old, old)
                         for path, text, keep_old, old in planned[start:start + SYNC_BATCH]]
                locks = _write_files(pool, [(path, tmp, data) for path, tmp, data, _, _ in batch])
                try:
                    for path, tmp, _, keep_old, old in batch:
                        self._install(tmp, path, existed=old is not None, keep_old=keep_old, backup=old or path)
                except BaseException:
                    for _, tmp, _, _, _ in batch:
                        _unlink_quietly(tmp)  # those not yet renamed into place
                    raise
                finally:
                    for fd in locks:
                        os.close(fd)

    def move(self, path: str | os.PathLike[str], destination: str | os.PathLike[str]) -> None:
        """Give the file at ``path`` the new name ``destination``, in a folder made if needed. A file
        already at ``destination`` is never written over (:class:`FileExistsError`). Undone, also
        after a kill, by giving the file its old name back."""
        path, destination = Path(path), Path(destination)
        self._note({"op": "move", "path": self._name(path), "to": self._name(destination)})
        try:
            if not destination.parent.is_dir():
                destination.parent.mkdir()
                self._undo.append(lambda: _remove_if_empty(destination.parent))
            os.link(path, destination)  # a link, not a rename: rename would replace a file made there

            def undo() -> None:
                _move_back(destination, path)

            self._undo.append(undo)
            os.unlink(path)
        except FileExistsError:
            raise
        except OSError as error:
            raise storage_error(path, error) from None
        self._directories.update((path.parent, destination.parent))

    def create_text(self, path: str | os.PathLike[str], text: str | Callable[[BinaryIO], object]) -> None:
        """Write ``text`` (as :meth:`write_text`) to ``path``, which must not exist; a file made there
        meanwhile is never written over (:class:`FileExistsError`)."""
        path = Path(path)
        tmp = _temporary(path)
        self._note({"op": "create", "path": self._name(path), "temporary": self._name(tmp)})
        try:
            held = _write_file(tmp, _text_writer(text))
            try:
                os.link(tmp, path)
            except FileExistsError:
                self._note({"op": "lost", "path": self._name(path)})  # another process made it: recovery leaves it
                raise
            finally:
                os.unlink(tmp)
                os.close(held)
        except FileExistsError:
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        except OSError as error:
            raise storage_error(path, error) from None
        self._undo.append(lambda: _unlink_quietly(path))
        self._directories.add(path.parent)

    def checkpoint(self) -> None:
        """Make the writes so far survive a killed process: their journal is closed, so a later
        crash undoes only what comes after. An exception in this process still undoes them all."""
        try:
            self._sync_appended()
            for directory in self._directories:
                fsync_directory(directory)
            self._synced, self._directories = self._synced | self._directories, set()
            self._end_journal(strict=True)
        except OSError as error:
            raise storage_error(error.filename, error) from None

    def on_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once every write has succeeded (removing what was replaced; committing the work)."""
        self._commit.append(action)

    # -- internals --
    def _replace(self, path: Path, write: Callable[[BinaryIO], object], *, keep_old: bool,
                 sync_directory: bool = True) -> Path | None:
        path = _resolved(path)
        existed = path.exists()
        backup = _backup_name(path) if keep_old else path.with_name(f".{path.name}.{os.getpid()}.old")
        tmp = _temporary(path)
        if existed:
            self._note({"op": "replace", "path": self._name(path), "backup": self._name(backup)})
        else:
            self._note({"op": "create", "path": self._name(path)})
        try:
            held = _write_file(tmp, write)
        except OSError as error:
            raise storage_error(path, error) from None
        try:
            return self._install(tmp, path, existed=existed, keep_old=keep_old, backup=backup,
                                 sync_directory=sync_directory)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        finally:
            os.close(held)

    def _install(self, tmp: Path, path: Path, *, existed: bool, keep_old: bool, backup: Path,
                 sync_directory: bool = True) -> Path | None:
        """Rename the written and fsync'd ``tmp`` over ``path``, the old file kept as ``backup`` to
        put back on undo (and removed at the end unless ``keep_old``)."""
        try:
            if existed:
                self._link_backup(path, backup, held=not keep_old)
                self._undo.append(lambda: _restore(backup, path))
            else:
                self._undo.append(lambda: _unlink_quietly(path))
            os.replace(tmp, path)
        except OSError as error:
            raise storage_error(path, error) from None
        if existed and not keep_old:
            self._commit.append(lambda: _unlink_quietly(backup))
        if sync_directory:
            self._directories.add(path.parent)
        return backup if existed and keep_old else None

    def _link_backup(self, path: Path, backup: Path, *, held: bool) -> None:
        """Link the file at ``path`` as ``backup`` to put back on undo. A ``.NAME.PID.old`` one
        (``held``), removed at the end, is swept as a temporary file is, so its lock is held until
        then; the lock is the file's own, so one already held here (an append of this transaction)
        or by a session's append (waited for) is as good."""
        os.link(path, backup)
        if not held:
            return
        fd = open_for_lock(backup)
        self._held.append(fd)
        mine = self._locked.get(path)  # this transaction's lock on it, held on another descriptor
        if mine is None or not os.path.samestat(os.fstat(mine), os.fstat(fd)):
            hold(fd, at_most=10)  # an append of a session under way: waited for; never for ever
        if not os.path.samestat(os.fstat(fd), os.lstat(backup)):  # a sweep took it before the lock
            os.link(path, backup)

    def _name(self, path: Path) -> str:
        full = os.path.abspath(path)
        if self.root is not None:
            root = os.path.join(os.path.abspath(self.root), "")
            if full.startswith(root):
                return full[len(root):] or "."
        return full

    def _resolve(self, name: str) -> Path:
        return self.root / name if self.root is not None and not os.path.isabs(name) else Path(name)

    def _note(self, entry: dict[str, Any]) -> None:
        self._note_many([entry])

    def _note_many(self, entries: list[dict[str, Any]]) -> None:
        if self.journal is None or not entries:
            return
        try:
            if self._journal_fd is None:
                self._journal_fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
                fsync_directory(self.journal.parent)
            _write_all(self._journal_fd, b"".join(encode_record(entry) for entry in entries))
            os.fsync(self._journal_fd)
        except OSError as error:
            raise storage_error(self.journal, error) from None

    def _sync_appended(self) -> None:
        for fd, path in list(self._unsynced.items()):
            try:
                os.fsync(fd)
            except OSError as error:
                error.filename = str(path)  # the error of the append, as when it was fsync'd at once
                raise
            del self._unsynced[fd]

    def _finish(self) -> None:
        try:
            self._sync_appended()
            for directory in self._directories:
                fsync_directory(directory)
            with deferred():  # the change is made as its journal goes: a signal is noted, not raised (see on_commit)
                self._end_journal(strict=True)  # a journal left behind would undo this change at the next command
                for action in self._commit:
                    with contextlib.suppress(OSError):  # a leftover .old file is swept later; the change is made
                        action()
        except (OSError, KeyboardInterrupt) as error:  # Ctrl-C at the appends' deferred fsyncs too, as at their own
            self._roll_back()
            if isinstance(error, KeyboardInterrupt):
                raise
            raise storage_error(error.filename, error) from None

    def _roll_back(self) -> None:
        failures = []
        for undo in reversed(self._undo):
            try:
                undo()
            except OSError as error:
                failures.append(error)
        for directory in self._directories | self._synced:
            with contextlib.suppress(OSError):  # see _sync_if_possible
                fsync_directory(directory)
        if failures:
            # The journal stays, so the next command that takes the workspace lock finishes the job.
            if self._journal_fd is not None:
                os.close(self._journal_fd)
                self._journal_fd = None
            first = failures[0]
            kept = ("the journal is kept and the next command puts the files back" if self.journal is not None
                    else "the file may hold part of this command's writes")
            raise StorageError(f"could not undo a failed write ({first.strerror or first}); {kept}",
                               where=str(self.journal if self.journal is not None else first.filename or ""),
                               fix="fix the disk, then run `tagline validate`")
        self._end_journal()

    def _end_journal(self, *, strict: bool = False) -> None:
        if self.journal is None or self._journal_fd is None:
            return
        os.close(self._journal_fd)
        self._journal_fd, self._noted = None, set()
        try:
            os.unlink(self.journal)
            fsync_directory(self.journal.parent)
        except OSError:
            if strict:  # else after a roll back: a journal left undoes again only what is undone
                raise


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _write_file(path: Path, write: Callable[[BinaryIO], object]) -> int:
    """Write the new temporary file ``path`` through ``write(handle)`` and fsync it; removed again if
    anything fails. Returns its descriptor, which holds its lock: the caller closes it once the
    file is renamed or removed."""
    fd = open_temporary(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        with open(fd, "wb", closefd=False) as out:
            write(out)
            out.flush()
            os.fsync(fd)
    except BaseException:
        _unlink_quietly(path)
        os.close(fd)
        raise
    return fd


def _write_files(pool: ThreadPoolExecutor, files: list[tuple[Path, Path, bytes]]) -> list[int]:
    """Write each ``(path, tmp, data)``'s data to the new file ``tmp`` and fsync it, the files side
    by side in ``pool``'s threads; all or none: when one fails, every one is removed again and the
    error names its ``path``. Returns their locks (see :func:`_write_file`), for the caller to close."""
    from tagline.interrupts import check, deferred

    futures: list[Future[int]] = []
    locks: list[int] = []
    try:
        with deferred():  # a signal in submit() could leave the thread it starts out of shutdown()'s wait
            futures += [pool.submit(_write_file, tmp, _bytes_writer(data)) for _, tmp, data in files]
        check()
        for (path, _, _), future in zip(files, futures, strict=True):
            try:
                locks.append(future.result())
            except OSError as error:
                raise storage_error(path, error) from None
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # none is still writing when they are removed
        for _, tmp, _ in files:
            _unlink_quietly(tmp)
        for future in futures:  # the locks of those written, once they are removed
            if future.done() and not future.cancelled() and future.exception() is None:
                os.close(future.result())
        raise
    return locks


def _bytes_writer(data: bytes) -> Callable[[BinaryIO], object]:
    return lambda out: out.write(data)


def _text_writer(text: str | bytes | Callable[[BinaryIO], object]) -> Callable[[BinaryIO], object]:
    return text if callable(text) else _bytes_writer(text if isinstance(text, bytes) else text.encode("utf-8"))

