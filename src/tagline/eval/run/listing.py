"""Finding runs: every run of a workspace, one run's folder by its id, and its results checked
against the run schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

from tagline.corpus.workspace import Workspace
from tagline.errors import DataError
from tagline.schemas.records import RunResult


def list_runs(workspace: Workspace, unreadable: list[str] | None = None) -> list[RunResult]:
    """Every run's results, oldest first. A ``results.json`` that cannot be read or does not match
    the run schema is left out, and described in ``unreadable`` when a list is given."""
    runs: list[RunResult] = []
    if not workspace.runs_dir.exists():
        return runs
    for path in sorted(workspace.runs_dir.glob("*/results.json")):
        try:
            runs.append(read_run_result(path.parent))
        except DataError as error:
            if unreadable is not None:
                unreadable.append(f"{path}: {error.what}")
    return runs


def read_run_result(directory: Path) -> RunResult:
    """A run's ``results.json``, checked against the run schema; a :class:`DataError` when it cannot
    be read or is not a run result."""
    from tagline.schemas import schema_errors

    path = directory / "results.json"
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        problem = getattr(error, "strerror", None) or getattr(error, "msg", None) or str(error)
        raise DataError(f"cannot be read ({problem})", where=str(path),
                        fix="run it again, or delete the run's folder") from None
    errors = schema_errors("run", result)
    if errors:
        raise DataError(f"not a run result ({errors[0]})", where=str(path),
                        fix="run it again, or delete the run's folder")
    return cast(RunResult, result)  # the schema checked it


def find_run(workspace: Workspace, run_id: str) -> Path:
    """The folder of the run ``run_id`` (a run id in ``runs/``, or a run's folder); a :class:`DataError`
    naming the latest runs when there is none."""
    directory = Path(run_id) if Path(run_id).is_dir() else workspace.runs_dir / run_id
    if not (directory / "results.json").exists():
        known = [r["run_id"] for r in list_runs(workspace)][-5:]
        raise DataError(f"no run {run_id!r}", where=str(workspace.runs_dir),
                        fix="see `tagline eval runs`" + (f"; recent: {', '.join(known)}" if known else ""))
    return directory
