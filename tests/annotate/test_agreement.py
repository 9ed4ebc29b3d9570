"""Inter-annotator agreement: reference values on real Prodigy data, hand-worked and literature
cases, undefined coefficients, span matching, and JSON-safe reports."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections import Counter, defaultdict
from itertools import permutations
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.annotate.agreement import label_agreement, render_markdown, span_agreement

PRODIGY = Path("formats/prodigy/pydata-ams-2023.3annotators.jsonl")
A1, A2, A3 = "84533641", "b0adbf6f", "e1eec138"  # prefixes of the three annotator ids, in sorted order


# --------------------------------------------------------------------------------------------
# helpers


def shared_file(relative: Path) -> Path:
    """A file in the shared data folder beside the checkout (/work/shared), or skip."""
    candidates = [Path(__file__).resolve().parents[3] / "shared"]
    if os.environ.get("TAGLINE_SHARED"):
        candidates.append(Path(os.environ["TAGLINE_SHARED"]))
    for base in candidates:
        if (base / relative).is_file():
            return base / relative
    pytest.skip(f"../shared/{relative} is not present (public reference data is read from beside the checkout)")


def assert_json_safe(report) -> None:
    """Only plain JSON types, no NaN/inf, and both json and orjson accept it unchanged."""

    def walk(value, where="report"):
        if isinstance(value, dict):
            for key, item in value.items():
                assert isinstance(key, str), f"{where}: non-string key {key!r}"
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{where}[{i}]")
        else:
            assert value is None or type(value) in (str, int, float, bool), f"{where}: {type(value)!r}"
            if isinstance(value, float):
                assert math.isfinite(value), f"{where}: {value!r}"

    walk(report)
    text = json.dumps(report, allow_nan=False)
    assert json.loads(text) == report
    assert orjson.loads(orjson.dumps(report)) == report


def kappa(report, a, b):
    """The Cohen's kappa entry of a pair (annotator names may be prefixes)."""
    for entry in report["cohen_kappa"]:
        x, y = entry["annotators"]
        if x.startswith(a) and y.startswith(b):
            return entry
    raise AssertionError(f"no Cohen's kappa entry for {a} / {b}")


def alpha_by_coincidence(units) -> float:
    """Nominal Krippendorff's alpha from the coincidence matrix, written independently of the code
    under test. ``units`` is a list of lists of the values given to each unit (missing left out)."""
    coincidence: Counter = Counter()
    for values in units:
        m = len(values)
        if m < 2:
            continue
        for i, j in permutations(range(m), 2):
            coincidence[values[i], values[j]] += 1 / (m - 1)
    n_c: Counter = Counter()
    for (c, _), weight in coincidence.items():
        n_c[c] += weight
    n = sum(n_c.values())
    observed = sum(w for (c, k), w in coincidence.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k) / (n - 1)
    return 1 - observed / expected


def prodigy_votes():
    votes: dict = defaultdict(dict)
    with shared_file(PRODIGY).open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            votes[row["_input_hash"]][row["_annotator_id"]] = row["answer"]
    return dict(votes)


# --------------------------------------------------------------------------------------------
# the real three-annotator Prodigy file against SOURCE.md's reference values


