"""A second corpus's model as one more cue: ``speaker_svm``'s features joined with the score of a
model fitted beforehand on other data (a *prior*), such as ClaimBuster's check-worthy factual
sentences, for ranking the sentences of a debate by check-worthiness.

The prior is fitted once, on its own corpus, and is not refitted with the ranking model: the
ranking model learns how much to trust its score beside the n-grams and the cues of the debate.
This is not in the baselines registry, whose baselines learn from the workspace's data alone; the
CheckThat! benchmark (``benchmarks/checkthat.py --rows prior``) fits the prior on ClaimBuster.

scikit-learn is imported inside the factories (see :mod:`.cues`); :func:`prior_scores` is a
module-level function, so a fitted model pickles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

PRIOR_WEIGHT = 0.1
"""How much the standardised prior score weighs beside :mod:`.debate`'s features (as the cues do)."""

CORPUS_WEIGHT = 0.1
"""The sample weight of each sentence of a second corpus trained on beside the debates' (each
debate sentence weighs 1); see :func:`make_speaker_svm_with_corpus`."""

_SPACE = re.compile(r"\s+")


def normalised(text: str) -> str:
    """A sentence as :func:`without_texts` compares it: lowercased, runs of white space made one
    space, stripped."""
    return _SPACE.sub(" ", text).strip().lower()


def without_texts(texts: Sequence[str], labels: Sequence[Any], exclude: Iterable[str]) -> tuple[list[str], list[Any]]:
    """The texts (and their labels) that are not among ``exclude``, compared :func:`normalised`:
    a prior must not have seen the sentences it will score, or a cross-validation or a test over
    them would reward it for remembering them."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts and {len(labels)} labels")
    seen = {normalised(text) for text in exclude}
    kept = [(text, label) for text, label in zip(texts, labels) if normalised(text) not in seen]
    return [text for text, _ in kept], [label for _, label in kept]


def debates_apart(candidates: Sequence[tuple[str, Sequence[str]]], debates: Sequence[tuple[str, Sequence[str]]], *,
                  at_most: int = 20, min_words: int = 6) -> list[str]:
    """The names of the ``candidates`` (name, sentences) that are not a version of one of ``debates``:
    no more than ``at_most`` of their sentences of ``min_words`` words or more are, :func:`normalised`,
    sentences of any one of ``debates``. Another edition's copy of a debate, or a part of it, shares
    hundreds; two different debates share a few set phrases."""
    def long(sentences: Sequence[str]) -> set[str]:
        return {normalised(text) for text in sentences if len(text.split()) >= min_words}

    others = [long(sentences) for _, sentences in debates]
    apart = []
    for name, sentences in candidates:
        mine = long(sentences)  # once per candidate, not once per debate it is compared with
        if all(len(mine & other) <= at_most for other in others):
            apart.append(name)
    return apart


def make_claimbuster_prior() -> Any:
    """An unfitted prior: TF-IDF word 1–2-grams and character 2–5-grams (``char_wb``), sublinear
    term frequencies, n-grams seen in at least two texts, and logistic regression (C=3). Fitted on
    ClaimBuster's two-class sentences (check-worthy factual or not), its decision function scores
    how much a sentence reads like a factual claim worth checking; fitted on other debates'
    check-worthiness labels, how much it reads like what their fact-checkers chose."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    ngrams = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2))])
    return Pipeline([("ngrams", ngrams), ("classifier", LogisticRegression(C=3.0, max_iter=2000))])


def make_char_prior() -> Any:
    """An unfitted prior on other features than :func:`make_claimbuster_prior`'s: TF-IDF character
    3–6-grams that cross word boundaries (``char``), sublinear term frequencies, n-grams seen in at
    least three texts, the 300,000 most frequent, and logistic regression (C=3). Fitted on the same
    ClaimBuster sentences, it is a third prior of :func:`make_speaker_svm_with_corpus`."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline([("ngrams", TfidfVectorizer(analyzer="char", ngram_range=(3, 6), sublinear_tf=True, min_df=3,
                                                max_features=300_000)),
                     ("classifier", LogisticRegression(C=3.0, max_iter=2000))])


def prior_scores(texts: Iterable[str], prior: Any) -> Any:
    """The fitted prior's decision function for each text (as a plain ``str``), one column."""
    import numpy as np

    return np.asarray(prior.decision_function([str(text) for text in texts]), dtype=float).reshape(-1, 1)


