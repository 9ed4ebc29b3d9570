"""Suggestions in the annotation session: the suggestion for a question, what is still on its way,
Space to take all of a sentence's, numbers to turn suggested spans off and on. A part of
:class:`~tagline.annotate.session.SessionModel`."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from tagline.annotate.session_part import SessionPart
from tagline.annotate.suggest import Suggestion
from tagline.wording import plural

if TYPE_CHECKING:
    from collections.abc import Callable

    from tagline.annotate.order import UncertainOrder
    from tagline.annotate.suggest import SuggestionFeed


class SuggestionKeys(SessionPart):
    """The session's use of a :class:`~tagline.annotate.suggest.SuggestionFeed`."""

    if TYPE_CHECKING:  # what this part uses of the session it is part of
        feed: SuggestionFeed | None
        toggled: set[int]
        made_from: dict[tuple[str, tuple[str, str | None]], Suggestion]
        finished: bool
        waiting_since: float
        waiting_until: float
        _shown_at: float
        clock: Callable[[], float]
        position: int
        step_index: int
        sentences: list[dict[str, Any]]
        complete: Any
        steps: list[Any]
        _failure_told: bool
        ranking: UncertainOrder | None
        undo_stack: list[Any]

        def current(self, slot: tuple[str, str | None], position: int | None = None) -> dict[str, Any] | None: ...

        def is_complete(self, position: int) -> bool: ...

        def _first_open_step(self, position: int) -> int: ...

        def _next_step(self) -> None: ...

        def _record_all(self, answers: list[tuple[Any, dict[str, Any] | None]], *, op: str = "set",
                        undoable: bool = True) -> None: ...

    def suggestion(self, step: Any = None) -> Suggestion | None:
        """The model's suggestion for a question of this sentence that has no answer yet, if ready."""
        step = step or self.step
        if self.feed is None or self.current(step.slot) is not None:
            return None
        ready = self.feed.get(self.sentence["id"])
        return ready.get(step.slot) if ready else None

    def _made_from_suggestion(self, step: Any) -> Suggestion | None:
        """The suggestion an answer to ``step`` is made from: the one on screen, or the one shown when
        the question was first answered on this visit of the sentence (so a second span marked, or
        one removed, still says which suggestion the spans came from)."""
        shown, key = self.suggestion(step), (self.sentence["id"], step.slot)  # undo may be on another sentence
        if shown is not None:
            self.made_from[key] = shown
        return self.made_from.get(key)

    def offered_spans(self) -> list[tuple[dict[str, Any], bool, bool]]:
        """The entity suggestion's spans as numbered on screen (from 1; the number keys reach the
        first nine): each span, whether it is on, and whether it is a candidate. Suggested spans
        come first and are on, candidates follow and are off, until their number turns them."""
        from tagline.annotate.session import ENTITIES

        suggested = self.suggestion(ENTITIES)
        if suggested is None:
            return []
        spans = suggested.value["spans"]
        return [(span, (number in self.toggled) != (number <= len(spans)), number > len(spans))
                for number, span in enumerate([*spans, *suggested.candidates], 1)]

    def suggestions_pending(self) -> bool:
        """Whether suggestions for this sentence are still being computed."""
        return self.feed is not None and self.feed.failure is None and self.feed.get(self.sentence["id"]) is None

    def view_state(self) -> tuple[bool, str | None, int | None]:
        """What can change on screen without a key: the sentence's suggestions arriving, the model
        failing, the seconds of the wait for the first suggestions (which ends here once they are
        ready, the model has failed or the wait is over)."""
        if self.feed is None:
            return False, None, None
        self._take_ranking()
        ready = self.feed.get(self.sentence["id"]) is not None
        if self.mode == "waiting" and (ready or self.feed.failure or self.clock() >= self.waiting_until):
            self._end_wait()
        self._tell_failure()
        waited = int(self.clock() - self.waiting_since) if self.mode == "waiting" else None
        return ready, self.feed.failure, waited

    def waiting_line(self) -> str:
        """What the screen says while the session waits for the first suggestions."""
        assert self.feed is not None
        waited = int(self.clock() - self.waiting_since)
        return f"{self.feed.status}… {waited} s (any key to start without suggestions, q to quit)"

    def _key_waiting(self, key: str) -> None:
        from tagline.annotate.session import QUIT

        if key == QUIT:
            self.finished = True
        else:
            self._end_wait()

    def _end_wait(self) -> None:
        """The first sentence is shown: with its suggestions, or without them on a key or after the wait."""
        assert self.feed is not None
        ready = self.feed.get(self.sentence["id"]) is not None
        self.mode = "label"
        self._shown_at = self.clock()
        self.feed.note_shown(self.sentence["id"])
        if not ready and not self.feed.failure:
            self.message = f"started without suggestions ({self.feed.status}); they appear when ready"

    def _arrive(self) -> None:
        """A sentence is on screen: ask for the suggestions of the ones that follow it (and of this
        one, when not asked yet)."""
        self.toggled, self.made_from = set(), {}
        if self.feed is None:
            return
        self._ask_ahead()
        if self.mode != "waiting":  # counted when the wait ends, as it is shown then
            self.feed.note_shown(self.sentence["id"])

    def _ask_ahead(self) -> None:  # suggestions for the next sentences; a ranking of them for --order uncertain
        assert self.feed is not None
        from tagline.annotate.session import LOOKAHEAD

        self.feed.ask(list(itertools.islice((self.sentences[position] for position in range(
            self.position, len(self.sentences)) if not self.is_complete(position)), LOOKAHEAD)))
        if self.ranking is not None:
            self.ranking.ask(self.sentences, self.position, self.is_complete)

    def _take_ranking(self) -> None:
        """Put the sentences after this one in the model's order, once its ranking has arrived."""
        if self.ranking is not None and \
                (permutation := self.ranking.take(self.sentences, self.position, self.undo_stack)):
            from tagline.annotate.session_data import reorder

            self.sentences = reorder(self.sentences, permutation)
            self.complete = self.complete[permutation]
            self._ask_ahead()

    def _tell_failure(self) -> None:
        if self.feed is not None and self.feed.failure and not self._failure_told:
            self._failure_told = True
            self.message = f"{self.feed.failure}; go on without them"

    def _accept_all(self, *, spans_done: bool = False) -> None:
        """Record every suggestion left for this sentence (in one write), then go to the first question
        without one. With ``spans_done`` (Space in the token cursor) the entities are answered with
        the spans marked, suggested or not."""
        taken: list[tuple[Any, dict[str, Any] | None]] = []
        for index, step in enumerate(self.steps):
            if index < self.step_index or self.current(step.slot) is not None:
                continue
            suggested = self.suggestion(step)
            if step.task == "entities" and (suggested is not None or spans_done):
                taken.append((step, {"spans": self.spans()}))
            elif suggested is not None:
                taken.append((step, suggested.value))
        if not taken and not (spans_done and self.is_complete(self.position)):
            self.message = "no suggestions to take here" if not self.suggestions_pending() else \
                "suggestions are still being made"
            return
        if taken:
            self._record_all(taken)
        open_index = self._first_open_step(self.position)
        if self.is_complete(self.position):
            self.step_index = len(self.steps) - 1
            self._next_step()
        else:
            self.step_index = open_index
        self.message = f"took {plural(len(taken), 'suggestion')}"

    def _toggle_suggested(self, number: int) -> None:
        from tagline.annotate.session import ENTITIES

        if self.current(ENTITIES.slot) is not None:
            self.message = "the spans are answered: x removes the one under the cursor, u undoes"
            return
        offered = self.offered_spans()
        if not 1 <= number <= len(offered):
            self.message = f"no suggested span {number}"
            return
        self.toggled ^= {number}
        span, on, _ = self.offered_spans()[number - 1]
        if on:  # a span turned on turns off those it overlaps (a candidate with another label, say)
            for other, (each, each_on, _) in enumerate(offered, 1):
                if other != number and each_on and each["start"] < span["end"] and span["start"] < each["end"]:
                    self.toggled ^= {other}
        self.message = f"suggested span {number} {'on' if on else 'off'}"

