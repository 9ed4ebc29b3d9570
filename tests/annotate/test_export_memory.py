"""An export of a large annotator's answers holds a chunk of them at a time, not the whole corpus:
its peak memory (tracemalloc) for four times the sentences grows far less than four times (what an
export that folds every answer into a dict does)."""

from __future__ import annotations

import json
import os
import tracemalloc

import pytest

from tagline.annotate.formats import common, prodigy_lines, spacy_tokens, tokens
from tagline.annotate.formats.registry import BY_NAME, EXPORT_FORMATS
from tagline.annotate.interop import export, exporting, import_file
from tagline.corpus import new_folder, store
from tagline.corpus.workspace import init_workspace

STREAMED = [fmt for fmt in EXPORT_FORMATS if not BY_NAME[fmt].folder]  # brat's folder is made whole


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    monkeypatch.setattr(new_folder, "sync_file_system", lambda path: None)
    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)


def _workspace(root, count: int):
    workspace = init_workspace(root, language="en")
    source = root.parent / f"{root.name}.jsonl"
    with open(source, "w", encoding="utf-8") as out:
        for number in range(count):
            text = f"Acme Corp hired Alice Moreau in Berlin on day {number} of the year, and Globex did not."
            spans = [[0, 9, "ORG"], [16, 28, "PERSON"], [32, 38, "GPE"]]
            out.write(json.dumps({"text": text, "label": spans}) + "\n")
    import_file(workspace, source, fmt="doccano", annotator="alice")
    return workspace


def _peak(workspace, fmt: str, out) -> int:
    tracemalloc.start()
    try:
        export(workspace, fmt=fmt, annotator="alice", task="entities", out=out)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    return _workspace(root / "small", 1500), _workspace(root / "large", 6000)


@pytest.mark.parametrize("fmt", STREAMED)
def test_an_export_holds_a_chunk_of_the_answers_not_the_corpus(corpora, tmp_path, monkeypatch, fmt):
    monkeypatch.setattr(exporting, "INDEXED_AFTER", -1)  # as for a file of millions of answers
    monkeypatch.setattr(common, "CHUNK", 100)  # a chunk of sentences, and a block of their lines, much smaller
    monkeypatch.setattr(store, "_BLOCK", 1 << 14)  # than the corpora, as at the sizes that matter
    for module in (tokens, spacy_tokens, prodigy_lines):  # the token writers' memos of pieces of text, bounded
        monkeypatch.setattr(module, "MAX_REMEMBERED_PIECES", 64)  # (200,000) far below a million sentences
    small, large = corpora
    suffix = ".json" if fmt == "spacy" else ""
    _peak(small, fmt, tmp_path / f"warm{suffix}")  # modules imported and caches made before measuring
    small_peak = _peak(small, fmt, tmp_path / f"small{suffix}")
    large_peak = _peak(large, fmt, tmp_path / f"large{suffix}")
    assert large_peak < 1.6 * small_peak, (fmt, small_peak, large_peak)


def test_a_brat_export_looks_its_answers_up_instead_of_folding_them(corpora, tmp_path, monkeypatch):
    """brat's folder is made whole (its files are held until they are written), but its answers are
    looked up a chunk of sentences at a time: the peak grows with the corpus far less than when every
    answer is folded into a dict."""
    monkeypatch.setattr(common, "CHUNK", 100)
    monkeypatch.setattr(store, "_BLOCK", 1 << 14)
    small, large = corpora
    growth = {}
    for kind, after in (("folded", 1 << 60), ("indexed", -1)):
        monkeypatch.setattr(exporting, "INDEXED_AFTER", after)
        _peak(small, "brat", tmp_path / f"warm-{kind}")
        small_peak = _peak(small, "brat", tmp_path / f"small-{kind}")
        growth[kind] = _peak(large, "brat", tmp_path / f"large-{kind}") - small_peak
    assert growth["indexed"] < 0.6 * growth["folded"], growth
    assert sorted(os.listdir(tmp_path / "large-indexed")) == sorted(os.listdir(tmp_path / "large-folded"))
    for name in os.listdir(tmp_path / "large-folded"):
        assert (tmp_path / "large-indexed" / name).read_bytes() == (tmp_path / "large-folded" / name).read_bytes()


def test_brat_writes_a_document_whose_sentences_come_apart_from_all_of_them(tmp_path):
    """A document's sentences written as they pass; one whose sentences lie apart (a second run of
    them later in the corpus) is written from every sentence gathered first, the same files."""
    import io

    from tagline.annotate.formats import brat

    workspace = init_workspace(tmp_path / "ws", language="en")
    texts = {"a": "Alice went home. Bob stayed in Paris.", "b": "Carol met Dan."}
    a0 = {"id": "a-s0", "doc_id": "a", "start": 0, "end": 16, "text": texts["a"][0:16], "lang": "en"}
    a1 = {"id": "a-s1", "doc_id": "a", "start": 17, "end": 37, "text": texts["a"][17:37], "lang": "en"}
    b0 = {"id": "b-s0", "doc_id": "b", "start": 0, "end": 14, "text": texts["b"], "lang": "en"}
    answers = {"a-s0": {("entities", None): {"spans": [{"start": 0, "end": 5, "label": "PERSON"}]}},
               "a-s1": {("entities", None): {"spans": [{"start": 0, "end": 3, "label": "PERSON"},
                                                       {"start": 14, "end": 19, "label": "GPE"}]}},
               "b-s0": {("entities", None): {"spans": [{"start": 10, "end": 13, "label": "HERO"}]}}}

    def written(order):
        data = common.ExportData(sentences=order, answers=answers, annotator="alice", config=workspace.config,
                                 document_text=texts.__getitem__, question=("entities", None))
        return brat.write(data, io.BytesIO())

    together, apart = written([a0, a1, b0]), written([a0, b0, a1])
    assert apart.files == together.files and apart.records == together.records == 2
    assert together.files["a.ann"] == "T1\tPERSON 0 5\tAlice\nT2\tPERSON 17 20\tBob\nT3\tGPE 31 36\tParis\n"
    assert "HERO" in together.files[brat.CONF_NAME]
    with pytest.raises(brat._ComeApart):
        list(brat._runs([a0, b0, a1]))
