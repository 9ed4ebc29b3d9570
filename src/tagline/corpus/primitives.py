"""The small pieces the store and its transactions share: a record as a JSON line, where a file's
last line starts, a folder or a file system made durable, a write's temporary file, and the time
stamp every record carries."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import os
import stat
from collections.abc import Callable, Iterator
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


def lock(fd: int, *, wait: bool = True) -> bool:
    """Take the exclusive ``flock`` on the open file ``fd``: the one lock the store uses, on answer
    files while appending to them and on temporary files while they exist. Without ``wait``,
    False at once when another open file holds it. Held until the descriptor is closed."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


# What flock raises where the file system cannot lock the file: NFS emulates flock with byte-range
# locks, which take a descriptor open for writing (EBADF on a directory or a read-only descriptor), and
# a mount without locks (nolock) has none (ENOLCK).
_CANNOT_LOCK = frozenset({errno.EBADF, errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL})


def hold(fd: int, *, at_most: float | None = None) -> None:
    """:func:`lock` the temporary file or staging folder ``fd`` for its writer, waiting (``at_most`` that
    many seconds, then going on without it), where the file system can lock it. Where it cannot, it
    goes unlocked: a sweep cannot take its lock either, so it leaves it (the file may then be left
    for good, never taken from a running writer)."""
    import time

    deadline = None if at_most is None else time.monotonic() + at_most
    try:
        while not lock(fd, wait=deadline is None) and time.monotonic() < (deadline or 0):
            time.sleep(0.01)
    except OSError as error:
        if error.errno not in _CANNOT_LOCK:
            raise


def open_for_lock(path: str | os.PathLike[str], flags: int = 0) -> int:
    """Open ``path`` (never through a link) to take its lock: for writing where allowed, as NFS's locks
    need, else for reading (a folder, another user's file)."""
    flags |= os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        return os.open(path, os.O_RDWR | flags)
    except (IsADirectoryError, PermissionError):
        return os.open(path, os.O_RDONLY | flags)


def held_as_named(fd: int, path: str | os.PathLike[str], take: Callable[[int], object], *,
                  follow_links: bool = False) -> bool:
    """Whether, once ``take(fd)`` has locked the open file ``fd`` (waiting if need be), ``path`` still
    names that file. If it does not (removed or replaced while the lock was waited for), ``fd`` is
    closed, for the caller to open the file again; on any other failure it is closed and the error
    raised. ``follow_links``: ``path`` may be a link to the file (an append), else it is the file."""
    try:
        take(fd)
        if os.path.samestat(os.fstat(fd), os.stat(path) if follow_links else os.lstat(path)):
            return True
    except FileNotFoundError:
        pass
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return False


def open_temporary(path: str | os.PathLike[str], flags: int) -> int:
    """Make the temporary file ``path`` of a write (``.NAME.PID.tmp``), never through a link planted
    there, with its :func:`lock` held for as long as the descriptor is open: the writer keeps it open
    until the file is renamed or removed, so that the lock, not the process id in its name, says the
    file is a running writer's (a process id means nothing to another container, or after a
    reboot). One already there whose lock is free was left by a killed process: it is removed. One
    whose lock is held is a running writer's, in a process that has the same id in another pid
    namespace: :class:`OSError` (``EBUSY``) naming it, rather than its file taken from under it."""
    while True:
        if os.path.lexists(path) and not remove_if_abandoned(path):
            raise OSError(errno.EBUSY, "another running process is writing this file (its temporary file "
                                       f"{os.path.basename(path)} is locked)", os.fspath(path))
        try:
            fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue  # made there meanwhile: looked at again
        # Waits only for a sweeper that opened the new file before it was locked; if the sweeper
        # removed it, it is made again.
        if held_as_named(fd, path, hold):
            return fd


