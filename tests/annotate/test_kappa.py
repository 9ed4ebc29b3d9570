"""The two kappas of tagline.annotate.agreement.kappa give what scikit-learn and statsmodels give."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from tagline.annotate.agreement.kappa import cohen_kappa, fleiss_kappa

LABELS = ["FAVOR", "AGAINST", "NONE", "other"]


def same(ours: float, theirs: float) -> bool:
    return (math.isnan(ours) and math.isnan(theirs)) or ours == pytest.approx(theirs, abs=1e-12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(LABELS), st.sampled_from(LABELS)), min_size=1, max_size=60))
def test_cohen_kappa_is_scikit_learns(pairs):
    first, second = [a for a, _ in pairs], [b for _, b in pairs]
    used = [label for label in LABELS if label in set(first) | set(second)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = float(cohen_kappa_score(first, second, labels=used))
    assert same(cohen_kappa(first, second, used), theirs)


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 7).flatmap(lambda raters: st.lists(
    st.lists(st.integers(0, 3), min_size=raters, max_size=raters), min_size=1, max_size=40)))
def test_fleiss_kappa_is_statsmodels(ratings):
    table, _ = aggregate_raters(np.array(ratings), n_cat=4)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        theirs = float(statsmodels_fleiss(table, method="fleiss"))
    assert same(fleiss_kappa(ratings, 4), theirs)


def test_worked_examples():
    # Cohen: po = 4/6, pe = 1/2, kappa = 1/3. Fleiss (1971) as worked on Wikipedia: 0.210.
    assert cohen_kappa(list("yyynnn"), list("yynnny"), ["n", "y"]) == pytest.approx(1 / 3)
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    ratings = [[category for category, n in enumerate(counts) for _ in range(n)] for counts in table]
    assert round(fleiss_kappa(ratings, 5), 3) == 0.210
    assert math.isnan(fleiss_kappa([[1, 1], [1, 1]], 3))  # one label everywhere: chance agreement is 1


def test_an_agreement_report_loads_neither_scikit_learn_nor_statsmodels():
    probe = ("import sys\nfrom tagline.annotate.agreement import label_agreement\n"
             "label_agreement({1: {'a': 'x', 'b': 'y', 'c': 'x'}, 2: {'a': 'y', 'b': 'y', 'c': 'x'}})\n"
             "print(sorted(m for m in ('sklearn', 'statsmodels', 'scipy', 'pandas') if m in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
