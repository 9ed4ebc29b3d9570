"""What the session and adjudication screens draw when a sentence is far longer than the terminal:
a window that fits, marks that count what is hidden, and nothing drawn past the screen."""

from __future__ import annotations

import os
import re

import pytest
from rich.cells import cell_len
from rich.console import Console

from tagline.annotate.session import ENTER, MARK_ALL_LIMIT, SessionModel, Step
from tagline.corpus.store import append_records

GIANT = 9_000_000


def giant_text(length: int = GIANT) -> str:
    """Japanese (every character two cells wide) with one 米国 in the middle and a 。 at the end."""
    half = (length - 3) // 2
    return "あ" * half + "米国" + "あ" * (length - 3 - half) + "。"


def model_for(workspace, texts: list[str], *, steps=None) -> SessionModel:
    sentences = [{"id": f"d-s{n:04d}", "doc_id": "d", "text": text} for n, text in enumerate(texts, 1)]
    steps = steps or [Step("stance", "DeepSeek"), Step("claim_type"), Step("entities")]
    return SessionModel(workspace, "alice", sentences, steps, {})


def draw(renderable, width: int) -> list[str]:
    console = Console(width=width, record=True, file=open(os.devnull, "w"), highlight=False)
    console.print(renderable)
    return console.export_text().rstrip("\n").split("\n")


def draw_session(model: SessionModel, width: int, height: int) -> list[str]:
    from tagline.annotate.terminal import render

    shown = draw(render(model, width, height), width)
    assert len(shown) <= height - 1, shown  # the last row stays free for the cursor
    assert all(cell_len(line) <= width for line in shown), shown
    return shown


def sentence_rows(shown: list[str]) -> list[str]:
    """The rows the sentence is drawn in: after the header, the context row and a blank row, up to
    the blank row before the next sentence's context."""
    end = next(number for number, line in enumerate(shown) if line.startswith("› "))
    return shown[3:end - 1]


def drawn_characters(rows: list[str]) -> int:
    return sum(line.count(character) for line in rows for character in "あ米国。")


def hidden(shown: list[str]) -> tuple[int, int]:
    """The characters the marks say are hidden ``(before, after)``; 0 where there is no mark."""
    screen = " ".join(shown)  # a mark may wrap at a space on a narrow screen
    before = re.search(r"([\d,]+)\s+characters\s+before", screen)
    after = re.search(r"…\s+([\d,]+)\s+more\s+characters", screen)
    return (int(before.group(1).replace(",", "")) if before else 0,
            int(after.group(1).replace(",", "")) if after else 0)


@pytest.mark.parametrize("width, height", [(80, 24), (79, 24), (100, 30), (40, 14), (20, 40)])
def test_a_giant_sentence_is_drawn_as_a_window_whose_marks_count_every_hidden_character(workspace, width, height):
    text = giant_text()
    shown = draw_session(model_for(workspace, [text]), width, height)
    before, after = hidden(shown)
    assert before == 0 and after > 0
    # The window is the start of the sentence and the mark counts the rest.
    assert drawn_characters(shown) + after == len(text)
    assert len(shown) >= height - 2  # the window takes the rows the other lines leave, not one of them
    assert shown[0].startswith("tagline · alice") and shown[-1].rstrip().endswith("Tab spans")  # the keys, last


def test_words_are_not_counted_twice_or_lost_in_an_english_giant_sentence(workspace):
    text = "Mark this sentence carefully. " * 300_000
    shown = draw_session(model_for(workspace, [text]), 80, 24)
    _, after = hidden(shown)
    window = " ".join(sentence_rows(shown)).split("…")[0]
    assert window.split() == text[:len(text) - after].split()


