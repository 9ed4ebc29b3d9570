"""Still more CLEF-2019 CheckThat! Task 1 ranking variants of the ``+ CB sentences, weight 0.1`` row,
compared by leave-one-debate-out cross-validation on the 19 training debates alone, as
checkthat_extra.py compares its own (the same reference, the same approximation: the n-gram
vocabulary and IDF fitted once on every text, no label read; the test debates are never scored).

The variants: a third prior fitted on ClaimBuster, on other features than the first's words and
``char_wb`` n-grams or on other sentences (``p3_nb``: multinomial naive Bayes over word 1–2-gram
counts; ``p3_char``: logistic regression over TF-IDF character 3–6-grams that cross word
boundaries; ``p3_cb25``: the first prior's recipe fitted on the 2.5xNCS file, whose negatives are
sampled apart from the 3xNCS file's), each a standardised column weighted 0.1 and scored out of
fold on the ClaimBuster sentences trained on (5 stratified folds over them, every sentence of a
held-out fold removed from the prior's data, as ``CrossFittedPrior`` does); ``cbu``: the union
of the three ClaimBuster files (the same 2,764 check-worthy sentences, 11,151 other ones rather
than 8,274) as training data and for the ClaimBuster prior; ``rankC``: the within-debate rank
average of the model at C = 0.05, 0.1 and 0.2; ``stack_lr`` and ``stack_hgb`` (``_ctx``: with the
scores of the sentences before and after): a second stage, logistic regression or gradient
boosting, over the SVM's score, its rank within the debate and the dense columns, nested so that
every training debate's score is out of fold. The rule, fixed beforehand: the row with the highest
MAP here (the reference included) is refitted whole in every fold beside the reference
(``--honest``), and scored on the test debates once (``checkthat.py --rows char``) only if it is
still ahead. The mean difference from the reference, its 95% bootstrap interval over debates and
the debates ahead are printed beside each.

Measured (scikit-learn 1.9.1; two cores shared, load average 6-16): reference .2664; p3_nb -.0117
[-.0249, -.0013]; p3_char +.0013 [-.0030, +.0056]; p3_cb25 -.0008; cbu +.0008; rankC -.0010;
stack_lr +.0010 [-.0281, +.0300]; stack_lr_ctx -.0030; stack_hgb -.0233; stack_hgb_ctx -.0163.
``--honest``: the reference .2679, p3_char .2741, +.0062 [+.0003, +.0153], ahead on 12 of 19;
scored on test once: .1651 (docs/baselines.md). About 4 CPU min for the first six rows after
checkthat_extra.py's 2.6 (``--cache``), 8 for the four stacked ones, 13 for ``--honest``.

    nice -n 5 python benchmarks/checkthat_more.py [--only NAME,...] [--shared DIR] [--cache FILE]
    nice -n 5 python benchmarks/checkthat_more.py --honest

``--cache`` is checkthat_extra.py's (made when absent); this script keeps its own columns beside
it (FILE.more).
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np
from checkthat import FOLDERS, clef2020_prior, default_shared, flatten, load
from checkthat_extra import prepare
from checkthat_variants import per_debate_ap, ranks_within, standardise, versus
from scipy.sparse import csr_matrix, hstack, vstack

DENSE = ("surface", "debate", "cb", "c20")


def make_nb_prior() -> Any:
    """Multinomial naive Bayes over word 1–2-gram counts (n-grams in at least two texts)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import Pipeline

    return Pipeline([("ngrams", CountVectorizer(ngram_range=(1, 2), min_df=2)), ("classifier", MultinomialNB(alpha=0.1))])


def make_char_prior() -> Any:
    """Logistic regression (C=3) over TF-IDF character 3–6-grams across word boundaries."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline([("ngrams", TfidfVectorizer(analyzer="char", ngram_range=(3, 6), sublinear_tf=True, min_df=3,
                                                max_features=300_000)),
                     ("classifier", LogisticRegression(C=3.0, max_iter=2000))])


def scores_of(model: Any, texts: list[str]) -> Any:
    """The model's decision function, or its log odds of the positive class where it has none."""
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(texts), dtype=float)
    log = model.predict_log_proba(texts)
    return log[:, 1] - log[:, 0]


