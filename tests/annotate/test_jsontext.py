"""The export's JSON text (made once by json's C encoder, or from templates) is byte for byte what
Python's json module writes."""

from __future__ import annotations

import json
import sys

from hypothesis import assume, given, settings
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
def test_lines_and_dumps_are_what_json_writes(values):
    assert jsontext.lines(values) == "".join(json.dumps(value, ensure_ascii=False) + "\n"
                                             for value in values).encode("utf-8")
    for value in values:
        assert jsontext.dumps(value) == json.dumps(value, ensure_ascii=False)


def test_a_value_of_any_size_is_written():
    values = [{"n": 2**70}, [1.0]]
    assert jsontext.lines(values) == b'{"n": 1180591620717411303424}\n[1.0]\n'


def _with_slots(value, draw_slot):
    """``value`` with some of its leaves made slots: (the template's value, the leaves the slots take)."""
    taken = []

    def walk(item):
        if isinstance(item, list):
            return [walk(element) for element in item]
        if isinstance(item, dict):
            return {key: walk(element) for key, element in item.items()}
        if draw_slot():
            taken.append(item)
            return jsontext.SLOT
        return item

    return walk(value), taken


@settings(max_examples=300, deadline=None)
@given(VALUES, st.integers(0, 5), st.randoms(use_true_random=False))
def test_a_template_filled_is_the_value_as_json_writes_it_at_its_depth(value, depth, random):
    assume('"\\u0000"' not in json.dumps(value))  # a string that is the slot mark itself
    shaped, taken = _with_slots(value, lambda: random.random() < 0.5)
    wrapped = value
    for _ in range(depth):
        wrapped = [wrapped]
    filled = jsontext.template(shaped, depth) % tuple(
        json.dumps(leaf, ensure_ascii=False, indent=1) for leaf in taken)
    opened = "".join(" " * level + "[\n" for level in range(depth))
    closed = "".join("\n" + " " * level + "]" for level in reversed(range(depth)))
    assert opened + filled + closed == json.dumps(wrapped, ensure_ascii=False, indent=1)


@settings(max_examples=200, deadline=None)
@given(st.lists(VALUES, max_size=5), st.integers(0, 5))
def test_an_indented_array_is_the_array_as_json_writes_it_at_its_depth(items, depth):
    assume('"\\u0000"' not in json.dumps(items))
    wrapped: object = items
    for _ in range(depth):
        wrapped = [wrapped]
    array = jsontext.indented_array([jsontext.template(item, depth + 1) % () for item in items], depth)
    opened = "".join(" " * level + "[\n" for level in range(depth))
    closed = "".join("\n" + " " * level + "]" for level in reversed(range(depth)))
    assert opened + " " * depth + array + closed == json.dumps(wrapped, ensure_ascii=False, indent=1)
