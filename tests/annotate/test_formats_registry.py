"""The format registry is the one list of formats, and true: every entry's reader and writer load, its
detection rules recognise its files and no other format's, what it says a format holds and loses is
what the writer keeps and warns about, and the CLI offers exactly its formats."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tagline.annotate.events import make_event
from tagline.annotate.formats.registry import (
    EXPORT_FORMATS,
    FORMATS,
    IMPORT_FORMATS,
    LOSSES,
    SENTENCE_TEXT,
    TASKS,
    FormatSpec,
)
from tagline.annotate.interop import detect_format, export
from tagline.corpus.ingest import add_source_documents
from tagline.corpus.readers import SourceDocument
from tagline.corpus.store import append_records
from tagline.corpus.workspace import init_workspace

NAMES = [spec.name for spec in FORMATS]


@pytest.mark.parametrize("spec", FORMATS, ids=NAMES)
def test_every_format_has_a_reader_or_writer_that_loads(spec: FormatSpec):
    assert spec.imports or spec.exports
    if spec.imports:
        assert callable(spec.load_reader()), spec.reader
    if spec.exports:
        assert callable(spec.load_writer()), spec.writer


@pytest.mark.parametrize("spec", FORMATS, ids=NAMES)
def test_loading_a_reader_or_writer_the_format_lacks_names_the_format(spec: FormatSpec):
    if not spec.imports:
        with pytest.raises(ValueError, match=f"{spec.name} is not an import format"):
            spec.load_reader()
    if not spec.exports:
        with pytest.raises(ValueError, match=f"{spec.name} is not an export format"):
            spec.load_writer()


def test_entries_are_consistent():
    assert len(set(NAMES)) == len(NAMES)
    for spec in FORMATS:
        assert set(spec.holds.tasks) <= set(TASKS) and spec.holds.tasks, spec.name
        assert set(spec.holds.loses) <= LOSSES, spec.name
        assert spec.suffix.startswith(".") and spec.description, spec.name
        assert not (spec.benchmark and spec.exports), f"{spec.name}: a benchmark is imported as gold, not written"
    options = inspect.signature(export).parameters
    for spec in FORMATS:
        if spec.roundtrip_option:  # a keyword of export() that this format alone takes, and a loss it avoids
            assert spec.exports and options[spec.roundtrip_option].default is False, spec.name
            assert SENTENCE_TEXT in spec.holds.loses, spec.name
    ranks = [spec.detection.json_rank for spec in FORMATS if spec.detection.json_keys or spec.detection.json_list_keys]
    assert len(set(ranks)) == len(ranks), "formats with JSON markers need distinct ranks, or the order is chance"


def test_the_registry_loads_no_format_module_and_nothing_outside_the_standard_library():
    probe = ("import sys; before = set(sys.modules); import tagline.annotate.formats.registry; "
             "print('\\n'.join(sorted(set(sys.modules) - before)))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    ours = {"tagline", "tagline._exports", "tagline.annotate", "tagline.annotate.formats",
            "tagline.annotate.formats.registry"}
    foreign = [name for name in loaded if name not in ours and name.split(".")[0] not in sys.stdlib_module_names]
    assert foreign == [] and "tagline.annotate.formats.registry" in loaded


def test_the_cli_offers_the_registered_formats():
    from tagline.cli.interop import export_cli, import_cli

    def choices(command):
        (option,) = [p for p in command.params if p.name == "fmt"]
        return tuple(option.type.choices)

    assert choices(import_cli) == IMPORT_FORMATS
    assert choices(export_cli) == EXPORT_FORMATS


def _samples(spec: FormatSpec, folder: Path) -> list[Path]:
    """One small file (or folder) per detection rule of ``spec``, holding only that rule's evidence."""
    detection = spec.detection
    samples = []
    if detection.folder_files:
        (folder / "folder").mkdir()
        (folder / "folder" / detection.folder_files.replace("*", "sample")).write_text("", encoding="utf-8")
        samples.append(folder / "folder")
    for number, suffix in enumerate(detection.suffixes):
        samples.append(folder / f"suffix{number}{suffix}")
        samples[-1].write_text("", encoding="utf-8")
    for number, start in enumerate(detection.starts_with):
        samples.append(folder / f"start{number}.dat")
        samples[-1].write_text(start + "\n", encoding="utf-8")
    if detection.beside:
        suffix, companion = detection.beside
        (folder / f"beside{companion}").write_text("", encoding="utf-8")
        samples.append(folder / f"beside{suffix}")
        samples[-1].write_text("some text\n", encoding="utf-8")
    for number, group in enumerate(detection.json_keys):
        samples.append(folder / f"keys{number}.json")
        samples[-1].write_text(json.dumps({key: 1 for key in group}), encoding="utf-8")
    for number, key in enumerate(detection.json_list_keys):
        samples.append(folder / f"list{number}.jsonl")
        samples[-1].write_text(json.dumps({key: []}) + "\n", encoding="utf-8")
    for number, key in enumerate(detection.json_object_keys):
        samples.append(folder / f"object{number}.jsonl")
        samples[-1].write_text(json.dumps({key: {}}) + "\n", encoding="utf-8")
    return samples


