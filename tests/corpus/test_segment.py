"""Sentence segmentation: Japanese rules, the sample article's gold boundaries, English, exact offsets."""

from __future__ import annotations

import re

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


def test_english_headline_without_punctuation_is_a_sentence_of_its_own():
    text = ("U.S. Tightens Chip Rules as DeepSeek Gains Ground\n"
            "The U.S. Commerce Dept. said on Monday that exports of advanced chips to China would need a licence.")
    assert texts(text, "en") == [
        "U.S. Tightens Chip Rules as DeepSeek Gains Ground",
        "The U.S. Commerce Dept. said on Monday that exports of advanced chips to China would need a licence."]
    # Longer than the line after it, so only its title case shows it is not a wrapped line.
    text = "U.S. Tightens Chip Rules as DeepSeek Gains Ground\r\nThe U.S. Commerce Dept. said so."
    assert texts(text, "en") == ["U.S. Tightens Chip Rules as DeepSeek Gains Ground", "The U.S. Commerce Dept. said so."]
    # A heading in sentence case, shorter than the paragraph's lines, and a list.
    assert texts("Why it matters\nChip exports to China fell by half last year, the department said.", "en") == [
        "Why it matters", "Chip exports to China fell by half last year, the department said."]
    assert texts("Key points\n- Exports fell\n- Prices rose", "en") == ["Key points", "- Exports fell", "- Prices rose"]


PROSE = ("I told the committee that Hillary Clinton and Donald Trump had both spoken about the Commerce "
         "Department's rules, and I said that China would answer within weeks. It did. Then Senator Warren "
         "asked whether the U.S. Commerce Dept. had consulted Congress before acting, and Mr. Smith replied "
         "that it had not.")


def hard_wrapped(text: str, width: int) -> str:
    """Greedy wrapping as a text editor does it: a space becomes a line break where the next word would
    not fit, so the offsets do not move."""
    chars, line_length = list(text), 0
    for word in re.finditer(r"\S+", text):
        size = word.end() - word.start()
        if line_length and line_length + 1 + size > width:
            chars[word.start() - 1] = "\n"
            line_length = size
        else:
            line_length += size + (1 if line_length else 0)
    return "".join(chars)


@pytest.mark.parametrize("width", [30, 40, 50, 60, 72, 80])
def test_english_hard_wrapped_prose_keeps_its_sentences(width):
    wrapped = hard_wrapped(PROSE, width)
    assert "\n" in wrapped
    # Lines here end before capitalised words ("Hillary", "I", "Senator") as well as lowercase ones.
    assert segment(wrapped, "en") == segment(PROSE, "en")
    assert texts(PROSE, "en")[1:3] == ["It did.", "Then Senator Warren asked whether the U.S. Commerce Dept. had "
                                                   "consulted Congress before acting, and Mr. Smith replied that it had not."]


def test_english_line_going_on_in_lowercase_is_not_a_sentence_end():
    assert texts("The report was published\nlast week by the agency.\nIt was short.", "en") == [
        "The report was published\nlast week by the agency.", "It was short."]


