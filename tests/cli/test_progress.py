"""Progress bars, through a real pseudo-terminal: drawn on the terminal's stderr with the time left once
a job has run its delay, erased before the summary; warnings above them; nothing but the summary into a
pipe or on a dumb terminal; no colour under NO_COLOR; nothing for a quick job; never on stdout.

The tests shorten the two-second wait with ``TAGLINE_PROGRESS_DELAY`` (documented in docs/cli.md)."""

from __future__ import annotations

import json
import math
import os
import random
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

import tagline
from tagline.cli import main

from terminal_screen import screen_lines

SRC = str(Path(tagline.__file__).parents[1])
WIDTH = 110
SGR = re.compile(r"\x1b\[([0-9;]*)m")
CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TIME_LEFT = re.compile(r"\d+:\d\d:\d\d left")
BAR = "━"
HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"
# How long the bar waits in these tests, and how long their long job segments documents: long enough
# for the bar to be redrawn several times with an estimate of the time left.
DELAY = "0.2"
JOB_SECONDS = 2.5  # long enough for several frames when the load changes between the measure and the run
WORDS = ("the markets rose while officials said that the new policy would change how chips are sold abroad "
         "and analysts expected prices to fall next year").split()


def colour_codes(text: str) -> list[int]:
    """The SGR parameters in ``text`` that set a colour (foreground or background, 16, 256 or true colour)."""
    found = []
    for params in SGR.findall(text):
        for code in (int(part) for part in params.split(";") if part):
            if code in (38, 48):
                found.append(code)
                break  # the rest are the colour's own numbers
            if 30 <= code <= 37 or 40 <= code <= 47 or 90 <= code <= 97 or 100 <= code <= 107:
                found.append(code)
    return found


def _document(generator: random.Random) -> str:
    return " ".join(" ".join(generator.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(50))


def _feed(path: Path, count: int, seed: int = 7) -> Path:
    generator = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        for number in range(count):
            out.write(json.dumps({"id": f"doc{number:05d}", "text": _document(generator)}) + "\n")
    return path


@pytest.fixture(scope="module")
def long_feed(tmp_path_factory) -> Path:
    """A JSON-lines file of English documents that `corpus add` takes about :data:`JOB_SECONDS` to
    segment on this machine (measured here first, so a faster machine gets more documents)."""
    from tagline.corpus.segment import segment

    generator = random.Random(7)
    sample = [_document(generator) for _ in range(10)]
    segment(sample[0], "en")  # the first call loads the segmenter
    started = time.perf_counter()
    for text in sample:
        segment(text, "en")
    per_document = (time.perf_counter() - started) / len(sample)
    return _feed(tmp_path_factory.mktemp("feed") / "feed.jsonl", min(5_000, max(20, math.ceil(JOB_SECONDS / per_document))))


@pytest.fixture
def short_feed(tmp_path) -> Path:
    return _feed(tmp_path / "short.jsonl", 3)


@pytest.fixture
def english_workspace(tmp_path, monkeypatch):
    from tagline.corpus.workspace import init_workspace

    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)
    return init_workspace(tmp_path / "ws", language="en")


def environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS", "LINES", "TAGLINE_WORKSPACE",
                          "TAGLINE_PROGRESS_DELAY")}
    return {**env, "PYTHONPATH": SRC, "TERM": "xterm-256color", **extra}


def on_a_terminal(command: str, **env: str) -> tuple[str, int]:
    """Run a shell ``command`` with a pseudo-terminal as its terminal; return all it wrote there and its status."""
    child = pexpect.spawn("/bin/sh", ["-c", command], env=environment(**env), dimensions=(24, WIDTH),
                          encoding="utf-8", timeout=120)
    output = child.read()
    child.close()
    return output, child.exitstatus


def tagline_command(*args: object) -> str:
    return shlex.join([sys.executable, "-m", "tagline", *map(str, args)])


def summary_lines(feed: Path) -> list[str]:
    """What `corpus add` says of each document of a feed made by :func:`_feed`."""
    return [f"added {json.loads(line)['id']}: 50 sentences (en, utf-8)" for line in open(feed, encoding="utf-8")]


