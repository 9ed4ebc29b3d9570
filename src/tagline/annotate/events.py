"""Annotation events: making them, checking them against the config and the sentences, and folding
an append-only event stream into each annotator's current answers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tagline.corpus.config import ADD_TARGETS, Config
from tagline.corpus.store import utc_now
from tagline.errors import takes_workspace
from tagline.schemas import LABEL_TASKS, TASKS

if TYPE_CHECKING:
    from tagline.corpus.workspace import Workspace


def make_event(sentence_id: str, annotator: str, task: str, value: dict[str, Any] | None, *, op: str = "set",
               source: str | None = None, suggestion: dict[str, Any] | None = None,
               time: str | None = None) -> dict[str, Any]:
    """A new event record (see the ``event`` schema), stamped with the current UTC time (or ``time``,
    the one time of all the events a command makes at once, such as an import).

    ``suggestion`` is the provenance of an answer made where a model had suggested one: its
    source, score, and whether it was accepted as is or changed (see
    :meth:`tagline.annotate.suggest.Suggestion.provenance`).
    """
    event = {"sentence_id": sentence_id, "annotator": annotator, "time": time or utc_now(), "task": task,
             "op": op, "value": value}
    if source:
        event["source"] = source
    if suggestion:
        event["suggestion"] = suggestion
    return event


def slot(event: Mapping[str, Any]) -> tuple[str, str | None]:
    """The answer an event sets or retracts: ``(task, target)`` for stance, ``(task, None)`` otherwise."""
    task = event["task"]
    if task == "stance":
        return task, (event.get("value") or {}).get("target")
    return task, None


def event_problems(event: Mapping[str, Any], config: Config, sentence_text: str | None, *,
                   orphaned: bool = False) -> list[str]:
    """What is wrong with a schema-valid event given the workspace config and its sentence's text
    (``None`` when the sentence id is unknown, or ``orphaned`` when its document was replaced and
    the text is no longer checked). Empty when it is fine."""
    problems = []
    task = event["task"]
    if sentence_text is None and not orphaned:
        problems.append(f"sentence id {event['sentence_id']!r} is not in sentences.jsonl")
    if task not in TASKS or task not in config.data["tasks"]:  # not in config.tasks, without making it
        return problems + [f"task {task!r} is not configured in tagline.toml"]
    value = event.get("value") or {}
    if task == "stance":
        target = value.get("target")
        if target not in config.targets:
            allowed = ", ".join(config.targets) or f"(none: {ADD_TARGETS})"
            problems.append(f"stance target {target!r} is not one of {allowed}")
    if event["op"] == "retract":
        return problems
    labels = config.labels(task)
    if task in LABEL_TASKS:
        if value.get("label") not in labels:
            problems.append(f"label {value.get('label')!r} is not one of {', '.join(labels)}")
        return problems
    for number, span in enumerate(value.get("spans", []), 1):
        start, end = span["start"], span["end"]
        if (span["label"] in labels and start < end and
                (sentence_text is None or (end <= len(sentence_text) and sentence_text[start:end] == span["text"]))):
            continue  # the common case, without making the messages
        where = f"span {number} ({start}:{end} {span['label']})"
        if span["label"] not in labels:
            problems.append(f"{where}: label {span['label']!r} is not one of {', '.join(labels)}")
        if end <= start:
            problems.append(f"{where}: end must be greater than start")
        elif sentence_text is not None:
            if end > len(sentence_text):
                problems.append(f"{where}: end is past the end of the sentence ({len(sentence_text)} characters)")
            elif sentence_text[start:end] != span["text"]:
                problems.append(
                    f"{where}: offsets cover {sentence_text[start:end]!r} but the span text is {span['text']!r}"
                )
    return problems


@dataclass
class AnnotatorView:
    """One annotator's current answers: ``answers[sentence_id][(task, target)] = value``."""

    annotator: str
    answers: dict[str, dict[tuple[str, str | None], dict[str, Any]]]

    def value(self, sentence_id: str, task: str, target: str | None = None) -> dict[str, Any] | None:
        return self.answers.get(sentence_id, {}).get((task, target))

    def is_done(self, sentence_id: str, required: Iterable[tuple[str, str | None]]) -> bool:
        current = self.answers.get(sentence_id, {})
        return all(slot_ in current for slot_ in required)


def fold_events(events: Iterable[Mapping[str, Any]]) -> dict[str, dict[tuple[str, str | None], dict[str, Any]]]:
    """Fold events (in file order) into ``{sentence_id: {(task, target): value}}``: the last event
    per slot wins; a retract removes the answer."""
    return _fold(events, with_suggestion=False)


Answer = tuple[dict[str, Any], "dict[str, Any] | None"]
"""A current answer: its value and, when it was made from a model's suggestion, that provenance."""


def fold_answers(events: Iterable[Mapping[str, Any]]) -> dict[str, dict[tuple[str, str | None], Answer]]:
    """:func:`fold_events` keeping each answer's suggestion provenance beside its value."""
    return _fold(events, with_suggestion=True)


def _fold(events: Iterable[Mapping[str, Any]], *,
          with_suggestion: bool) -> dict[str, dict[tuple[str, str | None], Any]]:
    answers: dict[str, dict[tuple[str, str | None], Any]] = {}
    for event in events:
        key = slot(event)
        current = answers.setdefault(event["sentence_id"], {})
        if event["op"] == "retract":
            current.pop(key, None)
        else:
            current[key] = (event["value"], event.get("suggestion")) if with_suggestion else event["value"]
    return answers


class CurrentAnswers:
    """Each annotator's current answers (:func:`fold_answers`), read from its file the first time
    they are asked for, so that the commands that look at them several ways read each file once."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._read: dict[str, dict[str, dict[tuple[str, str | None], Answer]]] = {}

    def __call__(self, annotator: str) -> dict[str, dict[tuple[str, str | None], Answer]]:
        if annotator not in self._read:
            self._read[annotator] = fold_answers(iter_annotation_events(self.workspace, annotator))
        return self._read[annotator]


def required_slots(config: Config, tasks: Iterable[str],
                   targets: Iterable[str] | None = None) -> list[tuple[str, str | None]]:
    """The answers a sentence needs for ``tasks`` to count as done."""
    slots: list[tuple[str, str | None]] = []
    for task in tasks:
        if task == "stance":
            slots.extend(("stance", target) for target in (targets if targets is not None else config.targets))
        else:
            slots.append((task, None))
    return slots


def iter_annotation_events(workspace: Workspace, annotator: str | None = None, *,
                           problems: list[Any] | None = None) -> Iterator[dict[str, Any]]:
    """Stream events from every annotator file (or one annotator's)."""
    from tagline.corpus.store import read_records

    paths = [workspace.annotation_path(annotator)] if annotator else workspace.annotation_files()
    for path in paths:
        if path.exists():
            yield from read_records(path, problems=problems, kind="event")


def answer_line(workspace: Workspace, annotator: str, sentence_id: str, task: str, target: str | None) -> int | None:
    """The line of ``annotator``'s file that gave their current answer to the question (the last
    event for it, unless a retract followed), for messages; None where they have none."""
    from tagline.corpus.store import iter_lines

    path = workspace.annotation_path(annotator)
    found = None
    if path.exists():
        for number, event in iter_lines(path):
            if event.get("sentence_id") == sentence_id and slot(event) == (task, target):
                found = None if event.get("op") == "retract" else number
    return found


@takes_workspace
def load_view(workspace: Workspace, annotator: str) -> AnnotatorView:
    return AnnotatorView(annotator, fold_events(iter_annotation_events(workspace, annotator)))
