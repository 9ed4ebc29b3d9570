"""``tagline validate``: check every file of a workspace against the data contracts."""

from __future__ import annotations

import click

from tagline.cli.output import emit_json, json_option, say, workspace_option
from tagline.wording import plural


@click.command("validate")
@workspace_option
@json_option
def validate_cli(workspace, as_json: bool) -> None:
    """Check every file of the workspace and list every problem as path:line: what is wrong.

    Exits 2 when there is any error; warnings (a torn last line left by a crash, annotations of
    sentences orphaned by a replaced document) are listed but do not fail.
    """
    from tagline.annotate.validate import validate_workspace

    problems = validate_workspace(workspace)
    errors = [p for p in problems if not p.warning]
    if as_json:
        emit_json({"workspace": str(workspace.root), "ok": not errors,
                   "errors": [{"path": p.path, "line": p.line, "message": p.message} for p in errors],
                   "warnings": [{"path": p.path, "line": p.line, "message": p.message}
                                for p in problems if p.warning]})
    else:
        for problem in problems:
            prefix = "warning: " if problem.warning else ""
            location = f"{problem.path}:{problem.line}" if problem.line else problem.path
            click.echo(f"{location}: {prefix}{problem.message}")
        if errors:
            say(f"{plural(len(errors), 'error')} in {workspace.root}")
        else:
            say(f"OK: {workspace.root} is valid" + (f" ({plural(len(problems), 'warning')})" if problems else ""))
    if errors:
        raise SystemExit(2)
