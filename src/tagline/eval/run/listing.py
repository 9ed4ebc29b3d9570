"""Finding runs: every run of a workspace, one run's folder by its id, and its results checked
against the run schema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import cast

from tagline.corpus.workspace import Workspace
from tagline.errors import DataError, takes_workspace
from tagline.schemas.records import RunResult

_LATEST = re.compile(r"latest(?:~(\d+))?")


@takes_workspace
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
    """The folder of a run named by its id, a unique beginning of its id, ``latest`` (the newest run),
    ``latest~N`` (the one N runs before it), or its folder; a :class:`DataError` naming the latest runs
    when there is none, and the candidates when a beginning fits several.

    Examples
    --------
    >>> find_run(workspace, "latest~1")  # doctest: +SKIP
    PosixPath('.../runs/20261206T101500Z-claim_type-majority')
    """
    if Path(run_id).is_dir() and (Path(run_id) / "results.json").exists():
        return Path(run_id)
    if (workspace.runs_dir / run_id / "results.json").exists():
        return workspace.runs_dir / run_id
    runs = sorted(list_runs(workspace), key=lambda run: (run["created"], run["run_id"]))
    recent = ", ".join(run["run_id"] for run in runs[-5:])
    fix = "see `tagline eval runs`" + (f"; recent: {recent}" if recent else "")
    match = _LATEST.fullmatch(run_id)
    if match:
        back = int(match.group(1) or 0)
        if back >= len(runs):
            raise DataError(f"there are {len(runs)} runs, so no {run_id!r}", where=str(workspace.runs_dir), fix=fix)
        return workspace.runs_dir / runs[-1 - back]["run_id"]
    fitting = [run["run_id"] for run in runs if run["run_id"].startswith(run_id)] if run_id else []
    if len(fitting) > 1:
        raise DataError(f"{run_id!r} begins {len(fitting)} run ids ({', '.join(fitting[:4])}"
                        f"{', …' if len(fitting) > 4 else ''})", where=str(workspace.runs_dir),
                        fix="give more of the id, or latest / latest~N")
    if not fitting:
        raise DataError(f"no run {run_id!r}", where=str(workspace.runs_dir), fix=fix)
    return workspace.runs_dir / fitting[0]
