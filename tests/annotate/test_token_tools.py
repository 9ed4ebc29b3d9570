"""tagline's tag and token helpers (formats/tokens.py) give what the maintained libraries give:
seqeval's decoding of IOB1/IOB2/IOBES tags, spaCy's BILUO tags for character offsets and its spans
for BILUO tags, and the spacing spaCy's English tokenizer records."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.annotate.formats.tokens import decode_tags, encode_tags, join_tokens, parse_tag, spacy_words, token_spans

TAGS = ["O", *(f"{prefix}-{label}" for prefix in "BIESLU" for label in ("PER", "ORG"))]


@pytest.mark.slow  # seqeval loads scikit-learn
@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TAGS), max_size=12))
def test_decoding_is_seqevals_with_biluo_read_as_bioes(tags):
    from seqeval.metrics.sequence_labeling import get_entities

    as_bioes = [tag.replace("L-", "E-").replace("U-", "S-") for tag in tags]
    expected = sorted((start, end + 1, label) for label, start, end in get_entities(as_bioes))
    assert sorted(decode_tags([parse_tag(tag) for tag in tags])) == expected


@st.composite
def words_and_entities(draw):
    words = draw(st.lists(st.sampled_from(["東京", "DeepSeek", "は", "😀", "AI", "e\u0301", "。", "New", "York"]),
                          min_size=1, max_size=10))
    cuts = sorted(draw(st.sets(st.integers(0, len(words)), max_size=6)))
    spans = [(cuts[i], cuts[i + 1], draw(st.sampled_from(["PER", "ORG"])))
             for i in range(0, len(cuts) - 1, 2) if cuts[i] < cuts[i + 1]]
    return words, draw(st.lists(st.booleans(), min_size=len(words), max_size=len(words))), spans


@functools.cache
def blank_vocab():
    spacy = pytest.importorskip("spacy", reason="spaCy is not installed (it is in the `test` extra)")
    return spacy.blank("xx").vocab


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(words_and_entities())
def test_biluo_tags_are_spacys_for_the_same_character_offsets(case):
    pytest.importorskip("spacy", reason="spaCy is not installed (it is in the `test` extra)")
    from spacy.tokens import Doc
    from spacy.training import biluo_tags_to_spans, offsets_to_biluo_tags

    words, spaces, spans = case
    doc = Doc(blank_vocab(), words=words, spaces=spaces)
    characters = [(doc[first].idx, doc[stop - 1].idx + len(doc[stop - 1]), label) for first, stop, label in spans]
    tags = encode_tags(len(words), spans, "biluo")
    assert tags == offsets_to_biluo_tags(doc, characters)
    assert [(span.start, span.end, span.label_) for span in biluo_tags_to_spans(doc, tags)] == \
        decode_tags([parse_tag(tag) for tag in tags])
    # The same through tagline's words of the doc's text: spaCy's own words, spaces and tags.
    tokens = [(token.idx, token.idx + len(token)) for token in doc]
    entities = [{"start": start, "end": end, "label": label} for start, end, label in characters]
    words_back = spacy_words(doc.text, [(start, end) for start, end in tokens if not doc.text[start:end].isspace()])
    assert [(doc.text[start:end], space) for start, end, space in words_back] == \
        [(token.text, bool(token.whitespace_)) for token in doc]
    offsets = [(start, end) for start, end, _ in words_back]
    assert encode_tags(len(offsets), token_spans(offsets, entities), "biluo") == tags


ENGLISH = [
    "EU rejects German call to boycott British lamb.",
    "Peter Blackburn, (BRUSSELS, 22 August) said: \"It's not clear.\"",
    "I don't know; it's $5, or 5% of it!",
    "They've said they'll go, but we're not sure they'd come.",
    "The U.S. economy grew 2.1% in Q3 [revised] {estimate}.",
    "Mr. Smith's company (Smith & Co.) sold 1,000 units.",
    "She asked, \"Why?\" and left.",
    "We cannot do it, and we're gonna say so.",
]


@pytest.mark.parametrize("text", ENGLISH)
def test_english_text_rebuilt_from_spacys_words_is_the_text_spacy_read(text):
    spacy = pytest.importorskip("spacy", reason="spaCy is not installed (it is in the `test` extra)")
    doc = spacy.blank("en")(text)
    assert join_tokens([token.text for token in doc], "en")[0] == text


@pytest.mark.parametrize(("tokens", "lang", "text"), [
    (["羅臼", "岳", "(", "1660", "m", ")"], "ja", "羅臼岳(1660m)"),
    (["J", ".", "K", ".", "ローリング"], "ja", "J.K.ローリング"),
    (["BMW", "JAPAN", "の", "Lullaby", "for", "a", "Lazy", "Day"], "ja", "BMW JAPANのLullaby for a Lazy Day"),
    (["梁", "文峰", "は", "DeepSeek", "を"], None, "梁文峰はDeepSeekを"),  # the language guessed from the tokens
    (["DeepSeek", "is", "from", "杭州", "."], "en", "DeepSeek is from杭州."),
    (["-LRB-", "a", "-RRB-", "``", "b", "''"], "en", "(a) “b”"),
])
def test_text_from_tokens_by_language(tokens, lang, text):
    rebuilt, offsets = join_tokens(tokens, lang)
    assert rebuilt == text
    assert len(offsets) == len(tokens) and all(end > start for start, end in offsets)


def test_the_white_space_export_tokens_skip_is_exactly_str_isspace():
    import re
    import sys

    pattern = re.compile(r"\s")
    differ = [code for code in range(sys.maxunicode + 1)
              if (pattern.match(chr(code)) is not None) != chr(code).isspace()]
    assert differ == []


def _export_tokens_by_character(text: str, boundaries: set[int]) -> list[tuple[int, int]]:
    """The tokens export_tokens gives, found one character at a time (its former loop)."""
    tokens, index = [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        stop = index + 1
        while stop < len(text) and not text[stop].isspace() and stop not in boundaries:
            stop += 1
        tokens.append((index, stop))
        index = stop
    return tokens


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["東京", "は", "DeepSeek", "AI", "-", "'s", " ", "  ", "\n", "\u3000", "😀", "e\u0301",
                                 "。", ",", "U.S.", "5,000"]), max_size=14).map("".join),
       st.sets(st.integers(0, 40), max_size=6), st.sampled_from(["en", "ja"]))
def test_export_tokens_are_the_runs_of_non_space_cut_at_token_edges_and_cuts(text, cuts, lang):
    from tagline.annotate.formats.tokens import export_tokens
    from tagline.corpus.tokenize import tokenize

    boundaries = set(cuts) | {offset for token in tokenize(text, lang) for offset in token}
    assert export_tokens(text, lang, cuts) == _export_tokens_by_character(text, boundaries)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["Acme", "Corp", "'s", "-led", " ", " ", "  ", "\n", "\t", "\u3000", "😀", "e\u0301",
                                 ".", ",", "U.S.", "5,000", "$", "(", ")", '"', "東京"]), max_size=16).map("".join),
       st.sets(st.integers(0, 50), max_size=6))
def test_evenly_spaced_words_are_the_export_words(text, cuts):
    """The words read at once from an evenly spaced English sentence are the words made token by
    token (spaCy's and Prodigy's), and so are the spans on them; other sentences are left to the
    token by token way (None)."""
    from tagline.annotate.formats.tokens import evenly_spaced_words, spaced_words, word_spans

    cuts = {cut for cut in cuts if cut <= len(text)}
    expected = spaced_words(text, "en", cuts)
    even = evenly_spaced_words(text, "en", cuts)
    if even is None:
        return
    words, starts = even
    assert [(start, start + len(word.rstrip(" ")), word.endswith(" ")) for word, start in zip(words, starts)] == \
        expected
    assert starts[-1] == len(text)
    spans = [{"start": start, "end": end, "label": "X"} for start in sorted(cuts) for end in sorted(cuts) if end > start]
    assert word_spans(words, starts, spans) == token_spans(expected, spans)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["Acme", "Corp", "'s", "-led", " ", "  ", "\n", ".", ",", "U.S.", "5,000", "$", "("]),
                max_size=16).map("".join),
       st.sets(st.integers(-2, 60), max_size=8))
def test_an_evenly_spaced_sentence_is_read_at_once_exactly_when_no_cut_is_inside_a_word(text, cuts):
    from tagline.annotate.formats.tokens import EN_TOKEN, evenly_spaced_words

    even = evenly_spaced_words(text, "en", cuts)
    evenly_spaced = bool(text) and text[0] != " " and "  " not in text and text.isprintable()
    inside = any(start < cut < end for start, end in (match.span() for match in EN_TOKEN.finditer(text))
                 for cut in cuts)
    assert (even is not None) == (evenly_spaced and not inside)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12), st.sampled_from("AB")), max_size=6))
def test_flat_spans_keep_the_earliest_then_longest_and_leave_out_what_overlaps_them(bounds):
    from tagline.annotate.formats.tokens import flat_spans

    spans = [{"start": start, "end": end, "label": label} for start, end, label in bounds]
    kept: list[dict] = []
    dropped: list[dict] = []
    for span in sorted(spans, key=lambda s: (s["start"], -s["end"], s["label"])):
        (dropped if kept and span["start"] < kept[-1]["end"] else kept).append(span)
    assert flat_spans(spans) == (kept, dropped)


def test_a_sentence_with_uneven_space_or_a_cut_inside_a_word_is_not_read_at_once():
    from tagline.annotate.formats.tokens import evenly_spaced_words

    assert evenly_spaced_words("Acme Corp said so.", "en", {0, 9}) is not None
    assert evenly_spaced_words("Acme-led talks.", "en", {4}) is None  # "Acme" inside "Acme-led"
    assert evenly_spaced_words("Acme  Corp.", "en", set()) is None
    assert evenly_spaced_words(" Acme.", "en", set()) is None
    assert evenly_spaced_words("Acme\nCorp.", "en", set()) is None
    assert evenly_spaced_words("東京で会議", "ja", set()) is None