def assert_cursor_back(output: str) -> None:
    """Every cursor the bar hid is shown again: the terminal is left as it was found."""
    assert HIDE_CURSOR in output
    assert output.rfind(SHOW_CURSOR) > output.rfind(HIDE_CURSOR), output[-300:]


def test_the_screen_helper_replays_redrawn_wrapped_and_erased_lines():
    assert screen_lines("\x1b[?25lstep \x1b[32m━━\x1b[0m 1/2\r\x1b[2Kstep ━━━━ 2/2", 80) == ["step ━━━━ 2/2"]
    assert screen_lines("abcdef", 4) == ["abcd", "ef"]
    assert screen_lines("one\r\ntwo\r\nbar\r\x1b[2K\x1b[1A\x1b[2Kdone\r\n", 80) == ["one", "done", ""]
    assert screen_lines("abc\x1b[2Gx", 80) == ["axc"]


@pytest.mark.slow
def test_a_long_job_draws_a_bar_with_the_time_left_on_the_terminal_and_nothing_on_stdout(
        long_feed, english_workspace, tmp_path):
    stdout = tmp_path / "added.json"
    command = f"{tagline_command('corpus', 'add', long_feed, '--json', '-w', english_workspace.root)} > {stdout}"
    output, status = on_a_terminal(command, TAGLINE_PROGRESS_DELAY=DELAY)
    assert status == 0, output
    drawn = CONTROL.sub("", output)
    # The step, its bar, its count, the time it took and the time it has left, redrawn as it goes.
    frames = re.findall(r"segmenting documents [━╸╺ ]+ (\d[\d,]*)/([\d,]+) +\d:\d\d:\d\d elapsed, "
                        r"(\d:\d\d:\d\d|-:--:--) left", drawn)
    assert len(frames) >= 3, drawn[-2000:]
    assert TIME_LEFT.search(drawn)
    assert len({done for done, _, _ in frames}) >= 2  # it moved
    assert colour_codes(output)  # a terminal that has colours gets them
    assert_cursor_back(output)
    assert not any(screen_lines(output, WIDTH)), "the bar was not erased"
    data = stdout.read_text(encoding="utf-8")
    assert "\x1b" not in data and BAR not in data
    assert len(json.loads(data)["added"]) == len(summary_lines(long_feed))


@pytest.mark.slow
def test_no_color_draws_the_bar_without_colour(long_feed, english_workspace):
    output, status = on_a_terminal(tagline_command("corpus", "add", long_feed, "-w", english_workspace.root),
                                   NO_COLOR="1", TAGLINE_PROGRESS_DELAY=DELAY)
    assert status == 0, output
    assert BAR in output and TIME_LEFT.search(CONTROL.sub("", output))
    assert colour_codes(output) == []
    assert_cursor_back(output)
    assert [line for line in screen_lines(output, WIDTH) if line] == summary_lines(long_feed)


@pytest.mark.slow
def test_a_warning_during_a_bar_is_printed_above_it_whole(long_feed, english_workspace):
    # A torn last line in sentences.jsonl: the store warns of it when the sentences are read again,
    # after the documents are segmented, with the bar up.
    with open(english_workspace.sentences_path, "a", encoding="utf-8") as sentences:
        sentences.write('{"id": "cut-s0001", "doc')
    output, status = on_a_terminal(tagline_command("corpus", "add", long_feed, "-w", english_workspace.root),
                                   TAGLINE_PROGRESS_DELAY=DELAY)
    assert status == 0, output
    assert 0 <= output.find(BAR) < output.find("Warning:"), "the bar was not up when the warning came"
    screen = [line for line in screen_lines(output, WIDTH) if line]
    warning = f"Warning: {english_workspace.sentences_path}:1: incomplete last line (a write cut short by a crash);"
    starts = [index for index, line in enumerate(screen) if line.startswith("Warning:")]
    assert len(starts) == 1, screen[:5]
    # Whole, on lines of its own (rich wraps it at the terminal's width between words), with no trace
    # of the bar, above the summary; the bar is gone.
    text = " ".join(screen[starts[0]:starts[0] + 3])
    assert text.startswith(warning) and BAR not in text, screen[:5]
    assert screen[-len(summary_lines(long_feed)):] == summary_lines(long_feed)
    assert not [line for line in screen if BAR in line]
    assert_cursor_back(output)


