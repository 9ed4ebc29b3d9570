"""Fitting one baseline on one task's data and predicting the items it is scored on: train and test
(tuned on validation, or by cross-validation on train), or K-fold cross-validation with the tuning
nested inside each fold; and how it was done, in words and as a protocol."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NotRequired, TypedDict

from tagline.errors import DataError
from tagline.eval.baselines.registry import POOLED, TUNING_GRIDS, TUNING_METRICS, find, names_for
from tagline.eval.parallel import map_tasks
from tagline.eval.run.data import TaskData
from tagline.eval.run.fitting import (
    TUNING_FOLDS,
    TuningGoal,
    chosen_params,
    fit_predict,
    tuning_metric_name,
    tuning_phrase,
)
from tagline.eval.run.folds import cv_folds
from tagline.schemas.records import RunProtocol

Tuning = Literal["validation", "cross_validation", "defaults", "none"]


class Evaluation(TypedDict):
    """What :func:`evaluate_baseline` did: the predictions for the ``evaluated`` items (indices into
    the task data), the model fitted for saving, and how (``mode`` in words, ``protocol`` as data,
    ``params`` for what tuning chose)."""

    mode: str
    protocol: RunProtocol
    evaluated: list[int]
    predictions: list[Any]
    model: Any
    params: dict[str, Any]
    n_train: int
    lang: str
    # Every item's input as the model read it (the texts, or DebateLines for a baseline that reads
    # sentences in context), to score the model again (the ranking measures); not for entities.
    inputs: NotRequired[list[Any]]


def protocol(evaluation: Literal["holdout", "cross_validation", "external"], tuning: Tuning, *,
             folds: int | None = None) -> RunProtocol:
    """How a run was made, as data (``mode`` says the same in words, for people): ``evaluation``
    is ``holdout``, ``cross_validation`` or ``external`` (scored predictions), ``tuning`` is
    ``validation``, ``cross_validation``, ``defaults`` (a tunable baseline left at its defaults)
    or ``none`` (nothing to tune). See :class:`tagline.schemas.records.RunProtocol`."""
    return {"evaluation": evaluation, "tuning": tuning, "folds": folds}


def evaluate_baseline(data: TaskData, baseline: str, *, cv: int | None, seed: int, tune: bool = True,
                      tune_metric: str | None = None, positive: str | None = None) -> Evaluation:
    """Fit and predict one baseline; returns predictions on the evaluated items and how it was done.

    With ``tune`` (the default) a TF-IDF baseline's classifier parameters are chosen without seeing
    the items it is scored on: on the validation split if there is one, else by cross-validation
    on train; under ``cv`` by cross-validation inside each fold's training part (nested), so the
    estimate covers the tuning too. Without ``tune`` the baseline keeps its default parameters.
    ``tune_metric`` is what tuning maximises (see :func:`tuning_goal`; default F_avg for stance,
    macro-F1 otherwise); ``"map"`` ranks each held-out document's items by the score for
    ``positive`` and keeps a document's items in one fold.
    """
    spec = find(baseline)
    if spec is None or data.task not in spec.tasks:
        raise ValueError(f"baseline {baseline!r} does not apply to {data.task}; expected one of "
                         f"{', '.join(names_for(data.task))}")
    if cv and cv > len(data.ids):
        raise DataError(f"--cv {cv} is more folds than the {len(data.ids)} {data.task} examples",
                        fix=f"use at most --cv {len(data.ids)} (5 or 10 is usual)")
    goal = tuning_goal(data, tune_metric, positive)
    if spec.context:
        data = data.in_context()
    lang = "ja" if data.langs.count("ja") >= len(data.langs) / 2 else "en"
    if data.task == "entities":
        return _evaluate_entities(data, spec.load_factory(), cv=cv, seed=seed, lang=lang)
    if cv:
        outcome = _cross_validate(data, baseline, cv=cv, seed=seed, lang=lang, tune=tune, goal=goal)
    else:
        outcome = _holdout(data, baseline, seed=seed, lang=lang, tune=tune, goal=goal)
    outcome["inputs"] = data.inputs
    return outcome


def tuning_goal(data: TaskData, tune_metric: str | None, positive: str | None) -> TuningGoal:
    """What tuning maximises on ``data``, checked: ``tune_metric`` (the task's default when None) and,
    for ``map``, the label ``positive`` whose score ranks the items of each document."""
    metric = tune_metric or tuning_metric_name(data.task)
    if metric not in TUNING_METRICS:
        raise DataError(f"unknown tuning metric {metric!r}", fix=f"choose one of {', '.join(TUNING_METRICS)}")
    if metric == "f_avg" and data.task != "stance":
        raise DataError(f"F_avg averages the stance labels FAVOR and AGAINST, and this is {data.task}",
                        fix="tune for macro_f1 (or map, to rank claims)")
    if metric == "map" and data.task != "claim_type":
        raise DataError(f"tuning for map ranks each document's sentences by a claim-type label, and this is "
                        f"{data.task}", fix="tune for f_avg or macro_f1")
    if metric != "map":
        return TuningGoal(metric)
    if positive not in data.labels:
        given = f"{positive!r} is not one of the labels" if positive else "no label was given"
        raise DataError(f"tuning for map ranks sentences by one label's score, and {given}",
                        fix=f"name the label to rank by (--positive): one of {', '.join(data.labels)}")
    return TuningGoal(metric, positive)

def _per_target(data: TaskData, baseline: str) -> str:
    return " per target" if data.task == "stance" and not baseline.endswith(POOLED) else ""


def _cross_validate(data: TaskData, baseline: str, *, cv: int, seed: int, lang: str, tune: bool,
                    goal: TuningGoal) -> Evaluation:
    tunable = tune and baseline.removesuffix(POOLED) in TUNING_GRIDS
    tune_folds = TUNING_FOLDS if tunable else None
    predictions: list[Any] = [None] * len(data.ids)
    folds, how = cv_folds(data, cv, seed, list(data.gold))
    # The folds and the model saved from all items are one batch of tasks (see tagline.eval.parallel).
    calls = [(data.task, baseline, lang, seed, [data.inputs[i] for i in train_index],
              [data.gold[i] for i in train_index], [data.inputs[i] for i in test_index], tune_folds, False, goal,
              [data.doc_ids[i] for i in train_index])
             for train_index, test_index in folds]
    calls.append((data.task, baseline, lang, seed, data.inputs, data.gold, data.inputs[:1], tune_folds, True, goal,
                  data.doc_ids))
    *outcomes, (model, _) = map_tasks(fit_fold, calls)
    fold_choices = []
    for (_, test_index), (choice, guess) in zip(folds, outcomes):
        if tunable:
            fold_choices.append(choice)
        for i, label in zip(test_index, guess):
            predictions[i] = label
    params, tuning, fixed = _nested_tuning(data, baseline, model, fold_choices, tunable=tunable, goal=goal)
    return {"mode": f"{cv}-fold cross-validation, {how}{fixed}", "evaluated": list(range(len(data.ids))),
            "protocol": protocol("cross_validation", tuning, folds=cv), "predictions": predictions, "model": model,
            "params": params, "n_train": len(data.ids), "lang": lang}


def fit_fold(task: str, baseline: str, lang: str, seed: int, train_x: list, train_y: list, test_x: list,
             tune_folds: int | None, keep_model: bool, goal: TuningGoal | None = None,
             train_groups: list | None = None) -> tuple[Any, list[str]]:
    """One task of a cross-validation: :func:`fit_predict`, returning the fitted model
    (``keep_model``) or else only what its tuning chose (None untuned), and the predictions."""
    model, guess = fit_predict(task, baseline, lang, seed, train_x, train_y, test_x, tune_folds=tune_folds,
                               goal=goal, train_groups=train_groups)
    return (model if keep_model else chosen_params(model) if tune_folds else None), guess


def _nested_tuning(data: TaskData, baseline: str, model: Any, fold_choices: list[dict], *,
                   tunable: bool, goal: TuningGoal) -> tuple[dict[str, Any], Tuning, str]:
    """What a cross-validation's tuning chose (``params``), its protocol name, and the end of the
    run's ``mode`` that says it."""
    if not tunable:
        if baseline.removesuffix(POOLED) in TUNING_GRIDS:
            return {}, "defaults", ", the baseline's default parameters (not tuned)"
        return {}, "none", ""
    per = _per_target(data, baseline)
    folds_phrase, untuned = tuning_phrase(fold_choices, "fold models")
    params = {"chosen": chosen_params(model), **_goal_params(goal),
              "tuning": f"{folds_phrase or 'no'} cross-validation on the training part of each fold{per}"
                        f"{_grouped(goal)}; the saved model is tuned the same way on all items",
              "folds": fold_choices}
    if not folds_phrase:
        return params, "defaults", ", the baseline's default parameters (too few items to tune inside the folds)"
    return params, "cross_validation", \
        f", parameters tuned{_for(data, goal)} inside each fold by {folds_phrase} cross-validation on its training " \
        f"part{per}{_grouped(goal)}{untuned}"


def _holdout(data: TaskData, baseline: str, *, seed: int, lang: str, tune: bool, goal: TuningGoal) -> Evaluation:
    train = [i for i, s in enumerate(data.splits) if s == "train"]
    validation = [i for i, s in enumerate(data.splits) if s == "validation"]
    test = [i for i, s in enumerate(data.splits) if s == "test"]
    if not train or not test:
        raise DataError(f"the {data.task} data needs a train and a test split (found: "
                        f"{', '.join(sorted(set(data.splits)))})", fix="rebuild, or use --cv K")
    tunable = tune and baseline.removesuffix(POOLED) in TUNING_GRIDS
    train_x, train_y = [data.inputs[i] for i in train], [data.gold[i] for i in train]
    test_x = [data.inputs[i] for i in test]
    tuning: Tuning
    if tunable and validation:
        model, guess, params = _tune_on_validation(data, baseline, lang, seed, train, validation, test_x, goal)
        how, tuning = f"parameters tuned{_for(data, goal)} on validation", "validation"
    elif tunable:
        model, guess = fit_predict(data.task, baseline, lang, seed, train_x, train_y, test_x, tune_folds=TUNING_FOLDS,
                                   goal=goal, train_groups=[data.doc_ids[i] for i in train])
        params, how, tuning = _tuning_on_train(data, baseline, model, goal)
    else:
        model, guess = fit_predict(data.task, baseline, lang, seed, train_x, train_y, test_x)
        params = {}
        tuned_by_default = baseline.removesuffix(POOLED) in TUNING_GRIDS
        how = "the baseline's default parameters (not tuned)" if tuned_by_default else ""
        tuning = "defaults" if tuned_by_default else "none"
    return {"mode": "train on train" + (f", {how}" if how else "") + ", report on test",
            "protocol": protocol("holdout", tuning), "evaluated": test, "predictions": guess, "model": model,
            "params": params, "n_train": len(train), "lang": lang}


def _tune_on_validation(data: TaskData, baseline: str, lang: str, seed: int, train: list[int],
                        validation: list[int], test_x: list, goal: TuningGoal) -> tuple[Any, list[str], dict[str, Any]]:
    """Score every setting of the grid fitted on train on the validation split (for ``map``, each
    validation document's items ranked by the score for the positive label); refit the best on
    train and predict ``test_x``."""
    from sklearn.model_selection import ParameterGrid

    from tagline.eval.baselines import best_setting, make_text_baseline, tuning_metric
    from tagline.eval.metrics import mean_average_precision

    name = baseline.removesuffix(POOLED)
    train_x, train_y = [data.inputs[i] for i in train], [data.gold[i] for i in train]
    validation_x, truth = [data.inputs[i] for i in validation], [data.gold[i] for i in validation]
    candidates = list(ParameterGrid(TUNING_GRIDS[name]))
    calls = ((data.task, baseline, lang, seed, train_x, train_y, validation_x, candidate, goal.positive)
             for candidate in candidates)
    if goal.metric == "map":
        documents = [data.doc_ids[i] for i in validation]
        scores = [mean_average_precision(truth, ranked, documents, positive=goal.positive)
                  for ranked in map_tasks(rank_with, calls)]
    else:
        metric = tuning_metric(goal.metric, data.labels)
        scores = [metric(truth, guess) for guess in map_tasks(predict_with, calls)]
    defaults = make_text_baseline(name, lang=lang).named_steps["classifier"].get_params()
    best = best_setting(candidates, scores, defaults)
    params = {"chosen": candidates[best], **_goal_params(goal),
              "validation_scores": [{"params": c, "score": v} for c, v in zip(candidates, scores)]}
    model, guess = fit_predict(data.task, baseline, lang, seed, train_x, train_y, test_x, candidates[best])
    return model, guess, params


def predict_with(task: str, baseline: str, lang: str, seed: int, train_x: list, train_y: list, test_x: list,
                 params: dict, positive: str | None = None) -> list[str]:
    """One setting of a tuning grid: the predictions of the model fitted on train with ``params``
    (``positive`` is not read: the call has :func:`rank_with`'s shape)."""
    return fit_predict(task, baseline, lang, seed, train_x, train_y, test_x, params)[1]


def rank_with(task: str, baseline: str, lang: str, seed: int, train_x: list, train_y: list, test_x: list,
              params: dict, positive: str | None = None) -> list[float]:
    """One setting of a tuning grid for ``map``: the scores for ``positive`` that the model fitted on
    train with ``params`` gives ``test_x`` (0 for every item when training had no such item)."""
    from tagline.eval.baselines import positive_scores

    model = fit_predict(task, baseline, lang, seed, train_x, train_y, test_x[:1], params)[0]
    if positive not in getattr(model, "classes_", ()):
        return [0.0] * len(test_x)
    return positive_scores(model, list(test_x), positive=positive).tolist()


def _goal_params(goal: TuningGoal) -> dict[str, Any]:
    """How a run records what its tuning maximised: ``metric``, and for ``map`` the ``positive`` label."""
    return {"metric": goal.metric, **({"positive": goal.positive} if goal.positive is not None else {})}


def _for(data: TaskData, goal: TuningGoal) -> str:
    """`` for map`` in a run's ``mode`` when tuning maximised another measure than the task's default."""
    return "" if goal.metric == tuning_metric_name(data.task) else f" for {goal.metric}"


def _grouped(goal: TuningGoal) -> str:
    return ", folds grouped by document" if goal.metric == "map" else ""


def _tuning_on_train(data: TaskData, baseline: str, model: Any,
                     goal: TuningGoal) -> tuple[dict[str, Any], str, Tuning]:
    """What a model tuned by cross-validation on train chose (``params``), how, in words for the
    run's ``mode``, and the protocol's name for it."""
    per = _per_target(data, baseline)
    chosen = chosen_params(model)
    folds_phrase, untuned = tuning_phrase([chosen], "targets" if len(chosen) > 1 else "models")
    params = {"chosen": chosen, **_goal_params(goal),
              "tuning": f"{folds_phrase or 'no'} cross-validation on train{per}{_grouped(goal)}"}
    if not folds_phrase:
        return params, "default parameters (no validation split, and too few items to cross-validate)", "defaults"
    how = (f"parameters tuned{_for(data, goal)} by {folds_phrase} cross-validation on train{per}{_grouped(goal)}"
           f"{untuned} (no validation split)")
    return params, how, "cross_validation"


def fit_entities(make: Callable[..., Any], lang: str, seed: int, inputs: list, langs: list, gold: list,
                 test_inputs: list | None, test_langs: list | None) -> Any:
    """One entity model fitted on ``inputs``: the model, or (given test items) its predictions."""
    model = make(lang=lang, random_state=seed).fit(inputs, langs, gold)
    return model if test_inputs is None else model.predict(test_inputs, test_langs)


def _evaluate_entities(data: TaskData, make: Callable[..., Any], *, cv: int | None, seed: int,
                       lang: str) -> Evaluation:
    def call(indices: Any, test: Any = None) -> tuple:
        return (make, lang, seed, [data.inputs[i] for i in indices], [data.langs[i] for i in indices],
                [data.gold[i] for i in indices], None if test is None else [data.inputs[i] for i in test],
                None if test is None else [data.langs[i] for i in test])

    if cv:
        predictions: list[Any] = [None] * len(data.ids)
        strata = ["entities" if spans else "none" for spans in data.gold]
        folds, how = cv_folds(data, cv, seed, strata)
        *guesses, model = map_tasks(fit_entities, [*(call(train, test) for train, test in folds),
                                                   call(range(len(data.ids)))])
        for (_, test_index), guess in zip(folds, guesses):
            for i, spans in zip(test_index, guess):
                predictions[i] = spans
        return {"mode": f"{cv}-fold cross-validation, {how}",
                "protocol": protocol("cross_validation", "none", folds=cv), "evaluated": list(range(len(data.ids))),
                "predictions": predictions, "model": model, "params": {},
                "n_train": len(data.ids), "lang": lang}
    train = [i for i, s in enumerate(data.splits) if s in ("train", "validation")]
    test = [i for i, s in enumerate(data.splits) if s == "test"]
    if not train or not test:
        raise DataError("the entities data needs a train and a test split", fix="rebuild, or use --cv K")
    model = fit_entities(*call(train))
    return {"mode": "train on train + validation, report on test", "protocol": protocol("holdout", "none"),
            "evaluated": test, "predictions": model.predict([data.inputs[i] for i in test],
                                                            [data.langs[i] for i in test]),
            "model": model, "params": {}, "n_train": len(train), "lang": lang}
