"""More CLEF-2019 CheckThat! Task 1 ranking variants, compared by leave-one-debate-out
cross-validation on the 19 training debates alone (the test debates are never scored here).

The reference is the ``+ CB sentences, weight 0.1`` row of checkthat.py (speaker_svm with the
ClaimBuster and CLEF-2020 priors, trained on ClaimBuster's sentences too), approximated as
checkthat_variants.py does: the n-gram vocabulary and IDF fitted once on every text (no label read).
The variants add the CLEF-2020 Task 5 debates that are not versions of CLEF-2019 ones as training
data (``c20_W``: the 35 training debates at sample weight W, their CLEF-2020 prior scores out of
fold, 5 folds by debate; ``c20all_W``: and the 20 test-gold ones), the CLEF-2020 prior fitted on
those 55 debates rather than 35 (``c20b``), ten more surface cues of a claim counted over spaCy's
blank English tokenizer (``more_W``: :func:`claim_cues`, weight W), bagging over debates (``bag_N``:
the mean of N SVMs, each on 80% of the fold's training debates), and a gradient-boosted stacker
over the SVM's held-out score and the dense columns (``hgb``); ``C_X``: the SVM's C (0.1 in the reference). Each row: MAP over the 19 held-out
debates, the standard deviation of the 19 average precisions, the mean difference from the
reference with a 95% bootstrap interval over debates, and on how many debates it is ahead.
Measured (scikit-learn 1.9.1): the reference .2664; c20_0.1 -.0027 [-.0097, +.0025], c20_0.3
-.0010, c20_1 -.0030, c20all_0.1 -.0015, c20all_0.3 +.0003 [-.0114, +.0108], c20all_1 -.0052,
c20b +.0014 [-.0009, +.0039], more_0.03 -.0019, more_0.1 -.0082 [-.0143, -.0024], bag_10 -.0041
[-.0095, +.0007], hgb -.0166 [-.0464, +.0140], C_0.05 +.0006 [-.0069, +.0071], C_0.2 -.0027: none kept (docs/baselines.md).

    nice -n 5 python benchmarks/checkthat_extra.py [--only NAME,...] [--shared DIR] [--cache FILE]
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import time
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from checkthat import FOLDERS, claimbuster_prior, default_shared, flatten, load
from checkthat_variants import per_debate_ap, standardise, versus
from scipy.sparse import csr_matrix, hstack, vstack

DENSE = ("surface", "debate", "cb", "c20")

# ---- more cues of a claim, counted over spaCy's blank English tokenizer (no model) ----

CLAIM_CUES = ("number_tokens", "money", "year", "time_span", "comparative", "superlative", "first_person",
              "second_person", "opinion", "stop_share")
"""The columns of :func:`claim_cues`, in order."""

COMPARATIVES = frozenset({"than", "more", "less", "fewer", "better", "worse", "higher", "lower", "bigger",
                          "smaller", "larger", "greater", "faster", "slower", "cheaper"})
SUPERLATIVES = frozenset({"most", "least", "best", "worst", "highest", "lowest", "biggest", "smallest", "largest",
                          "greatest", "fastest", "record", "ever", "never", "first", "last", "only"})
FIRST_PERSON = frozenset({"i", "me", "my", "mine", "we", "us", "our", "ours"})
SECOND_PERSON = frozenset({"you", "your", "yours"})
OPINION = frozenset({"think", "believe", "feel", "hope", "want", "should", "must", "love", "great", "wonderful",
                     "terrible", "thank", "please", "going"})
TIME_SPAN = frozenset({"since", "ago", "years", "year", "months", "decade", "decades", "percent", "times", "per",
                       "average", "rate", "increase", "increased", "decrease", "decreased", "rose", "fell", "doubled",
                       "tripled", "million", "billion", "trillion"})
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
_MONEY = re.compile(r"\$|\bdollars?\b", re.IGNORECASE)


@cache
def _tokenizer() -> Any:
    import spacy

    return spacy.blank("en")


def claim_cues(texts: Iterable[str]) -> Any:
    """The claim cues of each text, one row of :data:`CLAIM_CUES` per text.

    Returns
    -------
    numpy.ndarray
        float, shape ``(n_texts, 10)``: how many tokens look like a number (digits or number
        words: spaCy's ``like_num``); whether money is mentioned (``$`` or dollar); whether a
        year (1800–2099) is; how many words of change, rate or span (:data:`TIME_SPAN`); how many
        :data:`COMPARATIVES`; how many :data:`SUPERLATIVES`; the shares of the words that are
        first-person and second-person pronouns; how many words of opinion or wish
        (:data:`OPINION`); the share of the words that are stop words. Words are the tokens with
        a letter or digit, lowercased.

    Examples
    --------
    >>> claim_cues(["We cut taxes by three billion dollars since 2010, more than ever."]).round(3).tolist()
    [[3.0, 1.0, 1.0, 2.0, 2.0, 1.0, 0.083, 0.0, 0.0, 0.583]]
    >>> claim_cues([""]).tolist()
    [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]
    """
    import numpy as np

    rows = []
    for doc in _tokenizer().pipe(str(text) for text in texts):
        tokens = [token for token in doc if any(ch.isalnum() for ch in token.text)]
        words = [token.lower_ for token in tokens]
        size = max(1, len(words))
        rows.append((sum(token.like_num for token in tokens), bool(_MONEY.search(doc.text)),
                     bool(_YEAR.search(doc.text)), sum(word in TIME_SPAN for word in words),
                     sum(word in COMPARATIVES for word in words), sum(word in SUPERLATIVES for word in words),
                     sum(word in FIRST_PERSON for word in words) / size,
                     sum(word in SECOND_PERSON for word in words) / size, sum(word in OPINION for word in words),
                     sum(token.is_stop for token in tokens) / size))
    return np.asarray(rows, dtype=float).reshape(-1, len(CLAIM_CUES))


def prepare(shared: Path) -> dict:
    """Every corpus's rows: texts, 0/1 labels, debate of each row, and its dense columns."""
    from tagline.eval.baselines.cues import surface_cues
    from tagline.eval.baselines.debate import debate_cues
    from tagline.eval.baselines.prior import (
        CrossFittedPrior,
        debates_apart,
        make_claimbuster_prior,
        prior_scores,
        without_texts,
    )

    data = load(shared / "datasets" / FOLDERS["2019"], "2019")
    train, test = data["train"], data["test"]
    cb, _ = claimbuster_prior(shared, train + test)
    items = json.loads((shared / "datasets" / "claimbuster" / "kfold_30ncs.json").read_text(encoding="utf-8"))
    cb_texts, cb_labels = without_texts([item["text"] for item in items], [item["label"] for item in items],
                                        [row["text"] for _, rows in train + test for row in rows])
    crossed = CrossFittedPrior().fit(cb_texts, cb_labels)
    c2020 = load(shared / "datasets" / FOLDERS["2020"], "2020")
    sentences = [(name, [row["text"] for row in rows]) for name, rows in train + test]
    apart_train = set(debates_apart([(n, [r["text"] for r in rows]) for n, rows in c2020["train"]], sentences))
    apart_test = set(debates_apart([(n, [r["text"] for r in rows]) for n, rows in c2020["test"]], sentences))
    extra_train = [(n, rows) for n, rows in c2020["train"] if n in apart_train]
    extra_test = [(f"2020test_{n}", rows) for n, rows in c2020["test"] if n in apart_test]
    c20 = make_claimbuster_prior().fit([r["text"] for _, rows in extra_train for r in rows],
                                       [r["label"] for _, rows in extra_train for r in rows])
    c20_all = make_claimbuster_prior().fit([r["text"] for _, rows in extra_train + extra_test for r in rows],
                                           [r["label"] for _, rows in extra_train + extra_test for r in rows])

    corpora: dict[str, dict] = {}

    def add(name, texts, y, groups, cb_score, c20_score):
        corpora[name] = {"texts": texts, "y": np.asarray(y, dtype=int), "groups": np.asarray(groups),
                         "surface": surface_cues(texts), "debate": debate_cues(texts), "more": claim_cues(texts),
                         "cb": cb_score, "c20": c20_score}

    texts, labels, groups = flatten(train, context=True)
    add("ct", texts, [label == "check_worthy" for label in labels], groups, prior_scores(texts, cb),
        prior_scores(texts, c20))
    add("cb", list(cb_texts), cb_labels, [f"cb{i}" for i in range(len(cb_texts))],
        prior_scores(cb_texts, crossed), prior_scores(cb_texts, c20))
    texts, labels, groups = flatten(extra_train, context=True)
    groups = np.asarray(groups)
    add("c20", texts, [label == "check_worthy" for label in labels], groups, prior_scores(texts, crossed),
        _c20_out_of_fold(texts, labels, groups))
    texts, labels, groups = flatten(extra_test, context=True)
    add("c20test", texts, [label == "check_worthy" for label in labels], groups, prior_scores(texts, crossed),
        prior_scores(texts, c20))
    for name in ("ct", "cb"):  # the CLEF-2020 prior fitted on the test-gold debates too
        corpora[name]["c20b"] = prior_scores(corpora[name]["texts"], c20_all)
    print(f"2020 debates kept: {len(extra_train)} training, {len(extra_test)} test-gold", flush=True)
    return corpora


def _c20_out_of_fold(texts, labels, groups):
    """The CLEF-2020 prior's score of its own debates, each from a prior fitted on the other folds (5, by debate)."""
    from sklearn.model_selection import GroupKFold

    from tagline.eval.baselines.prior import make_claimbuster_prior, prior_scores

    out = np.zeros((len(texts), 1))
    y = np.array([label == "check_worthy" for label in labels], dtype=int)
    for fit_rows, score_rows in GroupKFold(5).split(texts, y, groups):
        prior = make_claimbuster_prior().fit([str(texts[i]) for i in fit_rows], y[fit_rows])
        out[score_rows] = prior_scores([texts[i] for i in score_rows], prior)
    return out


_CACHE: dict = {}


def ngrams(corpora):
    """Each corpus's n-gram rows, the vectorizer fitted once on every text (no label read)."""
    from tagline.eval.baselines.text import text_features

    if "ngrams" not in _CACHE:
        names = list(corpora)
        vectorizer = text_features("en").fit([str(t) for n in names for t in corpora[n]["texts"]])
        _CACHE["ngrams"] = {n: vectorizer.transform([str(t) for t in corpora[n]["texts"]]) for n in names}
    return _CACHE["ngrams"]


def design(corpora, name, reference_rows, dense=DENSE, weights=None):
    """The corpus's rows: n-grams and each dense block standardised on ``reference_rows`` (the fold's
    CLEF-2019 training rows), weighted 0.1 unless ``weights`` says otherwise."""
    weights = weights or {}
    parts = [ngrams(corpora)[name]]
    for key in dense:
        parts.append(csr_matrix(standardise(corpora["ct"][key][reference_rows], corpora[name][key])
                                * weights.get(key, 0.1)))
    return hstack(parts).tocsr()


def fit_fold(corpora, tr, extra, *, dense=DENSE, weights=None, C=0.1, debates=None):
    """A linear SVM on the fold's CLEF-2019 rows (``tr``, optionally only ``debates`` of them) and
    the ``extra`` corpora ({name: sample weight})."""
    from sklearn.svm import LinearSVC

    ct = corpora["ct"]
    rows = tr if debates is None else tr & np.isin(ct["groups"], debates)
    X_ct = design(corpora, "ct", tr, dense, weights)
    blocks, targets, sample_weight = [X_ct[rows]], [ct["y"][rows]], [np.ones(rows.sum())]
    for name, weight in extra.items():
        blocks.append(design(corpora, name, tr, dense, weights))
        targets.append(corpora[name]["y"])
        sample_weight.append(np.full(len(corpora[name]["y"]), weight))
    model = LinearSVC(C=C, random_state=0).fit(vstack(blocks).tocsr(), np.concatenate(targets),
                                               sample_weight=np.concatenate(sample_weight))
    return model, X_ct


def lodo(corpora, extra, **options):
    ct = corpora["ct"]
    scores = np.zeros(len(ct["y"]))
    for g in np.unique(ct["groups"]):
        te = ct["groups"] == g
        model, X = fit_fold(corpora, ~te, extra, **options)
        scores[te] = model.decision_function(X[te])
    return scores


def bagged(corpora, extra, bags, share=0.8, seed=0, **options):
    """Each fold: the mean decision function of ``bags`` SVMs, each fitted on a random ``share`` of
    the fold's training debates (and all of ``extra``)."""
    ct = corpora["ct"]
    rng = np.random.default_rng(seed)
    scores = np.zeros(len(ct["y"]))
    for g in np.unique(ct["groups"]):
        te = ct["groups"] == g
        others = [d for d in np.unique(ct["groups"]) if d != g]
        for _ in range(bags):
            chosen = rng.choice(others, size=round(share * len(others)), replace=False)
            model, X = fit_fold(corpora, ~te, extra, debates=chosen, **options)
            scores[te] += model.decision_function(X[te]) / bags
    return scores


def stacked(corpora, extra, seed=0):
    """Each fold: HistGradientBoosting over the SVM's leave-one-debate-out score and the dense
    columns, fitted on the fold's training debates. A fast approximation of stacking: a training
    debate's score comes from a model that did not see it but did see the held-out debate."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    ct = corpora["ct"]
    X = np.hstack([lodo(corpora, extra)[:, None]] + [ct[k] for k in DENSE])
    scores = np.zeros(len(ct["y"]))
    for g in np.unique(ct["groups"]):
        te = ct["groups"] == g
        model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=8,
                                               min_samples_leaf=40, l2_regularization=1.0, random_state=seed)
        model.fit(X[~te], ct["y"][~te])
        scores[te] = model.predict_proba(X[te])[:, 1]
    return scores


def variant(corpora, name):
    cb = {"cb": 0.1}
    if name == "reference":
        return lodo(corpora, cb)
    if name.startswith("c20_") or name.startswith("c20all_"):
        w = float(name.split("_")[1])
        extra = {**cb, "c20": w} if name.startswith("c20_") else {**cb, "c20": w, "c20test": w}
        return lodo(corpora, extra)
    if name.startswith("more_"):
        return lodo(corpora, cb, dense=DENSE + ("more",), weights={"more": float(name.split("_")[1])})
    if name.startswith("bag_"):
        return bagged(corpora, cb, int(name.split("_")[1]))
    if name.startswith("C_"):
        return lodo(corpora, cb, C=float(name.split("_")[1]))
    if name == "c20b":
        return lodo(corpora, cb, dense=("surface", "debate", "cb", "c20b"))
    if name == "hgb":
        return stacked(corpora, cb)
    raise ValueError(name)


VARIANTS = ("reference", "c20_0.1", "c20_0.3", "c20_1", "c20all_0.1", "c20all_0.3", "c20all_1", "c20b", "more_0.03",
            "more_0.1", "bag_10", "hgb", "C_0.05", "C_0.2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=None)
    parser.add_argument("--only", default="")
    parser.add_argument("--cache", type=Path, default=None, help="a pickle of the prepared rows, made when absent")
    args = parser.parse_args()
    started = time.process_time()
    if args.cache and args.cache.is_file():
        corpora = pickle.loads(args.cache.read_bytes())
    else:
        corpora = prepare(args.shared or default_shared())
        if args.cache:
            args.cache.write_bytes(pickle.dumps(corpora))
    print(f"prepared in {time.process_time() - started:.1f} CPU s", flush=True)
    only = [name for name in args.only.split(",") if name]
    ct = corpora["ct"]
    results: dict[str, dict] = {}
    for name in VARIANTS if not only else ["reference"] + [n for n in only if n != "reference"]:
        cpu = time.process_time()
        results[name] = per_debate_ap(ct["y"], variant(corpora, name), ct["groups"])
        values = np.array(list(results[name].values()))
        line = f"{name:<16}MAP {values.mean():.4f} (sd over debates {values.std(ddof=1):.4f})"
        if name != "reference":
            line += versus(results[name], results["reference"])
        print(line + f"  ({time.process_time() - cpu:.0f} CPU s)", flush=True)


if __name__ == "__main__":
    main()
