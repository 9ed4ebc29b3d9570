"""Word tokens with exact character offsets: MeCab (fugashi + unidic-lite) for Japanese, a Unicode
word/punctuation pattern for English."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import NamedTuple

# English tokens: words (with inner hyphens, apostrophes and dots) and single other characters.
EN_TOKEN = re.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]", re.UNICODE)
# MeCab writes each word's surface and a tab, between [ and ]: the brackets keep fugashi's stripping
# of trailing whitespace away from words that are whitespace themselves (an ideographic space).
_SURFACES_FORMAT = r"--output-format-type= --bos-format=[ --node-format=%m\\t --unk-format=%m\\t --eos-format=]"
# The same, with each word's part of speech (UniDic's first four levels) after it: word, tab, POS, tab.
_POS_FORMAT = (r"--output-format-type= --bos-format=[ --node-format=%m\\t%f[0]-%f[1]-%f[2]-%f[3]\\t "
               r"--unk-format=%m\\t%f[0]-%f[1]-%f[2]-%f[3]\\t --eos-format=]")
# The same, with more of UniDic's fields after the part of speech, separated by "|": conjugation
# type and form, word origin (goshu), lemma last (a lemma may hold any character but a tab). An
# unknown word has only the first six fields; its origin is "unk" and its lemma "*".
_FIELDS_FORMAT = (r"--output-format-type= --bos-format=[ "
                  r"--node-format=%m\\t%f[0]-%f[1]-%f[2]-%f[3]|%f[4]|%f[5]|%f[12]|%f[7]\\t "
                  r"--unk-format=%m\\t%f[0]-%f[1]-%f[2]-%f[3]|%f[4]|%f[5]|unk|*\\t --eos-format=]")


@functools.cache
def _mecab(output_format: str = ""):
    import fugashi
    import unidic_lite

    # unidic-lite ships its dictionary (and an empty mecabrc) inside the package: nothing is downloaded.
    # The generic tagger skips fugashi's per-word UniDic feature objects.
    dicdir = unidic_lite.DICDIR
    arguments = f'-r "{dicdir}/mecabrc" -d "{dicdir}"' + (" " + output_format if output_format else "")
    return fugashi.GenericTagger(arguments)


def _written(text: str) -> str | None:
    """MeCab's words for ``text`` joined by tabs, or None where that cannot be read back unambiguously."""
    if "\t" in text:  # a tab in the text could not be told from the separator
        return None
    written = _mecab(_SURFACES_FORMAT).parse(text)
    if written[:1] != "[" or written[-1:] != "]":
        return None
    return written[1:-2]  # without the tab after the last word


def _surfaces(text: str) -> list[str]:
    """MeCab's words for ``text``, as written (whitespace between words is not in them)."""
    written = _written(text)
    if written is None:
        return [word.surface for word in _mecab()(text)]
    return written.split("\t") if written else []


def _offsets(text: str, surfaces: list[str]) -> list[tuple[int, int]]:
    offsets = []
    cursor = 0
    for surface in surfaces:
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


def tokenize(text: str, lang: str) -> list[tuple[int, int]]:
    """Token ``(start, end)`` offsets in ``text``; ``text[start:end]`` is the token.

    Examples
    --------
    >>> text = "DeepSeekは5000億ドルを調達した。"
    >>> [text[s:e] for s, e in tokenize(text, "ja")][:3]
    ['DeepSeek', 'は', '5000']
    """
    if lang == "en":
        return [match.span() for match in EN_TOKEN.finditer(text)]
    if lang != "ja":
        raise ValueError(f"unsupported language {lang!r}")
    return _offsets(text, _surfaces(text))


def tokenize_with_pos(text: str, lang: str) -> tuple[list[tuple[int, int]], list[str]]:
    """:func:`tokenize`'s offsets, and each token's part of speech.

    For Japanese the part of speech is UniDic's first four levels joined by ``-`` (``名詞-固有名詞-人名-姓``
    for a surname, ``名詞-固有名詞-地名-一般`` for a place); for English, and for the rare Japanese text
    whose words cannot be matched back to the offsets (a tab in it), every tag is ``""``.

    Examples
    --------
    >>> offsets, pos = tokenize_with_pos("岸田首相は東京で話した。", "ja")
    >>> pos[:2], pos[4]
    (['名詞-固有名詞-人名-姓', '名詞-普通名詞-一般-'], '名詞-固有名詞-地名-一般')
    """
    offsets = tokenize(text, lang)
    if lang != "ja" or "\t" in text:
        return offsets, [""] * len(offsets)
    written = _mecab(_POS_FORMAT).parse(text)
    if written[:1] != "[" or written[-1:] != "]":
        return offsets, [""] * len(offsets)
    fields = written[1:-2].split("\t")
    surfaces, tags = fields[0::2], fields[1::2]
    if len(surfaces) != len(tags) or _offsets(text, surfaces) != offsets:
        return offsets, [""] * len(offsets)
    return offsets, [tag for surface, tag in zip(surfaces, tags) if surface]


