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
