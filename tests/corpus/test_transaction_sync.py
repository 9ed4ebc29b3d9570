"""A transaction's appends, fsync'd together at its checkpoint or its end (each file noted in the
journal once, at its first size): every appended file is fsync'd before the journal that undoes
it goes and before the block returns; a deferred fsync that fails, or is interrupted, undoes the
block; a kill before it is undone from the journal (the unjournalled lines are kept whole)."""

from __future__ import annotations

import errno
import os
import signal
from pathlib import Path

import orjson
import pytest

from tagline.corpus import transaction as transaction_module
from tagline.corpus.recovery import recover
from tagline.corpus.transaction import Transaction
from tagline.errors import StorageError


def _inode(fd_or_path: int | Path) -> tuple[int, int]:
    stat = os.fstat(fd_or_path) if isinstance(fd_or_path, int) else os.stat(fd_or_path)
    return stat.st_dev, stat.st_ino


class Events:
    """The writes, fsyncs and unlinks made, in order: ("write" | "fsync", inode) and ("unlink", path)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, fail_fsync_of: Path | None = None,
                 error: BaseException | None = None):
        self.seen: list[tuple[str, object]] = []
        self.fail_fsync_of = fail_fsync_of
        self.error = error
        real_fsync, real_unlink, real_write = os.fsync, os.unlink, transaction_module._write_all

        def fsync(fd: int) -> None:
            if self.fail_fsync_of is not None and self.fail_fsync_of.exists() \
                    and _inode(fd) == _inode(self.fail_fsync_of):
                self.fail_fsync_of = None  # once: the undo's own fsync goes through
                assert self.error is not None
                raise self.error
            real_fsync(fd)
            self.seen.append(("fsync", _inode(fd)))

        def unlink(path: object, *args: object, **kwargs: object) -> None:
            self.seen.append(("unlink", Path(str(path))))
            real_unlink(path, *args, **kwargs)  # type: ignore[arg-type]

        def write_all(fd: int, data: bytes) -> None:
            real_write(fd, data)
            self.seen.append(("write", _inode(fd)))

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "unlink", unlink)
        monkeypatch.setattr(transaction_module, "_write_all", write_all)

    def index(self, event: tuple[str, object]) -> int:
        return self.seen.index(event)

    def last_write(self, path: Path) -> int:
        return max(i for i, event in enumerate(self.seen) if event == ("write", _inode(path)))

    def fsyncs_after(self, path: Path, start: int, end: int) -> int:
        return self.seen[start:end].count(("fsync", _inode(path)))


def _files(root: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(root.iterdir()) if path.is_file()}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name in ("a.jsonl", "b.jsonl", "c.jsonl"):
        (tmp_path / name).write_bytes(b'{"n":0}\n')
    return tmp_path


def test_each_appended_file_is_fsynced_once_after_its_last_append_and_before_the_journal_goes(root, monkeypatch):
    journal = root / "journal"
    events = Events(monkeypatch)
    with Transaction(journal, root=root) as transaction:
        transaction.append_bytes(root / "a.jsonl", b'{"n":1}\n')
        transaction.append_bytes(root / "b.jsonl", b'{"n":2}\n')
        transaction.append_bytes(root / "a.jsonl", b'{"n":3}\n')
        transaction.append_bytes(root / "c.jsonl", b'{"n":4}\n', journal=False)
        notes = [orjson.loads(line) for line in journal.read_bytes().splitlines()]
        appended = {_inode(root / name) for name in ("a.jsonl", "b.jsonl", "c.jsonl")}
        assert not [event for event in events.seen if event[0] == "fsync" and event[1] in appended]  # deferred
    returned = len(events.seen)
    gone = events.index(("unlink", journal))
    assert notes == [{"op": "append", "path": "a.jsonl", "size": 8}, {"op": "append", "path": "b.jsonl", "size": 8}]
    for name in ("a.jsonl", "b.jsonl", "c.jsonl"):
        assert events.fsyncs_after(root / name, events.last_write(root / name), gone) == 1, name
    assert events.fsyncs_after(root / "a.jsonl", 0, returned) == 1  # twice appended, fsync'd once
    assert (root / "a.jsonl").read_bytes() == b'{"n":0}\n{"n":1}\n{"n":3}\n'


def test_without_a_journal_the_appends_are_fsynced_before_the_block_returns(root, monkeypatch):
    """The terminal session's and `label`'s answers: ``append_records``, one transaction each."""
    from tagline.corpus.store import append_records

    events = Events(monkeypatch)
    append_records(root / "a.jsonl", [{"n": 1}, {"n": 2}])
    assert events.seen[-1] == ("fsync", _inode(root / "a.jsonl"))
    assert events.seen.count(("fsync", _inode(root / "a.jsonl"))) == 1


def test_a_checkpoint_fsyncs_the_appends_before_its_journal_goes_and_the_next_journal_notes_them_again(
        root, monkeypatch):
    journal = root / "journal"
    events = Events(monkeypatch)
    with Transaction(journal, root=root) as transaction:
        transaction.append_bytes(root / "a.jsonl", b'{"n":1}\n')
        transaction.append_bytes(root / "b.jsonl", b'{"n":2}\n')
        transaction.checkpoint()
        gone = events.index(("unlink", journal))
        for name in ("a.jsonl", "b.jsonl"):
            assert events.fsyncs_after(root / name, events.last_write(root / name), gone) == 1, name
        transaction.append_bytes(root / "a.jsonl", b'{"n":3}\n')
        assert [orjson.loads(line) for line in journal.read_bytes().splitlines()] == \
            [{"op": "append", "path": "a.jsonl", "size": 16}]
    assert events.fsyncs_after(root / "a.jsonl", events.last_write(root / "a.jsonl"), len(events.seen)) == 1


def _killed(work) -> None:
    """Run ``work()`` in a forked child that is killed (SIGKILL) when it returns."""
    pid = os.fork()
    if pid == 0:  # the child: no pytest clean-up may run here
        try:
            work()
        finally:
            os.kill(os.getpid(), signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def test_a_kill_before_the_deferred_fsyncs_is_undone_from_the_journal_the_unjournalled_lines_kept(root):
    """As an import: documents journalled, a checkpoint, answers not journalled (one file appended
    without the journal first, then with it), then killed where the appends would be fsync'd."""
    journal = root / "journal"

    def work() -> None:
        transaction = Transaction(journal, root=root)
        transaction.append_bytes(root / "a.jsonl", b'{"n":1}\n')
        transaction.append_bytes(root / "a.jsonl", b'{"n":2}\n')
        transaction.checkpoint()
        transaction.append_bytes(root / "b.jsonl", b'{"n":3}\n', journal=False)
        transaction.append_bytes(root / "b.jsonl", b'{"n":4}\n', journal=False)
        transaction.append_bytes(root / "a.jsonl", b'{"n":5}\n')
        transaction.append_bytes(root / "c.jsonl", b'{"n":6}\n', journal=False)
        transaction.append_bytes(root / "c.jsonl", b'{"n":7}\n')
        transaction.append_bytes(root / "c.jsonl", b'{"n":8}\n')
        transaction.append_bytes(root / "a.jsonl", b'{"n":9}\n')
        os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # the first deferred fsync
        transaction.__exit__(None, None, None)

    _killed(work)
    assert journal.exists()
    recover(journal, root)
    assert _files(root) == {"a.jsonl": b'{"n":0}\n{"n":1}\n{"n":2}\n', "b.jsonl": b'{"n":0}\n{"n":3}\n{"n":4}\n',
                            "c.jsonl": b'{"n":0}\n{"n":6}\n'}


