"""SemEval-2016 Task 6 Task A: tokenisation, feature and model variants of the stance SVM, compared by
cross-validation on the training tweets alone (the test set is never read).

Each row is a (features, model) pair: features are the registry's word 1-3 + ``char_wb`` 2-5
TF-IDF (``base``) or a variant of it; models are one linear SVM per target (``svm``), one logistic
regression per target (``lr``), a two-stage SVM per target (NONE against a stance, then FAVOR
against AGAINST on the stance tweets: ``two_stage``), the mean of the SVM's and the regression's
standardised decision values (``svm+lr``), and one SVM over all targets with every feature shared
and copied per target (``copies``; ``copies_tb``: its balanced class weights computed within each
target; ``copies+lr``: the mean of its and a regression's standardised decision values). Each pair is scored at every (C, class weight) of the
``tfidf_svm`` grid (the same setting for every target; the regression at 10 C) by 5-fold
cross-validation on train + trial, folds stratified by target and label, the features fitted
inside each fold, the out-of-fold predictions of all targets pooled into one F_avg as eval.pl
pools the test set. A row prints its best setting and the mean over seeds.

``--nested NAME,...`` scores registered baselines instead, as `tagline bench` runs them: one model
per target (``NAME+pooled``: one over all targets) whose C and class weight are tuned by 5-fold
cross-validation inside each outer training part (nested cross-validation), the same outer folds
and pooled F_avg.

    python benchmarks/semeval2016_variants.py [--data DIR] [--seeds 0,1,2] [--rows base/svm,tweet/svm,...]
    python benchmarks/semeval2016_variants.py --nested tfidf_svm_tweets,tfidf_svm_tweets_targets+pooled [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from tagline.annotate.formats.semeval2016 import read_semeval2016_split
from tagline.eval.bench.data import find_data_dir
from tagline.eval.metrics import f_avg

SETTINGS = [(C, weight) for C in (0.1, 0.3, 1.0, 3.0, 10.0) for weight in (None, "balanced")]
TWEET_TOKENS = r"[#@]?\w+|[:;=8][-o^']?[()\[\]dDpP/\\|*]+|[!?]+"
"""Words with their ``#`` or ``@`` kept (``#hillary`` and ``hillary`` are different words), emoticons,
and runs of ``!`` and ``?``."""


def split_hashtags(text: str) -> str:
    """The text with each hashtag's words (split at capitals and digits) appended, when it has several."""
    phrases = [" ".join(re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", tag))
               for tag in re.findall(r"#(\w+)", text)]
    return " ".join([text, *(phrase for phrase in phrases if " " in phrase)])


def features(variant: str) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import Normalizer

    pattern = TWEET_TOKENS if variant.startswith("tweet") else r"(?u)\b\w+\b"
    blocks = [("words", TfidfVectorizer(ngram_range=(1, 3), token_pattern=pattern, norm=None)),
              ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), norm=None))]
    if variant == "words":
        blocks = blocks[:1]
    return Pipeline([("ngrams", FeatureUnion(blocks)), ("l2", Normalizer())])


def prepare(variant: str, text: str) -> str:
    return split_hashtags(text) if variant.endswith("+split") else text


def mention_words(target: str) -> list[str]:
    """Prefixes of the target's name words: ``Hillary Clinton`` -> ``hilla``, ``clint``."""
    stop = {"change", "concern", "movement", "legalization", "real"}
    return [word[:5] for word in re.findall(r"[a-z]+", target.lower()) if len(word) >= 5 and word not in stop]


def matrices(variant: str, texts: list[str], targets: list[str], fit_rows, score_rows):
    from scipy import sparse

    extractor = features(variant.removesuffix("+mention"))
    fit = extractor.fit_transform([texts[i] for i in fit_rows])
    score = extractor.transform([texts[i] for i in score_rows])
    if variant.endswith("+mention"):
        def column(rows):
            flags = [[float(any(w in texts[i].lower() for w in mention_words(targets[i])))] for i in rows]
            return sparse.csr_matrix(flags)
        fit, score = sparse.hstack([fit, column(fit_rows)], "csr"), sparse.hstack([score, column(score_rows)], "csr")
    return fit, score


