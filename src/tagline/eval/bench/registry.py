"""The one registry of public benchmarks `tagline bench` runs: where each one's files are, how they
are imported, which baselines run, the official measure, and the figures published for it.

The command's ``NAME`` choices, ``tagline bench --list``, the table in the README (``python -m
tagline.eval.bench.table``) and the tests are made from :data:`BENCHMARKS`: a benchmark is added by
registering it here. This module imports only the standard library, so that ``tagline bench --help``
names the benchmarks without loading scikit-learn; the work is in :mod:`tagline.eval.bench.runner`.
"""

from __future__ import annotations

from typing import NamedTuple


class Published(NamedTuple):
    """A figure published for a benchmark: who made it, its value on the scale of the run's metric
    (0 to 1), as it was printed, and where it comes from (split, measure, source)."""

    system: str
    value: float
    printed: str
    note: str


class BenchmarkSpec(NamedTuple):
    """One registered benchmark."""

    name: str  # the NAME of `tagline bench NAME`
    title: str  # one line, for --list and the README
    folder: str  # the folder under the datasets folder that holds its files
    sources: tuple[str, ...]  # what is imported, in order: paths inside the folder ("." is the folder itself)
    needs: tuple[str, ...]  # files and folders inside the folder that must be there
    fmt: str  # the import format (tagline.annotate.formats.registry)
    task: str  # of tagline.schemas.TASKS
    language: str  # of the workspace
    split: str  # how the figures are made, in words (how parameters are tuned goes in ``tuning``)
    measure: str  # the official measure: a key of the run's metrics
    measure_name: str  # how the papers name it
    baselines: tuple[str, ...]  # run by default (tagline.eval.baselines.registry)
    published: tuple[Published, ...] = ()
    published_note: str = ""  # what to know about the published figures (or why there are none)
    scale: int = 1  # figures are printed times this (100 where the papers print percentages)
    decimals: int = 4
    cv: int | None = None  # K-fold cross-validation instead of the official train/test split
    targets: tuple[str, ...] = ()  # stance targets of the workspace
    tuning: str = ""  # how the baselines' parameters are tuned, in words: said only when they are
    claim_types: str = "full-fact"  # the claim-type label set of the workspace
    entity_types: tuple[tuple[str, str, str], ...] = ()  # (the dataset's label, ours, key) for entities
    ranking: bool = False  # also scored as rankings of each document's sentences (CheckThat!)
    duration: str = ""  # how long `tagline bench NAME` took, wall time, on two cores shared with other work

    def described(self, tuned: bool) -> str:
        """How the figures are made, in words, naming the tuning only when the parameters were tuned."""
        return f"{self.split}, {self.tuning}" if tuned and self.tuning else self.split

    def shown(self, value: float) -> str:
        """A figure as the benchmark's papers print it: times :attr:`scale`, to :attr:`decimals`
        places, without the leading zero of a fraction (``.1660``, ``68.98``)."""
        text = f"{value * self.scale:.{self.decimals}f}"
        return text.replace("0.", ".", 1) if text.startswith("0.") else text

    def command(self) -> str:
        """The command that reproduces the benchmark's figures."""
        return f"tagline bench {self.name}"


SEMEVAL_TARGETS = ("Atheism", "Climate Change is a Real Concern", "Feminist Movement", "Hillary Clinton",
                   "Legalization of Abortion")
STOCKMARK_TYPES = (("人名", "PERSON", "p"), ("法人名", "COMPANY", "c"), ("地名", "LOCATION", "l"),
                   ("製品名", "PRODUCT", "r"), ("政治的組織名", "POLITICAL_ORG", "g"), ("施設名", "FACILITY", "f"),
                   ("その他の組織名", "OTHER_ORG", "o"), ("イベント名", "EVENT", "e"))
_SEMEVAL_FILES = ("semeval2016-task6-trainingdata.txt", "trialdata-all-annotations.txt",
                  "SemEval2016-Task6-subtaskA-testdata-gold.txt")
_CHECKTHAT_2019 = "CLEF-2019 CheckThat! Task 1 README, test debates, primary runs"
_BERT = "seqeval micro F1 on the same test split (llm-book, chapter 6 notebook)"

