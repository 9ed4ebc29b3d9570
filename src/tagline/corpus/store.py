"""Crash-safe JSONL files: locked, fsync'd whole-line appends that are all or nothing; streaming,
checked reads that survive torn lines; and transactions that put several files back as they were
when a write fails, is interrupted, or the process is killed."""

from __future__ import annotations

import errno
import fcntl
import os
import re
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import orjson

from tagline.errors import DataError, StorageError, storage_error

TORN_SUFFIX = ".torn"
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


def encode_record(record: dict) -> bytes:
    """Serialise one record as a compact UTF-8 JSON line (with the newline)."""
    return orjson.dumps(record) + b"\n"


# ----- appending ----------------------------------------------------------------------------
def append_records(path: str | os.PathLike, records: Iterable[dict]) -> int:
    """Append ``records`` to the JSONL file at ``path``, all or nothing, durably.

    All lines are written with one exclusive ``flock`` held, flushed and fsync'd before returning,
    so concurrent writers never interleave and a crash loses at most this call's lines. A torn
    tail left by an earlier crash is moved aside to ``<path>.torn`` first, so the new lines never
    merge with it. If the write fails (a full disk, an I/O error), the file is cut back to its
    size before the call and :class:`~tagline.errors.StorageError` names it.

    Returns
    -------
    int
        The number of records written.
    """
    payload = b"".join(encode_record(record) for record in records)
    if not payload:
        return 0
    with Transaction() as transaction:
        transaction.append_bytes(path, payload)
    return payload.count(b"\n")


def _open_locked(path: Path) -> int:
    """Open ``path`` for appending (created if needed) with an exclusive ``flock`` held.

    A file replaced by a rename while we waited for the lock is opened again, so the lines never
    go to the old, unlinked copy.
    """
    while True:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


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
    tail_start = last_line_start(fd, size)
    fragment = os.pread(fd, size - tail_start, tail_start)
    if _is_json(fragment):
        _write_all(fd, b"\n")
        return
    aside = {
        "file": path.name,
        "byte_offset": tail_start,
        "found": utc_now(),
        "text": fragment.decode("utf-8", errors="replace"),
    }
    aside_fd = os.open(str(path) + TORN_SUFFIX, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _write_all(aside_fd, encode_record(aside))
        os.fsync(aside_fd)
    finally:
        os.close(aside_fd)
    os.ftruncate(fd, tail_start)
    os.fsync(fd)


def _is_json(data: bytes) -> bool:
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


def complete_size(path: str | os.PathLike) -> tuple[int, bool]:
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
        if not tail.strip() or _is_json(tail):
            return size, False
        return tail_start, True
    finally:
        os.close(fd)


# ----- reading ------------------------------------------------------------------------------
def iter_lines(
    path: str | os.PathLike, *, problems: list[LineProblem] | None = None, kind: str | None = None,
) -> Iterator[tuple[int, dict]]:
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
    if kind is None:
        decode: Callable[[bytes], object] = orjson.loads
    else:
        from functools import partial

        from tagline.schemas.records import decode_record

        decode = partial(decode_record, kind)
    with open(path, "rb") as lines:
        for line_number, line in enumerate(lines, 1):
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
                if not line.endswith(b"\n") and not _is_json(line):
                    _torn(path, line_number, problems)
                    return
                _bad_line(path, line_number, _record_message(kind, error, line), problems)
                continue
            if type(record) is not dict:
                _bad_line(path, line_number, f"expected a JSON object, found {type(record).__name__}", problems)
                continue
            yield line_number, record


def _torn(path, line_number: int, problems: list[LineProblem] | None) -> None:
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
             "gold": "gold record", "orphan": "orphaned sentence"}
    if not _is_json(line):
        return f"not valid JSON ({error})"
    if not line.lstrip().startswith(b"{"):
        return f"expected a JSON object, found {type(orjson.loads(line)).__name__}"
    return f"not a valid {names.get(kind or '', 'record')}: {error}"


def _bad_line(path, line_number: int, message: str, problems: list[LineProblem] | None) -> None:
    if problems is None:
        raise DataError(message, where=f"{path}:{line_number}",
                        fix="fix or remove that line (`tagline validate` lists every problem); nothing was changed")
    problems.append(LineProblem(str(path), line_number, message))


