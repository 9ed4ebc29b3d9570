"""The one registry of baselines: what each is, the tasks it applies to, whether it can be pooled over
stance targets, the classifier parameters tuning tries, and where its factory is.

`eval run`'s baseline names and their check, the CLI's ``--baselines`` help, the demo's runs, the
table in ``docs/baselines.md`` (``python -m tagline.eval.baselines.table docs/baselines.md``) and
the tests over every baseline are made from :data:`BASELINE_SPECS`: a baseline is added by
registering it here. This module imports only the standard library and the task names, so that
``tagline eval run --help`` lists the baselines without loading scikit-learn; factories are named
``"module:function"`` and loaded when used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, NamedTuple

from tagline.schemas import LABEL_TASKS, TASKS

POOLED = "+pooled"  # suffix of a stance baseline fitted once over all targets, the target given as a token
_TEXT = "tagline.eval.baselines.text"
_ENTITIES = "tagline.eval.entities"


class BaselineSpec(NamedTuple):
    """One registered baseline.

    Its factory takes ``lang=`` and ``random_state=`` (keywords) and gives an unfitted model. For
    stance and claim type the model has ``fit(texts, labels)`` and ``predict(texts)``; stance wraps
    it in a per-target (or pooled) classifier. For entities it has ``fit(texts, langs, spans)`` and
    ``predict(texts, langs)``. A baseline with ``context`` is given each sentence as a
    :class:`~tagline.eval.baselines.debate.DebateLine`: its text (a ``str``) with its document and speaker.
    """

    name: str  # the --baselines value, and the run's `baseline`
    tasks: tuple[str, ...]  # of TASKS
    description: str  # one line, for the docs table
    factory: str  # "module:function"
    poolable: bool = False  # can be fitted once over all stance targets, as NAME+pooled
    # Meant to be fitted over all stance targets (per target it is another baseline): the demo runs NAME+pooled.
    pooled: bool = False
    # Classifier parameter -> the values tuning tries (on validation, or by cross-validation on
    # train); empty when there is nothing to tune.
    grid: dict[str, list[Any]] = {}  # one empty dict shared by the entries without a grid; never changed
    # Reads each sentence with its document and speaker (a tagline.eval.baselines.debate.DebateLine),
    # not its text alone: `eval run` gives it the built dataset's doc_id and speaker columns.
    context: bool = False

    def load_factory(self) -> Callable[..., Any]:
        """The factory function, importing its module."""
        module, attribute = self.factory.split(":")
        factory: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
        return factory


BASELINE_SPECS: tuple[BaselineSpec, ...] = (
    BaselineSpec("majority", LABEL_TASKS, "the most frequent training label (DummyClassifier, most_frequent)",
                 f"{_TEXT}:make_majority", poolable=True),
    BaselineSpec("stratified", LABEL_TASKS,
                 "random labels drawn with the training label distribution (DummyClassifier, stratified)",
                 f"{_TEXT}:make_stratified", poolable=True),
    BaselineSpec("tfidf_logreg", LABEL_TASKS,
                 "TF-IDF n-grams + multinomial logistic regression (lbfgs; C=10 unless tuned)",
                 f"{_TEXT}:make_tfidf_logreg", poolable=True,
                 grid={"C": [1.0, 3.0, 10.0, 30.0, 100.0], "class_weight": [None, "balanced"]}),
    BaselineSpec("tfidf_svm", LABEL_TASKS, "TF-IDF n-grams + linear SVM (LinearSVC; C=1 unless tuned)",
                 f"{_TEXT}:make_tfidf_svm", poolable=True,
                 grid={"C": [0.1, 0.3, 1.0, 3.0, 10.0], "class_weight": [None, "balanced"]}),
    BaselineSpec("tfidf_svm_tweets", ("stance",),
                 "tfidf_svm on tweet tokens: hashtags, @-mentions, emoticons and !? runs kept as words, and each "
                 "hashtag's words split at capitals (#HillaryForPrison: hillary for prison)",
                 "tagline.eval.baselines.tweets:make_tfidf_svm_tweets", poolable=True,
                 grid={"C": [0.1, 0.3, 1.0, 3.0, 10.0], "class_weight": [None, "balanced"]}),
    BaselineSpec("tfidf_svm_tweets_targets", ("stance",),
                 "tfidf_svm_tweets pooled over all targets (as NAME+pooled), every feature shared and also copied in a "
                 "block of the item's own target (feature augmentation); per target it is tfidf_svm_tweets",
                 "tagline.eval.baselines.tweets:make_tfidf_svm_tweets_targets", poolable=True, pooled=True,
                 grid={"C": [0.1, 0.3, 1.0, 3.0, 10.0], "class_weight": [None, "balanced"]}),
    BaselineSpec("tfidf_nb", LABEL_TASKS, "TF-IDF n-grams + complement naive Bayes (alpha=0.1 unless tuned)",
                 f"{_TEXT}:make_tfidf_nb", poolable=True,
                 grid={"alpha": [0.01, 0.03, 0.1, 0.3, 1.0]}),
    BaselineSpec("cues_svm", ("claim_type",),
                 "TF-IDF n-grams + surface cues (length, numbers, percentages, capitalised words, question mark) "
                 "+ linear SVM (C=0.1 unless tuned), for ranking check-worthy sentences",
                 "tagline.eval.baselines.cues:make_cues_svm",
                 grid={"C": [0.03, 0.1, 0.3, 1.0], "class_weight": [None, "balanced"]}),
    BaselineSpec("speaker_svm", ("claim_type",),
                 "cues_svm's features + cues of the debate (the speaker: audience, moderator, share of questions "
                 "and of the debate; the turn's length and the place in it; the place in the debate) + linear SVM "
                 "(C=0.1 unless tuned), for ranking check-worthy sentences",
                 "tagline.eval.baselines.debate:make_speaker_svm", context=True,
                 grid={"C": [0.03, 0.1, 0.3], "class_weight": [None, "balanced"]}),
    BaselineSpec("gazetteer", ("entities",),
                 "longest match of the surface forms seen in training, each with its most frequent label",
                 f"{_ENTITIES}:make_gazetteer"),
    BaselineSpec("crf", ("entities",),
                 "linear-chain CRF over BIO tags on MeCab tokens: words and their neighbours, character types, "
                 "affixes, UniDic fields, tags of the training spans' dictionary",
                 f"{_ENTITIES}:make_crf"),
    BaselineSpec("crf_pair", ("entities",),
                 "a character CRF (the word holding each character among its features) and crf's token CRF, "
                 "trained side by side; where their spans overlap, the more confident model's",
                 "tagline.eval.entity_combine:make_crf_pair"),
)
"""Every baseline, in the order `eval run` runs them and reports them."""

BY_NAME = {spec.name: spec for spec in BASELINE_SPECS}
TEXT_BASELINES = tuple(spec.name for spec in BASELINE_SPECS if set(spec.tasks) & set(LABEL_TASKS))
"""The baselines over texts and labels (stance, claim type)."""
ENTITY_BASELINES = tuple(spec.name for spec in BASELINE_SPECS if "entities" in spec.tasks)
TUNING_METRICS = ("macro_f1", "f_avg", "map")
"""What tuning can maximise: macro-F1 or F_avg over the predicted labels, or ``map``, the mean average
precision of each held-out document's items ranked by the model's score for one label (the CheckThat!
measure; see :class:`~tagline.eval.baselines.tuning.CrossValidatedClassifier`)."""
TUNING_GRIDS: dict[str, dict[str, list[Any]]] = {spec.name: spec.grid for spec in BASELINE_SPECS if spec.grid}
"""The classifier parameters tried when a baseline is tuned, by baseline name. ``class_weight="balanced"``
weighs each class by the inverse of its frequency, which matters for scores that average per-class F1
(macro-F1, F_avg) when one class dominates."""


def names_for(task: str) -> tuple[str, ...]:
    """The baselines that apply to ``task``, in registry order."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    return tuple(spec.name for spec in BASELINE_SPECS if task in spec.tasks)


def find(baseline: str) -> BaselineSpec | None:
    """The entry of a baseline as `eval run` takes it (``NAME`` or ``NAME+pooled``); ``None`` when no
    entry has that name, or when the name asks to pool a baseline that cannot be pooled."""
    spec = BY_NAME.get(baseline.removesuffix(POOLED))
    if spec is None or (baseline.endswith(POOLED) and not spec.poolable):
        return None
    return spec


def reads_context(baseline: str) -> bool:
    """Whether a run of ``baseline`` (as results.json names it) reads each sentence with its document
    and speaker, so a saved model of it is given them too."""
    spec = find(baseline)
    return spec is not None and spec.context


def choices() -> str:
    """The baselines by the tasks they apply to, for help and error messages:
    ``majority, ... (stance, claim_type); gazetteer, crf, crf_pair (entities)``."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for spec in BASELINE_SPECS:
        groups.setdefault(spec.tasks, []).append(spec.name)
    return "; ".join(f"{', '.join(names)} ({', '.join(tasks)})" for tasks, names in groups.items())


def pooled_names() -> tuple[str, ...]:
    """The baselines that can be pooled over stance targets."""
    return tuple(spec.name for spec in BASELINE_SPECS if spec.poolable)
