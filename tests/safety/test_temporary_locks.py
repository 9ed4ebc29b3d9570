"""A temporary file is a running writer's while the writer holds its lock, whatever the process id in
its name says: a sweep in another container sharing the folder (another pid namespace), or after a
reboot, sees ids that mean nothing there. Only a file whose lock is free is swept."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tagline
from tagline.corpus.store import sweep_temporaries

from conftest import DEAD_PID, held_temporary, paused_command

# An export whose temporary file carries an id no process has here (as a writer's in another
# container looks), paused once the file is written, before its rename, until the file "resume" appears.
PAUSED = f"""
import os, sys, time
from pathlib import Path
from tagline.corpus import transaction
marks = Path(sys.argv.pop(1))
write_file = transaction._write_file
transaction._temporary = lambda path: path.with_name(f".{{path.name}}.{DEAD_PID}.tmp")

def paused(path, write):
    held = write_file(path, write)
    (marks / "written").write_text(str(path))
    os.rename(marks / "written", marks / str(os.getpid()))
    while not (marks / "resume").exists():
        time.sleep(0.02)
    return held

transaction._write_file = paused
from tagline.cli import main
sys.argv[0] = "tagline"
main()
"""

SWEEP = "import sys; from tagline.corpus.store import sweep_temporaries; print(len(sweep_temporaries(sys.argv[1])))"


def sweep_in_another_process(folder: Path) -> int:
    """How many temporary files a sweep of ``folder`` in another process removed."""
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", SWEEP, str(folder)], capture_output=True, text=True, env=env,
                          timeout=60, check=True)
    return int(done.stdout)


def test_a_sweep_in_another_process_leaves_the_temporary_of_a_writer_whose_id_it_cannot_see(sample_workspace,
                                                                                           tmp_path):
    marks, out = tmp_path / "marks", tmp_path / "out" / "gold.csv"
    marks.mkdir()
    out.parent.mkdir()
    writer, temporary = paused_command(PAUSED, marks, ["annotate", "export", "--format", "csv", "--gold",
                                                       "-o", str(out)], sample_workspace.root)
    try:
        assert temporary.name == f".gold.csv.{DEAD_PID}.tmp" and temporary.exists()
        assert sweep_in_another_process(out.parent) == 0
        assert temporary.exists()
    finally:
        (marks / "resume").touch()
    _, stderr = writer.communicate(timeout=120)
    assert writer.returncode == 0, stderr
    assert out.read_text(encoding="utf-8").startswith("sentence_id") and not temporary.exists()


def test_a_temporary_whose_lock_is_free_is_swept_though_a_process_of_its_id_runs(tmp_path):
    """A killed writer's file whose id was given again (a reboot, a container's low ids) is not kept for good."""
    left = tmp_path / f".answers.jsonl.{os.getppid()}.tmp"
    left.write_text("half a file")
    assert sweep_in_another_process(tmp_path) == 1 and not left.exists()


def test_a_sweep_removes_the_abandoned_and_keeps_the_held(tmp_path):
    abandoned = tmp_path / f".a.jsonl.{DEAD_PID}.tmp"
    abandoned.write_text("half a file")
    old = tmp_path / f".b.jsonl.{DEAD_PID}.old"
    old.write_text("what a killed replace kept to put back")
    with held_temporary(tmp_path / f".c.jsonl.{DEAD_PID}.tmp") as held:
        assert sorted(sweep_temporaries(tmp_path)) == sorted([abandoned, old])
        assert held.read_bytes() == b"being written"


def test_a_writer_never_takes_a_running_writers_temporary_of_the_same_name(tmp_path):
    """Two processes with the same id in two containers write the same file: the second is refused,
    rather than remove the first one's temporary file from under it."""
    from tagline.corpus.primitives import open_temporary

    with held_temporary(tmp_path / f".a.jsonl.{os.getpid()}.tmp") as held:
        with pytest.raises(OSError) as refused:
            open_temporary(held, os.O_WRONLY)
        assert refused.value.errno == errno.EBUSY and refused.value.filename == str(held)
        assert held.read_bytes() == b"being written"
    fd = open_temporary(held, os.O_WRONLY)  # once its writer is gone, the file is replaced
    os.close(fd)
    assert held.read_bytes() == b""


