"""Running a registered benchmark end to end in a fresh workspace: import with the official split,
build, the baselines through `eval run`, the official measure, and the published figures beside."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagline.corpus.progress import ProgressCallback, no_progress
from tagline.errors import ConflictError, DataError, require_count
from tagline.eval.bench.data import find_data_dir, require_files
from tagline.eval.bench.registry import BenchmarkSpec, find

if TYPE_CHECKING:
    from tagline.corpus.workspace import Workspace
    from tagline.eval.run import Evaluation, TaskData
    from tagline.schemas.records import RunResult

CHECK_WORTHY = "check_worthy"
RANKING_MEASURES = ("map", "r_precision", "reciprocal_rank", "precision_at_1", "precision_at_5", "precision_at_10")
_LINE = re.compile(r"-s(\d+)$")


@dataclass
class BenchResult:
    """What :func:`run_benchmark` made: the benchmark, the data folder it read, the workspace, how
    many sentences and gold records were imported, the dataset's fingerprint, one run per baseline,
    the seconds the import and the build took (each run records its own) and the whole."""

    spec: BenchmarkSpec
    data_dir: Path
    workspace: Workspace
    sentences: int
    gold: int
    fingerprint: str
    results: list[RunResult] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    wall_seconds: float | None = None  # from the start of the import to the last run written
    tuned: bool = True  # False with --no-tune: the baselines kept their default parameters

    def figure(self, result: RunResult) -> dict[str, Any]:
        """The run's official measure with its interval."""
        return dict(result["metrics"][self.spec.measure])

    def summary(self) -> dict[str, Any]:
        """Plain data for ``--json``: the benchmark, where things are, our figures and the published ones."""
        spec = self.spec
        return {"benchmark": spec.name, "title": spec.title, "measure": spec.measure, "measure_name": spec.measure_name,
                "split": spec.described(self.tuned), "data": str(self.data_dir / spec.folder),
                "workspace": str(self.workspace.root),
                "sentences": self.sentences, "gold": self.gold, "dataset_fingerprint": self.fingerprint,
                "seconds": self.seconds, "wall_seconds": self.wall_seconds,
                "ours": [{"baseline": r["baseline"], "run_id": r["run_id"], "mode": r.get("mode", ""),
                          "tuning_metric": r["params"].get("metric"), spec.measure: self.figure(r),
                          "seconds": r.get("seconds")} for r in self.results],
                "published": [p._asdict() for p in spec.published], "published_note": spec.published_note,
                "command": spec.command()}


def run_benchmark(name: str, *, data: str | os.PathLike[str] | None = None, out: str | os.PathLike[str] | None = None,
                  baselines: Sequence[str] | None = None, seed: int = 0, n_resamples: int = 1000, tune: bool = True,
                  tune_metric: str | None = None, progress: ProgressCallback = no_progress) -> BenchResult:
    """Run the registered benchmark ``name`` in a fresh workspace and return what it made.

    Parameters
    ----------
    name : str
        One of :data:`~tagline.eval.bench.registry.BENCHMARK_NAMES`.
    data : path, optional
        The datasets folder (see :func:`~tagline.eval.bench.data.find_data_dir` for the default).
    out : path, optional
        Where to make the workspace: a folder that does not exist or is empty (default: a new
        temporary folder). Its runs are ordinary runs: ``tagline eval compare -w OUT A B``.
    baselines : sequence of str, optional
        The baselines to run (default: the benchmark's).
    seed, n_resamples, tune
        As in :func:`~tagline.eval.run.run_evaluation`. The runs use one process per core for their
        folds, tuning grids, per-target models and ``crf_pair``'s two CRFs (the figures are the same
        in one process).
    tune_metric : str, optional
        What tuning maximises (see :func:`~tagline.eval.run.run_evaluation`). By default the
        benchmark's own measure where tuning can maximise it: ``map`` for the CheckThat! debates
        (each held-out debate ranked by the score for ``check_worthy``, folds grouped by debate),
        F_avg for SemEval stance, macro-F1 for ClaimBuster.

    Examples
    --------
    >>> result = run_benchmark("semeval2016-task6", baselines=["majority"])  # doctest: +SKIP
    >>> round(100 * result.figure(result.results[0])["value"], 2)  # doctest: +SKIP
    65.22
    """
    require_count("n_resamples", n_resamples)  # before the benchmark's workspace is made
    from tagline.annotate.interop import import_file
    from tagline.corpus.execution import Execution
    from tagline.corpus.workers import cores
    from tagline.eval.build import build_dataset
    from tagline.eval.run import plan_baselines, run_evaluation

    spec = find(name)
    data_dir = find_data_dir(data)
    folder = require_files(spec, data_dir)
    chosen = list(baselines) if baselines else list(spec.baselines)
    plan_baselines([spec.task], chosen, False)  # unknown or inapplicable names fail before any work
    workspace = _fresh_workspace(spec, out)
    steps = len(spec.sources) + 1 + len(chosen)
    seconds: dict[str, float] = {}
    began = started = time.perf_counter()
    sentences = gold = 0
    for done, source in enumerate(spec.sources):
        progress(done, steps, f"importing {source if source != '.' else spec.folder}")
        summary = import_file(workspace, folder / source, fmt=spec.fmt)
        sentences += summary.get("sentences", 0)
        gold += summary.get("gold", 0)
    seconds["import"] = round(time.perf_counter() - started, 3)
    progress(len(spec.sources), steps, "building the dataset")
    started = time.perf_counter()
    build = build_dataset(workspace, tasks=[spec.task], tokens=spec.task == "entities")
    seconds["build"] = round(time.perf_counter() - started, 3)
    extra = _ranking_metrics(n_resamples=n_resamples, seed=seed) if spec.ranking else None
    metric = tune_metric or tuning_metric_for(spec)
    positive = CHECK_WORTHY if metric == "map" else None
    result = BenchResult(spec, data_dir, workspace, sentences, gold, build.fingerprint, seconds=seconds,
                         tuned=tune)
    for done, baseline in enumerate(chosen):
        progress(len(spec.sources) + 1 + done, steps, f"{spec.task} · {baseline}")
        result.results.extend(run_evaluation(workspace, task=spec.task, baselines=[baseline], cv=spec.cv, seed=seed,
                                             n_resamples=n_resamples, tune=tune, tune_metric=metric,
                                             positive=positive, extra_metrics=extra,
                                             execution=Execution(jobs=cores())))
    progress(steps, steps, "done")
    result.wall_seconds = round(time.perf_counter() - began, 3)
    return result


