"""Combining the token CRF and the character CRF of the entities: each model's tag marginals
(CRFsuite's forward-backward probabilities) read over the characters of the sentence, and spans
taken from both by one of :data:`COMBINATIONS`.

A token's marginals are spread over its characters: the first character keeps them, the others
read ``B-X`` as ``I-X`` (they lie inside the token's span). A span's confidence under a model is the
mean marginal of its characters' tags (``B-X`` on the first, ``I-X`` on the others).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tagline.eval.entities import CRFTagger

Span = tuple[int, int, str]
Marginals = Sequence[Mapping[str, float]]

COMBINATIONS = ("union", "intersection", "confidence", "average")
"""``union``: every span of either model, overlaps settled by the higher confidence (mean of the two
models' confidences); ``intersection``: the spans both models found; ``confidence``: of each group of
overlapping spans the one of highest confidence, a span one model alone found kept only when its
confidence (mean of the two models') is at least one half; ``average``: the two models' character
marginals averaged and decoded into the most probable valid BIO sequence."""


def char_marginals(length: int, offsets: Sequence[tuple[int, int]], marginals: Marginals) -> list[dict[str, float]]:
    """Marginals over ``offsets`` (tokens, or characters) spread over the ``length`` characters of the
    sentence; a character outside every position (a space MeCab skipped) is ``O`` for certain.

    >>> char_marginals(3, [(0, 2), (2, 3)], [{"B-P": 0.75, "I-P": 0.0, "O": 0.25}, {"B-P": 0.0, "I-P": 0.5, "O": 0.5}])
    [{'B-P': 0.75, 'I-P': 0.0, 'O': 0.25}, {'B-P': 0.0, 'I-P': 0.75, 'O': 0.25}, {'B-P': 0.0, 'I-P': 0.5, 'O': 0.5}]
    """
    labels = sorted({tag for position in marginals for tag in position})
    out = [{tag: 1.0 if tag == "O" else 0.0 for tag in labels or ["O"]} for _ in range(length)]
    for (start, end), position in zip(offsets, marginals):
        out[start] = dict(position)
        inside = {tag: 0.0 for tag in position}
        for tag, p in position.items():
            key = "I-" + tag[2:] if tag.startswith("B-") else tag
            inside[key] = inside.get(key, 0.0) + p
        for i in range(start + 1, end):
            out[i] = dict(inside)
    return out


def span_confidence(marginals: Marginals, span: Span) -> float:
    """The mean marginal of the span's character tags (``B-`` its label on the first, ``I-`` on the
    others) and of the span ending there (the character after it not ``I-`` the label).

    >>> span_confidence([{"B-P": 0.9, "I-P": 0.0}, {"B-P": 0.0, "I-P": 0.5}], (0, 2, "P"))
    0.7
    >>> span_confidence([{"B-P": 0.9, "I-P": 0.0}, {"B-P": 0.0, "I-P": 0.5}], (0, 1, "P"))
    0.7
    """
    start, end, label = span
    total = marginals[start].get(f"B-{label}", 0.0)
    total += sum(marginals[i].get(f"I-{label}", 0.0) for i in range(start + 1, end))
    if end < len(marginals):
        return (total + 1.0 - marginals[end].get(f"I-{label}", 0.0)) / (end - start + 1)
    return total / (end - start)


def decode_bio(marginals: Marginals) -> list[str]:
    """The BIO tag sequence of highest summed log marginal that reads as spans (no ``I-X`` after
    ``O``, after another label or at the start).

    >>> decode_bio([{"B-P": 0.4, "I-P": 0.0, "O": 0.6}, {"B-P": 0.0, "I-P": 0.9, "O": 0.1}])
    ['B-P', 'I-P']
    """
    if not marginals:
        return []
    tags = sorted({tag for position in marginals for tag in position})

    def allowed(before: str | None, tag: str) -> bool:
        return not tag.startswith("I-") or before is not None and before != "O" and before[2:] == tag[2:]

    def log(p: float) -> float:
        return math.log(p) if p > 0 else -1e9

    score = {tag: log(marginals[0].get(tag, 0.0)) if allowed(None, tag) else -math.inf for tag in tags}
    back: list[dict[str, str]] = []
    for position in marginals[1:]:
        new, pointers = {}, {}
        for tag in tags:
            best = max((before for before in tags if allowed(before, tag)), key=lambda before: score[before])
            new[tag], pointers[tag] = score[best] + log(position.get(tag, 0.0)), best
        score = new
        back.append(pointers)
    path = [max(tags, key=lambda tag: score[tag])]
    for pointers in reversed(back):
        path.append(pointers[path[-1]])
    return path[::-1]


def bio_char_spans(tags: Sequence[str]) -> list[Span]:
    """The spans of character BIO tags as :func:`decode_bio` writes them.

    >>> bio_char_spans(["B-P", "I-P", "O", "B-L", "B-L"])
    [(0, 2, 'P'), (3, 4, 'L'), (4, 5, 'L')]
    """
    spans: list[Span] = []
    for i, tag in enumerate(tags):
        if tag.startswith("B-"):
            spans.append((i, i + 1, tag[2:]))
        elif tag.startswith("I-") and spans and spans[-1][1] == i and spans[-1][2] == tag[2:]:
            spans[-1] = (spans[-1][0], i + 1, tag[2:])
    return spans


def combine_spans(first: Sequence[Span], second: Sequence[Span], first_marginals: Marginals,
                  second_marginals: Marginals, how: str) -> list[Span]:
    """The spans of one sentence taken from two models' spans and character marginals by ``how``
    (one of :data:`COMBINATIONS`), sorted.

    >>> m1 = [{"B-P": 0.9, "I-P": 0.0, "O": 0.1}, {"B-P": 0.0, "I-P": 0.8, "O": 0.2}]
    >>> m2 = [{"B-P": 0.6, "I-P": 0.0, "O": 0.4}, {"B-P": 0.0, "I-P": 0.5, "O": 0.5}]
    >>> combine_spans([(0, 2, "P")], [(0, 1, "P")], m1, m2, "union")
    [(0, 2, 'P')]
    >>> combine_spans([(0, 2, "P")], [(0, 1, "P")], m1, m2, "intersection")
    []
    >>> combine_spans([], [], m1, m2, "average")
    [(0, 2, 'P')]
    """
    if how not in COMBINATIONS:
        raise ValueError(f"unknown combination {how!r}; expected one of {', '.join(COMBINATIONS)}")
    if how == "average":
        mean = [{tag: (a.get(tag, 0.0) + b.get(tag, 0.0)) / 2 for tag in {*a, *b}}
                for a, b in zip(first_marginals, second_marginals)]
        return bio_char_spans(decode_bio(mean))
    if how == "intersection":
        return sorted(set(first) & set(second))
    both = set(first) & set(second)
    candidates = []
    for span in set(first) | set(second):
        confidence = (span_confidence(first_marginals, span) + span_confidence(second_marginals, span)) / 2
        if how == "confidence" and span not in both and confidence < 0.5:
            continue
        candidates.append((-confidence, span))
    kept: list[Span] = []
    for _, span in sorted(candidates):
        if all(span[1] <= other[0] or other[1] <= span[0] for other in kept):
            kept.append(span)
    return sorted(kept)


def fit_pair(tagger, texts: Sequence[str], langs: Sequence[str], spans: Sequence[Sequence[Span]]):
    """Fit ``tagger`` (a :class:`~tagline.eval.entities.CRFTagger` whose settings have ``unit="char"``
    and ``combine``) as a character CRF, and beside it, as ``tagger.partner``, a token CRF with the
    same settings; the two are trained as :func:`tagline.eval.parallel.map_tasks` shares out its
    tasks (in worker processes under ``executing`` with two jobs or more). Returns ``tagger``."""
    from dataclasses import replace

    from tagline.eval.parallel import map_tasks

    settings = tagger.settings
    if settings.unit != "char" or settings.combine not in COMBINATIONS or settings.tag_scheme != "BIO":
        raise ValueError(f"combine={settings.combine!r} needs unit='char', BIO tags and one of "
                         f"{', '.join(COMBINATIONS)}")
    unfitted = [type(tagger)(c1=tagger.c1, c2=tagger.c2, max_iterations=tagger.max_iterations,
                             algorithm=tagger.algorithm, settings=replace(settings, unit=unit, combine=""),
                             cluster_texts=tagger.cluster_texts)
                for unit in ("char", "token")]
    characters, tokens = map_tasks(_fit, [(model, texts, langs, spans) for model in unfitted])
    tagger.model, tagger.dictionary, tagger.partner = characters.model, characters.dictionary, tokens
    return tagger


def _fit(tagger, texts: Sequence[str], langs: Sequence[str], spans: Sequence[Sequence[Span]]):
    return tagger.fit(texts, langs, spans)


def predict_pair(characters, tokens, texts: Sequence[str], langs: Sequence[str]) -> list[list[Span]]:
    """The spans of each of ``texts`` from a character CRF and a token CRF
    (:class:`~tagline.eval.entities.CRFTagger`), combined as ``characters.settings.combine`` says."""
    from tagline.eval.entities import bio_to_spans

    out: list[list[Span]] = []
    for text, lang in zip(texts, langs):
        found, marginals = [], []
        for tagger in (characters, tokens):
            offsets, features = tagger._sentence_features(text, lang)
            tags = tagger.model.predict_single(features) if offsets else []
            found.append(bio_to_spans(offsets, tags))
            marginals.append(char_marginals(len(text), offsets,
                                            tagger.model.predict_marginals_single(features) if offsets else []))
        out.append(combine_spans(found[0], found[1], marginals[0], marginals[1], characters.settings.combine))
    return out


def make_crf_pair(*, lang: str, random_state: int = 0) -> CRFTagger:
    """The ``crf_pair`` baseline, unfitted: a character CRF (each character tagged, with the word that
    holds it) and the ``crf`` baseline's token CRF trained side by side (in two processes where the run
    has two jobs or more), each overlap of their spans given to the more confident model
    (:func:`combine_spans`, ``combine="confidence"``). Chosen on the Stockmark NER
    validation split among four ways to combine: 76.41 against the token CRF's 74.97 (+1.39
    [+0.02, +2.78] paired over validation sentences)."""
    from dataclasses import replace

    from tagline.eval.entities import CRFTagger  # at run time here: entities imports this module
    from tagline.eval.entity_features import CHOSEN

    return CRFTagger(settings=replace(CHOSEN, unit="char", char_words=True, combine="confidence"))
