"""Word tokens with exact character offsets: MeCab (fugashi + unidic-lite) for Japanese, a Unicode
word/punctuation pattern for English."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

# English tokens: initialisms with their final dot ("U.S.", "a.m."), numbers with thousands
# separators ("275,000", "4,512.3"), words (with inner hyphens, apostrophes and dots) and single other
# characters.
EN_TOKEN = re.compile(r"(?:[A-Za-z]\.){2,}(?!\w)|\d+(?:,\d{3})+(?:\.\d+)?(?!\w|,\d)|\w+(?:[-'’.]\w+)*|[^\w\s]",
                      re.UNICODE)
# MeCab writes each word's surface and a tab, between [ and ]: the brackets keep fugashi's stripping
# of trailing whitespace away from words that are whitespace themselves (an ideographic space).
_SURFACES_FORMAT = r"--output-format-type= --bos-format=[ --node-format=%m\\t --unk-format=%m\\t --eos-format=]"
# The bytes MeCab's words span: for each word, those of the whitespace it skipped before it and the word
# (%pL), then the word's own (%pl), all numbers separated by tabs; a pair of zeros first, so that the
# output of a text without words is numbers too.
_LENGTHS_FORMAT = (r"--output-format-type= --bos-format=0\\t0\\t --node-format=%pL\\t%pl\\t "
                   r"--unk-format=%pL\\t%pl\\t --eos-format=")
# Each word's own bytes (%pl) alone, after one zero: what MeCab is asked for a text it skips no
# whitespace in, whose words are then its bytes end to end.
_OWN_LENGTHS_FORMAT = r"--output-format-type= --bos-format=0\\t --node-format=%pl\\t --unk-format=%pl\\t --eos-format="
# The characters unidic-lite's MeCab skips before a word (besides a tab, which takes tokenize's way): a
# text with one is asked for the whitespace too. One it skipped otherwise is caught by the lengths'
# sum and the text parsed again.
_MECAB_SKIPS = re.compile("[ \n\x0b]")
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


def tokenize_many(texts: Sequence[str] | pa.Array, langs: Sequence[str] | pa.Array):
    """:func:`tokenize` for many texts at once (lists of strings or Arrow string arrays), as Arrow and
    NumPy arrays rather than Python lists.

    Returns ``(tokens, starts, ends)``: ``tokens`` a ``list<string>`` array with one list per text,
    and the offsets of every token, flattened in the same order. The result is the same as calling
    :func:`tokenize` on each text. The offsets are :func:`tokenize_offsets`'s, the words cut from the
    texts at them (:func:`words_at`).
    """
    import numpy as np
    import pyarrow as pa

    text_array = texts.cast(pa.string()) if isinstance(texts, pa.Array) else pa.array(texts, pa.string())
    counts, starts, ends = tokenize_offsets(text_array, langs)
    return words_at(text_array, np.concatenate(([0], np.cumsum(counts))), starts, ends), starts, ends


def tokenize_offsets(texts: Sequence[str] | pa.Array, langs: Sequence[str] | pa.Array):
    """:func:`tokenize_many`'s offsets without the words: ``(counts, starts, ends)``, how many tokens
    each text has (int64) and every token's offsets, flattened in the texts' order.

    MeCab first writes, for each Japanese word, how many bytes of the text are its own. Where those
    add up to the whole text (MeCab skipped no whitespace) and no word is empty, the offsets are
    counted in characters by Arrow and NumPy, with no Python work per word. The other texts are parsed
    again with the bytes of the whitespace skipped before each word too, and read the same way where
    those spans put end to end are the whole text (no whitespace after the last word). Every other
    text takes :func:`tokenize`'s way.
    """
    import numpy as np
    import pyarrow as pa

    # string, not large_string: the texts' bytes are read through int32 offsets
    text_array = texts.cast(pa.string()) if isinstance(texts, pa.Array) else pa.array(texts, pa.string())
    texts = text_array.to_pylist() if isinstance(texts, pa.Array) else texts
    langs = langs.to_pylist() if isinstance(langs, pa.Array) else langs
    # A tab or a NUL makes tokenize read MeCab's words otherwise (a NUL ends the words MeCab writes).
    mecab_rows = [row for row, (text, lang) in enumerate(zip(texts, langs))
                  if lang == "ja" and "\t" not in text and "\x00" not in text]
    spaced_rows = [row for row in mecab_rows if _MECAB_SKIPS.search(texts[row])]
    todo = np.setdiff1d(mecab_rows, spaced_rows) if spaced_rows else np.asarray(mecab_rows, dtype=np.int64)
    read: list[tuple[np.ndarray, _Spaced]] = []  # (the rows read, what was read of them)
    for output_format, per_word in ((_OWN_LENGTHS_FORMAT, 1), (_LENGTHS_FORMAT, 2)):
        if per_word == 2:  # the texts with whitespace, and any the own lengths did not add up to
            todo = np.sort(np.concatenate((todo, np.asarray(spaced_rows, dtype=np.int64))))  # in row order
        if not len(todo):
            continue
        parse = _mecab(output_format).parse
        chosen = text_array if len(todo) == len(texts) else text_array.take(pa.array(todo))
        spaced = _read_lengths([parse(texts[row]) for row in todo.tolist()], chosen, per_word)
        read.append((todo[spaced.good], spaced))
        todo = todo[~spaced.good]
    if len(read) == 1 and len(read[0][0]) == len(texts):
        return read[0][1].counts, read[0][1].starts, read[0][1].ends
    fast_rows = np.concatenate([rows for rows, _ in read]) if read else np.zeros(0, np.int64)
    other_rows = np.setdiff1d(np.arange(len(texts), dtype=np.int64), fast_rows)
    other_offsets = [tokenize(texts[row], langs[row]) for row in other_rows.tolist()]
    lengths = np.fromiter((len(offsets) for offsets in other_offsets), np.int64, len(other_offsets))
    flat = np.asarray([span for offsets in other_offsets for span in offsets], np.int64).reshape(-1, 2)
    return _in_row_order([spaced.counts for _, spaced in read] + [lengths],
                         [spaced.starts for _, spaced in read] + [flat[:, 0]],
                         [spaced.ends for _, spaced in read] + [flat[:, 1]], np.concatenate((fast_rows, other_rows)))


def words_at(texts: pa.Array, bounds: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """The tokens of ``texts`` (a string array) as a ``list<string>`` array: the ``i``-th text's are at
    ``starts[bounds[i]:bounds[i + 1]]`` (``bounds`` from 0) and the ``ends`` beside them, in characters,
    which must fit the texts. The words are cut from the array's data buffer where its bytes are:
    each character's first byte found once, the offsets made byte offsets through it, the words
    every other piece between the edges, with no Python work per word."""
    import numpy as np
    import pyarrow as pa

    data, edges = word_edges(texts, bounds, starts, ends)
    return pa.ListArray.from_arrays(pa.array(np.asarray(bounds).astype(np.int32)), words_between(data, edges))


def word_edges(texts: pa.Array, bounds: np.ndarray, starts: np.ndarray,
               ends: np.ndarray) -> tuple[pa.Buffer, np.ndarray]:
    """The data buffer of ``texts`` (as a string array) and where each token of :func:`words_at` begins and
    ends in it, in bytes: int32, interleaved (a token's start, its end, the next token's start...), in
    the order of the tokens; :func:`words_between` cuts the words there."""
    import numpy as np
    import pyarrow as pa

    if texts.type != pa.string():  # int32 offsets, as the words are cut through
        texts = texts.cast(pa.string())
    text_bytes = np.frombuffer(texts.buffers()[1], dtype=np.int32)[texts.offset:texts.offset + len(texts) + 1]
    text_bytes = text_bytes.astype(np.int64)
    data = texts.buffers()[2] or pa.py_buffer(b"")  # no buffer where every text is empty
    low, high = int(text_bytes[0]), int(text_bytes[-1])
    raw = np.frombuffer(data, dtype=np.uint8)[low:high]
    # The byte where each character of the texts begins (UTF-8 continuation bytes are 10xxxxxx), and
    # the end of the last one; every text begins at a character.
    char_byte = np.append(np.flatnonzero((raw & 0xC0) != 0x80), high - low) + low
    first_char = np.searchsorted(char_byte, text_bytes[:-1])
    base = np.repeat(first_char, np.diff(bounds))
    edges = np.empty(2 * len(starts), dtype=np.int32)
    edges[0::2] = char_byte[base + starts]
    edges[1::2] = char_byte[base + ends]
    return data, edges


def words_between(data: pa.Buffer, edges: np.ndarray) -> pa.Array:
    """The string array of the pieces of ``data`` between each pair of ``edges`` (see :func:`word_edges`;
    the edges of several runs of texts over one buffer may be put end to end, in the buffer's order),
    copied into one compact array."""
    import numpy as np
    import pyarrow as pa

    edge_buffer = pa.py_buffer(edges if len(edges) else np.zeros(1, dtype=np.int32))
    pieces = pa.StringArray.from_buffers(max(len(edges) - 1, 0), edge_buffer, data)
    return pieces.take(pa.array(np.arange(0, len(edges) - 1, 2, dtype=np.int32)))


def _in_row_order(counts: list[np.ndarray], starts: list[np.ndarray], ends: list[np.ndarray],
                  rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The token counts and offsets of groups of texts (one group after the other, the texts at
    ``rows``) put back in row order."""
    import numpy as np

    where = np.empty(len(rows), dtype=np.int64)  # each text's place in the groups put end to end
    where[rows] = np.arange(len(rows))
    lengths = np.concatenate(counts).astype(np.int64)
    # The offsets of the texts in row order: each text's tokens, from the concatenated offsets.
    first = np.concatenate(([0], np.cumsum(lengths)))[:-1]
    token_index = np.repeat(first[where] - np.concatenate(([0], np.cumsum(lengths[where])))[:-1],
                            lengths[where]) + np.arange(int(lengths.sum()))
    return lengths[where], np.concatenate(starts)[token_index], np.concatenate(ends)[token_index]


class _Spaced(NamedTuple):
    good: np.ndarray  # per text read: whether its offsets below are right
    counts: np.ndarray  # int64: how many words each good text has
    starts: np.ndarray  # int64, flattened
    ends: np.ndarray


def _read_lengths(written: list[str], texts: pa.Array, per_word: int = 2) -> _Spaced:
    """The word counts and offsets of ``texts`` (a string array) from MeCab's output (``written``) in
    :data:`_LENGTHS_FORMAT` (``per_word`` 2) or :data:`_OWN_LENGTHS_FORMAT` (1: the spans are the
    words' own bytes), for the texts whose words' spans put end to end are the text and whose words
    are not empty: MeCab's words are pieces of the bytes it was given, which it never changes."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    numbers = pc.split_pattern(pa.array(written, pa.string()), "\t")
    groups_per_row = np.diff(np.asarray(numbers.offsets, dtype=np.int64)) // per_word
    values = pc.cast(numbers.flatten(), pa.int64()).to_numpy()
    words = np.ones(len(values) // per_word, dtype=bool)
    words[np.concatenate(([0], np.cumsum(groups_per_row)))[:-1]] = False  # the zeros first in each text
    own = values[per_word - 1::per_word][words]
    spanned = values[0::per_word][words] if per_word == 2 else own
    words_per_row = groups_per_row - 1
    first_word = np.concatenate(([0], np.cumsum(words_per_row)))
    word_row = np.repeat(np.arange(len(texts)), words_per_row)
    # Each text's bytes in the array's data, and each word's end in bytes from its text's start.
    text_bytes = np.frombuffer(texts.buffers()[1], dtype=np.int32)[texts.offset:texts.offset + len(texts) + 1]
    text_bytes = text_bytes.astype(np.int64)
    spanned_until = np.concatenate(([0], np.cumsum(spanned)))
    good_rows = spanned_until[first_word[1:]] - spanned_until[first_word[:-1]] == np.diff(text_bytes)
    good_rows[word_row[own == 0]] = False  # tokenize leaves out empty words
    good_words = good_rows[word_row]
    row_of_word = word_row[good_words]
    ends = (spanned_until[1:][good_words] - spanned_until[first_word[:-1]][row_of_word]) + text_bytes[:-1][row_of_word]
    starts = ends - own[good_words]
    data = texts.buffers()[2] or pa.py_buffer(b"")  # no buffer where every text is empty
    # Byte offsets to character offsets: the characters begun before each byte (UTF-8 continuation
    # bytes are 10xxxxxx), counted from the text's first byte.
    raw = np.frombuffer(data, dtype=np.uint8)
    chars_before = np.zeros(len(raw) + 1, dtype=np.int64)
    np.cumsum((raw & 0xC0) != 0x80, out=chars_before[1:])
    first_char = chars_before[text_bytes[:-1]][row_of_word]
    return _Spaced(good_rows, words_per_row[good_rows], chars_before[starts] - first_char,
                   chars_before[ends] - first_char)
