"""Agreement on entity spans from flat arrays of spans: the report of
:func:`~tagline.annotate.agreement.spans.span_agreement` with token offsets, number for number,
without a Python object per span, for a million sentences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from tagline.annotate.agreement.common import Beside, Coincidences, span_sort_key
from tagline.annotate.agreement.spans import _match, _scores, _unit_codes_unordered, label_units
from tagline.wording import plural


@dataclass
class SpanColumns:
    """Everyone's spans on the items of one question, flat: span ``k`` is annotator
    ``annotator[k]``'s, on item ``item[k]``, from ``start[k]`` to ``end[k]``, labelled ``names[label[k]]``."""

    annotator: Any
    item: Any
    start: Any
    end: Any
    label: Any
    names: Sequence[str]


def span_agreement_codes(present: Any, annotators: Sequence[str], spans: SpanColumns,
                         tokens: tuple[Any, Any, Any, Any]) -> dict:
    """:func:`~tagline.annotate.agreement.spans.span_agreement` of spans given as columns.

    ``present`` is an annotators x items array, true where the annotator annotated the item (an
    empty list of spans included); every item has one annotator at least and ``annotators`` are
    sorted. ``tokens`` is ``(first, stop, starts, ends)``: item ``i``'s tokens are
    ``starts[first[i]:stop[i]]`` and the ``ends`` beside them.
    """
    import numpy as np

    notes: list[str] = []
    valid = (spans.start >= 0) & (spans.end > spans.start)
    if not valid.all():
        notes.append(f"{plural(int((~valid).sum()), 'span')} with a negative start or end not after start left out.")
    else:
        valid = slice(None)  # every span: the columns as they are, not copies
    who, item, start, end = spans.annotator[valid], spans.item[valid], spans.start[valid], spans.end[valid]
    used = np.unique(spans.label[valid])
    all_labels = sorted(spans.names[code] for code in used)
    rank = np.full(len(spans.names) + 1, -1, dtype=np.int32)
    rank[used] = [all_labels.index(spans.names[code]) for code in used]
    label = rank[spans.label[valid]]  # place in all_labels, whose order is the labels' string order
    annotators = list(annotators)
    n_items = present.shape[1]
    compared = present.sum(axis=0) >= 2
    if not n_items:
        notes.append("No annotations: there is nothing to compare.")
    elif len(annotators) < 2:
        notes.append(f"Only one annotator ({annotators[0]}): agreement needs at least two.")
    elif not compared.any():
        notes.append("No item was annotated by two or more annotators, so no agreement can be measured.")
    counts = np.bincount(who * len(all_labels) + label, minlength=len(annotators) * len(all_labels))
    span_counts = {a: dict(zip(all_labels, counts[row * len(all_labels):(row + 1) * len(all_labels)].tolist()))
                   for row, a in enumerate(annotators)}
    flat = _Flat(who, item, start, end, label, all_labels)
    # The token alpha is counted in a thread beside the pairwise scores (their notes kept in order).
    alpha_notes: list[str] = []
    counting = Beside(lambda: _token_alpha(flat, present, compared, annotators, tokens, alpha_notes))
    by_annotator = [flat.of(flat.who == index) for index in range(len(annotators))]  # sorted once
    pairwise = [_pairwise(flat.labels, by_annotator, present, annotators, first, second, notes)
                for first, second in combinations(range(len(annotators)), 2)]
    del by_annotator
    alpha = counting.result()
    notes += alpha_notes
    return {"n_items": n_items, "n_items_compared": int(compared.sum()), "annotators": annotators,
            "labels": all_labels, "span_counts": span_counts, "pairwise": pairwise, "krippendorff_alpha": alpha,
            "notes": notes}


@dataclass
class _Flat:
    """The valid spans, labels as places in ``labels`` (sorted)."""

    who: Any
    item: Any
    start: Any
    end: Any
    label: Any
    labels: list[str]

    def take(self, which: Any) -> _Flat:
        """The spans at ``which`` (an index array, a mask or a slice)."""
        return _Flat(self.who[which], self.item[which], self.start[which], self.end[which], self.label[which],
                     self.labels)

    def of(self, mask: Any) -> tuple[Any, Any, Any, Any]:
        """``(item, start, end, label)`` of the spans under ``mask``, sorted as the lists are."""
        import numpy as np

        item, start, end, label = self.item[mask], self.start[mask], self.end[mask], self.label[mask]
        key = span_sort_key(item, start, end, label)
        # A stable sort of the keys: the fold gives each annotator's spans nearly in order (by item,
        # in corpus order), which a merge of runs sorts in one pass (0.003 s against 0.2 s for two
        # million spans). Equal keys are equal spans, so the columns come out as any sort gives them.
        order = np.lexsort((label, end, start, item)) if key is None else np.argsort(key, kind="stable")
        return item[order], start[order], end[order], label[order]