def target_balanced(labels, owners):
    """Sample weights that balance the labels within each target, as ``class_weight="balanced"``
    does within one target's model: ``n_t / (k_t * n_tc)`` for an item of label c and target t."""
    import numpy as np

    labels, owners = np.asarray(labels), np.asarray(owners)
    weights = np.empty(len(labels))
    for target in set(owners.tolist()):
        rows = owners == target
        kinds, counts = np.unique(labels[rows], return_counts=True)
        share = dict(zip(kinds.tolist(), (rows.sum() / (len(kinds) * counts)).tolist()))
        weights[rows] = [share[label] for label in labels[rows].tolist()]
    return weights


def fit_predict(model: str, setting, fit, fit_labels, score, owners=None):
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    C, weight = setting
    if len(set(fit_labels)) == 1:
        return [fit_labels[0]] * score.shape[0]
    if model == "copies_tb":  # balanced per target (owners: the target of each fitted row)
        weights = target_balanced(fit_labels, owners) if weight == "balanced" else None
        return LinearSVC(C=C, random_state=0).fit(fit, fit_labels, sample_weight=weights).predict(score)
    if model == "copies+lr":
        model = "svm+lr"
    if model in ("svm", "copies"):
        return LinearSVC(C=C, class_weight=weight, random_state=0).fit(fit, fit_labels).predict(score)
    if model == "lr":
        return LogisticRegression(C=10 * C, class_weight=weight, max_iter=5000).fit(fit, fit_labels).predict(score)
    if model == "two_stage":
        stance = np.array([label != "NONE" for label in fit_labels])
        first = fit_predict("svm", setting, fit, ["STANCE" if s else "NONE" for s in stance], score)
        second = fit_predict("svm", setting, fit[stance], [lab for lab, s in zip(fit_labels, stance) if s], score)
        return [b if a == "STANCE" else "NONE" for a, b in zip(first, second)]
    if model == "svm+lr":
        svm = LinearSVC(C=C, class_weight=weight, random_state=0).fit(fit, fit_labels)
        lr = LogisticRegression(C=10 * C, class_weight=weight, max_iter=5000).fit(fit, fit_labels)
        total = 0
        for estimator in (svm, lr):
            values = estimator.decision_function(fit)
            total = total + estimator.decision_function(score) / values.std()
        return svm.classes_[np.asarray(total).argmax(axis=1)]
    raise ValueError(model)


def copies(matrix, owners, names):
    import numpy as np
    from scipy import sparse

    return sparse.hstack([matrix] + [sparse.diags((owners == name).astype(np.float64)) @ matrix for name in names],
                         format="csr")


