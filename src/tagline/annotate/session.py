"""The annotation session as a key-driven state machine: a stream of sentences in, answers out to
the store the moment they are given. The terminal front-end (``terminal/``) only reads keys and
draws; everything the session decides is here, so it can be tested without a terminal."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
from tagline.annotate.events import make_event, required_slots
from tagline.annotate.finding import (  # noqa: F401  (the keys and limits of finding spans, named here too)
    BACKSPACE,
    ENTER,
    ESCAPE,
    MARK_ALL_LIMIT,
    FindKeys,
    brief,
)
from tagline.annotate.order import UncertainOrder, order_permutation, session_ranking
from tagline.annotate.scripted import check_annotator
from tagline.annotate.session_undo import AnswerWrites, NotSaved, Undoing
from tagline.annotate.suggest import SuggestionFeed
from tagline.annotate.suggesting import SuggestionKeys
from tagline.corpus.config import ADD_TARGETS
from tagline.corpus.store import append_records
from tagline.corpus.workspace import Workspace
from tagline.errors import DataError, StorageError
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
LEFT, RIGHT = "LEFT", "RIGHT"
# Done flags looked at at once when looking for the next unfinished sentence.
NEXT_BLOCK = 4096


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


ENTITIES = Step("entities")


@dataclass
class UndoEntry:
    position: int
    step_index: int
    previous: dict | None
    end: int = 0  # where the answer undone ends in the file (see session_undo)


@dataclass
class SessionModel(TokenCursor, SuggestionKeys, FindKeys):
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
    writes: AnswerWrites | None = None  # where the session's last answer ends in its file
    written: int = 0
    finished: bool = False
    durations: dict[int, float] = field(default_factory=dict)  # position -> seconds it took, while complete
    feed: SuggestionFeed | None = None
    toggled: set[int] = field(default_factory=set)  # offered spans of this sentence turned off or on (by number)
    made_from: dict = field(default_factory=dict)  # (sentence, slot) -> the suggestion shown when first answered
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
    complete: Any = None  # done flags by position (NumPy), kept up to date so no key walks the corpus
    _done: int = 0
    _config_stamp: tuple[int, int] | None = None  # tagline.toml as the session read it
    _config_now: tuple[tuple[int, int] | None, Any] = (None, None)  # tagline.toml edited since: its stamp, Config

    def __post_init__(self) -> None:
        import numpy as np

        self._config_stamp = _stamp(self.workspace.config_path)

        if self.complete is None:
            self.complete = np.array([self._answered(position) for position in range(len(self.sentences))], dtype=bool)
        self._done = int(np.count_nonzero(self.complete))

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
        from tagline.annotate.session_data import indexed_session_data
        slots = [step.slot for step in steps]
        sentences, answers, complete = indexed_session_data(workspace, annotator, doc_id, slots)
        if not len(sentences):
            fix = "see `tagline corpus list`" if doc_id else "add documents with `tagline corpus add FILE`"
            raise DataError(f"no sentences{f' in document {doc_id!r}' if doc_id else ''} to annotate", fix=fix)
        ranking = session_ranking(order, feed, seed if seed is not None else annotator, slots)
        permutation = order_permutation(sentences, order, workspace=workspace, annotator=annotator, seed=seed,
                                        slots=slots)
        if permutation is not None:  # in the order asked: the sentences, and their done flags
            sentences, complete = sentences.reordered(permutation), complete[permutation]
        model = cls(workspace, annotator, sentences, steps, answers, clock, feed=feed,  # type: ignore[arg-type]
                    ranking=ranking, complete=complete)
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
        return self.answers.get(self._sentence_id(self.position if position is None else position), {}).get(slot)

    def is_complete(self, position: int) -> bool:
        return bool(self.complete[position])

    def _answered(self, position: int) -> bool:
        """Whether the answers hold one for every question of the sentence at ``position``."""
        current = self.answers.get(self._sentence_id(position), {})
        return all(step.slot in current for step in self.steps)

    def _sentence_id(self, position: int) -> str:  # indexed sentences give it without reading the sentence
        sentence_id = getattr(self.sentences, "sentence_id", None)
        return sentence_id(position) if sentence_id is not None else self.sentences[position]["id"]

    def done_count(self) -> int:
        return self._done

    def seconds_per_sentence(self) -> float | None:
        return statistics.median(self.durations.values()) if self.durations else None

    def label_keys(self) -> dict[str, str]:
        return self.workspace.config.keys(self.step.task)

    def spans(self) -> list[dict]:
        """The sentence's spans: the answer, or while there is none, the offered spans that are on
        (the suggested ones not turned off, the candidates turned on)."""
        value = self.current(("entities", None))
        if value:
            return list(value["spans"])
        return sorted((span for span, on, _ in self.offered_spans() if on),
                      key=lambda span: (span["start"], span["end"]))

    # ----- keys --------------------------------------------------------------------------
    def handle_key(self, key: str) -> None:
        """Act on one key press (a character, or ENTER / ESC / BACKSPACE / LEFT / RIGHT)."""
        self.message = ""
        self._take_ranking()
        handler = getattr(self, f"_key_{self.mode}")
        try:
            handler(key)
        except StorageError as error:  # a full disk: the answer is not recorded, the session and its answers stay
            reason = error.what.partition(";")[0]  # could not write: No space left on device
            self.message = f"this answer was not saved ({reason}); those before it are: free some space, answer again"
        except NotSaved as refused:
            self.message = f"this answer was not saved: {refused}"
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
        elif key == FIND and ENTITIES in self.steps and (step.task == "entities" or not self._labels_key(key)):
            self.mode, self.buffer = "find", ""  # on another question too, as Tab: the question stays
        elif key == TAB and ENTITIES in self.steps:  # on another question too: marking entities out of turn
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

    def _labels_key(self, key: str) -> bool:
        """Whether ``key`` is a label key of a question other than the entities (``/`` may be one)."""
        return any(key in self.workspace.config.keys(step.task) for step in self.steps if step.task != "entities")

    def _question_for(self, key: str) -> Step | None:
        """The one other question of the sentence that ``key`` is a label key of (a claim-type key
        pressed on a stance question), or None when none is or several are (two stance targets)."""
        matches = [step for step in self.steps if step != self.step and step.task != "entities"
                   and key in self.workspace.config.keys(step.task)]
        return matches[0] if len(matches) == 1 else None

    def _entities_out_of_turn(self, key: str) -> None:
        """The cursor, started on another question, is done: the entities are answered (with the
        suggested spans left on, when nothing was marked) and the question shown stays."""
        if self.current(ENTITIES.slot) is None:
            self._record(ENTITIES, {"spans": self.spans()})
        self.out_of_turn.add((self.sentence["id"], ENTITIES.slot))
        self.message = f"entities: {plural(len(self.spans()), 'span')}"

    def _answer_out_of_turn(self, step: Step, key: str) -> None:
        """Answer ``step`` with ``key`` and stay on the question shown; going on passes it by."""
        label = self.workspace.config.keys(step.task)[key]
        self._record(step, {"target": step.target, "label": label} if step.task == "stance" else {"label": label})
        self.out_of_turn.add((self.sentence["id"], step.slot))
        self.message = f"{step.title()}: {label}"

    # ----- moving and recording ----------------------------------------------------------
    def _record(self, step: Step, value: dict | None, *, op: str = "set", undoable: bool = True,
                undoing: Undoing | None = None) -> None:
        self._record_all([(step, value)], op=op, undoable=undoable, undoing=undoing)

    def _record_all(self, answers: list[tuple[Step, dict | None]], *, op: str = "set", undoable: bool = True,
                    undoing: Undoing | None = None) -> None:
        """Record answers to questions of this sentence in one append (one key, one fsync'd write:
        Space taking four suggestions paid four), each undone on its own."""
        sentence_id = self.sentence["id"]
        events, previous = [], []
        for step, value in answers:
            previous.append(self.current(step.slot))
            suggested = self._made_from_suggestion(step) if op == "set" else None
            provenance = suggested.provenance(value_key(step.task, value) == value_key(step.task, suggested.value)) \
                if suggested is not None and value is not None else None
            events.append(make_event(sentence_id, self.annotator, step.task, value if op == "set" else (
                {"target": step.target} if step.task == "stance" else None), op=op, source="terminal",
                suggestion=provenance))
        self._check_configuration(events)
        writes = self.writes = self.writes or AnswerWrites(self.workspace.annotation_path(self.annotator))
        append_records(writes.path, events, check=writes.checked(events, self._may_still_answer, undoing))
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
                self.undo_stack.append(UndoEntry(self.position, self.steps.index(step), before, writes.end))
        now_complete = self._answered(self.position)
        self._done += int(now_complete) - int(self.complete[self.position])
        self.complete[self.position] = now_complete

    def _may_still_answer(self) -> None:
        """Asked with the answer file's lock held: the annotator was not retired since the session began."""
        from tagline.annotate.answers import check_can_answer
        from tagline.errors import ConflictError

        try:
            check_can_answer(self.workspace, self.annotator)
        except ConflictError as refused:
            raise NotSaved(f"{refused.what}; quit and annotate under another name") from None

    def _check_configuration(self, events: list[dict]) -> None:
        """Refuse answers that tagline.toml, edited while the session runs, no longer allows (a label
        renamed or removed): saved, they would stop every command at their line."""
        stamp = _stamp(self.workspace.config_path)
        if stamp == self._config_stamp:
            return
        from tagline.annotate.events import event_problems
        from tagline.corpus.config import load_config
        from tagline.errors import TaglineError

        if self._config_now[1] is None or self._config_now[0] != stamp:  # (a stamp of None: no file now)
            try:
                self._config_now = (stamp, load_config(self.workspace.config_path))
            except (TaglineError, OSError) as error:
                what = error.what if isinstance(error, TaglineError) else error.strerror or str(error)
                raise NotSaved(f"the edited tagline.toml cannot be read now ({what}): fix it and answer "
                               "again") from None
        problems = [problem for event in events
                    for problem in event_problems(event, self._config_now[1], self.sentence["text"])]
        if problems:
            raise NotSaved(f"the edited tagline.toml says {problems[0]}; quit and start the session again")

    def _undo(self) -> None:
        if not self.undo_stack:
            self.message = "nothing to undo in this session"
            return
        entry = self.undo_stack.pop()
        if entry.position != self.position:  # the spans turned off or on were this sentence's
            self.toggled = set()
        self.position, self.step_index = entry.position, entry.step_index
        self.mode = "label"
        step = self.step
        undoing = Undoing(entry.end, self.sentence["id"], step.slot, self.current(step.slot))
        if entry.previous is None:
            self._record(step, None, op="retract", undoable=False, undoing=undoing)
        else:
            self._record(step, entry.previous, undoable=False, undoing=undoing)
        if not self.is_complete(self.position):  # its time no longer counts in the pace shown
            self.durations.pop(self.position, None)
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
            self.durations[self.position] = self.clock() - self._shown_at
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
        """The first sentence not complete from ``start`` on (then from the first, with ``wrap``):
        a scan of the done flags a block at a time, which ends at the first open one."""
        count = len(self.sentences)
        for begin, end in ((start, count), (0, min(start, count))) if wrap else ((start, count),):
            for block in range(begin, end, NEXT_BLOCK):
                open_positions = (~self.complete[block:min(block + NEXT_BLOCK, end)]).nonzero()[0] + block
                found = next((int(p) for p in open_positions[:2] if p != exclude), None)
                if found is not None:
                    return found
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


def _stamp(path: Any) -> tuple[int, int] | None:
    """What tells an edited file from the one read: its modification time and size."""
    import os

    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size
