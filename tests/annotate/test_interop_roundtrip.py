"""Export then import gives back the same sentences and answers, for every format that can hold them
(Hypothesis, on Japanese and English text with emoji and combining characters)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagline.annotate.events import load_view, make_event
from tagline.annotate.formats.registry import FORMATS, LINE_BREAKS, SENTENCE_BOUNDARIES, FormatSpec
from tagline.annotate.interop import export, import_file
from tagline.annotate.validate import validate_workspace
from tagline.corpus.config import SAMPLE_TARGETS
from tagline.corpus.ingest import add_source_documents
from tagline.corpus.readers import SourceDocument
from tagline.corpus.store import append_records
from tagline.corpus.workspace import init_workspace

PIECES = ["東京", "日本語", "は", "が", "。", "、", "「", "」", "（", "）", "ＡＩ", "DeepSeek", "AI", "chip", " ", "  ",
          "😀", "👍🏽", "👨‍👩‍👧", "🇯🇵", "e\u0301", "か\u3099", "Ω", "x", "1", ",", "."]
CLAIM_TYPES = ["not_claim", "quantity", "other_claim"]
STANCES = ["FAVOR", "AGAINST", "NONE"]
ENTITY_LABELS = ["PERSON", "ORG", "GPE", "PRODUCT"]
TARGETS = ["DeepSeek", "US AI policy"]
# Every format tagline writes and reads back; what each holds comes from the registry.
ROUNDTRIP = [spec for spec in FORMATS if spec.imports and spec.exports]
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(autouse=True, scope="module")
def _no_fsync():
    # Durability is tested in test_store; Hypothesis builds many small workspaces here.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "fsync", lambda fd: None)
        yield


def texts(newlines: bool):
    pieces = PIECES + (["\n"] if newlines else [])
    return st.lists(st.sampled_from(pieces), min_size=1, max_size=14).map("".join).filter(lambda t: t.strip())


@st.composite
def spans_in(draw, text: str):
    """Non-overlapping spans that neither start nor end on white space (what token formats need)."""
    positions = [i for i, char in enumerate(text) if not char.isspace()]
    if not positions:
        return []
    cuts = sorted(draw(st.sets(st.sampled_from(positions), max_size=6)))
    spans = []
    index = 0
    while index + 1 < len(cuts):
        start, last = cuts[index], cuts[index + 1]
        spans.append({"start": start, "end": last + 1, "label": draw(st.sampled_from(ENTITY_LABELS)),
                      "text": text[start:last + 1]})
        index += 2
    if draw(st.booleans()) and index < len(cuts):
        spans.append({"start": cuts[index], "end": cuts[index] + 1, "label": "GPE",
                      "text": text[cuts[index]:cuts[index] + 1]})
    return spans


def build(root: Path, documents: list[str], whole: bool) -> object:
    workspace = init_workspace(root, targets=list(SAMPLE_TARGETS))
    add_source_documents(workspace, [SourceDocument(f"doc{i}", text, "test", "txt", "utf-8", "ja",
                                                    single_sentence=not whole)
                                     for i, text in enumerate(documents)])
    return workspace


def annotate(data, workspace, tasks: set[str]) -> None:
    events = []
    for sentence in workspace.iter_sentences():
        sid, text = sentence["id"], sentence["text"]
        if "claim_type" in tasks and data.draw(st.booleans()):
            events.append(make_event(sid, "alice", "claim_type", {"label": data.draw(st.sampled_from(CLAIM_TYPES))}))
        if "stance" in tasks:
            for target in TARGETS:
                if data.draw(st.booleans()):
                    events.append(make_event(sid, "alice", "stance",
                                             {"target": target, "label": data.draw(st.sampled_from(STANCES))}))
        if "entities" in tasks and data.draw(st.integers(0, 3)):
            events.append(make_event(sid, "alice", "entities", {"spans": data.draw(spans_in(text))}))
    if not events:  # the annotator needs a file to be exported
        first = next(iter(workspace.iter_sentences()))
        events.append(make_event(first["id"], "alice", "entities", {"spans": []}))
    append_records(workspace.annotation_path("alice"), events)


def by_text(workspace, annotator: str, tasks: set[str], *, all_annotated: bool = False) -> dict[str, dict]:
    """Sentence text -> the annotator's answers for ``tasks`` (spans as a set), for every sentence;
    with ``all_annotated`` a sentence without an entity answer counts as "no entities" (what CoNLL
    and brat files say of every sentence they hold)."""
    view = load_view(workspace, annotator)
    result = {}
    for sentence in workspace.iter_sentences():
        answers = {}
        for (task, target), value in view.answers.get(sentence["id"], {}).items():
            if task not in tasks:
                continue
            answers[(task, target)] = frozenset((s["start"], s["end"], s["label"], s["text"]) for s in value["spans"]) \
                if task == "entities" else value["label"]
        if all_annotated:
            answers.setdefault(("entities", None), frozenset())
        assert sentence["text"] not in result
        result[sentence["text"]] = answers
    return result


def out_path(folder: Path, spec: FormatSpec) -> Path:
    return folder / ("out" if spec.folder else f"out{spec.suffix}")


def lossless_options(spec: FormatSpec) -> dict:
    """The export options that make a file tagline brings back whole (CoNLL's comment lines)."""
    return {spec.roundtrip_option: True} if spec.roundtrip_option else {}


def roundtrip(spec: FormatSpec, data) -> None:
    """Export alice's answers, import them into a new workspace and back into the same one. Sentences
    are whole documents where the format keeps documents rather than sentences, and have no line
    breaks where it cannot keep them."""
    fmt, holds = spec.name, set(spec.holds.tasks)
    whole = SENTENCE_BOUNDARIES in spec.holds.loses
    documents = data.draw(st.lists(texts(LINE_BREAKS not in spec.holds.loses), min_size=1, max_size=4,
                                   unique_by=str.strip))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        source = build(tmp / "source", documents, whole)
        if len({s["text"] for s in source.iter_sentences()}) != sum(1 for _ in source.iter_sentences()):
            return  # the same sentence twice: answers could not be compared by text
        annotate(data, source, holds)
        out = out_path(tmp, spec)
        export(source, fmt=fmt, annotator="alice", out=out, **lossless_options(spec))
        target = init_workspace(tmp / "target", targets=list(SAMPLE_TARGETS))
        import_file(target, out, fmt=fmt, annotator="alice")
        assert [str(p) for p in validate_workspace(target) if not p.warning] == []
        # A format that cannot tell "not annotated" from "no entities" says "no entities" of every sentence.
        all_annotated = spec.holds.unanswered is None
        assert by_text(target, "alice", holds) == by_text(source, "alice", holds, all_annotated=all_annotated)
        # Back into the workspace it came from: the same sentences, nothing new.
        again = import_file(source, out, fmt=fmt, annotator="alice")
        assert again["documents_added"] == 0, again
        assert again["events"] == {} or all_annotated, again


@pytest.mark.parametrize("spec", ROUNDTRIP, ids=lambda spec: spec.name)
@SETTINGS
@given(data=st.data())
def test_roundtrip_sentences_and_answers(spec, data):
    roundtrip(spec, data)


@pytest.mark.parametrize("spec", ROUNDTRIP, ids=lambda spec: spec.name)
def test_roundtrip_gold(spec, tmp_path):
    from tagline.annotate.gold import gold_record, gold_view

    source = build(tmp_path / "source", ["東京はDeepSeekの本社がある。", "👨‍👩‍👧 e\u0301 AI chip"], whole=False)
    sentences = list(source.iter_sentences())
    records = [gold_record(sentences[0]["id"], "entities", None,
                           {"spans": [{"start": 0, "end": 2, "label": "GPE", "text": "東京"}]}, "single", {}),
               gold_record(sentences[1]["id"], "entities", None, {"spans": []}, "single", {}),
               gold_record(sentences[0]["id"], "claim_type", None, {"label": "other_claim"}, "single", {}),
               gold_record(sentences[1]["id"], "stance", "DeepSeek", {"target": "DeepSeek", "label": "NONE"}, "single", {})]
    source.gold_dir.mkdir(exist_ok=True)
    append_records(source.gold_path, records)
    out = out_path(tmp_path, spec)
    export(source, fmt=spec.name, gold=True, out=out, **lossless_options(spec))
    target = init_workspace(tmp_path / "target", targets=list(SAMPLE_TARGETS))
    import_file(target, out, fmt=spec.name, as_gold=True)

    def view(workspace):
        texts = {s["id"]: s["text"] for s in workspace.iter_sentences()}
        return {(texts[sid], task, target): record["value"] for (sid, task, target), record in gold_view(workspace).items()
                if task in spec.holds.tasks}

    assert view(target) == view(source)
    assert all(record["provenance"]["method"] == "imported" for record in gold_view(target).values())
