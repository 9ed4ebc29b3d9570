"""Shared CLI plumbing: option decorators, the workspace lookup, JSON on stdout, messages and progress bars
on stderr."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import sys

import click

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which --help does not need
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, TextIO

    from tagline.corpus.progress import ProgressCallback

# A job shorter than this draws no bar: one that flashes and vanishes is noise.
PROGRESS_DELAY_SECONDS = 2.0
# Seconds before the bar shows, instead of PROGRESS_DELAY_SECONDS (0: at once); the tests use it to see
# a bar on a short job.
PROGRESS_DELAY_VARIABLE = "TAGLINE_PROGRESS_DELAY"


def json_option(function):
    """Add ``--json``: print one JSON document (or JSON lines for record streams) on stdout."""
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")(function)


def workspace_option(function):
    """Add ``--workspace DIR`` (default: ``$TAGLINE_WORKSPACE``, else the nearest ``tagline.toml``
    above the current directory) and pass the :class:`Workspace` as ``workspace``."""

    @click.option("--workspace", "-w", "workspace_dir", metavar="DIR", envvar="TAGLINE_WORKSPACE",
                  type=click.Path(file_okay=False), help="The workspace (default: found from the current directory).")
    @functools.wraps(function)
    def wrapper(*args, workspace_dir: str | None = None, **kwargs):
        from tagline.corpus.workspace import find_workspace

        workspace = find_workspace(workspace_dir)
        _ = workspace.config  # validated on every load: a broken tagline.toml stops every command
        return function(*args, workspace=workspace, **kwargs)

    return wrapper


def execution_options(function):
    """Add ``--jobs N``, ``--backend local|dask`` and ``--scheduler ADDRESS``, passed on as
    ``execution_overrides`` for ``Execution.with_overrides`` (they override ``[execution]`` in
    tagline.toml)."""

    @click.option("--jobs", "-j", type=click.IntRange(1, None), default=None, metavar="N",
                  help="Worker processes on this machine (default: [execution] jobs in tagline.toml, else 1 for "
                       "eval run and one per core for a large build); with Dask, the most tasks sent at once.")
    @click.option("--backend", type=click.Choice(["local", "dask"]), default=None,
                  help="Where the tasks run: local processes, or a Dask cluster (pip install 'tagline[dask]'); "
                       "default: [execution] backend in tagline.toml, else local. See docs/scaling.md.")
    @click.option("--scheduler", metavar="ADDRESS", default=None,
                  help="The Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --backend dask; default: [execution] "
                       "scheduler in tagline.toml, else DASK_SCHEDULER_ADDRESS).")
    @functools.wraps(function)
    def wrapper(*args, jobs: int | None = None, backend: str | None = None, scheduler: str | None = None, **kwargs):
        return function(*args, execution_overrides={"jobs": jobs, "backend": backend, "scheduler": scheduler},
                        **kwargs)

    return wrapper


STANDARD_OUTPUT = "standard output"
"""The name an error writing the command's output carries (``OSError.filename``)."""


