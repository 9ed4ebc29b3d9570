"""Lines and fields of a JSONL file's bytes found with NumPy: the same as Python's own slicing."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tagline.corpus import byte_columns
from tagline.corpus.byte_columns import fixed_width, newline_offsets

LINES = st.lists(st.binary(max_size=40).map(lambda line: line.replace(b"\n", b"")), max_size=30)


@given(LINES, st.integers(1, 64))
def test_newlines_are_found_across_scan_blocks(lines, block):
    data = b"".join(line + b"\n" for line in lines) + b"tail without newline"
    original = byte_columns.SCAN_BLOCK
    byte_columns.SCAN_BLOCK = block  # blocks smaller than a line, so newlines fall on their edges
    try:
        found = newline_offsets(data)
    finally:
        byte_columns.SCAN_BLOCK = original
    assert found.tolist() == [at for at, byte in enumerate(data) if byte == 10]


@given(st.binary(min_size=1, max_size=80).map(lambda data: data.replace(b"\0", b"x")), st.data())
def test_fields_are_gathered_as_python_slices_them(data, draw):
    ranges = draw.draw(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 30)), max_size=12))
    starts = np.array([start for start, _ in ranges], dtype=np.int64)
    lengths = np.array([min(length, len(data) - start) for start, length in ranges], dtype=np.int64)
    gathered = fixed_width(data, starts, lengths)
    assert gathered.tolist() == [data[start:start + length] for start, length in zip(starts, lengths, strict=True)]


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                        min_size=1, max_size=12), min_size=1, max_size=20))
def test_noted_lines_keep_each_id_in_utf8_ascii_or_not(ids):
    payload = "".join(f'{{"id":{index}}}\n' for index in range(len(ids))).encode("utf-8")
    noted = byte_columns.note_lines(payload, ids)
    assert noted.whole and noted.ids.tolist() == [key.encode("utf-8") for key in ids]
    assert noted.starts.tolist() == [payload.index(f'{{"id":{index}}}'.encode()) for index in range(len(ids))]
