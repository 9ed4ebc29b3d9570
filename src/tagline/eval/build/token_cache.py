"""The corpus's tokens taken from the token cache that ``annotate agree`` or an earlier build made
(:func:`tagline.corpus.sentence_table.cached_tokens`) instead of tokenising, in the chunks a
:class:`~tagline.eval.build.tokens.TokenJob` hands on: the words cut out of the texts' UTF-8 bytes
in bulk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from tagline.eval.build.tokens import TokenJob

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from tagline.corpus.workspace import Workspace


class CachedTokens(TokenJob):
    """A :class:`TokenJob` over every sentence of the corpus whose tokens come from the token cache:
    no worker, no tokenising; each chunk's words are cut from its texts as :meth:`chunks` asks."""

    def __init__(self, texts: pa.Array, bounds: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        super().__init__(texts, texts, workers=1)  # rows and chunk bounds, no worker
        self.token_bounds, self.starts, self.ends = bounds, starts, ends

    @classmethod
    def of(cls, workspace: Workspace, key: str | None, texts: pa.Array) -> CachedTokens | None:
        """The job of the corpus's ``texts`` (every sentence, in corpus order) from the token cache of
        ``key`` (see :func:`~tagline.corpus.sentence_table.tokens_key`), or None when there is none,
        or none that fits these texts: a damaged or foreign cache is never read. The texts, read after
        ``key`` was taken, are those of the file at ``key`` only if it is still as it was then: a file
        rewritten in place meanwhile (the same number of sentences, other texts) took the tokens
        of the texts before."""
        from tagline.corpus.sentence_table import cached_tokens, tokens_key

        table = cached_tokens(workspace, key, len(texts)) if key is not None else None
        if table is None or tokens_key(workspace) != key:
            return None
        bounds, starts, ends = _flat(table)
        if not _fits(texts, bounds, starts, ends):
            return None
        return cls(texts, bounds, starts, ends)

    def chunks(self, tokenised: Callable[[int], None] | None = None) -> Iterator[tuple[int, int, tuple]]:
        assert self.texts is not None
        for first, stop in zip(self.bounds[:-1], self.bounds[1:]):
            low, high = int(self.token_bounds[first]), int(self.token_bounds[stop])
            counts = self.token_bounds[first:stop + 1] - low
            starts, ends = self.starts[low:high], self.ends[low:high]
            tokens = token_strings(self.texts.slice(first, stop - first), counts, starts, ends)
            if tokenised:
                tokenised(stop)
            yield first, stop, (tokens, starts, ends)


def _flat(table: pa.Table) -> tuple[Any, Any, Any]:
    """Where each sentence's tokens begin and end (int64, one more than the sentences), and the
    tokens' starts and ends (int32, views of the table's buffers), of a cache table."""
    import numpy as np

    from tagline.corpus.sentence_table import int32_values

    if not table.num_rows:
        return np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32)
    starts, ends = table["starts"].chunk(0), table["ends"].chunk(0)
    bounds = int32_values(starts.offsets).astype(np.int64)
    low, high = int(bounds[0]), int(bounds[-1])
    return bounds - low, int32_values(starts.values)[low:high], int32_values(ends.values)[low:high]


def _fits(texts: pa.Array, bounds: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bool:
    """Whether the offsets can be these texts' tokens: none empty, each after the one before it in its
    text (so the first from 0 on and the last to the text's end at most: one look per text)."""
    import numpy as np
    import pyarrow.compute as pc

    if not len(starts) == len(ends) == bounds[-1]:
        return False
    if not len(starts):
        return True
    lengths = pc.utf8_length(texts).to_numpy(zero_copy_only=False)
    counts = np.diff(bounds)
    firsts, lasts = bounds[:-1][counts > 0], bounds[1:][counts > 0] - 1
    overlap = starts[1:] < ends[:-1]  # a token beginning before the one before it ends
    overlap[firsts[1:] - 1] = False  # but for each text's first token
    return bool((starts < ends).all() and (starts[firsts] >= 0).all() and (ends[lasts] <= lengths[counts > 0]).all()
                and not overlap.any())


def token_strings(texts: pa.Array, counts: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """The tokens of ``texts`` (a string array) as a ``list<string>`` array: the ``i``-th text's are at
    ``starts[counts[i]:counts[i + 1]]`` and the ``ends`` beside them, in characters, which must fit
    (see :func:`_fits`). The words are cut from the array's data buffer where its bytes are: each
    character's first byte found once, the offsets made byte offsets through it."""
    import numpy as np
    import pyarrow as pa

    if texts.type != pa.string():  # int32 offsets, as the words are cut through
        texts = texts.cast(pa.string())
    text_bytes = np.frombuffer(texts.buffers()[1], dtype=np.int32)[texts.offset:texts.offset + len(texts) + 1]
    text_bytes = text_bytes.astype(np.int64)
    data = texts.buffers()[2] or pa.py_buffer(b"")  # no buffer where every text is empty
    low, high = int(text_bytes[0]), int(text_bytes[-1])
    raw = np.frombuffer(data, dtype=np.uint8)[low:high]
    # The byte where each character of the texts begins (UTF-8 continuation bytes are 10xxxxxx), and
    # the end of the last one; every text begins at a character.
    char_byte = np.append(np.flatnonzero((raw & 0xC0) != 0x80), high - low) + low
    first_char = np.searchsorted(char_byte, text_bytes[:-1])
    base = np.repeat(first_char, np.diff(counts))
    edges = np.empty(2 * len(starts), dtype=np.int32)
    edges[0::2] = char_byte[base + starts]
    edges[1::2] = char_byte[base + ends]
    edge_buffer = pa.py_buffer(edges if len(edges) else np.zeros(1, dtype=np.int32))
    pieces = pa.StringArray.from_buffers(max(len(edges) - 1, 0), edge_buffer, data)
    words = pieces.take(pa.array(np.arange(0, len(edges) - 1, 2)))
    return pa.ListArray.from_arrays(pa.array(counts.astype(np.int32)), words)
