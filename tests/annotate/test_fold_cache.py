"""The answers folded as columns are saved in build/index/ and read back by the next agreement or
adjudication while the answer file and the corpus are as they were; an appended answer or another
corpus folds the file again."""

from __future__ import annotations

import orjson
import pytest
from test_agree_columns import as_json, random_workspace, reference_report

from tagline.annotate import columns, gold
from tagline.annotate.agree import agreement_report
from tagline.annotate.fold_cache import FORMAT, read_fold

from conftest import DEAD_PID, held_temporary


def no_parsing(*args, **kwargs):
    raise AssertionError("the answer file was parsed again")


def test_the_next_report_reads_the_saved_folds(tmp_path, monkeypatch):
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 11, 60, 300, n_annotators=3)
    first = agreement_report(workspace)
    saved = sorted((workspace.build_dir / "index" / "folds").glob("*/*.fold"))
    assert [path.parent.name for path in saved] == sorted(workspace.annotators())
    with monkeypatch.context() as patched:
        patched.setattr(columns, "_fold_file", no_parsing)
        assert as_json(agreement_report(workspace)) == as_json(first) == as_json(reference_report(workspace))


def test_an_appended_answer_folds_the_file_again(tmp_path, monkeypatch):
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 12, 60, 300, n_annotators=2)
    agreement_report(workspace)
    name = workspace.annotators()[0]
    path = workspace.annotation_path(name)
    last = orjson.loads(path.read_bytes().splitlines()[-1])
    changed = {**last, "op": "retract", "value": None if last["task"] != "stance" else {"target": last["value"]["target"]}}
    with open(path, "ab") as handle:
        handle.write(orjson.dumps(changed) + b"\n")
    assert as_json(agreement_report(workspace)) == as_json(reference_report(workspace))
    assert len(list((workspace.build_dir / "index" / "folds" / name).glob("*.fold"))) == 1  # the stale one removed


def test_a_fold_whose_save_was_killed_leaves_nothing_after_the_next_save(tmp_path, monkeypatch):
    """A ``kill -9`` between writing a fold and its rename leaves a temporary file (hundreds of MB at
    scale); the next save into that folder removes it, and not one of a process still running."""
    import os

    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 15, 60, 300, n_annotators=2)
    name = workspace.annotators()[0]
    folder = workspace.build_dir / "index" / "folds" / name
    folder.mkdir(parents=True)
    dead = folder / f".{'0' * 8}.fold.{os.getppid()}.tmp"  # its process runs, but holds no lock on it
    dead.write_bytes(b"half a fold")
    with held_temporary(folder / f".{'1' * 8}.fold.{DEAD_PID}.tmp") as running:  # a running writer's elsewhere
        agreement_report(workspace)
        assert not dead.exists() and running.exists()
    assert len(list(folder.glob("*.fold"))) == 1


def test_another_corpus_folds_the_files_again(tmp_path, monkeypatch):
    """The fold holds corpus rows: a sentence removed from the corpus moves every row after it."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 13, 60, 300, n_annotators=2)
    agreement_report(workspace)
    lines = workspace.sentences_path.read_bytes().splitlines(keepends=True)
    workspace.sentences_path.write_bytes(b"".join(lines[1:]))
    assert as_json(agreement_report(workspace)) == as_json(reference_report(workspace))


@pytest.mark.parametrize("damage", [b"not a fold", b""])
def test_a_damaged_fold_is_made_again(tmp_path, monkeypatch, damage):
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 14, 60, 300, n_annotators=2)
    agreement_report(workspace)
    for path in (workspace.build_dir / "index" / "folds").glob("*/*.fold"):
        path.write_bytes(damage)
    assert as_json(agreement_report(workspace)) == as_json(reference_report(workspace))


def test_a_fold_with_a_byte_changed_is_made_again(tmp_path, monkeypatch):
    """Each saved array has its digest: a byte changed in any of them (here the spans' text, the
    last array) is a damaged fold, made again, never read as it is."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 16, 60, 300, n_annotators=2)
    agreement_report(workspace)
    for path in (workspace.build_dir / "index" / "folds").glob("*/*.fold"):
        data = bytearray(path.read_bytes())
        data[-1] ^= 0x01
        path.write_bytes(bytes(data))
        assert read_fold(path, columns.Names()) is None
    assert as_json(agreement_report(workspace)) == as_json(reference_report(workspace))


