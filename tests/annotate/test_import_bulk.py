"""The bulk import of plain doccano span files: the same workspace files as the record-by-record path,
the general path for whatever is not plain, and bad records refused with nothing written."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tagline.annotate.formats import conll_bulk
from tagline.annotate.interop import bulk, import_file
from tagline.annotate.interop import importing as importing_module
from tagline.annotate.interop.labels import LabelMapper
from tagline.corpus.workspace import init_workspace

from conftest import interop_cli as cli

MIXED = [
    {"text": "  Alice Moreau went to Paris.  ", "label": [[2, 14, "PERSON"], [23, 28, "GPE"], [2, 14, "PERSON"]]},
    {"text": "No spans here.", "label": []},
    {"text": "A record without a label field."},
    {"id": 42, "text": "Émile 😀 met Bob in Tōkyō.", "label": [[8, 11, "PERSON"], [0, 5, "PERSON"], [15, 20, "GPE"]]},
    {"id": "abc/def", "text": "Quote \" and \\ back\u2028slash\ttab", "label": [[0, 5, "ORG"]], "extra": {"x": [1]}},
    {"text": "Same span, two labels", "label": [[0, 4, "ORG"], [0, 4, "GPE"]]},
    {"text": "A Person and a Misc", "label": [[2, 8, "Person"], [15, 19, "Misc"]]},
]


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def write_mixed(path: Path) -> Path:
    lines = []
    for number, record in enumerate(MIXED):
        lines.append(json.dumps(record, ensure_ascii=number % 2 == 0))
        if number == 2:
            lines += ["", "   "]  # blank lines: the line numbers in `source` still count them
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def workspace_files(root: Path) -> dict[str, str]:
    """Every file a workspace manages, with the times that differ from one run to the next left out
    (and the caches in `build/`, named for the state of the files they index)."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name not in (".tagline.lock", "tagline.toml") and \
                path.relative_to(root).parts[0] != "build":
            files[str(path.relative_to(root))] = re.sub(r'"(time|added)":"[^"]*"', r'"\1":T', path.read_text("utf-8"))
    return files


def imported(tmp_path: Path, name: str, source: Path, monkeypatch, *, general: bool, **options) -> tuple[dict, dict]:
    """The summary and the workspace files of importing ``source`` into a new workspace."""
    workspace = init_workspace(tmp_path / name, language="en")
    with monkeypatch.context() as patch:
        if general:
            patch.setattr(importing_module, "_bulk", lambda *arguments: None)
        summary = import_file(workspace, source, fmt="doccano", annotator="alice", **options)
    return summary, workspace_files(workspace.root)


@pytest.mark.parametrize("chunk, aside", [(bulk.CHUNK_LINES, bulk.ASIDE_RECORDS), (2, bulk.ASIDE_RECORDS), (2, 1)])
@pytest.mark.parametrize("options", [{}, {"split": "test", "lang": "ja"}])
def test_the_bulk_import_writes_the_files_the_general_path_writes(tmp_path, monkeypatch, chunk, aside, options):
    source = write_mixed(tmp_path / "mixed.jsonl")
    label_map = tmp_path / "map.json"
    label_map.write_text('{"Person": "PERSON", "Misc": ""}', encoding="utf-8")
    monkeypatch.setattr(bulk, "CHUNK_LINES", chunk)  # 2: several chunks, each decoded again to write
    # 1: each chunk's answer lines made aside (here in this process, which runs NumPy's threads: see
    # test_large_chunks_have_their_answer_lines_made_in_a_forked_worker for a worker)
    monkeypatch.setattr(bulk, "ASIDE_RECORDS", aside)
    fast = imported(tmp_path, "fast", source, monkeypatch, general=False, label_map=label_map, **options)
    general = imported(tmp_path, "general", source, monkeypatch, general=True, label_map=label_map, **options)
    assert fast == general
    summary, files = fast
    assert summary["documents_added"] == 7 and summary["events"] == {"alice": 6}
    assert summary["warnings"] == ["1 label left out as the label map says", "1 duplicate span in the file merged"]
    assert sorted(files) == ["annotations/alice.jsonl", "documents.jsonl", "documents/mixed-1.texts",
                             "sentences.jsonl"]