def _pairwise(labels: list[str], by_annotator: list[tuple], present: Any, annotators: list[str], first: int,
              second: int, notes: list[str]) -> dict:
    import numpy as np

    a, b = annotators[first], annotators[second]
    shared = present[first] & present[second]
    n_labels = len(labels)
    # The spans of items both annotated, still sorted.
    ref, other = (_kept(by_annotator[side], shared[by_annotator[side][0]]) for side in (first, second))
    ref_counts = np.bincount(ref[3], minlength=n_labels)
    other_counts = np.bincount(other[3], minlength=n_labels)
    exact, identical = _exact_matches(ref, other, n_labels, present.shape[1])
    matched = {"exact": exact, "overlap": _overlap_matches(ref, other, identical, labels)}
    entry: dict[str, Any] = {"annotators": [a, b], "reference": a, "n_items": int(shared.sum())}
    for mode in ("exact", "overlap"):
        scores = _scores(int(matched[mode].sum()), int(ref_counts.sum()), int(other_counts.sum()))
        scores["per_label"] = {label: _scores(int(matched[mode][code]), int(ref_counts[code]), int(other_counts[code]))
                               for code, label in enumerate(labels)}
        entry[mode] = scores
    if not shared.any():
        notes.append(f"Spans {a} / {b}: no item was annotated by both.")
    elif not ref_counts.any() and not other_counts.any():
        notes.append(f"Spans {a} / {b}: neither marked any span on their {plural(int(shared.sum()), 'shared item')}, "
                     "so precision, recall and F1 are undefined.")
    return entry


def _kept(columns: tuple, mask: Any) -> tuple:
    """The spans of ``columns`` under ``mask`` (made once for the four columns)."""
    return tuple(column[mask] for column in columns)


def _exact_matches(ref: tuple, other: tuple, n_labels: int, n_items: int) -> tuple[Any, Any]:
    """Exact matches per label (the spans the two lists of an item have in common, counted with
    their repeats), and which items have the same list from both. ``ref`` and ``other`` are each
    sorted as ``_Flat.of`` sorts them: each distinct span of one side is looked up among the other
    side's (``searchsorted`` on one packed key per span), without merging the two sides' columns."""
    import numpy as np

    ref_key, other_key = span_sort_key(*ref, like=(other,)), span_sort_key(*other, like=(ref,))
    if ref_key is None or other_key is None or (ref_key[1:] < ref_key[:-1]).any() or \
            (other_key[1:] < other_key[:-1]).any():
        return _exact_matches_merged(ref, other, n_labels, n_items)
    ref_heads, ref_counts = _runs(ref_key)
    other_heads, other_counts = _runs(other_key)
    ref_distinct, other_distinct = ref_key[ref_heads], other_key[other_heads]
    place = np.minimum(np.searchsorted(ref_distinct, other_distinct), max(len(ref_distinct) - 1, 0))
    found = ref_distinct[place] == other_distinct if len(ref_distinct) else np.zeros(len(other_distinct), dtype=bool)
    both = np.minimum(ref_counts[place[found]], other_counts[found])
    matches = np.bincount(other[3][other_heads[found]], weights=both, minlength=n_labels)
    same = np.zeros(len(other_distinct), dtype=bool)
    same[found] = ref_counts[place[found]] == other_counts[found]
    ref_same = np.zeros(len(ref_distinct), dtype=bool)
    ref_same[place[same]] = True
    identical = np.ones(n_items, dtype=bool)  # false where a span is in one list more times than in the other
    identical[other[0][other_heads[~same]]] = False
    identical[ref[0][ref_heads[~ref_same]]] = False
    return matches.astype(np.int64), identical


def _runs(keys: Any) -> tuple[Any, Any]:
    """Where each run of equal ``keys`` (sorted) begins, and its length."""
    import numpy as np

    new = np.ones(len(keys), dtype=bool)
    new[1:] = keys[1:] != keys[:-1]
    heads = np.flatnonzero(new)
    return heads, np.diff(heads, append=len(keys))


