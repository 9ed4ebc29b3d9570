"""The data contracts: JSON Schema (2020-12) files shipped with the package, and their validators."""

from __future__ import annotations

import functools

TYPE_CHECKING = False  # --help imports this module for TASKS: typing, json and resources wait for use
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

SCHEMA_NAMES = ("sentence", "document", "event", "gold", "config", "run")
TASKS = ("stance", "claim_type", "entities")  # the annotation tasks, in the order they are asked and shown
LABEL_TASKS = ("stance", "claim_type")  # the tasks answered with one label (entities: with spans)
SCHEMA_VERSION = 1


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """Return the parsed JSON Schema called ``name`` (one of :data:`SCHEMA_NAMES`)."""
    if name not in SCHEMA_NAMES:
        raise ValueError(f"unknown schema {name!r}; expected one of {', '.join(SCHEMA_NAMES)}")
    import json
    from importlib import resources

    text = resources.files(__name__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def validator(name: str) -> Any:
    """Return a cached ``jsonschema`` 2020-12 validator (with format checking) for ``name``.

    The shipped schemas are checked against the 2020-12 metaschema by the tests
    (``tests/corpus/test_records.py``), not on every load, where it was a fifth of loading ``tagline.toml``."""
    import jsonschema

    schema = load_schema(name)
    cls = _ecma_patterns(jsonschema.Draft202012Validator)
    if name in _TYPED_RECORDS:
        cls = _strict_integers(cls)
    return cls(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@functools.cache
def _ecma_patterns(cls: Any) -> Any:
    """``cls`` with ``pattern``'s ``$`` the string's end, as in JSON Schema's ECMA-262 regexes (and
    ``jsonschema_rs``): Python's ``$`` also matches before a last newline, and passed a sentence id,
    a doc_id or an annotator's name ending in one. (The shipped schemas' ``$`` all end their pattern.)"""
    import re

    import jsonschema

    def pattern(validator: Any, regex: str, instance: object, schema: object) -> Iterator[Any]:
        python = regex[:-1] + r"\Z" if regex.endswith("$") and not regex.endswith(r"\$") else regex
        if isinstance(instance, str) and not re.search(python, instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {regex!r}")

    return jsonschema.validators.extend(cls, validators={"pattern": pattern})


# The records every command reads with msgspec (schemas/records.py), whose integers are JSON integers:
# JSON Schema takes 9.0 for the integer 9, and `tagline validate` would pass a line every command refuses.
_TYPED_RECORDS = ("sentence", "document", "event", "gold")


@functools.cache
def _strict_integers(cls: Any) -> Any:
    """``cls`` with ``integer`` meaning a JSON integer (not 9.0, not true), as msgspec reads one."""
    import jsonschema

    checker = cls.TYPE_CHECKER.redefine(
        "integer", lambda _checker, instance: isinstance(instance, int) and not isinstance(instance, bool))
    return jsonschema.validators.extend(cls, type_checker=checker)


@functools.cache
def fast_validator(name: str) -> Any:
    """Return ``jsonschema_rs``'s validator for ``name``, compiled once: the gate :func:`schema_errors`
    asks first, a record it passes needing no Python ``jsonschema`` (see docs/architecture.md).

    Its verdict is made Python's: formats are those Python's ``FORMAT_CHECKER`` checks, each by that
    checker (a format it cannot check, such as ``date-time`` without ``rfc3339-validator``, is not
    checked by either). The strict integers of :data:`_TYPED_RECORDS` are for :func:`gate_passes`."""
    import jsonschema
    import jsonschema_rs

    schema = load_schema(name)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    used = _formats(schema)
    if not used & set(checker.checkers):
        return jsonschema_rs.Draft202012Validator(schema, validate_formats=False)
    formats: dict[str, Callable[..., bool]] = {fmt: functools.partial(_conforms, checker, fmt) for fmt in used}
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True, formats=formats)


def _conforms(checker: Any, fmt: str, value: str) -> bool:
    return bool(checker.conforms(value, fmt))


def _formats(schema: object) -> set[str]:
    """Every ``format`` named anywhere in ``schema``."""
    if isinstance(schema, list):
        return set().union(*map(_formats, schema))
    if not isinstance(schema, dict):
        return set()
    found = {schema["format"]} if isinstance(schema.get("format"), str) else set()
    return found.union(*map(_formats, schema.values()))


def gate_passes(name: str, record: object) -> bool:
    """Whether ``jsonschema_rs`` passes ``record`` for schema ``name``; only then is it valid unchecked.

    A record that is not plain JSON values goes to Python ``jsonschema``, which alone tagline's verdicts
    are: ``jsonschema_rs`` takes a tuple for an array, and 9.0 for an integer as JSON Schema does where
    the typed records (:data:`_TYPED_RECORDS`) refuse it."""
    if not _plain_json(record, whole_floats=name not in _TYPED_RECORDS):
        return False
    try:
        return bool(fast_validator(name).is_valid(record))
    except ValueError:  # a key that is not a string
        return False


_SCALARS = frozenset({str, int, bool, type(None)})


def _plain_json(record: object, *, whole_floats: bool) -> bool:
    """Whether ``record`` holds only dicts, lists, strings, numbers, booleans and nulls, exactly those
    types (whole floats only when ``whole_floats``): a loop, not recursion, as it is paid per record."""
    if type(record) is dict and _SCALARS.issuperset(map(type, record.values())):
        return True  # a flat record (a sentence): its values' types in one pass
    stack = [record]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind in _SCALARS:
            continue
        if type(value) is dict:
            stack.extend(value.values())
        elif type(value) is list:
            stack.extend(value)
        elif type(value) is not float or (not whole_floats and value.is_integer()):
            return False
    return True


def schema_errors(name: str, record: object) -> list[str]:
    """Return every way ``record`` breaks schema ``name``, as short messages (empty when valid).

    Examples
    --------
    >>> schema_errors("event", {"task": "stance"})[0]
    "'sentence_id' is a required property"
    """
    if gate_passes(name, record):
        return []
    messages = []
    for error in sorted(validator(name).iter_errors(record), key=lambda e: list(e.absolute_path)):
        location = "/".join(str(part) for part in error.absolute_path)
        messages.append(f"{location}: {error.message}" if location else error.message)
    return messages
