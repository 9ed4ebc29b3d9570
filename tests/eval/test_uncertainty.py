"""How unsure the built-in models are: the three measures on known probabilities, on a CRF's
sequences, and the built-in suggester's answer to the session's ``uncertainty`` question."""

from __future__ import annotations

import math

import pytest

from tagline.eval.uncertainty import MEASURE, MEASURES, class_uncertainty, crf_uncertainty, sequence_uncertainty


def test_the_three_measures_on_known_probabilities():
    rows = [[0.7, 0.2, 0.1], [1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]]
    assert class_uncertainty(rows, "least_confidence").tolist() == pytest.approx([0.3, 0.0, 2 / 3])
    assert class_uncertainty(rows, "margin").tolist() == pytest.approx([0.5, 0.0, 1.0])
    entropy = -(0.7 * math.log(0.7) + 0.2 * math.log(0.2) + 0.1 * math.log(0.1)) / math.log(3)
    assert class_uncertainty(rows, "entropy").tolist() == pytest.approx([entropy, 0.0, 1.0])
    assert class_uncertainty([[1.0], [1.0]], "entropy").tolist() == [0.0, 0.0]  # one class: nothing to doubt
    assert MEASURE in MEASURES
    with pytest.raises(ValueError, match="unknown uncertainty measure 'guess'"):
        class_uncertainty(rows, "guess")


def test_a_sequence_is_as_uncertain_as_its_best_path_or_its_tokens():
    marginals = [[0.9, 0.1], [0.6, 0.4]]
    assert sequence_uncertainty(marginals, 0.54, "least_confidence") == pytest.approx(0.46)
    assert sequence_uncertainty(marginals, 0.54, "margin") == pytest.approx(0.8)  # the closer token
    token_entropy = [-(p * math.log(p) + (1 - p) * math.log(1 - p)) / math.log(2) for p in (0.9, 0.6)]
    assert sequence_uncertainty(marginals, 0.54, "entropy") == pytest.approx(sum(token_entropy) / 2)


def test_crf_uncertainty_reads_the_taggers_marginals_and_best_path():
    import sklearn_crfsuite

    features = [[{"w": "Tokyo"}, {"w": "is"}], [{"w": "Osaka"}, {"w": "is"}], [{"w": "it"}, {"w": "is"}]]
    tags = [["B-GPE", "O"], ["B-GPE", "O"], ["O", "O"]]
    crf = sklearn_crfsuite.CRF(algorithm="lbfgs", max_iterations=50, all_possible_transitions=True).fit(features, tags)
    tagger = crf.tagger_
    one_token = [{"w": "Kyoto"}]
    tagger.set(one_token)
    best = max(tagger.marginal(label, 0) for label in tagger.labels())
    assert crf_uncertainty(tagger, one_token, "least_confidence") == pytest.approx(1 - best)
    seen, unseen = [{"w": "Tokyo"}, {"w": "is"}], [{"w": "Nagoya"}, {"w": "is"}]
    assert crf_uncertainty(tagger, seen, "entropy") < crf_uncertainty(tagger, unseen, "entropy")
    assert crf_uncertainty(tagger, [], "margin") is None


def test_the_builtin_model_says_how_unsure_it_is_of_each_question():
    from tagline.eval.builtin_suggester import TrainingData, train_models, uncertainty_from

    texts = {"s1": "株価が上がった。", "s2": "株価が下がった。", "s3": "明日は雨だろう。", "s4": "明日は晴れだろう。",
             "s5": "東京に行った。", "s6": "大阪に行った。"}
    data = TrainingData(lang="ja", tasks=["claim_type", "entities"], targets=[], labels={}, texts=texts,
                        langs=dict.fromkeys(texts, "ja"))
    data.answers[("claim_type", None)] = {i: {"label": "quantity" if i in ("s1", "s2") else "prediction"}
                                          for i in ("s1", "s2", "s3", "s4")}
    data.answers[("entities", None)] = {"s5": {"spans": [{"start": 0, "end": 2, "label": "GPE"}]},
                                        "s6": {"spans": [{"start": 0, "end": 2, "label": "GPE"}]}}
    models = train_models(data)
    sentences = [{"id": "n1", "text": "株価が上がるだろう。", "lang": "ja"}, {"id": "n2", "text": "。", "lang": "ja"}]
    found = uncertainty_from(models, sentences)
    assert set(found[0]) == {("claim_type", None), ("entities", None)}
    assert all(0 <= value <= 1 for by_slot in found for value in by_slot.values())
    margin = uncertainty_from(models, sentences, "margin")
    assert margin[0][("claim_type", None)] != found[0][("claim_type", None)]


def test_the_docstring_examples_run():
    import doctest

    from tagline.eval import uncertainty

    assert doctest.testmod(uncertainty).failed == 0
