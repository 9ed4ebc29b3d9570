"""`tagline bench` as a library: the registry, finding the datasets folder, which benchmarks are
present, and benchmarks run end to end on small slices of the real files (skipped where ../shared
is absent), whose runs are ordinary runs that `compare_runs` reads."""

from __future__ import annotations

import json
import math

import pytest
from bench_slices import checkthat_slice, claimbuster_slice, semeval_slice, stockmark_slice

from tagline.annotate.formats.registry import BENCHMARK_FORMATS
from tagline.errors import ConflictError, DataError
from tagline.eval.baselines.registry import find as find_baseline
from tagline.eval.baselines.registry import names_for
from tagline.eval.bench import table
from tagline.eval.bench.data import DATA_VARIABLE, benchmark_status, find_data_dir, require_files
from tagline.eval.bench.registry import BENCHMARK_NAMES, BENCHMARKS, BY_NAME, find
from tagline.eval.bench.runner import RANKING_MEASURES, run_benchmark
from tagline.eval.run.scoring import HEADLINE

from conftest import REPO


# ----- the registry ------------------------------------------------------------------------------
def test_the_registry_names_the_five_benchmarks_and_each_entry_holds_together():
    assert BENCHMARK_NAMES == ("semeval2016-task6", "stockmark-ner", "clef2019-checkthat-task1",
                               "clef2020-checkthat-task5", "claimbuster")
    for spec in BENCHMARKS:
        assert spec.fmt in BENCHMARK_FORMATS, spec.name
        for baseline in spec.baselines:  # NAME or, for a baseline that pools, NAME+pooled
            entry = find_baseline(baseline)
            assert entry is not None and entry.name in names_for(spec.task), (spec.name, baseline)
        assert spec.measure in (RANKING_MEASURES if spec.ranking else (HEADLINE[spec.task],)), spec.name
        assert not (spec.ranking and spec.cv), "rankings are measured on the official test split"
        assert all(source == "." or source in spec.needs for source in spec.sources), spec.name
        for published in spec.published:
            assert 0 < published.value < 1
            assert math.isclose(float(published.printed) / spec.scale, published.value, abs_tol=5e-5), published
        assert spec.published or spec.published_note, f"{spec.name}: say why nothing is published"


def test_find_gives_the_entry_or_an_error_naming_the_benchmarks():
    assert find("claimbuster") is BY_NAME["claimbuster"]
    with pytest.raises(DataError) as error:
        find("semeval")
    assert "no benchmark is named 'semeval'" in str(error.value) and "semeval2016-task6" in str(error.value)


# ----- the datasets folder -----------------------------------------------------------------------
def test_the_datasets_folder_is_the_option_else_the_variable_else_shared_datasets_above(tmp_path, monkeypatch):
    given, variable = tmp_path / "given", tmp_path / "variable"
    given.mkdir()
    variable.mkdir()
    checkout = tmp_path / "project" / "checkout" / "src"
    checkout.mkdir(parents=True)
    (tmp_path / "project" / "shared" / "datasets").mkdir(parents=True)
    monkeypatch.setenv(DATA_VARIABLE, str(variable))
    assert find_data_dir(given, start=checkout) == given
    assert find_data_dir(start=checkout) == variable
    monkeypatch.delenv(DATA_VARIABLE)
    assert find_data_dir(start=checkout) == tmp_path / "project" / "shared" / "datasets"
    with pytest.raises(DataError) as error:
        find_data_dir(start=given)
    assert "no datasets folder" in error.value.what and "--data DIR" in (error.value.fix or "")
    with pytest.raises(DataError) as error:
        find_data_dir(tmp_path / "nowhere")
    assert error.value.where == "--data" and "is not a folder" in error.value.what


def test_status_says_which_benchmarks_are_present_and_what_the_absent_lack(tmp_path):
    (tmp_path / "claimbuster").mkdir()
    (tmp_path / "claimbuster" / "kfold_25ncs.json").write_text("[]", encoding="utf-8")
    (tmp_path / "clef2019-checkthat-task1" / "training").mkdir(parents=True)
    rows = {row["name"]: row for row in benchmark_status(tmp_path)}
    assert list(rows) == list(BENCHMARK_NAMES)
    assert rows["claimbuster"]["present"] and rows["claimbuster"]["missing"] == []
    assert not rows["clef2019-checkthat-task1"]["present"]
    assert rows["clef2019-checkthat-task1"]["missing"] == ["clef2019-checkthat-task1/test_annotated"]
    assert rows["stockmark-ner"]["missing"] == ["stockmark-ner-ja/ner.json"]
    assert rows["semeval2016-task6"]["command"] == "tagline bench semeval2016-task6"


