"""eval run against the raw scikit-learn pipeline, and with --jobs 1 against --jobs 2.

Generates a workspace of N Japanese sentences with gold (default 10,000; benchmarks/build_1m.py's
generator, documents of 20-50 sentences), builds it without tokens, then times child processes,
the commands of each comparison alternating, `--runs` times each (median):

- ratio: `tagline eval run --task claim_type --baselines tfidf_svm` (C and class weight tuned on the
  validation split, then 1,000 bootstrap resamples, report, figure and saved model) against the raw
  pipeline: a script that reads the same Parquet splits with pyarrow, fits the same scikit-learn
  pipeline for each setting of the same grid, scores each on validation with `f1_score`, refits
  the best and scores the test split. Then the same for `--cv 5 --no-tune --baselines tfidf_logreg`
  against the pipeline fitted on the same five folds (StratifiedGroupKFold by document) and on all
  items. Target (the project's scale issue): eval run <= 1.2 x the raw pipeline.
- jobs: `tagline eval run --task claim_type --baselines tfidf_svm,tfidf_logreg,tfidf_nb --cv 5
  --no-tune` (`--tune` adds the tuning nested in each fold: 50 more fits per fold) with `--jobs 1`
  and `--jobs 2`; the results must be equal.

Other processes on the machine skew the times (the load average is printed); compare the ratios,
which are measured in the same run, and the CPU seconds (user and system), which they skew less.

    python benchmarks/eval_parallel.py [--sentences 10000] [--runs 3] [--skip-jobs] [--skip-cv] [--tune] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_1m import generate  # noqa: E402

RAW = r"""
import sys, time, json
started = time.perf_counter()
from pathlib import Path
import pyarrow.parquet as pq
from sklearn.metrics import f1_score
from sklearn.model_selection import ParameterGrid, StratifiedGroupKFold
from tagline.eval.baselines.registry import TUNING_GRIDS
from tagline.eval.baselines.text import make_text_baseline  # a plain scikit-learn Pipeline

data, mode, seed = Path(sys.argv[1]), sys.argv[2], 13
def split(name):
    table = pq.read_table(sorted(data.glob(f"{name}-*.parquet")))
    rows = [(text, label, doc) for text, label, doc in zip(table["text"].to_pylist(), table["claim_type"].to_pylist(),
                                                           table["doc_id"].to_pylist()) if label is not None]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
if mode == "holdout":
    (train_x, train_y, _), (valid_x, valid_y, _), (test_x, test_y, _) = split("train"), split("validation"), split("test")
    grid = list(ParameterGrid(TUNING_GRIDS["tfidf_svm"]))
    scores = []
    for params in grid:
        model = make_text_baseline("tfidf_svm", lang="ja", random_state=seed)
        model.set_params(**{f"classifier__{k}": v for k, v in params.items()})
        scores.append(f1_score(valid_y, model.fit(train_x, train_y).predict(valid_x), average="macro"))
    best = grid[max(range(len(grid)), key=scores.__getitem__)]
    model = make_text_baseline("tfidf_svm", lang="ja", random_state=seed)
    model.set_params(**{f"classifier__{k}": v for k, v in best.items()})
    score = f1_score(test_y, model.fit(train_x, train_y).predict(test_x), average="macro")
else:
    parts = [split(name) for name in ("train", "validation", "test")]
    x, y, docs = (sum((p[i] for p in parts), []) for i in range(3))
    predictions = [None] * len(x)
    for train, test in StratifiedGroupKFold(5, shuffle=True, random_state=seed).split(x, y, docs):
        model = make_text_baseline("tfidf_logreg", lang="ja", random_state=seed)
        model.fit([x[i] for i in train], [y[i] for i in train])
        for i, guess in zip(test, model.predict([x[i] for i in test])):
            predictions[i] = guess
    make_text_baseline("tfidf_logreg", lang="ja", random_state=seed).fit(x, y)
    score = f1_score(y, predictions, average="macro")
