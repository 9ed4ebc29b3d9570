"""Scoring a run's predictions: the headline metric of each task, the label metrics with bootstrap
intervals, per-class and per-target scores, span scores for entities, and the rows of
``predictions.jsonl``. `eval run`, `eval score` and `eval compare` all score this way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NotRequired, TypedDict

HEADLINE = {"claim_type": "macro_f1", "stance": "f_avg", "entities": "exact_f1"}


class Scores(TypedDict):
    """The scores a run result carries: each metric with its interval, per class (per label for
    entities) for the labels with gold items or predictions, the labels with neither
    (``absent_labels``), the confusion matrix (labels only) and, for stance, what F_avg is made of
    (``f_avg_classes``), overall and per target."""

    metrics: dict[str, dict[str, Any]]
    per_class: dict[str, dict[str, Any]]
    absent_labels: list[str]
    confusion_matrix: NotRequired[dict[str, Any]]
    f_avg_classes: NotRequired[dict[str, dict[str, Any]]]
    per_target: NotRequired[dict[str, dict[str, Any]]]


def label_metric(name: str, labels: Sequence[str]) -> Callable:
    """The label metric ``name`` as runs, scored predictions and comparisons compute it, over
    ``labels`` (the classes that occur, gold or predicted, in the items scored). Macro-F1 averages
    over those classes, and F_avg over FAVOR and AGAINST, in every bootstrap resample too, so a
    class that a resample misses is not counted as an F1 of 0."""
    import functools

    from tagline.eval.metrics import METRICS, STANCE_POSITIVE, f_avg, macro_f1, weighted_f1

    if name == "macro_f1":
        return functools.partial(macro_f1, labels=list(labels), skip_absent=True)
    if name == "f_avg":
        return functools.partial(f_avg, skip_when_absent=[label for label in STANCE_POSITIVE if label in labels])
    if name == "weighted_f1":
        return functools.partial(weighted_f1, labels=list(labels))
    return METRICS[name]


def score_labels(task: str, y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str], *,
                 inputs: Sequence | None = None, n_resamples: int = 1000, seed: int = 0) -> Scores:
    """Headline metrics with bootstrap intervals, per-class scores and the confusion matrix; for
    stance, F1, gold items and predictions of FAVOR and AGAINST (what F_avg averages), and with
    ``inputs`` (the ``(target, text)`` pairs) F_avg, its classes and macro-F1 per target.

    A label with no gold item and no prediction among the scored items has no per-class row
    (``absent_labels`` names it); macro-F1 leaves it out of its average, as it always has."""
    from tagline.eval.metrics import bootstrap_intervals, classification_metrics, f_avg_breakdown

    base = classification_metrics(list(y_true), list(y_pred), labels=list(labels))
    names = (["f_avg"] if task == "stance" else []) + ["accuracy", "macro_f1", "weighted_f1"]
    # Macro-F1 averages over the classes that occur in the evaluated items (gold or predicted),
    # as scikit-learn does by default: a configured class absent from the test set is not a zero.
    present = base["averaged_labels"]
    metrics = bootstrap_intervals({name: label_metric(name, present) for name in names}, list(y_true), list(y_pred),
                                  n_resamples=n_resamples, random_state=seed)
    result: Scores = {"metrics": metrics, "per_class": base["per_class"], "absent_labels": base["absent_labels"],
                      "confusion_matrix": base["confusion_matrix"]}
    if task == "stance":
        result["f_avg_classes"] = f_avg_breakdown(list(y_true), list(y_pred))["classes"]
        if inputs is not None:
            result["per_target"] = _per_target(y_true, y_pred, labels, [target for target, _ in inputs])
    return result


def _per_target(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str],
                targets: Sequence[str]) -> dict[str, dict[str, Any]]:
    from tagline.eval.metrics import f_avg_breakdown, metric_value

    per_target = {}
    for target in sorted(set(targets)):
        rows = [i for i, t in enumerate(targets) if t == target]
        truth, guess = [y_true[i] for i in rows], [y_pred[i] for i in rows]
        occurring = set(truth) | set(guess)
        per_target[target] = {"n": len(rows),
                              "f_avg": metric_value("f_avg", truth, guess, labels=list(labels)),
                              "f_avg_classes": f_avg_breakdown(truth, guess)["classes"],
                              "macro_f1": metric_value("macro_f1", truth, guess,
                                                       labels=[x for x in labels if x in occurring])}
    return per_target


def score_spans(gold: Sequence, predicted: Sequence, labels: Sequence[str], *, n_resamples: int,
                seed: int) -> Scores:
    """Exact and partial span F1 with bootstrap intervals over sentences, and exact per-label
    scores for the labels with gold or predicted spans (the others in ``absent_labels``)."""
    from tagline.eval.entities import span_metrics

    scores = span_metrics(gold, predicted, labels=labels, n_resamples=n_resamples, random_state=seed)
    return {"metrics": scores["metrics"], "per_class": scores["per_class"], "absent_labels": scores["absent_labels"]}


def prediction_rows(task: str, ids: Sequence[str], gold: Sequence, predicted: Sequence) -> list[dict[str, Any]]:
    """The lines of a run's ``predictions.jsonl``: id, gold and prediction (spans as lists)."""
    if task == "entities":
        return [{"id": i, "gold": [list(s) for s in g], "pred": [list(s) for s in p]}
                for i, g, p in zip(ids, gold, predicted)]
    return [{"id": i, "gold": g, "pred": p} for i, g, p in zip(ids, gold, predicted)]
