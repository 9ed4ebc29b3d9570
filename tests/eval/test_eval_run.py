"""eval run / runs / score / compare / predict on the sample, and the demo."""

from __future__ import annotations

import json

import pytest

from tagline.cli import main


def test_run_writes_valid_results_report_png_and_model(runner, built_sample):
    result = runner.invoke(main, ["eval", "run", "--task", "claim_type", "--baselines", "majority,tfidf_svm",
                                  "--resamples", "200", "--json"])
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)["runs"]
    assert [r["baseline"] for r in runs] == ["majority", "tfidf_svm"]
    from tagline.schemas import schema_errors

    for run in runs:
        directory = built_sample.runs_dir / run["run_id"]
        stored = json.loads((directory / "results.json").read_text(encoding="utf-8"))
        assert schema_errors("run", stored) == []
        for name in ("report.md", "confusion.png", "predictions.jsonl", "model.skops"):
            assert (directory / name).exists(), name
        metric = stored["metrics"]["macro_f1"]
        assert 0 <= metric["low"] <= metric["high"] <= 1 and metric["n_resamples"] == 200
        assert stored["n_evaluated"] == 8
        assert ("parameters tuned on validation" in stored["mode"]) == (run["baseline"] == "tfidf_svm")
        if run["baseline"] == "tfidf_svm":  # C x class weight, each scored on the validation split
            tried = stored["params"]["validation_scores"]
            assert len(tried) == 10 and stored["params"]["chosen"] in [t["params"] for t in tried]
            best = max(t["score"] for t in tried)
            assert [t["score"] for t in tried if t["params"] == stored["params"]["chosen"]] == [best]
        assert (directory / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    majority = runs[0]
    predicted = [json.loads(line)["pred"] for line in
                 (built_sample.runs_dir / majority["run_id"] / "predictions.jsonl").read_text().splitlines()]
    assert len(set(predicted)) == 1  # the training majority, for every test item
    expected = majority["per_class"][predicted[0]]["support"] / 8
    assert majority["metrics"]["accuracy"]["value"] == pytest.approx(expected)


def test_stance_majority_is_per_target_and_reports_f_avg(runner, built_sample):
    result = runner.invoke(main, ["eval", "run", "--task", "stance", "--baselines", "majority", "--cv", "3",
                                  "--resamples", "100", "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert "f_avg" in run["metrics"] and set(run["per_target"]) == {"DeepSeek", "US AI policy"}
    predictions = [json.loads(line) for line in
                   (built_sample.runs_dir / run["run_id"] / "predictions.jsonl").read_text().splitlines()]
    assert len(predictions) == 154 and "cross-validation" in run["mode"]


def test_entities_baselines_and_predict(runner, built_sample, tmp_path):
    result = runner.invoke(main, ["eval", "run", "--task", "entities", "--resamples", "100", "--json"])
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)["runs"]
    assert [r["baseline"] for r in runs] == ["gazetteer", "crf", "crf_pair"]
    for run in runs:
        assert 0 <= run["metrics"]["exact_f1"]["value"] <= run["metrics"]["partial_f1"]["value"] <= 1
    texts = tmp_path / "texts.txt"
    texts.write_text("DeepSeekはOpenAIに挑戦している。\n", encoding="utf-8")
    result = runner.invoke(main, ["eval", "predict", "--run", runs[0]["run_id"], str(texts)])
    assert result.exit_code == 0, result.output
    predicted = json.loads(result.stdout.splitlines()[0])
    assert {"start": 0, "end": 8, "label": "ORG", "text": "DeepSeek"} in predicted["entities"]


def test_score_external_predictions_and_compare(runner, built_sample, tmp_path):
    import datasets

    test = datasets.load_from_disk(str(built_sample.build_dir / "dataset" / "sentences"))["test"]
    names = test.features["claim_type"].names
    perfect = tmp_path / "perfect.jsonl"
    perfect.write_text("".join(json.dumps({"id": r["id"], "label": names[r["claim_type"]]}) + "\n" for r in test),
                       encoding="utf-8")
    result = runner.invoke(main, ["eval", "score", str(perfect), "--task", "claim_type", "--resamples", "100",
                                  "--json"])
    assert result.exit_code == 0, result.output
    scored = json.loads(result.stdout)
    assert scored["metrics"]["accuracy"]["value"] == 1.0 and scored["metrics"]["accuracy"]["low"] == 1.0
    assert scored["metrics"]["macro_f1"]["value"] == 1.0

    majority = json.loads(runner.invoke(main, ["eval", "run", "--task", "claim_type", "--baselines", "majority",
                                               "--resamples", "100", "--json"]).stdout)
    compared = runner.invoke(main, ["eval", "compare", majority["run_id"], scored["run_id"], "--json"])
    assert compared.exit_code == 0, compared.output
    outcome = json.loads(compared.stdout)
    assert outcome["run_a"] == majority["run_id"] and outcome["run_b"] == scored["run_id"]
    assert outcome["b_value"] == 1.0 and outcome["difference"] == outcome["b_value"] - outcome["a_value"]
    assert outcome["difference"] > 0 and outcome["low"] <= outcome["difference"] <= outcome["high"]

    broken = tmp_path / "broken.jsonl"
    rows = [json.loads(line) for line in perfect.read_text().splitlines()]
    rows = rows[2:] + [{"id": "nope-s0001", "label": "quantity"}, {"id": rows[2]["id"], "label": "MAYBE"}]
    broken.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = runner.invoke(main, ["eval", "score", str(broken), "--task", "claim_type"])
    assert result.exit_code == 2
    message = result.stderr
    assert "2 gold ids have no prediction" in message
    assert "1 predicted id is not in the gold of the test split" in message
    assert "nope-s0001" in message and '"MAYBE"' in message and "predicted twice" in message
    assert "its splits.jsonl gives each sentence's split, to keep the test rows" in message  # how to keep them
    assert len(message.strip().splitlines()) == 1


def test_score_only_gold_leaves_out_the_predictions_of_rows_without_gold(runner, built_sample, tmp_path):
    """A model's file for every sentence (`annotate suggest`), scored against one split: refused, with
    the way out; with --only-gold the other rows are left out, counted, and the test rows scored."""
    import datasets

    dataset = datasets.load_from_disk(str(built_sample.build_dir / "dataset" / "sentences"))
    names = dataset["test"].features["claim_type"].names
    rows = [row for split in dataset.values() for row in split]
    every = tmp_path / "every.jsonl"
    every.write_text("".join(json.dumps({"id": r["id"], "label": names[r["claim_type"]]}) + "\n" for r in rows)
                     + json.dumps({"id": "unlabelled-s0001", "label": "NOT A LABEL"}) + "\n", encoding="utf-8")
    refused = runner.invoke(main, ["eval", "score", str(every), "--task", "claim_type", "--resamples", "50"])
    assert refused.exit_code == 2 and "--only-gold" in refused.stderr, refused.output
    assert len(refused.stderr.strip().splitlines()) == 1
    result = runner.invoke(main, ["eval", "score", str(every), "--task", "claim_type", "--resamples", "50",
                                  "--only-gold", "--json"])
    assert result.exit_code == 0, result.output
    scored = json.loads(result.stdout)
    left_out = len(rows) - len(dataset["test"]) + 1
    assert scored["n_evaluated"] == len(dataset["test"]) and scored["params"]["left_out"] == left_out
    assert scored["metrics"]["accuracy"]["value"] == 1.0
    said = runner.invoke(main, ["eval", "score", str(every), "--task", "claim_type", "--resamples", "50", "--only-gold"])
    assert said.exit_code == 0 and f"left out {left_out} predictions of rows without gold in the test split" in said.stderr
    # Rows with gold still must all be predicted: --only-gold leaves nothing of the gold out.
    dropped = dataset["test"][0]["id"]
    some = tmp_path / "some.jsonl"
    some.write_text("".join(line for line in every.read_text(encoding="utf-8").splitlines(keepends=True)
                            if json.loads(line)["id"] != dropped), encoding="utf-8")
    missing = runner.invoke(main, ["eval", "score", str(some), "--task", "claim_type", "--only-gold"])
    assert missing.exit_code == 2 and "1 gold id has no prediction" in missing.stderr, missing.output


def test_runs_listing_and_missing_dataset(runner, sample_workspace):
    result = runner.invoke(main, ["eval", "run"])
    assert result.exit_code == 2 and "tagline eval build" in result.stderr
    result = runner.invoke(main, ["eval", "runs"])
    assert result.exit_code == 0 and "no runs yet" in result.stderr


def test_stance_pooled_option(runner, built_sample):
    result = runner.invoke(main, ["eval", "run", "--task", "stance", "--baselines", "tfidf_nb", "--pooled",
                                  "--cv", "3", "--resamples", "50", "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["baseline"] == "tfidf_nb+pooled" and "f_avg" in run["metrics"]
    from tagline.eval.run import load_model

    model = load_model(built_sample.runs_dir / run["run_id"])
    assert model.pooled is True
    assert model.predict([("DeepSeek", "DeepSeekは優れている。")])[0] in {"FAVOR", "AGAINST", "NONE"}


@pytest.mark.parametrize("columns", ["80", "60"])
def test_run_and_runs_tables_show_whole_run_ids(runner, built_sample, monkeypatch, columns):
    # The ids are what `eval compare` and `eval predict` take, so a narrow terminal must not cut them.
    monkeypatch.setenv("COLUMNS", columns)
    result = runner.invoke(main, ["eval", "run", "--task", "stance", "--baselines", "majority,tfidf_nb+pooled",
                                  "--cv", "3", "--resamples", "20"])
    assert result.exit_code == 0, result.output
    ids = sorted(path.name for path in built_sample.runs_dir.iterdir())
    assert len(ids) == 2 and any(run_id.endswith("tfidf_nb+pooled") for run_id in ids)
    listed = runner.invoke(main, ["eval", "runs"])
    assert listed.exit_code == 0
    for output in (result.stdout, listed.stdout):
        assert all(run_id in output for run_id in ids), output
        # Nothing else is cut or hidden either: every interval, item count and setup, within the width.
        assert output.count("f_avg ") == 2 and output.count("]") == 2 and "n 154" in output.replace("  ", " "), output
        assert "cv 3, tuned" in output and all(len(line) <= int(columns) for line in output.splitlines()), output


def test_tables_tell_tuned_runs_from_untuned_ones(runner, built_sample, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    for tune in ("--tune", "--no-tune"):
        result = runner.invoke(main, ["eval", "run", "--task", "claim_type", "--baselines", "tfidf_nb", tune,
                                      "--cv", "3", "--resamples", "20"])
        assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["eval", "runs"]).stdout
    assert "cv 3, tuned" in listed and "cv 3, defaults" in listed, listed
    # The report summarises the choices (per fold, in a table) instead of dumping the search.
    tuned = next(p for p in sorted(built_sample.runs_dir.iterdir()))
    report = (tuned / "report.md").read_text(encoding="utf-8")
    assert "| fold | model | parameters | CV score |" in report and "```" not in report
    assert report.count("\n| 3 | all |") == 1 and len(report.splitlines()) < 80


def test_stance_cross_validation_keeps_a_sentences_target_rows_in_one_fold(runner, built_sample):
    # The sample is one document, so folds cannot be grouped by document; each sentence has a row
    # per target, and a pooled model must never be tested on a sentence it was trained on.
    from tagline.eval.run import cv_folds, task_data

    data = task_data(built_sample.build_dir / "dataset", "stance")
    sentence_of = [row_id.split("@", 1)[0] for row_id in data.ids]
    assert len(set(data.doc_ids)) == 1 and len(set(sentence_of)) < len(sentence_of)
    folds, how = cv_folds(data, 5, 13, list(data.gold))
    assert how.startswith("grouped by sentence")
    assert sorted(i for _, test in folds for i in test) == list(range(len(data.ids)))
    for train, test in folds:
        assert test and not {sentence_of[i] for i in train} & {sentence_of[i] for i in test}
    result = runner.invoke(main, ["eval", "run", "--task", "stance", "--baselines", "majority", "--pooled", "--cv", "5",
                                  "--resamples", "20", "--json"])
    assert result.exit_code == 0, result.output
    assert "grouped by sentence" in json.loads(result.stdout)["mode"]


def test_how_a_run_was_made_is_read_from_its_protocol_not_its_wording():
    from tagline.cli.eval import run_setup

    result = {"mode": "any words at all", "protocol": {"evaluation": "cross_validation", "tuning": "defaults",
                                                       "folds": 5}}
    assert run_setup(result) == "cv 5, defaults"
    assert run_setup({**result, "protocol": {"evaluation": "external", "tuning": "none", "folds": None}}) == \
        "predictions"
    assert run_setup({**result, "protocol": {"evaluation": "holdout", "tuning": "validation", "folds": None}}) == \
        "test, tuned"
    # results.json written before runs recorded a protocol: their mode sentence is all there is
    assert run_setup({"mode": "5-fold cross-validation, by document, the baseline's default parameters "
                               "(not tuned)"}) == "cv 5, defaults"
    assert run_setup({"mode": "external predictions on test"}) == "predictions"
