"""Exports stream: the same bytes a few sentences at a time as all at once, JSON as ``json.dumps``
writes it, answers to sentences no longer in the corpus change nothing, a spaCy document whose
sentences are apart is still one document, and brat's folder is written all or nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tagline.annotate.events import make_event
from tagline.annotate.formats import common
from tagline.annotate.formats.registry import BY_NAME, EXPORT_FORMATS
from tagline.annotate.interop import export
from tagline.corpus import new_folder
from tagline.corpus.store import append_records
from tagline.errors import ConflictError

FILE_FORMATS = [fmt for fmt in EXPORT_FORMATS if not BY_NAME[fmt].folder]


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    monkeypatch.setattr(new_folder, "sync_file_system", lambda path: None)


def _content(workspace, fmt: str, **options) -> str:
    return export(workspace, fmt=fmt, gold=True, **options)["content"]


@pytest.mark.parametrize("fmt", FILE_FORMATS)
def test_a_sentence_at_a_time_writes_what_a_thousand_at_a_time_write(sample_workspace, monkeypatch, fmt):
    whole = _content(sample_workspace, fmt)
    monkeypatch.setattr(common, "CHUNK", 1)
    assert _content(sample_workspace, fmt) == whole
    monkeypatch.setattr(common, "CHUNK", 3)
    assert _content(sample_workspace, fmt) == whole


@pytest.mark.parametrize("fmt", ["label-studio", "spacy"])
def test_the_json_files_are_written_as_json_dumps_writes_them(sample_workspace, monkeypatch, fmt):
    monkeypatch.setattr(common, "CHUNK", 2)
    content = _content(sample_workspace, fmt)
    assert content == json.dumps(json.loads(content), ensure_ascii=False, indent=1) + "\n"


@pytest.mark.parametrize("fmt", ["doccano", "prodigy"])
def test_the_json_lines_are_written_as_json_dumps_writes_them(sample_workspace, fmt):
    lines = _content(sample_workspace, fmt).splitlines()
    assert lines and lines == [json.dumps(json.loads(line), ensure_ascii=False) for line in lines]


def _answered(workspace, events: list[dict]) -> None:
    append_records(workspace.annotation_path("ann"), events)


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_answers_to_sentences_no_longer_in_the_corpus_change_nothing(sample_workspace, tmp_path, fmt):
    sentence = next(iter(sample_workspace.iter_sentences()))
    text = sentence["text"]
    _answered(sample_workspace, [
        make_event(sentence["id"], "ann", "entities", {"spans": [{"start": 0, "end": 2, "label": "ORG",
                                                                  "text": text[:2]}]}),
        make_event(sentence["id"], "ann", "claim_type", {"label": "quantity"})])
    before = export(sample_workspace, fmt=fmt, annotator="ann", out=tmp_path / "before")
    # Answers to a sentence that is gone, with a label and a stance target no other answer has.
    _answered(sample_workspace, [
        make_event("gone-s0001", "ann", "entities", {"spans": [{"start": 0, "end": 2, "label": "ODD", "text": "ab"}]}),
        make_event("gone-s0001", "ann", "stance", {"target": "Elsewhere", "label": "FAVOR"})])
    after = export(sample_workspace, fmt=fmt, annotator="ann", out=tmp_path / "after")
    assert after["warnings"] == ["1 sentence with answers no longer in sentences.jsonl (orphaned when their "
                                 "documents were replaced) not exported", *before["warnings"]]
    assert (after["answers"], after["records"], after["sentences"]) == \
        (before["answers"], before["records"], before["sentences"])
    assert _files(tmp_path / "after") == _files(tmp_path / "before")


def _files(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {child.name: child.read_bytes() for child in sorted(path.iterdir())}
    return {"": path.read_bytes(), **{companion.name[len(path.name):]: companion.read_bytes()
                                      for companion in path.parent.glob(path.name + ".*")}}


def test_a_spacy_document_whose_sentences_are_apart_is_still_one_document(sample_workspace, tmp_path):
    path = sample_workspace.sentences_path
    lines = path.read_bytes().splitlines(keepends=True)
    moved = json.loads(lines[1])
    moved.update(doc_id="other", id="other-s0001", index=1)
    (sample_workspace.root / "documents" / "other.txt").write_text(moved["text"], encoding="utf-8")
    moved.update(start=0, end=len(moved["text"]))
    # A sentence of another document between the sample's first two sentences.
    path.write_bytes(lines[0] + (json.dumps(moved, ensure_ascii=False) + "\n").encode() + b"".join(lines[1:]))
    documents = json.loads(_content(sample_workspace, "spacy"))
    assert [document["id"] for document in documents] == [0, 1]
    assert [len(document["paragraphs"]) for document in documents] == [len(lines), 1]
    assert [paragraph["tagline_sentence_id"] for paragraph in documents[0]["paragraphs"]] == \
        [json.loads(line)["id"] for line in lines]


def test_brat_never_writes_over_a_file_made_in_its_folder_meanwhile(sample_workspace, tmp_path, monkeypatch):
    from tagline.corpus.transaction import Transaction

    folder = tmp_path / "brat"
    folder.mkdir()  # an existing folder: its files are written one by one
    write_texts = Transaction.write_texts

    def made_meanwhile(transaction, items):
        (folder / "annotation.conf").write_text("another program's")
        return write_texts(transaction, items)

    monkeypatch.setattr(Transaction, "write_texts", made_meanwhile)
    with pytest.raises(ConflictError, match="made by another program meanwhile"):
        export(sample_workspace, fmt="brat", gold=True, out=folder)
    assert [path.name for path in folder.iterdir()] == ["annotation.conf"]
    assert (folder / "annotation.conf").read_text() == "another program's"


def test_brat_never_takes_a_new_folder_made_meanwhile_by_another_program(sample_workspace, tmp_path, monkeypatch):
    folder = tmp_path / "exports" / "brat"

    def made_meanwhile(path):
        folder.mkdir(parents=True)
        (folder / "annotation.conf").write_text("another program's")

    monkeypatch.setattr(new_folder, "sync_file_system", made_meanwhile)
    with pytest.raises(ConflictError, match="made by another program meanwhile"):
        export(sample_workspace, fmt="brat", gold=True, out=folder)
    assert [path.name for path in folder.iterdir()] == ["annotation.conf"]
    assert (folder / "annotation.conf").read_text() == "another program's"
    assert [path.name for path in folder.parent.iterdir()] == ["brat"]  # the hidden folder removed


def test_brat_writes_the_same_files_into_a_new_folder_and_an_existing_one(sample_workspace, tmp_path):
    new, existing = tmp_path / "exports" / "new", tmp_path / "exports" / "existing"
    existing.mkdir(parents=True)
    for folder in (new, existing):
        export(sample_workspace, fmt="brat", gold=True, out=folder)
    assert _files(new) == _files(existing) and len(_files(new)) > 2
    assert new.stat().st_mode == existing.stat().st_mode
    assert sorted(path.name for path in new.parent.iterdir()) == ["existing", "new"]


def test_brat_force_never_writes_through_a_link_to_a_workspace_file(sample_workspace, tmp_path):
    folder = tmp_path / "brat"
    folder.mkdir()
    answers = sample_workspace.annotation_files()[0]
    before = answers.read_bytes()
    (folder / "annotation.conf").symlink_to(answers)
    with pytest.raises(ConflictError, match="manages"):
        export(sample_workspace, fmt="brat", gold=True, out=folder, force=True)
    assert answers.read_bytes() == before
    assert [path.name for path in folder.iterdir()] == ["annotation.conf"]


@pytest.mark.parametrize("text", ['He said "no" \\ then\tleft', "a\u3000b  c\nd", "emoji 🙂 and \x01 control", " lead"])
def test_a_prodigy_entity_record_is_the_line_json_dumps_writes_for_its_dict(text):
    from tagline.annotate.formats.prodigy import _entity_line, _tokens

    first = text.split()[0]
    start = text.index(first)
    spans = [{"start": start, "end": start + len(first), "text": first, "label": "ORG"},
             {"start": 0, "end": len(text), "text": text, "label": "EVENT"}]
    record = {"text": text, "meta": {"sentence_id": "d-s0001"}, "_annotator_id": "alice"}
    line = _entity_line(dict(record), {"id": "d-s0001", "text": text, "lang": "en"}, spans)
    decoded = json.loads(line)
    tokens = [{"text": text[s:e], "start": s, "end": e, "id": i, "ws": ws}
              for i, (s, e, ws) in enumerate(_tokens(text, "en", spans))]
    assert decoded["tokens"] == tokens and "".join(t["text"] + " " * t["ws"] for t in tokens) == text
    assert list(decoded) == ["text", "meta", "_input_hash", "_task_hash", "_annotator_id", "tokens", "spans", "_view_id", "answer"]
    assert line == json.dumps(decoded, ensure_ascii=False)


@pytest.mark.parametrize("words", [3, 2500])  # a sentence past the offsets whose text is made once (4,096)
def test_a_prodigy_evenly_spaced_sentence_is_written_as_its_tokens_one_by_one_are(words):
    from tagline.annotate.formats.prodigy import _entity_line, _tokens

    text = " ".join(["Acme", "Corp's", "profits,", "rose"] * words) + "."
    spans = [{"start": 0, "end": 4, "text": "Acme", "label": "ORG"},
             {"start": len(text) - 5, "end": len(text) - 1, "text": "rose", "label": "EVENT"}]
    record = {"text": text, "meta": {"sentence_id": "d-s0001"}}
    decoded = json.loads(_entity_line(dict(record), {"id": "d-s0001", "text": text, "lang": "en"}, spans))
    assert decoded["tokens"] == [{"text": text[s:e], "start": s, "end": e, "id": i, "ws": ws}
                                 for i, (s, e, ws) in enumerate(_tokens(text, "en", spans))]
    assert [(span["token_start"], span["token_end"]) for span in decoded["spans"]] == \
        [(0, 0), (len(decoded["tokens"]) - 2, len(decoded["tokens"]) - 2)]


def test_a_spacy_paragraph_of_more_words_than_its_token_heads_are_made_for_is_json_dumps():
    from tagline.annotate.formats import spacy_tokens
    from tagline.annotate.formats.tokens import evenly_spaced_words

    text = " ".join(["Acme", "Corp's", "profits,", "rose"] * 400) + "."  # 2,000 tokens, beyond the 1,024 made once
    words, _ = evenly_spaced_words(text, "en", set())
    tokens = spacy_tokens.usual_tokens(text, "en", None)
    assert tokens is not None
    decoded = json.loads(tokens)
    assert [token["id"] for token in decoded] == list(range(len(words)))
    assert "".join(token["orth"] + token["space"] for token in decoded) == text
    wrapped: object = decoded
    for _ in range(6):  # the depth of a paragraph's tokens in the file
        wrapped = [wrapped]
    opened = "".join(" " * level + "[\n" for level in range(6))
    closed = "".join("\n" + " " * level + "]" for level in reversed(range(6)))
    assert opened + " " * 6 + tokens + closed == json.dumps(wrapped, ensure_ascii=False, indent=1)


@given(st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), st.sampled_from(["ORG", "PER"])), max_size=5))
def test_a_spacy_evenly_spaced_sentence_is_tagged_as_its_words_tags_are_encoded(picked):
    from tagline.annotate.formats import spacy_tokens
    from tagline.annotate.formats.tokens import encode_tags, evenly_spaced_words, flat_spans, word_spans

    text = "Acme Corp's profits, said Li Wei of Acme, rose (again) by $5."
    words, starts = evenly_spaced_words(text, "en", set())
    # Spans on words and off them (inside a word, across a space), kept apart as an export keeps them.
    ends = [start + len(word.rstrip()) for start, word in zip(starts, words)]
    spans = [{"start": starts[a] + (a == 11), "end": ends[max(a, b)] - (b == 11), "label": label}
             for a, b, label in picked]
    spans = flat_spans(sorted(spans, key=lambda span: (span["start"], -span["end"])))[0]
    tokens, on_words = spacy_tokens.usual_tokens(text, "en", spans), word_spans(words, starts, spans)
    if len(on_words) < len(spans):  # a span off the words: the tokens are cut there, the long way
        assert tokens is None
    else:
        assert tokens is not None
        assert [token["ner"] for token in json.loads(tokens)] == encode_tags(len(words), on_words, "biluo")


@pytest.mark.parametrize("fmt", ["conll", "brat"])
def test_an_export_runs_without_cyclic_garbage_collection_and_turns_it_back_on(sample_workspace, monkeypatch,
                                                                               tmp_path, fmt):
    import gc

    seen = []
    spec = BY_NAME[fmt]
    writer = spec.load_writer()

    def watched(data, out):
        seen.append(gc.isenabled())
        return writer(data, out)

    monkeypatch.setattr(type(spec), "load_writer", lambda self: watched)
    assert gc.isenabled()
    export(sample_workspace, fmt=fmt, gold=True, out=tmp_path / "out")
    assert seen == [False] and gc.isenabled()
    with pytest.raises(ConflictError):  # the folder or file is there now
        export(sample_workspace, fmt=fmt, gold=True, out=tmp_path / "out")
    assert gc.isenabled()
