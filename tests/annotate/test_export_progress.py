"""`annotate export`'s progress bar, through a real pseudo-terminal: drawn on the terminal's stderr once
the export has run its delay, while the parts are still made in forked workers (the bar starts no
thread, and a process running another thread does not fork); never in the export (`--out -`), the
same bytes with it and without it; nothing into a pipe; Ctrl-C while it is up still ends with one
`Interrupted:` line, status 130 and no worker left. And the library's side: what `export` tells its
callback, and the bar without threads itself."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

import pexpect
import pytest

from tagline.annotate.interop import export

from terminal_screen import screen_lines

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forks, and reads /proc")

WIDTH = 100
BAR = "━"
HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"
INTERRUPTED = "Interrupted: annotate export stopped; nothing was written"

# `tagline` with a Prodigy export of the sample made in forked workers however small, in parts of two
# sentences, every part slowed down so that the export outlasts the bar's delay; each time the
# workers are started, a line "<workers> <start>" is added to the file $FORKS names.
_SLOW_EXPORT = """
import os, sys, time
from tagline.annotate.formats import common, parts, prodigy
from tagline.annotate.interop import exporting
from tagline.corpus import workers

made_here, made_in_workers = prodigy._part_lines, workers.iter_in_workers

def slow(*args):
    time.sleep(float(os.environ["PART_SECONDS"]))
    return made_here(*args)

def spy(function, arguments, count, *, start="spawn"):
    with open(os.environ["FORKS"], "a") as log:
        log.write(f"{count} {start}\\n")
    return made_in_workers(function, arguments, count, start=start)

