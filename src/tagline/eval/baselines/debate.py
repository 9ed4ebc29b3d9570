"""The ``speaker_svm`` baseline: :mod:`.cues`' n-grams and surface cues joined with cues of where a
sentence is said in its debate (who says it, how that speaker talks, the turn it is in), for ranking
the sentences of a debate by check-worthiness.

A baseline registered with ``context=True`` is given each sentence as a :class:`DebateLine`: a
``str`` (its text, so n-gram features read it as they read any text) that also carries its
document and its speaker (the built dataset's ``speaker`` column). The debate cues of a sentence
are computed over the sentences given with it, grouped by document in the order given (the
dataset's order, which is each document's): a debate's test sentences are scored together, as the
task scores them. Plain strings are sentences of one document without a speaker.

scikit-learn is imported inside the factory (see :mod:`.cues`); :func:`debate_cues` is a
module-level function, so a fitted model saves and loads with skops as the other baselines do.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

DEBATE_CUES = ("audience", "speaker_question_share", "speaker_share", "log_turn_length", "place_in_turn",
               "opens_turn", "place_in_debate", "log_speaker_turn_length", "answers_question", "moderator")
"""The columns of :func:`debate_cues`, in order."""

AUDIENCE = "SYSTEM"
"""The speaker CheckThat! debates give audience reactions (applause, laughter, crosstalk)."""

MODERATOR_QUESTION_SHARE = 0.25
"""A speaker (other than the audience) more than this share of whose sentences in a debate are
questions is taken for a moderator."""


class DebateLine(str):
    """A sentence's text, with the document it is in (``doc_id``) and who says it (``speaker``,
    ``None`` when unknown).

    Examples
    --------
    >>> line = DebateLine("Taxes rose.", "debate-1", "TRUMP")
    >>> (line, line.doc_id, line.speaker, line.upper())
    ('Taxes rose.', 'debate-1', 'TRUMP', 'TAXES ROSE.')
    """

    doc_id: str
    speaker: str | None

    def __new__(cls, text: str, doc_id: str = "", speaker: str | None = None) -> DebateLine:
        line = super().__new__(cls, text)
        line.doc_id, line.speaker = doc_id, speaker
        return line

    def __reduce__(self) -> tuple:  # pickled with its document and speaker (joblib's workers get them)
        return (DebateLine, (str(self), self.doc_id, self.speaker))


def debate_lines(texts: Sequence[str], doc_ids: Sequence[str], speakers: Sequence[str | None]) -> list[DebateLine]:
    """Each text as a :class:`DebateLine` with its document and speaker."""
    if not len(texts) == len(doc_ids) == len(speakers):
        raise ValueError(f"{len(texts)} texts, {len(doc_ids)} documents and {len(speakers)} speakers")
    return [DebateLine(text, doc_id, speaker) for text, doc_id, speaker in zip(texts, doc_ids, speakers)]


def debate_cues(lines: Iterable[str]) -> Any:
    """The debate cues of each sentence, one row of :data:`DEBATE_CUES` per sentence.

    Parameters
    ----------
    lines : iterable of str
        :class:`DebateLine` items (plain strings: one document, no speaker), each document's in its
        order. A turn is a run of consecutive sentences of one speaker.

    Returns
    -------
    numpy.ndarray
        float, shape ``(n, 10)``: whether the speaker is the audience (:data:`AUDIENCE`); the share
        of the speaker's sentences in the document that end with ``?``; the speaker's share of the
        document's sentences; log(1 + sentences of the turn); the place in the turn (0 for its
        first sentence, up to but excluding 1); whether it opens its turn; the place in the
        document (0 to below 1); log(1 + the speaker's mean turn length); whether the sentence
        before is another speaker's question; whether the speaker is a moderator
        (:data:`MODERATOR_QUESTION_SHARE`).

    Examples
    --------
    >>> lines = [DebateLine(t, "d", s) for t, s in [("Why?", "HOST"), ("Taxes rose 5%.", "A"), ("Yes.", "A")]]
    >>> debate_cues(lines).round(2).tolist()[1]
    [0.0, 0.0, 0.67, 1.1, 0.0, 1.0, 0.33, 1.1, 1.0, 0.0]
    """
    import numpy as np

    documents: dict[str, list[int]] = defaultdict(list)
    items = list(lines)
    for position, line in enumerate(items):
        documents[getattr(line, "doc_id", "")].append(position)
    rows = np.zeros((len(items), len(DEBATE_CUES)))
    for positions in documents.values():
        speakers = [getattr(items[p], "speaker", None) for p in positions]
        questions = [items[p].rstrip().endswith("?") for p in positions]
        rows[positions] = _document_cues(speakers, questions)
    return rows


def _document_cues(speakers: list[str | None], questions: list[bool]) -> list[tuple]:
    import numpy as np

    n = len(speakers)
    said = Counter(speakers)
    asked = Counter(speaker for speaker, question in zip(speakers, questions) if question)
    turn_starts = [i for i in range(n) if i == 0 or speakers[i] != speakers[i - 1]] + [n]
    turn_of: list[tuple[int, int]] = []  # (start, length) of each sentence's turn
    turn_lengths: dict[str | None, list[int]] = defaultdict(list)
    for start, end in zip(turn_starts, turn_starts[1:]):
        turn_of += [(start, end - start)] * (end - start)
        turn_lengths[speakers[start]].append(end - start)
    rows = []
    for i, speaker in enumerate(speakers):
        start, length = turn_of[i]
        question_share = asked[speaker] / said[speaker]
        answers = i > 0 and speakers[i - 1] != speaker and questions[i - 1]
        rows.append((speaker == AUDIENCE, question_share, said[speaker] / n, np.log1p(length), (i - start) / length,
                     i == start, i / n, np.log1p(np.mean(turn_lengths[speaker])), answers,
                     speaker != AUDIENCE and question_share > MODERATOR_QUESTION_SHARE))
    return rows


def make_speaker_svm(*, lang: str, random_state: int = 0) -> Any:
    """The ``speaker_svm`` baseline: :func:`~tagline.eval.baselines.cues.cue_features` joined with the
    standardised :func:`debate_cues` (weighted as the surface cues, by
    :data:`~tagline.eval.baselines.cues.CUES_WEIGHT`), and a linear SVM, C=0.1.

    Notes
    -----
    Chosen by cross-validation grouped by debate on the 19 CLEF-2019 CheckThat! Task 1 training
    debates alone (5 folds, scikit-learn's ``GroupKFold``; each held-out debate's sentences ranked
    by the SVM's decision function; MAP over the held-out debates; the test debates were not looked
    at while choosing). On the same folds, ``cues_svm``'s features at C=0.1: 0.235; with these ten
    cues: 0.243 (C=0.05: 0.241, C=0.2: 0.233; cue weight 0.05: 0.242, 0.2: 0.243; class weight 3
    for check-worthy: 0.239). Each cue alone added 0.000 (audience) to 0.006 (place in the
    debate); the speaker and turn cues without the place in the debate gave 0.237. Measured and
    left out: the words of the sentences before and after in the same turn (0.242), a rank average
    with an SVM on words (0.233) or logistic regression on character n-grams (0.226), and a linear
    SVM on differences of check-worthy and other sentences' features within a debate (0.232 alone,
    0.241 averaged with this model).
    """
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler
    from sklearn.svm import LinearSVC

    from tagline.eval.baselines.cues import CUES_WEIGHT, cue_features
    from tagline.eval.baselines.text import _language

    _language(lang)
    debate = Pipeline([("extract", FunctionTransformer(debate_cues)), ("scale", StandardScaler())])
    features = FeatureUnion([("text", cue_features(lang)), ("debate", debate)],
                            transformer_weights={"text": 1.0, "debate": CUES_WEIGHT})
    return Pipeline([("features", features), ("classifier", LinearSVC(C=0.1, random_state=random_state))])
