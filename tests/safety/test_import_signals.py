"""An import or a `corpus add` stopped while its transaction writes: Ctrl-C, SIGTERM or SIGHUP undo
what it wrote and end with one `Interrupted:` line and 128 + the signal's number, rather than click's
`Aborted!` (status 1) or a process killed outright; the same command run again is whole."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import tagline
from tagline.corpus.workspace import init_workspace

from conftest import paused_command
from test_faults import snapshot

# The command, paused once its transaction has appended to the first file it appends to.
PAUSED = """
import os, sys, time
from pathlib import Path
from tagline.corpus.transaction import Transaction
marks = Path(sys.argv.pop(1))
append_bytes = Transaction.append_bytes

def paused(self, path, payload, **options):
    offset = append_bytes(self, path, payload, **options)
    (marks / "written").write_text(str(path))
    os.rename(marks / "written", marks / str(os.getpid()))
    time.sleep(600)
    return offset

Transaction.append_bytes = paused
# A Label Studio file, however small, read in parts of a few tasks by two worker processes (marked).
from tagline.annotate.interop import bulk_tasks
from tagline.annotate.formats import label_studio_parts
from tagline.corpus import workers
bulk_tasks.WORKER_BYTES, bulk_tasks.CHUNK_RECORDS = 0, 5
label_studio_parts.PART_BYTES, label_studio_parts.FIRST_PART_BYTES = 600, 200
# A CoNLL file, however small, read in two worker processes (marked).
from tagline.annotate.formats import conll_halves
conll_halves.WORKER_BYTES = 0
iter_in_workers = workers.iter_in_workers

def watched(*arguments, **options):
    (marks / "worker").write_text("")
    return iter_in_workers(*arguments, **options)