# The import command, each chunk two records, whose answer lines are made aside however few: the
# process that made each chunk's is marked (a file named by its id in the folder given first).
ASIDE = """
import os, sys
from pathlib import Path
marks = Path(sys.argv.pop(1))
from tagline.annotate.interop import bulk
bulk.CHUNK_LINES, bulk.ASIDE_RECORDS = 2, 1
made = bulk._spooled_event_lines

def marked(*arguments):
    (marks / str(os.getpid())).touch()
    return made(*arguments)

bulk._spooled_event_lines = marked
from tagline.cli import main
sys.argv[0] = "tagline"
main()
"""


def _aside_import(tmp_path: Path) -> tuple[list[str], dict[str, str], Path, Path]:
    """The arguments of a Python that runs ``ASIDE`` over an import of the mixed doccano file (its
    label map beside it) into a new workspace, the environment to run it in, that workspace
    and the folder of marks its answer-line makers leave."""
    import tagline

    source = write_mixed(tmp_path / "mixed.jsonl")
    label_map = tmp_path / "map.json"
    label_map.write_text('{"Person": "PERSON", "Misc": ""}', encoding="utf-8")
    root = init_workspace(tmp_path / "ws", language="en").root
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
    env.pop("OPENBLAS_NUM_THREADS", None)  # the command itself keeps NumPy from starting threads
    return (["-c", ASIDE, str(marks), "annotate", "import", str(source), "--format", "doccano", "-a", "alice",
             "--label-map", str(label_map), "-w", str(root)], env, root, marks)


