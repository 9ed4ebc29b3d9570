"""The entity CRF's token features: what a token is made of (character types, prefixes and
suffixes), what UniDic says of it (part of speech, conjugation, word origin, lemma), whether it lies
in a span of the training dictionary, what meets at its edges, and the same for its neighbours.

The settings in :data:`CHOSEN` were chosen on the Stockmark NER validation split only (the test
split was scored once, with them); ``benchmarks/stockmark_ner.py --select`` repeats the choice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from tagline.corpus.tokenize import UniDicFields

Span = tuple[int, int, str]
NO_MATCH = "O"


@dataclass(frozen=True)
class FeatureSettings:
    """Which features the CRF gets, and how its dictionary is built.

    Parameters
    ----------
    window : int
        Neighbours on each side whose word, character types and dictionary tag are features.
    affixes : int
        Prefixes and suffixes of the token up to this many characters.
    dictionary_folds : int
        The training sentences' dictionary tags come from a dictionary of the spans of the *other*
        folds (``0``: from every training span, their own included). A dictionary that always holds
        a training sentence's own spans would teach the CRF to trust it more than it deserves on
        unseen text, where many spans are not in it.
    unidic : bool
        UniDic's fields beyond the part of speech: conjugation form, word origin and lemma.
    bigrams : bool
        The token joined to each neighbour.
    conjunctions : bool
        The token's part of speech, character types and dictionary tag each joined to its
        neighbour's, and the parts of speech of the tokens three away.
    head_noun : bool
        The sentence's last common noun, on every noun: the class word of a Wikipedia sentence
        (``X は日本の企業である``), which tells a company from a party or a club.
    edges : bool
        What meets at the token's edges: the classes (:func:`char_class`) of its first and last
        characters, the characters on either side of each edge with their classes, and the two- and
        three-character prefixes and suffixes of its neighbours (a name often ends one token before
        a suffix such as 株式会社 or 県 starts the next).
    pos_context : bool
        The parts of speech of the two tokens before, and of the two after, joined; and of the
        tokens just before and just after, joined.
    more_unidic : bool
        UniDic's conjugation type, whether the word is unknown to UniDic, and the neighbours' word
        origin and lemma.
    clusters : int
        Word clusters of the token and its neighbours, at this many granularities
        (:data:`tagline.eval.word_clusters.SIZES`), learnt from the training sentences' words and
        those of the tagger's ``cluster_texts``, unlabelled (``0``: none). With ``unit="char"``,
        the clusters of the token holding the character and of the tokens either side.
    tag_scheme : str
        The tags the CRF learns: ``"BIO"``, or ``"BIOES"`` (a one-token span is ``S-``, a span's
        last token ``E-``); either is read back into spans.
    runs : bool
        Character-type runs (:func:`char_pattern`): the token's character classes with each run cut
        to two, and where the token and its neighbours lie (``B``/``I``/``E``/``S``) in the run of
        tokens all of one class (kanji, katakana, Latin letters, digits), with the run's length:
        MeCab cuts a katakana name or a kanji compound into several tokens.
    heads : str
        Known entity heads (``""``: none): the last one and two characters of the training spans
        that end at least :data:`HEAD_MIN_COUNT` of them (``社``, ``銀行``, ``大学``, ``県``), each
        with its most frequent label, on the token whose suffix is one, and the nearest such token
        in the next :data:`HEAD_REACH` on every token; ``"any"`` every such suffix, ``"kanji"`` only
        those ending in a kanji (katakana ends such as ``ン`` or ``ー`` end names of every kind).
        Each training sentence's come from the spans of the other ``dictionary_folds`` folds, as
        its dictionary tags do.
    ngrams : bool
        The token's character bigrams and trigrams.
    type_bigrams : bool
        The character types (:func:`char_types`) of the token joined to those of each neighbour.
    surface_window : int
        Neighbours on each side, beyond ``window``, whose word alone is a feature (``0``: none).
    stack : int
        Stacking (:mod:`tagline.eval.entity_stacking`; ``0``: none): a first CRF of
        ``stack_iterations`` iterations, with the other settings, tags each sentence and its tags
        of the token and its neighbours are features of the CRF; each training sentence's come from
        a first CRF trained on the other ``stack`` folds.
    stack_iterations : int
        The first CRF's L-BFGS iterations.
    unit : str
        What the CRF tags: ``"token"``, MeCab's tokens (these features), or ``"char"``, each
        character (:mod:`tagline.eval.entity_chars`; ``window`` is then in characters, and only
        ``dictionary_folds``, ``tag_scheme`` and ``clusters`` of the other settings apply).
    char_words : bool
        With ``unit="char"``, the word (MeCab token) holding the character, whatever its length,
        and the words before and after it.
    combine : str
        With ``unit="char"``, a token CRF (these settings with ``unit="token"``) is trained beside
        the character CRF and the two models' spans are combined by their marginals
        (:mod:`tagline.eval.entity_combine`; one of its ``COMBINATIONS``; ``""``: the character
        CRF alone).

    A model saved before a setting existed has it off (its default), so it predicts as trained.
    """

    window: int = 2
    affixes: int = 3
    dictionary_folds: int = 10
    unidic: bool = True
    bigrams: bool = True
    conjunctions: bool = False
    head_noun: bool = False
    edges: bool = False
    pos_context: bool = False
    more_unidic: bool = False
    clusters: int = 0
    tag_scheme: str = "BIO"
    runs: bool = False
    heads: str = ""
    ngrams: bool = False
    type_bigrams: bool = False
    surface_window: int = 0
    stack: int = 0
    stack_iterations: int = 30
    unit: str = "token"
    char_words: bool = False
    combine: str = ""

    def describe(self) -> str:
        """The settings in one line, for benchmark output and run reports."""
        return ", ".join(f"{name}={value}" for name, value in asdict(self).items())


CHOSEN = FeatureSettings(edges=True, runs=True)
"""The settings of the project's CRF baseline (see the module docstring for how they were chosen).
The defaults of :class:`FeatureSettings` stay those of the models saved before a setting existed."""

HEAD_MIN_COUNT = 3
"""How often a suffix must end a training span to be a known entity head."""
HEAD_REACH = 4
"""How many tokens ahead a token looks for a known entity head."""
_MAX_DICTIONARY_TOKENS = 12  # longer training spans are rare; matching them all would cost more than they give


def char_class(char: str) -> str:
    """One letter for a character's script: ``K`` kanji, ``H`` hiragana, ``T`` katakana, ``D`` digit,
    ``U``/``L`` upper- and lower-case letters (Latin, full-width too), ``S`` anything else.

    >>> "".join(map(char_class, "東京タワーはA1"))
    'KKTTTHUD'
    """
    if char.isdigit():
        return "D"
    code = ord(char)
    if 0x3040 <= code <= 0x309F:
        return "H"
    if 0x30A0 <= code <= 0x30FF or 0xFF66 <= code <= 0xFF9F:
        return "T"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or char in "々〆ヶ":
        return "K"
    if char.isalpha():
        return "U" if char.isupper() else "L"
    return "S"


def char_types(token: str) -> str:
    """The token's character classes (:func:`char_class`), each run of one class written once.

    >>> char_types("東京タワー"), char_types("iPhone"), char_types("2024年")
    ('KT', 'LUL', 'DK')
    """
    classes = [char_class(char) for char in token]
    return "".join(kind for i, kind in enumerate(classes) if i == 0 or classes[i - 1] != kind)


def span_dictionary(texts: Sequence[str], spans: Sequence[Sequence[Span]]) -> dict[str, str]:
    """Each span's surface form in ``texts`` with its most frequent label (ties: the label seen first)."""
    votes: dict[str, Counter] = defaultdict(Counter)
    for text, sentence_spans in zip(texts, spans):
        for start, end, label in sentence_spans:
            if text[start:end].strip():
                votes[text[start:end]][label] += 1
    return {surface: counts.most_common(1)[0][0] for surface, counts in votes.items()}


