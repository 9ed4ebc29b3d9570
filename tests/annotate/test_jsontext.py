"""The export's JSON text made by orjson is byte for byte what Python's json module writes."""

from __future__ import annotations

import json
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.annotate.formats import jsontext

KEYS = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)
SCALARS = (st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.sampled_from([0.0, 1.0, 0.5, -2.25])
           | st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from(["", "\n", "a,\n  b"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                      max_leaves=25)


def test_every_character_is_escaped_as_json_escapes_it():
    text = "".join(chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF)
    assert jsontext.dumps(text) == json.dumps(text, ensure_ascii=False)


@settings(max_examples=400, deadline=None)
@given(st.lists(VALUES, max_size=6))
def test_lines_and_indented_items_are_what_json_writes(values):
    assert jsontext.lines(values) == "".join(json.dumps(value, ensure_ascii=False) + "\n"
                                             for value in values).encode("utf-8")
    whole = json.dumps(values, ensure_ascii=False, indent=1)
    assert (b"[\n" + jsontext.indented_items(values) + b"\n]" if values else b"[]") == whole.encode("utf-8")
    for value in values:
        assert jsontext.dumps(value) == json.dumps(value, ensure_ascii=False)


def test_a_value_orjson_cannot_write_goes_through_json():
    values = [{"n": 2**70}, [1.0]]
    assert jsontext.lines(values) == b'{"n": 1180591620717411303424}\n[1.0]\n'
    assert jsontext.indented_items(values) == json.dumps(values, ensure_ascii=False, indent=1)[2:-2].encode()
