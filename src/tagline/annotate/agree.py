"""Agreement reports for a workspace: votes per question, coefficients, and the Markdown report."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tagline.annotate.agreement import label_agreement, render_markdown, span_agreement
from tagline.annotate.answers import (
    collect_votes,
    describe,
    describe_left_out,
    left_out,
    question_name,
    select_annotators,
)
from tagline.corpus.workspace import Workspace


def agreement_report(workspace: Workspace, *, tasks: Iterable[str] | None = None,
                     annotators: Iterable[str] | None = None, top_contested: int = 10,
                     machines: bool = False, exclude_annotators: Iterable[str] | None = None) -> dict[str, Any]:
    """Agreement for every question (stance per target, claim type, entities) among ``annotators``.

    Returns ``{"annotators": [...], "questions": {name: report}, "left_out": {name: why}}`` where
    each report holds ``observed_agreement``, ``cohen_kappa``, ``fleiss_kappa``,
    ``krippendorff_alpha`` (labels) or pairwise span scores and token-level ``krippendorff_alpha``
    (entities), plus ``notes``. Machine annotators (``annotate suggest --write``) are left out unless
    named or ``machines``; so are answers that came with their gold (the sample's) unless named,
    retired annotators, and ``exclude_annotators``. ``left_out`` says who was, and why.
    """
    import numpy as np

    from tagline.corpus.tokenize import tokenize

    config = workspace.config
    chosen = select_annotators(workspace, annotators, machines=machines, exclude=exclude_annotators)
    from tagline.annotate.events import CurrentAnswers

    current = CurrentAnswers(workspace)  # each annotator's file read once, for the votes and the provenance
    votes = collect_votes(workspace, chosen, tasks, answers=current)
    questions = {}
    sentences = None
    for (task, target), by_sentence in votes.items():
        name = question_name(task, target)
        if task != "entities":
            labels_only = {sid: {a: v["label"] for a, v in answers.items()} for sid, answers in by_sentence.items()}
            report = label_agreement(labels_only, labels=config.labels(task), top_contested=top_contested)
        else:
            spans = {sid: {a: [(s["start"], s["end"], s["label"]) for s in v["spans"]] for a, v in answers.items()}
                     for sid, answers in by_sentence.items()}
            compared = {sid for sid, answers in by_sentence.items() if len(answers) >= 2}
            if sentences is None:
                sentences = {s["id"]: s for s in workspace.iter_sentences() if s["id"] in compared}
            # One small array per sentence, not a tuple per token: 100,000 sentences hold 10 million tokens.
            token_offsets = {sid: np.array(tokenize(sentences[sid]["text"], sentences[sid]["lang"]),
                                           dtype=np.int32).reshape(-1, 2)
                             for sid in compared if sid in sentences}
            report = span_agreement(spans, token_offsets=token_offsets)
        report["task"] = task
        if target is not None:
            report["target"] = target
        questions[name] = report
    from tagline.annotate.provenance import machine_agreement, suggestion_use

    return {"workspace": str(workspace.root), "annotators": chosen, "questions": questions,
            "left_out": left_out(workspace, chosen, exclude_annotators),
            "suggestions": suggestion_use(workspace, chosen, answers=current),
            "machines": machine_agreement(workspace, exclude_annotators=exclude_annotators, answers=current)}


def report_markdown(workspace: Workspace, report: dict[str, Any]) -> str:
    """A GitHub-readable disagreement report: one section per question, then the contested
    sentences in full with each annotator's answer."""
    from tagline.annotate.provenance import provenance_markdown

    lines = [f"# Agreement report: {workspace.root.name}", "",
             f"Annotators: {', '.join(report['annotators']) or '(none)'}.", ""]
    if report.get("left_out"):
        lines += [f"Not counted: {describe_left_out(report['left_out'])}.", ""]
    provenance = provenance_markdown(report.get("suggestions", {}), report.get("machines", {}))
    if provenance:
        lines += ["## Model suggestions", "", *provenance]
    for name, question in report["questions"].items():
        section = render_markdown(question, title=name)
        # One level down: each question is a section of the whole report.
        lines.extend("#" + line if line.startswith("#") else line for line in section.splitlines())
        lines.append("")
    contested = _contested_sentences(workspace, report)
    if contested:
        lines += ["## Contested sentences", ""]
        for sentence, answers in contested:
            lines.append(f"### {sentence['id']}")
            lines.append("")
            lines.append(f"> {sentence['text']}")
            lines.append("")
            lines.append("| question | " + " | ".join(report["annotators"]) + " |")
            lines.append("|---|" + "---|" * len(report["annotators"]))
            for question, by_annotator in answers.items():
                cells = [by_annotator.get(a, "–").replace("|", "\\|") for a in report["annotators"]]
                lines.append(f"| {question} | " + " | ".join(cells) + " |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _contested_sentences(workspace: Workspace, report: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    wanted: dict[str, dict[str, dict[str, str]]] = {}
    for name, question in report["questions"].items():
        for item in question.get("most_contested", []):
            wanted.setdefault(item["item_id"], {})[name] = {a: str(v) for a, v in item["votes"].items()}
    if not wanted:
        return []
    votes = collect_votes(workspace, report["annotators"], ["entities"]).get(("entities", None), {})
    out = []
    for sentence in workspace.iter_sentences():
        if sentence["id"] in wanted:
            answers = wanted[sentence["id"]]
            if sentence["id"] in votes:
                answers["entities"] = {a: describe("entities", v) for a, v in votes[sentence["id"]].items()}
            out.append((sentence, answers))
    return out