def make_speaker_svm_with_prior(*priors: Any, lang: str, random_state: int = 0) -> Any:
    """``speaker_svm`` (:func:`~tagline.eval.baselines.debate.make_speaker_svm`) with one more
    feature per fitted prior: its :func:`prior_scores`, standardised and weighted by
    :data:`PRIOR_WEIGHT`; a linear SVM, C=0.1. Give it :class:`~.debate.DebateLine` items.

    Notes
    -----
    Chosen by leave-one-debate-out cross-validation on the 19 CLEF-2019 CheckThat! Task 1 training
    debates alone (each held-out debate ranked by the decision function, MAP over the 19; the
    prior fitted on ClaimBuster's ``kfold_30ncs.json`` without any sentence of the CheckThat!
    debates). ``speaker_svm``: 0.2511; the prior alone, never trained on CheckThat! labels: 0.2402;
    this model: 0.2585, +0.0074 over ``speaker_svm`` (95% bootstrap interval of the mean
    difference over debates [-0.0019, +0.0160]; better on 14 of 19 debates); prior weight 0.3:
    0.2586. Measured and left out: a rank average of ``speaker_svm`` and the prior (0.2557 at 0.2
    of the prior, 0.2546 at 0.4), and adding the 35 CLEF-2020 Task 5 training debates that share
    no debate with CLEF-2019 to the training data (0.2512 at weight 0.3; 5-fold: +0.008 at weight 1,
    within the spread). Two priors, ClaimBuster's and one fitted the same way on those 35 CLEF-2020
    debates (:func:`debates_apart`; alone 0.1997): 0.2621, +0.0111 over ``speaker_svm`` ([+0.0015,
    +0.0202]; better on 15 of 19 debates), +0.0037 over ClaimBuster's prior alone ([-0.0020,
    +0.0094]).
    """
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler
    from sklearn.svm import LinearSVC

    from tagline.eval.baselines.debate import make_speaker_svm

    if not priors:
        raise ValueError("give at least one fitted prior")
    speaker = make_speaker_svm(lang=lang, random_state=random_state).named_steps["features"]
    parts: list[tuple[str, Any]] = [("speaker", speaker)]
    weights = {"speaker": 1.0}
    for number, prior in enumerate(priors, 1):
        name = "prior" if number == 1 else f"prior{number}"
        parts.append((name, Pipeline([("extract", FunctionTransformer(prior_scores, kw_args={"prior": prior})),
                                      ("scale", StandardScaler())])))
        weights[name] = PRIOR_WEIGHT
    features = FeatureUnion(parts, transformer_weights=weights)
    return Pipeline([("features", features), ("classifier", LinearSVC(C=0.1, random_state=random_state))])


class CrossFittedPrior:
    """A prior (``factory()``, by default :func:`make_claimbuster_prior`) fitted on a corpus, whose
    score for a sentence of that corpus is out of fold: the score of a model fitted on the other
    ``folds - 1`` folds
    (stratified, shuffled with ``random_state``), so that a ranking model trained on that corpus
    too sees the prior score its sentences as it scores unseen ones, not as it scores what it
    remembers. Any other sentence gets the score of the prior fitted on the whole corpus.
    Sentences are matched :func:`normalised`."""

    def __init__(self, folds: int = 5, random_state: int = 0,
                 factory: Callable[[], Any] = make_claimbuster_prior) -> None:
        self.folds, self.random_state, self.factory = folds, random_state, factory

    def fit(self, texts: Sequence[str], labels: Sequence[Any]) -> CrossFittedPrior:
        import numpy as np
        from sklearn.model_selection import StratifiedKFold

        texts, targets = [str(text) for text in texts], np.asarray(labels)
        self.model_ = self.factory().fit(texts, targets)
        self.out_of_fold_: dict[str, float] = {}
        splits = StratifiedKFold(self.folds, shuffle=True, random_state=self.random_state).split(texts, targets)
        for fit_rows, score_rows in splits:
            model = self.factory().fit([texts[i] for i in fit_rows], targets[fit_rows])
            scores = model.decision_function([texts[i] for i in score_rows])
            self.out_of_fold_.update((normalised(texts[i]), float(score)) for i, score in zip(score_rows, scores))
        return self

    def decision_function(self, texts: Iterable[str]) -> Any:
        import numpy as np

        texts = [str(text) for text in texts]
        scores = np.asarray(self.model_.decision_function(texts), dtype=float) if texts else np.zeros(0)
        for i, text in enumerate(texts):
            scores[i] = self.out_of_fold_.get(normalised(text), scores[i])
        return scores


