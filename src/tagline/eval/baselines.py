"""Baseline text classifiers by name, as scikit-learn Pipelines, and a per-target wrapper for stance.

scikit-learn takes over a second to import, and the CLI must not pay that for ``--help``, so this
module imports nothing from it at module level: the factories import inside, and
:class:`PerTargetClassifier` is a plain class that implements the estimator protocol itself
(``get_params``/``set_params``/``fit``/``predict``/``score`` and ``__sklearn_tags__``, which
imports scikit-learn's tag classes only when asked). Subclassing ``BaseEstimator`` would need the
import at class-definition time; building the class lazily in a factory would hide it from readers
and type checkers. A plain class stays importable by name, so pickle and skops can load it back,
and ``sklearn.base.clone``, ``GridSearchCV`` and ``cross_val_score`` accept it.

Feature and hyperparameter defaults were measured, never on test data: for English, 3 × 5-fold
cross-validation on the SemEval-2016 Task 6 training data (one model per target); for Japanese,
the validation split of the bundled sample corpus (see ``benchmarks/semeval2016.py``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

BASELINES: tuple[tuple[str, str], ...] = (
    ("majority", "the most frequent training label (DummyClassifier, most_frequent)"),
    ("stratified", "random labels drawn with the training label distribution (DummyClassifier, stratified)"),
    ("tfidf_logreg", "TF-IDF n-grams + multinomial logistic regression (lbfgs; C=10 unless tuned)"),
    ("tfidf_svm", "TF-IDF n-grams + linear SVM (LinearSVC; C=1 unless tuned)"),
    ("tfidf_nb", "TF-IDF n-grams + complement naive Bayes (alpha=0.1 unless tuned)"),
)
"""The baselines in the order to run and report them, each with a one-line description."""

BASELINE_NAMES = tuple(name for name, _ in BASELINES)

# Languages written without spaces between words get character n-grams only.
_UNSEGMENTED = {"ja", "zh"}


def _language(lang: str) -> str:
    if not isinstance(lang, str) or not lang.strip():
        raise ValueError(f"lang must be a language code such as 'ja' or 'en', got {lang!r}")
    return re.split(r"[-_]", lang.strip().lower())[0]


def text_features(lang: str):
    """An unfitted TF-IDF feature extractor for texts in ``lang``.

    Parameters
    ----------
    lang : str
        A language code (``"ja"``, ``"en"``, ``"ja-JP"``...).

    Returns
    -------
    TfidfVectorizer or Pipeline
        Japanese (and Chinese): character 1–3-grams (``char_wb``), since there are no spaces to
        split words on. Other languages: word 1–3-grams (single-character words kept) together
        with character 2–5-grams (``char_wb``), as in the SemEval-2016 organisers' baseline, the
        two joined and then L2-normalised once as one vector. Lowercased, raw term frequencies,
        ``min_df=1`` so a tiny corpus keeps every n-gram.

    Notes
    -----
    One L2 norm over the joined word and character vector, rather than one per block (each
    block then weighing as much as the other), was chosen by nested cross-validation on the
    SemEval-2016 training tweets alone (train + trial, outer 5-fold stratified by target and
    label, the usual per-target tuning inside each outer fold, two repeats): F_avg 69.51 ± 0.15
    against 68.75 ± 0.53, better in both repeats. Character n-grams far outnumber word n-grams in
    a tweet, so the joined norm gives them most of the weight.

    Measured with one L2 norm per block (before the joined norm above): ``char_wb`` and ``char``
    scored the same within noise on both measurements (SemEval, 5 × 5-fold
    cross-validation on train: F_avg 68.5 against 68.3, repeat-to-repeat sd 0.2–0.6; Japanese
    sample, validation split: equal for two classifiers, ``char_wb`` one sentence of 8 better for
    the SVM); ``char_wb`` is kept because it builds fewer n-grams (about 2.5× faster on SemEval)
    and does not join a Latin-script word to the characters around it. Keeping one-character
    words, lowercasing, sublinear or binary term frequencies and stripping ``#SemST`` all moved
    the SemEval score by less than that noise.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    if _language(lang) in _UNSEGMENTED:
        return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=1)
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import Normalizer

    return Pipeline([
        ("ngrams", FeatureUnion([
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 3), token_pattern=r"(?u)\b\w+\b", min_df=1,
                                      norm=None)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=1, norm=None)),
        ])),
        ("l2", Normalizer(norm="l2")),
    ])


