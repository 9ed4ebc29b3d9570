"""The session's orders: sequential, random, disagreement and uncertain (with a fake model), their
registry and CLI wiring, and that the ranking never makes a key press wait."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from tagline.annotate.order import ORDER_NAMES, ORDERS, disagreement, order_sentences, rank_after, rank_sample
from tagline.annotate.scripted import label_sentence
from tagline.annotate.session import SessionModel
from tagline.annotate.suggest import Suggestion, SuggestionFeed, uncertainty_of
from tagline.corpus.ingest import add_documents
from tagline.errors import DataError, InputError

CLAIM = ("claim_type", None)


@pytest.fixture
def five(workspace, tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("一番目の文。二番目の文。三番目の文。四番目の文。五番目の文。", encoding="utf-8")
    add_documents(workspace, [path])
    return workspace


def ids(sentences):
    return [sentence["id"] for sentence in sentences]


class FakeModel:
    """A suggester that says how unsure it is of each sentence's claim type, from a table."""

    name = "fake"

    def __init__(self, unsure: dict[str, float], *, gate: threading.Event | None = None):
        self.unsure = unsure
        self.gate = gate
        self.version = 1
        self.asked: list[list[str]] = []

    def suggest(self, sentences):
        return []

    def uncertainty(self, sentences):
        if self.gate is not None:
            self.gate.wait(10)
        self.asked.append(ids(sentences))
        return [{CLAIM: self.unsure[s["id"]]} if s["id"] in self.unsure else {} for s in sentences]


def test_the_registry_gives_the_cli_choices_and_unknown_orders_are_refused(five):
    from tagline.cli.annotate import annotate

    (option,) = [p for p in annotate.params if p.name == "order"]
    assert tuple(option.type.choices) == ORDER_NAMES == ("sequential", "random", "disagreement", "uncertain")
    assert [spec.name for spec in ORDERS if spec.needs_model] == ["uncertain"]
    with pytest.raises(InputError, match="unknown order 'backwards'"):
        SessionModel.open(five, "alice", order="backwards")


def test_sequential_keeps_the_corpus_order_and_random_is_a_seeded_shuffle(five):
    corpus = [f"d-s000{n}" for n in range(1, 6)]
    assert ids(SessionModel.open(five, "alice", task="claim_type").sentences) == corpus
    shuffled = ids(SessionModel.open(five, "alice", task="claim_type", order="random", seed=7).sentences)
    assert sorted(shuffled) == corpus and shuffled != corpus
    assert ids(order_sentences(list(five.iter_sentences()), "random", seed=7)) == shuffled
    assert ids(order_sentences(list(five.iter_sentences()), "random", annotator="alice")) == \
        ids(SessionModel.open(five, "alice", task="claim_type", order="random").sentences)


def test_disagreement_puts_the_most_contested_sentences_first(five):
    # d-s0004: three different answers (2/3 against the most common); d-s0002: 2 against 1 (1/3);
    # d-s0001: all agree; the others have one vote or none.
    answers = {"d-s0001": ("quantity", "quantity", "quantity"), "d-s0002": ("quantity", "quantity", "prediction"),
               "d-s0004": ("quantity", "prediction", "other_claim"), "d-s0005": ("quantity",)}
    for sentence_id, labels in answers.items():
        for annotator, label in zip(("alice", "bob", "carol"), labels):
            label_sentence(five, sentence_id, annotator, claim_type=label)
    model = SessionModel.open(five, "reviewer", task="claim_type", order="disagreement")
    assert ids(model.sentences) == ["d-s0004", "d-s0002", "d-s0001", "d-s0003", "d-s0005"]
    assert model.sentence["id"] == "d-s0004"
    # a question the session does not ask does not count
    label_sentence(five, "d-s0003", "alice", stance={"DeepSeek": "FAVOR"})
    label_sentence(five, "d-s0003", "bob", stance={"DeepSeek": "AGAINST"})
    assert ids(SessionModel.open(five, "reviewer", task="claim_type", order="disagreement").sentences)[:3] == \
        ["d-s0004", "d-s0002", "d-s0001"]
    assert ids(SessionModel.open(five, "reviewer", task="stance", order="disagreement").sentences)[0] == "d-s0003"


def test_disagreement_compares_spans_as_sets():
    spans = {"a": {"spans": [{"start": 0, "end": 2, "label": "ORG"}, {"start": 3, "end": 4, "label": "GPE"}]},
             "b": {"spans": [{"start": 3, "end": 4, "label": "GPE"}, {"start": 0, "end": 2, "label": "ORG"}]},
             "c": {"spans": []}}
    votes = {("entities", None): {"same": {"a": spans["a"], "b": spans["b"]}, "split": {"a": spans["a"], "c": spans["c"]}}}
    assert disagreement(votes) == {"split": 0.5}


