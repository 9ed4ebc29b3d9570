"""A killed transaction's journal is used before any temporary file is swept, and under the lock.

What a recovery puts back from and decides by lies in the workspace's own folders as temporary
files of a dead writer (their lock free): a replace's ``.NAME.PID.old`` backup, and the temporary
file a ``create`` entry names, which tells a file another process made first from the
transaction's own. A sweep that took them first (as opening a workspace did, before it recovered
and without the workspace lock) left a change half made, or removed another process's file as the
killed transaction's. Each test kills a writer (kill -9, in a forked child) where that matters.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tagline.corpus.workspace import find_workspace

from test_faults import Faults, snapshot


def _killed(work) -> int:
    """Run ``work()`` in a forked child (killed by it, or ended as by kill -9: no clean-up); return
    the signal that ended it, 0 if none."""
    pid = os.fork()
    if pid == 0:  # the child: no pytest clean-up may run here
        try:
            work()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0


def _config_and_gold(root: Path) -> None:
    """One change in two files: the configuration written anew (its old file linked aside as a
    ``.old`` backup in the workspace folder, removed at the end) and a gold record appended."""
    workspace = find_workspace(root)
    config = workspace.config_path.read_text(encoding="utf-8")
    with workspace.transaction() as transaction:
        transaction.append(workspace.gold_path, [{"note": "appended with the new configuration"}])
        transaction.write_text(workspace.config_path, config + "\n# changed\n")


def test_a_kill_at_any_write_of_a_replace_with_a_backup_is_undone_whole(sample_workspace, tmp_path, monkeypatch):
    import shutil

    template = sample_workspace.root
    before = snapshot(template)
    with monkeypatch.context() as patch:
        faults = Faults(patch)
        clean = Path(shutil.copytree(template, tmp_path / "clean", symlinks=True))
        _config_and_gold(clean)
    after = snapshot(clean)
    assert after != before and faults.calls > 3
    backups = 0
    for at in range(1, faults.calls + 1):
        root = Path(shutil.copytree(template, tmp_path / f"killed-{at}", symlinks=True))

        def work(root=root, at=at):
            Faults(pytest.MonkeyPatch(), at=at, action="kill")
            _config_and_gold(root)

        assert _killed(work) in (signal.SIGKILL, 0), at  # 0: its last writes are made once per process
        backups += any(name.endswith(".old") for name in os.listdir(root))
        find_workspace(root)  # opening it recovers
        state = snapshot(root)
        assert not [name for name in state if name.endswith((".tmp", ".old")) or ".tagline.journal" in name], \
            (at, sorted(state))
        assert state in (before, after), \
            (f"killed at write call {at} of {faults.calls}", [name for name in state if state[name] != before.get(name)])
    assert backups > 0, "no kill left the backup for the recovery to put back"


def _raced_create(root: Path, *, kill: str) -> None:
    """A transaction's append makes a new file in the workspace folder; another process makes that
    file first, just before the link. Killed at that link (``kill="at link"``) or at the journal's
    next write, the note that the file is not the transaction's (``"at note"``)."""
    from tagline.corpus import transaction as transaction_module

    workspace = find_workspace(root)
    target = workspace.root / "orphaned.jsonl"
    real_link, real_write = os.link, transaction_module._write_all
    armed = []

    def link(source, destination, *args, **kwargs):
        if Path(destination) == target and not os.path.lexists(target):
            target.write_bytes(b'{"theirs":1}\n')  # the other process's file
            if kill == "at link":
                os.kill(os.getpid(), signal.SIGKILL)
            armed.append(True)
        return real_link(source, destination, *args, **kwargs)

    def write_all(fd, data):
        if armed:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_write(fd, data)

    os.link, transaction_module._write_all = link, write_all
    with workspace.transaction() as transaction:
        transaction.append(target, [{"mine": 1}])


@pytest.mark.parametrize("kill", ["at link", "at note"])
def test_a_file_another_process_made_first_survives_the_recovery_of_the_killed_transaction(sample_workspace, kill):
    root = sample_workspace.root
    target = root / "orphaned.jsonl"
    assert not target.exists()
    assert _killed(lambda: _raced_create(root, kill=kill)) == signal.SIGKILL
    assert (root / ".tagline.journal").exists()
    find_workspace(root)  # opening it recovers
    assert not (root / ".tagline.journal").exists()
    assert target.read_bytes() == b'{"theirs":1}\n', "the other process's file was removed as the transaction's"
    assert not [name for name in os.listdir(root) if name.endswith(".tmp")]


def test_opening_a_workspace_sweeps_nothing_while_another_command_holds_its_lock(sample_workspace):
    """That command recovered when it took the lock; a dead writer's temporary file waits for the
    next command that takes it, rather than go before a recovery under way could use it."""
    import fcntl

    root = sample_workspace.root
    left = root / f".sentences.jsonl.{os.getpid()}.old"
    left.write_bytes(b"what a killed writer left")
    fd = os.open(sample_workspace.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        find_workspace(root)
        assert left.exists()
    finally:
        os.close(fd)
    find_workspace(root)
    assert not left.exists()