def test_english_numbered_list_items_are_sentences_of_their_own():
    # Items without final punctuation: before, "Payrolls: +275,000\n2." came back as one sentence.
    text = "Key figures:\n\n1. Payrolls: +275,000\n2. Unemployment: 3.9%\n3) Wages: +4.3% y/y\n"
    assert texts(text, "en") == ["Key figures:", "1. Payrolls: +275,000", "2. Unemployment: 3.9%", "3) Wages: +4.3% y/y"]
    # One line starting with a number in wrapped prose is not a list.
    assert texts("The committee met on the fifth floor and voted\n2. members were absent that day.", "en") == [
        "The committee met on the fifth floor and voted\n2. members were absent that day."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gov. Gavin Newsom signed the bill.", ["Gov. Gavin Newsom signed the bill."]),
        ("Rep. Nancy Pelosi spoke. Lt. Gen. Smith agreed.", ["Rep. Nancy Pelosi spoke.", "Lt. Gen. Smith agreed."]),
        ("Sgt. Pepper and Rev. King met Hon. Judge Lee.", ["Sgt. Pepper and Rev. King met Hon. Judge Lee."]),
        ("We need more reps. Then we win.", ["We need more reps.", "Then we win."]),  # not a title
    ],
)
def test_english_sentence_is_not_cut_after_a_title(text, expected):
    assert texts(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The ratio rose to 1.5. Analysts cheered.", ["The ratio rose to 1.5.", "Analysts cheered."]),
        ("The index closed at 4,512.3. Traders were calm.", ["The index closed at 4,512.3.", "Traders were calm."]),
        ("Revenue was $3.2bn. Profit fell.", ["Revenue was $3.2bn.", "Profit fell."]),
        ('Its score was 7.5. "Critics" disagreed.', ["Its score was 7.5.", '"Critics" disagreed.']),
        ("It grew 2.5. percent, they said.", ["It grew 2.5. percent, they said."]),  # no capital after it
        ('He said, "It was 3.5. Then 4.5." We left.', ['He said, "It was 3.5. Then 4.5." We left.']),
    ],
)
def test_english_sentence_ending_with_a_decimal_number_ends_there(text, expected):
    # syntok never ends a sentence after a token with a "." inside, such as 1.5 or 3.2bn.
    assert texts(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It rose. 2024 was a good year.", ["It rose.", "2024 was a good year."]),
        ("Sales fell in 2023. 2024 will be better.", ["Sales fell in 2023.", "2024 will be better."]),
        ("Crowds of approx. 2000 people came.", ["Crowds of approx. 2000 people came."]),
        ("It happened at 10 a.m. Mr. Smith arrived late.", ["It happened at 10 a.m.", "Mr. Smith arrived late."]),
        ("It opens at 10 a.m. Eastern Time.", ["It opens at 10 a.m. Eastern Time."]),
    ],
)
def test_english_sentence_before_a_year_or_after_a_time_before_a_title(text, expected):
    # syntok never ends a sentence before a number of three digits or more, and keeps "a.m. Mr." whole.
    assert texts(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The iPhone 15 launched. iPhone sales rose.", ["The iPhone 15 launched.", "iPhone sales rose."]),
        ("Sales rose 5%. iOS 18 shipped.", ["Sales rose 5%.", "iOS 18 shipped."]),
        ("It grew (a lot). eBay fell.", ["It grew (a lot).", "eBay fell."]),
        ("The U.S. iPhone market grew.", ["The U.S. iPhone market grew."]),  # an initialism goes on
        ("It costs $5 approx. iPhone users pay more.", ["It costs $5 approx. iPhone users pay more."]),
        ("He asked Mr. eBay about it.", ["He asked Mr. eBay about it."]),
        ("The board is 6 ft. tall.", ["The board is 6 ft. tall."]),  # other lowercase starts stay joined
    ],
)
def test_english_sentence_beginning_with_a_name_in_lowercase_starts_there(text, expected):
    # syntok ends a sentence only before a capital.
    assert texts(text, "en") == expected


