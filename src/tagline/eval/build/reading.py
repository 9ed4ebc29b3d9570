"""Reading the gold and the sentences with Arrow for a build, checked as every reader checks them."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagline.corpus.workspace import Workspace
from tagline.errors import DataError
from tagline.eval.build.columns import combined, string_array
from tagline.wording import plural, verb

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from tagline.corpus.config import Config

# The last record of each question is found by scattering the records over every possible key when
# there are at most this many keys per record (1M sentences' gold: 3 tasks by 3 targets, 2.25 per
# record), else by sorting the keys.
KEYS_SCATTERED_PER_RECORD = 8


def read_jsonl_table(path: Path, schema: pa.Schema, kind: str, required: tuple[str, ...]) -> pa.Table:
    """The records of a workspace JSONL file as a table, checked as every reader checks them: a
    torn last line is skipped with a warning (as :func:`~tagline.corpus.store.iter_lines` does), a
    record without a ``required`` column is an error at its line."""
    import warnings

    import pyarrow as pa
    import pyarrow.json as pajson

    from tagline.corpus.store import TornLineWarning, complete_size, iter_lines

    if not path.exists() or path.stat().st_size == 0:
        return pa.Table.from_pylist([], schema=schema)
    size, torn = complete_size(path)
    source: Any = path
    if torn:
        warnings.warn(f"{path}: incomplete last line (a write cut short by a crash); skipped, the lines before it "
                      "are intact", TornLineWarning, stacklevel=3)
        source = pa.BufferReader(pa.memory_map(str(path)).read_buffer(size))
    options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        table = pajson.read_json(source, parse_options=options, read_options=pajson.ReadOptions(block_size=1 << 24))
    except pa.ArrowInvalid as error:
        for _ in iter_lines(path, kind=kind):  # finds the bad line and names it
            pass
        raise DataError(f"cannot be read as JSON lines ({error})", where=str(path),
                        fix="run `tagline validate` to find the bad line") from None
    _check_required(table, path, kind, required)
    return table


def _check_required(table: pa.Table, path: Path, kind: str, required: tuple[str, ...]) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from tagline.corpus.store import iter_lines

    for name in required:
        column = table
        for part in name.split("."):
            column = column[part] if isinstance(column, pa.Table) else pc.struct_field(column, part)
        missing = pc.is_null(column)
        if pc.any(missing).as_py():
            for _ in iter_lines(path, kind=kind):
                pass
            row = pc.index(missing, True).as_py()
            raise DataError(f"the record has no {name}", where=f"{path}:{line_of(path, row)}",
                            fix="fix or remove that line (`tagline validate` lists every problem)")


def sentence_schema() -> pa.Schema:
    import pyarrow as pa

    # meta.speaker (a string, as the sentence schema says) becomes the build's speaker column; the
    # rest of meta is not read.
    return pa.schema([("id", pa.string()), ("doc_id", pa.string()), ("text", pa.string()),
                      ("lang", pa.string()), ("split", pa.string()), ("meta", pa.struct([("speaker", pa.string())]))])


def gold_schema() -> pa.Schema:
    import pyarrow as pa

    span = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()), ("text", pa.string())])
    return pa.schema([("sentence_id", pa.string()), ("task", pa.string()), ("target", pa.string()),
                      ("value", pa.struct([("label", pa.string()), ("spans", pa.list_(span))])),
                      ("provenance", pa.struct([("method", pa.string())]))])


def read_sentences(workspace: Workspace) -> pa.Table:
    return read_jsonl_table(workspace.sentences_path, sentence_schema(), "sentence", ("id", "doc_id", "text", "lang"))


def current_gold(workspace: Workspace, sentence_ids: pa.Array | None = None) -> pa.Table:
    """The gold table with only the last record per (sentence, task, target), and a line column; a
    question whose last record reopens it (``reopened``) has no gold. Given the corpus's
    ``sentence_ids``, it also has a ``sentence_index`` column (each record's sentence's row, the first
    with that id) when every record's sentence is among them."""
    import pyarrow.compute as pc

    table = _last_records(workspace, sentence_ids)
    reopened = pc.equal(pc.struct_field(table["provenance"], "method"), "reopened")
    return table.filter(pc.invert(reopened)) if pc.any(reopened).as_py() else table


