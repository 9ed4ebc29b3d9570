"""Annotating by script: label or retract one sentence's answers, show answers side by side, progress."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tagline.annotate.answers import check_can_answer, left_out, select_annotators
from tagline.annotate.events import (
    event_problems,
    fold_events,
    iter_annotation_events,
    make_event,
    required_slots,
)
from tagline.corpus.store import append_records
from tagline.corpus.workspace import Workspace
from tagline.errors import DataError, takes_workspace
from tagline.schemas import TASKS

_OFFSET_SPEC = re.compile(r"^(\d+):(\d+):([^:]+)$")
ANNOTATOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_annotator(name: str) -> str:
    if not ANNOTATOR_NAME.match(name):
        raise DataError(f"annotator name {name!r} is not allowed",
                        fix="use letters, digits, '.', '_' or '-', starting with a letter or digit (at most 64)")
    return name


def parse_stance(items: Sequence[str]) -> dict[str, str]:
    """``["DeepSeek=FAVOR", "US AI policy=NONE"]`` -> ``{"DeepSeek": "FAVOR", "US AI policy": "NONE"}``.

    A target given twice with the same label counts once; with two labels it is an error.

    Examples
    --------
    >>> parse_stance(["DeepSeek=FAVOR", "US AI policy=NONE"])
    {'DeepSeek': 'FAVOR', 'US AI policy': 'NONE'}
    """
    stance: dict[str, str] = {}
    for item in items:
        target, separator, label = item.rpartition("=")
        if not separator or not target:
            raise DataError(f"--stance {item!r} is not TARGET=LABEL", fix="for example --stance 'DeepSeek=FAVOR'")
        if stance.get(target, label) != label:
            raise DataError(f"--stance gives {target!r} two labels ({stance[target]} and {label})", fix="give one")
        stance[target] = label
    return stance


def find_sentence(workspace: Workspace, sentence_id: str) -> dict[str, Any]:
    """The sentence with this id, read through the sentence index (its line alone), or an error."""
    from tagline.corpus.sentence_index import find_sentence as find_indexed

    record = find_indexed(workspace, sentence_id)
    if record is not None:
        return record
    raise DataError(f"no sentence with id {sentence_id!r}", where=str(workspace.sentences_path),
                    fix="see `tagline corpus show DOC_ID` for the ids")


def parse_entity(spec: str, sentence_text: str, labels: Sequence[str], lang: str = "",
                 where: str | None = None, aliases: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Spans for an ``--entity`` spec: ``START:END:LABEL`` (offsets in the sentence), or
    ``TEXT:LABEL``, which marks every occurrence of TEXT in the sentence, found as the session's
    ``/`` finds it (case and full-width forms ignored; in English, whole words only). ``where``
    (the sentence id) is named in the errors; an unknown label's error suggests the label its
    ``aliases`` (of ``[tasks.entities]``) map it to, or the configured label closest in spelling."""
    match = _OFFSET_SPEC.match(spec)
    if match:
        start, end, label = int(match.group(1)), int(match.group(2)), match.group(3)
        if not (0 <= start < end <= len(sentence_text)):
            raise DataError(f"offsets {start}:{end} are outside the sentence (length {len(sentence_text)})",
                            where=where, fix=f"the sentence is: {sentence_text}")
        occurrences = [(start, end)]
    else:
        surface, separator, label = spec.rpartition(":")
        if not separator or not surface:
            raise DataError(f"--entity {spec!r} is neither TEXT:LABEL nor START:END:LABEL", where=where,
                            fix="for example --entity 'DeepSeek:ORG' or --entity 0:8:ORG")
        from tagline.annotate.matching import find_occurrences

        occurrences = list(find_occurrences(surface, sentence_text, lang))
        if not occurrences:
            offsets_hint = "; for character offsets write START:END:LABEL" if surface.isdigit() else ""
            raise DataError(f"{surface!r} does not occur in the sentence", where=where,
                            fix=f"the sentence is: {sentence_text}{offsets_hint}")
    if label not in labels:
        raise DataError(f"entity label {label!r} is not one of {', '.join(labels)}", where=where,
                        fix=_label_fix(spec, label, labels, aliases or {}))
    return [{"start": s, "end": e, "label": label, "text": sentence_text[s:e]} for s, e in occurrences]


def _label_fix(spec: str, label: str, labels: Sequence[str], aliases: Mapping[str, str]) -> str | None:
    """The configured label an unknown one most likely means (its alias's, or the nearest in spelling,
    as PERSONS for PERSON), as a corrected --entity; else how to configure it. Never a guess (PERCENT is
    not PERSON)."""
    import difflib

    closest = [aliases[label]] if aliases.get(label) in labels else difflib.get_close_matches(
        label.upper(), [name.upper() for name in labels], n=1, cutoff=0.75)
    if closest:
        name = next(name for name in labels if name.upper() == closest[0].upper())
        return f"did you mean --entity '{spec[:len(spec) - len(label)]}{name}'?"
    return f"use one of them, or add {label} to the labels of [tasks.entities] in tagline.toml" if labels else None


