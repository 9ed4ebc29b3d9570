"""The worker pool of eval build: results in order, failures raised with no process left behind, workers
out of the terminal's reach, tokens made in workers equal to tokens made in the build's process, and a
script that builds outside a main guard told so."""

from __future__ import annotations

import os
import signal
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from tagline.annotate.gold import auto_adjudicate
from tagline.corpus.workers import map_in_workers
from tagline.eval.build import build_dataset

from conftest import run_script

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def test_results_come_back_in_the_order_of_the_inputs_however_many_there_are():
    from test_build_interrupt import children

    before = children()
    assert map_in_workers(pow, ((number, 2) for number in range(25)), 2) == [number**2 for number in range(25)]
    assert map_in_workers(pow, iter([]), 2) == []
    assert children() == before


def test_workers_ignore_ctrl_c_and_leave_the_terminals_process_group():
    groups = map_in_workers(os.getpgid, [(0,)] * 6, 2)
    handlers = map_in_workers(signal.getsignal, [(signal.SIGINT,)] * 4, 2)
    assert os.getpgrp() not in groups and set(handlers) == {signal.SIG_IGN}


@pytest.mark.parametrize("arguments, error", [([("12",), ("twelve",), ("7",)], ValueError),  # raised in a worker
                                              ([(0,), (3,)], BrokenProcessPool)])  # a worker that dies
def test_a_failure_in_a_worker_is_raised_here_and_no_worker_is_left(arguments, error):
    from test_build_interrupt import children

    before = children()
    function = int if error is ValueError else os._exit
    with pytest.raises(error):
        map_in_workers(function, arguments, 2)
    assert children() == before


def test_tokens_made_in_workers_are_the_tokens_made_in_the_build(sample_workspace, tmp_path, monkeypatch):
    from tagline.corpus.sentence_table import cache_dir
    from tagline.eval.build import tokens

    auto_adjudicate(sample_workspace)
    here = build_dataset(sample_workspace, out=tmp_path / "here", workers=1)
    for cache in cache_dir(sample_workspace).glob("tokens-*.arrow"):  # saved by the build: made again
        cache.unlink()
    monkeypatch.setattr(tokens, "PARALLEL_TOKENS_MIN_SENTENCES", 0)
    monkeypatch.setattr(tokens, "TOKEN_CHUNK_SENTENCES", 8)  # a dozen chunks, and chunks cut within splits
    shared = build_dataset(sample_workspace, out=tmp_path / "shared", workers=2)
    assert shared.fingerprint == here.fingerprint  # the fingerprint covers every column, tokens and tags too
    assert shared.entity_alignment == here.entity_alignment


class TokenTotals:
    """A progress callback that notes how many rows each tokenising was of."""

    def __init__(self) -> None:
        self.totals: set[int | None] = set()

    def __call__(self, done: int, total: int | None, what: str) -> None:
        if what == "tokenising":
            self.totals.add(total)


