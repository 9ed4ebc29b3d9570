"""Ctrl-C, a failing disk and kill -9 where a command's appends are fsync'd together: at its
transaction's checkpoint or end (``Transaction._sync_appended``), the answers of ``label``, of
imports (appended after their checkpoint, not journalled) and of ``suggest --write`` among them.

An interrupted command reports it stopped (exit 130) and keeps nothing; a failing fsync is one
``Error:`` line naming the file, exit 2, nothing kept; a kill is undone by the next command as far
as the journal goes, and running the command again gives what one clean run gives."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
from pathlib import Path

import pytest

from tagline.corpus import transaction as transaction_module

from test_faults import (  # noqa: F401 (a fixture)
    BULK_CHUNK_RECORDS,
    COMMANDS,
    clean_run,
    fresh,
    invoke,
    make_template,
    small_bulk_chunks,
    snapshot,
)

DEFERRED_COMMANDS = {
    # bob's answer file is there already: the answer is appended, its fsync deferred to the end.
    "label bob": ["annotate", "label", "deepseek_ja-s0003", "-a", "bob", "--claim-type", "not_claim"],
    "import bob": ["annotate", "import", "carol.jsonl", "--format", "doccano", "-a", "bob"],
    **{name: COMMANDS[name] for name in ("import", "import --gold", "import label-studio", "import conll",
                                          "corpus add", "corpus add records", "adjudicate", "retire")},
    # A new machine annotator (its record journalled, its answers not), and one that answered before.
    # The builtin model's suggestions, made once and read back from a file: what --write stores does
    # not depend on the source (`write_machine_answers`), and a training per run would be most of
    # this file's time.
    "suggest --write": ["annotate", "suggest", "--source", "file:builtin.jsonl", "--task", "claim_type", "--write",
                        "--as", "model-new"],
    "suggest --write again": ["annotate", "suggest", "--source", "file:builtin.jsonl", "--task", "claim_type",
                              "--write", "--as", "model-old"],
}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = make_template(tmp_path_factory.mktemp("deferred") / "ws")
    made = invoke(root, ["annotate", "suggest", "--source", "builtin", "--task", "claim_type"])
    assert made.exit_code == 0 and made.stdout.count("\n") > 10, made.output
    (root / "builtin.jsonl").write_text(made.stdout, encoding="utf-8")
    assert invoke(root, DEFERRED_COMMANDS["suggest --write again"]).exit_code == 0
    return root


class DeferredSyncs:
    """Counts the deferred fsyncs that have files to sync, and makes the ``at``-th one fail
    (``action`` ``eio``/``enospc``), be interrupted (``interrupt``) or kill the process (``kill``),
    at its first fsync."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, at: int | None = None, action: str = "count"):
        self.calls, self.at, self.action = 0, at, action
        real = transaction_module.Transaction._sync_appended

        def sync(transaction: transaction_module.Transaction) -> None:
            if transaction._unsynced:
                self.calls += 1
                if self.calls == self.at:
                    self._strike(transaction)
            real(transaction)

        monkeypatch.setattr(transaction_module.Transaction, "_sync_appended", sync)

    def _strike(self, transaction: transaction_module.Transaction) -> None:
        if self.action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if self.action == "interrupt":
            raise KeyboardInterrupt
        code = errno.ENOSPC if self.action == "enospc" else errno.EIO
        _, path = next(iter(transaction._unsynced.items()))
        raise OSError(code, os.strerror(code), str(path))


def _clean(template: Path, tmp_path: Path, monkeypatch, command: str) -> tuple[int, dict[str, bytes]]:
    return clean_run(template, tmp_path, command, monkeypatch, counter=DeferredSyncs, commands=DEFERRED_COMMANDS)


