"""SemEval-2016 Task 6 Task A: the organisers' baselines reproduced on the official split.

The rows are runs of ``tagline bench semeval2016-task6`` (:func:`tagline.eval.bench.run_benchmark`:
the official files imported into a fresh workspace, built, and each baseline run by `eval run`), with
more baselines than the command's three; ``--seeds`` and ``--cv`` add analyses the command does not make.

Trains on train + trial (2,914 tweets), reports F_avg ×100 (the official score: mean F1 of FAVOR
and AGAINST over all test tweets pooled) on the gold test set (1,249 tweets) with a 95% bootstrap
interval, next to the numbers the organisers published, and the wall time of fit + predict.

Nothing is tuned on test. As the organisers did for their SVM ("parameters tuned by 5-fold
cross-validation on the training data"), every TF-IDF baseline chooses its classifier parameters
(C and class weight; alpha for naive Bayes) by 5-fold cross-validation on the training tweets of
each target, maximising F_avg, then refits on all of them: the procedure `tagline eval run` uses
on a dataset without a validation split. ``--seeds N`` refits the tuned rows with fold
shuffle seeds 0..N-1 and prints the mean, lowest and highest F_avg, which shows how much the choice
of folds moves the test score. ``--cv K`` adds, for every row, a K-fold
cross-validation estimate on the training data alone (nested: the tuning runs inside each fold).

    python benchmarks/semeval2016.py [--data DATASETS] [--resamples 1000] [--seed 0] [--seeds N] [--cv K]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tagline.annotate.formats.semeval2016 import read_semeval2016_split
from tagline.eval.baselines import POOLED, TUNING_GRIDS, PerTargetClassifier, make_tuned_baseline
from tagline.eval.metrics import f_avg

# Mohammad et al. (2016), SemEval-2016 Task 6, Table 6 (Task A, F_avg ×100): "Majority class"
# and "SVM-ngrams" (one linear SVM per target on word 1-3 and character 2-5 n-grams).
PUBLISHED = {("majority", "per target"): 65.22, ("tfidf_svm", "per target"): 68.98}

ROWS = (("majority", False), ("tfidf_svm", False), ("tfidf_svm", True), ("tfidf_svm_tweets", False),
        ("tfidf_svm_tweets_targets", True),
        ("tfidf_logreg", False), ("tfidf_logreg", True), ("tfidf_nb", False), ("tfidf_nb", True))


def model_for(baseline: str, pooled: bool, seed: int) -> PerTargetClassifier:
    return PerTargetClassifier(make_tuned_baseline(baseline, lang="en", scoring="f_avg", random_state=seed),
                               pooled=pooled)


def cross_validate(baseline: str, pooled: bool, X: list, y: list, folds: int, seed: int) -> float:
    """F_avg of out-of-fold predictions on the training data only, folds stratified by target and label."""
    from sklearn.model_selection import StratifiedKFold

    strata = [f"{target}\t{label}" for (target, _), label in zip(X, y)]
    guesses = [None] * len(y)
    for train, held_out in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, strata):
        model = model_for(baseline, pooled, seed).fit([X[i] for i in train], [y[i] for i in train])
        for i, label in zip(held_out, model.predict([X[i] for i in held_out])):
            guesses[i] = str(label)
    return f_avg(y, guesses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None,
                        help="the datasets folder (default: $TAGLINE_DATA, else ../shared/datasets found from here)")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples for the intervals")
    parser.add_argument("--seed", type=int, default=0, help="seed of the tuning folds and the bootstrap")
    parser.add_argument("--seeds", type=int, default=0, metavar="N",
                        help="also refit each tuned row with fold seeds 0..N-1 and print the spread of F_avg")
    parser.add_argument("--cv", type=int, default=0, metavar="K",
                        help="also report K-fold cross-validation F_avg on the training data (no test data)")
    args = parser.parse_args()

    import sklearn
    from threadpoolctl import threadpool_limits

    from tagline.errors import TaglineError
    from tagline.eval.bench import run_benchmark

    # One BLAS thread: these fits are small, and on 2 busy cores OpenBLAS threads made the
    # per-target logistic regression 13x slower (40 s against 3 s) without changing a prediction.
    threadpool_limits(1)
    try:
        bench = run_benchmark("semeval2016-task6", data=args.data, seed=args.seed, n_resamples=args.resamples,
                              baselines=[baseline + (POOLED if pooled else "") for baseline, pooled in ROWS])
    except TaglineError as error:
        sys.exit(f"Error: {error}")
    directory = bench.data_dir / bench.spec.folder
    train, test = (list(read_semeval2016_split(directory, split)) for split in ("train", "test"))
    train_x, train_y = [(r["target"], r["text"]) for r in train], [r["label"] for r in train]
    test_x, test_y = [(r["target"], r["text"]) for r in test], [r["label"] for r in test]
    print(f"SemEval-2016 Task 6, Task A (`tagline bench semeval2016-task6`, workspace {bench.workspace.root}): "
          f"train + trial {len(train)} tweets, gold test {len(test)} tweets; "
          f"scikit-learn {sklearn.__version__}, seed {args.seed}, {args.resamples} bootstrap resamples")
    print("F_avg x100 on the gold test set (pooled over targets, as eval.pl); 95% percentile bootstrap interval")
    header = f"{'baseline':<14}{'mode':<12}{'F_avg':>7}  {'95% interval':<15}{'macro/tgt':>10}{'published':>10}" \
             f"{'seconds':>9}" + (f"{'cv' + str(args.cv) + ' train':>11}" if args.cv else "") + \
             (f"  {'seeds 0-' + str(args.seeds - 1) + ': mean [min, max]'}" if args.seeds else "")
    print(header)
    print("-" * len(header))
    results, spreads = {}, {}
    for (baseline, pooled), result in zip(ROWS, bench.results):
        mode = "pooled" if pooled else "per target"
        interval = result["metrics"]["f_avg"]
        per_target = result.get("per_target", {})
        macro = sum(item["f_avg"] for item in per_target.values()) / max(len(per_target), 1)
        published = PUBLISHED.get((baseline, mode))
        results[(baseline, mode)] = interval
        bounds = f"[{100 * interval['low']:.2f}, {100 * interval['high']:.2f}]"
        shown = f"{published:.2f}" if published is not None else ""
        line = (f"{baseline:<14}{mode:<12}{100 * interval['value']:>7.2f}  {bounds:<15}"
                f"{100 * macro:>10.2f}{shown:>10}{result['seconds']:>9.1f}")
        if args.cv:
            line += f"{100 * cross_validate(baseline, pooled, train_x, train_y, args.cv, args.seed):>11.2f}"
        if args.seeds and baseline in TUNING_GRIDS:
            spread = [100 * f_avg(test_y, [str(label) for label in
                                           model_for(baseline, pooled, seed).fit(train_x, train_y).predict(test_x)])
                      for seed in range(args.seeds)]
            line += f"  {sum(spread) / len(spread):.2f} [{min(spread):.2f}, {max(spread):.2f}]"
            spreads[(baseline, mode)] = spread
        print(line, flush=True)

    majority = 100 * results[("majority", "per target")]["value"]
    svm = results[("tfidf_svm", "per target")]
    print()
    print(f"majority per target: {majority:.2f} against the published 65.22: "
          f"{'reproduced' if f'{majority:.2f}' == '65.22' else 'NOT reproduced'}")
    inside = 100 * svm["low"] <= 68.98 <= 100 * svm["high"]
    print(f"tfidf_svm per target: {100 * svm['value']:.2f} against the published 68.98 "
          f"(difference {100 * svm['value'] - 68.98:+.2f}; 68.98 is {'inside' if inside else 'outside'} "
          "the 95% interval)")
    for (baseline, mode), spread in spreads.items():
        if mode == "per target" and baseline != "tfidf_nb":
            print(f"{baseline} per target over fold seeds 0-{len(spread) - 1}: mean {sum(spread) / len(spread):.2f}, "
                  f"{sum(score >= 68.98 for score in spread)} of {len(spread)} at or above 68.98")


if __name__ == "__main__":
    main()
