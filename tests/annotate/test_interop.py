"""`tagline annotate import` / `export` and the library under them: mapping, checking, all or nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tagline.annotate.events import load_view, make_event
from tagline.annotate.interop import detect_format, export, import_file
from tagline.corpus.config import SAMPLE_TARGETS
from tagline.corpus.store import append_records
from tagline.corpus.workspace import init_workspace
from tagline.errors import ConflictError, DataError, InputError

from conftest import interop_cli as cli

SHARED = Path(__file__).resolve().parents[3] / "shared"




@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.fixture
def ws(tmp_path):
    return init_workspace(tmp_path / "ws", targets=list(SAMPLE_TARGETS))


def run(*arguments: str):
    return CliRunner().invoke(cli, [str(a) for a in arguments])


def jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def snapshot(workspace) -> dict:
    files = [workspace.sentences_path, workspace.documents_path, workspace.gold_path,
             *workspace.annotations_dir.glob("*.jsonl"), *workspace.documents_dir.glob("*")]
    return {str(path): path.read_bytes() for path in files if path.exists()}


JA_RECORDS = [
    {"id": 1, "text": "梁文峰はDeepSeekを杭州で創業した。", "label": [[0, 3, "人名"], [4, 12, "ORG"], [13, 15, "LOC"]]},
    {"id": 2, "text": "  Nvidia shares fell 17%.  ", "label": [[2, 8, "Firm"], [9, 15, "MISC"]]},
    {"id": 3, "text": "見出しだけの文", "label": []},
]


def test_cli_and_library_list_the_same_formats():
    from tagline.annotate import interop
    from tagline.cli import interop as cli_interop

    assert cli_interop.IMPORT_FORMATS == interop.IMPORT_FORMATS
    assert cli_interop.EXPORT_FORMATS == interop.EXPORT_FORMATS


def test_every_format_is_documented():
    from tagline.annotate.interop import IMPORT_FORMATS

    text = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text(encoding="utf-8")
    for name in ("sentences.jsonl", "documents.jsonl", "annotations/<annotator>.jsonl", "gold/gold.jsonl",
                 "orphaned.jsonl", "*.torn", "src/tagline/schemas/"):
        assert name in text, name
    for fmt in IMPORT_FORMATS:
        assert f"`{fmt}`" in text, fmt


def test_import_maps_labels_shifts_offsets_to_the_sentence_and_reimport_adds_nothing(ws, tmp_path):
    source = jsonl(tmp_path / "ner.jsonl", JA_RECORDS)
    label_map = tmp_path / "map.toml"
    label_map.write_text('Firm = "ORG"\n[entities]\nMISC = ""\n', encoding="utf-8")
    result = run("import", source, "--format", "doccano", "-a", "alice", "--label-map", label_map, "-w", ws.root)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Warning: 1 label left out as the label map says\nimported ")
    assert "3 new documents, 0 unchanged; 3 sentences; answers: 3 by alice" in result.stderr
    sentences = {s["doc_id"]: s for s in ws.iter_sentences()}
    assert sentences["ner-2"]["text"] == "Nvidia shares fell 17%."  # kept as one sentence, trimmed
    view = load_view(ws, "alice")
    assert [(s["text"], s["label"]) for s in view.value(sentences["ner-1"]["id"], "entities")["spans"]] == [
        ("梁文峰", "PERSON"), ("DeepSeek", "ORG"), ("杭州", "GPE")]
    assert view.value(sentences["ner-2"]["id"], "entities")["spans"] == [
        {"start": 0, "end": 6, "label": "ORG", "text": "Nvidia"}]  # offsets moved with the trimmed text
    assert view.value(sentences["ner-3"]["id"], "entities") == {"spans": []}
    events = [json.loads(line) for line in ws.annotation_path("alice").read_text().splitlines()]
    assert {event["source"] for event in events} == {"import:doccano"}
    before = snapshot(ws)
    again = run("import", source, "--format", "doccano", "-a", "alice", "--label-map", label_map, "-w", ws.root)
    assert again.exit_code == 0 and "0 new documents, 3 unchanged" in again.stderr
    assert "answers: none new; 3 already current" in again.stderr
    assert snapshot(ws) == before


def test_unknown_labels_are_all_listed_with_the_fix_and_nothing_is_written(ws, tmp_path):
    source = jsonl(tmp_path / "ner.jsonl", JA_RECORDS)
    before = snapshot(ws)
    result = run("import", source, "--format", "doccano", "-a", "alice", "-w", ws.root)
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {source}: labels not in the workspace configuration: entities: ")
    assert "'Firm' ×1, first at" in line and "'MISC' ×1" in line and "人名" not in line.split("(map")[0]
    assert "--label-map FILE" in line and '"Firm": ""' in line and "[tasks.entities] aliases" in line
    assert snapshot(ws) == before


def test_a_bad_last_record_leaves_the_workspace_untouched(ws, tmp_path):
    records = JA_RECORDS + [{"text": "東京", "label": [[0, 5, "GPE"]]}]
    source = jsonl(tmp_path / "ner.jsonl", records)
    before = snapshot(ws)
    with pytest.raises(DataError) as error:
        import_file(ws, source, fmt="doccano", annotator="alice", label_map=_map(tmp_path, {"Firm": "ORG", "MISC": ""}))
    assert error.value.where == f"{source}:4" and "span 0:5 GPE is outside the text" in error.value.what
    assert snapshot(ws) == before


def _map(tmp_path: Path, table: dict) -> Path:
    path = tmp_path / "map.json"
    path.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    return path


def ls_task(text: str, results: list[dict], **annotation) -> dict:
    return {"data": {"text": text}, "annotations": [{"result": results, **annotation}]}


def ls_span(start: int, end: int, text: str, label: str) -> dict:
    return {"from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": text, "labels": [label]}}


def test_offset_mismatch_is_reported_with_the_record_and_never_shifted(ws, tmp_path):
    source = tmp_path / "tasks.json"
    source.write_text(json.dumps([ls_task("Apple hired Tim Cook.", [ls_span(12, 15, "Tim Cook", "PERSON")])]))
    result = run("import", source, "--format", "label-studio", "-a", "bob", "-w", ws.root)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: {source}:1 annotation 1: span 12:15 PERSON: the offsets cover 'Tim' but the file says 'Tim Cook' "
        "(correct the offsets in the file; tagline never shifts spans)")
    assert not ws.sentences_path.read_text()


def test_utf16_offsets_are_recognised_and_read_with_offsets_utf16(ws, tmp_path):
    text = "😀 DeepSeekが発表"
    source = tmp_path / "tasks.json"
    source.write_text(json.dumps([ls_task(text, [ls_span(3, 11, "DeepSeek", "ORG")])], ensure_ascii=False))
    with pytest.raises(DataError) as error:
        import_file(ws, source, fmt="label-studio", annotator="bob")
    assert "(the offsets fit if they count UTF-16 code units)" in error.value.what
    assert "pass --offsets utf16" in error.value.fix
    import_file(ws, source, fmt="label-studio", annotator="bob", offsets="utf16")
    (sentence,) = ws.iter_sentences()
    assert load_view(ws, "bob").value(sentence["id"], "entities")["spans"] == [
        {"start": 2, "end": 10, "label": "ORG", "text": "DeepSeek"}]


def test_label_studio_keeps_annotators_apart_and_reads_stance_and_claim_type_controls(ws, tmp_path):
    choice = lambda name, label: {"from_name": name, "to_name": "text", "type": "choices",  # noqa: E731
                                  "value": {"choices": [label]}}
    task = {"id": 7, "data": {"text": "DeepSeekは優れている。"}, "annotations": [
        {"completed_by": {"email": "ann@example.com"}, "result": [choice("stance:DeepSeek", "FAVOR"),
                                                                  choice("claim_type", "other_claim")]},
        {"completed_by": 12, "result": [choice("stance:DeepSeek", "AGAINST")], "ground_truth": True},
    ]}
    source = tmp_path / "project.json"
    source.write_text(json.dumps([task], ensure_ascii=False))
    summary = import_file(ws, source, fmt="label-studio")
    assert summary["events"] == {"ann_example.com": 2, "user12": 1}
    (sentence,) = ws.iter_sentences()
    assert sentence["doc_id"] == "project-7"
    assert load_view(ws, "user12").value(sentence["id"], "stance", "DeepSeek") == {"target": "DeepSeek", "label": "AGAINST"}
    # As gold, the annotation marked ground_truth decides the stance; the claim type has one answer.
    gold = import_file(ws, source, fmt="label-studio", as_gold=True)
    assert gold["gold"] == 2
    from tagline.annotate.gold import gold_view

    view = gold_view(ws)
    assert view[(sentence["id"], "stance", "DeepSeek")]["value"]["label"] == "AGAINST"
    assert view[(sentence["id"], "stance", "DeepSeek")]["provenance"] == {
        "method": "imported", "votes": {}, "source": "import:label-studio:project.json"}
    del task["annotations"][1]["ground_truth"]
    source.write_text(json.dumps([task], ensure_ascii=False))
    with pytest.raises(DataError, match="--gold needs one answer per question"):
        import_file(ws, source, fmt="label-studio", as_gold=True)


def test_task_stance_sends_classification_labels_to_a_target(ws, tmp_path):
    source = jsonl(tmp_path / "cls.jsonl", [{"text": "DeepSeekは優れている。", "label": ["FAVOR"]}])
    summary = import_file(ws, source, fmt="doccano", annotator="carol", task="stance", target="DeepSeek")
    (sentence,) = ws.iter_sentences()
    assert summary["events"] == {"carol": 1}
    assert load_view(ws, "carol").value(sentence["id"], "stance", "DeepSeek")["label"] == "FAVOR"
    with pytest.raises(InputError, match="--target goes with --task stance"):
        import_file(ws, source, fmt="doccano", annotator="carol", target="DeepSeek")
    result = run("import", source, "--format", "doccano", "-a", "carol", "--task", "stance", "--target", "Apple",
                 "-w", ws.root)
    assert result.exit_code == 2
    assert "stance target 'Apple' is not in the workspace configuration" in result.stderr
    assert 'targets = ["DeepSeek", "US AI policy", "Apple"]' in result.stderr


def test_a_file_without_annotators_needs_annotator_or_gold(ws, tmp_path):
    source = jsonl(tmp_path / "ner.jsonl", [{"text": "東京", "label": [[0, 2, "GPE"]]}])
    result = run("import", source, "--format", "doccano", "-w", ws.root)
    assert result.exit_code == 2
    assert "does not say who gave 1 answer" in result.stderr and "pass --annotator NAME, or --gold" in result.stderr
    result = run("import", source, "--format", "doccano", "--gold", "-w", ws.root, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["gold"] == 1
    assert not list(ws.annotations_dir.glob("*.jsonl"))


def test_prodigy_binary_answers_map_accept_and_reject_separately(ws, tmp_path):
    rows = [{"text": "We release a new dataset.", "label": "new-dataset", "answer": "accept", "_annotator_id": "a1",
             "_input_hash": -5},
            {"text": "We release a new dataset.", "label": "new-dataset", "answer": "reject", "_annotator_id": "a2",
             "_input_hash": -5},
            {"text": "Results improve.", "label": "new-dataset", "answer": "ignore", "_annotator_id": "a1",
             "_input_hash": 9}]
    source = jsonl(tmp_path / "binary.jsonl", rows)
    with pytest.raises(DataError) as error:
        import_file(ws, source, fmt="prodigy")
    assert "'new-dataset' ×1" in error.value.what and "'reject:new-dataset' ×1" in error.value.what
    summary = import_file(ws, source, fmt="prodigy",
                          label_map=_map(tmp_path, {"new-dataset": "other_claim", "reject:new-dataset": "not_claim"}))
    assert summary["events"] == {"a1": 1, "a2": 1} and summary["documents_added"] == 2
    assert "1 record answered ignore" in summary["warnings"][0]
    sentence = next(s for s in ws.iter_sentences() if s["doc_id"] == "binary-n5")
    assert load_view(ws, "a2").value(sentence["id"], "claim_type") == {"label": "not_claim"}


SEMEVAL_HEADER = "ID\tTarget\tTweet\tStance\r\n"


def semeval_file(path: Path) -> Path:
    body = (SEMEVAL_HEADER + "10001\tAtheism\tGod is love #SemST\tAGAINST\r\n"
            "10002\tHillary Clinton\t@user caf\xe9 vote #SemST\tFAVOR\r\n")
    path.write_bytes(body.encode("cp1252"))
    return path


def test_semeval2016_imports_sentences_and_gold_with_the_split(tmp_path):
    from tagline.annotate.gold import gold_view

    source = semeval_file(tmp_path / "SemEval2016-Task6-subtaskA-testdata-gold.txt")
    workspace = init_workspace(tmp_path / "ws", language="en")
    result = run("import", source, "--format", "semeval2016", "-w", workspace.root)
    assert result.exit_code == 2
    assert ("stance targets 'Atheism', 'Hillary Clinton' are not in the workspace configuration (add them to "
            '[tasks.stance] in tagline.toml: targets = ["Atheism", "Hillary Clinton"])'
            ) in result.stderr
    workspace = init_workspace(tmp_path / "ws2", language="en", targets=["Atheism", "Hillary Clinton"])
    summary = import_file(workspace, source, fmt="semeval2016")
    assert summary["gold"] == 2 and summary["events"] == {}
    sentences = {s["doc_id"]: s for s in workspace.iter_sentences()}
    assert sentences["semeval2016-10002"]["text"] == "@user caf\xe9 vote #SemST"
    assert {s["split"] for s in sentences.values()} == {"test"}
    assert workspace.documents()["semeval2016-10002"]["encoding"] == "cp1252"
    assert gold_view(workspace)[("semeval2016-10001-s0001", "stance", "Atheism")]["value"] == {
        "target": "Atheism", "label": "AGAINST"}
    assert import_file(workspace, source, fmt="semeval2016")["gold"] == 0


def test_import_refuses_a_split_that_eval_run_would_never_use(tmp_path):
    source = semeval_file(tmp_path / "SemEval2016-Task6-subtaskA-testdata-gold.txt")
    workspace = init_workspace(tmp_path / "ws", language="en", targets=["Atheism", "Hillary Clinton"])
    before = workspace.sentences_path.read_bytes() if workspace.sentences_path.exists() else b""
    result = run("import", source, "--format", "semeval2016", "--split", "dev", "-w", workspace.root)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "Error: --split 'dev' is not one of train, validation, test" in result.stderr
    assert "use validation for a development set" in result.stderr
    assert (workspace.sentences_path.read_bytes() if workspace.sentences_path.exists() else b"") == before
    assert import_file(workspace, source, fmt="semeval2016", split="validation")["gold"] == 2
    assert {s["split"] for s in workspace.iter_sentences()} == {"validation"}


def test_semeval2016_reader_errors_become_input_errors(tmp_path, ws):
    source = tmp_path / "train.txt"
    source.write_text(SEMEVAL_HEADER + "1\tAtheism\tx #SemST\tfavor\r\n", encoding="ascii")
    with pytest.raises(InputError) as error:
        import_file(ws, source, fmt="semeval2016")
    assert error.value.where == f"{source}:2" and "stance 'favor' is not one of FAVOR" in error.value.what


def stockmark_items() -> list[dict]:
    return [{"curid": str(100 + n % 7), "text": f"田中太郎は株式会社テスト{n}に入社した。",
             "entities": [{"name": "田中太郎", "span": [0, 4], "type": "人名"},
                          {"name": f"株式会社テスト{n}", "span": [5, 12 + len(str(n))], "type": "法人名"}]}
            for n in range(20)] + [{"curid": "999", "text": "負例の文です。", "entities": []}]


def test_stockmark_imports_gold_entities_through_the_aliases(tmp_path, ws):
    from tagline.annotate.gold import gold_view

    source = tmp_path / "ner.json"
    source.write_text(json.dumps(stockmark_items(), ensure_ascii=False), encoding="utf-8")
    summary = import_file(ws, source, fmt="stockmark-ner", split="test")
    sentences = list(ws.iter_sentences())
    assert summary["gold"] == len(sentences) and {s["split"] for s in sentences} == {"test"}
    summary = import_file(ws, source, fmt="stockmark-ner")
    assert summary["documents_added"] == 21 - len(sentences)
    assert {s["split"] for s in ws.iter_sentences()} == {"train", "validation", "test"}
    gold = gold_view(ws)
    assert gold[("stockmark-100-s0001", "entities", None)]["value"]["spans"][0] == {
        "start": 0, "end": 4, "label": "PERSON", "text": "田中太郎"}
    assert gold[("stockmark-100-2-s0001", "entities", None)]["value"]["spans"][1]["label"] == "ORG"
    assert gold[("stockmark-999-s0001", "entities", None)]["value"] == {"spans": []}


@pytest.mark.skipif(not (SHARED / "datasets/stockmark-ner-ja/ner.json").exists(),
                    reason="../shared/datasets/stockmark-ner-ja is not present beside the checkout")
def test_stockmark_standard_split_matches_the_published_one():
    from collections import Counter

    from tagline.annotate.formats.benchmarks import read_stockmark
    from tagline.annotate.formats.common import ReadOptions

    path = SHARED / "datasets/stockmark-ner-ja/ner.json"
    result = read_stockmark(path, ReadOptions())
    assert Counter(r.split for r in result.records) == {"train": 4274, "validation": 534, "test": 535}
    test = [r for r in result.records if r.split == "test"]
    assert sum(len(r.answers[0].spans) for r in test) == 1333
    import random

    order = list(range(len(result.records)))
    random.Random(42).shuffle(order)
    assert [result.records[i].key for i in order[:2]] == ["3638038", "1729527"]  # train[0], train[1]


def test_export_to_stdout_names_what_the_format_cannot_hold(sample_workspace):
    result = run("export", "--format", "conll", "--annotator", "sample-gold")
    assert result.exit_code == 0, result.output
    # CoNLL-2003 style, what spaCy and other tools read: no comment lines.
    assert result.stdout.startswith("-DOCSTART- -X- O O\n\n中国 B-GPE\nスタートアップ O\nDeepSeek B-ORG\n")
    assert "#" not in result.stdout
    warnings = result.stderr.splitlines()
    assert "Warning: CoNLL holds entity tags only: claim_type, stance answers are not exported" in warnings
    assert "Warning: CoNLL files do not name annotators: import with --annotator sample-gold" in warnings
    assert any("CoNLL-2003 keeps tokens, not sentence ids or text" in warning for warning in warnings)
    result = run("export", "--format", "conll", "--annotator", "sample-gold", "--conll-comments")
    assert result.stdout.startswith("-DOCSTART- -X- O O\n\n# sent_id = deepseek_ja-s0001\n# text = 中国スタートアップ")
    assert not any("CoNLL-2003 keeps tokens" in warning for warning in result.stderr.splitlines())
    result = run("export", "--format", "csv", "--annotator", "sample-gold", "--conll-comments")
    assert result.exit_code == 2 and "Error: --conll-comments applies to CoNLL, not csv" in result.stderr


def test_export_needs_exactly_one_view_and_a_folder_for_brat(sample_workspace, tmp_path):
    result = run("export", "--format", "csv")
    assert result.exit_code == 2 and "Error: choose what to export: --gold, or --annotator NAME" in result.stderr
    result = run("export", "--format", "csv", "-a", "nobody")
    assert result.exit_code == 2 and "no annotations by 'nobody' (annotators here: sample-gold)" in result.stderr
    result = run("export", "--format", "brat", "-a", "sample-gold")
    assert result.exit_code == 2 and "brat writes a folder of files (pass --out DIR)" in result.stderr
    result = run("export", "--format", "csv", "-a", "sample-gold", "--json")
    assert result.exit_code == 2 and "give --out" in result.stderr
    result = run("export", "--format", "spacy", "-a", "sample-gold", "--out", tmp_path / "x.spacy")
    assert result.exit_code == 2 and "not a binary DocBin" in result.stderr
    result = run("export", "--format", "brat", "-a", "sample-gold", "--out", tmp_path / "brat", "--json")
    summary = json.loads(result.stdout)
    assert summary["records"] == 1 and summary["answers"] == 308
    assert sorted(p.name for p in (tmp_path / "brat").iterdir()) == ["annotation.conf", "deepseek_ja.ann", "deepseek_ja.txt"]


def test_an_edited_export_comes_back_onto_the_same_sentences(sample_workspace, tmp_path):
    out = tmp_path / "tasks.json"
    export(sample_workspace, fmt="label-studio", annotator="sample-gold", out=out)
    unchanged = import_file(sample_workspace, out, fmt="label-studio")
    assert unchanged["documents_added"] == 0 and unchanged["events"] == {} and unchanged["unchanged"] == 308
    assert unchanged["documents_unchanged"] == 1  # the sample's document, which its sentences are in
    tasks = json.loads(out.read_text(encoding="utf-8"))
    # As Label Studio exports the task once dana has answered it there too: the imported annotation
    # keeps tagline's id as its `import_id` and belongs to the account that imported it; dana's has none.
    imported = tasks[52]["annotations"][0]
    imported.update(import_id=imported["id"], id=900, completed_by=1)
    annotation = json.loads(json.dumps(imported))
    annotation.update(id=901, import_id=None, completed_by={"email": "dana"})
    for result in annotation["result"]:
        if result["from_name"] == "claim_type":
            result["value"]["choices"] = ["quantity"]
    tasks[52]["annotations"].append(annotation)
    out.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    summary = import_file(sample_workspace, out, fmt="label-studio")
    assert summary["documents_added"] == 0 and summary["events"] == {"dana": 4}
    assert load_view(sample_workspace, "dana").value("deepseek_ja-s0053", "claim_type") == {"label": "quantity"}


def test_a_sentence_id_whose_text_differs_is_refused(sample_workspace, tmp_path):
    source = jsonl(tmp_path / "edited.jsonl", [{"sentence_id": "deepseek_ja-s0001", "text": "別の文。", "label": []}])
    with pytest.raises(DataError, match="sentence 'deepseek_ja-s0001' has the text '別の文。' in the file"):
        import_file(sample_workspace, source, fmt="doccano", annotator="x")


def test_a_text_that_differs_late_is_refused_showing_where_the_texts_part(sample_workspace, tmp_path):
    stored = next(s for s in sample_workspace.iter_sentences() if len(s["text"]) > 90)
    edited = stored["text"][:80] + "X" + stored["text"][81:]  # the first 60 characters are the same
    source = jsonl(tmp_path / "edited.jsonl", [{"sentence_id": stored["id"], "text": edited, "label": []}])
    with pytest.raises(DataError) as error:
        import_file(sample_workspace, source, fmt="doccano", annotator="x")
    assert "from character 80" in error.value.what
    assert repr(edited[60:120]) in error.value.what and repr(stored["text"][60:120]) in error.value.what


def test_a_conll_export_with_comments_comes_back_onto_sentences_holding_line_breaks(ws, tmp_path):
    text = "Apple sold\nphones in\rTokyo."
    source = jsonl(tmp_path / "lines.jsonl", [{"id": 1, "text": text, "label": [[21, 26, "GPE"]]}])
    import_file(ws, source, fmt="doccano", annotator="alice")
    out = tmp_path / "back.conll"
    export(ws, fmt="conll", annotator="alice", out=out, conll_comments=True)
    assert "# text = Apple sold phones in Tokyo." in out.read_text(encoding="utf-8")
    summary = import_file(ws, out, fmt="conll", annotator="alice")  # refused before: the text had changed
    assert summary["documents_added"] == 0 and not summary["events"]
    (sentence,) = ws.iter_sentences()
    assert sentence["text"] == text
    assert load_view(ws, "alice").value(sentence["id"], "entities")["spans"][0]["start"] == 21


def test_a_changed_record_is_not_silently_replaced(ws, tmp_path):
    source = jsonl(tmp_path / "ner.jsonl", [{"id": 1, "text": "東京", "label": []}])
    import_file(ws, source, fmt="doccano", annotator="alice")
    jsonl(source, [{"id": 1, "text": "大阪", "label": []}])
    with pytest.raises(ConflictError, match="document 'ner-1' is already in the workspace with different text"):
        import_file(ws, source, fmt="doccano", annotator="alice")


def test_a_document_made_by_another_file_of_the_same_name_is_named_in_the_refusal(ws, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    import_file(ws, jsonl(first / "ner.jsonl", [{"id": 1, "text": "東京", "label": []}]), fmt="doccano",
                annotator="alice")
    with pytest.raises(ConflictError) as refused:
        import_file(ws, jsonl(second / "ner.jsonl", [{"id": 1, "text": "大阪", "label": []}]), fmt="doccano",
                    annotator="alice")
    assert f"with different text (made from {first / 'ner.jsonl'}:1)" in str(refused.value)
    assert "another file of the same name made that document" in str(refused.value)


def test_brat_span_across_a_sentence_boundary_is_refused(ws, tmp_path):
    (tmp_path / "doc.txt").write_text("東京に行った。大阪にも行った。", encoding="utf-8")
    (tmp_path / "doc.ann").write_text("T1\tGPE 5 9\tた。大阪\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        import_file(ws, tmp_path / "doc.ann", annotator="alice")
    assert error.value.where == f"{tmp_path / 'doc.ann'}:1"
    assert "is not inside one sentence" in error.value.what


def test_format_detection_and_slate_refusal(tmp_path):
    (tmp_path / "a.ann").write_text("", encoding="utf-8")
    assert detect_format(tmp_path / "a.ann") == "brat"
    (tmp_path / "t.jsonl").write_text('{"text": "x", "_input_hash": 1, "answer": "accept"}\n', encoding="utf-8")
    assert detect_format(tmp_path / "t.jsonl") == "prodigy"
    slate = tmp_path / "notes.txt"
    slate.write_text("(5, 1) - z\n((9, 1), (9, 3)) - x\n", encoding="utf-8")
    with pytest.raises(InputError, match="a SLATE annotation file: SLATE files are not imported"):
        detect_format(slate)
    plain = tmp_path / "plain.txt"
    plain.write_text("ただの文書。\n", encoding="utf-8")
    with pytest.raises(InputError, match="cannot tell which tool's format"):
        detect_format(plain)


def test_dry_run_checks_everything_and_writes_nothing(ws, tmp_path):
    source = jsonl(tmp_path / "ner.jsonl", [{"text": "東京", "label": [[0, 2, "GPE"]]}])
    before = snapshot(ws)
    result = run("import", source, "--format", "doccano", "-a", "alice", "--dry-run", "-w", ws.root)
    assert result.exit_code == 0 and result.stderr.startswith("would import ")
    assert snapshot(ws) == before


def test_overlapping_spans_survive_label_studio_and_csv_but_not_conll(ws, tmp_path):
    from tagline.corpus.ingest import add_source_documents
    from tagline.corpus.readers import SourceDocument

    add_source_documents(ws, [SourceDocument("d", "東京大学で学ぶ", "t", "txt", "utf-8", "ja", single_sentence=True)])
    spans = [{"start": 0, "end": 4, "label": "ORG", "text": "東京大学"}, {"start": 0, "end": 2, "label": "GPE", "text": "東京"}]
    append_records(ws.annotation_path("alice"), [make_event("d-s0001", "alice", "entities", {"spans": spans})])
    for fmt in ("label-studio", "csv"):
        target = init_workspace(tmp_path / f"target-{fmt}", targets=list(SAMPLE_TARGETS))
        export(ws, fmt=fmt, annotator="alice", out=tmp_path / f"out-{fmt}")
        import_file(target, tmp_path / f"out-{fmt}", fmt=fmt)
        (sentence,) = target.iter_sentences()
        assert sentence["id"] == "d-s0001-s0001"  # a new document named after the sentence it came from
        assert load_view(target, "alice").value(sentence["id"], "entities")["spans"] == sorted(
            spans, key=lambda s: (s["start"], s["end"]))
    summary = export(ws, fmt="conll", annotator="alice")
    assert "CoNLL tags cannot overlap: 1 overlapping span left out" in summary["warnings"]
    assert "東京 B-ORG\n大学 I-ORG\n" in summary["content"]


@pytest.mark.parametrize(("tags", "spans"), [
    (["B-PER", "I-PER", "O", "B-LOC"], [(0, 2, "PER"), (3, 4, "LOC")]),              # IOB2
    (["I-PER", "I-PER", "B-PER", "O", "I-LOC"], [(0, 2, "PER"), (2, 3, "PER"), (4, 5, "LOC")]),  # IOB1
    (["S-ORG", "B-PER", "E-PER", "B-LOC", "I-LOC", "E-LOC"], [(0, 1, "ORG"), (1, 3, "PER"), (3, 6, "LOC")]),  # BIOES
    (["U-ORG", "B-PER", "L-PER", "I-PER"], [(0, 1, "ORG"), (1, 3, "PER"), (3, 4, "PER")]),  # BILUO (+ a stray I)
])
def test_tag_schemes_decode_to_the_same_spans(tags, spans):
    from tagline.annotate.formats.tokens import decode_tags, parse_tag

    assert decode_tags([parse_tag(tag) for tag in tags]) == spans


def test_conll_text_is_rebuilt_without_spaces_between_japanese_tokens(ws, tmp_path):
    source = tmp_path / "ja.conll"
    source.write_text("梁\tB-人名\n文峰\tI-人名\nは\tO\nDeepSeek\tB-ORG\nを\tO\n創業\tO\n。\tO\n", encoding="utf-8")
    with pytest.raises(InputError, match="--offsets utf16 does not apply to conll"):
        import_file(ws, source, annotator="alice", offsets="utf16")
    import_file(ws, source, annotator="alice")
    (sentence,) = ws.iter_sentences()
    assert sentence["text"] == "梁文峰はDeepSeekを創業。"
    assert [s["text"] for s in load_view(ws, "alice").value(sentence["id"], "entities")["spans"]] == ["梁文峰", "DeepSeek"]
