"""Agreement on a categorical task (a stance per target, a claim type): observed agreement, Cohen's
kappa and Fleiss' kappa (:mod:`.kappa`), Krippendorff's alpha (krippendorff), the table of
disagreeing label pairs and the most contested items."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from itertools import combinations
from typing import Any

from tagline.annotate.agreement.common import (
    check_annotator,
    finite_float,
    id_key,
    krippendorff_nominal,
    pairs,
)
from tagline.annotate.agreement.kappa import cohen_kappa, fleiss_kappa
from tagline.wording import plural


def _normalise_votes(votes: Mapping) -> dict[Hashable, dict[str, str]]:
    """``votes`` checked and with missing (``None``) answers dropped; items keep their order."""
    if not isinstance(votes, Mapping):
        raise ValueError(f"votes must be a mapping of item id to {{annotator: label}}, got {type(votes).__name__}")
    clean: dict[Hashable, dict[str, str]] = {}
    for item_id, item_votes in votes.items():
        if not isinstance(item_votes, Mapping):
            raise ValueError(f"item {item_id!r}: votes must be a mapping of annotator to label, "
                             f"got {type(item_votes).__name__}")
        kept = {}
        for annotator, label in item_votes.items():
            check_annotator(annotator, item_id)
            if label is None:
                continue
            if not isinstance(label, str):
                raise ValueError(f"item {item_id!r}, annotator {annotator!r}: labels must be strings, got {label!r}")
            kept[annotator] = label
        clean[item_id] = kept
    return clean


def _item_agreement(labels: Sequence[str]) -> float:
    """The proportion of agreeing pairs among the annotators of one item (needs two or more)."""
    n = len(labels)
    agreeing = sum(c * (c - 1) for c in Counter(labels).values())
    return agreeing / (n * (n - 1))


def _cohen(pair: tuple[str, str], items: Mapping[Hashable, Mapping[str, str]], order: list[str],
           notes: list[str]) -> dict:
    a, b = pair
    shared = [item for item in items.values() if a in item and b in item]
    entry: dict[str, Any] = {"annotators": [a, b], "n_items": len(shared), "value": None}
    if not shared:
        notes.append(f"Cohen's kappa {a} / {b}: no item was labelled by both; kappa is undefined.")
        return entry
    y1 = [item[a] for item in shared]
    y2 = [item[b] for item in shared]
    used = set(y1) | set(y2)
    if len(used) == 1:
        notes.append(f"Cohen's kappa {a} / {b}: both gave all {plural(len(shared), 'shared item')} the same "
                     f"label {next(iter(used))!r}, so chance agreement is 1 and kappa is undefined.")
        return entry
    value = finite_float(cohen_kappa(y1, y2, [label for label in order if label in used]))
    if value is None:
        notes.append(f"Cohen's kappa {a} / {b} is undefined on these items.")
    entry["value"] = value
    return entry


def _fleiss(items: Mapping[Hashable, Mapping[str, str]], annotators: list[str], order: list[str],
            notes: list[str]) -> dict:
    complete = [item for item in items.values() if all(a in item for a in annotators)]
    entry: dict[str, Any] = {"value": None, "n_items": len(complete) if len(annotators) >= 2 else 0,
                             "n_annotators": len(annotators)}
    if len(annotators) < 2:
        notes.append("Fleiss' kappa needs at least two annotators.")
        return entry
    if not complete:
        notes.append(f"Fleiss' kappa: no item was labelled by all {len(annotators)} annotators, so it is not computed.")
        return entry
    rated = [item for item in items.values() if len(item) >= 2]
    if len(complete) < len(rated):
        notes.append(f"Fleiss' kappa uses the {len(complete)} of {plural(len(rated), 'compared item')} that "
                     f"all {len(annotators)} annotators labelled.")
    used = {item[a] for item in complete for a in annotators}
    if len(used) == 1:
        notes.append(f"Fleiss' kappa: every rating on those items is {next(iter(used))!r}, so chance agreement "
                     "is 1 and kappa is undefined.")
        return entry
    code = {label: index for index, label in enumerate(order)}
    entry["value"] = finite_float(fleiss_kappa([[code[item[a]] for a in annotators] for item in complete], len(order)))
    if entry["value"] is None:
        notes.append("Fleiss' kappa is undefined on these items.")
    return entry


def label_agreement(votes: Mapping[Any, Mapping[str, str | None]], *, labels: Sequence[str] | None = None,
                    top_contested: int = 10) -> dict:
    """Agreement between annotators on a categorical task (a stance per target, a claim type).

    Parameters
    ----------
    votes : Mapping[item_id, Mapping[str, str | None]]
        For each item, each annotator's label. An annotator absent from an item (or with ``None``)
        did not label it; that is a missing value, not a disagreement.
    labels : Sequence[str], optional
        The configured label order. Labels that were never used still appear in ``label_counts``
        and the disagreement table, with zero counts. Labels found in ``votes`` but not configured
        are appended (sorted) and mentioned in ``notes``. Default: the labels used, sorted.
    top_contested : int, default 10
        How many items to list in ``most_contested``.

    Returns
    -------
    dict
        ``n_items`` (items with at least one vote), ``n_items_compared`` (at least two votes),
        ``annotators`` (sorted), ``annotators_per_item`` (``{"<count>": n_items}``, string keys so
        every JSON library accepts it), ``observed_agreement`` (mean over compared items of the
        share of agreeing annotator pairs), ``unanimous_items`` (compared items where everyone
        agrees), ``cohen_kappa`` (one ``{"annotators", "n_items", "value"}`` per annotator pair, on
        the items both labelled), ``fleiss_kappa`` (``{"value", "n_items", "n_annotators"}`` on the
        items labelled by every annotator), ``krippendorff_alpha`` (``{"value", "n_items"}``,
        nominal, over compared items with missing values allowed), ``label_counts``
        (``{label: votes}``), ``disagreements`` (``{"labels", "matrix", "n_pairs"}``: ``matrix[i][j]``
        counts disagreeing annotator pairs where one said ``labels[i]`` and the other
        ``labels[j]``; symmetric, zero diagonal), ``most_contested`` (up to ``top_contested``
        items with agreement below 1, lowest first, ties by item id; each
        ``{"item_id", "votes", "agreement"}``) and ``notes`` (sentences explaining undefined or
        partial results). Undefined coefficients are ``None``.

    Raises
    ------
    ValueError
        If ``votes`` is not a mapping of mappings, annotator ids or labels are not strings,
        ``labels`` repeats a label, or ``top_contested`` is not a non-negative int.
    """
    if isinstance(top_contested, bool) or not isinstance(top_contested, int) or top_contested < 0:
        raise ValueError(f"top_contested must be a non-negative int, got {top_contested!r}")
    items = _normalise_votes(votes)
    notes: list[str] = []
    counts = Counter(label for item in items.values() for label in item.values())
    order = _label_order(labels, counts, notes)
    voted = {item_id: item for item_id, item in items.items() if item}
    compared = {item_id: item for item_id, item in voted.items() if len(item) >= 2}
    annotators = sorted({a for item in voted.values() for a in item})
    _note_coverage(len(items), len(voted), len(compared), annotators, notes)

    per_item = Counter(len(item) for item in voted.values())
    agreement = {item_id: _item_agreement(list(item.values())) for item_id, item in compared.items()}
    cohen = [_cohen(pair, voted, order, notes) for pair in pairs(annotators)]
    fleiss = _fleiss(voted, annotators, order, notes)
    code = {label: index for index, label in enumerate(order)}
    rows = [[code[item[a]] if a in item else -1 for item in compared.values()] for a in annotators]
    alpha = krippendorff_nominal(rows, "labels", notes) if compared else None
    return {
        "n_items": len(voted),
        "n_items_compared": len(compared),
        "annotators": annotators,
        "annotators_per_item": {str(count): per_item[count] for count in sorted(per_item)},
        "observed_agreement": sum(agreement.values()) / len(agreement) if agreement else None,
        "unanimous_items": sum(1 for value in agreement.values() if value == 1),
        "cohen_kappa": cohen,
        "fleiss_kappa": fleiss,
        "krippendorff_alpha": {"value": alpha, "n_items": len(compared)},
        "label_counts": {label: counts.get(label, 0) for label in order},
        "disagreements": _disagreements(compared, order),
        "most_contested": _most_contested(agreement, compared, top_contested),
        "notes": notes,
    }


def _label_order(labels: Sequence[str] | None, counts: Counter[str], notes: list[str]) -> list[str]:
    """The configured labels, then the labels found in the votes but not configured (sorted)."""
    configured = list(labels) if labels is not None else []
    if labels is not None:
        if isinstance(labels, str) or any(not isinstance(label, str) for label in configured):
            raise ValueError(f"labels must be a sequence of strings, got {labels!r}")
        if len(set(configured)) != len(configured):
            raise ValueError(f"labels repeats a label: {configured!r}")
    extra = sorted(label for label in counts if label not in configured)
    if labels is not None:
        if extra:
            notes.append(f"Labels not in the configured list were found and added at the end: {', '.join(extra)}.")
        unused = [label for label in configured if label not in counts]
        if unused:
            notes.append(f"Configured labels never used: {', '.join(unused)}.")
    return configured + extra


def _note_coverage(n_items: int, n_voted: int, n_compared: int, annotators: list[str], notes: list[str]) -> None:
    """Notes on the items left out of the comparison, and on why nothing could be compared."""
    if n_voted < n_items:
        notes.append(f"{plural(n_items - n_voted, 'item')} without any vote left out.")
    if not n_voted:
        notes.append("No votes: there is nothing to compare.")
    elif len(annotators) < 2:
        notes.append(f"Only one annotator ({annotators[0]}): agreement needs at least two.")
    elif n_compared < n_voted:
        notes.append(f"{plural(n_voted - n_compared, 'item')} with a single vote not compared.")
    if len(annotators) >= 2 and not n_compared:
        notes.append("No item was labelled by two or more annotators, so no agreement can be measured.")


def _disagreements(compared: Mapping[Hashable, Mapping[str, str]], order: list[str]) -> dict[str, Any]:
    """Disagreeing annotator pairs counted by the two labels they gave, in both cells."""
    index = {label: i for i, label in enumerate(order)}
    matrix = [[0] * len(order) for _ in order]
    n_pairs = 0
    for item in compared.values():
        for a, b in combinations(sorted(item), 2):
            if item[a] != item[b]:
                i, j = index[item[a]], index[item[b]]
                matrix[i][j] += 1
                matrix[j][i] += 1
                n_pairs += 1
    return {"labels": list(order), "matrix": matrix, "n_pairs": n_pairs}


def _most_contested(agreement: Mapping[Hashable, float], compared: Mapping[Hashable, Mapping[str, str]],
                    top: int) -> list[dict[str, Any]]:
    """The ``top`` items with agreement below 1, lowest first, ties by item id."""
    contested = sorted((value, id_key(item_id), item_id) for item_id, value in agreement.items() if value < 1)
    return [
        {"item_id": item_id, "votes": {a: compared[item_id][a] for a in sorted(compared[item_id])}, "agreement": value}
        for value, _, item_id in contested[:top]
    ]