def dictionary_tags(text: str, offsets: Sequence[tuple[int, int]], dictionary: dict[str, str]) -> list[str]:
    """BIO tags of the longest dictionary entries that start and end on token edges, left to right.

    >>> text = "東京都千代田区に本社"
    >>> dictionary_tags(text, [(0, 2), (2, 3), (3, 6), (6, 7), (7, 8), (8, 10)], {"東京都千代田区": "LOCATION"})
    ['B-LOCATION', 'I-LOCATION', 'I-LOCATION', 'I-LOCATION', 'O', 'O']
    """
    tags = [NO_MATCH] * len(offsets)
    i = 0
    while i < len(offsets):
        end = min(len(offsets), i + _MAX_DICTIONARY_TOKENS)
        found = next(((j, dictionary[surface]) for j in range(end, i, -1)
                      if (surface := text[offsets[i][0]:offsets[j - 1][1]]) in dictionary), None)
        if found is None:
            i += 1
            continue
        j, label = found
        tags[i:j] = [f"B-{label}"] + [f"I-{label}"] * (j - i - 1)
        i = j
    return tags


def held_out_dictionary_tags(texts: Sequence[str], offsets: Sequence[Sequence[tuple[int, int]]],
                             spans: Sequence[Sequence[Span]], folds: int) -> list[list[str]]:
    """Each training sentence's :func:`dictionary_tags` from the spans of the sentences outside its
    fold (sentence ``i`` is in fold ``i % folds``); with ``folds`` below 2, from every sentence's."""
    if folds < 2:
        dictionary = span_dictionary(texts, spans)
        return [dictionary_tags(text, where, dictionary) for text, where in zip(texts, offsets)]
    tags: list[list[str]] = [[] for _ in texts]
    for fold in range(folds):
        others = [i for i in range(len(texts)) if i % folds != fold]
        dictionary = span_dictionary([texts[i] for i in others], [spans[i] for i in others])
        for i in range(fold, len(texts), folds):
            tags[i] = dictionary_tags(texts[i], offsets[i], dictionary)
    return tags


