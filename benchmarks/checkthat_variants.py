"""Variants of the CLEF-2019 CheckThat! Task 1 ranking models, compared by leave-one-debate-out
cross-validation on the 19 training debates alone (the test debates are never scored here).

Each variant is fitted on 18 training debates and ranks the 19th by its score; MAP is the mean
over the 19 held-out debates of average precision. Beside each variant's MAP: its mean difference
from the reference row (``speaker_svm`` with the ClaimBuster and CLEF-2020 priors, the
``speaker_svm + CB + 2020`` row of checkthat.py) over the same 19 debates, with a 95% percentile
bootstrap interval over debates, and on how many debates it is ahead. Without ``--honest`` the
n-gram vocabulary and IDF are fitted once on all 19 debates (no labels read: a fast approximation
for comparing variants); with it, on each fold's training debates (the ``cbtrain_*`` variants,
trained on ClaimBuster's sentences too, always fit them once, on the debates and ClaimBuster).
``--honest-corpus`` runs only the two-prior model against make_speaker_svm_with_corpus, each
refitted whole in every fold, the figures in that function's docstring.

    nice -n 5 python benchmarks/checkthat_variants.py [--honest] [--only NAME,...] [--shared DIR]
    nice -n 5 python benchmarks/checkthat_variants.py --honest-corpus
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from checkthat import claimbuster_prior, clef2020_prior, default_shared, flatten, load


def prepare(shared: Path):
    """Texts (DebateLines), labels (0/1), groups and the fixed per-sentence columns of every training debate."""
    from tagline.eval.baselines.cues import surface_cues
    from tagline.eval.baselines.debate import debate_cues
    from tagline.eval.baselines.prior import prior_scores

    data = load(shared / "datasets" / "clef2019-checkthat-task1", "2019")
    train, test = data["train"], data["test"]
    texts, labels, groups = flatten(train, context=True)
    y = np.array([label == "check_worthy" for label in labels], dtype=int)
    cb, _ = claimbuster_prior(shared, train + test)
    c20, _ = clef2020_prior(shared, train + test)
    columns = {"surface": surface_cues(texts), "debate": debate_cues(texts),
               "cb": prior_scores(texts, cb), "c20": prior_scores(texts, c20)}
    return train, texts, y, np.array(groups), columns, cb


def standardise(train_rows, all_rows):
    mean, std = train_rows.mean(axis=0), train_rows.std(axis=0)
    std[std == 0] = 1.0
    return (all_rows - mean) / std


def ranks_within(scores, groups):
    """Each score as its rank within its debate, scaled to 0..1 (for averaging models' rankings)."""
    from scipy.stats import rankdata

    out = np.empty(len(scores))
    for group in np.unique(groups):
        mask = groups == group
        out[mask] = (rankdata(scores[mask]) - 1) / max(1, mask.sum() - 1)
    return out


def paired(per_a: dict, per_b: dict, seed: int = 0, resamples: int = 2000):
    names = sorted(per_a)
    diff = np.array([per_a[n] - per_b[n] for n in names])
    rng = np.random.default_rng(seed)
    boots = diff[rng.integers(0, len(diff), size=(resamples, len(diff)))].mean(axis=1)
    return diff.mean(), np.percentile(boots, 2.5), np.percentile(boots, 97.5), int((diff > 0).sum())


def versus(per_a: dict, per_b: dict, against: str = "reference") -> str:
    """``per_a`` against ``per_b`` (MAP per debate), as the scripts print it: the mean difference over
    debates, its 95% bootstrap interval and on how many debates ``per_a`` is ahead."""
    mean, low, high, ahead = paired(per_a, per_b)
    return f"  vs {against} {mean:+.4f} [{low:+.4f}, {high:+.4f}] ahead on {ahead}/{len(per_a)}"


def per_debate_ap(y, scores, groups):
    from tagline.eval.metrics.ranking import average_precision

    return {g: average_precision(list(y[groups == g]), list(scores[groups == g]), positive=1) for g in np.unique(groups)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=None)
    parser.add_argument("--honest", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--honest-corpus", action="store_true",
                        help="only the two-prior model against it trained on ClaimBuster too, refitted whole per fold")
    args = parser.parse_args()
    shared = args.shared or default_shared()
    if args.honest_corpus:
        honest_corpus_rows(shared)
        return
    started = time.process_time()
    train, texts, y, groups, columns, cb = prepare(shared)
    print(f"prepared in {time.process_time() - started:.1f} CPU s", flush=True)
    only = [name for name in args.only.split(",") if name]
    results = {}
    for name in VARIANTS:
        if only and name not in only and name != "reference":
            continue
        cpu = time.process_time()
        if name.startswith("cbtrain"):
            if "cbrows" not in _CACHE:
                _CACHE["cbrows"] = claimbuster_rows(shared, texts)
            scores = run_cb_training(name, texts, y, groups, columns, _CACHE["cbrows"],
                                     weight=float(name.split("_")[-1]))
        else:
            scores = run_variant(name, texts, y, groups, columns, honest=args.honest)
        results[name] = per_debate_ap(y, scores, groups)
        line = f"{name:<34}MAP {np.mean(list(results[name].values())):.4f}"
        if name != "reference":
            line += versus(results[name], results["reference"])
        print(line + f"  ({time.process_time() - cpu:.0f} CPU s)", flush=True)



# ---- variants ---------------------------------------------------------------------------------

_CACHE: dict = {}


def ngram_matrix(texts, tr, honest):
    """The n-gram block (rows of every training sentence), fitted on the fold's training rows or on all."""
    from tagline.eval.baselines.text import text_features

    if honest:
        vectorizer = text_features("en").fit([texts[i] for i in np.flatnonzero(tr)])
        return vectorizer.transform(texts)
    if "global" not in _CACHE:
        _CACHE["global"] = text_features("en").fit_transform(texts)
    return _CACHE["global"]


def question_texts(texts):
    """For each sentence, the last question (a sentence ending with ?) of another speaker before its turn."""
    out, last_q, doc = [], "", None
    current_speaker = None
    pending = ""
    for line in texts:
        if line.doc_id != doc:
            doc, last_q, current_speaker, pending = line.doc_id, "", None, ""
        if line.speaker != current_speaker:  # a new turn: questions of the turn before count
            last_q, current_speaker = pending or last_q, line.speaker
            pending = ""
        out.append(last_q)
        if str(line).rstrip().endswith("?"):
            pending = str(line)
    return out


def neighbours(values, texts, offset):
    """values of the sentence ``offset`` away in the same turn (0 when none)."""
    out = np.zeros_like(values)
    n = len(texts)
    for i in range(n):
        j = i + offset
        if 0 <= j < n and texts[j].doc_id == texts[i].doc_id and texts[j].speaker == texts[i].speaker:
            out[i] = values[j]
    return out


def per_debate_z(values, groups):
    out = np.empty_like(values)
    for g in np.unique(groups):
        m = groups == g
        sd = values[m].std(axis=0)
        sd[sd == 0] = 1
        out[m] = (values[m] - values[m].mean(axis=0)) / sd
    return out


def block_matrix(texts, groups, columns, tr, honest, *, cues=("surface", "debate", "cb", "c20"), weight=0.1,
                 extra=None):
    from scipy.sparse import csr_matrix, hstack

    blocks = [ngram_matrix(texts, tr, honest)]
    for name in cues:
        col = columns[name]
        blocks.append(csr_matrix(standardise(col[tr], col) * weight))
    for col, w in (extra or []):
        blocks.append(csr_matrix(standardise(col[tr], col) * w))
    return hstack(blocks).tocsr()


def lodo(texts, y, groups, fit_score):
    scores = np.zeros(len(y))
    for g in np.unique(groups):
        te = groups == g
        scores[te] = fit_score(~te, te)
    return scores


def svm_on(matrix_fn, y, C=0.1, class_weight=None):
    from sklearn.svm import LinearSVC

    def fit_score(tr, te):
        X = matrix_fn(tr)
        model = LinearSVC(C=C, class_weight=class_weight, random_state=0).fit(X[tr], y[tr])
        return model.decision_function(X[te])
    return fit_score


def run_variant(name, texts, y, groups, columns, *, honest=False):
    base = dict(cues=("surface", "debate", "cb", "c20"))
    if name in ("reference", "speaker", "speaker_cb", "w03", "C005", "C02"):
        cues = {"speaker": ("surface", "debate"), "speaker_cb": ("surface", "debate", "cb")}.get(name, base["cues"])
        weight = 0.3 if name == "w03" else 0.1
        C = {"C005": 0.05, "C02": 0.2}.get(name, 0.1)
        return lodo(texts, y, groups, svm_on(lambda tr: block_matrix(texts, groups, columns, tr, honest, cues=cues,
                                                                      weight=weight), y, C=C))
    if name.startswith("question"):
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer

        w = float(name.split("_")[1]) if "_" in name else 0.3
        if "questions" not in _CACHE:
            _CACHE["questions"] = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2).fit_transform(
                question_texts(texts))
        Q = _CACHE["questions"]
        return lodo(texts, y, groups, svm_on(lambda tr: hstack([block_matrix(texts, groups, columns, tr, honest),
                                                                 Q * w]).tocsr(), y))
    if name.startswith("nbprior"):  # the priors of the sentences before and after in the turn
        extra = []
        for key in ("cb", "c20"):
            extra += [(neighbours(columns[key][:, 0], texts, -1)[:, None], 0.05),
                      (neighbours(columns[key][:, 0], texts, 1)[:, None], 0.05)]
        return lodo(texts, y, groups, svm_on(lambda tr: block_matrix(texts, groups, columns, tr, honest,
                                                                      extra=extra), y))
    if name == "zprior":  # the priors also standardised within each debate
        extra = [(per_debate_z(columns["cb"], groups), 0.1), (per_debate_z(columns["c20"], groups), 0.1)]
        return lodo(texts, y, groups, svm_on(lambda tr: block_matrix(texts, groups, columns, tr, honest,
                                                                      extra=extra), y))
    if name.startswith("smooth"):  # reference scores plus lambda x the mean of the turn neighbours' scores
        lam = float(name.split("_")[1])
        ref = _CACHE.get(("scores", honest))
        if ref is None:
            ref = _CACHE[("scores", honest)] = run_variant("reference", texts, y, groups, columns, honest=honest)
        return ref + lam * (neighbours(ref, texts, -1) + neighbours(ref, texts, 1)) / 2
    if name == "logreg":
        from sklearn.linear_model import LogisticRegression

        def fit_score(tr, te):
            X = block_matrix(texts, groups, columns, tr, honest)
            return LogisticRegression(C=1.0, max_iter=3000).fit(X[tr], y[tr]).decision_function(X[te])
        return lodo(texts, y, groups, fit_score)
    if name.startswith("rankavg"):  # reference and the raw CB prior, averaged as ranks within each debate
        lam = float(name.split("_")[1])
        ref = _CACHE.get(("scores", honest))
        if ref is None:
            ref = _CACHE[("scores", honest)] = run_variant("reference", texts, y, groups, columns, honest=honest)
        return (1 - lam) * ranks_within(ref, groups) + lam * ranks_within(
            columns["cb"][:, 0] + columns["c20"][:, 0] * 0.5, groups)
    if name == "ranksvm":
        return lodo(texts, y, groups, ranksvm_on(lambda tr: block_matrix(texts, groups, columns, tr, honest),
                                                 y, groups))
    raise ValueError(name)