def remove_if_abandoned(path: str | os.PathLike[str], *, only_empty: bool = False) -> bool:
    """Remove the temporary file (or staging folder) ``path`` if no running process holds its
    :func:`lock`, without waiting; whether it is gone. The lock is taken before the file is removed and
    the name checked to be that file still, so a writer that makes the file again meanwhile keeps
    its own. A link (planted, or left) is removed as it is: it is no writer's. ``only_empty``: a
    folder is removed only if it is empty (a reserved name that was never filled)."""
    try:
        fd = open_for_lock(path)
    except FileNotFoundError:
        return True
    except OSError as error:
        if error.errno != errno.ELOOP:
            return False  # unreadable: it does no harm where it is
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return True
    try:
        if not lock(fd, wait=False):
            return False
        if not os.path.samestat(os.fstat(fd), os.lstat(path)):
            return False  # another file has the name now (another writer's): not the one whose lock was free
        if stat.S_ISDIR(os.fstat(fd).st_mode) and only_empty:
            os.rmdir(path)  # (refused if it holds anything)
        elif stat.S_ISDIR(os.fstat(fd).st_mode):
            import shutil

            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


@contextlib.contextmanager
def temporary_file(path: str | os.PathLike[str]) -> Iterator[int]:
    """:func:`open_temporary` for writing, as a block: the descriptor (holding the lock) is closed at
    its end, after the caller renamed the file into place; when the block fails, the file is removed
    first."""
    fd = open_temporary(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        yield fd
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    finally:
        os.close(fd)


def write_at(fd: int, data: bytes, at: int, *, where: str | os.PathLike[str]) -> None:
    """Write all of ``data`` into the open file ``fd`` at offset ``at`` (``os.pwrite``, which may write
    less than asked); an error (a full disk) is the :class:`~tagline.errors.StorageError` of ``where``,
    which names the file for the user (an unnamed temporary file: its folder)."""
    done = 0
    try:
        while done < len(data):
            done += os.pwrite(fd, memoryview(data)[done:], at + done)
    except OSError as error:
        from tagline.errors import storage_error

        raise storage_error(where, error) from None


def make_locked_folder(path: str | os.PathLike[str]) -> int:
    """Make the staging folder ``path`` (which must not exist) with its :func:`lock` held, as
    :func:`open_temporary` makes a file: the descriptor returned holds it until the caller, having
    renamed or removed the folder, closes it; a sweep removes the folder only once it is free."""
    while True:
        os.mkdir(path)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue  # swept (its lock free) before it was opened: made again
        if held_as_named(fd, path, hold):
            return fd


def allow_open_files(count: int) -> None:
    """Raise this process's limit of open files (the soft one, up to the hard one) so that ``count``
    more can be open at once: a write of many files holds a lock, so a descriptor, on each of its
    temporary and ``.old`` files until it ends, and the usual soft limit is 1,024."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = len(os.listdir("/proc/self/fd")) + count + 64 if os.path.isdir("/proc/self/fd") else soft + count
    if soft != resource.RLIM_INFINITY and wanted > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard),
                                                        hard))


TORN_SUFFIX = ".torn"


def set_aside_torn_tail(fd: int, path: str | os.PathLike[str], write_all: Callable[[int, bytes], object]) -> None:
    """If the file does not end with a newline, deal with its last, unterminated line (written
    with ``write_all``: the transaction's, which the fault tests count).

    A complete JSON record that only lacks its newline (a hand-edited file) gets the newline. An
    incomplete one is copied to ``<path>.torn`` (fsync'd) and then cut off, so it is kept aside
    rather than lost, and no complete record is ever touched.
    """
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    tail_start = last_line_start(fd, size)
    fragment = os.pread(fd, size - tail_start, tail_start)
    if is_json(fragment):
        write_all(fd, b"\n")
        return
    aside = {"file": os.path.basename(path), "byte_offset": tail_start, "found": utc_now(),
             "text": fragment.decode("utf-8", errors="replace")}
    aside_fd = os.open(str(path) + TORN_SUFFIX, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        write_all(aside_fd, encode_record(aside))
        os.fsync(aside_fd)
    finally:
        os.close(aside_fd)
    os.ftruncate(fd, tail_start)
    os.fsync(fd)
