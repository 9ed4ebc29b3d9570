"""An export stopped while it writes its file: SIGTERM or SIGHUP cleans up as Ctrl-C does (one `Interrupted:`
line, status 143, no temporary file), and after kill -9 the next export to the same place removes
the temporary file the killed one left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import tagline
from tagline.corpus.workspace import init_workspace

from conftest import held_temporary, paused_command

# The export, with its write paused once the temporary file is written (before its fsync and link),
# where a mark file says so.
PAUSED = """
import os, sys, time
from pathlib import Path
from tagline.corpus import transaction
marks = Path(sys.argv.pop(1))
write_file = transaction._write_file

def paused(path, write):
    def writing(out):
        write(out)
        out.flush()
        (marks / "written").write_text(str(path))
        os.rename(marks / "written", marks / str(os.getpid()))
        time.sleep(600)
    write_file(path, writing)

transaction._write_file = paused
from tagline.cli import main
sys.argv[0] = "tagline"
main()
"""


def export_args(out: Path, *extra: str) -> list[str]:
    return ["annotate", "export", "--format", "csv", "--gold", "-o", str(out), *extra]


def paused_export(root: Path, marks: Path, args: list[str]) -> tuple[subprocess.Popen, Path]:
    """Start the export and wait until its temporary file is written; the process and that file."""
    process, temporary = paused_command(PAUSED, marks, args, root)
    assert temporary.exists() and temporary.name == f".gold.csv.{process.pid}.tmp"
    return process, temporary


def paused_export_over(root: Path, tmp_path: Path, force: bool) -> tuple[Path, subprocess.Popen, Path]:
    """:func:`paused_export` of the gold to ``out/gold.csv``, over an earlier export with ``force``."""
    out = tmp_path / "out" / "gold.csv"
    out.parent.mkdir()
    if force:
        out.write_text("an earlier export\n")
    marks = tmp_path / "marks"
    marks.mkdir()
    process, temporary = paused_export(root, marks, export_args(out, *(["--force"] if force else [])))
    return out, process, temporary


@pytest.fixture
def sample_root(tmp_path) -> Path:
    return init_workspace(tmp_path / "sample", sample=True).root


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["sigterm", "sighup"])
@pytest.mark.parametrize("force", [False, True])
def test_sigterm_or_sighup_while_the_export_writes_ends_128_plus_it_with_no_temporary_and_the_old_file_kept(
        sample_root, tmp_path, force, signum):
    """SIGHUP: the terminal the export ran in was closed."""
    out, process, temporary = paused_export_over(sample_root, tmp_path, force)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, stderr
    assert stderr.splitlines() == ["Interrupted: annotate export stopped; nothing was written"]
    assert sorted(path.name for path in out.parent.iterdir()) == (["gold.csv"] if force else [])
    assert not force or out.read_text() == "an earlier export\n"


@pytest.mark.parametrize("force", [False, True])
def test_the_export_after_a_kill_9_removes_the_temporary_file_the_killed_one_left(sample_root, tmp_path, force):
    out, process, temporary = paused_export_over(sample_root, tmp_path, force)
    process.kill()
    process.communicate(timeout=60)
    assert temporary.exists()  # what kill -9 leaves
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
    again = subprocess.run([sys.executable, "-m", "tagline", *export_args(out, *(["--force"] if force else []))],
                           cwd=sample_root, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert sorted(path.name for path in out.parent.iterdir()) == ["gold.csv"]
    assert out.read_text().startswith("sentence_id,")


def test_a_temporary_file_left_under_this_process_id_does_not_stop_the_export(sample_workspace, tmp_path, runner):
    """Process ids come round again (a container starts each command at a low one): a temporary
    file an earlier process of the same id left is not another program's file."""
    from conftest import interop_cli

    out = tmp_path / "gold.csv"
    left = tmp_path / f".gold.csv.{os.getpid()}.tmp"
    left.write_text("half an export")
    result = runner.invoke(interop_cli, ["export", "--format", "csv", "--gold", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["gold.csv", "sample"]


def test_other_temporaries_beside_the_export_are_left_alone(sample_workspace, tmp_path, runner):
    """Only the temporaries of the files the export writes, and only of processes no longer running."""
    from conftest import interop_cli

    dead = subprocess.Popen(["true"])  # noqa: S607
    dead.wait()
    other = tmp_path / f".notes.txt.{dead.pid}.tmp"
    other.write_text("someone else's")
    swept = tmp_path / f".gold.csv.{os.getppid()}.tmp"  # a running process's id, but no lock held
    swept.write_text("half an export")
    with held_temporary(tmp_path / f".gold.csv.{dead.pid}.tmp") as running:  # a dead id, the lock held
        result = runner.invoke(interop_cli, ["export", "--format", "csv", "--gold", "-o", str(tmp_path / "gold.csv")])
        assert result.exit_code == 0, result.output
        assert other.exists() and running.exists() and not swept.exists()


def test_a_brat_export_into_its_folder_again_removes_what_a_killed_one_left(sample_workspace, tmp_path, runner):
    from conftest import interop_cli

    folder = tmp_path / "brat"
    assert runner.invoke(interop_cli, ["export", "--format", "brat", "--gold", "-o", str(folder)]).exit_code == 0
    name = sorted(path.name for path in folder.iterdir())[0]
    dead = subprocess.Popen(["true"])  # noqa: S607
    dead.wait()
    (folder / f".{name}.{dead.pid}.tmp").write_text("half a file")
    result = runner.invoke(interop_cli, ["export", "--format", "brat", "--gold", "-o", str(folder), "--force"])
    assert result.exit_code == 0, result.output
    assert not [path.name for path in folder.iterdir() if path.name.endswith(".tmp")]


def test_the_folder_a_killed_brat_export_staged_its_files_in_is_removed_by_the_next(sample_workspace, tmp_path,
                                                                                    runner):
    from conftest import interop_cli

    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "notes.txt").write_text("the user's own")
    dead = subprocess.Popen(["true"])  # noqa: S607
    dead.wait()
    left = folder / f".tagline-export.{dead.pid}.0123abcd.tmp"  # an export without --force, killed while writing
    left.mkdir()
    (left / "half.ann").write_text("T1\tPERSON 0 3\tABC\n")
    result = runner.invoke(interop_cli, ["export", "--format", "brat", "--gold", "-o", str(folder)])
    assert result.exit_code == 0, result.output
    assert not left.exists() and (folder / "notes.txt").read_text() == "the user's own"
    assert not [path for path in folder.iterdir() if path.name.startswith(".")]
