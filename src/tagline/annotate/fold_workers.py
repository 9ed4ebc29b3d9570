"""The answer files of several annotators folded at once, one file per worker process: the first
agreement or adjudication after answers were added reads a large file in each of the cores.

A worker folds a file with codes of its own (:class:`~tagline.annotate.columns.Names`) and saves
the fold; the command reads it, and turns its codes into the command's, only when it comes to that
annotator, as it does any saved fold, so that every code, and so every report, is the one the files
folded in turn give."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tagline.annotate.columns import Folded

PARALLEL_FOLD_MIN_BYTES = 256 << 20
"""A smaller answer file is folded in the command's own process: a worker's start-up and the fold it
sends back cost about half a second of CPU each, and at 100,000 sentences (75 MB a file) the three
files folded in workers took 1.4 s more CPU than in turn (6.5 s against 5.0 s) for no gain in time
on a loaded machine."""


def fold_in_worker(root: str, path: str, corpus_stamp: str, key: str) -> tuple[Folded, list[str]] | None:
    """Run in a worker: fold answer file ``path`` of the workspace at ``root`` and save the fold at
    ``key`` (taken by the command before the file was read), which the command then reads as any
    saved fold, so that it holds no fold while the others are made. The fold and the names its
    codes stand for are sent back only when it could not be saved; None when it was, when the
    corpus is not the one the command read (``corpus_stamp``), or when Arrow does not fold the file
    (the command then reads it itself)."""
    from pathlib import Path

    from tagline.annotate.columns import Names, _corpus_stamp, _fold_file
    from tagline.annotate.event_columns import expected_names
    from tagline.annotate.fold_cache import has_fold, save_fold
    from tagline.corpus.sentence_table import sentence_ids
    from tagline.corpus.workspace import Workspace

    workspace = Workspace(root)
    if _corpus_stamp(workspace) != corpus_stamp:
        return None
    ids = sentence_ids(workspace)["id"].combine_chunks()
    if _corpus_stamp(workspace) != corpus_stamp:
        return None
    names = Names()
    folded = _fold_file(path, ids, names, expected_names(workspace))
    if folded is None:
        return None
    save_fold(workspace, Path(path), folded, names, key)
    return None if has_fold(workspace, Path(path), key) else (folded, names.names)