def head_suffixes(texts: Sequence[str], spans: Sequence[Sequence[Span]],
                  min_count: int = HEAD_MIN_COUNT, kanji_only: bool = False) -> dict[str, str]:
    """The last one and two characters of the spans longer than them that end at least ``min_count``
    spans, each with its most frequent label (ties: the label seen first); with ``kanji_only``,
    only those whose last character is a kanji.

    >>> head_suffixes(["A銀行とB銀行とC大学"], [[(0, 3, "ORG"), (4, 7, "ORG"), (8, 11, "SCHOOL")]], 2)
    {'行': 'ORG', '銀行': 'ORG'}
    """
    votes: dict[str, Counter] = defaultdict(Counter)
    for text, sentence_spans in zip(texts, spans):
        for start, end, label in sentence_spans:
            for size in (1, 2):
                if end - start > size and text[end - size:end].strip() and \
                        (not kanji_only or char_class(text[end - 1]) == "K"):
                    votes[text[end - size:end]][label] += 1
    return {suffix: counts.most_common(1)[0][0] for suffix, counts in votes.items()
            if sum(counts.values()) >= min_count}


def held_out_head_suffixes(texts: Sequence[str], spans: Sequence[Sequence[Span]], folds: int,
                           kanji_only: bool = False) -> list[dict[str, str]]:
    """Each training sentence's :func:`head_suffixes` from the spans of the sentences outside its
    fold (as :func:`held_out_dictionary_tags`); with ``folds`` below 2, from every sentence's."""
    if folds < 2:
        return [head_suffixes(texts, spans, kanji_only=kanji_only)] * len(texts)
    heads: list[dict[str, str]] = [{} for _ in texts]
    for fold in range(folds):
        others = [i for i in range(len(texts)) if i % folds != fold]
        of_fold = head_suffixes([texts[i] for i in others], [spans[i] for i in others], kanji_only=kanji_only)
        for i in range(fold, len(texts), folds):
            heads[i] = of_fold
    return heads