def ranksvm_on(matrix_fn, y, groups, per_positive=30, C=0.1, seed=0):
    from sklearn.svm import LinearSVC

    def fit_score(tr, te):
        X = matrix_fn(tr)
        rng = np.random.default_rng(seed)
        a, b = [], []
        for g in np.unique(groups[tr]):
            idx = np.flatnonzero(groups == g)
            pos, neg = idx[y[idx] == 1], idx[y[idx] == 0]
            for p in pos:
                for n in rng.choice(neg, size=min(per_positive, len(neg)), replace=False):
                    a.append(p)
                    b.append(n)
        a, b = np.array(a), np.array(b)
        half = np.arange(len(a)) % 2 == 0
        first, second = np.where(half, a, b), np.where(half, b, a)
        D = X[first] - X[second]
        model = LinearSVC(C=C, fit_intercept=False, random_state=0).fit(D, half.astype(int))
        return model.decision_function(X[te])
    return fit_score


VARIANTS = ("reference", "smooth_-0.2", "speaker", "speaker_cb", "w03", "C005", "C02", "question_0.3", "question_0.1",
            "question_1", "nbprior", "zprior", "smooth_0.3", "smooth_0.6", "logreg", "rankavg_0.2", "rankavg_0.4",
            "ranksvm", "cbtrain_aug_0.3", "cbtrain_aug_1", "cbtrain_0.1", "cbtrain_aug_0.1", "cbtrain_0.03", "cbtrain_0.05", "cbtrain_0.2", "cbtrain_0.3")



