"""Everyone's current answers, regrouped per question: the votes that agreement and adjudication read."""

from __future__ import annotations

from collections.abc import Iterable

from tagline.annotate.events import fold_events, iter_annotation_events
from tagline.corpus.workspace import Workspace
from tagline.errors import DataError


def question_name(task: str, target: str | None) -> str:
    """``stance:<target>`` for stance, the task name otherwise."""
    return f"stance:{target}" if task == "stance" else task


def select_annotators(workspace: Workspace, annotators: Iterable[str] | None, *,
                      machines: bool = False) -> list[str]:
    """The annotators named, or every annotator; machine annotators (``annotate suggest --write``)
    only when named or with ``machines``."""
    known = workspace.annotators()
    if annotators is None:
        machine = workspace.machine_annotators()
        return [name for name in known if machines or name not in machine]
    chosen = list(annotators)
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise DataError(f"no annotations by {', '.join(unknown)}",
                        fix=f"annotators in this workspace: {', '.join(known) or 'none yet'}")
    return chosen


def collect_votes(workspace: Workspace, annotators: Iterable[str] | None = None,
                  tasks: Iterable[str] | None = None, *, current_ids: set[str] | None = None,
                  ) -> dict[tuple[str, str | None], dict[str, dict[str, dict]]]:
    """``{(task, target): {sentence_id: {annotator: value}}}`` for every answered question.

    Only each annotator's current answer counts (the last event per question; retracted answers
    are gone), and only for sentences the corpus still has (``current_ids``, read from the
    workspace when not given).
    """
    config = workspace.config
    wanted = set(tasks or config.tasks)
    votes: dict[tuple[str, str | None], dict[str, dict[str, dict]]] = {}
    for task in config.tasks:
        if task not in wanted:
            continue
        for target in (config.targets if task == "stance" else [None]):
            votes[(task, target)] = {}
    if current_ids is None:
        current_ids = {record["id"] for record in workspace.iter_sentences()}
    for annotator in select_annotators(workspace, annotators):
        for sentence_id, current in fold_events(iter_annotation_events(workspace, annotator)).items():
            if sentence_id not in current_ids:
                continue  # orphaned by a replaced document (or unknown): kept on disk, not a vote
            for slot, value in current.items():
                if slot in votes:
                    votes[slot].setdefault(sentence_id, {})[annotator] = value
    return votes


def value_key(task: str, value: dict) -> object:
    """A hashable form of an answer, equal for equal answers (spans compared as a set)."""
    if task == "entities":
        return tuple(sorted((span["start"], span["end"], span["label"]) for span in value["spans"]))
    return value["label"]


def describe(task: str, value: dict, *, offsets: bool = False) -> str:
    """An answer in a few words: the label, or the spans as ``TEXT:LABEL`` (``TEXT[start:end]:LABEL``
    with ``offsets``, which tells apart two marks of the same text)."""
    if task == "entities":
        where = (lambda span: f"[{span['start']}:{span['end']}]") if offsets else (lambda span: "")
        return ", ".join(f"{span['text']}{where(span)}:{span['label']}" for span in value["spans"]) \
            or "(no entities)"
    return value["label"]