class UniDicFields(NamedTuple):
    """UniDic's description of one token (``""`` where UniDic has none, as for the conjugation of a
    noun; every field ``""`` when the text's words could not be described, see
    :func:`tokenize_with_fields`)."""

    pos: str  #: the first four part-of-speech levels joined by ``-``: ``名詞-固有名詞-人名-姓``
    ctype: str  #: conjugation type (``五段-カ行``)
    cform: str  #: conjugation form (``連体形-一般``)
    #: word origin (goshu): 和 native, 漢 Sino-Japanese, 外 loan, 固 proper noun, 混 mixed, 記号 symbol...;
    #: ``unk`` for a word not in UniDic
    goshu: str
    lemma: str  #: the dictionary form (``置く``; ``レッド-red`` for a loan word; ``*`` for an unknown word)


_NO_FIELDS = UniDicFields("", "", "", "", "")


def tokenize_with_fields(text: str, lang: str) -> tuple[list[tuple[int, int]], list[UniDicFields]]:
    """:func:`tokenize`'s offsets, and UniDic's fields of each token (:class:`UniDicFields`).

    As :func:`tokenize_with_pos`, English tokens, and Japanese text whose words cannot be matched
    back to the offsets (a tab in it), get empty fields.

    Examples
    --------
    >>> offsets, fields = tokenize_with_fields("岸田首相は本社を置く。", "ja")
    >>> fields[0].pos, fields[0].goshu, fields[5].lemma, fields[5].cform
    ('名詞-固有名詞-人名-姓', '固', '置く', '終止形-一般')
    """
    offsets = tokenize(text, lang)
    if lang != "ja" or "\t" in text:
        return offsets, [_NO_FIELDS] * len(offsets)
    written = _mecab(_FIELDS_FORMAT).parse(text)
    if written[:1] != "[" or written[-1:] != "]":
        return offsets, [_NO_FIELDS] * len(offsets)
    parts = written[1:-2].split("\t")
    surfaces, described = parts[0::2], parts[1::2]
    if len(surfaces) != len(described) or _offsets(text, surfaces) != offsets:
        return offsets, [_NO_FIELDS] * len(offsets)
    fields = []
    for surface, description in zip(surfaces, described):
        if surface:
            values = description.split("|", 4)
            fields.append(UniDicFields(*values) if len(values) == 5 else _NO_FIELDS)
    return offsets, fields


def tokens(text: str, lang: str) -> list[str]:
    return [text[start:end] for start, end in tokenize(text, lang)]


def tokenize_many(texts: Sequence[str], langs: Sequence[str]):
    """:func:`tokenize` for many texts at once, as Arrow and NumPy arrays rather than Python lists.

    Returns ``(tokens, starts, ends)``: ``tokens`` a ``list<string>`` array with one list per text,
    and the offsets of every token, flattened in the same order. The result is the same as calling
    :func:`tokenize` on each text.

    Most Japanese texts are their words put end to end (no whitespace, nothing normalised): then
    MeCab's output is split into words by Arrow and each word's offsets are the sums of the lengths
    before it, with no Python work per word. Every other text takes :func:`tokenize`'s way.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    plain_rows, plain_words, other_rows, other_offsets = [], [], [], []
    for row, (text, lang) in enumerate(zip(texts, langs)):
        if lang == "ja":
            written = _written(text)
            if written and written.replace("\t", "") == text and "\t\t" not in written \
                    and written[0] != "\t" and written[-1] != "\t":
                plain_rows.append(row)
                plain_words.append(written)
                continue
            offsets = _offsets(text, _surfaces(text) if written is None else written.split("\t") if written else [])
        else:
            offsets = tokenize(text, lang)
        other_rows.append(row)
        other_offsets.append(offsets)

    plain = pc.split_pattern(pa.array(plain_words, pa.string()), "\t").cast(pa.list_(pa.string()))
    if not other_rows:
        token_lists = plain
    else:
        other = pa.array([[texts[row][s:e] for s, e in offsets] for row, offsets in zip(other_rows, other_offsets)],
                         pa.list_(pa.string()))
        where = np.empty(len(texts), dtype=np.int64)
        where[plain_rows] = np.arange(len(plain_rows))
        where[other_rows] = np.arange(len(plain_rows), len(texts))
        token_lists = pa.concat_arrays([plain, other]).take(pa.array(where))

    lengths = pc.utf8_length(token_lists.flatten()).to_numpy().astype(np.int64)
    row_offsets = np.asarray(token_lists.offsets, dtype=np.int64)
    row_offsets -= row_offsets[0]
    ends = np.cumsum(lengths)
    ends -= np.repeat(np.concatenate(([0], ends))[row_offsets[:-1]], np.diff(row_offsets))
    starts = ends - lengths
    for row, offsets in zip(other_rows, other_offsets):  # whitespace between words: the real offsets
        if offsets:
            span = np.asarray(offsets, dtype=np.int64)
            starts[row_offsets[row]:row_offsets[row + 1]] = span[:, 0]
            ends[row_offsets[row]:row_offsets[row + 1]] = span[:, 1]
    return token_lists, starts, ends
