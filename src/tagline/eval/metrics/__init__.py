"""Scores for label predictions: classification metrics, the SemEval-2016 stance score F_avg, and
bootstrap intervals; and the ranking measures of check-worthiness (MAP and the others of CLEF
CheckThat!), all returned as plain JSON-ready data (Python floats and ints, never NaN).

Every score is a fraction between 0 and 1; papers on SemEval-2016 Task 6 print F_avg ×100.

A metric is given either as a callable ``metric(y_true, y_pred) -> float`` or by name (a key of
:data:`METRICS`, with ``labels=`` for the F1 averages). The bootstrap functions resample items. For
the metrics defined here (by name, bare, or wrapped in :func:`functools.partial` with keyword
arguments) they score all resamples at once from confusion counts built with ``numpy.bincount``;
any other callable is called once per resample, which is slower but gives the same numbers for the
same ``random_state`` because both paths draw the same resample indices.

One module per job: :mod:`.labels` (the point metrics and metrics by name), :mod:`.batched` (the
same metrics over many resamples as array operations), :mod:`.bootstrap` (intervals, and the
paired comparison of two systems) and :mod:`.ranking` (measures of rankings within groups, and
intervals that resample groups).
"""

from tagline.eval.metrics.batched import batched_version
from tagline.eval.metrics.bootstrap import bootstrap_ci, bootstrap_intervals, paired_bootstrap, paired_p_value
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
from tagline.eval.metrics.ranking import (
    CHECKTHAT_CUTOFFS,
    average_precision,
    bootstrap_ranking_ci,
    grouped_ranking_measures,
    mean_average_precision,
    precision_at_k,
    r_precision,
    ranking_measures,
    reciprocal_rank,
)

__all__ = ["CHECKTHAT_CUTOFFS", "METRICS", "STANCE_POSITIVE", "accuracy", "average_precision", "batched_version",
           "bootstrap_ci", "bootstrap_intervals", "bootstrap_ranking_ci", "classification_metrics", "f_avg",
           "f_avg_breakdown", "f_avg_by_target", "grouped_ranking_measures", "macro_f1", "mean_average_precision",
           "metric_value", "paired_bootstrap", "paired_p_value", "precision_at_k", "r_precision", "ranking_measures",
           "reciprocal_rank", "weighted_f1"]
