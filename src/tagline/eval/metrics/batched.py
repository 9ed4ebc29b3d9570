"""The label metrics for many bootstrap resamples at once: label codes of shape (resamples, items)
in, one score per resample out, from confusion counts built with ``numpy.bincount``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from tagline.eval.metrics.labels import STANCE_POSITIVE, accuracy, f_avg, macro_f1, weighted_f1


def _confusion_counts(true_codes, pred_codes, n_codes: int):
    import numpy as np

    resamples = true_codes.shape[0]
    offsets = np.arange(resamples)[:, None] * (n_codes * n_codes)
    cells = np.bincount((offsets + true_codes * n_codes + pred_codes).ravel(), minlength=resamples * n_codes * n_codes)
    matrix = cells.reshape(resamples, n_codes, n_codes)
    return matrix.diagonal(axis1=1, axis2=2), matrix.sum(axis=2), matrix.sum(axis=1)


def _f1_columns(true_codes, pred_codes, codes: dict, chosen: Sequence):
    """F1 of each chosen label (columns) for each resample (rows), with the gold and predicted counts."""
    import numpy as np

    correct, gold, guessed = _confusion_counts(true_codes, pred_codes, len(codes))
    present = [codes[label] for label in chosen if label in codes]
    # A chosen label seen in no item has F1 0; a zero column stands for it.
    correct, gold, guessed = (np.concatenate([a[:, present], np.zeros((a.shape[0], len(chosen) - len(present)))],
                                             axis=1) for a in (correct, gold, guessed))
    denominator = gold + guessed
    # 2·tp / (gold + predicted) is eval.pl's 2PR / (P + R) rearranged, and is 0 when tp is.
    f1 = np.where(denominator > 0, 2 * correct / np.maximum(denominator, 1), 0.0)
    return f1, gold, guessed


def _batched_accuracy(true_codes, pred_codes, codes):
    return (true_codes == pred_codes).mean(axis=1)


def _batched_macro_f1(true_codes, pred_codes, codes, *, labels, skip_absent=False):
    import numpy as np

    f1, gold, guessed = _f1_columns(true_codes, pred_codes, codes, list(labels))
    if not skip_absent:
        return f1.mean(axis=1)
    occurs = (gold + guessed) > 0
    counted = occurs.sum(axis=1)
    return np.where(counted > 0, (f1 * occurs).sum(axis=1) / np.maximum(counted, 1), 0.0)


def _batched_weighted_f1(true_codes, pred_codes, codes, *, labels):
    import numpy as np

    f1, gold, _ = _f1_columns(true_codes, pred_codes, codes, list(labels))
    total = gold.sum(axis=1)
    return np.where(total > 0, (f1 * gold).sum(axis=1) / np.maximum(total, 1), 0.0)


def _batched_f_avg(true_codes, pred_codes, codes, *, positive=STANCE_POSITIVE, skip_when_absent=()):
    import numpy as np

    f1, gold, guessed = _f1_columns(true_codes, pred_codes, codes, list(positive))
    skippable = np.array([label in set(skip_when_absent) for label in positive])
    counted = ((gold + guessed) > 0) | ~skippable
    n_counted = counted.sum(axis=1)
    return np.where(n_counted > 0, (f1 * counted).sum(axis=1) / np.maximum(n_counted, 1), 0.0)


_BATCHED: dict[Callable, Callable] = {accuracy: _batched_accuracy, macro_f1: _batched_macro_f1,
                                      weighted_f1: _batched_weighted_f1, f_avg: _batched_f_avg}


def batched_version(metric_fn: Callable) -> Callable | None:
    """The batched form of a metric of :mod:`.labels` (bare, or in ``functools.partial`` with keyword
    arguments), taking ``(true_codes, pred_codes, codes)``; ``None`` for any other callable."""
    if isinstance(metric_fn, functools.partial):
        if metric_fn.func in _BATCHED and not metric_fn.args:
            return functools.partial(_BATCHED[metric_fn.func], **metric_fn.keywords)
        return None
    return _BATCHED.get(metric_fn)
