"""The corpus's tokens taken from the token cache that ``annotate agree`` or an earlier build made
(:func:`tagline.corpus.sentence_table.cached_tokens`) instead of tokenising, in the chunks a
:class:`~tagline.eval.build.tokens.TokenJob` hands on: each text's token count and the tokens'
offsets, from which the build cuts the words as it does the workers' (``tokenize.words_at``)."""

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
    no worker, no tokenising; each chunk's offsets are views of the cache's."""

    def __init__(self, texts: pa.Array, bounds: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        super().__init__(texts, texts, workers=1)  # rows and chunk bounds, no worker
        self.texts = self.langs = None  # the words are cut from the build's own texts
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
        import numpy as np

        for first, stop in zip(self.bounds[:-1], self.bounds[1:]):
            low, high = int(self.token_bounds[first]), int(self.token_bounds[stop])
            counts = np.diff(self.token_bounds[first:stop + 1])
            if tokenised:
                tokenised(stop)
            yield first, stop, (counts, self.starts[low:high], self.ends[low:high])


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
