"""Whether an answer file read whole by Arrow holds only records the typed reader accepts: the same
checks as :func:`tagline.schemas.records.decode_record`, on columns. Any doubt is a no, and the file
is then read line by line, where a bad line is named."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tagline.schemas import TASKS
from tagline.schemas.records import MAX_OFFSET

if TYPE_CHECKING:
    import pyarrow as pa


def _strings(column: Any, *, nullable: bool = False) -> bool:
    """A string column, without nulls (unless ``nullable``) and without empty strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.type != pa.string() or (column.null_count and not nullable):
        return False
    shortest = pc.min(pc.utf8_length(column)).as_py()
    return shortest is None or shortest >= 1


def event_schema() -> pa.Schema:
    """The fields of an event that tagline reads, with their types: Arrow's JSON reader refuses a
    line where one has another type, and leaves out fields not named here (as the typed reader
    does)."""
    import pyarrow as pa

    span = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()), ("text", pa.string())])
    value = pa.struct([("target", pa.string()), ("label", pa.string()), ("spans", pa.list_(span))])
    suggestion = pa.struct([("source", pa.string()), ("accepted", pa.string()), ("score", pa.float64())])
    strings = [(name, pa.string()) for name in ("sentence_id", "annotator", "time", "task", "op")]
    return pa.schema([*strings, ("value", value), ("source", pa.string()), ("suggestion", suggestion),
                      ("meta", pa.struct([]))])


def events_valid(table: pa.Table) -> bool:
    """Whether every row of ``table`` (an answer file read by Arrow) is a valid event record."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names = table.column_names
    if any(name not in names for name in ("sentence_id", "annotator", "time", "task", "op", "value")):
        return False
    if not all(_strings(table[name]) for name in ("sentence_id", "annotator", "time", "task", "op")):
        return False
    if not set(pc.unique(table["task"]).to_pylist()) <= set(TASKS) or \
            not set(pc.unique(table["op"]).to_pylist()) <= {"set", "retract"}:
        return False
    if "source" in names and table["source"].type != pa.string():
        return False
    if "meta" in names and not pa.types.is_struct(table["meta"].type):
        return False
    value = table["value"].combine_chunks()
    if not pa.types.is_struct(value.type):
        return False
    if not _values_valid(value, table["task"].combine_chunks(), table["op"].combine_chunks()):
        return False
    return "suggestion" not in names or _suggestions_valid(table["suggestion"].combine_chunks())


def _field(value: pa.StructArray, name: str) -> Any:
    import pyarrow.compute as pc

    return pc.struct_field(value, name) if value.type.get_field_index(name) >= 0 else None


def _values_valid(value: pa.StructArray, task: pa.Array, op: pa.Array) -> bool:
    import pyarrow as pa
    import pyarrow.compute as pc

    def rows(mask: Any) -> Any:
        return pc.filter(value, mask)

    is_set = pc.equal(op, "set")
    stance = pc.equal(task, "stance")
    label_set = pc.and_(is_set, pc.not_equal(task, "entities"))
    entities_set = pc.and_(is_set, pc.equal(task, "entities"))
    stance_rows, label_rows, entity_rows = rows(stance), rows(label_set), rows(entities_set)
    if stance_rows.null_count or label_rows.null_count or entity_rows.null_count:
        return False  # a value that must be an object is null
    for part, name in ((stance_rows, "target"), (label_rows, "label")):
        if len(part):
            column = _field(part, name)
            if column is None or not _strings(column):
                return False
    if not len(entity_rows):
        return True
    spans = _field(entity_rows, "spans")
    if spans is None or not pa.types.is_list(spans.type) or spans.null_count:
        return False
    flat = pc.list_flatten(spans)
    if not len(flat):
        return True
    if not pa.types.is_struct(flat.type) or flat.null_count:
        return False
    start, end = _field(flat, "start"), _field(flat, "end")
    if start is None or end is None or start.type != pa.int64() or end.type != pa.int64() or \
            start.null_count or end.null_count:
        return False
    if pc.min(start).as_py() < 0 or pc.min(end).as_py() < 1 or \
            max(pc.max(start).as_py(), pc.max(end).as_py()) > MAX_OFFSET:
        return False
    return all(_field(flat, name) is not None and _strings(_field(flat, name)) for name in ("label", "text"))


def _suggestions_valid(suggestion: Any) -> bool:
    import pyarrow as pa
    import pyarrow.compute as pc

    if suggestion.type == pa.null():
        return True  # no row has one
    if not pa.types.is_struct(suggestion.type):
        return False
    given = pc.filter(suggestion, pc.is_valid(suggestion))
    if not len(given):
        return True
    source, accepted, score = _field(given, "source"), _field(given, "accepted"), _field(given, "score")
    if source is None or accepted is None or not _strings(source) or not _strings(accepted):
        return False
    if not set(pc.unique(accepted).to_pylist()) <= {"as_is", "changed"}:
        return False
    if score is not None:
        if not (pa.types.is_integer(score.type) or pa.types.is_floating(score.type)):
            return False
        low, high = pc.min(score).as_py(), pc.max(score).as_py()
        if low is not None and (low < 0 or high > 1 or pc.any(pc.is_nan(pc.cast(score, pa.float64()))).as_py()):
            return False
    return True


def declared_values(table: pa.Table) -> bool:
    """Whether no value (nor span) of ``table``, read with unexpected fields inferred, holds a field
    the event does not declare: the answers as dicts keep such a field, which columns would lose."""
    import pyarrow as pa

    declared = event_schema().field("value").type
    value = table.schema.field("value").type
    if not pa.types.is_struct(value) or {field.name for field in value} != {field.name for field in declared}:
        return False
    spans, declared_spans = value.field("spans").type, declared.field("spans").type
    return pa.types.is_list(spans) and pa.types.is_struct(spans.value_type) and \
        {field.name for field in spans.value_type} == {field.name for field in declared_spans.value_type}