def _exact_matches_merged(ref: tuple, other: tuple, n_labels: int, n_items: int) -> tuple[Any, Any]:
    """:func:`_exact_matches` by merging the two sides' spans, for spans without a packed key."""
    import numpy as np

    fields = [np.concatenate([ref[k], other[k]]) for k in range(4)]
    side = np.concatenate([np.zeros(len(ref[0]), dtype=np.int64), np.ones(len(other[0]), dtype=np.int64)])
    key = span_sort_key(*fields)
    # Two sorted runs: a stable sort of their keys merges them.
    order = np.lexsort((fields[3], fields[2], fields[1], fields[0])) if key is None else \
        np.argsort(key, kind="stable")
    fields, side = [column[order] for column in fields], side[order]
    new = np.ones(len(side), dtype=bool)
    if len(side):
        new[1:] = np.any([column[1:] != column[:-1] for column in fields], axis=0) if key is None else \
            np.diff(key[order]) != 0
    group = np.cumsum(new) - 1
    from_ref = np.bincount(group, weights=side == 0).astype(np.int64)
    from_other = np.bincount(group, weights=side == 1).astype(np.int64)
    heads = np.flatnonzero(new)
    matches = np.bincount(fields[3][heads], weights=np.minimum(from_ref, from_other), minlength=n_labels)
    identical = np.ones(n_items, dtype=bool)
    identical[fields[0][heads][from_ref != from_other]] = False
    return matches.astype(np.int64), identical


def _overlap_matches(ref: tuple, other: tuple, identical: Any, labels: list[str]) -> Any:
    """Overlap matches per label: greedy by largest intersection, as :func:`.spans._match` makes
    them. Where both lists are the same every span matches its twin; where each span touches at
    most one span of the same label on the other side, every touching pair matches; the other
    items go through ``_match`` itself."""
    import numpy as np

    same = identical[ref[0]]
    matched = np.bincount(ref[3][same], minlength=len(labels))
    ref, other = _kept(ref, ~same), _kept(other, ~identical[other[0]])
    if not len(ref[0]) or not len(other[0]):
        return matched
    n_items = int(max(ref[0].max(), other[0].max())) + 1
    other_first = np.searchsorted(other[0], np.arange(n_items))
    per_ref = np.bincount(other[0], minlength=n_items)[ref[0]]
    ref_index = np.repeat(np.arange(len(ref[0])), per_ref)
    other_index = np.repeat(other_first[ref[0]], per_ref) + np.arange(per_ref.sum()) - \
        np.repeat(np.cumsum(per_ref) - per_ref, per_ref)
    overlap = np.minimum(ref[2][ref_index], other[2][other_index]) - \
        np.maximum(ref[1][ref_index], other[1][other_index])
    touching = (overlap > 0) & (ref[3][ref_index] == other[3][other_index])
    ref_index, other_index = ref_index[touching], other_index[touching]
    crowded = np.zeros(n_items, dtype=bool)
    crowded[ref[0][ref_index][np.bincount(ref_index, minlength=len(ref[0]))[ref_index] > 1]] = True
    crowded[other[0][other_index][np.bincount(other_index, minlength=len(other[0]))[other_index] > 1]] = True
    simple = ~crowded[ref[0][ref_index]]
    matched += np.bincount(ref[3][ref_index[simple]], minlength=len(labels))
    for item in np.flatnonzero(crowded):
        lists = []
        for side in (ref, other):
            begin, stop = np.searchsorted(side[0], [item, item + 1])
            lists.append([(start, end, labels[code]) for start, end, code in
                          zip(*(column[begin:stop].tolist() for column in side[1:]))])
        for label in _match(lists[0], lists[1], "overlap"):
            matched[labels.index(label)] += 1
    return matched


ALPHA_ITEMS = 1 << 16
"""Items whose tokens are labelled at a time for the token alpha: the codes of every compared token
of a million sentences at once, and the arrays that label them, would take gigabytes."""


def _token_alpha(flat: _Flat, present: Any, compared: Any, annotators: list[str],
                 tokens: tuple[Any, Any, Any, Any], notes: list[str]) -> dict:
    import numpy as np

    entry: dict[str, Any] = {"value": None, "n_items": 0, "n_units": 0, "unit": "token"}
    if len(annotators) < 2:
        return entry
    kept = np.flatnonzero(compared & (tokens[1] > tokens[0]))
    counted = Coincidences(len(flat.labels) + 1)  # 0 is outside
    conflicts = 0
    order = np.argsort(flat.item, kind="stable")  # each part's spans a slice of it
    items = flat.item[order]
    for begin in range(0, len(kept), ALPHA_ITEMS):
        part = kept[begin:begin + ALPHA_ITEMS]
        low, high = np.searchsorted(items, [part[0], part[-1] + 1])
        codes, part_conflicts = _unit_codes(flat.take(order[low:high]), present, part, tokens, annotators)
        counted.add(codes)
        conflicts += part_conflicts
    if conflicts:
        notes.append(f"{plural(conflicts, 'unit')} touched by one annotator's spans of different labels; "
                     "the span with the largest overlap gave the label.")
    if not len(kept):
        notes.append("Krippendorff's alpha: no item annotated by two or more annotators has units to compare.")
        return entry
    entry["n_units"] = counted.units
    entry["n_items"] = len(kept)
    entry["value"] = counted.alpha("token labels", notes)
    return entry


