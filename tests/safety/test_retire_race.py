"""An answer given while its annotator is being retired. ``annotate label`` and the session append
without the workspace lock; they used to check that the name was not retired and then append, so a
retirement that fell between the two moved the answer file away and the answer made a new
``annotations/NAME.jsonl`` under a retired name: reported as saved, counting nowhere, and in the way
of ``retire --undo`` (found by racing `annotate label` processes against `annotate retire`).

Now the check runs with the answer file's lock held, just before the write, and a retirement (or
its undoing) holds that lock while it records and moves the file: an answer is written before the
retirement (and archived with the file) or refused after it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tagline.annotate import scripted
from tagline.annotate.retire import reinstate_annotator, retire_annotator
from tagline.annotate.scripted import label_sentence
from tagline.annotate.session import SessionModel
from tagline.errors import ConflictError


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def retired_when_called(monkeypatch, module, function: str, workspace, annotator: str) -> None:
    """Retire ``annotator`` the first time ``module.function`` is called (as another process would),
    then let the call go on."""
    real = getattr(module, function)

    def retired_meanwhile(*arguments, **options):
        monkeypatch.setattr(module, function, real)
        retire_annotator(workspace, annotator)
        return real(*arguments, **options)

    monkeypatch.setattr(module, function, retired_meanwhile)


def _retired_after_the_check(workspace, monkeypatch) -> None:
    """Retire ``zed`` once the next label has checked the name."""
    retired_when_called(monkeypatch, scripted, "find_sentence", workspace, "zed")


def test_an_answer_whose_annotator_is_retired_before_it_is_written_is_refused(sample_workspace, monkeypatch):
    workspace = sample_workspace
    label_sentence(workspace, "deepseek_ja-s0005", "zed", claim_type="quantity")
    _retired_after_the_check(workspace, monkeypatch)
    with pytest.raises(ConflictError, match="'zed' was retired"):
        label_sentence(workspace, "deepseek_ja-s0006", "zed", claim_type="quantity")
    assert not workspace.annotation_path("zed").exists(), "an answer was saved under a retired name"
    reinstate_annotator(workspace, "zed")  # the archived answers come back, nothing in their way
    assert len(workspace.annotation_path("zed").read_text().splitlines()) == 1


def test_a_session_whose_annotator_is_retired_meanwhile_saves_no_more_answers_and_says_why(sample_workspace):
    model = SessionModel.open(sample_workspace, "zed", task="claim_type")
    model.handle_key("1")
    retire_annotator(sample_workspace, "zed")
    model.handle_key("1")
    assert model.message.startswith("this answer was not saved: annotator 'zed' was retired"), model.message
    assert not sample_workspace.annotation_path("zed").exists()
    reinstate_annotator(sample_workspace, "zed")
    model.handle_key("1")  # brought back: answered again
    assert len(sample_workspace.annotation_path("zed").read_text().splitlines()) == 2


_LABELS = """
import sys
from tagline.annotate.scripted import label_sentence
from tagline.corpus.workspace import Workspace
from tagline.errors import TaglineError
workspace = Workspace(sys.argv[1])
for number in range(1, 60):
    try:
        label_sentence(workspace, f"deepseek_ja-s{number % 40 + 1:04d}", "zed", claim_type="quantity")
        print("saved", number, flush=True)
    except TaglineError as error:
        print("refused", number, error.what, flush=True)
"""


def test_labels_racing_retirements_and_their_undoing_never_leave_an_answer_under_a_retired_name(sample_workspace):
    """The locks across processes: labels in a loop while the name is retired and brought back, none
    waiting forever; afterwards every label said saved is in a file of zed's, and no answer was taken
    while it was retired (a stress test: the window it aims at is too short to hit every time)."""
    workspace = sample_workspace
    label_sentence(workspace, "deepseek_ja-s0001", "zed", claim_type="quantity")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    labeller = subprocess.Popen([sys.executable, "-c", _LABELS, str(workspace.root)], stdout=subprocess.PIPE,
                                text=True, env=environment)
    conflicts = 0
    while labeller.poll() is None:
        try:
            retire_annotator(workspace, "zed")
            reinstate_annotator(workspace, "zed")
        except ConflictError:  # answers under the retired name: the hole this test is about
            conflicts += 1
            retire_annotator(workspace, "zed")  # archives them too, so that the race goes on
    saved = [line for line in labeller.communicate()[0].splitlines() if line.startswith("saved")]
    assert labeller.returncode == 0 and conflicts == 0
    files = [workspace.annotation_path("zed"), *sorted((workspace.annotations_dir / "retired").glob("zed.*.jsonl"))]
    lines = sum(len(path.read_text().splitlines()) for path in files if path.exists())
    assert lines == 1 + len(saved)
