"""The annotation session through a real pseudo-terminal: keys in, screen out, answers on disk."""

from __future__ import annotations

import json
import os
import signal
import sys

import pexpect
import pytest

from tagline.annotate.events import fold_events
from tagline.corpus.store import read_records


def spawn(workspace, annotator="alice", *extra, rows=24, cols=80):
    env = {**os.environ, "TERM": "xterm-256color", "TAGLINE_WORKSPACE": str(workspace.root)}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "tagline", "annotate", "--annotator", annotator, *extra],
                          cwd=str(workspace.root), env=env, dimensions=(rows, cols), encoding="utf-8", timeout=20)
    return child


def events(workspace, annotator="alice"):
    path = workspace.annotation_path(annotator)
    return list(read_records(path)) if path.exists() else []


def answer_sentence(child, keys: str, next_header: str):
    """Press stance, stance, claim keys, then Enter on the entities step; wait for the next sentence."""
    for key in keys:
        child.send(key)
    child.send("\r")
    child.expect_exact(next_header)


def test_label_quit_and_resume(sample_workspace):
    child = spawn(sample_workspace)
    child.expect_exact("deepseek_ja-s0001 (1/77)")
    child.expect_exact("stance toward DeepSeek")
    answer_sentence(child, "fn0", "deepseek_ja-s0002 (2/77)")
    answer_sentence(child, "nn0", "deepseek_ja-s0003 (3/77)")
    child.send("a")
    child.expect_exact("stance toward US AI policy")
    child.send("q")
    child.expect_exact("answers written this session")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    recorded = events(sample_workspace)
    assert [(e["sentence_id"], e["task"], e["value"].get("label") if e["value"] else None) for e in recorded[:4]] == [
        ("deepseek_ja-s0001", "stance", "FAVOR"), ("deepseek_ja-s0001", "stance", "NONE"),
        ("deepseek_ja-s0001", "claim_type", "not_claim"), ("deepseek_ja-s0001", "entities", None)]
    assert recorded[3]["value"] == {"spans": []} and len(recorded) == 9
    assert all(e["source"] == "terminal" for e in recorded)

    child = spawn(sample_workspace)
    child.expect_exact("deepseek_ja-s0003 (3/77)")  # resumes at the first unfinished sentence
    child.expect_exact("stance toward US AI policy")  # ... and at its first unanswered question
    child.expect_exact("2/77 done")
    child.send("q")
    child.expect(pexpect.EOF)


def test_kill_minus_nine_loses_nothing_already_answered(sample_workspace):
    child = spawn(sample_workspace)
    child.expect_exact("(1/77)")
    answer_sentence(child, "fa1", "(2/77)")
    child.send("n")
    child.expect_exact("stance toward US AI policy")
    os.kill(child.pid, signal.SIGKILL)
    child.expect(pexpect.EOF)
    child.close()
    recorded = events(sample_workspace)
    assert len(recorded) == 5  # 4 answers for s0001, 1 for s0002: every answered key is on disk
    view = fold_events(recorded)
    assert view["deepseek_ja-s0002"] == {("stance", "DeepSeek"): {"target": "DeepSeek", "label": "NONE"}}

    child = spawn(sample_workspace)
    child.expect_exact("(2/77)")
    child.expect_exact("stance toward US AI policy")
    child.send("q")
    child.expect(pexpect.EOF)


def test_undo_is_an_event_and_returns_to_the_question(sample_workspace):
    child = spawn(sample_workspace)
    child.expect_exact("stance toward DeepSeek")
    child.send("f")
    child.expect_exact("stance toward US AI policy")
    child.send("u")
    child.expect_exact("undone: stance toward DeepSeek")
    child.send("q")
    child.expect(pexpect.EOF)
    recorded = events(sample_workspace)
    assert [e["op"] for e in recorded] == ["set", "retract"]
    assert fold_events(recorded) == {"deepseek_ja-s0001": {}}


