"""Tokens (MeCab for Japanese) and BIO tags of the sentences config, made in worker processes at scale."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tagline.eval.build import workers as pool
from tagline.eval.build.columns import string_array

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from tagline.corpus.execution import Execution

# Tokens are made in worker processes (one per core) from this many sentences on: below it, starting
# the workers (about a second) costs more than it saves.
PARALLEL_TOKENS_MIN_SENTENCES = 50_000
TOKEN_CHUNK_SENTENCES = 20_000

# What became of each entity span when tagging: tagged, no token under it, overlapping an earlier
# span (left out of BIO), tagged though its edges fall inside a token.
_TAGGED, _UNCOVERED, _NESTED, _TAGGED_MISALIGNED = 0, 1, 2, 3


@dataclass
class _Spans:
    """The gold spans of all rows, flattened and sorted by row, then by ``(start, end)``."""

    flat: pa.Array  # the span structs, in the order of the rows' lists
    order: np.ndarray  # for each sorted span, its place in ``flat``
    row: np.ndarray
    start: np.ndarray  # -1 where the span has no start
    end: np.ndarray
    code: np.ndarray  # the label's place in the entity labels
    has_spans: np.ndarray  # per row: whether it has entity gold (a list, maybe empty)

    @classmethod
    def of(cls, spans: pa.Array, entity_labels: list[str]) -> _Spans:
        import numpy as np
        import pyarrow.compute as pc

        flat = pc.list_flatten(spans)
        row = pc.list_parent_indices(spans).to_numpy().astype(np.int64)
        start = pc.fill_null(pc.struct_field(flat, "start"), -1).to_numpy().astype(np.int64)
        end = pc.fill_null(pc.struct_field(flat, "end"), 0).to_numpy().astype(np.int64)
        code = pc.index_in(pc.struct_field(flat, "label"), value_set=string_array(entity_labels)) \
            .to_numpy().astype(np.int64)
        order = np.lexsort((end, start, row))  # by row, then (start, end); stable
        return cls(flat, order, row[order], start[order], end[order], code[order],
                   pc.is_valid(spans).to_numpy(zero_copy_only=False))


def tokens_and_tags(texts: pa.Array, langs: pa.Array, spans: pa.Array, entity_labels: list[str],
                    universe_rows: np.ndarray, segments: list[int], workers: int | None = None,
                    tokenised: Callable[[int], None] | None = None,
                    execution: Execution | None = None) -> tuple[list[tuple[pa.Array, pa.Array]], dict]:
    """Tokens for every sentence and BIO tags where entities are gold (null elsewhere).

    An entity whose edges fall inside a token is tagged on the tokens it overlaps and counted as
    misaligned; an entity overlapping an earlier one cannot be written in BIO and is counted as
    nested. Both counts are returned (the entity alignment of the report), and the spans themselves
    stay in ``entities`` unchanged.

    ``texts``, ``langs`` and ``spans`` (gold spans with label names) are Arrow arrays in the order
    the rows are written; ``universe_rows`` gives each row's place in corpus order, the order in
    which misaligned spans are counted and quoted. ``segments`` are the row boundaries of the splits
    (``[0, ..., len(texts)]``): one ``(tokens, ner_tags)`` pair of Arrow arrays is returned for each.
    Above :data:`PARALLEL_TOKENS_MIN_SENTENCES` rows the work is shared by ``workers`` processes
    (default: one per core); with an ``execution`` on the Dask backend the chunks, however few, are
    made on the cluster through joblib. ``tokenised(rows)`` is called as chunks of rows are done, with the rows
    done so far.
    """
    import numpy as np

    sorted_spans = _Spans.of(spans, entity_labels)
    # Chunks never straddle two splits, so each split's arrays are made of its own chunks only.
    bounds = sorted({*segments, *(first for start, stop in zip(segments, segments[1:])
                                  for first in range(start, stop, TOKEN_CHUNK_SENTENCES))})
    span_bounds = np.searchsorted(sorted_spans.row, bounds).tolist()
    arguments = (_chunk_arguments(texts, langs, sorted_spans, bounds[index:index + 2], span_bounds[index:index + 2])
                 for index in range(len(bounds) - 1))
    workers = cores() if workers is None else workers
    rows_done = 0

    def chunk_done(index: int) -> None:
        nonlocal rows_done
        rows_done += bounds[index + 1] - bounds[index]
        if tokenised:
            tokenised(rows_done)

    if execution is not None and execution.dask:
        from tagline.eval.parallel import executing, map_tasks

        with executing(execution):
            results = map_tasks(tokens_and_tags_chunk, arguments, on_result=chunk_done)
    elif len(texts) < PARALLEL_TOKENS_MIN_SENTENCES or workers < 2 or len(bounds) < 3:
        results = []
        for index, chunk in enumerate(arguments):
            results.append(tokens_and_tags_chunk(*chunk))
            chunk_done(index)
    else:
        results = pool.map_in_workers(tokens_and_tags_chunk, arguments, min(workers, len(bounds) - 1),
                                      on_result=chunk_done)
    status = np.concatenate([status for _, _, status in results]) if results else np.zeros(0, np.int8)
    parts = _split_parts(results, bounds, segments)
    del results
    return parts, _alignment(status, sorted_spans, texts, entity_labels, universe_rows)


def _chunk_arguments(texts: pa.Array, langs: pa.Array, spans: _Spans, rows: list[int], span_rows: list[int]) -> tuple:
    """The arguments of :func:`tokens_and_tags_chunk` for the rows ``rows[0]:rows[1]``, whose spans are
    ``span_rows[0]:span_rows[1]``: plain lists and arrays, cheap to send to a worker process."""
    (first, stop), (low, high) = rows, span_rows
    return (texts.slice(first, stop - first).to_pylist(), langs.slice(first, stop - first).to_pylist(),
            spans.has_spans[first:stop], spans.row[low:high] - first, spans.start[low:high], spans.end[low:high],
            spans.code[low:high])


def _split_parts(results: list, bounds: list[int], segments: list[int]) -> list[tuple[pa.Array, pa.Array]]:
    """The chunks' tokens and tags joined into one ``(tokens, ner_tags)`` pair per split; each chunk is let
    go of once it is copied, so the tokens are never held twice over."""
    import pyarrow as pa

    parts = []
    for start, stop in zip(segments, segments[1:]):
        mine = [index for index, first in enumerate(bounds[:-1]) if start <= first < stop]
        parts.append((pa.chunked_array([results[i][0] for i in mine], pa.list_(pa.string())).combine_chunks(),
                      pa.chunked_array([results[i][1] for i in mine], pa.list_(pa.int64())).combine_chunks()))
        for index in mine:
            results[index] = None
    return parts


def _alignment(status: np.ndarray, spans: _Spans, texts: pa.Array, entity_labels: list[str],
               universe_rows: np.ndarray) -> dict:
    """Misaligned and nested spans per label, and up to five misaligned ones quoted, counted in corpus
    order as one pass over the sentences would."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    misaligned: Counter = Counter()
    nested: Counter = Counter()
    examples: list[str] = []
    events = np.flatnonzero(status != _TAGGED)
    rows_in_corpus = np.asarray(universe_rows)[spans.row[events]]
    flat_in_order = pa.array(spans.order)
    for event in events[np.lexsort((events, rows_in_corpus))].tolist():
        label = entity_labels[spans.code[event]]
        if status[event] == _NESTED:
            nested[label] += 1
            continue
        misaligned[label] += 1
        if status[event] == _TAGGED_MISALIGNED and len(examples) < 5:
            span_text = pc.struct_field(spans.flat, "text")[flat_in_order[event].as_py()].as_py()
            text = texts[int(spans.row[event])].as_py()
            examples.append(f"{span_text!r} ({label}) in {text[:40]!r}")
    return {"misaligned": dict(misaligned), "nested_not_in_bio": dict(nested), "misaligned_examples": examples}


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def tokens_and_tags_chunk(texts: list[str], langs: list[str], has_spans: np.ndarray, span_row: np.ndarray,
                          span_start: np.ndarray, span_end: np.ndarray, span_code: np.ndarray) -> tuple:
    """Tokens and BIO tags for a run of sentences (run in worker processes at scale).

    The spans come flattened, sorted by row and then by ``(start, end)``; ``span_row`` counts from
    the first sentence of the run. Returns ``(tokens, ner_tags, status)``, ``status`` saying what
    became of each span (see ``_TAGGED`` and the rest).
    """
    import numpy as np

    from tagline.corpus.tokenize import tokenize_many

    tokens, starts, ends = tokenize_many(texts, langs)
    row_offsets = np.asarray(tokens.offsets, dtype=np.int64)
    row_offsets -= row_offsets[0]
    tokens_per_row = np.diff(row_offsets)
    token_row = np.repeat(np.arange(len(texts), dtype=np.int64), tokens_per_row)

    # A token is under a span when it starts before the span's end and ends after its start; tokens
    # are in order and do not overlap, so those are a run [first, last]. Keys make one sorted array
    # of the whole chunk (row * width + offset) so that every span is found with one searchsorted.
    width = max(max(map(len, texts), default=0), int(ends.max(initial=0))) + 2
    first = np.searchsorted(token_row * width + ends,
                            span_row * width + np.clip(span_start, -1, width - 2), side="right")
    last = np.searchsorted(token_row * width + starts,
                           span_row * width + np.clip(span_end, 0, width - 1), side="left") - 1
    status = _span_status(first, last, span_row)
    tagged = status == _TAGGED
    n_tokens = len(starts)
    if n_tokens:
        edges_off = (starts[np.minimum(first, n_tokens - 1)] != span_start) | \
                    (ends[np.clip(last, 0, n_tokens - 1)] != span_end)
        status[tagged & edges_off] = _TAGGED_MISALIGNED
    tags = _bio_tags(n_tokens, first[tagged], last[tagged], span_code[tagged])
    return tokens, _ner_tags(tags, has_spans, tokens_per_row, token_row), status


