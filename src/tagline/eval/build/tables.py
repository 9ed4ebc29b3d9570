"""The rows of each config as Arrow tables of its declared features, one table per split."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from tagline.eval.build import tokens
from tagline.eval.build.columns import chunked, combined, string_array
from tagline.eval.build.features import entity_labels, sentence_features, stance_features

if TYPE_CHECKING:
    import datasets
    import numpy as np
    import pyarrow as pa

    from tagline.eval.build.plan import BuildPlan, Steps


class ConfigTables(NamedTuple):
    features: datasets.Features
    parts: list[pa.Table]  # one per split, in the order of the plan's split names


ConfigMaker = Callable[[], ConfigTables]


def config_makers(plan: BuildPlan, steps: Steps) -> dict[str, ConfigMaker]:
    """What makes each config's tables, by config name. The writer calls them one at a time, so that
    only one config's rows are in memory at once."""
    makers: dict[str, ConfigMaker] = {"sentences": partial(sentence_tables, plan, steps)}
    if "stance" in plan.settings.tasks and plan.gold_by_task["stance"].num_rows:
        makers["stance"] = partial(stance_tables, plan)
    return makers


class _EntitySpans(NamedTuple):
    spans: pa.ChunkedArray  # the gold spans, one list per entity gold record
    rows: pa.Array  # for each sentence in written order, its record in ``spans`` (null: no entity gold)


def sentence_tables(plan: BuildPlan, steps: Steps) -> ConfigTables:
    """One row per sentence of the universe, split by split, in corpus order within each. The entity
    gold leaves the plan once its rows are made."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    settings = plan.settings
    features = sentence_features(plan.config, settings.tasks, settings.tokens)
    order = np.argsort(plan.splits.rank, kind="stable")
    bounds = _bounds(plan.splits.rank, len(plan.splits.names))
    entities = None
    token_parts: list[Any] = []
    if "entities" in settings.tasks:
        gold = plan.gold_by_task["entities"]
        source_rows = plan.universe.source_rows(gold)
        entities = _EntitySpans(pc.struct_field(gold["value"], "spans"), source_rows.take(pa.array(order)))
        if settings.tokens:
            token_parts = _token_parts(plan, combined(entities.spans.take(source_rows)), steps)
    parts = []
    for rank in range(len(plan.splits.names)):
        rows = order[bounds[rank]:bounds[rank + 1]]
        span_rows = None if entities is None else entities.rows.slice(bounds[rank], len(rows))
        parts.append(_sentence_part(plan, features, rows, entities, span_rows,
                                    token_parts[rank] if token_parts else None))
        if token_parts:
            token_parts[rank] = None
    plan.gold_by_task.pop("entities", None)
    return ConfigTables(features, parts)


def _bounds(rank: np.ndarray, n_splits: int) -> list[int]:
    """Where each split's rows begin and end once rows are sorted by split (``[0, ..., len(rank)]``)."""
    import numpy as np

    return np.concatenate(([0], np.cumsum(np.bincount(rank, minlength=n_splits)))).tolist()


def _token_parts(plan: BuildPlan, spans: pa.Array, steps: Steps) -> list:
    """``(tokens, ner_tags)`` of each split, from the gold ``spans`` of each sentence of the universe (in
    corpus order); the entity alignment goes into the report. The tokens are the plan's, when their
    workers started on the corpus while the gold was read, or else made now from the universe's texts."""
    import pyarrow as pa

    universe = plan.universe
    texts = combined(universe.table["text"])
    job, universe_of_row = plan.tokens, None
    if job is None:  # the universe's: saved for later when it is every sentence of the corpus
        job = tokens.TokenJob(texts, combined(universe.table["lang"]), plan.settings.workers,
                              plan.settings.execution, plan.token_cache if universe.member.all() else None)
    else:
        universe_of_row = universe.row_positions()
    plan.tokens = None
    total = job.rows
    steps("tokenising", 0, total)
    with job:
        parts, alignment = tokens.tokens_and_tags(job, texts, spans, entity_labels(plan.config), universe_of_row,
                                                  plan.splits.rank, len(plan.splits.names),
                                                  lambda done: steps("tokenising", done, total))
    plan.report.entity_alignment.update(alignment)
    pa.default_memory_pool().release_unused()  # the chunks' tokens, copied into the splits'
    return parts


