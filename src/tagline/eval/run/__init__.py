"""Running baselines on a built dataset: train on train, tune on validation, report on test (or
cross-validate), with bootstrap intervals; every run is written to ``runs/<run-id>/``.

One module per job: :mod:`.data` (a built dataset's examples for one task), :mod:`.folds` (the
folds of ``--cv``), :mod:`.fitting` (making and fitting a model, and what its tuning chose),
:mod:`.evaluate` (one baseline on one task: holdout or cross-validation, tuned or not),
:mod:`.scoring` (metrics with intervals, per class and per target), :mod:`.caveats` (the warnings:
too few items scored, FAVOR or AGAINST with no gold items or no predictions), :mod:`.runner`
(``run_evaluation``: the plan of baselines, and the runs), :mod:`.storage` (a run's folder and
files, models without pickle), :mod:`.report` (``report.md``) and :mod:`.listing` (finding runs).
The baselines themselves are listed in :mod:`tagline.eval.baselines.registry`.
"""

from tagline.eval.baselines.registry import ENTITY_BASELINES, POOLED, TEXT_BASELINES
from tagline.eval.run.caveats import F_AVG_DEFINITION, SMALL_SAMPLE, f_avg_warnings, few_items, stance_warnings
from tagline.eval.run.data import TaskData, load_dataset_dir, stale_build_warning, task_data
from tagline.eval.run.evaluate import Evaluation, evaluate_baseline, protocol
from tagline.eval.run.fitting import TUNING_FOLDS
from tagline.eval.run.folds import cv_folds
from tagline.eval.run.listing import find_run, list_runs, read_run_result
from tagline.eval.run.report import run_report
from tagline.eval.run.runner import plan_baselines, run_evaluation
from tagline.eval.run.scoring import HEADLINE, Scores, label_metric, prediction_rows, score_labels, score_spans
from tagline.eval.run.storage import load_model, new_run_dir, plot_confusion, save_model, versions, write_run

__all__ = ["ENTITY_BASELINES", "F_AVG_DEFINITION", "HEADLINE", "POOLED", "SMALL_SAMPLE", "TEXT_BASELINES",
           "TUNING_FOLDS", "Evaluation", "Scores", "TaskData", "cv_folds", "evaluate_baseline", "f_avg_warnings",
           "few_items", "find_run", "label_metric", "list_runs", "load_dataset_dir", "load_model", "new_run_dir",
           "plan_baselines", "plot_confusion", "prediction_rows", "protocol", "read_run_result", "run_evaluation",
           "run_report", "save_model", "score_labels", "score_spans", "stale_build_warning", "stance_warnings",
           "task_data", "versions", "write_run"]
