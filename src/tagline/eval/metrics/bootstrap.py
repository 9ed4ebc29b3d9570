"""Percentile bootstrap intervals of a label metric, and the paired bootstrap that compares two
systems on the same items; the metrics of :mod:`.labels` are scored for all resamples at once."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence

from tagline.eval.metrics.batched import confusion_of_pairs, counted_version
from tagline.eval.metrics.labels import check_lengths, resolve_metric

# Resamples are drawn in chunks of about this many item indices, so memory stays flat (16 MiB of
# int64) however many items and resamples are asked for.
_CHUNK_ITEMS = 1 << 21


def _resamples(n_items: int, n_resamples: int, random_state: int | None):
    """Yield arrays of item indices, one row per resample, in chunks of bounded size."""
    import numpy as np

    rng = np.random.default_rng(random_state)
    per_chunk = max(1, _CHUNK_ITEMS // n_items)
    for start in range(0, n_resamples, per_chunk):
        yield rng.integers(0, n_items, size=(min(per_chunk, n_resamples - start), n_items))


def _resampled_scores(metric_fn: Callable, y_true: Sequence, predictions: Sequence[Sequence], *,
                      n_resamples: int, random_state: int | None) -> list:
    """Score every prediction list on the same resamples; one array of scores per list."""
    import numpy as np

    if counted_version(metric_fn) is not None:
        return _counted_scores([metric_fn], y_true, predictions, n_resamples=n_resamples,
                               random_state=random_state)[0]
    scores: list[list] = [[] for _ in predictions]
    true_items = np.empty(len(y_true), dtype=object)
    true_items[:] = list(y_true)
    pred_items = []
    for values in predictions:
        items = np.empty(len(values), dtype=object)
        items[:] = list(values)
        pred_items.append(items)
    for index in _resamples(len(y_true), n_resamples, random_state):
        for row in index:
            truth = true_items[row].tolist()
            for k, guess in enumerate(pred_items):
                scores[k].append(np.array([metric_fn(truth, guess[row].tolist())], dtype=float))
    return [np.concatenate(parts).astype(float) for parts in scores]


def _counted_scores(metric_fns: Sequence[Callable], y_true: Sequence, predictions: Sequence[Sequence], *,
                    n_resamples: int, random_state: int | None) -> list[list]:
    """``scores[m][k]``: metric ``m`` (each with a :func:`counted_version`) of prediction list ``k``
    on every resample, all on the same resamples. Each item is coded once as its (gold, predicted)
    pair, so a resample is one gather and one ``bincount``, shared by every metric."""
    import numpy as np

    counted = [counted_version(metric_fn) for metric_fn in metric_fns]
    codes: dict = {}
    for values in (y_true, *predictions):
        for value in values:
            codes.setdefault(value, len(codes))
    n_codes = len(codes)
    true_codes = np.fromiter((codes[v] for v in y_true), dtype=np.int64, count=len(y_true))
    pairs = [true_codes * n_codes + np.fromiter((codes[v] for v in values), dtype=np.int64, count=len(values))
             for values in predictions]
    scores: list[list[list]] = [[[] for _ in predictions] for _ in metric_fns]
    for index in _resamples(len(y_true), n_resamples, random_state):
        for k, pair in enumerate(pairs):
            counts = confusion_of_pairs(pair[index], n_codes)
            for m, score in enumerate(counted):
                assert score is not None
                scores[m][k].append(score(counts, codes))
    return [[np.concatenate(parts).astype(float) for parts in row] for row in scores]


def _interval(values, confidence: float) -> tuple[float | None, float | None]:
    import numpy as np

    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, None
    tail = (1 - confidence) / 2
    low, high = np.quantile(finite, [tail, 1 - tail])
    return float(low), float(high)


def _check_bootstrap(n_resamples: int, confidence: float, random_state) -> None:
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")
    if random_state is not None and (isinstance(random_state, bool) or not isinstance(random_state, int)):
        raise ValueError(f"random_state must be an integer or None, got {random_state!r}")


def _point(metric_fn: Callable, y_true: Sequence, y_pred: Sequence) -> float:
    value = float(metric_fn(y_true, y_pred))
    if not math.isfinite(value):
        raise ValueError(f"the metric returned {value} on the full data; bootstrap needs a finite score")
    return value


def bootstrap_ci(metric_fn: str | Callable[[Sequence, Sequence], float], y_true: Sequence[Hashable],
                 y_pred: Sequence[Hashable], *, labels: Sequence[Hashable] | None = None, n_resamples: int = 1000,
                 confidence: float = 0.95, random_state: int | None = 0) -> dict:
    """A metric's value with a percentile bootstrap interval, resampling items with replacement.

    Parameters
    ----------
    metric_fn : str or callable
        ``metric_fn(y_true, y_pred) -> float``, or a name from :data:`METRICS`. The metrics of
        this module (by name, bare, or in ``functools.partial`` with keyword arguments such as
        ``labels=``) are scored for all resamples at once; 1,000 resamples of 1,000 items take a
        few tens of milliseconds. Any other callable is called once per resample with two lists.
    y_true, y_pred : sequence of labels
        Gold and predicted labels, one per item, in the same order.
    labels : sequence of labels, optional
        The label set, for a metric given by name (see :func:`metric_value`).
    n_resamples : int, default 1000
        How many resamples to draw.
    confidence : float, default 0.95
        Coverage of the interval; its ends are the ``(1 - confidence) / 2`` and
        ``(1 + confidence) / 2`` quantiles of the resampled scores (linear interpolation).
    random_state : int or None, default 0
        Seed for the resampling; the same seed gives the same interval. None draws fresh entropy.

    Returns
    -------
    dict
        ``{"value", "low", "high", "n_resamples", "confidence", "random_state"}``; ``value`` is
        ``metric_fn`` on all items. A percentile interval need not be centred on ``value``. Should a
        custom metric return NaN on some resamples, those are left out of the quantiles.

    Examples
    --------
    >>> from tagline.eval.metrics import accuracy
    >>> result = bootstrap_ci(accuracy, ["a", "b"] * 50, ["a", "a"] * 50, n_resamples=200)
    >>> result["value"], result["low"] < 0.5 < result["high"]
    (0.5, True)
    """
    check_lengths(y_true, y_pred=y_pred)
    _check_bootstrap(n_resamples, confidence, random_state)
    metric_fn = resolve_metric(metric_fn, labels)
    value = _point(metric_fn, y_true, y_pred)
    (scores,) = _resampled_scores(metric_fn, y_true, [y_pred], n_resamples=n_resamples, random_state=random_state)
    low, high = _interval(scores, confidence)
    return {"value": value, "low": low, "high": high, "n_resamples": n_resamples, "confidence": confidence,
            "random_state": random_state}


def bootstrap_intervals(metric_fns: Mapping[str, str | Callable[[Sequence, Sequence], float]],
                        y_true: Sequence[Hashable], y_pred: Sequence[Hashable], *,
                        labels: Sequence[Hashable] | None = None, n_resamples: int = 1000, confidence: float = 0.95,
                        random_state: int | None = 0) -> dict[str, dict]:
    """:func:`bootstrap_ci` of several metrics of the same predictions, by name (``labels`` for those
    given by name): the same results,
    since every metric is scored on the resamples its seed draws, but the resamples are drawn and
    counted once for all the metrics of this module rather than once each.

    Examples
    --------
    >>> from tagline.eval.metrics import accuracy, macro_f1
    >>> truth, guess = ["a", "b", "b"] * 30, ["a", "b", "a"] * 30
    >>> both = bootstrap_intervals({"accuracy": accuracy, "macro_f1": "macro_f1"}, truth, guess, labels=["a", "b"])
    >>> both["accuracy"] == bootstrap_ci(accuracy, truth, guess)
    True
    """
    check_lengths(y_true, y_pred=y_pred)
    _check_bootstrap(n_resamples, confidence, random_state)
    # labels= is for the metrics given by name, as in bootstrap_ci.
    resolved = {name: resolve_metric(metric_fn, labels if isinstance(metric_fn, str) else None)
                for name, metric_fn in metric_fns.items()}
    fast = [name for name, metric_fn in resolved.items() if counted_version(metric_fn) is not None]
    scores = dict(zip(fast, (row[0] for row in _counted_scores([resolved[name] for name in fast], y_true, [y_pred],
                                                                n_resamples=n_resamples, random_state=random_state))))
    results = {}
    for name, metric_fn in resolved.items():
        value = _point(metric_fn, y_true, y_pred)
        if name not in scores:
            (scores[name],) = _resampled_scores(metric_fn, y_true, [y_pred], n_resamples=n_resamples,
                                                random_state=random_state)
        low, high = _interval(scores[name], confidence)
        results[name] = {"value": value, "low": low, "high": high, "n_resamples": n_resamples,
                         "confidence": confidence, "random_state": random_state}
    return results


def paired_bootstrap(metric_fn: str | Callable[[Sequence, Sequence], float], y_true: Sequence[Hashable],
                     pred_a: Sequence[Hashable], pred_b: Sequence[Hashable], *,
                     labels: Sequence[Hashable] | None = None, n_resamples: int = 1000, confidence: float = 0.95,
                     random_state: int | None = 0) -> dict:
    """Compare two systems on the same items: the difference B − A with a paired bootstrap.

    Both systems are scored on the same resamples of items, so the interval reflects how much the
    difference, not each score, depends on which items were drawn.

    Parameters
    ----------
    metric_fn : str or callable
        ``metric_fn(y_true, y_pred) -> float`` or a name, as in :func:`bootstrap_ci`.
    y_true : sequence of labels
        Gold labels.
    pred_a, pred_b : sequence of labels
        The two systems' predictions for the same items, in the same order.
    labels : sequence of labels, optional
        The label set, for a metric given by name.
    n_resamples : int, default 1000
        How many resamples to draw.
    confidence : float, default 0.95
        Coverage of the interval of the difference.
    random_state : int or None, default 0
        Seed for the resampling.

    Returns
    -------
    dict
        ``a`` and ``b`` (each system's score on all items), ``difference`` (``b - a``), ``low`` and
        ``high`` (percentile interval of the resampled differences), ``p_value``, ``n_resamples``,
        ``confidence``, ``random_state``.

        ``p_value`` (see :func:`paired_p_value`) is one-sided in the direction observed, as in
        Koehn (2004): the share of resamples in which the better system on all items does not win.
        A small value means the difference holds up under resampling; equal scores give 1.

    Examples
    --------
    >>> from tagline.eval.metrics import accuracy
    >>> truth = ["a", "b"] * 50
    >>> result = paired_bootstrap(accuracy, truth, ["a"] * 100, truth, n_resamples=200)
    >>> result["difference"], result["p_value"]
    (0.5, 0.0)
    """
    check_lengths(y_true, pred_a=pred_a, pred_b=pred_b)
    _check_bootstrap(n_resamples, confidence, random_state)
    metric_fn = resolve_metric(metric_fn, labels)
    a, b = _point(metric_fn, y_true, pred_a), _point(metric_fn, y_true, pred_b)
    scores_a, scores_b = _resampled_scores(metric_fn, y_true, [pred_a, pred_b], n_resamples=n_resamples,
                                           random_state=random_state)
    differences = scores_b - scores_a
    low, high = _interval(differences, confidence)
    import numpy as np

    finite = differences[np.isfinite(differences)]
    p_value = paired_p_value(b - a, finite) if finite.size else None
    return {"a": a, "b": b, "difference": b - a, "low": low, "high": high, "p_value": p_value,
            "n_resamples": n_resamples, "confidence": confidence, "random_state": random_state}


def paired_p_value(difference: float, resampled) -> float:
    """One-sided p-value of a paired bootstrap in the direction observed: with ``difference`` =
    B − A on all items, the share of ``resampled`` differences in which B does not beat A when
    B is better (≤ 0), or A does not beat B when A is better (≥ 0); 1 when the scores are equal."""
    import numpy as np

    resampled = np.asarray(resampled, dtype=float)
    if difference > 0:
        return float(np.mean(resampled <= 0))
    if difference < 0:
        return float(np.mean(resampled >= 0))
    return 1.0
