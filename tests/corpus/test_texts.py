"""Document texts: an import's texts in one file of documents/, read by offset; a document added as a
file of its own in documents/<doc_id>.txt; one reader for both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tagline.annotate.interop import export, import_file
from tagline.annotate.validate import iter_errors, validate_workspace
from tagline.corpus.ingest import add_documents
from tagline.corpus.store import read_records
from tagline.corpus.texts import read_text
from tagline.corpus.workspace import init_workspace
from tagline.errors import DataError

TEXTS = ["Alice Moreau of Acme Corp said profits rose.", "梁文峰はDeepSeekを杭州で創業した。",
         "  Kenji Sato denied it, emoji 🙂 and all.  "]


@pytest.fixture
def ws(tmp_path):
    return init_workspace(tmp_path / "ws", language="en")


def doccano(path: Path, texts: list[str]) -> Path:
    """A doccano file of ``texts``, each with its first two characters after any white space as a PERSON."""
    records = [{"text": text, "label": [[start, start + 2, "PERSON"]]}
               for text in texts for start in [len(text) - len(text.lstrip())]]
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return path


def test_an_import_keeps_its_texts_in_one_file_read_by_offset(ws, tmp_path):
    import_file(ws, doccano(tmp_path / "batch.jsonl", TEXTS), fmt="doccano", annotator="alice")
    assert sorted(path.name for path in ws.documents_dir.iterdir()) == ["batch-1.texts"]
    registry = ws.documents()
    assert [ws.document_text(doc_id) for doc_id in registry] == TEXTS
    places = [record["text_at"] for record in registry.values()]
    assert [place["offset"] for place in places] == [0, len(TEXTS[0].encode()), len((TEXTS[0] + TEXTS[1]).encode())]
    assert (ws.documents_dir / "batch-1.texts").read_bytes() == "".join(TEXTS).encode()
    for sentence in ws.iter_sentences():
        assert ws.document_text(sentence["doc_id"])[sentence["start"]:sentence["end"]] == sentence["text"]
    assert list(iter_errors(validate_workspace(ws))) == []


def test_a_second_import_writes_a_second_file_and_never_one_left_there(ws, tmp_path):
    import_file(ws, doccano(tmp_path / "one.jsonl", TEXTS[:1]), fmt="doccano", annotator="alice")
    (ws.documents_dir / "two-1.texts").write_bytes(b"left here by hand")
    import_file(ws, doccano(tmp_path / "two.jsonl", TEXTS[1:]), fmt="doccano", annotator="alice")
    assert (ws.documents_dir / "two-1.texts").read_bytes() == b"left here by hand"
    assert (ws.documents_dir / "two-1-2.texts").read_bytes() == "".join(TEXTS[1:]).encode()
    assert [ws.document_text(doc_id) for doc_id in ws.documents()] == TEXTS


def test_validate_names_a_text_file_cut_short_or_edited(ws, tmp_path):
    import_file(ws, doccano(tmp_path / "batch.jsonl", TEXTS), fmt="doccano", annotator="alice")
    texts = ws.documents_dir / "batch-1.texts"
    data = texts.read_bytes()
    texts.write_bytes(data.replace(b"Alice", b"Alicia"[:5].upper()))
    messages = [problem.message for problem in iter_errors(validate_workspace(ws))]
    assert any("does not match its checksum" in message for message in messages), messages
    texts.write_bytes(data[:-5])
    messages = [str(problem) for problem in iter_errors(validate_workspace(ws))]
    assert any("batch-1.texts (bytes" in message and "is missing" in message for message in messages), messages


def test_validate_reads_each_text_once_for_its_checks_and_lists_the_documents_problems_first_in_their_order(
        ws, tmp_path, monkeypatch):
    import collections

    import tagline.corpus.texts as texts_module

    import_file(ws, doccano(tmp_path / "batch.jsonl", TEXTS), fmt="doccano", annotator="alice")
    texts = ws.documents_dir / "batch-1.texts"
    texts.write_bytes(texts.read_bytes().replace(b"Alice", b"ALICE")[:-5])  # the first edited, the last cut short
    reads = []
    read_bytes = texts_module.TextReader.read_bytes
    counted = lambda reader, doc_id, record: reads.append(doc_id) or read_bytes(reader, doc_id, record)  # noqa: E731
    monkeypatch.setattr(texts_module.TextReader, "read_bytes", counted)
    messages = [problem.message for problem in iter_errors(validate_workspace(ws))]
    assert ["checksum" in m for m in messages[:2]] == [True, False] and "is missing" in messages[1], messages
    assert messages[2:] and all("do not cover the sentence text" in message for message in messages[2:]), messages
    # Once for its checks, and once more at most for its sentences' annotations (their texts are not kept).
    assert sorted(set(reads)) == sorted(ws.documents()), reads
    assert max(collections.Counter(reads).values()) <= 2, reads


def test_corpus_add_replace_of_an_imported_document_keeps_the_old_text_where_it_was(ws, tmp_path):
    import_file(ws, doccano(tmp_path / "batch.jsonl", TEXTS[:1]), fmt="doccano", annotator="alice")
    old = (ws.documents_dir / "batch-1.texts").read_bytes()
    new_text = TEXTS[0] + " Prices fell."
    (tmp_path / "batch-1.txt").write_text(new_text, encoding="utf-8")
    report = add_documents(ws, [tmp_path / "batch-1.txt"], replace=True)
    assert report.replaced and report.replaced[0]["doc_id"] == "batch-1"
    assert ws.document_text("batch-1") == new_text
    assert (ws.documents_dir / "batch-1.txt").read_text(encoding="utf-8") == new_text
    assert (ws.documents_dir / "batch-1.texts").read_bytes() == old  # the text orphaned offsets point into
    assert list(iter_errors(validate_workspace(ws))) == []


def test_export_reads_texts_of_both_layouts(ws, tmp_path):
    (tmp_path / "own.txt").write_text("Li Wei of Globex warned that demand slowed.", encoding="utf-8")
    add_documents(ws, [tmp_path / "own.txt"])
    import_file(ws, doccano(tmp_path / "batch.jsonl", TEXTS[:2]), fmt="doccano", annotator="alice")
    out = tmp_path / "brat"
    export(ws, fmt="brat", annotator="alice", out=out)
    texts = {path.stem: path.read_text(encoding="utf-8") for path in out.glob("*.txt")}
    assert texts["own"].startswith("Li Wei") and texts["batch-1"] == TEXTS[0] and texts["batch-2"] == TEXTS[1]


def test_a_registry_line_naming_a_file_outside_documents_is_refused(ws, tmp_path):
    import_file(ws, doccano(tmp_path / "batch.jsonl", TEXTS[:1]), fmt="doccano", annotator="alice")
    line = ws.documents_path.read_text(encoding="utf-8").replace("batch-1.texts", "../tagline.toml.texts")
    ws.documents_path.write_text(line, encoding="utf-8")
    with pytest.raises(DataError):
        list(read_records(ws.documents_path, kind="document"))
    with pytest.raises(DataError):
        read_text(ws, "batch-1")


def test_an_import_runs_without_cyclic_garbage_collection_and_turns_it_back_on(ws, tmp_path):
    import gc

    seen = []
    assert gc.isenabled()
    import_file(ws, doccano(tmp_path / "batch.jsonl", TEXTS), fmt="doccano", annotator="alice",
                progress=lambda done, total, what: seen.append(gc.isenabled()))
    assert seen and not any(seen) and gc.isenabled()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "Alice said so.", "label": [[0, 5, "NOT-A-LABEL"]]}) + "\n", encoding="utf-8")
    with pytest.raises(DataError):
        import_file(ws, bad, fmt="doccano", annotator="alice")
    assert gc.isenabled()


def test_corpus_add_of_a_jsonl_corpus_keeps_its_texts_in_one_file_and_a_txt_document_its_own(ws, tmp_path):
    corpus = tmp_path / "news.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"n{number}", "text": text}, ensure_ascii=False) + "\n"
                              for number, text in enumerate(TEXTS)), encoding="utf-8")
    (tmp_path / "own.txt").write_text("Li Wei of Globex warned that demand slowed.", encoding="utf-8")
    add_documents(ws, [corpus, tmp_path / "own.txt"])
    assert sorted(path.name for path in ws.documents_dir.iterdir()) == ["n0.texts", "own.txt"]
    assert [ws.document_text(f"n{number}") for number in range(3)] == TEXTS
    first = (ws.documents_dir / "n0.texts").read_bytes()
    corpus.write_text(json.dumps({"id": "n0", "text": TEXTS[0] + " Prices fell."}) + "\n", encoding="utf-8")
    add_documents(ws, [corpus], replace=True)
    assert (ws.documents_dir / "n0.texts").read_bytes() == first  # never rewritten: orphans' offsets point there
    assert ws.document_text("n0") == TEXTS[0] + " Prices fell." and ws.document_text("n1") == TEXTS[1]
    assert (ws.documents_dir / "n0-2.texts").exists()
    assert list(iter_errors(validate_workspace(ws))) == []


@pytest.mark.parametrize("edit", [("offset", 10**20), ("offset", 2**63 - 1), ("bytes", 3 * 10**12)],
                         ids=["offset-beyond-64-bits", "offset-at-the-64-bit-limit", "bytes-of-terabytes"])
def test_a_registry_line_placing_a_text_far_beyond_its_file_is_an_error_not_a_crash(ws, tmp_path, monkeypatch, edit):
    """A hand-edited ``text_at`` naming bytes the file does not have is the text missing, named at
    its line by `validate` and an `Error:` line of every reader: never a traceback, nor an attempt to
    read terabytes."""
    from click.testing import CliRunner

    from tagline.cli import main

    import_file(ws, doccano(tmp_path / "batch.jsonl", TEXTS[:2]), fmt="doccano", annotator="alice")
    field, value = edit
    lines = ws.documents_path.read_bytes().splitlines(keepends=True)
    lines[0] = lines[0].replace(f'"{field}":0'.encode() if field == "offset" else
                                f'"bytes":{len(TEXTS[0].encode())}'.encode(), f'"{field}":{value}'.encode())
    ws.documents_path.write_bytes(b"".join(lines))
    before = {path.name: path.read_bytes() for path in (ws.documents_path, ws.documents_dir / "batch-1.texts")}
    monkeypatch.chdir(ws.root)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "documents.jsonl:1" in result.output, result.output
    result = CliRunner().invoke(main, ["annotate", "export", "--format", "brat", "--annotator", "alice",
                                       "--out", str(tmp_path / "brat")])
    assert result.exit_code == 2 and result.exception is None or isinstance(result.exception, SystemExit), \
        result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "batch-1.texts" in errors[0], result.stderr
    assert not (tmp_path / "brat").exists()
    assert before == {path.name: path.read_bytes() for path in (ws.documents_path, ws.documents_dir / "batch-1.texts")}


def test_a_text_reader_reads_every_text_as_read_text_does_opening_each_file_once(ws, tmp_path, monkeypatch):
    import os

    from tagline.corpus.texts import TextReader

    import_file(ws, doccano(tmp_path / "batch.jsonl", TEXTS), fmt="doccano", annotator="alice")
    (tmp_path / "own.txt").write_text("A document of its own.\n", encoding="utf-8")
    add_documents(ws, [tmp_path / "own.txt"])
    registry = list(ws.documents())
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda path, *args, **kwargs: opened.append(path) or real_open(path, *args, **kwargs))
    with TextReader(ws) as reader:
        assert [reader(doc_id) for doc_id in registry * 2] == [read_text(ws, doc_id) for doc_id in registry * 2]
        assert [Path(path).name for path in opened] == ["batch-1.texts"]  # the .txt is read by read_text
        descriptors = list(reader._files.values())
    for descriptor, _ in descriptors:
        with pytest.raises(OSError):
            os.fstat(descriptor)  # closed


def test_a_text_reader_finds_a_text_file_cut_short(ws, tmp_path):
    from tagline.corpus.texts import TextReader

    import_file(ws, doccano(tmp_path / "batch.jsonl", TEXTS), fmt="doccano", annotator="alice")
    texts_file = ws.documents_dir / "batch-1.texts"
    texts_file.write_bytes(texts_file.read_bytes()[:-3])
    with TextReader(ws) as reader, pytest.raises(FileNotFoundError, match="ends before byte"):
        reader(list(ws.documents())[-1])


def test_validate_refuses_a_sentence_whose_end_is_past_its_document_s_text(ws, tmp_path):
    # document[start:end] is cut short at the text's end: a sentence ending past it covered its text all the same.
    import_file(ws, doccano(tmp_path / "batch.jsonl", TEXTS[:1]), fmt="doccano", annotator="alice")
    lines = ws.sentences_path.read_text(encoding="utf-8").splitlines()
    sentence = json.loads(lines[-1])
    sentence["end"] += 5
    lines[-1] = json.dumps(sentence, ensure_ascii=False)
    ws.sentences_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    messages = [str(problem) for problem in iter_errors(validate_workspace(ws))]
    assert any(f":{len(lines)}: offsets {sentence['start']}:{sentence['end']} do not cover the sentence text" in message
               for message in messages), messages
