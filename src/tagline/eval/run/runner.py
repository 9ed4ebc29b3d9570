"""`eval run`: the baselines chosen for each task, checked against the registry, each fitted,
scored with bootstrap intervals and written to ``runs/<run-id>/``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tagline.corpus.execution import Execution
from tagline.corpus.progress import ProgressCallback, no_progress
from tagline.corpus.store import utc_now
from tagline.corpus.workspace import Workspace
from tagline.errors import DataError, require_count, takes_workspace
from tagline.eval.baselines.registry import BY_NAME, POOLED, choices, names_for, pooled_names
from tagline.eval.parallel import executing
from tagline.eval.run.caveats import cross_validation_advice, few_items, stance_warnings
from tagline.eval.run.data import TaskData, load_dataset_dir, task_data
from tagline.eval.run.evaluate import Evaluation, evaluate_baseline
from tagline.eval.run.scoring import HEADLINE, Scores, prediction_rows, score_labels, score_spans
from tagline.eval.run.storage import new_run_dir, versions, write_run
from tagline.schemas import TASKS
from tagline.schemas.records import RunResult, RunWarning, run_protocol


@takes_workspace
def run_evaluation(workspace: Workspace, *, task: str = "all", baselines: Sequence[str] | None = None,
                   cv: int | None = None, seed: int = 13, dataset_dir: str | Path | None = None, pooled: bool = False,
                   n_resamples: int = 1000, progress: ProgressCallback = no_progress,
                   tune: bool = True, tune_metric: str | None = None, positive: str | None = None,
                   extra_metrics: Callable[[TaskData, Evaluation], dict[str, Any]] | None = None,
                   execution: Execution | None = None) -> list[RunResult]:
    """Run the chosen baselines on the chosen tasks; write and return one result per (task, baseline).

    Stance baselines are fitted per target (the SemEval-2016 organisers' setting); with ``pooled``
    (or a ``+pooled`` baseline name) one model is fitted over all targets, the target given as a token.
    ``tune``, ``tune_metric`` (what tuning maximises: ``macro_f1``, ``f_avg`` or ``map``; default the
    task's) and ``positive`` (the label ``map`` ranks by) are passed to :func:`evaluate_baseline`.
    ``progress`` is told of each baseline as it starts (see
    :class:`~tagline.corpus.progress.ProgressCallback`). ``extra_metrics(data, evaluation)``
    gives measures to record beside the run's own (name -> interval), such as a benchmark's ranking
    measures (:mod:`tagline.eval.bench`). ``execution`` says where the folds, tuning grids and
    per-target models run (default: the workspace's ``[execution]`` setting, else one process); the
    results are the same wherever they run.
    """
    require_count("n_resamples", n_resamples)
    directory, built = load_dataset_dir(workspace, dataset_dir)
    tasks = [t for t in TASKS if task in ("all", t)]
    tasks = [t for t in tasks if t in built["settings"]["tasks"]]
    if not tasks:
        if task == "stance":
            workspace.config.require_targets()  # a rebuild gives no stance until there are targets
        raise DataError(f"the dataset was built without {task}", where=str(directory),
                        fix="rebuild with `tagline eval build`")
    if cv is not None and cv < 2:
        raise DataError("--cv must be at least 2")
    plan = plan_baselines(tasks, baselines, pooled)
    with executing(workspace.config.execution if execution is None else execution):
        return _run_plan(workspace, plan, tasks, directory, built, cv=cv, seed=seed, n_resamples=n_resamples,
                         progress=progress, tune=tune, tuning=(tune_metric, positive), extra_metrics=extra_metrics)


def _run_plan(workspace: Workspace, plan: dict[str, list[str]], tasks: list[str], directory: Path,
              built: dict[str, Any], *, cv: int | None, seed: int, n_resamples: int, progress: ProgressCallback,
              tune: bool, tuning: tuple[str | None, str | None],
              extra_metrics: Callable[[TaskData, Evaluation], dict[str, Any]] | None) -> list[RunResult]:
    results: list[RunResult] = []
    total = sum(len(plan[name]) for name in tasks)
    for name in tasks:
        progress(len(results), total, f"{name}: reading the dataset")
        data = task_data(directory, name)
        for baseline in plan[name]:
            progress(len(results), total, f"{name} · {baseline}")
            started = time.perf_counter()
            from threadpoolctl import threadpool_limits

            # BLAS threads on these small sparse problems cost far more in contention than they
            # give (measured: lbfgs 2.3 s with 2 threads on a busy machine, 0.06 s with one).
            with threadpool_limits(1):
                outcome = evaluate_baseline(data, baseline, cv=cv, seed=seed, tune=tune, tune_metric=tuning[0],
                                            positive=tuning[1])
            scores, rows = _scores_and_rows(data, outcome, n_resamples=n_resamples, seed=seed)
            if extra_metrics is not None:
                scores["metrics"].update(extra_metrics(data, outcome))
            run_id, _ = new_run_dir(workspace, name, baseline)
            result: RunResult = {
                "run_id": run_id, "task": name, "baseline": baseline,
                "mode": outcome["mode"], "protocol": outcome["protocol"], "dataset": str(directory),
                "dataset_fingerprint": built["fingerprint"], "seed": seed, "versions": versions(),
                "created": utc_now(), "n_train": outcome["n_train"], "n_evaluated": len(outcome["evaluated"]),
                "headline": HEADLINE[name], "params": outcome["params"], "lang": outcome["lang"],
                "seconds": round(time.perf_counter() - started, 3), **scores}
            result["warnings"] = _warnings(result)
            write_run(workspace, result, model=outcome["model"], predictions=rows)
            results.append(result)
    return results


def _scores_and_rows(data: TaskData, outcome: Evaluation, *, n_resamples: int,
                     seed: int) -> tuple[Scores, list[dict[str, Any]]]:
    """The scores of an evaluation's predictions, and the lines of its ``predictions.jsonl``."""
    evaluated = outcome["evaluated"]
    truth = [data.gold[i] for i in evaluated]
    if data.task == "entities":
        scores = score_spans(truth, outcome["predictions"], data.labels, n_resamples=n_resamples, seed=seed)
    else:
        scores = score_labels(data.task, truth, outcome["predictions"], data.labels,
                              inputs=[data.inputs[i] for i in evaluated], n_resamples=n_resamples, seed=seed)
    return scores, prediction_rows(data.task, [data.ids[i] for i in evaluated], truth, outcome["predictions"])


def _warnings(result: RunResult) -> list[RunWarning]:
    """What a reader of the run must know: too few items scored (with what to do instead), and
    F_avg's classes with no gold items or no predictions, overall and per target."""
    headline = HEADLINE[result["task"]]
    if run_protocol(result)["evaluation"] == "cross_validation":
        where, done, advice = "", "scored by cross-validation", "Only more gold will make it steadier."
    else:
        tuned = run_protocol(result)["tuning"] != "defaults"
        where, done = "in the test split", "scored"
        advice = cross_validation_advice(result["task"], result["baseline"], tuned=tuned)
    return few_items(result.get("n_evaluated", 0), where=where, done=done, metric=headline,
                     interval=result["metrics"][headline], advice=advice) + stance_warnings(result)


def plan_baselines(tasks: list[str], baselines: Sequence[str] | None, pooled: bool) -> dict[str, list[str]]:
    """The baselines to run for each task: those named, where they apply, or every registered one.
    A baseline asked for by name that applies to none of the tasks, or a pooled model without
    stance among them, is an error rather than a silent no-op."""
    _check_names(tasks, list(baselines or []), pooled)
    plan = {}
    for task in tasks:
        chosen = [b for b in (baselines or names_for(task)) if task in BY_NAME[b.removesuffix(POOLED)].tasks]
        if task == "stance" and pooled:
            chosen = [b + POOLED if not b.endswith(POOLED) and BY_NAME[b].poolable else b for b in chosen]
        if task != "stance":
            chosen = [b for b in chosen if not b.endswith(POOLED)]
        plan[task] = list(dict.fromkeys(chosen))
    return plan


def _check_names(tasks: list[str], baselines: list[str], pooled: bool) -> None:
    unknown = [b for b in baselines if b.removesuffix(POOLED) not in BY_NAME]
    if unknown:
        raise DataError(f"unknown {'baseline' if len(unknown) == 1 else 'baselines'} {', '.join(unknown)}",
                        fix=f"choose from {choices()}")
    for baseline in baselines:
        spec = BY_NAME[baseline.removesuffix(POOLED)]
        if baseline.endswith(POOLED) and not spec.poolable:
            raise DataError(f"{spec.name} cannot be fitted over all stance targets",
                            fix=f"drop {POOLED}; these can: {', '.join(pooled_names())}")
        if not set(spec.tasks) & set(tasks):
            raise DataError(f"baseline {baseline} does not apply to {' or '.join(tasks)}",
                            fix=f"choose from {choices()}")
        if baseline.endswith(POOLED) and "stance" not in tasks:
            raise DataError(f"{baseline} is a stance model fitted over all targets, and stance is not among the "
                            "tasks run", fix=f"run it with --task stance, or drop {POOLED}")
    if pooled and "stance" not in tasks:
        raise DataError("--pooled applies to stance only", fix="run it with --task stance (or --task all)")
    if pooled and baselines and not any(BY_NAME[b.removesuffix(POOLED)].poolable for b in baselines):
        raise DataError(f"--pooled applies to stance baselines, and {', '.join(baselines)} "
                        f"{'is not one' if len(baselines) == 1 else 'are not'}",
                        fix=f"add a text baseline ({', '.join(pooled_names())}) or drop --pooled")
