"""Workers stopped in the middle of sending a result: a large result (a part of a large export, a
chunk of tokens) takes many writes into the pipe, and a worker terminated between two of them left
half a message that the pool's thread waited for the rest of for ever, so Ctrl-C hung the command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tagline

# Stops the work three times as the second result comes in, while the workers are sending the next
# ones (each is 40 MB, so sending takes most of their time); the timer ends a stop that hangs.
STOPPED = """
import faulthandler, sys, time
from tagline.corpus.workers import iter_in_workers

def large(number):
    return bytes(40_000_000)

if __name__ == "__main__":
    for _ in range(3):
        faulthandler.dump_traceback_later(30, exit=True)
        started = time.monotonic()
        try:
            for got, _ in enumerate(iter_in_workers(large, ((number,) for number in range(50)), 2, start=sys.argv[1])):
                if got == 1:
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            print(f"stopped in {time.monotonic() - started:.1f} s", flush=True)
"""


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_workers_stopped_while_they_send_large_results_end_without_hanging(tmp_path, start):
    script = tmp_path / "stopped.py"
    script.write_text(STOPPED, encoding="utf-8")
    env = {"PYTHONPATH": str(Path(tagline.__file__).parents[1]), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(script), start], capture_output=True, text=True, env=env, timeout=150)
    assert done.returncode == 0 and done.stdout.count("stopped in") == 3, done.stdout + done.stderr[-3000:]