@pytest.mark.shared
def test_prodigy_three_annotators_all_117_items_match_reference_values():
    votes = prodigy_votes()
    report = label_agreement(votes, labels=["accept", "reject", "ignore"])
    assert report["n_items"] == report["n_items_compared"] == 117
    assert [a[:8] for a in report["annotators"]] == [A1, A2, A3]
    assert report["annotators_per_item"] == {"3": 117}
    assert round(report["observed_agreement"], 4) == 0.8006
    assert round(report["unanimous_items"] / 117, 4) == 0.7179
    assert round(report["krippendorff_alpha"]["value"], 4) == 0.6075
    assert report["krippendorff_alpha"]["n_items"] == 117
    assert round(report["fleiss_kappa"]["value"], 4) == 0.6064
    assert report["fleiss_kappa"]["n_items"] == 117 and report["fleiss_kappa"]["n_annotators"] == 3
    assert round(kappa(report, A1, A2)["value"], 4) == 0.5108
    assert round(kappa(report, A1, A3)["value"], 4) == 0.5160
    assert round(kappa(report, A2, A3)["value"], 4) == 0.7874
    assert all(entry["n_items"] == 117 for entry in report["cohen_kappa"])
    assert sum(report["label_counts"].values()) == 351
    assert list(report["label_counts"]) == ["accept", "reject", "ignore"]
    # every disagreeing pair is in the table twice (symmetric); 117*3 pairs minus the agreeing ones
    matrix = report["disagreements"]["matrix"]
    assert all(matrix[i][j] == matrix[j][i] for i in range(3) for j in range(3))
    assert all(matrix[i][i] == 0 for i in range(3))
    agreeing_pairs = round(report["observed_agreement"] * 117 * 3)
    assert report["disagreements"]["n_pairs"] == 117 * 3 - agreeing_pairs == sum(map(sum, matrix)) // 2
    # the contested list starts with the items where all three answers differ
    contested = report["most_contested"]
    assert len(contested) == 10
    assert [c["agreement"] for c in contested] == sorted(c["agreement"] for c in contested)
    assert contested[0]["agreement"] == 0.0 and set(contested[0]["votes"].values()) == {"accept", "reject", "ignore"}
    assert report["notes"] == []
    assert_json_safe(report)
    markdown = render_markdown(report, title="PyData Amsterdam 2023")
    assert "| Fleiss' kappa | 0.6064 | 117 |" in markdown
    assert "| Krippendorff's alpha (nominal) | 0.6075 | 117 |" in markdown


@pytest.mark.shared
def test_prodigy_110_items_without_ignore_match_reference_values():
    votes = {item: answers for item, answers in prodigy_votes().items() if "ignore" not in answers.values()}
    assert len(votes) == 110
    report = label_agreement(votes)
    assert list(report["label_counts"]) == ["accept", "reject"]
    assert round(report["unanimous_items"] / 110, 4) == 0.7636
    assert round(report["observed_agreement"], 4) == 0.8424
    assert round(report["krippendorff_alpha"]["value"], 4) == 0.6772
    assert round(report["fleiss_kappa"]["value"], 4) == 0.6762
    assert round(kappa(report, A1, A2)["value"], 4) == 0.5522
    assert round(kappa(report, A1, A3)["value"], 4) == 0.5865
    assert round(kappa(report, A2, A3)["value"], 4) == 0.8886
    assert_json_safe(report)


# --------------------------------------------------------------------------------------------
# hand-computed label cases


def test_perfect_agreement():
    votes = {i: {"ann": label, "bob": label, "cy": label} for i, label in enumerate(["pro", "con", "pro", "none"])}
    report = label_agreement(votes, labels=["pro", "con", "none"])
    assert report["observed_agreement"] == 1.0
    assert report["unanimous_items"] == 4
    assert [e["value"] for e in report["cohen_kappa"]] == [1.0, 1.0, 1.0]
    assert [e["annotators"] for e in report["cohen_kappa"]] == [["ann", "bob"], ["ann", "cy"], ["bob", "cy"]]
    assert report["fleiss_kappa"]["value"] == pytest.approx(1.0)
    assert report["krippendorff_alpha"]["value"] == pytest.approx(1.0)
    assert report["most_contested"] == []
    assert report["disagreements"] == {"labels": ["pro", "con", "none"], "matrix": [[0] * 3] * 3, "n_pairs": 0}
    assert report["label_counts"] == {"pro": 6, "con": 3, "none": 3}
    assert report["notes"] == []
    assert_json_safe(report)


def test_cohen_kappa_by_hand():
    # po = 4/6; each annotator says yes half the time, so pe = 1/2 and kappa = (2/3 - 1/2) / (1/2) = 1/3
    pairs = [("y", "y"), ("y", "y"), ("y", "n"), ("n", "n"), ("n", "n"), ("n", "y")]
    votes = {f"s{i}": {"a": x, "b": y} for i, (x, y) in enumerate(pairs)}
    report = label_agreement(votes)
    assert kappa(report, "a", "b") == {"annotators": ["a", "b"], "n_items": 6, "value": pytest.approx(1 / 3)}
    assert report["observed_agreement"] == pytest.approx(4 / 6)
    assert report["disagreements"] == {"labels": ["n", "y"], "matrix": [[0, 2], [2, 0]], "n_pairs": 2}
    assert [c["item_id"] for c in report["most_contested"]] == ["s2", "s5"]
    assert_json_safe(report)


