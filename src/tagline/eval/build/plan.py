"""What a build is asked for, what it has read and decided on the way, and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tagline.corpus.progress import ProgressCallback, no_progress
from tagline.corpus.workspace import Workspace
from tagline.errors import DataError, require_count

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from tagline.corpus.config import Config
    from tagline.corpus.execution import Execution
    from tagline.corpus.sentence_table import TokenCacheWriter
    from tagline.eval.build.splits import SplitPlan
    from tagline.eval.build.tokens import TokenJob
    from tagline.interrupts import InterruptGuard


@dataclass
class BuildReport:
    """What :func:`build_dataset` wrote and everything it had to say about it."""

    out: str
    fingerprint: str
    configs: dict[str, dict[str, int]] = field(default_factory=dict)
    label_distributions: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    split_method: str = ""
    warnings: list[str] = field(default_factory=list)
    entity_alignment: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"out": self.out, "fingerprint": self.fingerprint, "configs": self.configs,
                "label_distributions": self.label_distributions, "split_method": self.split_method,
                "warnings": self.warnings, "entity_alignment": self.entity_alignment}


def source_state(workspace: Workspace) -> dict:
    """What a build is made from: the workspace, and the size and modification time of the gold and
    sentence files. Gold is only appended to, and the sentence file is replaced whole when documents
    are added or replaced, so either one changing means the build is older than the data."""
    def state(path: Path) -> list[int]:
        if not path.exists():
            return [0, 0]
        status = path.stat()
        return [status.st_size, status.st_mtime_ns]

    return {"workspace": str(workspace.root.resolve()), "gold": state(workspace.gold_path),
            "sentences": state(workspace.sentences_path)}


@dataclass(frozen=True)
class BuildSettings:
    """A build's settings: the caller's, or else the workspace's."""

    ratios: list[float]
    group_by: str
    seed: int
    tasks: list[str]
    tokens: bool
    workers: int | None  # processes that make the tokens (None: one per core)
    exclude_annotators: tuple[str, ...] = ()  # left out of the card's agreement and annotator count
    execution: Execution | None = None  # with the Dask backend, tokens are made on the cluster

    @classmethod
    def resolve(cls, config: Config, *, ratios: list[float] | None, group_by: str | None, seed: int | None,
                tasks: list[str] | None, tokens: bool, workers: int | None,
                exclude_annotators: list[str] | None = None, execution: Execution | None = None) -> BuildSettings:
        if workers is not None:
            require_count("workers", workers)
        split = config.split
        # Every task by default, but stance only when it has targets (a new workspace has none).
        chosen = list(tasks or [task for task in config.tasks if task != "stance" or config.targets])
        for task in chosen:
            if task not in config.tasks:
                raise DataError(f"task {task!r} is not one of {', '.join(config.tasks)}")
        if "stance" in chosen or (not chosen and "stance" in config.tasks):
            config.require_targets()
        return cls(ratios=ratios or split["ratios"], group_by=group_by or split["group_by"],
                   seed=split["seed"] if seed is None else seed, tasks=chosen, tokens=tokens,
                   workers=workers if workers is not None or execution is None or execution.dask else execution.jobs,
                   exclude_annotators=tuple(exclude_annotators or ()), execution=execution)

    def recorded(self) -> dict:
        """The settings as ``fingerprint.json`` and the card record them."""
        return {"ratios": self.ratios, "group_by": self.group_by, "seed": self.seed, "tasks": self.tasks,
                "tokens": self.tokens}


@dataclass
class Universe:
    """Every sentence with gold for a task built, in corpus order: the rows of the sentences config."""

    table: pa.Table  # id, doc_id, text, lang, predefined split and meta (its speaker)
    position: np.ndarray  # for each sentence of the corpus, its row in ``table`` (if it has gold)
    member: np.ndarray  # for each sentence of the corpus, whether it has gold (is in ``table``)

    @property
    def num_rows(self) -> int:
        return int(self.table.num_rows)

    def row_positions(self) -> np.ndarray:
        """For each sentence of the corpus, its row in ``table``, or -1 where it has no gold."""
        import numpy as np

        return np.where(self.member, self.position, -1)

    def positions(self, gold: pa.Table) -> np.ndarray:
        """Where each gold record's sentence is in the universe."""
        return self.position[gold["sentence_index"].to_numpy()]

    def source_rows(self, gold: pa.Table) -> pa.Array:
        """For each sentence of the universe, the row of ``gold`` about it (null where there is none)."""
        import numpy as np
        import pyarrow as pa

        rows = np.full(self.num_rows, -1, dtype=np.int64)
        rows[self.positions(gold)] = np.arange(gold.num_rows, dtype=np.int64)
        missing = rows < 0
        return pa.array(np.where(missing, 0, rows), mask=missing if missing.any() else None)


@dataclass
class Claims:
    """The claim type of each sentence of the universe, as ClassLabel codes."""

    codes: np.ndarray
    present: np.ndarray  # whether the sentence has claim-type gold

    @classmethod
    def of(cls, universe: Universe, gold: pa.Table | None, labels: list[str]) -> Claims:
        import numpy as np
        import pyarrow.compute as pc

        from tagline.eval.build.columns import string_array

        codes = np.zeros(universe.num_rows, dtype=np.int64)
        present = np.zeros(universe.num_rows, dtype=bool)
        if gold is not None and gold.num_rows:
            where = universe.positions(gold)
            codes[where] = pc.index_in(pc.struct_field(gold["value"], "label"),
                                       value_set=string_array(labels)).to_numpy()
            present[where] = True
        return cls(codes, present)


@dataclass
class Steps:
    """Announces each step of a build (and how far a counted one has got), and stops the build there if
    a signal came that a library swallowed."""

    guard: InterruptGuard
    progress: ProgressCallback = no_progress

    def __call__(self, what: str, done: int = 0, total: int | None = None) -> None:
        self.guard.check()
        self.progress(done, total, what)


@dataclass
class BuildPlan:
    """Everything the configs, the files and the card of a build are made from, once the gold is read
    and the splits are assigned. The gold of a task leaves ``gold_by_task`` once it is written."""

    workspace: Workspace
    config: Config  # read once, so that the whole build follows one state of tagline.toml
    settings: BuildSettings
    sources: dict  # :func:`source_state` before reading, so an append during the build makes it stale
    universe: Universe
    gold_by_task: dict[str, pa.Table]
    claims: Claims
    splits: SplitPlan
    provenance: pa.Table  # the only column of the gold that the card reads
    agreement: dict | None
    report: BuildReport
    tokens: TokenJob | None = None  # the corpus's tokens, begun while the gold was read (or cached)
    # Where the tokens are written when the build makes them of every sentence of the corpus after all.
    token_cache: TokenCacheWriter | None = None
