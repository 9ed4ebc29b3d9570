"""Agreement on entity spans: pairwise precision, recall and F1 (exact and overlapping matches) and
Krippendorff's alpha over the labels of tokens (or characters)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy.typing as npt

from tagline.annotate.agreement.common import check_annotator, id_key, krippendorff_nominal, pairs, ratio
from tagline.wording import plural

OUTSIDE = "O"
"""The token label for text that no span covers (see :func:`span_agreement`)."""


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
            check_annotator(annotator, item_id)
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
        notes.append(f"{plural(empty, 'span')} with a negative start or end not after start left out.")
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
        if reference == other:  # the usual case, and the lists are sorted: every span matches its twin
            return [span[2] for span in reference]
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
        "precision": ratio(tp, n_other),
        "recall": ratio(tp, n_reference),
        "f1": ratio(2 * tp, n_reference + n_other),
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
        notes.append(f"Spans {a} / {b}: neither marked any span on their {plural(len(shared), 'shared item')}, "
                     "so precision, recall and F1 are undefined.")
    return entry


def _item_units(items: Mapping, token_offsets: Mapping | None, no_tokens: list[Any]) -> tuple[list, list]:
    """The compared items that have units, and each one's units as an (n, 2) int64 array."""
    import numpy as np

    kept, units = [], []
    for item_id, item in items.items():
        if len(item) < 2:
            continue
        if token_offsets is not None:
            if item_id not in token_offsets:
                no_tokens.append(item_id)
                continue
            offsets: Any = np.array(token_offsets[item_id], dtype=np.int64).reshape(-1, 2)
        else:
            last = max((span[1] for spans in item.values() for span in spans), default=0)
            offsets = np.stack([np.arange(last, dtype=np.int64), np.arange(1, last + 1, dtype=np.int64)], axis=1)
        if len(offsets):
            kept.append(item)
            units.append(offsets)
    return kept, units


def _unit_codes(kept: list, units: list, annotators: list[str], code: Mapping[str, int]) -> tuple[Any, int]:
    """Each annotator's label code for every unit of the ``kept`` items (an annotators x units array,
    -1 where the annotator did not annotate the item, 0 for OUTSIDE) and how many (annotator, unit)
    pairs spans of different labels touched.

    A unit's label is that of the span touching it with the largest overlap, then the earliest
    start, then the first label in order. Items are laid end to end on one axis, a gap apart, so
    that the spans touching each unit are found for all items at once with ``searchsorted``."""
    import numpy as np

    lengths = np.array([len(offsets) for offsets in units])
    flat = np.concatenate(units)
    unit_item = np.repeat(np.arange(len(units)), lengths)
    low = np.minimum(np.minimum.reduceat(flat[:, 0], np.cumsum(lengths) - lengths), 0)
    high = np.array([max([int(offsets[:, 1].max())] + [span[1] for spans in item.values() for span in spans])
                     for item, offsets in zip(kept, units)])
    width = high - low + 1
    base = np.cumsum(width) - width - low  # item i's offset 0 on the shared axis
    starts, ends = flat[:, 0] + base[unit_item], flat[:, 1] + base[unit_item]
    codes = np.zeros((len(annotators), len(flat)), dtype=np.int16)
    if np.any(np.diff(starts) < 0) or np.any(np.diff(ends) < 0):
        return _unit_codes_unordered(kept, units, annotators, code, codes)
    conflicts = 0
    for row, annotator in zip(codes, annotators):
        row[~np.array([annotator in item for item in kept])[unit_item]] = -1
        spans = [(item_index, span) for item_index, item in enumerate(kept) for span in item.get(annotator, ())]
        if not spans:
            continue
        span_item = np.array([item_index for item_index, _ in spans])
        span_start = np.array([span[0] for _, span in spans], dtype=np.int64) + base[span_item]
        span_end = np.array([span[1] for _, span in spans], dtype=np.int64) + base[span_item]
        span_code = np.array([code[span[2]] for _, span in spans])
        conflicts += label_units(row, starts, ends, span_start, span_end, span_code, len(code) + 1)
    return codes, conflicts


def label_units(row: Any, starts: Any, ends: Any, span_start: Any, span_end: Any, span_code: Any,
                n_codes: int) -> int:
    """Give each unit (token) of ``row`` the code of the span that overlaps it most (ties: the span
    that starts first, then the lower code), all on one shared axis where the units' ``starts`` and
    ``ends`` are in order; return how many units more than one label touches."""
    import numpy as np

    # Units touching a span: those ending after its start and starting before its end.
    first = np.searchsorted(ends, span_start, side="right")
    count = np.maximum(np.searchsorted(starts, span_end, side="left") - first, 0)
    which = np.repeat(np.arange(len(span_start)), count)
    unit = first[which] + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    overlap = np.minimum(ends[unit], span_end[which]) - np.maximum(starts[unit], span_start[which])
    touching = overlap > 0
    unit, which, overlap = unit[touching], which[touching], overlap[touching]
    if len(unit) and (unit[1:] >= unit[:-1]).all():  # in order: the units only one span touches set at once
        again = unit[1:] == unit[:-1]
        shared = np.zeros(len(unit), dtype=bool)
        shared[1:] = again
        shared[:-1] |= again
        row[unit[~shared]] = span_code[which[~shared]]
        unit, which, overlap = unit[shared], which[shared], overlap[shared]
    if not len(unit):
        return 0
    unit, labels = _best_spans(unit, overlap, span_start[which], span_code[which])
    heads = np.flatnonzero(np.append(True, unit[1:] != unit[:-1]))  # a unit's pairs, best first
    row[unit[heads]] = labels[heads]
    return int(np.count_nonzero(np.minimum.reduceat(labels, heads) != np.maximum.reduceat(labels, heads)))


