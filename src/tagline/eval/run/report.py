"""A run's ``report.md``, made from its results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def run_report(result: Mapping[str, Any]) -> str:
    """The run's ``report.md``: how it was made, its metrics with intervals, per target, per class,
    the confusion matrix and the parameters tuning chose."""
    lines = [f"# Run {result['run_id']}", "",
             f"- task: `{result['task']}`; baseline: `{result['baseline']}`",
             f"- mode: {result.get('mode', '')}",
             f"- dataset fingerprint: `{result['dataset_fingerprint']}`; seed {result['seed']}",
             f"- evaluated items: {result.get('n_evaluated', '')}; training items: {result.get('n_train', '')}",
             f"- created {result['created']}; " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()),
             "", "## Metrics (95% bootstrap intervals)", "", "| metric | value | interval |", "|---|---|---|"]
    for name, item in result["metrics"].items():
        lines.append(f"| {name} | {item['value']:.4f} | {item['low']:.4f} – {item['high']:.4f} |")
    if result.get("per_target"):
        lines += ["", "## Per target", "", "| target | n | F_avg | macro-F1 |", "|---|---|---|---|"]
        for target, item in result["per_target"].items():
            lines.append(f"| {target} | {item['n']} | {item['f_avg']:.4f} | {item['macro_f1']:.4f} |")
    if result.get("per_class"):
        lines += ["", "## Per class", "", "| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for label, item in result["per_class"].items():
            lines.append(f"| {label} | {item['precision']:.4f} | {item['recall']:.4f} | {item['f1']:.4f} | "
                         f"{item['support']} |")
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
