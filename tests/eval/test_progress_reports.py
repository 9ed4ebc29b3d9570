"""What long library functions tell their ``progress`` callback (tagline.corpus.progress), and that the
commands hand it the bar's: steps in order, counts that only grow and end at their total."""

from __future__ import annotations

import contextlib
import itertools
import json

import pytest

from tagline.annotate.interop import import_file
from tagline.cli import main
from tagline.corpus.ingest import add_documents
from tagline.eval.build import build_dataset


class Recorder:
    """A progress callback that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None, str]] = []

    def __call__(self, done: int, total: int | None, what: str) -> None:
        self.calls.append((done, total, what))

    def steps(self) -> list[str]:
        return [what for what, _ in itertools.groupby(what for _, _, what in self.calls)]

    def counts(self, what: str) -> list[tuple[int, int | None]]:
        return [(done, total) for done, total, step in self.calls if step == what]


def test_adding_documents_reports_the_files_read_and_the_documents_segmented(workspace, tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps({"id": f"d{n}", "text": "米国は規制を発表した。中国は反発した。"}) + "\n"
                            for n in range(3)), encoding="utf-8")
    article = tmp_path / "article.txt"
    article.write_text("輸出規制は続く。\n", encoding="utf-8")
    progress = Recorder()
    add_documents(workspace, [feed, article], progress=progress)
    assert progress.calls == [(0, 2, "reading files"), (1, 2, "reading files"), (2, 2, "reading files"),
                              *[(done, 4, "segmenting documents") for done in range(5)],
                              (0, None, "writing sentences"), (0, None, "indexing sentences")]
    again = Recorder()
    add_documents(workspace, [article], progress=again)  # unchanged: nothing to write
    assert again.steps() == ["reading files", "segmenting documents"]


def test_an_import_reports_the_records_placed_and_the_writes(workspace, tmp_path):
    ner = tmp_path / "ner.jsonl"
    ner.write_text("".join(json.dumps({"id": n, "text": f"アリババは杭州の会社{n}だ。", "label": [[0, 5, "ORG"]]},
                                      ensure_ascii=False) + "\n" for n in range(4)), encoding="utf-8")
    progress = Recorder()
    import_file(workspace, ner, fmt="doccano", annotator="carol", progress=progress)
    assert progress.steps() == ["reading ner.jsonl", "placing records", "segmenting documents",
                                "writing sentences", "writing answers", "indexing sentences", "indexing answers"]
    assert progress.counts("placing records") == [(0, 4), (4, 4)]  # checked as columns: a count per chunk
    dry = Recorder()
    import_file(workspace, ner, fmt="doccano", annotator="dave", dry_run=True, progress=dry)
    assert dry.steps() == ["reading ner.jsonl", "placing records"]  # nothing written, nothing said of it


def test_an_import_in_several_chunks_counts_on_without_starting_again(workspace, tmp_path, monkeypatch):
    """The records are checked and written a chunk at a time: the count goes on over the chunks (a
    bar that starts again loses its clock and its estimate of the time left)."""
    from tagline.annotate.interop import bulk

    monkeypatch.setattr(bulk, "CHUNK_LINES", 3)
    ner = tmp_path / "ner.jsonl"
    ner.write_text("".join(json.dumps({"id": n, "text": f"アリババは杭州の会社{n}だ。", "label": [[0, 5, "ORG"]]},
                                      ensure_ascii=False) + "\n" for n in range(10)), encoding="utf-8")
    progress = Recorder()
    import_file(workspace, ner, fmt="doccano", annotator="carol", progress=progress)
    counted = [(done, what) for done, total, what in progress.calls if total == 10]
    assert {what for _, what in counted} == {"placing records", "segmenting documents", "writing sentences"}
    assert [done for done, _ in counted] == sorted(done for done, _ in counted) and counted[-1][0] == 10


@pytest.mark.slow
def test_a_build_reports_its_steps_and_the_sentences_tokenised_and_eval_run_feeds_the_bar(
        sample_workspace, runner, monkeypatch):
    progress = Recorder()
    build_dataset(sample_workspace, progress=progress)
    steps = progress.steps()
    assert steps == ["reading sentences", "reading gold", "assigning splits", "tokenising", "writing sentences",
                     "writing stance"], steps
    tokenised = progress.counts("tokenising")
    sentences = tokenised[0][1]
    assert tokenised[0] == (0, sentences) and tokenised[-1] == (sentences, sentences) and sentences > 50
    assert [done for done, _ in tokenised] == sorted(done for done, _ in tokenised)

    # The command hands the library the bar's callback (drawn only on a terminal, so recorded here).
    bar = Recorder()

    @contextlib.contextmanager
    def progress_bar():
        yield bar

    monkeypatch.setattr("tagline.cli.eval.progress_bar", progress_bar)
    result = runner.invoke(main, ["eval", "run", "--task", "claim_type", "--baselines", "majority,stratified",
                                  "--resamples", "20", "--json"])
    assert result.exit_code == 0, result.output
    assert bar.calls == [(0, 2, "claim_type: reading the dataset"), (0, 2, "claim_type · majority"),
                         (1, 2, "claim_type · stratified")]
