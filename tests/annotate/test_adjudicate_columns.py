"""`annotate adjudicate` of a large workspace decides from the answers as columns and writes the gold
lines with Arrow: the gold records and the report must be those the answers as dicts give, record
for record, on random workspaces (retractions, stance targets, unknown sentences, labels not
configured, repeated and nested spans, suggestions, one-annotator documents)."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_agree_columns import random_workspace

from tagline.annotate import columns, gold
from tagline.annotate.gold_columns import WrittenGold
from tagline.errors import DataError

NOW = "2026-12-01T00:00:00.000000Z"


def adjudicated(monkeypatch, workspace, *, by_columns: bool, **options) -> tuple[dict, list[dict]]:
    """The report and the gold records of one adjudication, through the columns or the dicts."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0 if by_columns else 1 << 40)
    monkeypatch.setattr(gold, "utc_now", lambda: NOW)
    before = workspace.gold_path.stat().st_size if workspace.gold_path.exists() else 0
    result = gold.auto_adjudicate(workspace, **options)
    assert isinstance(result.written, WrittenGold) == by_columns
    records = [orjson.loads(line) for line in workspace.gold_path.read_bytes()[before:].splitlines()] \
        if workspace.gold_path.exists() else []
    assert list(result.written) == records
    contested = [(c.sentence_id, c.task, c.target, c.votes, c.reason) for c in result.contested]
    return {**result.as_dict(), "contested_votes": contested}, records


def refused_or_adjudicated(monkeypatch, workspace, *, by_columns: bool, **options) -> tuple[Any, list[dict]]:
    """What :func:`adjudicated` gives, or the error that refused the adjudication (nothing written), its
    workspace's folder written ``<workspace>``."""
    try:
        return adjudicated(monkeypatch, workspace, by_columns=by_columns, **options)
    except DataError as error:
        assert not workspace.gold_path.exists() or not workspace.gold_path.stat().st_size
        # The error names the answer's file in its workspace; the two workspaces are in two folders.
        return str(error).replace(workspace.relative(workspace.root), "<workspace>"), []


def same_both_ways(tmp_path_factory, monkeypatch, seed, n_sentences, n_events, n_annotators=None, *,
                   unconfigured: bool = False, **options) -> None:
    by_columns, by_dicts = (random_workspace(tmp_path_factory.mktemp(name), seed, n_sentences, n_events, n_annotators,
                                             unconfigured=unconfigured) for name in ("columns", "dicts"))
    report, records = refused_or_adjudicated(monkeypatch, by_columns, by_columns=True, **options)
    expected_report, expected_records = refused_or_adjudicated(monkeypatch, by_dicts, by_columns=False, **options)
    assert unconfigured or not isinstance(expected_report, str), expected_report
    assert records == expected_records
    # The same JSON text: the order of methods and of each contested question's votes too.
    assert json.dumps(report) == json.dumps(expected_report)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n_sentences=st.integers(1, 40), n_events=st.integers(1, 150),
       unanimous=st.booleans())
def test_columns_write_the_gold_of_the_answers_as_dicts(tmp_path_factory, monkeypatch, seed, n_sentences,
                                                         n_events, unanimous):
    same_both_ways(tmp_path_factory, monkeypatch, seed, n_sentences, n_events,
                   min_agreement="unanimous" if unanimous else "majority")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n_sentences=st.integers(1, 40), n_events=st.integers(1, 150))
def test_a_label_the_config_lacks_is_refused_the_same_both_ways(tmp_path_factory, monkeypatch, seed, n_sentences,
                                                                 n_events):
    """Answers with a label tagline.toml lacks (MAYBE): where it would be gold, both ways stop with
    the same error and write nothing; where it is only contested, both write the same gold."""
    same_both_ways(tmp_path_factory, monkeypatch, seed, n_sentences, n_events, unconfigured=True)


@pytest.mark.parametrize("options", [{"annotators": ["dave", "carol", "bob", "alice"]}, {"tasks": ["entities"]},
                                     {"tasks": ["stance"]}, {"exclude_annotators": ["bob"]}])
