"""JSON text exactly as Python's ``json.dumps(value, ensure_ascii=False)`` and ``indent=1`` write
it: the compact form by ``json``'s C encoder made once; the indented form (whose writer in ``json``
is pure Python) from templates made once by ``json`` itself, whose slots take the JSON text of
strings (``json.encoder.encode_basestring``), numbers and nested arrays: the large files (Label
Studio tasks, spaCy documents) are mostly the same few objects over and over.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

# What json writes escaped in a string (ensure_ascii=False): a string without any is written as it is,
# between quotes.
ESCAPED = re.compile(r'[\x00-\x1f\\"]')
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def dumps(value: object) -> str:
    """``json.dumps(value, ensure_ascii=False)``, with one encoder made once."""
    return _ENCODER.encode(value)


def lines(records: Sequence[object]) -> bytes:
    """Each record as ``json.dumps(record, ensure_ascii=False)`` and a line break, UTF-8 encoded:
    JSON Lines."""
    return "".join([_ENCODER.encode(record) + "\n" for record in records]).encode("utf-8")


SLOT = "\x00"  # a string value that marks a slot of a template (a string holds U+0000 only escaped)


def template(value: object, depth: int) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=1)`` as it is written ``depth`` levels deep in a
    larger document, as a ``%`` format in which each string :data:`SLOT` of ``value`` is a ``%s``: to be
    filled with a value's JSON text (for an array or an object, indented for its place; see
    :func:`indented_array`). Parts of a large file are written from templates made once, rather
    than as dicts encoded one by one."""
    text = json.dumps(value, ensure_ascii=False, indent=1).replace("%", "%%")
    return (" " * depth + text.replace("\n", "\n" + " " * depth)).replace('"\\u0000"', "%s")


def indented_array(items: Sequence[str], depth: int) -> str:
    """The JSON text of an array ``depth`` levels deep (its items already indented one level more),
    as ``json.dumps(..., indent=1)`` writes it."""
    return "[\n" + ",\n".join(items) + "\n" + " " * depth + "]" if items else "[]"
