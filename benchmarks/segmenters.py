"""Sentence segmenters compared on gold sentences: accuracy, offset exactness and speed.

Japanese: tagline's bracket-aware splitter, a naive 。！？ regex and ja-sentence-segmenter (when it is
installed) on the sample article against its hand-checked gold sentences. English: tagline (syntok),
syntok (when it is installed) and a naive regex on debate transcripts from ../shared, whose own
sentence lines are the gold; then tagline and syntok again on the same transcripts laid out with
single line breaks (a sentence a line, hard-wrapped at 72 and 40 columns), for tagline's line
rules. Every segmenter's spans are checked to index the text exactly.

    python benchmarks/segmenters.py [--runs 5] [--en-split test_annotated|training|all]
                                    [--en-speed-chars 100000] [--show-errors 0]

Speed is chars/s, the median of --runs runs, and as a ratio to the naive regex of the same language
measured in the same run, so the ratio is what compares across machines. The extra segmenters live
outside tagline's dependencies: pip install syntok ja-sentence-segmenter in a scratch environment.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime
import functools
import importlib.metadata
import platform
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "src" / "tagline" / "samples"
JA_TEXT = SAMPLES / "deepseek_ja.txt"
JA_GOLD = SAMPLES / "deepseek_ja.sentences.txt"
CLEF = REPO.parent / "shared" / "datasets" / "clef2019-checkthat-task1"
SPACE = " \t\u3000\u00a0\ufeff\r\n"

Span = tuple[int, int]

# The checkout's own source comes first: an installed tagline (an editable install of another
# checkout, say) would otherwise be the one measured.
sys.path.insert(0, str(REPO / "src"))


@dataclass
class Result:
    name: str
    note: str = ""
    predicted: int = 0
    exact: int = 0
    gold: int = 0
    boundary_hits: int = 0
    predicted_boundaries: int = 0
    gold_boundaries: int = 0
    offsets: str = ""
    chars_per_s: float = 0.0
    spans: list[Span] | None = None

    @property
    def precision(self) -> float:
        return self.boundary_hits / self.predicted_boundaries if self.predicted_boundaries else 1.0

    @property
    def recall(self) -> float:
        return self.boundary_hits / self.gold_boundaries if self.gold_boundaries else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass
class Segmenter:
    """``run`` returns offsets (``spans=True``) or sentence strings to be located in the text."""

    name: str
    run: Callable[[str], Sequence]
    spans: bool
    note: str = ""


# ---------------------------------------------------------------- offsets and scoring


def strip_span(text: str, start: int, end: int) -> Span:
    while start < end and text[start] in SPACE:
        start += 1
    while end > start and text[end - 1] in SPACE:
        end -= 1
    return start, end


def locate(text: str, pieces: Iterable[str]) -> tuple[list[Span], int]:
    """Find each sentence string in ``text`` from a moving cursor; return the spans and how many
    strings were not found verbatim (a segmenter that rewrites characters loses those)."""
    spans: list[Span] = []
    missing = 0
    cursor = 0
    for piece in pieces:
        piece = piece.strip(SPACE)
        if not piece:
            continue
        found = text.find(piece, cursor)
        if found < 0:
            missing += 1
            continue
        spans.append((found, found + len(piece)))
        cursor = found + len(piece)
    return spans, missing


def offset_problems(text: str, spans: list[Span]) -> list[str]:
    """Exactness: spans in order, not overlapping, stripped, and together covering every visible
    character (so no text was dropped or rewritten on the way)."""
    problems = []
    previous_end = 0
    for start, end in spans:
        if not 0 <= start < end <= len(text):
            problems.append(f"span ({start}, {end}) outside the text")
            continue
        if start < previous_end:
            problems.append(f"span ({start}, {end}) overlaps or goes backwards")
        if text[start] in SPACE or text[end - 1] in SPACE:
            problems.append(f"span ({start}, {end}) has surrounding white space")
        gap = text[previous_end:start] if start >= previous_end else ""
        if gap.strip(SPACE):
            problems.append(f"text {gap.strip(SPACE)[:30]!r} before {start} is in no sentence")
        previous_end = max(previous_end, end)
    if text[previous_end:].strip(SPACE):
        problems.append(f"text {text[previous_end:].strip(SPACE)[:30]!r} at the end is in no sentence")
    return problems


def score(name: str, text: str, gold: list[Span], paragraph_ends: set[int], output: Sequence,
          given_spans: bool) -> Result:
    """Exact sentence matches and boundary P/R/F1.

    A boundary is a sentence end inside a paragraph: paragraph ends (line ends in Japanese, blank
    lines in English) are given to every segmenter, so they are left out of P/R/F1 rather than
    inflating it. Exact matches count every sentence, headings and paragraph-final ones included.
    """
    if given_spans:
        spans = [tuple(span) for span in output]
        missing = 0
    else:
        spans, missing = locate(text, output)
    problems = offset_problems(text, spans)
    if missing:
        offsets = f"{missing} not in text"
    elif problems:
        offsets = f"{len(problems)} bad"
    else:
        offsets = "exact"
    gold_set = set(gold)
    exact = sum(1 for span in spans if span in gold_set)
    gold_bounds = {end for _, end in gold} - paragraph_ends
    pred_bounds = {end for _, end in spans} - paragraph_ends
    return Result(name, predicted=len(spans) + missing, exact=exact, gold=len(gold),
                  boundary_hits=len(gold_bounds & pred_bounds), predicted_boundaries=len(pred_bounds),
                  gold_boundaries=len(gold_bounds), offsets=offsets, spans=spans)


def chars_per_second(segmenter: Segmenter, texts: list[str], runs: int) -> float:
    """Median over ``runs`` of chars/s on ``texts``; string output is located in the text too, since
    a segmenter whose offsets must be recovered pays for that in real use."""
    total = sum(len(text) for text in texts)
    segmenter.run(texts[0])  # warm up: lazy imports, compiled regexes, caches
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        for text in texts:
            output = segmenter.run(text)
            if not segmenter.spans:
                locate(text, output)
        timings.append(time.perf_counter() - started)
    return total / statistics.median(timings)


# ---------------------------------------------------------------- segmenters


_JA_NAIVE = re.compile(r"[^。！？\r\n]*[。！？]+|[^。！？\r\n]+")


def naive_ja(text: str) -> list[Span]:
    """Split after every 。！？ and at every line break; brackets are ignored."""
    return [strip_span(text, *match.span()) for match in _JA_NAIVE.finditer(text) if match.group().strip(SPACE)]


_EN_NAIVE = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


def naive_en(text: str) -> list[Span]:
    """Split where . ! or ? is followed by white space, and at blank lines."""
    spans = []
    start = 0
    for match in _EN_NAIVE.finditer(text):
        span = strip_span(text, start, match.start())
        if span[0] < span[1]:
            spans.append(span)
        start = match.end()
    span = strip_span(text, start, len(text))
    if span[0] < span[1]:
        spans.append(span)
    return spans


def tagline_segmenter(lang: str, note: str) -> Segmenter:
    from tagline.corpus.segment import segment

    name = f"tagline ({'rules' if lang == 'ja' else 'syntok'})"
    return Segmenter(name, lambda text: segment(text, lang), True, note)


def pysbd_segmenter() -> Segmenter | None:
    """pysbd, which tagline used for English before this benchmark (per paragraph, offsets found
    from a cursor). Optional: only when pysbd is installed."""
    try:
        import pysbd
    except ImportError:
        return None
    segmenter = pysbd.Segmenter(language="en", clean=False)

    def run(text: str) -> list[Span]:
        spans = []
        for paragraph in re.finditer(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*\Z)", text, re.S):
            cursor = 0
            body = paragraph.group()
            for sentence in segmenter.segment(body):
                piece = sentence.strip()
                found = body.find(piece, cursor) if piece else -1
                if found < 0:
                    continue
                spans.append((paragraph.start() + found, paragraph.start() + found + len(piece)))
                cursor = found + len(piece)
        return spans

    return Segmenter(f"pysbd {importlib.metadata.version('pysbd')}", run, True,
                     "pysbd per paragraph, offsets found from a cursor (tagline's English segmenter before)")


def ja_sentence_segmenter() -> tuple[Segmenter | None, Callable[[str], list[str]] | None, str]:
    """ja-sentence-segmenter as its README wires it (split lines, join a line ending in の to the
    next, split at punctuation), minus the ``normalize`` step, which rewrites characters (！→!,
    ( → （) and so breaks offsets. Without normalize, full-width ！？ must be given explicitly."""
    try:
        from ja_sentence_segmenter.common.pipeline import make_pipeline
        from ja_sentence_segmenter.concatenate.simple_concatenator import concatenate_matching
        from ja_sentence_segmenter.normalize.neologd_normalizer import normalize
        from ja_sentence_segmenter.split.simple_splitter import split_newline, split_punctuation
    except ImportError:
        return None, None, "ja-sentence-segmenter is not installed (pip install ja-sentence-segmenter)"
    version = importlib.metadata.version("ja-sentence-segmenter")
    concat_tail_no = functools.partial(concatenate_matching, former_matching_rule=r"^(?P<result>.+)(の)$",
                                       remove_former_matched=False, max_concatenate_length=10000)
    raw = make_pipeline(split_newline, concat_tail_no,
                        functools.partial(split_punctuation, punctuations=r"。！？!?"))
    readme = make_pipeline(normalize, split_newline, concat_tail_no,
                           functools.partial(split_punctuation, punctuations=r"。!?"))
    segmenter = Segmenter(f"ja-sentence-segmenter {version}", lambda text: list(raw(text)), False,
                          "no normalize; 。！？!? given")
    return segmenter, lambda text: list(readme(text)), ""


def syntok_segmenter() -> tuple[Segmenter | None, str]:
    try:
        import syntok.segmenter as syntok_segmenter_module
    except ImportError:
        return None, "syntok is not installed (pip install syntok)"
    version = importlib.metadata.version("syntok")

    def run(text: str) -> list[Span]:
        # syntok gives token offsets into the text; a sentence runs from its first token to the end of
        # its last. Token values can differ from the text ("n't" -> "not"), the offsets do not.
        spans = []
        for paragraph in syntok_segmenter_module.analyze(text):
            for sentence in paragraph:
                if sentence:
                    last = sentence[-1]
                    spans.append((sentence[0].offset, last.offset + len(last.value)))
        return spans

    return Segmenter(f"syntok {version}", run, True, "token offsets"), ""


# Rule cases the sample article does not contain: (text, the segments a reader expects).
JA_RULE_CASES = [
    ("彼は「準備はできた。始めよう」と述べた。次だ。",
     ["彼は「準備はできた。始めよう」と述べた。", "次だ。"]),
    ("「はい。」「いいえ。」", ["「はい。」", "「いいえ。」"]),
    ("『題名。副題』を読んだ。", ["『題名。副題』を読んだ。"]),
    ("本文（注。補足。）は続く。", ["本文（注。補足。）は続く。"]),
    ("彼は「行く。」と言った。", ["彼は「行く。」と言った。"]),
    ("「彼は『行く。』と言った。」と書いた。",
     ["「彼は『行く。』と言った。」と書いた。"]),
    ("本当に！？信じられない。", ["本当に！？", "信じられない。"]),
    ("閉じない「括弧。次の文。", ["閉じない「括弧。", "次の文。"]),
    ("見出し\n本文だ。", ["見出し", "本文だ。"]),
]


def rule_cases_passed(segmenter: Segmenter) -> int:
    passed = 0
    for text, expected in JA_RULE_CASES:
        output = segmenter.run(text)
        spans = list(output) if segmenter.spans else locate(text, output)[0]
        passed += [text[start:end] for start, end in spans] == expected
    return passed


# ---------------------------------------------------------------- data


def japanese_data() -> tuple[str, list[Span], set[int]]:
    text = JA_TEXT.read_text(encoding="utf-8")
    sentences = [line.strip(SPACE) for line in JA_GOLD.read_text(encoding="utf-8").splitlines()]
    gold: list[Span] = []
    cursor = 0
    for number, sentence in enumerate(sentences, 1):
        if not sentence:
            continue
        found = text.find(sentence, cursor)
        if found < 0:
            sys.exit(f"{JA_GOLD.relative_to(REPO)}:{number}: sentence not found in {JA_TEXT.name} after "
                     f"offset {cursor}: the gold file and the article disagree; fix the gold line")
        gold.append((found, found + len(sentence)))
        cursor = found + len(sentence)
    paragraph_ends = {strip_span(text, *match.span())[1] for match in re.finditer(r"[^\r\n]+", text)}
    return text, gold, paragraph_ends


@dataclass
class EnglishDocument:
    name: str
    text: str
    gold: list[Span]
    paragraph_ends: set[int]


def english_data(split: str) -> list[EnglishDocument]:
    """One document per debate file: consecutive lines of one speaker are joined with a space into a
    paragraph, paragraphs are separated by a blank line, and the file's lines are the gold sentences.
    SYSTEM lines (audience reactions such as (APPLAUSE)) end a paragraph and are left out."""
    folders = {"test_annotated": ["test_annotated"], "training": ["training"],
               "all": ["training", "test_annotated"]}[split]
    documents = []
    for folder in folders:
        for path in sorted((CLEF / folder).glob("*.tsv")):
            paragraphs: list[list[str]] = []
            speaker = None
            with path.open(encoding="utf-8", newline="") as handle:
                # A field holding ; or " is CSV-quoted, its quotes doubled: csv undoes that.
                for row in csv.reader(handle, delimiter="\t"):
                    sentence = " ".join(row[2].split())
                    if row[1] == "SYSTEM" or not sentence:
                        speaker = None
                        continue
                    if row[1] != speaker:
                        paragraphs.append([])
                        speaker = row[1]
                    paragraphs[-1].append(sentence)
            text_parts, gold, paragraph_ends, offset = [], [], set(), 0
            for paragraph in paragraphs:
                for index, sentence in enumerate(paragraph):
                    if index:
                        text_parts.append(" ")
                        offset += 1
                    gold.append((offset, offset + len(sentence)))
                    text_parts.append(sentence)
                    offset += len(sentence)
                paragraph_ends.add(offset)
                text_parts.append("\n\n")
                offset += 2
            documents.append(EnglishDocument(f"{folder}/{path.name}", "".join(text_parts), gold, paragraph_ends))
    return documents


def one_line_per_sentence(document: EnglishDocument) -> EnglishDocument:
    """The same document with each gold sentence on a line of its own: the space between two gold
    sentences of a paragraph becomes a line break, so the offsets and the gold stay as they are."""
    text = list(document.text)
    for _, end in document.gold:
        if end not in document.paragraph_ends:
            text[end] = "\n"
    return EnglishDocument(document.name, "".join(text), document.gold, document.paragraph_ends)


def hard_wrapped(document: EnglishDocument, width: int) -> EnglishDocument:
    """The same document with each paragraph wrapped greedily at ``width`` columns, as a text
    editor or email client does: a space becomes a line break where the next word would not fit.
    Only spaces change, so the offsets and the gold stay as they are."""
    text = list(document.text)
    for paragraph in re.finditer(r"[^\n]+", document.text):
        line_length = 0
        for word in re.finditer(r"\S+", paragraph.group()):
            size = word.end() - word.start()
            if line_length and line_length + 1 + size > width:
                text[paragraph.start() + word.start() - 1] = "\n"
                line_length = size
            else:
                line_length += size + (1 if line_length else 0)
    return EnglishDocument(document.name, "".join(text), document.gold, document.paragraph_ends)


_FINAL_STOP = re.compile(r"[.!?][\"'”’)]*$")
_FINAL_ABBREVIATION = re.compile(r"(?:\b[A-Za-z]\.){2,}$|\b(?:Inc|Ltd|Co|Corp|Jr|Sr|etc)\.$")


def miss_kinds(document: EnglishDocument, result: Result) -> Iterable[str]:
    """Name the likely cause of each gold sentence the segmenter did not reproduce exactly."""
    spans = result.spans or []
    predicted = set(spans)
    starts = [start for start, _ in spans]

    for start, end in document.gold:
        if (start, end) in predicted:
            continue
        sentence = document.text[start:end]
        first = max(bisect.bisect_right(starts, start) - 1, 0)
        cover = [span for span in spans[first:first + 50] if span[0] < end and span[1] > start]
        if len(cover) == 1 and cover[0][0] <= start and cover[0][1] >= end:
            merged = document.text[cover[0][0]:cover[0][1]]
            if merged.count(" -- ") >= 2:
                yield "merged across a ' -- … -- ' pair"
            elif _FINAL_ABBREVIATION.search(sentence):
                yield "merged after an abbreviation (U.S., D.C.)"
            elif not _FINAL_STOP.search(sentence):
                yield "merged, gold line has no final . ! ?"
            else:
                yield "merged, other"
        elif len(cover) > 1:
            if any(document.text[span[1]:span[1] + 1] == "\n"
                   and not _FINAL_STOP.search(document.text[span[0]:span[1]]) for span in cover[:-1]):
                yield "split at a line break after no final . ! ?"
            elif "..." in sentence:
                yield "split at '...'"
            elif re.search(r"[\"“][^\"”]*[.!?] ", sentence):
                yield "split inside a quotation"
            elif any(document.text[span[1] - 1] == ";" for span in cover):
                yield "split at ';'"
            else:
                yield "split, other"
        else:
            yield "other"


def cut_off_lines(documents: list[EnglishDocument]) -> int:
    """Gold sentences with no final . ! ? that the same speaker goes on after ("Let me —" and then
    a new line): speech broken off and restarted. No punctuation-based segmenter can end them."""
    count = 0
    for document in documents:
        for start, end in document.gold:
            if end not in document.paragraph_ends and not _FINAL_STOP.search(document.text[start:end]):
                count += 1
    return count


# ---------------------------------------------------------------- report


def display_width(cell: str) -> int:
    """Terminal columns of ``cell``: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in cell)