def claimbuster_rows(shared: Path, texts):
    """ClaimBuster's 3xNCS sentences less those of any CLEF-2019 debate, with their labels and the
    columns the CheckThat! rows have: surface cues, no debate cues, the ClaimBuster prior's score
    out of fold (5 folds, so the prior never scores a sentence it was fitted on) and the CLEF-2020 prior's."""
    import json

    from sklearn.model_selection import StratifiedKFold

    from tagline.eval.baselines.cues import surface_cues
    from tagline.eval.baselines.prior import make_claimbuster_prior, prior_scores, without_texts

    data = load(shared / "datasets" / "clef2019-checkthat-task1", "2019")
    debates = data["train"] + data["test"]
    items = json.loads((shared / "datasets" / "claimbuster" / "kfold_30ncs.json").read_text(encoding="utf-8"))
    cb_texts, cb_labels = without_texts([item["text"] for item in items], [item["label"] for item in items],
                                        [row["text"] for _, rows in debates for row in rows])
    cb_y = np.array(cb_labels, dtype=int)
    out_of_fold = np.zeros((len(cb_texts), 1))
    for fit_idx, score_idx in StratifiedKFold(5, shuffle=True, random_state=0).split(cb_texts, cb_y):
        prior = make_claimbuster_prior().fit([cb_texts[i] for i in fit_idx], cb_y[fit_idx])
        out_of_fold[score_idx] = prior_scores([cb_texts[i] for i in score_idx], prior)
    c20, _ = clef2020_prior(shared, debates)
    return cb_texts, cb_y, {"surface": surface_cues(cb_texts), "debate": np.zeros((len(cb_texts), 10)),
                            "cb": out_of_fold, "c20": prior_scores(cb_texts, c20)}


