"""The token cursor of the annotation session: marking entities by keyboard, moving a selection
between the words that look like names and numbers, growing and shrinking it a word at a time,
and marking, relabelling or removing spans with one key. A part of :class:`SessionModel`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tagline.annotate.session_part import SessionPart
from tagline.wording import plural

TAB, SHIFT_TAB, SHIFT_LEFT, SHIFT_RIGHT = "TAB", "SHIFT_TAB", "SHIFT_LEFT", "SHIFT_RIGHT"
GROW, SHRINK = "+", "-"  # the selection's end one token further, or back (Shift-arrows do the same)
GROW_LEFT, SHRINK_LEFT = "<", ">"  # the selection's start one token earlier, or later


class TokenCursor(SessionPart):
    """The cursor's keys and state changes; the state itself (``selection``, the sentence's tokens
    and stops) is kept in the session's fields."""

    if TYPE_CHECKING:  # what the cursor uses of the session it is part of
        selection: tuple[int, int] | None
        out_of_turn: set[tuple[str, tuple[str, str | None]]]
        _tokens: list[tuple[int, int]]
        _chunks: list[tuple[int, int]]
        _cursor_sentence: str | None
        _mode_before_help: str

        def _key_label(self, key: str) -> None: ...

        def _entities_out_of_turn(self, key: str) -> None: ...

        def _accept_all(self, *, spans_done: bool = False) -> None: ...

        def _toggle_suggested(self, number: int) -> None: ...

        def offered_spans(self) -> list[tuple[dict[str, Any], bool, bool]]: ...

    def _start_cursor(self) -> None:
        """The cursor on the sentence's first stop. From another question than the entities (out of
        turn), it marks the entities all the same, and Enter or Esc goes back to that question."""
        from tagline.annotate.matching import cursor_chunks, token_offsets

        sentence = self.sentence
        if self._cursor_sentence != sentence["id"]:
            self._tokens = token_offsets(sentence["text"], sentence["lang"])
            self._chunks = cursor_chunks(sentence["text"], sentence["lang"]) or list(self._tokens)
            self._cursor_sentence = sentence["id"]
        if not self._tokens:
            self.message = "the sentence has no tokens to select"
            return
        self.mode = "cursor"
        self.selection = self._next_chunk(-1) or self._tokens[0]

    def _next_chunk(self, after: int) -> tuple[int, int] | None:
        """The first chunk starting after offset ``after`` that is not already a span."""
        marked = {(span["start"], span["end"]) for span in self.spans()}
        return next((chunk for chunk in self._chunks if chunk[0] > after and chunk not in marked), None)

    def _previous_chunk(self, before: int) -> tuple[int, int] | None:
        return next((chunk for chunk in reversed(self._chunks) if chunk[0] < before), None)

    def _key_cursor(self, key: str) -> None:
        from tagline.annotate.session import (
            ACCEPT_ALL,
            ENTER,
            ENTITIES,
            ESCAPE,
            FIND,
            HELP,
            LEFT,
            QUIT,
            REMOVE,
            RIGHT,
            UNDO,
        )

        assert self.selection is not None
        start, end = self.selection
        keys = self.workspace.config.keys("entities")
        if key == ESCAPE:
            self.mode, self.selection = "label", None
        elif key in (TAB, RIGHT):
            self.selection = self._next_chunk(start) or self.selection
        elif key in (SHIFT_TAB, LEFT):
            self.selection = self._previous_chunk(start) or self.selection
        elif key in (GROW, SHIFT_RIGHT):
            following = next((token for token in self._tokens if token[0] >= end), None)
            self.selection = (start, following[1]) if following else self.selection
        elif key in (SHRINK, SHIFT_LEFT):
            inside = [token for token in self._tokens if start <= token[0] and token[1] < end]
            self.selection = (start, inside[-1][1]) if inside else self.selection
        elif key == GROW_LEFT:
            before = [token for token in self._tokens if token[1] <= start]
            self.selection = (before[-1][0], end) if before else self.selection
        elif key == SHRINK_LEFT:
            later = next((token for token in self._tokens if token[0] > start and token[0] < end), None)
            self.selection = (later[0], end) if later else self.selection
        elif key in keys:
            self._mark_selection(keys[key])
        elif key.isdigit() and key != "0":
            self._toggle_suggested(int(key))
            offered = self.offered_spans()[int(key) - 1:int(key)]
            if offered and not offered[0][1]:  # turned off: selected, to grow, shrink or relabel it
                self.selection = (offered[0][0]["start"], offered[0][0]["end"])
        elif key == REMOVE:
            spans = self.spans()
            kept = [span for span in spans if span["end"] <= start or span["start"] >= end]
            if len(kept) == len(spans):
                self.message = "no span under the selection"
            else:
                self._record(ENTITIES, {"spans": kept})
                self.message = f"removed {plural(len(spans) - len(kept), 'span')}"
        elif key == ACCEPT_ALL:  # the spans as they are, and every suggestion left for the sentence
            self.mode, self.selection = "label", None
            if self.step != ENTITIES:
                self.out_of_turn.add((self.sentence["id"], ENTITIES.slot))
            self._accept_all(spans_done=True)
        elif key == ENTER and self.step != ENTITIES:
            self.mode, self.selection = "label", None
            self._entities_out_of_turn(key)
        elif key == ENTER:
            self.mode, self.selection = "label", None
            self._key_label(ENTER)
        elif key == HELP:
            self._mode_before_help, self.mode = "cursor", "help"
        elif key in (UNDO, QUIT, FIND):  # as the keys line offers them: the cursor is left for the question
            self.mode, self.selection = "label", None
            self._key_label(key)
        else:
            self.message = ("Tab next · ← → chunks · + − the end, < > the start · a label key marks · "
                            "x removes · a number turns a suggested span off or on · Enter done")

    def _mark_selection(self, label: str) -> None:
        """The selection becomes a span of ``label``; spans it overlaps give way (so marking a
        selected span again relabels it, and a grown or shrunk one replaces it)."""
        from tagline.annotate.finding import brief
        from tagline.annotate.session import ENTITIES

        assert self.selection is not None
        start, end = self.selection
        text = self.sentence["text"]
        before = self.spans()
        spans = [span for span in before if span["end"] <= start or span["start"] >= end]
        replaced = [span for span in before if not (span["end"] <= start or span["start"] >= end)
                    and (span["start"], span["end"], span["label"]) != (start, end, label)]
        spans.append({"start": start, "end": end, "label": label, "text": text[start:end]})
        spans.sort(key=lambda span: (span["start"], span["end"]))
        self._record(ENTITIES, {"spans": spans})
        gone = ", ".join(f"{brief(span['text'])} ({span['label']})" for span in replaced)
        self.message = f"marked {brief(text[start:end])} {label}" + (f", in place of {gone}" if gone else "")
        # on to the first stop past the span: a stop inside it (35.1 of $35.1 billion) would be
        # replaced by its part at the next label key
        self.selection = self._next_chunk(end - 1) or self.selection

