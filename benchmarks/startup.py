"""Start-up time: median wall time of `tagline --help` against `python -c "import click"`, and of
`tagline annotate agree` on the sample with two annotators (its time is mostly imports).

Both are measured in the same run, in the same environment, so the ratio is what matters.
Target: ratio <= 1.5 for --help. agree printed 2.0 s when it imported scikit-learn and statsmodels
for the two kappas; its peak memory is printed beside it.

    python benchmarks/startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def agree_workspace() -> Path:
    """The sample workspace with two annotators' random answers to every question of 60 sentences."""
    import tagline

    folder = Path(tempfile.mkdtemp(prefix="tagline-startup-")) / "ws"
    workspace = tagline.init_workspace(folder, sample=True)
    config = workspace.config
    pick = random.Random(7)
    stance, claims = config.labels("stance"), config.labels("claim_type")
    sentences = [record["id"] for record in workspace.iter_sentences()][:60]
    for annotator in ("alice", "bob"):
        for sentence in sentences:
            tagline.label_sentence(workspace, sentence, annotator, entities=[],
                                   stance={target: pick.choice(stance) for target in config.targets},
                                   claim_type=pick.choice(claims))
    return folder


def median_seconds(command: list[str], runs: int) -> float:
    subprocess.run(command, capture_output=True, check=True)  # warm the page cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    tagline = shutil.which("tagline", path=str(Path(sys.executable).parent)) or shutil.which("tagline")
    if tagline is None:
        sys.exit("tagline is not installed in this environment: pip install -e . first")
    baseline = median_seconds([sys.executable, "-c", "import click"], args.runs)
    rows = [("python -c 'import click'", baseline)]
    for label, command in (("tagline --help", [tagline, "--help"]),
                           ("tagline corpus --help", [tagline, "corpus", "--help"]),
                           ("tagline annotate --help", [tagline, "annotate", "--help"])):
        try:
            rows.append((label, median_seconds(command, args.runs)))
        except subprocess.CalledProcessError:
            continue
    folder = agree_workspace()
    agree = [tagline, "annotate", "agree", "-w", str(folder)]
    rows.append(("tagline annotate agree", median_seconds(agree, args.runs)))
    subprocess.run(agree, capture_output=True, check=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"median of {args.runs} runs, Python {sys.version.split()[0]}")
    print(f"{'command':<28}{'ms':>9}{'ratio':>8}")
    for label, seconds in rows:
        print(f"{label:<28}{seconds * 1000:>9.1f}{seconds / baseline:>8.2f}")
    print(f"peak memory of one child (the largest: agree): {peak:.0f} MB")
    ratio = rows[1][1] / baseline
    print(f"tagline --help / import click = {ratio:.2f} (target <= 1.5): {'met' if ratio <= 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
