"""The spaCy export's tokens: a token's JSON in the pieces the writer fills, and the usual sentence's
tokens (an evenly spaced English sentence whose entities start and end on its words, none overlapping)
written from pieces of JSON remembered for each piece of text between spaces."""

from __future__ import annotations

import functools
from bisect import bisect_left
from itertools import accumulate, chain
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any

from tagline.annotate.formats import jsontext
from tagline.annotate.formats.tokens import _EN_SPACED_TOKEN, MAX_REMEMBERED_PIECES

MISSING = "-"  # spaCy's tag for "not annotated"

# A token as json.dumps(documents, ensure_ascii=False, indent=1) writes it, at its depth (jsontext.template).
TOKEN = jsontext.template({"id": jsontext.SLOT, "orth": jsontext.SLOT, "space": jsontext.SLOT,
                           "ner": jsontext.SLOT}, 7)
# In three parts when the word is written as it is: up to its word (made once for each place in a
# sentence), the word with its `space` (made once for each word, see _PieceTokens), and its tag with
# what follows it (made once for each tag).
BEFORE_ID, BEFORE_ORTH, BEFORE_SPACE, BEFORE_NER, AFTER_NER = TOKEN.split("%s")
TOKEN_HEADS = [(",\n" if index else "") + BEFORE_ID + str(index) + BEFORE_ORTH + '"' for index in range(1024)]
_WORD_END = ('"' + BEFORE_SPACE + '""' + BEFORE_NER, '"' + BEFORE_SPACE + '" "' + BEFORE_NER)  # no space, a space


def token_heads(count: int) -> list[str]:
    """What comes before the words of a sentence's first ``count`` tokens (:data:`TOKEN_HEADS`, and
    for a long sentence those past them, made for it alone)."""
    heads = TOKEN_HEADS[:count]
    if count > len(heads):
        heads += [",\n" + BEFORE_ID + str(index) + BEFORE_ORTH + '"' for index in range(len(heads), count)]
    return heads


@functools.cache
def tag_json(tag: str) -> str:
    """A token's tag and what follows it (few tags, each written many times)."""
    return encode_basestring(tag) + AFTER_NER


@functools.cache
def biluo_tags(label: str) -> tuple[str, str, str, str]:
    """:func:`tag_json` of the ``B``, ``I``, ``L`` and ``U`` tags of a label."""
    return tag_json(f"B-{label}"), tag_json(f"I-{label}"), tag_json(f"L-{label}"), tag_json(f"U-{label}")


class _PieceTokens(dict[str, tuple[str | int, ...]]):
    """Of each piece of evenly spaced text between spaces, with the space after it (``"euros, "``), for
    each of its words: its JSON from its text to its tag (``euros",`` ... ``"space": "",`` ...
    ``"ner": ``) and its length with the space after it; one after another in one tuple. Remembered,
    as :class:`~tagline.annotate.formats.tokens._PieceWords` remembers a piece's words: a corpus writes
    the same few thousand pieces over and over."""

    def __missing__(self, piece: str) -> tuple[str | int, ...]:
        if len(self) >= MAX_REMEMBERED_PIECES:
            self.clear()
        made: list[str | int] = []
        for word in _EN_SPACED_TOKEN.findall(piece):
            spaced = word[-1] == " "
            made += (word[:-1] + _WORD_END[1] if spaced else word + _WORD_END[0], len(word))
        self[piece] = tuple(made)
        return self[piece]


_piece_tokens = _PieceTokens()


def usual_tokens(text: str, lang: str, spans: list[dict] | None) -> str | None:
    """The JSON array of a sentence's tokens as the spaCy export writes them (each word with its
    ``space`` and its BILUO tag; ``-`` for every word when ``spans`` is None, not annotated), for the
    usual sentence: English, one space at most between tokens and none at its start, nothing JSON
    escapes, and its spans in order, none overlapping another, each starting and ending on words.
    None for any other sentence (written the long way, to the same bytes).

    The words are found a piece of text between spaces at a time (:class:`_PieceTokens`), their
    offsets by one running sum, each span's first and last word by a search of those, and the JSON
    joined from three pieces a word, with no Python step for each word."""
    if lang != "en" or not text or text[0] == " " or "  " in text or not text.isprintable() \
            or '"' in text or "\\" in text:  # what JSON escapes: " \ and controls (not printable)
        return None
    # The pieces between spaces, each with the space after it ("\0" is not printable: in no such text).
    pieces = text.replace(" ", " \0").split("\0")
    found: list[Any] = list(chain.from_iterable(itemgetter(*pieces)(_piece_tokens))) if len(pieces) > 1 \
        else list(_piece_tokens[pieces[0]])  # itemgetter gives one item alone, not in a tuple
    count = len(found) // 2
    if spans is None:
        tags = [tag_json(MISSING)] * count
    else:
        tags = [tag_json("O")] * count
        starts = list(accumulate(found[1::2], initial=0))  # and, last, the text's length
        written = 0  # where the span before ends
        for span in spans:
            start, end = span["start"], span["end"]
            if start < written:
                return None  # out of order or overlapping: spans_for_export leaves some out
            first, after = bisect_left(starts, start), bisect_left(starts, end)
            # A word starts at `start`, and one ends at `end` (where the next starts, or before its
            # space; a span ending with that space is left out, untrimmed).
            if not (first < after <= count and starts[first] == start and text[end - 1] != " "
                    and (starts[after] == end or (starts[after] == end + 1 and text[end] == " "))):
                return None
            begin, inside, last, unit = biluo_tags(span["label"])
            if after - first == 1:
                tags[first] = unit
            else:
                tags[first:after] = [begin, *[inside] * (after - first - 2), last]
            written = end
    json_pieces = tags * 3  # a list of the right length, its places then filled
    json_pieces[0::3] = token_heads(count)
    json_pieces[1::3] = found[0::2]
    json_pieces[2::3] = tags
    return "[\n" + "".join(json_pieces) + "\n      ]"
