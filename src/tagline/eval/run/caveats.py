"""What a reader must know to read a run's scores, in words: too few items scored, and why F_avg is
what it is when FAVOR or AGAINST has no gold items (or no predictions). The first two are warnings
(``{"code", "message"}``, with ``target`` and ``label`` where they apply) in results.json and in
comparisons, which reports and the terminal show; reports also note a class never predicted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tagline.schemas.records import RunWarning
from tagline.wording import plural

SMALL_SAMPLE = 30
"""Fewer scored items than this, and a run or a comparison warns that its scores are unsteady."""

F_AVG_DEFINITION = (
    "F_avg (`f_avg`, the SemEval-2016 Task 6 score) is the mean of F1(FAVOR) and F1(AGAINST) only: NONE has no F1 "
    "in it and counts only through their precision and recall, whereas macro_f1 averages every class that occurs, "
    "NONE included. As in the official eval.pl, a class with no gold items has an F1 of 0, so F_avg is then at "
    "most 0.5, even for predictions that are all right.")
"""The one line that says what F_avg averages, where a report first shows it."""


def few_items(n_items: int, *, where: str, metric: str, interval: Mapping[str, Any], advice: str,
              done: str = "scored", what: str = "the score") -> list[RunWarning]:
    """A ``few_items`` warning, as a one-item list, when fewer than :data:`SMALL_SAMPLE` items were
    ``done`` (scored, compared); else an empty list. ``where`` says where the items came from ("in
    the test split"), ``metric`` and ``interval`` are ``what`` was measured (the score, the
    difference) with its bootstrap interval, ``advice`` what to do instead.

    Examples
    --------
    >>> (warning,) = few_items(8, where="in the test split", metric="macro_f1",
    ...                        interval={"value": 0.5, "low": 0.0, "high": 1.0}, advice="Use --cv 5.")
    >>> print(warning["message"])  # doctest: +NORMALIZE_WHITESPACE
    Only 8 items in the test split were scored, fewer than 30: the score is unsteady and its 95% interval
    is wide (macro_f1 0.500 [0.000, 1.000]). Use --cv 5.
    """
    if n_items >= SMALL_SAMPLE:
        return []
    low, high = interval.get("low"), interval.get("high")
    figures = f"{metric} {interval['value']:.3f}"
    if low is None or high is None:
        spread = f"its 95% interval is wide ({figures})"
    elif high - low >= 0.1:
        spread = f"its 95% interval is wide ({figures} [{low:.3f}, {high:.3f}])"
    else:
        spread = (f"its 95% interval ({figures} [{low:.3f}, {high:.3f}]) is narrow, but a bootstrap over so few "
                  "items understates how far it could move on other items")
    where = f" {where}" if where else ""
    message = (f"Only {plural(n_items, 'item')}{where} {'was' if n_items == 1 else 'were'} {done}, fewer than "
               f"{SMALL_SAMPLE}: {what} is unsteady and {spread}. {advice}")
    return [{"code": "few_items", "message": message}]


def cross_validation_advice(task: str, baseline: str, *, tuned: bool = True) -> str:
    """The command that scores every item of ``task`` with ``baseline`` by K-fold cross-validation."""
    return (f"`--cv K` scores every item instead: `tagline eval run --task {task} --baselines {baseline} --cv 5"
            f"{'' if tuned else ' --no-tune'}`.")


def f_avg_notes(classes: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Why a class of F_avg scores 0 whatever the predictions are worth (it has no gold items), or
    scores 0 for want of predictions, and what that does to F_avg: one sentence per such class
    (``classes``: each class's ``f1``, ``gold`` and ``predicted``, as
    :func:`tagline.eval.metrics.f_avg_breakdown` gives them).

    Examples
    --------
    >>> notes = f_avg_notes({"FAVOR": {"f1": 1.0, "gold": 3, "predicted": 3},
    ...                      "AGAINST": {"f1": 0.0, "gold": 0, "predicted": 0}})
    >>> print(notes["AGAINST"])  # doctest: +NORMALIZE_WHITESPACE
    AGAINST has no gold items and was never predicted: its F1 is 0 by eval.pl's convention (0/0 counts
    as 0), so F_avg = F1(FAVOR) / 2 = 0.5000, and cannot exceed 0.5.
    """
    zeroed = {label: _why_zero(item) for label, item in classes.items()}
    zeroed = {label: why for label, why in zeroed.items() if why}
    notes = {}
    for label, why in zeroed.items():
        others = [other for other in classes if other != label]
        if all(other in zeroed for other in others):
            effect = "F_avg is 0"
        elif len(others) == 1:
            effect = f"F_avg = F1({others[0]}) / 2 = {classes[others[0]]['f1'] / 2:.4f}"
            effect += ", and cannot exceed 0.5" if not classes[label]["gold"] else ""
        else:
            effect = f"it counts as 0 in F_avg's mean of {len(classes)} classes"
        notes[label] = f"{label} {why}, so {effect}."
    return notes


def _why_zero(item: Mapping[str, Any]) -> str:
    """Why a class of F_avg has an F1 of 0 that is no measure of how well it was predicted; "" when
    it has gold items and predictions."""
    if not item["gold"] and not item["predicted"]:
        return "has no gold items and was never predicted: its F1 is 0 by eval.pl's convention (0/0 counts as 0)"
    if not item["gold"]:
        return (f"has no gold items and was predicted {plural(item['predicted'], 'time')}, all false positives: "
                "its F1 is 0, as for any class with no gold items")
    if not item["predicted"]:
        return f"has {plural(item['gold'], 'gold item')} and was never predicted: its F1 is 0"
    return ""


def f_avg_warnings(classes: Mapping[str, Mapping[str, Any]] | None, *,
                   target: str | None = None) -> list[RunWarning]:
    """An ``f_avg_class`` warning for each class of F_avg with no gold items, whose F1 is therefore
    0 whatever was predicted (a class with gold items that was never predicted is the model's doing,
    and only the report notes it); for the items of ``target`` if given, else for all items.

    Examples
    --------
    >>> (warning,) = f_avg_warnings({"FAVOR": {"f1": 1.0, "gold": 3, "predicted": 3},
    ...                              "AGAINST": {"f1": 0.0, "gold": 0, "predicted": 0}}, target="DeepSeek")
    >>> warning["target"], warning["label"], warning["message"][:40]
    ('DeepSeek', 'AGAINST', 'DeepSeek: AGAINST has no gold items and ')
    """
    if not classes:
        return []
    warnings: list[RunWarning] = []
    for label, note in f_avg_notes(classes).items():
        if classes[label]["gold"]:
            continue
        warning: RunWarning = {"code": "f_avg_class", "label": label,
                               "message": f"{target}: {note}" if target else note}
        if target is not None:
            warning["target"] = target
        warnings.append(warning)
    return warnings


def stance_warnings(result: Mapping[str, Any]) -> list[RunWarning]:
    """The ``f_avg_class`` warnings of a stance result: for all its items, then for each target."""
    warnings = f_avg_warnings(result.get("f_avg_classes"))
    for target, scores in (result.get("per_target") or {}).items():
        warnings += f_avg_warnings(scores.get("f_avg_classes"), target=target)
    return warnings
