"""Running baselines on a built dataset: train on train, tune on validation, report on test (or
cross-validate), with bootstrap intervals; every run is written to ``runs/<run-id>/``."""

from __future__ import annotations

import json
import os
import platform
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tagline.corpus.store import utc_now, write_text_atomic
from tagline.corpus.workspace import Workspace
from tagline.schemas import TASKS
from tagline.errors import DataError

TEXT_BASELINES = ("majority", "stratified", "tfidf_logreg", "tfidf_svm", "tfidf_nb")
ENTITY_BASELINES = ("gazetteer", "crf")
HEADLINE = {"claim_type": "macro_f1", "stance": "f_avg", "entities": "exact_f1"}
TUNING_FOLDS = 5  # folds of the cross-validation on train that tunes a baseline when there is no validation split


@dataclass
class TaskData:
    """One task's examples: inputs, gold labels (or spans), ids, documents and splits."""

    task: str
    ids: list[str]
    inputs: list  # texts; (target, text) pairs for stance
    gold: list  # label names; span lists for entities
    doc_ids: list[str]
    splits: list[str]
    langs: list[str]
    labels: list[str]


def stale_build_warning(workspace: Workspace, dataset_dir: str | Path | None = None) -> str | None:
    """A warning when the dataset was built from this workspace before its gold or sentences last
    changed (runs would score an old picture of the gold); ``None`` otherwise."""
    from tagline.eval.build import source_state

    directory = Path(dataset_dir) if dataset_dir else workspace.build_dir / "dataset"
    try:
        built = json.loads((directory / "fingerprint.json").read_text(encoding="utf-8")).get("sources")
    except (OSError, ValueError):
        return None
    if not isinstance(built, dict):
        return None
    now = source_state(workspace)
    if built.get("workspace") != now["workspace"]:
        return None
    changed = [name for name in ("gold", "sentences") if built.get(name) != now[name]]
    if not changed:
        return None
    return (f"the {' and '.join(changed)} changed after {directory} was built: these scores use the build; "
            "run `tagline eval build` to include the changes")


def load_dataset_dir(workspace: Workspace, dataset_dir: str | Path | None = None) -> tuple[Path, dict]:
    directory = Path(dataset_dir) if dataset_dir else workspace.build_dir / "dataset"
    fingerprint_path = directory / "fingerprint.json"
    if not fingerprint_path.exists():
        raise DataError("no built dataset", where=str(directory),
                        fix="run `tagline eval build` first (or pass --dataset DIR)")
    return directory, json.loads(fingerprint_path.read_text(encoding="utf-8"))


def task_data(directory: Path, task: str) -> TaskData:
    """Read one task's examples from a built dataset."""
    import datasets

    datasets.disable_progress_bars()
    config = "stance" if task == "stance" else "sentences"
    if not (directory / config).exists():
        raise DataError(f"the dataset has no {config} config", where=str(directory),
                        fix=f"rebuild with `tagline eval build --task {task}`")
    parts = datasets.load_from_disk(str(directory / config))
    ids: list[str] = []
    inputs: list = []
    gold: list = []
    doc_ids: list[str] = []
    splits: list[str] = []
    langs: list[str] = []
    labels: list[str] = []
    keep: Sequence[int]
    for split, part in parts.items():
        table = part.data
        if task == "stance":
            labels = part.features["label"].names
            values = table.column("label").to_pylist()
            texts, targets = table.column("text").to_pylist(), table.column("target").to_pylist()
            keep = range(len(values))
            inputs.extend((targets[i], texts[i]) for i in keep)
            gold.extend(labels[values[i]] for i in keep)
        elif task == "claim_type":
            if "claim_type" not in part.features:
                raise DataError("the dataset has no claim_type column", where=str(directory),
                                fix="rebuild with `tagline eval build --task claim_type`")
            labels = part.features["claim_type"].names
            values = table.column("claim_type").to_pylist()
            keep = [i for i, v in enumerate(values) if v is not None]
            texts = table.column("text").to_pylist()
            inputs.extend(texts[i] for i in keep)
            gold.extend(labels[values[i]] for i in keep)
        else:
            if "entities" not in part.features:
                raise DataError("the dataset has no entities column", where=str(directory),
                                fix="rebuild with `tagline eval build --task entities`")
            labels = part.features["entities"].feature["label"].names
            values = table.column("entities").to_pylist()
            keep = [i for i, v in enumerate(values) if v is not None]
            texts = table.column("text").to_pylist()
            inputs.extend(texts[i] for i in keep)
            gold.extend([(e["start"], e["end"], labels[e["label"]]) for e in values[i]] for i in keep)
        row_ids, row_docs, row_langs = (table.column(c).to_pylist() for c in ("id", "doc_id", "lang"))
        ids.extend(row_ids[i] for i in keep)
        doc_ids.extend(row_docs[i] for i in keep)
        langs.extend(row_langs[i] for i in keep)
        splits.extend([split] * len(keep))
    if not ids:
        raise DataError(f"the dataset has no {task} examples", where=str(directory),
                        fix="adjudicate gold for this task and rebuild")
    return TaskData(task, ids, inputs, gold, doc_ids, splits, langs, labels)


