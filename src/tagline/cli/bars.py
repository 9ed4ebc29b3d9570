"""The progress bar a long command draws on a terminal's stderr (see :func:`tagline.cli.output.progress_bar`),
which imports this module only when a bar may be drawn."""

from __future__ import annotations

import contextlib
import threading
import time

from rich.console import Console, ConsoleDimensions
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID, TextColumn
from rich.table import Column
from rich.text import Text

from tagline.cli.output import console_settings
from tagline.interrupts import deferred

# Columns the bar leaves free at the right of the terminal. A line drawn to the last column leaves the
# cursor there, so the ``^C`` a terminal echoes on Ctrl-C wraps onto a line of its own; rich then
# erases that line and the bar stays on the screen above the ``Interrupted:`` line.
FREE_COLUMNS = 2

# The bar is redrawn ten times a second, so the library's calls are passed on at most twenty times a
# second: a million documents make a million cheap calls, not a million locked updates.
FORWARD_SECONDS = 0.05
# A bar that starts no thread is redrawn by the calls themselves, at most this often.
REDRAW_SECONDS = 0.1


class DelayedBar:
    """A :class:`~tagline.corpus.progress.ProgressCallback` drawing one bar for the current step: a rich
    ``Progress`` fed from the start, so the estimate of the time left is ready when it shows, and put
    on the screen by a timer thread after ``delay`` seconds, unless the job ended first, then redrawn
    by rich's own thread.

    With ``threads=False`` it starts no thread at all: the calls themselves put it on the screen (the
    first one after ``delay`` seconds) and redraw it (at most every :data:`REDRAW_SECONDS`), so that
    the work may fork worker processes while it is up (a process that runs another thread must not
    fork: see :func:`tagline.corpus.workers.only_thread`). Its clock then moves only as the work
    calls, which suits work that calls often (a part of an export)."""

    def __init__(self, delay: float, *, threads: bool = True) -> None:
        # stdout carries the command's data (--json): nothing of the bar's goes there. Lines written to
        # stderr while the bar is up (warnings) are printed above it.
        # One line at any width: the columns never wrap (rich would wrap the times onto a second line
        # at 80 columns once the counts reach the hundred thousands); the bar narrows first, then the
        # text is cut with an ellipsis.
        self._bars = Progress(TextColumn("{task.description}", table_column=_one_line()), BarColumn(),
                              Count(table_column=_one_line()), Times(table_column=_one_line()),
                              console=_NarrowerConsole(**console_settings(stderr=True)), transient=True,
                              redirect_stdout=False, redirect_stderr=True, auto_refresh=threads)
        self._task: TaskID | None = None
        self._step: tuple[int | None, int, str] = (None, 0, "")  # total, done, what
        self._forwarded = 0.0
        self._lock = threading.Lock()
        self._shown = self._closed = False
        self._timer: threading.Timer | None = None
        self._show_at, self._drawn = time.monotonic() + delay, 0.0
        if threads:
            self._timer = threading.Timer(delay, self._show)
            self._timer.daemon = True
            self._timer.start()

    def __call__(self, done: int, total: int | None, what: str) -> None:
        last_total, last_done, last_what = self._step
        now = time.monotonic()
        if self._task is None or total != last_total or done < last_done or (done == 0 and what != last_what):
            # A new step: its own bar, clock and estimate.
            if self._task is not None:
                self._bars.remove_task(self._task)
            self._task = self._bars.add_task(what, total=total, completed=done)
        elif what != last_what or done == total or now - self._forwarded >= FORWARD_SECONDS:
            self._bars.update(self._task, completed=done, description=what)
        else:
            return
        self._step, self._forwarded = (total, done, what), now
        if self._timer is None:
            self._draw(now)

    def _draw(self, now: float) -> None:
        """Without threads: show the bar once its delay is over, and redraw it now and then."""
        if not self._shown:
            if now >= self._show_at:
                self._drawn = now
                self._show()  # draws it
        elif now - self._drawn >= REDRAW_SECONDS:
            self._drawn = now
            self._bars.refresh()

    def _show(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._shown = True
            try:
                self._bars.start()
            except BaseException:  # Ctrl-C while a paused terminal (Ctrl-S) held its first write
                self._shown = False
                self._take_down_half_shown()
                raise

    def _take_down_half_shown(self) -> None:
        """Undo what a start cut short did (stderr redirected, the cursor hidden), as far as it got:
        rich's own stop would fail on what the start had not done yet (its render hook), and that
        error would replace the interruption."""
        with contextlib.suppress(Exception):
            self._bars.stop()
        with contextlib.suppress(Exception):
            self._bars.console.show_cursor(True)

    def close(self) -> None:
        """Take the bar off the screen and give the cursor back. Under a command's interrupt guard, a
        Ctrl-C pressed again meanwhile waits until this is done."""
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._closed = True
            if not self._shown:
                return
        with deferred():
            try:
                self._bars.stop()
            finally:
                self._bars.console.show_cursor(True)


class Count(ProgressColumn):
    """``12,000/50,000``; nothing for a step that is not counted."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        return Text(f"{int(task.completed):,}/{int(task.total):,}", style="progress.download")


class Times(ProgressColumn):
    """``0:00:12 elapsed, 0:00:31 left`` for the current step (``-:--:-- left`` until its pace is known);
    only the time elapsed for a step that is not counted."""

    max_refresh = 0.5  # an estimate that changes ten times a second cannot be read

    def render(self, task: Task) -> Text:
        elapsed = f"{_clock(task.elapsed)} elapsed"
        if task.total is None:
            return Text(elapsed, style="progress.elapsed")
        left = task.time_remaining
        return Text.assemble((elapsed, "progress.elapsed"), ", ",
                             (f"{_clock(left) if left is not None else '-:--:--'} left", "progress.remaining"))


def _one_line() -> Column:
    return Column(no_wrap=True, overflow="ellipsis")


def _clock(seconds: float | None) -> str:
    minutes, whole_seconds = divmod(int(seconds or 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{whole_seconds:02d}"


class _NarrowerConsole(Console):
    """A console :data:`FREE_COLUMNS` narrower than the terminal, as wide as it is at each redraw."""

    @property
    def size(self) -> ConsoleDimensions:
        width, height = Console.size.fget(self)  # type: ignore[attr-defined]
        return ConsoleDimensions(max(width - FREE_COLUMNS, 1), height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]

