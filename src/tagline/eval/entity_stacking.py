"""Stacking for the entity CRF: a first CRF's predicted tags of a token and its neighbours as features
of a second, the training sentences' from first CRFs that never saw them (a jackknife over folds)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

STACK_REACH = 2
"""How many neighbours on each side give their first-stage tag as a feature."""


def stacked_features(features: Sequence[dict], first_tags: Sequence[str]) -> list[dict]:
    """Copies of ``features`` with the first CRF's tag of each token and of its neighbours up to
    :data:`STACK_REACH` away, and the tags before and at the token joined.

    >>> [item["0:st"] for item in stacked_features([{}, {}], ["B-PER", "I-PER"])]
    ['B-PER', 'I-PER']
    >>> stacked_features([{}, {}], ["B-PER", "I-PER"])[1]["-1|0:st"]
    'B-PER|I-PER'
    """
    out = []
    for i, item in enumerate(features):
        item = dict(item)
        for offset in range(-STACK_REACH, STACK_REACH + 1):
            if 0 <= i + offset < len(first_tags):
                item[f"{offset}:st"] = first_tags[i + offset]
        if i > 0:
            item["-1|0:st"] = f"{first_tags[i - 1]}|{first_tags[i]}"
        out.append(item)
    return out


def jackknife_tags(x: Sequence[Sequence[dict]], y: Sequence[Sequence[str]], folds: int,
                   fit: Callable[[list, list], Any]) -> list[list[str]]:
    """Each training sentence's tags predicted by a CRF (``fit(x, y)``, fitted) trained on the
    sentences outside its fold only (sentence ``i`` is in fold ``i % folds``, as the dictionary's)."""
    tags: list[list[str]] = [[] for _ in x]
    for fold in range(folds):
        others = [i for i in range(len(x)) if i % folds != fold]
        model = fit([x[i] for i in others], [y[i] for i in others])
        for i in range(fold, len(x), folds):
            tags[i] = list(model.predict_single(x[i])) if len(x[i]) else []
    return tags
