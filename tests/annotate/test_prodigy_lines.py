"""The Prodigy export's usual line, written from pieces of JSON remembered per piece of text, is the line
the long way writes (tokens cut by the tokenizer, each span on its tokens, json.dumps), whatever the
sentence and its spans; and the words of evenly spaced text, read a piece at a time, are the pattern's."""

from __future__ import annotations

import json
from itertools import accumulate

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


# Words of any characters but white space, control characters and surrogates (astral ones among them).
_ANY_WORD = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=6)


@st.composite
def spaced_sentences(draw: st.DrawFn) -> tuple[str, list[dict]]:
    """Evenly spaced text of any characters, some shorter and some longer than 4,096 characters (a long
    run of words before the rest), with spans on its tokens mostly, some with an edge inside one or
    before a space, labels of any characters."""
    words = draw(st.lists(_ANY_WORD | st.sampled_from(WORDS[:18]), min_size=1, max_size=10))
    filler = draw(st.sampled_from([0, 0, 900]))  # "Acme " * 900: 4,500 characters
    text = "Acme " * filler + " ".join(words)
    edges = [0, len(text)]
    for token in tokens._EN_SPACED_TOKEN.finditer(text, pos=len(text) - len(" ".join(words)) - 5 * bool(filler)):
        edges += [token.start(), token.start() + len(token.group().rstrip(" "))]
    chosen = sorted(set(draw(st.lists(st.sampled_from(edges) | st.integers(max(0, len(text) - 60), len(text)),
                                      max_size=8))))
    label = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=5)
    spans = [{"start": start, "end": end, "text": text[start:end], "label": draw(label)}
             for start, end in zip(chosen[::2], chosen[1::2]) if start < end]
    if filler and draw(st.booleans()):
        spans.insert(0, {"start": 5, "end": 14, "text": "Acme Acme", "label": draw(label)})
    return text, spans


def _spans_the_long_way(text: str, spans: list[dict]) -> tuple[list[str], list[str]]:
    """Each span as json.dumps writes it in the record (with its first and last Prodigy token where it
    starts and ends on tokens) and for the task hash (sorted keys, no spaces, ASCII)."""
    found = _tokens(text, "en", spans)
    first_token = {start: index for index, (start, _, _) in enumerate(found)}
    last_token = {end: index for index, (_, end, _) in enumerate(found)}
    written = []
    for span in spans:
        item = {"start": span["start"], "end": span["end"], "text": span["text"], "label": span["label"]}
        if span["start"] in first_token and span["end"] in last_token:
            item["token_start"], item["token_end"] = first_token[span["start"]], last_token[span["end"]]
        written.append(item)
    return ([json.dumps(item, ensure_ascii=False) for item in written],
            [json.dumps(item, sort_keys=True, separators=(",", ":")) for item in written])


@settings(max_examples=300, deadline=None)
@given(spaced_sentences())
def test_the_spans_of_an_evenly_spaced_sentence_of_any_length_are_the_spans_the_long_way_writes(sentence):
    text, spans = sentence
    words = tokens._EN_SPACED_TOKEN.findall(text)
    starts = list(accumulate(map(len, words), initial=0))
    made = prodigy_lines.spans_json(text, starts, [len(word.rstrip(" ")) for word in words], spans)
    inside = [edge for span in spans for edge in (span["start"], span["end"])
              if edge not in starts and 0 < edge < len(text) and text[edge] != " "]
    if inside:  # an edge inside a token: the tokens are cut there, the long way
        assert made is None
        return
    assert made == _spans_the_long_way(text, spans)


def test_a_long_sentence_with_several_answers_writes_the_line_the_long_way_writes():
    text = "Acme " * 900 + "Kenji Sato of Acme Corp reported profits, item 7."
    start = text.index("Kenji")
    spans = [{"start": start, "end": start + 10, "text": "Kenji Sato", "label": "PERSON"},
             {"start": 5, "end": 9, "text": "Acme", "label": "ORG"}]
    record = {"text": text, "meta": {"sentence_id": "d-s0001"}, "_annotator_id": "alice"}
    line = _entity_line(record, {"id": "d-s0001", "text": text, "lang": "en"}, spans)
    decoded = json.loads(line)
    assert decoded["spans"][0]["token_start"] == 900 and decoded["spans"][1]["token_start"] == 1
    assert line.split('"spans": ')[1] == "[" + ", ".join(_spans_the_long_way(text, spans)[0]) + \
        '], "_view_id": "ner_manual", "answer": "accept"}'
