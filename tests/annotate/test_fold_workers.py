"""Several large answer files without a saved fold are folded at once, one per worker process: the
agreement report and the gold are those the files folded in turn give, the workers save their folds
(or send them back when they cannot), and a worker that finds the corpus changed leaves the file to
the command."""

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
        files.extend(path for _, path, _, _ in arguments)
        return original(function, arguments, count, **options)

    monkeypatch.setattr(workers, "map_in_workers", recording)
    return files


def folds(workspace):
    return sorted((workspace.build_dir / "index" / "folds").glob("*/*.fold"))


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
        patched.setattr(columns, "_fold_file", lambda *args: pytest.fail("the answer file was parsed again"))
        assert as_json(agreement_report(workspace)) == expected
    assert len(handed_out) == 3  # nothing left to fold: no worker started


def test_the_gold_from_the_workers_folds_is_the_gold_from_folding_in_turn(tmp_path, monkeypatch, handed_out):
    monkeypatch.setattr(gold, "utc_now", lambda: NOW)
    made = []
    for name, least in (("in-turn", 1 << 40), ("workers", 0)):
        workspace = random_workspace(tmp_path / name, 9, 80, 400, n_annotators=3, unconfigured=False)
        monkeypatch.setattr(fold_workers, "PARALLEL_FOLD_MIN_BYTES", least)
        report = gold.auto_adjudicate(workspace).as_dict()
        made.append((report, workspace.gold_path.read_bytes()))
    assert made[0] == made[1] and made[0][1].count(b"\n") == made[0][0]["written"] > 0
    assert len(handed_out) == 3


def test_a_worker_saves_its_fold_or_sends_it_back_and_leaves_another_corpus_to_the_command(tmp_path, monkeypatch):
    from tagline.annotate import fold_cache

    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 3, 30, 100, n_annotators=2)
    path = workspace.annotation_path(workspace.annotators()[0])
    stamp = columns._corpus_stamp(workspace)
    key = fold_cache.fold_key(workspace, path, stamp)
    assert fold_workers.fold_in_worker(str(workspace.root), str(path), stamp, key) is None
    assert fold_cache.has_fold(workspace, path, key)
    with monkeypatch.context() as patched:  # a fold that cannot be saved is sent back
        patched.setattr(fold_cache, "save_fold", lambda *args: None)
        folded, names = fold_workers.fold_in_worker(str(workspace.root), str(path), stamp, "unsaved")
    assert len(folded.sentence) and names
    sentences = workspace.sentences_path.read_bytes()
    workspace.sentences_path.write_bytes(sentences + orjson.dumps(
        {"id": "d99-s0001", "doc_id": "d99", "index": 1, "text": "追加の文。", "start": 0, "end": 5, "lang": "ja"}) + b"\n")
    assert fold_workers.fold_in_worker(str(workspace.root), str(path), stamp, "other") is None
    assert not fold_cache.has_fold(workspace, path, "other")


def test_folds_sent_back_by_workers_give_the_report_of_folding_in_turn(tmp_path, monkeypatch):
    """Where a worker cannot save its fold it sends it back, and the command turns its codes into its
    own when it comes to that annotator (the workers run in this process here, to be patched)."""
    from tagline.annotate import fold_cache

    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 8, 80, 400, n_annotators=3)
    monkeypatch.setattr(fold_cache, "save_fold", lambda *args: None)
    expected = as_json(agreement_report(workspace))
    sent_back = []

    def in_this_process(function, arguments, count, **options):
        results = [function(*call) for call in arguments]
        sent_back.extend(result for result in results if result is not None)
        return results

    monkeypatch.setattr(workers, "map_in_workers", in_this_process)
    monkeypatch.setattr(workers, "cores", lambda: 2)
    monkeypatch.setattr(fold_workers, "PARALLEL_FOLD_MIN_BYTES", 0)
    assert as_json(agreement_report(workspace)) == expected and len(sent_back) == 3


def workers_asked_for(workspace, monkeypatch) -> list[int]:
    """How many fold workers agreement asks for, on two cores, every file folded in workers (each
    call run in this process)."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    monkeypatch.setattr(fold_workers, "PARALLEL_FOLD_MIN_BYTES", 0)
    monkeypatch.setattr(workers, "cores", lambda: 2)
    counts = []

    def in_this_process(function, arguments, count, **options):
        counts.append(count)
        return [function(*call) for call in arguments]

    monkeypatch.setattr(workers, "map_in_workers", in_this_process)
    agreement_report(workspace)
    return counts


@pytest.mark.parametrize(("annotators", "expected"), [(3, 3), (4, 4), (2, 2)])
def test_up_to_twice_as_many_files_as_cores_are_folded_at_once(tmp_path, monkeypatch, annotators, expected):
    """Three files on two cores are folded by three workers, which end together, rather than by two
    that leave the third file to one core after the first two."""
    workspace = random_workspace(tmp_path / "ws", 21, 40, 100, n_annotators=annotators)
    assert workers_asked_for(workspace, monkeypatch) == [expected]


def test_more_files_than_twice_the_cores_are_folded_by_one_worker_a_core(tmp_path, monkeypatch):
    workspace = random_workspace(tmp_path / "ws", 22, 40, 100, n_annotators=4)
    alice = workspace.annotation_path("alice").read_bytes()
    workspace.annotation_path("erin").write_bytes(alice.replace(b'"annotator":"alice"', b'"annotator":"erin"'))
    assert workers_asked_for(workspace, monkeypatch) == [2]
