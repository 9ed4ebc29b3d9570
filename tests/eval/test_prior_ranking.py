"""``speaker_svm`` with a prior (tagline.eval.baselines.prior): a model fitted on another corpus
gives each sentence one more feature, its score; the prior never sees the sentences it scores."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from tagline.eval.baselines import positive_scores
from tagline.eval.baselines.debate import DebateLine
from tagline.eval.baselines.prior import (
    PRIOR_WEIGHT,
    debates_apart,
    make_claimbuster_prior,
    make_speaker_svm_with_prior,
    normalised,
    prior_scores,
    without_texts,
)

CLAIMS = ["Unemployment rose 5 percent in Ohio last year.", "We spent 2 billion dollars on the wall.",
          "Taxes went up 40 percent under this plan.", "Crime fell 12 percent in Chicago since 2010."]
OTHER = ["Thank you all for coming tonight.", "I love this great country.", "Good evening, everybody.",
         "Let me say this about that."]


@pytest.fixture(scope="module")
def prior():
    """A prior fitted on made-up claims (1) and other sentences (0), each said twice."""
    texts = (CLAIMS + OTHER) * 2
    return make_claimbuster_prior().fit(texts, [1] * len(CLAIMS) + [0] * len(OTHER) + [1] * len(CLAIMS) + [0] * len(OTHER))


def debate(name: str) -> tuple[list[DebateLine], list[int]]:
    lines, labels = [], []
    for claim, other in zip(CLAIMS, OTHER):
        lines += [DebateLine("Why is that?", name, "HOST"), DebateLine(claim, name, "A"), DebateLine(other, name, "A")]
        labels += [0, 1, 0]
    return lines, labels


def test_without_texts_drops_the_sentences_to_be_scored_however_they_are_spaced_or_cased():
    texts, labels = without_texts(["Taxes rose.", "We won.", "It  rained  today. "], [1, 0, 1],
                                  ["it rained today.", "TAXES ROSE."])
    assert (texts, labels) == (["We won."], [0])
    assert normalised("  It \t rained\nTODAY. ") == "it rained today."
    with pytest.raises(ValueError, match="3 texts and 2 labels"):
        without_texts(["a", "b", "c"], [0, 1], [])


def test_the_prior_scores_claims_above_other_sentences(prior):
    scores = prior_scores([DebateLine(CLAIMS[0], "d", "A"), DebateLine(OTHER[0], "d", "A")], prior)
    assert scores.shape == (2, 1) and scores[0, 0] > scores[1, 0]


def test_the_models_last_feature_is_the_standardised_prior_score_weighted(prior):
    texts, labels = debate("d1")
    model = make_speaker_svm_with_prior(prior, lang="en").fit(texts, labels)
    features = model.named_steps["features"].transform(texts)
    raw = prior_scores(texts, prior)[:, 0]
    expected = PRIOR_WEIGHT * (raw - raw.mean()) / raw.std()
    assert np.allclose(features[:, -1].toarray().ravel(), expected)


def test_it_ranks_a_new_debates_claims_first_and_pickles_with_its_prior(prior):
    train = [debate(name) for name in ("d1", "d2", "d3")]
    texts = [line for lines, _ in train for line in lines]
    labels = [label for _, labels in train for label in labels]
    model = make_speaker_svm_with_prior(prior, lang="en").fit(texts, labels)
    test, gold = debate("t1")
    scores = positive_scores(model, test, positive=1)
    ranked = [gold[i] for i in np.argsort(-np.asarray(scores), kind="stable")]
    assert ranked[:len(CLAIMS)] == [1] * len(CLAIMS)
    again = pickle.loads(pickle.dumps(model))
    assert np.allclose(positive_scores(again, test, positive=1), scores)


def test_debates_apart_drops_another_editions_version_of_a_debate_but_not_one_sharing_set_phrases():
    common = ["Thank you very much for having me here tonight."] * 3
    debate = [f"Sentence number {n} of the first debate is long enough." for n in range(30)]
    candidates = [("copy", debate[:25] + common), ("other", common + ["A different long sentence said only here."]),
                  ("short", [f"Number {n} here." for n in range(30)])]
    kept = debates_apart(candidates, [("first", debate + common), ("short-one", [f"Number {n} here." for n in range(30)])])
    assert kept == ["other", "short"]  # "short" shares only sentences under six words
    assert debates_apart(candidates, [("first", debate)], at_most=25) == ["copy", "other", "short"]


def test_each_prior_gives_one_feature_and_none_is_refused(prior):
    texts, labels = debate("d1")
    one = make_speaker_svm_with_prior(prior, lang="en").fit(texts, labels)
    two = make_speaker_svm_with_prior(prior, prior, lang="en").fit(texts, labels)
    width = one.named_steps["features"].transform(texts).shape[1]
    features = two.named_steps["features"].transform(texts)
    assert features.shape[1] == width + 1
    assert np.allclose(features[:, -1].toarray(), features[:, -2].toarray())
    with pytest.raises(ValueError, match="at least one fitted prior"):
        make_speaker_svm_with_prior(lang="en")
