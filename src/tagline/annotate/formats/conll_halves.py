"""A large plain CoNLL file read as columns (:func:`.conll_bulk.read_columns`) by two worker processes
forked from the command, each the sentences of one half of the file (cut at a blank line), while the
command waits: the halves' columns, joined, are those one reading of the whole file gives (the
second half's label numbers put in the first's numbering, its records after the first's).

The command forks before it imports Arrow (whose CSV reader leaves threads running, and a process
that runs another thread may not fork: :func:`~tagline.corpus.workers.only_thread`), so it may fork
again as it writes. Each worker reads only: stopping it (Ctrl-C, a half that is not plain) leaves
nothing behind. A half that is not plain leaves the file to the general reader, as a reading in turn
does."""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, cast

from tagline.annotate.formats import conll_bulk
from tagline.annotate.formats.common import ReadOptions
from tagline.annotate.formats.conll_bulk import SpanColumns, plain_bytes, read_part

# A file this large or larger is read in two workers: below it, forking costs about what it saves.
WORKER_BYTES = 1 << 22
_WRITTEN = re.compile(rb"[^\n]")  # the file's first line that is not blank begins here
_SEPARATOR = "\x00"  # in no text of a plain file (its bytes hold none): the texts are sent as one string


def read_columns_in_halves(path: Path, options: ReadOptions) -> SpanColumns | None:
    """:func:`~.conll_bulk.read_columns` of ``path``, its halves read at once by two forked workers when
    the file is large (from :data:`WORKER_BYTES`) and this process has a second core and may fork."""
    from tagline.corpus.workers import cores, iter_in_workers, numpy_without_threads, only_thread

    if options.columns is not None:
        return None
    if path.stat().st_size < WORKER_BYTES or cores() < 2 or not only_thread():
        return conll_bulk.read_columns(path, options)
    plain = plain_bytes(path)
    if plain is None:
        return None
    data, separator = plain
    cut = data.find(b"\n\n", len(data) // 2)
    written = _WRITTEN.search(data)
    if cut < 0 or written is None:
        whole = read_part(path, options, data, separator)
        return whole if whole is not None and whole.texts else None
    # Every token line has the columns of the file's first: each half is checked against it.
    line_end = data.find(b"\n", written.start())
    columns = data[written.start():line_end if line_end >= 0 else len(data)].count(separator.encode("ascii")) + 1
    halves = [(0, cut + 1, 1), (cut + 1, len(data), 1 + data.count(b"\n", 0, cut + 1))]
    held = [data]
    del data

    def read_half(start: int, stop: int, line: int) -> tuple[Any, ...] | None:
        return _sent(read_part(path, options, held[0], separator, start, stop, line, columns))

    numpy_without_threads()  # (imported by the joining below: no thread started, so the command may fork again)
    parts = cast(Generator[tuple[Any, ...] | None, None, None], iter_in_workers(read_half, halves, 2, start="fork"))
    try:
        return _joined(path, _dropping(parts, held))
    finally:
        parts.close()  # (stops a worker still reading what is not wanted)


def _dropping(parts: Iterator[tuple[Any, ...] | None], held: list[bytes]) -> Iterator[tuple[Any, ...] | None]:
    """``parts``, the file's bytes let go of in this process once the workers (which hold them) are
    forked, as the first part comes."""
    for part in parts:
        held.clear()
        yield part


def _sent(columns: SpanColumns | None) -> tuple[Any, ...] | None:
    """A half's columns as a worker sends them back: the texts as one string (a list of a million
    short strings is pickled several times slower), the lines and spans as arrays."""
    import numpy as np

    if columns is None:
        return None
    return (len(columns.texts), _SEPARATOR.join(columns.texts), np.array(columns.lines, dtype=np.int64),
            *columns.spans(), columns.labels)


def _joined(path: Path, parts: Iterator[tuple[Any, ...] | None]) -> SpanColumns | None:
    """The halves' columns one after the other, the label numbers of each in one numbering; ``None``
    when a half is not plain or holds no record."""
    import numpy as np

    joined = SpanColumns(path)
    for part in parts:
        if part is None:
            return None
        count, texts, lines, records, starts, ends, numbers, names = part
        known = {name: number for number, name in enumerate(joined.labels or names)}
        for name in names:
            known.setdefault(name, len(known))
        numbering = np.array([known[name] for name in names], dtype=np.int64)
        joined.add(texts.split(_SEPARATOR) if count else [], lines.tolist(), records, starts, ends,
                   numbering[numbers] if len(numbers) else numbers, list(known))
    return joined if joined.texts else None
