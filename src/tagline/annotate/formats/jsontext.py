"""JSON text exactly as Python's ``json.dumps(value, ensure_ascii=False)`` and ``indent=1`` write
it: the compact form by ``json``'s C encoder made once, the indented form by orjson, three to five
times faster than ``json``, whose indented form goes through its pure Python encoder.

orjson writes every string as ``json`` does with ``ensure_ascii=False`` (checked over every code
point in ``tests/annotate/test_jsontext.py``), and its two-space indented form differs from
``json``'s only in where the white space is: a line break is always structural (a string holds its
line breaks escaped), so the white space can be moved with a few byte replacements. Floats are
written as orjson writes them, which is ``json``'s form for the ones the writers use (``1.0``,
``0.5``) but not for exponents (``1e-7``, where ``json`` writes ``1e-07``); a value orjson cannot
write (an integer wider than 64 bits) goes through ``json`` itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import orjson

_MARK = b"\x00"  # never in JSON text: a string holds U+0000 as \u0000
_ENCODER = json.JSONEncoder(ensure_ascii=False)
_INDENTED = json.JSONEncoder(ensure_ascii=False, indent=1)


def dumps(value: object) -> str:
    """``json.dumps(value, ensure_ascii=False)``, with one encoder made once."""
    return _ENCODER.encode(value)


def lines(records: Sequence[object]) -> bytes:
    """Each record as ``json.dumps(record, ensure_ascii=False)`` and a line break, UTF-8 encoded:
    JSON Lines. (``json``'s C encoder writes this form faster than orjson's output can be respaced.)"""
    return "".join([_ENCODER.encode(record) + "\n" for record in records]).encode("utf-8")


def indented_items(items: Sequence[object]) -> bytes:
    """The items of ``json.dumps(items, ensure_ascii=False, indent=1)``, without its ``[`` and ``]``
    lines: each item indented by one space, separated by ``,`` and a line break, with no line break
    after the last. The pieces of one long array, written a part at a time."""
    if not items:
        return b""
    try:
        text = orjson.dumps(list(items), option=orjson.OPT_INDENT_2)
    except (orjson.JSONEncodeError, TypeError):
        return _INDENTED.encode(list(items))[2:-2].encode("utf-8")
    depth = 1
    while b"\n" + b"  " * (depth + 1) in text:
        depth += 1
    # Deepest first, each line's indentation halved into marks, which no shallower replacement matches.
    for level in range(depth, 0, -1):
        text = text.replace(b"\n" + b"  " * level, b"\n" + _MARK * level)
    return text[2:-2].replace(_MARK, b" ")