def test_a_build_leaves_the_staging_folder_another_build_holds(tmp_path):
    import fcntl

    from tagline.eval.build.writer import remove_abandoned_staging

    out = tmp_path / "dataset"
    running, abandoned = out.with_name(f".dataset.{DEAD_PID}.tmp"), out.with_name(f".dataset.{DEAD_PID + 1}.tmp")
    abandoned.mkdir()
    (abandoned / "half.parquet").write_bytes(b"PAR1")
    running.mkdir()
    held = os.open(running, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(held, fcntl.LOCK_EX)  # as the build holds it
    try:
        remove_abandoned_staging(out)
        assert running.is_dir() and not abandoned.exists()
    finally:
        os.close(held)
    remove_abandoned_staging(out)
    assert not running.exists()


def test_a_replace_holds_its_old_file_until_it_ends(tmp_path, monkeypatch):
    """The ``.NAME.PID.old`` link a replace keeps to put the file back is held too: a sweep meanwhile
    (another container's session opening the workspace) must not take the undo away."""
    from tagline.corpus.store import Transaction

    path = tmp_path / "sentences.jsonl"
    path.write_text('{"old": true}\n')
    monkeypatch.setattr(os, "getpid", lambda: DEAD_PID)  # the replace of a process in another container
    with pytest.raises(RuntimeError), Transaction() as transaction:
        transaction.replace(path, [{"new": True}], keep_old=False)
        assert sweep_in_another_process(tmp_path) == 0
        raise RuntimeError("the command fails after the replace: undone")
    monkeypatch.undo()
    assert path.read_text() == '{"old": true}\n'
    assert sorted(os.listdir(tmp_path)) == ["sentences.jsonl"]


def test_where_the_file_system_cannot_lock_writes_go_on_and_sweeps_leave_what_they_cannot_lock(tmp_path,
                                                                                             monkeypatch):
    """NFS mounted without locks (ENOLCK), or its flock emulation on a descriptor open for reading
    (EBADF): a write is not refused for want of a lock, and a sweep, unable to tell, removes nothing."""
    from tagline.corpus import primitives
    from tagline.corpus.primitives import make_locked_folder
    from tagline.corpus.store import Transaction

    def no_locks(fd, operation):
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    left = tmp_path / f".a.jsonl.{DEAD_PID}.tmp"
    left.write_text("half a file")
    path = tmp_path / "sentences.jsonl"
    path.write_text('{"old": true}\n')
    monkeypatch.setattr(primitives.fcntl, "flock", no_locks)
    with Transaction() as transaction:
        transaction.replace(path, [{"new": True}], keep_old=False)
    os.close(make_locked_folder(tmp_path / f".dataset.{DEAD_PID}.tmp"))
    assert path.read_text() == '{"new":true}\n'
    assert sweep_temporaries(tmp_path) == [] and left.exists()
    monkeypatch.undo()
    assert sorted(sweep_temporaries(tmp_path)) == [left, tmp_path / f".dataset.{DEAD_PID}.tmp"]


def test_an_export_whose_temporary_another_running_process_of_its_id_holds_says_so(sample_workspace, tmp_path,
                                                                                   runner):
    from conftest import interop_cli

    out = tmp_path / "gold.csv"
    with held_temporary(tmp_path / f".gold.csv.{os.getpid()}.tmp") as held:
        result = runner.invoke(interop_cli, ["export", "--format", "csv", "--gold", "-o", str(out)])
        assert result.exit_code == 2 and held.read_bytes() == b"being written" and not out.exists()
    assert result.stderr == (f"Error: {out}: could not write: another running process is writing this file (its "
                             f"temporary file {held.name} is locked); nothing was saved (run the command again once "
                             "the other one has finished)\n")


def test_a_folder_another_runs_sweep_removes_before_it_is_locked_is_made_again(tmp_path, monkeypatch):
    """`eval run` reserves its id by an empty folder it locks, and every run first sweeps the empty
    folders whose lock is free: one swept between its making and its locking is made again, not an
    error (FileNotFoundError) of the run."""
    from tagline.corpus import primitives

    made = os.mkdir
    swept = []

    def made_then_swept(path, *args, **kwargs):
        made(path, *args, **kwargs)
        if not swept:  # another run's sweep, in the moment before the lock is taken
            swept.append(primitives.remove_if_abandoned(path, only_empty=True))

    monkeypatch.setattr(os, "mkdir", made_then_swept)
    folder = tmp_path / "20991231T000000Z-stance"
    fd = primitives.make_locked_folder(folder)
    try:
        assert swept == [True] and folder.is_dir()
        assert not primitives.remove_if_abandoned(folder, only_empty=True)  # held: kept
        assert folder.is_dir()
    finally:
        os.close(fd)