def cross_fitted(factory, fit_texts, fit_labels, own_texts, own_labels, other_texts, folds=5, seed=0):
    """A prior fitted on ``fit_texts``: its scores of ``other_texts`` (fitted on all of them) and of
    ``own_texts`` (the corpus trained on), each from a prior fitted without any sentence of its
    stratified fold of ``own_texts``."""
    from sklearn.model_selection import StratifiedKFold

    from tagline.eval.baselines.prior import normalised

    fit_texts, fit_labels = [str(t) for t in fit_texts], np.asarray(fit_labels)
    keys = np.array([normalised(t) for t in fit_texts])
    other = scores_of(factory().fit(fit_texts, fit_labels), [str(t) for t in other_texts])
    own = np.zeros(len(own_texts))
    for _, score_rows in StratifiedKFold(folds, shuffle=True, random_state=seed).split(own_texts, own_labels):
        held = np.isin(keys, [normalised(str(own_texts[i])) for i in score_rows])
        model = factory().fit([t for t, h in zip(fit_texts, held) if not h], fit_labels[~held])
        own[score_rows] = scores_of(model, [str(own_texts[i]) for i in score_rows])
    return other.reshape(-1, 1), own.reshape(-1, 1)


def claimbuster_file(shared: Path, name: str, exclude: list[str]):
    from tagline.eval.baselines.prior import without_texts

    items = json.loads((shared / "datasets" / "claimbuster" / f"kfold_{name}ncs.json").read_text(encoding="utf-8"))
    return without_texts([item["text"] for item in items], [item["label"] for item in items], exclude)


def more_columns(corpora: dict, shared: Path) -> dict:
    """The third priors' columns of the debates (``ct``) and ClaimBuster (``cb``) rows, and the
    ``cbu`` corpus: the union of the three ClaimBuster files with its own prior columns."""
    from tagline.eval.baselines.prior import normalised, prior_scores

    data = load(shared / "datasets" / FOLDERS["2019"], "2019")
    exclude = [row["text"] for _, rows in data["train"] + data["test"] for row in rows]
    ct, cb = corpora["ct"], corpora["cb"]
    columns: dict[str, Any] = {}
    for key, factory, source in (("nb", make_nb_prior, "30"), ("char", make_char_prior, "30"),
                                 ("cb25", None, "25")):
        from tagline.eval.baselines.prior import make_claimbuster_prior

        texts, labels = claimbuster_file(shared, source, exclude)
        started = time.process_time()
        columns[f"ct_{key}"], columns[f"cb_{key}"] = cross_fitted(factory or make_claimbuster_prior, texts, labels,
                                                                  cb["texts"], cb["y"], ct["texts"])
        print(f"prior {key} in {time.process_time() - started:.0f} CPU s", flush=True)
    seen: set[str] = set()
    texts, labels = [], []
    for name in ("30", "25", "20"):  # the 3xNCS file's sentences first, then the others' new ones
        for text, label in zip(*claimbuster_file(shared, name, exclude)):
            if normalised(text) not in seen:
                seen.add(normalised(text))
                texts.append(text)
                labels.append(label)
    from tagline.eval.baselines.prior import make_claimbuster_prior

    columns["ct_cbu"], columns["cbu_cb"] = cross_fitted(make_claimbuster_prior, texts, labels, texts, labels,
                                                        ct["texts"])
    c20, _ = clef2020_prior(shared, data["train"] + data["test"])
    columns["cbu_texts"], columns["cbu_y"] = texts, np.asarray(labels, dtype=int)
    columns["cbu_c20"] = prior_scores(texts, c20)
    print(f"ClaimBuster union: {len(texts)} sentences, {int(np.sum(labels))} check-worthy", flush=True)
    return columns


def build(corpora: dict, more: dict) -> dict:
    """Per training corpus ("cb", "cbu"): the n-gram rows of ct and of it, and their dense columns."""
    from tagline.eval.baselines.cues import surface_cues
    from tagline.eval.baselines.debate import debate_cues
    from tagline.eval.baselines.text import text_features

    vectorizer = text_features("en").fit([str(t) for n in corpora for t in corpora[n]["texts"]])
    ct, cb = corpora["ct"], corpora["cb"]
    rows = {"ct": {"X": vectorizer.transform([str(t) for t in ct["texts"]]), "y": ct["y"], "groups": ct["groups"],
                   **{k: ct[k] for k in DENSE}, **{k: more[f"ct_{k}"] for k in ("nb", "char", "cb25", "cbu")}},
            "cb": {"X": vectorizer.transform([str(t) for t in cb["texts"]]), "y": cb["y"],
                   **{k: cb[k] for k in DENSE}, **{k: more[f"cb_{k}"] for k in ("nb", "char", "cb25")}}}
    texts = more["cbu_texts"]
    rows["cbu"] = {"X": vectorizer.transform(texts), "y": more["cbu_y"], "surface": surface_cues(texts),
                   "debate": debate_cues(texts), "cb": more["cbu_cb"], "c20": more["cbu_c20"]}
    rows["ct_u"] = {**rows["ct"], "cb": more["ct_cbu"]}
    return rows


