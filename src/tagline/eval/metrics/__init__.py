"""Scores for label predictions: classification metrics, the SemEval-2016 stance score F_avg, and
bootstrap intervals, all returned as plain JSON-ready data (Python floats and ints, never NaN).

Every score is a fraction between 0 and 1; papers on SemEval-2016 Task 6 print F_avg ×100.

A metric is given either as a callable ``metric(y_true, y_pred) -> float`` or by name (a key of
:data:`METRICS`, with ``labels=`` for the F1 averages). The bootstrap functions resample items. For
the metrics defined here (by name, bare, or wrapped in :func:`functools.partial` with keyword
arguments) they score all resamples at once from confusion counts built with ``numpy.bincount``;
any other callable is called once per resample, which is slower but gives the same numbers for the
same ``random_state`` because both paths draw the same resample indices.

One module per job: :mod:`.labels` (the point metrics and metrics by name), :mod:`.batched` (the
same metrics over many resamples as array operations) and :mod:`.bootstrap` (intervals, and the
paired comparison of two systems).
"""

from tagline.eval.metrics.batched import batched_version
from tagline.eval.metrics.bootstrap import bootstrap_ci, paired_bootstrap, paired_p_value
from tagline.eval.metrics.labels import (
    METRICS,
    STANCE_POSITIVE,
    accuracy,
    classification_metrics,
    f_avg,
    f_avg_breakdown,
    f_avg_by_target,
    macro_f1,
    metric_value,
    weighted_f1,
)

__all__ = ["METRICS", "STANCE_POSITIVE", "accuracy", "batched_version", "bootstrap_ci", "classification_metrics",
           "f_avg", "f_avg_breakdown", "f_avg_by_target", "macro_f1", "metric_value", "paired_bootstrap",
           "paired_p_value", "weighted_f1"]
