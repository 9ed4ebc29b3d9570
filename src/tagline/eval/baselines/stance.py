"""The stance wrapper: one base model per target (the SemEval-2016 organisers' setting), or one
model pooled over all targets with the target given as a token.

scikit-learn takes over a second to import, and the CLI must not pay that for ``--help``, so this
module imports nothing from it at module level: :class:`PerTargetClassifier` is a plain class that
implements the estimator protocol itself (``get_params``/``set_params``/``fit``/``predict``/``score``
and ``__sklearn_tags__``, which imports scikit-learn's tag classes only when asked). Subclassing
``BaseEstimator`` would need the import at class-definition time; building the class lazily in a
factory would hide it from readers and type checkers. A plain class stays importable by name, so
pickle and skops can load it back, and ``sklearn.base.clone``, ``GridSearchCV`` and
``cross_val_score`` accept it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from tagline.eval.baselines.tuning import CrossValidatedClassifier


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

    The items are put in one order (by target, text and label) before anything is fitted, so the
    same items give the same model whatever order they come in: the folds a
    :class:`CrossValidatedClassifier` tunes on are drawn by position, and the SemEval-2016 file
    and a workspace (sentence-id order) list the same tweets in different orders.

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
    >>> from tagline.eval.baselines import make_text_baseline
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
        # One order whatever order the items came in (a file's, or a workspace's by sentence id):
        # tuning folds are drawn by position, so the same items must give the same model.
        order = sorted(range(len(pairs)), key=lambda i: (pairs[i][0], pairs[i][1], str(labels[i])))
        pairs, labels = [pairs[i] for i in order], [labels[i] for i in order]
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
        # One task per target (see tagline.eval.parallel): shared out when nothing around it is.
        from tagline.eval.parallel import map_tasks

        targets = sorted(rows)
        fitted = map_tasks(self._fit_one, (([pairs[i][1] for i in rows[target]], [labels[i] for i in rows[target]])
                                           for target in targets))
        self.estimators_ = dict(zip(targets, fitted))
        return self

    def predict(self, X: Sequence[tuple[str, str]]):
        """Predict a label for each ``(target, text)`` pair; returns a NumPy array."""
        import numpy as np

        if not hasattr(self, "estimators_"):
            raise ValueError("this PerTargetClassifier is not fitted yet; call fit(X, y) first")
        pairs = self._pairs(X)
        predictions: list = [self.default_label_] * len(pairs)
        if self.pooled:
            texts = [f"{target_token(t)} {x}" for t, x in pairs]
            return np.asarray(list(self.estimators_[POOLED_KEY].predict(texts)) if pairs else [])
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