prodigy._part_lines, parts.PARALLEL_EXPORT_MIN_ANSWERED, workers.cores = slow, 0, lambda: 2
workers.iter_in_workers = spy
common.CHUNK = exporting.CHUNK = 2
from tagline.cli import main
sys.argv = ["tagline", *sys.argv[1:]]
main()
"""


def _environment(forks: Path, part_seconds: float, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS", "LINES", "TAGLINE_WORKSPACE",
                          "TAGLINE_PROGRESS_DELAY")}
    return {**env, "PYTHONPATH": os.pathsep.join(sys.path), "TERM": "xterm-256color", "FORKS": str(forks),
            "PART_SECONDS": str(part_seconds), "TAGLINE_PROGRESS_DELAY": "0.2", **extra}


def _export_command(workspace, *options: str) -> list[str]:
    return [sys.executable, "-c", _SLOW_EXPORT, "annotate", "export", "--format", "prodigy", "--gold",
            "-w", str(workspace.root), *options]


def _forks(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except FileNotFoundError:
            pass
    return {child for child in found
            if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()}


def _workers(pid: int, count: int = 2) -> set[int]:
    """The workers process ``pid`` has forked, once it has forked ``count`` (within a minute)."""
    deadline = time.monotonic() + 60
    while len(found := _children(pid)) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return found


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def _piped_export(workspace, tmp_path: Path) -> bytes:
    """The export of the same workspace in forked workers, into a pipe: no bar, only the bytes."""
    log = tmp_path / "piped-forks"
    done = subprocess.run(_export_command(workspace, "--out", "-"), capture_output=True, check=True,
                          env=_environment(log, 0.0))
    assert b"\x1b[" not in done.stderr and BAR.encode() not in done.stderr  # nothing drawn into a pipe
    assert _forks(log) == ["2 fork"]
    return done.stdout


def test_a_bar_on_the_terminal_leaves_the_parts_made_in_forked_workers_and_the_bytes_as_they_were(
        sample_workspace, tmp_path):
    stdout, log = tmp_path / "export.json", tmp_path / "forks"
    # stderr (and stdin) a terminal, the export itself on stdout (--out -) into a file
    command = f"exec {shlex.join(_export_command(sample_workspace, '--out', '-'))} > {shlex.quote(str(stdout))}"
    child = pexpect.spawn("/bin/sh", ["-c", command], env=_environment(log, 0.1), dimensions=(24, WIDTH),
                          encoding="utf-8", timeout=120)
    child.expect("exporting sentences")  # the bar is up: the workers are forked all the same
    workers = _workers(child.pid)
    terminal = child.before + child.after + child.read()
    child.close()
    assert child.exitstatus == 0, terminal
    assert _forks(log) == ["2 fork"] and len(workers) == 2  # the workers were forked, bar and all
    assert BAR in terminal and HIDE_CURSOR in terminal and terminal.rfind(SHOW_CURSOR) > terminal.rfind(HIDE_CURSOR)
    assert [line for line in screen_lines(terminal, WIDTH) if line.strip()] == [], "the bar is erased"
    exported = stdout.read_bytes()
    assert b"\x1b" not in exported and BAR.encode() not in exported
    assert exported == _piped_export(sample_workspace, tmp_path) and exported.count(b"\n") > 10
    assert all(_gone(pid) for pid in workers)


def test_the_export_written_to_a_file_under_the_bar_is_the_export_into_a_pipe(sample_workspace, tmp_path):
    out, log = tmp_path / "export.json", tmp_path / "forks"
    child = pexpect.spawn(sys.executable, ["-c", _SLOW_EXPORT, *_export_command(sample_workspace, "-o", str(out))[3:]],
                          env=_environment(log, 0.05), dimensions=(24, WIDTH), encoding="utf-8", timeout=120)
    output = child.read()
    child.close()
    assert child.exitstatus == 0, output
    assert BAR in output and "exporting sentences" in output and _forks(log) == ["2 fork"]
    lines = [line for line in screen_lines(output, WIDTH) if line.strip()]
    assert "".join(lines).startswith(f"wrote {out} (prodigy): ") and not any(BAR in line for line in lines)
    assert out.read_bytes() == _piped_export(sample_workspace, tmp_path)


def test_ctrl_c_while_the_bar_is_up_ends_with_one_interrupted_line_and_no_worker_left(sample_workspace, tmp_path):
    out, log = tmp_path / "export.json", tmp_path / "forks"
    child = pexpect.spawn(sys.executable, ["-c", _SLOW_EXPORT, *_export_command(sample_workspace, "-o", str(out))[3:]],
                          env=_environment(log, 0.5), dimensions=(24, WIDTH), encoding="utf-8", timeout=120)
    child.expect(BAR)
    workers = _workers(child.pid)
    assert len(workers) == 2 and _forks(log) == ["2 fork"]
    time.sleep(0.3)
    child.sendintr()  # Ctrl-C: the terminal signals the whole foreground group, workers too
    rest = child.read()
    child.close()
    assert child.exitstatus == 130, rest
    lines = [line for line in screen_lines(rest, WIDTH) if line.strip()]
    assert lines == [INTERRUPTED], lines
    assert rest.count("Interrupted:") == 1 and rest.rfind(SHOW_CURSOR) > rest.rfind(HIDE_CURSOR)
    assert not out.exists() and sorted(path.name for path in tmp_path.iterdir()) == ["forks", "sample"]
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in workers)


def test_export_tells_its_callback_of_the_answers_read_and_the_sentences_out_of_the_corpus(sample_workspace):
    calls: list[tuple[int, int | None, str]] = []
    told = export(sample_workspace, fmt="csv", gold=True, progress=lambda *call: calls.append(call))
    sentences = sum(1 for _ in sample_workspace.iter_sentences())
    assert calls[0] == (0, None, "reading gold")
    exporting = [call for call in calls if call[2] == "exporting sentences"]
    assert exporting[0] == (0, sentences, "exporting sentences") and exporting[-1] == (sentences, sentences,
                                                                                          "exporting sentences")
    assert [done for done, _, _ in exporting] == sorted({done for done, _, _ in exporting})
    assert told["content"] == export(sample_workspace, fmt="csv", gold=True)["content"]
    calls.clear()
    export(sample_workspace, fmt="csv", annotator="sample-gold", progress=lambda *call: calls.append(call))
    assert calls[0] == (0, None, "reading answers")


def test_a_bar_without_threads_starts_none_shows_after_its_delay_and_is_redrawn_by_the_calls(monkeypatch):
    from tagline.cli import bars

    redrawn = []
    before = threading.active_count(), len(os.listdir("/proc/self/task"))
    bar = bars.DelayedBar(0.2, threads=False)
    monkeypatch.setattr(bar._bars, "refresh", lambda: redrawn.append(time.monotonic()))
    monkeypatch.setattr(bar._bars, "start", lambda: redrawn.append(time.monotonic()))
    try:
        bar(0, 100_000, "exporting sentences")
        assert not bar._shown
        started = time.monotonic()
        done = 0
        while time.monotonic() - started < 0.8:
            done += 1
            bar(done, 100_000, "exporting sentences")
            time.sleep(0.001)
        assert bar._shown and (threading.active_count(), len(os.listdir("/proc/self/task"))) == before
        assert 3 <= len(redrawn) <= 8  # shown after 0.2 s, then redrawn at most every REDRAW_SECONDS
        assert all(later - earlier >= bars.REDRAW_SECONDS * 0.9 for earlier, later in zip(redrawn, redrawn[1:]))
    finally:
        monkeypatch.undo()
        bar.close()
