"""`tagline validate` keeps no sentence's text nor any record: what it holds per sentence is a few
numbers (its id's bytes, document, offsets), so its peak memory grows little with the corpus."""

from __future__ import annotations

import json
import tracemalloc

from tagline.annotate.interop import import_file
from tagline.annotate.validate import iter_errors, validate_workspace
from tagline.corpus.workspace import init_workspace

# Above two blocks of every file iter_lines reads (1 MB each), so that what is decoded at once is
# the same at both sizes, and only what validate keeps per sentence differs.
SENTENCES = 5000


def _workspace(tmp_path, count):
    ws = init_workspace(tmp_path / f"ws{count}", language="en")
    source = tmp_path / f"batch{count}.jsonl"
    source.write_text("".join(json.dumps({"text": f"Anna Novak of Acme Corp said sales rose by {i} percent in Ohio.",
                                          "label": [[0, 10, "PERSON"], [14, 23, "ORG"]]}) + "\n"
                              for i in range(count)), encoding="utf-8")
    import_file(ws, source, fmt="doccano", annotator="alice")
    return ws


def _peak(ws) -> tuple[int, list]:
    tracemalloc.start()
    try:
        problems = validate_workspace(ws)
        return tracemalloc.get_traced_memory()[1], problems
    finally:
        tracemalloc.stop()


def test_validate_peak_memory_grows_by_a_few_hundred_bytes_a_sentence_not_by_its_records(tmp_path):
    small, large = _workspace(tmp_path, SENTENCES), _workspace(tmp_path, 4 * SENTENCES)
    validate_workspace(small)  # schemas compiled, modules imported: not counted
    small_peak, small_problems = _peak(small)
    large_peak, large_problems = _peak(large)
    assert list(iter_errors(small_problems)) == [] and list(iter_errors(large_problems)) == []
    per_sentence = (large_peak - small_peak) / (3 * SENTENCES)
    # Keeping each sentence's text and each document's record took ~1,800 bytes a sentence (a
    # document, a sentence and an entities event each); the columns take ~200.
    assert per_sentence < 600, f"{per_sentence:.0f} bytes more at peak per sentence ({small_peak} -> {large_peak})"
