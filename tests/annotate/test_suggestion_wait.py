"""Suggestions ready when a sentence appears: the session's wait for the first ones (before the
first key, bounded, any key starts without them), the feed's account of the sentences shown before
their suggestions and why, and the built-in model's suggestions through a retrain."""

from __future__ import annotations

import threading
import time

import pytest

from tagline.annotate.session import SessionModel
from tagline.annotate.suggest import Suggestion, SuggestionFeed
from tagline.corpus.store import read_records


class GatedSuggester:
    """Suggests a claim type for every sentence, once ``gate`` is set; says why it waits till then."""

    name = "gated"

    def __init__(self, fail: bool = False):
        self.gate = threading.Event()
        self.fail = fail
        self.status: str | None = "training the gated model on 3 answered sentences"

    def suggest(self, sentences):
        self.gate.wait(30)
        if self.fail:
            raise RuntimeError("model file missing")
        self.status = None
        return [Suggestion(s["id"], "claim_type", None, {"label": "quantity"}, 0.9, self.name) for s in sentences]


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _open(workspace, suggester, clock, wait=30.0):
    feed = SuggestionFeed(suggester, clock=clock)
    model = SessionModel.open(workspace, "alice", task="claim_type", feed=feed, clock=clock,
                              wait_for_suggestions=wait)
    return model, feed


def _settle(feed):
    assert feed.wait(), "the suggestions' thread did not answer"


def test_the_first_sentence_is_shown_once_its_suggestions_are_ready(sample_workspace):
    suggester, clock = GatedSuggester(), Clock()
    model, feed = _open(sample_workspace, suggester, clock)
    try:
        assert model.mode == "waiting" and feed.shown == 0
        clock.now += 3
        assert model.view_state() == (False, None, 3)
        assert model.waiting_line() == ("training the gated model on 3 answered sentences… 3 s "
                                        "(any key to start without suggestions, q to quit)")
        suggester.gate.set()
        _settle(feed)
        assert model.view_state() == (True, None, None)
        assert model.mode == "label" and model.suggestion().value == {"label": "quantity"}
        assert (feed.shown, feed.shown_ready, feed.misses) == (1, 1, [])
    finally:
        suggester.gate.set()
        feed.close()


def test_a_key_starts_without_the_suggestions_and_says_why_they_were_missing(sample_workspace):
    suggester, clock = GatedSuggester(), Clock()
    model, feed = _open(sample_workspace, suggester, clock)
    try:
        clock.now += 2
        model.handle_key("1")  # starts the session: not an answer
        assert model.mode == "label" and model.position == 0
        assert not sample_workspace.annotation_path("alice").exists()
        assert "started without suggestions (training the gated model" in model.message
        assert feed.shown == 1 and feed.shown_ready == 0
        ((sentence_id, why),) = feed.misses
        assert sentence_id == model.sentence["id"]
        assert why == "asked 2.0 s before; training the gated model on 3 answered sentences"
        suggester.gate.set()
        _settle(feed)
        assert model.view_state()[0] and model.suggestion() is not None  # they appear when ready
        model.handle_key("1")  # now a key answers
        assert [event["value"]["label"] for event in read_records(sample_workspace.annotation_path("alice"))] == [
            "quantity"]
    finally:
        suggester.gate.set()
        feed.close()


def test_the_wait_is_bounded(sample_workspace):
    suggester, clock = GatedSuggester(), Clock()
    model, feed = _open(sample_workspace, suggester, clock, wait=5.0)
    try:
        clock.now += 4.9
        model.view_state()
        assert model.mode == "waiting"
        clock.now += 0.2
        model.view_state()
        assert model.mode == "label" and "started without suggestions" in model.message
        assert feed.shown == 1 and feed.shown_ready == 0
    finally:
        suggester.gate.set()
        feed.close()


def test_q_while_waiting_quits_and_a_failing_source_ends_the_wait(sample_workspace):
    suggester, clock = GatedSuggester(), Clock()
    model, feed = _open(sample_workspace, suggester, clock)
    model.handle_key("q")
    assert model.finished
    suggester.gate.set()
    feed.close()

    failing = GatedSuggester(fail=True)
    model, feed = _open(sample_workspace, failing, clock)
    failing.gate.set()
    _settle(feed)
    assert model.view_state()[1] == "suggestions from gated stopped: RuntimeError: model file missing"
    assert model.mode == "label" and "go on without them" in model.message
    feed.close()


