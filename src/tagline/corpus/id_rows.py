"""Ids kept compactly, each with its row (the order it was added in), found again by id.

A ``dict`` of a million string ids takes some 150 MB; here an id takes its UTF-8 bytes in one
buffer, the offset of its end and its hash (some 40 bytes in all), and is found by a binary search
over the sorted hashes. Python's ``hash`` is the hash (the same for the same string within one
process, which is as long as an :class:`IdRows` lives); two ids with the same hash are told apart
by their bytes, so what :meth:`IdRows.find` answers is exact.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np


class IdRows:
    """Ids added one after another (rows 0, 1, ...); once every id is added, :meth:`find` gives the
    last row of an id (as a ``dict`` filled in the same order keeps the last value) and
    :meth:`repeats` the rows of the ids added more than once."""

    def __init__(self) -> None:
        self._bytes = bytearray()
        self._ends = array("q")
        self._hashes = array("q")
        self._sorted: tuple[Any, Any] | None = None
        self._distinct = False  # no two ids share a hash (so none is repeated)

    def __len__(self) -> int:
        return len(self._ends)

    def add(self, id_: str) -> int:
        """Add ``id_`` as the next row, and give that row."""
        self._bytes += id_.encode("utf-8")
        self._ends.append(len(self._bytes))
        self._hashes.append(hash(id_))
        self._sorted = None
        return len(self._ends) - 1

    def id(self, row: int) -> str:
        ends = self._ends
        return self._bytes[ends[row - 1] if row else 0:ends[row]].decode("utf-8")

    def _index(self) -> tuple[Any, Any]:
        """The hashes sorted, and the row of each (rows of equal hashes in rising order)."""
        if self._sorted is None:
            hashes = np.array(self._hashes, dtype=np.int64)
            order = np.argsort(hashes, kind="stable")
            self._sorted = (hashes[order], order)
            self._distinct = not bool(np.any(self._sorted[0][1:] == self._sorted[0][:-1]))
        return self._sorted

    def find(self, id_: str, near: int = -1) -> int:
        """The last row holding ``id_``, or -1 when it was never added; ``near``, the row it is
        likely at, is looked at first (no search when it holds ``id_`` and no hash is repeated)."""
        hashes, order = self._index()
        if self._distinct and 0 <= near < len(order) and self.id(near) == id_:
            return near
        wanted = hash(id_)
        place, found = int(np.searchsorted(hashes, wanted)), -1
        while place < len(order) and hashes[place] == wanted:
            row = int(order[place])
            if self.id(row) == id_:
                found = row
            place += 1
        return found

    def repeats(self) -> list[list[int]]:
        """The rows of each id added more than once (each list rising, the lists by their first row)."""
        hashes, order = self._index()
        shared = hashes[1:] == hashes[:-1]
        if not shared.any():
            return []
        candidates = order[np.isin(hashes, hashes[1:][shared])]
        groups: dict[str, list[int]] = {}
        for row in sorted(candidates.tolist()):
            groups.setdefault(self.id(row), []).append(row)
        return [rows for rows in groups.values() if len(rows) > 1]


__all__ = ["IdRows"]
