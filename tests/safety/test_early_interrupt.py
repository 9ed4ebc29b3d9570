"""Ctrl-C as a command starts, before it reaches the work it guards (here while it finds its
workspace): one `Interrupted:` line and status 130, as Ctrl-C anywhere later, not click's `Aborted!`
and status 1, which scripts take for a failure; nothing is written."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tagline.corpus.workspace import init_workspace

from conftest import paused_command
from test_faults import snapshot

# The command, paused as it looks for its workspace.
PAUSED = """
import os, sys, time
from pathlib import Path
from tagline.corpus import workspace
marks = Path(sys.argv.pop(1))
find_workspace = workspace.find_workspace

def paused(*arguments, **options):
    (marks / "finding").write_text("")
    os.rename(marks / "finding", marks / str(os.getpid()))
    time.sleep(600)
    return find_workspace(*arguments, **options)

workspace.find_workspace = paused
from tagline.cli import main
sys.argv[0] = "tagline"
main()
"""


@pytest.mark.parametrize("arguments", [["annotate", "agree"], ["corpus", "list"], ["eval", "runs"]],
                         ids=lambda arguments: " ".join(arguments))
def test_ctrl_c_before_the_guarded_work_is_one_interrupted_line_and_130(tmp_path, arguments):
    root = init_workspace(tmp_path / "ws", sample=True).root
    before = snapshot(root)
    marks = tmp_path / "marks"
    marks.mkdir()
    process, _ = paused_command(PAUSED, marks, arguments, root)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr.splitlines()) == (130, [f"Interrupted: {' '.join(arguments)} stopped"]), stderr
    assert snapshot(Path(root)) == before
