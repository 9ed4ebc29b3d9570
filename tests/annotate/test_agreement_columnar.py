"""The columnar Krippendorff's alpha (coincidences counted over numpy code arrays) gives the values
of the straightforward computation: a label per unit and annotator in Python lists, then
``krippendorff.alpha(reliability_data=...)`` on the dense annotators x units matrix."""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.annotate.agreement import label_agreement, span_agreement
from tagline.annotate.agreement.common import Coincidences, krippendorff_nominal, span_sort_key

LABELS = ["GPE", "ORG", "PERSON"]
ANNOTATORS = ["alice", "bob", "carol", "dave"]


def straightforward_alpha(rows: list[list[int | None]]) -> float | None:
    data = np.array([[np.nan if value is None else float(value) for value in row] for row in rows])
    if len(np.unique(data[~np.isnan(data)])) < 2:
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        value = float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    return value if np.isfinite(value) else None


def straightforward_units(spans: dict, token_offsets: dict | None) -> tuple[list[list[int | None]], int]:
    """Per annotator, each unit's label code, unit by unit (the way tagline measured it before)."""
    annotators = sorted({a for item in spans.values() for a in item})
    labels = sorted({span[2] for item in spans.values() for spans_ in item.values() for span in spans_})
    code = {label: index for index, label in enumerate(labels, 1)}
    rows: list[list[int | None]] = [[] for _ in annotators]
    conflicts = 0
    for item_id, item in spans.items():
        if len(item) < 2:
            continue
        if token_offsets is not None:
            units = list(token_offsets[item_id])
        else:
            units = [(i, i + 1) for i in range(max((s[1] for v in item.values() for s in v), default=0))]
        for row, annotator in zip(rows, annotators):
            for start, end in units:
                if annotator not in item:
                    row.append(None)
                    continue
                touching = sorted((-(min(end, s[1]) - max(start, s[0])), s[0], s[2]) for s in item[annotator]
                                  if min(end, s[1]) - max(start, s[0]) > 0)
                conflicts += len({t[2] for t in touching}) > 1
                row.append(code[touching[0][2]] if touching else 0)
    return rows, conflicts


@st.composite
def workspaces(draw, max_annotators: int = 3, ordered: bool = True):
    """Items with token offsets and each annotator's spans over them."""
    n_annotators = draw(st.integers(2, max_annotators))
    spans, token_offsets = {}, {}
    for number in range(draw(st.integers(1, 8))):
        length = draw(st.integers(1, 25))
        cuts = sorted(draw(st.sets(st.integers(1, length - 1), max_size=length - 1)) if length > 1 else set())
        bounds = [0, *cuts, length]
        tokens = [(a, b) for a, b in zip(bounds, bounds[1:]) if draw(st.integers(0, 5))]  # a few gaps
        if not ordered:
            tokens = draw(st.permutations(tokens))
        item = {}
        for annotator in ANNOTATORS[:n_annotators]:
            if draw(st.integers(0, 4)) == 0:
                continue  # this annotator did not annotate the item
            item[annotator] = [
                (start, start + draw(st.integers(1, length - start)), draw(st.sampled_from(LABELS)))
                for start in draw(st.lists(st.integers(0, length - 1), max_size=4))
            ]
        spans[f"s{number}"] = item
        token_offsets[f"s{number}"] = tokens
    return spans, token_offsets


def check(spans: dict, token_offsets: dict | None, exact: bool) -> None:
    report = span_agreement(spans, token_offsets=token_offsets)["krippendorff_alpha"]
    rows, conflicts = straightforward_units(spans, token_offsets)
    assert report["n_units"] == (len(rows[0]) if rows else 0)
    expected = straightforward_alpha(rows) if rows and rows[0] else None
    if exact or expected is None:
        assert report["value"] == expected
    else:
        assert report["value"] == pytest.approx(expected, abs=1e-12)
    if token_offsets is not None:  # an (n, 2) array per item, as `annotate agree` passes them, is the same
        arrays = {item_id: np.array(offsets, dtype=np.int32).reshape(-1, 2) for item_id, offsets in token_offsets.items()}
        assert span_agreement(spans, token_offsets=arrays)["krippendorff_alpha"] == report
    noted = [note for note in span_agreement(spans, token_offsets=token_offsets)["notes"] if "touched by" in note]
    assert bool(noted) == bool(conflicts) and (not conflicts or noted[0].startswith(f"{conflicts} unit"))


@settings(max_examples=300, deadline=None)
@given(workspaces())
def test_token_alpha_is_the_straightforward_one_exactly(workspace):
    spans, token_offsets = workspace
    check(spans, token_offsets, exact=True)


@settings(max_examples=150, deadline=None)
@given(workspaces())
def test_character_alpha_is_the_straightforward_one_exactly(workspace):
    spans, _ = workspace
    check(spans, None, exact=True)


@settings(max_examples=150, deadline=None)
@given(workspaces(ordered=False))
def test_token_alpha_with_tokens_out_of_order_is_the_straightforward_one(workspace):
    spans, token_offsets = workspace
    check(spans, token_offsets, exact=True)


@settings(max_examples=150, deadline=None)
@given(workspaces(max_annotators=4))
def test_token_alpha_with_four_annotators_is_the_straightforward_one_to_the_last_bits(workspace):
    # With four annotators a unit's pairs weigh 1/3, which the package sums in floats unit by unit
    # and tagline counts in integers and divides once: the two agree to rounding.
    spans, token_offsets = workspace
    check(spans, token_offsets, exact=False)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.integers(0, 40), st.dictionaries(st.sampled_from(ANNOTATORS[:3]),
                                                          st.sampled_from(["FAVOR", "AGAINST", "NONE"])),
                       max_size=40))
