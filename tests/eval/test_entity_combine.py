"""The token and character CRFs combined (``FeatureSettings(unit="char", combine=...)``): token
marginals spread over characters, span confidences, the valid BIO decoding of marginals, each way of
combining two models' spans, and a combined tagger that trains both models, predicts, saves and loads."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.eval import entity_combine
from tagline.eval.entities import CRFTagger
from tagline.eval.entity_combine import (
    COMBINATIONS,
    bio_char_spans,
    char_marginals,
    combine_spans,
    decode_bio,
    span_confidence,
)
from tagline.eval.entity_features import FeatureSettings


def test_the_docstring_examples_run():
    assert doctest.testmod(entity_combine).failed == 0


def _certain(tags: list[str], labels=("B-P", "I-P", "B-L", "I-L", "O")) -> list[dict[str, float]]:
    return [{label: 1.0 if label == tag else 0.0 for label in labels} for tag in tags]


def test_token_marginals_spread_over_characters_keep_the_token_start_and_are_certain_outside_tokens():
    token = {"B-P": 0.6, "I-P": 0.1, "O": 0.3}
    spread = char_marginals(5, [(0, 3), (4, 5)], [token, {"B-P": 0.0, "I-P": 0.2, "O": 0.8}])
    assert spread[0] == token
    assert spread[1] == spread[2] == {"B-P": 0.0, "I-P": pytest.approx(0.7), "O": 0.3}
    assert spread[3] == {"B-P": 0.0, "I-P": 0.0, "O": 1.0}  # a space between tokens
    assert all(sum(position.values()) == pytest.approx(1.0) for position in spread)


def test_a_span_is_confident_when_its_tags_are_and_the_character_after_it_does_not_continue_it():
    marginals = _certain(["B-P", "I-P", "O"])
    assert span_confidence(marginals, (0, 2, "P")) == 1.0
    assert span_confidence(marginals, (0, 1, "P")) == pytest.approx(0.5)  # I-P follows: the span goes on
    assert span_confidence(marginals, (0, 2, "L")) == pytest.approx(1 / 3)  # only its end is likely
    assert span_confidence(marginals, (2, 3, "P")) == 0.0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["B-P", "I-P", "B-L", "I-L", "O"]), max_size=12))
def test_decoding_certain_marginals_of_valid_tags_gives_those_tags_back(tags):
    valid = [tag if not tag.startswith("I-") or i and tags[i - 1][2:] == tag[2:] and tags[i - 1] != "O"
             else "O" for i, tag in enumerate(tags)]
    # a tag made O above may break the run after it: repair until valid
    for i, tag in enumerate(valid):
        if tag.startswith("I-") and (i == 0 or valid[i - 1] == "O" or valid[i - 1][2:] != tag[2:]):
            valid[i] = "O"
    assert decode_bio(_certain(valid)) == valid


def test_decoding_never_starts_a_span_with_an_inside_tag():
    # I-P is the likeliest tag of the first character, but no span can start with it
    marginals = [{"B-P": 0.3, "I-P": 0.45, "O": 0.25}, {"B-P": 0.0, "I-P": 0.9, "O": 0.1}]
    assert decode_bio(marginals) == ["B-P", "I-P"]
    assert bio_char_spans(["O", "B-P", "I-P", "I-L", "B-L"]) == [(1, 3, "P"), (4, 5, "L")]


def test_each_combination_of_two_models_spans():
    first = _certain(["B-P", "I-P", "O", "B-L", "O", "O"])
    second = [{"B-P": 0.0, "I-P": 0.0, "B-L": 0.0, "I-L": 0.0, "O": 1.0}] * 3 + \
        _certain(["B-L", "I-L", "O"])
    first_spans, second_spans = [(0, 2, "P"), (3, 4, "L")], [(3, 5, "L")]
    # union: every span, overlaps settled by confidence: (3, 5) is 0.5 + 0.5 * (1 + 1 + 1) / 3 against
    # (3, 4)'s (1 + 1) / 2 * 0.5 + (1 + 0) / 2 * 0.5, so (3, 5) wins; (0, 2) stands alone
    assert combine_spans(first_spans, second_spans, first, second, "union") == [(0, 2, "P"), (3, 5, "L")]
    assert combine_spans(first_spans, second_spans, first, second, "intersection") == []
    assert combine_spans(first_spans, [(3, 4, "L")], first, second, "intersection") == [(3, 4, "L")]
    # confidence: a span one model alone found is kept at a mean confidence of one half or more
    assert combine_spans(first_spans, second_spans, first, second, "confidence") == [(0, 2, "P"), (3, 5, "L")]
    unsure = _certain(["O"] * 6)
    # (0, 3): (1 + 0 + 0 + 1) / 4 under the first model, (0 + 0 + 0 + 1) / 4 under the second
    assert combine_spans([(0, 3, "P")], [], _certain(["B-P", "O", "O", "O", "O", "O"]), unsure,
                         "confidence") == []
    assert combine_spans([(0, 3, "P")], [], first, unsure, "union") == [(0, 3, "P")]
    # average: the marginals averaged, decoded
    assert combine_spans([], [], first, first, "average") == first_spans
    with pytest.raises(ValueError, match="unknown combination"):
        combine_spans([], [], first, second, "vote")


def test_a_combined_tagger_trains_both_crfs_and_saves_and_loads_them(tmp_path):
    texts = ["岸田首相は東京で話した。", "田中社長は大阪で話した。", "山田教授は京都で話した。",
             "鈴木首相は福岡で話した。", "佐藤社長は札幌で話した。", "高橋教授は横浜で話した。"]
    spans = [[(0, 2, "PERSON"), (5, 7, "LOCATION")] for _ in texts]
    langs = ["ja"] * len(texts)
    for how in COMBINATIONS:
        tagger = CRFTagger(max_iterations=40, settings=FeatureSettings(unit="char", combine=how, edges=True))
        tagger.fit(texts, langs, spans)
        assert tagger.partner is not None and tagger.partner.settings.unit == "token"
        assert tagger.partner.settings.edges and not tagger.partner.settings.combine
        assert tagger.predict(texts, langs) == spans
    tagger.save(tmp_path)
    loaded = CRFTagger.load(tmp_path)
    assert loaded.partner is not None and loaded.settings.combine == "average"
    unseen = ["伊藤首相は神戸で話した。", ""]
    assert loaded.predict(unseen, ["ja", "ja"]) == tagger.predict(unseen, ["ja", "ja"])
    with pytest.raises(ValueError, match="needs unit='char'"):
        CRFTagger(settings=FeatureSettings(combine="union")).fit(texts, langs, spans)


def test_the_two_crfs_train_in_worker_processes_to_the_same_model():
    from tagline.corpus.execution import Execution
    from tagline.eval.parallel import executing

    texts = ["岸田首相は東京で話した。", "田中社長は大阪で話した。", "山田教授は京都で話した。", "鈴木首相は福岡で話した。"]
    spans = [[(0, 2, "PERSON"), (5, 7, "LOCATION")] for _ in texts]
    langs = ["ja"] * len(texts)
    unseen = ["伊藤首相は神戸で話した。", "佐藤社長は札幌で話した。"]
    combined = FeatureSettings(unit="char", combine="confidence")
    here = CRFTagger(max_iterations=30, settings=combined).fit(texts, langs, spans)
    with executing(Execution(jobs=2)):
        there = CRFTagger(max_iterations=30, settings=combined).fit(texts, langs, spans)
    assert there.partner is not None and there.dictionary == here.dictionary
    assert there.predict(unseen, ["ja", "ja"]) == here.predict(unseen, ["ja", "ja"])
