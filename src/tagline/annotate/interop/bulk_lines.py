"""The lines the bulk imports write (a document's sentence line and registry line, an ``entities``
answer's event), as msgspec structs encoded with their fields in this order: what the ingest's and
the store's dicts give, key for key, a field left at its default (None) left out. A struct is made
and encoded in about half the time of a dict."""

from __future__ import annotations

import hashlib
import itertools
import operator
from collections.abc import Iterable
from typing import Any

import msgspec

# A batch of records as JSON lines in one call: the bytes orjson gives each (the store's encoding), for
# the strings, integers and objects written here.
ENCODE_LINES = msgspec.json.Encoder().encode_lines


class TextAt(msgspec.Struct, gc=False):
    file: str
    offset: int
    bytes: int


class SentenceLine(msgspec.Struct, omit_defaults=True, gc=False):
    id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int
    lang: str
    split: str | None = None


class RegistryLine(msgspec.Struct, omit_defaults=True, gc=False):
    doc_id: str
    source: str
    format: str
    encoding: str
    lang: str
    text_sha256: str
    n_sentences: int
    added: str
    text_at: TextAt
    meta: dict[str, Any] | None = None


class SpanLine(msgspec.Struct, gc=False):
    start: int
    end: int
    label: str
    text: str


class SpansValue(msgspec.Struct, gc=False):
    spans: list[SpanLine]


class EventLine(msgspec.Struct, gc=False):
    """An ``entities`` answer, as the store writes its event."""

    sentence_id: str
    annotator: str
    time: str
    task: str
    op: str
    value: SpansValue
    source: str


def one_sentence_document(doc_id: str, text: str, lang: str | None, split: str | None, source: str, encoding: str,
                          now: str, texts_name: str, offset: int, meta: dict[str, Any] | None = None,
                          ) -> tuple[bytes, SentenceLine, RegistryLine]:
    """A plain record's text (UTF-8, at ``offset`` of the import's ``texts_name``), its one sentence
    line and its registry line, as the ingest writes a document of one sentence. ``lang`` None: detected."""
    if lang is None:
        from tagline.corpus.segment import detect_lang  # loads the segmenters: only for a workspace in `auto`

        lang = detect_lang(text)
    data = text.encode("utf-8")
    lead, end = len(text) - len(text.lstrip()), len(text.rstrip())
    sentence = SentenceLine(f"{doc_id}-s0001", doc_id, 1, text[lead:end], lead, end, lang, split or None)
    entry = RegistryLine(doc_id, source, "import", encoding, lang, hashlib.sha256(data).hexdigest(), 1, now,
                         TextAt(texts_name, offset, len(data)), dict(meta) if meta else None)
    return data, sentence, entry


def entities_event(sentence_id: str, annotator: str, now: str, spans: list[SpanLine], source: str) -> EventLine:
    """The event setting a sentence's ``spans`` (in order, equal ones merged)."""
    return EventLine(sentence_id, annotator, now, "entities", "set", SpansValue(spans), source)


def documents_lines(documents: Iterable[tuple[str, str, str | None, str | None, str, dict[str, Any] | None]],
                    encoding: str, now: str, texts_name: str, offset: int) -> tuple[bytes, bytes, bytes]:
    """Plain records' texts (the first at ``offset`` of ``texts_name``), sentence lines and registry
    lines, as the ingest writes them, from each record's ``(doc_id, text, lang, split, source, meta)``
    as :func:`one_sentence_document` takes them."""
    texts: list[bytes] = []
    sentences: list[SentenceLine] = []
    registry: list[RegistryLine] = []
    for doc_id, text, lang, split, source, meta in documents:
        data, sentence, entry = one_sentence_document(doc_id, text, lang, split, source, encoding, now, texts_name,
                                                      offset, meta)
        texts.append(data)
        sentences.append(sentence)
        registry.append(entry)
        offset += len(data)
    return b"".join(texts), ENCODE_LINES(sentences), ENCODE_LINES(registry)


# Columns made lines in bulk: the structs above made by ``map`` over each column (no Python step per
# record or span) and encoded in one call.


def documents_columns(doc_ids: list[str], texts: list[str], langs: list[str | None], splits: list[str | None],
                      sources: list[str], metas: list[dict[str, Any] | None] | None, encoding: str, now: str,
                      texts_name: str, offset: int) -> tuple[bytes, bytes, bytes]:
    """What :func:`documents_lines` makes (the same bytes), from columns: each record's document id,
    text, language (None: detected), split, source and meta (None for none of them)."""
    import numpy as np

    if None in langs:
        from tagline.corpus.segment import detect_lang  # loads the segmenters: only for a workspace in `auto`

        langs = [lang or detect_lang(text) for lang, text in zip(langs, texts)]
    count = len(texts)
    repeat = itertools.repeat
    encoded = list(map(str.encode, texts))
    sizes = np.fromiter(map(len, encoded), dtype=np.int64, count=count)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=count)
    leads = lengths - np.fromiter(map(len, map(str.lstrip, texts)), dtype=np.int64, count=count)
    stripped = list(map(str.strip, texts))
    ends = leads + np.fromiter(map(len, stripped), dtype=np.int64, count=count)
    sentences = list(map(SentenceLine, map(operator.add, doc_ids, repeat("-s0001")), doc_ids, repeat(1), stripped,
                         leads.tolist(), ends.tolist(), langs, [split or None for split in splits]))
    places = list(map(TextAt, repeat(texts_name), (np.cumsum(sizes) - sizes + offset).tolist(), sizes.tolist()))
    digests = list(map(operator.methodcaller("hexdigest"), map(hashlib.sha256, encoded)))
    registry = list(map(RegistryLine, doc_ids, sources, repeat("import"), repeat(encoding), langs, digests, repeat(1),
                        repeat(now), places, [dict(meta) if meta else None for meta in metas] if metas else
                        repeat(None)))
    return b"".join(encoded), ENCODE_LINES(sentences), ENCODE_LINES(registry)


def entities_lines(sentence_ids: list[str], annotator: str, now: str, source: str, counts: Any, starts: Any,
                   ends: Any, labels: list[str], texts: list[str]) -> bytes:
    """What :func:`entities_event` makes for each of ``sentence_ids``, encoded (the same bytes), from
    columns: each sentence's number of spans (``counts``), then every span in order, sentence by
    sentence (its offsets in the sentence, label and text)."""
    import numpy as np

    bounds = np.cumsum(counts).tolist()
    return events_lines(sentence_ids, annotator, now, source, spans_values(starts, ends, labels, texts, [0, *bounds]))


def spans_values(starts: Any, ends: Any, labels: list[str], texts: list[str], bounds: list[int]) -> list[SpansValue]:
    """The value of each answer whose spans (offsets, label and text, in order, answer by answer)
    are those from ``bounds[n]`` to ``bounds[n + 1]``."""
    import numpy as np

    spans = list(map(SpanLine, np.asarray(starts).tolist(), np.asarray(ends).tolist(), labels, texts))
    return list(map(SpansValue, map(spans.__getitem__, map(slice, bounds[:-1], bounds[1:]))))


def events_lines(sentence_ids: list[str], annotator: str, now: str, source: str, values: list[SpansValue]) -> bytes:
    """The events setting each of ``sentence_ids``' spans to its value in ``values`` (see
    :func:`spans_values`), encoded as :func:`entities_event` would make them."""
    repeat = itertools.repeat
    return ENCODE_LINES(list(map(EventLine, sentence_ids, repeat(annotator), repeat(now), repeat("entities"),
                                 repeat("set"), values, repeat(source))))