def test_into_a_pipe_only_the_summary_is_printed(short_feed, english_workspace):
    # No wait at all: the same job on a terminal would draw a bar at once.
    done = subprocess.run([sys.executable, "-m", "tagline", "corpus", "add", str(short_feed), "-w",
                           str(english_workspace.root)], capture_output=True, text=True,
                          env=environment(TAGLINE_PROGRESS_DELAY="0"), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == summary_lines(short_feed)  # no bar, no escape codes


def test_a_terminal_with_its_stderr_in_a_file_gets_only_the_summary(short_feed, english_workspace, tmp_path):
    log = tmp_path / "stderr.log"
    command = f"{tagline_command('corpus', 'add', short_feed, '-w', english_workspace.root)} 2> {log}"
    output, status = on_a_terminal(command, TAGLINE_PROGRESS_DELAY="0")
    assert status == 0 and output == ""
    assert log.read_text(encoding="utf-8").splitlines() == summary_lines(short_feed)


def test_a_dumb_terminal_gets_only_the_summary(short_feed, english_workspace):
    output, status = on_a_terminal(tagline_command("corpus", "add", short_feed, "-w", english_workspace.root),
                                   TERM="dumb", TAGLINE_PROGRESS_DELAY="0")
    assert status == 0, output
    assert output.splitlines() == summary_lines(short_feed)


def test_a_quick_job_draws_no_bar(english_workspace, tmp_path):
    article = tmp_path / "article.txt"
    article.write_text("Chips are sold abroad. Prices fell.\n", encoding="utf-8")
    output, status = on_a_terminal(tagline_command("corpus", "add", article, "-w", english_workspace.root))
    assert status == 0, output
    assert output.strip() == "added article: 2 sentences (en, utf-8)"  # no bar, no escape codes


@pytest.mark.slow
def test_import_and_build_draw_their_steps(sample_workspace, tmp_path):
    ner = tmp_path / "ner.jsonl"
    ner.write_text('{"id": 1, "text": "アリババは杭州の会社だ。", "label": [[0, 5, "ORG"], [6, 8, "GPE"]]}\n',
                   encoding="utf-8")
    root = sample_workspace.root
    # Each job is short, but a bar is drawn at once; the last step shows when it is taken away.
    for args, step, summary in [
        (("annotate", "import", ner, "--format", "doccano", "-a", "carol"), "writing answers",
         "1 new document"),
        (("eval", "build", "--no-tokens"), "writing stance", "fingerprint "),
    ]:  # `eval run`'s calls to the bar: tests/eval/test_progress_reports.py
        output, status = on_a_terminal(tagline_command(*args, "-w", root), TAGLINE_PROGRESS_DELAY="0")
        assert status == 0, output
        assert re.search(rf"{step} .*\d:\d\d:\d\d elapsed", CONTROL.sub("", output)), (args, output[:1500])
        assert_cursor_back(output)
        screen = "\n".join(screen_lines(output, WIDTH))
        # (the summary names the file, whose path may take it onto a second line of the screen)
        assert summary in screen.replace("\n", "") and BAR not in screen, (args, screen)


def test_bars_only_on_a_terminal_that_can_draw_them(monkeypatch):
    import io
    import pty

    from tagline.cli.output import draws_bars

    leader, follower = pty.openpty()
    with open(follower, "w", closefd=True) as terminal:
        monkeypatch.setenv("TERM", "xterm-256color")
        assert draws_bars(terminal)
        for dumb in ("dumb", "unknown"):
            monkeypatch.setenv("TERM", dumb)
            assert not draws_bars(terminal)
    os.close(leader)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert not draws_bars(io.StringIO())


def test_without_a_terminal_the_library_is_handed_a_callback_that_does_nothing():
    code = ("import sys\nfrom tagline.cli.output import progress_bar\nfrom tagline.corpus.progress import no_progress\n"
            "with progress_bar() as progress:\n    progress(1, 2, 'x')\n"
            "print(progress is no_progress, 'rich' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment(), check=True)
    assert done.stdout.split() == ["True", "False"]


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_progress_delay_that_is_not_a_number_of_seconds_is_an_error(runner, english_workspace, tmp_path, value):
    article = tmp_path / "article.txt"
    article.write_text("Chips are sold abroad.\n", encoding="utf-8")
    result = runner.invoke(main, ["corpus", "add", str(article), "-w", str(english_workspace.root)],
                           env={"TAGLINE_PROGRESS_DELAY": value})
    assert result.exit_code == 2
    assert result.stderr == (f"Error: $TAGLINE_PROGRESS_DELAY: {value!r} is not a number of seconds (set it to a "
                             "number such as 0.5, or unset it for 2 s)\n")
    assert english_workspace.documents() == {}


def test_a_step_starts_its_own_bar_and_a_new_name_on_the_same_count_shows_at_once():
    from tagline.cli.bars import DelayedBar

    bar = DelayedBar(3600)  # never drawn: what it would draw is read from its tasks

    def shown():
        return [(task.description, task.completed, task.total) for task in bar._bars.tasks]

    try:
        bar(0, None, "reading gold")
        first = bar._bars.tasks[0].id
        bar(0, None, "reading sentences")  # a step that is not counted: a new clock
        assert shown() == [("reading sentences", 0, None)] and bar._bars.tasks[0].id != first
        bar(0, 3, "stance: reading the dataset")
        bar(1, 3, "stance · majority")
        bar(1, 3, "claim_type · majority")  # at once, though the calls come faster than the bar is fed
        assert shown() == [("claim_type · majority", 1, 3)]
        counted = bar._bars.tasks[0].id
        for done in range(2, 50):
            bar(min(done, 3), 3, "claim_type · majority")
        assert shown() == [("claim_type · majority", 3, 3)] and bar._bars.tasks[0].id == counted
        bar(0, 3, "writing")  # a count that starts again
        assert shown() == [("writing", 0, 3)] and bar._bars.tasks[0].id != counted
    finally:
        bar.close()


@pytest.mark.parametrize("width", [80, 60, 40])
def test_the_bar_is_one_line_at_any_width_with_counts_in_the_hundred_thousands(width):
    """At 80 columns rich wrapped the time left onto a second line once the counts reached
    ``100,000/300,000``; the bar narrows instead, then the text is cut."""
    import io

    from rich.console import Console

    from tagline.cli.bars import DelayedBar

    bar = DelayedBar(3600)  # never drawn: its renderable is printed here
    try:
        bar(100_000, 300_000, "writing sentences")
        out = io.StringIO()
        Console(file=out, width=width, force_terminal=True, color_system=None).print(bar._bars.get_renderable())
    finally:
        bar.close()
    lines = out.getvalue().rstrip("\n").split("\n")
    assert len(lines) == 1 and len(lines[0].rstrip()) <= width, lines
    if width == 80:
        assert "100,000/300,000" in lines[0] and lines[0].rstrip().endswith("left")


@pytest.mark.slow
def test_ctrl_c_during_a_bar_leaves_only_the_interrupted_line_on_the_screen(long_feed, english_workspace):
    """The terminal echoes ``^C`` where the cursor is: after a bar drawn to the last column that wrapped
    onto a line of its own, which rich erased, leaving the bar above ``Interrupted:``."""
    command = tagline_command("corpus", "add", long_feed, "-w", english_workspace.root)
    child = pexpect.spawn("/bin/sh", ["-c", command], env=environment(TAGLINE_PROGRESS_DELAY=DELAY),
                          dimensions=(24, 80), encoding="utf-8", timeout=120)  # the bar fills 80 columns
    import io

    child.logfile_read = written = io.StringIO()  # every byte, those the expects consumed included
    child.expect(r"segmenting documents.* left")  # a whole bar drawn
    child.sendintr()
    child.read()
    child.close()
    output = written.getvalue()
    screen = [line for line in screen_lines(output, 80) if line.strip()]
    assert (child.exitstatus, child.signalstatus) in ((130, None), (None, 2)), (child.exitstatus, child.signalstatus)
    assert screen[-1].startswith("Interrupted: corpus add"), screen
    assert not any(BAR in line or "segmenting" in line for line in screen), screen
