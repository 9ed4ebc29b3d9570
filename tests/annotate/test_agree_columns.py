"""`annotate agree` reads the answers as columns (Arrow's JSON reader, or line by line for small
files) and measures agreement from code arrays: its report must be the one the answers as dicts
give to :func:`label_agreement` and :func:`span_agreement`, number for number, on random workspaces
with retractions, several stance targets, unknown sentences, suggestions, nested and repeated
spans, and on the sample."""

from __future__ import annotations

import json
import random

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagline.annotate import columns
from tagline.annotate.agree import agreement_report
from tagline.annotate.agreement import label_agreement, span_agreement, span_columns
from tagline.annotate.answers import collect_votes, question_name, select_annotators
from tagline.annotate.events import CurrentAnswers
from tagline.annotate.provenance import suggestion_use
from tagline.corpus.tokenize import tokenize
from tagline.corpus.workspace import Workspace, init_workspace

TARGETS = ["DeepSeek", "OpenAI"]
ANNOTATORS = ["alice", "bob", "carol", "dave"]
TEXTS = ["DeepSeekは5000億ドルを調達したと発表した。", "岸田首相は東京で記者団に話した。",
         "米国のテキサス州で新しい工場が先月動き始めた。", "OpenAIとMicrosoftは提携を続ける。"]


def reference_report(workspace: Workspace) -> dict:
    """The report as tagline measured it from dicts of answers, before the columns."""
    config = workspace.config
    chosen = select_annotators(workspace, None)
    current = CurrentAnswers(workspace)
    questions = {}
    for (task, target), by_sentence in collect_votes(workspace, chosen, None, answers=current).items():
        if task != "entities":
            votes = {sid: {a: v["label"] for a, v in answers.items()} for sid, answers in by_sentence.items()}
            report = label_agreement(votes, labels=config.labels(task))
        else:
            spans = {sid: {a: [(s["start"], s["end"], s["label"]) for s in v["spans"]] for a, v in answers.items()}
                     for sid, answers in by_sentence.items()}
            texts = {s["id"]: s for s in workspace.iter_sentences()}
            offsets = {sid: np.array(tokenize(texts[sid]["text"], texts[sid]["lang"]), dtype=np.int32).reshape(-1, 2)
                       for sid, answers in by_sentence.items() if len(answers) >= 2}
            report = span_agreement(spans, token_offsets=offsets)
        report["task"] = task
        if target is not None:
            report["target"] = target
        questions[question_name(task, target)] = report
    return {"questions": questions, "suggestions": suggestion_use(workspace, chosen, answers=current)}


def random_workspace(root, seed: int, n_sentences: int, n_events: int, n_annotators: int | None = None,
                     unconfigured: bool = True) -> Workspace:
    """Random answers; ``unconfigured``, some with a label tagline.toml lacks (as if edited by hand)."""
    rnd = random.Random(seed)
    workspace = init_workspace(root, language="ja", targets=TARGETS)
    sentences = []
    for index in range(n_sentences):
        text = TEXTS[rnd.randrange(len(TEXTS))]
        sentences.append({"id": f"d{index // 7}-s{index % 7 + 1:04d}", "doc_id": f"d{index // 7}",
                          "index": index % 7 + 1, "text": text, "start": 0, "end": len(text), "lang": "ja"})
    workspace.sentences_path.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in sentences))
    labels = {task: workspace.config.labels(task) for task in ("stance", "claim_type", "entities")}
    workspace.annotations_dir.mkdir(exist_ok=True)
    for annotator in ANNOTATORS[:n_annotators or rnd.randint(1, 4)]:
        lines = []
        for _ in range(n_events):
            sentence = rnd.choice(sentences) if rnd.random() < 0.95 else {"id": "gone-s0001", "text": "x" * 30}
            task = rnd.choice(["stance", "claim_type", "entities", "entities"])
            event = {"sentence_id": sentence["id"], "annotator": annotator, "time": "2026-11-28T10:00:00Z",
                     "task": task, "op": "retract" if rnd.random() < 0.1 else "set"}
            if task == "stance":
                event["value"] = {"target": rnd.choice(TARGETS)}
                if event["op"] == "set":
                    event["value"]["label"] = rnd.choice(labels["stance"][:2] + ["NONE"])
            elif event["op"] == "retract":
                event["value"] = None
            elif task == "claim_type":
                other = "MAYBE" if unconfigured else labels["claim_type"][3]  # MAYBE: one not configured
                event["value"] = {"label": rnd.choice(labels["claim_type"][:3] + [other])}
            else:
                event["value"] = {"spans": random_spans(rnd, sentence["text"], labels["entities"][:3])}
            if event["op"] == "set" and rnd.random() < 0.2:
                event["suggestion"] = {"source": "crf", "accepted": rnd.choice(["as_is", "changed"]),
                                       "score": round(rnd.random(), 3)}
            lines.append(orjson.dumps(event) + b"\n")
        workspace.annotation_path(annotator).write_bytes(b"".join(lines))
    return workspace


