"""The Prodigy export's usual line, written from pieces of JSON remembered per piece of text, is the line
the long way writes (tokens cut by the tokenizer, each span on its tokens, json.dumps), whatever the
sentence and its spans; and the words of evenly spaced text, read a piece at a time, are the pattern's."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.annotate.formats import prodigy_lines, tokens
from tagline.annotate.formats.prodigy import _entity_line, _tokens

WORDS = ["Acme", "Corp's", "profits,", "rose.", "$5", "well-known", "U.S.", "日本", "naïve", "x_y", "—", "(a)",
         "40", "million", "e.g.", "don't", "Ⅻ", "²", "a\"b", "c\\d", "tab\tbed", "🙂", "-", "..."]


@st.composite
def sentences(draw: st.DrawFn) -> tuple[str, list[dict]]:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=12))
    gaps = draw(st.lists(st.sampled_from([" ", " ", " ", "  ", ""]), min_size=len(words), max_size=len(words)))
    text = draw(st.sampled_from(["", "", " "])) + "".join(word + gap for word, gap in zip(words, gaps)).rstrip() \
        + draw(st.sampled_from(["", "", " "]))
    if not text.strip():
        text = "Acme"
    edges = sorted(draw(st.lists(st.integers(0, len(text)), max_size=6, unique=True)))
    spans = [{"start": start, "end": end, "text": text[start:end], "label": draw(st.sampled_from(["ORG", "Ünï"]))}
             for start, end in zip(edges[::2], edges[1::2]) if text[start:end].strip()]
    return text, spans


def _long_way(text: str, spans: list[dict], annotator: str | None) -> str:
    record: dict = {"text": text, "meta": {"sentence_id": "d-s0001"}}
    if annotator is not None:
        record["_annotator_id"] = annotator
    return _entity_line(record, {"id": "d-s0001", "text": text, "lang": "en"}, spans)


@settings(max_examples=400, deadline=None)
@given(sentences(), st.sampled_from(["alice", None]))
def test_the_usual_line_is_the_line_the_long_way_writes(sentence, annotator):
    text, spans = sentence
    line = prodigy_lines.usual_entity_line({"id": "d-s0001", "text": text}, spans, annotator)
    if line is None:
        return
    assert line == _long_way(text, spans, annotator)
    decoded = json.loads(line)
    assert line == json.dumps(decoded, ensure_ascii=False)
    assert decoded["tokens"] == [{"text": text[s:e], "start": s, "end": e, "id": i, "ws": ws}
                                 for i, (s, e, ws) in enumerate(_tokens(text, "en", spans))]


def test_the_usual_sentence_goes_the_short_way_and_an_edge_inside_a_token_the_long_way():
    text = "Kenji Sato of Acme Corp reported profits, item 7."
    spans = [{"start": 0, "end": 10, "text": "Kenji Sato", "label": "PERSON"},
             {"start": 14, "end": 23, "text": "Acme Corp", "label": "ORG"}]
    line = prodigy_lines.usual_entity_line({"id": "d-s0001", "text": text}, spans, "alice")
    assert line is not None and line == _long_way(text, spans, "alice")
    inside = [{"start": 1, "end": 5, "text": "enji", "label": "PERSON"}]  # the tokens are cut there
    assert prodigy_lines.usual_entity_line({"id": "d-s0001", "text": text}, inside, "alice") is None
    assert [token["text"] for token in json.loads(_long_way(text, inside, "alice"))["tokens"][:2]] == ["K", "enji"]


def test_pieces_are_forgotten_past_the_limit(monkeypatch):
    monkeypatch.setattr(prodigy_lines, "MAX_REMEMBERED_PIECES", 3)
    monkeypatch.setattr(prodigy_lines, "_piece_tokens", prodigy_lines._PieceTokens())
    text = "one two three four five six."
    line = prodigy_lines.usual_entity_line({"id": "d-s0001", "text": text}, [], None)
    assert line == _long_way(text, [], None)
    assert 0 < len(prodigy_lines._piece_tokens) <= 3


@settings(max_examples=300, deadline=None)
@given(sentences())
def test_evenly_spaced_words_are_the_patterns_words(sentence):
    text, spans = sentence
    even = tokens.evenly_spaced_words(text, "en", set())
    if even is not None:
        assert even[0] == tokens._EN_SPACED_TOKEN.findall(text)


@pytest.mark.parametrize("limit", [1, 2])
def test_evenly_spaced_words_forget_pieces_past_the_limit(monkeypatch, limit):
    monkeypatch.setattr(tokens, "MAX_REMEMBERED_PIECES", limit)
    monkeypatch.setattr(tokens, "_piece_words", tokens._PieceWords())
    text = "Acme Corp's profits, rose by $5 million."
    assert tokens.evenly_spaced_words(text, "en", set())[0] == tokens._EN_SPACED_TOKEN.findall(text)
    assert len(tokens._piece_words) <= limit