# ----- metrics for a run --------------------------------------------------------------------
def label_metric(name: str, labels: Sequence[str]) -> Callable:
    """The label metric ``name`` as runs, scored predictions and comparisons compute it, over
    ``labels`` (the classes that occur, gold or predicted, in the items scored). Macro-F1 averages
    over those classes, and F_avg over FAVOR and AGAINST, in every bootstrap resample too, so a
    class that a resample misses is not counted as an F1 of 0."""
    import functools

    from tagline.eval.metrics import METRICS, STANCE_POSITIVE, f_avg, macro_f1, weighted_f1

    if name == "macro_f1":
        return functools.partial(macro_f1, labels=list(labels), skip_absent=True)
    if name == "f_avg":
        return functools.partial(f_avg, skip_when_absent=[label for label in STANCE_POSITIVE if label in labels])
    if name == "weighted_f1":
        return functools.partial(weighted_f1, labels=list(labels))
    return METRICS[name]


def score_labels(task: str, y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str], *,
                 inputs: Sequence | None = None, n_resamples: int = 1000, seed: int = 0) -> dict:
    """Headline metrics with bootstrap intervals, per-class scores and the confusion matrix."""
    from tagline.eval.metrics import bootstrap_ci, classification_metrics, metric_value

    base = classification_metrics(list(y_true), list(y_pred), labels=list(labels))
    names = (["f_avg"] if task == "stance" else []) + ["accuracy", "macro_f1", "weighted_f1"]
    # Macro-F1 averages over the classes that occur in the evaluated items (gold or predicted),
    # as scikit-learn does by default: a configured class absent from the test set is not a zero.
    present = [label for label in labels if label in set(y_true) | set(y_pred)]
    metrics = {name: bootstrap_ci(label_metric(name, present), list(y_true), list(y_pred), n_resamples=n_resamples,
                                  random_state=seed) for name in names}
    result = {"metrics": metrics, "per_class": base["per_class"], "confusion_matrix": base["confusion_matrix"]}
    if task == "stance" and inputs is not None:
        per_target = {}
        for target in sorted({t for t, _ in inputs}):
            rows = [i for i, (t, _) in enumerate(inputs) if t == target]
            truth, guess = [y_true[i] for i in rows], [y_pred[i] for i in rows]
            per_target[target] = {"n": len(rows),
                                  "f_avg": metric_value("f_avg", truth, guess, labels=list(labels)),
                                  "macro_f1": metric_value("macro_f1", truth, guess,
                                                           labels=[x for x in labels if x in set(truth) | set(guess)])}
        result["per_target"] = per_target
    return result


# ----- fitting ------------------------------------------------------------------------------
POOLED = "+pooled"  # suffix of a stance baseline fitted once over all targets


def _make_model(task: str, baseline: str, lang: str, seed: int, params: dict | None = None, *,
                tune_folds: int | None = None):
    """The unfitted model for ``baseline``: with classifier ``params`` set, or (``tune_folds``) with
    them chosen by cross-validation on the training data, per target for stance."""
    from tagline.eval.baselines import PerTargetClassifier, make_text_baseline, make_tuned_baseline

    pooled = baseline.endswith(POOLED)
    name = baseline.removesuffix(POOLED)
    if tune_folds:
        model = make_tuned_baseline(name, lang=lang, scoring=_tuning_metric_name(task), folds=tune_folds,
                                    random_state=seed)
    else:
        model = make_text_baseline(name, lang=lang, random_state=seed)
        if params:
            model.set_params(**{f"classifier__{key}": value for key, value in params.items()})
    return PerTargetClassifier(model, pooled=pooled) if task == "stance" else model


def _tuning_metric_name(task: str) -> str:
    return "f_avg" if task == "stance" else "macro_f1"


def _fit_predict(task: str, baseline: str, lang: str, seed: int, train_x, train_y, test_x,
                 params: dict | None = None, *, tune_folds: int | None = None):
    model = _make_model(task, baseline, lang, seed, params, tune_folds=tune_folds)
    if len(set(train_y)) < 2 and task != "stance":  # PerTargetClassifier handles one-label targets itself
        from tagline.eval.baselines import make_text_baseline

        model = make_text_baseline("majority", lang=lang, random_state=seed)
    model.fit(list(train_x), list(train_y))
    return model, [str(p) for p in model.predict(list(test_x))]