def test_the_annotators_order_and_the_tasks_asked(tmp_path_factory, monkeypatch, options):
    """The gold value is the first voter's (in the order named) among those of the common answer,
    which may differ from the others' in what value_key ignores (span order and text)."""
    for seed in range(4):
        same_both_ways(tmp_path_factory, monkeypatch, seed, 20, 120, 4, **options)


def test_a_larger_workspace_and_the_next_adjudication(tmp_path_factory, monkeypatch):
    """Thousands of questions; the next adjudication (gold now written) goes through the dicts and
    finds every question unchanged."""
    same_both_ways(tmp_path_factory, monkeypatch, 7, 2000, 5000)
    workspace = random_workspace(tmp_path_factory.mktemp("again"), 7, 2000, 5000, unconfigured=False)
    _, records = adjudicated(monkeypatch, workspace, by_columns=True)
    report, _ = adjudicated(monkeypatch, workspace, by_columns=False)
    assert report["written"] == 0 and report["unchanged"] == len(records) > 500


def test_a_value_with_a_field_the_event_does_not_declare_goes_through_the_dicts(tmp_path, monkeypatch):
    """The dicts keep such a field in gold; the columns could not, so they leave the file to the dicts."""
    made = []
    for name in ("large", "small"):
        workspace = random_workspace(tmp_path / name, 3, 30, 200, n_annotators=2, unconfigured=False)
        path = workspace.annotation_path(workspace.annotators()[0])
        events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
        for event in events:
            if event["task"] == "claim_type" and event["op"] == "set":
                event["value"]["note"] = "checked twice"
        path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))
        monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0 if name == "large" else 1 << 40)
        monkeypatch.setattr(gold, "utc_now", lambda: NOW)
        assert not isinstance(gold.auto_adjudicate(workspace).written, WrittenGold)
        made.append([orjson.loads(line) for line in workspace.gold_path.read_bytes().splitlines()])
    assert made[0] == made[1] and any("note" in record["value"] for record in made[0])


@pytest.mark.parametrize("order", [["bob", "alice", "carol"], ["alice", "bob", "carol"]])
def test_the_gold_answer_is_the_first_named_voters_of_the_common_answer(tmp_path, monkeypatch, order):
    """alice and bob mark the same spans in another order (and bob with a wider text); the gold
    keeps the spans as the first of them named gave them, through the columns as through the dicts."""
    from tagline.corpus.workspace import init_workspace

    text = "DeepSeekは東京で発表した。"
    first, second = {"start": 0, "end": 8, "label": "ORG", "text": "DeepSeek"}, \
        {"start": 9, "end": 11, "label": "GPE", "text": "東京"}
    spans = {"alice": [first, second], "bob": [second, {**first, "text": "DeepSeek "}], "carol": [first]}
    made = []
    for name in ("columns", "dicts"):
        workspace = init_workspace(tmp_path / name, language="ja", targets=["DeepSeek"])
        workspace.sentences_path.write_bytes(orjson.dumps({"id": "d0-s0001", "doc_id": "d0", "index": 1, "text": text,
                                                           "start": 0, "end": len(text), "lang": "ja"}) + b"\n")
        workspace.annotations_dir.mkdir(exist_ok=True)
        for annotator, marked in spans.items():
            event = {"sentence_id": "d0-s0001", "annotator": annotator, "time": NOW, "task": "entities",
                     "op": "set", "value": {"spans": marked}}
            workspace.annotation_path(annotator).write_bytes(orjson.dumps(event) + b"\n")
        made.append(adjudicated(monkeypatch, workspace, by_columns=name == "columns", annotators=order)[1])
    assert made[0] == made[1]
    (record,) = made[0]
    assert record["value"]["spans"] == spans[order[0]] and record["provenance"]["method"] == "majority"


@settings(max_examples=100, deadline=None)
@given(key=st.integers(1, 6).flatmap(lambda rows: st.lists(
    st.lists(st.integers(-1, 3) | st.sampled_from([2**40, 2**61]), min_size=rows, max_size=rows), max_size=30)))
def test_distinct_columns_are_those_of_numpy_unique(key):
    """Columns read as numbers in a mixed radix, renumbered before they could overflow (the large
    values force it), are told apart as ``np.unique(axis=1)`` tells them, in its order."""
    import numpy as np

    from tagline.annotate.gold_columns import _distinct_columns

    array = np.array(key, dtype=np.int64).T if key else np.zeros((1, 0), dtype=np.int64)
    distinct, which = _distinct_columns(array)
    expected, expected_which = np.unique(array, axis=1, return_inverse=True)
    assert distinct.tolist() == expected.tolist() and which.tolist() == expected_which.reshape(-1).tolist()