def test_fleiss_kappa_matches_the_published_worked_example():
    # Fleiss (1971) style example as worked on Wikipedia: 10 items, 14 raters, 5 categories, kappa = 0.210
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    votes = {}
    for item, counts in enumerate(table):
        answers = [str(category + 1) for category, n in enumerate(counts) for _ in range(n)]
        votes[item] = {f"r{rater:02d}": label for rater, label in enumerate(answers)}
    report = label_agreement(votes)
    assert round(report["fleiss_kappa"]["value"], 3) == 0.210
    assert report["fleiss_kappa"]["n_items"] == 10 and report["fleiss_kappa"]["n_annotators"] == 14
    assert_json_safe(report)


def test_constant_labels_make_kappa_undefined_with_a_note_not_nan():
    votes = {i: {"a": "pro", "b": "pro"} for i in range(5)}
    report = label_agreement(votes, labels=["pro", "con"])
    assert kappa(report, "a", "b") == {"annotators": ["a", "b"], "n_items": 5, "value": None}
    assert report["fleiss_kappa"]["value"] is None
    assert report["krippendorff_alpha"]["value"] is None
    assert report["observed_agreement"] == 1.0
    notes = " ".join(report["notes"])
    assert "Cohen's kappa a / b" in notes and "undefined" in notes
    assert "Fleiss' kappa" in notes and "Krippendorff's alpha" in notes
    assert "never used: con" in notes
    assert_json_safe(report)
    assert "| a | b | 5 | n/a |" in render_markdown(report, title="constant")


def test_one_constant_annotator_gives_kappa_zero_not_undefined():
    # a always says pro; b varies: observed agreement equals chance agreement, so kappa is 0 (defined)
    votes = {0: {"a": "pro", "b": "pro"}, 1: {"a": "pro", "b": "con"}, 2: {"a": "pro", "b": "pro"},
             3: {"a": "pro", "b": "con"}}
    report = label_agreement(votes)
    assert kappa(report, "a", "b")["value"] == 0.0
    assert not any("Cohen" in note for note in report["notes"])
    assert_json_safe(report)


def test_single_annotator_gives_notes_and_no_coefficients():
    votes = {1: {"solo": "pro"}, 2: {"solo": "con"}, 3: {}}
    report = label_agreement(votes)
    assert report["n_items"] == 2 and report["n_items_compared"] == 0
    assert report["annotators"] == ["solo"]
    assert report["annotators_per_item"] == {"1": 2}
    assert report["observed_agreement"] is None
    assert report["unanimous_items"] == 0
    assert report["cohen_kappa"] == []
    assert report["fleiss_kappa"] == {"value": None, "n_items": 0, "n_annotators": 1}
    assert report["krippendorff_alpha"]["value"] is None
    assert report["label_counts"] == {"con": 1, "pro": 1}
    notes = " ".join(report["notes"])
    assert "Only one annotator (solo)" in notes and "1 item without any vote" in notes
    assert_json_safe(report)
    render_markdown(report, title="solo")


def test_no_overlapping_items():
    votes = {"x1": {"a": "pro"}, "x2": {"a": "con"}, "x3": {"b": "pro"}, "x4": {"b": "con", "c": None}}
    report = label_agreement(votes)
    assert report["n_items"] == 4 and report["n_items_compared"] == 0
    assert report["annotators"] == ["a", "b"]  # c gave no answer (None is missing)
    assert kappa(report, "a", "b") == {"annotators": ["a", "b"], "n_items": 0, "value": None}
    assert report["fleiss_kappa"]["value"] is None and report["fleiss_kappa"]["n_items"] == 0
    assert report["krippendorff_alpha"] == {"value": None, "n_items": 0}
    assert report["observed_agreement"] is None
    notes = " ".join(report["notes"])
    assert "no item was labelled by both" in notes
    assert "No item was labelled by two or more annotators" in notes
    assert_json_safe(report)