def test_a_claim_key_on_a_stance_question_answers_the_claim_type_out_of_turn(sample_workspace):
    child = spawn(sample_workspace)
    child.expect_exact("stance toward DeepSeek")
    child.send("6")
    child.expect_exact("claim type: other_claim")  # said, and shown among the answers
    child.send("f")
    child.expect_exact("stance toward US AI policy")
    child.send("n")
    child.expect_exact("entities: / to find a span")  # the claim type is not asked again
    child.send("\r")
    child.expect_exact("deepseek_ja-s0002 (2/77)")
    child.send("q")
    child.expect(pexpect.EOF)
    assert fold_events(events(sample_workspace))["deepseek_ja-s0001"] == {
        ("claim_type", None): {"label": "other_claim"},
        ("stance", "DeepSeek"): {"target": "DeepSeek", "label": "FAVOR"},
        ("stance", "US AI policy"): {"target": "US AI policy", "label": "NONE"},
        ("entities", None): {"spans": []}}


def test_entities_by_surface_text_and_label_key(sample_workspace):
    child = spawn(sample_workspace, "alice", "--task", "entities")
    child.expect_exact("entities: / to find a span")
    child.send("/")
    child.expect_exact("find (text or START:END")
    child.send("DeepSeek\r")
    child.expect_exact("label for DeepSeek")
    child.send("o")
    child.expect_exact("added 1 ORG span")
    child.send("/")
    child.send("米国\r")
    child.send("g")
    child.expect_exact("added 1 GPE span")
    child.send("x")
    child.send("2")
    child.expect_exact("removed 米国 (GPE)")
    child.send("\r")
    child.expect_exact("deepseek_ja-s0002 (2/77)")
    child.send("q")
    child.expect(pexpect.EOF)
    recorded = events(sample_workspace)
    assert recorded[-1]["value"] == {"spans": [{"start": 9, "end": 17, "label": "ORG", "text": "DeepSeek"}]}
    assert len(recorded) == 3


def test_find_on_a_stance_question_marks_a_span_and_the_typed_text_answers_nothing(sample_workspace):
    """/ then a name typed on a stance question finds the span: the letters of the name (n, a, f
    are stance keys, 6 a claim-type key) are not taken as answers."""
    child = spawn(sample_workspace)
    child.expect_exact("stance toward DeepSeek")
    child.send("/")
    child.expect_exact("find (text or START:END")
    child.send("DeepSeek\r")
    child.expect_exact("label for DeepSeek")
    child.send("o")
    child.expect_exact("added 1 ORG span")
    child.send("q")
    child.expect(pexpect.EOF)
    assert [(event["task"], event["value"]) for event in events(sample_workspace)] == [
        ("entities", {"spans": [{"start": 9, "end": 17, "label": "ORG", "text": "DeepSeek"}]})]


def test_annotators_do_not_see_each_others_answers(sample_workspace):
    # sample-gold has answered everything; a new annotator starts from scratch at sentence 1.
    child = spawn(sample_workspace, "newcomer")
    child.expect_exact("(1/77)")
    child.expect(r"DeepSeek: (\x1b\[[0-9;]*m)*–")  # no answer shown, though sample-gold has one
    child.expect_exact("0/77 done")
    child.send("q")
    child.expect(pexpect.EOF)


def test_resize_redraws_and_sigterm_leaves_answers(sample_workspace):
    child = spawn(sample_workspace, rows=24, cols=80)
    child.expect_exact("(1/77)")
    child.send("f")
    child.expect_exact("stance toward US AI policy")
    child.setwinsize(30, 120)
    child.expect_exact("(1/77)")  # redrawn after SIGWINCH
    child.expect_exact("stance toward US AI policy")
    child.kill(signal.SIGTERM)
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus is None and child.exitstatus != 0
    assert len(events(sample_workspace)) == 1


def test_session_refuses_without_a_terminal(runner, sample_workspace):
    from tagline.cli import main

    result = runner.invoke(main, ["annotate", "--annotator", "alice"])
    assert result.exit_code == 2 and "needs a terminal" in result.stderr


