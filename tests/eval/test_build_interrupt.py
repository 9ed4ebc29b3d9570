"""Ctrl-C and SIGTERM during `eval build`: the build stops at any step, the previous build stays byte for
byte, nothing half-written is left, and one line says so (exit 130, or 143 for SIGTERM)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tagline.annotate.gold import auto_adjudicate
from tagline.cli import main
from tagline.eval.build import build_dataset
from tagline.interrupts import Interrupted


def tree_digest(path: Path) -> str:
    """Every file name and byte under ``path``."""
    digest = hashlib.sha256()
    for file in sorted(path.rglob("*")):
        digest.update(str(file.relative_to(path)).encode())
        if file.is_file():
            digest.update(file.read_bytes())
    return digest.hexdigest()


def children(pid: int | str = "self") -> set[int]:
    """The worker processes that process ``pid`` started and that were not waited for."""
    parent_command = Path(f"/proc/{pid}/cmdline").read_bytes()
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except FileNotFoundError:
            pass  # a thread (a pool's) that ended since the folder was listed: it has no children now
    return {child for child in found if _is_worker(child, parent_command)}


def _is_worker(pid: int, parent_command: bytes) -> bool:
    """Any process but Python's multiprocessing resource tracker, which the first process pool of an
    interpreter starts and which ends with the interpreter, so not the build's to stop. A process
    that does not run its own command yet (it still has its parent's, or none while it replaces it)
    cannot be told apart, and is left for the next look."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:  # ended and waited for meanwhile
        return False
    if state == "Z":  # ended, but never waited for
        return True
    return bool(command) and command != parent_command and b"multiprocessing.resource_tracker" not in command


def own_groups(pids: set[int]) -> list[tuple[int, int]]:
    """``(pid, process group)`` of each process, once each leads a group of its own (a worker leaves
    the terminal's group as it starts), or after 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(os.getpgid(pid) != pid for pid in pids):
        time.sleep(0.01)
    return [(pid, os.getpgid(pid)) for pid in pids]


@pytest.fixture
def recorded_sigint():
    """A SIGINT handler of the caller's own (as a notebook has), which only counts: a signal the build
    failed to catch ends up here instead of stopping the test session."""
    seen = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    yield seen
    signal.signal(signal.SIGINT, previous)


@pytest.fixture
def previous_build(sample_workspace, tmp_path):
    auto_adjudicate(sample_workspace)
    out = tmp_path / "build" / "dataset"
    build_dataset(sample_workspace, out=out, tokens=False)
    return sample_workspace, out, tree_digest(out)


def assert_kept(out: Path, digest: str) -> None:
    assert tree_digest(out) == digest
    assert sorted(path.name for path in out.parent.iterdir()) == ["dataset"]


def signal_from(module, name: str, signum=signal.SIGINT, calls: int = 1):
    """``module.name`` made to raise ``signum`` in this process on its ``calls``-th call, before
    doing its work."""
    original = getattr(module, name)
    count = [0]

    def wrapper(*args, **kwargs):
        count[0] += 1
        if count[0] == calls:
            signal.raise_signal(signum)
        return original(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize("where", [
    "tagline.eval.build.reading:current_gold",         # reading
    "tagline.eval.build.splits:split_codes",           # splitting
    "tagline.eval.build.tokens:tokens_and_tags",       # tokenising
    "tagline.eval.build.writer:write_parquet_shards",  # writing Parquet
    "datasets:DatasetDict.save_to_disk",               # save_to_disk
    "tagline.eval.build.writer:saved_info",            # the sizes of what was saved, for the card
    "tagline.eval.build.writer:write_splits",          # splits.jsonl
    "tagline.eval.card:dataset_card",                  # the card, the last step before the swap
])
def test_a_signal_at_any_step_stops_the_build_and_keeps_the_previous_one(previous_build, recorded_sigint,
                                                                         monkeypatch, where):
    import importlib

    workspace, out, digest = previous_build
    sigterm_handler = signal.getsignal(signal.SIGTERM)
    module_name, attribute = where.split(":")
    owner = importlib.import_module(module_name)
    *path, name = attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    monkeypatch.setattr(owner, name, signal_from(owner, name))
    with pytest.raises(Interrupted) as stopped:
        build_dataset(workspace, out=out, seed=7)
    assert stopped.value.signum == signal.SIGINT and stopped.value.exit_code == 130
    assert str(stopped.value) == f"stopped; the previous build in {out} is kept"
    assert_kept(out, digest)
    assert recorded_sigint == []
    assert signal.getsignal(signal.SIGTERM) is sigterm_handler


def test_sigterm_stops_it_the_same_way_with_its_own_status(previous_build, monkeypatch):
    from tagline.eval.build import writer

    workspace, out, digest = previous_build
    monkeypatch.setattr(writer, "write_parquet_shards",
                        signal_from(writer, "write_parquet_shards", signal.SIGTERM, calls=3))
    with pytest.raises(Interrupted) as stopped:
        build_dataset(workspace, out=out, seed=7)
    assert stopped.value.signum == signal.SIGTERM and stopped.value.exit_code == 143
    assert_kept(out, digest)


def test_a_ctrl_c_that_datasets_swallows_still_stops_the_build(previous_build, recorded_sigint, monkeypatch):
    # datasets hashes each shard it saves under a bare `except:`, which took Ctrl-C for a hashing
    # failure and went on: the build finished as if no key had been pressed.
    import datasets.fingerprint

    workspace, out, digest = previous_build
    hash_value, make_fingerprint = datasets.fingerprint.Hasher.update, datasets.fingerprint.update_fingerprint
    state = {"in_update_fingerprint": False, "hashed": 0, "signalled": False, "swallowed": False}

    def update(self, value):
        if state["in_update_fingerprint"]:
            state["hashed"] += 1
            if state["hashed"] == 2 and not state["signalled"]:  # the first value it hashes in its `try`
                state["signalled"] = True
                signal.raise_signal(signal.SIGINT)
        return hash_value(self, value)

    def update_fingerprint(*args, **kwargs):
        signalled_before = state["signalled"]
        state.update(in_update_fingerprint=True, hashed=0)
        try:
            fingerprint = make_fingerprint(*args, **kwargs)
        finally:
            state["in_update_fingerprint"] = False
        # It returned, so the KeyboardInterrupt raised in it went no further.
        state["swallowed"] |= state["signalled"] and not signalled_before
        return fingerprint

    monkeypatch.setattr(datasets.fingerprint.Hasher, "update", update)
    monkeypatch.setattr(datasets.fingerprint, "update_fingerprint", update_fingerprint)
    with pytest.raises(Interrupted):
        build_dataset(workspace, out=out, seed=7)
    assert state["swallowed"], "datasets no longer swallows Ctrl-C there: this test no longer tests that case"
    assert_kept(out, digest)


@pytest.mark.parametrize("step", ["reading gold", "tokenising"])
def test_a_ctrl_c_while_workers_make_tokens_stops_them(previous_build, recorded_sigint, monkeypatch, step):
    # The workers start on the corpus once the sentences are read: Ctrl-C may come while the gold is
    # read, or while their tokens are taken in.
    from tagline.eval.build import tokens

    workspace, out, digest = previous_build
    monkeypatch.setattr(tokens, "PARALLEL_TOKENS_MIN_SENTENCES", 0)
    monkeypatch.setattr(tokens, "TOKEN_CHUNK_SENTENCES", 8)
    running = []

    def progress(done, total, what):
        if what == step and not running:
            deadline = time.monotonic() + 20
            while len(running) < 2 and time.monotonic() < deadline:  # the workers run
                time.sleep(0.01)
                # In a process group of their own, which a terminal's Ctrl-C does not reach.
                running[:] = own_groups(children() - before)
            signal.raise_signal(signal.SIGINT)

    before = children()
    with pytest.raises(Interrupted):
        build_dataset(workspace, out=out, seed=7, workers=2, progress=progress)
    assert len(running) == 2 and os.getpgrp() not in {group for _, group in running}
    assert children() == before
    assert_kept(out, digest)
    assert recorded_sigint == []


def test_a_signal_during_the_swap_is_too_late_the_new_build_is_complete(previous_build, recorded_sigint,
                                                                         monkeypatch):
    from tagline.eval.build import writer

    workspace, out, digest = previous_build
    monkeypatch.setattr(writer, "swap_into_place", signal_from(writer, "swap_into_place"))
    report = build_dataset(workspace, out=out, seed=7)
    assert any("interrupted once the new build was being moved into place" in w for w in report.warnings)
    assert tree_digest(out.with_name("dataset.previous")) == digest
    assert (out / "fingerprint.json").read_text().count(report.fingerprint) == 1
    assert recorded_sigint == []
    assert sorted(path.name for path in out.parent.iterdir()) == ["dataset", "dataset.previous"]


def test_without_a_previous_build_nothing_is_left_and_the_handlers_are_the_callers_again(
        sample_workspace, tmp_path, recorded_sigint, monkeypatch):
    from tagline.eval.build import writer

    auto_adjudicate(sample_workspace)
    handler = signal.getsignal(signal.SIGINT)
    out = tmp_path / "new" / "dataset"
    write_splits = writer.write_splits
    monkeypatch.setattr(writer, "write_splits", signal_from(writer, "write_splits"))
    with pytest.raises(Interrupted) as stopped:
        build_dataset(sample_workspace, out=out, tokens=False)
    assert str(stopped.value) == f"stopped; no build was written to {out}"
    assert list(out.parent.iterdir()) == []
    assert signal.getsignal(signal.SIGINT) is handler
    monkeypatch.setattr(writer, "write_splits", write_splits)
    build_dataset(sample_workspace, out=out, tokens=False)
    assert signal.getsignal(signal.SIGINT) is handler
    signal.raise_signal(signal.SIGINT)
    assert recorded_sigint == [signal.SIGINT]


def test_the_command_says_it_was_interrupted_in_one_line(runner, previous_build, recorded_sigint, monkeypatch):
    import tagline.eval.card

    _, out, digest = previous_build
    monkeypatch.setattr(tagline.eval.card, "dataset_card", signal_from(tagline.eval.card, "dataset_card"))
    result = runner.invoke(main, ["eval", "build", "--out", str(out), "--seed", "7"])
    assert result.exit_code == 130, result.output
    # Not a terminal: no steps, no bar, only the line.
    assert result.stderr.splitlines() == [f"Interrupted: eval build stopped; the previous build in {out} is kept"]
    assert_kept(out, digest)


# ----- the command in its own process, signalled as a terminal does -----------------------------
def big_workspace(root: Path):
    """The sample workspace with a small previous build, then 660 copies of its sentences and gold
    (50,897 sentences): enough for the tokens to be made in worker processes, and for each step to
    last long enough to be signalled in."""
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(root, sample=True)
    auto_adjudicate(workspace)
    out = workspace.build_dir / "dataset"
    build_dataset(workspace, out=out, tokens=False)
    sentences, gold = workspace.sentences_path.read_bytes(), workspace.gold_path.read_bytes()
    with open(workspace.sentences_path, "ab") as sentences_out, open(workspace.gold_path, "ab") as gold_out:
        for copy in range(660):
            sentences_out.write(sentences.replace(b'"deepseek_ja', b'"copy%04d' % copy))
            gold_out.write(gold.replace(b'"deepseek_ja', b'"copy%04d' % copy))
    return workspace, out


# `tagline` whose progress callback prints each step's name on stderr as the step begins: on a
# terminal the bar shows the steps, and into a pipe the command prints none, so the test learns
# of them this way. The rest is the command as it is.
STEPS_ON_STDERR = """
import contextlib, sys
import tagline.cli.output as output

@contextlib.contextmanager
def steps_on_stderr():
    seen = []

    def progress(done, total, what):
        if seen[-1:] != [what]:
            seen.append(what)
            print(what, file=sys.stderr, flush=True)

    yield progress

output.progress_bar = steps_on_stderr
from tagline.cli import main
main(sys.argv[1:], prog_name="tagline")
"""


def run_until(workspace, message: str, signum: int, *, with_workers: bool = False):
    """Run `tagline eval build` in a process group of its own, wait for step ``message`` (and for
    its worker processes), send ``signum`` to the whole group, as a terminal does with Ctrl-C;
    return the exit status, stderr and the workers that ran."""
    import tagline

    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
    child = subprocess.Popen([sys.executable, "-c", STEPS_ON_STDERR, "eval", "build", "--seed", "3", "-w",
                              str(workspace.root)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                             start_new_session=True)
    lines = []
    for line in child.stderr:
        lines.append(line.decode())
        if line.decode().strip() == message:
            break
    workers = []
    deadline = time.monotonic() + 20
    while with_workers and len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
        workers = sorted(children(child.pid))
    os.killpg(child.pid, signum)
    lines += [line.decode() for line in child.stderr]
    return child.wait(timeout=60), lines, workers


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_the_command_stops_at_each_step_when_its_process_group_is_signalled(tmp_path, monkeypatch):
    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)
    workspace, out = big_workspace(tmp_path / "big")
    digest = tree_digest(out)
    kept = f"Interrupted: eval build stopped; the previous build in {out} is kept\n"
    # The stance config, which needs no tokens, is written while the workers tokenise.
    with_workers = ("writing stance", "tokenising")
    for message, signum, status in (("writing stance", signal.SIGTERM, 143), ("tokenising", signal.SIGINT, 130),
                                    ("writing sentences", signal.SIGINT, 130)):
        code, lines, workers = run_until(workspace, message, signum, with_workers=message in with_workers)
        assert (code, lines[-1]) == (status, kept), (message, lines)
        assert lines[:-1] == [line + "\n" for line in ["reading sentences", "reading gold", "assigning splits",
                                                       "writing stance", "tokenising", "writing sentences"]
                              ][:len(lines) - 1], (message, lines)  # and nothing else: no worker tracebacks
        assert_kept(out, digest)
        if workers:
            assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "workers outlived the build"
        else:
            assert message not in with_workers, "the workers were never seen"


@pytest.mark.slow
def test_ctrl_c_on_a_terminal_takes_the_bar_away_and_says_what_was_kept(tmp_path, monkeypatch):
    import io

    import pexpect

    import tagline

    from terminal_screen import screen_lines

    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)
    workspace, out = big_workspace(tmp_path / "big")
    digest = tree_digest(out)
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE")}
    env.update(PYTHONPATH=str(Path(tagline.__file__).parents[1]), TERM="xterm-256color", TAGLINE_PROGRESS_DELAY="0.5")
    child = pexpect.spawn(sys.executable, ["-m", "tagline", "eval", "build", "--seed", "3", "-w", str(workspace.root)],
                          env=env, dimensions=(24, 110), encoding="utf-8", timeout=120)
    child.logfile_read = screen = io.StringIO()
    child.expect(r"\d:\d\d:\d\d elapsed")  # the bar is up
    child.sendintr()  # the terminal sends SIGINT to its foreground process group
    child.expect(pexpect.EOF)
    child.close()
    output = screen.getvalue()
    assert child.exitstatus == 130, output
    # The bar is erased and the cursor shown again; the one line is all that is left on the screen.
    assert output.rfind("\x1b[?25h") > output.rfind("\x1b[?25l") >= 0
    left = [line for line in screen_lines(output, 110) if line]
    assert "".join(left) == f"Interrupted: eval build stopped; the previous build in {out} is kept", left
    assert_kept(out, digest)
