"""A saved fold's temporary file that a process killed outright (kill -9, the out-of-memory killer)
left in ``build/index/folds/<annotator>/`` is swept by the next command, as those of the workspace's
other folders are, even when no command saves that annotator's fold again: another process saved
the same fold meanwhile, and every command after reads it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fold_pause import COMMAND
from test_agree_columns import random_workspace
from test_interrupt_folds import environment, paused_agree, run


def _temporaries(root: Path) -> list[Path]:
    return sorted((root / "build" / "index" / "folds").rglob(".*.tmp"))


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_a_fold_save_killed_while_another_process_saved_that_fold_leaves_no_temporary_file(tmp_path):
    root = random_workspace(tmp_path / "ws", 8, 60, 300, n_annotators=2, unconfigured=False).root
    marks = tmp_path / "marks"
    marks.mkdir()
    # A first agree whose two workers have written their folds' temporary files and wait to rename them.
    paused = paused_agree(root, marks)
    assert len(_temporaries(root)) == 2
    # A second agree meanwhile saves the same folds (the paused ones are a running writer's: kept).
    expected = run(root, "agree")
    assert len(_temporaries(root)) == 2
    # The first is killed outright: its workers see it gone and end, their temporary files left.
    paused.send_signal(signal.SIGKILL)
    paused.wait()
    workers = [int(mark.name) for mark in marks.iterdir()]
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "workers outlived the killed command"
    assert len(_temporaries(root)) == 2
    # The next command reads the saved folds (it saves none) and gives what the second gave; what the
    # killed workers left is gone.
    assert run(root, "agree") == expected
    assert not _temporaries(root)
    # And a command that folds nothing (validate) sweeps them too.
    shutil.copy(next((root / "build" / "index" / "folds" / "alice").glob("*.fold")),
                root / "build" / "index" / "folds" / "alice" / ".leftover.fold.999999.tmp")
    done = subprocess.run([sys.executable, "-c", COMMAND, "validate", "-w", str(root)], env=environment(),
                          capture_output=True, text=True, timeout=300)
    assert not _temporaries(root), done.stderr
    assert os.listdir(root / "build" / "index" / "folds" / "alice")