def test_without_stance_targets_the_session_asks_the_other_questions_and_says_why(tmp_path):
    from tagline.corpus.ingest import add_documents
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(tmp_path / "plain", language="en")  # no --target, no --sample: no targets
    (tmp_path / "a.txt").write_text("Prices rose by 5 percent. Nvidia will grow.\n", encoding="utf-8")
    add_documents(workspace, [tmp_path / "a.txt"])
    child = spawn(workspace)
    child.expect_exact("a-s0001 (1/2)")
    child.expect_exact("not_claim")  # the claim type question comes first
    child.expect_exact("Stance is not asked: the workspace has no stance targets")
    answer_sentence(child, "1", "a-s0002 (2/2)")  # quantity, then Enter: no entities
    child.send("q")
    child.expect_exact("1/2 sentences complete")
    child.expect_exact("Stance is not asked")  # said again when the session ends
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert [(e["task"], e["value"]) for e in events(workspace)] == [
        ("claim_type", {"label": "quantity"}), ("entities", {"spans": []})]

    child = spawn(workspace, "alice", "--task", "stance")  # asked for by name, stance is refused
    child.expect_exact("stance has no targets in this workspace (list them in tagline.toml under [tasks.stance]")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2 and len(events(workspace)) == 2


def test_ctrl_c_keeps_answers_and_restores_the_terminal(sample_workspace):
    child = spawn(sample_workspace)
    child.expect_exact("(1/77)")
    child.send("f")
    child.expect_exact("stance toward US AI policy")
    child.sendintr()
    child.expect_exact("Interrupted.")
    child.expect_exact("1 answer written this session")
    child.expect(pexpect.EOF)
    child.close()
    assert len(events(sample_workspace)) == 1


FRAME_START = "\x1b[H\x1b[2J"  # every frame is one write that starts by clearing the screen


def next_frame(child, last_row: str) -> str:
    """The next frame written to the terminal, from its first byte to the text of its last row."""
    child.expect_exact(FRAME_START)
    child.expect_exact(last_row)
    return child.before + child.after


def test_a_sentence_of_millions_of_characters_is_drawn_a_screenful_at_a_time(giant_workspace):
    rows, cols = 24, 80
    # A frame holds the screen's cells and their colour codes, whatever the sentence's length
    # (when the whole sentence was drawn, a frame was 9 million characters and took 8 s).
    frame_limit = 4 * rows * cols
    child = spawn(giant_workspace, rows=rows, cols=cols)
    child.timeout = 15  # start-up reads a 27 MB sentences file
    frame = next_frame(child, "Enter keep")
    assert "giant-s0001 (1/1)" in frame and "stance toward DeepSeek" in frame
    assert "8,99" in frame and "more characters" in frame and "ああああ" in frame
    assert len(frame) < frame_limit
    child.timeout = 5
    for key, shown, last_row in (("f", "stance toward US AI policy", "Enter keep"), ("n", "claim type", "Enter keep"),
                                 ("0", "entities: / to find", "Enter done"), ("/", "find (text", "Enter done"),
                                 ("米", "米█", "Enter done"), ("国", "米国█", "Enter done")):
        child.send(key)
        frame = next_frame(child, last_row)
        assert shown in frame and "more characters" in frame and len(frame) < frame_limit, (key, len(frame))
    child.send("\r")
    frame = next_frame(child, "Enter done")
    # The window has moved to the found text, in the middle of the sentence.
    assert "label for 米国" in frame and "4,49" in frame and "characters before" in frame
    assert len(frame) < frame_limit
    child.send("o")
    frame = next_frame(child, "Enter done")
    assert "added 1 ORG span" in frame and len(frame) < frame_limit
    child.send("q")
    child.expect_exact("4 answers written this session")
    child.expect(pexpect.EOF)
    recorded = events(giant_workspace)
    middle = (9_000_000 - 3) // 2
    assert recorded[-1]["value"] == {"spans": [{"start": middle, "end": middle + 2, "label": "ORG", "text": "米国"}]}


def _perfect_predictions(workspace, path, count: int):
    """A predictions file that agrees with the sample's own answers for the first ``count`` sentences."""
    from tagline.annotate.events import load_view

    sample = load_view(workspace, "sample-gold")
    lines = []
    for sentence in list(workspace.iter_sentences())[:count]:
        answers = sample.answers[sentence["id"]]
        for target in workspace.config.targets:
            lines.append({"sentence_id": sentence["id"], "target": target,
                          "label": answers[("stance", target)]["label"], "score": 0.9})
        lines.append({"id": sentence["id"], "label": answers[("claim_type", None)]["label"], "score": 0.8})
        lines.append({"id": sentence["id"], "entities": [{k: s[k] for k in ("start", "end", "label")}
                                                         for s in answers[("entities", None)]["spans"]]})
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")


