"""Markdown rendering of an agreement report: summary tables, Cohen's kappa per pair, the
disagreement table and the most contested items (labels), or pairwise span scores (entities)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines + [""]


def _notes(report: Mapping) -> list[str]:
    notes = report.get("notes") or []
    if not notes:
        return []
    return ["## Notes", ""] + [f"- {_cell(note)}" for note in notes] + [""]


def _render_labels(report: Mapping) -> list[str]:
    fleiss = report["fleiss_kappa"]
    alpha = report["krippendorff_alpha"]
    compared = report["n_items_compared"]
    lines = ["## Summary", ""]
    lines += _table(["measure", "value", "items"], [
        ["items with a vote", report["n_items"], ""],
        ["items compared (2+ votes)", compared, ""],
        ["annotators", ", ".join(report["annotators"]) or "none", ""],
        ["observed agreement (mean pairwise)", report["observed_agreement"], compared],
        ["unanimous items", report["unanimous_items"], compared],
        ["Fleiss' kappa", fleiss["value"], fleiss["n_items"]],
        ["Krippendorff's alpha (nominal)", alpha["value"], alpha["n_items"]],
    ])
    if report["cohen_kappa"]:
        lines += ["## Cohen's kappa by annotator pair", ""]
        lines += _table(["annotator A", "annotator B", "items", "kappa"],
                        [[*e["annotators"], e["n_items"], e["value"]] for e in report["cohen_kappa"]])
    if report["annotators_per_item"]:
        lines += ["## Annotators per item", ""]
        lines += _table(["annotators", "items"], list(report["annotators_per_item"].items()))
    if report["label_counts"]:
        lines += ["## Label counts", ""]
        lines += _table(["label", "votes"], list(report["label_counts"].items()))
    table = report["disagreements"]
    if table["labels"]:
        lines += ["## Disagreements", "",
                  "Annotator pairs that disagreed on an item, by the two labels they gave (each pair is "
                  "counted in both cells).", ""]
        lines += _table(["", *table["labels"]], [[label, *row] for label, row in zip(table["labels"], table["matrix"])])
    if report["most_contested"]:
        annotators = report["annotators"]
        lines += ["## Most contested items", ""]
        lines += _table(["item", "agreement", *annotators],
                        [[e["item_id"], e["agreement"], *(e["votes"].get(a, "") for a in annotators)]
                         for e in report["most_contested"]])
    return lines


def _render_spans(report: Mapping) -> list[str]:
    alpha = report["krippendorff_alpha"]
    lines = ["## Summary", ""]
    lines += _table(["measure", "value"], [
        ["items annotated", report["n_items"]],
        ["items compared (2+ annotators)", report.get("n_items_compared", "")],
        ["annotators", ", ".join(report["annotators"]) or "none"],
        ["labels", ", ".join(report.get("labels", [])) or "none"],
        [f"Krippendorff's alpha ({alpha.get('unit', 'token')} labels, nominal)", alpha["value"]],
        [f"{alpha.get('unit', 'token')}s compared", alpha.get("n_units", "")],
    ])
    if report.get("span_counts"):
        labels = report.get("labels", [])
        lines += ["## Spans per annotator", ""]
        lines += _table(["annotator", *labels, "total"],
                        [[a, *(c.get(label, 0) for label in labels), sum(c.values())]
                         for a, c in report["span_counts"].items()])
    if report["pairwise"]:
        lines += ["## Pairwise span agreement", "",
                  "Annotator A is the reference: recall is the share of A's spans that B also marked, precision "
                  "the share of B's spans that A marked. F1 is the same either way round.", ""]
        lines += _table(
            ["annotator A", "annotator B", "items", "exact P", "exact R", "exact F1", "overlap P", "overlap R",
             "overlap F1"],
            [[*e["annotators"], e["n_items"], e["exact"]["precision"], e["exact"]["recall"], e["exact"]["f1"],
              e["overlap"]["precision"], e["overlap"]["recall"], e["overlap"]["f1"]] for e in report["pairwise"]])
        rows = []
        for e in report["pairwise"]:
            for label, exact in e["exact"]["per_label"].items():
                overlap = e["overlap"]["per_label"][label]
                rows.append([*e["annotators"], label, exact["n_reference"], exact["n_other"], exact["f1"],
                             overlap["f1"]])
        if rows:
            lines += ["## Pairwise F1 by label", ""]
            lines += _table(["annotator A", "annotator B", "label", "spans A", "spans B", "exact F1", "overlap F1"],
                            rows)
    return lines


def render_markdown(report: Mapping, *, title: str) -> str:
    """A GitHub-readable Markdown rendering of a :func:`label_agreement` or :func:`span_agreement` report.

    Parameters
    ----------
    report : Mapping
        A report as returned by either function (or read back from its JSON).
    title : str
        The top-level heading.

    Returns
    -------
    str
        Markdown with plain tables; numbers to four decimals, undefined values as ``n/a``.

    Raises
    ------
    ValueError
        If ``report`` is neither kind of agreement report.
    """
    if not isinstance(report, Mapping):
        raise ValueError(f"report must be a mapping, got {type(report).__name__}")
    if "cohen_kappa" in report and "disagreements" in report:
        body = _render_labels(report)
    elif "pairwise" in report and "krippendorff_alpha" in report:
        body = _render_spans(report)
    else:
        raise ValueError("report is neither a label_agreement nor a span_agreement report")
    return "\n".join([f"# {title}", "", *body, *_notes(report)]).rstrip("\n") + "\n"