def test_large_chunks_have_their_answer_lines_made_in_a_forked_worker(tmp_path, monkeypatch):
    import subprocess
    import sys

    arguments, env, root, marks = _aside_import(tmp_path)
    process = subprocess.run([sys.executable, *arguments], env=env, capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr
    makers = {int(mark.name) for mark in marks.iterdir()}
    assert len(makers) == 4  # a worker for each of the 4 chunks, none the command itself
    general = imported(tmp_path, "general", tmp_path / "mixed.jsonl", monkeypatch, general=True,
                       label_map=tmp_path / "map.json")
    assert workspace_files(root) == general[1]


def test_on_a_terminal_the_bar_is_drawn_and_the_answer_lines_still_made_in_a_forked_worker(tmp_path):
    import sys

    import pexpect

    arguments, env, _, marks = _aside_import(tmp_path)
    env.update(TERM="xterm-256color", TAGLINE_PROGRESS_DELAY="0")
    child = pexpect.spawn(sys.executable, arguments, env=env, dimensions=(24, 100), encoding="utf-8", timeout=120)
    output = child.read()
    child.close()
    assert child.exitstatus == 0, output
    assert "writing answers" in output and "7 new documents" in output, output  # the bar, then the summary
    assert len(list(marks.iterdir())) == 4, output  # the bar runs no thread: the command may fork


def test_a_plain_file_takes_the_bulk_path_and_anything_else_the_general_one(tmp_path):
    workspace = init_workspace(tmp_path / "ws", language="en")

    def attempt(records: list[dict], name: str = "file.jsonl") -> dict | None:
        path = tmp_path / name
        path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
        job = bulk.BulkImport(workspace, path, "doccano", "alice", LabelMapper(workspace.config, {}), None, None,
                              lambda *arguments: None)
        return bulk.import_jsonl_spans(job, dry_run=True)

    plain = {"text": "Alice left.", "label": [[0, 5, "PERSON"]]}
    assert attempt([plain]) == {
        "file": str(tmp_path / "file.jsonl"), "format": "doccano", "dry_run": True, "documents_added": 1,
        "documents_unchanged": 0, "sentences": 1, "events": {"alice": 1}, "gold": 0, "unchanged": 0, "warnings": []}
    not_plain = [
        [{"text": "Alice left.", "label": ["FACT"]}],  # a category
        [plain, {"text": "Bob", "label": [[0, 4, "PERSON"]]}],  # a span past the text
        [{"text": "Alice left.", "label": [[0, 5, "PERSN"]]}],  # an unknown label
        [{"text": "Alice left.", "label": [[0, 5, "PERSON"]], "meta": {"a": 1}}],  # meta for the registry
        [{"text": "Alice left.", "sentence_id": "x-s0001"}],  # a tagline sentence id
        [{"text": "Alice left.", "label": [[0.0, 5, "PERSON"]]}],  # a float offset
        [{"id": 1, "text": "Alice left."}, {"id": 1, "text": "Bob left."}],  # one id twice
        [{"text": " ", "label": []}],  # no text
        [{"text": "a\u0000b"}],  # a NUL character
    ]
    for records in not_plain:
        assert attempt(records) is None, records
    assert attempt([plain]) is not None
    import_file(workspace, tmp_path / "file.jsonl", fmt="doccano", annotator="alice")
    assert attempt([plain]) is None  # its document is in the workspace now: the general path says it is unchanged


def test_a_bad_record_at_the_end_of_a_large_plain_file_is_refused_with_nothing_written(tmp_path, monkeypatch):
    workspace = init_workspace(tmp_path / "ws", language="en")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(bulk, "CHUNK_LINES", 100)
    records = [{"text": f"Alice Moreau said so, item {number}.", "label": [[0, 12, "PERSON"]]} for number in range(999)]
    records.append({"text": "Bob", "label": [[0, 4, "PERSON"]]})
    Path("big.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    before = workspace_files(workspace.root)
    result = CliRunner().invoke(cli, ["import", "big.jsonl", "--format", "doccano", "-a", "alice",
                                      "-w", str(workspace.root)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith(
        "Error: big.jsonl:1000: span 0:4 PERSON is outside the text (3 characters) or empty")
    assert workspace_files(workspace.root) == before



@pytest.mark.parametrize("offset", [2**63, 10**30])
def test_an_offset_too_large_for_a_machine_integer_is_an_error_at_its_line_not_a_traceback(tmp_path, monkeypatch,
                                                                                            offset):
    """The bulk path keeps offsets as 64-bit integers: a larger one is the general path's error at its
    line (exit 2, nothing written), not an ``OverflowError``."""
    workspace = init_workspace(tmp_path / "ws", language="en")
    monkeypatch.chdir(tmp_path)
    records = [{"text": f"Alice Moreau said so, item {number}.", "label": [[0, 12, "PERSON"]]} for number in range(5)]
    records.insert(3, {"text": "Bob left.", "label": [[0, offset, "PERSON"]]})
    Path("big.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    before = workspace_files(workspace.root)
    result = CliRunner().invoke(cli, ["import", "big.jsonl", "--format", "doccano", "-a", "alice",
                                      "-w", str(workspace.root)])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1].startswith(
        f"Error: big.jsonl:4: span 0:{offset} PERSON is outside the text (9 characters) or empty")
    assert workspace_files(workspace.root) == before



def test_a_record_not_plain_in_a_later_chunk_undoes_the_chunks_written_and_the_general_path_imports_the_file(
        tmp_path, monkeypatch):
    """The file is checked as it is written, a chunk at a time: what the first chunks wrote is undone
    and leaves no trace in what the general path then writes (not even the name of the texts file)."""
    monkeypatch.setattr(bulk, "CHUNK_LINES", 3)
    records = [{"text": f"Alice Moreau said so, item {number}.", "label": [[0, 12, "PERSON"]]} for number in range(8)]
    records.append({"text": "Bob left.", "label": [[0, 3, "PERSON"]], "meta": {"page": 2}})  # meta: not plain
    source = tmp_path / "late.jsonl"
    source.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    attempted = []
    real_write = bulk._write
    monkeypatch.setattr(bulk, "_write", lambda *arguments: attempted.append(1) or real_write(*arguments))
    fast = imported(tmp_path, "fast", source, monkeypatch, general=False)
    assert attempted == [1]  # the bulk path began writing, then gave the file to the general path
    assert fast == imported(tmp_path, "general", source, monkeypatch, general=True)
    summary, files = fast
    assert summary["documents_added"] == 9 and summary["events"] == {"alice": 9}
    assert "documents/late-1.texts" in files



@pytest.mark.parametrize("lines", [
    ['{"text": "a", "label": [[0, 1, "PERSON"]]}', '{"id": 2, "text": "b"}'],
    ['{"text": "a"} {"text": "b"}', '{"text":', '"c"}'],  # two objects on a line, one over two lines
    ['{"text": "a"}', "", "   ", '{"text": "b"}'],  # blank lines keep their numbers
    ['{"text": "a"}\r', '  {"text": "b"}  '],  # a carriage return, spaces around an object
    ['{"text": "a", "x": ' + "[" * 70 + "]" * 70 + "}"],  # nested deeper than the general path reads
    ['{"text": "a"}', '{"text": 1}'],  # not a record
    ['{"text": "a"}', '["text"]'],
])
def test_the_records_decoded_a_block_at_a_time_are_those_decoded_line_by_line(lines):
    data = ("\n".join(lines) + "\n").encode("utf-8")

    def records(decoded) -> list | str:
        try:
            return [(number, record) for numbers, part in decoded for number, record in zip(numbers, part)]
        except bulk._NotPlain:
            return "not plain"

    by_line = records(bulk._decoded_one_by_one(data, 1) for _ in range(1))
    assert records((chunk.numbers, chunk.records) for chunk in bulk._records(data)) == by_line
    if by_line != "not plain":
        assert [number for number, _ in by_line] == [number for number, line in enumerate(lines, 1) if line.strip()]


CONLL = """-DOCSTART- -X- O O

Alice NNP B-PERSON
Moreau NNP I-PERSON
left VBD O
Paris NNP B-GPE
. . O

He PRP O
did VBD O
n't RB O
say VB O
( ( O
yet RB O
) ) O
. . O

Émile NNP B-PERSON
met VBD O
東京 NNP B-GPE
"""


def label_studio_tasks() -> list[dict]:
    def result(start: int, end: int, text: str, label: str) -> dict:
        return {"from_name": "label", "to_name": "text", "type": "labels",
                "value": {"start": start, "end": end, "text": text, "labels": [label]}}

    return [
        {"id": 1, "data": {"text": "Alice Moreau left Paris.", "origin": "web", "page": 3}, "annotations": [
            {"completed_by": {"email": "alice@example.com"},
             "result": [result(18, 23, "Paris", "GPE"), result(0, 12, "Alice Moreau", "PERSON"),
                        result(18, 23, "Paris", "GPE")]},
            {"completed_by": {"email": "bob@example.com"}, "result": [result(0, 5, "Alice", "PERSON")]}]},
        {"id": 2, "data": {"text": "Nothing to see."}, "annotations": [
            {"completed_by": {"email": "bob@example.com"}, "result": []}]},
        {"id": 3, "data": {"text": "Not annotated yet."}, "annotations": []},
        {"id": 4, "data": {"text": "Émile 😀 met Bob."}, "annotations": [
            {"completed_by": {"email": "alice@example.com"}, "result": [result(12, 15, "Bob", "PERSON")]}]},
    ]


@pytest.mark.parametrize("fmt", ["conll", "label-studio"])
def test_plain_records_of_any_reader_are_written_as_the_general_path_writes_them(tmp_path, monkeypatch, fmt):
    from tagline.annotate.interop import bulk_records, bulk_tasks

    source = tmp_path / ("file.conll" if fmt == "conll" else "file.json")
    if fmt == "conll":
        source.write_text(CONLL, encoding="utf-8")
    else:
        source.write_text(json.dumps(label_studio_tasks(), ensure_ascii=False, indent=1), encoding="utf-8")
    annotator = {"annotator": "carol"} if fmt == "conll" else {}
    monkeypatch.setattr(conll_bulk, "read_columns", lambda *arguments: None)  # CoNLL's records, not its columns
    taken = []
    # A Label Studio task array is checked and written as it is read; other readers' records once read.
    bulk, entry = (bulk_tasks, "import_plain_tasks") if fmt == "label-studio" else (bulk_records, "import_plain_records")
    real = getattr(bulk, entry)

    def watched(*arguments, **options):
        taken.append(real(*arguments, **options))
        return taken[-1]

    results = {}
    for name in ("bulk", "general"):
        workspace = init_workspace(tmp_path / name, language="en")
        with monkeypatch.context() as patch:
            patch.setattr(bulk, entry, watched if name == "bulk" else lambda *a, **k: None)
            if name == "general":
                patch.setattr(bulk_records, "import_plain_records", lambda *a, **k: None)
            summary = import_file(workspace, source, fmt=fmt, split="train", **annotator)
        results[name] = summary, workspace_files(workspace.root)
    assert taken and taken[0] is not None  # the records were plain: the bulk path wrote them
    assert results["bulk"] == results["general"]
    files = results["bulk"][1]
    assert '"split":"train"' in files["sentences.jsonl"]
    assert fmt == "conll" or '"meta":{"origin":"web","page":3}' in files["documents.jsonl"]
    assert len([name for name in files if name.startswith("annotations/")]) == (1 if fmt == "conll" else 2)


def test_the_lines_of_a_file_read_a_block_at_a_time_are_its_lines():
    import random

    chooser = random.Random(7)
    for _ in range(500):
        data = bytes(chooser.choice(b"ab\n") for _ in range(chooser.randint(0, 30)))
        for block in (0, 1, 2, 5, 1 << 23):
            assert list(bulk._lines(data, block)) == data.split(b"\n"), (data, block)


@pytest.mark.parametrize("way", ["doccano in bulk", "conll in bulk", "doccano record by record"])
def test_every_import_path_leaves_the_sentence_index_and_the_answer_fold_of_what_it_wrote(tmp_path, monkeypatch,
                                                                                          way):
    """So the first session after an import opens warm, whichever path wrote it."""
    from tagline.annotate import answer_index as folding
    from tagline.corpus import sentence_index as indexing

    monkeypatch.setattr(folding, "SAVE_AFTER", 0)
    workspace = init_workspace(tmp_path / "ws", language="en")
    if way.startswith("conll"):
        source = tmp_path / "file.conll"
        source.write_text(CONLL, encoding="utf-8")
        options = {"fmt": "conll", "annotator": "alice"}
    else:
        source = write_mixed(tmp_path / "file.jsonl")
        label_map = tmp_path / "map.json"
        label_map.write_text('{"Person": "PERSON", "Misc": ""}', encoding="utf-8")
        options = {"fmt": "doccano", "annotator": "alice", "label_map": label_map}
    if way.endswith("record by record"):
        from tagline.annotate.interop import bulk_records

        monkeypatch.setattr(importing_module, "_bulk", lambda *arguments: None)
        monkeypatch.setattr(bulk_records, "import_plain_records", lambda *arguments: None)
    import_file(workspace, source, **options)
    answers = workspace.annotation_path("alice")
    saved = folding._load(workspace.build_dir / "index" / "answers-alice.npz", answers)
    assert saved is not None and saved.covered == answers.stat().st_size
    status = os.stat(workspace.sentences_path)
    [index] = (workspace.build_dir / "index").glob("sentences-*.npy")
    assert index.name == f"sentences-v{indexing.INDEX_VERSION}-{status.st_size}-{status.st_mtime_ns}-{status.st_ino}.npy"


@pytest.mark.parametrize("fmt", ["doccano", "conll", "conll a record at a time"])
def test_a_bulk_import_extends_the_indexes_from_what_it_wrote_to_what_a_cold_rebuild_gives(tmp_path, monkeypatch,
                                                                                          fmt):
    """The second import into a workspace that already holds sentences, a saved index, and answers of
    the annotator (more than a saved fold covers): the lines it appended are indexed from memory, never
    read back, and the index and the fold are those made from the files from their first line."""
    import numpy as np

    from tagline.annotate import answer_index as folding
    from tagline.annotate.scripted import label_sentence
    from tagline.corpus import sentence_index as indexing

    monkeypatch.setattr(folding, "SAVE_AFTER", 0)
    workspace = init_workspace(tmp_path / "ws", language="en")
    first = tmp_path / "first.jsonl"
    first.write_text("".join(json.dumps({"text": f"Bob met Ann {number}.", "label": [[0, 3, "PERSON"]]}) + "\n"
                             for number in range(5)), encoding="utf-8")
    import_file(workspace, first, fmt="doccano", annotator="alice")
    label_sentence(workspace, "first-1-s0001", "alice",  # another question, after what the saved fold covers
                   claim_type=workspace.config.labels("claim_type")[0])
    sentences_before = workspace.sentences_path.stat().st_size
    answers_before = workspace.annotation_path("alice").stat().st_size
    if fmt.startswith("conll"):
        if fmt != "conll":  # the plain records' lines made and appended in chunks of one record
            from tagline.annotate.interop import bulk_records

            monkeypatch.setattr(bulk_records, "CHUNK_RECORDS", 1)
        fmt = "conll"
        source = tmp_path / "second.conll"
        source.write_text(CONLL, encoding="utf-8")
    else:
        source = write_mixed(tmp_path / "second.jsonl")
    reads = []
    real_build, real_arrow, real_lines = indexing.build_index, folding._fold_arrow, folding._fold_lines
    monkeypatch.setattr(indexing, "build_index", lambda path, **kw: reads.append(("sentences", kw)) or
                        real_build(path, **kw))
    monkeypatch.setattr(folding, "_fold_arrow", lambda path, start, size, lines: reads.append(("answers", size)) or
                        real_arrow(path, start, size, lines))
    monkeypatch.setattr(folding, "_fold_lines", lambda path, start, size, lines: reads.append(("answers", size)) or
                        real_lines(path, start, size, lines))
    options = {"label_map": _person_map(tmp_path)} if fmt == "doccano" else {}
    summary = import_file(workspace, source, fmt=fmt, annotator="alice", **options)
    assert summary["events"]["alice"] > 0 and summary["sentences"] > 0
    assert workspace.sentences_path.stat().st_size > sentences_before
    assert reads == [("answers", answers_before)]  # the session's answer, from the file; nothing appended
    monkeypatch.undo()

    status = os.stat(workspace.sentences_path)
    name = f"sentences-v{indexing.INDEX_VERSION}-{status.st_size}-{status.st_mtime_ns}-{status.st_ino}.npy"
    saved = indexing._load(workspace.sentences_path, workspace.build_dir / "index" / name)
    cold = indexing.build_index(workspace.sentences_path)
    assert saved is not None and len(saved) == len(cold) > 5
    for part in ("starts", "sorted_ids", "by_id", "rank"):
        assert np.array_equal(getattr(saved, part), getattr(cold, part)), part
    assert saved.sorted_ids.dtype == cold.sorted_ids.dtype
    answers = workspace.annotation_path("alice")
    fold = folding._load(workspace.build_dir / "index" / "answers-alice.npz", answers)
    rebuilt = folding.answer_index(workspace, "alice", saved=False)
    assert fold is not None and (fold.covered, fold.lines) == (rebuilt.covered, rebuilt.lines) == \
        (answers.stat().st_size, len(answers.read_bytes().splitlines()))
    assert fold.slots == rebuilt.slots and np.array_equal(fold.ids, rebuilt.ids)
    assert np.array_equal(fold.offsets, rebuilt.offsets)


def test_without_the_saved_indexes_of_the_files_before_it_an_import_indexes_them_from_the_files(tmp_path, monkeypatch):
    """An index or fold of the files before the import that is not there (removed, or made by
    another version) cannot be extended: the files are read, and the result is still the cold one."""
    import shutil

    import numpy as np

    from tagline.annotate import answer_index as folding
    from tagline.corpus import sentence_index as indexing

    monkeypatch.setattr(folding, "SAVE_AFTER", 0)
    workspace = init_workspace(tmp_path / "ws", language="en")
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps({"text": "Bob met Ann.", "label": [[0, 3, "PERSON"]]}) + "\n", encoding="utf-8")
    import_file(workspace, first, fmt="doccano", annotator="alice")
    shutil.rmtree(workspace.build_dir / "index")
    import_file(workspace, write_mixed(tmp_path / "second.jsonl"), fmt="doccano", annotator="alice",
                label_map=_person_map(tmp_path))
    status = os.stat(workspace.sentences_path)
    name = f"sentences-v{indexing.INDEX_VERSION}-{status.st_size}-{status.st_mtime_ns}-{status.st_ino}.npy"
    saved = indexing._load(workspace.sentences_path, workspace.build_dir / "index" / name)
    cold = indexing.build_index(workspace.sentences_path)
    assert saved is not None and np.array_equal(saved.sorted_ids, cold.sorted_ids)
    assert np.array_equal(saved.starts, cold.starts) and np.array_equal(saved.by_id, cold.by_id)
    answers = workspace.annotation_path("alice")
    fold = folding._load(workspace.build_dir / "index" / "answers-alice.npz", answers)
    rebuilt = folding.answer_index(workspace, "alice", saved=False)
    assert fold is not None and fold.covered == answers.stat().st_size == rebuilt.covered
    assert np.array_equal(fold.ids, rebuilt.ids) and np.array_equal(fold.offsets, rebuilt.offsets)

def _person_map(tmp_path: Path) -> Path:
    label_map = tmp_path / "map.json"
    label_map.write_text('{"Person": "PERSON", "Misc": ""}', encoding="utf-8")
    return label_map


def test_spans_are_found_in_order_exactly_when_sorting_them_leaves_them_as_they_are():
    import random

    import numpy as np

    chooser = random.Random(5)
    for _ in range(2000):
        rows = [tuple(chooser.randint(0, 2) for _ in range(4)) for _ in range(chooser.randint(0, 6))]
        columns = [np.array([row[index] for row in rows], dtype=np.int64) for index in range(4)]
        assert bulk._in_order(*columns) == (rows == sorted(rows)), rows


@pytest.mark.parametrize("data", [b"", b"\n", b"{}", b"{}\n", b'{"a":1}\n{"b":2}', b'{"a":1}\r\n{"b":2}\r\n',
                                  b"{}\n\n{}\n", b"{}\n  \n{}", b"  {}\n{}\n", b"\n{}\n", b"{}\n \t\r\n", b"x\n{}\n",
                                  b"{}\n\n", b"\n\n"])
def test_the_records_of_a_file_are_counted_in_bytes_as_line_by_line(data):
    assert bulk._count_records(data) == sum(1 for line in data.split(b"\n") if line.strip())


def test_a_file_that_ends_with_a_line_feed_is_decoded_in_one_call(monkeypatch):
    records = [{"text": f"Alice met Bob on day {number}.", "label": [[0, 5, "PERSON"]]} for number in range(5)]
    data = "".join(json.dumps(record) + "\n" for record in records).encode("utf-8")
    monkeypatch.setattr(bulk, "_decoded_one_by_one", lambda *arguments: pytest.fail("decoded line by line"))
    (chunk,) = bulk._records(data + b"\n")  # and an empty line after it
    assert chunk.numbers == [1, 2, 3, 4, 5]
    assert [record.text for record in chunk.records] == [record["text"] for record in records]
