"""The registry of baselines: every entry loads and fits, its grid fits its classifier, and the CLI,
`eval run`'s checks, the demo and the docs are made from it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tagline.errors import DataError
from tagline.eval.baselines.registry import (
    BASELINE_SPECS,
    BY_NAME,
    ENTITY_BASELINES,
    POOLED,
    TEXT_BASELINES,
    TUNING_GRIDS,
    find,
    names_for,
)
from tagline.eval.run import TaskData, evaluate_baseline, plan_baselines
from tagline.schemas import LABEL_TASKS, TASKS

TEXTS = {"en": ["great plan, love it", "awful plan, hate it", "the bus is late", "love this, great work",
                "hate this awful idea", "lunch at noon today", "great, great news", "awful, awful news"],
         "ja": ["素晴らしい計画だ", "ひどい計画だ", "バスが遅れた", "素晴らしい仕事だ", "ひどい考えだ", "昼食は正午",
                "素晴らしい知らせ", "ひどい知らせ"]}
STANCES = ["FAVOR", "AGAINST", "NONE", "FAVOR", "AGAINST", "NONE", "FAVOR", "AGAINST"]
ENTITY_TEXTS = ["岸田首相は東京で話した。", "石破首相は大阪で話した。", "東京で会議が開かれた。",
                "大阪で岸田首相が話した。"]
ENTITY_SPANS = [[(0, 2, "PERSON"), (5, 7, "GPE")], [(0, 2, "PERSON"), (5, 7, "GPE")], [(0, 2, "GPE")],
                [(0, 2, "GPE"), (3, 5, "PERSON")]]


def tiny_data(task: str, lang: str) -> TaskData:
    """Eight items (four for entities), the last two (one) held out as test."""
    if task == "entities":
        inputs, gold, labels = list(ENTITY_TEXTS), [list(spans) for spans in ENTITY_SPANS], ["PERSON", "GPE"]
    else:
        texts = TEXTS[lang]
        inputs = [("cats" if i % 2 else "dogs", text) for i, text in enumerate(texts)] if task == "stance" else texts
        gold, labels = list(STANCES), ["FAVOR", "AGAINST", "NONE"]
    n = len(inputs)
    return TaskData(task=task, ids=[f"s{i}" for i in range(n)], inputs=inputs, gold=gold,
                    doc_ids=[f"d{i}" for i in range(n)], splits=["train"] * (n - n // 4) + ["test"] * (n // 4),
                    langs=["ja" if task == "entities" else lang] * n, labels=labels)


CASES = [(spec.name + suffix, task) for spec in BASELINE_SPECS for task in spec.tasks
         for suffix in ([""] + ([POOLED] if spec.poolable and task == "stance" else []))]


@pytest.mark.parametrize(("baseline", "task"), CASES)
def test_every_entry_fits_and_predicts_a_tiny_dataset_for_each_task_it_names(baseline, task):
    data = tiny_data(task, "en")
    outcome = evaluate_baseline(data, baseline, cv=None, seed=0, tune=False)
    assert outcome["evaluated"] == [i for i, split in enumerate(data.splits) if split == "test"]
    if task == "entities":
        assert all(label in data.labels for spans in outcome["predictions"] for _, _, label in spans)
        assert outcome["predictions"] == outcome["model"].predict([data.inputs[i] for i in outcome["evaluated"]],
                                                                  ["ja"] * len(outcome["evaluated"]))
    else:
        assert set(outcome["predictions"]) <= set(data.labels)
    if baseline.endswith(POOLED):
        assert outcome["model"].pooled is True


@pytest.mark.parametrize("spec", BASELINE_SPECS, ids=lambda spec: spec.name)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_factory_resolves_and_takes_the_language_and_seed(spec, lang):
    model = spec.load_factory()(lang=lang, random_state=3)
    if "entities" in spec.tasks:
        model.fit(ENTITY_TEXTS, ["ja"] * len(ENTITY_TEXTS), ENTITY_SPANS)
        assert len(model.predict(ENTITY_TEXTS[:1], ["ja"])) == 1
    else:
        model.fit(TEXTS[lang], STANCES)
        assert set(model.predict(TEXTS[lang][:3]).tolist()) <= set(STANCES)


@pytest.mark.parametrize("spec", [spec for spec in BASELINE_SPECS if spec.grid], ids=lambda spec: spec.name)
def test_a_grid_sets_parameters_of_the_classifier_and_holds_its_defaults(spec):
    # Ties in tuning go to the defaults, so the defaults must be among the settings tried.
    defaults = spec.load_factory()(lang="en", random_state=0).named_steps["classifier"].get_params()
    for key, values in spec.grid.items():
        assert key in defaults, f"{spec.name}: {key} is not a parameter of its classifier"
        assert defaults[key] in values, f"{spec.name}: the default {key}={defaults[key]!r} is not tried"
        assert len(values) == len(set(map(repr, values))) >= 2


def test_entries_are_well_formed():
    names = [spec.name for spec in BASELINE_SPECS]
    assert len(names) == len(set(names)) and all(name.isidentifier() for name in names)
    for spec in BASELINE_SPECS:
        assert spec.tasks and set(spec.tasks) <= set(TASKS), spec.name
        assert spec.description and "\n" not in spec.description and "|" not in spec.description, spec.name
        assert not spec.poolable or "stance" in spec.tasks, spec.name
        assert not spec.grid or set(spec.tasks) <= set(LABEL_TASKS), spec.name  # tuning picks labels, not spans
        assert spec.factory.startswith("tagline.eval.") and spec.factory.count(":") == 1, spec.name


def test_every_task_has_a_baseline_and_every_label_task_a_majority_one():
    # `eval run` falls back on `majority` when a training set has a single label.
    for task in TASKS:
        assert names_for(task), task
    for task in LABEL_TASKS:
        assert "majority" in names_for(task)


def test_the_lists_used_elsewhere_are_the_registry_in_its_order():
    assert TEXT_BASELINES + ENTITY_BASELINES == tuple(spec.name for spec in BASELINE_SPECS)
    assert TUNING_GRIDS == {spec.name: spec.grid for spec in BASELINE_SPECS if spec.grid}
    from tagline.eval.baselines import BASELINE_NAMES, BASELINES
    from tagline.eval.demo import demo_runs

    assert BASELINES == tuple((name, BY_NAME[name].description) for name in BASELINE_NAMES)
    assert demo_runs() == [(task, spec.name + ("+pooled" if spec.pooled else "")) for task in TASKS
                           for spec in BASELINE_SPECS if task in spec.tasks]
    assert ("stance", "tfidf_svm_tweets_targets+pooled") in demo_runs()  # per target it would be tfidf_svm_tweets


def test_eval_run_accepts_every_registered_name_and_refuses_others():
    every = list(TASKS)
    for spec in BASELINE_SPECS:
        plan = plan_baselines(every, [spec.name], pooled=False)
        assert {task for task, names in plan.items() if names} == set(spec.tasks)
        if spec.poolable:
            assert plan_baselines(every, [spec.name + POOLED], pooled=False)["stance"] == [spec.name + POOLED]
    assert plan_baselines(every, None, pooled=True)["stance"] == [name + POOLED for name in names_for("stance")]
    with pytest.raises(DataError) as unknown:
        plan_baselines(every, ["bert"], pooled=False)
    assert unknown.value.what == "unknown baseline bert"
    assert all(spec.name in unknown.value.fix for spec in BASELINE_SPECS)
    unpoolable = next(spec.name for spec in BASELINE_SPECS if not spec.poolable)
    assert find(unpoolable + POOLED) is None
    with pytest.raises(DataError, match="cannot be fitted over all stance targets"):
        plan_baselines(every, [unpoolable + POOLED], pooled=False)


def test_the_cli_help_names_every_baseline(runner):
    from tagline.cli import main

    result = runner.invoke(main, ["eval", "run", "--help"], terminal_width=400)
    assert result.exit_code == 0
    help_text = " ".join(result.output.split())
    assert all(spec.name in help_text for spec in BASELINE_SPECS) and f"NAME{POOLED}" in help_text


def test_the_registry_imports_no_heavy_library():
    code = ("import sys, tagline.eval.baselines.registry; "
            "print(sorted(m for m in ('sklearn', 'numpy', 'scipy', 'datasets') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_evaluating_a_baseline_on_a_task_it_does_not_name_is_refused():
    entity_only = next(spec.name for spec in BASELINE_SPECS if spec.tasks == ("entities",))
    with pytest.raises(ValueError, match=f"baseline '{entity_only}' does not apply to claim_type; expected one of"):
        evaluate_baseline(tiny_data("claim_type", "en"), entity_only, cv=None, seed=0)
    with pytest.raises(ValueError, match="does not apply to stance"):
        evaluate_baseline(tiny_data("stance", "en"), "bert", cv=None, seed=0)