def test_an_absent_benchmark_is_an_error_before_anything_is_made(tmp_path):
    with pytest.raises(DataError) as error:
        require_files(BY_NAME["stockmark-ner"], tmp_path)
    assert "the stockmark-ner data is absent" in error.value.what and "stockmark-ner-ja/ner.json" in error.value.what
    with pytest.raises(DataError):
        run_benchmark("stockmark-ner", data=tmp_path, out=tmp_path / "ws")
    assert not (tmp_path / "ws").exists()


def test_a_workspace_folder_that_is_not_empty_is_refused(tmp_path):
    (tmp_path / "data" / "claimbuster").mkdir(parents=True)
    (tmp_path / "data" / "claimbuster" / "kfold_25ncs.json").write_text("[]", encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConflictError):
        run_benchmark("claimbuster", data=tmp_path / "data", out=tmp_path / "out")
    assert [path.name for path in (tmp_path / "out").iterdir()] == ["notes.txt"]


def test_unknown_baselines_are_refused_before_the_import(tmp_path):
    (tmp_path / "data" / "claimbuster").mkdir(parents=True)
    (tmp_path / "data" / "claimbuster" / "kfold_25ncs.json").write_text("[]", encoding="utf-8")
    with pytest.raises(DataError) as error:
        run_benchmark("claimbuster", data=tmp_path / "data", out=tmp_path / "ws", baselines=["crf"])
    assert "does not apply to claim_type" in error.value.what
    assert not (tmp_path / "ws").exists()


# ----- end to end on slices of the real files ----------------------------------------------------
@pytest.mark.shared
def test_semeval_on_a_slice_makes_ordinary_runs_scored_as_the_organisers_score(tmp_path):
    from tagline.annotate.formats.semeval2016 import read_semeval2016_split
    from tagline.eval.baselines import PerTargetClassifier, make_text_baseline
    from tagline.eval.metrics import f_avg
    from tagline.eval.score import compare_runs

    folder = semeval_slice(tmp_path / "datasets")
    result = run_benchmark("semeval2016-task6", data=tmp_path / "datasets", out=tmp_path / "ws",
                           baselines=["majority", "tfidf_nb"], n_resamples=50)
    assert [run["baseline"] for run in result.results] == ["majority", "tfidf_nb"]
    train, test = (list(read_semeval2016_split(folder, split)) for split in ("train", "test"))
    assert result.sentences == len(train) + len(test) and result.gold == result.sentences
    # The majority row is the organisers' "Majority class": the most frequent label of each target.
    model = PerTargetClassifier(make_text_baseline("majority", lang="en")).fit(
        [(r["target"], r["text"]) for r in train], [r["label"] for r in train])
    expected = f_avg([r["label"] for r in test], [str(p) for p in model.predict([(r["target"], r["text"])
                                                                                     for r in test])])
    assert result.figure(result.results[0])["value"] == pytest.approx(expected)
    for run in result.results:
        folder = result.workspace.runs_dir / run["run_id"]
        assert json.loads((folder / "results.json").read_text(encoding="utf-8"))["metrics"]["f_avg"] == run["metrics"]["f_avg"]
        assert "| f_avg |" in (folder / "report.md").read_text(encoding="utf-8")
    compared = compare_runs(result.workspace, result.results[0]["run_id"], result.results[1]["run_id"], n_resamples=50)
    assert compared["metric"] == "f_avg" and compared["n_items"] == len(test)
    summary = result.summary()
    assert summary["ours"][0]["f_avg"]["value"] == pytest.approx(expected)
    assert [p["printed"] for p in summary["published"]] == ["65.22", "68.98"]