def test_configured_label_that_never_occurs_has_zero_counts_and_unknown_labels_are_added():
    votes = {1: {"a": "pro", "b": "con"}, 2: {"a": "pro", "b": "pro"}, 3: {"a": "odd", "b": "pro"}}
    report = label_agreement(votes, labels=["pro", "con", "neutral"])
    assert report["label_counts"] == {"pro": 4, "con": 1, "neutral": 0, "odd": 1}
    table = report["disagreements"]
    assert table["labels"] == ["pro", "con", "neutral", "odd"]
    assert table["matrix"] == [[0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]]
    notes = " ".join(report["notes"])
    assert "never used: neutral" in notes and "added at the end: odd" in notes
    markdown = render_markdown(report, title="labels")
    assert "| neutral | 0 |" in markdown and "| neutral | 0 | 0 | 0 | 0 |" in markdown
    assert_json_safe(report)


def test_fleiss_uses_only_items_everyone_labelled_and_alpha_allows_missing():
    votes = {
        1: {"a": "x", "b": "x", "c": "x"},
        2: {"a": "y", "b": "y", "c": "x"},
        3: {"a": "y", "b": "y"},  # c missing: in alpha and Cohen a/b, not in Fleiss
        4: {"a": "x"},  # single vote: counted, not compared
    }
    report = label_agreement(votes)
    assert report["n_items"] == 4 and report["n_items_compared"] == 3
    assert report["annotators_per_item"] == {"1": 1, "2": 1, "3": 2}
    assert report["fleiss_kappa"]["n_items"] == 2
    assert any("2 of 3 compared items" in note for note in report["notes"])
    assert kappa(report, "a", "b")["n_items"] == 3 and kappa(report, "a", "c")["n_items"] == 2
    expected = alpha_by_coincidence([["x", "x", "x"], ["y", "y", "x"], ["y", "y"]])
    assert report["krippendorff_alpha"] == {"value": pytest.approx(expected), "n_items": 3}
    # observed agreement: mean of 1, 1/3, 1
    assert report["observed_agreement"] == pytest.approx((1 + 1 / 3 + 1) / 3)
    assert report["unanimous_items"] == 2
    assert_json_safe(report)


def test_krippendorff_alpha_with_missing_values_matches_the_literature():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers, 12 units,
    # values 1..5 with missing data; nominal alpha = 0.743 (unit 12 has a single value).
    rows = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
    votes = {unit: {who: str(row[unit]) for who, row in rows.items() if row[unit] is not None} for unit in range(12)}
    report = label_agreement(votes)
    assert round(report["krippendorff_alpha"]["value"], 3) == 0.743
    assert report["krippendorff_alpha"]["n_items"] == 11
    independent = alpha_by_coincidence([list(item.values()) for item in votes.values()])
    assert report["krippendorff_alpha"]["value"] == pytest.approx(independent, abs=1e-12)
    # the same paper's binary two-observer example: alpha = 0.095
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    report = label_agreement({i: {"a": str(x), "b": str(y)} for i, (x, y) in enumerate(zip(a, b))})
    assert round(report["krippendorff_alpha"]["value"], 3) == 0.095
    assert_json_safe(report)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(
    st.integers(0, 30),
    st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["p", "q", "r", None]), max_size=4),
    max_size=12,
))
def test_alpha_and_observed_agreement_match_independent_computations(votes):
    report = label_agreement(votes, labels=["p", "q", "r"])
    assert_json_safe(report)
    units = [[v for v in item.values() if v is not None] for item in votes.values()]
    compared = [u for u in units if len(u) >= 2]
    assert report["n_items_compared"] == len(compared)
    if compared and len(set(v for u in compared for v in u)) >= 2:
        assert report["krippendorff_alpha"]["value"] == pytest.approx(alpha_by_coincidence(compared), abs=1e-9)
    else:
        assert report["krippendorff_alpha"]["value"] is None
    if compared:
        pairs = [sum(x == y for i, x in enumerate(u) for y in u[i + 1:]) / (len(u) * (len(u) - 1) / 2)
                 for u in compared]
        assert report["observed_agreement"] == pytest.approx(sum(pairs) / len(pairs))
    for entry in report["cohen_kappa"]:
        assert entry["value"] is None or -1 - 1e-9 <= entry["value"] <= 1 + 1e-9
    matrix = report["disagreements"]["matrix"]
    assert sum(map(sum, matrix)) == 2 * report["disagreements"]["n_pairs"]


