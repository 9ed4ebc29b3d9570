"""A signal the moment a command's transaction has made its change (its journal removed), before the
command noted its work saved: the command must not say it was stopped and that nothing was saved while
everything is (the user would believe the import undone). Either it goes on as its work is done (the
signal is past its point of no return), or it says `Interrupted after saving`; what it says matches
what is in the workspace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_import_signals import doccano_file, label_studio_file, text_file

import tagline
from tagline.corpus.workspace import init_workspace

from test_faults import snapshot

# SIGINT sent to the command by itself: once its transaction's end has removed its journal ("journal"),
# or once that end has returned ("finish").
SIGNALLED = """
import os, signal, sys
from tagline.corpus import transaction
where = sys.argv.pop(1)
end_journal, finish = transaction.Transaction._end_journal, transaction.Transaction._finish

finishing = []

def ended(self, *, strict=False):
    end_journal(self, strict=strict)
    if strict and finishing and where == "journal":  # (not at a checkpoint, which ends a journal too)
        os.kill(os.getpid(), signal.SIGINT)

def finished(self):
    finishing.append(self)
    finish(self)
    if where == "finish":
        os.kill(os.getpid(), signal.SIGINT)

transaction.Transaction._end_journal, transaction.Transaction._finish = ended, finished
from tagline.cli import main
sys.argv[0] = "tagline"
main()
"""

COMMANDS = {
    "import": lambda tmp: ["annotate", "import", str(doccano_file(tmp / "people.jsonl")), "--format", "doccano",
                           "--annotator", "dave"],
    "label-studio import": lambda tmp: ["annotate", "import", str(label_studio_file(tmp / "tasks.json")),
                                        "--format", "label-studio"],
    "corpus add": lambda tmp: ["corpus", "add", str(text_file(tmp / "days.txt"))],
}


@pytest.mark.parametrize("where", ["journal", "finish"])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_signal_as_the_transaction_ends_is_not_reported_as_having_stopped_the_work(tmp_path, command, where):
    root = init_workspace(tmp_path / "ws", language="en").root
    arguments = COMMANDS[command](tmp_path)
    before = snapshot(root)
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", SIGNALLED, where, *arguments], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    assert snapshot(root) != before, done.stderr  # the change was made: the journal was gone
    assert "nothing was" not in done.stderr and "stopped" not in done.stderr, done.stderr
    if done.returncode:
        assert done.returncode == 130, done.stderr
        assert "Interrupted after saving" in done.stderr, done.stderr
    again = subprocess.run([sys.executable, "-m", "tagline", *arguments], cwd=root, env=env, capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "0 new documents" in again.stderr or "unchanged days" in again.stderr, again.stderr


@pytest.mark.parametrize("where", ["journal", "finish"])
def test_a_signal_as_an_export_is_put_in_place_is_not_reported_as_having_stopped_it(tmp_path, where):
    root = init_workspace(tmp_path / "ws", sample=True).root
    out = tmp_path / "gold.jsonl"
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", SIGNALLED, where, "annotate", "export", "--format", "doccano", "--gold",
                           "--out", str(out)], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    assert out.stat().st_size > 0, done.stderr  # in place
    assert "nothing was" not in done.stderr and "stopped" not in done.stderr, done.stderr
    assert done.returncode == 0 or "Interrupted after saving" in done.stderr, done.stderr
