"""Scores for label predictions: classification metrics, the SemEval-2016 stance score F_avg, and
bootstrap intervals, all returned as plain JSON-ready data (Python floats and ints, never NaN).

Every score is a fraction between 0 and 1; papers on SemEval-2016 Task 6 print F_avg ×100.

A metric is given either as a callable ``metric(y_true, y_pred) -> float`` or by name (a key of
:data:`METRICS`, with ``labels=`` for the F1 averages). The bootstrap functions resample items. For
the metrics defined here (by name, bare, or wrapped in :func:`functools.partial` with keyword
arguments) they score all resamples at once from confusion counts built with ``numpy.bincount``;
any other callable is called once per resample, which is slower but gives the same numbers for the
same ``random_state`` because both paths draw the same resample indices.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable, Hashable, Sequence

STANCE_POSITIVE = ("FAVOR", "AGAINST")
"""The classes whose F1 scores SemEval-2016 Task 6 averages; NONE is scored only through them."""

# Resamples are drawn in chunks of about this many item indices, so memory stays flat (16 MiB of
# int64) however many items and resamples are asked for.
_CHUNK_ITEMS = 1 << 21


# ----- validation ---------------------------------------------------------------------------
def _check_lengths(y_true: Sequence, **predictions: Sequence) -> None:
    for name, y_pred in predictions.items():
        if len(y_pred) != len(y_true):
            raise ValueError(f"y_true has {len(y_true)} items but {name} has {len(y_pred)}; "
                             "give one prediction per item, in the same order")
    if len(y_true) == 0:
        raise ValueError("there are no items to score")


def _check_labels(labels: Sequence) -> list:
    labels = list(labels)
    if not labels:
        raise ValueError("labels is empty; give the label set in the order to report it")
    repeated = [label for label, count in Counter(labels).items() if count > 1]
    if repeated:
        raise ValueError(f"labels repeats {', '.join(map(repr, repeated))}")
    return labels


# ----- point metrics ------------------------------------------------------------------------
def classification_metrics(y_true: Sequence[Hashable], y_pred: Sequence[Hashable], *,
                           labels: Sequence[Hashable]) -> dict:
    """Accuracy, macro and weighted F1, per-class scores and the confusion matrix.

    Computed with scikit-learn, ``zero_division=0``: a class never predicted has precision 0, a
    class absent from ``y_true`` has recall 0, and either way its F1 is 0.

    Parameters
    ----------
    y_true, y_pred : sequence of labels
        Gold and predicted labels, one per item, in the same order.
    labels : sequence of labels
        Every label, in the order to report them. Macro and weighted F1 average over these, so a
        label with no gold items still counts (as 0) in the macro average.

    Returns
    -------
    dict
        ``n``, ``accuracy``, ``macro_f1``, ``weighted_f1``; ``per_class``: for each label, in
        ``labels`` order, ``{"precision", "recall", "f1", "support"}``; ``confusion_matrix``:
        ``{"labels": [...], "matrix": [[...]]}`` with one row per true label and one column per
        predicted label.

    Raises
    ------
    ValueError
        If the lengths differ, there are no items, ``labels`` is empty or repeats a label, or a
        gold or predicted label is not in ``labels``.

    Examples
    --------
    >>> result = classification_metrics(["a", "b", "b"], ["a", "b", "a"], labels=["a", "b"])
    >>> result["accuracy"], result["confusion_matrix"]["matrix"]
    (0.6666666666666666, [[1, 0], [1, 1]])
    """
    _check_lengths(y_true, y_pred=y_pred)
    labels = _check_labels(labels)
    known = set(labels)
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        unknown = sorted({value for value in values if value not in known}, key=str)
        if unknown:
            raise ValueError(f"{name} holds {', '.join(map(repr, unknown[:5]))}, which "
                             f"{'is' if len(unknown) == 1 else 'are'} not in labels "
                             f"({', '.join(map(str, labels))})")

    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    y_true, y_pred = list(y_true), list(y_pred)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=0)
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    return {
        "n": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "weighted_f1": float(f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0)),
        "per_class": {label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                              "support": int(support[i])} for i, label in enumerate(labels)},
        "confusion_matrix": {"labels": labels, "matrix": [[int(count) for count in row] for row in matrix]},
    }


def _counts(y_true: Sequence, y_pred: Sequence) -> tuple[Counter, Counter, Counter]:
    correct: Counter = Counter()
    gold: Counter = Counter()
    guessed: Counter = Counter()
    for truth, guess in zip(y_true, y_pred):
        gold[truth] += 1
        guessed[guess] += 1
        if truth == guess:
            correct[truth] += 1
    return correct, gold, guessed


def _f1(correct: int, gold: int, guessed: int) -> float:
    # Exactly the official SemEval scorer (eval.pl): each ratio is 0 when its denominator is.
    precision = correct / guessed if guessed else 0.0
    recall = correct / gold if gold else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def accuracy(y_true: Sequence[Hashable], y_pred: Sequence[Hashable]) -> float:
    """Share of items whose predicted label equals the gold label.

    Parameters
    ----------
    y_true, y_pred : sequence of labels
        Gold and predicted labels, one per item, in the same order.

    Returns
    -------
    float
        Between 0 and 1.

    Examples
    --------
    >>> accuracy(["a", "b", "b", "a"], ["a", "b", "a", "a"])
    0.75
    """
    _check_lengths(y_true, y_pred=y_pred)
    return sum(truth == guess for truth, guess in zip(y_true, y_pred)) / len(y_true)


def macro_f1(y_true: Sequence[Hashable], y_pred: Sequence[Hashable], *, labels: Sequence[Hashable],
             skip_absent: bool = False) -> float:
    """Unweighted mean of the per-class F1 over ``labels``; equals scikit-learn's
    ``f1_score(average="macro", labels=labels, zero_division=0)``.

    Parameters
    ----------
    y_true, y_pred : sequence of labels
        Gold and predicted labels, one per item, in the same order.
    labels : sequence of labels
        The classes to average over; a class with no gold and no predicted items scores 0.
    skip_absent : bool, default False
        Average only over the classes of ``labels`` that occur in ``y_true`` or ``y_pred`` (as
        scikit-learn does when ``labels`` is not given); 0 when none does. Use it in a bootstrap:
        a resample that happens to draw no item of a rare class then averages over the classes it
        has, instead of counting the missing class as an F1 of 0, which would pull the interval
        down (perfect predictions would get an interval reaching far below 1).

    Returns
    -------
    float
        Between 0 and 1.

    Examples
    --------
    >>> macro_f1(["a", "a", "b"], ["a", "b", "b"], labels=["a", "b"])
    0.6666666666666666
    >>> macro_f1(["a", "a"], ["a", "a"], labels=["a", "b"]), macro_f1(["a", "a"], ["a", "a"], labels=["a", "b"], skip_absent=True)
    (0.5, 1.0)
    """
    _check_lengths(y_true, y_pred=y_pred)
    labels = _check_labels(labels)
    correct, gold, guessed = _counts(y_true, y_pred)
    if skip_absent:
        labels = [label for label in labels if gold[label] or guessed[label]]
        if not labels:
            return 0.0
    return sum(_f1(correct[label], gold[label], guessed[label]) for label in labels) / len(labels)


def weighted_f1(y_true: Sequence[Hashable], y_pred: Sequence[Hashable], *, labels: Sequence[Hashable]) -> float:
    """Mean of the per-class F1 over ``labels``, weighted by each class's gold count; equals
    scikit-learn's ``f1_score(average="weighted", labels=labels, zero_division=0)``.

    Parameters
    ----------
    y_true, y_pred : sequence of labels
        Gold and predicted labels, one per item, in the same order.
    labels : sequence of labels
        The classes to average over.

    Returns
    -------
    float
        Between 0 and 1; 0 when no gold item has a label in ``labels``.

    Examples
    --------
    >>> weighted_f1(["a", "a", "b"], ["a", "b", "b"], labels=["a", "b"])
    0.6666666666666666
    """
    _check_lengths(y_true, y_pred=y_pred)
    labels = _check_labels(labels)
    correct, gold, guessed = _counts(y_true, y_pred)
    total = sum(gold[label] for label in labels)
    if not total:
        return 0.0
    return sum(_f1(correct[label], gold[label], guessed[label]) * gold[label] for label in labels) / total


def f_avg(y_true: Sequence[Hashable], y_pred: Sequence[Hashable], *,
          positive: Sequence[Hashable] = STANCE_POSITIVE, skip_when_absent: Sequence[Hashable] = ()) -> float:
    """The SemEval-2016 Task 6 score: the mean of F1(FAVOR) and F1(AGAINST) over all items pooled.

    This is what the organisers' ``eval.pl`` prints as ``Macro F``: precision, recall and F1 of
    each class in ``positive`` are computed over the whole file (all targets together, so over
    targets it is a micro-average), a ratio with a zero denominator counts as 0, and the two F1
    scores are averaged. NONE is a real class: gold NONE items predicted FAVOR lower the
    precision of FAVOR, and gold FAVOR items predicted NONE lower its recall, but NONE has no F1
    of its own in the score. Labels are compared exactly (case-sensitively).

    Parameters
    ----------
    y_true, y_pred : sequence of labels
        Gold and predicted stance labels, one per item, in the same order.
    positive : sequence of labels, default ("FAVOR", "AGAINST")
        The classes whose F1 scores are averaged.
    skip_when_absent : sequence of labels, default ()
        Classes of ``positive`` left out of the mean when they occur in neither ``y_true`` nor
        ``y_pred``. For bootstrap resamples: pass the classes that occur in the full data, so a
        resample that draws no item of one of them averages over the other instead of counting it
        as an F1 of 0 (perfect predictions would otherwise get an interval reaching down to 0.5),
        while a class absent from the full data still counts 0, as in ``eval.pl``.

    Returns
    -------
    float
        Between 0 and 1 (the papers print it ×100).

    See Also
    --------
    f_avg_by_target : the score for each target, and the mean over targets.

    Examples
    --------
    Predicting NONE for everything scores 0, however many gold items are NONE:

    >>> f_avg(["FAVOR", "AGAINST", "NONE"], ["NONE", "NONE", "NONE"])
    0.0
    >>> f_avg(["FAVOR", "AGAINST", "AGAINST", "NONE"], ["FAVOR", "AGAINST", "NONE", "AGAINST"])
    0.75
    >>> f_avg(["AGAINST"], ["AGAINST"]), f_avg(["AGAINST"], ["AGAINST"], skip_when_absent=["FAVOR"])
    (0.5, 1.0)
    """
    _check_lengths(y_true, y_pred=y_pred)
    positive = _check_labels(positive)
    correct, gold, guessed = _counts(y_true, y_pred)
    counted = [label for label in positive
               if gold[label] or guessed[label] or label not in set(skip_when_absent)]
    if not counted:
        return 0.0
    return sum(_f1(correct[label], gold[label], guessed[label]) for label in counted) / len(counted)


def f_avg_by_target(y_true: Sequence[Hashable], y_pred: Sequence[Hashable], *, targets: Sequence[str],
                    positive: Sequence[Hashable] = STANCE_POSITIVE) -> dict:
    """F_avg over all items, for each target, and the unweighted mean of the per-target scores.

    The pooled ``f_avg`` is the official ranking score; ``macro_over_targets`` is the "macro
    across targets" figure some papers add, which gives a small target the same weight as a
    large one.

    Parameters
    ----------
    y_true, y_pred : sequence of labels
        Gold and predicted stance labels, one per item, in the same order.
    targets : sequence of str
        The stance target of each item.
    positive : sequence of labels, default ("FAVOR", "AGAINST")
        As in :func:`f_avg`.

    Returns
    -------
    dict
        ``{"f_avg": float, "macro_over_targets": float, "per_target": {target: {"n": int,
        "f_avg": float}}}`` with targets in sorted order.

    Examples
    --------
    >>> scores = f_avg_by_target(["FAVOR", "AGAINST", "FAVOR"], ["FAVOR", "AGAINST", "NONE"],
    ...                          targets=["t1", "t1", "t2"])
    >>> scores["per_target"]["t2"], scores["macro_over_targets"]
    ({'n': 1, 'f_avg': 0.0}, 0.5)
    """
    _check_lengths(y_true, y_pred=y_pred)
    if len(targets) != len(y_true):
        raise ValueError(f"y_true has {len(y_true)} items but targets has {len(targets)}")
    rows: dict[str, list[int]] = {}
    for index, target in enumerate(targets):
        rows.setdefault(target, []).append(index)
    per_target = {}
    for target in sorted(rows):
        members = rows[target]
        per_target[target] = {"n": len(members), "f_avg": f_avg([y_true[i] for i in members],
                                                                [y_pred[i] for i in members], positive=positive)}
    return {"f_avg": f_avg(y_true, y_pred, positive=positive),
            "macro_over_targets": sum(score["f_avg"] for score in per_target.values()) / len(per_target),
            "per_target": per_target}


METRICS: dict[str, Callable] = {"accuracy": accuracy, "macro_f1": macro_f1, "weighted_f1": weighted_f1,
                                 "f_avg": f_avg}
"""The metrics that can be given by name; ``macro_f1`` and ``weighted_f1`` need ``labels=``."""


def _resolve(metric: str | Callable, labels: Sequence[Hashable] | None) -> Callable:
    if not isinstance(metric, str):
        if labels is not None:
            raise ValueError("labels= is used only with a metric given by name; bind it to a callable with "
                             "functools.partial(metric, labels=...)")
        return metric
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)} or a callable")
    if metric in ("macro_f1", "weighted_f1"):
        if labels is None:
            raise ValueError(f"{metric} averages over a label set: pass labels=[...]")
        return functools.partial(METRICS[metric], labels=_check_labels(labels))
    return METRICS[metric]


def metric_value(metric: str | Callable, y_true: Sequence[Hashable], y_pred: Sequence[Hashable], *,
                 labels: Sequence[Hashable] | None = None) -> float:
    """One metric, given by name or as a callable, on all items.

    Parameters
    ----------
    metric : str or callable
        A key of :data:`METRICS` or ``metric(y_true, y_pred) -> float``.
    y_true, y_pred : sequence of labels
        Gold and predicted labels, one per item, in the same order.
    labels : sequence of labels, optional
        The label set, needed by ``macro_f1`` and ``weighted_f1``; the other named metrics ignore
        it. Not allowed with a callable.

    Returns
    -------
    float

    Examples
    --------
    >>> metric_value("macro_f1", ["a", "a", "b"], ["a", "b", "b"], labels=["a", "b"])
    0.6666666666666666
    """
    return float(_resolve(metric, labels)(y_true, y_pred))


# ----- the same metrics for many resamples at once --------------------------------------------
# Each takes label codes of shape (resamples, items) and the code of every label seen, and returns
# one score per resample.
def _confusion_counts(true_codes, pred_codes, n_codes: int):
    import numpy as np

    resamples = true_codes.shape[0]
    offsets = np.arange(resamples)[:, None] * (n_codes * n_codes)
    cells = np.bincount((offsets + true_codes * n_codes + pred_codes).ravel(), minlength=resamples * n_codes * n_codes)
    matrix = cells.reshape(resamples, n_codes, n_codes)
    return matrix.diagonal(axis1=1, axis2=2), matrix.sum(axis=2), matrix.sum(axis=1)


def _f1_columns(true_codes, pred_codes, codes: dict, chosen: Sequence):
    """F1 of each chosen label (columns) for each resample (rows), with the gold and predicted counts."""
    import numpy as np

    correct, gold, guessed = _confusion_counts(true_codes, pred_codes, len(codes))
    present = [codes[label] for label in chosen if label in codes]
    # A chosen label seen in no item has F1 0; a zero column stands for it.
    correct, gold, guessed = (np.concatenate([a[:, present], np.zeros((a.shape[0], len(chosen) - len(present)))],
                                             axis=1) for a in (correct, gold, guessed))
    denominator = gold + guessed
    # 2·tp / (gold + predicted) is eval.pl's 2PR / (P + R) rearranged, and is 0 when tp is.
    f1 = np.where(denominator > 0, 2 * correct / np.maximum(denominator, 1), 0.0)
    return f1, gold, guessed


def _batched_accuracy(true_codes, pred_codes, codes):
    return (true_codes == pred_codes).mean(axis=1)


def _batched_macro_f1(true_codes, pred_codes, codes, *, labels, skip_absent=False):
    import numpy as np

    f1, gold, guessed = _f1_columns(true_codes, pred_codes, codes, list(labels))
    if not skip_absent:
        return f1.mean(axis=1)
    occurs = (gold + guessed) > 0
    counted = occurs.sum(axis=1)
    return np.where(counted > 0, (f1 * occurs).sum(axis=1) / np.maximum(counted, 1), 0.0)


def _batched_weighted_f1(true_codes, pred_codes, codes, *, labels):
    import numpy as np

    f1, gold, _ = _f1_columns(true_codes, pred_codes, codes, list(labels))
    total = gold.sum(axis=1)
    return np.where(total > 0, (f1 * gold).sum(axis=1) / np.maximum(total, 1), 0.0)


def _batched_f_avg(true_codes, pred_codes, codes, *, positive=STANCE_POSITIVE, skip_when_absent=()):
    import numpy as np

    f1, gold, guessed = _f1_columns(true_codes, pred_codes, codes, list(positive))
    skippable = np.array([label in set(skip_when_absent) for label in positive])
    counted = ((gold + guessed) > 0) | ~skippable
    n_counted = counted.sum(axis=1)
    return np.where(n_counted > 0, (f1 * counted).sum(axis=1) / np.maximum(n_counted, 1), 0.0)


_BATCHED: dict[Callable, Callable] = {accuracy: _batched_accuracy, macro_f1: _batched_macro_f1, weighted_f1: _batched_weighted_f1,
            f_avg: _batched_f_avg}


def _batched_version(metric_fn: Callable) -> Callable | None:
    if isinstance(metric_fn, functools.partial):
        if metric_fn.func in _BATCHED and not metric_fn.args:
            return functools.partial(_BATCHED[metric_fn.func], **metric_fn.keywords)
        return None
    return _BATCHED.get(metric_fn)


# ----- bootstrap ----------------------------------------------------------------------------
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

    batched = _batched_version(metric_fn)
    scores: list[list] = [[] for _ in predictions]
    if batched is not None:
        codes: dict = {}
        for values in (y_true, *predictions):
            for value in values:
                codes.setdefault(value, len(codes))
        true_codes = np.fromiter((codes[v] for v in y_true), dtype=np.int64, count=len(y_true))
        pred_codes = [np.fromiter((codes[v] for v in values), dtype=np.int64, count=len(values))
                      for values in predictions]
        for index in _resamples(len(y_true), n_resamples, random_state):
            resampled_truth = true_codes[index]
            for k, guess in enumerate(pred_codes):
                scores[k].append(batched(resampled_truth, guess[index], codes))
    else:
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
    >>> result = bootstrap_ci(accuracy, ["a", "b"] * 50, ["a", "a"] * 50, n_resamples=200)
    >>> result["value"], result["low"] < 0.5 < result["high"]
    (0.5, True)
    """
    _check_lengths(y_true, y_pred=y_pred)
    _check_bootstrap(n_resamples, confidence, random_state)
    metric_fn = _resolve(metric_fn, labels)
    value = _point(metric_fn, y_true, y_pred)
    (scores,) = _resampled_scores(metric_fn, y_true, [y_pred], n_resamples=n_resamples, random_state=random_state)
    low, high = _interval(scores, confidence)
    return {"value": value, "low": low, "high": high, "n_resamples": n_resamples, "confidence": confidence,
            "random_state": random_state}


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
    >>> truth = ["a", "b"] * 50
    >>> result = paired_bootstrap(accuracy, truth, ["a"] * 100, truth, n_resamples=200)
    >>> result["difference"], result["p_value"]
    (0.5, 0.0)
    """
    _check_lengths(y_true, pred_a=pred_a, pred_b=pred_b)
    _check_bootstrap(n_resamples, confidence, random_state)
    metric_fn = _resolve(metric_fn, labels)
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
