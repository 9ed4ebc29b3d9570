"""What the label and span measures share: item-id ordering, plain floats, ratios, annotator pairs
and nominal Krippendorff's alpha."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
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


def krippendorff_nominal(rows: list[list[int | None]], what: str, notes: list[str]) -> float | None:
    """Nominal Krippendorff's alpha of coded ``rows`` (one per annotator, None = missing), where every
    column already holds at least two values."""
    if len(rows) < 2 or not rows[0]:
        return None
    used = {value for row in rows for value in row if value is not None}
    if len(used) < 2:
        notes.append(f"Krippendorff's alpha ({what}): every compared value is the same, so expected "
                     "disagreement is 0 and alpha is undefined.")
        return None
    import krippendorff
    import numpy as np

    data = np.array([[np.nan if value is None else float(value) for value in row] for row in rows], dtype=float)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        value = finite_float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    if value is None:
        notes.append(f"Krippendorff's alpha ({what}) is undefined on these data.")
    return value

