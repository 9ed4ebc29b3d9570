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
from collections.abc import Iterable, Sequence
from typing import Any

PRIOR_WEIGHT = 0.1
"""How much the standardised prior score weighs beside :mod:`.debate`'s features (as the cues do)."""

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
    return [name for name, sentences in candidates
            if all(len(long(sentences) & other) <= at_most for other in others)]


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
