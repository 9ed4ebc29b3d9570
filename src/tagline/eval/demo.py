"""The whole pipeline on the bundled sample, in a fresh workspace: what ``tagline demo`` runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagline.corpus.workspace import Workspace
from tagline.errors import DataError, require_count
from tagline.eval.build import BuildReport
from tagline.schemas import TASKS
from tagline.schemas.records import RunResult


@dataclass
class DemoResult:
    """What :func:`run_demo` made: the workspace, the build, one result per (task, baseline), and
    the corpus statistics."""

    workspace: Workspace
    build: BuildReport
    results: list[RunResult] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def demo_runs() -> list[tuple[str, str]]:
    """Every (task, baseline) the demo runs: each registered baseline on each task it applies to, one
    meant to be fitted over all stance targets as ``NAME+pooled``."""
    from tagline.eval.baselines.registry import BY_NAME, POOLED, names_for

    return [(task, baseline + (POOLED if task == "stance" and BY_NAME[baseline].pooled else ""))
            for task in TASKS for baseline in names_for(task)]


def run_demo(directory: str | os.PathLike[str], *, cv: int = 5, n_resamples: int = 1000,
             progress: Callable[[str, str, int, int], None] | None = None) -> DemoResult:
    """Make a workspace with the sample in ``directory``, check it, build the dataset and run every
    baseline with ``cv``-fold cross-validation.

    ``progress(phase, step, done, total)`` is called before each step (``phase`` is ``"preparing"``
    or ``"baselines"``) and once more at the end of each phase.

    Examples
    --------
    >>> result = run_demo(tmp / "demo", cv=2, n_resamples=20)  # doctest: +SKIP
    >>> sorted({r["task"] for r in result.results})  # doctest: +SKIP
    ['claim_type', 'entities', 'stance']
    """
    from tagline.annotate.validate import iter_errors, validate_workspace
    from tagline.corpus.stats import corpus_stats
    from tagline.corpus.workspace import init_workspace
    from tagline.eval.build import build_dataset
    from tagline.eval.run import run_evaluation

    require_count("cv", cv, 2)  # before the workspace is made
    require_count("n_resamples", n_resamples)
    report = progress or (lambda phase, step, done, total: None)
    report("preparing", "workspace + sample article and its gold", 0, 3)
    workspace = init_workspace(Path(directory), sample=True)
    report("preparing", "validating every file", 1, 3)
    errors = list(iter_errors(validate_workspace(workspace)))
    if errors:
        raise DataError(f"the sample workspace has {len(errors)} problem(s); first: {errors[0]}",
                        where=str(workspace.root), fix="report this")
    report("preparing", "building the dataset", 2, 3)
    build = build_dataset(workspace, tokens=True)
    report("preparing", "ready", 3, 3)
    runs = demo_runs()
    results: list[RunResult] = []
    for done, (task, baseline) in enumerate(runs):
        report("baselines", f"{task} · {baseline}", done, len(runs))
        results.extend(run_evaluation(workspace, task=task, baselines=[baseline], cv=cv, n_resamples=n_resamples))
    report("baselines", "done", len(runs), len(runs))
    return DemoResult(workspace, build, results, corpus_stats(workspace))
