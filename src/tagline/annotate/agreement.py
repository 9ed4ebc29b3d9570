"""Inter-annotator agreement for labels and entity spans, as JSON-ready reports and Markdown.

Every function here is pure: it takes plain mappings and returns plain dicts, lists, strings,
ints, floats and ``None`` (never NaN and never numpy types), so a report can be written with
``json`` or ``orjson`` as it is. Coefficients come from maintained implementations
(scikit-learn's Cohen's kappa, statsmodels' Fleiss' kappa, the ``krippendorff`` package); they are
imported inside the functions that use them so that importing this module stays cheap.

Data conditions that make a coefficient undefined (one annotator, no shared items, every rating the
same label) give ``None`` for that coefficient and a sentence in the report's ``notes`` list.
``ValueError`` is raised only for calls that break the documented contract (wrong types).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from itertools import combinations
from typing import Any

OUTSIDE = "O"
"""The token label for text that no span covers (see :func:`span_agreement`)."""


# --------------------------------------------------------------------------------------------
# helpers


def _id_key(value: Any) -> tuple:
    """A sort key that orders numbers, then strings, then anything else, without TypeErrors."""
    if isinstance(value, bool):
        return (2, 0, repr(value))
    if isinstance(value, (int, float)):
        return (0, value, "")
    if isinstance(value, str):
        return (1, 0, value)
    return (2, 0, repr(value))


def _float(value: Any) -> float | None:
    """``value`` as a Python float, or None when it is missing or not finite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _check_annotator(annotator: Any, item_id: Any) -> str:
    if not isinstance(annotator, str):
        raise ValueError(f"item {item_id!r}: annotator ids must be strings, got {annotator!r}")
    return annotator


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _pairs(annotators: Sequence[str]) -> list[tuple[str, str]]:
    return list(combinations(annotators, 2))


# --------------------------------------------------------------------------------------------
# categorical labels


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
            _check_annotator(annotator, item_id)
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
        notes.append(f"Cohen's kappa {a} / {b}: both gave all {_plural(len(shared), 'shared item')} the same "
                     f"label {next(iter(used))!r}, so chance agreement is 1 and kappa is undefined.")
        return entry
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = _float(cohen_kappa_score(y1, y2, labels=[label for label in order if label in used]))
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
        notes.append(f"Fleiss' kappa uses the {len(complete)} of {_plural(len(rated), 'compared item')} that "
                     f"all {len(annotators)} annotators labelled.")
    used = {item[a] for item in complete for a in annotators}
    if len(used) == 1:
        notes.append(f"Fleiss' kappa: every rating on those items is {next(iter(used))!r}, so chance agreement "
                     "is 1 and kappa is undefined.")
        return entry
    import numpy as np
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    code = {label: index for index, label in enumerate(order)}
    data = np.array([[code[item[a]] for a in annotators] for item in complete], dtype=int)
    table, _ = aggregate_raters(data, n_cat=len(order))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        entry["value"] = _float(fleiss_kappa(table, method="fleiss"))
    if entry["value"] is None:
        notes.append("Fleiss' kappa is undefined on these items.")
    return entry


def _krippendorff_nominal(rows: list[list[int | None]], what: str, notes: list[str]) -> float | None:
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
        value = _float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    if value is None:
        notes.append(f"Krippendorff's alpha ({what}) is undefined on these data.")
    return value


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

    configured = list(labels) if labels is not None else []
    if labels is not None:
        if isinstance(labels, str) or any(not isinstance(label, str) for label in configured):
            raise ValueError(f"labels must be a sequence of strings, got {labels!r}")
        if len(set(configured)) != len(configured):
            raise ValueError(f"labels repeats a label: {configured!r}")
    counts = Counter(label for item in items.values() for label in item.values())
    extra = sorted(label for label in counts if label not in configured)
    order = configured + extra
    if labels is not None:
        if extra:
            notes.append(f"Labels not in the configured list were found and added at the end: {', '.join(extra)}.")
        unused = [label for label in configured if label not in counts]
        if unused:
            notes.append(f"Configured labels never used: {', '.join(unused)}.")

    voted = {item_id: item for item_id, item in items.items() if item}
    compared = {item_id: item for item_id, item in voted.items() if len(item) >= 2}
    annotators = sorted({a for item in voted.values() for a in item})
    if len(voted) < len(items):
        notes.append(f"{_plural(len(items) - len(voted), 'item')} without any vote left out.")
    if not voted:
        notes.append("No votes: there is nothing to compare.")
    elif len(annotators) < 2:
        notes.append(f"Only one annotator ({annotators[0]}): agreement needs at least two.")
    elif len(compared) < len(voted):
        notes.append(f"{_plural(len(voted) - len(compared), 'item')} with a single vote not compared.")
    if len(annotators) >= 2 and not compared:
        notes.append("No item was labelled by two or more annotators, so no agreement can be measured.")

    per_item = Counter(len(item) for item in voted.values())
    agreement = {item_id: _item_agreement(list(item.values())) for item_id, item in compared.items()}

    cohen = [_cohen(pair, voted, order, notes) for pair in _pairs(annotators)]
    fleiss = _fleiss(voted, annotators, order, notes)

    code = {label: index for index, label in enumerate(order)}
    rows = [[code[item[a]] if a in item else None for item in compared.values()] for a in annotators]
    alpha = _krippendorff_nominal(rows, "labels", notes) if compared else None

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

    contested = sorted((value, _id_key(item_id), item_id) for item_id, value in agreement.items() if value < 1)
    most_contested = [
        {"item_id": item_id, "votes": {a: compared[item_id][a] for a in sorted(compared[item_id])}, "agreement": value}
        for value, _, item_id in contested[:top_contested]
    ]

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
        "disagreements": {"labels": list(order), "matrix": matrix, "n_pairs": n_pairs},
        "most_contested": most_contested,
        "notes": notes,
    }


