"""A large indented Label Studio task array read in parts by two worker processes at once: the
files and errors of the general path byte for byte, tasks keyed by their number numbered in the
whole file, a file whose layout puts a cut inside a task left to the general reader, a task that
is not plain late in the file refused at its line, and no worker left once the import ends."""

from __future__ import annotations

import json
import multiprocessing
import os

import pytest
import test_import_bulk_formats
from test_import_bulk_formats import (
    import_with_a_late_bad_task,
    imported,
    plain_task,
    random_task_arrays_compared,
    span,
)

from tagline.annotate.formats import label_studio_bulk, label_studio_parts
from tagline.annotate.formats.label_studio_bulk import Part
from tagline.annotate.interop import bulk_tasks

from conftest import read_in_workers


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.fixture
def in_parts(monkeypatch):
    """Every indented task array read in parts of a few tasks by two workers; the parts read, in a list."""
    read_in_workers(monkeypatch, bulk_tasks)
    monkeypatch.setattr(label_studio_parts, "PART_BYTES", 150)
    monkeypatch.setattr(label_studio_parts, "FIRST_PART_BYTES", 40)
    taken: list = []
    real = label_studio_parts.columns_in_parts
    monkeypatch.setattr(label_studio_parts, "columns_in_parts", lambda path, options, parts: taken.append(parts) or
                        real(path, options, parts))
    monkeypatch.setattr(bulk_tasks, "columns_in_parts", label_studio_parts.columns_in_parts)
    return taken


def test_random_task_arrays_read_in_parts_write_the_files_of_the_general_path(tmp_path, monkeypatch, in_parts):
    """Random task arrays (see random_task_array), indented so that many tasks begin a line at the
    first one's indent, read in parts of a few tasks (a cut inside a task among them)."""
    real = test_import_bulk_formats.random_task_array
    monkeypatch.setattr(test_import_bulk_formats, "random_task_array",
                        lambda chooser: "[\n  " + real(chooser)[1:].replace("\n", "\n  "))

    def no_worker_left() -> None:
        assert multiprocessing.active_children() == []

    taken = random_task_arrays_compared(tmp_path, monkeypatch, "parts", no_worker_left)
    assert sum(outcome is not None for outcome in taken) > 10
    assert len(in_parts) > 10 and all(len(parts) > 1 for parts in in_parts)


def test_the_parts_cover_the_file_each_beginning_at_a_task_on_a_line_of_its_own(tmp_path):
    source = tmp_path / "tasks.json"
    text = json.dumps([plain_task(id=number) for number in range(1, 60)], indent=2)
    source.write_text(text, encoding="utf-8")
    parts = label_studio_parts.file_parts(source, 100, 400)
    assert parts is not None and len(parts) > 5 and parts[0].start == 0 and parts[-1].stop is None
    assert all(part.stop == after.start for part, after in zip(parts, parts[1:]))
    assert all(text[part.start - 3:part.start + 1] == "\n  {" for part in parts[1:])
    source.write_text(json.dumps([plain_task(id=number) for number in range(1, 60)]), encoding="utf-8")
    assert label_studio_parts.file_parts(source, 100, 400) is None  # one line: no layout to cut at


def test_tasks_keyed_by_their_number_are_numbered_in_the_whole_file(tmp_path, monkeypatch, in_parts):
    source = tmp_path / "tasks.json"
    tasks = [plain_task(id=None if number % 3 else f"t{number}") for number in range(1, 41)]
    source.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    fast = imported(tmp_path, "parts", source, monkeypatch, None, "", fmt="label-studio")
    general = imported(tmp_path, "general", source, monkeypatch, label_studio_bulk, "read_plain", fmt="label-studio")
    assert in_parts and fast == general
    assert '"doc_id":"tasks-40"' in fast[1]["documents.jsonl"] and '"doc_id":"tasks-t39"' in fast[1]["documents.jsonl"]


