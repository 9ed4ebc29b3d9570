"""Writing a build: Parquet shards, save_to_disk, splits.jsonl, the fingerprint and the card, in a
staging folder that then replaces the previous build."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from tagline.corpus.workspace import Workspace
from tagline.errors import DataError

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import ThreadPoolExecutor

    import datasets
    import pyarrow as pa

    from tagline.eval.build.plan import BuildPlan, Steps
    from tagline.eval.build.tables import ConfigMaker

PARQUET_ROWS_PER_SHARD = 250_000
# Threads that write a config's Parquet shards, each shard a file of its own, beside the one that hashes
# the splits and saves them: on two cores, the sentences config's shards at the end of a build, once
# the token workers are done, are then written on both.
PARQUET_THREADS = 2


def write_build(staging: Path, plan: BuildPlan, makers: dict[str, ConfigMaker], steps: Steps) -> None:
    """Write every config, ``splits.jsonl``, ``fingerprint.json`` and the card into ``staging``; the
    report gets the counts, the label distributions and the fingerprint.

    While token workers are still at work (``plan.tokens``), the configs without tokens are written
    first, so that the build's process writes them while the workers tokenise instead of after the
    last token. The fingerprint, the report and the card take the configs in ``makers``' order
    whichever was written first."""
    import pyarrow as pa

    report = plan.report
    # The splits first: they need no tokens, and this way are not written after the last one came in.
    universe = plan.universe.table
    split_of_row = pa.array(plan.splits.names).take(pa.array(plan.splits.rank))
    write_splits(staging / "splits.jsonl", universe["id"], universe["doc_id"], split_of_row)
    del split_of_row
    written = {}
    for name in writing_order(makers, plan):
        written[name] = _write_config(staging, name, makers[name], plan, steps)
        pa.default_memory_pool().release_unused()
    digest = hashlib.sha256()
    card_configs = {}
    for name in makers:
        config = written[name]
        for label, part_digest in config.digests:
            digest.update(label)
            digest.update(part_digest)
        report.warnings.extend(config.warnings)
        report.configs[name] = config.counts
        report.label_distributions[name] = config.distributions
        card_configs[name] = config.card
    report.fingerprint = digest.hexdigest()[:16]
    settings = plan.settings.recorded()
    (staging / "fingerprint.json").write_text(json.dumps(
        {"fingerprint": report.fingerprint, "settings": settings, "configs": report.configs,
         "split_method": plan.splits.method, "warnings": plan.splits.warnings,
         "entity_alignment": report.entity_alignment, "sources": plan.sources},
        ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    from tagline.eval.card import dataset_card

    (staging / "README.md").write_text(dataset_card(plan.workspace, report, card_configs, settings, plan.provenance,
                                                    plan.agreement,
                                                    exclude_annotators=list(plan.settings.exclude_annotators)),
                                       encoding="utf-8")


# The configs whose rows need no tokens, written first while token workers are at work.
CONFIGS_WITHOUT_TOKENS = ("stance",)


def writing_order(makers: dict[str, ConfigMaker], plan: BuildPlan) -> list[str]:
    """The order the configs are written in: ``makers``' order, except that while token workers are at
    work the configs that need no tokens come first."""
    if plan.tokens is None:
        return list(makers)
    return sorted(makers, key=lambda name: name not in CONFIGS_WITHOUT_TOKENS)


class _Written(NamedTuple):
    """What is kept of a config once it is written."""

    digests: list[tuple[bytes, bytes]]  # ("<config>/<split>", the split's digest), in split order
    counts: dict[str, int]  # rows per split written
    distributions: dict[str, dict[str, int]]
    warnings: list[str]
    card: tuple[pa.Table, datasets.DatasetInfo]  # what the card reads of the config


def _write_config(staging: Path, name: str, make: ConfigMaker, plan: BuildPlan, steps: Steps) -> _Written:
    """Make one config's tables and write them (``save_to_disk`` and Parquet). Returns each split's
    digest for the fingerprint, the counts and label distributions for the report, and what the
    card reads of the config: its languages, and its :func:`saved_info`.

    The Parquet shards are written in :data:`PARQUET_THREADS` threads, a shard at a time, while this
    one hashes the splits and saves them with ``save_to_disk`` (Arrow's Parquet writer and the hashing
    let go of the GIL): at the end of a build, when the token workers are done, that work would
    otherwise leave a core idle."""
    from concurrent.futures import ThreadPoolExecutor

    import datasets
    import pyarrow as pa

    from tagline.interrupts import check as check_interrupted
    from tagline.interrupts import deferred

    features, tables = make()
    steps(f"writing {name}")
    parts = {}
    digests, warnings = [], []
    parquet = ThreadPoolExecutor(PARQUET_THREADS, thread_name_prefix="parquet")
    try:
        shards = []
        for split, part in zip(plan.splits.names, tables):
            if part.num_rows == 0:
                # datasets saves an empty split without an .arrow file and then cannot load it back.
                warnings.append(f"config {name}: the {split} split has no rows and is left out")
                continue
            with deferred():  # a signal in submit() could leave the thread it starts out of shutdown()'s wait
                shards += [parquet.submit(write_parquet_shards, part, staging / "data" / name, split,
                                          range(shard, shard + 1)) for shard in range(shard_count(part.num_rows))]
            check_interrupted()
            part_digest = table_digest(part)
            parts[split] = datasets.Dataset(datasets.table.InMemoryTable(part),
                                            info=datasets.DatasetInfo(features=features),
                                            split=datasets.NamedSplit(split),
                                            fingerprint=hashlib.sha256(f"{name}/{split}".encode() + part_digest)
                                            .hexdigest()[:16])
            digests.append((f"{name}/{split}".encode(), part_digest))
        datasets.DatasetDict(parts).save_to_disk(str(staging / name))
        check_interrupted()  # datasets hashes each shard under a bare `except:` that can swallow Ctrl-C
        for shard in shards:
            shard.result()
    finally:  # on a failure or a signal, the shard being written is finished before the staging folder goes
        _shut_down(parquet)
    pa.default_memory_pool().release_unused()  # what the digests and the Parquet writer let go of
    languages = pa.chunked_array([chunk for part in tables for chunk in part["lang"].chunks], pa.string())
    return _Written(digests, {split: len(parts[split]) for split in plan.splits.names if split in parts},
                    label_distributions(parts, features), warnings,
                    (pa.table({"lang": languages}), saved_info(staging, name, features)))


def _shut_down(threads: ThreadPoolExecutor) -> None:
    """Wait for the Parquet ``threads``, a signal meanwhile only recorded (a second must not cut the
    wait short). A signal raised as the deferral began, before the wait, is raised once the wait is over."""
    from tagline.interrupts import deferred

    try:
        with deferred():
            threads.shutdown(wait=True, cancel_futures=True)
    except BaseException:
        with deferred():  # (the guard raises a signal once: this wait is not cut short)
            threads.shutdown(wait=True, cancel_futures=True)
        raise


def saved_info(staging: Path, name: str, features: datasets.Features) -> datasets.DatasetInfo:
    """Config ``name``'s ``DatasetInfo`` as ``push_to_hub`` would record it in a card: the features,
    each split's rows and size in Arrow (``num_bytes``: the nbytes of the split as ``save_to_disk``
    wrote it, which ``load_from_disk`` gives back), their sum (``dataset_size``) and the bytes of the
    config's Parquet shards (``download_size``)."""
    import datasets

    saved = datasets.load_from_disk(str(staging / name))  # memory-mapped: the rows stay on disk
    splits = datasets.SplitDict()
    for split, dataset in saved.items():
        splits.add(datasets.SplitInfo(name=split, num_bytes=dataset.data.nbytes, num_examples=dataset.num_rows))
    shards = sorted((staging / "data" / name).glob("*.parquet"))
    return datasets.DatasetInfo(config_name=name, features=features, splits=splits,
                                dataset_size=sum(split.num_bytes for split in splits.values()),
                                download_size=sum(path.stat().st_size for path in shards))


