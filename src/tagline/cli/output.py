"""Shared CLI plumbing: option decorators, the workspace lookup, JSON on stdout, messages on stderr."""

from __future__ import annotations

import functools
import json
import sys

import click


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


def emit_json(document) -> None:
    """Print one JSON document on stdout."""
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


def emit_jsonl(records) -> None:
    """Print records as JSON lines on stdout."""
    for record in records:
        click.echo(json.dumps(record, ensure_ascii=False))


def say(message: str) -> None:
    """A human message on stderr (data goes to stdout)."""
    click.echo(message, err=True)


def console(stderr: bool = False):
    """A rich console for tables; on stdout unless asked otherwise. Output that goes to a file or a
    pipe is not cut to 80 columns (rich's default without a terminal): ids and paths stay whole
    for `grep`, `cut` and friends. ``COLUMNS`` still sets the width when given."""
    import os

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    piped = not (hasattr(stream, "isatty") and stream.isatty()) and not os.environ.get("COLUMNS")
    return Console(stderr=stderr, highlight=False, soft_wrap=False, file=sys.stderr if stderr else None,
                   width=_PIPED_WIDTH if piped else None)


_PIPED_WIDTH = 1000  # wide enough for any row tagline prints


def print_table(renderable, stderr: bool = False) -> None:
    """Print a rich table (or any renderable) without the trailing blanks rich pads lines with."""
    terminal = console(stderr)
    with terminal.capture() as captured:
        terminal.print(renderable)
    text = "\n".join(line.rstrip() for line in captured.get().split("\n"))
    (sys.stderr if stderr else sys.stdout).write(text)
