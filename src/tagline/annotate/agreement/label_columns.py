"""Agreement on a categorical task from an annotators x items array of label codes: the report of
:func:`~tagline.annotate.agreement.labels.label_agreement`, number for number, without a Python
object per vote, for a million sentences."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import combinations
from typing import Any

from tagline.annotate.agreement.common import finite_float, krippendorff_nominal
from tagline.annotate.agreement.kappa import cohen_kappa_table, fleiss_kappa
from tagline.annotate.agreement.labels import _label_order, _note_coverage
from tagline.wording import plural


def label_agreement_codes(codes: Any, annotators: Sequence[str], names: Sequence[str], item_ids: Any, *,
                          labels: Sequence[str] | None = None, top_contested: int = 10) -> dict:
    """:func:`~tagline.annotate.agreement.labels.label_agreement` of votes given as codes.

    Parameters
    ----------
    codes : numpy array (annotators x items) of ints
        ``codes[a, i]`` is the place in ``names`` of annotator ``a``'s label for item ``i``, -1
        where ``a`` did not label ``i``. Every item has at least one label.
    annotators : Sequence[str]
        The annotators of the rows, sorted; each labelled at least one item.
    names : Sequence[str]
        The labels the codes stand for.
    item_ids : Sequence[str]
        The items' ids, in the order the votes were collected (the order the floating-point means
        add them up in, as the mapping given to ``label_agreement`` would).
    labels, top_contested
        As for ``label_agreement``.
    """
    import numpy as np

    notes: list[str] = []
    codes = np.asarray(codes, dtype=np.int64)
    used = np.bincount(codes[codes >= 0], minlength=len(names))
    counts = Counter({names[code]: int(used[code]) for code in np.flatnonzero(used)})
    order = _label_order(labels, counts, notes)
    # Codes into ``order``, the label order of the report.
    position = np.array([order.index(name) if name in counts else -1 for name in names] + [-1], dtype=np.int64)
    codes = position[codes]
    present = codes >= 0
    n_votes = present.sum(axis=0)
    compared = n_votes >= 2
    annotators = list(annotators)
    _note_coverage(codes.shape[1], codes.shape[1], int(compared.sum()), annotators, notes)

    per_item = np.bincount(n_votes)
    agreeing = np.zeros(codes.shape[1], dtype=np.int64)
    for first, second in combinations(range(len(annotators)), 2):
        agreeing += 2 * (present[first] & present[second] & (codes[first] == codes[second]))
    agreement = agreeing[compared] / (n_votes[compared] * (n_votes[compared] - 1))
    cohen = [_cohen(codes, annotators, order, first, second, notes)
             for first, second in combinations(range(len(annotators)), 2)]
    fleiss = _fleiss(codes, present, annotators, order, int(compared.sum()), notes)
    alpha = krippendorff_nominal(codes[:, compared], "labels", notes) if compared.any() else None
    return {
        "n_items": codes.shape[1],
        "n_items_compared": int(compared.sum()),
        "annotators": annotators,
        "annotators_per_item": {str(count): int(per_item[count]) for count in np.flatnonzero(per_item)},
        # Added up one by one in the items' order, as the mapping's values would be.
        "observed_agreement": sum(agreement.tolist()) / len(agreement) if len(agreement) else None,
        "unanimous_items": int((agreement == 1).sum()),
        "cohen_kappa": cohen,
        "fleiss_kappa": fleiss,
        "krippendorff_alpha": {"value": alpha, "n_items": int(compared.sum())},
        "label_counts": {label: counts.get(label, 0) for label in order},
        "disagreements": _disagreements(codes, present, order),
        "most_contested": _most_contested(codes, annotators, order, item_ids, compared, agreement, top_contested),
        "notes": notes,
    }


def _cohen(codes: Any, annotators: list[str], order: list[str], first: int, second: int, notes: list[str]) -> dict:
    import numpy as np

    a, b = annotators[first], annotators[second]
    shared = (codes[first] >= 0) & (codes[second] >= 0)
    n_shared = int(shared.sum())
    entry: dict[str, Any] = {"annotators": [a, b], "n_items": n_shared, "value": None}
    if not n_shared:
        notes.append(f"Cohen's kappa {a} / {b}: no item was labelled by both; kappa is undefined.")
        return entry
    y1, y2 = codes[first][shared], codes[second][shared]
    table = np.bincount(y1 * len(order) + y2, minlength=len(order) ** 2).reshape(len(order), len(order))
    used = np.flatnonzero(table.sum(axis=0) + table.sum(axis=1))
    if len(used) == 1:
        notes.append(f"Cohen's kappa {a} / {b}: both gave all {plural(n_shared, 'shared item')} the same "
                     f"label {order[used[0]]!r}, so chance agreement is 1 and kappa is undefined.")
        return entry
    value = finite_float(cohen_kappa_table(table[np.ix_(used, used)].astype(float)))
    if value is None:
        notes.append(f"Cohen's kappa {a} / {b} is undefined on these items.")
    entry["value"] = value
    return entry


def _fleiss(codes: Any, present: Any, annotators: list[str], order: list[str], n_compared: int,
            notes: list[str]) -> dict:
    complete = present.all(axis=0)
    n_complete = int(complete.sum())
    entry: dict[str, Any] = {"value": None, "n_items": n_complete if len(annotators) >= 2 else 0,
                             "n_annotators": len(annotators)}
    if len(annotators) < 2:
        notes.append("Fleiss' kappa needs at least two annotators.")
        return entry
    if not n_complete:
        notes.append(f"Fleiss' kappa: no item was labelled by all {len(annotators)} annotators, so it is not computed.")
        return entry
    if n_complete < n_compared:
        notes.append(f"Fleiss' kappa uses the {n_complete} of {plural(n_compared, 'compared item')} that "
                     f"all {len(annotators)} annotators labelled.")
    ratings = codes[:, complete].T
    if ratings.min() == ratings.max():
        notes.append(f"Fleiss' kappa: every rating on those items is {order[int(ratings[0, 0])]!r}, so chance "
                     "agreement is 1 and kappa is undefined.")
        return entry
    entry["value"] = finite_float(fleiss_kappa(ratings, len(order)))
    if entry["value"] is None:
        notes.append("Fleiss' kappa is undefined on these items.")
    return entry


def _disagreements(codes: Any, present: Any, order: list[str]) -> dict[str, Any]:
    import numpy as np

    size = len(order)
    counts = np.zeros(size * size, dtype=np.int64)
    for first, second in combinations(range(codes.shape[0]), 2):
        differ = present[first] & present[second] & (codes[first] != codes[second])
        counts += np.bincount(codes[first][differ] * size + codes[second][differ], minlength=size * size)
    table = counts.reshape(size, size)
    matrix = table + table.T
    return {"labels": list(order), "matrix": matrix.tolist(), "n_pairs": int(counts.sum())}


def _most_contested(codes: Any, annotators: list[str], order: list[str], item_ids: Any, compared: Any,
                    agreement: Any, top: int) -> list[dict[str, Any]]:
    """The ``top`` items with agreement below 1, lowest first, ties by item id."""
    import numpy as np

    where = np.flatnonzero(compared)
    below = agreement < 1
    where, values = where[below], agreement[below]
    if not top or not len(where):
        return []
    # Only the items at or below the ``top``-th lowest agreement can be listed: sort those few by id.
    cut = np.partition(values, min(top, len(values)) - 1)[min(top, len(values)) - 1]
    near = values <= cut  # tens of thousands at a million items, their ids taken at once when item_ids can
    items = where[near]
    ids = item_ids.many(items) if hasattr(item_ids, "many") else [item_ids[item] for item in items.tolist()]
    chosen = sorted(zip(values[near].tolist(), map(str, ids), items.tolist()))
    return [{"item_id": item_id,
             "votes": {name: order[int(codes[a, item])] for a, name in enumerate(annotators) if codes[a, item] >= 0},
             "agreement": value}
            for value, item_id, item in chosen[:top]]
