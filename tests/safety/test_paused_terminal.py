"""A command stopped by Ctrl-C while its terminal is paused (Ctrl-S, or nothing reading it): the
progress bar's first write was held there, and the Ctrl-C that cut it short ended the command with
rich's `IndexError` traceback and status 1 instead of one `Interrupted:` line and status 130."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pexpect


def blocked_writing(pid: int) -> bool:
    """Whether the process waits in a write to its terminal (Linux: its wait channel, which is the
    tty's own or the ``wait_woken`` it waits in)."""
    try:
        channel = Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False
    return "tty_write" in channel or channel == "wait_woken"


def test_ctrl_c_while_a_paused_terminal_holds_the_first_bar_ends_with_one_interrupted_line(sample_workspace,
                                                                                            tmp_path):
    env = {**os.environ, "TERM": "xterm-256color", "TAGLINE_PROGRESS_DELAY": "0"}
    out = tmp_path / "gold.json"
    child = pexpect.spawn(sys.executable, ["-m", "tagline", "annotate", "export", "--format", "spacy", "--gold",
                                           "-o", str(out)], cwd=str(sample_workspace.root), env=env,
                          dimensions=(24, 80), encoding="utf-8", timeout=30,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    child.send("\x13")  # Ctrl-S: the terminal takes no more output
    deadline = time.monotonic() + 20
    while not blocked_writing(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert blocked_writing(child.pid), "the export did not draw its bar"
    child.sendintr()  # Ctrl-C also lets the terminal take output again
    child.expect(pexpect.EOF)
    child.close()
    shown = child.before
    assert "Interrupted: annotate export stopped; nothing was written" in shown, shown
    assert "Traceback" not in shown and child.exitstatus == 130
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))