def char_pattern(token: str) -> str:
    """The token's character classes (:func:`char_class`), each run of one class cut to two.

    >>> char_pattern("東京都は"), char_pattern("ITサービス")
    ('KKH', 'UUTT')
    """
    classes = [char_class(char) for char in token]
    return "".join(kind for i, kind in enumerate(classes) if i < 2 or classes[i - 2:i] != [kind, kind])


def crf_features(tokens: Sequence[str], fields: Sequence[UniDicFields], in_dictionary: Sequence[str],
                 settings: FeatureSettings = CHOSEN, clusters: Mapping[str, Sequence[str]] | None = None,
                 heads: Mapping[str, str] | None = None) -> list[dict]:
    """CRFsuite features of each token (a dict of name to string value, or to 1.0 for a flag).

    ``fields`` are UniDic's (:func:`tagline.corpus.tokenize.tokenize_with_fields`; empty for English),
    ``in_dictionary`` the tokens' :func:`dictionary_tags`, ``clusters`` each known word's clusters
    (:func:`tagline.eval.word_clusters.learn_clusters`), read when ``settings.clusters`` is above 0,
    ``heads`` the known entity heads (:func:`head_suffixes`), read when ``settings.heads`` is set.
    """
    types = [char_types(token) for token in tokens]
    features = []
    for i, token in enumerate(tokens):
        item: dict = {"bias": 1.0, "w": token, "type": types[i], "len": str(min(len(token), 6)),
                      "dict": in_dictionary[i]}
        for size in range(1, min(settings.affixes, len(token)) + 1):
            item[f"p{size}"], item[f"s{size}"] = token[:size], token[-size:]
        pos = fields[i].pos
        item["pos"], item["pos1"], item["pos2"] = pos, pos.split("-")[0], "-".join(pos.split("-")[:2])
        if settings.unidic:
            item["cform"], item["goshu"], item["lemma"] = fields[i].cform, fields[i].goshu, fields[i].lemma
        for offset in range(-settings.window, settings.window + 1):
            j = i + offset
            if offset == 0:
                continue
            if not 0 <= j < len(tokens):
                item[f"{offset}:edge"] = 1.0
                continue
            item[f"{offset}:w"], item[f"{offset}:type"] = tokens[j], types[j]
            item[f"{offset}:dict"] = in_dictionary[j]
            if abs(offset) <= 2:
                item[f"{offset}:pos"] = fields[j].pos
            if abs(offset) == 1:
                item[f"{offset}:s1"] = tokens[j][-1:]
        if settings.bigrams:
            if i > 0:
                item["-1|0:w"] = f"{tokens[i - 1]}|{token}"
            if i + 1 < len(tokens):
                item["0|1:w"] = f"{token}|{tokens[i + 1]}"
        features.append(item)
    _add_optional(features, tokens, fields, types, in_dictionary, settings, clusters, heads)
    return features


def _add_optional(features: list[dict], tokens: Sequence[str], fields: Sequence[UniDicFields], types: Sequence[str],
                  in_dictionary: Sequence[str], settings: FeatureSettings,
                  clusters: Mapping[str, Sequence[str]] | None, heads: Mapping[str, str] | None) -> None:
    """The features that ``settings`` turn on beyond the token's and its neighbours' own."""
    if settings.conjunctions:
        _add_conjunctions(features, fields, types, in_dictionary)
    if settings.head_noun:
        head = sentence_head_noun(tokens, fields)
        for item, described in zip(features, fields):
            if described.pos.startswith("名詞") or not described.pos:
                item["head"] = head
    if settings.edges:
        _add_edges(features, tokens)
    if settings.pos_context:
        _add_pos_context(features, fields)
    if settings.more_unidic:
        _add_more_unidic(features, fields)
    if settings.clusters:
        _add_clusters(features, tokens, clusters or {}, settings.clusters)
    if settings.runs:
        _add_runs(features, tokens, types)
    if settings.heads:
        _add_heads(features, tokens, fields, heads or {})
    if settings.ngrams or settings.type_bigrams:
        _add_ngrams(features, tokens, types, settings)
    for offset in range(settings.window + 1, settings.surface_window + 1):
        for i, item in enumerate(features):
            for j in (i - offset, i + offset):
                if 0 <= j < len(tokens):
                    item[f"{j - i}:w"] = tokens[j]