# --------------------------------------------------------------------------------------------
# entity spans


def _span(raw: Any, item_id: Any, annotator: str) -> tuple[int, int, str]:
    """``(start, end, label)`` from a 3-sequence or a mapping with ``start``, ``end``, ``label``."""
    if isinstance(raw, Mapping):
        try:
            start, end, label = raw["start"], raw["end"], raw["label"]
        except KeyError as missing:
            raise ValueError(f"item {item_id!r}, annotator {annotator!r}: span {raw!r} has no {missing}") from None
    elif isinstance(raw, Sequence) and not isinstance(raw, str) and len(raw) == 3:
        start, end, label = raw
    else:
        raise ValueError(f"item {item_id!r}, annotator {annotator!r}: a span is (start, end, label), got {raw!r}")
    if any(isinstance(v, bool) or not isinstance(v, int) for v in (start, end)) or not isinstance(label, str):
        raise ValueError(f"item {item_id!r}, annotator {annotator!r}: span offsets must be ints and the label a "
                         f"string, got {raw!r}")
    return start, end, label


def _normalise_spans(spans: Mapping, notes: list[str]) -> dict[Hashable, dict[str, list[tuple[int, int, str]]]]:
    if not isinstance(spans, Mapping):
        raise ValueError(f"spans must be a mapping of item id to {{annotator: spans}}, got {type(spans).__name__}")
    clean: dict[Hashable, dict[str, list[tuple[int, int, str]]]] = {}
    empty = 0
    for item_id, item in spans.items():
        if not isinstance(item, Mapping):
            raise ValueError(f"item {item_id!r}: spans must be a mapping of annotator to a list of spans, "
                             f"got {type(item).__name__}")
        kept = {}
        for annotator, raw_spans in item.items():
            _check_annotator(annotator, item_id)
            if raw_spans is None:
                continue
            if isinstance(raw_spans, (str, Mapping)) or not isinstance(raw_spans, Sequence):
                raise ValueError(f"item {item_id!r}, annotator {annotator!r}: spans must be a list, got {raw_spans!r}")
            parsed = [_span(raw, item_id, annotator) for raw in raw_spans]
            valid = [span for span in parsed if span[0] >= 0 and span[1] > span[0]]
            empty += len(parsed) - len(valid)
            kept[annotator] = sorted(valid)
        clean[item_id] = kept
    if empty:
        notes.append(f"{_plural(empty, 'span')} with a negative start or end not after start left out.")
    return clean


def _overlap(a: tuple[int, ...] | tuple[int, int, str], b: tuple[int, int, str]) -> int:
    return min(a[1], b[1]) - max(a[0], b[0])


def _match(reference: list[tuple[int, int, str]], other: list[tuple[int, int, str]], mode: str) -> list[str]:
    """Labels of the one-to-one matches between two span lists.

    ``exact``: same start, end and label (each span matched at most once). ``overlap``: same label
    and intersecting character ranges, matched greedily by largest intersection (ties by position),
    each span used at most once.
    """
    if mode == "exact":
        common = Counter(reference) & Counter(other)
        return [span[2] for span, n in common.items() for _ in range(n)]
    candidates = sorted(
        (-_overlap(r, o), i, j)
        for i, r in enumerate(reference)
        for j, o in enumerate(other)
        if r[2] == o[2] and _overlap(r, o) > 0
    )
    used_r: set[int] = set()
    used_o: set[int] = set()
    matched = []
    for _, i, j in candidates:
        if i not in used_r and j not in used_o:
            used_r.add(i)
            used_o.add(j)
            matched.append(reference[i][2])
    return matched


