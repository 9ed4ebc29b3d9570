"""The fast schema gate (``jsonschema_rs``) never passes a record Python ``jsonschema`` refuses.

``schema_errors`` asks the gate first and returns no errors when it passes a record, so the gate
passing what tagline's Python validators refuse would let a bad record through ``validate``. Records
of every shipped schema are taken from a real workspace (the sample, its configuration and a run of
its evaluation), then mutated by Hypothesis: fields dropped, retyped, added, set to other enum values,
to bad dates, to whole floats, big integers, strings with a newline after a pattern's match, and
Python values that are not JSON. Where the gate refuses a record Python accepts, ``schema_errors`` asks Python,
so that costs time only: it is checked to happen only for the reasons the gate gives (it is never seen
for records as ``validate`` reads them but the few the test names).
"""

from __future__ import annotations

import copy
import tomllib

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagline.cli import main
from tagline.schemas import SCHEMA_NAMES, gate_passes, load_schema, schema_errors, validator


@pytest.fixture(scope="module")
def seeds(built_sample_module) -> dict[str, list[dict]]:
    """Valid records of every schema, from a sample workspace and a run of its evaluation."""
    from click.testing import CliRunner

    from tagline.corpus.workspace import Workspace

    workspace = Workspace(built_sample_module)
    files = {"sentence": workspace.sentences_path, "document": workspace.documents_path,
             "event": workspace.annotation_path("sample-gold"), "gold": workspace.gold_path}
    records = {kind: [orjson.loads(line) for line in path.read_bytes().splitlines()][:40]
               for kind, path in files.items()}
    records["config"] = [tomllib.loads(workspace.config_path.read_text(encoding="utf-8"))]
    for task, baseline in (("stance", "majority"), ("entities", "gazetteer")):
        result = CliRunner().invoke(main, ["eval", "run", "-w", str(workspace.root), "--task", task, "--baselines",
                                           baseline, "--resamples", "10", "--json"])
        assert result.exit_code == 0, result.output
        run_id = orjson.loads(result.stdout)["run_id"]
        records.setdefault("run", []).append(orjson.loads((workspace.runs_dir / run_id / "results.json").read_bytes()))
    suggested = copy.deepcopy(next(event for event in records["event"] if event["task"] == "stance"))
    suggested["suggestion"] = {"source": "model", "score": 0.75, "accepted": "changed"}
    records["event"].append(suggested)
    for kind in SCHEMA_NAMES:
        assert records[kind] and all(validator(kind).is_valid(record) for record in records[kind]), kind
    return records


def _enum_strings(schema: object) -> set[str]:
    """Every string an ``enum`` or ``const`` of ``schema`` allows."""
    if isinstance(schema, list):
        return set().union(*map(_enum_strings, schema))
    if not isinstance(schema, dict):
        return set()
    found = {value for value in schema.get("enum", []) if isinstance(value, str)}
    found |= {schema["const"]} if isinstance(schema.get("const"), str) else set()
    return found.union(*map(_enum_strings, schema.values()))


ENUMS = sorted(set().union(*(_enum_strings(load_schema(name)) for name in SCHEMA_NAMES)))
DATES = ["2026-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00+01:00", "2026-01-01", "yesterday",
         "2026-01-01T00:00:00z", "2026-01-01T00:00:00Z\n", "2026-02-30T25:61:00Z", ""]
EDGES = [0, 1, -1, 9.0, 1.0, 0.0, -0.0, 0.5, 1.5, 1e300, 2**31 - 1, 2**31, 2**32, 2**63, 2**64, -2**70, True, False,
         None, "", "a", "a\n", "A-b.c_1", "x" * 70, "0" * 64, "\u0661\u0662", "\ud800", [], {}, [1, 2], {"a": 1},
         (1, 2), float("nan"), float("inf")]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**65, max_value=2**65) | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)
VALUES = (st.sampled_from(EDGES) | st.sampled_from(ENUMS) | st.sampled_from(DATES) | JSON).map(copy.deepcopy)


def _containers(value: object) -> list[dict | list]:
    """``value`` and every dict and list inside it."""
    if isinstance(value, dict):
        return [value, *(inner for item in value.values() for inner in _containers(item))]
    if isinstance(value, list):
        return [value, *(inner for item in value for inner in _containers(item))]
    return []