def shard_count(rows: int) -> int:
    """How many Parquet shards a split of ``rows`` rows is written in."""
    return max(1, math.ceil(rows / PARQUET_ROWS_PER_SHARD))


def write_parquet_shards(table: pa.Table, directory: Path, split: str, which: range | None = None) -> None:
    """Write the Parquet shards of a split (``which``: those of these numbers; default all)."""
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    shards = shard_count(table.num_rows)
    for shard in range(shards) if which is None else which:
        part = table.slice(shard * PARQUET_ROWS_PER_SHARD, PARQUET_ROWS_PER_SHARD)
        pq.write_table(part, directory / f"{split}-{shard:05d}-of-{shards:05d}.parquet")


def write_splits(path: Path, ids: Any, doc_ids: Any, splits: Any) -> None:
    """``splits.jsonl``: one ``{"sentence_id": ..., "doc_id": ..., "split": ...}`` line per sentence, as
    ``json.dumps(..., ensure_ascii=False)`` writes it."""
    import pyarrow.compute as pc

    columns = (ids, doc_ids, splits)
    plain = all(column.null_count == 0 and not pc.any(pc.match_substring_regex(column, r'[\x00-\x1f"\\]')).as_py()
                for column in columns)
    with open(path, "wb") as handle:
        if not plain:  # something to escape: let json do it
            for sentence_id, doc_id, split in zip(*(column.to_pylist() for column in columns)):
                handle.write((json.dumps({"sentence_id": sentence_id, "doc_id": doc_id, "split": split},
                                         ensure_ascii=False) + "\n").encode("utf-8"))
            return
        lines = pc.binary_join_element_wise('{"sentence_id": "', ids, '", "doc_id": "', doc_ids, '", "split": "',
                                            splits, '"}\n', "")
        for chunk in getattr(lines, "chunks", [lines]):
            for line_block in _string_data(chunk):
                handle.write(line_block)