@pytest.mark.shared
def test_checkthat_on_a_slice_records_the_ranking_measures_in_the_run(tmp_path):
    from tagline.annotate.formats.checkworthiness import LABELS, checkthat_files, read_checkthat_debate
    from tagline.eval.metrics import grouped_ranking_measures

    folder = checkthat_slice(tmp_path / "datasets")
    result = run_benchmark("clef2019-checkthat-task1", data=tmp_path / "datasets", out=tmp_path / "ws",
                           baselines=["majority"], n_resamples=50)
    (run,) = result.results
    assert list(run["metrics"])[-len(RANKING_MEASURES):] == list(RANKING_MEASURES)
    # One score for every sentence: each debate ranked in line order, as the organisers' scorer ties.
    labels, debates = [], []
    for path, split in checkthat_files(folder, "checkthat2019"):
        if split == "test":
            rows = read_checkthat_debate(path)
            labels += [LABELS[row["label"]] for row in rows]
            debates += [path.stem] * len(rows)
    expected = grouped_ranking_measures(labels, [0.0] * len(labels), debates, positive="check_worthy")
    assert run["metrics"]["map"]["value"] == pytest.approx(expected["mean"]["average_precision"])
    assert 0 < expected["mean"]["average_precision"] < 1
    saved = json.loads((result.workspace.runs_dir / run["run_id"] / "results.json").read_text(encoding="utf-8"))
    assert saved["metrics"]["map"] == run["metrics"]["map"]
    assert "| map |" in (result.workspace.runs_dir / run["run_id"] / "report.md").read_text(encoding="utf-8")


@pytest.mark.shared
def test_stockmark_on_a_slice_keeps_the_datasets_eight_types_under_english_names(tmp_path):
    stockmark_slice(tmp_path / "datasets")
    result = run_benchmark("stockmark-ner", data=tmp_path / "datasets", out=tmp_path / "ws", baselines=["gazetteer"],
                           n_resamples=20)
    assert [label["name"] for label in result.workspace.config.data["tasks"]["entities"]["labels"]] == \
        ["PERSON", "COMPANY", "LOCATION", "PRODUCT", "POLITICAL_ORG", "FACILITY", "OTHER_ORG", "EVENT"]
    (run,) = result.results
    assert run["task"] == "entities" and run["mode"] == "train on train + validation, report on test"
    assert set(run["per_class"]) <= {"PERSON", "COMPANY", "LOCATION", "PRODUCT", "POLITICAL_ORG", "FACILITY",
                                     "OTHER_ORG", "EVENT"} and run["per_class"]
    assert 0 < result.figure(run)["value"] < 1


@pytest.mark.shared
def test_claimbuster_on_a_slice_is_scored_by_four_fold_cross_validation(tmp_path):
    claimbuster_slice(tmp_path / "datasets")
    result = run_benchmark("claimbuster", data=tmp_path / "datasets", out=tmp_path / "ws", baselines=["majority"],
                           n_resamples=20)
    (run,) = result.results
    assert run["protocol"] == {"evaluation": "cross_validation", "tuning": "none", "folds": 4}
    assert run["n_evaluated"] == result.sentences and "map" not in run["metrics"]
    assert result.figure(run) == run["metrics"]["macro_f1"]


@pytest.mark.shared
def test_without_tuning_the_description_does_not_say_the_parameters_were_tuned(tmp_path):
    claimbuster_slice(tmp_path / "datasets")
    result = run_benchmark("claimbuster", data=tmp_path / "datasets", out=tmp_path / "ws", baselines=["tfidf_nb"],
                           n_resamples=20, tune=False)
    assert "tuned" not in result.summary()["split"] and "4-fold cross-validation" in result.summary()["split"]
    assert BY_NAME["claimbuster"].described(True).endswith("parameters tuned inside each fold")
    assert BY_NAME["semeval2016-task6"].described(True).endswith("tuned by 5-fold cross-validation on train")
    assert "tuned" not in BY_NAME["semeval2016-task6"].described(False)


# ----- the README table --------------------------------------------------------------------------
def test_the_readme_table_is_current_and_has_a_row_per_benchmark():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme == table.with_table(readme, REPO / table.FIGURES), \
        "regenerate with: python -m tagline.eval.bench.table README.md"
    block = table.render_table(REPO / table.FIGURES)
    for spec in BENCHMARKS:
        assert f"| {spec.name} | {spec.measure_name} |" in block and f"`tagline bench {spec.name}`" in block


def test_a_benchmark_without_measured_figures_says_so(tmp_path):
    assert "| claimbuster | macro-F1 | not measured yet |" in table.render_table(tmp_path)


def test_figures_are_printed_as_the_papers_print_them():
    assert BY_NAME["semeval2016-task6"].shown(0.685184) == "68.52"
    assert BY_NAME["clef2019-checkthat-task1"].shown(0.13552) == ".1355"
    assert BY_NAME["stockmark-ner"].shown(0.8234) == ".823"