class _WholeWrites(io.RawIOBase):
    """The bytes of standard output (a file descriptor it does not own), each write written whole or
    an :class:`OSError` naming :data:`STANDARD_OUTPUT`. Python's own unbuffered stdout
    (``PYTHONUNBUFFERED``, ``python -u``, as container images often set) returns a short count when
    the disk fills, which its text layer ignores: the output would end cut short, silently."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data) -> int:  # always the whole size
        view = memoryview(data).cast("B")
        size = len(view)
        while view:
            try:
                written = os.write(self._fd, view)
            except BlockingIOError:  # a pipe left non-blocking by the program that started us, and full
                import select

                select.select([], [self._fd], [])
                continue
            except OSError as error:  # BrokenPipeError stays one: OSError picks the class by errno
                raise OSError(error.errno, error.strerror, STANDARD_OUTPUT) from None
            view = view[written:]
        return size


@contextlib.contextmanager
def whole_standard_output() -> Iterator[None]:
    """For the duration of the block, the process's standard output (when it is a file or a pipe)
    writes every byte or raises: what a command prints is written at once (no buffer left to a
    flush at exit, where an error can no longer change the status), a short write is finished, and a
    failure is an :class:`OSError` whose ``filename`` is :data:`STANDARD_OUTPUT` (a standard output
    closed when the process started too, rather than output dropped silently). A terminal, or a
    stream a caller put in place of the process's own (a test's), is left as it is."""
    stream = sys.stdout
    if stream is None and sys.__stdout__ is None:  # started with standard output closed (`>&-`)
        # Writes fail (EBADF) rather than vanish; -1, not 1, which the process may have opened as another file.
        sys.stdout = io.TextIOWrapper(_WholeWrites(-1), encoding="utf-8", write_through=True)
        try:
            yield
        finally:
            sys.stdout = stream
        return
    try:
        own = stream is sys.__stdout__ and isinstance(stream, io.TextIOWrapper) and not stream.isatty()
        fd = stream.fileno() if own else -1
    except (AttributeError, OSError, ValueError):  # no descriptor, or closed
        own = False
    if not own:
        yield
        return
    stream.flush()
    sys.stdout = io.TextIOWrapper(_WholeWrites(fd), encoding=stream.encoding, errors=stream.errors,
                                  line_buffering=bool(stream.line_buffering), write_through=True)
    try:
        yield
    finally:
        sys.stdout = stream


def emit_json(document) -> None:
    """Print one JSON document on stdout."""
    click.echo(indented_json(document))


def indented_json(document) -> str:
    """``json.dumps(document, ensure_ascii=False, indent=2)``, made by orjson when the two write the
    document alike (their compact forms are the same): with ``indent`` the standard library encodes
    in Python, most of a minute for the contested questions of a million sentences. Where they differ
    (a float written in an exponent, NaN, keys that are not strings, an object only one of them
    takes) the standard library writes it."""
    import orjson

    try:
        fast = orjson.dumps(document, option=orjson.OPT_INDENT_2)
        same = orjson.dumps(document) == json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError; a lone surrogate a ValueError
        same = False
    return fast.decode() if same else json.dumps(document, ensure_ascii=False, indent=2)


def emit_jsonl(records) -> None:
    """Print records as JSON lines on stdout."""
    for record in records:
        click.echo(json.dumps(record, ensure_ascii=False))


@contextlib.contextmanager
def interruptible(detail: str = "nothing was written") -> Iterator[None]:
    """Run the block under one interrupt guard: Ctrl-C (or SIGTERM) stops its work, which cleans up
    after itself (workers stopped, transactions undone), and the command ends with one line,
    ``Interrupted: <command> stopped; <detail>``, and status 130 (143), rather than click's `Aborted!`
    with status 1. Work that commits its guard (a written gold, a build in place) is not reported as
    stopped by a later signal."""
    from tagline.interrupts import Interrupted, interrupt_guard

    try:
        with interrupt_guard():
            yield
    except Interrupted as stopped:
        if stopped.detail:
            raise
        raise Interrupted(stopped.signum, detail) from None


def say(message: str) -> None:
    """A human message on stderr (data goes to stdout). Written to ``sys.stderr`` itself, which a progress
    bar replaces while it is up so that lines go above it (``err=True`` would find the stream beneath)."""
    click.echo(message, file=sys.stderr)


def fitted(line: str, indent: str = "") -> str:
    """``line`` (each of its lines) wrapped at word breaks to the terminal's width, the further rows
    indented by ``indent``, when stdout is a terminal (which would cut words where the row ends); elsewhere
    as it is, one line for `grep` and friends."""
    if not (hasattr(sys.stdout, "isatty") and sys.stdout.isatty()):
        return line
    import shutil
    import textwrap

    width = max(20, shutil.get_terminal_size().columns)
    return "\n".join("\n".join(textwrap.wrap(part, width=width, subsequent_indent=indent, break_long_words=False,
                                             break_on_hyphens=False)) or part for part in line.split("\n"))


def console(stderr: bool = False):
    """A rich console for tables; on stdout unless asked otherwise. Output that goes to a file or a
    pipe is not cut to 80 columns (rich's default without a terminal): ids and paths stay whole
    for `grep`, `cut` and friends. ``COLUMNS`` still sets the width when given."""
    from rich.console import Console

    return Console(**console_settings(stderr))


def console_settings(stderr: bool = False) -> dict[str, Any]:
    """What :func:`console` makes its console with (for a console of another class)."""
    stream = sys.stderr if stderr else sys.stdout
    piped = not (hasattr(stream, "isatty") and stream.isatty()) and not os.environ.get("COLUMNS")
    return {"stderr": stderr, "highlight": False, "soft_wrap": False, "file": sys.stderr if stderr else None,
            "width": _PIPED_WIDTH if piped else None}


_PIPED_WIDTH = 1000  # wide enough for any row tagline prints


def print_table(renderable, stderr: bool = False) -> None:
    """Print a rich table (or any renderable) without the trailing blanks rich pads lines with."""
    terminal = console(stderr)
    with terminal.capture() as captured:
        terminal.print(renderable)
    text = "\n".join(line.rstrip() for line in captured.get().split("\n"))
    (sys.stderr if stderr else sys.stdout).write(text)


def draws_bars(stream: TextIO | None = None) -> bool:
    """Whether a progress bar may be drawn on ``stream`` (default: stderr): a terminal that can move the
    cursor. A pipe, a file and ``TERM=dumb`` (Emacs' shell, some CI logs) get only the command's summary."""
    stream = stream if stream is not None else sys.stderr
    try:
        terminal = bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False
    return terminal and os.environ.get("TERM", "").lower() not in ("dumb", "unknown")


@contextlib.contextmanager
def progress_bar(*, threads: bool = True) -> Iterator[ProgressCallback]:
    """The :class:`~tagline.corpus.progress.ProgressCallback` to hand the library for one long job.

    On a terminal, a bar with the step, its count, the time it has taken and an estimate of the time
    it has left is drawn on stderr once the job has run :func:`progress_delay` seconds, and erased when
    the block ends, however it ends (Ctrl-C included), before the command prints its summary. Elsewhere
    the callback does nothing and rich is not even imported. Colour is rich's, which leaves it out
    under ``NO_COLOR``. ``threads=False`` draws it from the library's calls alone, for work that forks
    worker processes (see :class:`~tagline.cli.bars.DelayedBar`).
    """
    from tagline.corpus.progress import no_progress

    delay = progress_delay()  # checked everywhere, so a mistyped value is found in a pipe too
    if not draws_bars():
        yield no_progress
        return
    from tagline.cli.bars import DelayedBar

    bar = DelayedBar(delay, threads=threads)
    try:
        yield bar
    finally:
        bar.close()


def progress_delay() -> float:
    """How long a job runs before its bar shows: ``$TAGLINE_PROGRESS_DELAY`` seconds if set, else
    :data:`PROGRESS_DELAY_SECONDS`."""
    import math

    text = os.environ.get(PROGRESS_DELAY_VARIABLE, "").strip()
    if not text:
        return PROGRESS_DELAY_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds < math.inf:
        from tagline.errors import InputError

        raise InputError(f"{text!r} is not a number of seconds", where=f"${PROGRESS_DELAY_VARIABLE}",
                         fix=f"set it to a number such as 0.5, or unset it for {PROGRESS_DELAY_SECONDS:g} s")
    return seconds