def _string_data(array: pa.Array) -> list[memoryview]:
    """The bytes of all the strings of ``array``, back to back."""
    import numpy as np

    if len(array) == 0:
        return []
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset:array.offset + len(array) + 1]
    return [memoryview(array.buffers()[2])[int(offsets[0]):int(offsets[-1])]]


class _HashingSink:
    """A write-only file that only feeds a sha256: the IPC stream is hashed, never held in memory."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.position = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def table_digest(table: pa.Table) -> bytes:
    """sha256 of ``table`` as an Arrow IPC stream of a single record batch; a table with a null is hashed
    as a compact copy of its rows, so the same for any copy of them, however chunked or sliced."""
    import pyarrow as pa

    if table.num_rows:
        table = table.combine_chunks()
        if any(column.null_count for column in table.columns):
            # A slice's validity bitmaps carry the bits of the rows after it in their last byte, and
            # Arrow writes more of a slice's buffers than its rows: a table with nulls is hashed as a
            # compact copy of its rows. Only the columns that differ from their copy are copied.
            every_row = pa.array(range(table.num_rows), pa.int64())
            table = pa.Table.from_arrays([column if _written_as_its_copy(column.chunk(0)) else column.take(every_row)
                                          for column in table.columns], schema=table.schema)
    sink = _HashingSink()
    with pa.ipc.new_stream(pa.PythonFile(sink, mode="w"), table.schema) as writer:
        writer.write_table(table)
    return sink.hash.digest()


def _written_as_its_copy(array: pa.Array) -> bool:
    """Whether Arrow writes ``array`` as it writes a compact copy of it: no null at any depth (no bitmap
    whose last byte could carry other rows' bits), and no buffer holding more than its rows (a
    slice). The bytes its rows use (``nbytes``) leave out the last offset of each string and list
    array, which its buffers hold; should that ever change, the array is copied, as before."""
    return not _has_nulls(array) and array.get_total_buffer_size() == array.nbytes + _last_offsets(array.type)


def _last_offsets(data_type: pa.DataType) -> int:
    """The bytes of the last offset of each string, binary or list array in arrays of ``data_type``."""
    import pyarrow as pa

    if pa.types.is_large_string(data_type) or pa.types.is_large_binary(data_type):
        return 8
    if pa.types.is_string(data_type) or pa.types.is_binary(data_type):
        return 4
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return (8 if pa.types.is_large_list(data_type) else 4) + _last_offsets(data_type.value_type)
    if pa.types.is_struct(data_type):
        return sum(_last_offsets(data_type.field(index).type) for index in range(data_type.num_fields))
    return 0


def _has_nulls(array: pa.Array) -> bool:
    """Whether ``array`` or any array nested in it has a null."""
    import pyarrow as pa

    if array.null_count:
        return True
    if isinstance(array, (pa.ListArray, pa.LargeListArray)):
        return _has_nulls(array.flatten())
    if isinstance(array, pa.StructArray):
        return any(_has_nulls(array.field(index)) for index in range(array.type.num_fields))
    return False


def label_distributions(parts: dict[str, datasets.Dataset], features: datasets.Features) -> dict[str, dict[str, int]]:
    """For the config's ClassLabel column (``claim_type`` or ``label``), the count of each label per split."""
    import datasets
    import pyarrow.compute as pc

    distributions = {}
    for column in ("claim_type", "label"):
        if column in features and isinstance(features[column], datasets.ClassLabel):
            names = features[column].names
            for split, dataset in parts.items():
                counted = pc.value_counts(dataset.data.column(column))
                counts = dict(zip(pc.struct_field(counted, "values").to_pylist(),
                                  pc.struct_field(counted, "counts").to_pylist()))
                distributions[split] = {names[i]: counts.get(i, 0) for i in range(len(names))}
    return distributions