def test_most_contested_orders_by_agreement_then_item_id_and_respects_the_limit():
    votes = {
        "c": {"a": "x", "b": "y"},
        "a": {"a": "x", "b": "y"},
        "b": {"a": "x", "b": "y", "c": "y"},
        "d": {"a": "x", "b": "x"},
    }
    report = label_agreement(votes, top_contested=2)
    assert [(c["item_id"], c["agreement"]) for c in report["most_contested"]] == [("a", 0.0), ("c", 0.0)]
    assert report["most_contested"][0]["votes"] == {"a": "x", "b": "y"}
    report = label_agreement(votes)
    assert [c["item_id"] for c in report["most_contested"]] == ["a", "c", "b"]  # d agrees fully: not contested
    assert label_agreement(votes, top_contested=0)["most_contested"] == []


@pytest.mark.parametrize("call", [
    lambda: label_agreement([("i", {"a": "x"})]),
    lambda: label_agreement({"i": ["x"]}),
    lambda: label_agreement({"i": {"a": 1}}),
    lambda: label_agreement({"i": {3: "x"}}),
    lambda: label_agreement({}, labels=["x", "x"]),
    lambda: label_agreement({}, labels="xy"),
    lambda: label_agreement({}, top_contested=-1),
    lambda: span_agreement({"i": {"a": [(0, 2)]}}),
    lambda: span_agreement({"i": {"a": [("0", 2, "X")]}}),
    lambda: span_agreement({"i": {"a": "0 2 X"}}),
    lambda: render_markdown({"n_items": 1}, title="?"),
])
def test_programming_errors_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_empty_input_is_not_an_error():
    report = label_agreement({})
    assert report["n_items"] == 0 and report["observed_agreement"] is None
    assert report["disagreements"] == {"labels": [], "matrix": [], "n_pairs": 0}
    assert any("No votes" in note for note in report["notes"])
    assert_json_safe(report)
    render_markdown(report, title="empty")
    spans = span_agreement({})
    assert spans["pairwise"] == [] and spans["krippendorff_alpha"]["value"] is None
    assert_json_safe(spans)


# --------------------------------------------------------------------------------------------
# spans


def scores(report, mode, label=None):
    (entry,) = report["pairwise"]
    block = entry[mode]
    return block if label is None else block["per_label"][label]


def test_exact_versus_overlap_and_per_label_numbers():
    spans = {
        "s1": {"ann": [(0, 5, "PER"), (10, 20, "ORG")], "bob": [(0, 5, "PER"), (12, 20, "ORG")]},
        "s2": {"ann": [(3, 8, "LOC")], "bob": [(3, 8, "ORG")]},  # same range, different label: never a match
    }
    report = span_agreement(spans)
    assert report["annotators"] == ["ann", "bob"] and report["labels"] == ["LOC", "ORG", "PER"]
    assert report["span_counts"] == {"ann": {"LOC": 1, "ORG": 1, "PER": 1}, "bob": {"LOC": 0, "ORG": 2, "PER": 1}}
    (pair,) = report["pairwise"]
    assert pair["annotators"] == ["ann", "bob"] and pair["reference"] == "ann" and pair["n_items"] == 2
    exact, overlap = scores(report, "exact"), scores(report, "overlap")
    assert (exact["tp"], exact["n_reference"], exact["n_other"]) == (1, 3, 3)
    assert exact["precision"] == exact["recall"] == exact["f1"] == pytest.approx(1 / 3)
    assert overlap["tp"] == 2 and overlap["f1"] == pytest.approx(2 / 3)
    assert scores(report, "exact", "PER")["f1"] == 1.0
    assert scores(report, "exact", "ORG") == {"tp": 0, "n_reference": 1, "n_other": 2, "precision": 0.0,
                                              "recall": 0.0, "f1": 0.0}
    assert scores(report, "overlap", "ORG") == {"tp": 1, "n_reference": 1, "n_other": 2, "precision": 0.5,
                                                "recall": 1.0, "f1": pytest.approx(2 / 3)}
    assert scores(report, "overlap", "LOC") == {"tp": 0, "n_reference": 1, "n_other": 0, "precision": None,
                                                "recall": 0.0, "f1": 0.0}
    assert_json_safe(report)


