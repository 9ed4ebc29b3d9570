"""The lines the bulk imports write (a document's sentence line and registry line, an ``entities``
answer's event), as msgspec structs encoded with their fields in this order: what the ingest's and
the store's dicts give, key for key, a field left at its default (None) left out. A struct is made
and encoded in about half the time of a dict."""

from __future__ import annotations

import hashlib
import itertools
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


# Columns rendered in bulk: each line made by joining its template's constant parts and each record's
# fields in one ``str.join`` over the whole batch (encoded once), with no object per record or span.


def json_strings(values: list[str]) -> list[str]:
    """Each string's JSON encoding, as the store writes it, made in one call (an encoded string never
    holds a newline: JSON escapes it)."""
    if not values:
        return []
    return ENCODE_LINES(values).decode("utf-8").split("\n")[:-1]


def _fields(prefix: str, values: list[str | None]) -> list[str]:
    """``prefix`` and each value's JSON encoding, or "" for None (a field left out), each distinct
    value encoded once."""
    distinct = {value: "" if value is None else prefix + ENCODE_LINES([value])[:-1].decode("utf-8")
                for value in set(values)}
    return list(map(distinct.__getitem__, values))


def _metas(metas: list[dict[str, Any] | None] | None, count: int) -> list[str] | Iterable[str]:
    """Each record's ``,"meta":{...}`` field ("" for none)."""
    if not metas or not any(metas):
        return itertools.repeat("", count)
    encoded = iter(ENCODE_LINES([meta for meta in metas if meta]).decode("utf-8").split("\n"))
    return [',"meta":' + next(encoded) if meta else "" for meta in metas]


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
    encoded = list(map(str.encode, texts))
    sizes = np.fromiter(map(len, encoded), dtype=np.int64, count=count)
    offsets = (np.cumsum(sizes) - sizes + offset).tolist()
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=count)
    leads = lengths - np.fromiter(map(len, map(str.lstrip, texts)), dtype=np.int64, count=count)
    stripped = list(map(str.strip, texts))
    ends = leads + np.fromiter(map(len, stripped), dtype=np.int64, count=count)
    ids = json_strings(doc_ids)
    lang_fields = _fields("", langs)
    sentences = "".join(itertools.chain.from_iterable(zip(
        itertools.repeat('{"id":'), [doc_id[:-1] for doc_id in ids], itertools.repeat('-s0001","doc_id":'), ids,
        itertools.repeat(',"index":1,"text":'), json_strings(stripped), itertools.repeat(',"start":'),
        map(str, leads.tolist()), itertools.repeat(',"end":'), map(str, ends.tolist()),
        itertools.repeat(',"lang":'), lang_fields, _fields(',"split":', [split or None for split in splits]),
        itertools.repeat("}\n"))))
    after_source = f',"format":"import","encoding":{json_strings([encoding])[0]},"lang":'
    now_field, file_field = json_strings([now, texts_name])
    after_added = f',"n_sentences":1,"added":{now_field},"text_at":{{"file":{file_field}'
    registry = "".join(itertools.chain.from_iterable(zip(
        itertools.repeat('{"doc_id":'), ids, itertools.repeat(',"source":'), json_strings(sources),
        itertools.repeat(after_source), lang_fields, itertools.repeat(',"text_sha256":"'),
        [hashlib.sha256(data).hexdigest() for data in encoded], itertools.repeat('"'), itertools.repeat(after_added),
        itertools.repeat(',"offset":'), map(str, offsets), itertools.repeat(',"bytes":'), map(str, sizes.tolist()),
        itertools.repeat("}"), _metas(metas, count), itertools.repeat("}\n"))))
    return b"".join(encoded), sentences.encode("utf-8"), registry.encode("utf-8")


_SPAN_FIELDS = 7  # the parts of a span in an event line (its fields, with their names between)


def entities_lines(sentence_ids: list[str], annotator: str, now: str, source: str, counts: Any, starts: Any,
                   ends: Any, labels: list[str], texts: list[str]) -> bytes:
    """What :func:`entities_event` makes for each of ``sentence_ids``, encoded (the same bytes), from
    columns: each sentence's number of spans (``counts``), then every span in order, sentence by
    sentence (its offsets in the sentence, label and text). The parts of every line are put in place in
    one array and joined once."""
    import numpy as np

    count, spans = len(sentence_ids), len(labels)
    middle = (f',"annotator":{json_strings([annotator])[0]},"time":{json_strings([now])[0]},"task":"entities",'
              '"op":"set","value":{"spans":[')
    counts = np.asarray(counts, dtype=np.int64)
    firsts = np.cumsum(counts) - counts  # each sentence's first span
    parts = np.empty(2 * count + _SPAN_FIELDS * spans, dtype=object)
    parts[2 * np.arange(count) + _SPAN_FIELDS * firsts] = np.array(
        [f'{{"sentence_id":{sentence_id}{middle}' for sentence_id in json_strings(sentence_ids)], dtype=object)
    parts[2 * np.arange(count) + 1 + _SPAN_FIELDS * (firsts + counts)] = f']}},"source":{json_strings([source])[0]}}}\n'
    if spans:
        sentence_of = np.repeat(np.arange(count), counts)
        at = 2 * sentence_of + 1 + _SPAN_FIELDS * np.arange(spans)
        opening = np.full(spans, ',{"start":', dtype=object)
        opening[firsts[counts > 0]] = '{"start":'
        distinct = sorted(set(labels))
        label_fields = {label: f',"label":{encoded},"text":' for label, encoded in
                        zip(distinct, json_strings(distinct))}
        columns: list[Any] = [opening, list(map(str, np.asarray(starts).tolist())), ',"end":',
                              list(map(str, np.asarray(ends).tolist())), list(map(label_fields.__getitem__, labels)),
                              json_strings(texts), "}"]
        for index, column in enumerate(columns):
            parts[at + index] = column if isinstance(column, str) else np.array(column, dtype=object)
    return "".join(parts.tolist()).encode("utf-8")