def test_the_window_follows_a_found_span_and_highlights_it(workspace):
    from tagline.annotate.terminal import fit_sentence

    text = giant_text()
    middle = text.index("米国")
    model = model_for(workspace, [text], steps=[Step("entities")])
    for key in ["/", *"米国", ENTER]:
        model.handle_key(key)
    assert model.mode == "entity_label" and model.pending == [(middle, middle + 2)]
    shown = draw_session(model, 80, 24)
    assert any("label for 米国" in line for line in shown)
    before, after = hidden(shown)
    assert 0 < before < middle and after > 0
    assert any("米国" in line for line in sentence_rows(shown))
    assert before + drawn_characters(sentence_rows(shown)) + after == len(text)

    model.handle_key("g")  # labelled: the span stays highlighted where the window shows it
    renderable, cut = fit_sentence(text, 80, 10, highlights=[(middle, middle + 2, "reverse green")],
                                   focus=(middle, middle + 2))
    assert cut
    start = renderable.plain.index("米国")
    assert [span.style for span in renderable.spans if span.start <= start < span.end and "reverse" in str(span.style)]


@pytest.mark.parametrize("width, rows", [(100, 22), (80, 10), (79, 3), (20, 5)])
@pytest.mark.parametrize("where", ["end", "near the end", "middle", "whole"])
def test_a_window_around_a_span_shows_it_and_counts_the_rest(where, width, rows):
    from tagline.annotate.terminal import fit_sentence

    text = giant_text()
    focus = {"end": (len(text) - 1, len(text)), "near the end": (len(text) - 300, len(text) - 298),
             "middle": (text.index("米国"), text.index("米国") + 2), "whole": (0, len(text))}[where]
    renderable, cut = fit_sentence(text, width, rows, focus=focus)
    shown = draw(renderable, width)
    before, after = hidden(shown)
    drawn = drawn_characters(shown)
    assert cut and len(shown) <= rows and before + drawn + after == len(text)
    assert before <= focus[0] < before + drawn  # the span starts on the screen
    if where == "end":
        assert shown[-1].endswith("。") and after == 0
        assert len(shown) >= rows - 2  # ending with the text, the window still fills its rows


def test_prompts_spans_and_messages_about_a_giant_span_fit_the_screen(workspace):
    text = giant_text()
    model = model_for(workspace, [text], steps=[Step("entities")])
    for key in ["/", *f"0:{len(text)}", ENTER]:
        model.handle_key(key)
    shown = draw_session(model, 80, 24)
    prompt = next(line for line in shown if "label for" in line)
    assert "…" in prompt
    model.handle_key("o")
    assert model.spans()[0]["end"] == len(text)  # the whole sentence is the span, as asked
    shown = draw_session(model, 80, 24)
    assert any(line.startswith("  1:ああ") and "ORG" in line for line in shown)
    for key in ["x", "1"]:
        model.handle_key(key)
    assert model.message.startswith("removed ああ") and len(model.message) < 60
    draw_session(model, 80, 24)


def test_the_occurrences_of_one_character_among_millions_are_offered_in_a_few_rows(workspace):
    text = giant_text()
    model = model_for(workspace, [text], steps=[Step("entities")])
    for key in ["/", "あ", ENTER]:
        model.handle_key(key)
    shown = draw_session(model, 80, 24)
    screen = " ".join(" ".join(shown).split())
    assert f"(the first 9 of {len(text) - 3:,};" in screen and "[a] all" not in screen
    model.handle_key("a")  # refused, with a message saying why
    draw_session(model, 80, 24)

    many = model_for(workspace, ["米国" * MARK_ALL_LIMIT], steps=[Step("entities")])
    for key in ["/", *"米国", ENTER, "a"]:
        many.handle_key(key)
    shown = draw_session(many, 80, 24)
    prompt = re.search(r"label for ((米国, )+)… ([\d,]+) more:", " ".join(" ".join(shown).split()))
    assert prompt and prompt.group(1).count("米国") + int(prompt.group(3).replace(",", "")) == MARK_ALL_LIMIT
    many.handle_key("g")
    shown = draw_session(many, 80, 24)
    counted = re.search(r"… (\d+) more spans", " ".join(shown))
    listed = len(re.findall(r"\d+:米国 GPE", " ".join(shown)))
    assert counted and listed + int(counted.group(1)) == MARK_ALL_LIMIT


