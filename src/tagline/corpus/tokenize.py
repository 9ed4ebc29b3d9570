"""Word tokens with exact character offsets: MeCab (fugashi + unidic-lite) for Japanese, a Unicode
word/punctuation pattern for English."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

_EN_TOKEN = re.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]", re.UNICODE)


@functools.cache
def _mecab(wakati: bool = False):
    import fugashi
    import unidic_lite

    # unidic-lite ships its dictionary (and an empty mecabrc) inside the package: nothing is downloaded.
    # The generic tagger skips fugashi's per-word UniDic feature objects; only surfaces are used here.
    dicdir = unidic_lite.DICDIR
    return fugashi.GenericTagger(f'-r "{dicdir}/mecabrc" -d "{dicdir}"' + (" -Owakati" if wakati else ""))


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


def tokenize_many(texts: Sequence[str], langs: Sequence[str]):
    """:func:`tokenize` for many texts at once, as Arrow and NumPy arrays rather than Python lists.

    Returns ``(tokens, starts, ends)``: ``tokens`` a ``list<string>`` array with one list per text,
    and the offsets of every token, flattened in the same order. The result is the same as calling
    :func:`tokenize` on each text.

    Japanese texts go through MeCab's own word splitting (``-Owakati``), which costs about half as
    much as making a node per word; a text is taken from it only when its words put end to end give
    back exactly the text (no whitespace, nothing normalised), so each word's offsets are the sums
    of the lengths before it. Every other text takes :func:`tokenize`.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    wakati = _mecab(wakati=True).parse if any(lang == "ja" for lang in langs) else None
    fast_rows, fast_words, slow_rows, slow_offsets = [], [], [], []
    for row, (text, lang) in enumerate(zip(texts, langs)):
        if lang == "ja" and text and " " not in text:  # (MeCab drops spaces: those take the slow way anyway)
            words = wakati(text)
            if words.replace(" ", "") == text and "  " not in words and words[0] != " " and words[-1] != " ":
                fast_rows.append(row)
                fast_words.append(words)
                continue
        slow_rows.append(row)
        slow_offsets.append(tokenize(text, lang))

    fast = pc.split_pattern(pa.array(fast_words, pa.string()), " ")
    if not slow_rows:
        token_lists = fast
    else:
        slow = pa.array([[texts[row][s:e] for s, e in offsets] for row, offsets in zip(slow_rows, slow_offsets)],
                        pa.list_(pa.string()))
        where = np.empty(len(texts), dtype=np.int64)
        where[fast_rows] = np.arange(len(fast_rows))
        where[slow_rows] = np.arange(len(fast_rows), len(texts))
        token_lists = pa.concat_arrays([fast, slow]).take(pa.array(where))
    token_lists = token_lists.cast(pa.list_(pa.string()))

    lengths = pc.utf8_length(token_lists.flatten()).to_numpy().astype(np.int64)
    row_offsets = np.asarray(token_lists.offsets, dtype=np.int64)
    row_offsets -= row_offsets[0]
    ends = np.cumsum(lengths)
    ends -= np.repeat(np.concatenate(([0], ends))[row_offsets[:-1]], np.diff(row_offsets))
    starts = ends - lengths
    for row, offsets in zip(slow_rows, slow_offsets):  # whitespace between words: the real offsets
        if offsets:
            span = np.asarray(offsets, dtype=np.int64)
            starts[row_offsets[row]:row_offsets[row + 1]] = span[:, 0]
            ends[row_offsets[row]:row_offsets[row + 1]] = span[:, 1]
    return token_lists, starts, ends
