"""The README's tour runs as written: every line but the two that open the terminal session."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import REPO


def tour_script() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## A tour\n\n```sh\n(.*?)```", readme, re.S).group(1)
    lines = [line for line in block.splitlines() if not re.match(r"tagline annotate --annotator ", line)]
    return "set -euo pipefail\n" + "\n".join(lines) + "\n"


@pytest.mark.slow
def test_the_readme_tour_runs_as_written(tmp_path):
    script = tour_script()
    assert "tagline eval compare" in script and "tagline corpus add" in script
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}"}
    env.pop("TAGLINE_WORKSPACE", None)
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    workspace = tmp_path / "news"
    assert (workspace / "agreement.md").is_file() and (workspace / "gold.conll").is_file()
    assert (workspace / "build" / "dataset" / "README.md").is_file()
