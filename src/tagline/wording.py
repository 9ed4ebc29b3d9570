"""Words for counts in messages: ``plural(1, "sentence")`` is "1 sentence", ``plural(3, "sentence")``
"3 sentences"."""

from __future__ import annotations


def plural(count: int, word: str, words: str | None = None) -> str:
    """``count`` and the noun agreeing with it (``words`` when the plural is not ``word + "s"``)."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def verb(count: int, one: str, many: str) -> str:
    """The verb agreeing with ``count``: ``verb(1, "is", "are")``."""
    return one if count == 1 else many