def tuning_metric_for(spec: BenchmarkSpec) -> str | None:
    """What tuning maximises on a benchmark: its official measure where tuning can maximise it (MAP of
    the CheckThat! rankings, F_avg, macro-F1), else None (the task's default)."""
    from tagline.eval.baselines.registry import TUNING_METRICS

    return spec.measure if spec.measure in TUNING_METRICS else None


def _fresh_workspace(spec: BenchmarkSpec, out: str | os.PathLike[str] | None) -> Workspace:
    """A new workspace for the benchmark: its language, stance targets, claim-type set and entity
    types, in ``out`` (which must not exist or be empty) or a new temporary folder."""
    from tagline.corpus.config import default_config, render_toml
    from tagline.corpus.store import write_text_atomic
    from tagline.corpus.workspace import Workspace, init_workspace

    if out is None:
        root = Path(tempfile.mkdtemp(prefix=f"tagline-bench-{spec.name}-")) / "workspace"
    else:
        root = Path(out)
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise ConflictError("is not an empty folder, and a benchmark runs in a fresh workspace", where=str(root),
                                fix="choose a new folder for --out")
    workspace = init_workspace(root, language=spec.language, targets=list(spec.targets),
                               claim_types=spec.claim_types)
    if spec.entity_types:
        # The dataset's own entity types, under English names, before any data goes in.
        config = default_config(language=spec.language, targets=list(spec.targets), name=root.resolve().name,
                                claim_types=spec.claim_types)
        config["tasks"] = {"entities": {
            "labels": [{"name": ours, "key": key, "description": theirs} for theirs, ours, key in spec.entity_types],
            "aliases": {theirs: ours for theirs, ours, _ in spec.entity_types}}}
        write_text_atomic(workspace.config_path, render_toml(config))
        workspace = Workspace(root)
    return workspace


def _ranking_metrics(*, n_resamples: int, seed: int):
    """The hook that adds the CheckThat! measures to a run: each test document's sentences ranked by
    the fitted model's score for ``check_worthy`` (ties in line order), measured as the organisers'
    scorer does and averaged over documents (MAP first), with intervals that resample documents."""

    def measures(data: TaskData, outcome: Evaluation) -> dict[str, Any]:
        from tagline.eval.baselines import positive_scores
        from tagline.eval.metrics import bootstrap_ranking_ci, grouped_ranking_measures

        if outcome["protocol"]["evaluation"] != "holdout":
            raise DataError("ranking measures need the official train/test split, not cross-validation")
        evaluated = sorted(outcome["evaluated"], key=lambda i: (data.doc_ids[i], _line(data.ids[i])))
        inputs = outcome.get("inputs", data.inputs)  # as the model read them: a sentence with its speaker
        scores = positive_scores(outcome["model"], [inputs[i] for i in evaluated], positive=CHECK_WORTHY)
        ranked = grouped_ranking_measures([data.gold[i] for i in evaluated], scores,
                                          [data.doc_ids[i] for i in evaluated], positive=CHECK_WORTHY)
        intervals = bootstrap_ranking_ci(ranked["per_group"], n_resamples=n_resamples, random_state=seed)
        intervals["map"] = intervals.pop("average_precision")
        return {name: intervals[name] for name in RANKING_MEASURES}

    return measures


def _line(sentence_id: str) -> int:
    match = _LINE.search(sentence_id)
    if match is None:
        raise DataError(f"sentence id {sentence_id!r} does not end in its index in the document (-sNNNN)")
    return int(match.group(1))