def _chosen_params(model) -> dict:
    """What cross-validation chose inside a fitted model: per target for stance, else one entry.

    Each entry holds ``params`` and ``cv_score`` (None when nothing was chosen), and either
    ``folds`` (how many folds the search used) or ``kept``: ``"defaults"`` (the search could not
    run, or learnt nothing) or ``"majority"`` (a single label in training: that label is predicted).
    """
    from tagline.eval.baselines import POOLED_KEY, CrossValidatedClassifier, PerTargetClassifier

    parts = model.estimators_ if isinstance(model, PerTargetClassifier) else {"all": model}
    chosen: dict[str, dict] = {}
    for key, part in parts.items():
        name = "all targets" if key == POOLED_KEY else key
        if isinstance(part, CrossValidatedClassifier) and part.best_params_:
            chosen[name] = {"params": part.best_params_, "cv_score": part.best_score_, "folds": part.folds_used_,
                            "cv_scores": part.cv_scores_}
        elif _predicts_majority(part):
            chosen[name] = {"params": "none: a single label in training, which is always predicted",
                            "cv_score": None, "kept": "majority"}
        else:
            note = part.tuning_note_ if isinstance(part, CrossValidatedClassifier) else "not tuned"
            chosen[name] = {"params": f"defaults kept: {note}", "cv_score": None, "kept": "defaults"}
    return chosen


def _predicts_majority(part) -> bool:
    from sklearn.dummy import DummyClassifier

    steps = getattr(part, "named_steps", {})
    return isinstance(part, DummyClassifier) or isinstance(steps.get("classifier"), DummyClassifier)


def _tuning_phrase(choices: list[dict], models: str) -> tuple[str, str]:
    """For the entries of one or more :func:`_chosen_params` results: how many folds the searches
    used (``"5-fold"``, or ``"2- to 5-fold"``; empty when nothing was tuned), and a note, empty or
    like ``" (fewer than 5 folds where a label has fewer items; 3 of 5 fold models tuned, 2 kept
    the defaults)"``."""
    items = [item for choice in choices for item in choice.values()]
    used = sorted({item["folds"] for item in items if item["cv_score"] is not None})
    folds = f"{used[0]}-fold" if len(used) == 1 else f"{used[0]}- to {used[-1]}-fold" if used else ""
    notes = [f"fewer than {TUNING_FOLDS} folds where a label has fewer items"] \
        if len(used) > 1 or (used and used[0] != TUNING_FOLDS) else []
    kept = Counter(item.get("kept") for item in items if item["cv_score"] is None)
    if kept:
        others = [f"{kept['majority']} predict their single training label"] if kept["majority"] else []
        others += [f"{kept['defaults']} kept the defaults"] if kept["defaults"] else []
        notes.append(f"{len(items) - sum(kept.values())} of {len(items)} {models} tuned, {', '.join(others)}")
    return folds, f" ({'; '.join(notes)})" if notes else ""


def _folds(data: TaskData, k: int, seed: int, strata: list[str]) -> tuple[list[tuple[list[int], list[int]]], str]:
    import numpy as np
    from sklearn.model_selection import KFold, StratifiedGroupKFold, StratifiedKFold

    n = len(data.ids)
    x = np.zeros(n)
    groups = data.doc_ids
    # A stance row is one sentence and one target: a sentence's rows must share a fold, or a pooled
    # model would be tested on a text it was trained on.
    sentences = [row_id.split("@", 1)[0] for row_id in data.ids] if data.task == "stance" else None
    if len(set(groups)) >= k:
        splitter, how = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed), "grouped by document"
        folds = list(splitter.split(x, strata, groups))
    elif sentences is not None:
        if len(set(sentences)) < k:
            raise DataError(f"--cv {k} is more folds than the {len(set(sentences))} sentences with stance gold",
                            fix=f"use at most --cv {len(set(sentences))} (5 or 10 is usual)")
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "the least populated class ...": said in `how`
            folds = list(StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed).split(x, strata, sentences))
        how = "grouped by sentence (too few documents to group by document)"
        if any(len(test) == 0 for _, test in folds):
            from sklearn.model_selection import GroupKFold

            folds = list(GroupKFold(n_splits=k).split(x, strata, sentences))
    elif min(np.unique(strata, return_counts=True)[1]) >= k:
        splitter, how = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed), \
            "stratified by label (too few documents to group)"
        folds = list(splitter.split(x, strata))
    else:
        splitter, how = KFold(n_splits=k, shuffle=True, random_state=seed), \
            "plain k-fold (too few documents to group, a class too rare to stratify)"
        folds = list(splitter.split(x))
    return [(list(a), list(b)) for a, b in folds], how


def protocol(evaluation: str, tuning: str, *, folds: int | None = None) -> dict:
    """How a run was made, as data (``mode`` says the same in words, for people): ``evaluation``
    is ``holdout``, ``cross_validation`` or ``external`` (scored predictions), ``tuning`` is
    ``validation``, ``cross_validation``, ``defaults`` (a tunable baseline left at its defaults)
    or ``none`` (nothing to tune). See :class:`tagline.schemas.records.RunProtocol`."""
    return {"evaluation": evaluation, "tuning": tuning, "folds": folds}


