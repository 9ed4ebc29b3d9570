"""tagline.eval.metrics: agreement with scikit-learn, the SemEval F_avg, and bootstrap intervals."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from tagline.eval.metrics import (
    METRICS,
    accuracy,
    bootstrap_ci,
    classification_metrics,
    f_avg,
    f_avg_by_target,
    macro_f1,
    metric_value,
    paired_bootstrap,
    weighted_f1,
)

STANCE = ["FAVOR", "AGAINST", "NONE"]


def random_labels(seed: int, n: int, labels=STANCE, skew=None):
    rng = np.random.default_rng(seed)
    return [labels[i] for i in rng.choice(len(labels), size=n, p=skew)]


def sklearn_f_avg(y_true, y_pred):
    return f1_score(y_true, y_pred, labels=["FAVOR", "AGAINST"], average="macro", zero_division=0)


# ----- against scikit-learn -------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_classification_metrics_equal_sklearn(seed):
    # Few items and a skewed distribution, so some classes go unpredicted or unseen; UNUSED is
    # configured and never gold or predicted.
    y_true = random_labels(seed, 30, skew=[0.1, 0.6, 0.3])
    y_pred = random_labels(seed + 100, 30, skew=[0.05, 0.9, 0.05])
    result = classification_metrics(y_true, y_pred, labels=STANCE + ["UNUSED"])
    stated = [label for label in STANCE if label in y_true + y_pred]
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=stated, zero_division=0)
    assert result["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    # The averages run over the labels with a row, which is scikit-learn's default (labels that occur).
    assert result["averaged_labels"] == list(result["per_class"]) == stated
    assert result["absent_labels"] == ["UNUSED"]
    assert result["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro", zero_division=0))
    assert result["macro_f1"] == pytest.approx(np.mean([row["f1"] for row in result["per_class"].values()]))
    assert result["weighted_f1"] == pytest.approx(f1_score(y_true, y_pred, labels=stated, average="weighted",
                                                           zero_division=0))
    for i, label in enumerate(stated):
        assert result["per_class"][label] == pytest.approx(
            {"precision": precision[i], "recall": recall[i], "f1": f1[i], "support": support[i],
             "predicted": y_pred.count(label)})
    assert result["confusion_matrix"] == {"labels": STANCE + ["UNUSED"],
                                          "matrix": confusion_matrix(y_true, y_pred, labels=STANCE + ["UNUSED"]).tolist()}


def test_classification_metrics_are_plain_json():
    result = classification_metrics(["a", "a", "b"], ["a", "b", "d"], labels=["a", "b", "c", "d"])
    json.dumps(result, allow_nan=False)
    assert type(result["macro_f1"]) is float and type(result["per_class"]["d"]["support"]) is int
    assert type(result["confusion_matrix"]["matrix"][0][0]) is int
    # Never predicted, never gold: no row and no part in the averages, rather than a row of zeros.
    assert "c" not in result["per_class"] and result["absent_labels"] == ["c"]
    # Predicted, never gold: a row whose one prediction is a false positive (recall 0/0 given as 0).
    assert result["per_class"]["d"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0, "predicted": 1}
    assert result["per_class"]["b"]["precision"] == 0.0
    assert result["macro_f1"] == pytest.approx((2 / 3 + 0 + 0) / 3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcde")), min_size=1, max_size=40))
def test_point_metrics_equal_sklearn(pairs):
    y_true, y_pred = [t for t, _ in pairs], [p for _, p in pairs]
    labels = list("abcd")
    assert accuracy(y_true, y_pred) == pytest.approx(accuracy_score(y_true, y_pred))
    assert macro_f1(y_true, y_pred, labels=labels) == pytest.approx(
        f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))
    assert weighted_f1(y_true, y_pred, labels=labels) == pytest.approx(
        f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0))
    assert f_avg(y_true, y_pred, positive=["a", "b"]) == pytest.approx(
        f1_score(y_true, y_pred, labels=["a", "b"], average="macro", zero_division=0))


@pytest.mark.parametrize("seed", range(3))
def test_fast_bootstrap_equals_sklearn_called_per_resample(seed):
    # The vectorised path (confusion counts by bincount) and a plain callable draw the same
    # resamples, so with scikit-learn as the callable the intervals must agree.
    y_true = random_labels(seed, 120, skew=[0.2, 0.5, 0.3])
    y_pred = random_labels(seed + 7, 120, skew=[0.1, 0.3, 0.6])
    pairs = [
        (f_avg, sklearn_f_avg),
        (accuracy, accuracy_score),
        (functools.partial(macro_f1, labels=STANCE),
         lambda t, p: f1_score(t, p, labels=STANCE, average="macro", zero_division=0)),
        ("weighted_f1", lambda t, p: f1_score(t, p, labels=STANCE, average="weighted", zero_division=0)),
        (functools.partial(macro_f1, labels=STANCE, skip_absent=True),
         lambda t, p: f1_score(t, p, average="macro", zero_division=0)),  # sklearn: labels that occur
        (functools.partial(f_avg, skip_when_absent=["FAVOR"]),  # FAVOR left out where no item has it
         lambda t, p: f1_score(t, p, labels=[c for c in ("FAVOR", "AGAINST") if c == "AGAINST" or c in t + p],
                               average="macro", zero_division=0)),
    ]
    for fast, reference in pairs:
        labels = STANCE if isinstance(fast, str) else None
        a = bootstrap_ci(fast, y_true, y_pred, labels=labels, n_resamples=40, random_state=seed)
        b = bootstrap_ci(reference, y_true, y_pred, n_resamples=40, random_state=seed)
        assert a == pytest.approx(b, abs=1e-12), fast


# ----- F_avg ----------------------------------------------------------------------------------
def test_f_avg_hand_computed():
    # Predicting NONE for everything: no FAVOR or AGAINST guesses, so both F1 are 0.
    assert f_avg(["FAVOR", "AGAINST", "NONE"], ["NONE"] * 3) == 0.0
    assert f_avg(["NONE", "NONE"], ["NONE", "NONE"]) == 0.0
    assert f_avg(["FAVOR", "AGAINST"], ["FAVOR", "AGAINST"]) == 1.0
    # FAVOR: P 1/1, R 1/1 -> 1. AGAINST: P 1/2, R 1/2 -> 0.5. Mean 0.75.
    assert f_avg(["FAVOR", "AGAINST", "AGAINST", "NONE"], ["FAVOR", "AGAINST", "NONE", "AGAINST"]) == 0.75
    # No AGAINST anywhere: its F1 counts as 0 (eval.pl divides by 2 regardless).
    assert f_avg(["FAVOR", "FAVOR"], ["FAVOR", "FAVOR"]) == 0.5
    # Gold NONE predicted FAVOR lowers FAVOR precision: P 1/2, R 1 -> 2/3; AGAINST 1.
    assert f_avg(["FAVOR", "NONE", "AGAINST"], ["FAVOR", "FAVOR", "AGAINST"]) == pytest.approx((2 / 3 + 1) / 2)
    # Labels are case-sensitive, as in the official scorer.
    assert f_avg(["FAVOR"], ["favor"]) == 0.0


def test_f_avg_pools_targets_rather_than_averaging_them():
    y_true = ["FAVOR", "AGAINST", "FAVOR", "FAVOR", "FAVOR", "AGAINST"]
    y_pred = ["FAVOR", "AGAINST", "NONE", "NONE", "FAVOR", "FAVOR"]
    targets = ["t1", "t1", "t2", "t2", "t2", "t2"]
    scores = f_avg_by_target(y_true, y_pred, targets=targets)
    assert scores["f_avg"] == f_avg(y_true, y_pred)
    assert scores["per_target"]["t1"] == {"n": 2, "f_avg": 1.0}
    assert scores["per_target"]["t2"]["f_avg"] == pytest.approx(f_avg(y_true[2:], y_pred[2:]))
    assert scores["macro_over_targets"] == pytest.approx((1.0 + scores["per_target"]["t2"]["f_avg"]) / 2)
    assert scores["macro_over_targets"] != pytest.approx(scores["f_avg"])


def test_metrics_by_name():
    assert set(METRICS) == {"accuracy", "macro_f1", "weighted_f1", "f_avg"}
    y_true, y_pred = ["a", "a", "b"], ["a", "b", "b"]
    assert metric_value("macro_f1", y_true, y_pred, labels=["a", "b"]) == macro_f1(y_true, y_pred, labels=["a", "b"])
    assert metric_value("accuracy", y_true, y_pred, labels=["a", "b"]) == accuracy(y_true, y_pred)
    with pytest.raises(ValueError, match="pass labels="):
        metric_value("macro_f1", y_true, y_pred)
    with pytest.raises(ValueError, match="unknown metric 'micro'"):
        metric_value("micro", y_true, y_pred)
    with pytest.raises(ValueError, match="functools.partial"):
        bootstrap_ci(accuracy, y_true, y_pred, labels=["a", "b"])


def test_inputs_are_checked():
    with pytest.raises(ValueError, match="y_true has 2 items but y_pred has 1"):
        f_avg(["FAVOR", "NONE"], ["FAVOR"])
    with pytest.raises(ValueError, match="no items"):
        accuracy([], [])
    with pytest.raises(ValueError, match="'MAYBE', which is not in labels"):
        classification_metrics(["FAVOR"], ["MAYBE"], labels=STANCE)
    with pytest.raises(ValueError, match="repeats 'NONE'"):
        classification_metrics(["NONE"], ["NONE"], labels=["NONE", "NONE"])
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci(accuracy, ["a"], ["a"], confidence=95)
    with pytest.raises(ValueError, match="pred_b has 1"):
        paired_bootstrap(accuracy, ["a", "b"], ["a", "b"], ["a"])


# ----- bootstrap --------------------------------------------------------------------------------
def test_bootstrap_interval_contains_the_value_and_is_deterministic():
    y_true = random_labels(1, 400)
    y_pred = [t if i % 3 else "NONE" for i, t in enumerate(y_true)]
    first = bootstrap_ci(f_avg, y_true, y_pred, n_resamples=500, random_state=3)
    assert first["low"] <= first["value"] <= first["high"]
    assert first["value"] == f_avg(y_true, y_pred)
    assert first == bootstrap_ci(f_avg, y_true, y_pred, n_resamples=500, random_state=3)
    assert first != bootstrap_ci(f_avg, y_true, y_pred, n_resamples=500, random_state=4)
    assert set(first) == {"value", "low", "high", "n_resamples", "confidence", "random_state"}
    json.dumps(first, allow_nan=False)
    narrower = bootstrap_ci(f_avg, y_true, y_pred, n_resamples=500, confidence=0.5, random_state=3)
    assert first["low"] <= narrower["low"] <= narrower["high"] <= first["high"]


def test_bootstrap_of_a_perfect_system_is_a_point():
    y_true = random_labels(2, 50)
    assert bootstrap_ci(f_avg, y_true, y_true, n_resamples=100) == {
        "value": 1.0, "low": 1.0, "high": 1.0, "n_resamples": 100, "confidence": 0.95, "random_state": 0}


def test_macro_f1_interval_of_a_perfect_system_with_a_rare_class_is_a_point():
    # 3 of 60 items are "rare": many resamples draw none of them. Counting the missing class as
    # F1 = 0 would put the interval of perfect predictions far below 1.
    y_true = ["a"] * 30 + ["b"] * 27 + ["rare"] * 3
    labels = ["a", "b", "rare"]
    skipping = bootstrap_ci(functools.partial(macro_f1, labels=labels, skip_absent=True), y_true, y_true,
                            n_resamples=300)
    assert (skipping["value"], skipping["low"], skipping["high"]) == (1.0, 1.0, 1.0)
    zeroing = bootstrap_ci("macro_f1", y_true, y_true, labels=labels, n_resamples=300)
    assert zeroing["value"] == 1.0 and zeroing["low"] < 0.7


def test_f_avg_interval_of_perfect_stance_predictions_with_few_favor_items_is_a_point():
    # 2 of 40 items are FAVOR: about 13% of resamples draw none. eval.pl's rule (a class with no
    # items scores 0) is kept for the score itself, not applied to a class the resample missed.
    from tagline.eval.run import label_metric

    y_true = ["AGAINST"] * 30 + ["NONE"] * 8 + ["FAVOR"] * 2
    run_metric = bootstrap_ci(label_metric("f_avg", STANCE), y_true, y_true, n_resamples=300)
    assert (run_metric["value"], run_metric["low"], run_metric["high"]) == (1.0, 1.0, 1.0)
    official_rule_everywhere = bootstrap_ci(f_avg, y_true, y_true, n_resamples=300)
    assert official_rule_everywhere["low"] == 0.5
    # A class absent from the whole test set still scores 0, as in eval.pl.
    no_favor = ["AGAINST"] * 30 + ["NONE"] * 10
    present = [label for label in STANCE if label in no_favor]
    assert label_metric("f_avg", present)(no_favor, no_favor) == f_avg(no_favor, no_favor) == 0.5


def test_run_scores_use_the_batched_path_and_the_unbiased_macro_f1():
    from tagline.eval.metrics import batched_version
    from tagline.eval.run import label_metric, score_labels

    for name in ("accuracy", "macro_f1", "weighted_f1", "f_avg"):
        assert batched_version(label_metric(name, STANCE)) is not None, name
    y_true = ["FAVOR"] * 40 + ["AGAINST"] * 17 + ["NONE"] * 3
    scores = score_labels("stance", y_true, y_true, STANCE, n_resamples=300)["metrics"]
    assert all((m["value"], m["low"], m["high"]) == (1.0, 1.0, 1.0) for m in scores.values()), scores


def test_paired_bootstrap_sign_and_p_value():
    y_true = random_labels(8, 300)
    weak = [t if i % 2 else "NONE" for i, t in enumerate(y_true)]
    strong = [t if i % 10 else "NONE" for i, t in enumerate(y_true)]
    better = paired_bootstrap(f_avg, y_true, weak, strong, n_resamples=500)
    assert better["difference"] == pytest.approx(better["b"] - better["a"]) and better["difference"] > 0
    assert better["a"] == f_avg(y_true, weak) and better["b"] == f_avg(y_true, strong)
    assert 0 < better["low"] <= better["difference"] <= better["high"]
    assert better["p_value"] < 0.01
    worse = paired_bootstrap(f_avg, y_true, strong, weak, n_resamples=500)
    assert worse["difference"] == pytest.approx(-better["difference"])
    assert worse["high"] < 0 and worse["p_value"] == better["p_value"]  # the same evidence, either way round
    same = paired_bootstrap("macro_f1", y_true, weak, list(weak), labels=STANCE, n_resamples=200)
    assert same["difference"] == same["low"] == same["high"] == 0.0 and same["p_value"] == 1.0
    json.dumps(same, allow_nan=False)


def test_several_metrics_share_their_resamples_and_keep_their_own_intervals(monkeypatch):
    from tagline.eval.metrics import bootstrap, bootstrap_intervals
    from tagline.eval.run import label_metric

    y_true = random_labels(3, 500, skew=[0.3, 0.2, 0.5])
    y_pred = random_labels(4, 500, skew=[0.2, 0.3, 0.5])
    metrics = {name: label_metric(name, STANCE) for name in ("f_avg", "accuracy", "macro_f1", "weighted_f1")}
    metrics["plain"] = lambda t, p: sum(a == b for a, b in zip(t, p)) / len(t)  # scored per resample
    each = {name: bootstrap_ci(metric, y_true, y_pred, n_resamples=300, random_state=5) for name, metric in metrics.items()}
    drawn = []
    original = bootstrap._resamples
    monkeypatch.setattr(bootstrap, "_resamples", lambda *args: drawn.append(args) or original(*args))
    together = bootstrap_intervals(metrics, y_true, y_pred, n_resamples=300, random_state=5)
    assert together == each and list(together) == list(metrics)
    assert together["plain"] == pytest.approx(together["accuracy"], abs=1e-12)
    # One draw for the four counted metrics, and one for the metric scored resample by resample.
    assert len(drawn) == 2
