"""Hypothesis fuzzing of every reader of a workspace's own files.

A line is appended to one of the files (a valid record of that file with a field removed, retyped
or nested, or arbitrary bytes). Every command that reads the file must then succeed or stop with a
``TaglineError``, never another exception; and a reader may refuse only what ``validate`` also
reports, so the two never disagree.
"""

from __future__ import annotations

import json
import os
import shutil

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagline.errors import TaglineError

FILES = ["annotations/sample-gold.jsonl", "gold/gold.jsonl", "sentences.jsonl", "documents.jsonl", "orphaned.jsonl"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**64 - 1) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@st.composite
def damaged_line(draw, record: dict) -> bytes:
    """A record of the file, changed in one place; or bytes that are not a record at all."""
    kind = draw(st.sampled_from(["drop", "retype", "nested", "extra", "bytes", "json"]))
    if kind == "bytes":
        return draw(st.binary(max_size=40)).replace(b"\n", b" ") + b"\n"
    if kind == "json":
        return orjson.dumps(draw(JSON)) + b"\n"
    record = orjson.loads(orjson.dumps(record))
    holder = record
    if kind == "nested":
        nested = [value for value in record.values() if isinstance(value, dict) and value]
        if nested:
            holder = draw(st.sampled_from(nested))
            inner = [value for value in holder.values() if isinstance(value, list) and value
                     and isinstance(value[0], dict)]
            if inner:
                holder = inner[0][0]
    key = draw(st.sampled_from(sorted(holder)))
    if kind == "drop":
        del holder[key]
    elif kind == "extra":
        holder[draw(st.text(max_size=8))] = draw(JSON)
    else:
        holder[key] = draw(JSON)
    return orjson.dumps(record) + b"\n"


def _readers(workspace):
    """Every library call a read-only command makes."""
    from tagline.annotate.agree import agreement_report
    from tagline.annotate.events import load_view
    from tagline.annotate.gold import gold_listing
    from tagline.annotate.interop import export
    from tagline.annotate.scripted import progress, sentence_answers
    from tagline.annotate.session import SessionModel
    from tagline.corpus.stats import corpus_stats

    return {
        "progress": lambda: progress(workspace),
        "gold": lambda: gold_listing(workspace),
        "agree": lambda: agreement_report(workspace, tasks=["claim_type", "entities"]),
        "export gold": lambda: export(workspace, fmt="csv", gold=True),
        "export annotator": lambda: export(workspace, fmt="doccano", annotator="sample-gold"),
        "show": lambda: sentence_answers(workspace, "deepseek_ja-s0010"),
        "session": lambda: SessionModel.open(workspace, "alice"),
        "view": lambda: load_view(workspace, "sample-gold"),
        "stats": lambda: corpus_stats(workspace),
    }


@pytest.fixture(scope="module")
def fuzz_workspace(tmp_path_factory):
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(tmp_path_factory.mktemp("fuzz") / "ws", sample=True)
    sentence = next(workspace.iter_sentences())
    with open(workspace.orphaned_path, "wb") as handle:  # one orphan, so that file has a record to damage
        handle.write(orjson.dumps({**sentence, "id": "deepseek_ja-s9999", "orphaned": "2026-01-01T00:00:00Z"}) + b"\n")
    return workspace


@pytest.mark.filterwarnings("ignore::tagline.corpus.store.TornLineWarning")
@pytest.mark.parametrize("relative", FILES)
def test_every_reader_ends_in_success_or_a_tagline_error_and_agrees_with_validate(fuzz_workspace, relative):
    from tagline.annotate.validate import validate_workspace

    workspace = fuzz_workspace
    path = workspace.root / relative
    original = path.read_bytes()
    first = orjson.loads(original.split(b"\n", 1)[0])
    readers = _readers(workspace)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(line=damaged_line(first), torn=st.booleans())
    def check(line, torn):
        with open(path, "ab") as handle:
            handle.write(line[:-1] if torn else line)
        try:
            workspace.__dict__.pop("config", None)
            problems = validate_workspace(workspace)
            refused = {}
            for name, read in readers.items():
                try:
                    read()
                except TaglineError as error:
                    refused[name] = error.render()
            if refused:
                assert problems, (line, refused)
        finally:
            with open(path, "wb") as handle:
                handle.write(original)

    check()


def test_a_damaged_answer_file_is_reported_the_same_by_the_readers_and_validate(fuzz_workspace, tmp_path):
    from tagline.annotate.scripted import progress
    from tagline.annotate.validate import validate_workspace
    from tagline.corpus.workspace import Workspace

    workspace = Workspace(shutil.copytree(fuzz_workspace.root, tmp_path / "ws"))
    with open(workspace.annotation_path("sample-gold"), "ab") as handle:
        handle.write(b'{"sentence_id": "deepseek_ja-s0001", "annotator": "sample-gold"}\n')
    line = workspace.annotation_path("sample-gold").read_bytes().count(b"\n")
    with pytest.raises(TaglineError) as caught:
        progress(workspace, ["sample-gold"])  # named: the sample's answers are not counted otherwise
    assert caught.value.where.endswith(f"sample-gold.jsonl:{line}")
    assert any(problem.line == line and not problem.warning for problem in validate_workspace(workspace))
    os.remove(workspace.annotation_path("sample-gold"))


@pytest.mark.parametrize("relative", ["annotations/sample-gold.jsonl", "gold/gold.jsonl", "sentences.jsonl"])
def test_an_integer_written_as_a_float_is_a_problem_validate_names_as_the_readers_refuse_it(
        fuzz_workspace, tmp_path, relative):
    """JSON Schema takes 9.0 for the integer 9, the typed readers do not: validate once passed such a
    line to the checks of offsets, which failed with a TypeError (a traceback) instead of naming it."""
    from tagline.annotate.validate import validate_workspace
    from tagline.corpus.workspace import Workspace

    workspace = Workspace(shutil.copytree(fuzz_workspace.root, tmp_path / "ws"))
    path = workspace.root / relative
    lines = path.read_bytes().splitlines(keepends=True)
    number, record = next((number, orjson.loads(line)) for number, line in enumerate(lines, 1)
                          if b'"start":' in line and b'"start":0' not in line)
    holder = record["value"]["spans"][0] if "value" in record else record
    holder["start"] = float(holder["start"])
    lines[number - 1] = json.dumps(record, ensure_ascii=False).encode() + b"\n"
    path.write_bytes(b"".join(lines))
    problems = validate_workspace(workspace)
    assert any(problem.path.endswith(relative) and problem.line == number and not problem.warning and
               problem.message.endswith("is not of type 'integer'") for problem in problems), problems
    with pytest.raises(TaglineError):
        _readers(workspace)["stats" if relative == "sentences.jsonl" else "gold" if "gold/" in relative else "view"]()
