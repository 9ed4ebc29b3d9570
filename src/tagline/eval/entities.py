"""Entity baselines and span scores: a gazetteer from the training split, and a CRF over BIO tags
(sklearn-crfsuite) with character-type and dictionary features."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tagline.corpus.tokenize import UniDicFields
from tagline.eval.crf_model import CRFModel
from tagline.eval.entity_features import (
    CHOSEN,
    FeatureSettings,
    crf_features,
    dictionary_tags,
    head_suffixes,
    held_out_dictionary_tags,
    held_out_head_suffixes,
    span_dictionary,
)

Span = tuple[int, int, str]


# ----- span metrics -------------------------------------------------------------------------
def span_counts(gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]], *, mode: str = "exact"):
    """Per-sentence true positives, false positives and false negatives (numpy arrays).

    ``exact``: same start, end and label. ``partial``: same label and overlapping characters, each
    span matched at most once (largest overlap first).
    """
    import numpy as np

    tp = np.zeros(len(gold), dtype=np.int64)
    fp = np.zeros(len(gold), dtype=np.int64)
    fn = np.zeros(len(gold), dtype=np.int64)
    for i, (reference, guess) in enumerate(zip(gold, predicted)):
        matched = _matches(list(reference), list(guess), mode)
        tp[i] = matched
        fp[i] = len(guess) - matched
        fn[i] = len(reference) - matched
    return tp, fp, fn


def _matches(reference: list[Span], guess: list[Span], mode: str) -> int:
    if mode == "exact":
        return len(set(reference) & set(guess))
    candidates = []
    for i, (gs, ge, gl) in enumerate(reference):
        for j, (ps, pe, pl) in enumerate(guess):
            overlap = min(ge, pe) - max(gs, ps)
            if gl == pl and overlap > 0:
                candidates.append((-overlap, i, j))
    used_reference, used_guess, matched = set(), set(), 0
    for _, i, j in sorted(candidates):
        if i not in used_reference and j not in used_guess:
            used_reference.add(i)
            used_guess.add(j)
            matched += 1
    return matched


def _prf(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": int(tp + fn)}


def per_label_scores(gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]], *,
                     labels: Sequence[str]) -> tuple[dict[str, dict], list[str]]:
    """Exact-match precision, recall, F1, gold spans (``support``) and predicted spans
    (``predicted``) for each label with gold or predicted spans, and the labels with neither.

    A label predicted with no gold span keeps its row (precision and F1 0, every span a false
    positive; recall 0/0 given as 0). A label with neither has no row: every ratio would be 0/0.
    """
    per_label, absent = {}, []
    for label in labels:
        of_label = [[s for s in spans if s[2] == label] for spans in gold]
        predicted_of_label = [[s for s in spans if s[2] == label] for spans in predicted]
        tp, fp, fn = (int(counts.sum()) for counts in span_counts(of_label, predicted_of_label, mode="exact"))
        if tp + fp + fn:
            per_label[label] = {**_prf(tp, fp, fn), "predicted": tp + fp}
        else:
            absent.append(label)
    return per_label, absent


def span_metrics(gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]], *, labels: Sequence[str],
                 n_resamples: int = 1000, random_state: int = 0, confidence: float = 0.95) -> dict:
    """Span-level exact and partial precision/recall/F1 (micro), with bootstrap intervals over
    sentences for the headline F1s; per label, exact (:func:`per_label_scores`: ``per_class`` for the
    labels with gold or predicted spans, ``absent_labels`` for the others)."""
    import numpy as np

    metrics = {}
    for mode in ("exact", "partial"):
        tp, fp, fn = span_counts(gold, predicted, mode=mode)
        overall = _prf(int(tp.sum()), int(fp.sum()), int(fn.sum()))
        rng = np.random.default_rng(random_state)
        samples = rng.integers(0, len(gold), size=(n_resamples, len(gold))) if len(gold) else None
        if samples is not None:
            t, p, n = tp[samples].sum(axis=1), fp[samples].sum(axis=1), fn[samples].sum(axis=1)
            denominator = 2 * t + p + n
            f1s = np.where(denominator > 0, 2 * t / np.maximum(denominator, 1), 0.0)
            low, high = np.quantile(f1s, [(1 - confidence) / 2, 1 - (1 - confidence) / 2])
        else:
            low = high = 0.0
        metrics[f"{mode}_f1"] = {"value": overall["f1"], "low": float(low), "high": float(high),
                                 "n_resamples": n_resamples, "confidence": confidence}
        metrics[f"{mode}_precision"] = {"value": overall["precision"], "low": overall["precision"],
                                        "high": overall["precision"]}
        metrics[f"{mode}_recall"] = {"value": overall["recall"], "low": overall["recall"], "high": overall["recall"]}
    # Point intervals for P and R would be misleading: keep only the F1 intervals as intervals.
    for mode in ("exact", "partial"):
        for part in ("precision", "recall"):
            metrics.pop(f"{mode}_{part}")
    per_label, absent = per_label_scores(gold, predicted, labels=labels)
    return {"metrics": metrics, "per_class": per_label, "absent_labels": absent,
            "exact": _prf(*[int(x.sum()) for x in span_counts(gold, predicted, mode="exact")]),
            "partial": _prf(*[int(x.sum()) for x in span_counts(gold, predicted, mode="partial")])}


def seqeval_f1(gold_tags: Sequence[Sequence[str]], predicted_tags: Sequence[Sequence[str]]) -> float:
    """Strict BIO entity F1 from seqeval (the CoNLL definition), as a cross-check on token tags."""
    from seqeval.metrics import f1_score
    from seqeval.scheme import IOB2

    return float(f1_score(gold_tags, predicted_tags, mode="strict", scheme=IOB2, zero_division=0))


# ----- the gazetteer ------------------------------------------------------------------------
class Gazetteer:
    """Longest-match lookup of the surface forms seen in training, each with its most frequent label."""

    def __init__(self, entries: dict[str, str] | None = None):
        self.entries = dict(entries or {})

    def fit(self, texts: Sequence[str], langs: Sequence[str] | None, spans: Sequence[Sequence[Span]]) -> Gazetteer:
        """Learn the surface forms of ``spans``; ``langs`` is taken, as :class:`CRFTagger` takes it,
        and not needed: a surface form is matched the same way in any language."""
        votes: dict[str, Counter] = defaultdict(Counter)
        for text, sentence_spans in zip(texts, spans):
            for start, end, label in sentence_spans:
                votes[text[start:end]][label] += 1
        self.entries = {surface: counts.most_common(1)[0][0] for surface, counts in votes.items() if surface.strip()}
        self._pattern = None
        return self

    @property
    def pattern(self):
        if getattr(self, "_pattern", None) is None:
            surfaces = sorted(self.entries, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, surfaces))) if surfaces else None
        return self._pattern

    def predict_one(self, text: str) -> list[Span]:
        if self.pattern is None:
            return []
        found = []
        for match in self.pattern.finditer(text):
            start, end = match.span()
            # Do not match inside a longer Latin word (e.g. "AI" inside "OpenAI").
            if _is_word_char(text, start - 1) and _is_word_char(text, start) or \
                    _is_word_char(text, end) and _is_word_char(text, end - 1):
                continue
            found.append((start, end, self.entries[match.group()]))
        return found

    def predict(self, texts: Sequence[str], langs: Sequence[str] | None = None) -> list[list[Span]]:
        return [self.predict_one(text) for text in texts]

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"kind": "gazetteer", "entries": self.entries}, ensure_ascii=False, indent=1),
                        encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Gazetteer:
        return cls(json.loads(path.read_text(encoding="utf-8"))["entries"])


def _is_word_char(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isascii() and text[index].isalnum()


# ----- the CRF ------------------------------------------------------------------------------
def char_type(token: str) -> str:
    """A coarse script class: kanji, hiragana, katakana, latin, digit, symbol, or mixed."""
    kinds = set()
    for char in token:
        name = unicodedata.name(char, "")
        if char.isdigit():
            kinds.add("digit")
        elif "CJK UNIFIED" in name:
            kinds.add("kanji")
        elif "HIRAGANA" in name:
            kinds.add("hiragana")
        elif "KATAKANA" in name:
            kinds.add("katakana")
        elif char.isalpha():
            kinds.add("latin")
        else:
            kinds.add("symbol")
    return kinds.pop() if len(kinds) == 1 else "mixed"


def token_features(tokens: Sequence[str], dictionary: dict[str, str], pos: Sequence[str] | None = None) -> list[dict]:
    """Features for each token: the token, its affixes and script class, shape, dictionary hits, its
    part of speech (``pos``, from :func:`tagline.corpus.tokenize.tokenize_with_pos`; UniDic tells
    surnames, given names and places apart), and the same for neighbours."""
    tags = list(pos) if pos is not None else [""] * len(tokens)
    features = []
    for i, token in enumerate(tokens):
        item = {"bias": 1.0, "w": token, "w.lower": token.lower(), "type": char_type(token),
                "p1": token[:1], "s1": token[-1:], "s2": token[-2:], "len": min(len(token), 6),
                "upper": token[:1].isupper(), "dict": dictionary.get(token, "-")}
        if pos is not None:
            item["pos"] = tags[i]
            item["pos2"] = "-".join(tags[i].split("-")[:2])
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if 0 <= j < len(tokens):
                item[f"{offset}:w"] = tokens[j]
                item[f"{offset}:type"] = char_type(tokens[j])
                item[f"{offset}:dict"] = dictionary.get(tokens[j], "-")
                if pos is not None:
                    item[f"{offset}:pos"] = tags[j]
            else:
                item[f"{offset}:edge"] = True
        features.append(item)
    return features


def spans_to_bio(offsets: Sequence[tuple[int, int]], spans: Sequence[Span]) -> list[str]:
    tags = ["O"] * len(offsets)
    for start, end, label in sorted(spans):
        covered = [i for i, (s, e) in enumerate(offsets) if s < end and e > start]
        if not covered or any(tags[i] != "O" for i in covered):
            continue
        tags[covered[0]] = f"B-{label}"
        for i in covered[1:]:
            tags[i] = f"I-{label}"
    return tags


def bio_to_spans(offsets: Sequence[tuple[int, int]], tags: Sequence[str]) -> list[Span]:
    from seqeval.metrics.sequence_labeling import get_entities

    # seqeval's reading of IOB2 (an I- after O or after another label starts a span), as scored
    return [(offsets[first][0], offsets[last][1], label) for label, first, last in get_entities(list(tags))]


def bio_to_bioes(tags: Sequence[str]) -> list[str]:
    """BIO tags as BIOES: a span's only token ``S-``, its last ``E-``.

    >>> bio_to_bioes(["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "I-LOC"])
    ['B-PER', 'E-PER', 'O', 'S-LOC', 'B-LOC', 'I-LOC', 'E-LOC']
    """
    out = []
    for i, tag in enumerate(tags):
        ends = i + 1 == len(tags) or tags[i + 1] != f"I-{tag[2:]}"
        if tag != "O" and ends:
            tag = ("S-" if tag.startswith("B-") else "E-") + tag[2:]
        out.append(tag)
    return out


def bioes_to_bio(tags: Sequence[str]) -> list[str]:
    """BIOES tags as BIO (``S-`` is ``B-``, ``E-`` is ``I-``), read as :func:`bio_to_spans` reads them.

    >>> bioes_to_bio(["S-PER", "B-LOC", "E-LOC", "E-LOC", "O"])
    ['B-PER', 'B-LOC', 'I-LOC', 'I-LOC', 'O']
    """
    return [{"S": "B", "E": "I"}.get(tag[:1], tag[:1]) + tag[1:] for tag in tags]


class CRFTagger:
    """A linear-chain CRF (sklearn-crfsuite) over BIO tags, trained by L-BFGS with elastic net
    (``algorithm="lbfgs"``: ``c1``, ``c2``, ``max_iterations``) or by stochastic gradient descent with
    L2 regularisation (``"l2sgd"``: ``c2``, and ``max_iterations`` epochs; ``c1`` unused), or by
    CRFsuite's averaged perceptron (``"ap"``) or passive-aggressive updates (``"pa"``), each for
    ``max_iterations`` epochs (``c1`` and ``c2`` unused).

    Features are :func:`tagline.eval.entity_features.crf_features` with ``settings``: character
    types and affixes, UniDic's fields, tags of the training spans' dictionary (each training
    sentence's from the spans of the other folds), for the token and its neighbours. The settings
    and ``c1``/``c2`` were chosen on the Stockmark NER validation split, and so were 100 L-BFGS
    iterations (validation span F1 74.60 and 76 s of training, against 74.16 and 170 s at 200), and
    then the character-type runs with ``c1`` 0.1 (74.90; 74.85 at 0.05). With
    ``FeatureSettings(unit="char")`` it tags characters instead of tokens
    (:mod:`tagline.eval.entity_chars`), and its spans may start or end inside a token; with
    ``combine`` too, a token CRF is trained beside it (``partner``) and the two models' spans are
    combined by their marginals (:mod:`tagline.eval.entity_combine`).

    A model saved with older features (``crf.json`` with ``"features": 2``, parts of speech and
    single-token dictionary hits; or without ``"features"``, before parts of speech) is loaded to
    predict with them, as it was trained.
    """

    FEATURES = 3  # 1: words, shapes and dictionary; 2: and parts of speech; 3: entity_features

    def __init__(self, *, c1: float = 0.1, c2: float = 0.05, max_iterations: int = 100,
                 settings: FeatureSettings = CHOSEN, features: int | None = None, algorithm: str = "lbfgs",
                 cluster_texts: Sequence[str] = ()):
        self.c1, self.c2, self.max_iterations, self.algorithm = c1, c2, max_iterations, algorithm
        self.cluster_texts = list(cluster_texts)  # unlabelled texts the word clusters are learnt from too
        self.settings = settings
        self.dictionary: dict[str, str] = {}
        self.heads: dict[str, str] = {}  # learnt in fit when settings.heads is on
        self.clusters: dict[str, list[str]] = {}  # learnt in fit when settings.clusters is above 0
        self.features = features or self.FEATURES  # an older version, to compare with it
        self.model: Any = None  # a CRFModel once fitted or loaded
        self.first: CRFModel | None = None  # with settings.stack, the first CRF, whose tags are the model's features
        self.partner: CRFTagger | None = None  # with settings.combine, the token CRF beside this one

    def _tokenize(self, text: str, lang: str) -> tuple[list[tuple[int, int]], list[UniDicFields]]:
        """Token offsets and UniDic's fields (a subclass may cache them)."""
        from tagline.corpus.tokenize import tokenize_with_fields

        return tokenize_with_fields(text, lang)

    def _sentence_features(self, text: str, lang: str) -> tuple[list[tuple[int, int]], list[dict]]:
        """The tokens' offsets in ``text`` and their features, as the model reads them to predict."""
        if self.features < 3:
            from tagline.corpus.tokenize import tokenize_with_pos

            offsets, pos = tokenize_with_pos(text, lang)
            return offsets, token_features([text[s:e] for s, e in offsets], self.dictionary,
                                           pos if self.features >= 2 else None)
        offsets, fields = self._tokenize(text, lang)
        if self.settings.unit == "char":
            from tagline.eval.entity_chars import char_crf_features, char_offsets

            in_dictionary = dictionary_tags(text, offsets, self.dictionary)
            return char_offsets(text), char_crf_features(text, offsets, fields, in_dictionary, self.settings,
                                                         self.clusters)
        features = crf_features([text[s:e] for s, e in offsets], fields,
                                dictionary_tags(text, offsets, self.dictionary), self.settings, self.clusters,
                                self.heads)
        if self.first is not None and offsets:
            from tagline.eval.entity_stacking import stacked_features

            features = stacked_features(features, self.first.predict_single(features))
        return offsets, features

    def _training_features(self, texts: Sequence[str], langs: Sequence[str], spans: Sequence[Sequence[Span]]
                           ) -> tuple[list[list[dict]], list[list[str]]]:
        """Features and BIO tags of the training sentences; their dictionary tags are held out by fold."""
        if self.features < 3:
            for text, sentence_spans in zip(texts, spans):
                for start, end, label in sentence_spans:
                    self.dictionary[text[start:end]] = label
            pairs = [self._sentence_features(text, lang) for text, lang in zip(texts, langs)]
            return [f for _, f in pairs], [spans_to_bio(o, s) for (o, _), s in zip(pairs, spans)]
        self.dictionary = span_dictionary(texts, spans)
        tokenized = [self._tokenize(text, lang) for text, lang in zip(texts, langs)]
        if self.settings.clusters:
            from tagline.eval.word_clusters import learn_clusters

            extra = [self._tokenize(text, langs[0]) for text in self.cluster_texts] if langs else []
            self.clusters = learn_clusters([text[s:e] for s, e in offsets] for text, (offsets, _)
                                           in zip([*texts, *self.cluster_texts], [*tokenized, *extra]))
        held_out = held_out_dictionary_tags(texts, [offsets for offsets, _ in tokenized], spans,
                                            self.settings.dictionary_folds)
        heads: list[dict[str, str]] = [{}] * len(texts)
        if self.settings.heads:
            kanji_only = self.settings.heads == "kanji"
            self.heads = head_suffixes(texts, spans, kanji_only=kanji_only)
            heads = held_out_head_suffixes(texts, spans, self.settings.dictionary_folds, kanji_only)
        if self.settings.unit == "char":
            from tagline.eval.entity_chars import char_crf_features, char_offsets

            x = [char_crf_features(text, offsets, fields, tags, self.settings, self.clusters)
                 for text, (offsets, fields), tags in zip(texts, tokenized, held_out)]
            y = [spans_to_bio(char_offsets(text), s) for text, s in zip(texts, spans)]
        else:
            x = [crf_features([text[s:e] for s, e in offsets], fields, tags, self.settings, self.clusters, known)
                 for text, (offsets, fields), tags, known in zip(texts, tokenized, held_out, heads)]
            y = [spans_to_bio(offsets, s) for (offsets, _), s in zip(tokenized, spans)]
        return x, [bio_to_bioes(tags) for tags in y] if self.settings.tag_scheme == "BIOES" else y

    def _crf_params(self, max_iterations: int) -> dict[str, Any]:
        """sklearn-crfsuite's ``CRF`` parameters of a model (trained by :class:`CRFModel`, which leaves
        no model file behind)."""
        return {"algorithm": self.algorithm, "c1": self.c1 if self.algorithm == "lbfgs" else None,
                "c2": self.c2 if self.algorithm in ("lbfgs", "l2sgd") else None,
                "max_iterations": max_iterations, "all_possible_transitions": True}

    def fit(self, texts: Sequence[str], langs: Sequence[str], spans: Sequence[Sequence[Span]]) -> CRFTagger:
        self.dictionary, self.clusters, self.heads, self.first, self.partner = {}, {}, {}, None, None
        if self.settings.combine:
            from tagline.eval.entity_combine import fit_pair

            return fit_pair(self, texts, langs, spans)
        x, y = self._training_features(texts, langs, spans)
        if self.settings.stack:
            from tagline.eval.entity_stacking import jackknife_tags, stacked_features

            params = self._crf_params(self.settings.stack_iterations)
            first_tags = jackknife_tags(x, y, self.settings.stack,
                                        lambda xs, ys: CRFModel.train(params, xs, ys))
            self.first = CRFModel.train(params, x, y)
            x = [stacked_features(items, tags) for items, tags in zip(x, first_tags)]
        self.model = CRFModel.train(self._crf_params(self.max_iterations), x, y)
        return self

    def predict(self, texts: Sequence[str], langs: Sequence[str]) -> list[list[Span]]:
        if self.partner is not None:
            from tagline.eval.entity_combine import predict_pair

            return predict_pair(self, self.partner, texts, langs)
        out: list[list[Span]] = []
        for text, lang in zip(texts, langs):
            offsets, features = self._sentence_features(text, lang)
            if not offsets:
                out.append([])
                continue
            tags = self.model.predict_single(features)
            out.append(bio_to_spans(offsets, bioes_to_bio(tags) if self.settings.tag_scheme == "BIOES" else tags))
        return out

    def save(self, directory: Path) -> None:
        """The CRFsuite model file (and the first CRF's, ``first.crfsuite``, when stacking) plus the
        dictionary, word clusters, entity heads and settings (CRFsuite's own format and JSON, not pickle)."""
        self.model.write(directory / "model.crfsuite")
        if self.first is not None:
            self.first.write(directory / "first.crfsuite")
        if self.partner is not None:
            (directory / "token").mkdir(exist_ok=True)
            self.partner.save(directory / "token")
        (directory / "crf.json").write_text(json.dumps(
            {"kind": "crf", "algorithm": self.algorithm, "c1": self.c1, "c2": self.c2,
             "max_iterations": self.max_iterations, "features": self.features,
             "settings": asdict(self.settings), "dictionary": self.dictionary, "clusters": self.clusters,
             "heads": self.heads},
            ensure_ascii=False),
            encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> CRFTagger:
        meta = json.loads((directory / "crf.json").read_text(encoding="utf-8"))
        tagger = cls(c1=meta["c1"], c2=meta["c2"], settings=FeatureSettings(**meta.get("settings", {})),
                     algorithm=meta.get("algorithm", "lbfgs"), max_iterations=meta.get("max_iterations", 200))
        tagger.dictionary = meta["dictionary"]
        tagger.clusters = meta.get("clusters", {})
        tagger.heads = meta.get("heads", {})
        tagger.features = meta.get("features", 1)
        tagger.model = CRFModel.read(directory / "model.crfsuite")
        if tagger.settings.stack:
            tagger.first = CRFModel.read(directory / "first.crfsuite")
        if tagger.settings.combine:
            tagger.partner = cls.load(directory / "token")
        return tagger


# ----- the registry's factories ---------------------------------------------------------------
def make_gazetteer(*, lang: str, random_state: int = 0) -> Gazetteer:
    """The ``gazetteer`` baseline, unfitted; it has no randomness, and reads every language alike."""
    return Gazetteer()


def make_crf(*, lang: str, random_state: int = 0) -> CRFTagger:
    """The ``crf`` baseline, unfitted; L-BFGS training has no randomness, and each sentence's
    language is given to ``fit`` and ``predict``."""
    return CRFTagger()
