"""The check-worthiness benchmarks: CLEF CheckThat! 2019 Task 1 and 2020 Task 5 debates and
ClaimBuster's two-class files, read from ../shared (skipped where it is absent), in slices where a
whole import is not needed; documents are debates, sentences keep their order, labels become the
check-worthiness claim types."""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest

from tagline.annotate.formats.checkworthiness import (
    CHECKTHAT_EDITIONS,
    checkthat_files,
    read_checkthat_debate,
)
from tagline.annotate.formats.common import ReadOptions
from tagline.annotate.interop import import_file
from tagline.corpus.ingest import add_source_documents
from tagline.corpus.readers import SourceDocument
from tagline.corpus.workspace import init_workspace
from tagline.errors import ConflictError, DataError, InputError

from conftest import interop_cli, require_shared

# SOURCE.md beside each dataset: (debates, sentences, check-worthy sentences) per split.
COUNTS = {
    "checkthat2019": ("clef2019-checkthat-task1", {"train": (19, 16421, 440), "test": (7, 7080, 136)}),
    "checkthat2020": ("clef2020-checkthat-task5", {"train": (50, 42776, 487), "test": (20, 21514, 136)}),
}


@pytest.fixture
def cw_workspace(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    return init_workspace(tmp_path / "ws", language="en", claim_types="check-worthiness")


def sliced(source, folder, lines: int):
    """The first ``lines`` lines of a real debate file, written to ``folder`` under the same name."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as handle:
        head = b"".join(handle.readline() for _ in range(lines))
    (folder / source.name).write_bytes(head)
    return folder / source.name


@pytest.mark.shared
@pytest.mark.parametrize("edition", sorted(COUNTS))
def test_counts_per_split_match_source_md(edition):
    folder, expected = COUNTS[edition]
    root = require_shared(f"datasets/{folder}")
    found: dict[str, list] = {}
    for path, split in checkthat_files(root, edition):
        rows = read_checkthat_debate(path)
        assert [row["line"] for row in rows] == list(range(1, len(rows) + 1)), path.name
        found.setdefault(split, []).append(rows)
    assert {split: (len(debates), sum(map(len, debates)), sum(row["label"] for rows in debates for row in rows))
            for split, debates in found.items()} == expected


@pytest.mark.shared
def test_a_debate_is_one_document_with_its_lines_as_sentences_in_order(cw_workspace, tmp_path):
    root = require_shared("datasets/clef2019-checkthat-task1")
    # Line 291 of this debate has spaces at an end, and its first check-worthy line is line 38.
    path = sliced(root / "training" / "20160226_10_gop.tsv", tmp_path / "training", 300)
    summary = import_file(cw_workspace, path, fmt="checkthat2019")
    assert (summary["documents_added"], summary["sentences"], summary["gold"]) == (1, 300, 300)
    rows = read_checkthat_debate(path)
    sentences = list(cw_workspace.iter_sentences())
    document = cw_workspace.document_text("checkthat2019-20160226_10_gop")
    assert [s["text"] for s in sentences] == [row["text"].strip() for row in rows]
    assert rows[290]["text"] != rows[290]["text"].strip()
    assert all(document[s["start"]:s["end"]] == s["text"] for s in sentences)
    assert [s["index"] for s in sentences] == list(range(1, 301))
    assert {s["doc_id"] for s in sentences} == {"checkthat2019-20160226_10_gop"} and {s["split"] for s in sentences} == {"train"}
    assert [s["meta"] for s in sentences[:2]] == [{"line": 1, "speaker": rows[0]["speaker"]},
                                                  {"line": 2, "speaker": rows[1]["speaker"]}]
    gold = {record["sentence_id"]: record["value"]["label"] for record in cw_workspace.iter_gold()}
    assert [gold[s["id"]] for s in sentences] == [
        "check_worthy" if row["label"] else "not_check_worthy" for row in rows]
    assert Counter(gold.values())["check_worthy"] == sum(row["label"] for row in rows) > 0
    again = import_file(cw_workspace, path, fmt="checkthat2019")
    assert (again["documents_added"], again["documents_unchanged"], again["gold"], again["unchanged"]) == (0, 1, 0, 300)


@pytest.mark.shared
def test_the_dataset_folder_gives_each_file_its_split_and_split_keeps_one(cw_workspace, tmp_path):
    root = require_shared("datasets/clef2020-checkthat-task5")
    copy = tmp_path / "clef2020"
    sliced(root / "training" / "20160926_1pres.tsv", copy / "training", 5)
    sliced(root / "test_gold" / "20190912_democratic_debate.tsv", copy / "test_gold", 4)
    (copy / "README.md").write_text("not a debate", encoding="utf-8")
    dry = import_file(cw_workspace, copy, fmt="checkthat2020", split="test", dry_run=True)
    assert (dry["documents_added"], dry["sentences"]) == (1, 4)
    summary = import_file(cw_workspace, copy)  # the folder of split folders is recognised without --format
    assert (summary["format"], summary["documents_added"], summary["sentences"]) == ("checkthat2020", 2, 9)
    splits = {s["doc_id"]: s["split"] for s in cw_workspace.iter_sentences()}
    assert splits == {"checkthat2020-20160926_1pres": "train", "checkthat2020-20190912_democratic_debate": "test"}


@pytest.mark.shared
def test_crlf_test_files_read_as_the_training_files(tmp_path):
    root = require_shared("datasets/clef2019-checkthat-task1")
    source = root / "test_annotated" / "20181015_60_min.tsv"
    assert b"\r\n" in source.read_bytes()[:200]
    rows = read_checkthat_debate(source)
    assert len(rows) == 612 and sum(row["label"] for row in rows) == 12
    assert all("\r" not in row["text"] for row in rows)


def test_a_file_elsewhere_needs_split_and_a_split_folder_overrules_none(cw_workspace, tmp_path):
    (tmp_path / "mine").mkdir()
    path = tmp_path / "mine" / "debate.tsv"
    path.write_text("1\tA\tTaxes rose 5%.\t1\n2\tB\tThanks.\t0\n", encoding="utf-8")
    with pytest.raises(InputError, match="cannot tell the split from the folder name.*pass --split train or --split "
                                         "test \\(the edition's folders are training and test_annotated\\)"):
        import_file(cw_workspace, path, fmt="checkthat2019")
    import_file(cw_workspace, path, fmt="checkthat2019", split="validation")
    assert {s["split"] for s in cw_workspace.iter_sentences()} == {"validation"}
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "debate.tsv").write_text("1\tA\tx\t0\n", encoding="utf-8")
    with pytest.raises(InputError, match="the folder 'training' holds the train split, not test"):
        import_file(cw_workspace, tmp_path / "training", fmt="checkthat2019", split="test")


@pytest.mark.parametrize(("content", "message"), [
    ("1\tA\tx\n", r"debate.tsv:1: expected 4 tab-separated fields, found 3"),
    ("1\tA\tx\t0\none\tA\ty\t0\n", r"debate.tsv:2: line number 'one' is not a positive integer"),
    ("1" * 5000 + "\tA\tx\t0\n", r"debate.tsv:1: line number '1{20}'… is not a positive integer"),
    ("²\tA\tx\t0\n", r"debate.tsv:1: line number '²' is not a positive integer"),
    ("0\tA\tx\t0\n", r"debate.tsv:1: line number '0' is not a positive integer"),
    ("1\tA\tx\t0\n1\tA\ty\t0\n", r"debate.tsv:2: line number 1 is already on line 1"),
    ("1\tA\tx\tyes\n", r"debate.tsv:1: label 'yes' is not 0 or 1"),
    ("1\tA\tx\t1\x1f\n", r"debate.tsv:1: label '1\\x1f' is not 0 or 1"),
    ("1\x1f\tA\tx\t1\n", r"debate.tsv:1: line number '1\\x1f' is not a positive integer"),
    ("1\tA\t  \t1\n", r"debate.tsv:1: the sentence has no text"),
    ("\n\n", r"debate.tsv: the file holds no sentences"),
])
def test_damaged_debate_files_are_refused_naming_the_line(tmp_path, content, message):
    (tmp_path / "training").mkdir()
    path = tmp_path / "training" / "debate.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_checkthat_debate(path)


def test_a_folder_without_debates_is_refused(tmp_path):
    (tmp_path / "training").mkdir()
    with pytest.raises(InputError, match="the folder holds no .tsv debate files"):
        list(checkthat_files(tmp_path, "checkthat2019"))
    assert set(CHECKTHAT_EDITIONS) == {"checkthat2019", "checkthat2020"}


def test_a_full_fact_workspace_says_how_to_make_one_for_the_benchmark(tmp_path, monkeypatch, runner):
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    workspace = init_workspace(tmp_path / "ff", language="en")
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "d.tsv").write_text("1\tA\tTaxes rose 5%.\t1\n", encoding="utf-8")
    result = runner.invoke(interop_cli, ["import", str(tmp_path / "training"), "--format", "checkthat2019",
                                         "--workspace", str(workspace.root)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {tmp_path / 'training'}: labels not in the workspace configuration: "
                                    "claim_type: 'check_worthy' ×1")
    assert "import into a workspace made with `tagline init DIR --claim-types check-worthiness`" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_document_imported_with_other_sentences_is_refused(cw_workspace, tmp_path):
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "d.tsv").write_text("1\tA\tTaxes rose.\t1\n2\tB\tThanks.\t0\n", encoding="utf-8")
    add_source_documents(cw_workspace, [SourceDocument("checkthat2019-d", "Taxes rose.\nThanks.", "t", "txt", "utf-8",
                                                       "en", single_sentence=True)])
    with pytest.raises(ConflictError, match="document 'checkthat2019-d' is already in the workspace with other "
                                            "sentences"):
        import_file(cw_workspace, tmp_path / "training" / "d.tsv", fmt="checkthat2019")


# ----- ClaimBuster --------------------------------------------------------------------------------
@pytest.mark.shared
def test_claimbuster_files_hold_the_counts_of_source_md(cw_workspace, tmp_path):
    from tagline.annotate.formats.checkworthiness import read_claimbuster

    root = require_shared("datasets/claimbuster")
    expected = {"kfold_20ncs.json": (8292, 2764), "kfold_25ncs.json": (9674, 2764), "kfold_30ncs.json": (11056, 2764)}
    for name, (total, worthy) in expected.items():
        result = read_claimbuster(root / name, ReadOptions())
        labels = Counter(record.answers[0].label for record in result.records)
        assert (len(result.records), labels["check_worthy"]) == (total, worthy), name
    # A slice imports as one single-sentence document per item, without a split unless --split gives one.
    items = json.loads((root / "kfold_25ncs.json").read_text(encoding="utf-8"))[:30]
    (tmp_path / "slice.json").write_text(json.dumps(items), encoding="utf-8")
    summary = import_file(cw_workspace, tmp_path / "slice.json")  # recognised without --format
    assert (summary["format"], summary["documents_added"], summary["gold"]) == ("claimbuster", 30, 30)
    sentences = {s["doc_id"]: s for s in cw_workspace.iter_sentences()}
    gold = {record["sentence_id"]: record["value"]["label"] for record in cw_workspace.iter_gold()}
    for item in items:
        sentence = sentences[f"claimbuster-{item['sentence_id']}"]
        assert sentence["text"] == item["text"].strip() and "split" not in sentence
        assert gold[sentence["id"]] == ("check_worthy" if item["label"] == 1 else "not_check_worthy")


@pytest.mark.parametrize(("items", "message"), [
    ({"sentence_id": 1}, "expected a JSON list of sentences"),
    ([{"sentence_id": "1", "label": 1, "text": "x"}], r"item 1: `sentence_id` '1' is not a non-negative integer"),
    ([{"sentence_id": 1, "label": 1, "text": "x"}, {"sentence_id": 1, "label": 0, "text": "y"}],
     r"item 2: sentence_id 1 is also item 1"),
    ([{"sentence_id": 1, "label": True, "text": "x"}], r"item 1: `label` True is not 0 or 1"),
    ([{"sentence_id": 1, "label": 2, "text": "x"}], r"item 1: `label` 2 is not 0 or 1"),
    ([{"sentence_id": 1, "label": 1, "text": " "}], r"item 1: item has no `text`"),
])
def test_damaged_claimbuster_files_are_refused(cw_workspace, tmp_path, items, message):
    (tmp_path / "cb.json").write_text(json.dumps(items), encoding="utf-8")
    with pytest.raises((InputError, DataError), match=message):
        import_file(cw_workspace, tmp_path / "cb.json", fmt="claimbuster")


# ----- the label set ------------------------------------------------------------------------------
def test_init_declares_the_check_worthiness_label_set(runner, tmp_path):
    from tagline.cli import main

    result = runner.invoke(main, ["init", str(tmp_path / "cw"), "--lang", "en", "--claim-types", "check-worthiness"])
    assert result.exit_code == 0, result.output
    from tagline.corpus.workspace import Workspace

    config = Workspace(tmp_path / "cw").config
    assert config.labels("claim_type") == ["check_worthy", "not_check_worthy"]
    assert config.keys("claim_type") == {"c": "check_worthy", "n": "not_check_worthy"}
    refused = runner.invoke(main, ["init", str(tmp_path / "both"), "--sample", "--claim-types", "check-worthiness"])
    assert refused.exit_code == 2
    assert refused.stderr.strip() == ("Error: the sample's claim types are the Full Fact scheme's, not check-worthiness "
                                      "(leave out --sample, or --claim-types)")
    assert not (tmp_path / "both").exists()
