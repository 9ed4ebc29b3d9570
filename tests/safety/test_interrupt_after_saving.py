"""Ctrl-C once a command's work is saved (documents added, answers imported or recorded, gold written,
an export in place), as it prints its report (out of its interrupt guard): the command does not say it was
stopped, which would leave the user believing nothing was saved, but `Interrupted after saving: ...`,
status 130; what it saved stays, and running it again finds it done. (A signal while it writes:
test_import_signals.py.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_import_signals import doccano_file, text_file

import tagline

from conftest import paused_command
from test_faults import snapshot

# The command, paused at the first line of its report it says once its work is saved.
PAUSED = """
import os, sys, time
from pathlib import Path
marks = Path(sys.argv.pop(1))
from tagline.cli import output
from tagline.interrupts import work_saved
say = output.say

def paused(message):
    if work_saved() and not list(marks.iterdir()):
        (marks / "saying").write_text(message)
        os.rename(marks / "saying", marks / str(os.getpid()))
        time.sleep(600)
    say(message)

output.say = paused
from tagline.cli import main
sys.argv[0] = "tagline"
main()
"""

COMMANDS = {  # what runs, and what the run after it says (the work found done)
    "corpus add": (lambda tmp: ["corpus", "add", str(text_file(tmp / "days.txt"))], "unchanged days"),
    "annotate import": (lambda tmp: ["annotate", "import", str(doccano_file(tmp / "people.jsonl")), "--format",
                                     "doccano", "--annotator", "dave"], "answers: none new"),
    "annotate adjudicate": (lambda tmp: ["annotate", "adjudicate"], "gold written automatically: 0"),
    "annotate label": (lambda tmp: ["annotate", "label", "deepseek_ja-s0053", "-a", "bob", "--claim-type",
                                    "other_claim"], "recorded 1 answer"),
    "annotate export": (lambda tmp: ["annotate", "export", "--format", "doccano", "--gold", "--out",
                                     str(tmp / "gold.jsonl")], "exists"),
}


def workspace(tmp_path: Path, command: str) -> Path:
    """An English workspace to add to or import into; the sample's answers without their gold to
    adjudicate; the sample to export."""
    from tagline.corpus.workspace import init_workspace

    if command in ("annotate export", "annotate label"):
        return init_workspace(tmp_path / "ws", sample=True).root
    if command != "annotate adjudicate":
        return init_workspace(tmp_path / "ws", language="en").root
    sample = init_workspace(tmp_path / "ws", sample=True)
    sample.gold_path.unlink()
    return sample.root


@pytest.mark.parametrize("command", COMMANDS)
def test_ctrl_c_as_a_command_reports_its_saved_work_says_it_was_saved(tmp_path, command):
    root = workspace(tmp_path, command)
    make_arguments, again_says = COMMANDS[command]
    arguments = make_arguments(tmp_path)
    before = snapshot(root)
    marks = tmp_path / "marks"
    marks.mkdir()
    process, _ = paused_command(PAUSED, marks, arguments, root)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.splitlines()[-1:] == [f"Interrupted after saving: {command} had finished its work, which is "
                                        "saved; only its report was cut short"], stderr
    assert "Traceback" not in stderr and "stopped" not in stderr, stderr
    if command == "annotate export":
        assert (tmp_path / "gold.jsonl").stat().st_size > 0 and snapshot(root) == before  # written
    else:
        assert snapshot(root) != before  # saved
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
    again = subprocess.run([sys.executable, "-m", "tagline", *arguments], cwd=root, env=env, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == (2 if command == "annotate export" else 0), again.stderr  # (kept without --force)
    assert again_says in again.stderr, again.stderr
