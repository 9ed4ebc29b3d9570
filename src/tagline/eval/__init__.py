"""Datasets and scores: the DatasetDict build, baselines, metrics, reports, external predictions."""

from __future__ import annotations

from tagline._exports import lazy_exports

_EXPORTS = {
    "build_dataset": "tagline.eval.build:build_dataset",
    "run_evaluation": "tagline.eval.run:run_evaluation",
    "list_runs": "tagline.eval.run:list_runs",
    "score_predictions": "tagline.eval.score:score_predictions",
    "compare_runs": "tagline.eval.score:compare_runs",
    "predict_file": "tagline.eval.score:predict_file",
    "run_demo": "tagline.eval.demo:run_demo",
    "run_benchmark": "tagline.eval.bench.runner:run_benchmark",
    "benchmark_status": "tagline.eval.bench.data:benchmark_status",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
