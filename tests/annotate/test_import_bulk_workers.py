"""A large Label Studio task array read in a worker process while this one checks and writes: the
files of the general path byte for byte, a bad task late in the file refused at its line with
nothing written, the worker gone when the import ends however it ends, and the columns handed back
whole."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_import_bulk_formats import (
    DEEP,
    import_with_a_late_bad_task,
    imported,
    plain_task,
    random_task_arrays_compared,
    span,
    task_arrays,
)

from tagline.annotate.formats import label_studio_bulk, label_studio_columns
from tagline.annotate.formats.common import ReadOptions
from tagline.annotate.formats.label_studio_columns import FileLines, TaskColumns
from tagline.annotate.interop import bulk_tasks
from tagline.corpus import workers

from conftest import read_in_workers


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.fixture
def in_a_worker(monkeypatch):
    """Every task array read in a worker process; the calls that started one, in a list."""
    return read_in_workers(monkeypatch, bulk_tasks)


def test_random_task_arrays_read_in_a_worker_write_the_files_of_the_general_path(tmp_path, monkeypatch,
                                                                                  in_a_worker):
    """Random task arrays (see random_task_array), read in a worker some bytes and tasks at a time:
    what the general path writes and says, and the worker gone once the import is over."""

    def no_worker_left() -> None:
        assert multiprocessing.active_children() == []

    taken = random_task_arrays_compared(tmp_path, monkeypatch, "worker", no_worker_left)
    assert sum(outcome is not None for outcome in taken) > 10
    assert len(in_a_worker) >= len(taken) - 1  # (an import of a file the first chunk finds not plain may not)


def test_a_task_that_is_not_plain_late_in_the_file_is_found_by_the_worker_and_refused_at_its_line(
        tmp_path, monkeypatch, in_a_worker):
    # A span without a label: the worker finds it as it reads (the chunks before it written by then).
    bad = span(0, 5, "PERSON")
    bad["value"]["labels"] = []
    result, appended, line, unchanged = import_with_a_late_bad_task(tmp_path, monkeypatch, [bad])
    assert result.exit_code == 2
    assert in_a_worker and len(appended) >= 5  # the chunks before the bad one were written, then undone
    error = result.output.strip().splitlines()[-1]
    assert error == f"Error: tasks.json:{line} annotation 1: a `labels` result without a label (fix the annotation)"
    assert unchanged
    assert multiprocessing.active_children() == []


def test_the_first_chunk_read_in_a_worker_is_a_quarter_of_the_others(tmp_path, monkeypatch, in_a_worker):
    """So that the command waits for the worker only that long before it checks and writes."""
    monkeypatch.setattr(label_studio_bulk, "_BLOCK", 256)
    monkeypatch.setattr(bulk_tasks, "CHUNK_RECORDS", 40)
    sizes: list = []
    real = bulk_tasks._made
    monkeypatch.setattr(bulk_tasks, "_made", lambda job, columns, checked: sizes.append(len(columns.texts)) or
                        real(job, columns, checked))
    source = tmp_path / "tasks.json"
    source.write_text(json.dumps([plain_task(id=number) for number in range(1, 201)], indent=2), encoding="utf-8")
    summary, _ = imported(tmp_path, "ws", source, monkeypatch, None, "", fmt="label-studio")
    assert summary["documents_added"] == 200 and in_a_worker
    assert 10 <= sizes[0] < 20 and all(size >= 40 for size in sizes[1:-1]) and sum(sizes) == 200, sizes


def test_a_small_file_is_read_in_this_process(tmp_path, monkeypatch):
    started: list = []
    monkeypatch.setattr(workers, "iter_in_workers", lambda *a, **k: started.append(a))
    source = tmp_path / "tasks.json"
    source.write_text(json.dumps([plain_task(id=number) for number in range(1, 30)]), encoding="utf-8")
    summary, _ = imported(tmp_path, "ws", source, monkeypatch, None, "", fmt="label-studio")
    assert summary["documents_added"] == 29 and started == []


@pytest.mark.parametrize("strings", [["Alice", "", "Émile 😀\u2028"], ["a\x00b", "c"], ["x", None], [], [{"n": 1}]])
def test_columns_handed_back_by_a_worker_are_the_columns(strings):
    count = len(strings)
    columns = TaskColumns(list(strings), [str(number) for number in range(count)], ["f:1"] * count, [None] * count,
                          np.arange(count), list(strings), np.arange(count), np.zeros(count, dtype=np.int64),
                          np.ones(count, dtype=np.int64), ["PERSON"] * count, list(strings), np.arange(count + 1),
                          list(range(count)), np.arange(count + 1))
    again = pickle.loads(pickle.dumps(columns, protocol=pickle.HIGHEST_PROTOCOL))
    for name in vars(columns):
        value, copied = getattr(columns, name), getattr(again, name)
        if isinstance(value, np.ndarray):
            assert np.array_equal(value, copied) and value.dtype == copied.dtype
        else:
            assert copied == value and type(copied) is list



def wheres_read(path, lines_later: bool) -> list[str] | None:
    """Each task's ``file:line`` as :func:`plain_columns` gives it (``lines_later``: counted by
    :class:`FileLines`, as the import counts them while a worker reads), or None when it leaves the file."""
    try:
        chunks = list(label_studio_columns.plain_columns(path, ReadOptions(), lines_later=lines_later))
        if lines_later:
            with path.open("rb") as handle:
                lines = FileLines(path, handle)
                for columns in chunks:
                    if columns.texts:
                        lines.place(columns)
    except label_studio_bulk.NotPlain:
        return None
    return [where for columns in chunks for where in columns.wheres]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(array=task_arrays(), block=st.sampled_from([1, 5, 61, 1 << 20]), piece=st.sampled_from([1, 3, 64, 1 << 20]),
       deep=st.sampled_from([None, 0, -1]))
def test_lines_counted_apart_from_the_reading_are_the_readers(tmp_path, array, block, piece, deep):
    """Counted in the file from where the columns say their tasks are (in pieces of any size, a
    task nested past the limit anywhere or nowhere), each task's line is the one the reader counts,
    and a task nested too deep leaves the file to the general reader either way."""
    content, _ = array
    if deep is not None:
        tasks = json.loads(content.decode("utf-8-sig"))
        tasks[deep]["data"]["deep"] = DEEP
        content = json.dumps(tasks, indent=2).encode()
    path = tmp_path / "tasks.json"
    path.write_bytes(content)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(label_studio_bulk, "_BLOCK", block)
        patch.setattr(label_studio_columns, "_PIECE", piece)
        assert wheres_read(path, lines_later=True) == wheres_read(path, lines_later=False), content


def test_a_file_cut_short_before_its_lines_are_counted_is_left_to_the_general_reader(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([plain_task(id=number) for number in range(1, 40)], indent=2), encoding="utf-8")
    chunks = list(label_studio_columns.plain_columns(path, ReadOptions(), lines_later=True))
    with path.open("rb") as handle:
        lines = FileLines(path, handle)
        os.truncate(path, path.stat().st_size // 2)
        with pytest.raises(label_studio_bulk.NotPlain):
            for columns in chunks:
                lines.place(columns)
