"""Worker processes end with the process that started them, even one killed with SIGKILL, which
gives it no chance to stop them: none is left waiting forever for a call (holding the files it
inherited)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

# The workers sleep in their calls; the process prints their ids once they have all started.
_POOL = """
import os, sys, time
from tagline.corpus import workers

if __name__ == "__main__":
    start = sys.argv[1]
    calls = [(60,)] * 4
    if start == "fork":
        results = workers.iter_in_workers(time.sleep, calls, 2, start="fork")
    else:
        results = iter(workers.map_in_workers(time.sleep, calls, 2))
    next(results, None)
"""


def _workers_of(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except FileNotFoundError:
            pass
    return {child for child in found if b"resource_tracker" not in _cmdline(child)}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return b"resource_tracker"  # ended: not one to wait for


def _alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_workers_end_when_the_process_that_started_them_is_killed(tmp_path, start):
    import tagline

    script = tmp_path / "pool.py"
    script.write_text(_POOL)
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
    command = subprocess.Popen([sys.executable, str(script), start], env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    found: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(found) < 2 and time.monotonic() < deadline:
            found = _workers_of(command.pid)
            time.sleep(0.05)
        assert len(found) == 2, command.stderr
        time.sleep(1)  # the workers past their start, each sleeping in its call
        command.kill()
        command.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(map(_alive, found)) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = {pid for pid in found if _alive(pid)}
    finally:
        if command.poll() is None:
            command.kill()
        for pid in found:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)  # this test's own workers, so that a failure leaves none
    assert left == set()
