"""The spaCy export's usual tokens, written from pieces of JSON remembered per piece of text, are the
tokens the long way writes (the words spaCy makes, each span tagged on its words, BILUO tags, the
token template), whatever the sentence and its spans; any other sentence goes the long way."""

from __future__ import annotations

import json
from json.encoder import encode_basestring

from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.annotate.formats import jsontext, spacy_tokens
from tagline.annotate.formats.tokens import encode_tags, spaced_words, spans_for_export, token_spans

WORDS = ["Acme", "Corp's", "profits,", "rose.", "$5", "well-known", "U.S.", "日本", "naïve", "x_y", "—", "(a)",
         "40", "million", "e.g.", "don't", "Ⅻ", "²", "a\"b", "c\\d", "tab\tbed", "🙂", "𝔘𝔫𝔦", "-", "..."]


@st.composite
def sentences(draw: st.DrawFn) -> tuple[str, list[dict] | None]:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=14))
    gaps = draw(st.lists(st.sampled_from([" ", " ", " ", " ", "  ", ""]), min_size=len(words), max_size=len(words)))
    text = draw(st.sampled_from(["", "", "", " "])) + "".join(word + gap for word, gap in zip(words, gaps)).rstrip() \
        + draw(st.sampled_from(["", "", " "]))
    if not text.strip():
        text = "Acme"
    if draw(st.booleans()) and draw(st.booleans()):
        return text, None  # not annotated
    # Spans on the words mostly (their edges the pattern's tokens' edges), some anywhere: inside a word,
    # on a space, overlapping another.
    edges = [0]
    for token in spacy_tokens._EN_SPACED_TOKEN.finditer(text):
        edges += [token.start(), token.start() + len(token.group().rstrip(" "))]
    chosen = sorted(set(draw(st.lists(st.sampled_from(edges) | st.integers(0, len(text)), max_size=8))))
    spans = [{"start": start, "end": end, "text": text[start:end], "label": draw(st.sampled_from(["ORG", "Ünï"]))}
             for start, end in zip(chosen[::2], chosen[1::2]) if start < end]
    if spans and draw(st.booleans()) and draw(st.booleans()):
        start = draw(st.integers(0, len(text) - 1))
        spans.append({"start": start, "end": len(text), "text": text[start:], "label": "ORG"})  # overlapping
    return text, spans


def _long_way(text: str, spans: list[dict] | None) -> str:
    aligned, cuts, _, _ = spans_for_export(text, spans or [])
    spaced = spaced_words(text, "en", cuts)
    tags = encode_tags(len(spaced), token_spans(spaced, aligned), "biluo") if spans is not None \
        else ["-"] * len(spaced)
    return jsontext.indented_array([
        spacy_tokens.TOKEN % (index, encode_basestring(text[start:end]), '" "' if space else '""',
                              encode_basestring(tag))
        for index, ((start, end, space), tag) in enumerate(zip(spaced, tags))], 6)


@settings(max_examples=600, deadline=None)
@given(sentences())
def test_the_usual_tokens_are_the_tokens_the_long_way_writes(sentence):
    text, spans = sentence
    tokens = spacy_tokens.usual_tokens(text, "en", spans)
    if tokens is None:
        return
    assert tokens == _long_way(text, spans)
    assert [token["orth"] + token["space"] for token in json.loads(tokens)] == \
        spacy_tokens._EN_SPACED_TOKEN.findall(text)


def test_the_usual_sentence_goes_the_short_way_and_any_other_the_long_way():
    text = "Kenji Sato of Acme Corp reported profits, item 7."
    usual = [{"start": 0, "end": 10, "text": "Kenji Sato", "label": "PERSON"},
             {"start": 14, "end": 23, "text": "Acme Corp", "label": "ORG"},
             {"start": 48, "end": 49, "text": ".", "label": "X"}]
    tokens = spacy_tokens.usual_tokens(text, "en", usual)
    assert tokens is not None and tokens == _long_way(text, usual)
    assert [token["ner"] for token in json.loads(tokens)] == \
        ["B-PERSON", "L-PERSON", "O", "B-ORG", "L-ORG", "O", "O", "O", "O", "O", "U-X"]
    assert spacy_tokens.usual_tokens(text, "en", None) == _long_way(text, None)
    for spans in ([{"start": 1, "end": 5, "text": "enji", "label": "PERSON"}],  # inside a word
                  [{"start": 0, "end": 6, "text": "Kenji ", "label": "PERSON"}],  # ending with a space
                  [usual[1], usual[0]],  # out of order
                  [usual[0], {"start": 6, "end": 13, "text": "Sato of", "label": "ORG"}]):  # overlapping
        assert spacy_tokens.usual_tokens(text, "en", spans) is None
    for other in ("Kenji  Sato", " Kenji", 'Kenji "Sato"', "Kenji\tSato"):
        assert spacy_tokens.usual_tokens(other, "en", []) is None
    assert spacy_tokens.usual_tokens(text, "ja", []) is None


def test_a_sentence_of_more_words_than_the_heads_made_once():
    text = " ".join(f"w{index}" for index in range(1500))
    spans = [{"start": text.index("w1400"), "end": text.index("w1400") + 11, "text": "w1400 w1401", "label": "ORG"}]
    assert spacy_tokens.usual_tokens(text, "en", spans) == _long_way(text, spans)


def test_pieces_are_forgotten_past_the_limit(monkeypatch):
    monkeypatch.setattr(spacy_tokens, "MAX_REMEMBERED_PIECES", 3)
    monkeypatch.setattr(spacy_tokens, "_piece_tokens", spacy_tokens._PieceTokens())
    text = "one two three four five six."
    assert spacy_tokens.usual_tokens(text, "en", []) == _long_way(text, [])
    assert 0 < len(spacy_tokens._piece_tokens) <= 3