def _span_status(first: np.ndarray, last: np.ndarray, span_row: np.ndarray) -> np.ndarray:
    """Tagged, uncovered (no token under it: ``first > last``) or nested, for each span."""
    import numpy as np

    covered = first <= last
    status = np.where(covered, _TAGGED, _UNCOVERED).astype(np.int8)
    # A span over a token an earlier tagged span of its sentence already tagged is nested. Only
    # sentences where a span reaches back into an earlier one's tokens need the exact walk.
    reach = np.maximum.accumulate(np.where(covered, last, -1))
    reach = np.concatenate(([-1], reach[:-1]))
    for row in np.unique(span_row[covered & (first <= reach)]).tolist():
        low, high = np.searchsorted(span_row, [row, row + 1])
        tagged_until = -1
        for k in range(low, high):
            if not covered[k]:
                continue
            if first[k] <= tagged_until:
                status[k] = _NESTED
                continue
            tagged_until = last[k]
    return status


def _bio_tags(n_tokens: int, first: np.ndarray, last: np.ndarray, code: np.ndarray) -> np.ndarray:
    """The tag of every token: ``B-<label>`` (``1 + 2 * code``) on the first token of each tagged span,
    ``I-<label>`` (``2 + 2 * code``) on the rest of its tokens, ``O`` (0) elsewhere."""
    import numpy as np

    tags = np.zeros(n_tokens, dtype=np.int64)
    tags[first] = 1 + 2 * code
    inside = last - first
    if inside.sum():
        start_of_run = np.repeat(first + 1 - (np.cumsum(inside) - inside), inside)
        tags[start_of_run + np.arange(int(inside.sum()))] = np.repeat(2 + 2 * code, inside)
    return tags


def _ner_tags(tags: np.ndarray, has_spans: np.ndarray, tokens_per_row: np.ndarray, token_row: np.ndarray) -> pa.Array:
    """The tags as one list per sentence; sentences without entity gold get no tag list (null), not a
    list of O."""
    import numpy as np
    import pyarrow as pa

    tag_offsets = np.concatenate(([0], np.cumsum(np.where(has_spans, tokens_per_row, 0)))).astype(np.int32)
    no_gold = ~np.asarray(has_spans, dtype=bool)
    return pa.ListArray.from_arrays(pa.array(tag_offsets), pa.array(tags[has_spans[token_row]] if len(tags) else tags),
                                    type=pa.list_(pa.int64()), mask=pa.array(no_gold) if no_gold.any() else None)
