"""Bad input to eval score / eval predict / annotate import: one `Error:` line naming the file and
line, exit code 2, no traceback; and messages that say the right thing."""

from __future__ import annotations

import json

import pytest

from tagline.cli import main


def _run(runner, *args: str) -> str:
    result = runner.invoke(main, ["eval", "run", *args, "--resamples", "20", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["run_id"]


def _error(result, where: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr and not isinstance(result.exception, (TypeError, ValueError, KeyError))
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("Error: ") and where in line, line
    return line


def _test_rows(workspace, config: str = "sentences") -> list[dict]:
    import datasets

    return datasets.load_from_disk(str(workspace.build_dir / "dataset" / config))["test"].to_list()


def test_score_refuses_ids_that_are_not_strings_and_labels_the_config_does_not_have(runner, built_sample, tmp_path):
    rows = _test_rows(built_sample)
    path = tmp_path / "preds.jsonl"
    lines = [{"id": row["id"], "label": "other_claim"} for row in rows]
    lines[1] = {"id": [rows[1]["id"]], "label": "other_claim"}
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    line = _error(runner.invoke(main, ["eval", "score", str(path), "--task", "claim_type"]), "preds.jsonl:2")
    assert "`id` is [" in line and "not a string" in line

    lines[1] = {"id": rows[1]["id"], "label": ["other_claim"]}
    lines[2] = {"id": rows[2]["id"], "label": "opinion"}
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    line = _error(runner.invoke(main, ["eval", "score", str(path), "--task", "claim_type"]), "preds.jsonl")
    assert "2 unknown labels" in line and '["other_claim"] (line 2)' in line and '"opinion" (line 3)' in line
    assert "use the claim_type labels of tagline.toml: not_claim, quantity" in line and "by its id" not in line


def test_score_refuses_a_span_offset_that_is_a_boolean(runner, built_sample, tmp_path):
    rows = _test_rows(built_sample)
    path = tmp_path / "spans.jsonl"
    lines = [{"id": row["id"], "entities": []} for row in rows]
    lines[0]["entities"] = [{"start": 0, "end": True, "label": "ORG"}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    line = _error(runner.invoke(main, ["eval", "score", str(path), "--task", "entities"]), "spans.jsonl:1")
    assert "is not {\"start\": int, \"end\": int" in line


def test_score_against_all_rows_is_worded_as_the_whole_dataset(runner, built_sample, tmp_path):
    path = tmp_path / "preds.jsonl"
    path.write_text(json.dumps({"id": "nope-s0001", "label": "quantity"}) + "\n", encoding="utf-8")
    line = _error(runner.invoke(main, ["eval", "score", str(path), "--task", "claim_type", "--split", "all"]),
                  "preds.jsonl")
    assert "77 gold ids have no prediction" in line and "not in the gold of the whole dataset" in line
    assert "predict each of the 77 rows of the whole dataset once" in line and "all rows" not in line
    assert "splits.jsonl" not in line  # every split is scored: no rows to keep


@pytest.mark.parametrize("baseline", ["majority", "tfidf_svm"])
def test_predict_on_a_file_with_no_text_is_an_error_for_every_baseline(runner, built_sample, tmp_path, baseline):
    run_id = _run(runner, "--task", "claim_type", "--baselines", baseline)
    for name, content in (("empty.txt", ""), ("blank.txt", "\n  \n\n"), ("empty.jsonl", "\n")):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        result = runner.invoke(main, ["eval", "predict", "--run", run_id, str(path)])
        assert "there is no text to predict" in _error(result, name) and result.stdout == ""


def test_predict_checks_every_stance_record_before_predicting(runner, built_sample, tmp_path):
    run_id = _run(runner, "--task", "stance", "--baselines", "tfidf_nb")
    path = tmp_path / "texts.jsonl"
    good = {"text": "DeepSeekは優れている。", "target": "DeepSeek"}
    for record, expected in [
        ({"text": "x", "target": ["DeepSeek"]}, '`target` is ["DeepSeek"], not a string'),
        ({"text": 5, "target": "DeepSeek"}, "`text` is 5, not a string"),
        ({"target": "DeepSeek"}, "record has no `text`"),
        ({"text": "x", "target": "Nvidia"}, "target 'Nvidia' is not one the run was trained on"),
    ]:
        path.write_text(json.dumps(good) + "\n" + json.dumps(record) + "\n", encoding="utf-8")
        result = runner.invoke(main, ["eval", "predict", "--run", run_id, str(path)])
        assert expected in _error(result, "texts.jsonl:2"), expected
        assert result.stdout == ""
    assert "use one of: DeepSeek, US AI policy" in _error(result, "texts.jsonl:2")
    path.write_text(json.dumps(good) + "\n", encoding="utf-8")
    result = runner.invoke(main, ["eval", "predict", "--run", run_id, str(path)])
    assert result.exit_code == 0 and json.loads(result.stdout)["label"] in {"FAVOR", "AGAINST", "NONE"}


def test_a_pooled_stance_model_refuses_an_unknown_target_too(runner, built_sample, tmp_path):
    run_id = _run(runner, "--task", "stance", "--baselines", "tfidf_nb", "--pooled")
    path = tmp_path / "texts.jsonl"
    path.write_text(json.dumps({"text": "x", "target": "Nvidia"}) + "\n", encoding="utf-8")
    line = _error(runner.invoke(main, ["eval", "predict", "--run", run_id, str(path)]), "texts.jsonl:1")
    assert "target 'Nvidia' is not one the run was trained on" in line


def test_predict_with_a_scored_predictions_run_says_which_runs_have_a_model(runner, built_sample, tmp_path):
    rows = _test_rows(built_sample)
    predictions = tmp_path / "preds.jsonl"
    predictions.write_text("".join(json.dumps({"id": r["id"], "label": "other_claim"}) + "\n" for r in rows),
                           encoding="utf-8")
    scored = runner.invoke(main, ["eval", "score", str(predictions), "--task", "claim_type", "--resamples", "20",
                                  "--json"])
    assert scored.exit_code == 0, scored.output
    texts = tmp_path / "texts.txt"
    texts.write_text("DeepSeekは優れている。\n", encoding="utf-8")
    result = runner.invoke(main, ["eval", "predict", "--run", json.loads(scored.stdout)["run_id"], str(texts)])
    line = _error(result, "runs/")
    assert "scored a predictions file, so it has no model" in line and "`tagline eval run`" in line


def test_reimport_into_another_split_says_the_earlier_split_is_kept(runner, workspace, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("id,text,label\na,今日は晴れ。,other_claim\nb,明日は雨。,prediction\n", encoding="utf-8")
    first = runner.invoke(main, ["annotate", "import", str(path), "--format", "csv", "-a", "ann",
                                 "--split", "train"])
    assert first.exit_code == 0, first.output
    assert "earlier split" not in first.stderr
    before = (workspace.root / "sentences.jsonl").read_bytes()
    again = runner.invoke(main, ["annotate", "import", str(path), "--format", "csv", "-a", "ann",
                                 "--split", "test"])
    assert again.exit_code == 0, again.output
    assert "2 documents already in the workspace keep their earlier split (train: " in again.stderr
    assert "instead of test" in again.stderr
    assert (workspace.root / "sentences.jsonl").read_bytes() == before
    same = runner.invoke(main, ["annotate", "import", str(path), "--format", "csv", "-a", "ann", "--split", "train"])
    assert same.exit_code == 0 and "earlier split" not in same.stderr
    one = tmp_path / "one.csv"
    one.write_text("id,text,label\na,今日は晴れ。,other_claim\n", encoding="utf-8")
    assert runner.invoke(main, ["annotate", "import", str(one), "--format", "csv", "-a", "ann"]).exit_code == 0
    moved = runner.invoke(main, ["annotate", "import", str(one), "--format", "csv", "-a", "ann", "--split", "test"])
    assert "1 document already in the workspace keeps its earlier split (none: " in moved.stderr, moved.stderr


def test_semeval_reimport_of_the_test_file_as_train_names_both_splits(runner, tmp_path, monkeypatch):
    from pathlib import Path

    data = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "semeval2016-task6"
    if not (data / "trialdata-all-annotations.txt").is_file():
        pytest.skip(f"SemEval-2016 Task 6 data not found in {data}")
    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)
    targets = ["Atheism", "Climate Change is a Real Concern", "Feminist Movement", "Hillary Clinton",
               "Legalization of Abortion"]
    assert runner.invoke(main, ["init", str(tmp_path / "ws"), "--lang", "en",
                                *[arg for t in targets for arg in ("--target", t)]]).exit_code == 0
    monkeypatch.chdir(tmp_path / "ws")
    trial = str(data / "trialdata-all-annotations.txt")
    assert runner.invoke(main, ["annotate", "import", trial, "--format", "semeval2016", "--split", "test"]).exit_code == 0
    again = runner.invoke(main, ["annotate", "import", trial, "--format", "semeval2016", "--split", "train"])
    assert again.exit_code == 0, again.output
    assert "100 documents already in the workspace keep their earlier split (test: " in again.stderr
    assert "instead of train" in again.stderr and "None" not in again.stderr


def test_export_warnings_agree_in_number(runner, workspace, tmp_path):
    for name, rows, expected in (
            ("one", "a,今日は晴れ。,other_claim\n", "1 sentence without an entity answer is written"),
            ("two", "b,明日は雨。,prediction\n", "2 sentences without an entity answer are written")):
        path = tmp_path / f"{name}.csv"
        path.write_text("id,text,label\n" + rows, encoding="utf-8")
        imported = runner.invoke(main, ["annotate", "import", str(path), "--format", "csv", "-a", "ann"])
        assert imported.exit_code == 0, imported.output
        result = runner.invoke(main, ["annotate", "export", "--format", "conll", "-a", "ann"])
        assert result.exit_code == 0, result.output
        assert expected in result.stderr, result.stderr


def test_a_file_system_error_is_exit_2_and_names_the_file_asked_for(runner, built_sample, tmp_path):
    out = tmp_path / "missing-folder" / "gold.csv"
    result = runner.invoke(main, ["annotate", "export", "--format", "csv", "--gold", "--out", str(out)])
    line = _error(result, f"{out}: could not write: No such file or directory; nothing was saved")
    assert ".tmp" not in line and "check the path" in line


@pytest.mark.parametrize("targets, phrase", [
    (["A", "A"], "stance target 'A' is given twice"),
    ([""], "stance target '' is empty"),
    (["A "], "stance target 'A ' starts or ends with white space"),
])
def test_init_refuses_targets_that_would_make_an_invalid_config_and_writes_nothing(runner, tmp_path, targets, phrase):
    args = [item for target in targets for item in ("--target", target)]
    result = runner.invoke(main, ["init", str(tmp_path / "ws"), *args])
    assert result.exit_code == 2 and phrase in result.stderr, result.output
    assert not (tmp_path / "ws").exists()


def test_split_ratios_that_do_not_sum_to_one_are_a_config_error(runner, sample_workspace):
    path = sample_workspace.config_path
    import re

    text, count = re.subn(r"(?m)^ratios = .*$", "ratios = [0.5, 0.6]", path.read_text(encoding="utf-8"))
    assert count == 1
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["validate"])
    assert result.exit_code != 0 and "split.ratios [0.5, 0.6] sum to 1.1, not 1" in result.output


@pytest.mark.parametrize("args, phrase", [
    (["--task", "claim_type", "--baselines", "crf"], "baseline crf does not apply to claim_type"),
    (["--task", "entities", "--pooled"], "--pooled applies to stance only"),
    (["--task", "claim_type", "--baselines", "tfidf_svm+pooled"], "stance is not among the tasks run"),
])
def test_eval_run_refuses_a_choice_that_would_run_nothing(runner, built_sample, args, phrase):
    result = runner.invoke(main, ["eval", "run", *args])
    assert phrase in _error(result, "Error: ")
    assert not any(built_sample.runs_dir.glob("*/results.json"))


def test_eval_run_all_tasks_runs_a_named_baseline_where_it_applies(runner, built_sample):
    result = runner.invoke(main, ["eval", "run", "--baselines", "gazetteer", "--resamples", "20", "--json"])
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)
    runs = runs if isinstance(runs, list) else [runs]
    assert [(run["task"], run["baseline"]) for run in runs] == [("entities", "gazetteer")]


def test_annotate_label_refuses_contradictory_repeated_options_and_writes_nothing(runner, sample_workspace):
    sentence = "deepseek_ja-s0001"
    before = sorted(p.name for p in sample_workspace.annotation_files())
    for args, phrase in ((["--claim-type", "quantity", "--claim-type", "prediction"], "--claim-type is given 2 labels"),
                         (["--stance", "DeepSeek=FAVOR", "--stance", "DeepSeek=AGAINST"],
                          "--stance gives 'DeepSeek' two labels (FAVOR and AGAINST)")):
        result = runner.invoke(main, ["annotate", "label", sentence, "-a", "carol", *args])
        assert result.exit_code == 2 and phrase in result.stderr, result.output
    assert sorted(p.name for p in sample_workspace.annotation_files()) == before
    same_twice = runner.invoke(main, ["annotate", "label", sentence, "-a", "carol", "--claim-type", "quantity",
                                      "--claim-type", "quantity"])
    assert same_twice.exit_code == 0, same_twice.output


def test_eval_runs_warns_about_a_results_file_it_cannot_read_and_lists_the_others(runner, built_sample):
    good = _run(runner, "--task", "claim_type", "--baselines", "majority")
    bad = built_sample.runs_dir / "broken-run"
    bad.mkdir()
    (bad / "results.json").write_text('{"run_id": "broken-run", ', encoding="utf-8")
    odd = built_sample.runs_dir / "odd-run"
    odd.mkdir()
    (odd / "results.json").write_text('{"run_id": "odd-run"}', encoding="utf-8")
    result = runner.invoke(main, ["eval", "runs"])
    assert result.exit_code == 0, result.output
    assert good in result.stdout and "broken-run" not in result.stdout and "odd-run" not in result.stdout
    assert "broken-run/results.json: cannot be read" in result.stderr
    assert "odd-run/results.json: not a run result" in result.stderr
    scored = runner.invoke(main, ["eval", "runs", "--json"])
    assert [json.loads(line)["run_id"] for line in scored.stdout.splitlines()] == [good]


def test_scoring_warns_when_the_gold_changed_after_the_build(runner, built_sample):
    quiet = runner.invoke(main, ["eval", "run", "--task", "claim_type", "--baselines", "majority", "--resamples", "20"])
    assert quiet.exit_code == 0 and "Warning: the gold changed" not in quiet.stderr, quiet.output
    from tagline.annotate.gold import gold_record
    from tagline.corpus.store import append_records

    append_records(built_sample.gold_path, [gold_record("deepseek_ja-s0001", "claim_type", None,
                                                        {"label": "quantity"}, "imported", {})])
    result = runner.invoke(main, ["eval", "run", "--task", "claim_type", "--baselines", "majority", "--resamples", "20"])
    assert result.exit_code == 0
    assert "Warning: the gold changed after" in result.stderr and "tagline eval build" in result.stderr
    assert runner.invoke(main, ["eval", "build"]).exit_code == 0
    again = runner.invoke(main, ["eval", "run", "--task", "claim_type", "--baselines", "majority", "--resamples", "20"])
    assert "Warning: the gold changed" not in again.stderr


def test_import_refuses_lone_surrogates_and_ids_that_make_invalid_document_ids_before_writing(runner, workspace,
                                                                                                tmp_path):
    lone = tmp_path / "lone.jsonl"
    lone.write_text('{"text": "EU \\ud800 rejects.", "label": [[0, 2, "ORG"]]}\n', encoding="utf-8")
    result = runner.invoke(main, ["annotate", "import", str(lone), "--format", "doccano", "-a", "alice"])
    assert "lone.jsonl:1: the text holds a lone UTF-16 surrogate \\ud800" in _error(result, "lone.jsonl:1")
    stockmark = tmp_path / "ner.json"
    stockmark.write_text(json.dumps([{"curid": "1", "text": "東京は晴れ。", "entities": []},
                                     {"curid": "a/b", "text": "大阪は雨。", "entities": []}], ensure_ascii=False),
                         encoding="utf-8")
    result = runner.invoke(main, ["annotate", "import", str(stockmark), "--format", "stockmark-ner", "--dry-run"])
    assert "document id 'stockmark-a/b', which is not valid" in _error(result, "ner.json item 2")
    result = runner.invoke(main, ["annotate", "import", str(stockmark), "--format", "stockmark-ner"])
    _error(result, "ner.json item 2")
    assert list(workspace.documents_dir.iterdir()) == []


@pytest.mark.parametrize("content, phrase", [
    ('text,claim_type\nHello world.,quantity\n"Second row, cut,prediction\nThird,quantity\n',
     "t.csv:3: not valid CSV (a quoted field is never closed)"),
    ("text,claim_type,claim_type\nHello,quantity,prediction\n", "t.csv:1: the header names 'claim_type' more than once"),
    ("text,stance:\nHello,FAVOR\n", "t.csv:1: column 'stance:' names no stance target"),
])
def test_csv_import_refuses_damaged_files(runner, workspace, tmp_path, content, phrase):
    path = tmp_path / "t.csv"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(main, ["annotate", "import", str(path), "--format", "csv", "-a", "bob"])
    assert phrase in _error(result, "t.csv:")
    assert not workspace.annotation_path("bob").exists()


def test_csv_import_names_the_columns_it_does_not_read(runner, workspace, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text,Claim_Type\nHello,quantity\n", encoding="utf-8")
    result = runner.invoke(main, ["annotate", "import", str(path), "--format", "csv", "-a", "bob"])
    assert result.exit_code == 0 and "1 column not read: Claim_Type" in result.stderr


def test_compare_and_predict_refuse_a_damaged_results_file_with_an_error(runner, built_sample, tmp_path):
    good = _run(runner, "--task", "claim_type", "--baselines", "majority")
    other = _run(runner, "--task", "claim_type", "--baselines", "tfidf_nb")
    (built_sample.runs_dir / other / "results.json").write_text('{"run_id": ', encoding="utf-8")
    texts = tmp_path / "texts.txt"
    texts.write_text("文です。\n", encoding="utf-8")
    line = _error(runner.invoke(main, ["eval", "compare", good, other]), f"{other}/results.json")
    assert "cannot be read" in line
    line = _error(runner.invoke(main, ["eval", "predict", "--run", other, str(texts)]), f"{other}/results.json")
    (built_sample.runs_dir / other / "results.json").write_text('{"run_id": "x"}', encoding="utf-8")
    line = _error(runner.invoke(main, ["eval", "compare", good, other]), f"{other}/results.json")
    assert "not a run result" in line


def test_compare_of_runs_of_two_tasks_names_them_and_says_what_to_do(runner, built_sample):
    claims = _run(runner, "--task", "claim_type", "--baselines", "majority")
    entities = _run(runner, "--task", "entities", "--baselines", "gazetteer")
    line = _error(runner.invoke(main, ["eval", "compare", claims, entities]), f"{claims}, {entities}: ")
    assert "the runs are for different tasks (claim_type and entities) (compare two runs of one task" in line


def test_eval_run_refuses_an_empty_baseline_list_and_pooled_without_a_stance_baseline(runner, built_sample):
    result = runner.invoke(main, ["eval", "run", "--baselines", ","])
    assert result.exit_code == 2 and "--baselines names no baseline" in result.output
    result = runner.invoke(main, ["eval", "run", "--baselines", "gazetteer", "--pooled"])
    assert "--pooled applies to stance baselines, and gazetteer is not one" in _error(result, "Error: ")
    assert not any(built_sample.runs_dir.glob("*/results.json"))


def test_eval_score_reads_a_file_with_a_byte_order_mark(runner, built_sample, tmp_path):
    rows = _test_rows(built_sample)
    path = tmp_path / "preds.jsonl"
    path.write_text("\ufeff" + "".join(json.dumps({"id": row["id"], "label": "other_claim"}) + "\n" for row in rows),
                    encoding="utf-8")
    result = runner.invoke(main, ["eval", "score", str(path), "--task", "claim_type", "--resamples", "20"])
    assert result.exit_code == 0, result.output


def test_gold_changed_with_nothing_changed_does_not_say_there_is_no_gold(runner, sample_workspace):
    assert runner.invoke(main, ["annotate", "adjudicate"]).exit_code == 0
    result = runner.invoke(main, ["annotate", "gold", "--changed"])
    assert result.exit_code == 0 and "no gold changed since it was made (308 gold records in all)" in result.output


@pytest.mark.parametrize("name, content, args, phrase", [
    ("p.jsonl", '{"text": "Hello world.", "label": ["quantity"], "answer": "accept"}\n', ["--format", "prodigy"],
     'p.jsonl:1: `label` is ["quantity"], not a label name'),
    ("s.jsonl", '{"text": "Hello world.", "cats": {"quantity": "1"}}\n', ["--format", "spacy"],
     "s.jsonl:1: `cats` gives 'quantity' the score \"1\", not a number"),
    ("n.csv", "text,claim_type\nHello\x00 world.,quantity\n", ["--format", "csv"], "n.csv: the text holds a NUL"),
    ("g.jsonl", '{"text": "Hello world.", "label": []}\n', ["--format", "doccano", "--gold", "-a", "bob"],
     "--gold imports the answers as gold, which belongs to no annotator"),
])
def test_import_refuses_values_it_would_otherwise_drop(runner, workspace, tmp_path, name, content, args, phrase):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(main, ["annotate", "import", str(path), "-a", "alice", *args] if "-a" not in args
                           else ["annotate", "import", str(path), *args])
    assert phrase in _error(result, "Error: ")
    assert not any(workspace.annotations_dir.iterdir()) and not workspace.gold_path.exists()


def test_score_of_suggestions_printed_without_a_task_says_to_print_them_with_one(runner, built_sample, tmp_path):
    """`annotate suggest` without --task prints every task's suggestions by sentence_id; `eval score`
    reads one task's file, so it says to print them with --task, not only that a line has no id."""
    path = tmp_path / "model.jsonl"
    line = {"sentence_id": "deepseek_ja-s0001", "task": "claim_type", "label": "other_claim", "score": 0.5,
            "source": "builtin"}
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    error = _error(runner.invoke(main, ["eval", "score", str(path), "--task", "claim_type", "--split", "all"]),
                   "model.jsonl:1")
    assert "annotate suggest" in error and "--task claim_type" in error
