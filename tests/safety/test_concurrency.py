"""Several processes at once on one workspace: nothing lost, nothing twice, and `validate` passes."""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from tagline.cli import main
from tagline.corpus.store import read_records
from tagline.corpus.workspace import Workspace, init_workspace

CONTEXT = multiprocessing.get_context("fork")


def _together(*jobs: tuple) -> None:
    """Start every ``(function, args)`` in its own process at the same moment; all must succeed."""
    start = CONTEXT.Event()

    def run(function, args):
        start.wait()
        function(*args)

    processes = [CONTEXT.Process(target=run, args=job) for job in jobs]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(180)
        assert process.exitcode == 0, f"a worker failed ({process.exitcode})"


def _validate(root: Path) -> None:
    from tagline.annotate.validate import iter_errors, validate_workspace

    errors = list(iter_errors(validate_workspace(Workspace(root))))
    assert errors == [], [str(error) for error in errors[:5]]


def _check_corpus(root: Path) -> None:
    """Every registered document has exactly its sentences, and no sentence id is there twice."""
    workspace = Workspace(root)
    ids = Counter(record["id"] for record in workspace.iter_sentences())
    assert [sentence_id for sentence_id, count in ids.items() if count > 1] == []
    per_document = Counter(record["doc_id"] for record in workspace.iter_sentences())
    for doc_id, record in workspace.documents().items():
        assert per_document[doc_id] == record["n_sentences"], doc_id
    _validate(root)


def _add(root: str, path: str, doc_id: str | None = None, replace: bool = False) -> None:
    from tagline.corpus.ingest import add_documents

    add_documents(Workspace(root), [path], doc_id=doc_id, replace=replace)


def _replace_loop(root: str, texts: list[str], rounds: int) -> None:
    for number in range(rounds):
        _add(root, texts[number % 2], doc_id="bigdoc", replace=True)


def _add_many(root: str, folder: str, worker: int, count: int) -> None:
    for number in range(count):
        path = Path(folder) / f"w{worker}_{number}.txt"
        path.write_text(f"作業者{worker}の文書{number}。二つ目の文です。", encoding="utf-8")
        _add(root, str(path))


def big_versions(folder: Path, root: Path) -> list[str]:
    """Two versions of a 400-sentence document (every third sentence differs), the first one added
    to the workspace as ``bigdoc``."""
    texts = []
    for version in range(2):
        path = folder / f"big{version}.txt"
        path.write_text("".join(f"文{number}は版{version if number % 3 == 0 else 0}です。" for number in range(400)),
                        encoding="utf-8")
        texts.append(str(path))
    _add(str(root), texts[0], doc_id="bigdoc")
    return texts


def test_corpus_add_with_replace_beside_three_adders_loses_no_document(tmp_path):
    root = init_workspace(tmp_path / "ws").root
    texts = big_versions(tmp_path, root)
    folder = tmp_path / "docs"
    folder.mkdir()
    _together((_replace_loop, (str(root), texts, 8)),
              *[(_add_many, (str(root), str(folder), worker, 12)) for worker in range(3)])
    documents = Workspace(root).documents()
    assert len(documents) == 1 + 3 * 12
    _check_corpus(root)


def test_the_same_file_added_by_three_processes_at_once_is_added_once(tmp_path):
    root = init_workspace(tmp_path / "ws").root
    path = tmp_path / "same.txt"
    path.write_text("同じ文書です。三つの処理が同時に追加します。", encoding="utf-8")
    _together(*[(_add, (str(root), str(path))) for _ in range(3)])
    assert len(list(Workspace(root).iter_sentences())) == 2
    assert len(list(read_records(Workspace(root).documents_path))) == 1
    _check_corpus(root)


def _label(root: str, annotator: str, sentence_ids: list[str]) -> None:
    from tagline.annotate.scripted import label_sentence

    for sentence_id in sentence_ids:
        label_sentence(Workspace(root), sentence_id, annotator, claim_type="not_claim")


def _adjudicate(root: str) -> None:
    from tagline.annotate.gold import auto_adjudicate

    auto_adjudicate(Workspace(root))


