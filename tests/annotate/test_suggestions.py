"""Model suggestions in the session: what is shown, what one key takes, what each answer records
about the suggestion, and sources that fail without taking the session down."""

from __future__ import annotations

import io
import json
import shlex
import sys
import time

import orjson
import pytest
from click.testing import CliRunner

from tagline.annotate.session import ACCEPT_ALL, ENTER, TAB, SessionModel
from tagline.annotate.sources import CommandSuggester, FileSuggester
from tagline.annotate.suggest import SuggestionFeed
from tagline.cli import main
from tagline.corpus.store import append_records, read_records
from tagline.errors import DataError

from conftest import REPO

EXAMPLE = REPO / "docs" / "examples" / "suggest_keywords.py"


def _predictions(path, sentence):
    """A perfect predictions file for one sentence, from the sample's own answers."""
    lines = [{"sentence_id": sentence, "target": "DeepSeek", "label": "FAVOR", "score": 0.9},
             {"id": f"{sentence}@US AI policy", "label": "NONE", "score": 0.8},
             {"id": sentence, "label": "quantity", "score": 0.7},
             {"id": sentence, "entities": [{"start": 0, "end": 2, "label": "GPE"}], "score": 0.6}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def _session(workspace, suggester, annotator="alice"):
    feed = SuggestionFeed(suggester)
    model = SessionModel.open(workspace, annotator, feed=feed)
    assert feed.wait(), "suggestions were not made in time"
    return model, feed


def _events(workspace, annotator="alice"):
    return list(read_records(workspace.annotation_path(annotator)))


def test_enter_takes_a_suggestion_and_the_answer_says_so(sample_workspace, tmp_path):
    first = next(sample_workspace.iter_sentences())["id"]
    model, feed = _session(sample_workspace, FileSuggester(_predictions(tmp_path / "p.jsonl", first),
                                                           sample_workspace.config))
    assert model.sentence["id"] == first and model.suggestion().value == {"target": "DeepSeek", "label": "FAVOR"}
    model.handle_key(ENTER)  # takes FAVOR toward DeepSeek
    model.handle_key("a")  # AGAINST where NONE was suggested: changed
    (taken, changed) = _events(sample_workspace)
    assert taken["value"]["label"] == "FAVOR" and taken["suggestion"] == {"source": "file:p.jsonl", "score": 0.9,
                                                                           "accepted": "as_is"}
    assert changed["value"]["label"] == "AGAINST" and changed["suggestion"]["accepted"] == "changed"
    feed.close()


def test_space_takes_every_suggestion_of_the_sentence_with_one_key(sample_workspace, tmp_path):
    first = next(sample_workspace.iter_sentences())["id"]
    model, feed = _session(sample_workspace, FileSuggester(_predictions(tmp_path / "p.jsonl", first),
                                                           sample_workspace.config))
    model.handle_key(ACCEPT_ALL)
    events = _events(sample_workspace)
    assert [event["task"] for event in events] == ["stance", "stance", "claim_type", "entities"]
    assert all(event["suggestion"]["accepted"] == "as_is" for event in events)
    assert events[3]["value"] == {"spans": [{"start": 0, "end": 2, "label": "GPE", "text": model.sentences[0]["text"][:2]}]}
    assert model.position == 1, "the sentence is done: the next one is shown"
    feed.close()


def test_space_writes_the_sentences_answers_in_one_append_and_u_undoes_them_one_by_one(sample_workspace, tmp_path,
                                                                                        monkeypatch):
    import tagline.annotate.session as session

    first = next(sample_workspace.iter_sentences())["id"]
    model, feed = _session(sample_workspace, FileSuggester(_predictions(tmp_path / "p.jsonl", first),
                                                           sample_workspace.config))
    appends: list[int] = []
    real_append = session.append_records
    monkeypatch.setattr(session, "append_records", lambda path, records, **options: appends.append(len(records)) or
                        real_append(path, records, **options))
    model.handle_key(ACCEPT_ALL)
    assert appends == [4], "one key, one locked and fsync'd write"
    model.handle_key("u")
    assert model.position == 0 and model.step.task == "entities" and model.current(("entities", None)) is None
    assert model.current(("claim_type", None)) == {"label": "quantity"}
    feed.close()


def test_suggested_spans_are_toggled_by_number_and_the_answer_records_the_change(sample_workspace, tmp_path):
    first = next(sample_workspace.iter_sentences())["id"]
    model, feed = _session(sample_workspace, FileSuggester(_predictions(tmp_path / "p.jsonl", first),
                                                           sample_workspace.config), annotator="bob")
    for key in ("f", "n", "1"):  # stance, stance, then claim type by hand (no suggestion taken)
        model.handle_key(key)
    assert model.step.task == "entities" and len(model.spans()) == 1
    model.handle_key("1")  # the suggested span off
    assert model.spans() == []
    model.handle_key(ENTER)
    entities = _events(sample_workspace, "bob")[-1]
    assert entities["value"] == {"spans": []} and entities["suggestion"]["accepted"] == "changed"
    assert _events(sample_workspace, "bob")[2]["suggestion"]["accepted"] == "as_is"  # 1 is quantity, as suggested
    feed.close()


def test_entities_are_fixed_out_of_turn_from_a_label_question_and_space_takes_the_rest(sample_workspace, tmp_path):
    """Tab on a stance question starts the token cursor on the entities; a number turns a suggested
    span off there, a label key marks the selection, and Space takes the spans with every other
    suggestion of the sentence: no Enter to pass the label questions first."""
    first = next(sample_workspace.iter_sentences())["id"]
    model, feed = _session(sample_workspace, FileSuggester(_predictions(tmp_path / "p.jsonl", first),
                                                           sample_workspace.config))
    assert model.step.task == "stance"
    model.handle_key(TAB)
    assert model.mode == "cursor" and model.selection == (2, 9)  # past 中国, the suggested span
    model.handle_key("1")  # the suggested span off, from the cursor, which selects it
    assert model.spans() == [] and model.current(("entities", None)) is None and model.selection == (0, 2)
    model.handle_key(TAB)
    model.handle_key(TAB)
    assert model.selection == (9, 17)  # DeepSeek
    model.handle_key("o")
    model.handle_key(ACCEPT_ALL)
    events = _events(sample_workspace)
    assert [event["task"] for event in events] == ["entities", "stance", "stance", "claim_type"]
    assert events[0]["value"]["spans"] == [{"start": 9, "end": 17, "label": "ORG", "text": "DeepSeek"}]
    assert events[0]["suggestion"]["accepted"] == "changed"
    assert all(event["suggestion"]["accepted"] == "as_is" for event in events[1:])
    assert model.position == 1 and model.mode == "label", "the sentence is done: the next one is shown"
    feed.close()


def test_enter_in_the_cursor_out_of_turn_answers_the_entities_and_stays_on_the_question(sample_workspace,
                                                                                       tmp_path):
    first = next(sample_workspace.iter_sentences())["id"]
    model, feed = _session(sample_workspace, FileSuggester(_predictions(tmp_path / "p.jsonl", first),
                                                           sample_workspace.config))
    model.handle_key("a")  # AGAINST toward DeepSeek: on to the second stance question
    model.handle_key(TAB)
    model.handle_key(ENTER)  # the suggested span as it is
    assert model.mode == "label" and model.step.target == "US AI policy" and model.message == "entities: 1 span"
    assert _events(sample_workspace)[-1]["suggestion"]["accepted"] == "as_is"
    model.handle_key(ENTER)
    model.handle_key(ENTER)  # the claim type: the entities, answered ahead, are not asked again
    assert model.position == 1
    feed.close()


def test_every_change_to_a_suggested_answer_records_the_suggestion(sample_workspace, tmp_path):
    """A second span marked on a suggested sentence still says the spans came from the suggestion,
    changed (the answer is the last event, and it is what the agreement report counts)."""
    first = next(sample_workspace.iter_sentences())["id"]
    model, feed = _session(sample_workspace, FileSuggester(_predictions(tmp_path / "p.jsonl", first),
                                                           sample_workspace.config))
    model.handle_key(ACCEPT_ALL)
    model.handle_key("u")  # the entities back: the suggested span is offered again
    assert model.step.task == "entities" and model.current(("entities", None)) is None
    for key in (TAB, TAB, "o", "g", ENTER):  # DeepSeek ORG, then 米国 GPE (the cursor moves on after a mark)
        model.handle_key(key)
    marks = [event for event in _events(sample_workspace) if event["task"] == "entities" and event["op"] == "set"][1:]
    assert [len(event["value"]["spans"]) for event in marks] == [2, 3]
    assert all(event["suggestion"] == {"source": "file:p.jsonl", "score": 0.6, "accepted": "changed"}
               for event in marks)
    feed.close()


class _Offering:
    """Suggests 中国 as GPE for the first sentence, and offers DeepSeek ORG and 中国 ORG as candidates."""

    name = "offering"

    def suggest(self, sentences):
        from tagline.annotate.suggest import Suggestion, suggestion_values

        found = []
        for sentence in sentences[:1]:
            value, offered = (suggestion_values(sentence, "entities", None, {"spans": spans}) for spans in (
                [{"start": 0, "end": 2, "label": "GPE"}],
                [{"start": 9, "end": 17, "label": "ORG"}, {"start": 0, "end": 2, "label": "ORG"}]))
            found.append(Suggestion(sentence["id"], "entities", None, value, 0.5, self.name, tuple(offered["spans"])))
        return found


def test_candidates_are_listed_off_and_a_number_turns_one_on_and_the_spans_it_overlaps_off(sample_workspace):
    from tagline.annotate.terminal import render

    model, feed = _session(sample_workspace, _Offering())
    for key in ("f", "n", "1"):
        model.handle_key(key)
    assert model.step.task == "entities" and [span["text"] for span in model.spans()] == ["中国"]
    screen = _plain(render(model, 80, 24))
    assert "1:中国 GPE  2:中国 ORG?  3:DeepSeek ORG?" in screen  # the candidates after, in the order of the text
    model.handle_key("3")  # DeepSeek ORG on
    model.handle_key("2")  # 中国 ORG on: 中国 GPE, which it overlaps, off
    assert [(span["text"], span["label"]) for span in model.spans()] == [("中国", "ORG"), ("DeepSeek", "ORG")]
    assert "1:中国 GPE (off)" in _plain(render(model, 80, 24))
    model.handle_key(ENTER)
    entities = _events(sample_workspace)[-1]
    assert [(span["text"], span["label"]) for span in entities["value"]["spans"]] == [("中国", "ORG"),
                                                                                     ("DeepSeek", "ORG")]
    assert entities["suggestion"] == {"source": "offering", "score": 0.5, "accepted": "changed"}
    feed.close()


def test_a_predictions_file_may_offer_candidates_and_they_are_checked_as_spans(sample_workspace, tmp_path):
    first = next(sample_workspace.iter_sentences())["id"]
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": first, "entities": [{"start": 0, "end": 2, "label": "GPE"}],
                                "candidates": [{"start": 9, "end": 17, "label": "ORG"}]}) + "\n", encoding="utf-8")
    model, feed = _session(sample_workspace, FileSuggester(path, sample_workspace.config))
    assert [(span["text"], on, candidate) for span, on, candidate in model.offered_spans()] == [
        ("中国", True, False), ("DeepSeek", False, True)]
    feed.close()
    path.write_text(json.dumps({"id": first, "entities": [], "candidates": [{"start": 9, "end": 17, "label": "X"}]})
                    + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="entity label 'X'"):
        FileSuggester(path, sample_workspace.config)


