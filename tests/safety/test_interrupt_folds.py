"""Ctrl-C in a terminal while `annotate agree` or `adjudicate` folds answer files in worker processes:
one line and status 130, no worker left running, no temporary file left among the saved folds,
nothing in the workspace changed, and the next run gives what an uninterrupted run gives. A worker
killed outright (as the out-of-memory killer does) gives one `Error:` line and status 2, the rest the same."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fold_pause import COMMAND
from test_agree_columns import random_workspace

import tagline

from test_faults import snapshot

SAFETY_TESTS = Path(__file__).parent
ARGUMENTS = {"agree": ["annotate", "agree", "--json"], "adjudicate": ["annotate", "adjudicate", "--json"]}
STOPPED = {"agree": "Interrupted: annotate agree stopped; nothing was written",
           "adjudicate": "Interrupted: annotate adjudicate stopped; the gold is as it was"}


def environment(marks: Path | None = None, pause: str | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR", "FOLD_PAUSE")}
    env.update(PYTHONPATH=os.pathsep.join([str(Path(tagline.__file__).parents[1]), str(SAFETY_TESTS)]),
               TERM="xterm-256color")
    env.pop("TAGLINE_WORKSPACE", None)
    if pause is not None and marks is not None:
        env.update(FOLD_PAUSE=pause, FOLD_MARKS=str(marks))
    return env


def run(root: Path, command: str) -> str:
    """The command's output, run to its end (its workers fold for real), the workspace's path left out."""
    done = subprocess.run([sys.executable, "-c", COMMAND, *ARGUMENTS[command], "-w", str(root)], env=environment(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.replace(str(root), "WORKSPACE")


def paused_agree(root: Path, marks: Path) -> subprocess.Popen:
    """`agree` started in a session of its own, once two of its workers wait to rename their saved folds."""
    process = subprocess.Popen([sys.executable, "-c", COMMAND, *ARGUMENTS["agree"], "-w", str(root)],
                               env=environment(marks, "saving"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list(marks.iterdir())) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(list(marks.iterdir())) >= 2  # up to one worker per answer file
    return process


def interrupted(root: Path, marks: Path, command: str, pause: str,
                by: str = "ctrl-c") -> tuple[int | None, str, list[int]]:
    """Run the command in a pseudo-terminal, press Ctrl-C (or send the command SIGTERM or SIGHUP) once two
    workers have reached ``pause``; its status, what the terminal shows, and the workers' process ids."""
    import pexpect

    from terminal_screen import screen_lines

    child = pexpect.spawn(sys.executable, ["-c", COMMAND, *ARGUMENTS[command], "-w", str(root)],
                          env=environment(marks, pause), dimensions=(24, 110), encoding="utf-8", timeout=120)
    child.logfile_read = screen = io.StringIO()
    deadline = time.monotonic() + 120
    while len(list(marks.iterdir())) < 2 and child.isalive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(list(marks.iterdir())) >= 2, screen.getvalue()  # up to one worker per answer file
    if by == "sigterm":  # `kill PID`, `timeout`, a job scheduler: the command alone gets it
        child.kill(signal.SIGTERM)
    elif by == "sighup":  # its terminal closed: the workers have left the terminal's process group
        child.kill(signal.SIGHUP)
    else:
        child.sendintr()  # the terminal sends SIGINT to its foreground process group
    child.expect(pexpect.EOF)
    child.close()
    workers = [int(mark.name) for mark in marks.iterdir()]  # any that started after the signal too
    return child.exitstatus, "\n".join(line for line in screen_lines(screen.getvalue(), 110) if line), workers


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """A workspace of three annotators, and per command what a run to its end prints and leaves."""
    base = tmp_path_factory.mktemp("folds")
    source = random_workspace(base / "source", 5, 80, 400, n_annotators=3, unconfigured=False).root
    made: dict[str, tuple[str, dict[str, bytes]]] = {}

    def made_by(command: str) -> tuple[str, dict[str, bytes]]:
        if command not in made:
            root = Path(shutil.copytree(source, base / command))
            made[command] = run(root, command), snapshot(root)
        return made[command]

    return source, made_by


def _copied(source: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the workspace ``source`` to interrupt a command in, and an empty folder for the marks
    its workers leave."""
    marks = tmp_path / "marks"
    marks.mkdir()
    return Path(shutil.copytree(source, tmp_path / "ws")), marks


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("by", ["ctrl-c", "sigterm", "sighup"])
@pytest.mark.parametrize("pause", ["folding", "saving"])
@pytest.mark.parametrize("command", ["agree", "adjudicate"])
def test_ctrl_c_while_workers_fold_stops_cleanly_and_the_next_run_is_an_uninterrupted_one(tmp_path, uninterrupted,
                                                                                          command, pause, by):
    source, made_by = uninterrupted
    expected_output, expected_state = made_by(command)
    root, marks = _copied(source, tmp_path)
    before = snapshot(root)
    status, shown, workers = interrupted(root, marks, command, pause, by)
    assert (status, shown.replace("^C", "")) == ({"ctrl-c": 130, "sigterm": 143, "sighup": 129}[by], STOPPED[command]), shown
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "workers outlived the command"
    folds = root / "build" / "index" / "folds"
    assert not [path for path in folds.rglob("*") if path.is_file()] if folds.exists() else True, \
        sorted(folds.rglob("*"))
    assert snapshot(root) == before
    assert run(root, command) == expected_output
    assert snapshot(root) == expected_state


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_workers_end_when_the_command_is_killed_and_the_next_run_is_an_uninterrupted_one(tmp_path, uninterrupted):
    """kill -9 cannot be caught, so the command cannot stop its workers, which have left the terminal's
    process group: each must see that the command is gone and end, rather than wait for ever."""
    import signal

    source, made_by = uninterrupted
    expected_output, expected_state = made_by("agree")
    root, marks = _copied(source, tmp_path)
    command = paused_agree(root, marks)
    command.send_signal(signal.SIGKILL)
    command.wait()

    def running() -> list[int]:  # a worker that started just before the kill may mark itself after it
        return [pid for pid in (int(mark.name) for mark in marks.iterdir()) if Path(f"/proc/{pid}").exists()]

    deadline = time.monotonic() + 30
    while running() and time.monotonic() < deadline:
        time.sleep(0.05)
    left = running()
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "workers outlived the killed command"
    assert run(root, "agree") == expected_output
    assert snapshot(root) == expected_state
    # The temporary folds the killed workers left are swept by the next run's saves.
    assert not [path for path in (root / "build" / "index" / "folds").rglob(".*.tmp")]


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("command", ["agree", "adjudicate"])
def test_a_worker_killed_outright_ends_the_command_with_one_error_and_nothing_changed(tmp_path, uninterrupted,
                                                                                      command):
    source, made_by = uninterrupted
    expected_output, expected_state = made_by(command)
    root, marks = _copied(source, tmp_path)
    before = snapshot(root)
    process = subprocess.Popen([sys.executable, "-c", COMMAND, *ARGUMENTS[command], "-w", str(root)],
                               env=environment(marks, "folding"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 120
    while not list(marks.iterdir()) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(marks.iterdir()), process.communicate()
    victim = int(next(iter(marks.iterdir())).name)
    os.kill(victim, signal.SIGKILL)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("Error: "), err
    assert "worker process" in err and "ended abruptly" in err, err
    assert out == ""
    workers = [int(mark.name) for mark in marks.iterdir()]
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "workers outlived the command"
    assert snapshot(root) == before
    assert run(root, command) == expected_output
    assert snapshot(root) == expected_state
