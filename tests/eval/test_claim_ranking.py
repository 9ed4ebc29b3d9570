"""Ranking check-worthy sentences with `eval run` and `tagline bench`: tuning for the benchmark's own
measure (MAP over held-out documents, folds grouped by document) chosen, checked and recorded in the
run, and the ``cues_svm`` baseline (n-grams and surface cues of a claim), on made-up debates and on a
slice of the CLEF-2019 CheckThat! files (skipped where ../shared is absent)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from bench_slices import checkthat_slice
from test_ranking_models import debates

from tagline.errors import DataError
from tagline.eval.baselines import CrossValidatedClassifier, make_text_baseline, positive_scores
from tagline.eval.baselines.cues import CUES, surface_cues
from tagline.eval.baselines.registry import BY_NAME, TUNING_GRIDS, names_for
from tagline.eval.metrics import mean_average_precision
from tagline.eval.run import TaskData, evaluate_baseline, load_model, save_model

LABELS = ["check_worthy", "not_check_worthy"]


def claim_data(n_debates: int = 3, *, splits: tuple[str, ...] = ("train", "train", "test"), seed: int = 0) -> TaskData:
    """Claim-type task data of ``n_debates`` made-up debates, the i-th debate in ``splits[i]``."""
    texts, labels, groups = debates(n_debates, seed=seed)
    index = {group: i for i, group in enumerate(dict.fromkeys(groups))}
    ids = [f"{group}-s{n % 30:04d}" for n, group in enumerate(groups)]
    return TaskData("claim_type", ids=ids, inputs=texts, gold=labels, doc_ids=groups,
                    splits=[splits[index[group]] for group in groups], langs=["en"] * len(texts), labels=LABELS)


# ----- tuning for MAP -------------------------------------------------------------------------------
def test_tuning_for_map_ranks_held_out_documents_and_is_recorded():
    data = claim_data(4, splits=("train", "train", "train", "test"))
    outcome = evaluate_baseline(data, "tfidf_svm", cv=None, seed=0, tune_metric="map", positive="check_worthy")
    model = outcome["model"]
    assert isinstance(model, CrossValidatedClassifier) and model.scoring == "map"
    # Folds keep a debate whole: three training debates give three folds, not the five asked for.
    assert model.folds_used_ == 3 and 0 < model.best_score_ <= 1
    params = outcome["params"]
    assert params["metric"] == "map" and params["positive"] == "check_worthy"
    assert params["tuning"] == "3-fold cross-validation on train, folds grouped by document"
    assert "parameters tuned for map by 3-fold cross-validation on train, folds grouped by document" in \
        outcome["mode"]


def test_without_a_tuning_metric_the_task_default_is_kept():
    outcome = evaluate_baseline(claim_data(), "tfidf_svm", cv=None, seed=0)
    assert outcome["params"]["metric"] == "macro_f1" and "positive" not in outcome["params"]
    assert " for " not in outcome["mode"] and outcome["model"].scoring == "macro_f1"


def test_tuning_for_map_on_a_validation_split_scores_each_setting_by_map():
    data = claim_data(3, splits=("train", "validation", "test"))
    outcome = evaluate_baseline(data, "tfidf_logreg", cv=None, seed=0, tune_metric="map", positive="check_worthy")
    assert outcome["mode"].startswith("train on train, parameters tuned for map on validation")
    rows = outcome["params"]["validation_scores"]
    assert len(rows) == 10 and outcome["params"]["positive"] == "check_worthy"
    train = [i for i, split in enumerate(data.splits) if split == "train"]
    validation = [i for i, split in enumerate(data.splits) if split == "validation"]
    for row in rows[:2]:
        model = make_text_baseline("tfidf_logreg", lang="en", random_state=0)
        model.set_params(**{f"classifier__{key}": value for key, value in row["params"].items()})
        model.fit([data.inputs[i] for i in train], [data.gold[i] for i in train])
        scores = positive_scores(model, [data.inputs[i] for i in validation], positive="check_worthy")
        assert row["score"] == pytest.approx(mean_average_precision(
            [data.gold[i] for i in validation], scores, [data.doc_ids[i] for i in validation],
            positive="check_worthy"))


def test_tuning_for_map_inside_cross_validation_folds():
    outcome = evaluate_baseline(claim_data(6, splits=("train",) * 6), "tfidf_svm", cv=3, seed=0,
                                tune_metric="map", positive="check_worthy")
    assert outcome["params"]["metric"] == "map" and len(outcome["params"]["folds"]) == 3
    assert "parameters tuned for map inside each fold" in outcome["mode"] and "grouped by document" in outcome["mode"]


@pytest.mark.parametrize(("task", "metric", "positive", "message"), [
    ("claim_type", "map", None, "no label was given"),
    ("claim_type", "map", "worthy", "'worthy' is not one of the labels"),
    ("claim_type", "f_avg", None, "F_avg averages the stance labels"),
    ("claim_type", "recall", None, "unknown tuning metric 'recall'"),
    ("stance", "map", "FAVOR", "tuning for map ranks each document's sentences"),
])
def test_a_tuning_metric_that_does_not_fit_the_task_is_an_error(task, metric, positive, message):
    data = claim_data()
    if task == "stance":
        data.task, data.inputs, data.labels = "stance", [("t", text) for text in data.inputs], ["FAVOR", "NONE"]
    with pytest.raises(DataError) as error:
        evaluate_baseline(data, "tfidf_svm", cv=None, seed=0, tune_metric=metric, positive=positive)
    assert message in error.value.what


# ----- the cues_svm baseline ------------------------------------------------------------------------
def test_surface_cues_are_length_numbers_percentages_capitals_and_a_question_mark():
    cues = surface_cues(["In 2016 Ohio lost 40,000 jobs, 3 percent.", "Is that so?", ""])
    assert cues.shape == (3, len(CUES))
    first = dict(zip(CUES, cues[0].tolist()))
    assert first["log_tokens"] == pytest.approx(np.log1p(9))  # 40,000 is two words, as \w+ splits it
    assert first["has_digit"] == first["has_percent"] == 1.0 and first["numbers"] == 4.0  # 2016, 40, 000, 3
    assert first["capitalised_share"] == pytest.approx(1 / 10) and first["question"] == 0.0
    assert dict(zip(CUES, cues[1].tolist()))["question"] == 1.0 and cues[2].tolist() == [0.0] * len(CUES)


def test_cues_svm_is_a_registered_claim_type_baseline_with_a_grid():
    assert "cues_svm" in names_for("claim_type") and "cues_svm" not in names_for("stance")
    assert TUNING_GRIDS["cues_svm"]["C"] == [0.03, 0.1, 0.3, 1.0] and not BY_NAME["cues_svm"].poolable
    model = make_text_baseline("cues_svm", lang="en")
    assert model.named_steps["classifier"].get_params()["C"] == 0.1


def test_cues_svm_ranks_sentences_and_its_model_saves_without_pickle(tmp_path):
    texts, labels, _ = debates(3, seed=4)
    model = make_text_baseline("cues_svm", lang="en").fit(texts, labels)
    ngrams = model.named_steps["features"].transformer_list[0][1].transform(texts[:1]).shape[1]
    assert model.named_steps["features"].transform(texts[:1]).shape[1] == ngrams + len(CUES)
    ranked = positive_scores(model, ["the deficit rose 12 percent in 2019", "thank you, good evening"],
                             positive="check_worthy")
    assert ranked[0] > ranked[1]
    save_model(model, tmp_path)
    loaded = load_model(tmp_path)
    assert positive_scores(loaded, texts, positive="check_worthy").tolist() == \
        positive_scores(model, texts, positive="check_worthy").tolist()


# ----- the benchmark ----------------------------------------------------------------------------------
@pytest.mark.shared
def test_checkthat_tunes_for_map_by_default_and_records_it(tmp_path):
    from tagline.eval.bench.runner import run_benchmark

    checkthat_slice(tmp_path / "datasets")
    result = run_benchmark("clef2019-checkthat-task1", data=tmp_path / "datasets", out=tmp_path / "ws",
                           baselines=["cues_svm"], n_resamples=50)
    (run,) = result.results
    assert run["params"]["metric"] == "map" and run["params"]["positive"] == "check_worthy"
    assert "parameters tuned for map by 2-fold cross-validation on train, folds grouped by document" in run["mode"]
    saved = json.loads((result.workspace.runs_dir / run["run_id"] / "results.json").read_text(encoding="utf-8"))
    assert saved["params"]["metric"] == "map" and 0 < saved["metrics"]["map"]["value"] <= 1
    assert result.summary()["ours"][0]["tuning_metric"] == "map"
    again = run_benchmark("clef2019-checkthat-task1", data=tmp_path / "datasets", out=tmp_path / "ws2",
                          baselines=["cues_svm"], n_resamples=50, tune_metric="macro_f1")
    assert again.results[0]["params"]["metric"] == "macro_f1" and "positive" not in again.results[0]["params"]


# ----- the command ------------------------------------------------------------------------------------
def test_eval_run_tune_metric_map_needs_the_label_to_rank_by_and_records_it(runner, built_sample):
    from tagline.cli import main

    args = ["eval", "run", "--task", "claim_type", "--baselines", "tfidf_svm", "--resamples", "20", "--json"]
    refused = runner.invoke(main, [*args, "--tune-metric", "map"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("Error: tuning for map ranks sentences by one label's score, and no label was given")
    assert "--positive" in line and "quantity" in line
    result = runner.invoke(main, [*args, "--tune-metric", "map", "--positive", "quantity"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    saved = json.loads((built_sample.runs_dir / run["run_id"] / "results.json").read_text(encoding="utf-8"))
    assert saved["params"]["metric"] == "map" and saved["params"]["positive"] == "quantity"
    assert "Chosen to maximise `map`" in (built_sample.runs_dir / run["run_id"] / "report.md").read_text(
        encoding="utf-8")