class WithCorpus:
    """A ranking model of debate sentences trained on a second corpus too: ``fit(lines, labels)``
    fits ``model`` on the debate lines and on ``texts`` (with ``labels``, in the debates' label
    vocabulary), each of those weighing ``weight`` against 1 for a debate sentence (the
    classifier step's ``sample_weight``). A sentence of the second corpus is given as a debate of
    its own (a :class:`~.debate.DebateLine` alone in its document, no speaker), so its cues of the
    debate are those of a lone sentence. Scores with ``decision_function``."""

    def __init__(self, model: Any, texts: Sequence[str], labels: Sequence[Any], weight: float = CORPUS_WEIGHT) -> None:
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts and {len(labels)} labels")
        self.model, self.texts, self.labels, self.weight = model, list(texts), list(labels), weight

    def fit(self, lines: Sequence[str], labels: Sequence[Any]) -> WithCorpus:
        from tagline.eval.baselines.debate import DebateLine

        extra = [DebateLine(str(text), f"corpus sentence {i}", None) for i, text in enumerate(self.texts)]
        weights = [1.0] * len(lines) + [self.weight] * len(extra)
        self.model.fit(list(lines) + extra, list(labels) + self.labels, classifier__sample_weight=weights)
        self.classes_ = self.model.classes_
        return self

    def decision_function(self, lines: Sequence[str]) -> Any:
        return self.model.decision_function(lines)

    def predict(self, lines: Sequence[str]) -> Any:
        return self.model.predict(lines)


def make_speaker_svm_with_corpus(texts: Sequence[str], labels: Sequence[Any], *priors: Any,
                                 weight: float = CORPUS_WEIGHT, lang: str, random_state: int = 0) -> WithCorpus:
    """:func:`make_speaker_svm_with_prior` with ``priors`` (fit a prior of ``texts`` as a
    :class:`CrossFittedPrior`) trained on the debates and on ``texts`` (:class:`WithCorpus`, each
    weighing ``weight``). Give it :class:`~.debate.DebateLine` items.

    Notes
    -----
    Chosen by leave-one-debate-out cross-validation on the 19 CLEF-2019 CheckThat! Task 1 training
    debates alone (``benchmarks/checkthat_variants.py``; ClaimBuster's ``kfold_30ncs.json`` less
    every sentence of the CLEF-2019 debates as the second corpus; the ClaimBuster and CLEF-2020
    priors of the ``speaker_svm + CB + 2020`` row). With the n-grams fitted once on all the
    training debates (a fast approximation): the two-prior model without ClaimBuster's
    sentences .2653; with them at weight 0.03 .2700, 0.05 .2719, 0.1 .2763, 0.2 .2718, 0.3 .2706;
    at 0.1, +.0109 over the two-prior model (95% bootstrap interval over debates [-.0069, +.0346],
    ahead on 10 of 19): within the spread. Every feature also copied in a block of the debate
    sentences alone, with a column for the corpus (feature augmentation): .2580 to .2593, lower.
    Each model refitted whole in every fold (``--honest-corpus``): the two-prior model .2621, this
    one at weight 0.1 .2679, +.0058 ([-.0096, +.0213], ahead on 12 of 19): within the spread too.
    Scored on the CLEF-2019 test debates once, as chosen: .1630 (``checkthat.py --rows corpus``).
    Measured against it afterwards and left out (``benchmarks/checkthat_extra.py``, mean differences
    over the 19 debates, none beyond the spread): the CLEF-2020 debates apart from CLEF-2019 as
    training data too (-.0030 to +.0003), their prior fitted on 55 debates rather than 35 (+.0014),
    ten more claim cues (-.0082 at weight 0.1), bagging by debate (-.0041), gradient boosting
    stacked on its score (-.0166). Then (``benchmarks/checkthat_more.py``) a third prior,
    :func:`make_char_prior` cross-fitted on the same sentences, was the best of nine candidates
    (+.0013 there); refitted whole in every fold, .2741 against .2679, +.0062 ([+.0003, +.0153],
    ahead on 12 of 19). Scored on the test debates once, as chosen: .1651 (``--rows char``).
    """
    return WithCorpus(make_speaker_svm_with_prior(*priors, lang=lang, random_state=random_state), texts, labels,
                      weight)
