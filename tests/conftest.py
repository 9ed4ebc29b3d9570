"""Shared fixtures: workspaces, the CLI runner, and the location of ../shared data."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]

# A suite started in the background by a shell without job control (`nohup sh -c '... &'`, some CI
# runners) inherits SIGINT ignored, and so would every command a test starts: the tests of Ctrl-C
# need it delivered, as at a terminal. (Commands a test starts inherit this handler as the default.)
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Commands the tests start (`python -m tagline` in a workspace folder) must run the tagline under
# test: a relative PYTHONPATH (`PYTHONPATH=src pytest`, as the checkouts run the suite) would point
# elsewhere from their folder and leave them running whichever tagline the interpreter has installed.
if os.environ.get("PYTHONPATH"):
    os.environ["PYTHONPATH"] = os.pathsep.join(str(Path(part).resolve()) if part else part
                                               for part in os.environ["PYTHONPATH"].split(os.pathsep))


def run_script(path: Path, setup: str, call: str, *, guarded: bool):
    """Run a Python script of ``setup`` then ``call`` (under ``if __name__ == "__main__":`` when
    ``guarded``) with this tagline on its path, as a library user's script; the finished process."""
    import subprocess
    import sys

    import tagline

    path.write_text(setup + (f'if __name__ == "__main__":\n    {call}\n' if guarded else call + "\n"))
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=120)


def paused_command(script: str, marks: Path, arguments: list[str], cwd: Path):
    """Start ``python -c script marks *arguments`` in ``cwd`` with this tagline on its path, and wait
    until the script marks that it has paused (a file named by its process id in ``marks``, holding
    the path it was writing); the running process and that path."""
    import subprocess
    import sys
    import time

    import tagline

    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
    process = subprocess.Popen([sys.executable, "-c", script, str(marks), *arguments], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(marks.glob("[0-9]*")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(marks.glob("[0-9]*")), process.communicate()
    return process, Path(next(marks.glob("[0-9]*")).read_text())


DEAD_PID = 2 ** 22 + 1
"""A process id above any that Linux gives: in a temporary file's name, a process that does not run
here (one of another container that shares the folder, or of the machine before it rebooted)."""


@contextlib.contextmanager
def held_temporary(path: Path, data: bytes = b"being written") -> Iterator[Path]:
    """For the block, ``path`` is a running writer's temporary file: made, and its lock held as a writer
    holds it (in this process: a sweep opens the file anew, and another open file cannot take it)."""
    from tagline.corpus.primitives import open_temporary

    fd = open_temporary(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, data)
        yield path
    finally:
        os.close(fd)


def read_in_workers(monkeypatch, module, threshold: str = "WORKER_BYTES") -> list:
    """Every file ``module`` reads in forked workers from a size on (its ``threshold``) read so,
    whatever its size; the calls that started the workers, in a list."""
    from tagline.corpus import workers

    started: list = []
    real = workers.iter_in_workers
    monkeypatch.setattr(module, threshold, 0)
    # The test process may run an idle thread of NumPy's BLAS (its library stops it at a fork); the
    # command forks before it imports NumPy.
    monkeypatch.setattr(workers, "only_thread", lambda wait=0.05: True)
    monkeypatch.setattr(workers, "iter_in_workers", lambda *a, **k: started.append(a) or real(*a, **k))
    return started


def shared_dir() -> Path | None:
    """The shared data folder beside the checkout (``../shared``), or None where it is absent."""
    for candidate in (REPO.parent / "shared", Path(os.environ.get("TAGLINE_SHARED", "/nonexistent"))):
        if candidate.is_dir():
            return candidate
    return None


def require_shared(relative: str) -> Path:
    """Path of ``relative`` inside ../shared, or skip the test saying what is missing."""
    base = shared_dir()
    if base is None or not (base / relative).exists():
        pytest.skip(f"../shared/{relative} is not present (public benchmark data is read from beside the checkout)")
    return base / relative


# pytest-xdist's workers start with COLUMNS=80 and LINES=24 in their environment, which a plain run
# has not: the commands would then draw their tables to 80 columns rather than as for a pipe. The
# tests that want a width set COLUMNS themselves.
for _variable in ("COLUMNS", "LINES"):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.pop(_variable, None)

@pytest.fixture(autouse=True, scope="session")
def _cache_folder(tmp_path_factory):
    """The tests' own cache folder (of configurations found valid), not the user's; children inherit it."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


def _interop_group():
    """``import`` and ``export`` under a root group that renders errors as the real CLI does, with the
    real CLI's context settings: a command object remembers its help option the first time it runs,
    so a group with other settings would change what ``--help`` shows for the rest of the session."""
    import click

    from tagline.cli import RootGroup, main

    @click.group(cls=RootGroup, lazy_commands={"import": "tagline.cli.interop:import_cli",
                                               "export": "tagline.cli.interop:export_cli"},
                 context_settings=main.context_settings)
    def cli() -> None:
        """The two commands of the real CLI."""

    return cli


interop_cli = _interop_group()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """An empty Japanese workspace with the sample's stance targets, with the current directory inside it."""
    from tagline.corpus.config import SAMPLE_TARGETS
    from tagline.corpus.workspace import init_workspace

    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)
    ws = init_workspace(tmp_path / "ws", targets=list(SAMPLE_TARGETS))
    monkeypatch.chdir(ws.root)
    return ws


@pytest.fixture
def sample_workspace(tmp_path, monkeypatch):
    """A workspace holding the bundled sample article (and its gold annotations when shipped)."""
    from tagline.corpus.workspace import init_workspace

    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)
    ws = init_workspace(tmp_path / "sample", sample=True)
    monkeypatch.chdir(ws.root)
    return ws


