"""Where a session's answers end in its annotator's answer file, so that an undo cannot take back an
answer another process (a second session of the same annotator) gave to the question since."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tagline.annotate.answers import value_key
from tagline.corpus.store import encode_record


class NotSaved(Exception):
    """An answer the session did not write, and why (shown in the session, which goes on)."""


@dataclass(frozen=True)
class Undoing:
    """An undo of the answer that ended at ``since`` in the file, to question ``slot`` of ``sentence_id``,
    which the session holds as ``shown`` (its value, ``None`` when unanswered)."""

    since: int
    sentence_id: str
    slot: tuple[str, str | None]
    shown: dict | None


@dataclass
class AnswerWrites:
    """The session's appends to ``path``; ``end``: where the last one ended, noted with the file's lock held."""

    path: Path
    end: int = 0

    def checked(self, events: list[dict], check: Callable[[], None],
                undoing: Undoing | None = None) -> Callable[[], None]:
        """``check``, for :func:`~tagline.corpus.store.append_records` to run with the file's lock held,
        then, for an undo, :func:`refuse_if_answered_since`; notes where ``events`` will end."""
        size = sum(len(encode_record(event)) for event in events)

        def run() -> None:
            check()
            start = os.stat(self.path).st_size if self.path.exists() else 0
            if undoing is not None:
                refuse_if_answered_since(self.path, undoing, start)
            self.end = start + size

        return run


def refuse_if_answered_since(path: Path, undoing: Undoing, size: int) -> None:
    """Raise :class:`NotSaved` when the last answer to the undone question written after ``undoing.since``
    (by this session or another) is not what this session shows: the undo would take back an answer
    given elsewhere, which the session never saw."""
    if size <= undoing.since:
        return
    import orjson

    with open(path, "rb") as handle:
        handle.seek(undoing.since)
        tail = handle.read(size - undoing.since)
    task, target = undoing.slot
    saved, seen = undoing.shown, False
    for line in tail.splitlines():
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # a torn line: no answer
        value = event.get("value") if isinstance(event, dict) else None
        if (not isinstance(event, dict) or event.get("sentence_id") != undoing.sentence_id
                or event.get("task") != task
                or (value.get("target") if task == "stance" and isinstance(value, dict) else None) != target):
            continue
        saved, seen = (None if event.get("op") == "retract" else value), True
    if not seen or _same(task, saved, undoing.shown):
        return
    raise NotSaved(f"this question was answered again meanwhile, in another session of {path.stem}; "
                   "the undo would take that answer back (quit and start again to see it)")


def _same(task: str, one: object, other: dict | None) -> bool:
    if one is None or other is None:
        return one is None and other is None
    try:
        return bool(isinstance(one, dict) and value_key(task, one) == value_key(task, other))
    except (KeyError, TypeError):
        return False
