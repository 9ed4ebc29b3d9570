"""The suggestion sources, in one registry: ``builtin`` (the project's baselines trained on the gold
and the annotator's answers so far), ``run:RUN_ID`` (a model ``eval run`` saved), ``file:PATH`` (a
predictions file) and ``cmd:COMMAND`` (an external program). The CLI's ``--suggest`` choices, the
docs table and the tests come from :data:`SOURCES`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tagline.errors import InputError, require_count, takes_workspace

if TYPE_CHECKING:  # the CLI reads this registry for its help without loading a workspace
    from tagline.annotate.suggest import Suggester
    from tagline.corpus.workspace import Workspace

RETRAIN_EVERY = 20
"""After how many new answers ``builtin`` trains its models again, unless told otherwise."""


@dataclass(frozen=True)
class SourceSpec:
    """One kind of suggestion source: how it is named on the command line and what makes it."""

    name: str
    syntax: str
    description: str
    factory: str  # "module:function", called as factory(workspace, argument, annotator=...)
    takes_argument: bool


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("builtin", "builtin",
               "the project's baselines (per-target stance and claim-type TF-IDF logistic regression, CRF "
               "for entities) trained on the gold and the annotator's answers so far, and retrained in the "
               "background as answers come", "tagline.eval.builtin_suggester:open_builtin", False),
    SourceSpec("run", "run:RUN_ID", "the model a run of `tagline eval run` saved",
               "tagline.eval.builtin_suggester:open_run", True),
    SourceSpec("file", "file:PATH", "predictions in the format `eval predict` writes and `eval score` reads, "
               "made by any model anywhere", "tagline.eval.suggesters:_open_file", True),
    SourceSpec("cmd", 'cmd:"COMMAND"', "an external program speaking the JSON-lines protocol of "
               "docs/suggestions.md, started once and fed in batches", "tagline.eval.suggesters:_open_command",
               True),
)


@takes_workspace
def open_suggester(spec: str, workspace: Workspace, *, annotator: str | None = None,
                   timeout: float = 30.0, retrain_every: int | None = None) -> Suggester:
    """The suggester a ``--suggest`` value names: ``builtin``, ``run:RUN_ID``, ``file:PATH`` or
    ``cmd:COMMAND``. ``annotator``: whose answers ``builtin`` also learns from; ``retrain_every``:
    after how many new answers it trains again (default :data:`RETRAIN_EVERY`); ``timeout``: seconds a ``cmd:``
    program may take for a batch.

    Examples
    --------
    >>> open_suggester("file:predictions.jsonl", workspace)  # doctest: +SKIP
    <tagline.annotate.sources.FileSuggester object at ...>
    """
    name, separator, argument = spec.partition(":")
    source = next((source for source in SOURCES if source.name == name), None)
    if source is None:
        raise InputError(f"unknown suggestion source {spec!r}",
                         fix=f"use one of {', '.join(source.syntax for source in SOURCES)}")
    if source.takes_argument and not (separator and argument.strip()):
        raise InputError(f"{name} needs an argument: {source.syntax}", fix=f"for example {source.syntax}")
    if not source.takes_argument and separator:
        raise InputError(f"{name} takes no argument", fix=f"write {source.syntax}")
    module_name, function = source.factory.split(":")
    factory: Callable[..., Suggester] = getattr(importlib.import_module(module_name), function)
    if retrain_every is not None:
        require_count("retrain_every", retrain_every)
    return factory(workspace, argument, annotator=annotator, timeout=timeout, retrain_every=retrain_every)


def _open_file(workspace: Workspace, argument: str, **_: object) -> Suggester:
    from tagline.annotate.sources import FileSuggester

    return FileSuggester(argument, workspace.config)


def _open_command(workspace: Workspace, argument: str, *, timeout: float = 30.0, **_: object) -> Suggester:
    from tagline.annotate.sources import CommandSuggester

    return CommandSuggester(argument, workspace.config, timeout=timeout)


def machine_name(source: str) -> str:
    """A machine annotator's default name for a source: ``model-builtin``, ``model-file-preds.jsonl``."""
    import re

    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", source).strip("-.") or "source"
    return f"model-{cleaned}"[:64]


TABLE_BEGIN = ("<!-- sources table: made from the registry by "
               "`python -m tagline.eval.suggesters docs/suggestions.md` -->")
TABLE_END = "<!-- end of the sources table -->"


def sources_table() -> str:
    """The table of suggestion sources in ``docs/suggestions.md``, between its marker comments."""
    rows = [f"| `{source.syntax}` | {source.description} |" for source in SOURCES]
    return "\n".join([TABLE_BEGIN, "", "| source | what suggests |", "|---|---|", *rows, "", TABLE_END])


def with_sources_table(page: str) -> str:
    """``page`` with its sources table made anew."""
    start, end = page.index(TABLE_BEGIN), page.index(TABLE_END) + len(TABLE_END)
    return page[:start] + sources_table() + page[end:]


if __name__ == "__main__":  # pragma: no cover - the docs' table maker
    import sys
    from pathlib import Path

    if len(sys.argv) > 1:
        target = Path(sys.argv[1])
        target.write_text(with_sources_table(target.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(sources_table())