@st.composite
def mutated(draw, seeds: dict[str, list[dict]]) -> tuple[str, dict]:
    """A schema's name and one of its valid records, changed in one to three places."""
    name = draw(st.sampled_from(SCHEMA_NAMES))
    record = copy.deepcopy(draw(st.sampled_from(seeds[name])))
    for _ in range(draw(st.integers(0, 3))):
        holder = draw(st.sampled_from(_containers(record)))
        how = draw(st.sampled_from(["drop", "set", "set", "twin", "twin", "extra"]))
        if isinstance(holder, list):
            if holder and how == "drop":
                holder.pop(draw(st.integers(0, len(holder) - 1)))
            elif holder:
                holder[draw(st.integers(0, len(holder) - 1))] = draw(VALUES)
            else:
                holder.append(draw(VALUES))
        elif how == "extra" or not holder:
            holder[draw(st.sampled_from(["extra", "label", "score", "target", "meta"]) | st.text(max_size=5))] = (
                draw(VALUES))
        elif how == "drop":
            del holder[draw(st.sampled_from(sorted(holder)))]
        elif how == "twin":
            key = draw(st.sampled_from(sorted(holder)))
            holder[key] = draw(st.sampled_from(_twins(holder[key])))
        else:
            holder[draw(st.sampled_from(sorted(holder)))] = draw(VALUES)
    return name, record


def _twins(value: object) -> list[object]:
    """Values close to ``value`` that a schema may read differently: the same number as a float or past
    a bound, the same text with a newline, a digit or a capital more, empty, or in a list."""
    if isinstance(value, bool):
        return [int(value), not value, str(value).lower()]
    if isinstance(value, int):
        return [float(value), value + 0.5, -value - 1, value + 2**31, value + 2**64, str(value), None]
    if isinstance(value, float) and value.is_integer():
        return [int(value), value + 0.5, -value, str(value)]
    if isinstance(value, float):
        return [value * 2, -value, value + 1, str(value)]
    if isinstance(value, str):
        return [value + "\n", "", value + "0", value.upper(), value[:-1], value + "١", [value], " " + value]
    return [[value], None, {}, []]


def _only_python_reads_it(name: str, record: object) -> bool:
    """Whether ``record`` holds what the gate leaves to Python by design: a value of a type that is
    not JSON's, a whole float (in a typed record), NaN or infinity, or a string with a lone surrogate.
    (A pattern's ``$`` is the string's end for both: see test_a_pattern_refuses_a_value_with_a_newline...)"""
    whole_floats = name in ("config", "run")
    if isinstance(record, dict):
        return any(not isinstance(key, str) or _only_python_reads_it(name, item) for key, item in record.items())
    if isinstance(record, list):
        return any(_only_python_reads_it(name, item) for item in record)
    if isinstance(record, float):
        return record != record or record in (float("inf"), float("-inf")) or (
            not whole_floats and record.is_integer())
    if isinstance(record, str):
        return any("\ud800" <= char <= "\udfff" for char in record)
    return not isinstance(record, (int, type(None)))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_gate_passes_exactly_what_python_jsonschema_passes(seeds, data):
    name, record = data.draw(mutated(seeds))
    passes, valid = gate_passes(name, record), validator(name).is_valid(record)
    assert not passes or valid, (name, record, "the gate passes a record Python jsonschema refuses")
    assert passes or not valid or _only_python_reads_it(name, record), (name, record, "the gate refuses a valid record")
    assert (schema_errors(name, record) == []) is valid


def test_every_seed_record_passes_the_gate_and_its_retyped_integers_do_not(seeds):
    for name in SCHEMA_NAMES:
        assert all(gate_passes(name, record) for record in seeds[name]), name
    sentence = {**seeds["sentence"][0], "start": 9.0}
    assert not gate_passes("sentence", sentence) and schema_errors("sentence", sentence)
    run = {**seeds["run"][0], "seed": 9.0}  # JSON Schema's integer, as Python jsonschema reads the run schema
    assert gate_passes("run", run) and schema_errors("run", run) == []


@pytest.mark.parametrize(("name", "field", "value"), [
    ("sentence", "id", "deepseek_ja-s0001\n"), ("sentence", "doc_id", "deepseek_ja\n"), ("sentence", "split", "dev\n"),
    ("document", "doc_id", "deepseek_ja\n"), ("document", "text_sha256", "0" * 64 + "\n"),
    ("event", "annotator", "sample-gold\n"), ("event", "time", "2026-11-28T09:00:00Z\n")])
def test_a_pattern_refuses_a_value_with_a_newline_after_its_match(seeds, name, field, value):
    # JSON Schema's patterns are ECMA-262's, whose `$` is the string's end, as jsonschema_rs reads it; Python's
    # `$` matches before a last newline too, and validate passed a sentence id, a doc_id or a time ending in one.
    record = {**seeds[name][0], field: value}
    assert not gate_passes(name, record)
    assert schema_errors(name, record) == [f"{field}: {value!r} does not match {_pattern(load_schema(name), field)!r}"]


def _pattern(schema: dict, field: str) -> str:
    found = schema["properties"][field]
    return str(found["pattern"] if "pattern" in found else schema["$defs"][found["$ref"].rsplit("/", 1)[1]]["pattern"])