def evaluate_baseline(data: TaskData, baseline: str, *, cv: int | None, seed: int, tune: bool = True) -> dict:
    """Fit and predict one baseline; returns predictions on the evaluated items and how it was done.

    With ``tune`` (the default) a TF-IDF baseline's classifier parameters are chosen without seeing
    the items it is scored on: on the validation split if there is one, else by cross-validation
    on train; under ``cv`` by cross-validation inside each fold's training part (nested), so the
    estimate covers the tuning too. Without ``tune`` the baseline keeps its default parameters.
    """
    if cv and cv > len(data.ids):
        raise DataError(f"--cv {cv} is more folds than the {len(data.ids)} {data.task} examples",
                        fix=f"use at most --cv {len(data.ids)} (5 or 10 is usual)")
    lang = "ja" if data.langs.count("ja") >= len(data.langs) / 2 else "en"
    if data.task == "entities":
        return _evaluate_entities(data, baseline, cv=cv, seed=seed, lang=lang)
    from tagline.eval.baselines import TUNING_GRIDS

    name = baseline.removesuffix(POOLED)
    tunable = tune and name in TUNING_GRIDS
    per = " per target" if data.task == "stance" and not baseline.endswith(POOLED) else ""
    if cv:
        predictions = [None] * len(data.ids)
        folds, how = _folds(data, cv, seed, list(data.gold))
        tune_folds = TUNING_FOLDS if tunable else None
        fold_choices = []
        for train_index, test_index in folds:
            model, guess = _fit_predict(data.task, baseline, lang, seed, [data.inputs[i] for i in train_index],
                                        [data.gold[i] for i in train_index], [data.inputs[i] for i in test_index],
                                        tune_folds=tune_folds)
            if tunable:
                fold_choices.append(_chosen_params(model))
            for i, label in zip(test_index, guess):
                predictions[i] = label
        evaluated = list(range(len(data.ids)))
        model, _ = _fit_predict(data.task, baseline, lang, seed, data.inputs, data.gold, data.inputs[:1],
                                tune_folds=tune_folds)
        params: dict = {}
        tuning = "defaults" if name in TUNING_GRIDS else "none"
        if tunable:
            chosen = _chosen_params(model)
            folds_phrase, untuned = _tuning_phrase(fold_choices, "fold models")
            tuning = "cross_validation" if folds_phrase else "defaults"
            params = {"chosen": chosen, "metric": _tuning_metric_name(data.task),
                      "tuning": f"{folds_phrase or 'no'} cross-validation on the training part of each fold{per}; "
                                "the saved model is tuned the same way on all items",
                      "folds": fold_choices}
            if not folds_phrase:
                fixed = ", the baseline's default parameters (too few items to tune inside the folds)"
            else:
                fixed = f", parameters tuned inside each fold by {folds_phrase} cross-validation on its " \
                        f"training part{per}{untuned}"
        elif name in TUNING_GRIDS:
            fixed = ", the baseline's default parameters (not tuned)"
        else:
            fixed = ""
        return {"mode": f"{cv}-fold cross-validation, {how}{fixed}", "evaluated": evaluated,
                "protocol": protocol("cross_validation", tuning, folds=cv),
                "predictions": predictions, "model": model, "params": params, "n_train": len(data.ids), "lang": lang}
    train = [i for i, s in enumerate(data.splits) if s == "train"]
    validation = [i for i, s in enumerate(data.splits) if s == "validation"]
    test = [i for i, s in enumerate(data.splits) if s == "test"]
    if not train or not test:
        raise DataError(f"the {data.task} data needs a train and a test split (found: "
                        f"{', '.join(sorted(set(data.splits)))})", fix="rebuild, or use --cv K")
    from sklearn.model_selection import ParameterGrid

    from tagline.eval.baselines import best_setting, make_text_baseline, tuning_metric

    train_x, train_y = [data.inputs[i] for i in train], [data.gold[i] for i in train]
    test_x = [data.inputs[i] for i in test]
    params = {}
    if tunable and validation:
        candidates = list(ParameterGrid(TUNING_GRIDS[name]))
        metric = tuning_metric(_tuning_metric_name(data.task), data.labels)
        truth = [data.gold[i] for i in validation]
        scores = []
        for candidate in candidates:
            _, guess = _fit_predict(data.task, baseline, lang, seed, train_x, train_y,
                                    [data.inputs[i] for i in validation], candidate)
            scores.append(metric(truth, guess))
        defaults = make_text_baseline(name, lang=lang).named_steps["classifier"].get_params()
        best = best_setting(candidates, scores, defaults)
        params = {"chosen": candidates[best], "metric": _tuning_metric_name(data.task),
                  "validation_scores": [{"params": c, "score": v} for c, v in zip(candidates, scores)]}
        model, guess = _fit_predict(data.task, baseline, lang, seed, train_x, train_y, test_x, candidates[best])
        how = "parameters tuned on validation"
        tuning = "validation"
    elif tunable:
        model, guess = _fit_predict(data.task, baseline, lang, seed, train_x, train_y, test_x, tune_folds=TUNING_FOLDS)
        chosen = _chosen_params(model)
        folds_phrase, untuned = _tuning_phrase([chosen], "targets" if len(chosen) > 1 else "models")
        params = {"chosen": chosen, "metric": _tuning_metric_name(data.task),
                  "tuning": f"{folds_phrase or 'no'} cross-validation on train{per}"}
        if not folds_phrase:
            how = "default parameters (no validation split, and too few items to cross-validate)"
            tuning = "defaults"
        else:
            how = f"parameters tuned by {folds_phrase} cross-validation on train{per}{untuned} (no validation split)"
            tuning = "cross_validation"
    else:
        model, guess = _fit_predict(data.task, baseline, lang, seed, train_x, train_y, test_x)
        how = "the baseline's default parameters (not tuned)" if name in TUNING_GRIDS else ""
        tuning = "defaults" if name in TUNING_GRIDS else "none"
    return {"mode": "train on train" + (f", {how}" if how else "") + ", report on test",
            "protocol": protocol("holdout", tuning), "evaluated": test, "predictions": guess, "model": model, "params": params, "n_train": len(train),
            "lang": lang}


