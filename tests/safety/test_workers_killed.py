"""A worker process killed outright (SIGKILL from outside, as the out-of-memory killer does) during each
kind of work that commands hand to workers: the build's token workers, the forked workers of a large
spaCy or Prodigy export, of a large Label Studio import's chunks and of a doccano import's answer lines
(``made_aside``). The command ends with one ``Error:`` line and status 2, no traceback; nothing saved
is changed; no worker is left running; and once the next command has run, no temporary or staging
file is left. (The folds of answer files: ``test_interrupt_folds.py``.)"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_export_workers import children
from worker_pause import COMMAND

import tagline

from test_faults import DOCCANO, label_studio_tasks, snapshot

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

COMMANDS = {
    "build tokens": ("tokens", ["eval", "build", "--seed", "3"]),
    "export spacy": ("forked", ["annotate", "export", "--format", "spacy", "--gold", "--out", "../out.json"]),
    "export prodigy": ("forked", ["annotate", "export", "--format", "prodigy", "--gold", "--out", "../out.jsonl"]),
    "import label-studio": ("forked", ["annotate", "import", "../tasks.json", "--format", "label-studio"]),
    "import doccano": ("forked", ["annotate", "import", "../carol.jsonl", "--format", "doccano", "-a", "carol"]),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The sample workspace, adjudicated and built once without tokens (a previous build to keep)."""
    from click.testing import CliRunner

    from tagline.cli import main

    base = tmp_path_factory.mktemp("killed-workers")
    root = base / "ws"
    assert CliRunner().invoke(main, ["init", str(root), "--sample"]).exit_code == 0
    for arguments in (["annotate", "adjudicate"], ["eval", "build", "--no-tokens", "--seed", "3"]):
        result = subprocess.run([sys.executable, "-m", "tagline", *arguments, "-w", str(root)], env=environment(),
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
    return root


def environment(kind: str | None = None, marks: Path | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WORKER_", "TAGLINE_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(tagline.__file__).parents[1]), str(Path(__file__).parent)])
    if kind is not None and marks is not None:
        env.update(WORKER_KIND=kind, WORKER_MARKS=str(marks))
    return env


def leftovers(*folders: Path) -> list[str]:
    """Temporary files, staging folders and journals under ``folders``."""
    return sorted(str(path) for folder in folders for path in folder.rglob("*")
                  if path.name.endswith((".tmp", ".old")) or path.name == ".tagline.journal")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_worker_killed_outright_ends_the_command_with_one_error_and_nothing_changed(template, tmp_path, command):
    kind, arguments = COMMANDS[command]
    outside = tmp_path / "outside"
    outside.mkdir()
    root = Path(shutil.copytree(template, outside / "ws", symlinks=True))
    (outside / "carol.jsonl").write_text(DOCCANO, encoding="utf-8")
    (outside / "tasks.json").write_text(json.dumps(label_studio_tasks(), ensure_ascii=False), encoding="utf-8")
    before, files_outside = snapshot(root), sorted(path.name for path in outside.iterdir())
    marks = tmp_path / "marks"
    marks.mkdir()
    process = subprocess.Popen([sys.executable, "-c", COMMAND, *arguments], cwd=root, env=environment(kind, marks),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(marks.iterdir()) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(marks.iterdir()), ("no worker started", process.communicate())
    started = children(process.pid)  # every worker, the idle ones too
    assert {int(mark.name) for mark in marks.iterdir()} <= started, started
    os.kill(int(next(iter(marks.iterdir())).name), signal.SIGKILL)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("Error: "), err
    assert "worker process" in err and "ended abruptly" in err, err
    workers = {int(mark.name) for mark in marks.iterdir()} | started
    deadline = time.monotonic() + 10  # (a worker being terminated is gone a moment after the command)
    while [pid for pid in workers if Path(f"/proc/{pid}").exists()] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "workers outlived the command"
    assert snapshot(root) == before, [name for name in snapshot(root) if snapshot(root)[name] != before.get(name)]
    assert sorted(path.name for path in outside.iterdir()) == files_outside
    result = subprocess.run([sys.executable, "-m", "tagline", "validate"], cwd=root, env=environment(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert not leftovers(root, outside), leftovers(root, outside)
