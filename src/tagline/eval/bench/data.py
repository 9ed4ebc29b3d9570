"""Where the benchmarks' files are: the datasets folder (``--data``, ``$TAGLINE_DATA``, or a
``shared/datasets`` folder found by walking up from the current directory) and which benchmarks it
holds. Public benchmark data is read where it is, never copied into a repository."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tagline.errors import DataError
from tagline.eval.bench.registry import BENCHMARKS, BenchmarkSpec

DATA_VARIABLE = "TAGLINE_DATA"
SHARED_DATASETS = Path("shared") / "datasets"


def find_data_dir(data: str | os.PathLike[str] | None = None, *, start: str | os.PathLike[str] | None = None) -> Path:
    """The datasets folder: ``data`` when given, else ``$TAGLINE_DATA``, else the first
    ``shared/datasets`` folder in the current directory (or ``start``) or a folder above it (so a
    checkout beside ``shared/`` finds ``../shared/datasets``). A :class:`DataError` when none is found
    or the one named is not a folder."""
    named = data if data is not None else os.environ.get(DATA_VARIABLE) or None
    if named is not None:
        path = Path(named).expanduser()
        if not path.is_dir():
            where = "--data" if data is not None else f"${DATA_VARIABLE}"
            raise DataError(f"{path} is not a folder", where=where,
                            fix="name the folder that holds the benchmarks' folders (such as semeval2016-task6/)")
        return path
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SHARED_DATASETS).is_dir():
            return folder / SHARED_DATASETS
    raise DataError(f"no datasets folder: neither --data nor ${DATA_VARIABLE} is given, and there is no "
                    f"{SHARED_DATASETS} in {here} or a folder above it",
                    fix=f"pass --data DIR or set {DATA_VARIABLE} to the folder that holds the benchmarks' folders")


def missing_files(spec: BenchmarkSpec, data_dir: Path) -> list[str]:
    """The files and folders the benchmark needs that ``data_dir`` lacks, as paths inside it."""
    folder = data_dir / spec.folder
    return [f"{spec.folder}/{need}" for need in spec.needs if not (folder / need).exists()]


def benchmark_status(data_dir: Path | None) -> list[dict[str, Any]]:
    """Every registered benchmark: whether its files are in ``data_dir`` (``present``), what it needs,
    what is missing, and what it runs and measures. Without a ``data_dir`` (none was found), every
    benchmark is absent and lacks all it needs."""
    rows = []
    for spec in BENCHMARKS:
        needs = [f"{spec.folder}/{need}" for need in spec.needs]
        missing = missing_files(spec, data_dir) if data_dir is not None else needs
        rows.append({"name": spec.name, "title": spec.title, "present": not missing,
                     "folder": str(data_dir / spec.folder) if data_dir is not None else spec.folder,
                     "needs": needs, "missing": missing,
                     "task": spec.task, "measure": spec.measure_name, "baselines": list(spec.baselines),
                     "published": len(spec.published), "duration": spec.duration, "command": spec.command()})
    return rows


def require_files(spec: BenchmarkSpec, data_dir: Path) -> Path:
    """The benchmark's folder in ``data_dir``; a :class:`DataError` naming what is missing."""
    missing = missing_files(spec, data_dir)
    if missing:
        raise DataError(f"the {spec.name} data is absent: {data_dir} lacks {', '.join(missing)}",
                        fix=f"put the benchmark's files there (its SOURCE.md says where they come from), or pass "
                            f"--data DIR or set {DATA_VARIABLE}; `tagline bench --list` shows what is present")
    return data_dir / spec.folder