def design(rows, name, ct_name, tr, dense):
    parts = [rows[name]["X"]]
    for key in dense:
        parts.append(csr_matrix(standardise(rows[ct_name][key][tr], rows[name][key]) * 0.1))
    return hstack(parts).tocsr()


def lodo(rows, *, dense=DENSE, extra="cb", ct_name="ct", C=0.1, keep=None):
    """Each debate's scores from the SVM fitted on the other debates (of ``keep`` rows, all by default)."""
    from sklearn.svm import LinearSVC

    ct = rows[ct_name]
    keep = np.ones(len(ct["y"]), dtype=bool) if keep is None else keep
    scores = np.zeros(len(ct["y"]))
    for g in np.unique(ct["groups"][keep]):
        te = ct["groups"] == g
        tr = keep & ~te
        X = design(rows, ct_name, ct_name, tr, dense)
        E = design(rows, extra, ct_name, tr, dense)
        weights = np.concatenate([np.ones(tr.sum()), np.full(E.shape[0], 0.1)])
        model = LinearSVC(C=C, random_state=0).fit(vstack([X[tr], E]).tocsr(), np.concatenate([ct["y"][tr],
                                                                                              rows[extra]["y"]]),
                                                   sample_weight=weights)
        scores[te] = model.decision_function(X[te])
    return scores


def neighbours(values, groups):
    """Each row's previous and next row's value in its debate (its own at a debate's ends)."""
    before, after = values.copy(), values.copy()
    same_before = np.r_[False, groups[1:] == groups[:-1]]
    same_after = np.r_[groups[:-1] == groups[1:], False]
    before[same_before] = values[np.flatnonzero(same_before) - 1]
    after[same_after] = values[np.flatnonzero(same_after) + 1]
    return before, after


def stage_two(rows, score, context):
    """The second stage's columns: the SVM's score, its rank within the debate (0..1), with
    ``context`` the scores of the sentences before and after, and the dense columns."""
    ct = rows["ct"]
    columns = [score, ranks_within(score, ct["groups"])]
    if context:
        columns += list(neighbours(score, ct["groups"]))
    return np.column_stack(columns + [ct[k] for k in DENSE])