@pytest.mark.parametrize("gold_share, early", [(0.0, True), (1e9, False)])
def test_tokens_begun_on_the_whole_corpus_before_the_gold_is_read_are_those_of_the_sentences_with_gold(
        sample_workspace, tmp_path, monkeypatch, gold_share, early):
    # The workers start on every sentence of the corpus as soon as the sentences are read, when the gold
    # file is large enough that most sentences likely have gold; here a document has none.
    from tagline.corpus.ingest import add_documents
    from tagline.eval.build import builder, tokens

    auto_adjudicate(sample_workspace)
    extra = tmp_path / "extra.txt"
    extra.write_text("トヨタは東京で新しい車を発表した。\n\nソニーの株価は上がった。\n", encoding="utf-8")
    add_documents(sample_workspace, [extra], lang="ja")
    corpus = len(sample_workspace.sentences_path.read_text(encoding="utf-8").splitlines())
    here = build_dataset(sample_workspace, out=tmp_path / "here", workers=1)
    universe = sum(here.configs["sentences"].values())
    assert corpus == universe + 2
    monkeypatch.setattr(tokens, "PARALLEL_TOKENS_MIN_SENTENCES", 0)
    monkeypatch.setattr(tokens, "TOKEN_CHUNK_SENTENCES", 8)
    monkeypatch.setattr(builder, "EARLY_TOKENS_GOLD_SHARE", gold_share)
    totals = TokenTotals()
    shared = build_dataset(sample_workspace, out=tmp_path / "shared", workers=2, progress=totals)
    assert totals.totals == {corpus if early else universe}
    assert shared.fingerprint == here.fingerprint
    assert shared.entity_alignment == here.entity_alignment
    assert (tmp_path / "shared" / "splits.jsonl").read_bytes() == (tmp_path / "here" / "splits.jsonl").read_bytes()
    # With early tokens the stance config is written first, while the workers tokenise: every file is
    # still the same, the card, fingerprint.json and the configs' files included.
    assert files_of(tmp_path / "shared") == files_of(tmp_path / "here")


def files_of(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_bad_gold_found_while_the_workers_tokenise_the_corpus_stops_them(sample_workspace, tmp_path, monkeypatch):
    from test_build_interrupt import children

    from tagline.corpus.store import append_records
    from tagline.errors import DataError
    from tagline.eval.build import builder, tokens

    auto_adjudicate(sample_workspace)
    append_records(sample_workspace.gold_path, [{
        "sentence_id": "deepseek_ja-s0002", "task": "claim_type", "value": {"label": "opinion"},
        "provenance": {"method": "adjudicated", "votes": {}}, "time": "2026-11-28T10:00:00Z"}])
    monkeypatch.setattr(tokens, "PARALLEL_TOKENS_MIN_SENTENCES", 0)
    monkeypatch.setattr(tokens, "TOKEN_CHUNK_SENTENCES", 8)
    monkeypatch.setattr(builder, "EARLY_TOKENS_GOLD_SHARE", 0.0)
    started = []
    original = tokens.TokenJob.__init__

    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        started.append(self.pool is not None)

    monkeypatch.setattr(tokens.TokenJob, "__init__", recording)
    before = children()
    with pytest.raises(DataError, match="claim type 'opinion' is not one of"):
        build_dataset(sample_workspace, out=tmp_path / "ds", workers=2)
    assert started == [True]  # the workers had started on the corpus before the gold was read
    assert children() == before
    assert not (tmp_path / "ds").exists()


SCRIPT = """
from tagline.corpus.workspace import Workspace
from tagline.eval.build import build_dataset, tokens

tokens.PARALLEL_TOKENS_MIN_SENTENCES, tokens.TOKEN_CHUNK_SENTENCES = 0, 8  # workers even for the sample
"""


@pytest.mark.parametrize("guarded", [True, False])
def test_a_script_that_builds_outside_a_main_guard_is_told_so_rather_than_left_waiting(sample_workspace, tmp_path,
                                                                                         guarded):
    # Each worker imports the main script again: unguarded, it would build there too, and wait for the
    # workspace lock that the build holds while the build waits for it.
    auto_adjudicate(sample_workspace)
    call = f"build_dataset(Workspace({str(sample_workspace.root)!r}), out={str(tmp_path / 'ds')!r}, workers=2)"
    result = run_script(tmp_path / "build_script.py", SCRIPT, call, guarded=guarded)
    if guarded:
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "ds" / "fingerprint.json").exists()
    else:
        assert result.returncode != 0
        # One error, the script's own, that says what to do: not a traceback from each worker and the
        # pool's BrokenProcessPool after them (the mechanism corpus add uses: corpus.workers.refuse_to_start).
        assert result.stderr.count("Traceback") == 1 and "BrokenProcessPool" not in result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("tagline.errors.DataError: ") and \
            'call build_dataset under `if __name__ == "__main__":`' in last
        assert not (tmp_path / "ds").exists()
