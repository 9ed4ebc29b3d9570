"""Tokens (MeCab for Japanese) and BIO tags of the sentences config, made in worker processes at scale."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tagline.corpus import workers as pool
from tagline.corpus.workers import cores
from tagline.eval.build.columns import string_array

if TYPE_CHECKING:
    from concurrent.futures import Future

    import numpy as np
    import pyarrow as pa

    from tagline.corpus.execution import Execution
    from tagline.corpus.sentence_table import TokenCacheWriter

# Tokens are made in worker processes (one per core) from this many sentences on: below it, starting
# the workers (about a second) costs more than it saves.
PARALLEL_TOKENS_MIN_SENTENCES = 50_000
TOKEN_CHUNK_SENTENCES = 20_000
# What the error says when a script that builds outside a main guard started the workers.
REFUSED_FIX = ('call build_dataset under `if __name__ == "__main__":` (each worker imports the script again), '
               "or pass workers=1")

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
        order = _sorted_order(row, start, end)
        return cls(flat, order, row[order], start[order], end[order], code[order],
                   pc.is_valid(spans).to_numpy(zero_copy_only=False))


def _sorted_order(row: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The order that sorts spans by row, then by ``(start, end)``, stably: the spans as they are when
    they already are (the gold's are, mostly), which one look finds, else :func:`numpy.lexsort`'s."""
    import numpy as np

    same_row = row[1:] == row[:-1]
    same_start = same_row & (start[1:] == start[:-1])
    in_order = (row[1:] >= row[:-1]) & (~same_row | (start[1:] >= start[:-1])) & (~same_start | (end[1:] >= end[:-1]))
    if in_order.all():
        return np.arange(len(row))
    return np.lexsort((end, start, row))  # by row, then (start, end); stable


