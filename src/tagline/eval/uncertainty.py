"""How unsure a model is of its answer: least confidence, margin and entropy, over a classifier's
class probabilities and over a CRF's tag marginals, on one scale (0 sure, 1 unsure) so the
session can average the questions of a sentence. ``--order uncertain`` puts the sentences with the highest
first; :data:`MEASURE` is the one measured best in ``benchmarks/active_learning.py``.

These are a few lines over ``predict_proba``. The active-learning libraries (small-text,
scikit-activeml, modAL) compute the same three scores inside their own query loops and dataset
wrappers, and none covers a CRF's sequences, so they would add a dependency without removing code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

MEASURES: dict[str, str] = {
    "least_confidence": "1 - the probability of the best answer (for a CRF: of the best tag sequence)",
    "margin": "1 - (best - second best probability) (for a CRF: at the token where they are closest)",
    "entropy": "the entropy of the probabilities over log(number of classes) (for a CRF: the mean over tokens)",
}
"""The uncertainty measures by name, each with what it computes."""

MEASURE = "least_confidence"
"""The measure the built-in suggester orders by (see ``docs/architecture.md`` for the figures)."""


def _check(measure: str) -> None:
    if measure not in MEASURES:
        raise ValueError(f"unknown uncertainty measure {measure!r}; expected one of {', '.join(MEASURES)}")


def class_uncertainty(probabilities: Any, measure: str = MEASURE) -> Any:
    """One uncertainty per row of ``probabilities`` (an ``n × classes`` array from ``predict_proba``).

    Examples
    --------
    >>> class_uncertainty([[0.9, 0.1], [0.5, 0.5]], "margin").round(2).tolist()
    [0.2, 1.0]
    """
    import numpy as np

    _check(measure)
    rows = np.asarray(probabilities, dtype=float)
    if rows.ndim != 2 or rows.shape[1] < 2:  # one class known: nothing to be unsure between
        return np.zeros(len(rows))
    ranked = -np.sort(-rows, axis=1)
    if measure == "least_confidence":
        return 1.0 - ranked[:, 0]
    if measure == "margin":
        return 1.0 - (ranked[:, 0] - ranked[:, 1])
    logs = np.log(np.where(rows > 0, rows, 1.0))
    return -(rows * logs).sum(axis=1) / math.log(rows.shape[1])


def sequence_uncertainty(marginals: Sequence[Sequence[float]], best_probability: float,
                         measure: str = MEASURE) -> float:
    """How unsure a CRF is of one sentence, from its tag marginals (tokens × tags) and the
    probability of the tag sequence it predicts."""
    _check(measure)
    if measure == "least_confidence":
        return float(1.0 - best_probability)
    token_scores = class_uncertainty(marginals, measure)
    if len(token_scores) == 0:
        return 0.0
    return float(token_scores.max() if measure == "margin" else token_scores.mean())


def crf_uncertainty(tagger: Any, sentence_features: Sequence[Any], measure: str = MEASURE) -> float | None:
    """:func:`sequence_uncertainty` of a CRFsuite tagger (``pycrfsuite.Tagger``) on one sentence's
    token features; None for a sentence without tokens."""
    if not sentence_features:
        return None
    tagger.set(sentence_features)
    tags = tagger.tag()
    labels = tagger.labels()
    marginals = [[tagger.marginal(label, position) for label in labels] for position in range(len(tags))]
    return sequence_uncertainty(marginals, tagger.probability(tags), measure)

