"""Active learning on public data: how many labels `--order uncertain` needs against random order.

Simulated annotation: a pool of labelled sentences whose labels are revealed only when the order
picks them. Each round the built-in model is fitted on the labels revealed so far, scored on the
official test split, and (for ``uncertain``) asked how unsure it is of every sentence left in the
pool; the most uncertain come next. ``random`` takes the next ones at random. Both start from the
same random seed set, and the curves are averaged over seeds 0..N-1.

* **Stance**, SemEval-2016 Task 6 Task A: the pool is the official training split (train + trial,
  2,914 tweets), one TF-IDF logistic regression per target as the built-in suggester fits it
  (each tweet asks the stance toward its own target, and one ranking covers all targets, as in a
  session), scored by the official F_avg on the gold test split (1,249 tweets). Seed set: 20
  random tweets per target. The curves stop at 1,800 labelled tweets (``--stance-end``): the
  rounds past it cost the most and both orders reach 95% well before it.
* **Entities**, Stockmark NER: the pool is a random sample (``--ner-pool``, drawn with seed 0) of
  the training split of the standard split (4,274 sentences), the built-in CRF, scored by exact
  span micro F1 on the test split (535 sentences). Seed set: 20 random sentences.

After the seed set, each round adds ``max(--min-batch, --growth x labelled)`` sentences, so the
curves have few points where they flatten. "Labels to 95%" is where the mean curve first reaches
95% of the F1 of the same model trained on the whole pool, linearly interpolated between the two
rounds around it; the per-seed range is printed beside it, and the same for 98%.

The logistic regression here is solved with ``newton-cg`` instead of the built-in ``lbfgs``: the
same convex objective, solved 10x faster; the output prints how many test predictions the two
solvers' full-pool models share. Tokens are made once per sentence (the CRF's features still
change with its dictionary of labelled entities, as in the built-in model).

    python benchmarks/active_learning.py [--shared ../shared] [--tasks stance,entities] [--seeds 5]
        [--measures least_confidence | all | NAME,NAME] [--ner-pool 300]
        [--stance-end 1800] [--min-batch 50] [--growth 0.25]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tagline.eval.uncertainty import MEASURE, MEASURES, class_uncertainty, crf_uncertainty

GOAL = 0.95  # share of the full-pool F1 that counts as "reached"
# Also printed: on stance, 95% of the full F_avg is about what the majority class scores, so a
# stricter goal shows whether the order still helps where the model has learnt something.
STRICTER_GOAL = 0.98


@dataclass
class Simulation:
    """One task as the benchmark simulates it: a pool, how to fit, score and question a model."""

    name: str
    pool_size: int
    seed_set: Callable[[random.Random], list[int]]
    fit: Callable[[list[int]], Any]
    score: Callable[[Any], float]
    uncertainty: Callable[[Any, list[int], str], list[float]]
    characters: Callable[[list[int]], int]
    notes: list[str]


def schedule(start: int, end: int, min_batch: int, growth: float) -> list[int]:
    """Labelled counts at which the model is fitted and scored, from the seed set to ``end``."""
    counts = [start]
    while counts[-1] < end:
        following = counts[-1] + max(min_batch, round(growth * counts[-1]))
        counts.append(end if end - following < min_batch else following)
    return counts


def run_curve(simulation: Simulation, strategy: str, seed: int, counts: list[int]) -> tuple[list[float], list[int]]:
    """F1 and characters labelled at each count, choosing by ``strategy`` (``random`` or a measure)."""
    rng = random.Random(seed)
    labelled = simulation.seed_set(rng)
    seeded = set(labelled)
    unlabelled = [index for index in range(simulation.pool_size) if index not in seeded]
    rng.shuffle(unlabelled)  # the random order, and the tie-break of equal uncertainties
    scores, characters = [], []
    for position in range(len(counts)):
        model = simulation.fit(labelled)
        scores.append(simulation.score(model))
        characters.append(simulation.characters(labelled))
        if position + 1 == len(counts):
            break
        wanted = counts[position + 1] - len(labelled)
        if strategy != "random":
            uncertainty = simulation.uncertainty(model, unlabelled, strategy)
            ranked = sorted(range(len(unlabelled)), key=lambda i: -uncertainty[i])
            unlabelled = [unlabelled[i] for i in ranked]
        labelled, unlabelled = labelled + unlabelled[:wanted], unlabelled[wanted:]
    return scores, characters


def reached(counts: list[int], curve: list[float], goal: float) -> float | None:
    """The labelled count where ``curve`` first reaches ``goal``, interpolated; None if it never does."""
    for i, value in enumerate(curve):
        if value >= goal:
            if i == 0:
                return float(counts[0])
            before = curve[i - 1]
            return counts[i - 1] + (counts[i] - counts[i - 1]) * (goal - before) / (value - before)
    return None


def stance_simulation(directory: Path, notes: list[str]) -> tuple[Simulation, Callable[[], tuple[float, float]]]:
    from tagline.annotate.formats.semeval2016 import read_semeval2016_split
    from tagline.eval.baselines import make_text_baseline
    from tagline.eval.metrics import f_avg

    pool = list(read_semeval2016_split(directory, "train"))
    test = list(read_semeval2016_split(directory, "test"))
    targets = sorted({tweet["target"] for tweet in pool})
    test_by_target = {target: [i for i, tweet in enumerate(test) if tweet["target"] == target] for target in targets}
    gold = [tweet["label"] for tweet in test]

    def make(solver: str) -> Any:
        return make_text_baseline("tfidf_logreg", lang="en").set_params(classifier__solver=solver)

    def fit(labelled: list[int], solver: str = "newton-cg") -> dict[str, Any]:
        models: dict[str, Any] = {}
        for target in targets:
            mine = [pool[i] for i in labelled if pool[i]["target"] == target]
            labels = [tweet["label"] for tweet in mine]
            if len(set(labels)) < 2:  # the built-in model trains nothing here; predict what was seen
                models[target] = statistics.mode(labels) if labels else "NONE"
                continue
            models[target] = make(solver).fit([tweet["text"] for tweet in mine], labels)
        return models

    def predict(models: dict[str, Any]) -> list[str]:
        guesses = [""] * len(test)
        for target, indices in test_by_target.items():
            model = models[target]
            labels = [model] * len(indices) if isinstance(model, str) else \
                model.predict([test[i]["text"] for i in indices])
            for i, label in zip(indices, labels):
                guesses[i] = str(label)
        return guesses

    def uncertainty(models: dict[str, Any], unlabelled: list[int], measure: str) -> list[float]:
        found = [1.0] * len(unlabelled)  # no model yet for the target: as unsure as can be
        for target in targets:
            model = models[target]
            mine = [k for k, i in enumerate(unlabelled) if pool[i]["target"] == target]
            if isinstance(model, str) or not mine:
                continue
            scores = class_uncertainty(model.predict_proba([pool[unlabelled[k]]["text"] for k in mine]), measure)
            for k, value in zip(mine, scores):
                found[k] = float(value)
        return found

    def seed_set(rng: random.Random) -> list[int]:
        return [i for target in targets for i in rng.sample([i for i, t in enumerate(pool) if t["target"] == target], 20)]

    def solvers_agree() -> tuple[float, float]:
        """Share of test predictions the full-pool models share under both solvers, and lbfgs's F_avg."""
        everything = list(range(len(pool)))
        mine, builtin = predict(fit(everything)), predict(fit(everything, "lbfgs"))
        return sum(a == b for a, b in zip(mine, builtin)) / len(test), f_avg(gold, builtin)

    majority = {target: statistics.mode([t["label"] for t in pool if t["target"] == target]) for target in targets}
    notes.append(f"pool: SemEval-2016 train + trial, {len(pool)} tweets over {len(targets)} targets; test: gold test, "
                 f"{len(test)} tweets; model: tfidf_logreg per target; score: F_avg (pooled, as eval.pl)")
    notes.append(f"for scale: the per-target majority class scores F_avg "
                 f"{100 * f_avg(gold, [majority[tweet['target']] for tweet in test]):.2f}")
    simulation = Simulation("stance (SemEval-2016 Task 6, F_avg)", len(pool), seed_set, fit,
                            lambda models: f_avg(gold, predict(models)), uncertainty,
                            lambda labelled: sum(len(pool[i]["text"]) for i in labelled), notes)
    return simulation, solvers_agree