def test_three_adjudications_at_once_write_each_gold_record_once(tmp_path):
    workspace = init_workspace(tmp_path / "ws", sample=True)
    workspace.gold_path.unlink()  # every sample question is to be decided again, from the sample's answers
    from tagline.annotate.events import load_view
    from tagline.annotate.scripted import label_sentence

    sample = load_view(workspace, "sample-gold")
    for sentence_id in [record["id"] for record in workspace.iter_sentences()][:40]:
        label_sentence(workspace, sentence_id, "bob",  # bob agrees with the sample on every claim type
                       claim_type=sample.value(sentence_id, "claim_type")["label"])
    import shutil

    alone = Workspace(shutil.copytree(workspace.root, tmp_path / "alone"))
    _adjudicate(str(alone.root))
    expected = {(r["sentence_id"], r["task"], r.get("target")) for r in alone.iter_gold()}
    assert len(expected) == 77 * 4
    for _ in range(3):
        _together(*[(_adjudicate, (str(workspace.root),)) for _ in range(3)])
        keys = Counter((r["sentence_id"], r["task"], r.get("target")) for r in workspace.iter_gold())
        assert max(keys.values()) == 1
        assert set(keys) == expected
    _validate(workspace.root)


def test_labels_from_four_processes_and_an_adjudication_lose_no_answer(tmp_path):
    workspace = init_workspace(tmp_path / "ws", sample=True)
    ids = [record["id"] for record in workspace.iter_sentences()]
    jobs = [(_label, (str(workspace.root), f"a{worker}", ids[worker::4])) for worker in range(4)]
    _together(*jobs, (_adjudicate, (str(workspace.root),)))
    for worker in range(4):
        answered = [event["sentence_id"] for event in read_records(workspace.annotation_path(f"a{worker}"))]
        assert answered == ids[worker::4]
    _validate(workspace.root)


def _import(root: str, path: str, annotator: str) -> None:
    from tagline.annotate.interop import import_file

    import_file(Workspace(root), path, fmt="doccano", annotator=annotator)


def test_the_same_import_three_times_at_once_is_the_import_once(tmp_path):
    root = init_workspace(tmp_path / "ws").root
    path = tmp_path / "carol.jsonl"
    path.write_text("".join(f'{{"id": {n}, "text": "会社{n}は東京にある。", "label": [[0, 3, "ORG"]]}}\n'
                            for n in range(30)), encoding="utf-8")
    _together(*[(_import, (str(root), str(path), "carol")) for _ in range(3)])
    workspace = Workspace(root)
    assert len(workspace.documents()) == 30
    assert len(list(read_records(workspace.annotation_path("carol")))) == 30
    _check_corpus(root)


def _build(root: str) -> None:
    from tagline.eval.build import build_dataset

    build_dataset(Workspace(root), tokens=False)


@pytest.mark.slow
def test_two_builds_and_a_label_at_once_leave_one_whole_build(tmp_path):
    workspace = init_workspace(tmp_path / "ws", sample=True)
    _together((_build, (str(workspace.root),)), (_build, (str(workspace.root),)),
              (_label, (str(workspace.root), "bob", ["deepseek_ja-s0001"])))
    os.chdir(workspace.root)
    result = CliRunner().invoke(main, ["eval", "run", "--task", "claim_type", "--baselines", "majority"])
    assert result.exit_code == 0, result.output
    # No staging folder is left; index/ holds the derived sentence index the label read through.
    assert {path.name for path in workspace.build_dir.iterdir()} <= {"dataset", "dataset.previous", "index"}
    _validate(workspace.root)


def _add_records(root: str, path: str) -> None:
    from tagline.corpus.ingest import add_documents

    add_documents(Workspace(root), [path])


