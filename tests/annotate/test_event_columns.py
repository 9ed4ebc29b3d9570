"""An answer file without a saved fold is decoded by msgspec into the fold's columns
(`annotate/event_columns.py`): the fold must be the one Arrow's reader makes of the same file, code
for code, and a line the structs refuse must leave the file to Arrow's reader, or to the line by
line reader that names a bad line."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_agree_columns import as_json, random_workspace, reference_report

from tagline.annotate import columns, event_columns
from tagline.annotate.agree import agreement_report
from tagline.cli import main
from tagline.corpus.sentence_table import sentence_ids
from tagline.errors import DataError


def same_fold(one: columns.Folded, one_names: list[str], other: columns.Folded, other_names: list[str]) -> bool:
    """Whether two folds hold the same answers: the same columns, and the same names where they hold
    codes (the codes themselves are given in the order the names are met, block by block, and
    Arrow's blocks are not msgspec's)."""
    from tagline.annotate.fold_cache import CODED

    for field in fields(one):
        mine, theirs = getattr(one, field.name), getattr(other, field.name)
        if field.name == "extent":  # what extending the fold needs, which Arrow's fold does not keep
            continue
        if field.name == "span_text":
            equal = mine.equals(theirs)
        elif field.name == "declared":
            equal = mine == theirs
        elif field.name in CODED:
            equal = mine.dtype == theirs.dtype and [one_names[code] if code >= 0 else None for code in mine] == \
                [other_names[code] if code >= 0 else None for code in theirs]
        else:
            equal = mine.dtype == theirs.dtype and np.array_equal(mine, theirs)
        if not equal:
            return False
    return True


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n_sentences=st.integers(1, 40), n_events=st.integers(1, 200),
       block=st.sampled_from([200, 1000, 1 << 24]))
def test_the_decoded_fold_is_the_one_arrow_makes_code_for_code(tmp_path_factory, monkeypatch, seed, n_sentences,
                                                                n_events, block):
    """Retractions (with and without a value), stance targets, unknown sentences, suggestions, nested
    and repeated spans, in blocks of a few lines or the whole file at once."""
    monkeypatch.setattr(event_columns, "BLOCK_BYTES", block)
    workspace = random_workspace(tmp_path_factory.mktemp("ws"), seed, n_sentences, n_events)
    ids = sentence_ids(workspace)["id"].combine_chunks()
    for name in workspace.annotators():
        path = workspace.annotation_path(name)
        assert event_columns.decoded_parts(path, columns.Names()) is not None  # msgspec folded it
        by_arrow, decoded = columns.Names(), columns.Names()
        expected = columns._fold_arrow(path, ids, by_arrow)
        assert expected is not None
        assert same_fold(columns._fold_file(path, ids, decoded), decoded.names, expected, by_arrow.names)
        if block == 1 << 24:  # the whole file in one block, for both: the same codes too
            assert decoded.names == by_arrow.names


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n_sentences=st.integers(1, 40), n_events=st.integers(1, 200),
       block=st.sampled_from([200, 1000, 1 << 24]), left_out=st.integers(0, 3))
def test_names_decoded_as_the_workspace_s_literals_give_the_same_fold(tmp_path_factory, monkeypatch, seed,
                                                                      n_sentences, n_events, block, left_out):
    """The decoder expecting the workspace's targets and labels (``Literal`` types) gives the fold the
    structs give, code for code; a block holding a name it does not expect (some left out of it
    here) is decoded again by the structs, and so are the blocks after it."""
    monkeypatch.setattr(event_columns, "BLOCK_BYTES", block)
    workspace = random_workspace(tmp_path_factory.mktemp("ws"), seed, n_sentences, n_events)
    targets, labels, span_labels = (names[left_out:] for names in event_columns.expected_names(workspace))
    expected = (targets, labels if left_out else (*labels, "MAYBE"), span_labels)  # MAYBE: not configured
    if not left_out:  # every name expected: the whole file is decoded by the literals' decoder
        assert all(event_columns.expecting(expected, name).decode_lines(workspace.annotation_path(name).read_bytes())
                   for name in workspace.annotators())
    ids = sentence_ids(workspace)["id"].combine_chunks()
    for name in workspace.annotators():
        path = workspace.annotation_path(name)
        plain, literal = columns.Names(), columns.Names()
        fold = columns._fold_file(path, ids, plain)
        assert fold is not None
        assert same_fold(columns._fold_file(path, ids, literal, expected), literal.names, fold, plain.names)
        assert literal.names == plain.names


EVENT = {"sentence_id": "d0-s0001", "annotator": "alice", "time": "2026-11-28T10:00:00Z", "task": "claim_type",
         "op": "set", "value": {"label": "quantity"}}


@pytest.mark.parametrize("line", [
    orjson.dumps({**EVENT, "value": {"label": "quantity", "note": "checked"}}),  # a field the event does not declare
    b"",  # a blank line
    orjson.dumps({**EVENT, "task": "entities", "op": "retract", "value": {"label": ""}}),  # not looked at
], ids=["undeclared-field", "blank-line", "unread-retraction"])
def test_a_line_the_structs_refuse_but_the_typed_reader_accepts_is_left_to_arrow(tmp_path, monkeypatch, line):
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 7, 30, 200, n_annotators=2)
    path = workspace.annotation_path(workspace.annotators()[0])
    with open(path, "ab") as handle:
        handle.write(line + b"\n")
    assert event_columns.decoded_parts(path, columns.Names()) is None
    assert as_json(agreement_report(workspace)) == as_json(reference_report(workspace))


def _with_a_last_line(tmp_path, monkeypatch, line: bytes, block: int | None = None):
    """A workspace of random answers, folded by msgspec (in blocks of ``block`` bytes if given) or by
    Arrow whatever the size, whose first annotator's file ends with ``line`` (its 201st); and that file."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    if block is not None:
        monkeypatch.setattr(event_columns, "BLOCK_BYTES", block)
    workspace = random_workspace(tmp_path / "ws", 8, 30, 200, n_annotators=2)
    path = workspace.annotation_path(workspace.annotators()[0])
    with open(path, "ab") as handle:
        handle.write(line + b"\n")
    return workspace, path