def _add_ngrams(features: list[dict], tokens: Sequence[str], types: Sequence[str], settings: FeatureSettings) -> None:
    """The token's character bigrams and trigrams (longer than the token: none), and its character
    types joined to each neighbour's, as ``settings`` ask."""
    for i, item in enumerate(features):
        token = tokens[i]
        grams = {token[k:k + size] for size in (2, 3) for k in range(len(token) - size + 1)}
        if grams and settings.ngrams:
            item["ngram"] = sorted(grams)
        if not settings.type_bigrams:
            continue
        if i > 0:
            item["-1|0:type"] = f"{types[i - 1]}|{types[i]}"
        if i + 1 < len(tokens):
            item["0|1:type"] = f"{types[i]}|{types[i + 1]}"


def _run_class(kinds: str) -> str:
    """The class a token shares with a run of its neighbours (``""``: none): one of kanji, katakana
    or digits, or Latin letters of either case."""
    if kinds and set(kinds) <= {"U", "L"}:
        return "A"
    return kinds if kinds in ("K", "T", "D") else ""


def _add_runs(features: list[dict], tokens: Sequence[str], types: Sequence[str]) -> None:
    """The character pattern, and where the token and its neighbours lie in their run of one class."""
    classes = [_run_class(kinds) for kinds in types]
    where = [""] * len(tokens)
    start = 0
    for i in range(1, len(tokens) + 1):
        if i < len(tokens) and classes[i] and classes[i] == classes[start]:
            continue
        length = i - start
        if classes[start]:
            marks = ["S"] if length == 1 else ["B"] + ["I"] * (length - 2) + ["E"]
            where[start:i] = [f"{mark}{classes[start]}{min(length, 6)}" for mark in marks]
        start = i
    for i, item in enumerate(features):
        item["pattern"] = char_pattern(tokens[i])
        for offset in (-1, 0, 1):
            if 0 <= i + offset < len(tokens) and where[i + offset]:
                item[f"{offset}:run"], item[f"{offset}:runpos"] = where[i + offset], where[i + offset][:2]


def _add_heads(features: list[dict], tokens: Sequence[str], fields: Sequence[UniDicFields],
               heads: Mapping[str, str]) -> None:
    """The label of the token's suffix if it is a known entity head, and of the nearest such token
    ahead before a particle, verb or punctuation ends the phrase."""
    own: list[str] = []
    for token, item in zip(tokens, features):
        found = ""
        for size in (1, 2):
            if len(token) >= size and token[-size:] in heads:
                item[f"head{size}"] = found = heads[token[-size:]]
        own.append(found)
    for i, item in enumerate(features):
        for distance in range(1, HEAD_REACH + 1):
            j = i + distance
            if j >= len(tokens) or fields[j].pos.startswith(("助詞", "助動詞", "動詞", "補助記号")):
                break
            if own[j]:
                item["head>"], item["head>d"] = own[j], f"{own[j]}@{distance}"
                break


def _add_edges(features: list[dict], tokens: Sequence[str]) -> None:
    """The classes of the first and last characters, the characters meeting at each edge, and the
    neighbours' longer affixes."""
    for i, item in enumerate(features):
        token = tokens[i]
        item["first"], item["last"] = char_class(token[:1] or " "), char_class(token[-1:] or " ")
        if i > 0 and tokens[i - 1]:
            before = tokens[i - 1][-1]
            item["-1|0:char"], item["-1|0:class"] = f"{before}|{token[:1]}", char_class(before) + item["first"]
        if i + 1 < len(tokens) and tokens[i + 1]:
            after = tokens[i + 1][0]
            item["0|1:char"], item["0|1:class"] = f"{token[-1:]}|{after}", item["last"] + char_class(after)
        for offset in (-1, 1):
            if 0 <= i + offset < len(tokens):
                neighbour = tokens[i + offset]
                for size in range(2, min(3, len(neighbour)) + 1):
                    item[f"{offset}:p{size}"], item[f"{offset}:s{size}"] = neighbour[:size], neighbour[-size:]


