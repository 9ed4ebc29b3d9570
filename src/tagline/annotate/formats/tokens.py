"""What the token formats (CoNLL, spaCy, Prodigy) share: IOB/BIOES/BILUO tags read and written,
text rebuilt from tokens by language, tokens aligned to a text, and the tokens an export writes.

Tags are decoded here rather than with seqeval or spaCy (see docs/architecture.md):
``tests/annotate/test_token_tools.py`` checks :func:`decode_tags` against seqeval's decoder and
:func:`encode_tags` against spaCy's ``offsets_to_biluo_tags``."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import accumulate, chain
from operator import itemgetter

from tagline.corpus.tokenize import EN_TOKEN
from tagline.errors import InputError

TAG_PREFIXES = frozenset("BIESLU")
_NOT_SPACE = re.compile(r"\S+")
_start, _end = itemgetter(0), itemgetter(1)  # of a (start, end) token


# --- tags ------------------------------------------------------------------------------------------

def parse_tag(tag: str) -> tuple[str, str] | None:
    """``("B", "PERSON")`` for ``B-PERSON``; ``None`` for ``O``; raises ``ValueError`` otherwise.

    ``B I E S L U`` prefixes cover IOB1, IOB2, IOBES/BIOES and BILUO.
    """
    if tag == "O":
        return None
    prefix, separator, label = tag.partition("-")
    if not separator or prefix not in TAG_PREFIXES or not label:
        raise ValueError(tag)
    return prefix, label


def decode_tags(tags: list[tuple[str, str] | None]) -> list[tuple[int, int, str]]:
    """Token spans ``(first, last + 1, label)`` from parsed tags, for any of IOB1, IOB2, BIOES, BILUO.

    A span starts at ``B``/``S``/``U``, or at ``I``/``E``/``L`` that does not continue a span of the
    same label (IOB1, and lenient reading of broken IOB2); it ends after ``E``/``L``/``S``/``U`` or
    where the next tag does not continue it. This is seqeval's lenient decoding, with BILUO's ``L``
    and ``U`` read as ``E`` and ``S``.
    """
    spans = []
    current: list | None = None  # [first, label]
    for index, parsed in enumerate(tags):
        if parsed is None:
            if current:
                spans.append((current[0], index, current[1]))
            current = None
            continue
        prefix, label = parsed
        if prefix in "BSU" or current is None or current[1] != label:
            if current:
                spans.append((current[0], index, current[1]))
            current = [index, label]
        if prefix in "ELSU":
            spans.append((current[0], index + 1, current[1]))
            current = None
    if current:
        spans.append((current[0], len(tags), current[1]))
    return spans


def encode_tags(n_tokens: int, spans: list[tuple[int, int, str]], scheme: str = "iob2") -> list[str]:
    """Tags for token spans ``(first, last + 1, label)`` (non-overlapping) in IOB2 or BILUO."""
    tags = ["O"] * n_tokens
    for first, stop, label in spans:
        if scheme == "biluo" and stop - first == 1:
            tags[first] = f"U-{label}"
            continue
        tags[first] = f"B-{label}"
        for index in range(first + 1, stop):
            tags[index] = f"I-{label}"
        if scheme == "biluo":
            tags[stop - 1] = f"L-{label}"
    return tags


# --- text from tokens ------------------------------------------------------------------------------

# Penn Treebank token forms that stand for other characters in the raw text.
_PTB_FORMS = {"``": ('"', "“"), "''": ('"', "”"), "`": ("'", "‘"), "-LRB-": ("(",), "-RRB-": (")",),
              "-LSB-": ("[",), "-RSB-": ("]",), "-LCB-": ("{",), "-RCB-": ("}",)}
# English is written with a space between words, but none before closing punctuation and clitics
# or after opening brackets, quotes and currency signs: the spacing spaCy's tokenizer records.
_NO_SPACE_BEFORE = frozenset({".", ",", ":", ";", "!", "?", "%", ")", "]", "}", "''", "”", "’", "»", "…", "...",
                              "-RRB-", "-RSB-", "-RCB-"})
_NO_SPACE_AFTER = frozenset({"(", "[", "{", "``", "“", "‘", "«", "$", "£", "€", "¥", "#", "-LRB-", "-LSB-", "-LCB-"})
_CLITIC = re.compile(r"(?:n['’]t|['’](?:s|m|d|ll|re|ve))", re.IGNORECASE)
_SPLIT_WORDS = frozenset({("can", "not"), ("gon", "na"), ("wan", "na"), ("got", "ta")})  # Penn Treebank's and spaCy's


def join_tokens(tokens: list[str], lang: str | None = None,
                space_after: list[bool] | None = None) -> tuple[str, list[tuple[int, int]]]:
    """Text rebuilt from tokens, and each token's offsets in it.

    ``space_after`` (CoNLL-U's ``SpaceAfter=No``) says where the spaces were. Without it the
    language decides (``None``: guessed from the tokens). Japanese has no spaces, except between
    two words in Latin letters (``BMW`` ``JAPAN``): ``羅臼岳`` ``(`` ``1660`` ``m`` ``)`` gives
    ``羅臼岳(1660m)``. English has a space between tokens but not before closing punctuation and
    clitics (``n't``, ``'s``) or after opening brackets and quotes, and none next to a wide
    (CJK) character. Penn Treebank forms (``-LRB-``, ````` `` `````) are written as the characters they
    stand for.

    Examples
    --------
    >>> join_tokens(["J", ".", "K", ".", "ローリング"], "ja")[0]
    'J.K.ローリング'
    >>> join_tokens(["He", "did", "n't", "say", "(", "yet", ")", "."], "en")[0]
    "He didn't say (yet)."
    """
    if lang not in ("ja", "en"):
        from tagline.corpus.segment import detect_lang

        lang = detect_lang("".join(tokens))
    shown = [_PTB_FORMS[token][-1] if token in _PTB_FORMS else token for token in tokens]
    parts: list[str] = []
    offsets = []
    cursor = 0
    quote_open = False
    for index, token in enumerate(shown):
        if index:
            if space_after is not None:
                space = space_after[index - 1]
            elif lang == "ja":
                space = _latin_letter(shown[index - 1][-1]) and _latin_letter(token[0])
            else:
                space = _space_in_english(tokens, index, quote_open)
            if space:
                parts.append(" ")
                cursor += 1
        if token == '"':
            quote_open = not quote_open
        offsets.append((cursor, cursor + len(token)))
        parts.append(token)
        cursor += len(token)
    return "".join(parts), offsets


def _space_in_english(tokens: list[str], index: int, quote_open: bool) -> bool:
    """Whether a space goes between ``tokens[index - 1]`` and ``tokens[index]``."""
    previous, token = tokens[index - 1], tokens[index]
    if _wide(previous[-1]) or _wide(token[0]):
        return False
    if token in _NO_SPACE_BEFORE or previous in _NO_SPACE_AFTER or \
            (("'" in token or "’" in token) and _CLITIC.fullmatch(token)):  # a clitic has an apostrophe
        return False
    if len(token) <= 3 and (previous.lower(), token.lower()) in _SPLIT_WORDS:  # their second words are short
        return False
    if token == "'" and previous[-1] in "sS":  # the possessive of a plural (teachers')
        return False
    if token == '"':  # a closing quote follows its word; an opening one is spaced
        return not quote_open
    return not (previous == '"' and quote_open)  # an opening quote is followed by its word


def _latin_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _wide(char: str) -> bool:
    return char >= "\x80" and unicodedata.east_asian_width(char) in ("W", "F")  # no ASCII character is wide


def align_tokens(text: str, tokens: list[str], where: str,
                 token_where: list[str] | None = None) -> list[tuple[int, int]]:
    """Offsets of ``tokens`` in ``text``, in order, with only white space between them (Penn
    Treebank forms such as ````` `` ````` and ``-LRB-`` match the characters they stand for; a token
    that is white space itself, such as MeCab's ideographic space, matches itself).
    ``token_where`` gives each token's own place in the file, for the error."""
    offsets = []
    cursor = 0
    for index, token in enumerate(tokens):
        while cursor < len(text) and text[cursor].isspace() and not text.startswith(token, cursor):
            cursor += 1
        for form in (token, *_PTB_FORMS.get(token, ())):
            if text.startswith(form, cursor):
                offsets.append((cursor, cursor + len(form)))
                cursor += len(form)
                break
        else:
            raise InputError(f"token {token!r} does not match the text at offset {cursor} "
                             f"({text[cursor:cursor + 20]!r})", where=token_where[index] if token_where else where,
                             fix="the tokens must spell out the text in order")
    return offsets


# --- tokens for export -----------------------------------------------------------------------------

def export_tokens(text: str, lang: str, cuts: set[int]) -> list[tuple[int, int]]:
    """Token offsets for writing token formats: tagline's tokenizer, cut again at every offset in
    ``cuts`` (entity boundaries), covering every character that is not white space: each run of
    characters that are not white space, cut at every token edge and every cut inside it."""
    from tagline.corpus.tokenize import tokenize

    if lang != "ja":
        # The English pattern's tokens are those runs cut at token edges already (every character
        # that is not white space is in one token, and none holds white space): cut them at `cuts`.
        return _cut(tokenize(text, "en"), cuts)
    boundaries = set(cuts)
    try:
        for start, end in tokenize(text, lang):
            boundaries.add(start)
            boundaries.add(end)
    except ValueError:
        pass
    edges = sorted(boundaries)
    tokens = []
    for run in _NOT_SPACE.finditer(text):  # `\s` is exactly str.isspace (tests/annotate/test_token_tools.py)
        start, end = run.span()
        for edge in edges[bisect_right(edges, start):bisect_left(edges, end)]:
            tokens.append((start, edge))
            start = edge
        tokens.append((start, end))
    return tokens


def _cut(tokens: list[tuple[int, int]], cuts: set[int]) -> list[tuple[int, int]]:
    """``tokens`` (in order, not overlapping) each cut at the offsets of ``cuts`` inside it."""
    inside: dict[int, list[int]] = {}
    for cut in cuts:
        index = bisect_right(tokens, cut, key=_start) - 1
        if index >= 0 and tokens[index][0] < cut < tokens[index][1]:
            inside.setdefault(index, []).append(cut)
    if not inside:
        return tokens
    result = []
    for index, (start, end) in enumerate(tokens):
        for cut in sorted(inside.get(index, ())):
            result.append((start, cut))
            start = cut
        result.append((start, end))
    return result


def spacy_words(text: str, tokens: list[tuple[int, int]]) -> list[tuple[int, int, bool]]:
    """The words spaCy makes of ``text`` with these (white-space free) tokens: each token with
    whether one space follows it, and other white space (an ideographic space, a second space, a
    line break) as a word of its own, as spaCy's tokenizer and ``get_words_and_spaces`` do. spaCy
    builds a doc's text from its words and spaces alone, so these give back ``text`` exactly."""
    words: list[tuple[int, int, bool]] = []
    if tokens and tokens[0][0] > 0:
        words.append((0, tokens[0][0], False))
    for index, (start, end) in enumerate(tokens):
        gap_end = tokens[index + 1][0] if index + 1 < len(tokens) else len(text)
        space = end < gap_end and text[end] == " "
        words.append((start, end, space))
        if end + space < gap_end:
            words.append((end + space, gap_end, False))
    return words


# An English token (tagline.corpus.tokenize) and the one space after it, if any.
_EN_SPACED_TOKEN = re.compile(rf"(?:{EN_TOKEN.pattern}) ?")
MAX_REMEMBERED_PIECES = 200_000
"""Pieces of text whose words :func:`evenly_spaced_words` remembers (a few tens of megabytes at most):
past this it forgets them all and starts again, so that its memory does not grow with the corpus."""


class _PieceWords(dict[str, tuple[str, ...]]):
    """The words of a piece of evenly spaced text between spaces, with the space after it
    (``"euros, "`` -> ``("euros", ", ")``), as :data:`_EN_SPACED_TOKEN` reads them, remembered: a
    corpus writes the same few thousand pieces over and over, and looking one up costs a tenth of
    reading it (no token holds a space, so a text's words are its pieces' words, one after another)."""

    def __missing__(self, piece: str) -> tuple[str, ...]:
        if len(self) >= MAX_REMEMBERED_PIECES:
            self.clear()
        words = self[piece] = tuple(_EN_SPACED_TOKEN.findall(piece))
        return words


_piece_words = _PieceWords()


def spaced_words(text: str, lang: str, cuts: set[int]) -> list[tuple[int, int, bool]]:
    """``spacy_words(text, export_tokens(text, lang, cuts))``: the words of a spaCy or Prodigy export."""
    return spacy_words(text, export_tokens(text, lang, cuts))


def evenly_spaced_words(text: str, lang: str, cuts: set[int]) -> tuple[list[str], list[int]] | None:
    """The words of :func:`spaced_words`, each with the space after it when one follows (``"Alice "``),
    and where each starts (and, last, the text's length), for English text with one space at most
    between tokens and none at the start, and no cut inside a token, the usual sentence; ``None``
    for any other.

    Such a text is its tokens, each followed by a space or not: one pattern reads them (each piece
    between spaces once, see :class:`_PieceWords`), and the offsets are the running sum of their
    lengths."""
    # White space at the start, two spaces, or white space other than a space (none is printable; nor
    # are control and format characters, which go the long way too): words that are not simply tokens.
    if lang != "en" or not text or text[0] == " " or "  " in text or not text.isprintable():
        return None
    # The pieces between spaces, each with the space after it ("\0" is not printable: in no such text).
    words = list(chain.from_iterable(map(_piece_words.__getitem__, text.replace(" ", " \0").split("\0"))))
    starts = list(accumulate(map(len, words), initial=0))
    # A cut that is no word's start is inside a word unless it is a word's end: where a space follows
    # it (a word without one ends where the next starts).
    for cut in cuts.difference(starts):
        if 0 < cut < len(text) and text[cut] != " ":
            return None
    return words, starts


def _word_end(words: list[str], starts: list[int], index: int) -> int:
    return starts[index + 1] - (words[index][-1] == " ")


def word_spans(words: list[str], starts: list[int], spans: list[dict]) -> list[tuple[int, int, str]]:
    """:func:`token_spans` over the words of :func:`evenly_spaced_words`."""
    result = []
    for span in spans:
        first = bisect_left(starts, span["start"])
        last = bisect_left(starts, span["end"]) - 1
        if first < len(words) and starts[first] == span["start"] and first <= last < len(words) \
                and _word_end(words, starts, last) == span["end"]:
            result.append((first, last + 1, span["label"]))
    return result


def token_spans(tokens: Sequence[tuple[int, ...]], spans: list[dict]) -> list[tuple[int, int, str]]:
    """Entity spans (character offsets) as token spans; every span must start and end on tokens
    (``(start, end, ...)``: what follows the offsets, such as a word's space, is not read)."""
    result = []
    for span in spans:
        first = bisect_left(tokens, span["start"], key=_start)
        last = bisect_left(tokens, span["end"], key=_end)
        if first < len(tokens) and tokens[first][0] == span["start"] and last < len(tokens) \
                and tokens[last][1] == span["end"] and last >= first:
            result.append((first, last + 1, span["label"]))
    return result


def flat_spans(spans: list[dict]) -> tuple[list[dict], list[dict]]:
    """Split spans into a non-overlapping list (earliest, then longest first) and the ones left out."""
    previous = None
    for span in spans:  # the usual answer: each span starts after the one before it ends; kept as it is
        if previous is not None and not previous["start"] < span["start"] >= previous["end"]:
            break
        previous = span
    else:
        return list(spans), []
    kept: list[dict] = []
    dropped: list[dict] = []
    for span in sorted(spans, key=lambda s: (s["start"], -s["end"], s["label"])):
        if kept and span["start"] < kept[-1]["end"]:
            dropped.append(span)
        else:
            kept.append(span)
    return kept, dropped


def trimmed(span: dict, text: str) -> bool:
    """True when the span neither starts nor ends with white space (token formats need that)."""
    return not text[span["start"]].isspace() and not text[span["end"] - 1].isspace()


def spans_for_export(text: str, spans: list[dict]) -> tuple[list[dict], set[int], int, int]:
    """The spans token formats can write of one sentence's spans, the offsets the tokens are cut at
    (their edges), and how many were left out because they overlap another span or start or end with
    white space."""
    kept, dropped = flat_spans(spans)
    aligned = [span for span in kept  # trimmed(span, text), without a call for each span
               if not text[span["start"]].isspace() and not text[span["end"] - 1].isspace()]
    cuts = {offset for span in aligned for offset in (span["start"], span["end"])}
    return aligned, cuts, len(dropped), len(kept) - len(aligned)


def tokens_for_export(text: str, lang: str, spans: list[dict]) -> tuple[list[tuple[int, int]], list[dict], int, int]:
    """What token formats (CoNLL, spaCy) need from one sentence's spans: the tokens (cut at every
    kept entity edge), the spans that can be written, and how many were left out because they
    overlap another span or start or end with white space."""
    aligned, cuts, n_overlapping, n_untrimmed = spans_for_export(text, spans)
    return export_tokens(text, lang, cuts), aligned, n_overlapping, n_untrimmed
