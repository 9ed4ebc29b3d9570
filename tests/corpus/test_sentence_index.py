"""The sentence index (``build/index/``): made again when sentences.jsonl changes, never trusted when
damaged or stale, safe when made by two processes at once, and what ``label`` reads a sentence through."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import tagline
from tagline.annotate.scripted import label_sentence
from tagline.corpus import sentence_index as indexing
from tagline.corpus.ingest import add_documents
from tagline.corpus.sentence_index import find_sentence, sentence_index
from tagline.corpus.store import TornLineWarning, read_records


@pytest.fixture
def corpus(workspace, tmp_path):
    """A workspace of 3 documents, 600 sentences."""
    for number in range(3):
        path = tmp_path / f"doc{number}.txt"
        path.write_text("".join(f"文書{number}の文{index}です。" for index in range(200)), encoding="utf-8")
        add_documents(workspace, [path])
    indexing._OPENED.clear()
    return workspace


def fresh(workspace, **options):
    """The index as a new process opens it (not the one this process keeps)."""
    indexing._OPENED.clear()
    return sentence_index(workspace, **options)


def saved_files(workspace):
    return sorted((workspace.build_dir / "index").glob("sentences-*.npy"))


def test_every_sentence_is_found_by_id_and_by_position(corpus):
    records = list(corpus.iter_sentences())
    index = fresh(corpus, checked=True)
    assert len(index) == 600 and len(saved_files(corpus)) == 1
    for position in (0, 1, 299, 599):
        assert index.position(records[position]["id"]) == position
        assert index.read(position) == records[position]
    assert index.position("doc9-s0001") is None
    wanted = np.array([records[5]["id"].encode(), b"nope", records[598]["id"].encode()])
    assert index.positions(wanted).tolist() == [5, -1, 598]


def test_the_index_is_made_again_when_sentences_are_added(corpus, tmp_path, monkeypatch):
    extended = []
    real_extended = indexing._extended
    monkeypatch.setattr(indexing, "_extended", lambda *args: extended.append(len(args[1])) or real_extended(*args))
    before = fresh(corpus)
    old_file = saved_files(corpus)
    path = tmp_path / "late.txt"
    path.write_text("最後の文書です。もう一文。", encoding="utf-8")
    add_documents(corpus, [path])
    after = sentence_index(corpus)  # the same process: its kept index is for the old file
    assert len(before) == 600 and len(after) == 602 and extended == [2]  # the two appended lines alone
    assert find_sentence(corpus, "late-s0002")["text"] == "もう一文。"
    assert saved_files(corpus) != old_file and len(saved_files(corpus)) == 1  # the stale one is removed
    whole = indexing.build_index(corpus.sentences_path)  # only the appended lines were read: the same index
    for name in ("starts", "sorted_ids", "by_id", "rank"):
        assert np.array_equal(getattr(after, name), getattr(whole, name))


def test_an_earlier_index_is_extended_only_when_the_file_still_begins_as_it_says(corpus, tmp_path, monkeypatch):
    fresh(corpus)
    records = list(corpus.iter_sentences())
    data = corpus.sentences_path.read_bytes()  # the last sentence's id changed in place, then one appended
    changed = data.replace(records[-1]["id"].encode(), b"doc2-s9999")
    with open(corpus.sentences_path, "r+b") as handle:
        handle.write(changed)
        handle.write(data[data.rfind(b"\n", 0, len(data) - 1) + 1:].replace(b"s0200", b"s0201"))
    extended = []
    monkeypatch.setattr(indexing, "_extended", lambda *args: extended.append(args))
    index = fresh(corpus, checked=True)
    assert not extended and len(index) == 601
    assert find_sentence(corpus, "doc2-s9999")["index"] == 200 and find_sentence(corpus, records[-1]["id"]) is None


def test_a_damaged_index_file_is_not_used(corpus):
    fresh(corpus)
    [saved] = saved_files(corpus)
    saved.write_bytes(b"\x93NUMPY garbage")
    index = fresh(corpus, checked=True)
    assert len(index) == 600
    assert index.read(599)["id"] == list(corpus.iter_sentences())[-1]["id"]


def test_an_index_that_points_at_the_wrong_lines_is_caught_and_made_again(corpus):
    records = list(corpus.iter_sentences())
    fresh(corpus)
    [saved] = saved_files(corpus)
    table = np.load(saved)
    table["start"][[10, 11]] = table["start"][[11, 10]]  # two sentences' offsets swapped: no longer rising
    table["start"][12] += 1  # one offset a byte off: not a whole line
    buffer = io.BytesIO()
    np.save(buffer, table)
    saved.write_bytes(buffer.getvalue())
    damaged = indexing._load(corpus.sentences_path, saved)
    with pytest.raises(indexing.StaleIndex):
        damaged.check()  # what a session checks before it uses the index
    with pytest.raises(indexing.StaleIndex):
        damaged.read(12)  # and what every read checks
    indexing._OPENED.clear()
    assert find_sentence(corpus, records[10]["id"]) == records[10]  # made again, from the file
    assert find_sentence(corpus, records[12]["id"]) == records[12]
    assert fresh(corpus, checked=True).read(11) == records[11]


def test_an_id_the_index_lacks_is_still_found(corpus):
    records = list(corpus.iter_sentences())
    fresh(corpus)
    [saved] = saved_files(corpus)
    table = np.load(saved)
    table["sorted_id"][table["rank"][7]] = b"zzz"  # the index has lost sentence 7's id
    buffer = io.BytesIO()
    np.save(buffer, table)
    saved.write_bytes(buffer.getvalue())
    indexing._OPENED.clear()
    assert find_sentence(corpus, records[7]["id"]) == records[7]
    assert fresh(corpus).position(records[7]["id"]) == 7  # and the index was made again


def test_label_of_the_last_sentence_reads_it_through_the_index(corpus):
    last = list(corpus.iter_sentences())[-1]
    fresh(corpus)
    [event] = label_sentence(corpus, last["id"], "alice", claim_type="quantity")
    assert event["sentence_id"] == last["id"]
    assert [e["sentence_id"] for e in read_records(corpus.annotation_path("alice"))] == [last["id"]]


def test_a_torn_last_line_is_left_out_and_reported(corpus):
    with open(corpus.sentences_path, "ab") as handle:
        handle.write(b'{"id": "torn-s0001", "doc_')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        index = fresh(corpus)
    assert len(index) == 600
    assert any(issubclass(w.category, TornLineWarning) for w in caught)


MAKE = """
import sys
from tagline.corpus.workspace import Workspace
from tagline.corpus.sentence_index import sentence_index
index = sentence_index(Workspace(sys.argv[1]))
print(len(index), index.read(len(index) - 1)["id"])
"""


def test_two_processes_making_the_index_at_once_both_get_it_whole(corpus):
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
    runs = [subprocess.Popen([sys.executable, "-c", MAKE, str(corpus.root)], stdout=subprocess.PIPE, text=True,
                             env=env) for _ in range(2)]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    last = list(corpus.iter_sentences())[-1]["id"]
    assert outputs == [f"600 {last}\n"] * 2
    assert len(saved_files(corpus)) == 1
    assert not [path for path in (corpus.build_dir / "index").iterdir() if path.name.endswith(".tmp")]
    fresh(corpus, checked=True)


def test_an_ingest_leaves_the_index_of_the_file_it_wrote(corpus, tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the whole file was read again")

    def saved_for_the_file_as_it_is():
        status = os.stat(corpus.sentences_path)
        [saved] = saved_files(corpus)
        return saved.name == f"sentences-v{indexing.INDEX_VERSION}-{status.st_size}-{status.st_mtime_ns}-" \
                             f"{status.st_ino}.npy"

    late = tmp_path / "late.txt"
    late.write_text("最後の文書です。もう一文。", encoding="utf-8")
    add_documents(corpus, [late])  # appended: the ingest extends the index by its own two lines
    assert saved_for_the_file_as_it_is()
    with monkeypatch.context() as patched:
        patched.setattr(indexing, "build_index", never)
        index = fresh(corpus, checked=True)  # what the next session opens, with nothing left to read
        assert len(index) == 602 and index.read(601)["text"] == "もう一文。"
    changed = tmp_path / "doc1.txt"
    changed.write_text("書き換えた文です。" + changed.read_text(encoding="utf-8"), encoding="utf-8")
    add_documents(corpus, [changed], replace=True)  # written anew: the ingest indexes the new file whole
    assert saved_for_the_file_as_it_is()
    monkeypatch.setattr(indexing, "build_index", never)
    index = fresh(corpus, checked=True)
    records = list(corpus.iter_sentences())
    assert len(index) == len(records) == 603
    assert [index.read(position) for position in range(len(index))] == records

