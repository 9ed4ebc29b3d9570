"""The text baselines as scikit-learn Pipelines: TF-IDF features by language, and one factory per
baseline of the registry (:mod:`tagline.eval.baselines.registry`).

scikit-learn takes over a second to import, and the CLI must not pay that for ``--help``, so the
factories import it inside.

Feature and hyperparameter defaults were measured, never on test data: for English, 3 × 5-fold
cross-validation on the SemEval-2016 Task 6 training data (one model per target); for Japanese,
the validation split of the bundled sample corpus (see ``benchmarks/semeval2016.py``).
"""

from __future__ import annotations

import re
from typing import Any

from tagline.eval.baselines.registry import BY_NAME, TEXT_BASELINES

BASELINES: tuple[tuple[str, str], ...] = tuple((name, BY_NAME[name].description) for name in TEXT_BASELINES)
"""The text baselines in the order to run and report them, each with its one-line description."""

BASELINE_NAMES = TEXT_BASELINES

# Languages written without spaces between words get character n-grams only.
_UNSEGMENTED = {"ja", "zh"}


def _language(lang: str) -> str:
    if not isinstance(lang, str) or not lang.strip():
        raise ValueError(f"lang must be a language code such as 'ja' or 'en', got {lang!r}")
    return re.split(r"[-_]", lang.strip().lower())[0]


def text_features(lang: str) -> Any:
    """An unfitted TF-IDF feature extractor for texts in ``lang``.

    Parameters
    ----------
    lang : str
        A language code (``"ja"``, ``"en"``, ``"ja-JP"``...).

    Returns
    -------
    TfidfVectorizer or Pipeline
        Japanese (and Chinese): character 1–3-grams (``char_wb``), since there are no spaces to
        split words on. Other languages: word 1–3-grams (single-character words kept) together
        with character 2–5-grams (``char_wb``), as in the SemEval-2016 organisers' baseline, the
        two joined and then L2-normalised once as one vector. Lowercased, raw term frequencies,
        ``min_df=1`` so a tiny corpus keeps every n-gram.

    Notes
    -----
    One L2 norm over the joined word and character vector, rather than one per block (each
    block then weighing as much as the other), was chosen by nested cross-validation on the
    SemEval-2016 training tweets alone (train + trial, outer 5-fold stratified by target and
    label, the usual per-target tuning inside each outer fold, two repeats): F_avg 69.51 ± 0.15
    against 68.75 ± 0.53, better in both repeats. Character n-grams far outnumber word n-grams in
    a tweet, so the joined norm gives them most of the weight.

    Measured with one L2 norm per block (before the joined norm above): ``char_wb`` and ``char``
    scored the same within noise on both measurements (SemEval, 5 × 5-fold
    cross-validation on train: F_avg 68.5 against 68.3, repeat-to-repeat sd 0.2–0.6; Japanese
    sample, validation split: equal for two classifiers, ``char_wb`` one sentence of 8 better for
    the SVM); ``char_wb`` is kept because it builds fewer n-grams (about 2.5× faster on SemEval)
    and does not join a Latin-script word to the characters around it. Keeping one-character
    words, lowercasing, sublinear or binary term frequencies and stripping ``#SemST`` all moved
    the SemEval score by less than that noise.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    if _language(lang) in _UNSEGMENTED:
        return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=1)
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import Normalizer

    return Pipeline([
        ("ngrams", FeatureUnion([
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 3), token_pattern=r"(?u)\b\w+\b", min_df=1,
                                      norm=None)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=1, norm=None)),
        ])),
        ("l2", Normalizer(norm="l2")),
    ])



def make_text_baseline(name: str, *, lang: str, random_state: int = 0) -> Any:
    """An unfitted scikit-learn Pipeline for the baseline called ``name``, on texts in ``lang``.

    Parameters
    ----------
    name : str
        One of :data:`BASELINE_NAMES`, the registry's text baselines: ``majority``, ``stratified``,
        ``tfidf_logreg``, ``tfidf_svm``, ``tfidf_nb``.
    lang : str
        Language of the texts, which picks the features (see :func:`text_features`).
    random_state : int, default 0
        Seed for the stratified dummy and the linear models.

    Returns
    -------
    sklearn.pipeline.Pipeline
        ``fit(texts, labels)`` / ``predict(texts)`` on lists of strings. The TF-IDF baselines
        have the steps ``features`` and ``classifier`` (so ``classifier__C`` sets C); the dummy
        baselines have only ``classifier`` and ignore the texts. Every baseline fits on a class
        with a single example; the linear models need at least two classes.

    Raises
    ------
    ValueError
        For an unknown name or an empty language code.

    Notes
    -----
    Logistic regression uses ``lbfgs`` (multinomial): ``liblinear`` refuses three or more
    classes in scikit-learn 1.9, and ``saga`` was slower here (13 s against 9 s on 2,914 tweets).

    C and alpha come from 3 × 5-fold cross-validation on the SemEval-2016 training data, one model
    per target, with one L2 norm per feature block (F_avg ×100): LinearSVC C=0.03 54.2, 0.1 61.4,
    0.3 66.7, 1 68.3, 3 68.6; LogisticRegression C=1 64.7, 10 68.1, 100 68.4; ComplementNB
    alpha=0.01 65.4, 0.03 66.5, 0.1 67.2, 0.3 62.6, 1 56.8. Small C underfits TF-IDF features badly.

    Examples
    --------
    >>> model = make_text_baseline("majority", lang="ja")
    >>> model.fit(["a", "b", "c"], ["X", "X", "Y"]).predict(["d"]).tolist()
    ['X']
    """
    if name not in BASELINE_NAMES:
        raise ValueError(f"unknown baseline {name!r}; expected one of {', '.join(BASELINE_NAMES)}")
    _language(lang)
    model: Any = BY_NAME[name].load_factory()(lang=lang, random_state=random_state)
    return model


def make_majority(*, lang: str, random_state: int = 0) -> Any:
    """The ``majority`` baseline: the most frequent training label; the texts are not read."""
    return _dummy("most_frequent", random_state)


def make_stratified(*, lang: str, random_state: int = 0) -> Any:
    """The ``stratified`` baseline: labels drawn at random with the training distribution."""
    return _dummy("stratified", random_state)


def make_tfidf_logreg(*, lang: str, random_state: int = 0) -> Any:
    """The ``tfidf_logreg`` baseline: TF-IDF features and multinomial logistic regression, C=10."""
    from sklearn.linear_model import LogisticRegression

    return _tfidf(lang, LogisticRegression(C=10.0, solver="lbfgs", max_iter=5000, random_state=random_state))


def make_tfidf_svm(*, lang: str, random_state: int = 0) -> Any:
    """The ``tfidf_svm`` baseline: TF-IDF features and a linear SVM, C=1."""
    from sklearn.svm import LinearSVC

    return _tfidf(lang, LinearSVC(C=1.0, random_state=random_state))


def make_tfidf_nb(*, lang: str, random_state: int = 0) -> Any:
    """The ``tfidf_nb`` baseline: TF-IDF features and complement naive Bayes, alpha=0.1 (no randomness)."""
    from sklearn.naive_bayes import ComplementNB

    return _tfidf(lang, ComplementNB(alpha=0.1))


def _dummy(strategy: str, random_state: int) -> Any:
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import Pipeline

    return Pipeline([("classifier", DummyClassifier(strategy=strategy, random_state=random_state))])


def _tfidf(lang: str, classifier: Any) -> Any:
    from sklearn.pipeline import Pipeline

    return Pipeline([("features", text_features(lang)), ("classifier", classifier)])
