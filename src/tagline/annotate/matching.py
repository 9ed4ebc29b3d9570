"""Finding a typed text in a sentence the way a person means it: case and full-width/half-width
differences ignored (NFKC, then case-folded), and in English never inside a word; and the chunks
of tokens a keyboard cursor jumps between when marking entities."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

_WORD = re.compile(r"\w", re.UNICODE)


def _folded(text: str) -> tuple[str, list[int] | None]:
    """``text`` normalised (NFKC, case-folded) character by character, and for each character of the
    result the offset in ``text`` it came from (so a match maps back to exact offsets); None when
    every character maps to itself, which is checked in C, so a sentence of millions of characters
    is not walked in Python."""
    if unicodedata.is_normalized("NFKC", text):
        folded = text.casefold()
        if len(folded) == len(text):
            return folded, None
    pieces, origins = [], []
    for index, character in enumerate(text):
        folded = unicodedata.normalize("NFKC", character).casefold()
        pieces.append(folded)
        origins.extend([index] * len(folded))
    return "".join(pieces), origins


def find_occurrences(query: str, text: str, lang: str, *, limit: int | None = None) -> Iterator[tuple[int, int]]:
    """Offsets ``(start, end)`` in ``text`` of every occurrence of ``query``, ignoring case and
    full-width/half-width forms; in English an occurrence must not start or end inside a word.

    Examples
    --------
    >>> list(find_occurrences("deepseek", "ＤｅｅｐＳｅｅｋとDeepSeek", "ja"))
    [(0, 8), (9, 17)]
    >>> list(find_occurrences("an", "An annual plan, Jan. and an", "en"))
    [(0, 2), (25, 27)]
    """
    needle, _ = _folded(query)
    if not needle.strip():
        return
    if not needle:
        return
    haystack, origins = _folded(text)
    found = 0
    start = haystack.find(needle)
    while start >= 0 and (limit is None or found < limit):
        end = start + len(needle)
        first, last = (origins[start], origins[end - 1] + 1) if origins is not None else (start, end)
        if lang != "en" or _whole_words(text, first, last):
            found += 1
            yield first, last
            start = haystack.find(needle, end)  # occurrences do not overlap, as a find goes
        else:
            start = haystack.find(needle, start + 1)


def count_occurrences(query: str, text: str) -> int:
    """How many times ``query`` occurs, as :func:`find_occurrences` matches it (words aside), counted
    without making a list (a one-character find in a sentence of millions)."""
    needle, _ = _folded(query)
    return _folded(text)[0].count(needle) if needle else 0


def _whole_words(text: str, start: int, end: int) -> bool:
    """An English match does not begin or end in the middle of a word."""
    starts_inside = start > 0 and _WORD.match(text[start - 1]) and _WORD.match(text[start])
    ends_inside = end < len(text) and _WORD.match(text[end - 1]) and _WORD.match(text[end])
    return not (starts_inside or ends_inside)


# ----- chunks for the token cursor -----------------------------------------------------------
_LATIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.'&\-]*$")
_KATAKANA = re.compile(r"[\u30a0-\u30ffー・]+$")
_NUMBER = re.compile(r"[0-9０-９][0-9０-９,.，．]*$")


def _kind(token: str, pos: str) -> str | None:
    """The kind of run a token belongs to, or None for tokens that do not start an entity
    (particles, verbs, punctuation, common nouns of Japanese)."""
    if _NUMBER.match(token) or pos.startswith("名詞-数詞"):  # 2022, and 数 of 数年間 or 三 of 三年
        return "number"
    if _LATIN.match(token):
        return "latin" if token[0].isupper() or token[0].isdigit() or token.isupper() else None
    if _KATAKANA.match(token):
        return "katakana"
    if pos.startswith("名詞-固有名詞") or "固有名詞" in pos:
        return "proper"
    return None


def _continues(kind: str, token: str, pos: str, gap: str) -> bool:
    """Whether a token extends a run of ``kind`` across the characters ``gap`` between them."""
    if kind == "latin":
        return gap in ("", " ") and bool(_LATIN.match(token)) and (token[0].isupper() or token[0].isdigit())
    if kind == "number":
        # 5000億ドル, 3.5%, 20年: numerals, then counters, units and currencies
        return gap == "" and (bool(_NUMBER.match(token)) or "数詞" in pos or "助数詞" in pos or
                              token in ("%", "％", "ドル", "円", "元", "ユーロ", "万", "億", "兆", "千", "百"))
    if kind == "katakana":
        return gap == "" and bool(_KATAKANA.match(token))
    return gap == "" and "固有名詞" in pos


def cursor_chunks(text: str, lang: str) -> list[tuple[int, int]]:
    """Where the entity cursor stops: runs of tokens that look like the start of an entity (capitalised
    or Latin words joined by single spaces, katakana runs, numbers with their counters and units,
    proper nouns), in order. Any token can still be reached by growing or shrinking a selection."""
    from tagline.corpus.tokenize import tokenize_with_pos

    offsets, pos = tokenize_with_pos(text, lang)
    tags = list(pos) if pos else [""] * len(offsets)
    chunks: list[tuple[int, int]] = []
    index = 0
    while index < len(offsets):
        start, end = offsets[index]
        kind = _kind(text[start:end], tags[index])
        if kind is None:
            index += 1
            continue
        following = index + 1
        while following < len(offsets):
            next_start, next_end = offsets[following]
            if not _continues(kind, text[next_start:next_end], tags[following], text[end:next_start]):
                break
            end = next_end
            following += 1
        chunks.append((start, end))
        index = following
    return chunks


def token_offsets(text: str, lang: str) -> list[tuple[int, int]]:
    """The sentence's tokens (MeCab for Japanese, words for English), the cursor's finest step."""
    from tagline.corpus.tokenize import tokenize

    return list(tokenize(text, lang))