def read_records(path: str | os.PathLike, *, problems: list[LineProblem] | None = None,
                 kind: str | None = None) -> Iterator[dict]:
    """Yield the records of a JSONL file, streaming; see :func:`iter_lines` for checks and errors."""
    for _, record in iter_lines(path, problems=problems, kind=kind):
        yield record


# ----- transactions -------------------------------------------------------------------------
class Transaction:
    """Writes to one or several files that take effect together.

    Every write is durable when it returns (fsync'd). When the block ends with an exception, a
    full disk or Ctrl-C among them, every file is put back as it was: appends are cut back to the
    size the file had, replaced and overwritten files get their old content back, new files are
    removed. Appended files stay locked until the end, so no other process appends after our lines
    in the meantime.

    With a ``journal`` path, what to undo is written there (and fsync'd) before each write, and
    removed when the block ends well: a process killed in the middle leaves the journal, and
    :func:`recover` puts the files back from it. Only files that are written under the workspace
    lock alone may be journalled; annotation files, which the terminal session appends to without
    it, are not (see ``docs/architecture.md``).
    """

    def __init__(self, journal: str | os.PathLike | None = None, *, root: str | os.PathLike | None = None):
        self.journal = Path(journal) if journal is not None else None
        self.root = Path(root) if root is not None else None
        self._undo: list[Callable[[], None]] = []
        self._commit: list[Callable[[], None]] = []
        self._locked: dict[Path, int] = {}
        self._directories: set[Path] = set()
        self._journal_fd: int | None = None

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            if exc_type is None:
                self._finish()
            else:
                self._roll_back()
        finally:
            for fd in self._locked.values():
                os.close(fd)
            self._locked.clear()

    # -- the writes --
    def append(self, path: str | os.PathLike, records: Iterable[dict], *, journal: bool = True) -> int:
        """Append ``records`` as JSON lines; returns how many."""
        payload = b"".join(encode_record(record) for record in records)
        if payload:
            self.append_bytes(path, payload, journal=journal)
        return payload.count(b"\n")

    def append_bytes(self, path: str | os.PathLike, payload: bytes, *, journal: bool = True) -> None:
        path = Path(path)
        try:
            fd = self._locked.get(path)
            if fd is None and not os.path.lexists(path) and self._create_whole(path, payload, journal=journal):
                return
            if fd is None:
                fd = _open_locked(path)
                self._locked[path] = fd
                _set_aside_torn_tail(fd, path)
            size = os.fstat(fd).st_size
            if journal:
                self._note({"op": "append", "path": self._name(path), "size": size})
            self._undo.append(lambda: _cut_back(fd, size))
            _write_all(fd, payload)
            os.fsync(fd)
        except OSError as error:
            raise storage_error(path, error) from None

    def _create_whole(self, path: Path, payload: bytes, *, journal: bool) -> bool:
        """Make a new file holding ``payload`` whole: written and fsync'd under a temporary name with
        the lock taken, then linked into place, so a crash never leaves it empty or half written.
        False when another process made the file first (then it is appended to as usual)."""
        if journal:
            self._note({"op": "create", "path": self._name(path)})
        tmp = _temporary(path)
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # the lock is on the file itself, whatever its name
            _write_all(fd, payload)
            os.fsync(fd)
            os.link(tmp, path)
        except FileExistsError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        finally:
            _unlink_quietly(tmp)
        self._locked[path] = fd
        self._undo.append(lambda: _unlink_quietly(path))
        self._directories.add(path.parent)
        return True

    def replace(self, path: str | os.PathLike, records: Iterable[dict], *, keep_old: bool = True) -> Path | None:
        """Write ``records`` to a new file renamed over ``path``; the old file is kept as a
        ``.bak`` hard link beside it when ``keep_old``. A symbolic link stays a link: the file it
        points to is the one replaced. Returns the backup's path, if one was made."""
        return self._replace(Path(path), lambda out: _write_records(out, records), keep_old=keep_old)

    def write_text(self, path: str | os.PathLike, text: str, *, keep_old: bool = False,
                   sync_directory: bool = True) -> Path | None:
        """Write ``text`` (UTF-8) to a new file renamed over ``path``; see :meth:`replace`."""
        return self._replace(Path(path), lambda out: out.write(text.encode("utf-8")), keep_old=keep_old,
                             sync_directory=sync_directory)

    def write_texts(self, items: Iterable[tuple[str | os.PathLike, str, bool]]) -> None:
        """Write many ``(path, text, keep_old)`` files as :meth:`write_text` does, noting them in the
        journal with one fsync, and syncing their folders once at the end."""
        files = [(Path(path), text, keep_old) for path, text, keep_old in items]
        entries = []
        for path, _, keep_old in files:
            if path.exists():
                backup = _backup_name(path) if keep_old else path.with_name(f".{path.name}.{os.getpid()}.old")
                entries.append({"op": "replace", "path": self._name(path), "backup": self._name(backup)})
            else:
                entries.append({"op": "create", "path": self._name(path)})
        self._note_many(entries)
        for (path, text, keep_old), entry in zip(files, entries, strict=True):
            self._replace(path, lambda out, text=text: out.write(text.encode("utf-8")), keep_old=keep_old,
                          backup=self._resolve(entry["backup"]) if "backup" in entry else None, noted=True)

    def create_text(self, path: str | os.PathLike, text: str) -> None:
        """Write ``text`` to ``path``, which must not exist; a file made there meanwhile is never
        written over (:class:`FileExistsError`)."""
        path = Path(path)
        tmp = _temporary(path)
        self._note({"op": "create", "path": self._name(path)})
        try:
            _write_file(tmp, lambda out: out.write(text.encode("utf-8")))
            try:
                os.link(tmp, path)
            finally:
                os.unlink(tmp)
        except FileExistsError:
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        except OSError as error:
            raise storage_error(path, error) from None
        self._undo.append(lambda: _unlink_quietly(path))
        self._directories.add(path.parent)

    def checkpoint(self) -> None:
        """Make the writes so far survive a killed process: their journal is closed, so a later
        crash undoes only what comes after. An exception in this process still undoes them all."""
        for directory in self._directories:
            try:
                fsync_directory(directory)
            except OSError as error:
                raise storage_error(directory, error) from None
        self._end_journal()

    def on_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once every write has succeeded (for example, removing what was replaced)."""
        self._commit.append(action)

    # -- internals --
    def _replace(self, path: Path, write: Callable, *, keep_old: bool, sync_directory: bool = True,
                 backup: Path | None = None, noted: bool = False) -> Path | None:
        path = Path(os.path.realpath(path)) if path.is_symlink() else path
        existed = path.exists()
        if backup is None:
            backup = _backup_name(path) if keep_old else path.with_name(f".{path.name}.{os.getpid()}.old")
        tmp = _temporary(path)
        if noted:
            pass
        elif existed:
            self._note({"op": "replace", "path": self._name(path), "backup": self._name(backup)})
        else:
            self._note({"op": "create", "path": self._name(path)})
        try:
            _write_file(tmp, write)
            if existed:
                os.link(path, backup)
                self._undo.append(lambda: _restore(backup, path))
            else:
                self._undo.append(lambda: _unlink_quietly(path))
            os.replace(tmp, path)
        except OSError as error:
            _unlink_quietly(tmp)
            raise storage_error(path, error) from None
        except BaseException:
            _unlink_quietly(tmp)
            raise
        if existed and not keep_old:
            self._commit.append(lambda: _unlink_quietly(backup))
        if sync_directory:
            self._directories.add(path.parent)
        return backup if existed and keep_old else None

    def _name(self, path: Path) -> str:
        if self.root is not None:
            try:
                return str(Path(os.path.abspath(path)).relative_to(os.path.abspath(self.root)))
            except ValueError:
                pass
        return str(os.path.abspath(path))

    def _resolve(self, name: str) -> Path:
        return self.root / name if self.root is not None and not os.path.isabs(name) else Path(name)

    def _note(self, entry: dict) -> None:
        self._note_many([entry])

    def _note_many(self, entries: list[dict]) -> None:
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

    def _finish(self) -> None:
        try:
            for directory in self._directories:
                fsync_directory(directory)
        except OSError as error:
            self._roll_back()
            raise storage_error(directory, error) from None
        self._end_journal()
        for action in self._commit:
            try:
                action()
            except OSError:
                pass  # a leftover .old file is swept later; the change itself is complete

    def _roll_back(self) -> None:
        failures = []
        for undo in reversed(self._undo):
            try:
                undo()
            except OSError as error:
                failures.append(error)
        for directory in self._directories:
            try:
                fsync_directory(directory)
            except OSError:
                pass  # see _sync_if_possible
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

    def _end_journal(self) -> None:
        if self.journal is None or self._journal_fd is None:
            return
        os.close(self._journal_fd)
        self._journal_fd = None
        try:
            os.unlink(self.journal)
            fsync_directory(self.journal.parent)
        except OSError:
            pass  # a journal of completed writes undoes nothing that a later write depends on: see recover()


def recover(journal: str | os.PathLike, root: str | os.PathLike) -> list[str]:
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
    for directory in {(root / entry["path"]).parent for entry in entries}:
        if directory.is_dir():
            fsync_directory(directory)
    os.unlink(journal)
    fsync_directory(journal.parent)
    return done


def _cut_back(fd: int, size: int) -> None:
    if os.fstat(fd).st_size > size:
        os.ftruncate(fd, size)
        _sync_if_possible(fd)


def _sync_if_possible(fd: int) -> None:
    """fsync after an undo. Once the undo is made, every reader sees the file as it was; if the disk
    cannot sync now (the error that caused the undo), there is nothing better to do than go on."""
    try:
        os.fsync(fd)
    except OSError:
        pass


def _restore(backup: Path, path: Path) -> None:
    if path.exists() and os.path.samefile(backup, path):
        os.unlink(backup)  # the replacement never happened: only the backup link is extra
    else:
        os.replace(backup, path)


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _backup_name(path: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    backup = path.with_name(f"{path.name}.{stamp}.bak")
    counter = 1
    while backup.exists():
        counter += 1
        backup = path.with_name(f"{path.name}.{stamp}-{counter}.bak")
    return backup


def _write_records(out, records: Iterable[dict]) -> None:
    for record in records:
        out.write(encode_record(record))


def _write_file(path: Path, write: Callable) -> None:
    """Write a new file through ``write(handle)`` and fsync it; removed again if anything fails."""
    try:
        with open(path, "xb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        _unlink_quietly(path)
        raise


def sweep_temporaries(directory: str | os.PathLike) -> list[Path]:
    """Remove the ``.NAME.PID.tmp`` and ``.NAME.PID.old`` files that processes no longer running left
    in ``directory`` (a write killed between its temporary file and the rename)."""
    removed: list[Path] = []
    try:
        names = [entry.name for entry in os.scandir(os.fspath(directory)) if str(entry.name).startswith(".")]
    except OSError:
        return removed
    for name in names:
        match = _TEMPORARY.fullmatch(str(name))
        if match and not process_runs(int(match.group(1))):
            try:
                os.unlink(Path(directory) / name)
            except OSError:
                continue  # gone already, or a read-only folder: it does no harm where it is
            removed.append(Path(directory) / name)
    return removed


def process_runs(pid: int) -> bool:
    """Whether a process with this id exists (it may belong to another user)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ----- whole files --------------------------------------------------------------------------
def replace_file(path: str | os.PathLike, records: Iterable[dict], *, keep_old: bool = True) -> Path | None:
    """Write ``records`` to a new file and rename it over ``path`` atomically.

    The old file is kept (hard-linked as ``<path>.<UTC timestamp>.bak``) when ``keep_old`` is true,
    so a migration never loses what was there. Returns the backup's path, if one was made.
    """
    with Transaction() as transaction:
        return transaction.replace(path, records, keep_old=keep_old)


def write_text_atomic(path: str | os.PathLike, text: str, *, sync_directory: bool = True,
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


def fsync_directory(directory: str | os.PathLike) -> None:
    """fsync a directory so that a new or renamed entry in it survives a power cut."""
    fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno != errno.EINVAL:  # some file systems cannot sync a directory; nothing to do there
            raise
    finally:
        os.close(fd)


def utc_now() -> str:
    """The current UTC time as ISO 8601 with microseconds and a ``Z`` suffix."""
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
