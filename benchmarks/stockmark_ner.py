"""Japanese NER on Stockmark's Wikipedia dataset: the gazetteer and CRF baselines on the standard split.

Runs ``tagline bench stockmark-ner`` through the library (:func:`tagline.eval.bench.run_benchmark`):
../shared/datasets/stockmark-ner-ja/ner.json imported into a fresh workspace that keeps the
dataset's eight entity types, the standard split rebuilt (random.seed(42), 80/10/10, as its
SOURCE.md describes; the importer does this), the dataset built and both entity baselines run:
trained on train + validation, scored on test, span-level exact and partial F1 with 95% bootstrap
intervals, per type. On top of what the command prints, seqeval's report over MeCab tokens of the
CRF's predictions is printed beside the published BERT scores for the same split, which seqeval made,
with the CRF's features and the CPU time the benchmark took.

The CRF's features and its c1/c2 were chosen on the validation split only: each candidate of
``CANDIDATES`` trained on train and scored on validation (``--select`` prints that table again and
does not run the CRF on test). The test split was scored once, with the chosen configuration, which
is the project's CRF baseline (``tagline.eval.entity_features.CHOSEN``); a change to the features
must be chosen the same way, never by looking at test scores.

    python benchmarks/stockmark_ner.py [--data ../shared/datasets] [--resamples 1000] [--select [--only TEXT]]
    python benchmarks/stockmark_ner.py --test TEXT   # one candidate on test, once, after validation chose it
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from dataclasses import replace

from tagline.eval.bench.registry import STOCKMARK_TYPES

# Test-split F1 per type and micro-averaged, as printed by seqeval in the book's notebook (see the
# citation printed with them). "BERT" decodes by argmax, "BERT+Viterbi" the same model with fixed
# BIO transition scores, "BERT-CRF" a model with a trained CRF layer.
PUBLISHED_BERT = {
    "BERT": {"人名": 0.96, "法人名": 0.89, "地名": 0.86, "製品名": 0.79, "政治的組織名": 0.81, "施設名": 0.85,
             "その他の組織名": 0.84, "イベント名": 0.87, "micro": 0.87},
    "BERT+Viterbi": {"人名": 0.96, "法人名": 0.89, "地名": 0.87, "製品名": 0.80, "政治的組織名": 0.85, "施設名": 0.87,
                     "その他の組織名": 0.85, "イベント名": 0.89, "micro": 0.88},
    "BERT-CRF": {"人名": 0.96, "法人名": 0.88, "地名": 0.89, "製品名": 0.84, "政治的組織名": 0.86, "施設名": 0.91,
                 "その他の組織名": 0.82, "イベント名": 0.93, "micro": 0.90},
}

# The configurations compared on validation (train on train, exact span micro-F1 on validation),
# as keyword arguments of CRFTagger and FeatureSettings (over FeatureSettings' defaults: "chosen" in
# the rows before the edges is the configuration chosen before them). The first is the CRF before
# these features.
CANDIDATES: list[tuple[str, dict, dict]] = [
    ("previous (words, shapes, POS, single-token dictionary)", {"features": 2}, {}),
    ("new features, dictionary of every training span", {}, {"dictionary_folds": 0}),
    ("new features, dictionary held out by 5 folds", {}, {"dictionary_folds": 5}),
    ("new features, dictionary held out by 10 folds (chosen)", {}, {}),
    ("new features, 5 folds, window 3, c1 0.1, c2 0.01", {"c1": 0.1, "c2": 0.01},
     {"window": 3, "dictionary_folds": 5}),
    ("chosen features, c1 0.1, c2 0.01", {"c1": 0.1, "c2": 0.01}, {}),
    ("chosen features, 100 iterations", {"max_iterations": 100}, {}),
    ("chosen + conjunctions, parts of speech 3 away, head noun", {}, {"conjunctions": True, "head_noun": True}),
    ("chosen + head noun", {}, {"head_noun": True}),
    ("previous chosen + parts of speech 2 away joined, more UniDic", {}, {"pos_context": True, "more_unidic": True}),
    ("previous chosen + word clusters (32, 128, 512)", {}, {"clusters": 3}),
    ("previous chosen + characters at the token edges, 200 iterations", {"max_iterations": 200}, {"edges": True}),
    ("chosen with edges, 100 iterations (chosen before the runs)", {"max_iterations": 100}, {"edges": True}),
    ("chosen with edges, 140 iterations", {"max_iterations": 140}, {"edges": True}),
    ("chosen, l2sgd c2 0.5, 60 epochs", {"algorithm": "l2sgd", "c2": 0.5, "max_iterations": 60}, {"edges": True}),
    ("chosen, l2sgd c2 0.3, 60 epochs", {"algorithm": "l2sgd", "c2": 0.3, "max_iterations": 60}, {"edges": True}),
    ("chosen, BIOES tags", {"max_iterations": 100}, {"edges": True, "tag_scheme": "BIOES"}),
    ("chosen + character-type runs", {"max_iterations": 100}, {"edges": True, "runs": True}),
    ("chosen + known entity heads", {"max_iterations": 100}, {"edges": True, "heads": "any"}),
    ("chosen + known entity heads ending in kanji", {"max_iterations": 100}, {"edges": True, "heads": "kanji"}),
    ("chosen with edges, 80 iterations", {"max_iterations": 80}, {"edges": True}),
    ("chosen + runs + kanji entity heads", {"max_iterations": 100}, {"edges": True, "runs": True, "heads": "kanji"}),
    ("chosen + runs, c2 0.1", {"max_iterations": 100, "c2": 0.1}, {"edges": True, "runs": True}),
    ("chosen + runs, c1 0.1 (chosen)", {"max_iterations": 100, "c1": 0.1}, {"edges": True, "runs": True}),
    ("chosen, averaged perceptron 10 epochs", {"algorithm": "ap", "max_iterations": 10}, {"edges": True}),
    ("chosen, averaged perceptron 20 epochs", {"algorithm": "ap", "max_iterations": 20}, {"edges": True}),
    ("chosen, passive-aggressive 10 epochs", {"algorithm": "pa", "max_iterations": 10}, {"edges": True}),
    ("chosen, averaged perceptron 50 epochs", {"algorithm": "ap", "max_iterations": 50}, {"edges": True}),
    ("chosen, averaged perceptron 100 epochs", {"algorithm": "ap", "max_iterations": 100}, {"edges": True}),
    ("chosen + conjunctions, head noun, runs, AP 50 epochs", {"algorithm": "ap", "max_iterations": 50},
     {"edges": True, "conjunctions": True, "head_noun": True, "runs": True}),
    ("chosen + character bigrams and trigrams, type bigrams", {"max_iterations": 100, "c1": 0.1},
     {"edges": True, "runs": True, "ngrams": True, "type_bigrams": True}),
    ("chosen + type bigrams", {"max_iterations": 100, "c1": 0.1}, {"edges": True, "runs": True, "type_bigrams": True}),
    ("chosen + words 3 away", {"max_iterations": 100, "c1": 0.1}, {"edges": True, "runs": True, "surface_window": 3}),
    ("chosen + stacking, 2 folds, first CRF 25 iterations", {"max_iterations": 100, "c1": 0.1},
     {"edges": True, "runs": True, "stack": 2, "stack_iterations": 25}),
    ("chosen, dictionary held out by 5 folds", {"max_iterations": 100, "c1": 0.1},
     {"edges": True, "runs": True, "dictionary_folds": 5}),
    ("chosen, dictionary held out by 20 folds", {"max_iterations": 100, "c1": 0.1},
     {"edges": True, "runs": True, "dictionary_folds": 20}),
    ("characters (unit char), c1 0.1", {"max_iterations": 100, "c1": 0.1}, {"unit": "char"}),
    ("characters, c1 0.05", {"max_iterations": 100}, {"unit": "char"}),
    ("characters, window 3", {"max_iterations": 100, "c1": 0.1}, {"unit": "char", "window": 3}),
    ("characters + words (char_words), c1 0.1", {"max_iterations": 100, "c1": 0.1},
     {"unit": "char", "char_words": True}),
    *[(f"combined character and token CRFs, {how}", {"max_iterations": 100, "c1": 0.1},
       {"unit": "char", "char_words": True, "edges": True, "runs": True, "combine": how})
      for how in ("union", "intersection", "confidence", "average")],
    # "cluster_texts": "all": the clusters are learnt from the words of every sentence of the dataset
    # (train, validation and test; those outside training as cluster_texts), texts only, never labels.
    ("character CRF with words, word clusters of every text (no labels)",
     {"max_iterations": 100, "c1": 0.1, "cluster_texts": "all"}, {"unit": "char", "char_words": True, "clusters": 3}),
    ("character CRF with words, c2 0.01", {"max_iterations": 100, "c1": 0.1, "c2": 0.01},
     {"unit": "char", "char_words": True}),
    ("character CRF with words, c2 0.1", {"max_iterations": 100, "c1": 0.1, "c2": 0.1},
     {"unit": "char", "char_words": True}),
]


def _tagger(arguments: dict, settings: dict, texts: list[str]):
    """The CRF of a row of ``CANDIDATES``; ``texts`` are those of the sentences it is not trained on,
    for ``cluster_texts="all"``."""
    from tagline.eval.entities import CRFTagger
    from tagline.eval.entity_features import FeatureSettings

    if arguments.get("cluster_texts") == "all":
        arguments = {**arguments, "cluster_texts": texts}
    # At 200 iterations and c1 0.05 (the defaults when the first rows were measured) unless the row says otherwise.
    return CRFTagger(**{"max_iterations": 200, "c1": 0.05, **arguments}, settings=replace(FeatureSettings(), **settings))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def select_on_validation(workspace, only: list[str] | None = None) -> None:
    """Each of ``CANDIDATES`` (those whose names hold one of ``only``, if given) trained on train and
    scored on validation: how the CRF was chosen."""
    from tagline.eval.entities import span_counts
    from tagline.eval.run.data import load_dataset_dir, task_data

    data = task_data(load_dataset_dir(workspace)[0], "entities")
    parts = {name: [i for i, split in enumerate(data.splits) if split == name] for name in ("train", "validation")}
    print(f"validation split, exact span micro-F1 (train on train; load average {os.getloadavg()[0]:.1f})")
    for name, arguments, settings in CANDIDATES:
        if only and not any(part in name for part in only):
            continue
        cpu, wall = _cpu_seconds(), time.perf_counter()
        tagger = _tagger(arguments, settings, [text for text, split in zip(data.inputs, data.splits)
                                               if split != "train"])
        tagger.fit(*([getattr(data, a)[i] for i in parts["train"]] for a in ("inputs", "langs", "gold")))
        fitted = _cpu_seconds() - cpu, time.perf_counter() - wall
        guess = tagger.predict([data.inputs[i] for i in parts["validation"]], [data.langs[i] for i in parts["validation"]])
        tp, fp, fn = (int(x.sum()) for x in span_counts([data.gold[i] for i in parts["validation"]], guess))
        print(f"{name:<58}{200 * tp / (2 * tp + fp + fn):>7.2f}  training {fitted[0]:>5.0f} s CPU, {fitted[1]:>5.0f} s")


def score_candidate_on_test(workspace, only: str) -> None:
    """The one row of ``CANDIDATES`` whose name holds ``only``, trained on train + validation and
    scored on test, as the benchmark scores its CRF: for a configuration validation chose that is
    not the benchmark's CRF. Run it once, after the choice, never to choose."""
    from tagline.eval.entities import span_metrics
    from tagline.eval.run.data import load_dataset_dir, task_data

    rows = [row for row in CANDIDATES if only in row[0]]
    if len(rows) != 1:
        sys.exit(f"Error: --test {only!r} names {len(rows)} candidates; give text that names one of CANDIDATES")
    name, arguments, settings = rows[0]
    data = task_data(load_dataset_dir(workspace)[0], "entities")
    train = [i for i, split in enumerate(data.splits) if split in ("train", "validation")]
    test = [i for i, split in enumerate(data.splits) if split == "test"]
    cpu = _cpu_seconds()
    tagger = _tagger(arguments, settings, [data.inputs[i] for i in test])
    tagger.fit(*([getattr(data, a)[i] for i in train] for a in ("inputs", "langs", "gold")))
    guess = tagger.predict([data.inputs[i] for i in test], [data.langs[i] for i in test])
    scores = span_metrics([data.gold[i] for i in test], guess, labels=sorted({s[2] for i in test for s in data.gold[i]}))
    print(f"{name}: trained on train + validation in {len(train)} sentences, scored on {len(test)} test sentences, "
          f"{_cpu_seconds() - cpu:.0f} s of CPU (load average {os.getloadavg()[0]:.1f})")
    for mode in ("exact", "partial"):
        f1 = scores["metrics"][f"{mode}_f1"]
        print(f"{mode} span micro-F1 {f1['value'] * 100:.2f} [{f1['low'] * 100:.2f}, {f1['high'] * 100:.2f}]")
    print("per type (exact): " + ", ".join(f"{label} {item['f1'] * 100:.1f}" for label, item in scores["per_class"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None,
                        help="the datasets folder (default: $TAGLINE_DATA, else ../shared/datasets found from here)")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--select", action="store_true",
                        help="compare the candidate CRF configurations on validation; do not run the CRF on test")
    parser.add_argument("--only", action="append", metavar="TEXT",
                        help="with --select, only the candidates whose names hold TEXT (repeatable)")
    parser.add_argument("--test", metavar="TEXT",
                        help="train the one candidate whose name holds TEXT on train + validation and score it "
                             "on test (once, after choosing it on validation); the benchmark's CRF is not run")
    args = parser.parse_args()

    from tagline.errors import TaglineError
    from tagline.eval.bench import run_benchmark
    from tagline.eval.entities import CRFTagger, seqeval_f1, spans_to_bio
    from tagline.eval.entity_features import CHOSEN

    cpu = _cpu_seconds()
    steps: dict[str, float] = {}  # the CPU seconds at which each step began

    def note_step(done: int, total: int, message: str) -> None:
        steps[message] = _cpu_seconds()

    try:
        bench = run_benchmark("stockmark-ner", data=args.data, n_resamples=args.resamples,
                              baselines=["gazetteer"] if args.select or args.test else None, progress=note_step)
    except TaglineError as error:
        sys.exit(f"Error: {error}")
    if args.select:
        select_on_validation(bench.workspace, args.only)
        return
    if args.test:
        score_candidate_on_test(bench.workspace, args.test)
        return
    cpu = _cpu_seconds() - cpu
    print(f"CRF features (chosen on validation): {CHOSEN.describe()}, c1={CRFTagger().c1}, c2={CRFTagger().c2}")
    print(f"import, build, gazetteer and CRF (trained on train + validation): {cpu:.0f} s of CPU at a load "
          f"average of {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if "entities · crf" in steps and "done" in steps:
        print(f"the CRF's run (training, tagging the test split, the intervals): "
              f"{steps['done'] - steps['entities · crf']:.0f} s of CPU")
    workspace = bench.workspace
    print(f"imported {bench.sentences} sentences in {bench.seconds['import']:.1f} s, built in "
          f"{bench.seconds['build']:.1f} s")
    results = {result["baseline"]: result for result in bench.results}

    print("\ntest split, span-level micro scores (95% bootstrap intervals over sentences)")
    print(f"{'baseline':<12}{'exact F1':>26}{'partial F1':>26}{'seconds':>10}")
    for baseline, result in results.items():
        exact, partial = result["metrics"]["exact_f1"], result["metrics"]["partial_f1"]
        print(f"{baseline:<12}{exact['value'] * 100:>9.2f} [{exact['low'] * 100:5.2f}, {exact['high'] * 100:5.2f}]"
              f"{partial['value'] * 100:>10.2f} [{partial['low'] * 100:5.2f}, {partial['high'] * 100:5.2f}]"
              f"{result['seconds']:>10.1f}")
    crf = results["crf"]
    gazetteer = results["gazetteer"]
    print(f"CRF / gazetteer exact F1: {crf['metrics']['exact_f1']['value'] / gazetteer['metrics']['exact_f1']['value']:.2f}")
    print("\nCRF per type (exact): " + ", ".join(f"{label} {item['f1'] * 100:.1f} (n={item['support']})"
                                               for label, item in crf["per_class"].items()))

    # Cross-check: seqeval strict IOB2 F1 on the same predictions, over MeCab tokens.
    import json

    from tagline.corpus.tokenize import tokenize

    texts = {}
    for record in workspace.iter_sentences():
        texts[record["id"]] = record["text"]
    gold_tags, predicted_tags = [], []
    off_edges = gold_spans = 0
    run_dir = workspace.runs_dir / crf["run_id"]
    for line in (run_dir / "predictions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        offsets = tokenize(texts[row["id"]], "ja")
        starts, ends = {start for start, _ in offsets}, {end for _, end in offsets}
        gold_spans += len(row["gold"])
        off_edges += sum(1 for start, end, _ in row["gold"] if start not in starts or end not in ends)
        gold_tags.append(spans_to_bio(offsets, [tuple(s) for s in row["gold"]]))
        predicted_tags.append(spans_to_bio(offsets, [tuple(s) for s in row["pred"]]))
    # A span that starts or ends inside a MeCab token cannot be tagged exactly: the most tokenisation costs.
    print(f"gold spans that start or end inside a MeCab token: {off_edges} of {gold_spans} "
          f"({100 * off_edges / max(gold_spans, 1):.1f}%), the most recall the CRF can lose to tokenisation")
    print(f"seqeval strict IOB2 F1 of the CRF over MeCab tokens: {seqeval_f1(gold_tags, predicted_tags) * 100:.2f}")
    # The published figures are seqeval's classification_report (default mode) over the model's
    # tokens; the CRF's are the same report over MeCab tokens, so the two columns compare alike.
    from seqeval.metrics import classification_report

    report = classification_report(gold_tags, predicted_tags, output_dict=True, zero_division=0)
    print("\nPublished figures on the same test split (seqeval F1, 2 decimals; the book's chapter 6 notebook,")
    print("ghmagazine/llm-book @ 119ca27, chapter06/6-named-entity-recognition.ipynb; BERT = cl-tohoku/bert-base-japanese-v3")
    print("fine-tuned on the 4,274 training sentences, checkpoint chosen on validation; support 1,333 entities, as here).")
    print("The CRF column is the same seqeval report on its predictions, over MeCab tokens:")
    header = f"{'type':<14}" + "".join(f"{name:>14}" for name in PUBLISHED_BERT) + f"{'CRF (here)':>14}"
    print(header)
    print("-" * len(header))
    for japanese, name, _ in STOCKMARK_TYPES:
        row = report.get(name)
        print(f"{name:<14}" + "".join(f"{scores[japanese]:>14.2f}" for scores in PUBLISHED_BERT.values())
              + (f"{row['f1-score']:>14.2f}" if row else f"{'-':>14}"))
    print(f"{'micro':<14}" + "".join(f"{scores['micro']:>14.2f}" for scores in PUBLISHED_BERT.values())
          + f"{report['micro avg']['f1-score']:>14.2f}")
    print(f"workspace: {workspace.root}")


if __name__ == "__main__":
    main()
