"""Prodigy's `_input_hash` and `_task_hash`, made as Prodigy makes them, checked against the hashes
Prodigy wrote in real files: ../shared/formats/prodigy (a 2023 text classification set and a 2018
`ner.manual` set) and `data/prodigy` (a `rel.manual` set whose spans were there when it was hashed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tagline.annotate.formats.prodigy import _murmur, task_hashes

PRODIGY = Path(__file__).resolve().parents[3] / "shared" / "formats" / "prodigy"
RELATIONS = Path(__file__).resolve().parent / "data" / "prodigy" / "rel_component_annotations.head4.jsonl"
needs_shared = pytest.mark.skipif(not PRODIGY.is_dir(), reason="../shared/formats/prodigy is not present beside "
                                                                "the checkout")


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@needs_shared
def test_both_hashes_of_every_classification_record_are_the_files():
    # pydata-ams-2023: 351 answers (117 texts x 3 annotators), each a text and its label when hashed.
    found = records(PRODIGY / "pydata-ams-2023.3annotators.jsonl")
    assert len(found) == 351
    for record in found:
        assert task_hashes({"text": record["text"], "label": record["label"]}) == \
            (record["_input_hash"], record["_task_hash"]), record["text"]


@needs_shared
def test_the_input_hash_of_every_ner_manual_record_is_the_files():
    # ner.manual hashes a question before its spans are drawn, when it has no task key: the file's
    # task hashes are of that question, and task_hashes does not claim to know how it is made.
    found = records(PRODIGY / "annotated_news_headlines-ner_manual.head100.jsonl")
    assert len(found) == 100 and sum(not record["text"].isascii() for record in found) >= 20
    for record in found:
        question = {"text": record["text"], "meta": record["meta"]}
        assert task_hashes(question) == (record["_input_hash"], None), record["text"]


def test_the_task_hash_of_spans_is_the_files():
    found = records(RELATIONS)
    assert len(found) == 4
    for record in found:
        # The spans as the recipe was given them (it added text, tokens and type after hashing).
        spans = [{"start": span["start"], "end": span["end"], "label": span["label"]} for span in record["spans"]]
        assert task_hashes({"text": record["text"], "spans": spans, "meta": record["meta"]}) == \
            (record["_input_hash"], record["_task_hash"])


def test_no_task_hash_without_exactly_one_task_key_with_a_value():
    assert task_hashes({"text": "A text.", "spans": []})[1] is None
    assert task_hashes({"text": "A text.", "spans": [], "label": "X"})[1] is None
    assert task_hashes({"text": "A text.", "label": "X", "options": [{"id": "X", "text": "X"}]})[1] is None
    with pytest.raises(ValueError, match="html"):
        task_hashes({"text": "A text.", "html": "<b>A text.</b>"})


def test_the_hash_is_murmurhash3_x86_32():
    # Known answers of MurmurHash3_x86_32 with seed 0 (SMHasher's reference implementation), as signed
    # 32-bit integers. The JSON hashed escapes every non-ASCII character, so only ASCII is ever hashed.
    assert _murmur("") == 0
    assert _murmur("The quick brown fox jumps over the lazy dog") == 0x2E4FF723
    assert _murmur("Hello, world!") == 0xC0363E43 - 2**32


@pytest.mark.parametrize("repeat", [1, 3, 400])  # 400: a sentence longer than the numbers made once
def test_the_tokens_of_an_evenly_spaced_sentence_are_those_made_token_by_token(repeat):
    from tagline.annotate.formats.prodigy import TOKEN_JSON, _even_tokens, _tokens
    from tagline.annotate.formats.tokens import evenly_spaced_words

    text = " ".join(["Acme Corp's U.S. arm (AC) sold 5,000 units, up 12%."] * repeat)
    even = evenly_spaced_words(text, "en", set())
    assert even is not None and (repeat < 400 or len(text) > 4096)
    expected = ", ".join(TOKEN_JSON % (json.dumps(text[start:end]), start, end, index, "true" if space else "false")
                         for index, (start, end, space) in enumerate(_tokens(text, "en", [])))
    assert _even_tokens(*even) == expected