def test_a_giant_neighbour_takes_one_row_of_context(workspace):
    model = model_for(workspace, ["前の文。", giant_text()])
    shown = draw_session(model, 80, 24)
    assert "前の文。" in shown[3] and hidden(shown) == (0, 0)
    following = next(line for line in shown if line.startswith("› "))
    assert following.endswith("…") and cell_len(following) <= 79


def test_sentences_that_fit_are_drawn_whole_without_marks(sample_workspace):
    model = SessionModel.open(sample_workspace, "newcomer")
    for position in range(len(model.sentences)):
        model.position = position
        shown = draw_session(model, 80, 24)
        screen = "\n".join(shown)
        assert "more characters" not in screen and "characters before" not in screen
        flat = re.sub(r"\s", "", "".join(shown))
        assert re.sub(r"\s", "", model.sentence["text"]) in flat


def test_the_adjudication_screen_windows_a_giant_sentence_and_keeps_every_choice(sample_workspace):
    from tagline.annotate.gold import auto_adjudicate
    from tagline.annotate.terminal import AdjudicationSession

    ws = sample_workspace
    for path in ws.annotation_files():
        path.rename(path.with_suffix(".bak"))
    sentence = "deepseek_ja-s0053"
    text = giant_text()
    whole = {"spans": [{"start": 0, "end": len(text), "label": "ORG", "text": text}]}
    many = {"spans": [{"start": n, "end": n + 1, "label": "GPE", "text": "あ"} for n in range(400)]}
    for annotator, label, entities in (("alice", "quantity", whole), ("bob", "other_claim", many)):
        append_records(ws.annotation_path(annotator), [
            {"sentence_id": sentence, "annotator": annotator, "time": "2026-11-28T10:00:00Z",
             "task": "claim_type", "op": "set", "value": {"label": label}},
            {"sentence_id": sentence, "annotator": annotator, "time": "2026-11-28T10:00:00Z",
             "task": "entities", "op": "set", "value": entities}])
    session = AdjudicationSession(ws, list(auto_adjudicate(ws).contested), "judge")
    session.texts[sentence] = text  # as if the corpus held the giant sentence
    for _ in session.items:
        for width, height in ((80, 24), (79, 24), (60, 12)):
            shown = draw(session.render(width, height), width)
            assert len(shown) <= height - 1, shown
            assert all(cell_len(line) <= width for line in shown), shown
            screen = "\n".join(shown)
            assert shown[0].startswith("tagline adjudicate") and "[ ] decides" in screen
            assert "more characters" in screen
            if session.items[session.position].task == "entities":
                # span by span: bob's first span (0:1), then alice's whole-sentence span, then the rest counted
                assert "[1] off あ[0:1]:GPE" in screen and "[2] off ああ" in screen and "ORG" in screen
                assert "more spans" in screen
            else:
                assert "[1] quantity" in screen and "[6] other_claim" in screen
        session.handle_key("s")


def test_fit_sentence_measures_only_the_window(monkeypatch):
    """Measuring a 9-million-character sentence (what made every frame take seconds) never happens:
    every piece of text the screen measures is at most a screenful."""
    import rich._wrap
    import rich.cells
    import rich.text

    from tagline.annotate.terminal import fit_sentence

    measured = []
    real = rich.cells.cell_len

    def spy(text, *args, **kwargs):
        measured.append(len(text))
        return real(text, *args, **kwargs)

    monkeypatch.setattr(rich.text, "cell_len", spy)
    monkeypatch.setattr(rich.cells, "cell_len", spy)
    monkeypatch.setattr(rich._wrap, "cell_len", spy)
    text = giant_text()
    renderable, cut = fit_sentence(text, 80, 20, focus=(text.index("米国"), text.index("米国") + 2))
    assert cut and measured and max(measured) <= 80 * 20 + 100
    assert len(renderable.plain) < 80 * 20


