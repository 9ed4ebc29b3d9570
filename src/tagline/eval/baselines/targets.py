"""Features for one stance model over all targets: every n-gram feature twice, once shared by every
target and once in a block of the item's own target (feature augmentation, Daumé III 2007,
"Frustratingly Easy Domain Adaptation"). A weight on a shared feature is learnt from the items of
every target, a weight in a target's block from that target's items alone, so a target with few
items of a label (Climate Change has 15 AGAINST tweets of 395) borrows what the others teach.

The target is read from the token :func:`~tagline.eval.baselines.stance.target_token` that a
pooled :class:`~tagline.eval.baselines.stance.PerTargetClassifier` puts in front of each text; a
text without one (claim type, or a per-target model) gets the shared block alone, so the model is
then the plain TF-IDF one. This module imports scikit-learn: it is loaded only when a model using
it is made.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, clone

_TOKEN = re.compile(r"^(__target_\w*__) ")


def split_target(texts: Sequence[str]) -> tuple[list[str], list[str]]:
    """The target token of each text (``""`` when it has none) and the text without it."""
    targets, bodies = [], []
    for text in texts:
        match = _TOKEN.match(text)
        targets.append(match.group(1) if match else "")
        bodies.append(text[match.end():] if match else text)
    return targets, bodies


class TargetCopies(TransformerMixin, BaseEstimator):
    """``features`` of each text without its target token, followed by one copy of them per target
    seen in training, non-zero only in the block of the text's own target.

    Parameters
    ----------
    features : transformer
        Texts to a (sparse) feature matrix, e.g. :func:`~tagline.eval.baselines.text_features`.

    Attributes
    ----------
    features_ : transformer
        ``features`` fitted on the training texts (all targets together).
    targets_ : list of str
        The target tokens seen in training, sorted: the order of the blocks. A target not seen in
        training gets the shared block alone.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import CountVectorizer
    >>> copies = TargetCopies(CountVectorizer()).fit(["__target_a__ good", "__target_b__ bad"])
    >>> copies.transform(["__target_a__ good bad"]).toarray().tolist()  # shared, a's block, b's block
    [[1.0, 1.0, 1.0, 1.0, 0.0, 0.0]]
    """

    def __init__(self, features: Any = None):
        self.features = features

    def fit(self, X: Sequence[str], y: Any = None) -> TargetCopies:
        if self.features is None:
            raise ValueError("TargetCopies needs features= (a transformer of texts)")
        targets, bodies = split_target(list(X))
        self.features_ = clone(self.features).fit(bodies)
        self.targets_ = sorted({target for target in targets if target})
        return self

    def transform(self, X: Sequence[str]) -> Any:
        targets, bodies = split_target(list(X))
        shared = sparse.csr_matrix(self.features_.transform(bodies), dtype=np.float64)
        owners = np.array(targets, dtype=object)
        blocks = [shared] + [sparse.diags((owners == target).astype(np.float64)) @ shared
                             for target in self.targets_]
        return sparse.hstack(blocks, format="csr")