def test_a_fold_saved_in_the_earlier_format_is_made_again_and_removed(tmp_path, monkeypatch):
    """Folds saved as .npz (before FORMAT 3) are not read; the fold made in their place removes them."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 17, 60, 300, n_annotators=2)
    agreement_report(workspace)
    folds = workspace.build_dir / "index" / "folds"
    for path in folds.glob("*/*.fold"):
        old = path.with_name(path.name.replace(f"-{FORMAT}.fold", "-2.npz"))
        path.rename(old)
    assert as_json(agreement_report(workspace)) == as_json(reference_report(workspace))
    assert not list(folds.glob("*/*.npz")) and len(list(folds.glob("*/*.fold"))) == 2


def test_adjudication_after_agreement_decides_from_the_saved_folds(tmp_path, monkeypatch):
    monkeypatch.setattr(gold, "utc_now", lambda: "2026-12-01T00:00:00.000000Z")
    made = []
    for name, arrow in (("columns", True), ("dicts", False)):
        workspace = random_workspace(tmp_path / name, 15, 200, 800, n_annotators=3, unconfigured=False)
        monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0 if arrow else 1 << 40)
        agreement_report(workspace)
        with monkeypatch.context() as patched:
            if arrow:
                patched.setattr(columns, "_fold_file", no_parsing)
            gold.auto_adjudicate(workspace)
        made.append([orjson.loads(line) for line in workspace.gold_path.read_bytes().splitlines()])
    assert made[0] == made[1] and made[0]


def _append_in_another_process(path, record) -> None:
    """Append ``record`` to ``path`` from another process, as a session or `label` would meanwhile."""
    import multiprocessing

    from tagline.corpus.store import append_records

    process = multiprocessing.get_context("fork").Process(target=append_records, args=(path, [record]))
    process.start()
    process.join(30)
    assert process.exitcode == 0


def test_an_answer_appended_by_another_process_while_the_file_is_folded_is_not_lost_from_the_saved_fold(
        tmp_path, monkeypatch):
    """The fold is saved under the key of the file as it was read, not as it is once folded: an
    answer appended in between makes the next command fold the file again instead of missing it."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 16, 60, 300, n_annotators=2)
    name = workspace.annotators()[0]
    path = workspace.annotation_path(name)
    sentence_id = orjson.loads(workspace.sentences_path.read_bytes().splitlines()[0])["id"]
    late = {"sentence_id": sentence_id, "annotator": name, "time": "2026-11-28T11:00:00Z", "task": "claim_type",
            "op": "set", "value": {"label": workspace.config.labels("claim_type")[-1]}}
    real = columns._fold_file

    def fold_then_append(file, ids, names, expected=None):
        folded = real(file, ids, names, expected)
        if file == path:
            _append_in_another_process(path, late)
        return folded

    with monkeypatch.context() as patched:
        patched.setattr(columns, "_fold_file", fold_then_append)
        agreement_report(workspace)
    assert as_json(agreement_report(workspace)) == as_json(reference_report(workspace))


def test_sentences_added_after_the_corpus_was_read_do_not_leave_a_fold_without_their_answers(tmp_path, monkeypatch):
    """The fold holds corpus rows of the corpus as read at the start of the command: when sentences
    are added before the fold is saved, it is not saved for the new corpus."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 17, 60, 300, n_annotators=2)
    name = workspace.annotators()[0]
    added = {"id": "late-s0001", "doc_id": "late", "index": 1, "text": "遅れて来た文。", "start": 0, "end": 7,
             "lang": "ja"}
    answer = {"sentence_id": "late-s0001", "annotator": name, "time": "2026-11-28T11:00:00Z", "task": "claim_type",
              "op": "set", "value": {"label": workspace.config.labels("claim_type")[0]}}
    _append_in_another_process(workspace.annotation_path(name), answer)
    answers = columns.ColumnAnswers(workspace)
    answers.read_sentences()
    _append_in_another_process(workspace.sentences_path, added)  # a `corpus add` meanwhile
    assert answers(name).sentence.max() < 60  # this command's corpus has no row for the new sentence
    folded = columns.ColumnAnswers(workspace)(name)
    assert 60 in set(folded.sentence.tolist())  # the next command's has, and its answer


def test_an_answer_file_changed_in_place_to_the_same_size_and_time_is_folded_again(tmp_path, monkeypatch):
    """A file copied over the answer file with its time kept (``cp -p``, ``rsync --inplace``, ``touch -r``)
    can have the size and modification time of the one folded: the key also holds the inode's change
    time, which no program can set back."""
    import os

    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 18, 60, 300, n_annotators=2)
    agreement_report(workspace)
    path = workspace.annotation_path(workspace.annotators()[0])
    status = path.stat()
    data = path.read_bytes()
    changed = data.replace(b'"sentence_id":"d1-s0001"', b'"sentence_id":"d1-s0002"')
    assert changed != data and len(changed) == len(data)
    with open(path, "r+b") as handle:  # in place: the same inode
        handle.write(changed)
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert as_json(agreement_report(workspace)) == as_json(reference_report(workspace))
