"""How much of the answers a model made: per annotator, the answers taken from a suggestion as is,
changed, or given without one; and how often each machine annotator agrees with the people. A
reviewer reads these to see automation bias."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from tagline.annotate.answers import select_annotators, value_key
from tagline.annotate.events import CurrentAnswers
from tagline.corpus.workspace import Workspace


def suggestion_use(workspace: Workspace, annotators: Iterable[str] | None = None, *,
                   answers: CurrentAnswers | None = None) -> dict[str, dict[str, Any]]:
    """Per annotator: ``answers``, ``accepted_as_is``, ``changed``, ``without_suggestion``,
    ``share_as_is`` (of all answers) and the answers taken as is per source. People only, unless
    annotators are named. ``answers`` shares the reading of the annotators' files with other uses."""
    use: dict[str, dict[str, Any]] = {}
    read = answers or CurrentAnswers(workspace)
    for annotator in select_annotators(workspace, annotators):
        counts: Counter[str] = Counter()
        by_source: Counter[str] = Counter()
        for suggestion in (answer[1] for current in read(annotator).values() for answer in current.values()):
            counts["answers"] += 1
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


def machine_agreement(workspace: Workspace, *, exclude_annotators: Iterable[str] | None = None,
                      answers: CurrentAnswers | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """For each machine annotator and each person who votes: the questions both answered and the
    share on which they agree (spans compared as sets). ``answers`` shares the reading of the
    annotators' files with other uses."""
    excluded = set(exclude_annotators or ())
    known = workspace.annotators()
    machines = [name for name in workspace.machine_annotators() if name in known and name not in excluded]
    people = select_annotators(workspace, None, exclude=exclude_annotators)
    table: dict[str, dict[str, dict[str, Any]]] = {}
    if not machines:
        return table
    read = answers or CurrentAnswers(workspace)
    current = {name: {(sentence_id, *key): answer[0] for sentence_id, slots in read(name).items()
                      for key, answer in slots.items()} for name in [*machines, *people]}
    for machine in machines:
        for person in people:
            shared = current[machine].keys() & current[person].keys()
            if not shared:
                continue
            same = sum(value_key(key[1], current[machine][key]) == value_key(key[1], current[person][key])
                       for key in shared)
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
