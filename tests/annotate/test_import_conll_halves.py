"""A large plain CoNLL file read in two forked workers, a half each: the columns one reading gives
(line numbers, label numbers first seen in the second half, texts made either way), the files of
the general path byte for byte (the answers' lines made by a forked worker meanwhile), a bad line in the second half refused at its line with nothing
written, and no worker left once the import ends."""

from __future__ import annotations

import multiprocessing
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_import_bulk import workspace_files
from test_import_bulk_formats import as_records, awkward_conll, imported

from tagline.annotate.formats import conll_bulk, conll_halves
from tagline.annotate.formats.common import ReadOptions
from tagline.annotate.interop import bulk, bulk_columns
from tagline.corpus import workers
from tagline.corpus.workspace import init_workspace

from conftest import interop_cli as cli
from conftest import read_in_workers


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.fixture
def in_halves(monkeypatch):
    """Every CoNLL file read in two workers; the calls that started them, in a list."""
    return read_in_workers(monkeypatch, conll_halves)


def random_conll(chooser: random.Random) -> str:
    """Sentences of random tokens and tags (labels first seen late, brackets and quotes whose
    sentences the general reader's rules join), random blank and DOCSTART lines between them."""
    tokens = ["Alice", "left", "2019", "U.S.", ".", ",", "%", ")", "(", "n't", "''", "can", "not", "東京", "x1"]
    tags = ["O", "O", "B-PERSON", "I-PERSON", "B-ORG", "I-ORG", "S-GPE", "B-DATE", "I-DATE"]
    lines: list[str] = []
    for _ in range(chooser.randint(2, 30)):
        lines += [""] * chooser.randint(1, 3) + (["-DOCSTART- -X- O O"] if chooser.random() < 0.1 else [])
        lines += [f"{chooser.choice(tokens)} {chooser.choice(tags)}" for _ in range(chooser.randint(1, 6))]
    return "\n".join(lines) + "\n" * chooser.randint(0, 3)


def test_random_conll_files_read_in_halves_hold_the_columns_of_one_reading(tmp_path, monkeypatch, in_halves):
    chooser = random.Random(5)
    texts = [awkward_conll(2, False), awkward_conll(4, True), awkward_conll(3, False, True)]
    texts += [random_conll(chooser) for _ in range(40)]
    # A label first seen in the second half, and labels seen in the halves in other orders.
    texts.append("a O\n\n" * 20 + "Ann B-PERSON\n\n" * 3 + "Acme B-ORG\n\n" * 3 + "Bob B-PERSON\n\nin S-GPE\n\n")
    for number, text in enumerate(texts):
        path = tmp_path / f"file{number}.conll"
        path.write_bytes(text.encode("utf-8"))
        for lang in ("en", None):
            halves = conll_halves.read_columns_in_halves(path, ReadOptions(lang=lang))
            whole = conll_bulk.read_columns(path, ReadOptions(lang=lang))
            assert as_records(halves) == as_records(whole), text
            if whole is not None:
                assert halves is not None and halves.lines == whole.lines
    assert len(in_halves) > 40
    assert multiprocessing.active_children() == []


def test_what_is_not_plain_in_either_half_leaves_the_file_to_the_general_reader(tmp_path, in_halves):
    for text in ["Alice B-PERSON\n\n" * 10 + "Bob\tB-PERSON\n\n", "Alice B-PERSON\n\n" * 10 + "Bob X B-PERSON\n",
                 "Bob X-PERSON\n\n" + "Alice B-PERSON\n\n" * 10, "Alice B-PERSON\n\n" * 10 + "Bob X-\n"]:
        path = tmp_path / "file.conll"
        path.write_text(text, encoding="utf-8")
        assert conll_halves.read_columns_in_halves(path, ReadOptions(lang="en")) is None
    assert len(in_halves) == 4