def entity_simulation(source: Path, pool_size: int, notes: list[str]) -> Simulation:
    from tagline.annotate.formats.benchmarks import read_stockmark
    from tagline.annotate.formats.common import ReadOptions
    from tagline.corpus.tokenize import UniDicFields, tokenize_with_fields
    from tagline.eval.entities import CRFTagger, span_counts

    def read(split: str) -> list[tuple[str, list[tuple[int, int, str]]]]:
        records = read_stockmark(source, ReadOptions(split=split)).records
        return [(record.text, [(span.start, span.end, span.label) for span in record.answers[0].spans])
                for record in records]

    train, test = read("train"), read("test")
    pool = random.Random(0).sample(train, min(pool_size, len(train)))
    tokens: dict[str, Any] = {}

    class TokenCachedCRF(CRFTagger):
        """The built-in CRF, with each sentence tokenised once for the whole benchmark."""

        def _tokenize(self, text: str, lang: str) -> tuple[list[tuple[int, int]], list[UniDicFields]]:
            if text not in tokens:
                tokens[text] = tokenize_with_fields(text, lang)
            return tokens[text]

    def fit(labelled: list[int]) -> CRFTagger:
        chosen = [pool[i] for i in labelled]
        return TokenCachedCRF().fit([text for text, _ in chosen], ["ja"] * len(chosen), [spans for _, spans in chosen])

    def score(tagger: CRFTagger) -> float:
        predicted = tagger.predict([text for text, _ in test], ["ja"] * len(test))
        tp, fp, fn = (int(counts.sum()) for counts in span_counts([spans for _, spans in test], predicted))
        return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0

    def uncertainty(tagger: CRFTagger, unlabelled: list[int], measure: str) -> list[float]:
        found = []
        for i in unlabelled:
            _, features = tagger._sentence_features(pool[i][0], "ja")
            value = crf_uncertainty(tagger.model.tagger_, features, measure)
            found.append(0.0 if value is None else value)
        return found

    notes.append(f"pool: {len(pool)} sentences drawn (seed 0) from the {len(train)} of Stockmark's training split; "
                 f"test: its test split, {len(test)} sentences; model: the built-in CRF; score: exact span micro F1")
    return Simulation("entities (Stockmark NER, span F1)", len(pool), lambda rng: rng.sample(range(len(pool)), 20),
                      fit, score, uncertainty, lambda labelled: sum(len(pool[i][0]) for i in labelled), notes)


