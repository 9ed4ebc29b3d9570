"""``tokenize_many``: the words and offsets of many texts at once are those of ``tokenize`` on each
text, whatever whitespace MeCab skips between, before or after the words, in any mix of texts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.corpus.tokenize import tokenize, tokenize_many

AWKWARD = [
    "DeepSeekは5000億ドルを調達した。",  # words end to end
    "Jensen Huang は  東京\u3000で 話した。",  # spaces MeCab skips, an ideographic space it keeps
    " 東京で話した。",  # whitespace before the first word
    "東京で話した。 ",  # and after the last
    "東京\tで話した。",  # a tab: MeCab's output cannot be read back, fugashi's words are used
    "東京\nで\r話した\u2003。",
    "x\u00a0y",
    "x\u00d0y\x0bz",  # characters MeCab's dictionary may class as whitespace though Python does not
    "",
    "   ",
    "\u3000",
    "The senator said so; nobody agreed.",
    "東京\x00で話した",  # a NUL, which ends the words MeCab writes (and tokenize's with them)
]


def as_lists(texts, langs):
    token_lists, starts, ends = tokenize_many(texts, langs)
    bounds = np.asarray(token_lists.offsets)
    return [(token_lists[k].as_py(), list(zip(starts[bounds[k]:bounds[k + 1]].tolist(),
                                               ends[bounds[k]:bounds[k + 1]].tolist())))
            for k in range(len(texts))]


def expected(texts, langs):
    result = []
    for text, lang in zip(texts, langs):
        offsets = tokenize(text, lang)
        result.append(([text[s:e] for s, e in offsets], offsets))
    return result


def test_awkward_texts_get_tokenize_s_words_and_offsets_in_their_order():
    texts = AWKWARD + AWKWARD[::-1]
    langs = ["en" if text.startswith("The") else "ja" for text in texts]
    got = as_lists(texts, langs)
    assert got == expected(texts, langs)
    assert got[1][0][:3] == ["Jensen", "Huang", "は"] and got[1][1][:3] == [(0, 6), (7, 12), (13, 14)]


def test_texts_with_only_plain_japanese_or_none_at_all():
    for texts in ([AWKWARD[0]] * 3, [], ["The end."]):
        langs = ["en" if text.startswith("The") else "ja" for text in texts]
        assert as_lists(texts, langs) == expected(texts, langs)


def test_arrow_arrays_sliced_or_large_are_read_from_mecab_s_lengths(monkeypatch):
    import pyarrow as pa

    from tagline.corpus import tokenize as module

    texts = ["DeepSeekは5000億ドルを調達した。", "Jensen Huang は  東京\u3000で 話した。", " 東京で話した。", "😀絵文字です"]
    langs = ["ja"] * len(texts)
    want = expected(texts, langs)
    monkeypatch.setattr(module, "tokenize", lambda text, lang: pytest.fail(f"{text!r} was not read from the lengths"))
    for kind in (pa.string(), pa.large_string()):
        whole = pa.array(["前の文。"] + texts, kind)
        assert as_lists(whole.slice(1), pa.array(langs)) == want  # a slice: its data starts past the first text


PIECES = ["東京", "で", "話した", "。", "AI", "Jensen", "Huang", "5000億ドル", "テキサス州", " ", "  ", "\u3000",
          "\n", "\t", "\r", "\u00a0", "\u00d0", "\x0b", "\x00", "a", "、"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(PIECES), max_size=12), st.sampled_from(["ja", "ja", "en"])),
                max_size=8))
def test_any_mix_of_texts_gets_tokenize_s_words_and_offsets(rows):
    texts = ["".join(pieces) for pieces, _ in rows]
    langs = [lang for _, lang in rows]
    assert as_lists(texts, langs) == expected(texts, langs)


def test_a_text_whose_own_lengths_fall_short_of_it_is_parsed_again_with_the_whitespace(monkeypatch):
    import re

    from tagline.corpus import tokenize as module

    texts = ["Jensen Huang は  東京で話した。", "東京で話した。", "東京\nで\x0b話した 。", " 東京で"]
    langs = ["ja"] * len(texts)
    want = expected(texts, langs)
    asked = []
    parse_of = module._mecab

    def recording(output_format=""):
        tagger = parse_of(output_format)
        return type("Recording", (), {"parse": staticmethod(lambda text: asked.append((output_format, text))
                                                            or tagger.parse(text))})

    monkeypatch.setattr(module, "_mecab", recording)
    monkeypatch.setattr(module, "tokenize", lambda text, lang: pytest.fail(f"{text!r} was not read from the lengths"))
    assert as_lists(texts, langs) == want  # whitespace found by the pattern: asked for it at once
    assert [text for form, text in asked if form == module._OWN_LENGTHS_FORMAT] == [texts[1]]
    asked.clear()
    monkeypatch.setattr(module, "_MECAB_SKIPS", re.compile("(?!)"))  # whitespace the pattern does not know of
    assert as_lists(texts, langs) == want
    assert [text for form, text in asked if form == module._OWN_LENGTHS_FORMAT] == texts
    assert [text for form, text in asked if form == module._LENGTHS_FORMAT] == [texts[0], texts[2], texts[3]]


def test_texts_asked_for_the_whitespace_at_once_or_after_their_own_lengths_come_back_in_row_order(monkeypatch):
    import re

    from tagline.corpus import tokenize as module

    texts = ["Jensen Huang は  東京で話した。", "東京\nで\x0b話した 。", " 東京で"]
    langs = ["ja"] * len(texts)
    want = expected(texts, langs)
    monkeypatch.setattr(module, "tokenize", lambda text, lang: pytest.fail(f"{text!r} was not read from the lengths"))
    # The first found by the pattern, the others only once their own lengths fall short: every text is
    # parsed the second way, the first of them first in the pattern's list but last in the rows.
    monkeypatch.setattr(module, "_MECAB_SKIPS", re.compile("Jensen"))
    assert as_lists(texts, langs) == want


def test_english_initialisms_and_numbers_with_thousands_separators_are_one_token():
    # "U.S" + "." and "275" + "," + "000" were the tokens of the CoNLL and spaCy exports and of the CRF.
    from tagline.corpus.tokenize import tokenize

    text = "The U.S. economy added 275,000 jobs, 5,000, at 3 p.m.; the index hit 4,512.3 in the U.S.A today."
    assert [text[start:end] for start, end in tokenize(text, "en")] == [
        "The", "U.S.", "economy", "added", "275,000", "jobs", ",", "5,000", ",", "at", "3", "p.m.", ";", "the",
        "index", "hit", "4,512.3", "in", "the", "U.S.A", "today", "."]
    short = "Counts 1,2 and 12,3456"  # not thousands: split as before
    assert [short[start:end] for start, end in tokenize(short, "en")] == [
        "Counts", "1", ",", "2", "and", "12", ",", "3456"]