def test_uncertain_needs_a_model(five):
    with pytest.raises(DataError, match="--order uncertain needs a model"):
        SessionModel.open(five, "alice", task="claim_type", order="uncertain")


def test_uncertain_opens_in_corpus_order_then_puts_the_least_sure_sentence_next(five):
    fake = FakeModel({"d-s0002": 0.1, "d-s0003": 0.2, "d-s0004": 0.9, "d-s0005": 0.5})
    feed = SuggestionFeed(fake)
    try:
        model = SessionModel.open(five, "alice", task="claim_type", order="uncertain", feed=feed)
        assert model.sentence["id"] == "d-s0001"
        assert feed.wait()
        assert fake.asked == [["d-s0002", "d-s0003", "d-s0004", "d-s0005"]]  # the unfinished ones after this one
        model.handle_key("1")  # the ranking is taken before the key acts: the answer is for d-s0001
        assert model.answers["d-s0001"] == {CLAIM: {"label": "quantity"}}
        assert ids(model.sentences) == ["d-s0001", "d-s0004", "d-s0005", "d-s0003", "d-s0002"]
        assert model.sentence["id"] == "d-s0004"
    finally:
        feed.close()


def test_undo_after_a_new_ranking_goes_to_the_sentence_it_answered(five):
    fake = FakeModel({"d-s0002": 0.1, "d-s0003": 0.2, "d-s0004": 0.9, "d-s0005": 0.5})
    feed = SuggestionFeed(fake)
    try:
        model = SessionModel.open(five, "alice", task="claim_type", order="uncertain", feed=feed)
        assert feed.wait()
        model.handle_key("1")
        model.handle_key("2")  # d-s0004, now second
        model.handle_key("b")
        fake.version, fake.unsure = 2, {"d-s0002": 0.3, "d-s0003": 0.2, "d-s0005": 0.1}
        model.handle_key("b")  # back at the first sentence, which asks the retrained model
        assert feed.wait() and fake.asked[-1] == ["d-s0005", "d-s0003", "d-s0002"]
        model.handle_key("u")  # the new ranking moves d-s0004 (finished) behind the ranked ones
        assert ids(model.sentences) == ["d-s0001", "d-s0002", "d-s0003", "d-s0005", "d-s0004"]
        assert model.sentence["id"] == "d-s0004" and model.answers["d-s0004"] == {}
    finally:
        feed.close()


def test_uncertain_ranks_again_when_the_model_has_retrained(five):
    fake = FakeModel({"d-s0002": 0.9, "d-s0003": 0.1, "d-s0004": 0.5, "d-s0005": 0.2})
    feed = SuggestionFeed(fake)
    try:
        model = SessionModel.open(five, "alice", task="claim_type", order="uncertain", feed=feed)
        assert feed.wait()
        model.handle_key("1")
        assert feed.wait() and len(fake.asked) == 1  # arriving with the same model asks nothing
        assert model.sentence["id"] == "d-s0002"
        fake.version, fake.unsure = 2, {"d-s0003": 0.99, "d-s0005": 0.5}
        model.handle_key("1")  # arrives at d-s0004 and asks the retrained model about the rest
        assert feed.wait() and fake.asked[-1] == ["d-s0005", "d-s0003"]
        model.view_state()  # the terminal's poll takes the new ranking too
        assert ids(model.sentences) == ["d-s0001", "d-s0002", "d-s0004", "d-s0003", "d-s0005"]
    finally:
        feed.close()


def test_only_the_sessions_questions_count(five):
    class TwoQuestions(FakeModel):
        def uncertainty(self, sentences):
            return [{CLAIM: 0.0, ("stance", "DeepSeek"): self.unsure.get(s["id"], 0.0)} for s in sentences]

    fake = TwoQuestions({"d-s0005": 0.9})
    feed = SuggestionFeed(fake)
    try:
        model = SessionModel.open(five, "alice", task="claim_type", order="uncertain", feed=feed)
        assert feed.wait()
        model.handle_key("1")
        assert model.sentence["id"] == "d-s0002"  # all equally sure of the claim type: corpus order
        other = SessionModel.open(five, "bob", task="stance", target="DeepSeek", order="uncertain", feed=feed)
        assert feed.wait()
        other.handle_key("f")
        assert other.sentence["id"] == "d-s0005"
    finally:
        feed.close()


