"""`eval run` stopped while it writes a run: Ctrl-C, SIGTERM or SIGHUP remove the run being written
(its staging folder and the folder that reserved its id) and end with one `Interrupted:` line and
128 + the signal's number; the runs finished before it are kept whole. Before, SIGTERM and SIGHUP
killed it outright, leaving an empty run folder and a hidden staging folder in runs/. A run killed
outright (kill -9) leaves its staging folder and the empty folder that reserved its id, which the next
run sweeps once no running writer holds their locks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import tagline
from tagline.corpus.workspace import init_workspace

from conftest import paused_command

# The command, paused while it writes the files of its second run (the first is whole by then).
PAUSED = """
import os, sys, time
from pathlib import Path
from tagline.eval.run import storage
marks = Path(sys.argv.pop(1))
write_files = storage._write_run_files
written = []

def paused(staging, *arguments, **options):
    written.append(staging)
    if len(written) == 2:
        (marks / "writing").write_text(str(staging))
        os.rename(marks / "writing", marks / str(os.getpid()))
        time.sleep(600)
    return write_files(staging, *arguments, **options)

storage._write_run_files = paused
from tagline.cli import main
sys.argv[0] = "tagline"
main()
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The sample workspace built as `eval build` builds it, in this process: only the runs are
    written by the commands under test, so the build need not start an interpreter of its own."""
    from tagline.eval.build import build_dataset

    workspace = init_workspace(tmp_path_factory.mktemp("evalrun") / "ws", sample=True)
    build_dataset(workspace, tokens=True)
    return workspace.root


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["sigint", "sigterm", "sighup"])
def test_a_signal_while_a_run_is_written_leaves_only_the_whole_runs(built, tmp_path, signum):
    import shutil

    root = Path(shutil.copytree(built, tmp_path / "ws"))
    marks = tmp_path / "marks"
    marks.mkdir()
    process, staging = paused_command(PAUSED, marks, ["eval", "run", "--task", "stance", "--baselines",
                                                      "majority,stratified", "--resamples", "20"], root)
    assert staging.exists()
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, stderr
    assert stderr.splitlines()[-1:] == ["Interrupted: eval run stopped; the runs it finished are kept"], stderr
    runs = sorted(path.name for path in (root / "runs").iterdir())
    assert len(runs) == 1 and runs[0].endswith("-stance-majority"), runs  # no staging folder, no empty reserved one
    assert (root / "runs" / runs[0] / "results.json").is_file()


def test_the_staging_folder_of_a_run_killed_outright_goes_with_the_next_run_and_a_running_ones_stays(built, tmp_path):
    import shutil

    from tagline.corpus.primitives import make_locked_folder

    from conftest import DEAD_PID

    root = Path(shutil.copytree(built, tmp_path / "ws"))
    marks = tmp_path / "marks"
    marks.mkdir()
    process, staging = paused_command(PAUSED, marks, ["eval", "run", "--task", "stance", "--baselines",
                                                      "majority,stratified", "--resamples", "20"], root)
    process.kill()  # kill -9: nothing of its own cleans up
    process.communicate(timeout=60)
    assert staging.is_dir()
    reserved = staging.parent / staging.name[1:].split(".")[0]  # the empty folder that reserved its id
    assert reserved.is_dir() and not any(reserved.iterdir())
    running = root / "runs" / f".20991231T000000Z-stance-other.{DEAD_PID}.tmp"  # another container's, still writing
    held = make_locked_folder(running)
    running_reserved = root / "runs" / "20991231T000000Z-stance-other"  # and the id it reserved
    held_reserved = make_locked_folder(running_reserved)
    try:
        env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
        done = subprocess.run([sys.executable, "-m", "tagline", "eval", "run", "--task", "stance", "--baselines",
                               "majority", "--resamples", "20"], cwd=root, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        assert not staging.exists() and not reserved.exists()
        assert running.is_dir() and running_reserved.is_dir()
        runs = [path for path in (root / "runs").iterdir() if not path.name.startswith(".")]
        assert len(runs) == 3 and all(any(path.iterdir()) for path in runs if path != running_reserved)
    finally:
        os.close(held)
        os.close(held_reserved)