class TokenJob:
    """The tokens of a column of texts, in its row order, made :data:`TOKEN_CHUNK_SENTENCES` rows at a
    time: in worker processes that start on them at once, so that they tokenise while the build reads
    on, or else (few rows, one worker, the Dask backend) when :meth:`chunks` asks for them. As a
    context manager: leaving it on a failure or an interruption stops the workers. Given a ``cache``
    (the texts are then every sentence of the corpus), the tokens are written there as they come; the
    build puts it in place once it is complete."""

    def __init__(self, texts: pa.Array, langs: pa.Array, workers: int | None = None,
                 execution: Execution | None = None, cache: TokenCacheWriter | None = None) -> None:
        self.texts: pa.Array | None = texts
        self.langs: pa.Array | None = langs
        self.rows, self.execution = len(texts), execution
        self.cache = cache  # where the tokens are saved as they come, when they are the whole corpus's
        pooled = self.in_workers(len(texts), workers, execution)
        self.bounds = chunk_bounds(len(texts), pooled)
        self.pool: pool.WorkerPool | None = None
        self.futures: list[Future | None] = []
        if pooled:
            self.pool = pool.WorkerPool(min(cores() if workers is None else workers, len(self.bounds) - 1),
                                        refused_fix=REFUSED_FIX)
            try:
                # Every chunk at once, as a compact copy of its rows (an Arrow slice is sent with its whole
                # buffers), so the workers never wait for this process, which reads the gold meanwhile.
                self.futures = [self.pool.submit(tokens_of_chunk, *self._chunk(index))
                                for index in range(len(self.bounds) - 1)]
            except BaseException as error:
                self.pool.__exit__(type(error), error, error.__traceback__)
                raise
            self.texts = self.langs = None  # in the calls now

    @staticmethod
    def in_workers(rows: int, workers: int | None, execution: Execution | None) -> bool:
        """Whether the tokens of ``rows`` texts are made in worker processes started at once."""
        chunks = -(-rows // TOKEN_CHUNK_SENTENCES)
        return not (execution is not None and execution.dask) and rows >= PARALLEL_TOKENS_MIN_SENTENCES \
            and (cores() if workers is None else workers) >= 2 and chunks >= 2

    def _chunk(self, index: int) -> tuple[pa.Array, pa.Array]:
        import pyarrow as pa

        assert self.texts is not None and self.langs is not None
        first, stop = self.bounds[index], self.bounds[index + 1]
        return (pa.concat_arrays([self.texts.slice(first, stop - first)]),
                pa.concat_arrays([self.langs.slice(first, stop - first)]))

    def chunks(self, tokenised: Callable[[int], None] | None = None) -> Iterator[tuple[int, int, tuple]]:
        """``(first, stop, (counts, starts, ends))`` of each chunk of rows in order (see
        :func:`tokens_of_chunk`; the offsets int32); ``tokenised(rows)`` is called as chunks come, with
        the rows done so far. The workers end once the last chunk is handed on."""
        import numpy as np

        count = len(self.bounds) - 1
        dask = self.execution is not None and self.execution.dask
        if self.pool is not None:
            results: Iterable[Any] = (future.result() for future in self.futures if future is not None)
        elif dask:
            from tagline.eval.parallel import executing, map_tasks

            done = [0]

            def chunk_done(index: int) -> None:  # as the cluster's results come, in any order
                done[0] += self.bounds[index + 1] - self.bounds[index]
                if tokenised:
                    tokenised(done[0])

            with executing(self.execution):
                results = map_tasks(tokens_of_chunk, (self._chunk(index) for index in range(count)),
                                    on_result=chunk_done)
        else:
            results = (tokens_of_chunk(*self._chunk(index)) for index in range(count))
        for index, (counts, starts, ends) in enumerate(results):
            if self.pool is not None:
                self.futures[index] = None  # its result is let go of with the chunk
            starts, ends = starts.astype(np.int32), ends.astype(np.int32)
            if self.cache is not None:
                self.cache.add(counts, starts, ends)
            if tokenised and not dask:
                tokenised(self.bounds[index + 1])
            yield self.bounds[index], self.bounds[index + 1], (counts, starts, ends)
        if self.pool is not None:
            self.pool.close()

    def __enter__(self) -> TokenJob:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None:
        if self.pool is not None:
            self.pool.__exit__(kind, error, trace)


def chunk_bounds(rows: int, pooled: bool) -> list[int]:
    """Where each chunk of ``rows`` rows begins, and the end: :data:`TOKEN_CHUNK_SENTENCES` rows a chunk,
    but for workers the last two chunks' rows in quarters, so that at the end no worker is left with a
    whole chunk to make while the other cores wait (a chunk is about a second of CPU)."""
    size = TOKEN_CHUNK_SENTENCES
    cut = rows - 2 * size if pooled else rows
    if cut <= 0:
        return [*range(0, rows, size), rows]
    return [*range(0, cut, size), *range(cut, rows, max(1, size // 4)), rows]


def tokens_of_chunk(texts: pa.Array, langs: pa.Array) -> tuple:
    """``(counts, starts, ends)`` of a run of texts (run in worker processes at scale): how many tokens
    each text has (int32), and each token's offsets in characters, flattened in the same order: uint16
    where every offset fits, else int32. Offsets alone, not the words: a worker's result is read from
    its pipe by the build's process a piece at a time, while the worker waits, and the words are four
    times their offsets' size; the build cuts them from its own texts (``tokenize.words_at``)."""
    import numpy as np

    from tagline.corpus.tokenize import tokenize_offsets

    counts, starts, ends = tokenize_offsets(texts, langs)
    counts = counts.astype(np.int32)
    width = np.uint16 if int(ends.max(initial=0)) <= np.iinfo(np.uint16).max else np.int32
    return counts, starts.astype(width), ends.astype(width)


def tokens_and_tags(job: TokenJob, texts: pa.Array, spans: pa.Array, entity_labels: list[str],
                    universe_of_row: np.ndarray | None, rank: np.ndarray, n_splits: int,
                    tokenised: Callable[[int], None] | None = None) -> tuple[list[tuple[pa.Array, pa.Array]], dict]:
    """Tokens for every sentence and BIO tags where entities are gold (null elsewhere), split by split.

    An entity whose edges fall inside a token is tagged on the tokens it overlaps and counted as
    misaligned; an entity overlapping an earlier one cannot be written in BIO and is counted as
    nested. Both counts are returned (the entity alignment of the report), and the spans themselves
    stay in ``entities`` unchanged.

    ``texts`` and ``spans`` (gold spans with label names) are Arrow arrays with one row per sentence
    of the universe, in corpus order; ``rank`` is each one's split. ``job`` tokenises the universe's
    texts or, when it started before the universe was known, every sentence of the corpus: then
    ``universe_of_row`` gives each of its rows' place in the universe (-1: not in it). One
    ``(tokens, ner_tags)`` pair of Arrow arrays is returned per split, its rows in corpus order.

    Each chunk's tags are made as it comes in, and its words cut from ``texts``' data buffer split by
    split (one copy, not a chunk's list made and then filtered into the splits); each split's lists
    are put together once, at the end, the tags kept narrow until then.
    """
    import numpy as np
    import pyarrow as pa

    from tagline.corpus.tokenize import word_edges, words_between

    if texts.type != pa.string():  # one data buffer, which every chunk's words are cut from
        texts = texts.cast(pa.string())
    sorted_spans = _Spans.of(spans, entity_labels)
    tag_type = np.int16 if 2 * len(entity_labels) < np.iinfo(np.int16).max else np.int64
    pieces = [_SplitPieces() for _ in range(n_splits)]
    statuses = []
    data = None
    for first, stop, (counts, starts, ends) in job.chunks(tokenised):
        positions = np.arange(first, stop) if universe_of_row is None else universe_of_row[first:stop]
        member = positions >= 0
        if not member.all():
            counts, starts, ends = _rows_of(counts, starts, ends, member)
            positions = positions[member]
        if not len(positions):
            continue
        low, high = int(positions[0]), int(positions[-1]) + 1  # consecutive: the universe is in corpus order
        chunk_texts = texts.slice(low, high - low)
        bounds = np.concatenate(([0], np.cumsum(counts)))
        data, edges = word_edges(chunk_texts, bounds, starts, ends)
        span_low, span_high = np.searchsorted(sorted_spans.row, [low, high]).tolist()
        has_spans = sorted_spans.has_spans[low:high]
        tags, status = tags_of_chunk(bounds, starts, ends, _widest(chunk_texts), has_spans,
                                     sorted_spans.row[span_low:span_high] - low,
                                     sorted_spans.start[span_low:span_high], sorted_spans.end[span_low:span_high],
                                     sorted_spans.code[span_low:span_high])
        statuses.append(status)
        tags = tags.astype(tag_type)  # the codes are small: the split's pieces kept narrow until its lists are made
        split_of_row = rank[low:high]
        for split, piece in enumerate(pieces):
            mine = split_of_row == split
            if mine.all():
                piece.add(counts, words_between(data, edges), tags, has_spans)
            elif mine.any():
                token_mine = np.repeat(mine, counts)
                piece.add(counts[mine], words_between(data, edges.reshape(-1, 2)[token_mine].reshape(-1)),
                          tags[token_mine], has_spans[mine])
    status = np.concatenate(statuses) if statuses else np.zeros(0, np.int8)
    parts = []
    for index, piece in enumerate(pieces):
        parts.append(piece.lists())
        pieces[index] = _SplitPieces()  # each split's pieces are let go of once its lists are made
    return parts, _alignment(status, sorted_spans, texts, entity_labels, np.arange(len(texts)))


def _widest(texts: pa.Array) -> int:
    """The length in characters of the longest of ``texts``."""
    import pyarrow.compute as pc

    return int(pc.max(pc.utf8_length(texts)).as_py() or 0)


class _SplitPieces:
    """What a split keeps of each chunk until its lists are made: its rows' token counts, their words
    (a string array), every token's tag and whether each row has entity gold (a tag list, else null)."""

    def __init__(self) -> None:
        self.counts: list[np.ndarray] = []
        self.words: list[pa.Array] = []
        self.tags: list[np.ndarray] = []
        self.has_spans: list[np.ndarray] = []

    def add(self, counts: np.ndarray, words: pa.Array, tags: np.ndarray, has_spans: np.ndarray) -> None:
        self.counts.append(counts)
        self.words.append(words)
        self.tags.append(tags)
        self.has_spans.append(has_spans)

    def lists(self) -> tuple[pa.Array, pa.Array]:
        """The split's ``tokens`` (``list<string>``) and ``ner_tags`` (``list<int64>``, null where a row
        has no entity gold)."""
        import numpy as np
        import pyarrow as pa

        counts = np.concatenate(self.counts) if self.counts else np.zeros(0, np.int64)
        words = pa.concat_arrays(self.words) if self.words else pa.array([], pa.string())
        self.words = []
        token_offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
        tokens = pa.ListArray.from_arrays(pa.array(token_offsets), words)
        has_spans = np.concatenate(self.has_spans) if self.has_spans else np.zeros(0, bool)
        tags = np.concatenate(self.tags) if self.tags else np.zeros(0, np.int64)
        self.tags = []
        return tokens, _ner_tags(tags, has_spans, counts)


def _rows_of(counts: np.ndarray, starts: np.ndarray, ends: np.ndarray, member: np.ndarray) -> tuple:
    """The token counts and offsets of the rows where ``member`` is true."""
    import numpy as np

    token_member = np.repeat(member, counts)
    return counts[member], starts[token_member], ends[token_member]


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


def tags_of_chunk(bounds: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int, has_spans: np.ndarray,
                  span_row: np.ndarray, span_start: np.ndarray, span_end: np.ndarray, span_code: np.ndarray) -> tuple:
    """BIO tags for a run of tokenised sentences, none of whose texts is longer than ``width``: the
    ``i``-th sentence's tokens are at ``starts[bounds[i]:bounds[i + 1]]`` and the ``ends`` beside them.

    The spans come flattened, sorted by row and then by ``(start, end)``; ``span_row`` counts from
    the first sentence of the run. Returns ``(tags, status)``: every token's tag (see
    :func:`_bio_tags`; those of sentences without entity gold are left out of the column, see
    :func:`_ner_tags`), and ``status``, saying what became of each span (see ``_TAGGED`` and the rest).
    """
    import numpy as np

    tokens_per_row = np.diff(bounds)
    token_row = np.repeat(np.arange(len(tokens_per_row), dtype=np.int64), tokens_per_row)
    starts, ends = starts.astype(np.int64), ends.astype(np.int64)

    # A token is under a span when it starts before the span's end and ends after its start; tokens
    # are in order and do not overlap, so those are a run [first, last]. Keys make one sorted array
    # of the whole chunk (row * width + offset) so that every span is found with one searchsorted.
    width = max(width, int(ends.max(initial=0))) + 2
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
    return _bio_tags(n_tokens, first[tagged], last[tagged], span_code[tagged]), status


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


def _ner_tags(tags: np.ndarray, has_spans: np.ndarray, tokens_per_row: np.ndarray) -> pa.Array:
    """The tags (every token's) as one list per sentence; sentences without entity gold get no tag list
    (null), not a list of O."""
    import numpy as np
    import pyarrow as pa

    has_spans = np.asarray(has_spans, dtype=bool)
    tag_offsets = np.concatenate(([0], np.cumsum(np.where(has_spans, tokens_per_row, 0)))).astype(np.int32)
    no_gold = ~has_spans
    kept = tags if not no_gold.any() else tags[np.repeat(has_spans, tokens_per_row)]
    return pa.ListArray.from_arrays(pa.array(tag_offsets), pa.array(kept.astype(np.int64, copy=False)),
                                    type=pa.list_(pa.int64()), mask=pa.array(no_gold) if no_gold.any() else None)
