"""Shell completion of values that live in the workspace: run ids and annotator names.

Each is a folder listing and nothing more: the workspace is not opened (opening one finishes an
interrupted write, and pressing Tab must never write), no file is parsed, and a missing or broken
workspace completes nothing rather than printing an error into the shell's line.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which --help does not need
if TYPE_CHECKING:
    from pathlib import Path

    import click


def _workspace_root(ctx: click.Context) -> Path | None:
    """The workspace as commands find it (``--workspace``, ``$TAGLINE_WORKSPACE``, the nearest
    ``tagline.toml`` above the current directory), without opening it."""
    from pathlib import Path

    # `annotate --workspace DIR label ...` gives it to the group, other commands to themselves.
    given = (context.params.get("workspace_dir") for context in _chain(ctx))
    chosen = next((value for value in given if value), None) or os.environ.get("TAGLINE_WORKSPACE")
    if chosen:
        root = Path(chosen).expanduser()
        return root if (root / "tagline.toml").is_file() else None
    here = Path.cwd()
    return next((folder for folder in (here, *here.parents) if (folder / "tagline.toml").is_file()), None)


def _chain(ctx: click.Context | None) -> list[click.Context]:
    """The context and those of the groups above it."""
    chain = []
    while ctx is not None:
        chain.append(ctx)
        ctx = ctx.parent
    return chain


def _annotators(ctx: click.Context) -> list[str]:
    """The annotators with an answer file in ``annotations/``, sorted; none on any error."""
    try:
        root = _workspace_root(ctx)
        return sorted(path.stem for path in (root / "annotations").glob("*.jsonl")) if root else []
    except OSError:
        return []


def run_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """The runs in ``runs/`` (those with a ``results.json``), and ``latest`` when there is one."""
    try:
        root = _workspace_root(ctx)
        runs = sorted(path.parent.name for path in (root / "runs").glob("*/results.json")) if root else []
    except OSError:
        return []
    return [name for name in (["latest"] if runs else []) + runs if name.startswith(incomplete)]


def annotator_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """The annotators with an answer file in ``annotations/``."""
    return [name for name in _annotators(ctx) if name.startswith(incomplete)]


def annotator_lists(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """``A,B,...`` options: the names not yet in the list, after what is typed."""
    typed, _, last = incomplete.rpartition(",")
    already = set(typed.split(",")) if typed else set()
    return [f"{typed},{name}" if typed else name for name in _annotators(ctx)
            if name.startswith(last) and name not in already]
