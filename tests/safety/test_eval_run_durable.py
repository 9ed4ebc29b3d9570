"""A run `eval run` reports saved survives a power cut whole: every file of its folder (the predictions
and the model too, which libraries write without an fsync) and the folder are synced before it is
renamed into place, and runs/ after, so the rename itself is on disk."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from click.testing import CliRunner
from test_eval_run_signals import built  # noqa: F401 (a fixture)

from tagline.cli import main


def test_a_saved_run_is_synced_whole_and_its_rename_too(built, tmp_path, monkeypatch):  # noqa: F811
    root = Path(shutil.copytree(built, tmp_path / "ws"))
    events: list[tuple[str, int]] = []
    fsync, replace = os.fsync, os.replace

    def noted_fsync(fd):
        events.append(("fsync", os.fstat(fd).st_ino))
        return fsync(fd)

    def noted_replace(source, destination, *args, **kwargs):
        replace(source, destination, *args, **kwargs)
        events.append(("replace", os.stat(destination).st_ino))

    monkeypatch.setattr(os, "fsync", noted_fsync)
    monkeypatch.setattr(os, "replace", noted_replace)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["eval", "run", "--task", "stance", "--baselines", "majority",
                                       "--resamples", "20"])
    assert result.exit_code == 0, result.output
    monkeypatch.undo()
    [run] = [path for path in (root / "runs").iterdir()]
    synced = {inode for kind, inode in events if kind == "fsync"}
    files = [run, *run.rglob("*")]
    assert {path.name for path in files} >= {"results.json", "predictions.jsonl", "report.md"}
    assert not [str(path) for path in files if path.stat().st_ino not in synced]
    placed = events.index(("replace", run.stat().st_ino))
    assert ("fsync", (root / "runs").stat().st_ino) in events[placed:], "runs/ not synced after the rename"