def _last_records(workspace: Workspace, sentence_ids: pa.Array | None) -> pa.Table:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    table = read_jsonl_table(workspace.gold_path, gold_schema(), "gold",
                             ("sentence_id", "task", "value", "provenance.method"))
    if table.num_rows == 0:
        raise DataError("there is no gold yet", where=str(workspace.gold_path),
                        fix="run `tagline annotate adjudicate` (with one annotator, their answers are promoted "
                            "to gold) or import a benchmark with its gold")
    table = table.append_column("row", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    # One integer per (sentence, task, target); a stable sort puts each question's records together,
    # oldest first, so the last of each run is the current one. The sentence is its row in the corpus
    # where every record's is known (no second hashing of the ids), else its id's code.
    codes = [(column.indices.to_numpy(), len(column.dictionary)) for column in
             (pc.dictionary_encode(combined(column), null_encoding="encode")
              for column in (table["task"], pc.fill_null(table["target"], "")))]
    if sentence_ids is not None:
        sentence_index = pc.index_in(table["sentence_id"], value_set=sentence_ids)
        if sentence_index.null_count == 0:
            table = table.append_column("sentence_index", sentence_index)
            codes.insert(0, (combined(sentence_index).to_numpy(), len(sentence_ids)))
    if len(codes) == 2:
        ids = pc.dictionary_encode(combined(table["sentence_id"]))
        codes.insert(0, (ids.indices.to_numpy(), len(ids.dictionary)))
    if math.prod(cardinality for _, cardinality in codes) >= 2**62:  # cannot happen with sane gold
        keyed = pa.table({"sentence_id": table["sentence_id"], "task": table["task"],
                          "target": pc.fill_null(table["target"], ""), "row": table["row"]})
        rows = keyed.group_by(["sentence_id", "task", "target"]).aggregate([("row", "max")])["row_max"]
        return table if len(rows) == table.num_rows else table.take(rows.take(pc.sort_indices(rows)))
    key = np.zeros(table.num_rows, dtype=np.int64)
    for values, cardinality in codes:
        key = key * cardinality + values
    space = math.prod(cardinality for _, cardinality in codes)
    del codes
    if space <= KEYS_SCATTERED_PER_RECORD * table.num_rows:
        rows = _last_rows_scattered(key, space)
        return table if rows is None else table.take(pa.array(rows))
    ordered = np.sort(key)  # (numpy's unique is several times slower on 4M keys)
    if not (ordered[1:] == ordered[:-1]).any():  # no question was answered twice: every record is current
        return table
    del ordered
    order = np.argsort(key, kind="stable")
    last = np.append(key[order][1:] != key[order][:-1], True)
    return table.take(pa.array(np.sort(order[last])))


def _last_rows_scattered(key: np.ndarray, space: int) -> np.ndarray | None:
    """The rows of the last record of each ``key`` (below ``space``), in file order, or None where no
    key is there twice: found by scattering the rows over the keys, not by sorting the keys."""
    import numpy as np

    if not (np.bincount(key, minlength=space) > 1).any():  # no question was answered twice
        return None
    last = np.full(space, -1, dtype=np.int64)
    np.maximum.at(last, key, np.arange(len(key), dtype=np.int64))  # the latest row of each key
    return np.sort(last[last >= 0])


def task_gold(workspace: Workspace, tasks: list[str], sentence_ids: pa.Array | None = None) -> pa.Table:
    """The current gold of ``tasks`` (see :func:`current_gold` for ``sentence_ids``); an error when there
    is none."""
    import pyarrow.compute as pc

    gold = current_gold(workspace, sentence_ids)
    chosen = pc.is_in(gold["task"], value_set=string_array(tasks))
    if not pc.all(chosen).as_py():
        gold = gold.filter(chosen)
    if gold.num_rows == 0:
        raise DataError(f"there is no gold for {', '.join(tasks)}", where=str(workspace.gold_path),
                        fix="run `tagline annotate adjudicate`")
    return gold


def linked_to_sentences(workspace: Workspace, gold: pa.Table, sentences: pa.Table) -> tuple[pa.Table, list[str]]:
    """``gold`` with a ``sentence_index`` column (its sentence's row in ``sentences``), without the
    gold of orphaned sentences, and the note saying how many records were left out for that. Gold that
    has the column already (see :func:`current_gold`) is every record's sentence's, and kept whole."""
    import pyarrow.compute as pc

    if "sentence_index" in gold.column_names:
        return gold, []
    sentence_index = pc.index_in(gold["sentence_id"], value_set=sentences["id"])  # the first with that id
    known = pc.is_valid(sentence_index)
    orphan_notes = []
    if not pc.all(known).as_py() and workspace.orphaned_path.exists():
        # Gold of sentences that a replaced document no longer has: kept on disk, left out here.
        orphaned = string_array({record["id"] for record in workspace.iter_orphans()})
        is_orphan = pc.and_(pc.invert(known), pc.is_in(gold["sentence_id"], value_set=orphaned))
        n_orphans = pc.sum(is_orphan).as_py() or 0
        if n_orphans:
            orphan_notes.append(f"{plural(n_orphans, 'gold record')} of sentences orphaned by a replaced document "
                                f"{verb(n_orphans, 'was', 'were')} left out (they stay in gold.jsonl)")
            keep = pc.invert(is_orphan)
            gold, sentence_index, known = gold.filter(keep), sentence_index.filter(keep), known.filter(keep)
    if not pc.all(known).as_py():
        index = pc.index(known, False).as_py()
        raise DataError(f"gold for unknown sentence {gold['sentence_id'][index].as_py()!r}",
                        where=f"{workspace.gold_path}:{line_of(workspace.gold_path, gold['row'][index].as_py())}",
                        fix="run `tagline validate`")
    return gold.append_column("sentence_index", sentence_index), orphan_notes


def checked_by_task(workspace: Workspace, config: Config, gold: pa.Table, tasks: list[str]) -> dict[str, pa.Table]:
    """The gold of each task (the columns a build reads), its labels checked against ``config``."""
    import pyarrow.compute as pc

    needed = gold.select(["sentence_id", "target", "value", "row", "sentence_index"])
    by_task = {task: needed.filter(pc.equal(gold["task"], task)) for task in tasks}
    del needed
    if "stance" in by_task:
        stance = by_task["stance"]
        _check_labels(workspace, stance, pc.struct_field(stance["value"], "label"), config.labels("stance"),
                      "stance label")
        _check_labels(workspace, stance, stance["target"], config.targets, "stance target")
    if "claim_type" in by_task:
        claim = by_task["claim_type"]
        _check_labels(workspace, claim, pc.struct_field(claim["value"], "label"), config.labels("claim_type"),
                      "claim type")
    if "entities" in by_task and by_task["entities"].num_rows:
        _check_entity_labels(workspace, by_task["entities"], config)
    return by_task


def _check_labels(workspace: Workspace, table: pa.Table, values: Any, allowed: list[str], what: str) -> None:
    import pyarrow.compute as pc

    missing = pc.is_null(values)
    if pc.any(missing).as_py():
        row = table["row"][pc.index(missing, True).as_py()].as_py()
        raise DataError(f"{what} is missing", where=f"{workspace.gold_path}:{line_of(workspace.gold_path, row)}",
                        fix=f"give it one of {', '.join(allowed)}; `tagline validate` lists every such line")
    bad = pc.invert(pc.is_in(values, value_set=string_array(allowed)))
    if pc.any(bad).as_py():
        index = pc.index(bad, True).as_py()
        row = table["row"][index].as_py()
        raise DataError(f"{what} {values[index].as_py()!r} is not one of {', '.join(allowed)}",
                        where=f"{workspace.gold_path}:{line_of(workspace.gold_path, row)}",
                        fix="fix the label or add it to tagline.toml; `tagline validate` lists every such line")


def _check_entity_labels(workspace: Workspace, entities: pa.Table, config: Config) -> None:
    import pyarrow.compute as pc

    spans = pc.struct_field(entities["value"], "spans")
    labels = pc.struct_field(pc.list_flatten(spans), "label")
    bad = pc.invert(pc.is_in(labels, value_set=string_array(config.labels("entities"))))
    if pc.any(bad).as_py():
        index = pc.index(bad, True).as_py()
        row = entities["row"][pc.list_parent_indices(spans)[index].as_py()].as_py()
        raise DataError(f"entity label {labels[index].as_py()!r} is not one of {', '.join(config.labels('entities'))}",
                        where=f"{workspace.gold_path}:{line_of(workspace.gold_path, row)}", fix="fix the label")


def check_unique_ids(workspace: Workspace, sentences: pa.Table, universe_ids: Any) -> None:
    """An id twice in the corpus is an error if it has gold (``universe_ids``: the ids with gold)."""
    import pyarrow.compute as pc

    if pc.count_distinct(sentences["id"]).as_py() == sentences.num_rows:
        return
    in_use = sentences["id"].filter(pc.is_in(sentences["id"], value_set=universe_ids))
    if len(in_use) != len(universe_ids):
        counts = pc.value_counts(in_use)
        twice = counts.filter(pc.greater(pc.struct_field(counts, "counts"), 1))[0]["values"].as_py()
        raise DataError(f"sentence id {twice!r} is in the corpus more than once",
                        where=str(workspace.sentences_path), fix="run `tagline validate`")


def line_of(path: Path, row: int) -> int:
    """The 1-based line number of the ``row``-th record (blank lines are not records)."""
    seen = -1
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                seen += 1
                if seen == row:
                    return number
    return row + 1