def test_a_span_turned_off_in_the_cursor_is_selected_to_grow_or_relabel(sample_workspace):
    model, feed = _session(sample_workspace, _Offering())
    model.handle_key(TAB)
    model.handle_key("1")  # 中国 GPE off, and selected
    assert model.selection == (0, 2) and model.spans() == []
    model.handle_key("o")
    assert [(span["text"], span["label"]) for span in model.spans()] == [("中国", "ORG")]
    feed.close()


def _plain(renderable) -> str:
    from rich.console import Console

    console = Console(width=80, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


def test_an_answer_with_no_suggestion_records_none(sample_workspace, tmp_path):
    second = list(sample_workspace.iter_sentences())[1]["id"]
    model, feed = _session(sample_workspace, FileSuggester(_predictions(tmp_path / "p.jsonl", second),
                                                           sample_workspace.config))
    model.handle_key("f")
    assert "suggestion" not in _events(sample_workspace)[0]
    feed.close()


def test_a_malformed_predictions_file_is_refused_at_its_line(sample_workspace, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "deepseek_ja-s0001", "label": "quantity"}\n{"id": "deepseek_ja-s0002", "label": 3}\n')
    with pytest.raises(DataError, match=r"bad\.jsonl:2: label 3 is not one of not_claim"):
        FileSuggester(path, sample_workspace.config)
    path.write_text('{"id": "deepseek_ja-s0001", "entities": [{"start": "0"}]}\n')
    with pytest.raises(DataError, match=r"bad\.jsonl:1: entity"):
        FileSuggester(path, sample_workspace.config)


def test_the_example_command_speaks_the_protocol_end_to_end(runner, sample_workspace):
    command = f"cmd:{sys.executable} {EXAMPLE}"
    result = runner.invoke(main, ["annotate", "suggest", "--source", command])
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    first = next(line for line in lines if line["id"] == "deepseek_ja-s0001" and line["task"] == "entities")
    assert {"start": 9, "end": 17, "label": "ORG"} in first["entities"]  # DeepSeek
    assert first["source"] == "cmd:suggest_keywords.py"
    result = runner.invoke(main, ["annotate", "suggest", "--source", command, "--write", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["annotator"] == "model-cmd-suggest_keywords.py"
    assert sample_workspace.machine_annotators() == {"model-cmd-suggest_keywords.py": "cmd:suggest_keywords.py"}
    assert runner.invoke(main, ["validate"]).exit_code == 0


def test_machine_answers_do_not_vote_unless_asked(runner, sample_workspace, tmp_path):
    from tagline.annotate.gold import auto_adjudicate

    sample_workspace.gold_path.unlink()
    # The sample's answers as a person's: they vote, where the sample's own answers would be gold.
    append_records(sample_workspace.annotators_path, [{"annotator": "sample-gold", "kind": "person",
                                                       "time": "2026-11-28T10:00:00Z"}])
    (tmp_path / "p.jsonl").write_text('{"id": "deepseek_ja-s0001", "label": "quantity"}\n')
    assert runner.invoke(main, ["annotate", "suggest", "--source", f"file:{tmp_path / 'p.jsonl'}", "--write",
                                "--as", "model-x"]).exit_code == 0
    alone = auto_adjudicate(sample_workspace, tasks=["claim_type"])
    assert {record["provenance"]["method"] for record in alone.written} == {"single"}
    assert not alone.contested
    sample_workspace.gold_path.unlink()
    with_machine = auto_adjudicate(sample_workspace, tasks=["claim_type"], machines=True)
    assert any(c.sentence_id == "deepseek_ja-s0001" for c in with_machine.contested)  # sample says not_claim


def test_writing_machine_answers_over_a_person_is_refused(runner, sample_workspace, tmp_path):
    (tmp_path / "p.jsonl").write_text('{"id": "deepseek_ja-s0001", "label": "quantity"}\n')
    assert runner.invoke(main, ["annotate", "label", "deepseek_ja-s0002", "-a", "bob", "--claim-type",
                                "not_claim"]).exit_code == 0
    result = runner.invoke(main, ["annotate", "suggest", "--source", f"file:{tmp_path / 'p.jsonl'}", "--write",
                                  "--as", "bob"])
    assert result.exit_code == 2 and "is a person's answer file" in result.stderr
    result = runner.invoke(main, ["annotate", "suggest", "--source", f"file:{tmp_path / 'p.jsonl'}", "--write",
                                  "--as", "sample-gold"])
    assert result.exit_code == 2 and "'sample-gold' holds answers that came with imported gold" in result.stderr


def _script(tmp_path, body: str):
    path = tmp_path / "source.py"
    path.write_text("import json, sys, time\nheader = json.loads(sys.stdin.readline())\n" + body)
    return f"{sys.executable} {path}"


def test_a_command_that_breaks_switches_suggestions_off_once_and_the_session_goes_on(sample_workspace, tmp_path):
    command = _script(tmp_path, "line = sys.stdin.readline()\nsys.stderr.write('model file missing\\n')\nsys.exit(3)\n")
    model, feed = _session(sample_workspace, CommandSuggester(command, sample_workspace.config, timeout=5))
    assert feed.failure and "exit code 3" in feed.failure and "model file missing" in feed.failure
    model.handle_key("f")
    assert "go on without them" in model.message
    model.handle_key("n")
    assert "go on without" not in model.message  # said once
    assert [event["value"]["label"] for event in _events(sample_workspace)] == ["FAVOR", "NONE"]
    feed.close()


def test_a_command_that_ended_is_reported_with_what_it_wrote_to_stderr_though_that_is_read_late(
        sample_workspace, tmp_path, monkeypatch):
    # On a busy machine the thread reading stderr may run only after the end of stdout was seen.
    reading = CommandSuggester._read_errors

    def late(self):
        time.sleep(0.5)
        reading(self)

    monkeypatch.setattr(CommandSuggester, "_read_errors", late)
    command = _script(tmp_path, "sys.stderr.write('model file missing\\n')\nsys.exit(3)\n")
    suggester = CommandSuggester(command, sample_workspace.config, timeout=60)
    with pytest.raises(DataError, match=r"exit code 3\): model file missing"):
        list(suggester.suggest(list(sample_workspace.iter_sentences())[:1]))
    suggester.close()


def test_a_command_that_does_not_answer_in_time_is_stopped(sample_workspace, tmp_path):
    command = _script(tmp_path, "time.sleep(30)\n")
    suggester = CommandSuggester(command, sample_workspace.config, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(DataError, match="gave no answer within 0.5 s"):
        list(suggester.suggest(list(sample_workspace.iter_sentences())[:2]))
    assert time.monotonic() - started < 5
    suggester.close()


def test_a_source_that_cannot_open_leaves_the_session_without_suggestions(sample_workspace, tmp_path, capsys):
    from tagline.cli.annotate import _suggestion_feed

    assert _suggestion_feed(f"file:{tmp_path / 'missing.jsonl'}", sample_workspace, "alice") is None
    assert "Warning: no suggestions:" in capsys.readouterr().err
    with pytest.raises(Exception, match="unknown suggestion source"):
        from tagline.eval.suggesters import open_suggester

        open_suggester("magic", sample_workspace)


@pytest.mark.slow
def test_the_builtin_model_suggests_from_the_gold_and_retrains_on_new_answers(sample_workspace):
    from tagline.eval.builtin_suggester import BuiltinSuggester

    suggester = BuiltinSuggester(sample_workspace, "alice", retrain_every=2)
    sentences = list(sample_workspace.iter_sentences())[:5]
    try:
        found = suggester.suggest(sentences)
        config = sample_workspace.config
        assert {(s.task, s.target) for s in found} >= {("claim_type", None), ("stance", "DeepSeek"), ("entities", None)}
        for suggestion in found:
            if suggestion.task != "entities":
                assert suggestion.value["label"] in config.labels(suggestion.task) and 0 < suggestion.score <= 1
            else:
                assert all(sentences[0]["text"] or span["text"] for span in suggestion.value["spans"])
        assert suggester.version == 1 and suggester.trainings == 1
        suggester.learn([{"sentence_id": "x"}, {"sentence_id": "y"}])
        assert suggester.trainings == 2
        deadline = time.monotonic() + 120
        while suggester.version < 2 and time.monotonic() < deadline:
            suggester.suggest(sentences[:1])
            time.sleep(0.2)
        assert suggester.version == 2
    finally:
        suggester.close()


def test_the_session_command_offers_suggestions(runner, sample_workspace, tmp_path):
    result = CliRunner().invoke(main, ["annotate", "--annotator", "alice", "--suggest", "builtin"])
    assert result.exit_code == 2 and "needs a terminal" in result.output


def test_agreement_report_and_card_show_how_much_a_model_made(runner, sample_workspace, tmp_path):
    first = next(sample_workspace.iter_sentences())["id"]
    model, feed = _session(sample_workspace, FileSuggester(_predictions(tmp_path / "p.jsonl", first),
                                                           sample_workspace.config))
    model.handle_key(ACCEPT_ALL)  # 4 answers taken as is
    model.handle_key("f")  # one without a suggestion
    feed.close()
    (tmp_path / "m.jsonl").write_text(f'{{"id": "{first}", "label": "not_claim"}}\n')
    assert runner.invoke(main, ["annotate", "suggest", "--source", f"file:{tmp_path / 'm.jsonl'}", "--write",
                                "--as", "model-m"]).exit_code == 0
    result = runner.invoke(main, ["annotate", "agree", "--json"])
    report = json.loads(result.stdout)
    assert report["suggestions"]["alice"] == {"answers": 5, "accepted_as_is": 4, "changed": 0,
                                              "without_suggestion": 1, "share_as_is": 0.8,
                                              "as_is_by_source": {"file:p.jsonl": 4}}
    assert "model-m" not in report["annotators"]
    # Compared with the people who vote: the sample's answers are its gold, not a person's.
    assert report["machines"]["model-m"] == {"alice": {"shared": 1, "agreement": 0.0}}  # alice took quantity
    text = runner.invoke(main, ["annotate", "agree"]).stdout
    assert "alice: 4 / 0 / 1 (80% of 5 answers taken as is)" in text
    assert runner.invoke(main, ["eval", "build", "--no-tokens"]).exit_code == 0
    card = (sample_workspace.build_dir / "dataset" / "README.md").read_text(encoding="utf-8")
    assert "| alice | 5 | 4 | 0 | 1 | 80.0% |" in card and "| model-m | alice | 1 | 0.0% |" in card
    assert "| model-m | sample-gold |" not in card


def test_a_retired_name_takes_no_machine_answers_and_opens_no_session(runner, sample_workspace, tmp_path):
    assert runner.invoke(main, ["annotate", "label", "deepseek_ja-s0001", "-a", "alice",
                                "--claim-type", "quantity"]).exit_code == 0
    assert runner.invoke(main, ["annotate", "retire", "alice"]).exit_code == 0
    (tmp_path / "p.jsonl").write_text('{"id": "deepseek_ja-s0002", "label": "quantity"}\n')
    result = runner.invoke(main, ["annotate", "suggest", "--source", f"file:{tmp_path / 'p.jsonl'}", "--write",
                                  "--as", "alice"])
    assert result.exit_code == 2 and "was retired" in result.stderr
    with pytest.raises(Exception, match="was retired"):
        SessionModel.open(sample_workspace, "alice")


def test_the_session_takes_a_timeout_for_a_command_source(sample_workspace, runner):
    # docs/suggestions.md tells a user of a slow local model to give the session a longer --timeout.
    from tagline.cli import main
    from tagline.cli.annotate import _suggestion_feed

    # A program that reads until its input ends (one that ends at once may be gone before the header
    # is sent, and the feed then rightly reports it ended).
    waits = f"cmd:{shlex.quote(sys.executable)} -c 'import sys; sys.stdin.read()'"
    feed = _suggestion_feed(waits, sample_workspace, "alice", timeout=120.0)
    assert feed is not None and feed.suggester.timeout == 120.0
    feed.close()
    refused = runner.invoke(main, ["annotate", "--annotator", "alice", "--suggest", "cmd:x", "--timeout", "0"])
    assert refused.exit_code == 2 and "--timeout" in refused.output and "0.1" in refused.output
    # Accepted: the session then stops only because the test runner is not a terminal.
    taken = runner.invoke(main, ["annotate", "--annotator", "alice", "--suggest", "cmd:x", "--timeout", "120"])
    assert taken.exit_code == 2 and "needs a terminal" in taken.output
