"""tagline's spaCy and CoNLL files as the real tools read and write them: DocBin files that spaCy
made, the CoNLL and v2 JSON exports through `python -m spacy convert`, and the CoNLL export through
the `conll` builder of Hugging Face datasets. spaCy is in the `test` extra, so these run in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tagline.annotate.gold import gold_view
from tagline.annotate.interop import export, import_file
from tagline.corpus.tokenize import tokenize
from tagline.corpus.workspace import init_workspace
from tagline.errors import InputError

from conftest import interop_cli as cli

spacy = pytest.importorskip("spacy", reason="spaCy is not installed (it is in the `test` extra)")
from spacy.tokens import Doc, DocBin  # noqa: E402
from spacy.util import get_words_and_spaces  # noqa: E402

# Japanese docs whose entity offsets are code points: an emoji (two UTF-16 units) before entities, an
# ideographic space inside one, a combining mark, an English name in Latin letters.
JA_DOCS = [
    ("梁文峰は😀DeepSeekを杭州で創業した。", [(0, 3, "PERSON"), (5, 13, "ORG"), (14, 16, "GPE")], {}),
    ("東京　ＡＩ研究所(2024年)の発表。", [(0, 8, "ORG"), (9, 14, "DATE")], {}),
    ("ドイツのカ\u3099イド社がJ.K.ローリングと契約。", [(0, 3, "GPE"), (4, 9, "ORG"), (11, 20, "PERSON")], {}),
    ("数字が語る:DeepSeekの利用者は1億人を超えた。", [(6, 14, "ORG")], {"quantity": 1.0, "other_claim": 0.0}),
]


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def make_docbin(path: Path, docs: list[tuple[str, list[tuple[int, int, str]], dict]], *, nlp=None) -> list[Doc]:
    """A DocBin written by spaCy. Without ``nlp``, the docs are made on a blank multi-language
    vocabulary from tagline's MeCab words (spaCy's own Japanese tokenizer needs SudachiPy)."""
    made = []
    for text, entities, cats in docs:
        if nlp is None:
            words, spaces = get_words_and_spaces([text[s:e] for s, e in tokenize(text, "ja")], text)
            doc = Doc(spacy.blank("xx").vocab, words=words, spaces=spaces)
        else:
            doc = nlp(text)
        doc.ents = [doc.char_span(start, end, label=label) for start, end, label in entities]
        doc.cats = dict(cats)
        made.append(doc)
    DocBin(docs=made).to_disk(path)
    return made


def spacy_convert(source: Path, out: Path, *arguments: str) -> str:
    """`python -m spacy convert`, run by the interpreter running the tests; what it printed."""
    out.mkdir(exist_ok=True)
    result = subprocess.run([sys.executable, "-m", "spacy", "convert", *arguments, str(source), str(out)],
                            capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def read_docbin(path: Path) -> list[Doc]:
    return list(DocBin().from_disk(path).get_docs(spacy.blank("xx").vocab))


def entities_of(doc: Doc) -> list[tuple[int, int, str]]:
    return [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]


def gold_spans(workspace) -> dict[str, list[tuple[int, int, str, str]]]:
    texts = {sentence["id"]: sentence["text"] for sentence in workspace.iter_sentences()}
    return {texts[sentence_id]: [(s["start"], s["end"], s["label"], s["text"]) for s in record["value"]["spans"]]
            for (sentence_id, task, _), record in gold_view(workspace).items() if task == "entities"}


def test_a_docbin_spacy_wrote_imports_as_gold_with_the_cli_and_comes_back_through_spacy_convert(tmp_path, monkeypatch):
    docbin = tmp_path / "gold.spacy"
    made = make_docbin(docbin, JA_DOCS)
    workspace = init_workspace(tmp_path / "ws")
    monkeypatch.chdir(workspace.root)
    result = CliRunner().invoke(cli, ["import", str(docbin), "--format", "spacy", "--gold"])
    assert result.exit_code == 0, result.output
    assert "4 new documents" in result.stderr and "answers: 5 gold" in result.stderr
    assert gold_spans(workspace) == {text: [(s, e, label, text[s:e]) for s, e, label in entities]
                                     for text, entities, _ in JA_DOCS}
    claim = [record["value"] for (_, task, _), record in gold_view(workspace).items() if task == "claim_type"]
    assert claim == [{"label": "quantity"}]
    # tagline's spaCy export, made into a DocBin by spaCy itself: the same texts and entities.
    export(workspace, fmt="spacy", gold=True, out=tmp_path / "gold.json")
    printed = spacy_convert(tmp_path / "gold.json", tmp_path / "converted")
    assert "Generated output file (4 documents)" in printed
    again = read_docbin(tmp_path / "converted" / "gold.spacy")
    assert [(doc.text, entities_of(doc)) for doc in again] == [(doc.text, entities_of(doc)) for doc in made]
    assert again[3].cats["quantity"] == 1.0 and again[3].cats["other_claim"] == 0.0


def test_docs_without_ner_annotation_give_no_entity_answer_and_partial_annotation_is_refused(tmp_path):
    workspace = init_workspace(tmp_path / "ws")
    vocab = spacy.blank("xx").vocab
    textcat = Doc(vocab, words=["It", "rained", "."], spaces=[True, False, False])
    textcat.cats = {"quantity": 0.0, "not_claim": 1.0}
    DocBin(docs=[textcat]).to_disk(tmp_path / "cats.spacy")
    summary = import_file(workspace, tmp_path / "cats.spacy", fmt="spacy", as_gold=True)
    assert summary["gold"] == 1
    assert [task for (_, task, _) in gold_view(workspace)] == ["claim_type"]  # not "no entities"

    partial = Doc(vocab, words=["Tokyo", "is", "big"], ents=["B-GPE", "", ""])
    DocBin(docs=[partial]).to_disk(tmp_path / "partial.spacy")
    with pytest.raises(InputError, match=r"partial.spacy doc 1: 2 tokens of 3 have no NER annotation"):
        import_file(workspace, tmp_path / "partial.spacy", fmt="spacy", as_gold=True)


def test_without_spacy_a_docbin_is_refused_with_how_to_convert_it(tmp_path, monkeypatch):
    make_docbin(tmp_path / "gold.spacy", JA_DOCS[:1])
    monkeypatch.setitem(sys.modules, "spacy", None)  # `import spacy` raises ImportError
    workspace = init_workspace(tmp_path / "ws")
    with pytest.raises(InputError, match="only spaCy can read, and spaCy is not installed") as caught:
        import_file(workspace, tmp_path / "gold.spacy", fmt="spacy", as_gold=True)
    assert "JSON Lines" in (caught.value.fix or "")


def test_an_undecodable_text_file_is_not_told_to_use_an_encoding_option_import_lacks(tmp_path):
    workspace = init_workspace(tmp_path / "ws")
    (tmp_path / "bad.conll").write_bytes(b"\x80\x9c\xff O\n")
    with pytest.raises(InputError) as caught:
        import_file(workspace, tmp_path / "bad.conll", annotator="alice")
    assert "--encoding" not in str(caught.value) and "save the file as UTF-8" in str(caught.value)


def test_spacy_blank_ja_docbin_imports(tmp_path):
    pytest.importorskip("sudachipy", reason="spaCy's Japanese tokenizer needs SudachiPy and SudachiDict-core "
                                            "(not in the test extra: the dictionary is 190 MB)")
    docs = [("梁文峰はDeepSeekを杭州で創業した。", [(0, 3, "PERSON"), (4, 12, "ORG"), (13, 15, "GPE")], {})]
    make_docbin(tmp_path / "ja.spacy", docs, nlp=spacy.blank("ja"))
    workspace = init_workspace(tmp_path / "ws")
    import_file(workspace, tmp_path / "ja.spacy", fmt="spacy", as_gold=True)
    assert gold_spans(workspace) == {docs[0][0]: [(0, 3, "PERSON", "梁文峰"), (4, 12, "ORG", "DeepSeek"),
                                                  (13, 15, "GPE", "杭州")]}


@pytest.mark.slow
def test_spacy_convert_reads_every_entity_of_the_conll_export_of_the_sample(sample_workspace, tmp_path):
    summary = export(sample_workspace, fmt="conll", gold=True, out=tmp_path / "gold.conll")
    assert not [warning for warning in summary["warnings"] if "left out" in warning]
    printed = spacy_convert(tmp_path / "gold.conll", tmp_path / "converted", "-c", "ner")
    assert "Generated output file (1 documents)" in printed
    (doc,) = read_docbin(tmp_path / "converted" / "gold.spacy")
    sentences = list(sample_workspace.iter_sentences())
    assert len(list(doc.sents)) == len(sentences)
    by_text = gold_spans(sample_workspace)
    # spaCy's words are tagline's tokens (joined by spaces): each entity is its gold text, word by word.
    read = [[("".join(token.text for token in ent), ent.label_) for ent in sent.ents] for sent in doc.sents]
    expected = [[(text.replace(" ", ""), label) for _, _, label, text in by_text.get(s["text"], [])] for s in sentences]
    assert read == expected
    assert sum(map(len, read)) == sum(map(len, by_text.values())) == 156

    # With `# sent_id` and `# text` lines, spaCy makes '#' words of them: the reason they are not the default.
    export(sample_workspace, fmt="conll", gold=True, out=tmp_path / "comments.conll", conll_comments=True)
    spacy_convert(tmp_path / "comments.conll", tmp_path / "converted", "-c", "ner")
    (doc,) = read_docbin(tmp_path / "converted" / "comments.spacy")
    assert doc[0].text == "#" and doc[1].text == "#"


@pytest.mark.slow
def test_the_conll_builder_of_hugging_face_datasets_reads_the_export(sample_workspace, tmp_path, monkeypatch):
    import datasets

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    export(sample_workspace, fmt="conll", gold=True, out=tmp_path / "gold.conll")
    dataset = datasets.load_dataset("conll", data_files=str(tmp_path / "gold.conll"), split="train",
                                    column_names=["tokens", "ner_tags"], cache_dir=str(tmp_path / "cache"))
    assert dataset.num_rows == sum(1 for _ in sample_workspace.iter_sentences())
    assert dataset[0] == {"tokens": ["中国", "スタートアップ", "DeepSeek", "が", "米国", "AI", "リーダーシップ", "に", "挑戦"],
                          "ner_tags": ["B-GPE", "O", "B-ORG", "O", "B-GPE", "O", "O", "O", "O"]}
    assert sum(tag.startswith("B-") for row in dataset["ner_tags"] for tag in row) == 156  # every gold entity
