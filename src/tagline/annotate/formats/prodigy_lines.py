"""The Prodigy export's usual line: a sentence's ``ner_manual`` record, for the record every export makes
of an evenly spaced English sentence, written from pieces of JSON remembered for each piece of text
between spaces, and its hashes."""

from __future__ import annotations

import functools
from bisect import bisect_left
from itertools import accumulate, chain
from json.encoder import encode_basestring, encode_basestring_ascii
from operator import add, itemgetter

import murmurhash

from tagline.annotate.formats.tokens import _EN_SPACED_TOKEN, MAX_REMEMBERED_PIECES


def _murmur(text: str) -> int:
    return int(murmurhash.hash(text))


# The spans of an entity record, as json.dumps writes them in the record and (sorted keys, no spaces,
# ASCII) for its task hash, with and without their tokens.
SPAN = '{"start": %d, "end": %d, "text": %s, "label": %s}'
SPAN_ON_TOKENS = '{"start": %d, "end": %d, "text": %s, "label": %s, "token_start": %d, "token_end": %d}'
HASHED_SPAN = '{"end":%d,"label":%s,"start":%d,"text":%s}'
HASHED_SPAN_ON_TOKENS = '{"end":%d,"label":%s,"start":%d,"text":%s,"token_end":%d,"token_start":%d}'

label_json = functools.cache(encode_basestring)  # the few labels, each written many times
label_ascii = functools.cache(encode_basestring_ascii)

# A token's JSON, {"text": ..., "start": ..., "end": ..., "id": ..., "ws": ...}, as four pieces: what
# comes before its start (the "ws" of the token before it, and the token's text), its start, its end,
# and its id followed by `"ws": `; the numbers' pieces made once, for a sentence shorter than 4096
# characters.
NUMBERS = [str(number) for number in range(4096)]
_ENDS = [', "end": ' + number for number in NUMBERS]
_IDS = [', "id": ' + number + ', "ws": ' for number in NUMBERS]
_AFTER_SPACE, _AFTER_WORD = "true}, ", "false}, "
_FIRST = len(_AFTER_SPACE)  # the first token has no token before it


class _PieceTokens(dict[str, tuple[str | int, ...]]):
    """Of each piece of evenly spaced text between spaces, with the space after it (``"euros, "``), for
    each of its tokens: the JSON before the token's start (``true}, {"text": "euros", "start": ``, then
    ``false}, {"text": ",", "start": ``: a piece's first token follows a space, the others do not), the
    token's length with the space after it, and without; one after another in one tuple. Remembered:
    a corpus writes the same few thousand pieces over and over, and looking one up costs a fraction of
    reading it; the words of a text are its pieces' words, one after another, since no token holds a
    space."""

    def __missing__(self, piece: str) -> tuple[str | int, ...]:
        if len(self) >= MAX_REMEMBERED_PIECES:
            self.clear()
        made: list[str | int] = []
        for index, word in enumerate(_EN_SPACED_TOKEN.findall(piece)):
            token = word.rstrip(" ")
            made += (f'{_AFTER_WORD if index else _AFTER_SPACE}{{"text": "{token}", "start": ', len(word), len(token))
        self[piece] = tuple(made)
        return self[piece]


_piece_tokens = _PieceTokens()


def usual_entity_line(sentence: dict, spans: list[dict], annotator: str | None) -> str | None:
    """The line of the record every export makes of a sentence with an entity answer (its text, its
    sentence id, the annotator or none for gold; see :func:`entity_record`), for an English sentence
    that :func:`~tagline.annotate.formats.tokens.evenly_spaced_words` reads (one space at most between
    tokens, none at the start, no span edge inside a token) and JSON writes as it is; None for any
    other (written the long way, to the same bytes)."""
    text, sentence_id = sentence["text"], sentence["id"]
    if type(text) is not str or type(sentence_id) is not str or sentence.get("lang", "en") != "en" \
            or not text.strip() or text[0] == " " or "  " in text or not text.isprintable() \
            or '"' in text or "\\" in text or len(text) >= len(NUMBERS):  # what JSON escapes: " \ and controls
        return None
    # The pieces between spaces, each with the space after it ("\0" is not printable: in no such text);
    # their tokens read with one C call each step rather than a Python step for each token (a sentence
    # of one piece or one token goes the long way: itemgetter gives such a one item not in a tuple).
    pieces = text.replace(" ", " \0").split("\0")
    if len(pieces) < 2:
        return None
    found = list(chain.from_iterable(itemgetter(*pieces)(_piece_tokens)))
    token_lengths: list[int] = found[2::3]
    count = len(token_lengths)
    starts = list(accumulate(found[1::3], initial=0))
    made = spans_json(text, starts, token_lengths, spans)
    if made is None or count < 2:
        return None
    json_pieces = [""] * (4 * count)
    json_pieces[0::4] = found[0::3]
    json_pieces[1::4] = itemgetter(*starts[:count])(NUMBERS)
    json_pieces[2::4] = itemgetter(*map(add, starts, token_lengths))(_ENDS)
    json_pieces[3::4] = _IDS[:count]
    json_pieces[0] = json_pieces[0][_FIRST:]
    json_pieces.append("true}" if text[-1] == " " else "false}")
    return entity_record(text, sentence_id, annotator, "".join(json_pieces), *made)


