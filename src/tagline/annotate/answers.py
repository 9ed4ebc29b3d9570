"""Everyone's current answers, regrouped per question: the votes that agreement and adjudication read."""

from __future__ import annotations

from collections.abc import Iterable

from tagline.annotate.events import CurrentAnswers, fold_answers, iter_annotation_events
from tagline.corpus.annotators import annotator_kinds, archived_files
from tagline.corpus.workspace import Workspace
from tagline.errors import ConflictError, DataError, InputError
from tagline.schemas import TASKS
from tagline.wording import verb

# Why an annotator's answers are left out of the votes, as reports say it.
LEFT_OUT = {"machine": "a model", "imported": "came with its gold", "retired": "retired", "excluded": "excluded"}


def question_name(task: str, target: str | None) -> str:
    """``stance:<target>`` for stance, the task name otherwise."""
    return f"stance:{target}" if task == "stance" else task


def select_annotators(workspace: Workspace, annotators: Iterable[str] | None, *,
                      machines: bool = False, exclude: Iterable[str] | None = None) -> list[str]:
    """The annotators whose answers vote: those named, or every person.

    Machine annotators (``annotate suggest --write``) vote only when named or with ``machines``;
    annotators whose answers came with imported gold (the sample's) only when named; retired
    annotators never. ``exclude`` leaves annotators out; a name there that is no annotator of the
    workspace is an error, since a misspelt name would silently exclude nobody.
    """
    known = workspace.annotators()
    kinds = annotator_kinds(workspace)
    excluded = _checked_exclusions(exclude, known, kinds)
    if annotators is None:
        voting = ("person", "machine") if machines else ("person",)
        return [name for name in known if kinds.get(name, "person") in voting and name not in excluded]
    chosen = list(annotators)
    retired = [name for name in chosen if kinds.get(name) == "retired"]
    if retired:
        raise DataError(f"{', '.join(retired)} {verb(len(retired), 'was', 'were')} retired, so "
                        f"{verb(len(retired), 'its', 'their')} answers count nowhere",
                        fix=f"leave {retired[0]} out, or bring it back: `tagline annotate retire {retired[0]} --undo`")
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise DataError(f"no annotations by {', '.join(unknown)}",
                        fix=f"annotators in this workspace: {', '.join(known) or 'none yet'}")
    both = [name for name in chosen if name in excluded]
    if both:
        raise DataError(f"{', '.join(both)} {verb(len(both), 'is', 'are')} both chosen and excluded",
                        fix="name each annotator in --annotators or in --exclude-annotator, not in both")
    return chosen


def _checked_exclusions(exclude: Iterable[str] | None, known: list[str], kinds: dict[str, str]) -> set[str]:
    excluded = list(exclude or ())
    unknown = [name for name in excluded if name not in known and name not in kinds]
    if unknown:
        raise DataError(f"cannot exclude {', '.join(unknown)}: no annotator of that name",
                        fix=f"annotators in this workspace: {', '.join(known) or 'none yet'}")
    return set(excluded)


def imported_annotators(workspace: Workspace, chosen: Iterable[str], exclude: Iterable[str] | None = None
                        ) -> list[str]:
    """The annotators whose answers came with imported gold (the sample's) and are not ``chosen`` to
    vote: their answers are gold where they gave one."""
    left_out = set(chosen) | set(exclude or ())
    kinds = annotator_kinds(workspace)
    return [name for name in workspace.annotators() if kinds.get(name) == "imported" and name not in left_out]


def left_out(workspace: Workspace, chosen: Iterable[str], exclude: Iterable[str] | None = None) -> dict[str, str]:
    """The annotators not among ``chosen`` because of what they are (``machine``, ``imported``,
    ``retired``) or because they were ``excluded``; people merely not named are not listed."""
    kinds = annotator_kinds(workspace)
    chosen, excluded = set(chosen), set(exclude or ())
    reasons = {}
    for name in dict.fromkeys([*workspace.annotators(), *kinds]):
        if name in excluded:
            reasons[name] = "excluded"
        elif name not in chosen and kinds.get(name, "person") != "person":
            reasons[name] = kinds[name]
    return reasons


def describe_left_out(reasons: dict[str, str]) -> str:
    """``sample-gold (came with its gold), tmp (retired)``: :func:`left_out` in words."""
    return ", ".join(f"{name} ({LEFT_OUT.get(reason, reason)})" for name, reason in reasons.items())


def check_can_answer(workspace: Workspace, annotator: str) -> None:
    """Refuse new answers under a retired name, whose answers count nowhere (a new person given the
    name by accident would be silently left out), or an imported annotator's, whose answers are gold."""
    kind = annotator_kinds(workspace).get(annotator)
    if kind == "retired":
        archived = archived_files(workspace, annotator)
        raise ConflictError(f"annotator {annotator!r} was retired; answers under that name would count nowhere",
                            where=workspace.relative(archived[-1]) if archived else None,
                            fix=f"annotate under another name, or bring {annotator} back first with "
                                f"`tagline annotate retire {annotator} --undo`")
    if kind == "imported":
        raise ConflictError(f"{annotator!r} holds answers that came with imported gold; they are gold, not votes",
                            where=workspace.relative(workspace.annotation_path(annotator)),
                            fix="annotate under your own name, e.g. --annotator alice")


def asked_questions(workspace: Workspace, tasks: Iterable[str] | None = None) -> list[tuple[str, str | None]]:
    """The questions of ``tasks`` (every configured task when None): ``(task, target)`` for stance
    per target, ``(task, None)`` otherwise, in the configuration's order. ``tasks`` that name stance
    in a workspace without stance targets are an error that says how to add them."""
    config = workspace.config
    wanted = set(tasks or config.tasks)
    unknown = sorted(wanted - set(TASKS))
    if unknown:  # else a misspelt task would report nothing and say nothing
        raise InputError(f"task {unknown[0]!r} is not one of {', '.join(TASKS)}", fix="name one of them")
    if tasks and "stance" in wanted and "stance" in config.tasks:
        config.require_targets()  # stance asked for by name has nothing to report without targets
    return [(task, target) for task in config.tasks if task in wanted
            for target in (config.targets if task == "stance" else [None])]


def collect_votes(workspace: Workspace, annotators: Iterable[str] | None = None,
                  tasks: Iterable[str] | None = None, *, current_ids: set[str] | None = None,
                  answers: CurrentAnswers | None = None) -> dict[tuple[str, str | None], dict[str, dict[str, dict]]]:
    """``{(task, target): {sentence_id: {annotator: value}}}`` for every answered question.

    Only each annotator's current answer counts (the last event per question; retracted answers
    are gone), and only for sentences the corpus still has (``current_ids``, read from the
    workspace when not given). ``answers`` reads each annotator's file once for several uses.
    ``tasks`` that name stance in a workspace without stance targets are
    an error that says how to add them.
    """
    votes: dict[tuple[str, str | None], dict[str, dict[str, dict]]] = {
        question: {} for question in asked_questions(workspace, tasks)}
    if current_ids is None:
        current_ids = {record["id"] for record in workspace.iter_sentences()}
    for annotator in select_annotators(workspace, annotators):
        folded = answers(annotator) if answers else fold_answers(iter_annotation_events(workspace, annotator))
        for sentence_id, current in folded.items():
            if sentence_id not in current_ids:
                continue  # orphaned by a replaced document (or unknown): kept on disk, not a vote
            for slot, (value, _) in current.items():
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
