"""Tuning a text baseline without seeing the items it is scored on: the score it maximises, how
ties are broken, and :class:`CrossValidatedClassifier`, which chooses the classifier's parameters
by cross-validation on the data it is fitted on.

scikit-learn takes over a second to import, and the CLI must not pay that for ``--help``, so this
module imports nothing from it at module level. :class:`CrossValidatedClassifier` is a plain class
that implements the estimator protocol itself (``get_params``/``set_params``/``fit``/``predict``/
``score`` and ``__sklearn_tags__``, which imports scikit-learn's tag classes only when asked), as
:class:`~tagline.eval.baselines.stance.PerTargetClassifier` does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from tagline.eval.baselines.registry import TUNING_GRIDS
from tagline.eval.baselines.text import make_text_baseline

RANKING_SCORING = "map"
"""The tuning score of a ranking: mean average precision over the held-out groups (debates)."""


def tuning_metric(name: str, labels: Sequence | None = None) -> Callable[[Sequence, Sequence], float]:
    """The score a tuned baseline maximises over its predicted labels: ``"f_avg"`` (stance) or
    ``"macro_f1"`` over ``labels``. (``"map"``, which scores rankings, is :class:`CrossValidatedClassifier`'s
    own.)"""
    from tagline.eval import metrics

    if name == "f_avg":
        return metrics.f_avg
    if name == "macro_f1":
        return lambda y_true, y_pred: metrics.macro_f1(y_true, y_pred, labels=labels or sorted(set(y_true)))
    raise ValueError(f"unknown tuning metric {name!r}; expected 'f_avg', 'macro_f1' or 'map'")


def best_setting(candidates: Sequence[dict], scores: Sequence[float], defaults: dict) -> int:
    """The index of the best-scoring parameter setting. Ties go to the setting that equals the
    classifier's ``defaults`` (common on small data, where several settings score the same), then to
    the one listed first."""
    return max(range(len(candidates)), key=lambda j: (
        scores[j], all(defaults.get(key) == value for key, value in candidates[j].items()), -j))


class CrossValidatedClassifier:
    """A TF-IDF baseline whose classifier parameters are chosen by stratified k-fold
    cross-validation on the data it is fitted on, then refitted on all of it.

    This is how the SemEval-2016 Task 6 organisers set their SVM-ngrams baseline ("parameters
    tuned by 5-fold cross-validation on the training data"); inside a
    :class:`PerTargetClassifier` every target is tuned on its own items.

    The search is :class:`sklearn.model_selection.GridSearchCV`'s, with one difference that makes it
    faster: the feature extractor is fitted once per fold and shared by every parameter setting,
    because only the classifier's parameters are searched (GridSearchCV would refit the n-gram
    vectoriser for each setting). On the SemEval-2016 training tweets, per target, the SVM grid
    took 26 s against GridSearchCV's 115 s, with the same choices. Ties are broken by
    :func:`best_setting`.

    Parameters
    ----------
    estimator : sklearn.pipeline.Pipeline
        An unfitted pipeline with the steps ``features`` and ``classifier`` (what
        :func:`make_text_baseline` returns for the TF-IDF baselines).
    param_grid : dict
        Classifier parameter name → values to try (e.g. ``{"C": [0.1, 1], "class_weight":
        [None, "balanced"]}``); every combination is tried.
    scoring : {"macro_f1", "f_avg", "map"}, default "macro_f1"
        The cross-validated score to maximise (see :func:`tuning_metric`). ``"map"`` ranks the
        held-out items of each group (a debate: ``fit``'s ``groups``, required then) by the
        classifier's score for ``positive`` (:func:`~tagline.eval.baselines.scores.positive_scores`)
        and maximises the mean average precision over all held-out groups, each group counting
        once, as the CheckThat! check-worthiness tasks score a system.
    folds : int, default 5
        Number of folds; lowered to the size of the rarest class that has two items or more (a
        class with a single item is left out of some training folds). With a single class, no
        class of two items, or a fold the pipeline cannot be fitted on (no vocabulary, one class
        left), nothing is chosen and the pipeline's own parameters are kept; ``tuning_note_`` says
        why. They are also kept when every setting scores 0, since the search then learnt nothing.
    random_state : int, default 0
        Seed of the fold shuffle.
    positive : hashable, optional
        With ``scoring="map"``: the label of the relevant items (``check_worthy``).

    Attributes
    ----------
    best_params_ : dict
        The chosen classifier parameters (empty when nothing was searched).
    best_score_ : float or None
        Their mean cross-validated score.
    cv_scores_ : list of dict
        ``{"params": ..., "score": ...}`` for every setting tried, in grid order.
    tuning_note_ : str
        Why the defaults were kept; empty when parameters were chosen.
    folds_used_ : int
        The number of folds the search actually used (``folds``, or fewer for a rare class); 0
        when there was no search.
    best_estimator_ : Pipeline
        The pipeline refitted on all the data with ``best_params_``.
    classes_ : numpy.ndarray
        The labels seen in training.
    """

    def __init__(self, estimator, param_grid: dict, *, scoring: str = "macro_f1", folds: int = 5,
                 random_state: int = 0, positive=None):
        self.estimator = estimator
        self.param_grid = param_grid
        self.scoring = scoring
        self.folds = folds
        self.random_state = random_state
        self.positive = positive

    def get_params(self, deep: bool = True) -> dict:
        return {"estimator": self.estimator, "param_grid": self.param_grid, "scoring": self.scoring,
                "folds": self.folds, "random_state": self.random_state, "positive": self.positive}

    def set_params(self, **params) -> CrossValidatedClassifier:
        unknown = set(params) - set(self.get_params())
        if unknown:
            raise ValueError(f"invalid parameter {sorted(unknown)[0]!r} for CrossValidatedClassifier; "
                             f"valid: {', '.join(self.get_params())}")
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags())

    def __repr__(self) -> str:
        return (f"CrossValidatedClassifier({self.estimator!r}, {self.param_grid!r}, scoring={self.scoring!r}, "
                f"folds={self.folds!r}, random_state={self.random_state!r}, positive={self.positive!r})")

    def fit(self, X: Sequence[str], y: Sequence, groups: Sequence | None = None) -> CrossValidatedClassifier:
        """Choose the classifier parameters by cross-validation on ``X``, ``y``; refit on all of it.
        Items with the same ``groups`` value (the same sentence under several stance targets, for
        a pooled model) are kept in one fold, so no fold is scored on a text it was fitted on."""
        from sklearn.base import clone
        from sklearn.model_selection import ParameterGrid

        texts, labels = list(X), list(y)
        if not texts or len(texts) != len(labels):
            raise ValueError(f"cannot fit on {len(texts)} texts and {len(labels)} labels")
        if self.scoring == RANKING_SCORING:
            if groups is None or self.positive is None:
                raise ValueError("scoring='map' ranks the items of each group: give positive= (the relevant "
                                 "label) and fit(X, y, groups)")
        else:  # an unknown metric is an error, not a reason to keep the defaults
            tuning_metric(self.scoring)
        counts = Counter(labels)
        self.best_params_: dict = {}
        self.best_score_: float | None = None
        self.cv_scores_: list[dict] = []
        self.tuning_note_ = ""
        self.folds_used_ = 0
        repeated = [count for count in counts.values() if count >= 2]
        if len(counts) < 2:
            self.tuning_note_ = "a single label in training"
        elif not repeated:
            self.tuning_note_ = "no label has two items"
        elif list(ParameterGrid(self.param_grid)):
            try:
                folds = min(int(self.folds), min(repeated))
                if groups is not None:
                    groups = list(groups)
                    if len(groups) != len(texts):
                        raise ValueError(f"{len(groups)} groups for {len(texts)} texts")
                    folds = min(folds, len(set(groups)))
                if folds < 2:
                    raise ValueError("fewer than two groups to fold")
                self._search(texts, labels, folds, sorted(counts), groups)
            except ValueError as error:  # a fold with no vocabulary, or with one class left to learn
                self.best_params_, self.best_score_, self.cv_scores_, self.folds_used_ = {}, None, [], 0
                self.tuning_note_ = f"cross-validation failed ({error})"
            else:
                if not any(item["score"] for item in self.cv_scores_):
                    self.best_params_, self.best_score_ = {}, None
                    self.tuning_note_ = "every setting scored 0 in cross-validation"
        model = clone(self.estimator)
        if self.best_params_:
            model.set_params(**{f"classifier__{key}": value for key, value in self.best_params_.items()})
        self.best_estimator_ = model.fit(texts, labels)
        self.classes_ = self.best_estimator_.classes_
        return self

    def _search(self, texts: list, labels: list, folds: int, label_set: list, groups: list | None = None) -> None:
        import warnings

        from sklearn.model_selection import ParameterGrid, StratifiedGroupKFold, StratifiedKFold

        candidates = list(ParameterGrid(self.param_grid))
        sums = [0.0] * len(candidates)
        grouped = groups is not None and len(set(groups)) < len(groups)
        splitter = (StratifiedGroupKFold if grouped else StratifiedKFold)(n_splits=folds, shuffle=True,
                                                                          random_state=self.random_state)
        with warnings.catch_warnings():
            # A label with a single item cannot be in every fold; it is still learnt where it is.
            warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
            splits = [(train, held_out) for train, held_out in
                      (splitter.split(texts, labels, groups) if grouped else splitter.split(texts, labels))
                      if len(held_out)]
        # One task per fold (see tagline.eval.parallel); the sums are added in fold order as before.
        from tagline.eval.parallel import map_tasks

        for fold_scores in map_tasks(self._fold_scores, ((texts, labels, train, held_out, candidates, label_set, groups)
                                                         for train, held_out in splits)):
            for j, value in enumerate(fold_scores):
                sums[j] += value
        used = len(splits)  # grouped folds can come out fewer than asked when groups are few
        self.folds_used_ = used
        # A ranking's score is the mean over every held-out group (each is held out once); a label
        # metric's is the mean over folds.
        divisor = len(set(groups or ())) if self.scoring == RANKING_SCORING else used
        self.cv_scores_ = [{"params": params, "score": total / divisor} for params, total in zip(candidates, sums)]
        best = best_setting(candidates, sums, self.estimator.named_steps["classifier"].get_params())
        self.best_params_, self.best_score_ = candidates[best], self.cv_scores_[best]["score"]

    def _fold_scores(self, texts: list, labels: list, train, held_out, candidates: list[dict], label_set: list,
                     groups: list | None) -> list[float]:
        """Every setting's score on one fold: the features fitted once on its training part."""
        from sklearn.base import clone

        score = self._fold_scorer(label_set, groups)
        features = clone(self.estimator.named_steps["features"])
        train_matrix = features.fit_transform([texts[i] for i in train])
        held_out_matrix = features.transform([texts[i] for i in held_out])
        train_labels = [labels[i] for i in train]
        classifier = self.estimator.named_steps["classifier"]
        return [score(clone(classifier).set_params(**params).fit(train_matrix, train_labels), held_out_matrix,
                      [labels[i] for i in held_out], held_out) for params in candidates]

    def _fold_scorer(self, label_set: list, groups: list | None) -> Callable[..., float]:
        """``score(classifier, held_out_matrix, held_out_labels, held_out_indices)`` for one fold:
        the label metric of its predictions, or for ``"map"`` the sum of the average precisions
        of the held-out groups (divided by the number of groups once every fold is in)."""
        if self.scoring != RANKING_SCORING:
            metric = tuning_metric(self.scoring, label_set)
            return lambda classifier, matrix, truth, _: metric(truth, classifier.predict(matrix).tolist())
        from tagline.eval.baselines.scores import positive_scores
        from tagline.eval.metrics.ranking import grouped_ranking_measures

        assert groups is not None  # fit refuses "map" without groups

        def summed_average_precision(classifier, matrix, truth, held_out) -> float:
            if self.positive not in classifier.classes_:  # a fold without relevant items learns none
                return 0.0
            result = grouped_ranking_measures(truth, positive_scores(classifier, matrix, positive=self.positive),
                                              [groups[i] for i in held_out], positive=self.positive, cutoffs=())
            return sum(measures["average_precision"] for measures in result["per_group"].values())

        return summed_average_precision

    def predict(self, X: Sequence[str]):
        """Predict with the refitted pipeline; returns a NumPy array."""
        if not hasattr(self, "best_estimator_"):
            raise ValueError("this CrossValidatedClassifier is not fitted yet; call fit(X, y) first")
        return self.best_estimator_.predict(list(X))

    def score(self, X: Sequence[str], y: Sequence) -> float:
        """Accuracy on ``X`` and ``y``."""
        from tagline.eval.metrics import accuracy

        return accuracy(list(y), self.predict(X).tolist())


def make_tuned_baseline(name: str, *, lang: str, scoring: str, folds: int = 5, random_state: int = 0,
                        positive=None):
    """The baseline ``name`` with its classifier parameters chosen by ``folds``-fold cross-validation
    (a :class:`CrossValidatedClassifier` over :data:`TUNING_GRIDS`; ``positive`` for
    ``scoring="map"``); the dummy baselines, which have nothing to tune, come back as
    :func:`make_text_baseline` makes them."""
    model = make_text_baseline(name, lang=lang, random_state=random_state)
    if name not in TUNING_GRIDS:
        return model
    return CrossValidatedClassifier(model, TUNING_GRIDS[name], scoring=scoring, folds=folds,
                                    random_state=random_state, positive=positive)