def random_spans(rnd: random.Random, text: str, labels: list[str]) -> list[dict]:
    spans = []
    for _ in range(rnd.choice([0, 1, 2, 2, 3, 5])):
        start = rnd.randrange(len(text) - 1)
        end = min(len(text), start + rnd.randint(1, 8))
        spans.append({"start": start, "end": end, "label": rnd.choice(labels), "text": text[start:end]})
    if spans and rnd.random() < 0.2:
        spans.append(dict(spans[0]))  # the same span twice
    return spans


def as_json(report: dict) -> str:
    return json.dumps({"questions": report["questions"], "suggestions": report["suggestions"]})


@pytest.mark.parametrize("arrow", [True, False], ids=["arrow", "line-by-line"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n_sentences=st.integers(1, 40), n_events=st.integers(1, 120))
def test_columns_give_the_report_of_the_answers_as_dicts(tmp_path_factory, monkeypatch, arrow, seed, n_sentences,
                                                          n_events):
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0 if arrow else 1 << 40)
    workspace = random_workspace(tmp_path_factory.mktemp("ws"), seed, n_sentences, n_events)
    assert as_json(agreement_report(workspace)) == as_json(reference_report(workspace))
    if arrow:  # the files were folded by Arrow, not line by line
        answers = columns.ColumnAnswers(workspace)
        assert all(columns._fold_arrow(workspace.annotation_path(name), answers.ids, answers.names) is not None
                   for name in workspace.annotators())


def test_a_larger_random_workspace_gives_the_same_report(tmp_path, monkeypatch):
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 1, 3000, 6000, n_annotators=3)
    report = agreement_report(workspace)
    assert report["questions"]["entities"]["krippendorff_alpha"]["value"] is not None
    assert as_json(report) == as_json(reference_report(workspace))
    assert list((tmp_path / "ws" / "build" / "index").glob("tokens-*.arrow"))  # made once, read next time
    assert as_json(agreement_report(workspace)) == as_json(reference_report(workspace))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n_sentences=st.integers(2, 40), n_events=st.integers(20, 160),
       items=st.integers(1, 7))
