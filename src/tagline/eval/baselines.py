"""Baseline classifiers as scikit-learn Pipelines, by name, and a per-target wrapper for stance.

scikit-learn takes over a second to import, so nothing here imports it at module level: the
factories import inside, and :class:`PerTargetClassifier` is a plain class that follows the
estimator protocol (``fit``/``predict``/``get_params``/``set_params``) without subclassing
``BaseEstimator``. It stays importable by name, which skops needs to load it back.
"""

from __future__ import annotations

from collections.abc import Sequence

BASELINES = (
    ("majority", "the most frequent training label (DummyClassifier)"),
    ("stratified", "random labels drawn with the training distribution (DummyClassifier)"),
    ("tfidf_logreg", "TF-IDF n-grams + logistic regression (lbfgs)"),
    ("tfidf_svm", "TF-IDF n-grams + linear SVM (LinearSVC)"),
    ("tfidf_nb", "TF-IDF n-grams + complement naive Bayes"),
)
BASELINE_NAMES = tuple(name for name, _ in BASELINES)


def text_features(lang: str):
    """TF-IDF features: character 1-3-grams for Japanese (no word boundaries to rely on); word 1-3
    plus character 2-5-grams (within word boundaries) for English, as in the SemEval baselines."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    if lang == "ja":
        return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1)
    return FeatureUnion([
        ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 3), lowercase=True, sublinear_tf=True,
                                  token_pattern=r"(?u)[#@]?\b\w+\b")),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True, sublinear_tf=True)),
    ])


def make_text_baseline(name: str, *, lang: str, random_state: int = 0):
    """An unfitted estimator for baseline ``name`` (see :data:`BASELINES`) on texts in ``lang``.

    Examples
    --------
    >>> model = make_text_baseline("majority", lang="ja")
    >>> model.fit(["a", "b", "c"], ["X", "X", "Y"]).predict(["d"]).tolist()
    ['X']
    """
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import ComplementNB
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    if name == "majority":
        return DummyClassifier(strategy="most_frequent")
    if name == "stratified":
        return DummyClassifier(strategy="stratified", random_state=random_state)
    classifiers = {
        "tfidf_logreg": lambda: LogisticRegression(C=1.0, max_iter=2000, random_state=random_state),
        "tfidf_svm": lambda: LinearSVC(C=0.1, random_state=random_state),
        "tfidf_nb": lambda: ComplementNB(alpha=0.3),
    }
    if name not in classifiers:
        raise ValueError(f"unknown baseline {name!r}; expected one of {', '.join(BASELINE_NAMES)}")
    return Pipeline([("features", text_features(lang)), ("classifier", classifiers[name]())])


class PerTargetClassifier:
    """One copy of ``estimator`` per stance target, like the SemEval-2016 organisers' baselines.

    ``X`` is a sequence of ``(target, text)`` pairs. A target whose training labels are all the
    same gets a most-frequent classifier. With ``pooled=True`` a single model is fitted on all
    targets, with the target prepended to the text. Targets unseen in training are predicted by a
    pooled model.
    """

    def __init__(self, estimator, *, pooled: bool = False):
        self.estimator = estimator
        self.pooled = pooled

    def get_params(self, deep: bool = True) -> dict:
        params = {"estimator": self.estimator, "pooled": self.pooled}
        if deep and hasattr(self.estimator, "get_params"):
            params.update({f"estimator__{k}": v for k, v in self.estimator.get_params(deep=True).items()})
        return params

    def set_params(self, **params) -> "PerTargetClassifier":
        nested = {k[len("estimator__"):]: v for k, v in params.items() if k.startswith("estimator__")}
        if nested:
            self.estimator.set_params(**nested)
        for key in ("estimator", "pooled"):
            if key in params:
                setattr(self, key, params[key])
        return self

    @staticmethod
    def _joined(pairs: Sequence[tuple[str, str]]) -> list[str]:
        return [f"{target} ||| {text}" for target, text in pairs]

    def _fit_one(self, texts: list[str], labels: list[str]):
        from sklearn.base import clone
        from sklearn.dummy import DummyClassifier

        model = clone(self.estimator) if len(set(labels)) > 1 else DummyClassifier(strategy="most_frequent")
        return model.fit(texts, labels)

    def fit(self, X: Sequence[tuple[str, str]], y: Sequence[str]) -> "PerTargetClassifier":
        pairs, labels = list(X), [str(label) for label in y]
        self.fallback_ = self._fit_one(self._joined(pairs), labels)
        self.models_ = {}
        if not self.pooled:
            for target in sorted({t for t, _ in pairs}):
                rows = [i for i, (t, _) in enumerate(pairs) if t == target]
                self.models_[target] = self._fit_one([pairs[i][1] for i in rows], [labels[i] for i in rows])
        self.classes_ = sorted(set(labels))
        return self

    def predict(self, X: Sequence[tuple[str, str]]) -> list[str]:
        pairs = list(X)
        predictions: list[str | None] = [None] * len(pairs)
        by_target: dict[str, list[int]] = {}
        for i, (target, _) in enumerate(pairs):
            by_target.setdefault(target if target in self.models_ else "\0pooled", []).append(i)
        for target, rows in by_target.items():
            if target == "\0pooled":
                guesses = self.fallback_.predict(self._joined([pairs[i] for i in rows]))
            else:
                guesses = self.models_[target].predict([pairs[i][1] for i in rows])
            for i, label in zip(rows, guesses):
                predictions[i] = str(label)
        return predictions