@pytest.mark.parametrize("spec", [spec for spec in FORMATS if spec.imports], ids=lambda spec: spec.name)
def test_each_detection_rule_recognises_its_format(spec: FormatSpec, tmp_path):
    samples = _samples(spec, tmp_path)
    assert samples, f"{spec.name} has no detection rule: a file of it always needs --format"
    for sample in samples:
        assert detect_format(sample) == spec.name, sample.name


@pytest.mark.parametrize(("head", "expected"), [
    ({"cats": {}, "annotations": [], "_input_hash": 1, "label": []}, "spacy"),  # a doccano intent file has cats
    ({"_input_hash": 1, "annotations": [], "label": []}, "prodigy"),
    ({"annotations": [], "curid": "1", "entities": []}, "label-studio"),
    ({"curid": "1", "entities": [], "label": []}, "stockmark-ner"),
    ({"curid": "1", "labels": []}, "doccano"),
    ({"text": "x", "entities": [[0, 1, "ORG"]], "cats": ["not_claim"]}, "doccano"),  # doccano's intent layout
    ({"text": "x", "cats": {"not_claim": 1.0}}, "spacy"),
    ({"text": "x", "cats": [{"label": "not_claim", "value": 1}]}, "spacy"),
])
def test_json_markers_of_several_formats_go_to_the_lowest_rank(head, expected, tmp_path):
    (tmp_path / "mixed.jsonl").write_text(json.dumps(head) + "\n", encoding="utf-8")
    assert detect_format(tmp_path / "mixed.jsonl") == expected


@pytest.fixture(scope="module")
def answered_workspace(tmp_path_factory):
    """Two sentences: one with every task answered by alice (a stance too), one with no answer."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "fsync", lambda fd: None)
        workspace = init_workspace(tmp_path_factory.mktemp("registry") / "ws", targets=["DeepSeek"])
        add_source_documents(workspace, [
            SourceDocument("d0", "東京はDeepSeekの本社がある。", "t", "txt", "utf-8", "ja", single_sentence=True),
            SourceDocument("d1", "It rained in Osaka.", "t", "txt", "utf-8", "en", single_sentence=True),
        ])
        first = next(iter(workspace.iter_sentences()))
        append_records(workspace.annotation_path("alice"), [
            make_event(first["id"], "alice", "entities", {"spans": [{"start": 0, "end": 2, "label": "GPE",
                                                                     "text": "東京"}]}),
            make_event(first["id"], "alice", "claim_type", {"label": "other_claim"}),
            make_event(first["id"], "alice", "stance", {"target": "DeepSeek", "label": "FAVOR"}),
        ])
        yield workspace


@pytest.mark.parametrize("spec", [spec for spec in FORMATS if spec.exports], ids=lambda spec: spec.name)
def test_an_export_warns_of_what_the_registry_says_the_format_loses(spec: FormatSpec, answered_workspace, tmp_path):
    out = tmp_path / ("out" if spec.folder else f"out{spec.suffix}")
    warnings = export(answered_workspace, fmt=spec.name, annotator="alice", out=out)["warnings"]
    for task in TASKS:
        named = [warning for warning in warnings if "not exported" in warning and task in warning]
        assert bool(named) == (task not in spec.holds.tasks), (task, warnings)
    assert any("do not name annotators" in warning for warning in warnings) == (spec.holds.annotators is None)
    cannot_tell = any("cannot tell 'no entities' from 'not annotated'" in warning for warning in warnings)
    assert cannot_tell == (spec.holds.unanswered is None), warnings
    tokens_only = any("keeps tokens, not sentence ids or text" in warning for warning in warnings)
    assert tokens_only == (SENTENCE_TEXT in spec.holds.loses), warnings
    if spec.roundtrip_option:
        whole = export(answered_workspace, fmt=spec.name, annotator="alice", out=tmp_path / "whole",
                       **{spec.roundtrip_option: True})["warnings"]
        assert not any("keeps tokens, not sentence ids or text" in warning for warning in whole), whole
