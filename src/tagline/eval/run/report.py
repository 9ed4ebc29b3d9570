"""A run's ``report.md``, made from its results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tagline.eval.run.caveats import F_AVG_DEFINITION, f_avg_notes
from tagline.wording import plural


def run_report(result: Mapping[str, Any]) -> str:
    """The run's ``report.md``: how it was made, a warning when few items were scored, its metrics
    with intervals (and, for stance, what F_avg averages and why a class of it scores 0), per
    target, per class (labels with no gold items and no predictions named, not listed), the
    confusion matrix and the parameters tuning chose."""
    lines = [f"# Run {result['run_id']}", "",
             f"- task: `{result['task']}`; baseline: `{result['baseline']}`",
             f"- mode: {result.get('mode', '')}",
             f"- dataset fingerprint: `{result['dataset_fingerprint']}`; seed {result['seed']}",
             f"- evaluated items: {result.get('n_evaluated', '')}; training items: {result.get('n_train', '')}",
             f"- created {result['created']}; " + ", ".join(f"{k} {v}" for k, v in result["versions"].items())]
    warnings = result.get("warnings") or []
    for warning in warnings:
        if warning.get("code") != "f_avg_class":
            lines += ["", f"> **Warning:** {warning['message']}"]
    lines += ["", "## Metrics (95% bootstrap intervals)", "", "| metric | value | interval |", "|---|---|---|"]
    for name, item in result["metrics"].items():
        lines.append(f"| {name} | {item['value']:.4f} | {item['low']:.4f} – {item['high']:.4f} |")
    lines += _metrics_notes(result)
    if result.get("per_target"):
        lines += _per_target_report(result["per_target"])
    if result.get("per_class"):
        lines += _per_class_report(result)
    if result.get("confusion_matrix"):
        labels = result["confusion_matrix"]["labels"]
        lines += ["", "## Confusion matrix (rows: gold, columns: predicted)", "",
                  "| gold \\ predicted | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
        for label, row in zip(labels, result["confusion_matrix"]["matrix"]):
            lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
        lines += ["", "![confusion matrix](confusion.png)"]
    if result.get("params"):
        lines += ["", "## Parameters", ""] + _params_report(result["params"])
    return "\n".join(lines) + "\n"


def _metrics_notes(result: Mapping[str, Any]) -> list[str]:
    """Under the metrics table: what F_avg averages and why a class of it scores 0, and which
    classes macro-F1 averages."""
    metrics = result["metrics"]
    lines: list[str] = []
    if "f_avg" in metrics:
        lines += ["", F_AVG_DEFINITION]
        notes = f_avg_notes(result.get("f_avg_classes") or {})
        if notes:
            lines += [""] + [f"- {note}" for note in notes.values()]
    if "macro_f1" in metrics and "absent_labels" in result and result.get("per_class"):
        averaged = list(result["per_class"])
        lines += ["", f"macro_f1 and weighted_f1 average the {plural(len(averaged), 'class', 'classes')} that occur "
                      f"in the scored items, gold or predicted: {', '.join(averaged)}."]
    return lines


def _per_target_report(per_target: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The per-target table, with the F1 of each class F_avg averages where the run recorded them,
    and why a target's class scores 0."""
    positive = list(next(iter(per_target.values())).get("f_avg_classes") or {})
    lines = ["", "## Per target", "",
             "| target | n | F_avg | " + "".join(f"F1({label}) | " for label in positive) + "macro-F1 |",
             "|---|---|---|" + "---|" * len(positive) + "---|"]
    for target, item in per_target.items():
        classes = item.get("f_avg_classes") or {}
        lines.append(f"| {target} | {item['n']} | {item['f_avg']:.4f} | "
                     + "".join(f"{classes[label]['f1']:.4f} | " if label in classes else "n/a | " for label in positive)
                     + f"{item['macro_f1']:.4f} |")
    notes = [f"- {target}: {note}" for target, item in per_target.items()
             for note in f_avg_notes(item.get("f_avg_classes") or {}).values()]
    return lines + ([""] + notes if notes else [])


def _per_class_report(result: Mapping[str, Any]) -> list[str]:
    """The per-class (per-label) table. A class predicted but never gold keeps its row, its
    predictions all false positives; classes with no gold items and no predictions are named in one
    line under the table, not listed as scores of 0."""
    entities = result["task"] == "entities"
    lines = ["", "## Per label (exact span match)" if entities else "## Per class", "",
             f"| {'label' if entities else 'class'} | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label, item in result["per_class"].items():
        recall, support = f"{item['recall']:.4f}", str(item["support"])
        if not item["support"] and item.get("predicted"):
            recall = "—"  # 0/0: no gold item to recall
            predicted = plural(item["predicted"], "predicted span" if entities else "prediction")
            support = f"0 ({predicted}, {'a false positive' if item['predicted'] == 1 else 'all false positives'})"
        lines.append(f"| {label} | {item['precision']:.4f} | {recall} | {item['f1']:.4f} | {support} |")
    absent = result.get("absent_labels") or []
    if absent:
        noun = "scored sentence" if entities else "scored item"
        scored = f"the {plural(result['n_evaluated'], noun)}" if "n_evaluated" in result else f"the {noun}s"
        if entities:
            lines += ["", f"No gold spans and no predicted spans in {scored} (not listed): {', '.join(absent)}."]
        else:
            lines += ["", f"No gold items and no predictions among {scored} (not listed, and left out of macro_f1 "
                          f"and weighted_f1): {', '.join(absent)}."]
    return lines


def _params_report(params: Mapping[str, Any]) -> list[str]:
    """Markdown lines summarising a run's ``params``: what was chosen, per model and per fold; every
    setting's score stays in results.json."""
    def shown(value) -> str:
        if isinstance(value, dict):
            return ", ".join(f"{key}={item}" for key, item in value.items()) or "defaults"
        return str(value)

    def score(value) -> str:
        return "" if value is None else f"{value:.4f}"

    lines = []
    if "metric" in params:
        lines += [f"Chosen to maximise `{params['metric']}`" + (f" by {params['tuning']}." if params.get("tuning")
                                                                 else " on the validation split."), ""]
    chosen = params.get("chosen")
    if isinstance(chosen, dict) and all(isinstance(item, dict) and "cv_score" in item for item in chosen.values()):
        lines += ["| model | parameters | CV score | folds |", "|---|---|---|---|"]
        lines += [f"| {name} | {shown(item['params'])} | {score(item['cv_score'])} | {item.get('folds', '')} |"
                  for name, item in chosen.items()]
    elif chosen is not None:
        lines.append(f"- chosen: {shown(chosen)}")
    if params.get("validation_scores"):
        lines += ["", "| setting | validation score |", "|---|---|"]
        lines += [f"| {shown(row['params'])} | {score(row['score'])} |" for row in params["validation_scores"]]
    if params.get("folds"):
        lines += ["", "In each cross-validation fold, chosen on its training part:", "",
                  "| fold | model | parameters | CV score |", "|---|---|---|---|"]
        lines += [f"| {number} | {name} | {shown(item['params'])} | {score(item['cv_score'])} |"
                  for number, choice in enumerate(params["folds"], 1) for name, item in choice.items()]
    known = {"metric", "tuning", "chosen", "validation_scores", "folds"}
    lines += [f"- {key}: {shown(value)}" for key, value in params.items() if key not in known]
    if chosen is not None:
        lines += ["", "Every setting's score is in results.json, under `params`."]
    return lines