def _evaluate_entities(data: TaskData, baseline: str, *, cv: int | None, seed: int, lang: str) -> dict:
    from tagline.eval.entities import CRFTagger, Gazetteer

    def fit(indices):
        texts = [data.inputs[i] for i in indices]
        if baseline == "gazetteer":
            return Gazetteer().fit(texts, [data.gold[i] for i in indices])
        return CRFTagger().fit(texts, [data.langs[i] for i in indices], [data.gold[i] for i in indices])

    def predict(model, indices):
        texts = [data.inputs[i] for i in indices]
        return model.predict(texts) if baseline == "gazetteer" else model.predict(texts, [data.langs[i] for i in indices])

    if cv:
        predictions = [None] * len(data.ids)
        strata = ["entities" if spans else "none" for spans in data.gold]
        folds, how = _folds(data, cv, seed, strata)
        for train_index, test_index in folds:
            for i, spans in zip(test_index, predict(fit(train_index), test_index)):
                predictions[i] = spans
        return {"mode": f"{cv}-fold cross-validation, {how}", "protocol": protocol("cross_validation", "none", folds=cv),
                "evaluated": list(range(len(data.ids))),
                "predictions": predictions, "model": fit(range(len(data.ids))), "params": {},
                "n_train": len(data.ids), "lang": lang}
    train = [i for i, s in enumerate(data.splits) if s in ("train", "validation")]
    test = [i for i, s in enumerate(data.splits) if s == "test"]
    if not train or not test:
        raise DataError("the entities data needs a train and a test split", fix="rebuild, or use --cv K")
    model = fit(train)
    return {"mode": "train on train + validation, report on test", "protocol": protocol("holdout", "none"),
            "evaluated": test,
            "predictions": predict(model, test), "model": model, "params": {}, "n_train": len(train), "lang": lang}


