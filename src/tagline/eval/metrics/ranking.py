"""Ranking measures for check-worthiness: every sentence of a document (a debate, a speech) is
scored, the document's sentences are ranked by score, and the ranking is measured against the
sentences marked check-worthy. These are the CLEF CheckThat! measures (2018–2020, the debates
tasks): average precision, R-precision, reciprocal rank and precision at k, per document, and
their means over documents; mean average precision (MAP) is the official one.

The definitions are those of the organisers' scorer (``scorer/main.py`` in the task repositories),
which ranks a document's sentences with Python's stable sort by descending score, so tied scores
keep the order of the sentences in the document:

- **average precision**: the precision at the rank of each relevant sentence, summed and divided
  by the number of relevant sentences; 0 for a document with none. Without ties this is
  scikit-learn's ``average_precision_score``; with ties scikit-learn scores the tied block as one
  step instead of taking it in document order.
- **R-precision**: the precision among the first R sentences, R the number of relevant ones; 0
  when there are none.
- **reciprocal rank**: 1 over the rank of the first relevant sentence; 0 when there is none.
- **precision at k**: the share of relevant sentences among the first k. For a document shorter
  than k it is the relevant sentences found divided by k (the organisers' scorer stops with an
  index error there; no official document is that short).

Means are plain means over documents, each document counting once, as the scorer's ``MEAN``
lines and the published tables give them. Bootstrap intervals resample documents.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

from tagline.eval.metrics.labels import check_lengths

CHECKTHAT_CUTOFFS = (1, 3, 5, 10, 20, 50)
"""The k of precision at k in the CLEF CheckThat! 2019 Task 1 and 2020 Task 5 scorers."""

RANKING_MEASURES = ("average_precision", "r_precision", "reciprocal_rank")
"""The measures of one ranking besides precision at k (``precision_at_<k>``)."""


def _relevance_in_rank_order(y_true: Sequence, scores: Any, positive: Hashable):
    """The relevance of each item (``y_true == positive``), in rank order: descending score, ties in
    the order given."""
    import numpy as np

    check_lengths(y_true, scores=scores)
    values = np.asarray(scores, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"scores must be one number per item, got an array of shape {values.shape}")
    if not np.all(np.isfinite(values)):
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        raise ValueError(f"score {values[bad]} at position {bad} is not a finite number; a ranking needs finite scores")
    relevant = np.fromiter((value == positive for value in y_true), dtype=bool, count=len(y_true))
    return relevant[np.argsort(-values, kind="stable")]


def _measures(ranked, cutoffs: Sequence[int]) -> dict[str, float]:
    """Every measure of one ranking, from its relevance in rank order."""
    import numpy as np

    n_relevant = int(ranked.sum())
    hits = np.cumsum(ranked)
    precision = hits / np.arange(1, len(ranked) + 1)
    result = {
        "average_precision": float(precision[ranked].sum() / n_relevant) if n_relevant else 0.0,
        "r_precision": float(precision[n_relevant - 1]) if n_relevant else 0.0,
        "reciprocal_rank": float(1 / (int(np.argmax(ranked)) + 1)) if n_relevant else 0.0,
    }
    for k in cutoffs:
        result[f"precision_at_{k}"] = float(hits[min(k, len(ranked)) - 1] / k)
    return result


def _check_cutoffs(cutoffs: Sequence[int]) -> tuple[int, ...]:
    cutoffs = tuple(cutoffs)
    if any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in cutoffs):
        raise ValueError(f"cutoffs must be positive integers, got {cutoffs!r}")
    return cutoffs


def average_precision(y_true: Sequence, scores: Sequence[float], *, positive: Hashable = 1) -> float:
    """Average precision of the ranking of ``scores``, as the CheckThat! scorer computes it.

    Parameters
    ----------
    y_true : sequence
        One gold value per item; an item is relevant when its value equals ``positive``.
    scores : sequence of float
        One finite score per item; higher ranks first, ties keep the order of the items.
    positive : hashable, default 1
        The gold value of relevant items (``True`` also matches the default 1).

    Returns
    -------
    float
        The mean, over the relevant items, of the precision at each one's rank; 0 when no item is
        relevant.

    Examples
    --------
    >>> average_precision([0, 1, 0, 1], [0.9, 0.8, 0.7, 0.6])  # relevant at ranks 2 and 4
    0.5
    """
    return _measures(_relevance_in_rank_order(y_true, scores, positive), ())["average_precision"]


def r_precision(y_true: Sequence, scores: Sequence[float], *, positive: Hashable = 1) -> float:
    """Precision among the first R items, R the number of relevant items (0 when there are none).

    >>> r_precision([0, 1, 0, 1], [0.9, 0.8, 0.7, 0.6])
    0.5
    """
    return _measures(_relevance_in_rank_order(y_true, scores, positive), ())["r_precision"]


def reciprocal_rank(y_true: Sequence, scores: Sequence[float], *, positive: Hashable = 1) -> float:
    """1 over the rank of the first relevant item (0 when there is none).

    >>> reciprocal_rank([0, 0, 1], [3, 2, 1])
    0.3333333333333333
    """
    return _measures(_relevance_in_rank_order(y_true, scores, positive), ())["reciprocal_rank"]


def precision_at_k(y_true: Sequence, scores: Sequence[float], k: int, *, positive: Hashable = 1) -> float:
    """The share of relevant items among the first ``k``; with fewer than ``k`` items, the relevant
    items divided by ``k``.

    >>> precision_at_k([1, 0, 1, 0], [4, 3, 2, 1], 3)
    0.6666666666666666
    """
    (k,) = _check_cutoffs((k,))
    return _measures(_relevance_in_rank_order(y_true, scores, positive), (k,))[f"precision_at_{k}"]


def ranking_measures(y_true: Sequence, scores: Sequence[float], *, positive: Hashable = 1,
                     cutoffs: Sequence[int] = CHECKTHAT_CUTOFFS) -> dict[str, float]:
    """Every measure of one ranking: ``average_precision``, ``r_precision``, ``reciprocal_rank``
    and ``precision_at_<k>`` for each k of ``cutoffs``.

    >>> measures = ranking_measures([0, 1, 1], [0.2, 0.9, 0.1], cutoffs=(1, 3))
    >>> measures["average_precision"], measures["r_precision"], measures["precision_at_3"]
    (0.8333333333333333, 0.5, 0.6666666666666666)
    """
    cutoffs = _check_cutoffs(cutoffs)
    return _measures(_relevance_in_rank_order(y_true, scores, positive), cutoffs)


def grouped_ranking_measures(y_true: Sequence, scores: Sequence[float], groups: Sequence[Hashable], *,
                             positive: Hashable = 1, cutoffs: Sequence[int] = CHECKTHAT_CUTOFFS) -> dict:
    """The measures of each group's ranking (a group: a debate or speech), and their means.

    Parameters
    ----------
    y_true, scores : sequence
        As in :func:`ranking_measures`, for the items of every group.
    groups : sequence of hashable
        The group of each item. Items of a group need not be next to each other; within a group
        ties keep the order the items are given in.
    positive : hashable, default 1
        The gold value of relevant items.
    cutoffs : sequence of int, default (1, 3, 5, 10, 20, 50)
        The k of precision at k.

    Returns
    -------
    dict
        ``per_group``: group -> the measures of its ranking, in order of first appearance;
        ``mean``: each measure averaged over groups, every group counting once (``mean
        ["average_precision"]`` is MAP); ``n_groups``; ``n_relevant``: relevant items per group.

    Examples
    --------
    >>> result = grouped_ranking_measures([1, 0, 0, 1], [0.9, 0.1, 0.8, 0.2], ["a", "a", "b", "b"], cutoffs=(1,))
    >>> result["per_group"]["b"]["average_precision"], result["mean"]["average_precision"]
    (0.5, 0.75)
    """
    import numpy as np

    check_lengths(y_true, scores=scores, groups=groups)
    cutoffs = _check_cutoffs(cutoffs)
    truth = list(y_true)
    values = np.asarray(scores, dtype=float)
    members: dict[Hashable, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    per_group, n_relevant = {}, {}
    for group, indices in members.items():
        ranked = _relevance_in_rank_order([truth[i] for i in indices], values[indices], positive)
        per_group[group] = _measures(ranked, cutoffs)
        n_relevant[group] = int(ranked.sum())
    names = list(next(iter(per_group.values())))
    mean = {name: math.fsum(measures[name] for measures in per_group.values()) / len(per_group) for name in names}
    return {"per_group": per_group, "mean": mean, "n_groups": len(per_group), "n_relevant": n_relevant}


def mean_average_precision(y_true: Sequence, scores: Sequence[float], groups: Sequence[Hashable], *,
                           positive: Hashable = 1) -> float:
    """MAP: the average precision of each group's ranking, averaged over groups.

    >>> mean_average_precision([1, 0, 0, 1], [0.9, 0.1, 0.8, 0.2], ["a", "a", "b", "b"])
    0.75
    """
    return grouped_ranking_measures(y_true, scores, groups, positive=positive, cutoffs=())["mean"]["average_precision"]


def bootstrap_ranking_ci(per_group: dict[Hashable, dict[str, float]], *, n_resamples: int = 1000,
                         confidence: float = 0.95, random_state: int | None = 0) -> dict[str, dict]:
    """Percentile bootstrap intervals of the mean measures, resampling groups with replacement.

    The mean over groups is the score, so groups are what is resampled: an interval says how much
    the score depends on which debates happened to be in the test set. With a handful of groups
    (seven CheckThat! 2019 test debates) the interval is wide and coarse.

    Parameters
    ----------
    per_group : dict
        ``grouped_ranking_measures(...)["per_group"]``.
    n_resamples, confidence, random_state
        As in :func:`tagline.eval.metrics.bootstrap_ci`.

    Returns
    -------
    dict
        Measure -> ``{"value", "low", "high", "n_resamples", "confidence", "random_state"}``, where
        ``value`` is the mean over all groups.

    Examples
    --------
    >>> per_group = {"a": {"average_precision": 1.0}, "b": {"average_precision": 0.5}}
    >>> interval = bootstrap_ranking_ci(per_group, n_resamples=200)["average_precision"]
    >>> interval["value"], interval["low"], interval["high"]
    (0.75, 0.5, 1.0)
    """
    import numpy as np

    from tagline.eval.metrics.bootstrap import _check_bootstrap, _interval

    _check_bootstrap(n_resamples, confidence, random_state)
    if not per_group:
        raise ValueError("there are no groups to resample")
    names = list(next(iter(per_group.values())))
    table = np.array([[measures[name] for name in names] for measures in per_group.values()], dtype=float)
    draws = np.random.default_rng(random_state).integers(0, len(table), size=(n_resamples, len(table)))
    resampled = table[draws].mean(axis=1)
    result = {}
    for column, name in enumerate(names):
        low, high = _interval(resampled[:, column], confidence)
        result[name] = {"value": float(math.fsum(table[:, column]) / len(table)), "low": low, "high": high,
                        "n_resamples": n_resamples, "confidence": confidence, "random_state": random_state}
    return result