# ----- where a build goes, and how it replaces the previous one -------------------------------
def is_build(path: Path) -> bool:
    return (path / "fingerprint.json").is_file() and (path / "splits.jsonl").is_file()


def checked_out(workspace: Workspace, out: Path) -> Path:
    """``out`` made absolute, once it is known to be a place a build may be written: a new folder,
    or an earlier build (which is kept as ``<out>.previous``). A folder that is not a build is
    never moved or deleted."""
    out = out.resolve()
    root = workspace.root.resolve()
    if out == root or out in root.parents:
        raise DataError(f"--out {out} would put the build in place of the workspace", where=str(out),
                        fix="give a new folder, e.g. --out build/dataset")
    if out.exists() and not (out.is_dir() and is_build(out)):
        raise DataError("the folder exists and is not a tagline build, so the build will not replace it",
                        where=str(out), fix="give a new folder, or an earlier build's folder")
    previous = out.with_name(out.name + ".previous")
    if out.exists() and previous.exists() and not is_build(previous):
        raise DataError(f"{previous.name} exists beside it and is not a tagline build, so the build will not "
                        "delete it to keep the current build there", where=str(previous),
                        fix="move that folder away, or give another --out")
    return out


def staging_for(out: Path) -> Path:
    """The folder a build is written in before it replaces ``out``, named after this process (for
    people: the build holds its lock while it exists, which is what tells the next build whether it
    was abandoned)."""
    return out.with_name(f".{out.name}.{os.getpid()}.tmp")


def remove_abandoned_staging(out: Path) -> None:
    """Remove half-written builds (``.<name>.<pid>.tmp``) and replaced ones being deleted
    (``.<name>.previous.<pid>.tmp``) whose lock no running process holds, in whatever container it
    runs: what a killed build leaves behind."""
    import re

    from tagline.corpus.primitives import remove_if_abandoned

    pattern = re.compile(rf"\.{re.escape(out.name)}(?:\.previous)?\.(\d+)\.tmp")
    if not out.parent.is_dir():
        return
    for path in out.parent.iterdir():
        match = pattern.fullmatch(path.name)
        if match:
            remove_if_abandoned(path)


def swap_into_place(staging: Path, out: Path, done: Callable[[], None]) -> None:
    """Replace ``out`` with the freshly written ``staging`` directory; the previous build is kept
    as ``<out>.previous`` until the next build. ``done()`` is called once ``out`` is the new build.

    Only renames happen before that, so ``out`` is never a half-deleted folder: the build before the
    previous one is first renamed to a ``.tmp`` name and deleted afterwards (or, if the process is
    killed, by the next build)."""
    from tagline.corpus.primitives import hold

    previous = out.with_name(out.name + ".previous")
    discarded = out.with_name(f".{previous.name}.{os.getpid()}.tmp")
    held = None
    try:
        if out.exists():
            if previous.exists():
                held = os.open(previous, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
                hold(held)  # held while it is a .tmp folder, so that no other build sweeps it meanwhile
                previous.rename(discarded)
            out.rename(previous)
        staging.rename(out)
        done()
        shutil.rmtree(discarded, ignore_errors=True)
    finally:
        if held is not None:
            os.close(held)