workers.iter_in_workers = watched
from tagline.cli import main
sys.argv[0] = "tagline"
main()
"""

# The same, for an import whose chunks (ten records each) have their answer lines made in a forked
# worker however few they are: the worker is stopped with the command.
PAUSED_ASIDE = PAUSED.replace("from tagline.cli import main", """from tagline.annotate.interop import bulk
bulk.CHUNK_LINES, bulk.ASIDE_RECORDS = 10, 1
from tagline.cli import main""")


def doccano_file(path: Path) -> Path:
    records = [{"text": f"Alice met Bob in Paris on day {number}.", "label": [[0, 5, "PERSON"], [17, 22, "GPE"]]}
               for number in range(40)]
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def label_studio_file(path: Path) -> Path:
    tasks = [{"id": number, "data": {"text": f"Alice met Bob in Paris on day {number}."},
              "annotations": [{"completed_by": {"email": "erin@example.com"}, "result": [
                  {"type": "labels", "value": {"start": 0, "end": 5, "text": "Alice", "labels": ["PERSON"]}},
                  {"type": "labels", "value": {"start": 17, "end": 22, "labels": ["GPE"]}}]}]}
             for number in range(1, 41)]
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    return path


def conll_file(path: Path) -> Path:
    path.write_text("".join(f"Alice B-PERSON\nmet O\nBob B-PERSON\non O\nday O\n{number} O\n\n" for number in range(40)),
                    encoding="utf-8")
    return path


def text_file(path: Path) -> Path:
    path.write_text("".join(f"Alice met Bob in Paris on day {number}. They talked.\n\n" for number in range(40)),
                    encoding="utf-8")
    return path


COMMANDS = {  # what runs, what it says when stopped, and what the run after it says
    "import": (lambda tmp: ["annotate", "import", str(doccano_file(tmp / "people.jsonl")), "--format", "doccano",
                            "--annotator", "dave"], "annotate import stopped; nothing was imported",
               ["40 new documents", "40 by dave"]),
    "label-studio import": (lambda tmp: ["annotate", "import", str(label_studio_file(tmp / "tasks.json")), "--format",
                                         "label-studio"], "annotate import stopped; nothing was imported",
                            ["40 new documents", "40 by erin_example.com"]),
    "import, answer lines made aside": (lambda tmp: ["annotate", "import", str(doccano_file(tmp / "people.jsonl")),
                                                     "--format", "doccano", "--annotator", "dave"],
                                        "annotate import stopped; nothing was imported",
                                        ["40 new documents", "40 by dave"]),
    "conll import, read in halves, answer lines made aside": (
        lambda tmp: ["annotate", "import", str(conll_file(tmp / "days.conll")), "--format", "conll", "--annotator",
                     "dave"], "annotate import stopped; nothing was imported", ["40 new documents", "40 by dave"]),
    "corpus add": (lambda tmp: ["corpus", "add", str(text_file(tmp / "days.txt"))],
                   "corpus add stopped; nothing was added", ["added days: 80 sentences"]),
}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["sigint", "sigterm", "sighup"])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_signal_while_the_command_writes_undoes_it_and_says_so_in_one_line(tmp_path, command, signum):
    root = init_workspace(tmp_path / "ws", language="en").root
    make_arguments, stopped, said = COMMANDS[command]
    arguments = make_arguments(tmp_path)
    before = snapshot(root)
    marks = tmp_path / "marks"
    marks.mkdir()
    process, _ = paused_command(PAUSED_ASIDE if command.endswith("made aside") else PAUSED, marks, arguments, root)
    assert snapshot(root) != before  # it has written
    # (Its file read in a worker, or in two.)
    assert (marks / "worker").exists() == (command == "label-studio import" or command.startswith("conll"))
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, stderr
    assert stderr.splitlines()[-1:] == [f"Interrupted: {stopped}"], stderr
    # Nor a traceback before or after it: the worker's generator is closed as the command stops, not
    # when it is collected (a raise there is printed as "Exception ignored"), nor at the interpreter's
    # exit (when the pool's pipes are closed already).
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert snapshot(root) == before
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
    again = subprocess.run([sys.executable, "-m", "tagline", *arguments], cwd=root, env=env, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert all(text in again.stderr for text in said), again.stderr


# A Label Studio import read by its worker, paused as it checks the chunk the worker sent:
# the signal comes in the generator that takes the worker's chunks, not in the writing.
PAUSED_CHECKING = """
import os, sys, time
from pathlib import Path
marks = Path(sys.argv.pop(1))
from tagline.annotate.interop import bulk_tasks
from tagline.annotate.formats import label_studio_parts
bulk_tasks.WORKER_BYTES, bulk_tasks.CHUNK_RECORDS = 0, 5
label_studio_parts.PART_BYTES, label_studio_parts.FIRST_PART_BYTES = 600, 200
made, seen = bulk_tasks._made, []

def paused(*arguments):
    seen.append(1)
    if len(seen) == 1:
        (marks / "checking").write_text("")
        os.rename(marks / "checking", marks / str(os.getpid()))
        time.sleep(600)
    return made(*arguments)

bulk_tasks._made = paused
from tagline.cli import main
sys.argv[0] = "tagline"
main()
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_a_signal_as_a_label_studio_import_checks_a_chunk_stops_its_worker_with_no_traceback(tmp_path, signum):
    """The reading worker's generators are closed as the command stops, not when they are collected
    (where stopping the worker raised the interruption again, printed as "Exception ignored" with a
    traceback) nor at the interpreter's exit (where the pool's pipes were closed: a Bad file descriptor)."""
    root = init_workspace(tmp_path / "ws", language="en").root
    arguments = ["annotate", "import", str(label_studio_file(tmp_path / "tasks.json")), "--format", "label-studio"]
    before = snapshot(root)
    marks = tmp_path / "marks"
    marks.mkdir()
    process, _ = paused_command(PAUSED_CHECKING, marks, arguments, root)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, stderr
    assert stderr.splitlines() == ["Interrupted: annotate import stopped; nothing was imported"], stderr
    assert snapshot(root) == before
