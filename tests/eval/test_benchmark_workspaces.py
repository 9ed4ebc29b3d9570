"""The workspaces the benchmarks generate hold what their docstrings promise: a benchmark that quietly
measured less (a build without stance after `init` stopped adding the sample's targets) is caught here,
at a size that takes a second, not in the benchmark's own run."""

from __future__ import annotations

import sys
from collections import Counter

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

import build_1m  # noqa: E402  (a script folder, put on the path above)

from tagline.corpus.store import read_records  # noqa: E402
from tagline.corpus.workspace import Workspace  # noqa: E402


def test_the_million_sentence_generator_writes_gold_for_every_task_and_target(tmp_path):
    build_1m.generate(tmp_path / "ws", 300)
    workspace = Workspace(tmp_path / "ws")
    gold = list(read_records(workspace.gold_path, kind="gold"))
    by_task = Counter(record["task"] for record in gold)
    assert set(by_task) == {"stance", "claim_type", "entities"}
    assert by_task["claim_type"] == by_task["entities"] == 300
    assert by_task["stance"] == 300 * len(workspace.config.targets) and workspace.config.targets
