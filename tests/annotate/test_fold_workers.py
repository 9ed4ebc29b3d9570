"""Several large answer files without a saved fold are folded at once, one per worker process: the
agreement report and the gold are those the files folded in turn give, the workers' folds are saved,
and a worker that finds the corpus changed leaves the file to the command."""

from __future__ import annotations

import shutil

import orjson
import pytest
from test_adjudicate_columns import NOW
from test_agree_columns import as_json, random_workspace

from tagline.annotate import columns, fold_workers, gold
from tagline.annotate.agree import agreement_report
from tagline.corpus import workers


@pytest.fixture
def handed_out(monkeypatch):
    """The files handed to worker processes (every answer file is large enough; two cores)."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    monkeypatch.setattr(workers, "cores", lambda: 2)
    files: list[str] = []
    original = workers.map_in_workers

    def recording(function, arguments, count, **options):
        arguments = list(arguments)
        files.extend(path for _, path, _ in arguments)
        return original(function, arguments, count, **options)

    monkeypatch.setattr(workers, "map_in_workers", recording)
    return files


def folds(workspace):
    return sorted((workspace.build_dir / "index" / "folds").glob("*/*.npz"))


def test_the_report_from_the_workers_folds_is_the_report_from_folding_in_turn(tmp_path, monkeypatch, handed_out):
    workspace = random_workspace(tmp_path / "ws", 5, 80, 400, n_annotators=3)
    expected = as_json(agreement_report(workspace))  # each file folded here, in turn
    assert not handed_out
    shutil.rmtree(workspace.build_dir / "index" / "folds")
    monkeypatch.setattr(fold_workers, "PARALLEL_FOLD_MIN_BYTES", 0)
    assert as_json(agreement_report(workspace)) == expected
    assert sorted(handed_out) == sorted(str(workspace.annotation_path(name)) for name in workspace.annotators())
    assert [path.parent.name for path in folds(workspace)] == sorted(workspace.annotators())
    with monkeypatch.context() as patched:  # the workers' folds, saved, are read by the next report
        patched.setattr(columns, "_fold_arrow", lambda *args: pytest.fail("the answer file was parsed again"))
        assert as_json(agreement_report(workspace)) == expected
    assert len(handed_out) == 3  # nothing left to fold: no worker started


def test_the_gold_from_the_workers_folds_is_the_gold_from_folding_in_turn(tmp_path, monkeypatch, handed_out):
    monkeypatch.setattr(gold, "utc_now", lambda: NOW)
    made = []
    for name, least in (("in-turn", 1 << 40), ("workers", 0)):
        workspace = random_workspace(tmp_path / name, 9, 80, 400, n_annotators=3)
        monkeypatch.setattr(fold_workers, "PARALLEL_FOLD_MIN_BYTES", least)
        report = gold.auto_adjudicate(workspace).as_dict()
        made.append((report, workspace.gold_path.read_bytes()))
    assert made[0] == made[1] and made[0][1].count(b"\n") == made[0][0]["written"] > 0
    assert len(handed_out) == 3


def test_a_worker_that_finds_another_corpus_leaves_the_file_to_the_command(tmp_path, monkeypatch):
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 3, 30, 100, n_annotators=2)
    path = str(workspace.annotation_path(workspace.annotators()[0]))
    stamp = columns._corpus_stamp(workspace)
    folded, names = fold_workers.fold_in_worker(str(workspace.root), path, stamp)
    assert len(folded.sentence) and names
    sentences = workspace.sentences_path.read_bytes()
    workspace.sentences_path.write_bytes(sentences + orjson.dumps(
        {"id": "d99-s0001", "doc_id": "d99", "index": 1, "text": "追加の文。", "start": 0, "end": 5, "lang": "ja"}) + b"\n")
    assert fold_workers.fold_in_worker(str(workspace.root), path, stamp) is None
