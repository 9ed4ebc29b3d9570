"""Marking entities by keyboard: a cursor that jumps between names and numbers, grows and shrinks,
and marks with a label key; and finding a typed text as a person means it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tagline.annotate.matching import cursor_chunks, find_occurrences
from tagline.annotate.session import (
    ENTER,
    ESCAPE,
    GROW,
    GROW_LEFT,
    LEFT,
    REMOVE,
    SHRINK,
    SHRINK_LEFT,
    TAB,
    SessionModel,
)
from tagline.cli import main

S0067 = "deepseek_ja-s0067"


def _at_entities(workspace, sentence_id: str) -> SessionModel:
    model = SessionModel.open(workspace, "carol")
    model.position = next(i for i, s in enumerate(model.sentences) if s["id"] == sentence_id)
    model.step_index = [step.task for step in model.steps].index("entities")
    return model


def _gold_spans(workspace, sentence_id: str) -> list[tuple[int, int, str]]:
    from tagline.annotate.events import load_view

    value = load_view(workspace, "sample-gold").value(sentence_id, "entities")
    return [(s["start"], s["end"], s["label"]) for s in value["spans"]]


def cursor_keys(model: SessionModel, spans: list[tuple[int, int, str]]) -> list[str]:
    """The keys a person presses to mark ``spans`` with the cursor, seeing where each key would go:
    Tab (unless the cursor is on already) or ← to the nearest stop at or before the span, then the
    start and end a word at a time."""
    keys: list[str] = []

    def press(key: str) -> None:
        keys.append(key)
        model.handle_key(key)

    if model.mode != "cursor":
        press(TAB)
    label_key = {label: key for key, label in model.workspace.config.keys("entities").items()}
    for start, end, label in spans:
        for _ in range(100):
            here = model.selection[0]
            following = model._next_chunk(here)
            if here < start and following is not None and following[0] <= start:
                press(TAB)
            elif here > start and model._previous_chunk(here) is not None:
                press(LEFT)
            else:
                break
        while model.selection[0] > start:
            press(GROW_LEFT)
        while model.selection[0] < start:
            if model.selection[1] <= start or not any(start <= token[0] < model.selection[1]
                                                      for token in model._tokens):
                press(GROW)
            else:
                press(SHRINK_LEFT)
        while model.selection[1] != end:
            press(GROW if model.selection[1] < end else SHRINK)
        press(label_key[label])
    press(ENTER)
    return keys


def test_the_nine_spans_of_s0067_take_at_most_30_keys(sample_workspace):
    model = _at_entities(sample_workspace, S0067)
    gold = _gold_spans(sample_workspace, S0067)
    keys = cursor_keys(model, gold)
    assert len(gold) == 9 and len(keys) <= 30, (len(keys), keys)
    answer = model.answers[S0067][("entities", None)]
    assert [(s["start"], s["end"], s["label"]) for s in answer["spans"]] == gold


def test_the_cursor_stops_at_names_numbers_and_katakana():
    text = "これらの懸念に対応して、OpenAIのCEOであるSam Altman、および5000億ドルをスターゲートに投資する。"
    assert [text[s:e] for s, e in cursor_chunks(text, "ja")] == ["OpenAI", "CEO", "Sam Altman", "5000億ドル",
                                                                "スターゲート"]
    dates = "今後数年間は、三つの分野で2019年以降の勝者が決まる。"  # numerals in kanji start a number too
    assert [dates[s:e] for s, e in cursor_chunks(dates, "ja")] == ["数年間", "三つ", "2019年"]
    english = "Washington officials met Sam Altman of OpenAI on March 3."
    assert [english[s:e] for s, e in cursor_chunks(english, "en")] == ["Washington", "Sam Altman", "OpenAI", "March 3"]


def test_a_marked_span_is_relabelled_grown_shrunk_and_removed_under_the_cursor(sample_workspace):
    model = _at_entities(sample_workspace, S0067)
    model.handle_key(TAB)
    assert model.sentence["text"][slice(*model.selection)] == "OpenAI"
    model.handle_key("p")  # PERSON, then the cursor moves on
    model.handle_key(LEFT)
    model.handle_key("o")  # the same selection again: relabelled
    assert model.message == "marked OpenAI ORG, in place of OpenAI (PERSON)"  # what it replaced, said
    model.handle_key(LEFT)
    model.handle_key(GROW)  # OpenAIの
    model.handle_key("o")
    assert model.message == "marked OpenAIの ORG, in place of OpenAI (ORG)"
    spans = model.spans()
    assert [(s["text"], s["label"]) for s in spans] == [("OpenAIの", "ORG")]
    model.handle_key(LEFT)
    model.handle_key(SHRINK)
    model.handle_key(REMOVE)
    assert model.spans() == [] and "removed 1 span" in model.message


def test_find_ignores_case_and_width_and_english_words_are_whole():
    assert list(find_occurrences("china", "China and CHINA.", "en")) == [(0, 5), (10, 15)]
    assert list(find_occurrences("an", "Jan. annual plan; an", "en")) == [(18, 20)]
    assert list(find_occurrences("deepseek", "ＤｅｅｐＳｅｅｋは", "ja")) == [(0, 8)]
    assert list(find_occurrences("ＯｐｅｎＡＩ", "OpenAIの", "ja")) == [(0, 6)]


def test_label_by_script_matches_the_same_way(tmp_path, monkeypatch):
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(tmp_path / "en", language="en", targets=["China"])
    (tmp_path / "a.txt").write_text("China and Japan signed an annual deal in Jan. with CHINA's partners.\n")
    monkeypatch.chdir(workspace.root)
    runner = CliRunner()
    assert runner.invoke(main, ["corpus", "add", str(tmp_path / "a.txt")]).exit_code == 0
    result = runner.invoke(main, ["annotate", "label", "a-s0001", "-a", "bob", "--entity", "china:GPE", "--json"])
    assert result.exit_code == 0, result.output
    import json

    spans = json.loads(result.stdout)[0]["value"]["spans"]
    assert [(s["text"], s["start"]) for s in spans] == [("China", 0), ("CHINA", 51)]
    result = runner.invoke(main, ["annotate", "label", "a-s0001", "-a", "bob", "--entity", "ann:ORG"])  # in "annual"
    assert result.exit_code == 2 and "does not occur" in result.stderr


@pytest.mark.parametrize("key, expected", [(TAB, "mark OpenAI"), ("x", None)])
def test_the_screen_shows_the_selection_and_its_keys(sample_workspace, key, expected):
    from rich.console import Console

    from tagline.annotate.terminal import render

    model = _at_entities(sample_workspace, S0067)
    model.handle_key(key)
    console = Console(width=120, record=True)
    console.print(render(model, 120, 30))
    screen = console.export_text()
    if expected:
        assert expected in screen and "Tab/→ next" in screen
    else:
        assert "Tab cursor" in screen


def _english_session(workspace, runner, text: str) -> SessionModel:
    source = workspace.root / "news.txt"
    source.write_text(text, encoding="utf-8")
    assert runner.invoke(main, ["corpus", "add", str(source), "--lang", "en"]).exit_code == 0
    return SessionModel.open(workspace, "carol")


def test_after_marking_a_grown_span_the_cursor_moves_past_it_not_into_it(workspace, runner):
    """Marking $35.1 billion from the stop 35.1 moves the cursor to the stop after the span: left on
    35.1, inside the span just marked, the next label key would replace the span by its part."""
    model = _english_session(workspace, runner, "Revenue of $35.1 billion on Tuesday beat estimates.\n")
    model.step_index = [step.task for step in model.steps].index("entities")
    model.handle_key(TAB)
    text = model.sentence["text"]
    while text[slice(*model.selection)] != "35.1":
        model.handle_key(TAB)
    model.handle_key(GROW)
    model.handle_key(GROW_LEFT)
    assert text[slice(*model.selection)] == "$35.1 billion"
    model.handle_key("m")
    assert text[slice(*model.selection)] == "Tuesday"
    model.handle_key("d")
    assert [(s["text"], s["label"]) for s in model.spans()] == [("$35.1 billion", "MONEY"), ("Tuesday", "DATE")]


def test_find_works_from_another_question_as_the_cursor_does(workspace, runner):
    """/ on a stance question finds a span for the entities, as Tab does, and the question stays: it
    was taken for a key that did nothing, and the typed text then answered questions key by key."""
    model = _english_session(workspace, runner, "Nvidia rose on Tuesday.\n")
    assert model.step.task == "stance"
    model.handle_key("/")
    for key in "Nvidia":
        model.handle_key(key)
    model.handle_key(ENTER)
    model.handle_key("o")
    assert [(s["text"], s["label"]) for s in model.spans()] == [("Nvidia", "ORG")]
    assert model.step.task == "stance" and model.mode == "label"
    assert model.current(model.step.slot) is None  # the stance is not answered by the typed text


def test_a_slash_that_is_a_label_key_still_answers_its_question(workspace, runner):
    """A workspace may give `/` to a label (only u s b q x ? are reserved): there it answers, as before."""
    toml = workspace.root / "tagline.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('key = "6"', 'key = "/"'), encoding="utf-8")
    from tagline.corpus.workspace import find_workspace

    model = _english_session(find_workspace(workspace.root), runner, "Nvidia rose on Tuesday.\n")
    assert model.step.task == "stance"
    model.handle_key("/")
    assert model.mode == "label" and model.current(("claim_type", None)) == {"label": "other_claim"}


def test_the_keys_line_keys_work_under_the_cursor(workspace, runner):
    """Under the cursor the keys line offers u undo, ? help, q quit and / find: each does that, where
    each only repeated the cursor's own keys."""
    model = _english_session(workspace, runner, "Nvidia rose on Tuesday.\n")
    model.step_index = [step.task for step in model.steps].index("entities")
    model.handle_key(TAB)
    model.handle_key("o")  # Nvidia ORG, and the cursor goes on
    assert model.mode == "cursor" and [s["text"] for s in model.spans()] == ["Nvidia"]
    model.handle_key("u")
    assert model.spans() == [] and "undone" in model.message
    model.handle_key(TAB)
    model.handle_key("?")
    assert model.mode == "help"
    model.handle_key("x")  # any key goes back, to the cursor
    assert model.mode == "cursor" and model.selection is not None
    model.handle_key("/")
    assert model.mode == "find"
    model.handle_key(ESCAPE)
    model.handle_key(TAB)
    model.handle_key("q")
    assert model.finished
