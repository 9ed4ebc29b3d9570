"""Agreement reports for a workspace: votes per question, coefficients, and the Markdown report."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tagline.annotate.agreement import render_markdown
from tagline.annotate.answers import (
    asked_questions,
    collect_votes,
    describe,
    describe_left_out,
    left_out,
    question_name,
    select_annotators,
)
from tagline.corpus.workspace import Workspace
from tagline.errors import takes_workspace

if TYPE_CHECKING:
    from tagline.annotate.columns import ColumnAnswers


@takes_workspace
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
    from tagline.annotate.column_votes import suggestion_counts
    from tagline.annotate.columns import ColumnAnswers
    from tagline.annotate.events import CurrentAnswers

    chosen = select_annotators(workspace, annotators, machines=machines, exclude=exclude_annotators)
    answers = ColumnAnswers(workspace)  # each annotator's file read once, as columns
    answers.read_sentences()  # even with no votes, so that a damaged sentences.jsonl is an error here too
    answers.fold_ahead(chosen)
    questions = {}
    for task, target in asked_questions(workspace, tasks):
        report = _question_report(workspace, answers, chosen, task, target, top_contested)
        report["task"] = task
        if target is not None:
            report["target"] = target
        questions[question_name(task, target)] = report
    from tagline.annotate.provenance import machine_agreement

    return {"workspace": str(workspace.root), "annotators": chosen, "questions": questions,
            "left_out": left_out(workspace, chosen, exclude_annotators),
            "suggestions": suggestion_counts(workspace, chosen, answers),
            # Read as dicts only where there are machine annotators to compare with people.
            "machines": machine_agreement(workspace, exclude_annotators=exclude_annotators,
                                          answers=CurrentAnswers(workspace))}


def _question_report(workspace: Workspace, answers: ColumnAnswers, chosen: list[str], task: str,
                     target: str | None, top_contested: int) -> dict[str, Any]:
    """Agreement on one question, from the votes as columns (the same report, number for number,
    as :func:`label_agreement` or :func:`span_agreement` with token offsets give from mappings)."""
    import numpy as np

    from tagline.annotate.agreement.label_columns import label_agreement_codes
    from tagline.annotate.agreement.span_columns import SpanColumns, span_agreement_codes
    from tagline.annotate.column_votes import label_codes, question_votes, span_columns
    from tagline.corpus.sentence_table import token_ranges

    votes = question_votes(answers, chosen, task, target)
    if task != "entities":
        return label_agreement_codes(label_codes(votes), votes.voters, list(answers.names.names),
                                     _ItemIds(answers, votes.items),
                                     labels=workspace.config.labels(task), top_contested=top_contested)
    present, (voter, item, start, end, label) = span_columns(votes)
    compared = present.sum(axis=0) >= 2
    nothing = np.zeros(len(votes.items), dtype=np.int64)
    tokens = token_ranges(workspace, votes.items, small=not answers.arrow) \
        if compared.any() and len(votes.voters) >= 2 else (nothing, nothing, nothing[:0], nothing[:0])
    return span_agreement_codes(present, votes.voters, SpanColumns(voter, item, start, end, label,
                                                                   list(answers.names.names)), tokens)


class _ItemIds:
    """The sentence id of each item, looked up only for the few items a report names."""

    def __init__(self, answers: ColumnAnswers, rows: Any) -> None:
        self.answers, self.rows = answers, rows

    def __getitem__(self, item: int) -> str:
        return self.answers.sentence_id(int(self.rows[item]))

    def many(self, items: Any) -> list[str]:
        """The ids of ``items`` (an array of places), at once."""
        return self.answers.sentence_ids(self.rows[items])


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