def report(simulation: Simulation, counts: list[int], full: float, curves: dict[str, list[list[float]]],
           characters: dict[str, list[list[int]]]) -> None:
    strategies = list(curves)
    print(f"\nF1 x100 by labelled count (mean over {len(curves['random'])} seeds, sd in brackets); "
          f"full pool {100 * full:.2f}, 95% of it {100 * GOAL * full:.2f}")
    print(f"{'labelled':>9}" + "".join(f"{name:>22}" for name in strategies))
    for k, count in enumerate(counts):
        cells = []
        for name in strategies:
            values = [100 * curve[k] for curve in curves[name]]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):>15.2f} ({spread:4.2f})")
        print(f"{count:>9}" + "".join(cells))
    for share in (GOAL, STRICTER_GOAL):
        report_goal(simulation, counts, share, share * full, curves, characters)


def report_goal(simulation: Simulation, counts: list[int], share: float, goal: float,
                curves: dict[str, list[list[float]]], characters: dict[str, list[list[int]]]) -> None:
    print(f"labels to reach {100 * share:.0f}% of the full-pool F1 ({simulation.name}):")
    needed = {}
    for name in curves:
        mean_curve = [statistics.mean(values) for values in zip(*curves[name])]
        needed[name] = reached(counts, mean_curve, goal)
        per_seed = [reached(counts, curve, goal) for curve in curves[name]]
        known = [value for value in per_seed if value is not None]
        mean_characters = [statistics.mean(values) for values in zip(*characters[name])]
        chars = reached(mean_characters, mean_curve, goal)
        shown = f"{needed[name]:7.0f}" if needed[name] is not None else f"not reached by {counts[-1]}"
        seeds = f"per seed {min(known):.0f}-{max(known):.0f}" if known else "no seed reached it"
        never = f"; {len(per_seed) - len(known)} seeds never" if len(known) < len(per_seed) else ""
        print(f"  {name:<18} {shown} of {simulation.pool_size} ({seeds}{never})"
              + (f", {chars:,.0f} characters" if chars is not None else ""))
    for name in curves:
        if name != "random" and needed[name] and needed["random"]:
            print(f"  ratio {name} / random: {needed[name] / needed['random']:.2f}")


