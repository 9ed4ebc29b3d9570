"""A run on disk: its id and folder, written all or nothing (results.json checked against the run
schema, predictions.jsonl, report.md, the confusion-matrix PNG and the model), and the model loaded
back without pickle."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from tagline.corpus.primitives import fsync_directory, make_locked_folder, remove_if_abandoned
from tagline.corpus.store import sweep_temporaries, write_text_atomic
from tagline.corpus.workspace import Workspace
from tagline.errors import DataError
from tagline.eval.run.figure import plot_confusion
from tagline.eval.run.report import run_report
from tagline.schemas.records import RunResult


def versions() -> dict[str, str]:
    """The versions of Python, tagline and the libraries a run's numbers depend on."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("tagline", "scikit-learn", "datasets", "numpy", "pyarrow", "sklearn-crfsuite", "skops"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def new_run_dir(workspace: Workspace, task: str, baseline: str) -> tuple[str, Path]:
    """A run id not yet taken in ``runs/`` and its folder (made by :func:`write_run`)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    run_id = f"{stamp}-{task}-{baseline}"
    directory = workspace.runs_dir / run_id
    counter = 1
    while directory.exists():
        counter += 1
        run_id = f"{stamp}-{task}-{baseline}-{counter}"
        directory = workspace.runs_dir / run_id
    return run_id, directory


def write_run(workspace: Workspace, result: RunResult, *, model: Any = None,
              predictions: list[dict] | None = None) -> Path:
    """Write results.json (checked against the run schema), predictions.jsonl, report.md, the
    confusion-matrix PNG and the model into ``runs/<run_id>``, all or nothing.

    The files are written into a hidden folder beside it and renamed into place at the end, so a
    full disk or Ctrl-C leaves no run folder behind. When another run took the id meanwhile, the
    next free one is used (``result["run_id"]`` is updated).
    """
    import shutil

    from tagline.errors import storage_error
    from tagline.schemas import schema_errors

    problems = schema_errors("run", result)
    if problems:
        raise DataError(f"run result does not match its schema: {problems[0]}", where=result["run_id"])
    workspace.runs_dir.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(workspace.runs_dir)  # the staging folders of runs killed outright (kill -9)
    _sweep_unfilled(workspace.runs_dir)  # and the folders that reserved their ids
    directory, reserved = _reserve_run_dir(workspace, result)
    staging = directory.with_name(f".{directory.name}.{os.getpid()}.tmp")
    held: int | None = None
    placed = False
    try:
        held = make_locked_folder(staging)  # its lock says it is this running write's
        _write_run_files(staging, result, model, predictions)
        _sync_tree(staging)
        os.replace(staging, directory)  # over the empty folder that reserved the id
        placed = True
        fsync_directory(workspace.runs_dir)  # the rename, for a run reported saved to survive a power cut
    except BaseException as error:
        shutil.rmtree(directory if placed else staging, ignore_errors=True)
        if not placed:
            directory.rmdir()
        if isinstance(error, OSError):
            raise storage_error(getattr(error, "filename", None) or directory, error,
                                kept="the run was not saved") from None
        raise
    finally:
        if held is not None:
            os.close(held)
        os.close(reserved)
    return directory


def _sweep_unfilled(runs_dir: Path) -> None:
    """Remove the empty folders that reserved an id for a run killed outright before its files were
    renamed in: a run holds its reserved folder's lock until then, so a folder whose lock is free is
    no running run's (see :func:`~tagline.corpus.primitives.remove_if_abandoned`)."""
    with os.scandir(runs_dir) as entries:
        folders = [entry.path for entry in entries
                   if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False)]
    for folder in folders:
        try:
            with os.scandir(folder) as inside:
                empty = next(inside, None) is None
        except OSError:  # gone meanwhile, or not readable: no reserved id of a run
            continue
        if empty:
            remove_if_abandoned(folder, only_empty=True)


def _sync_tree(folder: Path) -> None:
    """fsync every file of ``folder`` (the predictions and the model are written by code that does not,
    skops and CRFsuite among it) and its folders, before it is renamed into place."""
    for directory, _, names in os.walk(folder):
        for name in names:
            fd = os.open(os.path.join(directory, name), os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_directory(directory)


def _reserve_run_dir(workspace: Workspace, result: RunResult) -> tuple[Path, int]:
    """The run's folder, made empty with its lock held (the descriptor returned) until the run's
    files are renamed over it; another id when this one is taken."""
    base = result["run_id"]
    counter = 1
    while True:
        directory = workspace.runs_dir / result["run_id"]
        try:
            return directory, make_locked_folder(directory)
        except FileExistsError:
            counter += 1
            result["run_id"] = f"{base}-{counter}"


def _write_run_files(directory: Path, result: RunResult, model: Any, predictions: list[dict] | None) -> None:
    if predictions is not None:
        with open(directory / "predictions.jsonl", "w", encoding="utf-8") as handle:
            for row in predictions:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    if model is not None:
        result["model"] = save_model(model, directory)
    if "confusion_matrix" in result:
        plot_confusion(result["confusion_matrix"], directory / "confusion.png",
                       title=f"{result['task']} · {result['baseline']}")
        result["confusion_png"] = "confusion.png"
    write_text_atomic(directory / "report.md", run_report(result))
    write_text_atomic(directory / "results.json", json.dumps(result, ensure_ascii=False, indent=2) + "\n")


def save_model(model: Any, directory: Path) -> str:
    """Save a fitted model without pickle: skops for scikit-learn (vectorizers' vocabularies packed
    as arrays, :mod:`tagline.eval.run.vocabulary`), CRFsuite/JSON files for entities."""
    from tagline.eval.entities import CRFTagger, Gazetteer

    if isinstance(model, Gazetteer):
        model.save(directory / "gazetteer.json")
        return "gazetteer.json"
    if isinstance(model, CRFTagger):
        model.save(directory)
        return "model.crfsuite"
    import skops.io

    from tagline.eval.run.vocabulary import packed_vocabularies

    with packed_vocabularies(model):
        skops.io.dump(model, directory / "model.skops")
    return "model.skops"


def load_model(directory: Path) -> Any:
    """Load a run's model; skops types are trusted only if they come from scikit-learn, numpy,
    scipy or tagline itself."""
    from tagline.eval.entities import CRFTagger, Gazetteer

    if (directory / "gazetteer.json").exists():
        return Gazetteer.load(directory / "gazetteer.json")
    if (directory / "model.crfsuite").exists():
        return CRFTagger.load(directory)
    path = directory / "model.skops"
    if not path.exists():
        raise DataError("the run has no saved model", where=str(directory),
                        fix="pick a run made by `tagline eval run` (`tagline eval runs` lists them)")
    import skops.io

    untrusted = skops.io.get_untrusted_types(file=path)
    allowed = ("sklearn.", "numpy.", "scipy.", "tagline.", "builtins.")
    refused = [name for name in untrusted if not name.startswith(allowed)]
    if refused:
        raise DataError(f"the model file holds types tagline does not trust: {', '.join(refused)}",
                        where=str(path), fix="only load models made by `tagline eval run`")
    from tagline.eval.run.vocabulary import unpack_vocabularies

    return unpack_vocabularies(skops.io.load(path, trusted=untrusted), where=str(path))
