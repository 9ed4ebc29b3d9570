"""Text baselines as rankers: a fitted model's scores for one label, and tuning a baseline's
parameters for mean average precision by cross-validation over groups (debates)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from tagline.eval.baselines import (
    TUNING_GRIDS,
    CrossValidatedClassifier,
    make_text_baseline,
    make_tuned_baseline,
    positive_scores,
)
from tagline.eval.metrics import average_precision

CLAIMS = ["taxes rose by 5 percent", "we lost 700,000 jobs", "crime fell 20 percent", "the deficit doubled"]
OTHER = ["thank you very much", "good evening everyone", "let me say this", "that is a great question"]


def debates(n_debates: int, seed: int) -> tuple[list[str], list[str], list[str]]:
    """Sentences of several debates; check-worthy ones mostly, not always, sound like claims."""
    rng = random.Random(seed)
    texts, labels, groups = [], [], []
    for debate in range(n_debates):
        for i in range(30):
            label = "check_worthy" if rng.random() < 0.2 else "not_check_worthy"
            pool = CLAIMS if (label == "check_worthy") == (rng.random() < 0.8) else OTHER
            texts.append(f"{rng.choice(pool)} {rng.choice(pool).split()[-1]} s{i % 5}")
            labels.append(label)
            groups.append(f"debate{debate}")
    return texts, labels, groups


@pytest.mark.parametrize("name", ["tfidf_svm", "tfidf_logreg"])
def test_scores_are_the_decision_function_of_the_label(name):
    texts, labels, _ = debates(3, seed=1)
    model = make_text_baseline(name, lang="en").fit(texts, labels)
    assert model.classes_.tolist() == ["check_worthy", "not_check_worthy"]
    decision = model.decision_function(texts[:10])  # the score of classes_[1]
    assert positive_scores(model, texts[:10], positive="not_check_worthy").tolist() == decision.tolist()
    assert positive_scores(model, texts[:10], positive="check_worthy").tolist() == (-decision).tolist()


def test_scores_are_probabilities_where_there_is_no_decision_function():
    texts, labels, _ = debates(3, seed=2)
    nb = make_text_baseline("tfidf_nb", lang="en").fit(texts, labels)
    assert positive_scores(nb, texts[:5], positive="check_worthy").tolist() == \
        nb.predict_proba(texts[:5])[:, 0].tolist()
    majority = make_text_baseline("majority", lang="en").fit(texts, labels)
    assert len(set(positive_scores(majority, texts, positive="check_worthy").tolist())) == 1  # one tie: text order


def test_scores_of_a_multi_class_model_and_of_a_tuned_one():
    texts = ["up 5 percent", "up 6 percent", "will rise", "will fall", "hello", "thanks"] * 3
    labels = ["quantity", "quantity", "prediction", "prediction", "not_claim", "not_claim"] * 3
    svm = make_text_baseline("tfidf_svm", lang="en").fit(texts, labels)
    column = svm.classes_.tolist().index("prediction")
    assert positive_scores(svm, ["it will rise"], positive="prediction").tolist() == \
        svm.decision_function(["it will rise"])[:, column].tolist()
    tuned = make_tuned_baseline("tfidf_svm", lang="en", scoring="macro_f1", folds=3).fit(texts, labels)
    assert positive_scores(tuned, texts, positive="quantity").tolist() == \
        positive_scores(tuned.best_estimator_, texts, positive="quantity").tolist()
    with pytest.raises(ValueError, match="fitted on the labels 'not_claim', 'prediction', 'quantity', not 'cw'"):
        positive_scores(svm, texts, positive="cw")


def test_map_tuning_scores_every_held_out_debate_once():
    from sklearn.base import clone
    from sklearn.model_selection import ParameterGrid, StratifiedGroupKFold

    texts, labels, groups = debates(8, seed=3)
    grid = TUNING_GRIDS["tfidf_logreg"]
    model = CrossValidatedClassifier(make_text_baseline("tfidf_logreg", lang="en"), grid, scoring="map", folds=4,
                                     random_state=5, positive="check_worthy").fit(texts, labels, groups)
    # The same search written out: for each setting, a whole pipeline fitted on each fold's training part,
    # then the average precision of each held-out debate, averaged over all eight debates.
    splits = list(StratifiedGroupKFold(4, shuffle=True, random_state=5).split(texts, labels, groups))
    expected = []
    for params in ParameterGrid(grid):
        precisions = []
        for train, held_out in splits:
            pipeline = clone(make_text_baseline("tfidf_logreg", lang="en")).set_params(
                **{f"classifier__{key}": value for key, value in params.items()})
            pipeline.fit([texts[i] for i in train], [labels[i] for i in train])
            scores = positive_scores(pipeline, [texts[i] for i in held_out], positive="check_worthy")
            for debate in sorted({groups[i] for i in held_out}):
                mine = [k for k, i in enumerate(held_out) if groups[i] == debate]
                precisions.append(average_precision([labels[held_out[k]] for k in mine], scores[mine],
                                                    positive="check_worthy"))
        assert len(precisions) == 8
        expected.append(float(np.mean(precisions)))
    assert [row["score"] for row in model.cv_scores_] == pytest.approx(expected, abs=1e-12)
    assert model.best_score_ == max(expected) and model.folds_used_ == 4
    assert model.get_params()["positive"] == "check_worthy"


def test_map_tuning_needs_the_groups_and_the_relevant_label():
    texts, labels, groups = debates(4, seed=4)
    for model, arguments in [
        (make_tuned_baseline("tfidf_svm", lang="en", scoring="map", positive="check_worthy"), (texts, labels)),
        (make_tuned_baseline("tfidf_svm", lang="en", scoring="map"), (texts, labels, groups)),
    ]:
        with pytest.raises(ValueError, match="scoring='map' ranks the items of each group"):
            model.fit(*arguments)
    with pytest.raises(ValueError, match="expected 'f_avg', 'macro_f1' or 'map'"):
        make_tuned_baseline("tfidf_svm", lang="en", scoring="auc").fit(texts, labels)
