"""The benchmark scripts still run: each at a size small enough for the suite, the figures they
print checked for shape, not for speed (speed targets live in the scripts themselves). A script
that broke with the code it measures (a patched function's new argument, say) printed a traceback
instead of figures, and nothing noticed until the next measurement."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(path.name for path in (ROOT / "benchmarks").glob("*.py")
                 if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8"))  # not the modules they share


def run(tmp_path: Path, *arguments: str, timeout: float = 300) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(ROOT / "src"), "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, *arguments], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_benchmark_script_starts_and_says_how_to_run_it(tmp_path, script):
    assert run(tmp_path, f"benchmarks/{script}", "--help").startswith("usage:")


def test_the_session_benchmark_measures_the_session_and_scripted_labels(tmp_path):
    out = run(tmp_path, "benchmarks/session_scale.py", "--sizes", "1000", "--sentences-per-size", "2",
              "--calls", "5", "--dir", str(tmp_path / "session"))
    assert re.search(r"first screen cold +[\d.]+ s", out), out
    assert re.search(r"key median / p95 +[\d.]+ / +[\d.]+ ms", out), out
    assert re.search(r"label_sentence [\d.]+ ms per call, [\d.]+ ms without its append", out), out


def test_the_agreement_benchmark_measures_agree_and_adjudicate(tmp_path):
    out = run(tmp_path, "benchmarks/agreement_scale.py", "--sizes", "500")
    for case in ("agree", "agree again", "agree, answers added", "adjudicate", "adjudicate, answers added"):
        assert re.search(rf"^ +{re.escape(case)} \(this\) +[\d.]+ +[\d.]+ ", out, re.MULTILINE), (case, out)


def test_the_scale_benchmark_measures_imports_ingest_and_exports(tmp_path):
    out = run(tmp_path, "benchmarks/scale.py", "--sizes", "500", "--runs", "1", "--keep", str(tmp_path / "scale"))
    for command in ("import doccano", "import label-studio", "import conll", "corpus add jsonl", "export conll",
                    "validate"):
        assert re.search(rf"^{command} +500 +[\d.]+ +[\d.]+ +\d+", out, re.MULTILINE), (command, out)


def test_the_build_benchmarks_measure_the_build_against_its_baselines(tmp_path):
    out = run(tmp_path, "benchmarks/build_1m.py", "--sentences", "1000", "--dir", str(tmp_path))
    assert re.search(r"without tokens / load_dataset\(gold.jsonl\): [\d.]+ wall", out), out
    out = run(tmp_path, "benchmarks/build_timeline.py", "--sentences", "1000")
    assert re.search(r"wall [\d.]+ s; CPU of the tree [\d.]+ s", out), out
