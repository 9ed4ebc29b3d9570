"""What the label and span measures share: item-id ordering, plain floats, ratios, annotator pairs
and nominal Krippendorff's alpha."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from itertools import combinations
from typing import Any


def id_key(value: Any) -> tuple[int, Any, str]:
    """A sort key that orders numbers, then strings, then anything else, without TypeErrors."""
    if isinstance(value, bool):
        return (2, 0, repr(value))
    if isinstance(value, (int, float)):
        return (0, value, "")
    if isinstance(value, str):
        return (1, 0, value)
    return (2, 0, repr(value))


def finite_float(value: Any) -> float | None:
    """``value`` as a Python float, or None when it is missing or not finite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def ratio(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``, or None (undefined) when the denominator is 0."""
    return numerator / denominator if denominator else None


def check_annotator(annotator: Any, item_id: Any) -> str:
    """``annotator`` itself when it is a string; a ``ValueError`` naming the item otherwise."""
    if not isinstance(annotator, str):
        raise ValueError(f"item {item_id!r}: annotator ids must be strings, got {annotator!r}")
    return annotator


def pairs(annotators: Sequence[str]) -> list[tuple[str, str]]:
    """Every pair of annotators, each once, in the order given."""
    return list(combinations(annotators, 2))


class Beside:
    """``function()`` run in a thread of its own while the caller goes on, for NumPy's work, which
    lets go of the interpreter's lock in its loops: on two cores, two measures at once (and
    adjudicate's gold writes, see ``gold_columns._WrittenBeside``). The thread is a daemon;
    :meth:`result` waits for its value or raises what it raised, and :meth:`settle`, for a caller
    raising its own error, waits for it to end (before a write of its is undone)."""

    def __init__(self, function: Callable[[], Any]) -> None:
        import threading

        self._function = function
        self._value: Any = None
        self._error: BaseException | None = None
        # Waited for by an event, not by join: a join cut by a signal (Ctrl-C) marks the thread as
        # ended while it still runs (Python 3.11), so a second join would not wait for it.
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="measure-beside", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._function()
        except BaseException as error:  # raised again by result(), in the caller's thread
            self._error = error
        finally:
            self._done.set()

    def result(self) -> Any:
        self._done.wait()
        self._thread.join()  # (ending now: gone before the caller may fork, see workers.only_thread)
        if self._error is not None:
            raise self._error
        return self._value

    def settle(self) -> None:
        """Wait for the thread to end, whatever it ends with (the caller is raising its own error); a
        signal meanwhile is recorded for the guard's next check, not raised."""
        from tagline.interrupts import deferred

        with deferred():
            self._done.wait()
            self._thread.join()


def krippendorff_nominal(codes: Any, what: str, notes: list[str]) -> float | None:
    """Nominal Krippendorff's alpha of coded ratings: ``codes`` is an (annotators x units) array or
    list of rows of non-negative ints, with -1 (or None) for a missing rating; every unit already
    holds at least two ratings.

    The value is ``krippendorff.alpha(reliability_data=..., level_of_measurement="nominal")``'s,
    computed from the coincidence matrix alone (:class:`Coincidences`), which the package
    would build from a units x values x values array: gigabytes at a million sentences."""
    import numpy as np

    if not isinstance(codes, np.ndarray):
        codes = np.array([[-1 if value is None else value for value in row] for row in codes], dtype=np.int64)
    if codes.ndim != 2 or codes.shape[0] < 2 or not codes.shape[1]:
        return None
    counted = Coincidences(int(codes.max()) + 1)
    counted.add(codes)
    return counted.alpha(what, notes)


def span_sort_key(item: Any, start: Any, end: Any, label: Any, *, like: Sequence[Sequence[Any]] = ()) -> Any:
    """One int64 per span that orders the spans as ``(item, start, end, label)`` do, or None when
    one is negative or they do not fit in 63 bits together: one sort instead of four. With ``like``
    (other spans' four columns), the keys are made as wide as those spans' need, so that the keys of
    both compare as their spans do."""
    import numpy as np

    columns = (item, start, end, label)
    sides = [columns, *like]
    if any(len(side[0]) and min(int(column.min()) for column in side) < 0 for side in sides):
        return None
    bits = [max(int(side[k].max()).bit_length() if len(side[k]) else 0 for side in sides) for k in range(4)]
    if sum(bits) > 63:
        return None
    key = np.zeros(len(item), dtype=np.int64)
    for column, width in zip(columns, bits):
        key <<= width
        key |= column
    return key


_CHUNK = 1 << 22


class Coincidences:
    """Krippendorff's coincidences of nominal codes ``0 .. n_values - 1``, counted a part of the
    units at a time (:meth:`add`): the counts are integers, so the units may come in any parts and
    the alpha (:meth:`alpha`) is the one of all the units at once, to the last bit."""

    def __init__(self, n_values: int) -> None:
        import numpy as np

        self.n_values = n_values
        self.units = 0
        self.seen: Any = np.zeros(n_values, dtype=bool)
        self.pair_counts: dict[int, Any] = {}  # per number of ratings m of a unit

    def add(self, codes: Any) -> None:
        """Count an (annotators x units) array of codes, -1 for missing (every unit holding two
        ratings or more)."""
        if (self.n_values + 1) ** codes.shape[0] <= _PATTERNS:
            self.seen[_count_patterns(codes, self.n_values, self.pair_counts)] = True
        else:
            _count_pairs(codes, self.n_values, self.pair_counts)
            self.seen[used_values(codes)] = True
        self.units += codes.shape[1]

    def alpha(self, what: str, notes: list[str]) -> float | None:
        """:func:`krippendorff_nominal` of every unit added, with its notes."""
        import numpy as np

        if not self.units:
            return None
        used = np.flatnonzero(self.seen)
        if len(used) < 2:
            notes.append(f"Krippendorff's alpha ({what}): every compared value is the same, so expected "
                         "disagreement is 0 and alpha is undefined.")
            return None
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = finite_float(_alpha(_matrix(self.pair_counts, self.n_values), used))
        if value is None:
            notes.append(f"Krippendorff's alpha ({what}) is undefined on these data.")
        return value


def used_values(codes: Any) -> Any:
    """The codes that occur (-1 aside), sorted: ``np.unique``'s answer, counted rather than sorted,
    a chunk of codes at a time (``bincount`` widens what it counts to 64 bits)."""
    import numpy as np

    seen: Any = np.zeros(0, dtype=bool)
    flat = codes.reshape(-1)
    for begin in range(0, flat.size, _CHUNK):
        chunk = flat[begin:begin + _CHUNK]
        found = np.bincount(chunk[chunk >= 0]) > 0
        if len(found) > len(seen):
            found[:len(seen)] |= seen
            seen = found
        else:
            seen[:len(found)] |= found
    return np.flatnonzero(seen)  # units per step, so the temporaries stay tens of megabytes at any size


_PATTERNS = 1 << 16


def _count_patterns(codes: Any, n_values: int, pair_counts: dict[int, Any]) -> list[int]:
    """:func:`_count_pairs` by counting the units of each pattern of ratings (a few hundred
    patterns for three annotators), then the pairs of each pattern: one pass over the units instead
    of one per pair of annotators and number of ratings. Returns the values that occur."""
    import numpy as np

    width = n_values + 1  # a missing rating (-1) is 0
    pattern = np.zeros(codes.shape[1], dtype=np.int64)
    for row in codes:
        pattern *= width
        pattern += row
        pattern += 1
    used: set[int] = set()
    found = np.bincount(pattern)
    for code in np.flatnonzero(found).tolist():
        ratings, rest = [], code
        for _ in range(codes.shape[0]):
            rest, digit = divmod(rest, width)
            ratings.append(digit - 1)
        given = [value for value in ratings if value >= 0]
        used.update(given)
        if len(given) < 2:
            continue
        counts = pair_counts.setdefault(len(given), np.zeros((n_values, n_values), dtype=np.int64))
        for first in range(len(given)):
            for second in range(first + 1, len(given)):
                counts[given[first], given[second]] += found[code]
                counts[given[second], given[first]] += found[code]
    return sorted(used)


def _count_pairs(codes: Any, n_values: int, pair_counts: dict[int, Any]) -> None:
    """Add the ordered pairs of ratings from different annotators of each unit of ``codes`` to
    ``pair_counts[m]`` (values x values, integers), ``m`` being the unit's number of ratings. Each
    pair counts ``1 / (m - 1)`` in the coincidence matrix (:func:`_matrix`): counted in integers per
    ``m`` and divided once, so with up to three annotators (m - 1 = 1 or 2) every entry is exact, as
    the package's float sum is."""
    import numpy as np

    n_annotators, n_units = codes.shape
    for begin in range(0, n_units, _CHUNK):
        chunk = np.asarray(codes[:, begin:begin + _CHUNK], dtype=np.int64)
        present = chunk >= 0
        ratings = present.sum(axis=0)
        for first in range(n_annotators):
            for second in range(first + 1, n_annotators):
                both = present[first] & present[second]
                cells = chunk[first][both] * n_values + chunk[second][both]
                for m in np.unique(ratings[both]):
                    counts = np.bincount(cells[ratings[both] == m], minlength=n_values * n_values)
                    counts = counts.reshape(n_values, n_values)
                    pair_counts[int(m)] = pair_counts.get(int(m), 0) + counts + counts.T


def _matrix(pair_counts: dict[int, Any], n_values: int) -> Any:
    import numpy as np

    matrix = np.zeros((n_values, n_values), dtype=np.float64)
    for m in sorted(pair_counts):
        matrix += np.divide(pair_counts[m], m - 1, dtype=np.float64)
    return matrix


def _alpha(matrix: Any, used: Any) -> float:
    """Nominal alpha by the ``krippendorff`` package's formula over the values that occur
    (``used``): ``1 - D_o / D_e`` from the coincidences and those expected by chance."""
    import numpy as np

    observed = matrix[np.ix_(used, used)]
    # The package's steps, in its order, so the float result is the one it gives.
    totals = observed.sum(axis=0)
    expected = np.divide(np.outer(totals, totals) - np.diagflat(totals), totals.sum() - 1, dtype=np.float64)
    distance = (used[:, np.newaxis] != used[np.newaxis, :]).astype(np.float64)
    return float(1 - (observed * distance).sum() / (expected * distance).sum())