def test_suggestions_are_shown_taken_with_one_key_overridden_and_recorded(sample_workspace, tmp_path):
    predictions = tmp_path / "perfect.jsonl"
    _perfect_predictions(sample_workspace, predictions, 3)
    child = spawn(sample_workspace, "alice", "--suggest", f"file:{predictions}", rows=30, cols=120)
    child.expect_exact("deepseek_ja-s0001 (1/77)")
    child.expect_exact("Enter takes it")  # the suggestion arrived and is shown
    child.send(" ")  # Space: every suggestion of the sentence
    child.expect_exact("deepseek_ja-s0002 (2/77)")
    child.expect_exact("Enter takes it")
    child.send("\r")  # the first stance question's suggestion only
    child.send("a")  # AGAINST instead of what is suggested for the second target
    child.expect_exact("claim type")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    recorded = events(sample_workspace)
    assert len(recorded) == 6
    assert all(event["suggestion"]["accepted"] == "as_is" for event in recorded[:5])
    assert recorded[5]["value"]["label"] == "AGAINST"
    assert recorded[5]["suggestion"]["accepted"] == "changed"
    assert {event["suggestion"]["source"] for event in recorded} == {"file:perfect.jsonl"}


def test_tab_fixes_the_spans_from_a_label_question_and_space_takes_the_rest(sample_workspace, tmp_path):
    predictions = tmp_path / "perfect.jsonl"
    _perfect_predictions(sample_workspace, predictions, 2)
    child = spawn(sample_workspace, "alice", "--suggest", f"file:{predictions}", rows=30, cols=120)
    child.expect_exact("deepseek_ja-s0001 (1/77)")
    child.expect_exact("Enter takes it")  # on the first stance question
    child.send("\t")  # the token cursor, out of turn
    child.expect_exact("mark ")
    child.send("1")  # the first suggested span off
    child.expect_exact("suggested span 1 off")
    child.send(" ")  # the spans as they are now, and every other suggestion
    child.expect_exact("deepseek_ja-s0002 (2/77)")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    from tagline.annotate.events import load_view

    recorded = events(sample_workspace)
    gold = load_view(sample_workspace, "sample-gold").value("deepseek_ja-s0001", "entities")["spans"]
    assert [event["task"] for event in recorded] == ["stance", "stance", "claim_type", "entities"]  # one append
    assert recorded[3]["value"]["spans"] == gold[1:] and recorded[3]["suggestion"]["accepted"] == "changed"
    assert all(event["suggestion"]["accepted"] == "as_is" for event in recorded[:3])