def test_first_annotator_is_reference_and_f1_is_symmetric():
    spans = {1: {"a": [(0, 5, "PER"), (10, 15, "PER")], "b": [(0, 5, "PER")]}}
    forward = scores(span_agreement(spans), "exact")
    assert forward["recall"] == 0.5 and forward["precision"] == 1.0 and forward["f1"] == pytest.approx(2 / 3)
    swapped = {1: {"a": spans[1]["b"], "b": spans[1]["a"]}}
    backward = scores(span_agreement(swapped), "exact")
    assert backward["recall"] == 1.0 and backward["precision"] == 0.5 and backward["f1"] == forward["f1"]


def test_overlap_matching_is_one_to_one():
    # two of b's spans overlap a's single span: only one of them matches it
    spans = {1: {"a": [(0, 10, "PER")], "b": [(0, 4, "PER"), (5, 10, "PER")]}}
    overlap = scores(span_agreement(spans), "overlap")
    assert overlap["tp"] == 1 and overlap["recall"] == 1.0 and overlap["precision"] == 0.5
    assert overlap["f1"] == pytest.approx(2 / 3)
    # and the other way round: one span cannot match two references
    spans = {1: {"a": [(0, 4, "PER"), (5, 10, "PER")], "b": [(0, 10, "PER")]}}
    overlap = scores(span_agreement(spans), "overlap")
    assert overlap["tp"] == 1 and overlap["recall"] == 0.5 and overlap["precision"] == 1.0
    # greedy by largest overlap: the big span pairs with the big span, the small with the small
    spans = {1: {"a": [(0, 10, "X"), (10, 12, "X")], "b": [(1, 11, "X"), (11, 12, "X")]}}
    assert scores(span_agreement(spans), "overlap")["tp"] == 2
    # duplicate spans match once each in exact mode
    spans = {1: {"a": [(0, 3, "X"), (0, 3, "X")], "b": [(0, 3, "X")]}}
    exact = scores(span_agreement(spans), "exact")
    assert exact["tp"] == 1 and exact["n_reference"] == 2


def test_empty_span_lists_mean_no_entities_and_absent_means_missing():
    spans = {
        "both-empty": {"a": [], "b": []},
        "one-empty": {"a": [], "b": [(0, 3, "X")]},
        "b-missing": {"a": [(0, 3, "X")]},
        "b-none": {"a": [(5, 9, "X")], "b": None},
    }
    report = span_agreement(spans)
    assert report["n_items"] == 4 and report["n_items_compared"] == 2
    (pair,) = report["pairwise"]
    assert pair["n_items"] == 2  # the two items b did not annotate are not in the pair
    exact = pair["exact"]
    assert (exact["tp"], exact["n_reference"], exact["n_other"]) == (0, 0, 1)
    assert exact["recall"] is None and exact["precision"] == 0.0 and exact["f1"] == 0.0
    assert_json_safe(report)

    only_empty = span_agreement({1: {"a": [], "b": []}})
    assert scores(only_empty, "exact") == {"tp": 0, "n_reference": 0, "n_other": 0, "precision": None,
                                           "recall": None, "f1": None, "per_label": {}}
    assert any("neither marked any span" in note for note in only_empty["notes"])
    assert only_empty["krippendorff_alpha"]["value"] is None
    assert_json_safe(only_empty)


def test_single_annotator_spans_and_dict_spans():
    report = span_agreement({1: {"a": [{"start": 0, "end": 3, "label": "X", "text": "abc"}]}})
    assert report["pairwise"] == [] and report["krippendorff_alpha"]["value"] is None
    assert report["span_counts"] == {"a": {"X": 1}}
    assert any("Only one annotator (a)" in note for note in report["notes"])
    assert_json_safe(report)


