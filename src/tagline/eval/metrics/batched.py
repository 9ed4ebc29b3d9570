"""The label metrics for many bootstrap resamples at once: label codes of shape (resamples, items)
in, one score per resample out, from confusion counts built with ``numpy.bincount`` once for all
the metrics of the same resamples."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from tagline.eval.metrics.labels import STANCE_POSITIVE, accuracy, f_avg, macro_f1, weighted_f1


class Confusion(NamedTuple):
    """The confusion counts of many resamples: per resample (rows) and label code (columns), the
    items right, the gold items and the predicted items; and the items in a resample."""

    correct: Any
    gold: Any
    guessed: Any
    n_items: int


def confusion_of_pairs(pair_codes, n_codes: int) -> Confusion:
    """:class:`Confusion` from ``true_code * n_codes + pred_code`` per item, of shape (resamples, items):
    one ``bincount`` for every resample, which every metric of the resamples then reads."""
    import numpy as np

    resamples = pair_codes.shape[0]
    offsets = np.arange(resamples)[:, None] * (n_codes * n_codes)
    cells = np.bincount((offsets + pair_codes).ravel(), minlength=resamples * n_codes * n_codes)
    matrix = cells.reshape(resamples, n_codes, n_codes)
    return Confusion(matrix.diagonal(axis1=1, axis2=2), matrix.sum(axis=2), matrix.sum(axis=1), pair_codes.shape[1])


def _f1_columns(counts: Confusion, codes: dict, chosen: Sequence):
    """F1 of each chosen label (columns) for each resample (rows), with the gold and predicted counts."""
    import numpy as np

    present = [codes[label] for label in chosen if label in codes]
    # A chosen label seen in no item has F1 0; a zero column stands for it.
    correct, gold, guessed = (np.concatenate([a[:, present], np.zeros((a.shape[0], len(chosen) - len(present)))],
                                             axis=1) for a in (counts.correct, counts.gold, counts.guessed))
    denominator = gold + guessed
    # 2·tp / (gold + predicted) is eval.pl's 2PR / (P + R) rearranged, and is 0 when tp is.
    f1 = np.where(denominator > 0, 2 * correct / np.maximum(denominator, 1), 0.0)
    return f1, gold, guessed


def _counted_accuracy(counts: Confusion, codes):
    # The items right over the items: what the mean of (true == pred) over each resample gives.
    return counts.correct.sum(axis=1) / counts.n_items


def _counted_macro_f1(counts: Confusion, codes, *, labels, skip_absent=False):
    import numpy as np

    f1, gold, guessed = _f1_columns(counts, codes, list(labels))
    if not skip_absent:
        return f1.mean(axis=1)
    occurs = (gold + guessed) > 0
    counted = occurs.sum(axis=1)
    return np.where(counted > 0, (f1 * occurs).sum(axis=1) / np.maximum(counted, 1), 0.0)


def _counted_weighted_f1(counts: Confusion, codes, *, labels):
    import numpy as np

    f1, gold, _ = _f1_columns(counts, codes, list(labels))
    total = gold.sum(axis=1)
    return np.where(total > 0, (f1 * gold).sum(axis=1) / np.maximum(total, 1), 0.0)


def _counted_f_avg(counts: Confusion, codes, *, positive=STANCE_POSITIVE, skip_when_absent=()):
    import numpy as np

    f1, gold, guessed = _f1_columns(counts, codes, list(positive))
    skippable = np.array([label in set(skip_when_absent) for label in positive])
    counted = ((gold + guessed) > 0) | ~skippable
    n_counted = counted.sum(axis=1)
    return np.where(n_counted > 0, (f1 * counted).sum(axis=1) / np.maximum(n_counted, 1), 0.0)


_COUNTED: dict[Callable, Callable] = {accuracy: _counted_accuracy, macro_f1: _counted_macro_f1,
                                      weighted_f1: _counted_weighted_f1, f_avg: _counted_f_avg}


def counted_version(metric_fn: Callable) -> Callable | None:
    """The form of a metric of :mod:`.labels` (bare, or in ``functools.partial`` with keyword
    arguments) that scores many resamples from their :class:`Confusion`, taking ``(counts, codes)``;
    ``None`` for any other callable."""
    if isinstance(metric_fn, functools.partial):
        if metric_fn.func in _COUNTED and not metric_fn.args:
            return functools.partial(_COUNTED[metric_fn.func], **metric_fn.keywords)
        return None
    return _COUNTED.get(metric_fn)


def batched_version(metric_fn: Callable) -> Callable | None:
    """The batched form of a metric of :mod:`.labels` (bare, or in ``functools.partial`` with keyword
    arguments), taking ``(true_codes, pred_codes, codes)``; ``None`` for any other callable."""
    counted = counted_version(metric_fn)
    if counted is None:
        return None

    def batched(true_codes, pred_codes, codes):
        return counted(confusion_of_pairs(true_codes * len(codes) + pred_codes, len(codes)), codes)

    return batched