@pytest.mark.parametrize("command", sorted(DEFERRED_COMMANDS))
def test_ctrl_c_or_a_failing_disk_at_a_deferred_fsync_keeps_nothing(template, tmp_path, monkeypatch, command):
    calls, _ = _clean(template, tmp_path, monkeypatch, command)
    if command in ("label bob", "import label-studio", "suggest --write again"):
        assert calls > 0  # these defer an fsync to the end: the case this file is about
    before = snapshot(template)
    for at in range(1, calls + 1):
        for action in ("interrupt", "eio", "enospc"):
            root = fresh(template, tmp_path / f"{at}-{action}")
            with monkeypatch.context() as patch:
                DeferredSyncs(patch, at=at, action=action)
                result = invoke(root, DEFERRED_COMMANDS[command])
            where = f"{command}: {action} at deferred fsync {at} of {calls}"
            assert "Traceback" not in result.output, (where, result.output)
            if action == "interrupt":
                assert result.exit_code == 130 and result.stderr.startswith("Interrupted: "), (where, result.output)
            else:
                errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
                assert result.exit_code == 2 and len(errors) == 1, (where, result.output)
                assert ".jsonl" in errors[0] and "nothing was saved" in errors[0], (where, errors[0])
            state = snapshot(root)
            assert ".tagline.journal" not in state, where
            assert state == before, (where, sorted(set(state.items()) ^ set(before.items())))


_KILLED = """
import os, signal, sys
from tagline.annotate.formats import label_studio_bulk
from tagline.annotate.interop import bulk_columns, bulk_records, bulk_tasks
from tagline.cli import main
from tagline.corpus.transaction import Transaction

for module in (bulk_records, bulk_columns, bulk_tasks):
    module.CHUNK_RECORDS = {chunk}
label_studio_bulk._BLOCK = 256
real, calls = Transaction._sync_appended, []

def sync(transaction):
    if transaction._unsynced:
        calls.append(1)
        if len(calls) == {at}:
            os.kill(os.getpid(), signal.SIGKILL)
    real(transaction)

Transaction._sync_appended = sync
main(sys.argv[1:])
"""


def _killed_at(root: Path, args: list[str], at: int) -> int:
    """Run the command in a new process that kills itself at its ``at``-th deferred fsync, with the chunks of :func:`small_bulk_chunks`."""
    import subprocess
    import sys

    import tagline

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(tagline.__file__).parents[1]),
                                                          os.environ.get("PYTHONPATH", "")])}
    script = _KILLED.format(chunk=BULK_CHUNK_RECORDS, at=at)
    # In a session of its own, whose other processes (workers a killed command might leave, which would
    # hold pipes open and live on) are ended with it; its output not through pipes.
    process = subprocess.Popen([sys.executable, "-c", script, *args], cwd=root, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        code = process.wait(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return -code if code < 0 else 0


def _distinct(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: b"\n".join(dict.fromkeys(data.split(b"\n"))) if name.endswith(".jsonl") else data
            for name, data in files.items()}


@pytest.mark.parametrize("command", sorted(DEFERRED_COMMANDS))
def test_kill_9_at_a_deferred_fsync_then_the_command_again_gives_one_clean_run(template, tmp_path, monkeypatch,
                                                                              command):
    calls, after = _clean(template, tmp_path, monkeypatch, command)
    for at in range(1, calls + 1):
        root = fresh(template, tmp_path / f"{at}")
        assert _killed_at(root, DEFERRED_COMMANDS[command], at) == signal.SIGKILL, at
        where = f"{command}: killed at deferred fsync {at} of {calls}"
        assert invoke(root, ["validate"]).exit_code == 0, where
        assert ".tagline.journal" not in snapshot(root), where
        result = invoke(root, DEFERRED_COMMANDS[command])
        assert result.exit_code == 0, (where, result.output)
        # Answers appended unjournalled before the kill stay; appended again, they say nothing new.
        state = _distinct(snapshot(root))
        assert state == _distinct(after), (where, [name for name in set(state) | set(after) if state.get(name) != after.get(name)])
