"""The data contracts: JSON Schema (2020-12) files shipped with the package, and their validators."""

from __future__ import annotations

import functools

TYPE_CHECKING = False  # --help imports this module for TASKS: typing, json and resources wait for use
if TYPE_CHECKING:
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
    cls = jsonschema.Draft202012Validator
    if name in _TYPED_RECORDS:
        cls = _strict_integers(cls)
    return cls(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


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


def schema_errors(name: str, record: object) -> list[str]:
    """Return every way ``record`` breaks schema ``name``, as short messages (empty when valid).

    Examples
    --------
    >>> schema_errors("event", {"task": "stance"})[0]
    "'sentence_id' is a required property"
    """
    messages = []
    for error in sorted(validator(name).iter_errors(record), key=lambda e: list(e.absolute_path)):
        location = "/".join(str(part) for part in error.absolute_path)
        messages.append(f"{location}: {error.message}" if location else error.message)
    return messages