@takes_workspace
def label_sentence(
    workspace: Workspace, sentence_id: str, annotator: str, *, stance: dict[str, str] | None = None,
    claim_type: str | None = None, entities: Sequence[str] | None = None, source: str = "script",
) -> list[dict[str, Any]]:
    """Record answers for one sentence; everything is checked first, then appended in one write.

    ``entities`` replaces the sentence's whole span list (an empty sequence records "no entities").
    Returns the events written.
    """
    check_annotator(annotator)
    check_can_answer(workspace, annotator)
    config = workspace.config
    for target in stance or {}:
        config.stance_target(target, option="--stance TARGET=LABEL")
    sentence = find_sentence(workspace, sentence_id)
    events = []
    for target, label in (stance or {}).items():
        events.append(make_event(sentence_id, annotator, "stance", {"target": target, "label": label}, source=source))
    if claim_type is not None:
        events.append(make_event(sentence_id, annotator, "claim_type", {"label": claim_type}, source=source))
    if entities is not None:
        spans: list[dict[str, Any]] = []
        labels = config.labels("entities")
        for spec in entities:
            spans.extend(parse_entity(spec, sentence["text"], labels, sentence["lang"], where=sentence_id,
                                      aliases=config.entity_aliases))
        spans = sorted({(s["start"], s["end"], s["label"]): s for s in spans}.values(),
                       key=lambda s: (s["start"], s["end"]))
        events.append(make_event(sentence_id, annotator, "entities", {"spans": spans}, source=source))
    if not events:
        raise DataError("nothing to record", fix="give --stance TARGET=LABEL, --claim-type LABEL or --entity ...")
    for event in events:
        problems = event_problems(event, config, sentence["text"])
        if problems:
            raise DataError(problems[0], where=sentence_id)
    append_records(workspace.annotation_path(annotator), events, check=lambda: check_can_answer(workspace, annotator))
    return events


@takes_workspace
def retract_answer(workspace: Workspace, sentence_id: str, annotator: str, task: str,
                   target: str | None = None) -> dict[str, Any]:
    """Withdraw an annotator's current answer (a ``retract`` event; nothing is deleted).

    ``target`` names the stance target, and may be left out only when the workspace has one."""
    check_annotator(annotator)
    check_can_answer(workspace, annotator)
    config = workspace.config
    if task not in config.tasks:
        raise DataError(f"task {task!r} is not one of {', '.join(config.tasks)}")
    if task == "stance":
        target = config.stance_target(target)
    elif target is not None:
        raise DataError(f"--target goes with --task stance, not {task}", fix="leave --target out")
    find_sentence(workspace, sentence_id)
    current = fold_events(iter_annotation_events(workspace, annotator)).get(sentence_id, {})
    if (task, target if task == "stance" else None) not in current:
        raise DataError(f"{annotator} has no {task} answer for {sentence_id} to retract")
    event = make_event(sentence_id, annotator, task, {"target": target} if task == "stance" else None,
                       op="retract", source="script")
    append_records(workspace.annotation_path(annotator), [event], check=lambda: check_can_answer(workspace, annotator))
    return event


def answers_as_dict(answers: Mapping[tuple[str, str | None], Any]) -> dict[str, Any]:
    """``{(task, target): value}`` as JSON-friendly ``{"stance": {target: label}, "claim_type": label,
    "entities": [spans]}``."""
    out: dict[str, Any] = {}
    for (task, target), value in sorted(answers.items(), key=lambda item: (TASKS.index(item[0][0]), item[0][1] or "")):
        if task == "stance":
            out.setdefault("stance", {})[target] = value["label"]
        elif task == "claim_type":
            out["claim_type"] = value["label"]
        else:
            out["entities"] = value["spans"]
    return out


@takes_workspace
def sentence_answers(workspace: Workspace, sentence_id: str) -> dict[str, Any]:
    """A sentence and every annotator's current answers for it, side by side."""
    sentence = find_sentence(workspace, sentence_id)
    by_annotator = {}
    for annotator in workspace.annotators():
        events = (e for e in iter_annotation_events(workspace, annotator) if e["sentence_id"] == sentence_id)
        answers = fold_events(events).get(sentence_id)
        if answers:
            by_annotator[annotator] = answers_as_dict(answers)
    return {"sentence": sentence, "annotations": by_annotator}


@takes_workspace
def progress(workspace: Workspace, annotators: Iterable[str] | None = None) -> dict[str, Any]:
    """Per annotator and task: how many sentences have a current answer, of how many.

    Without ``annotators``: people and machine annotators; answers that came with their gold (the
    sample's) and retired annotators are not counted, and ``left_out`` names them."""
    config = workspace.config
    current_ids = {record["id"] for record in workspace.iter_sentences()}
    total = len(current_ids)
    by_annotator: dict[str, dict[str, Any]] = {}
    chosen = select_annotators(workspace, annotators, machines=True)
    report = {"sentences": total, "annotators": by_annotator,
              "left_out": {name: why for name, why in left_out(workspace, chosen).items() if why != "machine"}}
    for annotator in chosen:
        answers = fold_events(iter_annotation_events(workspace, annotator))
        counts: Counter[tuple[str, str | None]] = Counter()
        complete = 0
        required = required_slots(config, config.tasks)
        for sentence_id, current in answers.items():
            if sentence_id not in current_ids:
                continue  # orphaned by a replaced document: kept on disk, not part of the corpus
            for key in current:
                counts[key] += 1
            complete += all(key in current for key in required)
        tasks = {}
        for task, target in required:
            name = f"stance:{target}" if task == "stance" else task
            tasks[name] = {"done": counts[(task, target)], "total": total,
                           "percent": round(100 * counts[(task, target)] / total, 1) if total else 0.0}
        by_annotator[annotator] = {"complete_sentences": complete, "tasks": tasks}
    return report
