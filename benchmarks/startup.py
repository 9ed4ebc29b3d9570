"""Start-up time: median wall time of `tagline --help` against `python -c "import click"`.

Both are measured in the same run, in the same environment, so the ratio is what matters.
Target: ratio <= 1.5.

    python benchmarks/startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


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
    print(f"median of {args.runs} runs, Python {sys.version.split()[0]}")
    print(f"{'command':<28}{'ms':>9}{'ratio':>8}")
    for label, seconds in rows:
        print(f"{label:<28}{seconds * 1000:>9.1f}{seconds / baseline:>8.2f}")
    ratio = rows[1][1] / baseline
    print(f"tagline --help / import click = {ratio:.2f} (target <= 1.5): {'met' if ratio <= 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