def test_no_wait_unless_asked_for_and_none_without_a_feed(sample_workspace):
    suggester, clock = GatedSuggester(), Clock()
    model, feed = _open(sample_workspace, suggester, clock, wait=0)
    assert model.mode == "label" and feed.shown == 1 and len(feed.misses) == 1
    suggester.gate.set()
    feed.close()
    plain = SessionModel.open(sample_workspace, "bob", wait_for_suggestions=30)
    assert plain.mode == "label" and plain.view_state() == (False, None, None)


def test_a_sentence_not_asked_for_ahead_is_reported_so(sample_workspace):
    suggester, clock = GatedSuggester(), Clock()
    feed = SuggestionFeed(suggester, clock=clock)
    try:
        feed.note_shown("deepseek_ja-s0077")
        assert feed.misses == [("deepseek_ja-s0077", "not asked for ahead")]
    finally:
        suggester.gate.set()
        feed.close()


@pytest.mark.slow
def test_the_builtin_model_says_what_it_trains_on_and_suggests_on_through_retrains(sample_workspace):
    """Every sentence after the first model has its suggestions when it is shown, while the model
    retrains in the background after every two answers."""
    from tagline.eval.builtin_suggester import BuiltinSuggester

    suggester = BuiltinSuggester(sample_workspace, "alice", retrain_every=2)
    assert suggester.status == "training the builtin model on 77 answered sentences"
    feed = SuggestionFeed(suggester)
    model = SessionModel.open(sample_workspace, "alice", task="claim_type", feed=feed, wait_for_suggestions=120)
    try:
        deadline = time.monotonic() + 120
        while model.mode == "waiting" and time.monotonic() < deadline:
            model.view_state()
            time.sleep(0.05)
        assert model.mode == "label" and suggester.status is None and feed.shown_ready == 1
        versions, answered = set(), 0
        deadline = time.monotonic() + 120  # on a busy machine a retraining takes longer: more sentences pass
        while answered < 8 or (max(versions) < 2 and time.monotonic() < deadline):
            time.sleep(0.5)  # reading the sentence, while the next ones are made
            assert model.suggestion() is not None, feed.misses
            versions.add(suggester.version)
            model.handle_key("1")
            answered += 1
        assert (feed.shown, feed.shown_ready, feed.misses) == (answered + 1, answered + 1, [])
        assert max(versions) > 1 and suggester.trainings >= 3  # the model retrained meanwhile
    finally:
        feed.close()


@pytest.mark.slow
def test_the_builtin_model_trains_and_predicts_outside_the_sessions_process_at_a_lower_priority(tmp_path):
    """The session's process never loads scikit-learn: fitted models pass through it as bytes, so
    neither a training nor predictions take the CPU (or the GIL) its key presses need."""
    import json
    import subprocess
    import sys

    script = """
import json, os, sys
from tagline.corpus.workspace import init_workspace
from tagline.eval.builtin_suggester import BuiltinSuggester
if __name__ == "__main__":
    workspace = init_workspace(sys.argv[1], sample=True)
    suggester = BuiltinSuggester(workspace, "alice")
    found = suggester.suggest(list(workspace.iter_sentences())[:3])
    niceness = [worker.submit(os.nice, 0).result() for worker in (suggester._trainer, suggester._predictor)]
    print(json.dumps({"suggestions": len(found), "sklearn": "sklearn" in sys.modules, "own": os.nice(0),
                      "workers": niceness}))
    suggester.close()
"""
    (tmp_path / "probe.py").write_text(script)
    result = subprocess.run([sys.executable, str(tmp_path / "probe.py"), str(tmp_path / "ws")], capture_output=True,
                            text=True, timeout=300, check=True)
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["suggestions"] >= 3 * 4 and found["sklearn"] is False
    assert found["workers"] == [min(found["own"] + 10, 19)] * 2