print(json.dumps({"macro_f1": score, "seconds": time.perf_counter() - started}))
"""


def timed(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user and system, the child and its children) and the output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:  # files: a full pipe would block
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status):
            sys.exit(f"{' '.join(command)} failed:\n{err.read().decode()[-3000:]}")
        return seconds, usage.ru_utime + usage.ru_stime, out.read().decode()


def compare(commands: dict[str, list[str]], runs: int) -> dict[str, dict]:
    """The median wall and CPU time of each command, run in turns, and its last output."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    outputs: dict[str, str] = {}
    for _ in range(runs):
        for name, command in commands.items():
            seconds, cpu, outputs[name] = timed(command)
            times[name].append(seconds)
            cpus[name].append(cpu)
    return {name: {"median": statistics.median(values), "all": values, "cpu": statistics.median(cpus[name]),
                   "stdout": outputs[name]} for name, values in times.items()}


def results_of(stdout: str) -> list[dict]:
    document = json.loads(stdout)
    runs = document.get("runs", [document])
    return [{key: value for key, value in run.items() if key not in ("run_id", "created", "seconds")} for run in runs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-jobs", action="store_true", help="measure the ratio to the raw pipeline only")
    parser.add_argument("--skip-cv", action="store_true", help="leave out the cross-validation ratio")
    parser.add_argument("--tune", action="store_true", help="tune inside each fold in the --jobs comparison")
    parser.add_argument("--keep", action="store_true", help="keep the generated workspace")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each figure as it is measured, into a pipe too
    tagline = shutil.which("tagline", path=str(Path(sys.executable).parent)) or shutil.which("tagline")
    if tagline is None:
        sys.exit("tagline is not installed in this environment: pip install -e . first")
    root = Path(tempfile.mkdtemp(prefix="tagline-evalpar-"))
    try:
        made = generate(root / "ws", args.sentences)
        workspace = made["workspace"]
        timed([tagline, "eval", "build", "--no-tokens", "--task", "claim_type", "-w", str(workspace.root)])
        data = workspace.build_dir / "dataset" / "data" / "sentences"
        run = [tagline, "eval", "run", "-w", str(workspace.root), "--task", "claim_type", "--json"]
        print(f"{args.sentences:,} sentences in {made['documents']:,} documents; {os.cpu_count()} cores, load "
              f"average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; median of {args.runs}")
        comparisons = [("tfidf_svm tuned on validation", ["--baselines", "tfidf_svm"], "holdout"),
                       ("tfidf_logreg --cv 5 --no-tune", ["--baselines", "tfidf_logreg", "--cv", "5", "--no-tune"], "cv")]
        for label, tagline_args, mode in comparisons[:1] if args.skip_cv else comparisons:
            timings = compare({"eval run": run + tagline_args + ["--jobs", "1"],
                               "raw": [sys.executable, "-c", RAW, str(data), mode]}, args.runs)
            ours, raw = timings["eval run"], timings["raw"]
            raw_f1 = json.loads(raw["stdout"])["macro_f1"]
            our_f1 = results_of(ours["stdout"])[0]["metrics"]["macro_f1"]["value"]
            print(f"{label}: eval run {ours['median']:.1f} s, raw pipeline {raw['median']:.1f} s, ratio "
                  f"{ours['median'] / raw['median']:.2f} (target <= 1.2); CPU {ours['cpu']:.1f} s vs {raw['cpu']:.1f} s, "
                  f"ratio {ours['cpu'] / raw['cpu']:.2f}; macro-F1 {our_f1:.4f} vs {raw_f1:.4f}; "
                  f"all runs {[round(t, 1) for t in ours['all']]} vs {[round(t, 1) for t in raw['all']]}")
        if not args.skip_jobs:
            several = run + ["--baselines", "tfidf_svm,tfidf_logreg,tfidf_nb", "--cv", "5"] + ([] if args.tune else
                                                                                                ["--no-tune"])
            timings = compare({"--jobs 1": several + ["--jobs", "1"], "--jobs 2": several + ["--jobs", "2"]}, args.runs)
            one, two = timings["--jobs 1"], timings["--jobs 2"]
            same = results_of(one["stdout"]) == results_of(two["stdout"])
            print(f"3 baselines x 5 folds{', tuning nested' if args.tune else ', not tuned'}: --jobs 1 {one['median']:.1f} s, --jobs 2 {two['median']:.1f} s, "
                  f"speed-up {one['median'] / two['median']:.2f}; results equal: {same}; all runs "
                  f"{[round(t, 1) for t in one['all']]} vs {[round(t, 1) for t in two['all']]}")
        print(f"load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if args.keep:
            print(f"kept: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