@pytest.fixture
def sample_answers_only(sample_workspace):
    """The sample workspace with its annotations but none of its gold yet."""
    sample_workspace.gold_path.unlink()
    return sample_workspace


@pytest.fixture
def built_sample(sample_workspace):
    """The sample workspace, adjudicated and built (its test split: 8 sentences, 16 stance rows)."""
    from tagline.annotate.gold import auto_adjudicate
    from tagline.eval.build import build_dataset

    auto_adjudicate(sample_workspace)
    build_dataset(sample_workspace)
    return sample_workspace


@pytest.fixture(scope="module")
def built_sample_module(tmp_path_factory) -> Path:
    """The root of a sample workspace, adjudicated and built, shared by the tests of a module (which
    pass it with ``--workspace``)."""
    from tagline.annotate.gold import auto_adjudicate
    from tagline.corpus.workspace import init_workspace
    from tagline.eval.build import build_dataset

    workspace = init_workspace(tmp_path_factory.mktemp("built") / "sample", sample=True)
    auto_adjudicate(workspace)
    build_dataset(workspace)
    return workspace.root


GIANT_SENTENCE_LENGTH = 9_000_000


@pytest.fixture(scope="session")
def _giant_workspace_template(tmp_path_factory):
    from tagline.corpus.config import SAMPLE_TARGETS
    from tagline.corpus.ingest import add_documents
    from tagline.corpus.workspace import init_workspace

    root = tmp_path_factory.mktemp("giant")
    half = (GIANT_SENTENCE_LENGTH - 3) // 2
    source = root / "giant.txt"
    source.write_text("あ" * half + "米国" + "あ" * (GIANT_SENTENCE_LENGTH - 3 - half) + "。\n", encoding="utf-8")
    ws = init_workspace(root / "ws", targets=list(SAMPLE_TARGETS))
    add_documents(ws, [source])
    return ws.root


@pytest.fixture
def giant_workspace(_giant_workspace_template, tmp_path, monkeypatch):
    """A workspace whose one sentence is 9,000,000 characters long (Japanese, one 米国 in the
    middle). Ingesting it takes seconds, so it is made once and copied for each test."""
    import shutil

    from tagline.corpus.workspace import Workspace

    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)
    root = shutil.copytree(_giant_workspace_template, tmp_path / "giant")
    monkeypatch.chdir(root)
    return Workspace(root)