def test_the_terminal_gives_back_the_signal_handlers_it_found():
    import os
    import pty
    import signal

    from tagline.annotate.terminal import Terminal

    def mine(signum, frame):
        pass

    before = {number: signal.signal(number, mine) for number in (signal.SIGWINCH, signal.SIGTERM)}
    primary, secondary = pty.openpty()
    try:
        with open(secondary, "w", closefd=False) as output, Terminal(input_fd=secondary, output=output):
            assert signal.getsignal(signal.SIGTERM) is not mine
        assert signal.getsignal(signal.SIGWINCH) is mine and signal.getsignal(signal.SIGTERM) is mine
    finally:
        os.close(primary)
        os.close(secondary)
        for number, handler in before.items():
            signal.signal(number, handler)


@pytest.mark.parametrize(("width", "height", "labels_shown"), [(80, 24, 7), (60, 18, 1)])
def test_the_help_screen_fits_the_terminal_with_the_labels_of_the_question(workspace, width, height, labels_shown):
    from tagline.annotate.terminal import render

    model = model_for(workspace, ["米国は規制した。"])
    model.step_index = 1  # the claim type: seven labels
    model.handle_key("?")
    rows = draw(render(model, width, height), width)
    assert rows[0] == "Keys" and rows[-1] == "Press any key to go back."
    assert len(rows) <= height - 1 and all(cell_len(row) <= width for row in rows)
    assert sum(1 for row in rows if re.match(r"  \[\d\] ", row)) == labels_shown
    assert any("more labels" in row for row in rows) == (labels_shown < 7)


@pytest.mark.parametrize("width", [80, 60, 40])
def test_a_question_s_keys_are_never_left_at_the_end_of_a_row_without_their_labels(sample_workspace, width):
    model = SessionModel.open(sample_workspace, "newcomer")
    model.step_index = [step.task for step in model.steps].index("claim_type")
    labels = model.workspace.config.keys("claim_type")
    shown = draw_session(model, width, 24)
    for key, label in labels.items():
        assert any(f"[{key}] {label}" in row for row in shown), shown
    assert not any(re.search(r"\[\d\]\s*$", row) for row in shown), shown


def test_the_adjudication_screen_header_and_keys_are_one_row_each_at_80_columns(tmp_path):
    # A stance target of a few words made the header wrap mid-phrase ("(12 left, 0" / "decided)"),
    # and the keys of an entities question wrapped "(saved" / "as you go)".
    from tagline.annotate.gold import auto_adjudicate
    from tagline.annotate.scripted import label_sentence
    from tagline.annotate.terminal import AdjudicationSession
    from tagline.corpus.ingest import add_documents
    from tagline.corpus.workspace import init_workspace

    ws = init_workspace(tmp_path / "news", language="en", targets=["US export controls on AI chips"])
    (tmp_path / "chips.txt").write_text("WASHINGTON: The U.S. Commerce Department announced new limits on "
                                        "the export of advanced AI chips to China on Tuesday.", encoding="utf-8")
    add_documents(ws, [tmp_path / "chips.txt"])
    label_sentence(ws, "chips-s0001", "alice", stance={"US export controls on AI chips": "FAVOR"},
                   entities=["U.S.:GPE", "China:GPE"])
    label_sentence(ws, "chips-s0001", "bob", stance={"US export controls on AI chips": "NONE"}, entities=["China:GPE"])
    session = AdjudicationSession(ws, list(auto_adjudicate(ws).contested), "judge")
    assert [item.task for item in session.items] == ["stance", "entities"]
    for _ in session.items:
        shown = draw(session.render(80, 24), 80)
        assert len(shown) <= 23 and all(cell_len(line) <= 80 for line in shown), shown
        assert shown[0].startswith("tagline adjudicate · judge · ") and "left, 0 decided · chips-s0001" in shown[0]
        assert not shown[1].strip() or "decided" not in shown[1]  # the header is one row
        keys = [row for row, line in enumerate(shown) if "[ ] decides" in line]
        assert len(keys) == 1 and not "".join(shown[keys[0] + 1:]).strip(), shown  # nothing wrapped below
        task = session.items[session.position].task
        assert shown[keys[0]].rstrip().endswith("? help" if task == "entities" else "? help (saved as you go)")
        session.handle_key("s")