def run_task(simulation: Simulation, strategies: list[str], seeds: int, counts: list[int]) -> None:
    started = time.perf_counter()
    full = simulation.score(simulation.fit(list(range(simulation.pool_size))))
    print(f"\n== {simulation.name}")
    for note in simulation.notes:
        print(note)
    print(f"rounds at {counts}")
    curves: dict[str, list[list[float]]] = {name: [] for name in strategies}
    characters: dict[str, list[list[int]]] = {name: [] for name in strategies}
    for seed in range(seeds):
        for name in strategies:
            scores, labelled_characters = run_curve(simulation, name, seed, counts)
            curves[name].append(scores)
            characters[name].append(labelled_characters)
        print(f"  seed {seed} done at {time.perf_counter() - started:.0f} s", flush=True)
    report(simulation, counts, full, curves, characters)
    print(f"{simulation.name}: {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--tasks", default="stance,entities", help="stance, entities or both (comma-separated)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--measures", default=MEASURE,
                        help=f"uncertainty measures to compare with random: {', '.join(MEASURES)}, or all")
    parser.add_argument("--ner-pool", type=int, default=300, help="sentences of Stockmark's training split in the pool")
    parser.add_argument("--stance-end", type=int, default=1800,
                        help="labelled tweets where the stance curves stop (the full-pool score uses all)")
    parser.add_argument("--min-batch", type=int, default=50, help="smallest batch (stance; entities take half)")
    parser.add_argument("--growth", type=float, default=0.25, help="batch as a share of the labelled count")
    args = parser.parse_args()
    measures = list(MEASURES) if args.measures == "all" else args.measures.split(",")
    unknown = [name for name in measures if name not in MEASURES]
    if unknown:
        sys.exit(f"unknown measure {', '.join(unknown)}; use {', '.join(MEASURES)} or all")
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # small fits: BLAS threads only fight over the two cores
    started = time.perf_counter()
    print(f"active learning: random against {', '.join(measures)}; seeds 0-{args.seeds - 1}")
    tasks = args.tasks.split(",")
    if "stance" in tasks:
        directory = args.shared / "datasets" / "semeval2016-task6"
        if not directory.is_dir():
            print(f"skipped stance: {directory} is absent (see benchmarks/semeval2016.py)")
        else:
            simulation, solvers_agree = stance_simulation(directory, [])
            agree, builtin_f_avg = solvers_agree()
            simulation.notes.append(f"newton-cg and the built-in lbfgs agree on {100 * agree:.1f}% of test predictions "
                                    f"after full-pool training (lbfgs F_avg {100 * builtin_f_avg:.2f})")
            run_task(simulation, ["random", *measures], args.seeds,
                     schedule(100, min(args.stance_end, simulation.pool_size), args.min_batch, args.growth))
    if "entities" in tasks:
        source = args.shared / "datasets" / "stockmark-ner-ja" / "ner.json"
        if not source.is_file():
            print(f"skipped entities: {source} is absent")
        else:
            simulation = entity_simulation(source, args.ner_pool, [])
            run_task(simulation, ["random", *measures], args.seeds,
                     schedule(20, simulation.pool_size, max(1, args.min_batch // 2), args.growth))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
