"""How much of the answers a model made: per annotator, the answers taken from a suggestion as is,
changed, or given without one; and how often each machine annotator agrees with the people. A
reviewer reads these to see automation bias."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from tagline.annotate.answers import select_annotators, value_key
from tagline.annotate.events import iter_annotation_events, slot
from tagline.corpus.workspace import Workspace


def current_events(workspace: Workspace, annotator: str) -> dict[tuple[str, str, str | None], dict[str, Any]]:
    """The event behind each of an annotator's current answers, by (sentence, task, target)."""
    current: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for event in iter_annotation_events(workspace, annotator):
        key = (event["sentence_id"], *slot(event))
        if event["op"] == "retract":
            current.pop(key, None)
        else:
            current[key] = event
    return current


def suggestion_use(workspace: Workspace, annotators: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Per annotator: ``answers``, ``accepted_as_is``, ``changed``, ``without_suggestion``,
    ``share_as_is`` (of all answers) and the answers taken as is per source. People only, unless
    annotators are named."""
    use: dict[str, dict[str, Any]] = {}
    for annotator in select_annotators(workspace, annotators):
        counts: Counter[str] = Counter()
        by_source: Counter[str] = Counter()
        for event in current_events(workspace, annotator).values():
            counts["answers"] += 1
            suggestion = event.get("suggestion")
            if suggestion is None:
                counts["without_suggestion"] += 1
            elif suggestion["accepted"] == "as_is":
                counts["accepted_as_is"] += 1
                by_source[suggestion["source"]] += 1
            else:
                counts["changed"] += 1
        if counts["accepted_as_is"] or counts["changed"]:
            use[annotator] = {"answers": counts["answers"], "accepted_as_is": counts["accepted_as_is"],
                              "changed": counts["changed"], "without_suggestion": counts["without_suggestion"],
                              "share_as_is": round(counts["accepted_as_is"] / counts["answers"], 4),
                              "as_is_by_source": dict(by_source)}
    return use


def machine_agreement(workspace: Workspace, *, exclude_annotators: Iterable[str] | None = None
                      ) -> dict[str, dict[str, dict[str, Any]]]:
    """For each machine annotator and each person who votes: the questions both answered and the
    share on which they agree (spans compared as sets)."""
    excluded = set(exclude_annotators or ())
    known = workspace.annotators()
    machines = [name for name in workspace.machine_annotators() if name in known and name not in excluded]
    people = select_annotators(workspace, None, exclude=exclude_annotators)
    answers = {name: current_events(workspace, name) for name in [*machines, *people]}
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for machine in machines:
        for person in people:
            shared = answers[machine].keys() & answers[person].keys()
            if not shared:
                continue
            same = sum(value_key(key[1], answers[machine][key]["value"]) ==
                       value_key(key[1], answers[person][key]["value"]) for key in shared)
            table.setdefault(machine, {})[person] = {"shared": len(shared), "agreement": round(same / len(shared), 4)}
    return table


def provenance_markdown(use: dict[str, dict[str, Any]], machines: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """The two tables as Markdown lines (for the agreement report and the dataset card)."""
    lines: list[str] = []
    if use:
        lines += ["Answers made from a model's suggestion, per annotator:", "",
                  "| annotator | answers | taken as is | changed | without a suggestion | share taken as is |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {name} | {row['answers']} | {row['accepted_as_is']} | {row['changed']} | "
                  f"{row['without_suggestion']} | {row['share_as_is']:.1%} |" for name, row in use.items()]
        lines.append("")
    if machines:
        lines += ["Agreement of each machine annotator with each person (questions both answered):", "",
                  "| machine | person | shared | agreement |", "|---|---|---|---|"]
        lines += [f"| {machine} | {person} | {row['shared']} | {row['agreement']:.1%} |"
                  for machine, people in machines.items() for person, row in people.items()]
        lines.append("")
    return lines
