"""A large indented Label Studio task array read in parts (:class:`.label_studio_bulk.Part`) by two
worker processes forked from the command, at once, while the command checks and writes the tasks of
the parts before: the parts' columns, in the file's order, are the columns one reading of the whole
file gives (:func:`.label_studio_columns.plain_columns`), the tasks keyed by their number renumbered
in the file, and each task's line counted by its worker from its part's first line and numbered in
the file by the command.

The parts are cut where a line begins with a task at the first task's indent (found in a window of
the file at every few megabytes, nothing else read); each part is then decoded as an array of whole
tasks, which fails unless it was cut between two tasks of the file's array: a file laid out so that
a cut falls inside a task is left to the general reader (slower, the same files), never read
wrong. Each worker only reads: stopping it (Ctrl-C, a part that is not plain) leaves nothing behind."""

from __future__ import annotations

import gc
import os
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, cast

from tagline.annotate.formats.common import ReadOptions
from tagline.annotate.formats.label_studio_bulk import _OPENING, NotPlain, Part, _Lines
from tagline.annotate.formats.label_studio_columns import TaskColumns, _wheres, plain_columns

if TYPE_CHECKING:
    import numpy as np

PART_BYTES = 1 << 24  # bytes of the file a worker reads at a call (some 6,000 tasks of the benchmark's)
FIRST_PART_BYTES = 1 << 21  # the first part's (see file_parts)
_WINDOW = 1 << 16  # bytes looked at for a part's start


def file_parts(path: Path, first: int | None = None, every: int | None = None) -> list[Part] | None:
    """``path`` cut into parts of up to ``every`` bytes, each beginning where a line begins with a
    task at the first task's indent; ``None`` when the file is not indented so (its first task on
    the line of the ``[``) or holds one part only. The first part is of ``first`` bytes, each
    next half as large again, and the last ones a third of what is left: the command waits for the
    workers at the start and they for it at the end only that long (the parts come back in order,
    each worker reading every other one)."""
    first, every = first or FIRST_PART_BYTES, every or PART_BYTES
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(_WINDOW)
        opening = _OPENING.match(head)
        if opening is None or opening.end() >= len(head):
            return None
        begins = head.rfind(b"\n", 0, opening.end()) + 1
        if not begins:
            return None
        indent = head[begins:opening.end()]
        marker = b"\n" + indent + b"{"
        starts = [0]
        length = first
        target = max(first, opening.end())
        while True:
            handle.seek(target)
            window = handle.read(_WINDOW)
            if len(window) < len(marker):
                break
            found = window.find(marker)
            if found < 0:  # (a marker across the window's end is found in the next)
                target += len(window) - len(marker) + 1
                continue
            starts.append(target + found + len(marker) - 1)
            length = min(every, max(length * 3 // 2, 1), max(first, (size - starts[-1]) // 3))
            target = starts[-1] + length
    if len(starts) < 2:
        return None
    return [Part(start, stop, indent) for start, stop in zip(starts, [*starts[1:], None])]


def read_part(path: Path, options: ReadOptions, part: Part) -> TaskColumns:
    """The tasks of ``part`` as columns (in a worker: see :func:`columns_in_parts`), their lines
    counted from the part's first and the part's newlines in all last (:attr:`TaskColumns.part_lines`);
    :class:`NotPlain` when they are not plain or the part was not cut between two tasks."""
    import numpy as np

    gc.disable()  # (the worker's: what it decodes holds no cycle, and it ends with the import)
    lines = _Lines(str(path))
    read = [columns for columns in plain_columns(path, options, part=part, lines=lines) if columns.texts]
    if not read:
        raise NotPlain
    joined = TaskColumns.joined(read)
    joined.part_lines = np.append(cast(np.ndarray, joined.part_lines), lines.line - 1)
    return joined


def columns_in_parts(path: Path, options: ReadOptions, parts: list[Part]) -> Generator[TaskColumns, None, None]:
    """The columns of each of ``parts`` in turn, read by two workers forked from this process (which
    must run no other thread: see :func:`~tagline.corpus.workers.only_thread`), their tasks' lines
    numbered from where their part begins and their numbered tasks renumbered here; :class:`NotPlain`
    (raised in the file's order) as :func:`plain_columns` raises it. Closing the generator stops the
    workers."""
    from tagline.corpus.workers import iter_in_workers, numpy_without_threads

    # NumPy imported before the workers are forked, so that each need not import it again (BLAS without
    # its threads, so that this process may fork: see numpy_without_threads).
    numpy_without_threads()
    import numpy  # noqa: F401

    def read(part: Part) -> TaskColumns:
        return read_part(path, options, part)

    chunks = cast(Generator[TaskColumns, None, None],
                  iter_in_workers(read, ((part,) for part in parts), 2, start="fork"))
    try:
        lines, line = _Lines(str(path)), 1  # (the line where the next part begins)
        tasks, labelled = 0, False
        for columns in chunks:
            for task in columns.numbered or ():
                columns.keys[task] = str(int(columns.keys[task]) + tasks)
            counted = cast("np.ndarray", columns.part_lines)
            columns.wheres = _wheres(counted[:-1] + (line - 1), lines)
            columns.numbered = columns.part_lines = None
            tasks, line = tasks + len(columns.texts), line + int(counted[-1])
            labelled = labelled or len(columns.labels) > 0
            yield columns
        if not labelled:
            raise NotPlain  # without a span anywhere, the general reader gives annotations no span answer
    finally:
        chunks.close()  # (stops the workers, which may be reading what is not wanted)