def make_text_baseline(name: str, *, lang: str, random_state: int = 0):
    """An unfitted scikit-learn Pipeline for the baseline called ``name``, on texts in ``lang``.

    Parameters
    ----------
    name : str
        One of :data:`BASELINE_NAMES`: ``majority``, ``stratified``, ``tfidf_logreg``,
        ``tfidf_svm``, ``tfidf_nb``.
    lang : str
        Language of the texts, which picks the features (see :func:`text_features`).
    random_state : int, default 0
        Seed for the stratified dummy and the linear models.

    Returns
    -------
    sklearn.pipeline.Pipeline
        ``fit(texts, labels)`` / ``predict(texts)`` on lists of strings. The TF-IDF baselines
        have the steps ``features`` and ``classifier`` (so ``classifier__C`` sets C); the dummy
        baselines have only ``classifier`` and ignore the texts. Every baseline fits on a class
        with a single example; the linear models need at least two classes.

    Raises
    ------
    ValueError
        For an unknown name or an empty language code.

    Notes
    -----
    Logistic regression uses ``lbfgs`` (multinomial): ``liblinear`` refuses three or more
    classes in scikit-learn 1.9, and ``saga`` was slower here (13 s against 9 s on 2,914 tweets).

    C and alpha come from 3 × 5-fold cross-validation on the SemEval-2016 training data, one model
    per target, with one L2 norm per feature block (F_avg ×100): LinearSVC C=0.03 54.2, 0.1 61.4, 0.3 66.7, 1 68.3, 3 68.6;
    LogisticRegression C=1 64.7, 10 68.1, 100 68.4; ComplementNB alpha=0.01 65.4, 0.03 66.5,
    0.1 67.2, 0.3 62.6, 1 56.8. Small C underfits TF-IDF features badly.

    Examples
    --------
    >>> model = make_text_baseline("majority", lang="ja")
    >>> model.fit(["a", "b", "c"], ["X", "X", "Y"]).predict(["d"]).tolist()
    ['X']
    """
    if name not in BASELINE_NAMES:
        raise ValueError(f"unknown baseline {name!r}; expected one of {', '.join(BASELINE_NAMES)}")
    _language(lang)
    from sklearn.pipeline import Pipeline

    if name in ("majority", "stratified"):
        from sklearn.dummy import DummyClassifier

        strategy = "most_frequent" if name == "majority" else "stratified"
        return Pipeline([("classifier", DummyClassifier(strategy=strategy, random_state=random_state))])
    if name == "tfidf_logreg":
        from sklearn.linear_model import LogisticRegression

        classifier = LogisticRegression(C=10.0, solver="lbfgs", max_iter=5000, random_state=random_state)
    elif name == "tfidf_svm":
        from sklearn.svm import LinearSVC

        classifier = LinearSVC(C=1.0, random_state=random_state)
    else:
        from sklearn.naive_bayes import ComplementNB

        classifier = ComplementNB(alpha=0.1)
    return Pipeline([("features", text_features(lang)), ("classifier", classifier)])


TUNING_GRIDS: dict[str, dict[str, list]] = {
    "tfidf_logreg": {"C": [1.0, 3.0, 10.0, 30.0, 100.0], "class_weight": [None, "balanced"]},
    "tfidf_svm": {"C": [0.1, 0.3, 1.0, 3.0, 10.0], "class_weight": [None, "balanced"]},
    "tfidf_nb": {"alpha": [0.01, 0.03, 0.1, 0.3, 1.0]},
}
"""The classifier parameters tried when a baseline is tuned (on validation, or by cross-validation
on train), by baseline name. ``class_weight="balanced"`` weighs each class by the inverse of its
frequency, which matters for scores that average per-class F1 (macro-F1, F_avg) when one class
dominates."""