def test_a_file_laid_out_so_that_a_cut_falls_inside_a_task_is_left_to_the_general_reader(tmp_path, monkeypatch,
                                                                                       in_parts):
    """An annotation written at the tasks' indent: the part cut there does not decode as tasks."""
    source = tmp_path / "tasks.json"
    tasks = [json.dumps(plain_task(id=number)) for number in range(1, 30)]
    annotation = json.dumps({"completed_by": 2, "result": [span(6, 10, "PERSON")]})
    tasks[12] = tasks[12][:-2] + ",\n  " + annotation + "]}"
    source.write_text("[\n  " + ",\n  ".join(tasks) + "\n]\n", encoding="utf-8")
    taken: list = []
    real = bulk_tasks.import_plain_tasks
    monkeypatch.setattr(bulk_tasks, "import_plain_tasks", lambda *a, **k: taken.append(real(*a, **k)) or taken[-1])
    fast = imported(tmp_path, "parts", source, monkeypatch, None, "", fmt="label-studio")
    general = imported(tmp_path, "general", source, monkeypatch, label_studio_bulk, "read_plain", fmt="label-studio")
    assert any(part.start for parts in in_parts for part in parts
               if source.read_bytes()[part.start:].startswith(annotation.encode()))
    assert taken == [None] and fast == general and fast[0]["events"] == {"user1": 29, "user2": 1}
    assert multiprocessing.active_children() == []


def test_a_part_ends_at_the_comma_before_the_next(tmp_path):
    source = tmp_path / "tasks.json"
    source.write_text("[\n  " + ",\n  ".join(json.dumps(plain_task(id=number)) for number in (1, 2, 3)) + "\n]",
                      encoding="utf-8")
    text = source.read_bytes()
    second = text.index(b"\n  {", 5) + 3
    read = label_studio_parts.read_part(source, label_studio_bulk.ReadOptions(), Part(0, second, b"  "))
    # The task on the part's second line; the part holds two newlines in all (the last before the next part).
    assert read.keys == ["1"] and read.part_lines is not None and read.part_lines.tolist() == [2, 2]
    source.write_bytes(text[:second - 4] + b" " + text[second - 3:])  # no comma between the parts
    with pytest.raises(label_studio_bulk.NotPlain):
        label_studio_parts.read_part(source, label_studio_bulk.ReadOptions(), Part(0, second, b"  "))


def test_a_task_that_is_not_plain_late_in_the_file_is_refused_at_its_line_with_nothing_written(
        tmp_path, monkeypatch, in_parts):
    bad = span(0, 5, "PERSON")
    bad["value"]["labels"] = []
    result, appended, line, unchanged = import_with_a_late_bad_task(tmp_path, monkeypatch, [bad])
    assert result.exit_code == 2
    assert in_parts and len(appended) >= 5  # the parts before the bad one were written, then undone
    error = result.output.strip().splitlines()[-1]
    assert error == f"Error: tasks.json:{line} annotation 1: a `labels` result without a label (fix the annotation)"
    assert unchanged
    assert multiprocessing.active_children() == []


def test_answers_held_on_disk_are_appended_from_their_mapped_file(tmp_path, monkeypatch, in_parts):
    monkeypatch.setattr(bulk_tasks, "SPOOL_BYTES", 1)  # the held answers leave memory for the file at once
    mapped: list = []
    real = bulk_tasks.mapped_bytes
    monkeypatch.setattr(bulk_tasks, "mapped_bytes", lambda *a: mapped.append(a[1:]) or real(*a))
    source = tmp_path / "tasks.json"
    tasks = [plain_task(id=number, annotations=[{"completed_by": who, "result": [span(0, 5, "PERSON")]}
                                                for who in (1, 2)]) for number in range(1, 41)]
    source.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    fast = imported(tmp_path, "parts", source, monkeypatch, None, "", fmt="label-studio")
    general = imported(tmp_path, "general", source, monkeypatch, label_studio_bulk, "read_plain", fmt="label-studio")
    assert fast == general and len(mapped) > 2 and mapped[0][0] == 0