def test_english_dash_starting_a_wrapped_line_is_not_a_list_bullet():
    # One line that starts with "- " in a full paragraph is a dash that wrapping put there.
    assert texts("The plan was simple and everyone agreed to it\n- Congress would act first.", "en") == [
        "The plan was simple and everyone agreed to it\n- Congress would act first."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Washington, D.C. Critics disagree.", ["Washington, D.C.", "Critics disagree."]),
        ("We've got to strengthen the V.A. We do not privatize it.",
         ["We've got to strengthen the V.A.", "We do not privatize it."]),
        ("They made strides in the U.S. We\u2019re lifting up forgotten communities.",
         ["They made strides in the U.S.", "We\u2019re lifting up forgotten communities."]),
        ("Come to Melbourne at 5:00 p.m. I hope to see you there.", ["Come to Melbourne at 5:00 p.m.", "I hope to see you there."]),
        ("He joined Apple, Inc. Shares rose.", ["He joined Apple, Inc.", "Shares rose."]),
        ("Roads, bridges, etc. America must build.", ["Roads, bridges, etc.", "America must build."]),
        # A capitalised word that can go on with the name keeps the sentence whole.
        ("The U.S. Commerce Dept. said so.", ["The U.S. Commerce Dept. said so."]),
        ("Mr. Smith went to Washington.", ["Mr. Smith went to Washington."]),
        ("The U.N. Security Council met.", ["The U.N. Security Council met."]),
        ("Apple Inc. Chief Executive Tim Cook spoke.", ["Apple Inc. Chief Executive Tim Cook spoke."]),
        ("George H.W. Bush won.", ["George H.W. Bush won."]),
        ("Washington, D.C., Mayor Bowser said so.", ["Washington, D.C., Mayor Bowser said so."]),
        ("Tools, i.e. Hammers, help.", ["Tools, i.e. Hammers, help."]),
    ],
)
def test_english_abbreviation_that_ends_a_sentence(text, expected):
    assert texts(text, "en") == expected


def test_english_repeated_sentence_gets_its_own_offsets():
    text = "Yes. Yes. No."
    assert segment(text, "en") == [(0, 4), (5, 9), (10, 13)]


def test_detect_lang():
    assert detect_lang(sample_article_path().read_text(encoding="utf-8")) == "ja"
    assert detect_lang("DeepSeek released R1 this week.") == "en"
    assert detect_lang("DeepSeekはR1を公開した。") == "ja"


JA_ALPHABET = st.sampled_from(list("あいうアイウ漢字ABc1 　。！？!?「」『』（）()\n\r\"“”,") + [
    "😀", "e\u0301", "Mr. ", "U.S. ", "D.C. ", "etc. ", "He ", "Word "])


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


_PLAIN_PIECES = ["The", "It", "Mr", "Dr", "Inc", "Corp", "etc", "No", "no", "I", "II", "A", "a", "U", "S", "e", "g",
                 "Jan", "12", "5,000", "3rd", "$5", "40%", "item", "said", "Acme", "rose", "x", "'s", "\"", "'", ",",
                 ":", "-", "/", "&", "*", "+", "=", "@", "#", " ", " ", " "]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PLAIN_PIECES), min_size=1, max_size=14).map("".join),
       st.sampled_from(["", ".", "!", "?"]))
def test_a_plain_english_sentence_is_known_to_be_one_without_segmenting_it(body, end):
    from tagline.corpus.segment import _segment_en, is_one_english_sentence

    text = body + end
    if is_one_english_sentence(text):  # what syntok and the rules after it make of it, and segment() gives
        assert list(_segment_en(text)) == segment(text, "en") == [(0, len(text))]


def test_a_plain_english_sentence_is_segmented_without_syntok(monkeypatch):
    from tagline.corpus import segment as segmenting

    def refuse(text):
        raise AssertionError(f"syntok asked to segment {text!r}")

    monkeypatch.setattr(segmenting, "_segment_en", refuse)
    text = "Acme Corp said on Monday that profits rose by $5 million, item 12."
    assert segment(text, "en") == [(0, len(text))]
    with pytest.raises(AssertionError, match="syntok asked"):
        segment("It rose. It fell.", "en")


def test_what_may_be_several_sentences_is_not_called_one():
    from tagline.corpus.segment import is_one_english_sentence

    assert is_one_english_sentence("Acme Corp said on Monday that profits rose by $5 million, item 12.")
    for text in ("It rose. It fell.", "It rose (a lot) today", "It rose; it fell", "Two  spaces", " lead",
                 "trail ", "line\nbreak", "U.S. officials", "Wait...", "¿Qué?", ""):
        assert not is_one_english_sentence(text)