def tuning_metric(name: str, labels: Sequence | None = None) -> Callable[[Sequence, Sequence], float]:
    """The score a tuned baseline maximises: ``"f_avg"`` (stance) or ``"macro_f1"`` over ``labels``."""
    from tagline.eval import metrics

    if name == "f_avg":
        return metrics.f_avg
    if name == "macro_f1":
        return lambda y_true, y_pred: metrics.macro_f1(y_true, y_pred, labels=labels or sorted(set(y_true)))
    raise ValueError(f"unknown tuning metric {name!r}; expected 'f_avg' or 'macro_f1'")


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
    scoring : {"macro_f1", "f_avg"}, default "macro_f1"
        The cross-validated score to maximise (see :func:`tuning_metric`).
    folds : int, default 5
        Number of folds; lowered to the size of the rarest class that has two items or more (a
        class with a single item is left out of some training folds). With a single class, no
        class of two items, or a fold the pipeline cannot be fitted on (no vocabulary, one class
        left), nothing is chosen and the pipeline's own parameters are kept; ``tuning_note_`` says
        why. They are also kept when every setting scores 0, since the search then learnt nothing.
    random_state : int, default 0
        Seed of the fold shuffle.

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
                 random_state: int = 0):
        self.estimator = estimator
        self.param_grid = param_grid
        self.scoring = scoring
        self.folds = folds
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict:
        return {"estimator": self.estimator, "param_grid": self.param_grid, "scoring": self.scoring,
                "folds": self.folds, "random_state": self.random_state}

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
                f"folds={self.folds!r}, random_state={self.random_state!r})")

    def fit(self, X: Sequence[str], y: Sequence, groups: Sequence | None = None) -> CrossValidatedClassifier:
        """Choose the classifier parameters by cross-validation on ``X``, ``y``; refit on all of it.
        Items with the same ``groups`` value (the same sentence under several stance targets, for
        a pooled model) are kept in one fold, so no fold is scored on a text it was fitted on."""
        from sklearn.base import clone
        from sklearn.model_selection import ParameterGrid

        texts, labels = list(X), list(y)
        if not texts or len(texts) != len(labels):
            raise ValueError(f"cannot fit on {len(texts)} texts and {len(labels)} labels")
        tuning_metric(self.scoring)  # an unknown metric is an error, not a reason to keep the defaults
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

        from sklearn.base import clone
        from sklearn.model_selection import ParameterGrid, StratifiedGroupKFold, StratifiedKFold

        metric = tuning_metric(self.scoring, label_set)
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
        for train, held_out in splits:
            features = clone(self.estimator.named_steps["features"])
            train_matrix = features.fit_transform([texts[i] for i in train])
            held_out_matrix = features.transform([texts[i] for i in held_out])
            train_labels, held_out_labels = [labels[i] for i in train], [labels[i] for i in held_out]
            for j, params in enumerate(candidates):
                classifier = clone(self.estimator.named_steps["classifier"]).set_params(**params)
                guesses = classifier.fit(train_matrix, train_labels).predict(held_out_matrix)
                sums[j] += metric(held_out_labels, guesses.tolist())
        used = len(splits)  # grouped folds can come out fewer than asked when groups are few
        self.folds_used_ = used
        self.cv_scores_ = [{"params": params, "score": total / used} for params, total in zip(candidates, sums)]
        best = best_setting(candidates, sums, self.estimator.named_steps["classifier"].get_params())
        self.best_params_, self.best_score_ = candidates[best], sums[best] / used

    def predict(self, X: Sequence[str]):
        """Predict with the refitted pipeline; returns a NumPy array."""
        if not hasattr(self, "best_estimator_"):
            raise ValueError("this CrossValidatedClassifier is not fitted yet; call fit(X, y) first")
        return self.best_estimator_.predict(list(X))

    def score(self, X: Sequence[str], y: Sequence) -> float:
        """Accuracy on ``X`` and ``y``."""
        from tagline.eval.metrics import accuracy

        return accuracy(list(y), self.predict(X).tolist())


def make_tuned_baseline(name: str, *, lang: str, scoring: str, folds: int = 5, random_state: int = 0):
    """The baseline ``name`` with its classifier parameters chosen by ``folds``-fold cross-validation
    (a :class:`CrossValidatedClassifier` over :data:`TUNING_GRIDS`); the dummy baselines, which
    have nothing to tune, come back as :func:`make_text_baseline` makes them."""
    model = make_text_baseline(name, lang=lang, random_state=random_state)
    if name not in TUNING_GRIDS:
        return model
    return CrossValidatedClassifier(model, TUNING_GRIDS[name], scoring=scoring, folds=folds,
                                    random_state=random_state)

