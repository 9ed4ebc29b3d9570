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


# Three long calls, one per worker; the worker started last is killed outright once all three have
# begun (three times over). The executor woke its thread before it started that worker, so the thread watched only
# the first two and the command waited for their calls to end (two minutes here) to see the death.
KILLED = """
import faulthandler, os, signal, sys, time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from tagline.corpus.workers import WorkerPool

def long_call(marks, number):
    Path(marks, str(number)).write_text(str(os.getpid()))
    time.sleep(120)

if __name__ == "__main__":
    for round in range(3):  # the race is lost more often than not: three times
        marks = Path(sys.argv[1], str(round))
        marks.mkdir()
        faulthandler.dump_traceback_later(20, exit=True)
        with WorkerPool(3) as pool:
            futures = [pool.submit(long_call, str(marks), number) for number in range(3)]
            while len(list(marks.iterdir())) < 3:
                time.sleep(0.01)
            started = time.monotonic()
            os.kill(list(pool.executor._processes)[-1], signal.SIGKILL)  # the worker started last
            try:
                for future in futures:
                    future.result()
            except BrokenProcessPool:
                print(f"seen in {time.monotonic() - started:.1f} s", flush=True)
"""


def test_a_worker_killed_outright_is_seen_at_once_whichever_it_was(tmp_path):
    script = tmp_path / "killed.py"
    script.write_text(KILLED, encoding="utf-8")
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {"PYTHONPATH": str(Path(tagline.__file__).parents[1]), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(script), str(marks)], capture_output=True, text=True, env=env,
                          timeout=150)
    assert done.returncode == 0 and done.stdout.count("seen in") == 3, done.stdout + done.stderr[-3000:]
    assert max(float(line.split()[2]) for line in done.stdout.splitlines()) < 10, done.stdout