def _scores(tp: int, n_reference: int, n_other: int) -> dict:
    return {
        "tp": tp,
        "n_reference": n_reference,
        "n_other": n_other,
        "precision": _ratio(tp, n_other),
        "recall": _ratio(tp, n_reference),
        "f1": _ratio(2 * tp, n_reference + n_other),
    }


def _pairwise_spans(pair: tuple[str, str], items: Mapping, all_labels: list[str], notes: list[str]) -> dict:
    a, b = pair
    shared = [item for item in items.values() if a in item and b in item]
    entry: dict[str, Any] = {"annotators": [a, b], "reference": a, "n_items": len(shared)}
    ref_counts = Counter(span[2] for item in shared for span in item[a])
    other_counts = Counter(span[2] for item in shared for span in item[b])
    for mode in ("exact", "overlap"):
        matched = Counter(label for item in shared for label in _match(item[a], item[b], mode))
        scores = _scores(sum(matched.values()), sum(ref_counts.values()), sum(other_counts.values()))
        scores["per_label"] = {
            label: _scores(matched[label], ref_counts[label], other_counts[label]) for label in all_labels
        }
        entry[mode] = scores
    if not shared:
        notes.append(f"Spans {a} / {b}: no item was annotated by both.")
    elif not ref_counts and not other_counts:
        notes.append(f"Spans {a} / {b}: neither marked any span on their {_plural(len(shared), 'shared item')}, "
                     "so precision, recall and F1 are undefined.")
    return entry


def _unit_label(unit: tuple[int, int], spans: list[tuple[int, int, str]]) -> tuple[str | None, bool]:
    """The label of the span touching ``unit`` (largest overlap, then earliest), and whether spans
    with different labels touched it."""
    touching = [(-_overlap(unit, span), span[0], span[2]) for span in spans if _overlap(unit, span) > 0]
    if not touching:
        return None, False
    touching.sort()
    return touching[0][2], len({t[2] for t in touching}) > 1


def _token_alpha(items: Mapping, annotators: list[str], all_labels: list[str],
                 token_offsets: Mapping | None, notes: list[str]) -> dict:
    entry: dict[str, Any] = {"value": None, "n_items": 0, "n_units": 0,
                             "unit": "token" if token_offsets is not None else "character"}
    if len(annotators) < 2:
        return entry
    code = {label: index for index, label in enumerate(all_labels, 1)}  # 0 is OUTSIDE
    rows: list[list[int | None]] = [[] for _ in annotators]
    no_tokens: list[Any] = []
    conflicts = 0
    n_items = 0
    for item_id, item in items.items():
        if len(item) < 2:
            continue
        if token_offsets is not None:
            if item_id not in token_offsets:
                no_tokens.append(item_id)
                continue
            units = [(int(start), int(end)) for start, end in token_offsets[item_id]]
        else:
            last = max((span[1] for spans in item.values() for span in spans), default=0)
            units = [(i, i + 1) for i in range(last)]
        if not units:
            continue
        n_items += 1
        for row, annotator in zip(rows, annotators):
            if annotator not in item:
                row.extend([None] * len(units))
                continue
            for unit in units:
                label, conflict = _unit_label(unit, item[annotator])
                conflicts += conflict
                row.append(0 if label is None else code[label])
    if no_tokens:
        shown = ", ".join(repr(i) for i in sorted(no_tokens, key=_id_key)[:5])
        notes.append(f"Krippendorff's alpha: {_plural(len(no_tokens), 'item')} without token offsets left out "
                     f"({shown}{', ...' if len(no_tokens) > 5 else ''}).")
    if conflicts:
        notes.append(f"{_plural(conflicts, 'unit')} touched by one annotator's spans of different labels; "
                     "the span with the largest overlap gave the label.")
    if token_offsets is None:
        notes.append("Krippendorff's alpha is over characters from the start of each item to the end of its last "
                     "span (no token offsets given); text after the last span is not counted.")
    entry["n_units"] = len(rows[0])
    if not rows[0]:
        notes.append("Krippendorff's alpha: no item annotated by two or more annotators has units to compare.")
        return entry
    entry["n_items"] = n_items
    entry["value"] = _krippendorff_nominal(rows, f"{entry['unit']} labels", notes)
    return entry


