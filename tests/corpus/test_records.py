"""The typed records and the JSON Schemas say the same thing: what the schema requires the decoder
requires, a field of the wrong type is refused by both, and every record of the sample passes both."""

from __future__ import annotations

import orjson
import pytest

from tagline.schemas import load_schema, schema_errors
from tagline.schemas.records import RECORD_TYPES, RecordError, decode_record


def _sample_records(tmp_path_factory) -> dict[str, list[dict]]:
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(tmp_path_factory.mktemp("records") / "ws", sample=True)
    files = {"sentence": workspace.sentences_path, "document": workspace.documents_path,
             "event": workspace.annotation_path("sample-gold"), "gold": workspace.gold_path}
    return {kind: [orjson.loads(line) for line in path.read_bytes().splitlines()] for kind, path in files.items()}


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return _sample_records(tmp_path_factory)


def _accepts(kind: str, record: dict) -> bool:
    try:
        decode_record(kind, orjson.dumps(record))
    except RecordError:
        return False
    return True


@pytest.mark.parametrize("kind", ["sentence", "document", "event", "gold"])
def test_every_sample_record_passes_the_schema_and_the_decoder(samples, kind):
    for record in samples[kind]:
        assert schema_errors(kind, record) == []
        assert decode_record(kind, orjson.dumps(record)) == record


@pytest.mark.parametrize("kind", ["sentence", "document", "event", "gold"])
def test_a_required_field_is_required_by_both(samples, kind):
    schema = load_schema(kind)
    assert set(schema["required"]) <= set(RECORD_TYPES[kind].__required_keys__)
    for field in schema["required"]:
        record = {key: value for key, value in samples[kind][0].items() if key != field}
        assert schema_errors(kind, record) and not _accepts(kind, record), field


@pytest.mark.parametrize("kind", ["sentence", "document", "event", "gold"])
def test_a_field_of_the_wrong_type_is_refused_by_both(samples, kind):
    schema = load_schema(kind)
    assert set(schema["properties"]) == set(RECORD_TYPES[kind].__annotations__), \
        "the typed record and the schema name the same fields"
    for field in schema["properties"]:
        for wrong in ([1, 2], {"x": [1]}, -5, "", None):
            record = {**samples[kind][0], field: wrong}
            if not _accepts(kind, record):
                assert schema_errors(kind, record), (field, wrong, "the decoder refuses what the schema accepts")
        record = {**samples[kind][0], field: [1, 2]}
        assert schema_errors(kind, record) and not _accepts(kind, record), field


def test_the_run_result_record_and_the_run_schema_name_the_same_required_fields():
    import msgspec

    from tagline.schemas.records import RunResult

    schema = load_schema("run")
    fields = msgspec.inspect.type_info(RunResult).fields  # reads NotRequired as the decoder does
    assert set(schema["required"]) == {field.name for field in fields if field.required}
    assert set(schema["properties"]) <= {field.name for field in fields}, "every field the schema describes is typed"


def test_every_shipped_schema_is_a_valid_2020_12_schema():
    import jsonschema

    from tagline.schemas import SCHEMA_NAMES, load_schema

    for name in SCHEMA_NAMES:
        jsonschema.Draft202012Validator.check_schema(load_schema(name))


@pytest.mark.parametrize("kind", ["event", "gold"])
def test_a_span_offset_past_int32_is_refused_by_both(samples, kind):
    """The answers' columns hold a span's offsets as int32: the schema and the decoder both stop at
    2**31 - 1, which no sentence reaches."""
    from tagline.schemas.records import MAX_OFFSET

    sample = next(record for record in samples[kind] if record["task"] == "entities" and record["value"]["spans"])

    def entities(start: int, end: int) -> dict:
        return {**sample, "value": {"spans": [{"start": start, "end": end, "label": "ORG", "text": "xx"}]}}

    assert _accepts(kind, entities(MAX_OFFSET - 2, MAX_OFFSET)) and not schema_errors(kind, entities(0, MAX_OFFSET))
    for start, end in ((MAX_OFFSET, MAX_OFFSET + 1), (0, 2**32 + 2), (0, 2**63)):
        assert not _accepts(kind, entities(start, end)) and schema_errors(kind, entities(start, end)), (start, end)
