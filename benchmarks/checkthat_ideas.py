"""A fourth round of CLEF-2019 CheckThat! Task 1 ranking variants, now of the chosen ``+ CB
char-n-gram prior`` row (speaker_svm, ClaimBuster, CLEF-2020 and character-n-gram priors, trained on
ClaimBuster's sentences at weight 0.1), compared by leave-one-debate-out (LOO) cross-validation on
the 19 training debates alone, with checkthat_more.py's approximation (the n-gram vocabulary and
IDF fitted once on every text, no label read) and its prepared columns (``--cache``).

The candidates and the rule were written here before anything was measured:

- ``kind_W``: debate-kind interactions. Three cues of each debate (log of its number of speakers
  other than the audience, the share of its sentences that are questions, the share of its most
  frequent speaker: a monologue is near 1), each standardised over the fold's training rows, times
  each of the three standardised priors (9 columns), standardised and weighted W (0.1, 0.3);
  ClaimBuster's sentences, which belong to no debate, get 0 in them.
- ``tf_NAME``: TF-IDF variants of the main n-grams (text_features: word 1–3-grams and ``char_wb``
  2–5-grams, raw counts, min_df 1, one L2 norm): ``sublinear`` (sublinear tf in both blocks),
  ``mindf2`` (min_df 2 in both), ``stop`` (English stop words removed from the word n-grams),
  ``words12`` (word 1–2-grams).
- ``sgd_LOSS``: an elastic-net linear model on the reference's design (``SGDClassifier``, loss
  ``hinge`` or ``modified_huber``, l1_ratio 0.15, alpha 1 / (10 x the summed sample weights), C=0.1's
  equivalent), its decision function averaged over 5 seeds.
- ``rank_W``: the within-debate rank average of the reference and an independent model, logistic
  regression (C=3) over character 3–6-grams (make_char_prior's features) trained on the fold's
  debates and ClaimBuster's sentences (weight 0.1), W of it (0.2, 0.4).

Ten candidates. The rule: the row with the highest LOO MAP here (the reference included) is
refitted whole in every fold beside the reference (``--honest NAME``), and scored on the test
debates once (``--test NAME``) only if it is still ahead there. The test debates are read by
``--test`` alone.

Measured (scikit-learn 1.9.1; two cores shared, load average 8-13): reference .2676; kind_0.1 -.0077
[-.0162, -.0006]; kind_0.3 -.0090 [-.0174, -.0019]; tf_sublinear -.0057 [-.0128, -.0002]; tf_mindf2
-.0018; tf_stop -.0038; tf_words12 -.0025; rank_0.2 +.0066 [-.0034, +.0213], ahead on 10 of 19;
rank_0.4 +.0008; sgd_hinge and sgd_modified_huber not measured (the first stopped for time after
over 6 CPU min, before its figure). About 25 CPU s to load the cache, 15-65 s a row, 140 s for the
two rank rows (one logistic regression per fold); ``--cache`` from checkthat_more.py (made when
absent, about 5 CPU min). ``--honest rank_0.2``: the reference .2741, rank_0.2 .2755, +.0014 [-.0030,
+.0054], ahead on 12 of 19 (about 10 CPU min, 18 without the reference stored); ``--test rank_0.2``,
scored once: .1707 [.0844, .2865] (about 2 CPU min).

    nice -n 5 python benchmarks/checkthat_ideas.py --cache FILE [--only NAME,...]
    nice -n 5 python benchmarks/checkthat_ideas.py --honest NAME [--store DIR]
    nice -n 5 python benchmarks/checkthat_ideas.py --test NAME
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
from checkthat import default_shared
from checkthat_more import compared, design, prepared_rows
from checkthat_variants import ranks_within, standardise
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.base import BaseEstimator, ClassifierMixin

REFERENCE = ("surface", "debate", "cb", "c20", "char")
PRIORS = ("cb", "c20", "char")
CANDIDATES = ("kind_0.1", "kind_0.3", "tf_sublinear", "tf_mindf2", "tf_stop", "tf_words12", "sgd_hinge",
              "sgd_modified_huber", "rank_0.2", "rank_0.4")


def debate_kind(lines: list) -> Any:
    """Three cues of each line's debate: log(1 + speakers other than the audience), the share of its
    sentences ending with ``?``, the share of its most frequent speaker's sentences."""
    from collections import Counter, defaultdict

    from tagline.eval.baselines.debate import AUDIENCE

    members: dict[str, list[int]] = defaultdict(list)
    for i, line in enumerate(lines):
        members[getattr(line, "doc_id", "")].append(i)
    out = np.zeros((len(lines), 3))
    for rows in members.values():
        said = Counter(getattr(lines[i], "speaker", None) for i in rows)
        speakers = len([s for s in said if s != AUDIENCE])
        questions = np.mean([str(lines[i]).rstrip().endswith("?") for i in rows])
        out[rows] = (np.log1p(speakers), questions, max(said.values()) / len(rows))
    return out