def run_cb_training(name, texts, y, groups, columns, cb, *, weight):
    """The reference model trained on the fold's CheckThat! rows and ClaimBuster's (sample weight ``weight``),
    every feature shared and, with ``aug``, also copied in a block of CheckThat! rows only, plus a
    column saying which corpus a row is from."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.svm import LinearSVC

    from tagline.eval.baselines.text import text_features

    cb_texts, cb_y, cb_columns = cb
    if "cbvec" not in _CACHE:
        vectorizer = text_features("en").fit([str(t) for t in texts] + cb_texts)
        _CACHE["cbvec"] = (vectorizer.transform([str(t) for t in texts]), vectorizer.transform(cb_texts))
    ngrams, cb_ngrams = _CACHE["cbvec"]
    augment = "aug" in name
    scores = np.zeros(len(y))
    for g in np.unique(groups):
        te, tr = groups == g, groups != g
        def blocks(rows_ngrams, rows_columns, tr=tr):
            parts = [rows_ngrams]
            for key in ("surface", "debate", "cb", "c20"):
                parts.append(csr_matrix(standardise(columns[key][tr], rows_columns[key]) * 0.1))
            return hstack(parts).tocsr()
        X_ct, X_cb = blocks(ngrams, columns), blocks(cb_ngrams, cb_columns)
        if augment:
            X_ct = hstack([X_ct, X_ct, csr_matrix(np.ones((X_ct.shape[0], 1)))]).tocsr()
            X_cb = hstack([X_cb, csr_matrix(X_cb.shape), csr_matrix(np.zeros((X_cb.shape[0], 1)))]).tocsr()
        from scipy.sparse import vstack
        X = vstack([X_ct[tr], X_cb]).tocsr()
        target = np.concatenate([y[tr], cb_y])
        sample_weight = np.concatenate([np.ones(tr.sum()), np.full(len(cb_y), weight)])
        model = LinearSVC(C=0.1, random_state=0).fit(X, target, sample_weight=sample_weight)
        scores[te] = model.decision_function(X_ct[te])
    return scores



def honest_corpus_rows(shared: Path, weight: float = 0.1) -> None:
    """The two-prior model (the ``speaker_svm + CB + 2020`` row) against it trained on ClaimBuster's
    sentences too (make_speaker_svm_with_corpus), each refitted whole in every leave-one-debate-out fold."""
    import json

    from joblib import Parallel, delayed

    from tagline.annotate.formats.checkworthiness import CHECK_WORTHY, LABELS
    from tagline.eval.baselines import positive_scores
    from tagline.eval.baselines.prior import (
        CrossFittedPrior,
        make_speaker_svm_with_corpus,
        make_speaker_svm_with_prior,
        without_texts,
    )

    data = load(shared / "datasets" / "clef2019-checkthat-task1", "2019")
    train, test = data["train"], data["test"]
    texts, labels, groups = flatten(train, context=True)
    y, groups = np.array([label == CHECK_WORTHY for label in labels], dtype=int), np.array(groups)
    items = json.loads((shared / "datasets" / "claimbuster" / "kfold_30ncs.json").read_text(encoding="utf-8"))
    cb_texts, cb_labels = without_texts([item["text"] for item in items], [LABELS[item["label"]] for item in items],
                                        [row["text"] for _, rows in train + test for row in rows])
    cb, _ = claimbuster_prior(shared, train + test)
    crossed = CrossFittedPrior().fit(cb_texts, cb_labels)
    c20, _ = clef2020_prior(shared, train + test)

    def fold(name, held_out):
        tr = [i for i in range(len(texts)) if groups[i] != held_out]
        te = [i for i in range(len(texts)) if groups[i] == held_out]
        if name == "two priors":
            model = make_speaker_svm_with_prior(cb, c20, lang="en")
        else:
            model = make_speaker_svm_with_corpus(cb_texts, cb_labels, crossed, c20, weight=weight, lang="en")
        model.fit([texts[i] for i in tr], [labels[i] for i in tr])
        return name, held_out, positive_scores(model, [texts[i] for i in te], positive=CHECK_WORTHY)

    started = time.process_time()
    jobs = [(name, g) for name in ("two priors", f"with ClaimBuster {weight}") for g in np.unique(groups)]
    results = Parallel(n_jobs=2)(delayed(fold)(name, g) for name, g in jobs)
    per: dict[str, dict] = {}
    for name, g, scores in results:
        full = np.zeros(len(y))
        full[groups == g] = scores
        per.setdefault(name, {}).update({g: per_debate_ap(y[groups == g], scores, groups[groups == g])[g]})
    for name, values in per.items():
        line = f"{name:<34}MAP {np.mean(list(values.values())):.4f}"
        if name != "two priors":
            line += versus(values, per["two priors"], "two priors")
        print(line, flush=True)
    print(f"({time.process_time() - started:.0f} CPU s in the parent; folds in 2 processes)")


if __name__ == "__main__":
    main()