def _add_pos_context(features: list[dict], fields: Sequence[UniDicFields]) -> None:
    """The parts of speech of the two tokens on each side joined, and of the two around the token."""
    pos = [described.pos for described in fields]
    for i, item in enumerate(features):
        if i >= 2:
            item["-2|-1:pos"] = f"{pos[i - 2]}|{pos[i - 1]}"
        if i + 2 < len(pos):
            item["1|2:pos"] = f"{pos[i + 1]}|{pos[i + 2]}"
        if 1 <= i < len(pos) - 1:
            item["-1|1:pos"] = f"{pos[i - 1]}|{pos[i + 1]}"


def _add_more_unidic(features: list[dict], fields: Sequence[UniDicFields]) -> None:
    """Conjugation type, unknown words, and the neighbours' word origin and lemma."""
    for i, item in enumerate(features):
        item["ctype"] = fields[i].ctype
        if fields[i].goshu == "unk":
            item["unknown"] = 1.0
        for offset in (-1, 1):
            if 0 <= i + offset < len(fields):
                item[f"{offset}:goshu"], item[f"{offset}:lemma"] = fields[i + offset].goshu, fields[i + offset].lemma


def _add_clusters(features: list[dict], tokens: Sequence[str], clusters: Mapping[str, Sequence[str]],
                  levels: int) -> None:
    """The clusters of the token and of each neighbour (``-`` for a word without clusters)."""
    for i, item in enumerate(features):
        for offset in (-1, 0, 1):
            if 0 <= i + offset < len(tokens):
                found = clusters.get(tokens[i + offset])
                if found is None:
                    item[f"{offset}:c"] = "-"
                    continue
                for level, cluster in enumerate(found[:levels]):
                    item[f"{offset}:c{level}"] = cluster


def _add_conjunctions(features: list[dict], fields: Sequence[UniDicFields], types: Sequence[str],
                      in_dictionary: Sequence[str]) -> None:
    """Each token's part of speech, character types and dictionary tag joined to its neighbours',
    and the parts of speech three tokens away."""
    for i, item in enumerate(features):
        if i > 0:
            item["-1|0:pos"] = f"{fields[i - 1].pos}|{fields[i].pos}"
            item["-1|0:type"] = f"{types[i - 1]}|{types[i]}"
            item["-1|0:dict"] = f"{in_dictionary[i - 1]}|{in_dictionary[i]}"
        if i + 1 < len(features):
            item["0|1:pos"] = f"{fields[i].pos}|{fields[i + 1].pos}"
            item["0|1:type"] = f"{types[i]}|{types[i + 1]}"
        for offset in (-3, 3):
            if 0 <= i + offset < len(features):
                item[f"{offset}:pos"] = fields[i + offset].pos


def sentence_head_noun(tokens: Sequence[str], fields: Sequence[UniDicFields]) -> str:
    """The sentence's last noun that is not a proper noun (``""`` if none): in a Wikipedia
    definition the class of what is defined.

    >>> from tagline.corpus.tokenize import tokenize_with_fields
    >>> text = "レッドフォックス株式会社は、東京都千代田区に本社を置くITサービス企業である。"
    >>> offsets, fields = tokenize_with_fields(text, "ja")
    >>> sentence_head_noun([text[s:e] for s, e in offsets], fields)
    '企業'
    """
    for token, described in zip(reversed(tokens), reversed(fields)):
        if described.pos.startswith("名詞") and not described.pos.startswith("名詞-固有名詞"):
            return token
    return ""