@pytest.mark.parametrize("journalled", [True, False])
@pytest.mark.parametrize("at", ["end", "checkpoint"])
def test_a_failing_deferred_fsync_undoes_the_whole_block_and_names_the_file(root, monkeypatch, journalled, at):
    before = _files(root)
    journal = root / "journal" if journalled else None
    Events(monkeypatch, fail_fsync_of=root / "b.jsonl", error=OSError(errno.EIO, os.strerror(errno.EIO)))
    with pytest.raises(StorageError) as caught, Transaction(journal, root=root) as transaction:
        transaction.append_bytes(root / "a.jsonl", b'{"n":1}\n')
        transaction.append_bytes(root / "b.jsonl", b'{"n":2}\n', journal=journalled)
        transaction.append_bytes(root / "new.jsonl", b'{"n":3}\n')
        if at == "checkpoint":
            transaction.checkpoint()
            transaction.append_bytes(root / "c.jsonl", b'{"n":4}\n', journal=False)
    message = str(caught.value)
    assert "b.jsonl" in message and "Input/output error" in message and "nothing was saved" in message, message
    assert _files(root) == before  # the journal gone, the new file removed, every append cut back


@pytest.mark.parametrize("journalled", [True, False])
def test_ctrl_c_at_a_deferred_fsync_undoes_the_block(root, monkeypatch, journalled):
    """As a Ctrl-C at an append's own fsync did: an interrupted command keeps nothing of its block."""
    before = _files(root)
    journal = root / "journal" if journalled else None
    Events(monkeypatch, fail_fsync_of=root / "b.jsonl", error=KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt), Transaction(journal, root=root) as transaction:
        transaction.append_bytes(root / "a.jsonl", b'{"n":1}\n')
        transaction.append_bytes(root / "b.jsonl", b'{"n":2}\n', journal=False)
    assert _files(root) == before