def test_token_alpha_counted_a_few_items_at_a_time_is_that_of_all_at_once(tmp_path_factory, monkeypatch, seed,
                                                                          n_sentences, n_events, items):
    """The token alpha labels the tokens of ``ALPHA_ITEMS`` items at a time (a million sentences'
    token codes at once took gigabytes): the report is the same, note for note, at any size of part."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path_factory.mktemp("ws"), seed, n_sentences, n_events, n_annotators=3)
    monkeypatch.setattr(span_columns, "ALPHA_ITEMS", 1 << 30)
    whole = as_json(agreement_report(workspace))
    parts = []
    labelled = span_columns._unit_codes
    monkeypatch.setattr(span_columns, "_unit_codes", lambda *args: parts.append(len(args[2])) or labelled(*args))
    monkeypatch.setattr(span_columns, "ALPHA_ITEMS", items)
    assert as_json(agreement_report(workspace)) == whole == as_json(reference_report(workspace))
    assert all(part <= items for part in parts) and (len(parts) > 1) == (sum(parts) > items)


def test_a_file_arrow_refuses_is_read_line_by_line(tmp_path, monkeypatch):
    """An explicit null where a field may only be left out, and a torn last line: the answers are
    those the typed reader gives, and the report is the same."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 3, 30, 200, n_annotators=2)
    path = workspace.annotation_path(workspace.annotators()[0])
    first = orjson.loads(path.read_bytes().splitlines()[0])
    with open(path, "ab") as handle:
        handle.write(orjson.dumps({**first, "source": None}).replace(b'"source":null', b'"meta":{}') + b"\n")
        handle.write(b'{"sentence_id": "d0-s0001", "annot')
    with pytest.warns(Warning, match="incomplete last line"):
        report = agreement_report(workspace)
    with pytest.warns(Warning, match="incomplete last line"):
        assert as_json(report) == as_json(reference_report(workspace))


def test_a_bad_line_is_still_named(tmp_path, monkeypatch):
    from tagline.errors import DataError

    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 5, 10, 20, n_annotators=2)
    path = workspace.annotation_path(workspace.annotators()[0])
    with open(path, "ab") as handle:
        handle.write(b'{"sentence_id": "d0-s0001", "annotator": "x", "time": "t", "task": "claim_type", '
                     b'"op": "set", "value": {"label": 3}}\n')
    with pytest.raises(DataError, match=r":21"):
        agreement_report(workspace)


@settings(max_examples=200, deadline=None)
@given(corpus=st.lists(st.sampled_from("abcdefgh"), max_size=12),
       blocks=st.lists(st.lists(st.sampled_from("abcdefghijk"), min_size=1, max_size=10), min_size=1, max_size=4))
def test_sentence_rows_are_those_index_in_gives_and_unknown_ids_are_numbered_past_the_corpus(corpus, blocks):
    """The corpus row of each sentence id, looked up for every block of an answer file at once
    (``pc.index_in`` hashes the whole corpus on each call): the first row of an id, as ``index_in``
    gives it for each block, and for ids the corpus lacks numbers past it, in the order they appear."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = pa.array(corpus, pa.string())
    parts = []
    for block in blocks:
        encoded = pc.dictionary_encode(pa.array(block))
        parts.append({"sentence_ids": encoded.dictionary, "sentence": encoded.indices.to_numpy()})
    columns._sentence_rows(parts, ids)
    unknown: dict[str, int] = {}
    for block, part in zip(blocks, parts):
        expected = pc.index_in(pa.array(block), value_set=ids).to_pylist()
        expected = [len(corpus) + unknown.setdefault(sid, len(unknown)) if row is None else row
                    for row, sid in zip(expected, block)]
        assert part["sentence"].tolist() == expected and "sentence_ids" not in part


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 6), st.booleans()), min_size=1, max_size=300),
       st.integers(1, 100_000))
def test_the_last_event_of_each_key_is_found_alike_by_scattering_and_by_sorting(events, spread):
    """`_last_set` scatters the events' places into an array indexed by key when the keys are dense
    and sorts them when they are sparse; both give the places of the last events that set an
    answer, in file order, as `fold_answers` keeps them."""
    key = np.array([sentence * spread + question for sentence, question, _ in events], dtype=np.int64)
    is_set = np.array([flag for _, _, flag in events], dtype=bool)
    last: dict[int, int] = {}
    for place, number in enumerate(key.tolist()):
        last[number] = place
    expected = sorted(place for place in last.values() if is_set[place])
    assert columns._last_set(key, is_set).tolist() == expected
    dense = np.unique(key, return_inverse=True)[1].astype(np.int64)  # the same keys, numbered densely
    assert columns._last_set(dense, is_set).tolist() == expected