def out_of_fold(row: str, texts: list[str], targets: list[str], labels: list[str], seed: int) -> list[float]:
    """Pooled out-of-fold F_avg of every setting of :data:`SETTINGS` for one ``features/model`` row."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    variant, model = row.split("/")
    texts = [prepare(variant, text) for text in texts]
    owners = np.array(targets)
    guesses = [[""] * len(labels) for _ in SETTINGS]
    strata = [f"{target}\t{label}" for target, label in zip(targets, labels, strict=True)]
    names = sorted(set(targets))
    for train, held_out in StratifiedKFold(5, shuffle=True, random_state=seed).split(texts, strata):
        groups = [(list(train), list(held_out))] if model.startswith("copies") else \
            [([i for i in train if targets[i] == t], [i for i in held_out if targets[i] == t]) for t in names]
        for fit_rows, score_rows in groups:
            fit, score = matrices(variant, texts, targets, fit_rows, score_rows)
            if model.startswith("copies"):
                fit, score = copies(fit, owners[fit_rows], names), copies(score, owners[score_rows], names)
            for j, setting in enumerate(SETTINGS):
                predicted = fit_predict(model, setting, fit, [labels[i] for i in fit_rows], score, owners[fit_rows])
                for i, label in zip(score_rows, predicted, strict=True):
                    guesses[j][i] = str(label)
    return [f_avg(list(labels), guess) for guess in guesses]


def nested(baseline: str, texts: list[str], targets: list[str], labels: list[str], seed: int) -> float:
    """Pooled out-of-fold F_avg of a registered baseline, tuned per target inside each outer fold."""
    from sklearn.model_selection import StratifiedKFold

    from tagline.eval.baselines import POOLED, PerTargetClassifier, make_tuned_baseline

    name, pooled = baseline.removesuffix(POOLED), baseline.endswith(POOLED)
    pairs = list(zip(targets, texts, strict=True))
    guesses = [""] * len(labels)
    strata = [f"{target}\t{label}" for target, label in zip(targets, labels, strict=True)]
    for train, held_out in StratifiedKFold(5, shuffle=True, random_state=seed).split(texts, strata):
        model = PerTargetClassifier(make_tuned_baseline(name, lang="en", scoring="f_avg", random_state=seed),
                                    pooled=pooled)
        model.fit([pairs[i] for i in train], [labels[i] for i in train])
        for i, label in zip(held_out, model.predict([pairs[i] for i in held_out]), strict=True):
            guesses[i] = str(label)
    return f_avg(list(labels), guesses)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="folder of the official files")
    parser.add_argument("--seeds", default="0,1,2", help="fold seeds, comma-separated")
    parser.add_argument("--rows", default="base/svm,tweet/svm,tweet+split/svm,base+mention/svm,base/lr,"
                        "base/two_stage,base/svm+lr,base/copies", help="features/model pairs, comma-separated")
    parser.add_argument("--nested", default="", metavar="NAME,...",
                        help="score these registered baselines by nested cross-validation instead of --rows")
    args = parser.parse_args()
    try:
        rows = list(read_semeval2016_split(args.data or find_data_dir() / "semeval2016-task6", "train"))
    except ValueError as error:
        sys.exit(f"cannot read the SemEval-2016 data: {error}")
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    warnings.filterwarnings("ignore")
    texts, targets, labels = ([row[key] for row in rows] for key in ("text", "target", "label"))
    seeds = [int(seed) for seed in args.seeds.split(",")]
    if args.nested:
        print("nested 5-fold cross-validation on train + trial only (tuned per target inside each fold), "
              "pooled F_avg x100; CPU seconds per row")
        for baseline in args.nested.split(","):
            began = time.process_time()
            scores = [100 * nested(baseline, texts, targets, labels, seed) for seed in seeds]
            print(f"{baseline:<22} per seed " + " ".join(f"{score:.2f}" for score in scores)
                  + f" | mean {sum(scores) / len(scores):.2f} | {time.process_time() - began:.0f} cpu s", flush=True)
        return
    print("5-fold cross-validation on train + trial only, pooled F_avg x100; best setting per seed, then the")
    print("setting with the best mean over seeds; CPU seconds per row")
    for row in args.rows.split(","):
        began = time.process_time()
        table = [out_of_fold(row, texts, targets, labels, seed) for seed in seeds]
        means = [sum(scores) / len(scores) for scores in zip(*table)]
        best = max(range(len(SETTINGS)), key=lambda j: means[j])
        print(f"{row:<22} per seed best " + " ".join(f"{100 * max(s):.2f}" for s in table)
              + f" | best mean {100 * means[best]:.2f} at C={SETTINGS[best][0]:g} {SETTINGS[best][1]}"
              + f" | {time.process_time() - began:.0f} cpu s", flush=True)


if __name__ == "__main__":
    main()
