"""Retiring an annotator (a throwaway test, someone who left): the answer file is archived, never
deleted, and the answers stop counting anywhere; and bringing a retired annotator back."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tagline.annotate.answers import question_name
from tagline.annotate.events import fold_events
from tagline.annotate.gold import gold_listing
from tagline.annotate.scripted import check_annotator
from tagline.corpus.annotators import (
    annotator_kinds,
    archived_files,
    new_archive_path,
    record_before_retirement,
)
from tagline.corpus.store import read_records, utc_now
from tagline.corpus.workspace import Workspace
from tagline.errors import ConflictError, DataError


@dataclass
class Retirement:
    """What retiring an annotator (or bringing one back, ``undone``) changed, or would change with
    ``dry_run``: where the answer file went, how many current answers it holds, the gold now flagged
    ``changed`` (``sentence_id question``) because its votes no longer count, and the gold flagged
    before that no longer is, because only its votes had moved on since (``gold_settled``)."""

    annotator: str
    kind: str  # what the annotator is when it is not retired: person, machine or imported
    moved_from: str
    moved_to: str
    answers: int
    gold_changed: list[str] = field(default_factory=list)
    gold_settled: list[str] = field(default_factory=list)
    dry_run: bool = False
    undone: bool = False
    already: bool = False  # retired before: nothing was moved

    def as_dict(self) -> dict:
        return {"annotator": self.annotator, "kind": self.kind, "moved_from": self.moved_from,
                "moved_to": self.moved_to, "answers": self.answers, "gold_changed": self.gold_changed,
                "gold_settled": self.gold_settled, "dry_run": self.dry_run, "undone": self.undone,
                "already": self.already}


def retire_annotator(workspace: Workspace, annotator: str, *, dry_run: bool = False) -> Retirement:
    """Retire ``annotator``: ``annotations/NAME.jsonl`` is moved to
    ``annotations/retired/NAME.<UTC time>.jsonl`` and ``annotators.jsonl`` records the retirement,
    both in one transaction under the workspace lock. Nothing is deleted or written over.

    From then on the answers vote in no adjudication and count in no progress, agreement or
    dataset card. Gold decided with them is flagged ``changed`` where the votes now differ, and the
    next adjudication remakes it (a person's decision is offered again). The name takes no new
    answers until it is brought back with :func:`reinstate_annotator`. With ``dry_run`` nothing is
    written, and the result says what would change. Retiring a retired annotator again changes
    nothing (``already``), so a retirement that was interrupted can simply be run again.
    """
    check_annotator(annotator)
    path = workspace.annotation_path(annotator)
    # The workspace lock, then the answer file's, held until the retirement is in place.
    with workspace.lock(), _answers_held(path), workspace.transaction() as transaction:
        kind = annotator_kinds(workspace).get(annotator, "person")
        if not path.exists():
            archived = archived_files(workspace, annotator)
            if kind == "retired" and archived:
                return Retirement(annotator, record_before_retirement(workspace, annotator)["kind"],
                                  workspace.relative(path), workspace.relative(archived[-1]),
                                  _count_answers(archived[-1]), dry_run=dry_run, already=True)
            known = workspace.annotators()
            raise DataError(f"no annotations by {annotator}",
                            fix=f"annotators in this workspace: {', '.join(known) or 'none yet'}")
        before = {_question(record): None for record in gold_listing(workspace) if record["changed"]}
        after = {_question(record): None for record in gold_listing(workspace, exclude_annotators=[annotator])
                 if record["changed"]}
        archive = new_archive_path(workspace, annotator)
        result = Retirement(annotator, record_before_retirement(workspace, annotator)["kind"],
                            workspace.relative(path), workspace.relative(archive), _count_answers(path),
                            [question for question in after if question not in before],
                            [question for question in before if question not in after], dry_run)
        if not dry_run:
            if kind != "retired":  # answers written after a retirement are archived without a second record
                transaction.append(workspace.annotators_path, [{"annotator": annotator, "kind": "retired",
                                                                "time": utc_now()}])
            transaction.move(path, archive)
    return result


def reinstate_annotator(workspace: Workspace, annotator: str, *, dry_run: bool = False) -> Retirement:
    """Bring a retired ``annotator`` back: the file it was last retired with returns to
    ``annotations/NAME.jsonl`` and ``annotators.jsonl`` records what it was before (a person, a
    machine, or answers that came with their gold). Its answers count again, so gold decided
    without them since is flagged ``changed`` where they differ (``tagline annotate gold --changed``).
    """
    check_annotator(annotator)
    with workspace.lock(), contextlib.ExitStack() as held, workspace.transaction() as transaction:
        if annotator_kinds(workspace).get(annotator) != "retired":
            raise DataError(f"{annotator!r} is not retired", fix="`tagline annotate retire NAME` retires one")
        archived = archived_files(workspace, annotator)
        if not archived:
            raise DataError(f"no archived answers of {annotator} in annotations/retired/",
                            where=workspace.relative(workspace.annotators_path), fix="run `tagline validate`")
        path = workspace.annotation_path(annotator)
        if path.exists():
            raise ConflictError(f"answers were given as {annotator} after it was retired; bringing back its "
                                "archived answers would write over them", where=workspace.relative(path),
                                fix=f"retire {annotator} again to archive those answers too (nothing is lost); "
                                    "--undo then brings back the file archived last")
        restored = {**record_before_retirement(workspace, annotator), "time": utc_now()}
        result = Retirement(annotator, restored["kind"], workspace.relative(archived[-1]), workspace.relative(path),
                            _count_answers(archived[-1]), dry_run=dry_run, undone=True)
        if not dry_run:  # the file back in place and its lock taken before its annotator may answer again
            transaction.move(archived[-1], path)
            held.enter_context(_answers_held(path))
            transaction.append(workspace.annotators_path, [restored])
    return result


@contextlib.contextmanager
def _answers_held(path: Path) -> Iterator[None]:
    """The lock an append to the answer file ``path`` takes, held to the end of the block (if the file
    is there). An answer being written is written first; one that waited for the lock then finds the
    file moved and asks again whether its annotator may answer (``label`` and the session ask under
    that lock: see :func:`tagline.corpus.store.append_records`)."""
    from tagline.corpus.primitives import held_as_named, lock

    fd = None
    while fd is None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            break
        if not held_as_named(fd, path, lock, follow_links=True):
            fd = None
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)


def _question(record: dict) -> str:
    return f"{record['sentence_id']} {question_name(record['task'], record.get('target'))}"


def _count_answers(path: Path) -> int:
    """The current answers in an annotator's file: one per question answered and not retracted."""
    return sum(len(current) for current in fold_events(read_records(path, kind="event")).values())
