"""The session state machine without a terminal: moving around, entities, undo, resume, order."""

from __future__ import annotations

import pytest

from tagline.annotate.events import fold_events
from tagline.annotate.session import BACK, ENTER, ESCAPE, MARK_ALL_LIMIT, SKIP, SessionModel, Step
from tagline.corpus.ingest import add_documents
from tagline.corpus.store import read_records
from tagline.errors import DataError


@pytest.fixture
def small(workspace, tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("DeepSeekとDeepSeek。米国は規制した。三番目。", encoding="utf-8")
    add_documents(workspace, [path])
    return workspace


def press(model, keys):
    for key in keys:
        model.handle_key(key)


def stored(ws, annotator="alice"):
    return fold_events(read_records(ws.annotation_path(annotator)))


def test_claim_type_only_flow_skip_back_and_done(small):
    model = SessionModel.open(small, "alice", task="claim_type", clock=iter(range(100)).__next__)
    assert [s["id"] for s in model.sentences] == ["d-s0001", "d-s0002", "d-s0003"]
    press(model, ["1"])
    assert model.position == 1
    press(model, [SKIP])
    assert model.position == 2
    press(model, [BACK])
    assert model.position == 1
    press(model, ["6", "0"])
    assert model.mode == "done" and model.done_count() == 3
    assert stored(small)["d-s0002"] == {("claim_type", None): {"label": "other_claim"}}
    press(model, ["u"])  # undo from the done screen reopens that question
    assert model.mode == "label" and model.position == 2 and model.done_count() == 2
    assert ("claim_type", None) not in stored(small)["d-s0003"]
    assert model.seconds_per_sentence() is not None


def test_an_undone_sentence_s_time_leaves_the_pace_shown(small):
    times = iter([0, 2, 2, 60] + list(range(100, 200)))  # shown at 0, done at 2; shown at 2, done at 60
    model = SessionModel.open(small, "alice", task="claim_type", clock=times.__next__)
    press(model, ["1"])
    press(model, ["1"])
    assert model.done_count() == 2 and model.seconds_per_sentence() == 30  # the median of 2 s and 58 s
    press(model, ["u"])
    assert model.done_count() == 1 and model.seconds_per_sentence() == 2
    press(model, ["1"])  # answered again: its time counts once, from when it was shown again
    assert model.done_count() == 2 and len(model.durations) == 2


def test_unknown_key_and_enter_without_answer_give_messages(small):
    model = SessionModel.open(small, "alice", task="claim_type")
    press(model, ["z"])
    assert "not a key here" in model.message
    press(model, [ENTER])
    assert "press a label key" in model.message and model.position == 0


def test_entities_choose_occurrence_and_offsets(small):
    model = SessionModel.open(small, "alice", task="entities")
    press(model, ["/", *"DeepSeek", ENTER])
    assert model.mode == "occurrence" and model.pending == [(0, 8), (9, 17)]
    press(model, ["2", "o"])
    assert [(s["start"], s["end"]) for s in model.spans()] == [(9, 17)]
    press(model, ["/", *"0:8", ENTER, "r"])
    assert [(s["start"], s["label"]) for s in model.spans()] == [(0, "PRODUCT"), (9, "ORG")]
    press(model, ["/", *"DeepSeek", ENTER, "a", "o"])  # all occurrences; relabels both
    assert [s["label"] for s in model.spans()] == ["ORG", "ORG"]
    press(model, ["/", *"nothing", ENTER])
    assert "not in the sentence" in model.message and model.mode == "label"
    press(model, ["/", *"abc", ESCAPE])
    assert model.mode == "label"
    press(model, [ENTER])
    assert model.position == 1
    press(model, [ENTER])  # no spans: records "no entities"
    assert stored(small)["d-s0002"] == {("entities", None): {"spans": []}}


def test_a_find_with_more_occurrences_than_can_be_marked_offers_the_first_nine(workspace):
    text = "あ" * (5 * MARK_ALL_LIMIT) + "。"
    model = SessionModel(workspace, "alice", [{"id": "d-s0001", "doc_id": "d", "text": text}], [Step("entities")], {})
    press(model, ["/", "あ", ENTER])
    assert model.mode == "occurrence" and model.pending == [(n, n + 1) for n in range(9)]
    assert model.found == 5 * MARK_ALL_LIMIT
    press(model, ["a"])
    assert model.mode == "occurrence" and model.message.startswith("5,000 occurrences are too many to mark at once")
    press(model, ["z"])
    assert model.message == "choose 1-9, Esc to cancel"  # no "a for all" where it would be refused
    press(model, ["3", "p"])
    assert [(span["start"], span["end"], span["label"]) for span in model.spans()] == [(2, 3, "PERSON")]
    press(model, ["/", "あ", ENTER, ESCAPE])
    assert model.mode == "label" and model.pending == []

    text = "米国と" * MARK_ALL_LIMIT  # up to the limit, a marks every occurrence as before
    model = SessionModel(workspace, "alice", [{"id": "d-s0002", "doc_id": "d", "text": text}], [Step("entities")], {})
    press(model, ["/", *"米国", ENTER])
    assert model.found == len(model.pending) == MARK_ALL_LIMIT
    press(model, ["z"])
    assert model.message == "choose 1-9, a for all, Esc to cancel"
    press(model, ["a", "g"])
    assert [span["start"] for span in model.spans()] == list(range(0, len(text), 3))


def test_a_message_quotes_a_long_span_briefly(workspace):
    text = "あ" * 100_000
    model = SessionModel(workspace, "alice", [{"id": "d-s0001", "doc_id": "d", "text": text}], [Step("entities")], {})
    press(model, ["/", *f"0:{len(text)}", ENTER, "o", "x", "1"])
    assert model.message == "removed " + "あ" * 29 + "… (ORG)"
    press(model, ["/", *("い" * 50), ENTER])
    assert model.message == f"'{'い' * 29}…' is not in the sentence"


def test_random_order_is_deterministic_per_seed_and_doc_filter(small, tmp_path):
    other = tmp_path / "e.txt"
    other.write_text("別の文書。二文目。", encoding="utf-8")
    add_documents(small, [other])
    first = [s["id"] for s in SessionModel.open(small, "alice", order="random", seed=3).sentences]
    again = [s["id"] for s in SessionModel.open(small, "alice", order="random", seed=3).sentences]
    assert first == again and sorted(first) == sorted(["d-s0001", "d-s0002", "d-s0003", "e-s0001", "e-s0002"])
    only = SessionModel.open(small, "alice", doc_id="e")
    assert [s["id"] for s in only.sentences] == ["e-s0001", "e-s0002"]


def test_bad_session_arguments(small):
    with pytest.raises(DataError, match="not one of DeepSeek, US AI policy"):
        SessionModel.open(small, "alice", target="Nvidia")
    with pytest.raises(DataError, match="annotator name"):
        SessionModel.open(small, "../evil")
    with pytest.raises(DataError, match="no sentences in document"):
        SessionModel.open(small, "alice", doc_id="missing")


def test_a_label_key_of_another_question_answers_it_out_of_turn(small):
    """On a stance question a claim-type key answers the claim type (the one question it is a key
    of) without leaving the stance question; going on passes the claim type by, and undo takes it
    back."""
    model = SessionModel.open(small, "alice")
    assert model.step == Step("stance", "DeepSeek")
    press(model, ["3"])
    assert model.step == Step("stance", "DeepSeek") and model.message == "claim type: correlation_causation"
    assert stored(small)["d-s0001"] == {("claim_type", None): {"label": "correlation_causation"}}
    press(model, ["f", "n"])  # both stance questions: the claim type answered ahead is not asked again
    assert model.step == Step("entities")
    press(model, [ENTER])
    assert model.position == 1 and model.step == Step("stance", "DeepSeek")
    assert set(stored(small)["d-s0001"]) == {("stance", "DeepSeek"), ("stance", "US AI policy"),
                                            ("claim_type", None), ("entities", None)}
    # on the next sentence the claim type is asked in turn again, and undo retracts an out-of-turn answer
    press(model, ["6", "u"])
    assert ("claim_type", None) not in stored(small).get("d-s0002", {})
    press(model, ["f", "n"])
    assert model.step == Step("claim_type")


def test_a_key_of_several_other_questions_answers_none_of_them(small):
    model = SessionModel.open(small, "alice")
    press(model, ["f", "n"])  # on the claim type now
    assert model.step == Step("claim_type")
    press(model, ["a"])  # a stance key: two stance questions, so it is not guessed at
    assert "not a key here" in model.message and model.step == Step("claim_type")
    assert stored(small)["d-s0001"] == {("stance", "DeepSeek"): {"target": "DeepSeek", "label": "FAVOR"},
                                        ("stance", "US AI policy"): {"target": "US AI policy", "label": "NONE"}}


def test_with_one_target_a_stance_key_answers_the_stance_from_the_claim_question(small):
    model = SessionModel.open(small, "alice", target="DeepSeek")
    assert model.step == Step("stance", "DeepSeek")
    press(model, ["1", "a"])  # the claim type ahead, then the stance in turn; the claim type is passed by
    assert model.step == Step("entities")
    press(model, [BACK])  # back to the claim question: a stance key there answers the one stance question
    assert model.step == Step("claim_type")
    press(model, ["n"])
    assert model.step == Step("claim_type") and model.message == "stance toward DeepSeek: NONE"
    press(model, ["0"])
    assert model.step == Step("entities")
    assert stored(small)["d-s0001"] == {("stance", "DeepSeek"): {"target": "DeepSeek", "label": "NONE"},
                                        ("claim_type", None): {"label": "not_claim"}}


def test_an_undo_does_not_take_back_an_answer_another_session_of_the_annotator_gave_since(small):
    first = SessionModel.open(small, "alice", task="claim_type", clock=iter(range(100)).__next__)
    second = SessionModel.open(small, "alice", task="claim_type", clock=iter(range(100)).__next__)
    press(first, ["1"])  # d-s0001: quantity
    press(second, ["2"])  # the same question, answered again in the other session: prediction
    press(first, ["u"])
    assert "answered again meanwhile, in another session of alice" in first.message
    assert stored(small)["d-s0001"] == {("claim_type", None): {"label": "prediction"}}  # kept


def test_an_undo_after_the_sessions_own_answers_and_another_sessions_to_other_questions_is_done(small):
    first = SessionModel.open(small, "alice", task="claim_type", clock=iter(range(100)).__next__)
    second = SessionModel.open(small, "alice", task="claim_type", clock=iter(range(100)).__next__)
    press(first, ["1"])  # d-s0001: quantity
    press(second, [SKIP, "3"])  # d-s0002, in the other session
    press(first, [BACK, "4", "u"])  # d-s0001 answered again, and that undone: quantity again
    assert stored(small)["d-s0001"] == {("claim_type", None): {"label": "quantity"}}
    press(first, ["u"])
    assert first.message == "undone: claim type of d-s0001", first.message
    assert ("claim_type", None) not in stored(small).get("d-s0001", {})
    assert stored(small)["d-s0002"] == {("claim_type", None): {"label": "correlation_causation"}}