def _unit_codes(flat: _Flat, present: Any, kept: Any, tokens: tuple[Any, Any, Any, Any], annotators: list[str]
                ) -> tuple[Any, int]:
    """:func:`.spans._unit_codes` over the ``kept`` items: every annotator's label code (0 for
    outside, -1 where it did not annotate the item) for every token, and the conflicts."""
    import numpy as np

    token_first, token_stop, token_starts, token_ends = tokens
    lengths = (token_stop[kept] - token_first[kept]).astype(np.int64)
    first = np.cumsum(lengths) - lengths
    gather = np.repeat(token_first[kept].astype(np.int64) - first, lengths) + np.arange(lengths.sum())
    unit_starts, unit_ends = token_starts[gather], token_ends[gather]
    del gather
    unit_item = np.repeat(np.arange(len(kept), dtype=np.int32), lengths)
    place = np.full(present.shape[1], -1, dtype=np.int64)
    place[kept] = np.arange(len(kept))
    low = np.minimum(np.minimum.reduceat(unit_starts, first), 0).astype(np.int64)
    high = np.maximum.reduceat(unit_ends, first).astype(np.int64)
    in_kept = place[flat.item] >= 0
    span_items = place[flat.item[in_kept]]
    if len(span_items) and (span_items[1:] >= span_items[:-1]).all():  # by item: ends by runs (``.at`` is slow)
        heads = np.flatnonzero(np.append(True, span_items[1:] != span_items[:-1]))
        items = span_items[heads]
        high[items] = np.maximum(high[items], np.maximum.reduceat(flat.end[in_kept], heads))
    elif len(span_items):
        np.maximum.at(high, span_items, flat.end[in_kept])
    width = high - low + 1
    base = np.cumsum(width) - width - low
    # The shared axis in 32 bits when it fits (tens of millions of tokens at a million sentences).
    axis = np.int32 if width.sum() < np.iinfo(np.int32).max and unit_ends.dtype.itemsize <= 4 else np.int64
    base = base.astype(axis)
    starts = unit_starts.astype(axis) + base[unit_item]
    ends = unit_ends.astype(axis) + base[unit_item]
    codes = np.zeros((len(annotators), len(unit_starts)), dtype=np.int16)
    if np.any(np.diff(starts) < 0) or np.any(np.diff(ends) < 0):
        return _unordered(flat, present, kept, unit_starts, unit_ends, lengths, annotators, codes)
    conflicts = 0
    n_codes = len(flat.labels) + 1
    for row_index, row in enumerate(codes):
        row[~present[row_index][kept][unit_item]] = -1
        mine = in_kept & (flat.who == row_index)
        if not mine.any():
            continue
        span_item = place[flat.item[mine]]
        span_start = (flat.start[mine] + base[span_item]).astype(axis)
        span_end = (flat.end[mine] + base[span_item]).astype(axis)
        span_code = flat.label[mine] + 1  # 0 is outside
        conflicts += label_units(row, starts, ends, span_start, span_end, span_code, n_codes)
    return codes, conflicts


def _unordered(flat: _Flat, present: Any, kept: Any, unit_starts: Any, unit_ends: Any, lengths: Any,
               annotators: list[str], codes: Any) -> tuple[Any, int]:
    """Tokens out of order: the items as ``.spans`` holds them, labelled one token at a time."""
    import numpy as np

    items: list[dict[str, list[tuple[int, int, str]]]] = [
        {name: [] for a, name in enumerate(annotators) if present[a, item]} for item in kept]
    place = {int(item): position for position, item in enumerate(kept)}
    for who, item, start, end, label in zip(flat.who.tolist(), flat.item.tolist(), flat.start.tolist(),
                                            flat.end.tolist(), flat.label.tolist()):
        if item in place:
            items[place[item]][annotators[who]].append((start, end, flat.labels[label]))
    split = np.cumsum(lengths)[:-1]
    units = [np.stack([s, e], axis=1) for s, e in zip(np.split(unit_starts, split), np.split(unit_ends, split))]
    code = {label: index for index, label in enumerate(flat.labels, 1)}
    return _unit_codes_unordered(items, units, annotators, code, codes)
