"""IdRows: ids kept as bytes and hashes, found exactly (the last row of an id, as a dict keeps the
last value), even when distinct ids share a hash."""

from __future__ import annotations

import pytest

import tagline.corpus.id_rows as id_rows
from tagline.corpus.id_rows import IdRows


@pytest.mark.parametrize("colliding", [False, True])
def test_find_gives_the_last_row_of_an_id_and_repeats_its_rows(monkeypatch, colliding):
    if colliding:  # every id the same hash: only their bytes tell them apart
        monkeypatch.setattr(id_rows, "hash", lambda value: 7, raising=False)
    ids = IdRows()
    for id_ in ["a-s1", "b-s1", "a-s1", "é-s2", "b-s1", "a-s1", "c"]:
        ids.add(id_)
    assert len(ids) == 7 and ids.id(3) == "é-s2"
    assert [ids.find(id_) for id_ in ["a-s1", "b-s1", "é-s2", "c", "d", ""]] == [5, 4, 3, 6, -1, -1]
    assert [ids.find(id_, near=near) for id_, near in [("a-s1", 0), ("a-s1", 5), ("c", 6), ("c", 2), ("d", 1)]] \
        == [5, 5, 6, 6, -1]  # a repeated id: its last row, wherever it is looked for first
    assert ids.repeats() == [[0, 2, 5], [1, 4]]


def test_an_empty_table_finds_nothing():
    ids = IdRows()
    assert ids.find("a") == -1 and ids.find("a", near=0) == -1 and ids.repeats() == []
    ids.add("a")
    ids.add("b")
    assert ids.find("a") == 0 and ids.find("b", near=1) == 1 and ids.find("b", near=0) == 1 and ids.repeats() == []
