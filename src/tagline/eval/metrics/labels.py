"""Scores for label predictions: accuracy, macro and weighted F1, the SemEval-2016 stance score
F_avg, and the classification report, as plain JSON-ready data; metrics by name."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Hashable, Sequence

STANCE_POSITIVE = ("FAVOR", "AGAINST")
"""The classes whose F1 scores SemEval-2016 Task 6 averages; NONE is scored only through them."""



# ----- validation, shared with the bootstrap ---------------------------------------------------
def check_lengths(y_true: Sequence, **predictions: Sequence) -> None:
    """A ``ValueError`` unless every prediction list, named by its keyword, is as long as ``y_true``,
    and ``y_true`` is not empty."""
    for name, y_pred in predictions.items():
        if len(y_pred) != len(y_true):
            raise ValueError(f"y_true has {len(y_true)} items but {name} has {len(y_pred)}; "
                             "give one prediction per item, in the same order")
    if len(y_true) == 0:
        raise ValueError("there are no items to score")


def check_labels(labels: Sequence) -> list:
    """``labels`` as a list; a ``ValueError`` when it is empty or repeats a label."""
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

    Computed with scikit-learn, ``zero_division=0``. A class of ``labels`` with no gold item and
    no prediction has no score at all (every ratio would be 0/0): it is named in
    ``absent_labels``, has no ``per_class`` row, and is left out of the averages, which run over
    ``averaged_labels`` (scikit-learn's ``labels=``). A class predicted but never gold keeps its
    row: its precision and F1 are 0, every prediction of it being a false positive, and its
    recall (0/0) is given as 0.

    Parameters
    ----------
    y_true, y_pred : sequence of labels
        Gold and predicted labels, one per item, in the same order.
    labels : sequence of labels
        Every label, in the order to report them.

    Returns
    -------
    dict
        ``n``, ``accuracy``, ``macro_f1``, ``weighted_f1``; ``averaged_labels``: the labels with a
        gold item or a prediction, over which the two F1 averages run; ``absent_labels``: the
        others; ``per_class``: for each of ``averaged_labels``, in ``labels`` order,
        ``{"precision", "recall", "f1", "support", "predicted"}`` (``support`` counts gold items,
        ``predicted`` predictions); ``confusion_matrix``: ``{"labels": [...], "matrix": [[...]]}``
        over every label, with one row per true label and one column per predicted label.

    Raises
    ------
    ValueError
        If the lengths differ, there are no items, ``labels`` is empty or repeats a label, or a
        gold or predicted label is not in ``labels``.

    Examples
    --------
    >>> result = classification_metrics(["a", "b", "b"], ["a", "b", "a"], labels=["a", "b", "c"])
    >>> result["accuracy"], result["confusion_matrix"]["matrix"][:2], result["absent_labels"]
    (0.6666666666666666, [[1, 0, 0], [1, 1, 0]], ['c'])
    """
    check_lengths(y_true, y_pred=y_pred)
    labels = check_labels(labels)
    known = set(labels)
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        unknown = sorted({value for value in values if value not in known}, key=str)
        if unknown:
            raise ValueError(f"{name} holds {', '.join(map(repr, unknown[:5]))}, which "
                             f"{'is' if len(unknown) == 1 else 'are'} not in labels "
                             f"({', '.join(map(str, labels))})")

    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    y_true, y_pred = list(y_true), list(y_pred)
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    gold, guessed = matrix.sum(axis=1), matrix.sum(axis=0)
    predicted = {label: int(guessed[i]) for i, label in enumerate(labels)}
    scored = [label for i, label in enumerate(labels) if gold[i] or guessed[i]]
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=scored, average=None, zero_division=0)
    return {
        "n": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=scored, average="macro", zero_division=0)),
        "weighted_f1": float(f1_score(y_true, y_pred, labels=scored, average="weighted", zero_division=0)),
        "averaged_labels": scored,
        "absent_labels": [label for i, label in enumerate(labels) if not (gold[i] or guessed[i])],
        "per_class": {label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                              "support": int(support[i]), "predicted": predicted[label]}
                      for i, label in enumerate(scored)},
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
    check_lengths(y_true, y_pred=y_pred)
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
    >>> y = ["a", "a"]
    >>> macro_f1(y, y, labels=["a", "b"]), macro_f1(y, y, labels=["a", "b"], skip_absent=True)
    (0.5, 1.0)
    """
    check_lengths(y_true, y_pred=y_pred)
    labels = check_labels(labels)
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
    check_lengths(y_true, y_pred=y_pred)
    labels = check_labels(labels)
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
    f_avg_breakdown : the score with each class's F1 and counts.

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
    check_lengths(y_true, y_pred=y_pred)
    positive = check_labels(positive)
    correct, gold, guessed = _counts(y_true, y_pred)
    counted = [label for label in positive
               if gold[label] or guessed[label] or label not in set(skip_when_absent)]
    if not counted:
        return 0.0
    return sum(_f1(correct[label], gold[label], guessed[label]) for label in counted) / len(counted)


def f_avg_breakdown(y_true: Sequence[Hashable], y_pred: Sequence[Hashable], *,
                    positive: Sequence[Hashable] = STANCE_POSITIVE) -> dict:
    """:func:`f_avg` and what it is made of: each positive class's F1, gold items and predictions.

    The F1 scores are those :func:`f_avg` averages, with ``eval.pl``'s rule that a ratio with a zero
    denominator is 0: a class with gold items that is never predicted, a class predicted with no
    gold item, and a class with neither all have an F1 of 0 and count as 0 in the mean. So perfect
    predictions of items with no AGAINST item score F_avg 0.5. The counts let a report say which of
    these cases made a class's F1.

    Parameters
    ----------
    y_true, y_pred : sequence of labels
        Gold and predicted stance labels, one per item, in the same order.
    positive : sequence of labels, default ("FAVOR", "AGAINST")
        The classes whose F1 scores are averaged.

    Returns
    -------
    dict
        ``{"f_avg": float, "classes": {label: {"f1": float, "gold": int, "predicted": int}}}``,
        classes in ``positive`` order; ``f_avg`` equals ``f_avg(y_true, y_pred, positive=positive)``.

    Examples
    --------
    >>> breakdown = f_avg_breakdown(["FAVOR", "NONE"], ["FAVOR", "NONE"])
    >>> breakdown["f_avg"], breakdown["classes"]["AGAINST"]
    (0.5, {'f1': 0.0, 'gold': 0, 'predicted': 0})
    """
    check_lengths(y_true, y_pred=y_pred)
    positive = check_labels(positive)
    correct, gold, guessed = _counts(y_true, y_pred)
    classes = {label: {"f1": _f1(correct[label], gold[label], guessed[label]), "gold": gold[label],
                       "predicted": guessed[label]} for label in positive}
    return {"f_avg": sum(item["f1"] for item in classes.values()) / len(classes), "classes": classes}


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
    check_lengths(y_true, y_pred=y_pred)
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


def resolve_metric(metric: str | Callable, labels: Sequence[Hashable] | None) -> Callable:
    """``metric(y_true, y_pred)`` for a metric given by name (with ``labels`` bound where it needs
    them) or as a callable, which is returned as it is."""
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
        return functools.partial(METRICS[metric], labels=check_labels(labels))
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
    return float(resolve_metric(metric, labels)(y_true, y_pred))
