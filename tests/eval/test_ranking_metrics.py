"""The CheckThat! ranking measures: hand-computed cases, ties in document order, scikit-learn's
average precision where it applies (no ties), grouping, and intervals that resample groups."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.eval.metrics import (
    CHECKTHAT_CUTOFFS,
    average_precision,
    bootstrap_ranking_ci,
    grouped_ranking_measures,
    mean_average_precision,
    precision_at_k,
    r_precision,
    ranking_measures,
    reciprocal_rank,
)


def test_a_ranking_computed_by_hand():
    # Ranked: 0.9 (no), 0.8 (yes), 0.7 (no), 0.6 (yes), 0.5 (no).
    y, scores = [0, 1, 0, 1, 0], [0.9, 0.8, 0.7, 0.6, 0.5]
    # Precision at the relevant ranks 2 and 4: 1/2 and 2/4.
    assert average_precision(y, scores) == pytest.approx((1 / 2 + 2 / 4) / 2)
    assert r_precision(y, scores) == pytest.approx(1 / 2)  # R = 2: one of the first two
    assert reciprocal_rank(y, scores) == pytest.approx(1 / 2)
    assert [precision_at_k(y, scores, k) for k in (1, 2, 3, 4, 5)] == pytest.approx([0, 1 / 2, 1 / 3, 2 / 4, 2 / 5])
    measures = ranking_measures(y, scores, cutoffs=(1, 3))
    assert list(measures) == ["average_precision", "r_precision", "reciprocal_rank", "precision_at_1",
                              "precision_at_3"]
    assert ranking_measures(y, scores).keys() >= {f"precision_at_{k}" for k in CHECKTHAT_CUTOFFS}


def test_the_order_of_the_items_does_not_matter_only_their_scores():
    y, scores = [0, 1, 0, 1, 0], [0.9, 0.8, 0.7, 0.6, 0.5]
    shuffled = [4, 2, 0, 3, 1]
    assert ranking_measures([y[i] for i in shuffled], [scores[i] for i in shuffled]) == ranking_measures(y, scores)


def test_ties_keep_the_order_of_the_items_as_the_organisers_scorer_does():
    # Three tied scores: the relevant one first, then the relevant one last.
    assert average_precision([1, 0, 0, 1], [1, 1, 1, 0]) == pytest.approx((1 / 1 + 2 / 4) / 2)
    assert average_precision([0, 0, 1, 1], [1, 1, 1, 0]) == pytest.approx((1 / 3 + 2 / 4) / 2)
    assert reciprocal_rank([0, 0, 1], [5, 5, 5]) == pytest.approx(1 / 3)
    # scikit-learn scores the tied block as one step, so it gives both rankings (1/3 + 1/2) / 2.
    from sklearn.metrics import average_precision_score

    assert average_precision_score([1, 0, 0, 1], [1, 1, 1, 0]) == pytest.approx((1 / 3 + 1 / 2) / 2)


def test_no_relevant_item_scores_zero_and_short_rankings_divide_by_k():
    for measure in (average_precision, r_precision, reciprocal_rank):
        assert measure([0, 0, 0], [3, 2, 1]) == 0.0
    assert precision_at_k([0, 0], [2, 1], 1) == 0.0
    assert precision_at_k([0, 1], [2, 1], 5) == pytest.approx(1 / 5)
    assert ranking_measures([1], [0.0], cutoffs=(1, 50)) == {
        "average_precision": 1.0, "r_precision": 1.0, "reciprocal_rank": 1.0, "precision_at_1": 1.0,
        "precision_at_50": 1 / 50}


def test_labels_name_the_relevant_items_with_positive():
    y = ["not_check_worthy", "check_worthy", "not_check_worthy"]
    assert average_precision(y, [3, 2, 1], positive="check_worthy") == pytest.approx(1 / 2)
    assert average_precision([False, True, False], [3, 2, 1]) == pytest.approx(1 / 2)  # True == 1
    # Labels that never equal positive mean nothing is relevant.
    assert average_precision(y, [3, 2, 1]) == 0.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=40).filter(any), st.randoms(use_true_random=False))
def test_average_precision_equals_scikit_learns_without_ties(relevant, random):
    from sklearn.metrics import average_precision_score

    scores = random.sample(range(1000), len(relevant))  # distinct, so there are no ties
    assert average_precision(relevant, scores) == pytest.approx(average_precision_score(relevant, scores))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcd"), st.booleans()), min_size=1, max_size=60),
       st.randoms(use_true_random=False))
def test_grouped_measures_are_each_groups_measures_and_their_means(items, random):
    from sklearn.metrics import average_precision_score

    groups, relevant = [group for group, _ in items], [flag for _, flag in items]
    scores = random.sample(range(10**6), len(items))  # distinct, so scikit-learn's AP applies
    result = grouped_ranking_measures(relevant, scores, groups, cutoffs=(1, 3))
    assert list(result["per_group"]) == list(dict.fromkeys(groups))  # in order of first appearance
    assert result["n_groups"] == len(set(groups))
    for group, measures in result["per_group"].items():
        indices = [i for i, g in enumerate(groups) if g == group]
        ours = ranking_measures([relevant[i] for i in indices], [scores[i] for i in indices], cutoffs=(1, 3))
        assert measures == ours
        assert result["n_relevant"][group] == sum(relevant[i] for i in indices)
        if result["n_relevant"][group]:
            truth = [relevant[i] for i in indices]
            assert ours["average_precision"] == pytest.approx(average_precision_score(truth, [scores[i] for i in indices]))
    for name, value in result["mean"].items():
        assert value == pytest.approx(sum(m[name] for m in result["per_group"].values()) / result["n_groups"])
    assert mean_average_precision(relevant, scores, groups) == pytest.approx(result["mean"]["average_precision"])


def test_map_counts_every_debate_once_whatever_its_size():
    # Debate a: 1 sentence, relevant, ranked first (AP 1). Debate b: 4 sentences, the relevant one last (AP 1/4).
    y = [1, 0, 0, 0, 1]
    scores = [0.1, 0.9, 0.8, 0.7, 0.6]
    groups = ["a", "b", "b", "b", "b"]
    result = grouped_ranking_measures(y, scores, groups, cutoffs=(1,))
    assert result["mean"]["average_precision"] == pytest.approx((1 + 1 / 4) / 2)
    assert result["mean"]["reciprocal_rank"] == pytest.approx((1 + 1 / 4) / 2)
    assert result["mean"]["precision_at_1"] == pytest.approx(1 / 2)
    # Pooled into one ranking the same scores give another number: the debates are what is averaged.
    assert average_precision(y, scores) != pytest.approx(result["mean"]["average_precision"])


@pytest.mark.parametrize(("call", "message"), [
    (lambda: average_precision([1, 0], [1.0]), "y_true has 2 items but scores has 1"),
    (lambda: average_precision([], []), "there are no items to score"),
    (lambda: average_precision([1, 0], [1.0, math.nan]), "score nan at position 1 is not a finite number"),
    (lambda: average_precision([1, 0], [[1.0], [2.0]]), "one number per item"),
    (lambda: precision_at_k([1], [1.0], 0), "cutoffs must be positive integers"),
    (lambda: ranking_measures([1], [1.0], cutoffs=(True,)), "cutoffs must be positive integers"),
    (lambda: grouped_ranking_measures([1, 0], [1.0, 0.0], ["a"]), "y_true has 2 items but groups has 1"),
    (lambda: bootstrap_ranking_ci({}), "there are no groups to resample"),
    (lambda: bootstrap_ranking_ci({"a": {"average_precision": 1.0}}, n_resamples=0), "n_resamples must be"),
])
def test_bad_input_is_refused_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_bootstrap_resamples_groups():
    per_group = {"a": {"average_precision": 1.0, "reciprocal_rank": 1.0},
                 "b": {"average_precision": 0.5, "reciprocal_rank": 1.0},
                 "c": {"average_precision": 0.0, "reciprocal_rank": 0.0}}
    result = bootstrap_ranking_ci(per_group, n_resamples=500, random_state=3)
    assert set(result) == {"average_precision", "reciprocal_rank"}
    ap = result["average_precision"]
    assert ap["value"] == pytest.approx(0.5) and 0.0 <= ap["low"] < 0.5 < ap["high"] <= 1.0
    assert (ap["n_resamples"], ap["confidence"], ap["random_state"]) == (500, 0.95, 3)
    assert bootstrap_ranking_ci(per_group, n_resamples=500, random_state=3) == result
    same = bootstrap_ranking_ci({g: {"average_precision": 0.25} for g in "abc"}, n_resamples=50)
    assert (same["average_precision"]["low"], same["average_precision"]["high"]) == (0.25, 0.25)