def _agree_refuses_line_201(workspace, monkeypatch):
    """``annotate agree`` in ``workspace``, which must end with one error naming alice.jsonl:201."""
    monkeypatch.chdir(workspace.root)
    result = CliRunner().invoke(main, ["annotate", "agree", "--json"])
    assert result.exit_code == 2 and result.stderr.startswith("Error: ") and "alice.jsonl:201" in result.stderr
    return result


@pytest.mark.parametrize("line", [
    orjson.dumps({**EVENT, "suggestion": None}),  # a null where the field may only be left out
    orjson.dumps({**EVENT, "task": "stance", "value": {"target": "DeepSeek"}}),  # a stance set without its label
    orjson.dumps({**EVENT, "value": None}),  # an answer set to nothing
    orjson.dumps({**EVENT, "task": "stance", "op": "retract", "value": {"label": "NONE"}}),  # no target
    orjson.dumps({**EVENT, "task": "entities", "value": {"spans": [{"start": 0, "end": 2, "label": "ORG"}]}}),
    orjson.dumps({**EVENT, "time": ""}),
], ids=["null-suggestion", "stance-without-label", "null-value", "retraction-without-target", "span-without-text",
        "empty-time"])
def test_a_bad_line_is_named_and_nothing_is_reported(tmp_path, monkeypatch, line):
    workspace, path = _with_a_last_line(tmp_path, monkeypatch, line)
    assert event_columns.decoded_parts(path, columns.Names()) is None
    with pytest.raises(DataError, match=r"alice\.jsonl:201"):
        agreement_report(workspace)
    _agree_refuses_line_201(workspace, monkeypatch)
    assert not (workspace.build_dir / "index" / "folds" / "alice").exists()


def entities_line(text: bytes) -> bytes:
    """An entities answer whose one span's text is ``text``, the JSON as it stands in the file."""
    return (b'{"sentence_id":"d0-s0001","annotator":"alice","time":"2026-11-28T10:00:00Z","task":"entities",'
            b'"op":"set","value":{"spans":[{"start":0,"end":2,"label":"ORG","text":' + text + b'}]}}')


@pytest.mark.parametrize("block", [200, 1 << 20])
@pytest.mark.parametrize("text", [rb'"a\"b"', rb'"\u65e5\u672c"', rb'"\\"', '"日本"'.encode(), b'"\xf0\x9f\x98\x80"'],
                         ids=["escaped-quote", "escaped-unicode", "backslash", "utf-8", "four-byte"])
def test_the_spans_text_is_the_string_its_json_holds(tmp_path, monkeypatch, block, text):
    """The spans' text is taken from its JSON bytes a block at a time, or decoded text by text where
    a block holds an escape: the fold is Arrow's either way."""
    monkeypatch.setattr(event_columns, "BLOCK_BYTES", block)
    workspace = random_workspace(tmp_path / "ws", 9, 30, 200, n_annotators=2)
    path = workspace.annotation_path(workspace.annotators()[0])
    with open(path, "ab") as handle:
        handle.write(entities_line(text) + b"\n")
    ids = sentence_ids(workspace)["id"].combine_chunks()
    assert event_columns.decoded_parts(path, columns.Names()) is not None
    by_arrow, decoded = columns.Names(), columns.Names()
    folded = columns._fold_file(path, ids, decoded)
    assert same_fold(folded, decoded.names, columns._fold_arrow(path, ids, by_arrow), by_arrow.names)
    assert orjson.loads(text) in folded.span_text.to_pylist()


