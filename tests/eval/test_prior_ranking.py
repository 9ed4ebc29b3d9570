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


def test_a_cross_fitted_prior_scores_its_own_sentences_out_of_fold_and_others_with_the_whole_corpus():
    from sklearn.model_selection import StratifiedKFold

    from tagline.eval.baselines.prior import CrossFittedPrior

    texts = [f"{claim} ({n})" for n in range(3) for claim in CLAIMS] + [f"{other} ({n})" for n in range(3) for other in OTHER]
    labels = [1] * 12 + [0] * 12
    crossed = CrossFittedPrior(folds=3, random_state=0).fit(texts, labels)
    expected = np.zeros(len(texts))
    for fit_rows, score_rows in StratifiedKFold(3, shuffle=True, random_state=0).split(texts, labels):
        model = make_claimbuster_prior().fit([texts[i] for i in fit_rows], [labels[i] for i in fit_rows])
        expected[score_rows] = model.decision_function([texts[i] for i in score_rows])
    assert np.allclose(crossed.decision_function(texts), expected)
    whole = make_claimbuster_prior().fit(texts, labels)
    unseen = ["Wages rose 3 percent in Texas.", "Thanks, everyone."]
    assert np.allclose(crossed.decision_function(unseen), whole.decision_function(unseen))
    assert not np.allclose(whole.decision_function(texts[:1]), expected[:1])  # in sample it would differ
    # matched as normalised text: case and spacing do not make a corpus sentence unseen
    assert np.isclose(crossed.decision_function(["  " + texts[0].upper()])[0], expected[0])
    assert crossed.decision_function([]).shape == (0,)


class Recorder:
    """Stands for a pipeline: records what fit is given."""

    classes_ = np.array([0, 1])

    def fit(self, lines, labels, **kwargs):
        self.lines, self.labels, self.kwargs = lines, labels, kwargs
        return self


def test_with_corpus_fits_on_the_debates_then_the_corpus_each_corpus_sentence_a_lone_debate_weighted():
    from tagline.eval.baselines.debate import debate_cues
    from tagline.eval.baselines.prior import WithCorpus

    lines, labels = debate("d1")
    recorder = Recorder()
    model = WithCorpus(recorder, ["Taxes rose 5%.", "Why not?"], [1, 0], weight=0.25).fit(lines, labels)
    assert recorder.labels == labels + [1, 0]
    assert recorder.kwargs == {"classifier__sample_weight": [1.0] * len(lines) + [0.25, 0.25]}
    assert [str(line) for line in recorder.lines[-2:]] == ["Taxes rose 5%.", "Why not?"]
    assert model.classes_.tolist() == [0, 1]
    # each alone in its document, without a speaker: a whole turn and debate of one sentence
    lone = debate_cues(recorder.lines[-2:]).round(3).tolist()
    log2 = round(float(np.log(2)), 3)
    assert lone == [[0.0, 0.0, 1.0, log2, 0.0, 1.0, 0.0, log2, 0.0, 0.0],
                    [0.0, 1.0, 1.0, log2, 0.0, 1.0, 0.0, log2, 0.0, 1.0]]
    with pytest.raises(ValueError, match="2 texts and 1 labels"):
        WithCorpus(Recorder(), ["a", "b"], [1])


def test_a_corpus_trained_on_too_teaches_claims_the_debates_lack_and_its_weight_says_how_much(prior):
    from tagline.eval.baselines.prior import CrossFittedPrior, make_speaker_svm_with_corpus

    train = [debate(name) for name in ("d1", "d2")]
    texts = [line for lines, _ in train for line in lines]
    labels = [label for _, labels in train for label in labels]
    corpus = [f"The deficit grew by {n} trillion dollars." for n in range(2, 12)] + \
             [f"What a lovely evening number {n}." for n in range(2, 12)]
    corpus_labels = [1] * 10 + [0] * 10
    crossed = CrossFittedPrior(folds=2).fit(corpus, corpus_labels)
    unseen = [DebateLine("The deficit grew by 20 trillion dollars.", "t", "A"), DebateLine("Why is that?", "t", "HOST")]

    def margin(weight):
        model = make_speaker_svm_with_corpus(corpus, corpus_labels, crossed, weight=weight, lang="en")
        scores = positive_scores(model.fit(texts, labels), unseen, positive=1)
        return scores[0] - scores[1]

    assert 0 < margin(0.1) < margin(1.0)


def test_a_cross_fitted_prior_fits_the_factory_it_is_given():
    from tagline.eval.baselines.prior import CrossFittedPrior, make_char_prior

    texts = [f"{claim} ({n})" for n in range(3) for claim in CLAIMS] + [f"{other} ({n})" for n in range(3) for other in OTHER]
    labels = [1] * 12 + [0] * 12
    crossed = CrossFittedPrior(folds=3, factory=make_char_prior).fit(texts, labels)
    assert crossed.model_.named_steps["ngrams"].analyzer == "char"
    unseen = ["Wages rose 3 percent in Texas.", "Thanks, everyone."]
    whole = make_char_prior().fit(texts, labels)
    assert np.allclose(crossed.decision_function(unseen), whole.decision_function(unseen))
    assert not np.allclose(crossed.decision_function(unseen),
                           CrossFittedPrior(folds=3).fit(texts, labels).decision_function(unseen))
