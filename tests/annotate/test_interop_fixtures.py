"""Every peer-tool file in ../shared/formats either imports or is refused with an Error: that says why."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import interop_cli as cli

SHARED = Path(__file__).resolve().parents[3] / "shared"
FORMATS = SHARED / "formats"
pytestmark = pytest.mark.skipif(not FORMATS.is_dir(), reason="../shared/formats is not present beside the checkout")

# One label map for every file whose labels are not tagline's (MISC and the like are left out).
LABEL_MAP = {
    "MISC": "", "Organization": "ORG", "Person": "PERSON", "Money": "MONEY", "LOCATION": "GPE", "Date": "DATE",
    "negative": "not_claim", "positive": "other_claim", "Not Humor": "not_claim", "Negative": "not_claim",
    "class_A": "other_claim", "class_TESTING": "quantity", "DOCUMENTATION": "other_claim",
    "reject:DOCUMENTATION": "not_claim", "new-dataset": "other_claim", "reject:new-dataset": "not_claim",
    "baking": "other_claim", "not_baking": "not_claim", "false": "EVENT", "*": "PRODUCT",
    "CARDINAL": "", "TIME": "", "PERCENT": "", "ORDINAL": "", "QUANTITY": "", "LAW": "", "LANGUAGE": "",
}

OK = "imports"
# path (relative to shared/formats) -> (extra arguments, expected outcome: OK or a phrase of the Error line)
EXPECTED: dict[str, tuple[list[str], str]] = {
    # brat: every .ann/.txt pair imports (events, relations, attributes, notes are reported and left out)
    **{f"brat/conll2002-ned/ned.train-doc-{n}.{ext}": (["--format", "brat"], OK)
       for n in (75, 118, 251) for ext in ("ann", "txt")},
    "brat/conll2002-ned/annotation.conf": ([], "cannot tell which tool's format"),
    "brat/conll2002-ned/README": ([], "cannot tell which tool's format"),
    **{f"brat/tutorial-news/{stem}.{ext}": (["--format", "brat"], OK)
       for stem in ("000-introduction", "040-text_span_annotation", "060-relation_annotation",
                    "080-event-annotation", "100-attribute_annotation", "110-note_annotation")
       for ext in ("ann", "txt")},
    "brat/tutorial-news/annotation.conf": (["--format", "brat"], "a brat document is a .txt file"),
    "brat/tutorial-news/kb_shortcuts.conf": ([], "cannot tell which tool's format"),
    "brat/tutorial-news/visual.conf": ([], "cannot tell which tool's format"),
    # doccano
    "doccano/export_relation_extraction.json": (["--format", "doccano"], OK),
    "doccano/export_sequence_labeling.jsonl": (["--format", "doccano"], OK),
    "doccano/export_text_classification.csv": (["--format", "csv"], OK),
    "doccano/export_text_classification.json": (["--format", "doccano"], OK),
    "doccano/export_text_classification.jsonl": (["--format", "doccano"], OK),
    "doccano/export_text_classification_fasttext.txt": (["--format", "doccano"], OK),
    "doccano/import_relation_extraction.jsonl": (["--format", "doccano"], OK),
    "doccano/import_sequence_labeling_columns.jsonl": (
        ["--format", "doccano", "--text-field", "column_data", "--label-field", "column_label"], OK),
    "doccano/import_sequence_labeling_conll.txt": (["--format", "conll"], OK),
    "doccano/test_labeling.invalid.conll": (["--format", "conll"], "test_labeling.invalid.conll:1: tag 'SOCCERO' is not"),
    "doccano/test_labeling.trailing.conll": (["--format", "conll"], OK),
    "doccano/test_sequence_labeling.conll": (["--format", "conll"], OK),
    "doccano/test_sequence_labeling_missing_text.jsonl": (
        ["--format", "doccano"], "missing_text.jsonl:3: record has no non-empty `text` field"),
    "doccano/test_sequence_labeling_overlapping.jsonl": (["--format", "doccano"], OK),
    "doccano/test_text_classification.csv": (["--format", "csv"], "test_text_classification.csv:4: the `text` cell is empty"),
    "doccano/test_text_classification.invalid.2.csv": (
        ["--format", "csv"], "invalid.2.csv:2: 3 fields but the header has 2 columns"),
    "doccano/test_text_classification_fasttext.txt": (["--format", "doccano"], "fasttext.txt:2: several labels"),
    "doccano/test_text_classification_multilabel.jsonl": (["--format", "doccano"], "multilabel.jsonl:2: several categories"),
    # INCEpTION / WebAnno TSV 3.3 (UTF-16 offsets)
    **{f"inception/curation-multiuser/{case}/{who}.tsv": (["--format", "webanno-tsv"], OK)
       for case in ("simpleSpanDiffMultiFeatureTest", "simpleSpanDiffWithLabelStackingTest")
       for who in ("user1", "user2", "curator")},
    **{f"inception/webanno-tsv3/{case}.reference.tsv": (["--format", "webanno-tsv"], OK)
       for case in ("testMultiTokenSpanWithFeatureValue", "testMultiTokenStackedSpanWithoutFeatureValue",
                    "testSentenceWithEmoji", "testSingleTokenRelationWithMultipleFeatureValues")},
    # Label Studio
    "label-studio/humor_dataset_2_annotations.json": (["--format", "label-studio"], OK),
    "label-studio/legacy_ner_tasks_offbyone.json": (
        ["--format", "label-studio", "--predictions"],
        "span 343:353 DATE: the offsets cover 'February 2' but the file says 'February 22'"),
    "label-studio/ner_annotations_1.json": (["--format", "label-studio"], OK),
    "label-studio/ner_tasks_predictions.json": (["--format", "label-studio", "--predictions"], OK),
    "label-studio/sentiment_annotations_1.json": (["--format", "label-studio", "--text-field", "reviewText"], OK),
    "label-studio/tasks_annotations_predictions.json": (["--format", "label-studio"], OK),
    # Prodigy
    "prodigy/annotated_github-issues-DOCUMENTATION-textcat.head100.jsonl": (["--format", "prodigy"], OK),
    "prodigy/annotated_news_headlines-ner_manual.head100.jsonl": (["--format", "prodigy"], OK),
    "prodigy/annotated_reddit-PRODUCT-ner_teach.head60.jsonl": (
        ["--format", "prodigy"], "head60.jsonl:1: binary NER answers (ner.teach"),
    "prodigy/bio_events.jsonl": (["--format", "prodigy"], OK),
    "prodigy/news_headlines.jsonl": (["--format", "prodigy"], OK),
    "prodigy/pydata-ams-2023.3annotators.jsonl": (["--format", "prodigy"], OK),
    # SLATE: not read, refused by name and content
    "slate/input_data0.txt": ([], "a SLATE text file: SLATE files are not imported"),
    "slate/input_data1.txt": ([], "cannot tell which tool's format"),
    **{f"slate/input_data0.txt.{kind}.annotations{n}": ([], "a SLATE annotation file") for kind in ("category", "link")
       for n in range(4)},
    "slate/input_file_list.txt": ([], "a SLATE file list"),
    "slate/list_with_disagreements.category.txt": ([], "a SLATE file list"),
    "slate/list_with_disagreements.link.txt": ([], "a SLATE file list"),
    # spaCy
    # spaCy is a test dependency: the DocBins are read by spaCy (tests/annotate/test_spacy_tool.py checks
    # the message where it is absent).
    "spacy/docbin/cooking.textcat.spacy": (["--format", "spacy"], OK),
    "spacy/docbin/ner-token-per-line-conll2003.spacy": (["--format", "spacy"], OK),
    "spacy/ner_example_data/README.md": ([], "cannot tell which tool's format"),
    "spacy/ner_example_data/ner-sent-per-line.iob": (["--format", "conll"], OK),
    "spacy/ner_example_data/ner-token-per-line-conll2003.iob": (["--format", "conll"], OK),
    "spacy/ner_example_data/ner-token-per-line-conll2003.json": (["--format", "spacy"], OK),
    "spacy/ner_example_data/ner-token-per-line-with-pos.iob": (["--format", "conll"], OK),
    "spacy/ner_example_data/ner-token-per-line.iob": (["--format", "conll"], OK),
    "spacy/textcat_example_data/README.md": ([], "cannot tell which tool's format"),
    "spacy/textcat_example_data/cooking.jsonl": (["--format", "spacy"], OK),
    "spacy/training-data.v2.json": (["--format", "spacy"], OK),
}




def shared_files() -> list[str]:
    if not FORMATS.is_dir():
        return []
    return sorted(str(p.relative_to(FORMATS)) for p in FORMATS.rglob("*")
                  if p.is_file() and p.name != "SOURCE.md" and p.parent != FORMATS)


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    # Durability is tested in test_store; here hundreds of small documents would spend seconds in fsync.
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.fixture(scope="module")
def label_map(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("maps") / "labels.json"
    path.write_text(json.dumps(LABEL_MAP), encoding="utf-8")
    return path


def test_every_shared_file_has_an_expected_outcome():
    assert set(shared_files()) == set(EXPECTED), "add the new files to EXPECTED (imports, or the refusal)"


@pytest.mark.parametrize("relative", shared_files())
def test_shared_file_imports_or_is_refused_with_the_reason(relative, tmp_path, label_map):
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(tmp_path / "ws")
    arguments, expected = EXPECTED[relative]
    result = CliRunner().invoke(cli, ["import", str(FORMATS / relative), *arguments, "--annotator", "importer",
                                      "--label-map", str(label_map), "-w", str(workspace.root), "--json"])
    if expected == OK:
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert summary["sentences"] > 0
        from tagline.annotate.validate import validate_workspace

        assert [str(p) for p in validate_workspace(workspace) if not p.warning] == []
        again = CliRunner().invoke(cli, ["import", str(FORMATS / relative), *arguments, "--annotator", "importer",
                                         "--label-map", str(label_map), "-w", str(workspace.root), "--json"])
        repeat = json.loads(again.stdout)
        assert repeat["documents_added"] == 0 and repeat["events"] == {} and repeat["gold"] == 0, repeat
    else:
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert lines[-1].startswith("Error: ") and expected in lines[-1], result.stderr
        assert not workspace.sentences_path.read_text(), "a refused import wrote sentences"
        assert not list(workspace.annotations_dir.glob("*.jsonl")), "a refused import wrote answers"


@pytest.mark.parametrize("relative", [relative for relative in shared_files() if "--format" in EXPECTED[relative][0]])
def test_detection_never_takes_a_shared_file_for_another_format(relative):
    from tagline.annotate.interop import detect_format
    from tagline.errors import InputError

    arguments = EXPECTED[relative][0]
    fmt = arguments[arguments.index("--format") + 1]
    try:
        detected = detect_format(FORMATS / relative)
    except InputError as error:
        assert "cannot tell which tool's format" in error.what, error.what
        return
    assert detected == fmt


def test_brat_events_and_relations_are_left_out_but_entities_import(tmp_path, label_map):
    from tagline.annotate.events import load_view
    from tagline.annotate.interop import import_file
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(tmp_path / "ws", language="en")
    summary = import_file(workspace, FORMATS / "brat/tutorial-news/000-introduction.ann", fmt="brat",
                          annotator="ann", label_map=label_map)
    assert any("1 event" in w and "2 relations" in w and "1 event trigger" in w for w in summary["warnings"])
    spans = [span for answers in load_view(workspace, "ann").answers.values()
             for span in answers[("entities", None)]["spans"]]
    assert {(s["text"], s["label"]) for s in spans} == {
        ("Citibank", "ORG"), ("$100 million", "MONEY"), ("Raul Salinas de Gortari", "PERSON"),
        ("former Mexican president", "PERSON"), ("banks", "ORG"), ("Switzerland", "GPE")}


def test_webanno_utf16_offsets_become_code_points(tmp_path, label_map):
    from tagline.annotate.events import load_view
    from tagline.annotate.interop import import_file
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(tmp_path / "ws")
    import_file(workspace, FORMATS / "inception/webanno-tsv3/testSentenceWithEmoji.reference.tsv",
                fmt="webanno-tsv", annotator="ann", label_map=label_map)
    (sentence,) = workspace.iter_sentences()
    (span,) = load_view(workspace, "ann").value(sentence["id"], "entities")["spans"]
    assert sentence["text"] == "I like it 😊 ." and (span["start"], span["end"], span["text"]) == (10, 11, "😊")


def test_webanno_identical_stacked_spans_are_one(tmp_path, label_map):
    from tagline.annotate.events import load_view
    from tagline.annotate.interop import import_file
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(tmp_path / "ws")
    import_file(workspace, FORMATS / "inception/curation-multiuser/simpleSpanDiffWithLabelStackingTest/user1.tsv",
                fmt="webanno-tsv", annotator="user1")
    (sentence,) = workspace.iter_sentences()
    assert load_view(workspace, "user1").value(sentence["id"], "entities")["spans"] == [
        {"start": 40, "end": 56, "label": "ORG", "text": "Champions League"}]


def test_label_studio_annotators_stay_apart_and_predictions_are_not_answers(tmp_path, label_map):
    from tagline.annotate.interop import import_file
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(tmp_path / "ws")
    summary = import_file(workspace, FORMATS / "label-studio/humor_dataset_2_annotations.json", fmt="label-studio",
                          label_map=label_map)
    assert summary["events"] == {"test_suites_user_heartex.com": 2}
    summary = import_file(workspace, FORMATS / "label-studio/ner_tasks_predictions.json", fmt="label-studio",
                          label_map=label_map)
    assert summary["events"] == {} and "pass --predictions" in summary["warnings"][0]


def test_prodigy_three_annotators_and_rows_without_spans(tmp_path, label_map):
    from tagline.annotate.events import load_view
    from tagline.annotate.interop import import_file
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(tmp_path / "ws", language="en")
    summary = import_file(workspace, FORMATS / "prodigy/pydata-ams-2023.3annotators.jsonl", fmt="prodigy",
                          label_map=label_map)
    assert summary["documents_added"] == 117 and len(summary["events"]) == 3
    assert sum(summary["events"].values()) == 351 - 7  # 7 answers were "ignore"
    summary = import_file(workspace, FORMATS / "prodigy/annotated_news_headlines-ner_manual.head100.jsonl",
                          fmt="prodigy", annotator="news", label_map=label_map)
    view = load_view(workspace, "news")
    sentence = next(s for s in workspace.iter_sentences() if s["doc_id"].endswith("-n487516519"))
    assert sentence["text"].startswith("Women in Tech Speak Frankly")
    assert view.value(sentence["id"], "entities") == {"spans": []}  # accepted, and no `spans` key: no entities
