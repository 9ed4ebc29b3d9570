"""A command that opens the builtin suggester, killed outright (kill -9, the out-of-memory killer) while
its workers train: none of the processes it started outlives it (the fork server, the two workers and
Python's resource tracker). A forkserver worker's parent is the fork server, not the command, and it
held the fork server's "alive" pipe and both ends of its call queue, so nothing ever ended them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tagline

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def descendants(pid: int) -> set[int]:
    """Every process under ``pid`` (children, their children and so on) still there."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for task in _tasks(todo.pop()):
            try:
                new = {int(child) for child in (task / "children").read_text().split()} - found
            except (FileNotFoundError, ProcessLookupError):
                continue
            found |= new
            todo.extend(new)
    return found


def _tasks(pid: int) -> list[Path]:
    try:
        return list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return []


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` not ended (a zombie has ended: it waits only to be reaped)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if state not in ("Z", "X"):
            running.add(pid)
    return running


def test_a_command_killed_outright_leaves_no_builtin_suggester_process(sample_workspace, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("TAGLINE_")}
    env["PYTHONPATH"] = str(Path(tagline.__file__).parents[1])
    # Files, not pipes: a process left behind would hold a pipe open, and the test would wait on it.
    with open(tmp_path / "out", "wb") as out, open(tmp_path / "err", "wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "tagline", "annotate", "suggest", "--source", "builtin",
                                    "-w", str(sample_workspace.root)], stdout=out, stderr=err, env=env)
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            started = descendants(process.pid)
            if len(started) >= 4:  # the resource tracker, the fork server and its two workers
                break
            time.sleep(0.02)
        assert process.poll() is None and len(started) >= 4, (started, (tmp_path / "err").read_text())
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while alive(started) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(started), "processes outlived the command"
    finally:  # nothing left running by a failed test
        if process.poll() is None:
            started |= descendants(process.pid)
            process.kill()
            process.wait()
        for pid in alive(started):
            os.kill(pid, signal.SIGKILL)
