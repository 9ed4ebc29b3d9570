"""A large export's parts made in forked workers: the same bytes as made in turn (documents apart,
orphaned answers and all), the workers really used and none left behind; and the pool's forked
workers themselves: results in order, a closure run, failures raised, SIGTERM able to stop them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tagline.annotate.events import make_event
from tagline.corpus import workers
from tagline.corpus.store import append_records

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forks, and reads /proc")

FORKED = ["prodigy", "spacy"]


def children(pid: int | str = "self") -> set[int]:
    """The processes that process ``pid`` started and that were not waited for, forked ones too (which
    run their parent's command), but for Python's resource tracker, which lives as long as its
    interpreter."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except FileNotFoundError:
            pass  # a thread that ended since the folder was listed
    return {child for child in found if not _resource_tracker(child)}


def _resource_tracker(pid: int) -> bool:
    try:
        return b"multiprocessing.resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:  # ended and waited for meanwhile
        return True


# An export in turn and then in forked workers, in a fresh interpreter: one that runs no other thread
# (a library this test session loaded may have started some, and a process that runs any does not fork).
_EXPORTS = """
import json, os, sys
from tagline.annotate.formats import common, parts
from tagline.annotate.interop import export
from tagline.corpus import workers
from tagline.corpus.workspace import Workspace
from test_export_workers import children

started = []
made_in_workers = workers.iter_in_workers

def spy(function, arguments, count, *, start="spawn"):
    started.append([count, start])
    return made_in_workers(function, arguments, count, start=start)

os.fsync = lambda fd: None
workers.iter_in_workers, workers.cores, common.CHUNK = spy, lambda: 2, 2
workspace, options = Workspace(sys.argv[1]), json.loads(sys.argv[2])
in_turn = export(workspace, **options)
in_turn_started = list(started)
parts.PARALLEL_EXPORT_MIN_ANSWERED = 0
before = children()
forked = export(workspace, **options)
json.dump({"in_turn": in_turn, "forked": forked, "in_turn_started": in_turn_started, "started": started,
           "workers_left": sorted(children() - before)}, sys.stdout)
"""


def _in_turn_and_forked(workspace, **options) -> tuple[dict, dict]:
    tests = Path(__file__).resolve().parents[1]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tests / "annotate"), *sys.path])}
    done = subprocess.run([sys.executable, "-c", _EXPORTS, str(workspace.root), json.dumps(options)],
                          capture_output=True, text=True, env=environment, check=True)
    result = json.loads(done.stdout)
    assert result["in_turn_started"] == []  # the sample is smaller than a forked export
    assert result["started"] == [[2, "fork"]] * len(result["started"]) and result["started"]
    assert result["workers_left"] == []
    return result["in_turn"], result["forked"]


@pytest.mark.parametrize("fmt", FORKED)
def test_an_export_made_in_forked_workers_is_the_export_made_in_turn(sample_workspace, fmt):
    in_turn, forked = _in_turn_and_forked(sample_workspace, fmt=fmt, gold=True)
    assert forked["content"] == in_turn["content"] and forked["content"]
    assert {key: value for key, value in forked.items() if key != "content"} == \
        {key: value for key, value in in_turn.items() if key != "content"}


@pytest.mark.parametrize("fmt", FORKED)
def test_orphaned_answers_change_nothing_in_an_export_made_in_forked_workers(sample_workspace, fmt):
    sentence = next(iter(sample_workspace.iter_sentences()))
    append_records(sample_workspace.annotation_path("ann"), [
        make_event(sentence["id"], "ann", "entities", {"spans": [{"start": 0, "end": 2, "label": "ORG",
                                                                  "text": sentence["text"][:2]}]}),
        make_event("gone-s0001", "ann", "entities", {"spans": [{"start": 0, "end": 2, "label": "ODD", "text": "ab"}]})])
    in_turn, forked = _in_turn_and_forked(sample_workspace, fmt=fmt, annotator="ann")
    assert forked == in_turn and forked["warnings"][0].startswith("1 sentence with answers no longer")