def test_invalid_offsets_are_left_out_with_a_note():
    report = span_agreement({1: {"a": [(0, 3, "X"), (5, 5, "X")], "b": [(0, 3, "X")]}})
    assert scores(report, "exact")["f1"] == 1.0
    assert any("1 span with" in note for note in report["notes"])


def test_token_level_alpha_against_an_independent_computation():
    tokens = {"s1": [(0, 4), (5, 9), (10, 14)], "s2": [(0, 3), (4, 7)], "s3": [(0, 2)]}
    spans = {
        "s1": {"a": [(0, 9, "PER")], "b": [(5, 14, "PER")], "c": [(0, 4, "ORG")]},
        "s2": {"a": [], "b": [(4, 7, "LOC")]},
        "s3": {"a": [(0, 2, "LOC")]},  # one annotator only: no units
    }
    report = span_agreement(spans, token_offsets=tokens)
    # token labels: s1 a=PER PER O, b=O PER PER, c=ORG O O; s2 a=O O, b=O LOC
    units = [["PER", "O", "ORG"], ["PER", "PER", "O"], ["O", "PER", "O"], ["O", "O"], ["O", "LOC"]]
    alpha = report["krippendorff_alpha"]
    assert alpha["unit"] == "token" and alpha["n_units"] == 5 and alpha["n_items"] == 2
    assert alpha["value"] == pytest.approx(alpha_by_coincidence(units), abs=1e-12)
    assert len(report["pairwise"]) == 3
    assert_json_safe(report)
    assert "| a | b | 2 |" in render_markdown(report, title="tokens")


def test_character_units_when_no_token_offsets():
    spans = {1: {"a": [(0, 2, "X")], "b": [(1, 4, "X")]}}
    report = span_agreement(spans)
    alpha = report["krippendorff_alpha"]
    assert alpha["unit"] == "character" and alpha["n_units"] == 4
    # characters 0..3: a = X X O O, b = O X X X
    expected = alpha_by_coincidence([["X", "O"], ["X", "X"], ["O", "X"], ["O", "X"]])
    assert alpha["value"] == pytest.approx(expected, abs=1e-12)
    assert any("over characters" in note for note in report["notes"])
    assert_json_safe(report)


def test_items_without_token_offsets_are_left_out_with_a_note():
    spans = {1: {"a": [(0, 2, "X")], "b": [(0, 2, "X")]}, 2: {"a": [], "b": [(0, 1, "X")]}}
    report = span_agreement(spans, token_offsets={1: [(0, 2), (3, 5)]})
    assert report["krippendorff_alpha"]["n_items"] == 1 and report["krippendorff_alpha"]["n_units"] == 2
    assert any("without token offsets" in note for note in report["notes"])


# --------------------------------------------------------------------------------------------
# Markdown and the import cost


def test_markdown_of_a_label_report_after_a_json_round_trip():
    votes = {"s1": {"ann": "pro", "bob": "con"}, "s2": {"ann": "pro", "bob": "pro"}, "s3": {"ann": "a|b", "bob": "pro"}}
    report = json.loads(json.dumps(label_agreement(votes, labels=["pro", "con"])))
    markdown = render_markdown(report, title="Stance: target X")
    lines = markdown.splitlines()
    assert lines[0] == "# Stance: target X"
    assert "| ann | bob | 3 | " in markdown
    assert "| s1 | 0.0000 | pro | con |" in markdown
    assert "| s3 | 0.0000 | a\\|b | pro |" in markdown  # a pipe in a label does not break the table
    assert "## Notes" in markdown
    # every table row has as many cells as its header
    for i, line in enumerate(lines):
        if line.startswith("|---"):
            width = lines[i - 1].replace("\\|", "").count("|")
            j = i + 1
            while j < len(lines) and lines[j].startswith("|"):
                assert lines[j].replace("\\|", "").count("|") == width, lines[j]
                j += 1


def test_importing_the_module_loads_no_heavy_library():
    heavy = ("numpy", "sklearn", "statsmodels", "krippendorff", "scipy")
    probe = f"import sys, tagline.annotate.agreement\nprint(sorted(m for m in {heavy!r} if m in sys.modules))"
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