def span_agreement(spans: Mapping[Any, Mapping[str, Sequence | None]], *,
                   token_offsets: Mapping[Any, Sequence[tuple[int, int]]] | None = None) -> dict:
    """Agreement between annotators on entity spans: pairwise precision/recall/F1 and token-level alpha.

    Parameters
    ----------
    spans : Mapping[item_id, Mapping[str, Sequence[tuple[int, int, str]] | None]]
        For each item, each annotator's spans as ``(start, end, label)`` character offsets (end
        exclusive; a mapping with ``start``, ``end`` and ``label`` keys is accepted too). An empty
        list means the annotator found no entities; an absent annotator (or ``None``) did not
        annotate the item. Spans whose end is not after their start are left out, with a note.
    token_offsets : Mapping[item_id, Sequence[tuple[int, int]]], optional
        Each item's token ``(start, end)`` offsets: the units of Krippendorff's alpha. A token's
        label for an annotator is the label of the span that touches it (the one with the largest
        overlap if several do), else ``"O"``. Default: one unit per character, from 0 to the end of
        the item's last span.

    Returns
    -------
    dict
        ``n_items`` (items with at least one annotator), ``n_items_compared`` (two or more),
        ``annotators`` (sorted), ``labels`` (span labels used, sorted), ``span_counts``
        (``{annotator: {label: spans}}``), ``pairwise`` (one entry per annotator pair over the
        items both annotated: ``{"annotators", "reference", "n_items", "exact", "overlap"}`` where
        each of ``exact`` and ``overlap`` is ``{"tp", "n_reference", "n_other", "precision",
        "recall", "f1", "per_label"}`` with ``per_label`` giving the same counts and ratios for
        every label; the first annotator is the reference, so recall is ``tp / n_reference`` and
        precision is ``tp / n_other``; F1 is symmetric), ``krippendorff_alpha`` (``{"value",
        "n_items", "n_units", "unit"}``, nominal, unit ``"token"`` or ``"character"``) and
        ``notes``. Undefined ratios are ``None``.

    Raises
    ------
    ValueError
        If ``spans`` is not a mapping of mappings of lists of spans, or a span is not
        ``(int, int, str)``.
    """
    if token_offsets is not None and not isinstance(token_offsets, Mapping):
        raise ValueError(f"token_offsets must be a mapping of item id to (start, end) pairs, "
                         f"got {type(token_offsets).__name__}")
    notes: list[str] = []
    items = _normalise_spans(spans, notes)
    present = {item_id: item for item_id, item in items.items() if item}
    annotators = sorted({a for item in present.values() for a in item})
    all_labels = sorted({span[2] for item in present.values() for spans_ in item.values() for span in spans_})
    compared = sum(1 for item in present.values() if len(item) >= 2)
    if not present:
        notes.append("No annotations: there is nothing to compare.")
    elif len(annotators) < 2:
        notes.append(f"Only one annotator ({annotators[0]}): agreement needs at least two.")
    elif not compared:
        notes.append("No item was annotated by two or more annotators, so no agreement can be measured.")

    span_counts = {
        a: {label: sum(1 for item in present.values() for span in item.get(a, ()) if span[2] == label)
            for label in all_labels}
        for a in annotators
    }
    pairwise = [_pairwise_spans(pair, present, all_labels, notes) for pair in _pairs(annotators)]
    alpha = _token_alpha(present, annotators, all_labels, token_offsets, notes)
    return {
        "n_items": len(present),
        "n_items_compared": compared,
        "annotators": annotators,
        "labels": all_labels,
        "span_counts": span_counts,
        "pairwise": pairwise,
        "krippendorff_alpha": alpha,
        "notes": notes,
    }


# --------------------------------------------------------------------------------------------
# Markdown


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines + [""]


def _notes(report: Mapping) -> list[str]:
    notes = report.get("notes") or []
    if not notes:
        return []
    return ["## Notes", ""] + [f"- {_cell(note)}" for note in notes] + [""]