def test_a_spacy_document_apart_stops_the_forked_workers_and_is_written_whole(sample_workspace):
    path = sample_workspace.sentences_path
    lines = path.read_bytes().splitlines(keepends=True)
    moved = json.loads(lines[1])
    moved.update(doc_id="other", id="other-s0001", index=1, start=0, end=len(moved["text"]))
    (sample_workspace.root / "documents" / "other.txt").write_text(moved["text"], encoding="utf-8")
    # Most of the sample's sentences, then one of another document, then the rest: found apart late.
    path.write_bytes(b"".join(lines[:-3]) + (json.dumps(moved, ensure_ascii=False) + "\n").encode()
                     + b"".join(lines[-3:]))
    in_turn, forked = _in_turn_and_forked(sample_workspace, fmt="spacy", gold=True)
    assert forked == in_turn
    assert [len(document["paragraphs"]) for document in json.loads(forked["content"])] == [len(lines), 1]


def test_forked_workers_give_results_in_order_and_run_what_this_process_holds():
    offset = 1000  # a closure: forked workers are not handed the function, they hold it
    before = children()
    made = list(workers.iter_in_workers(lambda number: (number + offset, os.getpid()),
                                        ((number,) for number in range(25)), 2, start="fork"))
    assert [result for result, _ in made] == [number + 1000 for number in range(25)]
    assert os.getpid() not in {pid for _, pid in made}
    assert children() == before
    assert list(workers.iter_in_workers(abs, iter([]), 2, start="fork")) == []


def test_a_failure_in_a_forked_worker_or_the_caller_stopping_leaves_no_worker():
    before = children()
    with pytest.raises(ValueError):
        list(workers.iter_in_workers(int, [("12",), ("twelve",), ("7",)], 2, start="fork"))
    assert children() == before
    results = workers.iter_in_workers(abs, ((-number,) for number in range(100)), 2, start="fork")
    assert [next(results), next(results)] == [0, 1]
    results.close()
    assert children() == before


def test_forked_workers_ignore_ctrl_c_and_die_of_sigterm_whatever_this_process_does_with_them():
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)  # as the command's interrupt guard does
    try:
        handlers = list(workers.iter_in_workers(lambda: (signal.getsignal(signal.SIGINT),
                                                         signal.getsignal(signal.SIGTERM)), [()] * 4, 2,
                                                start="fork"))
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert set(handlers) == {(signal.SIG_IGN, signal.SIG_DFL)}


def test_a_process_running_another_thread_is_not_one_to_fork():
    script = """
import threading
from tagline.corpus.workers import only_thread

seen = [only_thread()]
stop = threading.Event()
thread = threading.Thread(target=stop.wait)
thread.start()
seen.append(only_thread())
stop.set()
thread.join()
seen.append(only_thread())  # the thread ended: listed by the system for a moment more, and waited for
print(seen)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.stdout.split() == ["[True,", "False,", "True]"]


_SLOW_EXPORT = """
import sys, time
from tagline.annotate.formats import parts, spacy
from tagline.corpus import workers

made_here = spacy._part_text

def slow(*args):
    time.sleep(0.5)  # long enough for the signal to come while the workers make the parts
    return made_here(*args)

spacy._part_text, parts.PARALLEL_EXPORT_MIN_ANSWERED, workers.cores = slow, 0, lambda: 2
from tagline.annotate.formats import common
common.CHUNK = 2
from tagline.cli import main
sys.argv = ["tagline", *sys.argv[1:]]
main()
"""


def test_ctrl_c_while_forked_workers_make_the_parts_stops_them_and_writes_nothing(sample_workspace, tmp_path):
    out = tmp_path / "export.json"
    command = subprocess.Popen([sys.executable, "-c", _SLOW_EXPORT, "annotate", "export", "--format", "spacy", "--gold",
                                "-o", str(out), "-w", str(sample_workspace.root)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        deadline = time.monotonic() + 60
        while not children(command.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        forked = children(command.pid)
        assert forked, command.communicate()
        os.killpg(command.pid, signal.SIGINT)  # as a terminal sends Ctrl-C to its foreground group
        _, stderr = command.communicate(timeout=60)
    finally:
        if command.poll() is None:
            command.kill()
    assert command.returncode == 130 and stderr.strip() == "Interrupted: annotate export stopped; nothing was written"
    assert sorted(path.name for path in tmp_path.iterdir()) == [sample_workspace.root.name]  # no file, no temporary
    for pid in forked:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
