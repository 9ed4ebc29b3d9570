"""The annotation session as a key-driven state machine: a stream of sentences in, answers out to
the store the moment they are given. The terminal front-end (``terminal/``) only reads keys and
draws; everything the session decides is here, so it can be tested without a terminal."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tagline.annotate.answers import value_key
from tagline.annotate.cursor import (  # noqa: F401  (the cursor's keys, named here with the others)
    GROW,
    GROW_LEFT,
    SHIFT_LEFT,
    SHIFT_RIGHT,
    SHIFT_TAB,
    SHRINK,
    SHRINK_LEFT,
    TAB,
    TokenCursor,
)
from tagline.annotate.events import load_view, make_event, required_slots
from tagline.annotate.order import UncertainOrder, order_sentences, session_ranking
from tagline.annotate.scripted import check_annotator
from tagline.annotate.suggest import SuggestionFeed
from tagline.annotate.suggesting import SuggestionKeys
from tagline.corpus.config import ADD_TARGETS
from tagline.corpus.store import append_records
from tagline.corpus.workspace import Workspace
from tagline.errors import DataError
from tagline.wording import plural

# Keys the session keeps for itself (label keys may not use them).
UNDO, SKIP, BACK, QUIT, REMOVE, HELP, FIND = "u", "s", "b", "q", "x", "?", "/"
ACCEPT_ALL = " "  # Space: take every suggestion left for the sentence
# Sentences whose suggestions are asked for ahead of the one on screen, so they are ready in time.
LOOKAHEAD = 8
# Seconds the terminal session waits, before the first key, for the first sentence's suggestions
# (the builtin model's first training); any key starts at once without them.
FIRST_SUGGESTIONS_WAIT = 30.0
NO_STANCE_TARGETS = f"Stance is not asked: the workspace has no stance targets ({ADD_TARGETS})."
ENTER, ESCAPE, BACKSPACE, LEFT, RIGHT = "ENTER", "ESC", "BACKSPACE", "LEFT", "RIGHT"
_OFFSETS = re.compile(r"^\s*(\d+)\s*[:\-]\s*(\d+)\s*$")
# "[a] all" marks every occurrence of a found text as one answer; past this many (a one-character
# find in a sentence of millions of characters) the list alone would take seconds and gigabytes.
MARK_ALL_LIMIT = 1000


@dataclass(frozen=True)
class Step:
    """One question asked about every sentence: a task, and for stance a target."""

    task: str
    target: str | None = None

    @property
    def slot(self) -> tuple[str, str | None]:
        return self.task, self.target

    def title(self) -> str:
        if self.task == "stance":
            return f"stance toward {self.target}"
        return {"claim_type": "claim type", "entities": "entities"}[self.task]


@dataclass
class UndoEntry:
    position: int
    step_index: int
    previous: dict | None


@dataclass
class SessionModel(TokenCursor, SuggestionKeys):
    """State of one annotator's session. Feed it keys with :meth:`handle_key`."""

    workspace: Workspace
    annotator: str
    sentences: list[dict]
    steps: list[Step]
    answers: dict[str, dict]
    clock: Callable[[], float] = time.monotonic
    position: int = 0
    step_index: int = 0
    mode: str = "label"  # label | find | occurrence | entity_label | remove | cursor | help | done | waiting
    buffer: str = ""
    message: str = ""
    pending: list[tuple[int, int]] = field(default_factory=list)
    found: int = 0  # occurrences of the last find; more than len(pending) when too many to mark all
    undo_stack: list[UndoEntry] = field(default_factory=list)
    written: int = 0
    finished: bool = False
    durations: list[float] = field(default_factory=list)
    feed: SuggestionFeed | None = None
    rejected: set[int] = field(default_factory=set)  # suggested spans of this sentence turned off (by number)
    out_of_turn: set[tuple[str, tuple[str, str | None]]] = field(default_factory=set)  # (sentence, slot) answered ahead
    stance_left_out: bool = False  # every task was asked for, but stance has no targets
    selection: tuple[int, int] | None = None  # the token cursor's selection, in the sentence's offsets
    _cursor_sentence: str | None = None
    _chunks: list[tuple[int, int]] = field(default_factory=list)
    _tokens: list[tuple[int, int]] = field(default_factory=list)
    _shown_at: float = 0.0
    _mode_before_help: str = "label"
    _failure_told: bool = False
    ranking: UncertainOrder | None = None  # --order uncertain: the model's ranking of the sentences to come
    waiting_since: float = 0.0  # mode "waiting": when the wait for the first suggestions began, and its end
    waiting_until: float = 0.0

    @classmethod
    def open(cls, workspace: Workspace, annotator: str, *, task: str = "all", target: str | None = None,
             order: str = "sequential", doc_id: str | None = None, seed: int | None = None,
             clock: Callable[[], float] = time.monotonic, feed: SuggestionFeed | None = None,
             wait_for_suggestions: float = 0.0) -> SessionModel:
        """Load the sentences and this annotator's own answers (never anyone else's) and position
        the session at the first sentence the annotator has not finished. With a ``feed``, a
        model's suggestions are offered (see :mod:`tagline.annotate.suggest`), and ``uncertain``
        (one of :data:`tagline.annotate.order.ORDERS`) orders by them. With
        ``wait_for_suggestions`` seconds, the session opens in the mode ``waiting`` until the
        first sentence's suggestions are ready, that time has passed or a key is pressed (see
        :meth:`view_state`)."""
        check_annotator(annotator)
        from tagline.annotate.answers import check_can_answer

        check_can_answer(workspace, annotator)
        config = workspace.config
        tasks = list(config.tasks) if task == "all" else [task]
        for name in tasks:
            if name not in config.tasks:
                raise DataError(f"task {name!r} is not one of {', '.join(config.tasks)}")
        targets = config.targets
        if target is not None:
            targets = [config.stance_target(target)]
        # With every task asked and no targets yet, stance is left out, and the screen says why.
        no_stance = "stance" in tasks and not targets
        if no_stance and tasks == ["stance"]:
            config.require_targets()
        steps = [Step(t, g) for t, g in required_slots(config, tasks, targets)]
        sentences = [s for s in workspace.iter_sentences() if doc_id is None or s["doc_id"] == doc_id]
        if not sentences:
            fix = "see `tagline corpus list`" if doc_id else "add documents with `tagline corpus add FILE`"
            raise DataError(f"no sentences{f' in document {doc_id!r}' if doc_id else ''} to annotate", fix=fix)
        slots = [step.slot for step in steps]
        ranking = session_ranking(order, feed, seed if seed is not None else annotator, slots)
        sentences = order_sentences(sentences, order, workspace=workspace, annotator=annotator, seed=seed, slots=slots)
        answers = load_view(workspace, annotator).answers
        model = cls(workspace, annotator, sentences, steps, answers, clock, feed=feed, ranking=ranking)
        first_open = model._next_unfinished(0, wrap=False)
        model.position = first_open if first_open is not None else 0
        if first_open is None:
            model.mode = "done"
        model.step_index = model._first_open_step(model.position)
        model._shown_at = clock()
        if no_stance:
            model.stance_left_out, model.message = True, NO_STANCE_TARGETS
        if feed is not None and wait_for_suggestions > 0 and model.mode != "done":
            model.mode, model.waiting_since = "waiting", model._shown_at
            model.waiting_until = model._shown_at + wait_for_suggestions
        model._arrive()
        return model

    # ----- what is on screen -------------------------------------------------------------
    @property
    def sentence(self) -> dict:
        return self.sentences[self.position]

    @property
    def step(self) -> Step:
        return self.steps[self.step_index]

    def current(self, slot: tuple[str, str | None], position: int | None = None) -> dict | None:
        sentence_id = self.sentences[self.position if position is None else position]["id"]
        return self.answers.get(sentence_id, {}).get(slot)

    def is_complete(self, position: int) -> bool:
        current = self.answers.get(self.sentences[position]["id"], {})
        return all(step.slot in current for step in self.steps)

    def done_count(self) -> int:
        return sum(1 for position in range(len(self.sentences)) if self.is_complete(position))

    def seconds_per_sentence(self) -> float | None:
        return statistics.median(self.durations) if self.durations else None

    def label_keys(self) -> dict[str, str]:
        return self.workspace.config.keys(self.step.task)

    def spans(self) -> list[dict]:
        """The sentence's spans: the answer, or while there is none, the suggested spans not turned off."""
        value = self.current(("entities", None))
        if value:
            return list(value["spans"])
        suggested = self.suggestion(Step("entities"))
        if suggested is None:
            return []
        return [span for number, span in enumerate(suggested.value["spans"], 1) if number not in self.rejected]

    # ----- keys --------------------------------------------------------------------------
    def handle_key(self, key: str) -> None:
        """Act on one key press (a character, or ENTER / ESC / BACKSPACE / LEFT / RIGHT)."""
        self.message = ""
        self._take_ranking()
        handler = getattr(self, f"_key_{self.mode}")
        handler(key)
        self._tell_failure()

    def _key_help(self, key: str) -> None:
        self.mode = self._mode_before_help

    def _key_done(self, key: str) -> None:
        if key in (QUIT, ESCAPE):
            self.finished = True
        elif key in (BACK, LEFT):
            self.mode = "label"
            self.position = len(self.sentences) - 1
            self.step_index = 0
        elif key == UNDO:
            self._undo()
        elif key == HELP:
            self._mode_before_help, self.mode = "done", "help"

    def _key_label(self, key: str) -> None:
        step = self.step
        if key == QUIT:
            self.finished = True
        elif key == HELP:
            self._mode_before_help, self.mode = "label", "help"
        elif key == UNDO:
            self._undo()
        elif key in (SKIP, RIGHT):
            self._move_on(skip=True)
        elif key in (BACK, LEFT):
            self._go_back()
        elif step.task == "entities" and key == FIND:
            self.mode, self.buffer = "find", ""
        elif step.task == "entities" and key == TAB:
            self._start_cursor()
        elif step.task == "entities" and key == REMOVE and self.current(step.slot) is None and \
                self.suggestion(step) is not None:
            self.message = "press a suggested span's number to turn it off or on"
        elif step.task == "entities" and key == REMOVE:
            if self.spans():
                self.mode, self.buffer = "remove", ""
            else:
                self.message = "no spans to remove"
        elif key == ENTER:
            suggested = self.suggestion(step)
            if step.task == "entities" and self.current(step.slot) is None:
                self._record(step, {"spans": self.spans()})
            elif suggested is not None:
                self._record(step, suggested.value)
            if self.current(step.slot) is None:
                self.message = "press a label key to answer (Enter keeps an existing answer)"
                return
            self._next_step()
        elif key == ACCEPT_ALL:
            self._accept_all()
        elif step.task == "entities" and key.isdigit() and self.current(step.slot) is None and \
                self.suggestion(step) is not None:
            self._toggle_suggested(int(key))
        elif step.task != "entities" and key in self.label_keys():
            label = self.label_keys()[key]
            value = {"target": step.target, "label": label} if step.task == "stance" else {"label": label}
            self._record(step, value)
            self._next_step()
        elif (other := self._question_for(key)) is not None:
            self._answer_out_of_turn(other, key)
        elif key not in (ESCAPE,):
            self.message = f"'{key}' is not a key here; press ? for help"

    def _question_for(self, key: str) -> Step | None:
        """The one other question of the sentence that ``key`` is a label key of (a claim-type key
        pressed on a stance question), or None when none is or several are (two stance targets)."""
        matches = [step for step in self.steps if step != self.step and step.task != "entities"
                   and key in self.workspace.config.keys(step.task)]
        return matches[0] if len(matches) == 1 else None

    def _answer_out_of_turn(self, step: Step, key: str) -> None:
        """Answer ``step`` with ``key`` and stay on the question shown; going on passes it by."""
        label = self.workspace.config.keys(step.task)[key]
        self._record(step, {"target": step.target, "label": label} if step.task == "stance" else {"label": label})
        self.out_of_turn.add((self.sentence["id"], step.slot))
        self.message = f"{step.title()}: {label}"

    def _key_find(self, key: str) -> None:
        if key == ESCAPE:
            self.mode, self.buffer = "label", ""
        elif key == BACKSPACE:
            self.buffer = self.buffer[:-1]
        elif key == ENTER:
            self._resolve_find()
        elif len(key) == 1 and key.isprintable():
            self.buffer += key

    def _resolve_find(self) -> None:
        text = self.sentence["text"]
        query = self.buffer
        self.buffer = ""
        match = _OFFSETS.match(query)
        if match:
            start, end = int(match.group(1)), int(match.group(2))
            if not 0 <= start < end <= len(text):
                self.mode, self.message = "label", f"offsets {start}:{end} are outside 0:{len(text)}"
                return
            occurrences = [(start, end)]
        elif not query:
            self.mode = "label"
            return
        else:
            from tagline.annotate.matching import find_occurrences

            occurrences = list(find_occurrences(query, text, self.sentence.get("lang", ""), limit=MARK_ALL_LIMIT + 1))
            if not occurrences:
                self.mode, self.message = "label", f"{brief(query)!r} is not in the sentence"
                return
        self.found = len(occurrences)
        if len(occurrences) > MARK_ALL_LIMIT:
            from tagline.annotate.matching import count_occurrences

            self.found = count_occurrences(query, text)  # counted without a list
            occurrences = occurrences[:9]
        self.pending = occurrences
        self.mode = "occurrence" if len(occurrences) > 1 else "entity_label"

    def _key_occurrence(self, key: str) -> None:
        if key == ESCAPE:
            self.mode, self.pending = "label", []
        elif key == "a" and self.found > len(self.pending):
            self.message = (f"{self.found:,} occurrences are too many to mark at once (at most {MARK_ALL_LIMIT:,}); "
                            "choose one, or Esc and find a longer text or START:END")
        elif key == "a":
            self.mode = "entity_label"
        elif key.isdigit() and 1 <= int(key) <= min(9, len(self.pending)):
            self.pending = [self.pending[int(key) - 1]]
            self.mode = "entity_label"
        else:
            every = ", a for all" if self.found <= len(self.pending) else ""
            self.message = f"choose 1-{min(9, len(self.pending))}{every}, Esc to cancel"

    def _key_entity_label(self, key: str) -> None:
        keys = self.workspace.config.keys("entities")
        if key == ESCAPE:
            self.mode, self.pending = "label", []
            return
        if key not in keys:
            self.message = "press an entity label key, or Esc to cancel"
            return
        text = self.sentence["text"]
        chosen = set(self.pending)
        spans = [s for s in self.spans() if (s["start"], s["end"]) not in chosen]  # a span found again is relabelled
        spans.extend({"start": start, "end": end, "label": keys[key], "text": text[start:end]}
                     for start, end in self.pending)
        spans.sort(key=lambda s: (s["start"], s["end"]))
        self._record(self.step, {"spans": spans})
        self.message = f"added {plural(len(self.pending), keys[key] + ' span')}"
        self.mode, self.pending = "label", []

    def _key_remove(self, key: str) -> None:
        if key == ESCAPE:
            self.mode, self.buffer = "label", ""
        elif key == BACKSPACE:
            self.buffer = self.buffer[:-1]
        elif key.isdigit():
            self.buffer += key
            spans = self.spans()
            if len(spans) < 10:  # one digit is enough: act at once
                self._remove_span(int(self.buffer))
        elif key == ENTER and self.buffer:
            self._remove_span(int(self.buffer))

    def _remove_span(self, number: int) -> None:
        spans = self.spans()
        self.buffer = ""
        self.mode = "label"
        if not 1 <= number <= len(spans):
            self.message = f"no span {number}"
            return
        removed = spans.pop(number - 1)
        self._record(self.step, {"spans": spans})
        self.message = f"removed {brief(removed['text'])} ({removed['label']})"

    # ----- moving and recording ----------------------------------------------------------
    def _record(self, step: Step, value: dict | None, *, op: str = "set", undoable: bool = True) -> None:
        self._record_all([(step, value)], op=op, undoable=undoable)

    def _record_all(self, answers: list[tuple[Step, dict | None]], *, op: str = "set", undoable: bool = True) -> None:
        """Record answers to questions of this sentence in one append (one key, one fsync'd write:
        Space taking four suggestions paid four), each undone on its own."""
        sentence_id = self.sentence["id"]
        events, previous = [], []
        for step, value in answers:
            previous.append(self.current(step.slot))
            suggested = self.suggestion(step) if op == "set" and undoable else None
            provenance = suggested.provenance(value_key(step.task, value) == value_key(step.task, suggested.value)) \
                if suggested is not None and value is not None else None
            events.append(make_event(sentence_id, self.annotator, step.task, value if op == "set" else (
                {"target": step.target} if step.task == "stance" else None), op=op, source="terminal",
                suggestion=provenance))
        append_records(self.workspace.annotation_path(self.annotator), events)
        if self.feed is not None:
            self.feed.learn(events)
        self.written += len(events)
        current = self.answers.setdefault(sentence_id, {})
        for (step, value), before in zip(answers, previous):
            if op == "set":
                current[step.slot] = value
            else:
                current.pop(step.slot, None)
            if undoable:
                self.undo_stack.append(UndoEntry(self.position, self.steps.index(step), before))

    def _undo(self) -> None:
        if not self.undo_stack:
            self.message = "nothing to undo in this session"
            return
        entry = self.undo_stack.pop()
        self.position, self.step_index = entry.position, entry.step_index
        self.mode = "label"
        step = self.step
        if entry.previous is None:
            self._record(step, None, op="retract", undoable=False)
        else:
            self._record(step, entry.previous, undoable=False)
        self.message = f"undone: {step.title()} of {self.sentence['id']}"

    def _next_step(self) -> None:
        following, sentence_id = self.step_index + 1, self.sentence["id"]
        while following < len(self.steps) and (sentence_id, self.steps[following].slot) in self.out_of_turn \
                and self.current(self.steps[following].slot) is not None:
            following += 1  # answered ahead, out of turn: not asked again
        if following < len(self.steps):
            self.step_index = following
            return
        if self.is_complete(self.position):
            now = self.clock()
            self.durations.append(now - self._shown_at)
        self._move_on(skip=False)

    def _move_on(self, *, skip: bool) -> None:
        following = self._next_unfinished(self.position + 1, wrap=True, exclude=self.position if skip else None)
        if following is None:
            if not skip or self.is_complete(self.position):
                self.mode = "done"
                return
            self.message = "this is the only unfinished sentence"
            return
        self.position = following
        self.step_index = self._first_open_step(following)
        self._shown_at = self.clock()
        self._arrive()

    def _go_back(self) -> None:
        if self.step_index > 0:
            self.step_index -= 1
            return
        if self.position == 0:
            self.message = "this is the first sentence"
            return
        self.position -= 1
        self.step_index = 0
        self._shown_at = self.clock()
        self._arrive()

    def _next_unfinished(self, start: int, *, wrap: bool, exclude: int | None = None) -> int | None:
        count = len(self.sentences)
        candidates = list(range(start, count)) + (list(range(0, min(start, count))) if wrap else [])
        for position in candidates:
            if position != exclude and not self.is_complete(position):
                return position
        return None

    def _first_open_step(self, position: int) -> int:
        for index, step in enumerate(self.steps):
            if self.current(step.slot, position) is None:
                return index
        return 0

    def summary(self) -> str:
        done = self.done_count()
        return (f"{self.annotator}: {plural(self.written, 'answer')} written this session; "
                f"{done}/{len(self.sentences)} sentences complete. Every answer is saved in "
                f"{self.workspace.annotation_path(self.annotator)}."
                + (f"\n{NO_STANCE_TARGETS}" if self.stance_left_out else ""))


def brief(text: str, limit: int = 30) -> str:
    """``text`` as a message quotes it: cut to ``limit`` characters, so a span or a pasted find of
    millions of characters does not become a message of millions."""
    return text if len(text) <= limit else text[:limit - 1] + "…"
