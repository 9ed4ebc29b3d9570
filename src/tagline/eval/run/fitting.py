"""Making and fitting a text baseline for a run, and reading back what its tuning chose."""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from tagline.eval.baselines.registry import POOLED

TUNING_FOLDS = 5  # folds of the cross-validation on train that tunes a baseline when there is no validation split


class TuningGoal(NamedTuple):
    """What tuning maximises: ``metric``, one of :data:`~tagline.eval.baselines.registry.TUNING_METRICS`,
    and for ``map`` the label whose score ranks each document's items (``positive``)."""

    metric: str
    positive: str | None = None


def make_model(task: str, baseline: str, lang: str, seed: int, params: dict | None = None, *,
               tune_folds: int | None = None, goal: TuningGoal | None = None):
    """The unfitted model for ``baseline``: with classifier ``params`` set, or (``tune_folds``) with
    them chosen by cross-validation on the training data to maximise ``goal`` (default: the task's
    :func:`tuning_metric_name`), per target for stance."""
    from tagline.eval.baselines import PerTargetClassifier, make_text_baseline, make_tuned_baseline

    pooled = baseline.endswith(POOLED)
    name = baseline.removesuffix(POOLED)
    if tune_folds:
        goal = goal or TuningGoal(tuning_metric_name(task))
        model = make_tuned_baseline(name, lang=lang, scoring=goal.metric, folds=tune_folds, random_state=seed,
                                    positive=goal.positive)
    else:
        model = make_text_baseline(name, lang=lang, random_state=seed)
        if params:
            model.set_params(**{f"classifier__{key}": value for key, value in params.items()})
    return PerTargetClassifier(model, pooled=pooled) if task == "stance" else model


def tuning_metric_name(task: str) -> str:
    """The score tuning maximises for ``task``: F_avg for stance, macro-F1 otherwise."""
    return "f_avg" if task == "stance" else "macro_f1"


def fit_predict(task: str, baseline: str, lang: str, seed: int, train_x, train_y, test_x,
                params: dict | None = None, *, tune_folds: int | None = None, goal: TuningGoal | None = None,
                train_groups=None):
    """Fit :func:`make_model`'s model on the training items and predict ``test_x``; the fitted model
    and its predictions as strings. With a single training label (outside stance, whose wrapper
    handles such targets itself) the majority baseline is fitted instead. A model tuned for ``map``
    is given ``train_groups`` (each training item's document), so that its folds keep a document
    whole and each held-out document is ranked on its own."""
    from tagline.eval.baselines import CrossValidatedClassifier

    model = make_model(task, baseline, lang, seed, params, tune_folds=tune_folds, goal=goal)
    if len(set(train_y)) < 2 and task != "stance":
        from tagline.eval.baselines import make_text_baseline

        model = make_text_baseline("majority", lang=lang, random_state=seed)
    if isinstance(model, CrossValidatedClassifier) and model.scoring == "map":
        model.fit(list(train_x), list(train_y), groups=list(train_groups))
    else:
        model.fit(list(train_x), list(train_y))
    return model, [str(p) for p in model.predict(list(test_x))]


def chosen_params(model) -> dict:
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


def tuning_phrase(choices: list[dict], models: str) -> tuple[str, str]:
    """For the entries of one or more :func:`chosen_params` results: how many folds the searches
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
