"""The ``tagline`` command: a thin Click layer over the library; subcommand modules load on demand."""

from __future__ import annotations

import contextlib
import importlib
import signal
import sys
import warnings
from collections.abc import Iterator
from typing import TextIO

import click

from tagline import __version__
from tagline.errors import Interrupted, TaglineError

# name -> "module:attribute"; modules are imported only when the command is used or listed.
COMMANDS = {
    "init": "tagline.cli.init:init_cli",
    "corpus": "tagline.cli.corpus:corpus",
    "annotate": "tagline.cli.annotate:annotate",
    "validate": "tagline.cli.validate:validate_cli",
    "eval": "tagline.cli.eval:eval_group",
    "demo": "tagline.cli.demo:demo_cli",
    "bench": "tagline.cli.bench:bench_cli",
}


class LazyGroup(click.Group):
    """A group whose subcommands live in modules imported only when needed."""

    def __init__(self, *args, lazy_commands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands or {}

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        if name:  # the words after `tagline` (or `python -m tagline`) of the command that runs
            words = ctx.command_path[len(ctx.find_root().command_path):].split()
            ctx.meta["tagline.command"] = " ".join([*words, name])
        return name, command, rest

    def get_command(self, ctx, name):
        if name in self.lazy_commands:
            module_name, attribute = self.lazy_commands[name].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, name)


# The status of a command whose reader went away (`tagline ... | head`): what a shell reports for a
# process SIGPIPE ended, 128 + 13, as for `yes | head`.
BROKEN_PIPE_STATUS = 141


class ProjectError(click.ClickException):
    """A :class:`TaglineError` on its way out: ``Error: …`` on stderr, exit code 2."""

    exit_code = 2


class OneLineUsageError(click.UsageError):
    """A usage error as one ``Error: …`` line that says where help is, not click's usage block."""

    def __init__(self, error: click.UsageError) -> None:
        message = " ".join(error.format_message().split())  # click lists a missing option's choices a line each
        if error.ctx is not None and "--help" not in message:
            message = f"{message.rstrip('.')} (see `{error.ctx.command_path} --help`)"
        super().__init__(message)  # without a context, show() prints the one line, not the usage block


class RootGroup(LazyGroup):
    """The ``tagline`` group: renders the project's errors and interrupts once, and prints Python
    warnings while a command runs."""

    def make_context(self, info_name, args, parent=None, **extra):
        # The group's own --help and --version print while its options are parsed, before invoke:
        # their output is written whole or fails as a command's does.
        from tagline.cli.output import whole_standard_output

        with whole_standard_output():
            try:
                return super().make_context(info_name, args, parent, **extra)
            except click.UsageError as error:
                raise OneLineUsageError(error) from None
            except OSError as error:
                _standard_output_failed(error)
                raise

    def invoke(self, ctx):
        from tagline.cli.output import whole_standard_output

        with _warnings_printed(), whole_standard_output():
            return self._invoke_rendering_errors(ctx)

    def _invoke_rendering_errors(self, ctx):
        from tagline.interrupts import forget_saved, work_saved

        forget_saved()
        try:
            return super().invoke(ctx)
        except TaglineError as error:
            if ctx.meta.get("tagline.debug"):
                raise
            raise ProjectError(error.render()) from None
        except KeyboardInterrupt as stopped:
            # Work that cleaned up after a Ctrl-C or SIGTERM: one line, and the status a shell
            # gives a process that signal ended (130, 143), so scripts see it was stopped. A Ctrl-C
            # outside any guarded work (as the command starts) is one too, not click's "Aborted!" and 1.
            if ctx.meta.get("tagline.debug") and not isinstance(stopped, Interrupted):
                raise
            interrupted = stopped if isinstance(stopped, Interrupted) else Interrupted(signal.SIGINT)
            command = ctx.meta.get("tagline.command", "tagline")
            if work_saved() and not isinstance(stopped, Interrupted):
                # Past its point of no return, out of its guard: the Ctrl-C cut short only its report
                # (still 130: a script reading that report gets it incomplete).
                _say_if_possible(f"Interrupted after saving: {command} had finished its work, which is saved; "
                                 "only its report was cut short")
            else:
                _say_if_possible(f"Interrupted: {command} {interrupted}")
            ctx.exit(interrupted.exit_code)
        except click.UsageError as error:
            raise OneLineUsageError(error) from None
        except BrokenPipeError as error:
            _standard_output_failed(error)
            raise
        except OSError as error:
            # Disk full, permission denied...: say where, keep the traceback for --debug.
            if ctx.meta.get("tagline.debug"):
                raise
            _standard_output_failed(error)
            where = f"{_written_name(error.filename)}: " if error.filename else ""
            raise ProjectError(f"{where}{error.strerror or error} (check the path, its folder and its permissions)") \
                from None
        except Exception as error:
            if ctx.meta.get("tagline.debug") or not _worker_killed(error):
                raise
            # The work a command does in workers is undone with the command's other work: a killed
            # worker stops it as an error would, so nothing it had not finished is saved.
            raise ProjectError("a worker process of this command ended abruptly (killed, as the out-of-memory killer "
                               "does); nothing the command had not finished was saved (free some memory, or run "
                               "it again)") from None


