"""Sentence segmentation: Japanese rules, the sample article's gold boundaries, English, exact offsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.corpus.sample import sample_article_path, sample_gold_sentences
from tagline.corpus.segment import detect_lang, segment


def texts(text: str, lang: str) -> list[str]:
    return [text[start:end] for start, end in segment(text, lang)]


def test_sample_article_matches_hand_checked_gold_exactly():
    article = sample_article_path().read_text(encoding="utf-8")
    gold = sample_gold_sentences()
    assert texts(article, "ja") == gold
    assert len(gold) == 77
    quote = [s for s in gold if "と述べています" in s and "お金は決して問題" in s]
    assert quote == ["梁文峰は、「私たちにとってお金は決して問題ではありませんでした。高度なチップの出荷禁止が問題なのです」と述べています。"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("一文目。二文目！三文目？", ["一文目。", "二文目！", "三文目？"]),
        ("本当に！？そうだ。", ["本当に！？", "そうだ。"]),
        ("half-width!? ok.", ["half-width!?", "ok."]),
        ("見出し\n本文です。", ["見出し", "本文です。"]),
        ("彼は「準備はできた。始めよう」と述べた。次だ。", ["彼は「準備はできた。始めよう」と述べた。", "次だ。"]),
        ("『題名。副題』を読んだ。", ["『題名。副題』を読んだ。"]),
        ("注記(詳細は後述。)がある。終わり。", ["注記(詳細は後述。)がある。", "終わり。"]),
        ("（全角。括弧）も同じ。", ["（全角。括弧）も同じ。"]),
        ("「おはよう。」「こんにちは。」", ["「おはよう。」", "「こんにちは。」"]),
        ("閉じない「括弧。次の文。", ["閉じない「括弧。", "次の文。"]),
        ("　全角空白で始まる。  ", ["全角空白で始まる。"]),
        ("行1。\r\n行2\r行3。", ["行1。", "行2", "行3。"]),
    ],
)
def test_japanese_rules(text, expected):
    assert texts(text, "ja") == expected


def test_english_sentences_and_abbreviations():
    text = "Dr. Smith paid $5.6 million in Jan. 2025. He said, \"It works.\" Then he left.\n\nA new paragraph here."
    assert texts(text, "en") == [
        "Dr. Smith paid $5.6 million in Jan. 2025.",
        "He said, \"It works.\"",
        "Then he left.",
        "A new paragraph here.",
    ]


def test_english_quotation_of_several_sentences_stays_whole():
    # As Japanese rule 4 keeps 「…。…」 with its reporting clause.
    assert texts('He said, "We will win. They will lose." Then he left.', "en") == [
        'He said, "We will win. They will lose."', "Then he left."]
    assert texts("She asked, \u201cWhy? Who knows.\u201d No.", "en") == ["She asked, \u201cWhy? Who knows.\u201d", "No."]
    assert texts('"Yes." "No." Done.', "en") == ['"Yes."', '"No."', "Done."]  # quotations back to back


def test_english_sentence_is_not_cut_after_a_semicolon():
    # syntok cuts here (before a capital after ';'); an English sentence never ends with ';'.
    assert texts("And we're now at 90 percent of coverage; I'm going to get us to 100 percent. And then more.",
                 "en") == ["And we're now at 90 percent of coverage; I'm going to get us to 100 percent.", "And then more."]
    assert texts("Three areas: Achieving prosperity; America's direction; and securing America. Good.", "en") == [
        "Three areas: Achieving prosperity; America's direction; and securing America.", "Good."]
    assert texts("A list;\n\nNew paragraph.", "en") == ["A list;", "New paragraph."]  # never across paragraphs


def test_english_stray_quotes_join_nothing():
    # An inch mark, or a quotation never closed, must not swallow the sentences after it.
    assert texts('He is 6" tall. I am not. "Yes. No." End.', "en") == [
        'He is 6" tall.', "I am not.", '"Yes. No."', "End."]
    assert texts('An open "quote. Never closed. Next.', "en") == ['An open "quote.', "Never closed.", "Next."]
    # A quote after a dash or before a space closes (an interrupted quotation): it opens nothing.
    assert texts('She cried "Wait\u2014" He left. She said:"No. Stop." Fine.', "en") == [
        'She cried "Wait\u2014" He left.', 'She said:"No. Stop."', "Fine."]
    assert texts('He said "Go. " Then he left. It was 6" long.', "en") == [
        'He said "Go. " Then he left.', 'It was 6" long.']
    assert texts('She said\u3000"We will win. They will lose." Then he left.', "en") == [
        'She said\u3000"We will win. They will lose."', "Then he left."]
    assert texts('He said, "Go.\n\nNew paragraph." Yes.', "en")[0] == 'He said, "Go.'  # never across paragraphs


def test_english_repeated_sentence_gets_its_own_offsets():
    text = "Yes. Yes. No."
    assert segment(text, "en") == [(0, 4), (5, 9), (10, 13)]


def test_detect_lang():
    assert detect_lang(sample_article_path().read_text(encoding="utf-8")) == "ja"
    assert detect_lang("DeepSeek released R1 this week.") == "en"
    assert detect_lang("DeepSeekはR1を公開した。") == "ja"


JA_ALPHABET = st.sampled_from(list("あいうアイウ漢字ABc1 　。！？!?「」『』（）()\n\r\"“”") + ["😀", "e\u0301", "Mr. "])


@settings(max_examples=300, deadline=None)
@given(st.lists(JA_ALPHABET, max_size=80).map("".join), st.sampled_from(["ja", "en"]))
def test_offsets_are_exact_ordered_and_stripped(text, lang):
    spans = segment(text, lang)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip()
        if lang == "ja":
            assert "\n" not in piece and "\r" not in piece
        previous_end = end
    # Nothing but white space is left between sentences.
    covered = "".join(text[s:e] for s, e in spans)
    assert "".join(text.split()).replace("\u3000", "") == "".join(covered.split()).replace("\u3000", "")