def test_two_record_corpora_two_imports_and_a_labeller_of_the_same_annotator_at_once_lose_nothing(tmp_path):
    """Each record file's texts go to one .texts file named after its first record; the imports'
    answers go to the file the labeller appends to."""
    root = init_workspace(tmp_path / "ws").root
    files = []
    for number in range(2):
        path = tmp_path / f"records{number}.jsonl"
        path.write_text("".join(f'{{"id": "r{number}-{n}", "text": "記録{number}の{n}番目の文。"}}\n' for n in range(40)),
                        encoding="utf-8")
        files.append(str(path))
        path = tmp_path / f"carol{number}.jsonl"
        path.write_text("".join(f'{{"id": {n}, "text": "会社{number}-{n}は東京にある。", "label": [[0, 2, "ORG"]]}}\n'
                                for n in range(40)), encoding="utf-8")
        files.append(str(path))
    _add_records(str(root), files[0])  # the labeller has sentences to label from the start
    ids = [record["id"] for record in Workspace(root).iter_sentences()]
    _together((_add_records, (str(root), files[2])), (_import, (str(root), files[1], "carol")),
              (_import, (str(root), files[3], "carol")), (_label, (str(root), "carol", ids)))
    workspace = Workspace(root)
    assert len(workspace.documents()) == 4 * 40
    assert sorted(path.name for path in workspace.documents_dir.iterdir()) == \
        sorted(["r0-0.texts", "r1-0.texts", "carol0-0.texts", "carol1-0.texts"])
    answered = Counter(event["sentence_id"] for event in read_records(workspace.annotation_path("carol")))
    assert len(answered) == 40 + 2 * 40 and set(answered.values()) == {1}
    _check_corpus(root)


def _import_as(root: str, path: str, fmt: str, annotator: str | None) -> None:
    from tagline.annotate.interop import import_file

    import_file(Workspace(root), path, fmt=fmt, annotator=annotator)


def test_two_labellers_beside_bulk_imports_of_their_annotator_and_an_adjudication_lose_nothing(tmp_path,
                                                                                             monkeypatch):
    """Two processes label for dave as a Label Studio export and a CoNLL file of dave's answers are
    imported in bulk (their plain records a chunk at a time) and gold is made: every answer is there
    once, and the session reads dave's answers as the events say."""
    import json

    from tagline.annotate import answer_index
    from tagline.annotate.events import fold_events, iter_annotation_events
    from tagline.annotate.interop import bulk_records
    from tagline.annotate.session_data import SessionAnswers

    workspace = init_workspace(tmp_path / "ws", sample=True)
    root = str(workspace.root)
    ids = [record["id"] for record in workspace.iter_sentences()]
    tasks = [{"id": n, "data": {"text": f"会社{n}は東京にある。"}, "annotations": [{"completed_by": "dave", "result": [
        {"from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": 0, "end": 2, "text": "会社", "labels": ["ORG"]}}]}]} for n in range(60)]
    (tmp_path / "tasks.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "ner.conll").write_text("".join(f"会社{n}\tB-ORG\nは\tO\n大阪\tB-GPE\n。\tO\n\n" for n in range(60)),
                                        encoding="utf-8")
    monkeypatch.setattr(bulk_records, "CHUNK_RECORDS", 7)  # several chunks, with others' writes between them
    _together((_label, (root, "dave", ids[0::2])), (_label, (root, "dave", ids[1::2])),
              (_import_as, (root, str(tmp_path / "tasks.json"), "label-studio", None)),
              (_import_as, (root, str(tmp_path / "ner.conll"), "conll", "dave")), (_adjudicate, (root,)))
    events = list(read_records(workspace.annotation_path("dave")))
    answered = Counter(event["sentence_id"] for event in events)
    assert len(answered) == len(ids) + 120 and set(answered.values()) == {1}
    assert sum(sentence_id.startswith("tasks-") for sentence_id in answered) == 60
    assert sum(sentence_id.startswith("ner-") for sentence_id in answered) == 60
    index = answer_index.answer_index(workspace, "dave")
    answers = SessionAnswers(index)
    shown = {sentence_id.decode(): answers[sentence_id.decode()] for sentence_id in index.ids.tolist()}
    assert shown == fold_events(iter_annotation_events(workspace, "dave"))
    _check_corpus(workspace.root)