def test_a_key_press_never_waits_for_the_ranking(five):
    gate = threading.Event()
    fake = FakeModel({"d-s0005": 0.9}, gate=gate)
    feed = SuggestionFeed(fake)
    try:
        model = SessionModel.open(five, "alice", task="claim_type", order="uncertain", feed=feed)
        model.handle_key("1")
        model.handle_key("1")  # the model is still busy: the session goes on in corpus order
        assert model.sentence["id"] == "d-s0003" and feed.rankings == 0
        gate.set()
        assert feed.wait()
        model.handle_key("1")
        assert model.sentence["id"] == "d-s0005"
    finally:
        gate.set()
        feed.close()


def test_a_model_without_uncertainty_is_ranked_by_its_scores_least_confidence():
    class Scored:
        name = "scored"

        def suggest(self, sentences):
            for sentence in sentences:
                if sentence["id"] != "c":
                    yield Suggestion(sentence["id"], "claim_type", None, {"label": "x"}, score={"a": 0.9, "b": 0.6}[
                        sentence["id"]])
                    yield Suggestion(sentence["id"], "stance", "T", {"label": "FAVOR"}, score=0.5)

    sentences = [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    assert uncertainty_of(Scored(), sentences) == pytest.approx([0.3, 0.45, None])
    assert uncertainty_of(Scored(), sentences, [CLAIM]) == pytest.approx([0.1, 0.4, None])


def test_rank_after_keeps_what_was_shown_and_rank_sample_is_seeded():
    sentences = [{"id": name} for name in "abcdef"]
    assert ids(rank_after(sentences, 2, {"a": 1.0, "e": 0.3, "f": 0.7})) == ["a", "b", "c", "f", "e", "d"]
    assert ids(rank_sample(sentences, limit=10)) == list("abcdef")
    assert ids(rank_sample(sentences, limit=3, seed="alice")) == ids(rank_sample(sentences, limit=3, seed="alice"))
    assert len(rank_sample(sentences, limit=3, seed=1)) == 3


def test_the_cli_gives_uncertain_the_builtin_model_unless_another_is_named():
    from tagline.cli.annotate import session_source

    assert session_source("uncertain", None) == "builtin"
    assert session_source("uncertain", "file:p.jsonl") == "file:p.jsonl"
    assert session_source("sequential", None) is None
    assert session_source("disagreement", "builtin") == "builtin"


def test_the_annotate_layer_runs_without_loading_eval():
    probe = ("import sys, tagline.annotate.order, tagline.annotate.session, tagline.annotate.suggest;"
             "print(sorted(m for m in sys.modules if m.startswith('tagline.eval')))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def _spawn(workspace, *arguments):
    import os

    import pexpect

    env = {**os.environ, "TERM": "xterm-256color", "TAGLINE_WORKSPACE": str(workspace.root)}
    return pexpect.spawn(sys.executable, ["-m", "tagline", "annotate", *arguments], cwd=str(workspace.root), env=env,
                         dimensions=(24, 80), encoding="utf-8", timeout=30)


def test_the_session_command_opens_a_review_on_the_contested_sentence(sample_workspace):
    label_sentence(sample_workspace, "deepseek_ja-s0010", "alice", claim_type="quantity")
    label_sentence(sample_workspace, "deepseek_ja-s0010", "bob", claim_type="prediction")
    child = _spawn(sample_workspace, "-a", "carol", "--task", "claim_type", "--order", "disagreement")
    child.expect_exact("deepseek_ja-s0010 (1/77)")
    child.send("q")
    child.expect_exact("answers written this session")


def test_the_session_command_orders_by_a_models_scores(sample_workspace, tmp_path):
    import json
    import time

    scores = {"deepseek_ja-s0001": 0.99, "deepseek_ja-s0002": 0.9, "deepseek_ja-s0003": 0.2, "deepseek_ja-s0004": 0.6}
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps({"id": sentence_id, "label": "quantity", "score": score}) + "\n"
                                   for sentence_id, score in scores.items()), encoding="utf-8")
    child = _spawn(sample_workspace, "-a", "carol", "--task", "claim_type", "--order", "uncertain",
                   "--suggest", f"file:{predictions}")
    child.expect_exact("deepseek_ja-s0001 (1/77)")
    time.sleep(2)  # the ranking is made in the background; a key before it would still find corpus order
    child.send("1")
    child.expect_exact("deepseek_ja-s0003 (2/77)")
    child.send("1")
    child.expect_exact("deepseek_ja-s0004 (3/77)")
    child.send("q")
    child.expect_exact("answers written this session")


def test_the_order_docstring_examples_run():
    import doctest

    from tagline.annotate import order

    assert doctest.testmod(order).failed == 0
