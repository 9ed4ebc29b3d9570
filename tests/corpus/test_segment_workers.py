"""A large `corpus add` segmented in worker processes: the same sentences and texts as segmented in
turn, the same first error when a document has none, progress counted to the end, and a script that
adds documents outside a main guard told so rather than left waiting."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tagline.corpus import segment_workers, workers
from tagline.corpus.ingest import add_source_documents
from tagline.corpus.readers import SourceDocument
from tagline.corpus.workspace import init_workspace
from tagline.errors import InputError

from conftest import run_script

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="spawns workers")

TEXTS = [
    "Acme Corp said on Monday that profits rose by $5 million, item 1.",  # a plain sentence: not handed out
    "Dr. Smith arrived. He said (quietly) that it rose; then it fell! Did it? \"Yes. It did.\" Mr. Li left.",
    "First line ends here.\nSecond line, no stop\n\nA new paragraph. And another one.",
    "U.S. officials met at 3 p.m. on Jan. 5. The talks ended.",
    "見出し\n彼は「準備はできた。始めよう」と述べた。次だ。",
]


def _documents(texts: list[str], fmt: str = "txt") -> list[SourceDocument]:
    return [SourceDocument(doc_id=f"d{number:03d}", text=text, source=f"input:{number + 1}", format=fmt,
                           encoding="utf-8", lang="ja" if "。" in text else None)
            for number, text in enumerate(texts)]


def _added(root: Path, documents: list[SourceDocument]) -> tuple[bytes, list[tuple[int, int | None, str]]]:
    workspace = init_workspace(root, language="en")
    calls: list[tuple[int, int | None, str]] = []
    add_source_documents(workspace, documents, progress=lambda done, total, what: calls.append((done, total, what)))
    return workspace.sentences_path.read_bytes(), calls


def test_documents_segmented_in_workers_are_the_documents_segmented_in_turn(tmp_path, monkeypatch):
    texts = TEXTS * 6
    in_turn, _ = _added(tmp_path / "in-turn", _documents(texts))
    handed_out = []
    map_in_workers = workers.map_in_workers

    def spy(function, arguments, count, **options):
        arguments = list(arguments)
        handed_out.append((count, [len(documents) for documents, in arguments]))
        return map_in_workers(function, arguments, count, **options)

    monkeypatch.setattr(workers, "map_in_workers", spy)
    monkeypatch.setattr(workers, "cores", lambda: 2)
    monkeypatch.setattr(segment_workers, "PARALLEL_SEGMENT_MIN_CHARACTERS", 0)
    monkeypatch.setattr(segment_workers, "CHUNK_CHARACTERS", 150)
    shared, calls = _added(tmp_path / "shared", _documents(texts))
    assert shared == in_turn
    assert handed_out and handed_out[0][0] == 2 and sum(handed_out[0][1]) == len(texts) - 6  # not the plain ones
    assert len(handed_out[0][1]) > 2  # several chunks
    segmenting = [(done, total) for done, total, what in calls if what == "segmenting documents"]
    assert segmenting[-1] == (len(texts), len(texts))
    assert [done for done, _ in segmenting] == sorted(done for done, _ in segmenting)


@pytest.mark.parametrize("shared", [False, True])
def test_a_document_without_sentences_before_another_error_is_the_error_reported(tmp_path, monkeypatch, shared):
    if shared:
        monkeypatch.setattr(workers, "cores", lambda: 2)
        monkeypatch.setattr(segment_workers, "PARALLEL_SEGMENT_MIN_CHARACTERS", 0)
    documents = _documents(TEXTS[1:3]) + _documents(["---"], fmt="md") + _documents(TEXTS[:2])
    documents[2].doc_id, documents[4].doc_id = "rule", "d000"  # the last repeats the first's id
    workspace = init_workspace(tmp_path / "ws", language="en")
    with pytest.raises(InputError, match="no sentences found") as raised:
        add_source_documents(workspace, documents)
    assert raised.value.where == "input:1"  # the third document ("---"): the reader's place for it
    assert not workspace.sentences_path.exists() or workspace.sentences_path.read_bytes() == b""
    # Without the document that has none, the repeated id is the error.
    with pytest.raises(InputError, match="given twice"):
        add_source_documents(workspace, documents[:2] + documents[3:])


@pytest.mark.parametrize("guarded", [True, False])
def test_a_script_that_adds_outside_a_main_guard_is_told_so_rather_than_left_waiting(tmp_path, guarded):
    workspace = init_workspace(tmp_path / "ws", language="en")
    setup = ("from tagline.corpus import segment_workers, workers\n"
             "from tagline.corpus.ingest import add_source_documents\n"
             "from tagline.corpus.readers import SourceDocument\n"
             "from tagline.corpus.workspace import Workspace\n"
             "segment_workers.PARALLEL_SEGMENT_MIN_CHARACTERS = 0\n"
             "workers.cores = lambda: 2\n")
    call = (f"add_source_documents(Workspace({str(workspace.root)!r}), [SourceDocument(doc_id='d', "
            f"text={TEXTS[1]!r}, source='s', format='txt', encoding='utf-8')])")
    result = run_script(tmp_path / "add_script.py", setup, call, guarded=guarded)
    if guarded:
        assert result.returncode == 0, result.stderr
        assert workspace.sentences_path.read_text().count("\n") == 5
    else:
        assert result.returncode != 0
        # One error, the script's own, that says what to do: not a traceback from each worker
        # and the pool's BrokenProcessPool after them.
        assert result.stderr.count("Traceback") == 1 and "BrokenProcessPool" not in result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("tagline.errors.DataError: ") and 'under `if __name__ == "__main__":`' in last
        assert not workspace.sentences_path.exists() or workspace.sentences_path.read_bytes() == b""


def test_a_script_that_adds_in_a_process_of_its_own_is_not_taken_for_a_starting_worker(tmp_path):
    # Only a worker that is starting (importing the script again) refuses: a process the script starts
    # itself, which runs its target with the same name and main module as a worker has, may add.
    workspace = init_workspace(tmp_path / "ws", language="en")
    setup = ("import multiprocessing, sys\n"
             "from tagline.corpus import segment_workers, workers\n"
             "from tagline.corpus.ingest import add_source_documents\n"
             "from tagline.corpus.readers import SourceDocument\n"
             "from tagline.corpus.workspace import Workspace\n"
             "segment_workers.PARALLEL_SEGMENT_MIN_CHARACTERS = 0\n"
             "workers.cores = lambda: 2\n"
             "def add():\n"
             f"    add_source_documents(Workspace({str(workspace.root)!r}), [SourceDocument(doc_id='d', "
             f"text={TEXTS[1]!r}, source='s', format='txt', encoding='utf-8')])\n")
    call = ("process = multiprocessing.get_context('spawn').Process(target=add); process.start(); process.join(); "
            "sys.exit(process.exitcode)")
    result = run_script(tmp_path / "add_in_a_process.py", setup, call, guarded=True)
    assert result.returncode == 0, result.stderr
    assert workspace.sentences_path.read_text().count("\n") == 5