def test_each_distinct_answer_is_written_as_json_once(tmp_path, monkeypatch):
    """Three annotators mark the same spans in every sentence but one: each answer's spans are made
    JSON once, and the label lines are made once per distinct combination of method and votes, not
    once per line and voter."""
    from tagline.annotate import gold_columns

    workspace = random_workspace(tmp_path / "ws", 2, 60, 1, n_annotators=1)
    sentences = [orjson.loads(line) for line in workspace.sentences_path.read_bytes().splitlines()]
    for annotator in ("alice", "bob", "carol"):
        events = []
        for index, sentence in enumerate(sentences):
            spans = [{"start": 0, "end": 2, "label": "ORG", "text": sentence["text"][:2]}]
            if annotator == "carol" and index == 0:
                spans = []
            events.append({"sentence_id": sentence["id"], "annotator": annotator, "time": NOW, "task": "entities",
                           "op": "set", "value": {"spans": spans}})
            events.append({"sentence_id": sentence["id"], "annotator": annotator, "time": NOW, "task": "claim_type",
                           "op": "set", "value": {"label": "not_claim" if index % 2 else "quantity"}})
        workspace.annotation_path(annotator).write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))
    rendered, combinations = [], []
    original_json, original_distinct = gold_columns._VoteValues.json, gold_columns._distinct_columns
    monkeypatch.setattr(gold_columns._VoteValues, "json",
                        lambda self, wanted: rendered.extend(wanted.tolist()) or original_json(self, wanted))
    monkeypatch.setattr(gold_columns, "_distinct_columns",
                        lambda key: combinations.append(original_distinct(key)[0].shape[1]) or original_distinct(key))
    report, records = adjudicated(monkeypatch, workspace, by_columns=True)
    assert len(records) == 2 * len(sentences) == report["written"]
    assert len(rendered) == len(sentences) + 1  # one JSON per sentence, and carol's empty list
    assert combinations == [2]  # two labels, each unanimous


def test_a_block_that_fails_to_be_written_beside_leaves_no_gold(tmp_path, monkeypatch):
    """The gold lines are written a block at a time in a thread while the next block is made: a
    write that fails there is the command's error, and every block before it is undone."""
    from tagline.annotate import gold_columns
    from tagline.corpus.transaction import Transaction

    workspace = random_workspace(tmp_path / "ws", 5, 60, 400)
    monkeypatch.setattr(gold_columns, "CHUNK_ITEMS", 7)  # many blocks
    appended = Transaction.append_bytes
    calls = []

    def fails_at_the_third(self, path, payload, **options):
        calls.append(len(payload))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return appended(self, path, payload, **options)

    monkeypatch.setattr(Transaction, "append_bytes", fails_at_the_third)
    with pytest.raises(Exception, match="space"):
        adjudicated(monkeypatch, workspace, by_columns=True)
    assert len(calls) == 3
    assert not workspace.gold_path.exists() or not workspace.gold_path.stat().st_size