def spans_json(text: str, starts: list[int], token_lengths: list[int],
               spans: list[dict]) -> tuple[list[str], list[str]] | None:
    """The JSON of the spans of an evenly spaced sentence of any length (its tokens' ``starts``, and
    last the text's length, and their lengths without the space after them), as the record holds them
    and as its task hash is taken of them, each span's first and last token found by one search; None
    when a span's edge is inside a token (the tokens are then cut there), its offsets are not integers
    or its text and label not strings."""
    count = len(token_lengths)
    written, hashed = [], []
    for span in spans:
        start, end, covered, label = span["start"], span["end"], span["text"], span["label"]
        if type(start) is not int or type(end) is not int or type(covered) is not str or type(label) is not str:
            return None
        first, after = bisect_left(starts, start), bisect_left(starts, end)
        last = after - 1
        if first < count and starts[first] == start and 0 <= last < count \
                and starts[last] + token_lengths[last] == end:  # a token starts and one ends there
            if end >= len(NUMBERS):  # in a long text (a token's place is never past its start)
                written.append(SPAN_ON_TOKENS % (start, end, encode_basestring(covered), label_json(label), first,
                                                  last))
                hashed.append(HASHED_SPAN_ON_TOKENS % (end, label_ascii(label), start,
                                                        encode_basestring_ascii(covered), last, first))
                continue
            # SPAN_ON_TOKENS and HASHED_SPAN_ON_TOKENS, the numbers' text made once
            start_text, end_text, first_text, last_text = NUMBERS[start], NUMBERS[end], NUMBERS[first], NUMBERS[last]
            written.append(f'{{"start": {start_text}, "end": {end_text}, "text": {encode_basestring(covered)}, '
                           f'"label": {label_json(label)}, "token_start": {first_text}, "token_end": {last_text}}}')
            hashed.append(f'{{"end":{end_text},"label":{label_ascii(label)},"start":{start_text},'
                          f'"text":{encode_basestring_ascii(covered)},"token_end":{last_text},'
                          f'"token_start":{first_text}}}')
            continue
        # An edge that is no token's start is inside a token unless a space follows it or it is an end
        # of the text.
        for edge, index in ((start, first), (end, after)):
            if not (index <= count and starts[index] == edge) and 0 < edge < len(text) and text[edge] != " ":
                return None
        written.append(SPAN % (start, end, encode_basestring(covered), label_json(label)))
        hashed.append(HASHED_SPAN % (end, label_ascii(label), start, encode_basestring_ascii(covered)))
    return written, hashed


def entity_record(text: str, sentence_id: str, annotator: str | None, token_json: str, spans: list[str],
                  hashed: list[str]) -> str:
    """A plain record's (its text, sentence id and annotator, or none) entity line from the JSON of its
    tokens and spans, and of its spans as its task hash is taken of them."""
    text_json = encode_basestring(text)
    input_hash = _murmur("text=" + (text_json if text.isascii() else encode_basestring_ascii(text)))
    head = (f'{{"text": {text_json}, "meta": {{"sentence_id": '
            f'{encode_basestring(sentence_id)}}}, "_input_hash": {input_hash}')
    if spans:  # Prodigy's task hash: of the spans, the one task key the record has
        head += f', "_task_hash": {_murmur(str(input_hash) + "spans=[" + ",".join(hashed) + "]")}'
    if annotator is not None:
        head += f', "_annotator_id": {encode_basestring(annotator)}'
    return (f'{head}, "tokens": [{token_json}], "spans": [{", ".join(spans)}], "_view_id": "ner_manual", '
            '"answer": "accept"}')