def _best_spans(unit: Any, overlap: Any, start: Any, code: Any) -> tuple[Any, Any]:
    """The (unit, span) pairs' units and codes sorted by unit, then largest overlap, earliest start
    and lowest code: by one packed int64 key when they fit in 63 bits, else by ``lexsort``."""
    import numpy as np

    columns = (unit, overlap.max() - overlap, start, code)
    if min(int(column.min()) for column in columns) >= 0:
        bits = [int(column.max()).bit_length() for column in columns]
        if sum(bits) <= 63:
            key = np.zeros(len(unit), dtype=np.int64)
            for column, width in zip(columns, bits):
                key <<= width
                key |= column
            key.sort()
            return key >> (bits[1] + bits[2] + bits[3]), key & ((1 << bits[3]) - 1)
    order = np.lexsort((code, start, -overlap, unit))
    return unit[order], code[order]


def _unit_codes_unordered(kept: list, units: list, annotators: list[str], code: Mapping[str, int],
                          codes: Any) -> tuple[Any, int]:
    """:func:`_unit_codes` one unit at a time, for token offsets that are not in order."""
    conflicts = 0
    for row, annotator in zip(codes, annotators):
        position = 0
        for item, offsets in zip(kept, units):
            for start, end in offsets.tolist():
                if annotator not in item:
                    row[position] = -1
                else:
                    touching = sorted((-_overlap((start, end), span), span[0], span[2])
                                      for span in item[annotator] if _overlap((start, end), span) > 0)
                    row[position] = code[touching[0][2]] if touching else 0
                    conflicts += len({t[2] for t in touching}) > 1
                position += 1
    return codes, conflicts


def _token_alpha(items: Mapping, annotators: list[str], all_labels: list[str],
                 token_offsets: Mapping | None, notes: list[str]) -> dict:
    entry: dict[str, Any] = {"value": None, "n_items": 0, "n_units": 0,
                             "unit": "token" if token_offsets is not None else "character"}
    if len(annotators) < 2:
        return entry
    code = {label: index for index, label in enumerate(all_labels, 1)}  # 0 is OUTSIDE
    no_tokens: list[Any] = []
    kept, units = _item_units(items, token_offsets, no_tokens)
    codes, conflicts = _unit_codes(kept, units, annotators, code) if kept else (None, 0)
    if no_tokens:
        shown = ", ".join(repr(i) for i in sorted(no_tokens, key=id_key)[:5])
        notes.append(f"Krippendorff's alpha: {plural(len(no_tokens), 'item')} without token offsets left out "
                     f"({shown}{', ...' if len(no_tokens) > 5 else ''}).")
    if conflicts:
        notes.append(f"{plural(conflicts, 'unit')} touched by one annotator's spans of different labels; "
                     "the span with the largest overlap gave the label.")
    if token_offsets is None:
        notes.append("Krippendorff's alpha is over characters from the start of each item to the end of its last "
                     "span (no token offsets given); text after the last span is not counted.")
    if codes is None:
        notes.append("Krippendorff's alpha: no item annotated by two or more annotators has units to compare.")
        return entry
    entry["n_units"] = codes.shape[1]
    entry["n_items"] = len(kept)
    entry["value"] = krippendorff_nominal(codes, f"{entry['unit']} labels", notes)
    return entry


def span_agreement(spans: Mapping[Any, Mapping[str, Sequence | None]], *,
                   token_offsets: Mapping[Any, Sequence[tuple[int, int]] | npt.NDArray[Any]] | None = None
                   ) -> dict:
    """Agreement between annotators on entity spans: pairwise precision/recall/F1 and token-level alpha.

    Parameters
    ----------
    spans : Mapping[item_id, Mapping[str, Sequence[tuple[int, int, str]] | None]]
        For each item, each annotator's spans as ``(start, end, label)`` character offsets (end
        exclusive; a mapping with ``start``, ``end`` and ``label`` keys is accepted too). An empty
        list means the annotator found no entities; an absent annotator (or ``None``) did not
        annotate the item. Spans whose end is not after their start are left out, with a note.
    token_offsets : Mapping[item_id, Sequence[tuple[int, int]] | numpy array of shape (n, 2)], optional
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
    pairwise = [_pairwise_spans(pair, present, all_labels, notes) for pair in pairs(annotators)]
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

