"""eval build's fingerprint of a split: the same for every copy of the same rows (sliced, chunked, with
nulls at any depth), as it was when every table with a null was copied whole before hashing."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tagline.eval.build.writer import _written_as_its_copy, table_digest


def compact_digest(table: pa.Table) -> bytes:
    """The digest as it was made before: every table with a null copied whole, compactly, first."""
    table = table.combine_chunks()
    return table_digest(table.take(pa.array(range(table.num_rows), pa.int64())))


def table_of(rows: int) -> pa.Table:
    span = pa.struct([("start", pa.int32()), ("end", pa.int32()), ("text", pa.string())])
    return pa.table({
        "id": pa.array([f"s{i}" for i in range(rows)]),
        "speaker": pa.array([None if i % 3 else f"p{i}" for i in range(rows)], pa.string()),
        "tokens": pa.array([[f"w{i}", "x"] for i in range(rows)], pa.list_(pa.string())),
        "ner_tags": pa.array([None if i % 5 == 0 else [i % 3, 0] for i in range(rows)], pa.list_(pa.int64())),
        # nulls only inside the lists: a span without its text
        "entities": pa.array([[{"start": 0, "end": 1, "text": None if i % 2 else "a"}] for i in range(rows)],
                             pa.list_(span)),
        "claim_type": pa.array([i % 4 for i in range(rows)], pa.int64()),
    })


@pytest.mark.parametrize("start,length", [(0, 37), (3, 37), (8, 40), (0, 99), (61, 39), (1, 98)])
def test_a_slice_hashes_as_a_compact_copy_of_its_rows(start, length):
    table = table_of(100)
    part = table.slice(start, length)
    expected = compact_digest(part)
    assert table_digest(part) == expected
    # the rows after the slice (whose bits share the last byte of a bitmap) do not count
    changed = table_of(100).set_column(1, "speaker", pa.array(["q"] * 100))
    assert table_digest(changed.slice(start, length).set_column(1, "speaker", part["speaker"])) == expected


def test_chunks_hash_as_one_contiguous_table():
    table = table_of(50)
    chunked = pa.concat_tables([table.slice(0, 13), table.slice(13, 20), table.slice(33, 17)])
    assert chunked["tokens"].num_chunks == 3
    assert table_digest(chunked) == table_digest(table) == compact_digest(table)


@pytest.mark.parametrize("column", ["speaker", "ner_tags", "entities"])
def test_a_column_without_nulls_at_any_depth_is_hashed_without_a_copy_and_alike(column):
    table = table_of(30)
    filled = {"speaker": pa.array(["p"] * 30), "ner_tags": pa.array([[1, 2]] * 30, pa.list_(pa.int64())),
              "entities": pa.array([[{"start": 0, "end": 1, "text": "a"}]] * 30, table.schema.field("entities").type)}
    for name in (column,):
        table = table.set_column(table.schema.get_field_index(name), name, filled[name])
    part = table.slice(5, 21)
    assert table_digest(part) == compact_digest(part)


def test_columns_without_nulls_are_not_copied_to_be_hashed():
    # The rows of a split are taken from the corpus: the string and list columns have no nulls and are
    # hashed as they are, not copied first (a copy of every column doubled a split's memory).
    table = table_of(40).drop_columns(["speaker", "ner_tags", "entities"]).take(pa.array(range(3, 40)))
    assert all(_written_as_its_copy(column.chunk(0)) for column in table.columns)
    assert not _written_as_its_copy(table_of(40)["speaker"].chunk(0))  # nulls
    assert not any(_written_as_its_copy(column.chunk(0)) for column in table.slice(2, 30).columns)  # slices
