"""The writing of a reader's records in bulk, when they are plain: each a new document of one
sentence with entity spans of named annotators (a CoNLL file, a Label Studio export, ...). The
documents, sentences and answers are written as batches of JSON lines, without the plan of every
record and answer that the general path makes; the same files, byte for byte.

Records that are not plain (a benchmark's own sentences, a tagline sentence id, a category, a
document already in the workspace, a question answered twice, ...) make
:func:`import_plain_records` return ``None`` before anything is written: the general path plans
them and says what is wrong where."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagline.annotate.formats.common import ForeignRecord, plural
from tagline.annotate.interop.bulk import answered_documents
from tagline.annotate.interop.bulk_lines import (
    ENCODE_LINES,
    EventLine,
    SpanLine,
    documents_lines,
    entities_event,
)
from tagline.annotate.interop.writing import Written, keep_indexes_current, saved_with
from tagline.corpus.byte_columns import AppendedLines
from tagline.corpus.progress import ProgressCallback
from tagline.corpus.readers import doc_id_from
from tagline.corpus.workspace import Workspace

if TYPE_CHECKING:
    from tagline.corpus.config import Config

CHUNK_RECORDS = 100_000  # records whose lines are made and written at a time: memory does not grow with the file
_Plain = tuple[list[str], dict[str, int], int]  # each record's document id, events per annotator, duplicate spans


def import_plain_records(workspace: Workspace, records: list[ForeignRecord], path: Path, config: Config, fmt: str,
                         encoding: str, warnings: list[str], dry_run: bool,
                         progress: ProgressCallback) -> dict[str, Any] | None:
    """Write ``records`` (labels mapped, annotators named) as the general path would, or ``None``
    (nothing written) when they are not plain. The caller holds the workspace lock (unless ``dry_run``)."""
    plain = _plain(records, path, config)
    if plain is None or not _workspace_allows(workspace, plain):
        return None
    doc_ids, events, duplicates = plain
    progress(len(records), len(records), "placing records")  # each record on its one sentence
    warnings = list(warnings)
    if duplicates:
        warnings.append(f"{plural(duplicates, 'duplicate span')} in the file merged")
    summary = {"file": str(path), "format": fmt, "dry_run": dry_run, "documents_added": len(records),
               "documents_unchanged": 0, "sentences": len(records), "events": dict(sorted(events.items())),
               "gold": 0, "unchanged": 0, "warnings": warnings}
    if not dry_run:
        written = _write(workspace, records, doc_ids, path, config, fmt, encoding, progress)
        keep_indexes_current(workspace, True, [name for name, count in events.items() if count], progress, written)
    return summary


def _plain(records: list[ForeignRecord], path: Path, config: Config) -> _Plain | None:
    """The document ids and counts of plain ``records``, or ``None``."""
    prefix = doc_id_from(path.stem if path.is_file() else path.name)
    labels = set(config.labels("entities")) if "entities" in config.data["tasks"] else set()
    doc_ids: list[str] = []
    seen_ids: set[str] = set()
    events: dict[str, int] = {}
    duplicates = 0
    for record in records:
        if record.sentence_id or record.doc_id or record.whole_document or record.sentences is not None or \
                record.sentence_meta is not None or any(type(value) is float for value in record.meta.values()):
            return None  # (a float is left to the general path: its digits are orjson's)
        text = record.text
        lead, end = len(text) - len(text.lstrip()), len(text.rstrip())
        key = record.key
        named = f"{prefix}-{key}"
        # doc_id_from leaves a valid prefix and a number as they are: no call for the usual key
        doc_id = named if key.isdigit() and key.isascii() and len(named) <= 128 else doc_id_from(named)
        if lead >= end or doc_id in seen_ids:
            return None
        seen_ids.add(doc_id)
        doc_ids.append(doc_id)
        annotators = set()
        for answer in record.answers:
            name = answer.annotator
            if answer.kind != "spans" or name is None or answer.sentence is not None or name in annotators:
                return None
            annotators.add(name)
            events[name] = events.get(name, 0) + 1
            keys = set()
            for span in answer.spans:
                start, stop = span.start, span.end
                if not (lead <= start < stop <= end and span.label in labels and
                        (span.text is None or text[start:stop] == span.text)):
                    return None
                keys.add((start, stop, span.label))
            duplicates += len(answer.spans) - len(keys)
    return doc_ids, events, duplicates


def _workspace_allows(workspace: Workspace, plain: _Plain) -> bool:
    """False when the workspace holds any of the documents, their sentences or answers of the file's
    annotators on them. Refuses (as the general path does) an annotator who may not answer."""
    from tagline.annotate.answers import check_can_answer

    doc_ids, events, _ = plain
    wanted = set(doc_ids)
    if any(doc_id in wanted for doc_id in workspace.documents()) or \
            any(sentence["doc_id"] in wanted for sentence in workspace.iter_sentences()):
        return False
    # answers left on sentences of these documents (which the workspace does not hold)
    if any(not answered_documents(workspace, annotator).isdisjoint(wanted) for annotator in events):
        return False
    for annotator in sorted(events):
        check_can_answer(workspace, annotator)
    return True


def _write(workspace: Workspace, records: list[ForeignRecord], doc_ids: list[str], path: Path, config: Config,
           fmt: str, encoding: str, progress: ProgressCallback) -> Written:
    """One transaction, in the order of :func:`~tagline.annotate.interop.writing.write_import`; what
    was written, for the indexes."""
    from tagline.corpus.primitives import utc_now
    from tagline.corpus.texts import texts_file_name

    now = utc_now()
    written = Written()
    chunks = range(0, len(records), CHUNK_RECORDS)
    with workspace.transaction() as transaction:
        saved_with(transaction)  # the import is whole as its journal ends
        workspace.documents_dir.mkdir(exist_ok=True)
        texts_name = texts_file_name(workspace, doc_ids[0])
        offset = 0
        for first in chunks:
            progress(first, len(records), "segmenting documents")
            chunk_ids = doc_ids[first:first + CHUNK_RECORDS]
            texts, sentences, registry = _document_lines(records[first:first + CHUNK_RECORDS], chunk_ids, config,
                                                         encoding, texts_name, now, offset)
            progress(first, len(records), "writing sentences")
            transaction.append_bytes(workspace.documents_dir / texts_name, texts)
            at = transaction.append_bytes(workspace.sentences_path, sentences)
            written.sentences.add(at, sentences, [f"{doc_id}-s0001" for doc_id in chunk_ids])
            transaction.append_bytes(workspace.documents_path, registry)
            offset += len(texts)
        progress(len(records), len(records), "writing sentences")
        if not any(record.answers for record in records):
            return written
        progress(0, None, "writing answers")
        transaction.checkpoint()  # as write_import: the documents are kept from here on
        workspace.annotations_dir.mkdir(exist_ok=True)
        for first in chunks:
            events = _events(records[first:first + CHUNK_RECORDS], doc_ids[first:first + CHUNK_RECORDS], fmt, now)
            for name, lines in sorted(events.items()):
                payload = ENCODE_LINES(lines)
                at = transaction.append_bytes(workspace.annotation_path(name), payload, journal=False)
                written.answers.setdefault(name, AppendedLines()).add(at, payload,
                                                                       [line.sentence_id for line in lines])
    return written


def _document_lines(records: list[ForeignRecord], doc_ids: list[str], config: Config, encoding: str, texts_name: str,
                    now: str, offset: int) -> tuple[bytes, bytes, bytes]:
    """The documents' texts (the first at ``offset`` of the texts file), sentence lines and registry
    lines, as the ingest writes them."""
    workspace_lang = config.language if config.language != "auto" else None
    return documents_lines(((doc_id, record.text, record.lang or workspace_lang, record.split, record.where,
                             record.meta) for record, doc_id in zip(records, doc_ids)),
                           encoding, now, texts_name, offset)


def _events(records: list[ForeignRecord], doc_ids: list[str], fmt: str, now: str) -> dict[str, list[EventLine]]:
    """Each annotator's events: a record's spans on its one sentence, equal spans merged, in order."""
    source = f"import:{fmt}"
    events: dict[str, list[EventLine]] = {}
    for record, doc_id in zip(records, doc_ids):
        if not record.answers:
            continue
        text = record.text
        lead = len(text) - len(text.lstrip())
        for answer in record.answers:
            unique = {(span.start - lead, span.end - lead, span.label): span for span in answer.spans}
            spans = [SpanLine(start, end, label, text[start + lead:end + lead]) for start, end, label in sorted(unique)]
            assert answer.annotator is not None  # plain records name every annotator
            events.setdefault(answer.annotator, []).append(
                entities_event(f"{doc_id}-s0001", answer.annotator, now, spans, source))
    return events