def test_label_alpha_is_the_straightforward_one_exactly(votes):
    report = label_agreement(votes, labels=["FAVOR", "AGAINST", "NONE"])
    annotators = sorted({a for item in votes.values() for a in item})
    code = {"FAVOR": 0, "AGAINST": 1, "NONE": 2}
    compared = [item for item in votes.values() if len(item) >= 2]
    rows = [[code[item[a]] if a in item else None for item in compared] for a in annotators]
    expected = straightforward_alpha(rows) if compared and len(annotators) >= 2 else None
    assert report["krippendorff_alpha"]["value"] == expected


@st.composite
def split_codes(draw):
    """Codes of 2 or 3 annotators on units that hold two ratings or more, and where to cut them."""
    n_annotators = draw(st.integers(2, 3))
    units = draw(st.lists(st.lists(st.integers(-1, 4), min_size=n_annotators, max_size=n_annotators)
                          .filter(lambda unit: sum(code >= 0 for code in unit) >= 2), min_size=1, max_size=60))
    cuts = sorted(draw(st.lists(st.integers(1, len(units)), max_size=5)))
    return np.array(units, dtype=np.int64).T, cuts


@settings(max_examples=300, deadline=None)
@given(split_codes())
def test_coincidences_counted_in_parts_give_the_alpha_of_the_whole_exactly(case):
    codes, cuts = case
    whole_notes: list[str] = []
    whole = krippendorff_nominal(codes, "token labels", whole_notes)
    counted = Coincidences(5)
    for part in np.split(codes, cuts, axis=1):
        counted.add(part)
    notes: list[str] = []
    assert counted.alpha("token labels", notes) == whole
    assert notes == whole_notes and counted.units == codes.shape[1]
    assert whole == straightforward_alpha([[None if code < 0 else int(code) for code in row] for row in codes])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3000), st.integers(-1, 2**20), st.integers(0, 2**40), st.integers(0, 9)),
                max_size=40))
def test_the_packed_sort_key_orders_spans_as_their_four_fields_or_is_none(spans):
    columns = [np.array([span[k] for span in spans], dtype=np.int64) for k in range(4)]
    key = span_sort_key(*columns)
    if key is None:
        assert any(span[1] < 0 for span in spans) or sum(int(c.max()).bit_length() for c in columns) > 63
        return
    ordered = [spans[k] for k in np.argsort(key, kind="stable")]
    assert ordered == sorted(spans)


spans_of_two = st.lists(st.tuples(st.integers(0, 1), st.integers(0, 6), st.integers(0, 9), st.integers(1, 4),
                                  st.integers(0, 3)), max_size=60)


def sorted_side(spans: list, side: int) -> tuple:
    rows = sorted((item, start, start + length, label) for who, item, start, length, label in spans if who == side)
    return tuple(np.array([row[k] for row in rows], dtype=np.int64) for k in range(4))


@settings(max_examples=300, deadline=None)
@given(spans_of_two)
def test_exact_matches_looked_up_per_distinct_span_are_those_of_the_two_sides_merged(spans):
    from tagline.annotate.agreement.span_columns import _exact_matches, _exact_matches_merged

    ref, other = sorted_side(spans, 0), sorted_side(spans, 1)
    matches, identical = _exact_matches(ref, other, 4, 7)
    merged_matches, merged_identical = _exact_matches_merged(ref, other, 4, 7)
    assert matches.tolist() == merged_matches.tolist() and identical.tolist() == merged_identical.tolist()
    for label in range(4):  # the multiset intersection, counted by hand
        mine = [tuple(map(int, span)) for span in zip(*ref) if span[3] == label]
        theirs = [tuple(map(int, span)) for span in zip(*other) if span[3] == label]
        assert matches[label] == sum(min(mine.count(span), theirs.count(span)) for span in set(mine))


@settings(max_examples=200, deadline=None)
@given(spans_of_two, st.integers(0, 40))
def test_packed_keys_made_alike_compare_across_two_sides_as_their_spans(spans, shift):
    ref, other = sorted_side(spans, 0), sorted_side(spans, 1)
    other = (other[0] << shift, *other[1:])  # the other side's items far wider than the reference's
    ref_key, other_key = span_sort_key(*ref, like=(other,)), span_sort_key(*other, like=(ref,))
    if ref_key is None:
        return
    ref_spans, other_spans = list(zip(*(c.tolist() for c in ref))), list(zip(*(c.tolist() for c in other)))
    for key, span in zip(ref_key.tolist(), ref_spans):
        for other_key_, other_span in zip(other_key.tolist(), other_spans):
            assert (key < other_key_) == (span < other_span) and (key == other_key_) == (span == other_span)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(1, 9), st.integers(0, 50), st.integers(1, 7)), min_size=1,
                max_size=50),
       st.sampled_from([0, 56]))
def test_the_best_span_of_each_unit_is_found_alike_by_the_packed_key_and_by_lexsort(pairs, shift):
    from tagline.annotate.agreement.spans import _best_spans

    unit, overlap, start, code = (np.array([pair[k] for pair in pairs], dtype=np.int64) for k in range(4))
    start = start << shift  # 56: too wide to pack, sorted by lexsort
    units, codes = _best_spans(unit, overlap, start, code)
    expected = sorted(zip(unit.tolist(), (-overlap).tolist(), start.tolist(), code.tolist()))
    assert units.tolist() == [row[0] for row in expected] and codes.tolist() == [row[3] for row in expected]


def test_a_measure_made_beside_gives_its_value_or_raises_its_error_in_the_caller():
    from tagline.annotate.agreement.common import Beside

    assert Beside(lambda: sum(range(10))).result() == 45

    def fails() -> None:
        raise ValueError("no votes")

    with pytest.raises(ValueError, match="no votes"):
        Beside(fails).result()