def test_a_signal_while_a_block_is_written_beside_leaves_no_gold(tmp_path, monkeypatch):
    """Ctrl-C while adjudicate waits for the block being written in its thread: the write ends
    before the transaction undoes the blocks and closes the gold file (else it lands after the undo,
    or on a descriptor closed meanwhile), so no gold is left."""
    import signal
    import threading
    import time

    from tagline.annotate import gold_columns
    from tagline.corpus.transaction import Transaction
    from tagline.errors import Interrupted
    from tagline.interrupts import interrupt_guard

    workspace = random_workspace(tmp_path / "ws", 5, 60, 400)
    workspace.gold_dir.mkdir(exist_ok=True)
    workspace.gold_path.write_bytes(b"")  # appended to, so that the undo cuts it back
    monkeypatch.setattr(gold_columns, "CHUNK_ITEMS", 7)  # many blocks
    appended, rolled_back = Transaction.append_bytes, Transaction._roll_back
    calls, writing_at_undo = [], []
    writing, written = threading.Event(), threading.Event()

    def slow_second(self, path, payload, **options):
        calls.append(len(payload))
        if len(calls) != 2:
            return appended(self, path, payload, **options)
        writing.set()
        try:
            time.sleep(0.3)  # the next block is made meanwhile, and waits for this one
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)  # as Ctrl-C reaches it
            time.sleep(0.3)
            return appended(self, path, payload, **options)
        finally:
            writing.clear()
            written.set()

    def undone(self):
        writing_at_undo.append(writing.is_set())
        return rolled_back(self)

    monkeypatch.setattr(Transaction, "append_bytes", slow_second)
    monkeypatch.setattr(Transaction, "_roll_back", undone)
    with pytest.raises(Interrupted), interrupt_guard():
        adjudicated(monkeypatch, workspace, by_columns=True)
    assert written.wait(5)
    assert writing_at_undo == [False]  # the block being written was written before it was undone
    assert workspace.gold_path.stat().st_size == 0


@pytest.mark.parametrize("task", ["claim_type", "entities"])
def test_a_hand_edited_label_is_refused_alike_small_large_and_from_saved_folds(tmp_path, monkeypatch, task):
    """alice and bob agree on an answer whose label tagline.toml lacks (a claim type, an entity
    span's label): the workspace as it is and padded past ARROW_MIN_BYTES (answers to a sentence the
    corpus no longer has, which are no votes), whose adjudication goes through the columns, fresh and
    from the folds the first attempt saved, stop with the same error, exit 2, no gold written."""
    from click.testing import CliRunner

    from tagline.annotate import gold_columns
    from tagline.cli import main

    by_columns = []
    monkeypatch.setattr(gold_columns, "adjudicate_columns", lambda *args, real=gold_columns.adjudicate_columns:
                        by_columns.append(1) or real(*args))
    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)
    errors, lines = [], []
    for name in ("small", "large"):
        workspace = random_workspace(tmp_path / name, 5, 30, 120, n_annotators=2, unconfigured=False)
        text = orjson.loads(workspace.sentences_path.read_bytes().splitlines()[0])["text"]
        value = {"label": "opinion"} if task == "claim_type" else \
            {"spans": [{"start": 0, "end": 2, "label": "ORG", "text": text[:2]},
                       {"start": 3, "end": 5, "label": "COMPANY", "text": text[3:5]}]}
        for annotator in ("alice", "bob"):
            path = workspace.annotation_path(annotator)
            if annotator == "alice":
                lines.append(path.read_bytes().count(b"\n") + 1)  # the answer's line
            events = [{"sentence_id": "d0-s0001", "annotator": annotator, "time": NOW, "task": task, "op": "set",
                       "value": value}]
            if name == "large":
                events += [{"sentence_id": "gone-s0001", "annotator": annotator, "time": NOW, "task": "claim_type",
                            "op": "set", "value": {"label": "quantity"}}] * 20_000
            path.write_bytes(path.read_bytes() + b"".join(orjson.dumps(event) + b"\n" for event in events))
        assert (sum(path.stat().st_size for path in workspace.annotation_files()) >= columns.ARROW_MIN_BYTES) \
            == (name == "large")
        monkeypatch.chdir(workspace.root)
        for _ in range(2 if name == "large" else 1):
            result = CliRunner().invoke(main, ["annotate", "adjudicate"])
            assert result.exit_code == 2, result.output
            errors.append(result.stderr.strip().splitlines()[-1])
            assert not workspace.gold_path.exists() or not workspace.gold_path.stat().st_size
        assert not list((workspace.build_dir / "index" / "folds").glob("*/*.fold")) if name == "small" else \
            len(list((workspace.build_dir / "index" / "folds").glob("*/*.fold"))) == 2
    assert len(by_columns) == 2
    label = "opinion" if task == "claim_type" else "COMPANY"
    assert lines == [lines[0]] * 2  # the same random answers before it, small and large
    assert errors[0].startswith(f"Error: annotations/alice.jsonl:{lines[0]}: alice and bob's answer to {task} for "
                                f"d0-s0001 has the label {label!r}, which is not one of "), errors[0]
    assert "no gold was written" in errors[0] and errors == [errors[0]] * 3
