"""The lines the bulk imports write (a document's sentence line and registry line, an ``entities``
answer's event), as msgspec structs encoded with their fields in this order: what the ingest's and
the store's dicts give, key for key, a field left at its default (None) left out. A struct is made
and encoded in about half the time of a dict."""

from __future__ import annotations

import hashlib
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
