"""How long the built-in suggester takes to train (again) as gold grows, and how much memory.

Generates workspaces of N gold sentences (default 1,000 and 10,000; the generator of build_1m.py:
the sample's sentences recombined with their entities swapped, gold for every task) and times, in
a fresh process each, what one retraining does: reading the gold and the annotator's answers
(`training_data`) and fitting the models (`train_models`: TF-IDF logistic regression per stance
target and for the claim type, CRF for entities), with the process's peak memory. The baseline,
measured in the same run on the same texts, is scikit-learn alone fitting the same TF-IDF features
and SGD logistic regression for the claim type: what any TF-IDF suggester pays, once.

    python benchmarks/suggest_retrain.py [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from tagline.corpus.workspace import Workspace
from tagline.eval.builtin_suggester import training_data, train_models
workspace = Workspace(sys.argv[1])
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
started = time.perf_counter()
data = training_data(workspace, None)
read = time.perf_counter() - started
if sys.argv[2] == "baseline":
    from sklearn.linear_model import SGDClassifier
    from tagline.eval.baselines import text_features
    answers = data.answers[("claim_type", None)]
    ids = sorted(answers)
    started = time.perf_counter()
    features = text_features(data.lang).fit_transform([data.texts[i] for i in ids])
    SGDClassifier(loss="log_loss", alpha=1e-4, random_state=0).fit(features, [answers[i]["label"] for i in ids])
else:
    started = time.perf_counter()
    cpu_started = cpu()
    models = train_models(data)
fit = time.perf_counter() - started
fit_cpu = cpu() - cpu_started if sys.argv[2] != "baseline" else 0.0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"read": read, "fit": fit, "fit_cpu": fit_cpu, "peak": peak}))
"""


def measure(root: Path, kind: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(root), kind], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from build_1m import generate

    print(f"{'gold sentences':>14}{'read s':>9}{'train s':>9}{'CPU s':>8}{'peak MB':>9}{'baseline s':>12}"
          f"{'x baseline':>12}")
    for size in (int(part) for part in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as directory:
            root = Path(directory) / "ws"
            generate(root, size)
            ours = measure(root, "builtin")
            baseline = measure(root, "baseline")
            print(f"{size:>14,}{ours['read']:>9.2f}{ours['fit']:>9.2f}{ours['fit_cpu']:>8.2f}{ours['peak'] / 2**20:>9.0f}"
                  f"{baseline['fit']:>12.2f}{ours['fit'] / baseline['fit']:>12.1f}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; train s is wall time, CPU s the "
          "process's CPU time for it (steadier on a shared machine)")
    print("train: one retraining in the background process (every question's model and the CRF); the baseline "
          "fits one question's TF-IDF + SGD model, so the ratio is about the number of questions plus the CRF.")


if __name__ == "__main__":
    main()
