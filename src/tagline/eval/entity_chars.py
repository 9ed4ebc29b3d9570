"""The character CRF's features (``FeatureSettings(unit="char")``): each character of a sentence is a
position with its own BIO tag, so a span may start or end inside a MeCab token.

A character's features are the character, its class (:func:`~tagline.eval.entity_features.char_class`),
the characters and classes around it, the character bigrams and trigrams around it, and from the
MeCab token holding it: UniDic's part of speech, where the character lies in the token (``B``,
``I``, ``E`` or ``S`` for a one-character token), the token itself when it is short, the parts of
speech of the tokens either side, and the token's dictionary tag
(:func:`~tagline.eval.entity_features.dictionary_tags`; each training sentence's from the spans of
the other folds, as the token CRF's are) spread over its characters; with ``char_words``, the
token itself and the tokens either side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tagline.corpus.tokenize import UniDicFields
from tagline.eval.entity_features import NO_MATCH, FeatureSettings, char_class

SHORT_TOKEN = 4
"""The longest token whose surface is a feature of its characters (longer ones are rare words)."""


def char_offsets(text: str) -> list[tuple[int, int]]:
    """Each character of ``text`` as a position: ``(i, i + 1)``.

    >>> char_offsets("東京")
    [(0, 1), (1, 2)]
    """
    return [(i, i + 1) for i in range(len(text))]


def token_places(length: int, offsets: Sequence[tuple[int, int]]) -> tuple[list[int], list[str]]:
    """For each of ``length`` characters, the index of the token holding it (``-1``: none, as for a
    space MeCab skipped) and where it lies in that token: ``B``, ``I``, ``E``, ``S`` (``-``: none).

    >>> token_places(5, [(0, 2), (2, 3), (4, 5)])
    ([0, 0, 1, -1, 2], ['B', 'E', 'S', '-', 'S'])
    """
    holder, place = [-1] * length, ["-"] * length
    for index, (start, end) in enumerate(offsets):
        for i in range(start, end):
            holder[i] = index
            place[i] = "S" if end - start == 1 else "B" if i == start else "E" if i == end - 1 else "I"
    return holder, place


def char_dictionary_tags(length: int, offsets: Sequence[tuple[int, int]], token_tags: Sequence[str]) -> list[str]:
    """The tokens' dictionary tags spread over their characters: a token's ``B-`` tag on its first
    character and ``I-`` on the others, ``O`` on characters outside every token.

    >>> char_dictionary_tags(4, [(0, 2), (2, 4)], ["B-LOC", "I-LOC"])
    ['B-LOC', 'I-LOC', 'I-LOC', 'I-LOC']
    """
    tags = [NO_MATCH] * length
    for (start, end), tag in zip(offsets, token_tags):
        if tag != NO_MATCH:
            tags[start:end] = [tag] + [f"I-{tag[2:]}"] * (end - start - 1)
    return tags


def char_crf_features(text: str, offsets: Sequence[tuple[int, int]], fields: Sequence[UniDicFields],
                      in_dictionary: Sequence[str], settings: FeatureSettings,
                      clusters: Mapping[str, Sequence[str]] | None = None) -> list[dict]:
    """CRFsuite features of each character of ``text`` (one dict per character).

    ``offsets`` and ``fields`` are the MeCab tokens (:func:`tagline.corpus.tokenize.tokenize_with_fields`),
    ``in_dictionary`` their dictionary tags; ``settings.window`` is how many characters either side
    are features on their own, and the bigrams and trigrams reach two characters either side. With
    ``settings.clusters`` above 0, the word clusters (``clusters``,
    :func:`tagline.eval.word_clusters.learn_clusters`) of the token holding the character and of the
    tokens either side, at that many granularities (``-``: a word without clusters).
    """
    n = len(text)
    classes = [char_class(char) for char in text]
    holder, place = token_places(n, offsets)
    tags = char_dictionary_tags(n, offsets, in_dictionary)

    def char(i: int) -> str:
        return text[i] if 0 <= i < n else "<s>" if i < 0 else "</s>"

    def kind(i: int) -> str:
        return classes[i] if 0 <= i < n else "_"

    features = []
    for i in range(n):
        item: dict = {"bias": 1.0, "c": text[i], "t": classes[i], "d": tags[i],
                      "tt": "".join(kind(i + o) for o in range(-2, 3)),
                      "-1|0:t": kind(i - 1) + classes[i], "0|1:t": classes[i] + kind(i + 1)}
        for offset in range(-settings.window, settings.window + 1):
            if offset:
                item[f"{offset}:c"] = char(i + offset)
        for offset in range(-2, 2):
            item[f"{offset}:b"] = char(i + offset) + char(i + offset + 1)
        for offset in range(-2, 1):
            item[f"{offset}:tri"] = char(i + offset) + char(i + offset + 1) + char(i + offset + 2)
        for offset in (-1, 1):
            item[f"{offset}:d"] = tags[i + offset] if 0 <= i + offset < n else "_"
        _add_token(item, text, offsets, fields, holder[i], place[i], settings.char_words)
        if settings.clusters:
            _add_word_clusters(item, text, offsets, holder[i], clusters or {}, settings.clusters)
        features.append(item)
    return features


def _add_word_clusters(item: dict, text: str, offsets: Sequence[tuple[int, int]], token: int,
                       clusters: Mapping[str, Sequence[str]], levels: int) -> None:
    """The clusters of the token holding the character and of the tokens either side."""
    for offset in (-1, 0, 1):
        where = token + offset
        found = clusters.get(text[offsets[where][0]:offsets[where][1]]) if token >= 0 and 0 <= where < len(offsets) \
            else None
        for level in range(levels):
            item[f"{offset}:wc{level}"] = found[level] if found and level < len(found) else "-"


def _add_token(item: dict, text: str, offsets: Sequence[tuple[int, int]], fields: Sequence[UniDicFields],
               token: int, place: str, words: bool) -> None:
    """What the MeCab token holding the character tells: its part of speech with the character's
    place in it, the token when short, and its neighbours' parts of speech (with ``words``, the
    token and its neighbours too)."""
    item["place"] = place
    if token < 0:
        return
    pos = fields[token].pos
    item["pos"], item["pos|place"] = pos, pos + place
    item["pos2|place"] = "-".join(pos.split("-")[:2]) + place
    start, end = offsets[token]
    if end - start <= SHORT_TOKEN:
        item["tok"] = text[start:end]
    item["-1:pos"] = fields[token - 1].pos if token > 0 else "<s>"
    item["1:pos"] = fields[token + 1].pos if token + 1 < len(offsets) else "</s>"
    if words:
        item["w"] = text[start:end]
        item["-1:w"] = text[offsets[token - 1][0]:offsets[token - 1][1]] if token > 0 else "<s>"
        item["1:w"] = text[offsets[token + 1][0]:offsets[token + 1][1]] if token + 1 < len(offsets) else "</s>"
