"""CoNLL files as other tools write them: MeCab features in a varying number of columns (named with
`--columns`), MeCab's ideographic space as a token, CoNLL-U's SpaceAfter, and text rebuilt from
tokens by language when the file has no `# text` line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tagline.annotate.events import load_view
from tagline.annotate.gold import gold_view
from tagline.annotate.interop import export, import_file
from tagline.corpus.workspace import init_workspace
from tagline.errors import InputError

from conftest import interop_cli as cli
from conftest import require_shared

FIXTURES = Path(__file__).parent / "fixtures"
MECAB = FIXTURES / "mecab_features.iob"  # IPAdic features, 9 of them, or 7 for unknown words
IDEOGRAPHIC_SPACE = "\u3000"


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.fixture
def ws(tmp_path):
    return init_workspace(tmp_path / "ws")


def answers(workspace, annotator: str = "alice") -> dict[str, list[tuple[str, str]]]:
    view = load_view(workspace, annotator)
    return {s["text"]: [(span["text"], span["label"]) for span in view.value(s["id"], "entities")["spans"]]
            for s in workspace.iter_sentences() if view.value(s["id"], "entities") is not None}


MECAB_ANSWERS = {
    "三井住友\u3000フィナンシャルグループはＸＹＺコーポレーションと提携した。":
        [("三井住友\u3000フィナンシャルグループ", "ORG"), ("ＸＹＺコーポレーション", "ORG")],
    "本社は東京都千代田区のＳｕｉｓｅｎビル。": [("東京都千代田区", "GPE"), ("Ｓｕｉｓｅｎビル", "GPE")],
}


def test_mecab_features_in_varying_columns_are_refused_by_default_and_read_with_columns(ws):
    result = CliRunner().invoke(cli, ["import", str(MECAB), "-a", "alice", "-w", str(ws.root)])
    assert result.exit_code == 2
    assert f"Error: {MECAB}:7: 9 columns, but line 1 has 11" in result.stderr
    assert "pass --columns token,...,tag" in result.stderr
    result = CliRunner().invoke(cli, ["import", str(MECAB), "-a", "alice", "-w", str(ws.root),
                                      "--columns", "token,...,tag"])
    assert result.exit_code == 0, result.output
    assert answers(ws) == MECAB_ANSWERS


def test_space_separated_mecab_columns_keep_the_ideographic_space_as_a_token(ws, tmp_path):
    spaced = tmp_path / "spaced.iob"
    spaced.write_text(MECAB.read_text(encoding="utf-8").replace("\t", " "), encoding="utf-8")
    import_file(ws, spaced, fmt="conll", annotator="alice", columns="token,...,tag")
    assert answers(ws) == MECAB_ANSWERS


def test_an_ideographic_space_token_inside_an_entity_is_a_token(ws, tmp_path):
    source = tmp_path / "ja.conll"
    source.write_text(f"三井\tB-ORG\n住友\tI-ORG\n{IDEOGRAPHIC_SPACE}\tI-ORG\n銀行\tI-ORG\nの\tO\n発表\tO\n",
                      encoding="utf-8")
    import_file(ws, source, annotator="alice")
    assert answers(ws) == {"三井住友\u3000銀行の発表": [("三井住友\u3000銀行", "ORG")]}
    # The same with the text given: the space token is aligned to the space, not skipped over.
    source.write_text(f"# text = 三井住友{IDEOGRAPHIC_SPACE}銀行の発表\n" + source.read_text(encoding="utf-8"),
                      encoding="utf-8")
    again = init_workspace(ws.root.parent / "again")
    import_file(again, source, annotator="alice")
    assert answers(again) == answers(ws)


@pytest.mark.parametrize(("columns", "error"), [
    ("token,...,tag,...", "is not a list of column names"),
    ("token,pos tag", "is not a list of column names"),
    ("token,pos", "needs 'tag' exactly once"),
    ("token,tag,token", "needs 'token' exactly once"),
    ("token,pos,tag", f"{MECAB}:1: 11 columns, but --columns token,pos,tag names 3"),
    ("token,...,a,b,c,d,e,f,g,h,tag", f"{MECAB}:7: 9 columns, but --columns token,...,a,b,c,d,e,f,g,h,tag "
                                      "names at least 10"),
])
def test_columns_that_do_not_fit_are_refused(ws, columns, error):
    with pytest.raises(InputError, match=error.replace(".", r"\.").replace("(", r"\(")):
        import_file(ws, MECAB, fmt="conll", annotator="alice", columns=columns)


def test_columns_name_the_columns_of_conll_only(ws, tmp_path):
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"text": "東京", "label": [[0, 2, "GPE"]]}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="--columns names the columns of a CoNLL file, not of doccano"):
        import_file(ws, source, fmt="doccano", annotator="alice", columns="token,...,tag")


def test_conll_u_space_after_and_a_tag_before_other_columns(ws, tmp_path):
    source = tmp_path / "en.conllu"
    source.write_text("1\tTokyo\tNNP\tSpaceAfter=No\tB-GPE\n2\t-\tHYPH\tSpaceAfter=No\tO\n3\tbased\tVBN\t_\tO\n"
                      "4\tSony\tNNP\tSpaceAfter=No\tB-ORG\n5\t.\t.\t_\tO\n", encoding="utf-8")
    import_file(ws, source, fmt="conll", annotator="alice", columns="id,token,pos,misc,tag", lang="en")
    assert answers(ws) == {"Tokyo-based Sony.": [("Tokyo", "GPE"), ("Sony", "ORG")]}
    swapped = tmp_path / "tag-second.iob"
    swapped.write_text("Sony B-ORG NNP\nrose O VBD\n. O .\n", encoding="utf-8")
    import_file(ws, swapped, fmt="conll", annotator="bob", columns="token,tag,...", lang="en")
    assert answers(ws, "bob") == {"Sony rose.": [("Sony", "ORG")]}


def test_japanese_text_is_rebuilt_without_spaces_but_latin_words_keep_theirs(ws):
    """The Stockmark-like case: MeCab tokens of Japanese Wikipedia sentences, without `# text`."""
    result = CliRunner().invoke(cli, ["import", str(FIXTURES / "stockmark_like.conll"), "-a", "alice",
                                      "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    assert answers(ws) == {
        "羅臼岳(1660m)は知床半島にある。": [("羅臼岳", "GPE"), ("知床半島", "GPE")],
        "J.K.ローリングはハリー・ポッターの作者だ。": [("J.K.ローリング", "PERSON"), ("ハリー・ポッター", "PRODUCT")],
        "1980年にはBMW JAPANのサブディーラーとなった。": [("BMW JAPAN", "ORG")],
    }


def test_english_text_is_rebuilt_with_english_spacing(tmp_path):
    workspace = init_workspace(tmp_path / "en", language="en")
    source = tmp_path / "en.conll"
    source.write_text("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\n"
                      "call NN I-NP O\n. . O O\n\nHe PRP B-NP O\ndid VBD B-VP O\nn't RB I-VP O\nsay VB I-VP O\n"
                      "`` `` O O\nhi UH B-INTJ O\n'' '' O O\n( ( O O\nin IN B-PP O\nParis NNP B-NP B-LOC\n) ) O O\n"
                      ". . O O\n", encoding="utf-8")
    import_file(workspace, source, annotator="alice", label_map=_label_map(tmp_path))
    assert answers(workspace) == {"EU rejects German call.": [("EU", "ORG")],
                                  "He didn't say “hi” (in Paris).": [("Paris", "GPE")]}


def _label_map(tmp_path: Path) -> Path:
    path = tmp_path / "labels.json"
    path.write_text(json.dumps({"MISC": "", "LOC": "GPE"}), encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.shared
def test_stockmark_sentences_come_back_from_the_default_conll_export(tmp_path):
    """The real Stockmark test split (535 sentences): through the CoNLL-2003 export, every sentence
    without an ASCII space comes back with its exact text and entities; with `--conll-comments`,
    every sentence does."""
    source = init_workspace(tmp_path / "source")
    import_file(source, require_shared("datasets/stockmark-ner-ja/ner.json"), fmt="stockmark-ner", split="test")

    def gold(workspace) -> list[tuple[str, list]]:
        view = gold_view(workspace)
        return [(s["text"], [(x["text"], x["label"]) for x in view[(s["id"], "entities", None)]["value"]["spans"]])
                for s in workspace.iter_sentences()]

    expected = gold(source)
    for comments in (False, True):
        out = tmp_path / f"gold-{comments}.conll"
        export(source, fmt="conll", gold=True, out=out, conll_comments=comments)
        target = init_workspace(tmp_path / f"target-{comments}")
        import_file(target, out, as_gold=True)
        got = gold(target)
        assert len(got) == len(expected) == 535
        if comments:
            assert got == expected
            continue
        unspaced = [(mine, theirs) for mine, theirs in zip(got, expected) if " " not in theirs[0]]
        assert len(unspaced) == 498 and all(mine == theirs for mine, theirs in unspaced)
        assert sum(mine == theirs for mine, theirs in zip(got, expected)) == 517  # and 19 of the 37 with spaces


@pytest.mark.parametrize("blanks", [" ", "  ", " \t", "\t "])
def test_blanks_at_the_end_of_a_tab_separated_line_are_not_part_of_its_tag(ws, tmp_path, blanks):
    """An editor's trailing blanks: the tag was read as 'O ' and the file refused at that line."""
    source = tmp_path / "trailing.conll"
    source.write_text(f"Apple\tB-ORG{blanks}\nrose\tO{blanks}\n.\tO\n\nNew York\tB-GPE{blanks}\nslept\tO\n",
                      encoding="utf-8")
    import_file(ws, source, annotator="alice", lang="en")
    assert answers(ws) == {"Apple rose.": [("Apple", "ORG")], "New York slept": [("New York", "GPE")]}
