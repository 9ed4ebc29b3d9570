"""Word tokens with exact character offsets: MeCab (fugashi + unidic-lite) for Japanese, a Unicode
word/punctuation pattern for English."""

from __future__ import annotations

import functools
import re

_EN_TOKEN = re.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]", re.UNICODE)


@functools.cache
def _mecab():
    import fugashi
    import unidic_lite

    # unidic-lite ships its dictionary inside the package: nothing is downloaded.
    return fugashi.Tagger(f'-d "{unidic_lite.DICDIR}"')


def tokenize(text: str, lang: str) -> list[tuple[int, int]]:
    """Token ``(start, end)`` offsets in ``text``; ``text[start:end]`` is the token.

    Examples
    --------
    >>> text = "DeepSeekは5000億ドルを調達した。"
    >>> [text[s:e] for s, e in tokenize(text, "ja")][:3]
    ['DeepSeek', 'は', '5000']
    """
    if lang == "en":
        return [match.span() for match in _EN_TOKEN.finditer(text)]
    if lang != "ja":
        raise ValueError(f"unsupported language {lang!r}")
    offsets = []
    cursor = 0
    for word in _mecab()(text):
        surface = word.surface
        if not surface:
            continue
        start = text.find(surface, cursor)
        if start < 0:  # MeCab normalised the surface (it should not): fall back to its length
            start = cursor
            while start < len(text) and text[start].isspace():
                start += 1
        end = start + len(surface)
        offsets.append((start, end))
        cursor = end
    return offsets


def tokens(text: str, lang: str) -> list[str]:
    return [text[start:end] for start, end in tokenize(text, lang)]
