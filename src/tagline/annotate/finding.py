"""Marking entities by their text in the annotation session: ``/`` finds a text (or START:END) in
the sentence, a number chooses among its occurrences, a label key marks them; ``x`` removes a span
by its number. A part of :class:`~tagline.annotate.session.SessionModel`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tagline.annotate.session_part import SessionPart
from tagline.wording import plural

ENTER, ESCAPE, BACKSPACE = "ENTER", "ESC", "BACKSPACE"
_OFFSETS = re.compile(r"^\s*(\d+)\s*[:\-]\s*(\d+)\s*$")
# "[a] all" marks every occurrence of a found text as one answer; past this many (a one-character
# find in a sentence of millions of characters) the list alone would take seconds and gigabytes.
MARK_ALL_LIMIT = 1000


class FindKeys(SessionPart):
    """The keys of the modes ``find``, ``occurrence``, ``entity_label`` and ``remove``."""

    if TYPE_CHECKING:  # what this part uses of the session it is part of
        buffer: str
        pending: list[tuple[int, int]]
        found: int

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
        from tagline.annotate.session import ENTITIES

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
        self._record(ENTITIES, {"spans": spans})  # found from another question too (out of turn)
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


def brief(text: str, limit: int = 30) -> str:
    """``text`` as a message quotes it: cut to ``limit`` characters, so a span or a pasted find of
    millions of characters does not become a message of millions."""
    return text if len(text) <= limit else text[:limit - 1] + "…"
