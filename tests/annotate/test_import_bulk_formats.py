"""The bulk readers of Label Studio task arrays and CoNLL files: the records, line numbers and
workspace files of the record-by-record readers, the general reader for whatever is not plain, and
bad records refused where they are with nothing written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_import_bulk import workspace_files

from tagline.annotate.formats import label_studio, label_studio_bulk
from tagline.annotate.formats.common import ReadOptions
from tagline.annotate.interop import import_file
from tagline.corpus.workspace import init_workspace

from conftest import interop_cli as cli


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def span(start: int, end: int, label: str, text: str | None = None) -> dict:
    value: dict = {"start": start, "end": end, "labels": [label]}
    if text is not None:
        value["text"] = text
    return {"id": "r", "from_name": "label", "to_name": "text", "type": "labels", "value": value, "origin": "manual"}


def awkward_tasks() -> list[dict]:
    """Tasks that are plain, but each in its own awkward way."""
    two_labels = span(2, 14, "PERSON", "Alice Moreau")
    two_labels["value"]["labels"].append("ORG")
    return [
        {"id": 7, "data": {"text": "  Alice Moreau went to Paris.  ", "n": 1, "flag": True, "deep": {"x": [1]}},
         "annotations": [
             {"id": 11, "completed_by": {"email": "alice@example.com"}, "lead_time": 3.5,
              "result": [span(23, 28, "GPE", "Paris"), two_labels, span(23, 28, "GPE", "Paris")]},
             {"completed_by": 3, "result": []}],
         "predictions": [], "meta": {"any": [[{"thing": None}]]}, "created_at": "2024-01-01T00:00:00Z"},
        {"data": {"text": 'Émile 😀 met Bob, "quoted" \\ back\u2028slash\ttab.'},  # no id: numbered
         "annotations": [{"completed_by": {"username": "bob"}, "result": [span(12, 15, "PERSON")]}]},
        {"id": "", "data": {"text": "No annotations at all."}, "annotations": None},
        {"id": "t/4", "data": {"text": "Carol wrote this."},
         "annotations": [{"completed_by": "carol", "ground_truth": True, "result": [span(0, 5, "PERSON", "Carol")]},
                         {"completed_by": {"id": 9}, "result": None}]},
        {"id": 5, "data": {"text": "Nobody says who."}, "annotations": [{"result": [span(0, 6, "PERSON")]}]},
    ]


LAYOUTS = {
    "indented": lambda tasks: json.dumps(tasks, indent=2, ensure_ascii=False),
    "one line": lambda tasks: json.dumps(tasks),  # every task on line 1: told apart by their numbers
    "crlf": lambda tasks: "\r\n\r\n " + json.dumps(tasks, indent=1).replace("\n", "\r\n") + "\r\n",
    "mixed": lambda tasks: "[" + ",\n\n".join(json.dumps(task, ensure_ascii=False) for task in tasks[:3]) + ", " +
                           " , ".join(json.dumps(task) for task in tasks[3:]) + "\n]\n",
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("options", [ReadOptions(), ReadOptions(predictions=True, split="test", lang="en")])
def test_a_plain_task_array_is_read_in_bulk_as_the_task_reader_reads_it(tmp_path, layout, options):
    path = tmp_path / "tasks.json"
    path.write_bytes(LAYOUTS[layout](awkward_tasks()).encode("utf-8"))
    plain = label_studio_bulk.read_plain(path, options)
    assert plain is not None
    assert plain == label_studio.read_tasks(path, options)
    assert label_studio.read(path, options) == plain
    wheres = [record.where for record in plain.records]
    if layout == "one line":
        assert wheres == [f"{path}:1"] + [f"{path}:1 (record {number})" for number in range(2, 6)]
    if layout == "mixed":
        assert wheres == [f"{path}:1", f"{path}:3", f"{path}:5", f"{path}:5 (record 4)", f"{path}:5 (record 5)"]


def test_a_text_field_named_on_the_command_line_is_read_in_bulk(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"id": 1, "data": {"body": "Alice left.", "text": "not this"},
                                 "annotations": [{"completed_by": 1, "result": [span(0, 5, "PERSON")]}]}]),
                    encoding="utf-8")
    options = ReadOptions(text_field="body")
    plain = label_studio_bulk.read_plain(path, options)
    assert plain is not None and plain == label_studio.read_tasks(path, options)
    assert plain.records[0].text == "Alice left." and plain.records[0].meta == {"text": "not this"}


NOT_PLAIN = {
    "a choice": {"type": "choices", "value": {"choices": ["FACT"]}},
    "another result type": {"type": "textarea", "value": {"text": ["a note"]}},
    "labels as a string": {"type": "labels", "value": {"start": 0, "end": 5, "labels": "PERSON"}},
    "no label": {"type": "labels", "value": {"start": 0, "end": 5, "labels": []}},
    "a float offset": {"type": "labels", "value": {"start": 0.0, "end": 5, "labels": ["PERSON"]}},
    "a boolean offset": {"type": "labels", "value": {"start": False, "end": 5, "labels": ["PERSON"]}},
    "a covered text that is a number": {"type": "labels", "value": {"start": 0, "end": 5, "text": 5,
                                                                    "labels": ["PERSON"]}},
}


@pytest.mark.parametrize("what", sorted(NOT_PLAIN))
def test_a_result_that_is_not_a_span_leaves_the_file_to_the_task_reader(tmp_path, what):
    path = tmp_path / "tasks.json"
    tasks = [{"id": 1, "data": {"text": "Alice left."},
              "annotations": [{"completed_by": 1, "result": [span(0, 5, "PERSON"), NOT_PLAIN[what]]}]}]
    path.write_text(json.dumps(tasks), encoding="utf-8")
    assert label_studio_bulk.read_plain(path, ReadOptions()) is None


def plain_task(**changes) -> dict:
    task: dict = {"id": 1, "data": {"text": "Alice left."},
                  "annotations": [{"completed_by": 1, "result": [span(0, 5, "PERSON")]}]}
    task.update(changes)
    return task


DEEP: list = []
for _ in range(70):
    DEEP = [DEEP]


@pytest.mark.parametrize("content", [
    b"\xef\xbb\xbf" + json.dumps([plain_task()]).encode(),  # a byte order mark
    json.dumps(plain_task()).encode(),  # one task, not an array
    json.dumps(plain_task()).encode() + b"\n" + json.dumps(plain_task(id=2)).encode(),  # JSON Lines
    json.dumps([plain_task()]).encode() + b" trailing",  # text after the array
    json.dumps([plain_task()]).encode().replace(b"Alice", b"Al\xe9ce"),  # not UTF-8
    json.dumps([plain_task()]).encode() + b"\x00",  # a NUL byte
    json.dumps([plain_task()]).encode().replace(b"Alice", b"Al\\ud83dce"),  # a lone surrogate
    b"[]",  # no task
    json.dumps([plain_task(), 3]).encode(),  # a task that is not an object
    json.dumps([plain_task(), plain_task(predictions=[{"result": []}])]).encode(),
    json.dumps([plain_task(completions=[])]).encode(),
    json.dumps([plain_task(data={"text": "Alice left.", "sentence_id": "d-s0001"})]).encode(),
    json.dumps([plain_task(data={"text": "Alice left.", "tagline_annotator": "ann"})]).encode(),
    json.dumps([plain_task(data={"text": "   "})]).encode(),  # no text
    json.dumps([plain_task(data={"body": "Alice left."})]).encode(),  # the text in another field
    json.dumps([plain_task(annotations=[{"completed_by": 1, "was_cancelled": True, "result": []}])]).encode(),
    json.dumps([plain_task(annotations=[{"completed_by": 1, "result": [], "tagline_tasks": ["entities"]}])]).encode(),
    json.dumps([plain_task(annotations=[{"completed_by": 1, "result": []}])]).encode(),  # no span in the file
    json.dumps([plain_task(id=True)]).encode(),
    json.dumps([plain_task(data={"text": "Alice left.", "deep": DEEP})]).encode(),  # nested past the limit
])
def test_what_is_not_a_plain_task_array_is_left_to_the_task_reader(tmp_path, content):
    path = tmp_path / "tasks.json"
    path.write_bytes(content)
    assert label_studio_bulk.read_plain(path, ReadOptions()) is None


def imported(tmp_path: Path, name: str, source: Path, monkeypatch, module, reader: str, **options) -> tuple[dict, dict]:
    """The summary and the workspace files of importing ``source`` into a new workspace, with the
    bulk reader ``module.reader`` or (``module`` None) without it."""
    workspace = init_workspace(tmp_path / name, language="en")
    with monkeypatch.context() as patch:
        if module is not None:
            patch.setattr(module, reader, lambda *arguments: None)
        summary = import_file(workspace, source, **options)
    return summary, workspace_files(workspace.root)


@pytest.mark.parametrize("options", [{"annotator": "dave"}, {"annotator": "dave", "split": "validation", "lang": "ja"}])
def test_a_label_studio_import_in_bulk_writes_the_files_of_the_task_reader(tmp_path, monkeypatch, options):
    source = tmp_path / "tasks.json"
    source.write_text(LAYOUTS["mixed"](awkward_tasks()), encoding="utf-8")
    label_map = tmp_path / "map.json"
    label_map.write_text('{"ORG": ""}', encoding="utf-8")
    options = {"fmt": "label-studio", "label_map": label_map, **options}
    fast = imported(tmp_path, "fast", source, monkeypatch, None, "", **options)
    general = imported(tmp_path, "general", source, monkeypatch, label_studio_bulk, "read_plain", **options)
    assert fast == general
    summary, files = fast
    assert summary["events"] == {"alice_example.com": 1, "bob": 1, "carol": 1, "dave": 1, "user3": 1, "user9": 1}
    assert '"source":"' + str(source) + ':5 (record 4)"' in files["documents.jsonl"]


def test_a_bad_span_in_a_plain_task_array_is_refused_at_its_line_with_nothing_written(tmp_path, monkeypatch):
    workspace = init_workspace(tmp_path / "ws", language="en")
    monkeypatch.chdir(tmp_path)
    tasks = [plain_task(id=number) for number in range(1, 300)]
    tasks.append(plain_task(id=300, annotations=[{"completed_by": 1, "result": [span(0, 40, "PERSON")]}]))
    Path("tasks.json").write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    before = workspace_files(workspace.root)
    result = CliRunner().invoke(cli, ["import", "tasks.json", "--format", "label-studio", "-w", str(workspace.root)])
    assert result.exit_code == 2
    line = max(number for number, text in enumerate(json.dumps(tasks, indent=2).split("\n"), 1) if text == "  {")
    assert result.output.strip().splitlines()[-1].startswith(f"Error: tasks.json:{line} annotation 1: span 0:40")
    assert workspace_files(workspace.root) == before