def stacked(rows, memo, kind, context):
    """Nested stacking: in each outer fold a second-stage model is fitted on the 18 training
    debates' out-of-fold SVM scores (each from an SVM fitted on the other 17) and applied to the
    held-out debate's score from the SVM fitted on the 18."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    ct = rows["ct"]
    outer = variant(rows, "reference", memo)
    if "inner" not in memo:  # inner[g]: the 18 other debates' scores, each debate held out of an SVM without g
        memo["inner"] = {}
        for g in np.unique(ct["groups"]):
            mine = ct["groups"] != g
            memo["inner"][g] = lodo(rows, keep=mine)[mine]
    scores = np.zeros(len(ct["y"]))
    for g in np.unique(ct["groups"]):
        te = ct["groups"] == g
        score = outer.copy()
        score[~te] = memo["inner"][g]
        X = stage_two(rows, score, context)
        if kind == "lr":
            scale = StandardScaler().fit(X[~te])
            model = LogisticRegression(C=1.0, max_iter=1000).fit(scale.transform(X[~te]), ct["y"][~te])
            scores[te] = model.decision_function(scale.transform(X[te]))
        else:
            model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=8,
                                                   min_samples_leaf=40, l2_regularization=1.0, random_state=0)
            scores[te] = model.fit(X[~te], ct["y"][~te]).predict_proba(X[te])[:, 1]
    return scores


def variant(rows, name, memo):
    if name == "reference":
        return memo.setdefault("reference", lodo(rows))
    if name.startswith("p3_"):
        return lodo(rows, dense=DENSE + (name[3:],))
    if name == "cbu":
        return lodo(rows, extra="cbu", ct_name="ct_u")
    if name.startswith("stack_"):
        _, kind, *context = name.split("_")
        return stacked(rows, memo, kind, bool(context))
    if name == "rankC":
        groups = rows["ct"]["groups"]
        runs = [lodo(rows, C=0.05), variant(rows, "reference", memo), lodo(rows, C=0.2)]
        return np.mean([ranks_within(run, groups) for run in runs], axis=0)
    raise ValueError(name)


VARIANTS = ("reference", "p3_nb", "p3_char", "p3_cb25", "cbu", "rankC", "stack_lr", "stack_lr_ctx", "stack_hgb",
            "stack_hgb_ctx")


def honest(shared: Path) -> None:
    """The reference (make_speaker_svm_with_corpus, two priors) against it with a third prior of
    character n-grams (make_char_prior, cross-fitted), each refitted whole in every
    leave-one-debate-out fold (the n-grams too), folds in two processes."""
    from joblib import Parallel, delayed

    from tagline.annotate.formats.checkworthiness import CHECK_WORTHY, LABELS
    from tagline.eval.baselines import positive_scores
    from tagline.eval.baselines.prior import CrossFittedPrior, make_char_prior, make_speaker_svm_with_corpus

    data = load(shared / "datasets" / FOLDERS["2019"], "2019")
    train, test = data["train"], data["test"]
    texts, labels, groups = flatten(train, context=True)
    y, groups = np.array([label == CHECK_WORTHY for label in labels], dtype=int), np.array(groups)
    exclude = [row["text"] for _, rows in train + test for row in rows]
    cb_texts, cb_numbers = claimbuster_file(shared, "30", exclude)
    cb_labels = [LABELS[label] for label in cb_numbers]
    started = time.process_time()
    priors = {"reference": [CrossFittedPrior().fit(cb_texts, cb_labels), clef2020_prior(shared, train + test)[0]]}
    priors["p3_char"] = priors["reference"] + [CrossFittedPrior(factory=make_char_prior).fit(cb_texts, cb_labels)]

    def fold(name, held_out):
        tr, te = np.flatnonzero(groups != held_out), np.flatnonzero(groups == held_out)
        model = make_speaker_svm_with_corpus(cb_texts, cb_labels, *priors[name], lang="en")
        model.fit([texts[i] for i in tr], [labels[i] for i in tr])
        return name, held_out, positive_scores(model, [texts[i] for i in te], positive=CHECK_WORTHY)

    jobs = [(name, g) for name in priors for g in np.unique(groups)]
    per: dict[str, dict] = {}
    for name, g, scores in Parallel(n_jobs=2)(delayed(fold)(name, g) for name, g in jobs):
        per.setdefault(name, {})[g] = per_debate_ap(y[groups == g], np.asarray(scores), groups[groups == g])[g]
    for name, values in per.items():
        line = f"honest {name:<12}MAP {np.mean(list(values.values())):.4f}"
        if name != "reference":
            line += versus(values, per["reference"])
        print(line, flush=True)
    print(f"({time.process_time() - started:.0f} CPU s in the parent; folds in 2 processes)")


def compared(names: list[str], scores: Any, rows: dict, width: int) -> dict[str, dict]:
    """Each named variant's average precision per debate (``scores(name)`` ranks ``rows``), printed
    as it comes against the reference's (the first name)."""
    results: dict[str, dict] = {}
    for name in names:
        cpu = time.process_time()
        results[name] = per_debate_ap(rows["y"], scores(name), rows["groups"])
        values = np.array(list(results[name].values()))
        line = f"{name:<{width}}MAP {values.mean():.4f} (sd over debates {values.std(ddof=1):.4f})"
        if name != "reference":
            line += versus(results[name], results["reference"])
        print(line + f"  ({time.process_time() - cpu:.0f} CPU s)", flush=True)
    return results


def prepared_rows(shared: Path, cache: Path | None) -> tuple[dict, dict]:
    """The corpora and the candidates' rows, from ``cache`` (and its ``.more`` beside it) when there,
    else prepared and, given a ``cache``, kept there."""
    if cache and cache.is_file():
        corpora = pickle.loads(cache.read_bytes())
    else:
        corpora = prepare(shared)
        if cache:
            cache.write_bytes(pickle.dumps(corpora))
    side = cache.with_suffix(".more") if cache else None
    if side and side.is_file():
        more = pickle.loads(side.read_bytes())
    else:
        more = more_columns(corpora, shared)
        if side:
            side.write_bytes(pickle.dumps(more))
    return corpora, build(corpora, more)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=None)
    parser.add_argument("--only", default="")
    parser.add_argument("--cache", type=Path, default=None, help="checkthat_extra.py's pickle, made when absent")
    parser.add_argument("--honest", action="store_true", help="refit the reference and p3_char whole in every fold")
    args = parser.parse_args()
    shared = args.shared or default_shared()
    if args.honest:
        honest(shared)
        return
    started = time.process_time()
    corpora, rows = prepared_rows(shared, args.cache)
    print(f"prepared in {time.process_time() - started:.1f} CPU s", flush=True)
    only = [name for name in args.only.split(",") if name]
    memo: dict = {}
    names = VARIANTS if not only else ["reference"] + [n for n in only if n != "reference"]
    results = compared(names, lambda name: variant(rows, name, memo), rows["ct"], 14)
    best = max(results, key=lambda name: np.mean(list(results[name].values())))
    print(f"chosen by leave-one-debate-out MAP over {len(results)} rows: {best}")


if __name__ == "__main__":
    main()