def target_token(target: str) -> str:
    """The token a pooled model sees in front of each text: ``__target_hillary_clinton__``.

    One word-like token per target, so word features get a per-target indicator (and n-grams
    that pair it with the first words of the text) and character features see the target's name.
    """
    return "__target_" + (re.sub(r"\W+", "_", target.lower()).strip("_") or "none") + "__"


POOLED_KEY = "\0pooled"  # no target is called this


class PerTargetClassifier:
    """A stance classifier made of one base model per target, or one pooled model over all targets.

    ``X`` is a sequence of ``(target, text)`` pairs (a list of tuples, or a two-column array whose
    rows unpack to two values); ``y`` the labels.

    With ``pooled=False`` (the SemEval-2016 organisers' setup) one copy of the base model is
    fitted on each target's items, so the ``majority`` baseline predicts the majority label of
    each target. A target whose training items all carry one label predicts that label. A target
    not seen in training gets the most frequent label of the whole training set.

    With ``pooled=True`` a single model is fitted on all items, each text prefixed with
    :func:`target_token` so the target is a feature.

    Parameters
    ----------
    base_factory : callable or estimator
        A function of no arguments returning a fresh unfitted estimator over texts (e.g.
        ``lambda: make_text_baseline("tfidf_svm", lang="en")``), or an unfitted estimator, which
        is cloned for each target.
    pooled : bool, default False
        Fit one model over all targets instead of one per target.

    Attributes
    ----------
    classes_ : numpy.ndarray
        The labels seen in training, sorted.
    estimators_ : dict
        Target → fitted estimator (per-target mode); ``{POOLED_KEY: model}`` in pooled mode (a string
        key, since skops cannot store a ``None`` key).
    default_label_ : str
        The most frequent training label (ties: the first in sorted order), for unseen targets.
    targets_ : list of str
        The targets seen in training, sorted (in pooled mode too). ``tagline eval predict``
        refuses any other target.

    Notes
    -----
    When the fitted model is pickled (or saved with skops), a ``base_factory`` function is
    replaced by one unfitted estimator made with it, because functions defined inside other
    functions cannot be saved; the loaded model predicts the same and refits the same way.

    Examples
    --------
    >>> model = PerTargetClassifier(lambda: make_text_baseline("majority", lang="en"))
    >>> X = [("cats", "a"), ("cats", "b"), ("dogs", "c"), ("dogs", "d"), ("dogs", "e")]
    >>> model.fit(X, ["FAVOR", "FAVOR", "AGAINST", "AGAINST", "NONE"]).predict(
    ...     [("cats", "x"), ("dogs", "y"), ("birds", "z")]).tolist()
    ['FAVOR', 'AGAINST', 'AGAINST']
    """

    def __init__(self, base_factory: Callable | object, *, pooled: bool = False):
        self.base_factory = base_factory
        self.pooled = pooled

    # --- the scikit-learn estimator protocol, without subclassing BaseEstimator -------------
    def get_params(self, deep: bool = True) -> dict:
        params = {"base_factory": self.base_factory, "pooled": self.pooled}
        if deep and hasattr(self.base_factory, "get_params"):
            params.update({f"base_factory__{key}": value
                           for key, value in self.base_factory.get_params(deep=True).items()})
        return params

    def set_params(self, **params) -> PerTargetClassifier:
        nested = {key.split("__", 1)[1]: value for key, value in params.items() if key.startswith("base_factory__")}
        unknown = set(params) - {"base_factory", "pooled"} - {f"base_factory__{key}" for key in nested}
        if unknown:
            raise ValueError(f"invalid parameter {sorted(unknown)[0]!r} for PerTargetClassifier; "
                             "valid: base_factory, pooled, base_factory__<param>")
        for key in ("base_factory", "pooled"):
            if key in params:
                setattr(self, key, params[key])
        if nested:
            if not hasattr(self.base_factory, "set_params"):
                raise ValueError("base_factory__<param> needs base_factory to be an estimator, not a function")
            self.base_factory.set_params(**nested)
        return self

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags())

    def __sklearn_clone__(self) -> PerTargetClassifier:
        from sklearn.base import clone

        base = self.base_factory
        return type(self)(clone(base) if hasattr(base, "get_params") else base, pooled=self.pooled)

    def __repr__(self) -> str:
        return f"PerTargetClassifier({self.base_factory!r}, pooled={self.pooled!r})"

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        if not hasattr(self.base_factory, "fit") and callable(self.base_factory):
            state["base_factory"] = self.base_factory()
        return state

    # --- fitting and predicting ---------------------------------------------------------------
    def _new_estimator(self):
        if hasattr(self.base_factory, "fit"):
            from sklearn.base import clone

            return clone(self.base_factory)
        if callable(self.base_factory):
            return self.base_factory()
        raise TypeError(f"base_factory must be an estimator or a function returning one, "
                        f"got {type(self.base_factory).__name__}")

    def _fit_one(self, texts: list, labels: list, groups: list | None = None):
        if len(set(labels)) == 1:
            # Linear models refuse one class; predicting it is what they would learn anyway.
            from sklearn.dummy import DummyClassifier

            return DummyClassifier(strategy="most_frequent").fit(texts, labels)
        estimator = self._new_estimator()
        if groups is not None and isinstance(estimator, CrossValidatedClassifier):
            return estimator.fit(texts, labels, groups=groups)
        return estimator.fit(texts, labels)

    @staticmethod
    def _pairs(X) -> list[tuple[str, str]]:
        pairs = []
        for row, item in enumerate(X):
            try:
                target, text = item
            except (TypeError, ValueError):
                raise ValueError(f"X[{row}] is {item!r}; expected a (target, text) pair") from None
            pairs.append((target, text))
        return pairs

    def fit(self, X: Sequence[tuple[str, str]], y: Sequence) -> PerTargetClassifier:
        """Fit the per-target models (or the pooled model) on ``(target, text)`` pairs and labels."""
        import numpy as np

        pairs, labels = self._pairs(X), list(y)
        if len(pairs) != len(labels):
            raise ValueError(f"X has {len(pairs)} items but y has {len(labels)}")
        if not pairs:
            raise ValueError("cannot fit on no items")
        counts = Counter(labels)
        self.classes_ = np.array(sorted(counts))
        self.default_label_ = min(counts, key=lambda label: (-counts[label], str(label)))
        self.targets_ = sorted({target for target, _ in pairs})
        if self.pooled:
            # A sentence has a row per target: its rows share a tuning fold (grouped by text).
            self.estimators_ = {POOLED_KEY: self._fit_one([f"{target_token(t)} {x}" for t, x in pairs], labels,
                                                          groups=[x for _, x in pairs])}
            return self
        rows: dict[str, list[int]] = {}
        for index, (target, _) in enumerate(pairs):
            rows.setdefault(target, []).append(index)
        self.estimators_ = {target: self._fit_one([pairs[i][1] for i in index], [labels[i] for i in index])
                            for target, index in sorted(rows.items())}
        return self

    def predict(self, X: Sequence[tuple[str, str]]):
        """Predict a label for each ``(target, text)`` pair; returns a NumPy array."""
        import numpy as np

        if not hasattr(self, "estimators_"):
            raise ValueError("this PerTargetClassifier is not fitted yet; call fit(X, y) first")
        pairs = self._pairs(X)
        predictions: list = [self.default_label_] * len(pairs)
        if self.pooled:
            guesses = self.estimators_[POOLED_KEY].predict([f"{target_token(t)} {x}" for t, x in pairs]) if pairs else []
            return np.asarray(list(guesses))
        rows: dict[str, list[int]] = {}
        for index, (target, _) in enumerate(pairs):
            if target in self.estimators_:
                rows.setdefault(target, []).append(index)
        for target, members in rows.items():
            for i, label in zip(members, self.estimators_[target].predict([pairs[i][1] for i in members]), strict=True):
                predictions[i] = label
        return np.asarray(predictions)

    def score(self, X: Sequence[tuple[str, str]], y: Sequence) -> float:
        """Accuracy on ``X`` and ``y`` (what scikit-learn uses when no ``scoring`` is given)."""
        from tagline.eval.metrics import accuracy

        return accuracy(list(y), self.predict(X).tolist())
