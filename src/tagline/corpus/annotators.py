"""The annotators registry, ``annotators.jsonl``: which annotators are not simply people who vote.

A person needs no record. A record makes an annotator a ``machine`` (a model's answers, stored by
``annotate suggest --write``: they vote only when asked), ``imported`` (answers that came with their
gold, as the sample's do: that gold, not votes), ``retired`` (its answer file moved to
``annotations/retired/``: its answers count nowhere), or a ``person`` again (brought back from
retirement). The file is append-only, and the last record per annotator counts.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagline.corpus.store import read_records

if TYPE_CHECKING:
    from tagline.corpus.workspace import Workspace

SAMPLE_ANNOTATOR = "sample-gold"
SAMPLE_SOURCE = "sample:deepseek_ja"
RETIRED_FOLDER = "retired"
_ARCHIVE_STAMP = re.compile(r"\.(\d{8}T\d{6}Z)(?:-(\d+))?\.jsonl$")


def sample_record(when: str) -> dict[str, Any]:
    """The record of the sample's answers: imported with their gold."""
    return {"annotator": SAMPLE_ANNOTATOR, "kind": "imported", "source": SAMPLE_SOURCE, "time": when}


def annotator_history(workspace: Workspace) -> dict[str, list[dict[str, Any]]]:
    """Every record of ``annotators.jsonl`` per annotator, oldest first."""
    history: dict[str, list[dict[str, Any]]] = {}
    if workspace.annotators_path.exists():
        for record in read_records(workspace.annotators_path, kind="annotator"):
            history.setdefault(record["annotator"], []).append(record)
    return history


def annotator_records(workspace: Workspace) -> dict[str, dict[str, Any]]:
    """The record in force for each annotator that has one: its last.

    The sample's annotator counts as imported without a record too: workspaces made before the
    sample's answers were registered hold ``annotations/sample-gold.jsonl`` alone, and those answers
    are the sample's gold all the same.
    """
    current = {name: records[-1] for name, records in annotator_history(workspace).items()}
    if SAMPLE_ANNOTATOR not in current and workspace.annotation_path(SAMPLE_ANNOTATOR).exists():
        current[SAMPLE_ANNOTATOR] = sample_record("")
    return current


def annotator_kinds(workspace: Workspace) -> dict[str, str]:
    """``{name: kind}`` for every annotator with a record (see :func:`annotator_records`); any other
    annotator is a person."""
    return {name: record["kind"] for name, record in annotator_records(workspace).items()}


def record_before_retirement(workspace: Workspace, name: str) -> dict[str, Any]:
    """The record that was in force for ``name`` before it was last retired, which bringing it back
    restores: a machine stays a machine, the sample's answers stay imported, a person a person."""
    earlier = [record for record in annotator_history(workspace).get(name, []) if record["kind"] != "retired"]
    if earlier:
        return earlier[-1]
    return sample_record("") if name == SAMPLE_ANNOTATOR else {"annotator": name, "kind": "person", "time": ""}


def retired_dir(workspace: Workspace) -> Path:
    return workspace.annotations_dir / RETIRED_FOLDER


def archived_files(workspace: Workspace, name: str) -> list[Path]:
    """The answer files of ``name`` that retiring it archived, oldest first."""
    found = []
    folder = retired_dir(workspace)
    for path in folder.glob(f"{name}.*.jsonl") if folder.is_dir() else ():
        match = _ARCHIVE_STAMP.search(path.name)
        if match and path.name[:match.start()] == name:  # not the files of a name that starts with this one
            found.append((match.group(1), int(match.group(2) or 1), path))
    return [path for _, _, path in sorted(found)]


def new_archive_path(workspace: Workspace, name: str) -> Path:
    """A name no file has yet for ``name``'s answers in ``annotations/retired/``:
    ``NAME.<UTC time>.jsonl``, with ``-2``, ``-3`` ... after the time when a name is retired twice
    within a second."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = retired_dir(workspace) / f"{name}.{stamp}.jsonl"
    counter = 1
    while path.exists():
        counter += 1
        path = retired_dir(workspace) / f"{name}.{stamp}-{counter}.jsonl"
    return path