def ratio_text(ratio: float) -> str:
    """Speed relative to the naive regex: slower ones as 1/N, which reads better than 0.0048."""
    if ratio <= 0 or ratio >= 1:
        return f"{ratio:.2f}"
    slower = 1 / ratio
    return f"1/{slower:.1f}" if slower < 10 else f"1/{slower:.0f}"


def accuracy_cells(result: Result) -> list[str]:
    """sentences, exact match, P, R, F1 and offsets, as printed in the tables."""
    share = f"{result.exact}/{result.gold} ({result.exact / result.gold:.1%})" if result.gold else "-"
    return [f"{result.predicted:,}", share, f"{result.precision:.3f}", f"{result.recall:.3f}",
            f"{result.f1:.3f}", result.offsets]


def print_markdown(header: list[str], rows: list[list[str]], left: set[int]) -> None:
    """A Markdown table, aligned for the terminal too; the ``left`` columns are left-aligned."""
    widths = [max(display_width(row[column]) for row in [header, *rows]) for column in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = []
        for column, cell in enumerate(cells):
            fill = " " * (widths[column] - display_width(cell))
            padded.append(cell + fill if column in left else fill + cell)
        return "| " + " | ".join(padded) + " |"

    print(line(header))
    print("|" + "|".join(("-" * (width + 1) + ":") if column not in left else "-" * (width + 2)
                         for column, width in enumerate(widths)) + "|")
    for row in rows:
        print(line(row))


def print_table(title: str, results: list[Result], baseline: float) -> None:
    """One row per segmenter: accuracy, offset exactness and speed."""
    header = ["segmenter", "sentences", "exact match", "P", "R", "F1", "offsets", "chars/s", "x naive"]
    rows = []
    for result in results:
        ratio = result.chars_per_s / baseline if baseline else 0.0
        rows.append([result.name, *accuracy_cells(result), f"{result.chars_per_s:,.0f}", ratio_text(ratio)])
    print(title)
    print_markdown(header, rows, {0, 6})
    for result in results:
        if result.note:
            print(f"  {result.name}: {result.note}")


def show_errors(text: str, gold: list[Span], result: Result, limit: int) -> int:
    """Print the gold sentences that the segmenter did not reproduce, with what it made there;
    return how many were printed."""
    if limit <= 0 or result.spans is None:
        return 0
    predicted = set(result.spans)
    shown = 0
    for start, end in gold:
        if (start, end) in predicted:
            continue
        overlapping = [span for span in result.spans if span[0] < end and span[1] > start]
        print(f"  [{result.name}] gold: {text[start:end]!r}")
        for span in overlapping[:3]:
            print(f"  [{result.name}]  got: {text[span[0]:span[1]]!r}")
        shown += 1
        if shown >= limit:
            break
    return shown


def japanese(runs: int, errors: int) -> None:
    text, gold, paragraph_ends = japanese_data()
    segmenters = [Segmenter("naive regex 。！？", naive_ja, True,
                            "split after every run of 。！？ and at line breaks; brackets ignored"),
                  tagline_segmenter("ja", "bracket-aware rules, src/tagline/corpus/segment.py")]
    jss, jss_readme, skipped = ja_sentence_segmenter()
    if jss is not None:
        segmenters.append(jss)
    repeats = 200  # the article is 4.5 k chars: time 200 passes so that a run lasts long enough to measure
    results = []
    for segmenter in segmenters:
        result = score(segmenter.name, text, gold, paragraph_ends, segmenter.run(text), segmenter.spans)
        result.note = segmenter.note
        result.chars_per_s = chars_per_second(segmenter, [text] * repeats, runs)
        results.append(result)
    print_table(f"Japanese: {JA_TEXT.relative_to(REPO)}, {len(text):,} chars, {len(gold)} gold segments "
                f"({len(gold) - len(paragraph_ends & {end for _, end in gold})} ending inside a paragraph)",
                results, results[0].chars_per_s)
    if skipped:
        print(f"  skipped: {skipped}")
    if jss_readme is not None:
        pieces = jss_readme(text)
        _, missing = locate(text, pieces)
        example = "本当に！？価格は１００ドル（税込）。"
        print(f"  ja-sentence-segmenter with its README's normalize step: {missing} of {len(pieces)} sentences "
              f"changed on this article, but normalize rewrites characters ({example} -> "
              f"{''.join(jss_readme(example))}), so in general its output cannot give offsets into the source")
    print("  rule cases the article lacks (quotes back to back, 『』, full-width （）, nested and unclosed "
          "brackets, ！？ runs; listed in JA_RULE_CASES): "
          + ", ".join(f"{segmenter.name} {rule_cases_passed(segmenter)}/{len(JA_RULE_CASES)}"
                      for segmenter in segmenters))
    for result in results:
        show_errors(text, gold, result, errors)


def english_segmenters() -> tuple[list[Segmenter], str]:
    """The English segmenters, and a note naming those that are not installed."""
    segmenters = [Segmenter("naive regex [.!?]+space", naive_en, True,
                            "split where . ! ? is followed by white space, and at blank lines"),
                  tagline_segmenter("en", "syntok paragraphs and sentences, token offsets, multi-sentence "
                                          "quotations joined, line and abbreviation rules")]
    pysbd_seg = pysbd_segmenter()
    if pysbd_seg is not None:
        segmenters.append(pysbd_seg)
    syntok_seg, skipped = syntok_segmenter()
    if syntok_seg is not None:
        segmenters.append(syntok_seg)
    return segmenters, skipped


def score_documents(segmenter: Segmenter, documents: list[EnglishDocument]) -> tuple[Result, list[Result]]:
    """Score ``segmenter`` on each document; return the pooled result and the per-document ones."""
    combined = Result(segmenter.name, note=segmenter.note, gold=sum(len(document.gold) for document in documents))
    problems: list[str] = []
    per_document = []
    for document in documents:
        result = score(segmenter.name, document.text, document.gold, document.paragraph_ends,
                       segmenter.run(document.text), segmenter.spans)
        per_document.append(result)
        combined.predicted += result.predicted
        combined.exact += result.exact
        # Boundary counts are pooled over the debates (a micro average).
        combined.boundary_hits += result.boundary_hits
        combined.predicted_boundaries += result.predicted_boundaries
        combined.gold_boundaries += result.gold_boundaries
        if result.offsets != "exact":
            problems.append(f"{document.name}: {result.offsets}")
    combined.offsets = "exact" if not problems else f"{len(problems)} docs bad"
    return combined, per_document


def print_miss_kinds(names: list[str], documents: list[EnglishDocument],
                     per_document: list[list[Result]]) -> None:
    """One line per segmenter: its misses counted by likely cause. ``per_document[i]`` holds the
    results of segmenter ``names[i]``, in the order of ``documents``."""
    for name, results in zip(names, per_document):
        kinds: dict[str, int] = {}
        for document, result in zip(documents, results):
            for kind in miss_kinds(document, result):
                kinds[kind] = kinds.get(kind, 0) + 1
        print(f"    {name}: " + ", ".join(f"{count:,} {kind}" for kind, count in
                                         sorted(kinds.items(), key=lambda item: -item[1])))


def print_errors(documents: list[EnglishDocument], per_document: list[list[Result]], errors: int) -> None:
    for results in per_document:
        shown = 0
        for document, result in zip(documents, results):
            if shown < errors:
                shown += show_errors(document.text, document.gold, result, errors - shown)


def english(runs: int, split: str, speed_chars: int, errors: int) -> list[EnglishDocument]:
    """The English table; returns the documents, for :func:`english_layouts`."""
    if not CLEF.is_dir():
        sys.exit(f"English: cannot run: {CLEF} is absent. The English part reads the CLEF-2019 CheckThat! "
                 f"Task 1 debate transcripts from shared/datasets/ beside the repository checkout "
                 f"(../shared from the repository root); lay shared/ out there and run again.")
    documents = english_data(split)
    segmenters, skipped = english_segmenters()
    # Speed is timed on the split's first whole paragraphs, up to --en-speed-chars: pysbd is too slow
    # to time five times over the whole split within a minute.
    speed_texts, budget = [], speed_chars
    for document in documents:
        if budget <= 0:
            break
        cut = len(document.text) if len(document.text) <= budget else document.text.rfind("\n\n", 0, budget) + 2
        speed_texts.append(document.text[:max(cut, 2)])
        budget -= max(cut, 2)
    total_gold = sum(len(document.gold) for document in documents)
    results, per_document = [], []
    for segmenter in segmenters:
        combined, per_segmenter = score_documents(segmenter, documents)
        combined.chars_per_s = chars_per_second(segmenter, speed_texts, runs)
        results.append(combined)
        per_document.append(per_segmenter)
    print_table(f"English: CLEF-2019 CheckThat! Task 1 ({split}), {len(documents)} debates, "
                f"{sum(len(document.text) for document in documents):,} chars, {total_gold:,} gold sentences; "
                f"speed on the first {sum(map(len, speed_texts)):,} chars",
                results, results[0].chars_per_s)
    if skipped:
        print(f"  skipped: {skipped}")
    missed_by_all = 0
    for index, document in enumerate(documents):
        found_by_any = set().union(*(results[index].spans or [] for results in per_document))
        missed_by_all += sum(1 for span in document.gold if span not in found_by_any)
    print(f"  gold caveat: the transcripts' own lines are the gold, and they are not all clean: "
          f"{cut_off_lines(documents):,} lines break off mid-sentence with the speaker going on "
          f"('Let me —'), and {missed_by_all:,} of {total_gold:,} gold sentences are matched by no segmenter "
          f"above. Read the English scores as a comparison, not as absolute accuracy.")
    print("  where each segmenter misses gold sentences (merged: its sentence runs over a gold boundary; "
          "split: it cuts a gold sentence):")
    print_miss_kinds([segmenter.name for segmenter in segmenters], documents, per_document)
    print_errors(documents, per_document, errors)
    return documents


# Layouts of the same transcripts: only white space changes, so offsets and gold stay the same.
EN_LAYOUTS: list[tuple[str, Callable[[EnglishDocument], EnglishDocument]]] = [
    ("one gold sentence per line", one_line_per_sentence),
    ("hard-wrapped at 72 columns", functools.partial(hard_wrapped, width=72)),
    ("hard-wrapped at 40 columns", functools.partial(hard_wrapped, width=40)),
]


def english_layouts(documents: list[EnglishDocument], errors: int) -> None:
    """The same gold in other layouts, for the line rule: single line breaks inside a paragraph. On a
    line of its own a sentence that lacks final punctuation must still end at its line break; in
    hard-wrapped text a line break inside a sentence must not cut it."""
    segmenters = [segmenter for segmenter in english_segmenters()[0]
                  if segmenter.name.startswith(("tagline", "syntok"))]
    rows, per_layout = [], []
    for layout_name, layout in EN_LAYOUTS:
        laid_out = [layout(document) for document in documents]
        per_document = []
        for segmenter in segmenters:
            combined, per_segmenter = score_documents(segmenter, laid_out)
            rows.append([layout_name, segmenter.name, *accuracy_cells(combined)])
            per_document.append(per_segmenter)
        per_layout.append((layout_name, laid_out, per_document))
    print("English layouts: the same transcripts and gold, the paragraphs laid out with single line breaks")
    print_markdown(["layout", "segmenter", "sentences", "exact match", "P", "R", "F1", "offsets"], rows, {0, 1, 7})
    for layout_name, laid_out, per_document in per_layout:
        print(f"  misses, {layout_name}:")
        print_miss_kinds([segmenter.name for segmenter in segmenters], laid_out, per_document)
        print_errors(laid_out, per_document, errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per segmenter; the median is shown")
    parser.add_argument("--en-split", choices=["test_annotated", "training", "all"], default="all",
                        help="which CLEF-2019 debates make the English gold set")
    parser.add_argument("--en-speed-chars", type=int, default=100_000,
                        help="English chars timed per run (pysbd is slow; accuracy uses the whole split)")
    parser.add_argument("--show-errors", type=int, default=0, metavar="N",
                        help="print the first N gold sentences each segmenter missed")
    args = parser.parse_args()
    versions = []
    for package in ("pysbd", "syntok", "ja-sentence-segmenter"):
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package} absent")
    print(f"{datetime.date.today().isoformat()}, Python {platform.python_version()}, {', '.join(versions)}; "
          f"speed: median of {args.runs} run{'s' if args.runs != 1 else ''}")
    print()
    japanese(args.runs, args.show_errors)
    print()
    documents = english(args.runs, args.en_split, args.en_speed_chars, args.show_errors)
    print()
    english_layouts(documents, args.show_errors)


if __name__ == "__main__":
    main()