@pytest.mark.parametrize("options,chunk", [({}, 3), ({"split": "test", "lang": "ja"}, 100_000)])
def test_a_conll_import_read_in_halves_writes_the_files_of_the_general_path(tmp_path, monkeypatch, in_halves,
                                                                           options, chunk):
    source = tmp_path / "file.conll"
    source.write_text(random_conll(random.Random(3)) + "\n\n" + awkward_conll(2, False), encoding="utf-8")
    label_map = tmp_path / "map.json"
    label_map.write_text('{"MONEY": "", "B": "PERSON"}', encoding="utf-8")
    options = {"fmt": "conll", "annotator": "carol", "label_map": label_map, **options}
    # The answers' lines made by a forked worker too (see bulk_columns._write), a few records at a time.
    pools: list = []

    class Pool(workers.WorkerPool):
        def __init__(self, *arguments, **named) -> None:
            pools.append(arguments)
            super().__init__(*arguments, **named)

    monkeypatch.setattr(workers, "WorkerPool", Pool)
    monkeypatch.setattr(bulk, "ASIDE_RECORDS", 0)
    monkeypatch.setattr(bulk_columns, "CHUNK_RECORDS", chunk)
    halves = imported(tmp_path, "halves", source, monkeypatch, None, "", **options)
    assert len(in_halves) == 1
    assert pools == [(2, "fork"), (1, "fork")]  # the halves' workers, then the answers' one
    monkeypatch.setattr(conll_halves, "read_columns_in_halves", lambda *arguments: None)
    general = imported(tmp_path, "general", source, monkeypatch, conll_bulk, "read_plain", **options)
    assert halves == general
    assert halves[0]["events"] == {"carol": halves[0]["sentences"]} and halves[0]["sentences"] > 10
    assert len(in_halves) == 1  # (the general path reads the file in this process)
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("halved", [False, True], ids=["one reading", "in halves"])
def test_a_bad_tag_late_in_the_file_is_refused_at_its_line_with_nothing_written(tmp_path, monkeypatch, halved):
    started = read_in_workers(monkeypatch, conll_halves) if halved else []
    workspace = init_workspace(tmp_path / "ws", language="en")
    monkeypatch.chdir(tmp_path)
    Path("big.conll").write_text("Alice B-PERSON\nleft O\n\n" * 500 + "Bob B-PERSON\nleft X-\n", encoding="utf-8")
    before = workspace_files(workspace.root)
    result = CliRunner().invoke(cli, ["import", "big.conll", "--format", "conll", "-a", "alice",
                                      "-w", str(workspace.root)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith("Error: big.conll:1502: tag 'X-' is not a named-entity tag")
    assert workspace_files(workspace.root) == before
    assert len(started) == halved  # (the second half is read by a worker of its own)
    assert multiprocessing.active_children() == []


LIBRARY_IMPORT = """
import os, sys
from pathlib import Path
from threadpoolctl import threadpool_info
from tagline import import_file, init_workspace
from tagline.annotate.formats import conll_halves
from tagline.corpus.workers import cores
from tagline.errors import TaglineError

conll_halves.WORKER_BYTES = 0  # read in halves, as a large file is
root = Path(sys.argv[1])
ws = init_workspace(root / "ws", language="en")
(root / "a.conll").write_text("Alice B-PERSON\\nleft O\\n\\n" * 50)
(root / "b.conll").write_text("Bob B-PERSON\\n\\n" * 50 + "Eve X-\\n")
assert "numpy" not in sys.modules
for name in ("a.conll", "b.conll"):
    try:
        import_file(ws, root / name, fmt="conll", annotator="alice")
    except TaglineError:
        pass
    print(os.environ.get("OPENBLAS_NUM_THREADS"), "numpy" in sys.modules, cores(),
          [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"])
"""


@pytest.mark.skipif(workers.cores() < 2, reason="a file is read in halves only with a second core")
def test_a_library_import_leaves_the_environment_and_numpys_threads_as_they_were(tmp_path):
    """The halves' workers are forked, so NumPy is imported with BLAS on one thread meanwhile; a
    program that imports through the library gets its environment back and BLAS its threads, after
    an import and after one refused."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", LIBRARY_IMPORT, str(tmp_path)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    cores = workers.cores()
    assert done.stdout.splitlines() == [f"None True {cores} [{cores}]"] * 2
