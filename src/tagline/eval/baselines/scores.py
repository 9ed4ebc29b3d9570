"""How a fitted text baseline ranks texts: its score for one label, so that a claim-type model's
confidence that a sentence is check-worthy orders a debate's sentences (see
:mod:`tagline.eval.metrics.ranking` for the measures)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any


def positive_scores(model: Any, texts: Any, *, positive: Hashable) -> Any:
    """Scores by which ``model`` ranks ``texts`` as ``positive``: higher means more likely.

    Parameters
    ----------
    model : fitted classifier
        A baseline of :mod:`tagline.eval.baselines` (a ``Pipeline``, or a
        :class:`~tagline.eval.baselines.CrossValidatedClassifier`, whose refitted pipeline is
        used), or any fitted scikit-learn classifier with ``classes_``.
    texts : sequence of str, or a feature matrix
        What the model's ``predict`` takes.
    positive : hashable
        The label to score, one of ``model.classes_``.

    Returns
    -------
    numpy.ndarray
        One float per text: the decision function for that label where the model has one (linear
        SVM, logistic regression: the signed distance from the boundary, or the log-odds), else
        the predicted probability of the label (naive Bayes, the dummy baselines). Only the order
        matters for ranking measures; the dummy baselines give every text the same score, so
        their rankings are the texts' own order.

    Raises
    ------
    ValueError
        When ``positive`` is not a label the model was fitted on, or the model gives neither
        decision scores nor probabilities.

    Examples
    --------
    >>> from tagline.eval.baselines import make_text_baseline
    >>> model = make_text_baseline("tfidf_logreg", lang="en").fit(
    ...     ["taxes rose 5%", "thank you", "jobs fell by 2 million", "good evening"], ["yes", "no", "yes", "no"])
    >>> scores = positive_scores(model, ["unemployment rose 3%", "thank you all"], positive="yes")
    >>> bool(scores[0] > scores[1])
    True
    """
    import numpy as np

    model = getattr(model, "best_estimator_", model)
    classes = np.asarray(getattr(model, "classes_", [])).tolist()  # Python values, for the message
    if positive not in classes:
        raise ValueError(f"the model was fitted on the labels {', '.join(map(repr, classes)) or '(none)'}, "
                         f"not {positive!r}; fit it on data that has {positive!r} items")
    column = classes.index(positive)
    if hasattr(model, "decision_function"):
        values = np.asarray(model.decision_function(texts), dtype=float)
        if values.ndim == 1:  # two classes: the score of classes_[1]
            return values if column == 1 else -values
        return values[:, column]
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(texts), dtype=float)[:, column]
    raise ValueError(f"{type(model).__name__} gives neither decision scores nor probabilities to rank by")

