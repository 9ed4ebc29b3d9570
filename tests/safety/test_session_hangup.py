"""The terminal of an annotation session closed under it (its window, an ssh connection dropped): the
answers given are kept and the session ends as SIGHUP ends other commands, with status 129 and one
``Interrupted:`` line where stderr can still be written, not an ``Input/output error``."""

from __future__ import annotations

import os
import shlex
import signal
import sys
import time

import pexpect
import pytest

from tagline.corpus.store import read_records

# The terminal's controlling process when the session is not (a shell that started it): it ignores the
# SIGHUP of the closed terminal, so the session gets none and sees only its reads fail (EIO), as it does
# when it reads before the shell passes the signal on. It writes the session's status to a file.
LEADER = """
import signal, subprocess, sys
signal.signal(signal.SIGHUP, signal.SIG_IGN)
session = subprocess.Popen(sys.argv[2:], preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))
open(sys.argv[1], "w").write(str(session.wait()))
"""


def spawn(workspace, stderr=None, status=None):
    """The session of alice on a pseudo-terminal, its stderr to the file ``stderr`` if given; started
    by :data:`LEADER`, writing its status to the file ``status``, if that is given."""
    env = {**os.environ, "TERM": "xterm-256color", "TAGLINE_WORKSPACE": str(workspace.root)}
    command = [sys.executable, "-m", "tagline", "annotate", "--annotator", "alice"]
    if stderr is not None:  # exec: the session is still the terminal's controlling process
        command = ["/bin/sh", "-c", f"exec {shlex.join(command)} 2>{shlex.quote(str(stderr))}"]
    if status is not None:
        command = [sys.executable, "-c", LEADER, str(status), *command]
    return pexpect.spawn(command[0], command[1:], cwd=str(workspace.root), env=env, dimensions=(24, 80),
                         encoding="utf-8", timeout=20)


def answer_one(child) -> None:
    child.expect_exact("(1/77)")
    child.send("f")
    child.expect_exact("stance toward US AI policy")  # the first answer is on disk


def hang_up(child) -> int:
    """Close the terminal under the session (the master side of its pty, as a terminal window that
    is closed does); the session's exit status."""
    os.close(child.child_fd)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pid, status = os.waitpid(child.pid, os.WNOHANG)
        if pid:
            assert not os.WIFSIGNALED(status), f"killed by signal {os.WTERMSIG(status)}"
            return os.WEXITSTATUS(status)
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    raise AssertionError("the session did not end when its terminal was closed")


def session_status(child, status) -> int:
    """Close the terminal under a session :data:`LEADER` started; the session's exit status."""
    assert hang_up(child) == 0
    return int(status.read_text())


def answers(workspace) -> list[dict]:
    return list(read_records(workspace.annotation_path("alice")))


def test_closing_the_terminal_keeps_the_answers_and_ends_with_the_status_of_sighup(sample_workspace):
    child = spawn(sample_workspace)
    answer_one(child)
    assert hang_up(child) == 128 + signal.SIGHUP
    assert [(event["task"], event["value"]) for event in answers(sample_workspace)] == [
        ("stance", {"target": "DeepSeek", "label": "FAVOR"})]


def test_closing_the_terminal_says_interrupted_on_a_stderr_that_is_still_writable(sample_workspace, tmp_path):
    stderr = tmp_path / "stderr.txt"
    child = spawn(sample_workspace, stderr)
    answer_one(child)
    assert hang_up(child) == 128 + signal.SIGHUP
    lines = stderr.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and lines[0].startswith("Interrupted: annotate stopped"), lines
    assert "Error" not in stderr.read_text(encoding="utf-8")
    assert len(answers(sample_workspace)) == 1


def test_sighup_to_a_session_keeps_the_answers_and_ends_with_status_129(sample_workspace, tmp_path):
    stderr = tmp_path / "stderr.txt"
    child = spawn(sample_workspace, stderr)
    answer_one(child)
    child.kill(signal.SIGHUP)
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus is None and child.exitstatus == 128 + signal.SIGHUP
    assert stderr.read_text(encoding="utf-8").startswith("Interrupted: annotate stopped")
    assert len(answers(sample_workspace)) == 1


def test_a_read_that_fails_as_the_terminal_is_closed_ends_the_session_as_sighup_does(sample_workspace, tmp_path):
    status, stderr = tmp_path / "status", tmp_path / "stderr.txt"
    child = spawn(sample_workspace, stderr, status)
    answer_one(child)
    assert session_status(child, status) == 128 + signal.SIGHUP
    text = stderr.read_text(encoding="utf-8")
    assert text.startswith("Interrupted: annotate stopped") and text.count("\n") == 1, text
    assert len(answers(sample_workspace)) == 1


def test_a_failed_read_with_stderr_on_the_closed_terminal_too_ends_quietly_with_129(sample_workspace, tmp_path):
    status = tmp_path / "status"
    child = spawn(sample_workspace, status=status)
    answer_one(child)
    assert session_status(child, status) == 128 + signal.SIGHUP
    assert len(answers(sample_workspace)) == 1


@pytest.mark.parametrize("pending", ["あ".encode()[:1], b"\x1b[1;"], ids=["half a character", "half an arrow key"])
def test_a_terminal_closed_in_the_middle_of_a_key_ends_the_read_as_a_hang_up(pending):
    """The rest of a multi-byte character (Japanese input) or of an escape sequence never comes:
    the read ends as a hang-up rather than waiting for it for ever, or failing on its absence."""
    import pty
    import threading

    from tagline.annotate.terminal import Terminal
    from tagline.errors import Interrupted

    primary, secondary = pty.openpty()
    outcome: list[BaseException] = []

    def read(terminal) -> None:
        try:
            terminal.read_key(lambda: None)
        except BaseException as error:  # noqa: BLE001 - what ended the read is the outcome
            outcome.append(error)

    try:
        with open(secondary, "w", closefd=False) as output, Terminal(input_fd=secondary, output=output) as terminal:
            os.write(primary, pending)
            time.sleep(0.1)  # read as far as it goes before the terminal is gone
            os.close(primary)
            reader = threading.Thread(target=read, args=(terminal,), daemon=True)
            reader.start()
            reader.join(10)
            assert not reader.is_alive(), "the read waits for the rest of the key for ever"
    finally:
        os.close(secondary)
    assert len(outcome) == 1 and isinstance(outcome[0], Interrupted) and outcome[0].exit_code == 129, outcome


def test_closing_the_terminal_of_an_adjudication_ends_it_with_status_129(sample_answers_only):
    from test_agree_adjudicate import _adjudication_screen

    _, child = _adjudication_screen(sample_answers_only)
    assert hang_up(child) == 128 + signal.SIGHUP
    assert not sample_answers_only.gold_path.exists() or not list(read_records(sample_answers_only.gold_path))