@pytest.mark.parametrize("block", [200, 1 << 20])
@pytest.mark.parametrize("text", [b'""', b"5", b"null", b'{"a":"b"}', b'["x"]', rb'"\u00"'],
                         ids=["empty", "number", "null", "object", "list", "bad-escape"])
def test_a_span_whose_text_is_not_a_string_is_a_bad_line(tmp_path, monkeypatch, block, text):
    workspace, path = _with_a_last_line(tmp_path, monkeypatch, entities_line(text), block)
    assert event_columns.decoded_parts(path, columns.Names()) is None
    _agree_refuses_line_201(workspace, monkeypatch)


@pytest.mark.parametrize("block", [200, 1 << 20])
@pytest.mark.parametrize("text", [b'"\xff"', b'"\xed\xa0\x80x"', b'"\xff\\n"'],
                         ids=["bad-utf-8", "surrogate", "bad-utf-8-escaped"])
def test_a_text_that_is_not_utf_8_is_a_bad_line(tmp_path, monkeypatch, block, text):
    """msgspec refuses a string that is not UTF-8, and so does the check of the texts' bytes; Arrow's
    reader keeps it, so the table it reads is checked too, and the line by line reader names it."""
    workspace, path = _with_a_last_line(tmp_path, monkeypatch, entities_line(text), block)
    assert event_columns.decoded_parts(path, columns.Names()) is None
    assert columns._fold_arrow(path, sentence_ids(workspace)["id"].combine_chunks(), columns.Names()) is None
    result = _agree_refuses_line_201(workspace, monkeypatch)
    assert "UTF-8" in result.stderr


def offsets_line(start: int, end: int) -> bytes:
    """An entities answer whose one span is at ``start``-``end``."""
    return entities_line(b'"xx"').replace(b'"start":0,"end":2', b'"start":%d,"end":%d' % (start, end))


@pytest.mark.parametrize("arrow", [True, False], ids=["columns", "line-by-line"])
@pytest.mark.parametrize("start,end", [(2**31, 2**31 + 2), (2**32, 2**32 + 2), (0, 2**32 + 2), (0, 2**63)],
                         ids=["2^31", "2^32", "end-2^32", "end-2^63"])
def test_a_span_offset_past_int32_is_a_bad_line(tmp_path, monkeypatch, arrow, start, end):
    """The columns hold offsets as int32 (a span at 2**32 was folded as one at 0, silently): no
    sentence is that long, and the typed reader refuses such an offset as every reader does, at its
    line, rather than the line by line fold failing on one past int64 with a traceback."""
    workspace, path = _with_a_last_line(tmp_path, monkeypatch, offsets_line(start, end))
    if not arrow:
        monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 1 << 40)
    assert event_columns.decoded_parts(path, columns.Names()) is None
    assert columns._fold_arrow(path, sentence_ids(workspace)["id"].combine_chunks(), columns.Names()) is None
    result = _agree_refuses_line_201(workspace, monkeypatch)
    assert len(result.stderr.strip().splitlines()) == 1 and "2147483647" in result.stderr


def test_a_fold_worker_does_not_import_pandas(tmp_path):
    """pyarrow imports pandas the first time a Python value or a numpy array is made an Arrow array or
    an Arrow array a numpy one; a fold worker makes none, and saves half a second."""
    import subprocess
    import sys

    from tagline.annotate.columns import _corpus_stamp
    from tagline.annotate.fold_cache import fold_key, has_fold

    workspace = random_workspace(tmp_path / "ws", 10, 40, 300, n_annotators=1)
    path = workspace.annotation_path(workspace.annotators()[0])
    key = fold_key(workspace, path)
    script = ("import sys\nfrom tagline.annotate.fold_workers import fold_in_worker\n"
              "result = fold_in_worker(*sys.argv[1:])\nprint(result is None, 'pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script, str(workspace.root), str(path), _corpus_stamp(workspace),
                           key], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False"]
    assert has_fold(workspace, path, key)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.binary(max_size=60).map(lambda line: line.replace(b"\n", b"")), max_size=30),
       torn=st.booleans(), block=st.integers(1, 64))
def test_the_blocks_read_into_one_buffer_are_the_file_s_whole_lines_in_order(tmp_path_factory, monkeypatch, lines,
                                                                             torn, block):
    """Each block is read over the one before (taken as bytes before the next is asked for), lines
    longer than the buffer included: the blocks are the file, cut only after a newline."""
    monkeypatch.setattr(event_columns, "BLOCK_BYTES", block)
    data = b"".join(line + b"\n" for line in lines) + (b"torn" if torn else b"")
    path = tmp_path_factory.mktemp("blocks") / "answers.jsonl"
    path.write_bytes(data)
    blocks = [bytes(part) for part in event_columns._blocks(path)]
    assert b"".join(blocks) == data
    assert all(part.endswith(b"\n") for part in blocks[:len(blocks) - torn])
