"""CLEF CheckThat! check-worthiness (2019 Task 1, 2020 Task 5): the organisers' baselines and
tagline's text baselines, scored as the organisers score a run, beside the published figures.

Every sentence of a test debate gets a score (a model's decision function, or its probability of
``check_worthy``), each debate's sentences are ranked by it, and the rankings are measured with
the task's measures (tagline.eval.metrics.ranking: MAP, the official one; reciprocal rank;
R-precision; precision at 1, 3, 5, 10, 20, 50), per debate and averaged over debates. The 95%
interval of MAP is a percentile bootstrap over test debates (seven in 2019, twenty in 2020).

Rows:
- ``random (organisers)`` and ``n-gram SVM (organisers)``: the two baselines of the organisers'
  ``baselines/baselines.py``, re-implemented from its description: Python's ``random.seed(0)``
  then ``random.random()`` per line; unigram TF-IDF and an RBF SVM (2019: C=10, gamma=0.1; 2020:
  C=1, gamma=0.75) ranking by its decision function, trained on all training debates.
- ``majority``: one score for every sentence, so each debate is ranked in its own order.
- ``tfidf_*``: tagline's registered baselines with their default parameters, and ``tuned``: their
  classifier parameters chosen by 5-fold cross-validation over the training debates (a debate
  never split between folds) maximising MAP, then refitted on all training debates. Nothing is
  tuned on the test debates. ``cv MAP`` is the tuning's own estimate, on training debates only.
- ``speaker_svm tuned``: the registered baseline that reads each sentence with its debate and
  speaker (n-grams, surface cues and cues of the debate: speaker, turn, place), tuned the same way.
- ``speaker_svm + ClaimBuster`` (``--rows prior``): ``speaker_svm`` with one more feature, the
  score of a model fitted on ClaimBuster's ``kfold_30ncs.json`` (tagline.eval.baselines.prior),
  without any sentence of the edition's debates; its settings were chosen by leave-one-debate-out
  cross-validation on the training debates (make_speaker_svm_with_prior's docstring).
  ``speaker_svm + CB + 2020`` (2019 only): a second prior, fitted the same way on the CLEF-2020
  Task 5 training debates that are not a version of a CLEF-2019 training or test debate.
- ``+ CB sentences, weight 0.1`` (``--rows corpus``, 2019 only): the ``speaker_svm + CB + 2020``
  model trained on ClaimBuster's sentences (less the edition's) as well as the training debates,
  each weighing 0.1, its ClaimBuster prior cross-fitted (make_speaker_svm_with_corpus's docstring).
- ``+ CB char-n-gram prior`` (``--rows char``, 2019 only): that model with a third prior, fitted
  on the same ClaimBuster sentences over character 3-6-grams (make_char_prior), cross-fitted too;
  chosen by leave-one-debate-out on the training debates (benchmarks/checkthat_more.py).

For 2020 the organisers published only development figures (README: the first 80% of the sorted
training debates train, the last 10 are scored): those rows are run on that split too.

``--edition claimbuster`` runs the workspace route instead, ``tagline bench claimbuster``:
ClaimBuster's ``kfold_25ncs.json`` (2.5xNCS, on which the authors cross-validated 4 folds) imported
into a fresh check-worthiness workspace, built, and scored by ``tagline eval run --cv 4`` (tuning
nested in each fold): macro-F1 and the F1 of ``check_worthy`` with 95% bootstrap intervals.
``tagline bench clef2019-checkthat-task1`` (and ``clef2020-checkthat-task5``) run the registered
baselines through a workspace too, tuned as `eval run` tunes them, and record these measures in
their runs; this script adds the organisers' two recipes and MAP-tuned rows, which the command does not run. The authors' own F1 table could not be
read (SOURCE.md), so no published figure is printed beside them.

    python benchmarks/checkthat.py [--edition 2019|2020|claimbuster|all] [--resamples 1000] [--seed 0]
                                   [--per-debate] [--rows organisers,default,tuned,prior,corpus,char]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

from tagline.annotate.formats.checkworthiness import CHECK_WORTHY, LABELS, checkthat_files, read_checkthat_debate
from tagline.eval.baselines import BY_NAME, make_text_baseline, make_tuned_baseline, positive_scores
from tagline.eval.baselines.debate import DebateLine
from tagline.eval.metrics import CHECKTHAT_CUTOFFS, bootstrap_ranking_ci, grouped_ranking_measures

FOLDERS = {"2019": "clef2019-checkthat-task1", "2020": "clef2020-checkthat-task5"}

# CLEF-2019 CheckThat! Task 1, test set, primary runs: the "Evaluation Results" table of the task's
# README (apepa/clef2019-factchecking-task1, version 2.0, 2019-05-13; SOURCE.md beside the data
# gives the MAP column). MAP, RR, R-P, P@1, P@3, P@5, P@10, P@20, P@50.
MEASURES = ("average_precision", "reciprocal_rank", "r_precision") + tuple(f"precision_at_{k}"
                                                                          for k in CHECKTHAT_CUTOFFS)
PUBLISHED_2019 = {
    "Copenhagen (1st)": (.1660, .4176, .1387, .2857, .2381, .2571, .2286, .1571, .1229),
    "TheEarthIsFlat (2nd)": (.1597, .1953, .2052, .0000, .0952, .2286, .2143, .1857, .1457),
    "IPIPAN (3rd)": (.1332, .2864, .1481, .1429, .0952, .1429, .1714, .1500, .1171),
}
OTHER_PRIMARY_MAP_2019 = {"Terrier": .1263, "UAICS": .1234, "Factify": .1210, "JUNLP": .1162, "nlpir01": .1000,
                          "TOBB ETU": .0884, "IIT (ISM) Dhanbad": .0835, "é proibido cochilar": .0796, "Fire": .0528}
# CLEF-2020 CheckThat! Task 5 README (sshaar/clef2020-factchecking-task5, version 4.0): development
# AP averaged over the last 10 of the sorted training debates, trained on the other 40.
PUBLISHED_2020_DEV = {"random (organisers)": 0.02098366142405398, "n-gram SVM (organisers)": 0.09456735615609717}
ORGANISERS_SVM = {"2019": {"C": 10, "gamma": 0.1}, "2020": {"C": 1, "gamma": 0.75}}
TFIDF = ("tfidf_logreg", "tfidf_svm", "tfidf_nb")


def default_shared() -> Path:
    return Path(os.environ["TAGLINE_SHARED"]) if os.environ.get("TAGLINE_SHARED") else \
        Path(__file__).resolve().parents[2] / "shared"


def load(root: Path, edition: str) -> dict[str, list[tuple[str, list[dict]]]]:
    """Split -> the debates of that split, sorted by file name: (name, rows)."""
    splits: dict[str, list[tuple[str, list[dict]]]] = {}
    for path, split in checkthat_files(root, f"checkthat{edition}"):
        splits.setdefault(split, []).append((path.stem, read_checkthat_debate(path)))
    return splits


def flatten(debates: list[tuple[str, list[dict]]], *, context: bool = False) -> tuple[list[str], list[str], list[str]]:
    """Texts, labels and debates; with ``context``, each text a DebateLine with its debate and speaker
    (as `eval run` gives them to a baseline registered with context=True)."""
    texts, labels, groups = [], [], []
    for name, rows in debates:
        for row in rows:
            texts.append(DebateLine(row["text"], name, row["speaker"]) if context else row["text"])
            labels.append(LABELS[row["label"]])
            groups.append(name)
    return texts, labels, groups


def claimbuster_prior(shared: Path, debates: list[tuple[str, list[dict]]]):
    """The prior of the ``speaker_svm + ClaimBuster`` row: fitted on ClaimBuster's 3xNCS sentences
    less any that is also a sentence of ``debates`` (the edition's training and test debates)."""
    import json

    from tagline.eval.baselines.prior import make_claimbuster_prior, without_texts

    path = shared / "datasets" / "claimbuster" / "kfold_30ncs.json"
    if not path.is_file():
        sys.exit(f"Error: {path} is absent: the prior row fits ClaimBuster's sentences (leave out prior from --rows)")
    items = json.loads(path.read_text(encoding="utf-8"))
    texts, labels = without_texts([item["text"] for item in items], [item["label"] for item in items],
                                  [row["text"] for _, rows in debates for row in rows])
    return make_claimbuster_prior().fit(texts, labels), len(items) - len(texts)


def clef2020_prior(shared: Path, debates: list[tuple[str, list[dict]]]):
    """The second prior of the ``+ CLEF-2020`` row: fitted as the ClaimBuster one on the CLEF-2020
    Task 5 training debates that are not a version of one of ``debates`` (debates_apart)."""
    from tagline.eval.baselines.prior import debates_apart, make_claimbuster_prior

    root = shared / "datasets" / FOLDERS["2020"]
    if not root.is_dir():
        sys.exit(f"Error: {root} is absent: the + CLEF-2020 row fits its training debates (leave out prior from --rows)")
    training = load(root, "2020")["train"]
    kept = set(debates_apart([(name, [row["text"] for row in rows]) for name, rows in training],
                             [(name, [row["text"] for row in rows]) for name, rows in debates]))
    texts, labels = [], []
    for name, rows in training:
        if name in kept:
            texts += [row["text"] for row in rows]
            labels += [row["label"] for row in rows]
    return make_claimbuster_prior().fit(texts, labels), len(kept)


def with_corpus(shared: Path | None, seed: int, char_prior: bool):
    """The ``+ CB sentences`` row (with ``char_prior``, the ``+ CB char-n-gram prior`` one)."""
    def fit_and_score(train, test):
        import json

        from tagline.eval.baselines.prior import (
            CrossFittedPrior,
            make_char_prior,
            make_speaker_svm_with_corpus,
            without_texts,
        )

        if shared is None:
            raise ValueError("the corpus row needs the shared folder")
        path = shared / "datasets" / "claimbuster" / "kfold_30ncs.json"
        if not path.is_file():
            sys.exit(f"Error: {path} is absent: the corpus row trains on ClaimBuster's sentences (leave out "
                     "corpus from --rows)")
        items = json.loads(path.read_text(encoding="utf-8"))
        texts, labels = without_texts([item["text"] for item in items], [LABELS[item["label"]] for item in items],
                                      [row["text"] for _, rows in train + test for row in rows])
        second, kept = clef2020_prior(shared, train + test)
        priors = [CrossFittedPrior().fit(texts, labels), second]
        if char_prior:
            priors.append(CrossFittedPrior(factory=make_char_prior).fit(texts, labels))
        model = make_speaker_svm_with_corpus(texts, labels, *priors, lang="en", random_state=seed)
        lines, debate_labels, _ = flatten(train, context=True)
        model.fit(lines, debate_labels)
        note = (f"trained on {len(texts)} ClaimBuster sentences too (weight {model.weight}); its prior"
                f"{'s' if char_prior else ''} out of fold; CLEF-2020 prior on {kept} debates")
        return positive_scores(model, flatten(test, context=True)[0], positive=CHECK_WORTHY), note
    return fit_and_score


def scorers(edition: str, rows: set[str], seed: int, shared: Path | None = None):
    """(row name, function(train debates, test debates) -> (scores, note)) for every row asked for."""
    def organisers_random(train, test):
        generator = random.Random(0)  # the organisers' script: random.seed(0), one draw per line in order
        return [generator.random() for _, debate in test for _ in debate], ""

    def organisers_svm(train, test):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import Pipeline
        from sklearn.svm import SVC

        texts, labels, _ = flatten(train)
        model = Pipeline([("ngrams", TfidfVectorizer(ngram_range=(1, 1))),
                          ("clf", SVC(kernel="rbf", random_state=0, **ORGANISERS_SVM[edition]))]).fit(texts, labels)
        return positive_scores(model, flatten(test)[0], positive=CHECK_WORTHY), ""

    def ours(name, tuned):
        def fit_and_score(train, test):
            context = BY_NAME[name].context
            texts, labels, groups = flatten(train, context=context)
            if tuned:
                model = make_tuned_baseline(name, lang="en", scoring="map", positive=CHECK_WORTHY, random_state=seed)
                model.fit(texts, labels, groups)
                chosen = ", ".join(f"{key}={value}" for key, value in model.best_params_.items())
                note = f"cv MAP {model.best_score_:.4f}; {chosen}" if model.best_params_ else model.tuning_note_
            else:
                model, note = make_text_baseline(name, lang="en", random_state=seed).fit(texts, labels), ""
            return positive_scores(model, flatten(test, context=context)[0], positive=CHECK_WORTHY), note
        return fit_and_score

    def with_priors(clef2020: bool):
        def fit_and_score(train, test):
            from tagline.eval.baselines.prior import make_speaker_svm_with_prior

            if shared is None:
                raise ValueError("the prior rows need the shared folder")
            prior, dropped = claimbuster_prior(shared, train + test)
            priors, note = [prior], f"ClaimBuster prior without the {dropped} sentences also in these debates"
            if clef2020:
                second, kept = clef2020_prior(shared, train + test)
                priors.append(second)
                note += f"; CLEF-2020 prior on the {kept} training debates apart from these"
            texts, labels, _ = flatten(train, context=True)
            model = make_speaker_svm_with_prior(*priors, lang="en", random_state=seed).fit(texts, labels)
            return positive_scores(model, flatten(test, context=True)[0], positive=CHECK_WORTHY), note
        return fit_and_score

    table = []
    if "organisers" in rows:
        table += [("random (organisers)", organisers_random), ("n-gram SVM (organisers)", organisers_svm)]
    if "default" in rows:
        table += [("majority", ours("majority", False))] + [(name, ours(name, False)) for name in TFIDF]
    if "tuned" in rows:
        table += [(f"{name} tuned", ours(name, True)) for name in TFIDF + ("speaker_svm",)]
    if "prior" in rows:
        table += [("speaker_svm + ClaimBuster", with_priors(False))]
        if edition == "2019":  # the CLEF-2020 debates are 2019's with more: a prior for 2019 alone
            table += [("speaker_svm + CB + 2020", with_priors(True))]
    if "corpus" in rows and edition == "2019":
        table += [("+ CB sentences, weight 0.1", with_corpus(shared, seed, False))]
    if "char" in rows and edition == "2019":
        table += [("+ CB char-n-gram prior", with_corpus(shared, seed, True))]
    return table


def report(title: str, train, test, table, args, published: dict[str, float] | None = None) -> dict[str, dict]:
    """Fit and score every row on one train/test split; print a line per row; return the results."""
    print(f"\n{title}: train {len(train)} debates ({sum(len(d) for _, d in train)} sentences), "
          f"scored on {len(test)} debates ({sum(len(d) for _, d in test)} sentences, "
          f"{sum(row['label'] for _, d in test for row in d)} check-worthy)")
    header = (f"{'row':<26}{'MAP':>7}  {'95% interval':<16}{'RR':>7}{'R-P':>7}"
              + "".join(f"{'P@' + str(k):>7}" for k in CHECKTHAT_CUTOFFS) + f"{'seconds':>9}"
              + (f"{'published':>11}" if published else "") + "  note")
    print(header)
    print("-" * len(header))
    _, test_labels, test_groups = flatten(test)
    results = {}
    for name, fit_and_score in table:
        started = time.perf_counter()
        scores, note = fit_and_score(train, test)
        seconds = time.perf_counter() - started
        result = grouped_ranking_measures(test_labels, scores, test_groups, positive=CHECK_WORTHY)
        interval = bootstrap_ranking_ci(result["per_group"], n_resamples=args.resamples,
                                        random_state=args.seed)["average_precision"]
        mean = result["mean"]
        results[name] = result
        line = (f"{name:<26}{mean['average_precision']:>7.4f}  [{interval['low']:.4f}, {interval['high']:.4f}]"
                f"{mean['reciprocal_rank']:>7.4f}{mean['r_precision']:>7.4f}"
                + "".join(f"{mean[f'precision_at_{k}']:>7.4f}" for k in CHECKTHAT_CUTOFFS) + f"{seconds:>9.1f}")
        if published:
            line += f"{published[name]:>11.4f}" if name in published else f"{'':>11}"
        print(line + (f"  {note}" if note else ""), flush=True)
    if args.per_debate:
        names = list(results)
        print(f"\naverage precision per debate ({', '.join(f'{i + 1} = {n}' for i, n in enumerate(names))})")
        for debate, rows in test:
            n_worthy = sum(row["label"] for row in rows)
            print(f"  {debate:<42}{len(rows):>6} sentences {n_worthy:>4} check-worthy "
                  + " ".join(f"{results[n]['per_group'][debate]['average_precision']:.3f}" for n in names))
    return results


def claimbuster(shared: Path, args: argparse.Namespace) -> None:
    """ClaimBuster 2.5xNCS through a workspace: ``tagline bench claimbuster`` (import, build, ``eval run --cv 4``)."""
    from tagline.errors import TaglineError
    from tagline.eval.bench import run_benchmark

    try:
        bench = run_benchmark("claimbuster", data=shared / "datasets", seed=args.seed, n_resamples=args.resamples)
    except TaglineError as error:
        sys.exit(f"Error: {error}")
    print(f"\nClaimBuster kfold_25ncs.json (`tagline bench claimbuster`): {bench.sentences} sentences imported in "
          f"{bench.seconds['import']:.1f} s and built in {bench.seconds['build']:.1f} s; 4-fold cross-validation "
          "(stratified, tagline's folds), parameters tuned inside each fold by 5-fold cross-validation on its "
          "training part (macro-F1)")
    header = f"{'baseline':<14}{'macro-F1':>9}  {'95% interval':<16}{'F1 check_worthy':>16}{'accuracy':>10}{'seconds':>9}"
    print(header)
    print("-" * len(header))
    for result in bench.results:
        macro = result["metrics"]["macro_f1"]
        print(f"{result['baseline']:<14}{macro['value']:>9.4f}  [{macro['low']:.4f}, {macro['high']:.4f}]"
              f"{result['per_class'][CHECK_WORTHY]['f1']:>16.4f}{result['metrics']['accuracy']['value']:>10.4f}"
              f"{result['seconds']:>9.1f}", flush=True)
    print(f"workspace: {bench.workspace.root}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=None, help="the shared folder (default: ../shared)")
    parser.add_argument("--edition", choices=("2019", "2020", "claimbuster", "all"), default="all")
    parser.add_argument("--rows", default="organisers,default,tuned,prior",
                        help="comma-separated: organisers, default, tuned, prior, corpus, char (default: the first four)")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples of the test debates")
    parser.add_argument("--seed", type=int, default=0, help="seed of the tuning folds, the models and the bootstrap")
    parser.add_argument("--per-debate", action="store_true", help="also print each test debate's average precision")
    args = parser.parse_args()
    rows = set(args.rows.split(","))
    if not rows <= {"organisers", "default", "tuned", "prior", "corpus", "char"}:
        sys.exit(f"--rows takes organisers, default, tuned, prior, corpus and char, not {', '.join(sorted(rows))}")

    import sklearn
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # small sparse problems: BLAS threads only contend on two busy cores
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    # LinearSVC at the grid's large C stops at its iteration limit on some folds; those settings
    # are scored as they are (they lose), which is what the warning would say each time.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    shared = args.shared or default_shared()
    print(f"CLEF CheckThat! check-worthiness; scikit-learn {sklearn.__version__}, seed {args.seed}, "
          f"{args.resamples} bootstrap resamples of the test debates. Measures: the organisers' scorer's "
          "(mean over debates; ties in line order).")
    for edition in (["2019", "2020", "claimbuster"] if args.edition == "all" else [args.edition]):
        if edition == "claimbuster":
            claimbuster(shared, args)
            continue
        root = shared / "datasets" / FOLDERS[edition]
        if not root.is_dir():
            sys.exit(f"{root} is absent: this benchmark reads the CheckThat! data from ../shared/datasets/ "
                     "(see SOURCE.md there), or pass --shared DIR")
        data = load(root, edition)
        table = scorers(edition, rows, args.seed, shared)
        if edition == "2019":
            published = {name: values[0] for name, values in PUBLISHED_2019.items()}
            results = report("CLEF-2019 Task 1, test debates", data["train"], data["test"], table, args)
            print("\npublished primary runs on the same test debates (task README):")
            for name, values in PUBLISHED_2019.items():
                print(f"{name:<26}{values[0]:>7.4f}  {'':<16}" + "".join(f"{value:>7.4f}" for value in values[1:]))
            print("  then " + ", ".join(f"{name} {value:.4f}" for name, value in OTHER_PRIMARY_MAP_2019.items()))
            best = max(results.items(), key=lambda item: item[1]["mean"]["average_precision"], default=None)
            if best:
                value = best[1]["mean"]["average_precision"]
                print(f"\nbest row here: {best[0]} MAP {value:.4f}; the top primary run's {published['Copenhagen (1st)']:.4f} "
                      f"is {'reached' if value >= published['Copenhagen (1st)'] else 'NOT reached'}")
        else:
            train = data["train"]
            cut = int(0.8 * len(train))
            report("CLEF-2020 Task 5, the organisers' development split (the last 10 sorted training debates)",
                   train[:cut], train[cut:], table, args, published=PUBLISHED_2020_DEV)
            report("CLEF-2020 Task 5, test debates (no test figures here: the official results sheet could not "
                   "be read, SOURCE.md)", train, data["test"], table, args)


if __name__ == "__main__":
    main()
