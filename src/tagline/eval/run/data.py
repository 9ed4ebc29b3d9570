"""Reading a built dataset for the runs: where it is, whether it is older than the gold, and one
task's examples as :class:`TaskData`."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from tagline.corpus.workspace import Workspace
from tagline.errors import DataError


@dataclass
class TaskData:
    """One task's examples: inputs, gold labels (or spans), ids, documents and splits."""

    task: str
    ids: list[str]
    inputs: list  # texts; (target, text) pairs for stance
    gold: list  # label names; span lists for entities
    doc_ids: list[str]
    splits: list[str]
    langs: list[str]
    labels: list[str]
    # Who says each item (the sentences config's ``speaker``; None where the build has none, and for stance).
    speakers: list[str | None] = field(default_factory=list)

    def in_context(self) -> TaskData:
        """The same data with each input a :class:`~tagline.eval.baselines.debate.DebateLine` (its
        text, document and speaker), as the baselines registered with ``context=True`` read them."""
        from tagline.eval.baselines.debate import debate_lines

        speakers = self.speakers or [None] * len(self.ids)
        return replace(self, inputs=debate_lines(self.inputs, self.doc_ids, speakers))


def stale_build_warning(workspace: Workspace, dataset_dir: str | Path | None = None) -> str | None:
    """A warning when the dataset was built from this workspace before its gold or sentences last
    changed (runs would score an old picture of the gold); ``None`` otherwise."""
    from tagline.eval.build import source_state

    directory = Path(dataset_dir) if dataset_dir else workspace.build_dir / "dataset"
    try:
        built = json.loads((directory / "fingerprint.json").read_text(encoding="utf-8")).get("sources")
    except (OSError, ValueError):
        return None
    if not isinstance(built, dict):
        return None
    now = source_state(workspace)
    if built.get("workspace") != now["workspace"]:
        return None
    changed = [name for name in ("gold", "sentences") if built.get(name) != now[name]]
    if not changed:
        return None
    return (f"the {' and '.join(changed)} changed after {directory} was built: these scores use the build; "
            "run `tagline eval build` to include the changes")


def load_dataset_dir(workspace: Workspace, dataset_dir: str | Path | None = None) -> tuple[Path, dict]:
    """The built dataset's folder and its ``fingerprint.json``; a :class:`DataError` when there is none."""
    directory = Path(dataset_dir) if dataset_dir else workspace.build_dir / "dataset"
    fingerprint_path = directory / "fingerprint.json"
    if not fingerprint_path.exists():
        raise DataError("no built dataset", where=str(directory),
                        fix="run `tagline eval build` first (or pass --dataset DIR)")
    return directory, json.loads(fingerprint_path.read_text(encoding="utf-8"))


class _Rows(NamedTuple):
    """The rows of one split that hold the task's gold, with their inputs and gold, and the labels."""

    keep: Sequence[int]
    inputs: list
    gold: list
    labels: list[str]


def _stance_rows(part: Any, directory: Path) -> _Rows:
    labels = part.features["label"].names
    values = part.data.column("label").to_pylist()
    texts, targets = part.data.column("text").to_pylist(), part.data.column("target").to_pylist()
    keep = range(len(values))
    return _Rows(keep, [(targets[i], texts[i]) for i in keep], [labels[values[i]] for i in keep], labels)


def _claim_type_rows(part: Any, directory: Path) -> _Rows:
    if "claim_type" not in part.features:
        raise DataError("the dataset has no claim_type column", where=str(directory),
                        fix="rebuild with `tagline eval build --task claim_type`")
    labels = part.features["claim_type"].names
    values = part.data.column("claim_type").to_pylist()
    keep = [i for i, v in enumerate(values) if v is not None]
    texts = part.data.column("text").to_pylist()
    return _Rows(keep, [texts[i] for i in keep], [labels[values[i]] for i in keep], labels)


def _entity_rows(part: Any, directory: Path) -> _Rows:
    if "entities" not in part.features:
        raise DataError("the dataset has no entities column", where=str(directory),
                        fix="rebuild with `tagline eval build --task entities`")
    labels = part.features["entities"].feature["label"].names
    values = part.data.column("entities").to_pylist()
    keep = [i for i, v in enumerate(values) if v is not None]
    texts = part.data.column("text").to_pylist()
    return _Rows(keep, [texts[i] for i in keep],
                 [[(e["start"], e["end"], labels[e["label"]]) for e in values[i]] for i in keep], labels)


_ROWS: dict[str, Callable[[Any, Path], _Rows]] = {
    "stance": _stance_rows, "claim_type": _claim_type_rows, "entities": _entity_rows}


def task_data(directory: Path, task: str, *, workspace: Workspace | None = None) -> TaskData:
    """Read one task's examples from a built dataset. A dataset without stance, from a
    ``workspace`` without stance targets, is an error that says how to add them (rebuilding alone
    would not give it stance)."""
    import datasets

    datasets.disable_progress_bars()
    config = "stance" if task == "stance" else "sentences"
    if not (directory / config).exists():
        if task == "stance" and workspace is not None:
            workspace.config.require_targets()
        raise DataError(f"the dataset has no {config} config", where=str(directory),
                        fix=f"rebuild with `tagline eval build --task {task}`")
    parts = datasets.load_from_disk(str(directory / config))
    data = TaskData(task, ids=[], inputs=[], gold=[], doc_ids=[], splits=[], langs=[], labels=[])
    for split, part in parts.items():
        rows = _ROWS[task](part, directory)
        data.inputs.extend(rows.inputs)
        data.gold.extend(rows.gold)
        data.labels = rows.labels
        row_ids, row_docs, row_langs = (part.data.column(c).to_pylist() for c in ("id", "doc_id", "lang"))
        data.ids.extend(row_ids[i] for i in rows.keep)
        data.doc_ids.extend(row_docs[i] for i in rows.keep)
        data.langs.extend(row_langs[i] for i in rows.keep)
        data.splits.extend([split] * len(rows.keep))
        if task != "stance":
            speakers = part.data.column("speaker").to_pylist() if "speaker" in part.column_names else []
            data.speakers.extend(speakers[i] if speakers else None for i in rows.keep)
    if not data.ids:
        raise DataError(f"the dataset has no {task} examples", where=str(directory),
                        fix="adjudicate gold for this task and rebuild")
    return data
