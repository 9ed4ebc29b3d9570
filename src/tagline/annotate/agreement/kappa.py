"""Cohen's and Fleiss' kappa from their count tables, with numpy alone.

They are written here, not imported, for start-up time: scikit-learn's ``cohen_kappa_score`` and
statsmodels' ``fleiss_kappa`` each pull in scipy.stats and pandas, about 1.5 s of the 2 s that
``tagline annotate agree`` took, for two formulas of a few lines. ``tests/annotate/test_kappa.py``
checks both against those implementations on random tables and on the published worked examples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def cohen_kappa(first: Sequence[Any], second: Sequence[Any], labels: Sequence[Any]) -> float:
    """Cohen's kappa of two annotators' labels for the same items (unweighted), as
    ``sklearn.metrics.cohen_kappa_score(first, second, labels=labels)`` computes it: observed
    agreement against the agreement expected from each annotator's own label shares. NaN when
    the expected agreement is 1."""
    import numpy as np

    index = {label: position for position, label in enumerate(labels)}
    kept = [(index[a], index[b]) for a, b in zip(first, second, strict=True) if a in index and b in index]
    if not kept:
        return float("nan")
    confusion = np.zeros((len(labels), len(labels)), dtype=float)
    np.add.at(confusion, tuple(np.array(kept).T), 1.0)
    return cohen_kappa_table(confusion)


def cohen_kappa_table(confusion: Any) -> float:
    """Cohen's kappa of a labels x labels confusion table of counts (rows: the first annotator's
    labels, columns: the second's), as :func:`cohen_kappa` computes it from the labels."""
    import numpy as np

    confusion = np.asarray(confusion, dtype=float)
    total = confusion.sum()
    observed = np.trace(confusion) / total
    expected = float(confusion.sum(axis=1) @ confusion.sum(axis=0)) / total**2
    with np.errstate(divide="ignore", invalid="ignore"):
        return float((observed - expected) / (1.0 - expected)) if expected != 1.0 else float("nan")


def fleiss_kappa(ratings: Sequence[Sequence[int]], n_categories: int) -> float:
    """Fleiss' kappa (Fleiss 1971) of items each rated by the same number of annotators: ``ratings``
    holds one row per item of category codes ``0 .. n_categories - 1``. The same value as
    ``statsmodels.stats.inter_rater.fleiss_kappa(aggregate_raters(ratings)[0], method="fleiss")``.
    NaN when the expected agreement is 1."""
    import numpy as np

    codes = np.asarray(ratings, dtype=int)
    n_items, n_raters = codes.shape
    if n_items == 0 or n_raters < 2:
        return float("nan")
    if codes.min() < -n_categories or codes.max() >= n_categories:
        raise IndexError(f"a rating is not a category code 0 .. {n_categories - 1}")
    # Counted by one bincount (whole numbers, so the table is the one ``np.add.at`` adds up, slower;
    # a negative code counts from the last category, as numpy's indexing took it).
    cells = np.repeat(np.arange(n_items, dtype=np.int64) * n_categories, n_raters) + codes.ravel() % n_categories
    table = np.bincount(cells, minlength=n_items * n_categories).astype(float).reshape(n_items, n_categories)
    shares = table.sum(axis=0) / table.sum()
    per_item = ((table * table).sum(axis=1) - n_raters) / (n_raters * (n_raters - 1.0))
    expected = float(shares @ shares)
    return float((per_item.mean() - expected) / (1.0 - expected)) if expected != 1.0 else float("nan")
