"""Corpus ingest: encodings, line ends, formats, exact offsets, stable ids, replacement."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagline.corpus.ingest import add_documents
from tagline.corpus.readers import decode
from tagline.corpus.sample import sample_article_path
from tagline.corpus.store import append_records, read_records
from tagline.errors import ConflictError, InputError

ARTICLE = sample_article_path().read_text(encoding="utf-8")


def sentences(ws, doc_id=None):
    return [r for r in read_records(ws.sentences_path) if doc_id is None or r["doc_id"] == doc_id]


def assert_offsets_exact(ws):
    for record in sentences(ws):
        assert ws.document_text(record["doc_id"])[record["start"]:record["end"]] == record["text"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "shift_jis", "cp932", "euc_jp"])
def test_encodings_give_identical_sentences(workspace, tmp_path, encoding):
    utf8 = tmp_path / "a.txt"
    utf8.write_text(ARTICLE, encoding="utf-8")
    other = tmp_path / f"b-{encoding}.txt"
    other.write_bytes(ARTICLE.encode(encoding))
    add_documents(workspace, [utf8], doc_id="a")
    report = add_documents(workspace, [other], doc_id="b")
    texts_a = [r["text"] for r in sentences(workspace, "a")]
    texts_b = [r["text"] for r in sentences(workspace, "b")]
    assert texts_a == texts_b and len(texts_a) == 77
    assert report.added[0]["encoding"] in {"utf-8", "utf-8-sig", "cp932", "euc_jp"}
    assert_offsets_exact(workspace)


def test_crlf_and_cr_line_ends_keep_offsets_exact(workspace, tmp_path):
    for name, newline in (("crlf", "\r\n"), ("cr", "\r")):
        path = tmp_path / f"{name}.txt"
        path.write_bytes(ARTICLE.replace("\n", newline).encode("utf-8"))
        add_documents(workspace, [path])
        assert [r["text"] for r in sentences(workspace, name)] == [r.strip() for r in _gold()]
    assert workspace.document_text("crlf").count("\r\n") == ARTICLE.count("\n")
    assert_offsets_exact(workspace)


def _gold():
    from tagline.corpus.sample import sample_gold_sentences

    return sample_gold_sentences()


def test_undecodable_input_names_the_byte_offset(workspace, tmp_path):
    path = tmp_path / "broken.txt"
    path.write_bytes("正しい文。".encode() + b"\xff\xfe\xfa\xfb")
    with pytest.raises(InputError) as raised:
        add_documents(workspace, [path])
    assert "byte offset 15" in raised.value.what and raised.value.where == str(path)
    assert sentences(workspace) == []


def test_explicit_wrong_encoding_is_refused(tmp_path):
    with pytest.raises(InputError, match="byte offset 0"):
        decode("日本".encode(), source="x.txt", encoding="euc_jp")


def test_readding_unchanged_is_a_noop_and_changed_is_refused(workspace, tmp_path):
    path = tmp_path / "doc.txt"
    path.write_text("最初の文。二番目の文。", encoding="utf-8")
    add_documents(workspace, [path])
    before = workspace.sentences_path.read_bytes()
    report = add_documents(workspace, [path])
    assert report.unchanged == ["doc"] and workspace.sentences_path.read_bytes() == before
    path.write_text("最初の文。書き換えた文。", encoding="utf-8")
    with pytest.raises(ConflictError, match="--replace"):
        add_documents(workspace, [path])
    assert workspace.sentences_path.read_bytes() == before


def test_replace_keeps_ids_of_unchanged_sentences_and_reports_orphans(workspace, tmp_path):
    path = tmp_path / "doc.txt"
    path.write_text("一。二。三。四。", encoding="utf-8")
    add_documents(workspace, [path])
    annotation = {"sentence_id": "doc-s0002", "annotator": "alice", "time": "2026-01-01T00:00:00Z",
                  "task": "claim_type", "op": "set", "value": {"label": "not_claim"}}
    append_records(workspace.annotation_path("alice"), [annotation])
    annotations_before = workspace.annotation_path("alice").read_bytes()

    path.write_text("零。一。三。四。五。", encoding="utf-8")
    report = add_documents(workspace, [path], replace=True)
    by_text = {r["text"]: r["id"] for r in sentences(workspace, "doc")}
    assert by_text["一。"] == "doc-s0001" and by_text["三。"] == "doc-s0003" and by_text["四。"] == "doc-s0004"
    assert by_text["零。"] == "doc-s0005" and by_text["五。"] == "doc-s0006"  # new numbers, never reused
    assert [r["index"] for r in sentences(workspace, "doc")] == [1, 2, 3, 4, 5]
    assert report.replaced[0]["orphaned"] == ["doc-s0002"]
    assert report.replaced[0]["orphaned_annotated"] == ["doc-s0002"]
    assert workspace.annotation_path("alice").read_bytes() == annotations_before
    assert [r["id"] for r in read_records(workspace.root / "orphaned.jsonl")] == ["doc-s0002"]
    assert list(workspace.root.glob("sentences.jsonl.*.bak"))  # the old file is kept

    path.write_text("二。", encoding="utf-8")  # "二。" comes back: it must not reuse s0002
    add_documents(workspace, [path], replace=True)
    assert [r["id"] for r in sentences(workspace, "doc")] == ["doc-s0007"]
    assert_offsets_exact(workspace)


def test_all_or_nothing_when_one_file_is_bad(workspace, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("良い文。", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xff\xff")
    with pytest.raises(InputError):
        add_documents(workspace, [good, bad])
    assert sentences(workspace) == [] and workspace.documents() == {}


def test_jsonl_and_csv_documents_with_ids_lang_and_split(workspace, tmp_path):
    jsonl = tmp_path / "news.jsonl"
    jsonl.write_text(
        '{"id": "n1", "text": "DeepSeek released R1. It was cheap.", "lang": "en", "split": "train", "source": "x"}\n'
        '\n{"text": "米国は規制した。"}\n', encoding="utf-8")
    csv_path = tmp_path / "more.csv"
    csv_path.write_text('id,text,split\nc1,"Hello, world. Bye.",test\n', encoding="utf-8")
    add_documents(workspace, [jsonl, csv_path], lang="auto")
    records = {r["id"]: r for r in sentences(workspace)}
    assert records["n1-s0001"]["text"] == "DeepSeek released R1." and records["n1-s0002"]["split"] == "train"
    assert records["news-3-s0001"]["lang"] == "ja"
    assert records["c1-s0001"]["text"] == "Hello, world." and records["c1-s0002"]["split"] == "test"
    assert workspace.documents()["n1"]["meta"] == {"source": "x"}
    assert_offsets_exact(workspace)


def test_jsonl_record_without_text_names_the_line(workspace, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok."}\n{"body": "no text"}\n', encoding="utf-8")
    with pytest.raises(InputError) as raised:
        add_documents(workspace, [path])
    assert raised.value.where == f"{path}:2"


def test_markdown_markers_stay_outside_sentences(workspace, tmp_path):
    path = tmp_path / "note.md"
    path.write_text("# 見出し\n\n- 箇条書きの文。\n> 引用の文。\n\n---\n", encoding="utf-8")
    add_documents(workspace, [path])
    assert [r["text"] for r in sentences(workspace)] == ["見出し", "箇条書きの文。", "引用の文。"]
    assert_offsets_exact(workspace)


def test_a_list_marker_is_outside_the_sentence_in_a_text_file_as_in_markdown(workspace, tmp_path):
    body = "Results:\n1. Sales rose 5% in May.\n2) Costs fell. They were high.\n  - Nvidia gained.\n"
    for name in ("plain.txt", "marked.md"):
        (tmp_path / name).write_text(body, encoding="utf-8")
    add_documents(workspace, [tmp_path / "plain.txt", tmp_path / "marked.md"], lang="en")
    expected = ["Results:", "Sales rose 5% in May.", "Costs fell.", "They were high.", "Nvidia gained."]
    assert [r["text"] for r in sentences(workspace, "plain")] == expected
    assert [r["text"] for r in sentences(workspace, "marked")] == expected
    (tmp_path / "ranked.txt").write_text("It ranked No. 1. 2. Then sales fell.\n", encoding="utf-8")
    add_documents(workspace, [tmp_path / "ranked.txt"], lang="en")  # a number in mid-line is no list marker
    assert [r["text"] for r in sentences(workspace, "ranked")] == ["It ranked No. 1.", "2. Then sales fell."]
    assert_offsets_exact(workspace)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["文です。", "見出し", "「引用。」と言った。", "\n", "\r\n", " ", "😀", "A.", "e\u0301"]),
                min_size=1, max_size=30).map("".join).filter(lambda t: t.strip()))
def test_property_document_slice_equals_sentence_text(workspace, tmp_path_factory, text):
    directory = tmp_path_factory.mktemp("docs")
    path = directory / "p.txt"
    path.write_bytes(text.encode("utf-8"))
    doc_id = f"p{abs(hash(text)) % 10**9}"
    if doc_id in workspace.documents():
        return
    add_documents(workspace, [path], doc_id=doc_id)
    for record in sentences(workspace, doc_id):
        assert text[record["start"]:record["end"]] == record["text"]
    assert orjson.loads(workspace.documents_path.read_bytes().splitlines()[-1])["doc_id"] == doc_id