def _sentence_part(plan: BuildPlan, features: datasets.Features, rows: np.ndarray, entities: _EntitySpans | None,
                   span_rows: pa.Array | None, token_part: tuple | None) -> pa.Table:
    """The sentences config's table of the universe's ``rows`` (one split)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = features.arrow_schema
    take = pa.array(rows)
    columns = {name: plan.universe.table[name].take(take) for name in ("id", "doc_id", "text", "lang")}
    columns["speaker"] = pc.struct_field(combined(plan.universe.table["meta"]), "speaker").take(take)
    if "claim_type" in plan.settings.tasks:
        missing = ~plan.claims.present[rows]
        columns["claim_type"] = pa.array(plan.claims.codes[rows], mask=missing if missing.any() else None)
    if entities is not None:
        spans = combined(entities.spans.take(span_rows))
        columns["entities"] = entity_column(spans, entity_labels(plan.config), schema.field("entities").type)
    if token_part:
        columns["tokens"], columns["ner_tags"] = token_part
    return pa.Table.from_arrays([chunked(columns[name]) for name in schema.names], schema=schema)


def entity_column(spans: pa.Array, labels: list[str], list_type: pa.DataType) -> pa.Array:
    """Gold spans (label names) as the ``entities`` column: int32 offsets and ClassLabel codes."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    flat = pc.list_flatten(spans)
    lengths = pc.fill_null(pc.list_value_length(spans), 0).to_numpy().astype(np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int32)
    item = list_type.value_type
    values = pa.StructArray.from_arrays([
        pc.struct_field(flat, "start").cast(item.field("start").type),
        pc.struct_field(flat, "end").cast(item.field("end").type),
        pc.index_in(pc.struct_field(flat, "label"), value_set=string_array(labels)).cast(item.field("label").type),
        pc.struct_field(flat, "text").cast(item.field("text").type),
    ], fields=list(item))
    no_gold = pc.is_null(spans)
    return pa.ListArray.from_arrays(pa.array(offsets), values, type=list_type,
                                    mask=no_gold if pc.any(no_gold).as_py() else None)


def stance_tables(plan: BuildPlan) -> ConfigTables:
    """One row per sentence and target, split by split, in corpus and then target order within each."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    stance = plan.gold_by_task["stance"]
    where = plan.universe.positions(stance)
    target_index = pc.index_in(stance["target"], value_set=string_array(plan.config.targets)).to_numpy()
    rank = plan.splits.rank[where]
    order = np.lexsort((target_index, where, rank))
    bounds = _bounds(rank, len(plan.splits.names))
    features = stance_features(plan.config)
    parts = []
    for split in range(len(plan.splits.names)):
        rows = order[bounds[split]:bounds[split + 1]]
        parts.append(_stance_part(plan, features, stance.take(pa.array(rows)), where[rows]))
    return ConfigTables(features, parts)


def _stance_part(plan: BuildPlan, features: datasets.Features, gold: pa.Table, positions: np.ndarray) -> pa.Table:
    """The stance config's table of the ``gold`` records of one split, whose sentences are at ``positions``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = features.arrow_schema
    universe = plan.universe.table
    take = pa.array(positions)
    sentence_ids, targets = combined(gold["sentence_id"]), combined(gold["target"])
    columns = {
        "id": pc.binary_join_element_wise(sentence_ids, targets, "@"),
        "sentence_id": sentence_ids,
        "doc_id": universe["doc_id"].take(take),
        "target": targets,
        "text": universe["text"].take(take),
        "lang": universe["lang"].take(take),
        "label": pc.index_in(pc.struct_field(gold["value"], "label"),
                             value_set=string_array(plan.config.labels("stance"))).cast(pa.int64()),
    }
    return pa.Table.from_arrays([chunked(combined(columns[name])) for name in schema.names], schema=schema)
