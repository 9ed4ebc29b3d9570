"""Lines and short fields of a JSONL file's bytes, found with NumPy: what the derived indexes
(`sentence_index`, the annotators' answer folds) need of a million lines, without a Python object
per line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# Bytes compared at once when looking for newlines: the comparison's buffer is reused, so a file of
# hundreds of megabytes costs no temporary array of its size.
SCAN_BLOCK = 1 << 22


def newline_offsets(data: bytes | memoryview) -> np.ndarray:
    """The offsets of every newline in ``data`` (int64), in order."""
    import numpy as np

    view = np.frombuffer(data, dtype=np.uint8)
    found = np.empty(min(SCAN_BLOCK, len(view)), dtype=bool)
    parts: list[np.ndarray] = [np.zeros(0, np.int64)]
    for start in range(0, len(view), SCAN_BLOCK):
        block = view[start:start + SCAN_BLOCK]
        np.equal(block, 10, out=found[:len(block)])
        parts.append(np.flatnonzero(found[:len(block)]) + start)
    return np.concatenate(parts).astype(np.int64, copy=False)


def fixed_width(data: bytes | memoryview | np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The byte strings ``data[starts[i]:starts[i] + lengths[i]]`` as one NumPy ``S`` array (as wide as
    the longest), gathered in one operation. Like any ``S`` array, trailing NUL bytes are not kept."""
    import numpy as np

    view = data if isinstance(data, np.ndarray) else np.frombuffer(data, dtype=np.uint8)
    starts, lengths = np.asarray(starts, dtype=np.int64), np.asarray(lengths, dtype=np.int64)
    width = max(1, int(lengths.max()) if len(lengths) else 1)
    if len(view) < width:
        view = np.concatenate([view, np.zeros(width - len(view), np.uint8)])
    windows = np.lib.stride_tricks.as_strided(view, shape=(len(view) - width + 1, width), strides=(1, 1),
                                              writeable=False)
    last = len(view) - width
    rows = windows[np.minimum(starts, last)]
    for row in np.flatnonzero(starts > last).tolist():  # the last few, whose window would run past the end
        start = int(starts[row])
        rows[row] = np.frombuffer(bytes(view[start:start + width]).ljust(width, b"\0"), np.uint8)
    rows = np.where(np.arange(width) < lengths[:, None], rows, 0).astype(np.uint8)
    return np.ascontiguousarray(rows).view(f"S{width}").reshape(len(starts))


@dataclass
class NotedLines:
    """Whole JSON lines a writer holds before it appends them: how many bytes, where each line starts
    among them, the id each is keyed by, and whether there was a line per id."""

    size: int
    starts: np.ndarray
    ids: np.ndarray
    whole: bool


def note_lines(payload: bytes, ids: list[str]) -> NotedLines:
    """Note ``payload`` (whole JSON lines, the ``i``-th keyed by ``ids[i]``)."""
    import numpy as np

    newlines = newline_offsets(payload)
    whole = len(newlines) == len(ids) and (not len(payload) or newlines[-1] == len(payload) - 1)
    starts = np.concatenate(([0], newlines[:-1] + 1)).astype(np.int64) if len(newlines) else np.zeros(0, np.int64)
    return NotedLines(len(payload), starts, _encoded(ids) if ids else np.zeros(0, "S1"), whole)


def _encoded(ids: list[str]) -> np.ndarray:
    """``ids`` in UTF-8, as an ``S`` array: NumPy encodes ASCII ones (the usual ids) in one call."""
    import numpy as np

    try:
        return np.array(ids, dtype=bytes)
    except UnicodeEncodeError:
        return np.array([key.encode("utf-8") for key in ids], dtype=bytes)


@dataclass
class AppendedLines:
    """The JSON lines a writer appended to one file, noted as it appends them (one call of :meth:`add`
    per append, in order): where each line starts in the file and the id it is keyed by, so that the
    file's index can be extended without reading them back. ``whole`` turns False when an append did
    not follow the one before or did not hold a line per id; nothing can be taken from it then."""

    first: int = -1  # where the first appended line starts; -1 while nothing was noted
    end: int = -1  # where the last appended line ends
    whole: bool = True
    _starts: list[np.ndarray] = field(default_factory=list)
    _ids: list[np.ndarray] = field(default_factory=list)

    def add(self, offset: int, payload: bytes | NotedLines, ids: list[str] | None = None) -> None:
        """Note ``payload`` (whole JSON lines, the ``i``-th keyed by ``ids[i]``, or the lines noted
        before they were appended), appended at ``offset``."""
        noted = payload if isinstance(payload, NotedLines) else note_lines(payload, ids or [])
        if (self.end >= 0 and offset != self.end) or not noted.whole:
            self.whole = False
        if self.first < 0:
            self.first = offset
        self.end = offset + noted.size
        self._starts.append(noted.starts + offset)
        self._ids.append(noted.ids)

    def starts(self) -> np.ndarray:
        """Where each line starts in the file, in order."""
        import numpy as np

        return np.concatenate([np.zeros(0, np.int64), *self._starts])

    def ids(self) -> np.ndarray:
        """Each line's id (UTF-8 bytes, as wide as the longest), in order."""
        import numpy as np

        width = max([1, *(part.dtype.itemsize for part in self._ids)])
        return np.concatenate([np.zeros(0, f"S{width}"), *(part.astype(f"S{width}") for part in self._ids)])


def mapped_bytes(handle: Any, start: int, size: int) -> memoryview:
    """``size`` bytes from ``start`` of the open file ``handle`` (the unnamed file a bulk import holds
    its answer lines in until it appends them), mapped rather than read: written from the page cache,
    without a copy in this process's memory to fault in page by page. Unmapped once no view of them is
    left, so that no more than one piece at a time counts in the process's resident memory."""
    import mmap

    if not size:
        return memoryview(b"")
    aligned = start - start % mmap.ALLOCATIONGRANULARITY
    mapped = mmap.mmap(handle.fileno(), start + size - aligned, access=mmap.ACCESS_READ, offset=aligned)
    return memoryview(mapped)[start - aligned:]