def kind_columns(ct, tr):
    """The 9 interaction columns of the debate rows, standardised on the fold's training rows."""
    kind = standardise(ct["kind"][tr], ct["kind"])
    priors = [standardise(ct[p][tr], ct[p]) for p in PRIORS]
    products = np.hstack([kind[:, [k]] * prior for prior in priors for k in range(3)])
    return standardise(products[tr], products)


def fit_fold(rows, tr, *, X_name="X", weight=0.0, make=None):
    """The reference's design for the fold (n-grams ``X_name``), with the kind columns at ``weight``
    when above 0, and the fitted classifier (``make()``, a LinearSVC at C=0.1 by default)."""
    from sklearn.svm import LinearSVC

    ct, cb = rows["ct"], rows["cb"]
    X = design({**rows, "ct": {**ct, "X": ct[X_name]}}, "ct", "ct", tr, REFERENCE)
    E = design({**rows, "ct": {**ct, "X": ct[X_name]}, "cb": {**cb, "X": cb[X_name]}}, "cb", "ct", tr, REFERENCE)
    if weight:
        X = hstack([X, csr_matrix(kind_columns(ct, tr) * weight)]).tocsr()
        E = hstack([E, csr_matrix((E.shape[0], 9))]).tocsr()
    sample_weight = np.concatenate([np.ones(tr.sum()), np.full(E.shape[0], 0.1)])
    model = (make or (lambda total: LinearSVC(C=0.1, random_state=0)))(sample_weight.sum())
    model.fit(vstack([X[tr], E]).tocsr(), np.concatenate([ct["y"][tr], cb["y"]]), sample_weight=sample_weight)
    return model, X


def lodo(rows, **options):
    ct = rows["ct"]
    scores = np.zeros(len(ct["y"]))
    for g in np.unique(ct["groups"]):
        te = ct["groups"] == g
        model, X = fit_fold(rows, ~te, **options)
        scores[te] = model.decision_function(X[te])
    return scores