def _render_labels(report: Mapping) -> list[str]:
    fleiss = report["fleiss_kappa"]
    alpha = report["krippendorff_alpha"]
    compared = report["n_items_compared"]
    lines = ["## Summary", ""]
    lines += _table(["measure", "value", "items"], [
        ["items with a vote", report["n_items"], ""],
        ["items compared (2+ votes)", compared, ""],
        ["annotators", ", ".join(report["annotators"]) or "none", ""],
        ["observed agreement (mean pairwise)", report["observed_agreement"], compared],
        ["unanimous items", report["unanimous_items"], compared],
        ["Fleiss' kappa", fleiss["value"], fleiss["n_items"]],
        ["Krippendorff's alpha (nominal)", alpha["value"], alpha["n_items"]],
    ])
    if report["cohen_kappa"]:
        lines += ["## Cohen's kappa by annotator pair", ""]
        lines += _table(["annotator A", "annotator B", "items", "kappa"],
                        [[*e["annotators"], e["n_items"], e["value"]] for e in report["cohen_kappa"]])
    if report["annotators_per_item"]:
        lines += ["## Annotators per item", ""]
        lines += _table(["annotators", "items"], list(report["annotators_per_item"].items()))
    if report["label_counts"]:
        lines += ["## Label counts", ""]
        lines += _table(["label", "votes"], list(report["label_counts"].items()))
    table = report["disagreements"]
    if table["labels"]:
        lines += ["## Disagreements", "",
                  "Annotator pairs that disagreed on an item, by the two labels they gave (each pair is "
                  "counted in both cells).", ""]
        lines += _table(["", *table["labels"]], [[label, *row] for label, row in zip(table["labels"], table["matrix"])])
    if report["most_contested"]:
        annotators = report["annotators"]
        lines += ["## Most contested items", ""]
        lines += _table(["item", "agreement", *annotators],
                        [[e["item_id"], e["agreement"], *(e["votes"].get(a, "") for a in annotators)]
                         for e in report["most_contested"]])
    return lines


def _render_spans(report: Mapping) -> list[str]:
    alpha = report["krippendorff_alpha"]
    lines = ["## Summary", ""]
    lines += _table(["measure", "value"], [
        ["items annotated", report["n_items"]],
        ["items compared (2+ annotators)", report.get("n_items_compared", "")],
        ["annotators", ", ".join(report["annotators"]) or "none"],
        ["labels", ", ".join(report.get("labels", [])) or "none"],
        [f"Krippendorff's alpha ({alpha.get('unit', 'token')} labels, nominal)", alpha["value"]],
        [f"{alpha.get('unit', 'token')}s compared", alpha.get("n_units", "")],
    ])
    if report.get("span_counts"):
        labels = report.get("labels", [])
        lines += ["## Spans per annotator", ""]
        lines += _table(["annotator", *labels, "total"],
                        [[a, *(c.get(label, 0) for label in labels), sum(c.values())]
                         for a, c in report["span_counts"].items()])
    if report["pairwise"]:
        lines += ["## Pairwise span agreement", "",
                  "Annotator A is the reference: recall is the share of A's spans that B also marked, precision "
                  "the share of B's spans that A marked. F1 is the same either way round.", ""]
        lines += _table(
            ["annotator A", "annotator B", "items", "exact P", "exact R", "exact F1", "overlap P", "overlap R",
             "overlap F1"],
            [[*e["annotators"], e["n_items"], e["exact"]["precision"], e["exact"]["recall"], e["exact"]["f1"],
              e["overlap"]["precision"], e["overlap"]["recall"], e["overlap"]["f1"]] for e in report["pairwise"]])
        rows = []
        for e in report["pairwise"]:
            for label, exact in e["exact"]["per_label"].items():
                overlap = e["overlap"]["per_label"][label]
                rows.append([*e["annotators"], label, exact["n_reference"], exact["n_other"], exact["f1"],
                             overlap["f1"]])
        if rows:
            lines += ["## Pairwise F1 by label", ""]
            lines += _table(["annotator A", "annotator B", "label", "spans A", "spans B", "exact F1", "overlap F1"],
                            rows)
    return lines


def render_markdown(report: Mapping, *, title: str) -> str:
    """A GitHub-readable Markdown rendering of a :func:`label_agreement` or :func:`span_agreement` report.

    Parameters
    ----------
    report : Mapping
        A report as returned by either function (or read back from its JSON).
    title : str
        The top-level heading.

    Returns
    -------
    str
        Markdown with plain tables; numbers to four decimals, undefined values as ``n/a``.

    Raises
    ------
    ValueError
        If ``report`` is neither kind of agreement report.
    """
    if not isinstance(report, Mapping):
        raise ValueError(f"report must be a mapping, got {type(report).__name__}")
    if "cohen_kappa" in report and "disagreements" in report:
        body = _render_labels(report)
    elif "pairwise" in report and "krippendorff_alpha" in report:
        body = _render_spans(report)
    else:
        raise ValueError("report is neither a label_agreement nor a span_agreement report")
    return "\n".join([f"# {title}", "", *body, *_notes(report)]).rstrip("\n") + "\n"