def _worker_killed(error: Exception) -> bool:
    """Whether ``error`` says that a worker process of the command was killed (``BrokenProcessPool``).
    Its module is looked up rather than imported: a command that started no worker never loaded it."""
    process = sys.modules.get("concurrent.futures.process")
    return process is not None and isinstance(error, process.BrokenProcessPool)


def _standard_output_failed(error: OSError) -> None:
    """Raise what ends a command whose standard output failed with ``error``, if it did: a reader
    gone (`| head`) stops it quietly, as Unix tools do, with the status a shell gives one that SIGPIPE
    ended (141), so that `set -o pipefail` sees the output is not whole; any other failure (a full
    disk, an I/O error, a closed standard output) is one ``Error:`` line and status 2. Returns for an
    error of another file."""
    from tagline.cli.output import STANDARD_OUTPUT

    if isinstance(error, BrokenPipeError):
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise click.exceptions.Exit(BROKEN_PIPE_STATUS)
    if error.filename == STANDARD_OUTPUT:
        from tagline.errors import storage_error

        raise ProjectError(storage_error(STANDARD_OUTPUT, error, kept="the output is cut short").render()) from None


def _say_if_possible(line: str) -> None:
    """Print ``line`` on stderr unless it cannot be written (the terminal a SIGHUP came from is closed):
    what is left of it then goes to the null device, so that the flush at exit does not fail again
    and end the process with Python's status 120 rather than the one the command chose."""
    try:
        click.echo(line, err=True)
    except OSError:
        import os

        with contextlib.suppress(OSError, ValueError, AttributeError):
            null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
            os.dup2(null, sys.stderr.fileno())
            os.close(null)
            sys.stderr.flush()


def _written_name(filename) -> str:
    """The file a user asked for, not the temporary file an atomic write goes through
    (``.name.<pid>.tmp`` beside it)."""
    import re
    from pathlib import Path

    path = Path(str(filename))
    match = re.fullmatch(r"\.(.+)\.\d+\.tmp", path.name)
    return str(path.with_name(match.group(1))) if match else str(path)


@contextlib.contextmanager
def _warnings_printed() -> Iterator[None]:
    """Python warnings as ``Warning: …`` lines on stderr while a command runs, each text once: a
    library's warning given again for every baseline or fold (scikit-learn's about a class too rare
    for the folds, under ``catch_warnings``, which forgets what was shown) is said once. The hook
    found before comes back afterwards, so a program (or a test) that calls the CLI keeps its own."""
    shown: set[str] = set()

    def show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                     file: TextIO | None = None, line: str | None = None) -> None:
        from tagline.cli.output import say

        text = f"Warning: {message}"
        if text not in shown:
            shown.add(text)
            say(text)  # above a progress bar, if one is up

    previous = warnings.showwarning
    warnings.showwarning = show_warning
    try:
        yield
    finally:
        warnings.showwarning = previous


@click.group(cls=RootGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tagline")
@click.option("--debug", is_flag=True, help="Show a traceback when something goes wrong.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Build an annotated sentence corpus from the terminal and benchmark classifiers on it.

    \b
    A typical session:
      tagline init news --sample      make a workspace holding the sample article
      cd news
      tagline corpus stats            sentences, documents, characters
      tagline annotate --annotator alice
      tagline validate                check every file against its schema
    """
    ctx.meta["tagline.debug"] = debug
    from tagline.corpus.workers import process_ends_with_command

    process_ends_with_command()  # (the process ends with the command: nothing to give back at its end)


def run() -> None:  # pragma: no cover - console entry for `python -m tagline`
    sys.exit(main())