def vectorizer(name: str) -> Any:
    """text_features("en") with one change (``tf_NAME``), or make_char_prior's n-grams (``charlr``)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from tagline.eval.baselines.text import text_features

    if name == "charlr":
        return TfidfVectorizer(analyzer="char", ngram_range=(3, 6), sublinear_tf=True, min_df=3, max_features=300_000)
    features = text_features("en")
    words, chars = "ngrams__words__", "ngrams__chars__"
    change = {"sublinear": {words + "sublinear_tf": True, chars + "sublinear_tf": True},
              "mindf2": {words + "min_df": 2, chars + "min_df": 2},
              "stop": {words + "stop_words": "english"},
              "words12": {words + "ngram_range": (1, 2)}}[name]
    return features.set_params(**change)


def with_ngrams(rows, corpora, name):
    """``rows`` with ``X_name`` n-grams of the debates and ClaimBuster from :func:`vectorizer`."""
    fitted = vectorizer(name).fit([str(t) for n in corpora for t in corpora[n]["texts"]])
    for key in ("ct", "cb"):
        rows[key][name] = fitted.transform([str(t) for t in corpora[key]["texts"]])
    return name


class Averaged(ClassifierMixin, BaseEstimator):
    """SGDClassifier over 5 seeds, its decision function averaged."""

    def __init__(self, loss: str = "hinge", total_weight: float = 1.0) -> None:
        self.loss, self.total_weight = loss, total_weight

    def fit(self, X, y, sample_weight=None):
        from sklearn.linear_model import SGDClassifier

        alpha = 1.0 / (10.0 * self.total_weight)
        self.models_ = [SGDClassifier(loss=self.loss, penalty="elasticnet", l1_ratio=0.15, alpha=alpha, max_iter=50,
                                      tol=1e-4, random_state=seed).fit(X, y, sample_weight=sample_weight)
                        for seed in range(5)]
        self.classes_ = self.models_[0].classes_
        return self

    def decision_function(self, X):
        return np.mean([model.decision_function(X) for model in self.models_], axis=0)


def char_lr(rows):
    """Each debate's scores from the logistic regression over character n-grams fitted on the others."""
    from sklearn.linear_model import LogisticRegression

    ct, cb = rows["ct"], rows["cb"]
    scores = np.zeros(len(ct["y"]))
    for g in np.unique(ct["groups"]):
        te, tr = ct["groups"] == g, ct["groups"] != g
        weights = np.concatenate([np.ones(tr.sum()), np.full(len(cb["y"]), 0.1)])
        model = LogisticRegression(C=3.0, max_iter=2000).fit(vstack([ct["charlr"][tr], cb["charlr"]]).tocsr(),
                                                             np.concatenate([ct["y"][tr], cb["y"]]),
                                                             sample_weight=weights)
        scores[te] = model.decision_function(ct["charlr"][te])
    return scores


def variant(rows, corpora, name, memo):
    if name == "reference":
        return memo.setdefault("reference", lodo(rows))
    kind, _, value = name.partition("_")
    if kind == "kind":
        return lodo(rows, weight=float(value))
    if kind == "tf":
        return lodo(rows, X_name=with_ngrams(rows, corpora, value))
    if kind == "sgd":
        return lodo(rows, make=lambda total: Averaged(value, total))
    if kind == "rank":
        if "char_lr" not in memo:
            with_ngrams(rows, corpora, "charlr")
            memo["char_lr"] = char_lr(rows)
        groups, w = rows["ct"]["groups"], float(value)
        return (1 - w) * ranks_within(variant(rows, corpora, "reference", memo), groups) + \
            w * ranks_within(memo["char_lr"], groups)
    raise ValueError(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=None)
    parser.add_argument("--only", default="")
    parser.add_argument("--cache", type=Path, default=None, help="checkthat_extra.py's pickle, made when absent")
    parser.add_argument("--honest", default="", help="refit NAME and the reference whole in every fold")
    parser.add_argument("--test", default="", help="fit NAME on the 19 training debates and score the test debates")
    parser.add_argument("--store", type=Path, default=Path("."), help="--honest keeps each row's figures here")
    args = parser.parse_args()
    shared = args.shared or default_shared()
    if args.honest or args.test:
        from checkthat_honest import honest, test

        if args.honest:
            honest(shared, args.honest, args.store)
        else:
            test(shared, args.test)
        return
    started = time.process_time()
    corpora, rows = prepared_rows(shared, args.cache)
    rows["ct"]["kind"] = debate_kind(list(corpora["ct"]["texts"]))
    corpora = {name: corpora[name] for name in ("ct", "cb", "c20", "c20test")}
    print(f"prepared in {time.process_time() - started:.1f} CPU s", flush=True)
    only = [name for name in args.only.split(",") if name]
    memo: dict = {}
    names = ["reference"] + [n for n in (only or CANDIDATES) if n != "reference"]
    results = compared(names, lambda name: variant(rows, corpora, name, memo), rows["ct"], 20)
    best = max(results, key=lambda name: np.mean(list(results[name].values())))
    print(f"highest leave-one-debate-out MAP over {len(results)} rows: {best}")


if __name__ == "__main__":
    main()