def test_a_broken_suggestion_source_leaves_a_working_session(sample_workspace, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    child = spawn(sample_workspace, "alice", "--suggest", f"file:{bad}")
    child.expect_exact("no suggestions: ")
    child.expect_exact("bad.jsonl:1")
    child.expect_exact("deepseek_ja-s0001 (1/77)")
    child.send("f")
    child.expect_exact("stance toward US AI policy")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert [event["value"]["label"] for event in events(sample_workspace)] == ["FAVOR"]


@pytest.mark.slow
def test_kill_9_during_a_background_retrain_loses_no_confirmed_answer(sample_workspace):
    child = spawn(sample_workspace, "alice", "--suggest", "builtin", "--retrain-every", "2", rows=30, cols=120)
    child.expect_exact("deepseek_ja-s0001 (1/77)")
    confirmed = 0
    for number in range(1, 6):  # every 2 answers a training starts; keep answering while they run
        for key in "fn0":
            child.send(key)
            confirmed += 1
        child.send("\r")
        confirmed += 1
        child.expect_exact(f"deepseek_ja-s000{number + 1} ({number + 1}/77)")
    os.kill(child.pid, signal.SIGKILL)
    child.expect(pexpect.EOF)
    child.close()
    recorded = events(sample_workspace)
    assert len(recorded) == confirmed == 20
    assert [e["sentence_id"] for e in recorded[::4]] == [f"deepseek_ja-s000{n}" for n in range(1, 6)]


@pytest.mark.slow
def test_builtin_suggestions_are_on_the_first_sentence_and_every_one_after_through_retrains(sample_workspace):
    """The session shows what the model trains on until the first sentence's suggestions are ready,
    and each sentence after it appears with its suggestions while the model retrains every 2 answers."""
    import time

    child = spawn(sample_workspace, "alice", "--suggest", "builtin", "--retrain-every", "2", rows=30, cols=120)
    child.timeout = 120  # the first training, on a busy machine
    child.expect_exact("training the builtin model on 77 answered sentences…")
    child.expect_exact("(any key to start without suggestions, q to quit)")
    for number in range(1, 7):
        child.expect_exact(f"deepseek_ja-s000{number} ({number}/77)")
        # The question line of the sentence's first screen: a suggestion, not "on their way".
        assert child.expect_exact(["Enter takes it", "suggestions on their way"]) == 0, f"sentence {number}"
        time.sleep(0.5)  # reading it, while the model retrains
        child.send(" ")
    child.expect_exact("deepseek_ja-s0007 (7/77)")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    recorded = events(sample_workspace)
    assert len(recorded) == 24 and {event["suggestion"]["source"] for event in recorded} == {"builtin"}
    assert all(event["suggestion"]["accepted"] == "as_is" for event in recorded)


def test_a_key_starts_the_session_before_the_first_suggestions(sample_workspace, tmp_path):
    script = tmp_path / "slow.py"
    script.write_text("import sys, time\nsys.stdin.readline()\ntime.sleep(60)\n")
    child = spawn(sample_workspace, "alice", "--suggest", f"cmd:{sys.executable} {script}")
    child.expect_exact("waiting for suggestions from cmd:slow.py…")
    child.send("x")  # any key: the first sentence without suggestions
    child.expect_exact("deepseek_ja-s0001 (1/77)")
    child.expect_exact("started without suggestions")
    child.send("f")
    child.expect_exact("stance toward US AI policy")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert [event["value"]["label"] for event in events(sample_workspace)] == ["FAVOR"]


def test_a_suggestion_source_that_cannot_open_is_said_on_the_first_screen(sample_workspace):
    child = spawn(sample_workspace, "alice", "--suggest", "file:missing.jsonl")
    child.expect_exact("Warning: no suggestions: missing.jsonl")  # above the screen, which hides it
    child.expect_exact("stance toward DeepSeek")
    child.expect_exact("no suggestions: missing.jsonl: no such file", timeout=5)  # on the screen, below the question
    child.send("q")
    child.expect(pexpect.EOF)


@pytest.mark.parametrize("suggest", [[], ["--suggest", "file:predictions.jsonl"]], ids=["alone", "suggested"])
def test_the_keys_of_the_entities_question_are_one_row_at_80_columns(tmp_path, suggest):
    # In English, without stance targets, the entities question's keys wrapped "x remove ·" / "Enter done"
    # onto a second row at 80 columns (the other questions' keys fit one row).
    import re

    from tagline.corpus.ingest import add_documents
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(tmp_path / "news", language="en")
    (tmp_path / "news" / "predictions.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "nvidia.txt").write_text("Nvidia shares fell 3.5% on Monday. Jensen Huang spoke in Taipei.",
                                         encoding="utf-8")
    add_documents(workspace, [tmp_path / "nvidia.txt"])
    child = spawn(workspace, "x", *suggest)
    child.expect_exact("claim type")
    child.send("0")  # not_claim: on to the entities
    frame = next_frame(child, "Space all" if suggest else "Enter done")  # the keys' row ends the frame
    rows = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", frame).replace("\r", "").split("\n")
    (keys,) = [row for row in rows if "Enter done" in row]
    assert keys.startswith("u undo · ") and "? help · q quit" in keys and "/ find" in keys, rows
    assert len(keys.rstrip()) <= 80 and keys.rstrip().endswith("Space all" if suggest else "Enter done"), keys
    assert not any(row.startswith(("x remove", "Enter done", "Space all")) for row in rows), rows  # nothing wrapped
    child.send("q")
    child.expect(pexpect.EOF)