# ----- a run on disk ------------------------------------------------------------------------
def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("tagline", "scikit-learn", "datasets", "numpy", "pyarrow", "sklearn-crfsuite", "skops"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def new_run_dir(workspace: Workspace, task: str, baseline: str) -> tuple[str, Path]:
    """A run id not yet taken in ``runs/`` and its folder (made by :func:`write_run`)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    run_id = f"{stamp}-{task}-{baseline}"
    directory = workspace.runs_dir / run_id
    counter = 1
    while directory.exists():
        counter += 1
        run_id = f"{stamp}-{task}-{baseline}-{counter}"
        directory = workspace.runs_dir / run_id
    return run_id, directory


def write_run(workspace: Workspace, result: dict, *, model=None, predictions: list[dict] | None = None) -> Path:
    """Write results.json (checked against the run schema), predictions.jsonl, report.md, the
    confusion-matrix PNG and the model into ``runs/<run_id>``, all or nothing.

    The files are written into a hidden folder beside it and renamed into place at the end, so a
    full disk or Ctrl-C leaves no run folder behind. When another run took the id meanwhile, the
    next free one is used (``result["run_id"]`` is updated).
    """
    import shutil

    from tagline.errors import storage_error
    from tagline.schemas import schema_errors

    problems = schema_errors("run", result)
    if problems:
        raise DataError(f"run result does not match its schema: {problems[0]}", where=result["run_id"])
    workspace.runs_dir.mkdir(parents=True, exist_ok=True)
    directory = _reserve_run_dir(workspace, result)
    staging = directory.with_name(f".{directory.name}.{os.getpid()}.tmp")
    try:
        staging.mkdir()
        _write_run_files(staging, result, model, predictions)
        os.replace(staging, directory)  # over the empty folder that reserved the id
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        directory.rmdir()
        if isinstance(error, OSError):
            raise storage_error(getattr(error, "filename", None) or directory, error,
                                kept="the run was not saved") from None
        raise
    return directory


def _reserve_run_dir(workspace: Workspace, result: dict) -> Path:
    base = result["run_id"]
    counter = 1
    while True:
        directory = workspace.runs_dir / result["run_id"]
        try:
            directory.mkdir()
            return directory
        except FileExistsError:
            counter += 1
            result["run_id"] = f"{base}-{counter}"


def _write_run_files(directory: Path, result: dict, model, predictions: list[dict] | None) -> None:
    if predictions is not None:
        with open(directory / "predictions.jsonl", "w", encoding="utf-8") as handle:
            for row in predictions:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    if model is not None:
        result["model"] = save_model(model, directory)
    if "confusion_matrix" in result:
        plot_confusion(result["confusion_matrix"], directory / "confusion.png",
                       title=f"{result['task']} · {result['baseline']}")
        result["confusion_png"] = "confusion.png"
    write_text_atomic(directory / "report.md", run_report(result))
    write_text_atomic(directory / "results.json", json.dumps(result, ensure_ascii=False, indent=2) + "\n")


def save_model(model, directory: Path) -> str:
    """Save a fitted model without pickle: skops for scikit-learn, CRFsuite/JSON files for entities."""
    from tagline.eval.entities import CRFTagger, Gazetteer

    if isinstance(model, Gazetteer):
        model.save(directory / "gazetteer.json")
        return "gazetteer.json"
    if isinstance(model, CRFTagger):
        model.save(directory)
        return "model.crfsuite"
    import skops.io

    skops.io.dump(model, directory / "model.skops")
    return "model.skops"


def load_model(directory: Path):
    """Load a run's model; skops types are trusted only if they come from scikit-learn, numpy,
    scipy or tagline itself."""
    from tagline.eval.entities import CRFTagger, Gazetteer

    if (directory / "gazetteer.json").exists():
        return Gazetteer.load(directory / "gazetteer.json")
    if (directory / "model.crfsuite").exists():
        return CRFTagger.load(directory)
    path = directory / "model.skops"
    if not path.exists():
        raise DataError("the run has no saved model", where=str(directory),
                        fix="pick a run made by `tagline eval run` (`tagline eval runs` lists them)")
    import skops.io

    untrusted = skops.io.get_untrusted_types(file=path)
    allowed = ("sklearn.", "numpy.", "scipy.", "tagline.", "builtins.")
    refused = [name for name in untrusted if not name.startswith(allowed)]
    if refused:
        raise DataError(f"the model file holds types tagline does not trust: {', '.join(refused)}",
                        where=str(path), fix="only load models made by `tagline eval run`")
    return skops.io.load(path, trusted=untrusted)


def plot_confusion(confusion: dict, path: Path, *, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, matrix = confusion["labels"], confusion["matrix"]
    size = max(4.0, 0.6 * len(labels) + 2)
    figure, axes = plt.subplots(figsize=(size, size))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("gold")
    axes.set_title(title)
    peak = max((max(row) for row in matrix), default=0)
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            axes.text(j, i, str(count), ha="center", va="center", color="white" if count > peak / 2 else "black")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def run_report(result: dict) -> str:
    lines = [f"# Run {result['run_id']}", "",
             f"- task: `{result['task']}`; baseline: `{result['baseline']}`",
             f"- mode: {result.get('mode', '')}",
             f"- dataset fingerprint: `{result['dataset_fingerprint']}`; seed {result['seed']}",
             f"- evaluated items: {result.get('n_evaluated', '')}; training items: {result.get('n_train', '')}",
             f"- created {result['created']}; " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()),
             "", "## Metrics (95% bootstrap intervals)", "", "| metric | value | interval |", "|---|---|---|"]
    for name, item in result["metrics"].items():
        lines.append(f"| {name} | {item['value']:.4f} | {item['low']:.4f} – {item['high']:.4f} |")
    if result.get("per_target"):
        lines += ["", "## Per target", "", "| target | n | F_avg | macro-F1 |", "|---|---|---|---|"]
        for target, item in result["per_target"].items():
            lines.append(f"| {target} | {item['n']} | {item['f_avg']:.4f} | {item['macro_f1']:.4f} |")
    if result.get("per_class"):
        lines += ["", "## Per class", "", "| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for label, item in result["per_class"].items():
            lines.append(f"| {label} | {item['precision']:.4f} | {item['recall']:.4f} | {item['f1']:.4f} | "
                         f"{item['support']} |")
    if result.get("confusion_matrix"):
        labels = result["confusion_matrix"]["labels"]
        lines += ["", "## Confusion matrix (rows: gold, columns: predicted)", "",
                  "| gold \\ predicted | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
        for label, row in zip(labels, result["confusion_matrix"]["matrix"]):
            lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
        lines += ["", "![confusion matrix](confusion.png)"]
    if result.get("params"):
        lines += ["", "## Parameters", ""] + _params_report(result["params"])
    return "\n".join(lines) + "\n"


def _params_report(params: dict) -> list[str]:
    """Markdown lines summarising a run's ``params``: what was chosen, per model and per fold; every
    setting's score stays in results.json."""
    def shown(value) -> str:
        if isinstance(value, dict):
            return ", ".join(f"{key}={item}" for key, item in value.items()) or "defaults"
        return str(value)

    def score(value) -> str:
        return "" if value is None else f"{value:.4f}"

    lines = []
    if "metric" in params:
        lines += [f"Chosen to maximise `{params['metric']}`" + (f" by {params['tuning']}." if params.get("tuning")
                                                                 else " on the validation split."), ""]
    chosen = params.get("chosen")
    if isinstance(chosen, dict) and all(isinstance(item, dict) and "cv_score" in item for item in chosen.values()):
        lines += ["| model | parameters | CV score | folds |", "|---|---|---|---|"]
        lines += [f"| {name} | {shown(item['params'])} | {score(item['cv_score'])} | {item.get('folds', '')} |"
                  for name, item in chosen.items()]
    elif chosen is not None:
        lines.append(f"- chosen: {shown(chosen)}")
    if params.get("validation_scores"):
        lines += ["", "| setting | validation score |", "|---|---|"]
        lines += [f"| {shown(row['params'])} | {score(row['score'])} |" for row in params["validation_scores"]]
    if params.get("folds"):
        lines += ["", "In each cross-validation fold, chosen on its training part:", "",
                  "| fold | model | parameters | CV score |", "|---|---|---|---|"]
        lines += [f"| {number} | {name} | {shown(item['params'])} | {score(item['cv_score'])} |"
                  for number, choice in enumerate(params["folds"], 1) for name, item in choice.items()]
    known = {"metric", "tuning", "chosen", "validation_scores", "folds"}
    lines += [f"- {key}: {shown(value)}" for key, value in params.items() if key not in known]
    if chosen is not None:
        lines += ["", "Every setting's score is in results.json, under `params`."]
    return lines


def run_evaluation(workspace: Workspace, *, task: str = "all", baselines: Sequence[str] | None = None,
                   cv: int | None = None, seed: int = 13, dataset_dir: str | Path | None = None, pooled: bool = False,
                   n_resamples: int = 1000, progress: Callable[[str], None] | None = None,
                   tune: bool = True) -> list[dict]:
    """Run the chosen baselines on the chosen tasks; write and return one result per (task, baseline).

    Stance baselines are fitted per target (the SemEval-2016 organisers' setting); with ``pooled``
    (or a ``+pooled`` baseline name) one model is fitted over all targets, the target given as a token.
    ``tune`` is passed to :func:`evaluate_baseline`.
    """
    directory, built = load_dataset_dir(workspace, dataset_dir)
    tasks = [t for t in TASKS if task in ("all", t)]
    tasks = [t for t in tasks if t in built["settings"]["tasks"]]
    if not tasks:
        raise DataError(f"the dataset was built without {task}", where=str(directory),
                        fix="rebuild with `tagline eval build`")
    if cv is not None and cv < 2:
        raise DataError("--cv must be at least 2")
    plan = _plan_baselines(tasks, baselines, pooled)
    step = progress or (lambda message: None)
    results = []
    for name in tasks:
        data = task_data(directory, name)
        for baseline in plan[name]:
            step(f"{name} · {baseline}")
            started = time.perf_counter()
            from threadpoolctl import threadpool_limits

            # BLAS threads on these small sparse problems cost far more in contention than they
            # give (measured: lbfgs 2.3 s with 2 threads on a busy machine, 0.06 s with one).
            with threadpool_limits(1):
                outcome = evaluate_baseline(data, baseline, cv=cv, seed=seed, tune=tune)
            evaluated = outcome["evaluated"]
            truth = [data.gold[i] for i in evaluated]
            if name == "entities":
                from tagline.eval.entities import span_metrics

                scores = span_metrics(truth, outcome["predictions"], labels=data.labels, n_resamples=n_resamples,
                                      random_state=seed)
                scores.pop("exact")
                scores.pop("partial")
                rows = [{"id": data.ids[i], "gold": [list(s) for s in g], "pred": [list(s) for s in p]}
                        for i, g, p in zip(evaluated, truth, outcome["predictions"])]
            else:
                scores = score_labels(name, truth, outcome["predictions"], data.labels,
                                      inputs=[data.inputs[i] for i in evaluated], n_resamples=n_resamples, seed=seed)
                rows = [{"id": data.ids[i], "gold": g, "pred": p}
                        for i, g, p in zip(evaluated, truth, outcome["predictions"])]
            run_id, _ = new_run_dir(workspace, name, baseline)
            result = {"run_id": run_id, "task": name, "baseline": baseline, "mode": outcome["mode"],
                      "protocol": outcome["protocol"],
                      "dataset": str(directory), "dataset_fingerprint": built["fingerprint"], "seed": seed,
                      "versions": versions(), "created": utc_now(), "n_train": outcome["n_train"],
                      "n_evaluated": len(evaluated), "headline": HEADLINE[name], "params": outcome["params"],
                      "lang": outcome["lang"], "seconds": round(time.perf_counter() - started, 3), **scores}
            write_run(workspace, result, model=outcome["model"], predictions=rows)
            results.append(result)
    return results


def _plan_baselines(tasks: list[str], baselines: Sequence[str] | None, pooled: bool) -> dict[str, list[str]]:
    """The baselines to run for each task. A baseline asked for by name that applies to none of the
    tasks, or a pooled model without stance among them, is an error rather than a silent no-op."""
    choices = (f"text baselines (stance, claim_type): {', '.join(TEXT_BASELINES)}; "
               f"entity baselines: {', '.join(ENTITY_BASELINES)}")
    unknown = [b for b in (baselines or []) if b.removesuffix(POOLED) not in TEXT_BASELINES + ENTITY_BASELINES]
    if unknown:
        raise DataError(f"unknown {'baseline' if len(unknown) == 1 else 'baselines'} {', '.join(unknown)}",
                        fix=f"choose from {choices}")

    def available(task: str) -> tuple[str, ...]:
        return ENTITY_BASELINES if task == "entities" else TEXT_BASELINES

    for baseline in baselines or []:
        if not any(baseline.removesuffix(POOLED) in available(task) for task in tasks):
            raise DataError(f"baseline {baseline} does not apply to {' or '.join(tasks)}",
                            fix=f"choose from {choices}")
        if baseline.endswith(POOLED) and "stance" not in tasks:
            raise DataError(f"{baseline} is a stance model fitted over all targets, and stance is not among the "
                            "tasks run", fix=f"run it with --task stance, or drop {POOLED}")
    if pooled and "stance" not in tasks:
        raise DataError("--pooled applies to stance only", fix="run it with --task stance (or --task all)")
    if pooled and baselines and not any(b.removesuffix(POOLED) in TEXT_BASELINES for b in baselines):
        raise DataError(f"--pooled applies to stance baselines, and {', '.join(baselines)} "
                        f"{'is not one' if len(baselines) == 1 else 'are not'}",
                        fix=f"add a text baseline ({', '.join(TEXT_BASELINES)}) or drop --pooled")
    plan = {}
    for task in tasks:
        chosen = [b for b in (baselines or available(task)) if b.removesuffix(POOLED) in available(task)]
        if task == "stance" and pooled:
            chosen = [b if b.endswith(POOLED) else b + POOLED for b in chosen]
        if task != "stance":
            chosen = [b for b in chosen if not b.endswith(POOLED)]
        plan[task] = list(dict.fromkeys(chosen))
    return plan


def list_runs(workspace: Workspace, unreadable: list[str] | None = None) -> list[dict]:
    """Every run's results, oldest first. A ``results.json`` that cannot be read or does not match
    the run schema is left out, and described in ``unreadable`` when a list is given."""
    runs: list[dict] = []
    if not workspace.runs_dir.exists():
        return runs
    for path in sorted(workspace.runs_dir.glob("*/results.json")):
        try:
            runs.append(read_run_result(path.parent))
        except DataError as error:
            if unreadable is not None:
                unreadable.append(f"{path}: {error.what}")
    return runs


def read_run_result(directory: Path) -> dict:
    """A run's ``results.json``, checked against the run schema; a :class:`DataError` when it cannot
    be read or is not a run result."""
    from tagline.schemas import schema_errors

    path = directory / "results.json"
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        problem = getattr(error, "strerror", None) or getattr(error, "msg", None) or str(error)
        raise DataError(f"cannot be read ({problem})", where=str(path),
                        fix="run it again, or delete the run's folder") from None
    errors = schema_errors("run", result)
    if errors:
        raise DataError(f"not a run result ({errors[0]})", where=str(path),
                        fix="run it again, or delete the run's folder")
    return result


def find_run(workspace: Workspace, run_id: str) -> Path:
    directory = Path(run_id) if Path(run_id).is_dir() else workspace.runs_dir / run_id
    if not (directory / "results.json").exists():
        known = [r["run_id"] for r in list_runs(workspace)][-5:]
        raise DataError(f"no run {run_id!r}", where=str(workspace.runs_dir),
                        fix="see `tagline eval runs`" + (f"; recent: {', '.join(known)}" if known else ""))
    return directory
