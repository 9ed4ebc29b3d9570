"""The JSONL store: durable appends, concurrent writers, torn last lines, atomic replacement."""

from __future__ import annotations

import multiprocessing
import warnings

import orjson
import pytest

from tagline.corpus.store import (
    TORN_SUFFIX, LineProblem, TornLineWarning, append_records, iter_lines, read_records, replace_file,
)
from tagline.errors import DataError


def test_append_and_read_round_trip_unicode(tmp_path):
    path = tmp_path / "a.jsonl"
    records = [{"n": i, "text": f"文{i}「引用。」😀"} for i in range(5)]
    assert append_records(path, records[:2]) == 2
    assert append_records(path, records[2:]) == 3
    assert list(read_records(path)) == records
    assert path.read_bytes().count(b"\n") == 5


def _writer(path: str, worker: int, count: int) -> None:
    for i in range(count):
        append_records(path, [{"worker": worker, "i": i, "pad": "x" * (i % 97)}])


def test_four_processes_thousand_appends_each(tmp_path):
    path = tmp_path / "concurrent.jsonl"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(str(path), w, 1000)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    records = [orjson.loads(line) for line in lines[:-1]]
    assert len(records) == 4000
    for worker in range(4):
        mine = [r["i"] for r in records if r["worker"] == worker]
        assert mine == list(range(1000))  # each writer's lines whole and in its own order


def test_torn_last_line_is_reported_skipped_and_set_aside(tmp_path):
    path = tmp_path / "alice.jsonl"
    append_records(path, [{"n": 1}, {"n": 2}])
    with open(path, "ab") as handle:  # a crash in the middle of writing line 3
        handle.write(b'{"n": 3, "te')
    problems: list[LineProblem] = []
    assert list(read_records(path, problems=problems)) == [{"n": 1}, {"n": 2}]
    assert len(problems) == 1 and problems[0].warning and problems[0].line == 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert list(read_records(path)) == [{"n": 1}, {"n": 2}]
    assert any(issubclass(w.category, TornLineWarning) for w in caught)

    append_records(path, [{"n": 4}])
    assert list(read_records(path)) == [{"n": 1}, {"n": 2}, {"n": 4}]
    aside = [orjson.loads(line) for line in (tmp_path / f"alice.jsonl{TORN_SUFFIX}").read_bytes().splitlines()]
    assert aside[0]["text"] == '{"n": 3, "te' and aside[0]["byte_offset"] == len(b'{"n":1}\n{"n":2}\n')


def test_complete_last_line_without_newline_is_kept(tmp_path):
    path = tmp_path / "hand-edited.jsonl"
    path.write_bytes(b'{"n": 1}\n{"n": 2}')
    assert list(read_records(path)) == [{"n": 1}, {"n": 2}]
    append_records(path, [{"n": 3}])
    assert list(read_records(path)) == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert not (tmp_path / f"hand-edited.jsonl{TORN_SUFFIX}").exists()


def test_bad_middle_line_raises_with_line_number_or_is_collected(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"n": 1}\nnot json\n[1, 2]\n\n{"n": 5}\n')
    with pytest.raises(DataError) as raised:
        list(read_records(path))
    assert raised.value.where.endswith("bad.jsonl:2")
    problems: list[LineProblem] = []
    assert [line for line, _ in iter_lines(path, problems=problems)] == [1, 5]
    assert [(p.line, p.warning) for p in problems] == [(2, False), (3, False)]
    assert "expected a JSON object" in problems[1].message


def test_replace_file_keeps_the_old_file(tmp_path):
    path = tmp_path / "sentences.jsonl"
    append_records(path, [{"v": 1}])
    backup = replace_file(path, [{"v": 2}])
    assert list(read_records(path)) == [{"v": 2}]
    assert backup is not None and list(read_records(backup)) == [{"v": 1}]
    assert not list(tmp_path.glob(".*.tmp"))