BENCHMARKS: tuple[BenchmarkSpec, ...] = (
    BenchmarkSpec(
        "semeval2016-task6", "SemEval-2016 Task 6 Task A: stance of tweets toward five targets",
        "semeval2016-task6", _SEMEVAL_FILES, _SEMEVAL_FILES, "semeval2016", "stance", "en",
        "train + trial (2,914 tweets), gold test (1,249 tweets); one model per target", "f_avg", "F_avg",
        ("majority", "tfidf_svm", "tfidf_svm_tweets", "tfidf_svm_tweets_targets+pooled"),
        (Published("Majority class (organisers)", 0.6522, "65.22", "Mohammad et al. 2016, Table 6"),
         Published("SVM-ngrams (organisers)", 0.6898, "68.98", "Mohammad et al. 2016, Table 6")),
        scale=100, decimals=2, targets=SEMEVAL_TARGETS, duration="about 3 min",
        tuning="tuned by 5-fold cross-validation on train"),
    BenchmarkSpec(
        "stockmark-ner", "Stockmark Japanese Wikipedia NER: eight entity types",
        "stockmark-ner-ja", ("ner.json",), ("ner.json",), "stockmark-ner", "entities", "ja",
        "the llm-book split (random.seed(42), 80/10/10): train + validation 4,808 sentences, test 535",
        "exact_f1", "span F1 (exact)", ("gazetteer", "crf", "crf_pair"),
        (Published("BERT", 0.87, ".87", _BERT), Published("BERT+Viterbi", 0.88, ".88", _BERT),
         Published("BERT-CRF", 0.90, ".90", _BERT)),
        published_note="seqeval's micro F1 over the model's tokens; ours is exact span F1 over characters",
        decimals=3, entity_types=STOCKMARK_TYPES, duration="about 5 min (the CRFs)"),
    BenchmarkSpec(
        "clef2019-checkthat-task1", "CLEF-2019 CheckThat! Task 1: check-worthy sentences in political debates",
        "clef2019-checkthat-task1", (".",), ("training", "test_annotated"), "checkthat2019", "claim_type", "en",
        "19 training debates (16,421 sentences), 7 test debates (7,080); each test debate's sentences ranked "
        "by the model's score for check_worthy", "map", "MAP",
        ("majority", "tfidf_svm", "tfidf_logreg", "cues_svm", "speaker_svm"),
        (Published("Copenhagen (1st primary run)", 0.1660, ".1660", _CHECKTHAT_2019),
         Published("TheEarthIsFlat (2nd)", 0.1597, ".1597", _CHECKTHAT_2019),
         Published("IPIPAN (3rd)", 0.1332, ".1332", _CHECKTHAT_2019)),
        claim_types="check-worthiness", ranking=True, duration="about 30 min"),
    BenchmarkSpec(
        "clef2020-checkthat-task5", "CLEF-2020 CheckThat! Task 5: check-worthy sentences in political debates",
        "clef2020-checkthat-task5", (".",), ("training", "test_gold"), "checkthat2020", "claim_type", "en",
        "50 training debates (42,776 sentences, v2 labels), 20 test debates (21,514); each test debate's "
        "sentences ranked by the model's score for check_worthy", "map", "MAP",
        ("majority", "tfidf_svm", "tfidf_logreg"),
        (Published("n-gram SVM (organisers)", 0.09456735615609717, ".0946",
                   "development split only (last 10 training debates), task README"),
         Published("random (organisers)", 0.02098366142405398, ".0210",
                   "development split only (last 10 training debates), task README")),
        published_note="the official test results are in a spreadsheet that could not be read; the organisers' "
                       "figures are on their development split, not the test debates",
        claim_types="check-worthiness", ranking=True, duration="about 60 min"),
    BenchmarkSpec(
        "claimbuster", "ClaimBuster 2.5xNCS: check-worthy factual sentences in US presidential debates",
        "claimbuster", ("kfold_25ncs.json",), ("kfold_25ncs.json",), "claimbuster", "claim_type", "en",
        "4-fold cross-validation on the 9,674 sentences (the authors' protocol; tagline's stratified folds)",
        "macro_f1", "macro-F1", ("majority", "tfidf_svm", "tfidf_nb"),
        published_note="the authors' per-model F1 table could not be read, and their folds cannot be rebuilt "
                       "from the file, so nothing is printed beside ours",
        cv=4, claim_types="check-worthiness", duration="about 27 min",
        tuning="parameters tuned inside each fold"),
)
"""Every benchmark, in the order `--list` and the README show them."""

BY_NAME = {spec.name: spec for spec in BENCHMARKS}
BENCHMARK_NAMES = tuple(spec.name for spec in BENCHMARKS)


def find(name: str) -> BenchmarkSpec:
    """The registered benchmark ``name``; a :class:`~tagline.errors.DataError` naming the others when
    there is none."""
    spec = BY_NAME.get(name)
    if spec is None:
        from tagline.errors import DataError

        raise DataError(f"no benchmark is named {name!r}", fix=f"choose one of {', '.join(BENCHMARK_NAMES)}")
    return spec
