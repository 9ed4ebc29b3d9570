"""Adding documents to a workspace: segment, give stable sentence ids, store text and registry."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagline.corpus import segment_workers
from tagline.corpus.progress import ProgressCallback, no_progress
from tagline.corpus.readers import (
    DEFAULT_MAX_DOCUMENT_BYTES,
    SourceDocument,
    read_documents,
    text_codec,
    unstorable_character,
)
from tagline.corpus.segment import detect_lang, segment
from tagline.corpus.sentence_index import keep_index_current
from tagline.corpus.store import Transaction, read_records, utc_now
from tagline.corpus.workspace import Workspace
from tagline.errors import ConflictError, InputError, takes_workspace

_MD_MARKER = re.compile(r"(?:#{1,6}\s+|[-*+]\s+|\d{1,3}[.)]\s+|>\s?)+")
_MD_RULE = re.compile(r"(?:[-*_=]\s*){3,}|`{3,}.*")
# A list item's marker (1. 1) - * +) where a line begins: list syntax in plain text as in Markdown.
_LIST_MARKER = re.compile(r"(?:[-*+]|\d{1,3}[.)])[ \t]+")
_SENTENCE_NUMBER = re.compile(r"-s(\d+)$")


@dataclass
class IngestReport:
    """What :func:`add_documents` did."""

    added: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    replaced: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "unchanged": self.unchanged, "replaced": self.replaced}


def sentence_id(doc_id: str, number: int) -> str:
    return f"{doc_id}-s{number:04d}"


def _without_list_markers(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sentences with a list marker that begins their line left out of them (a sentence that is
    only a marker goes), so a numbered list reads alike from a ``.txt`` and a ``.md`` file."""
    kept = []
    for start, end in spans:
        marker = _LIST_MARKER.match(text, start, end)
        if marker:
            line_start = start
            while line_start > 0 and text[line_start - 1] in " \t":
                line_start -= 1
            if line_start == 0 or text[line_start - 1] in "\n\r":  # not a number ending a sentence mid-line
                start = marker.end()
        if start < end:
            kept.append((start, end))
    return kept


def segment_document(document: SourceDocument, lang: str) -> list[tuple[int, int]]:
    """Sentence offsets for a document; Markdown markers (#, -, 1., >) are left outside sentences, and
    so are a plain-text file's list markers (1., 1), -, *, +) that begin a line."""
    if document.sentence_spans is not None:
        return list(document.sentence_spans)
    if document.single_sentence:
        start, end = 0, len(document.text)
        while start < end and document.text[start].isspace():
            start += 1
        while end > start and document.text[end - 1].isspace():
            end -= 1
        return [(start, end)] if start < end else []
    spans = segment(document.text, lang)
    if document.format == "txt":
        return _without_list_markers(document.text, spans)
    if document.format != "md":
        return spans
    cleaned = []
    for start, end in spans:
        marker = _MD_MARKER.match(document.text, start, end)
        if marker:
            start = marker.end()
        piece = document.text[start:end]
        if start < end and not _MD_RULE.fullmatch(piece):
            cleaned.append((start, end))
    return cleaned


@takes_workspace
def add_documents(
    workspace: Workspace, paths: Sequence[str | Path], *, lang: str | None = None, doc_id: str | None = None,
    encoding: str | None = None, fmt: str | None = None, replace: bool = False,
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES, progress: ProgressCallback = no_progress,
    index: bool = True,
) -> IngestReport:
    """Ingest the files at ``paths`` into ``workspace``, all or nothing.

    Every file is read, decoded and segmented before anything is written, so one bad file leaves
    the workspace untouched. Re-adding an unchanged document does nothing. A document whose text
    changed is refused unless ``replace``: then sentences whose text is unchanged keep their ids,
    new sentences get new numbers (never reused), and the sentences that disappear are kept in
    ``orphaned.jsonl``; annotations are never deleted, and the report names every annotated
    sentence that was orphaned. Only regular files are read, and a document larger than
    ``max_document_bytes`` is refused (see :func:`~tagline.corpus.readers.read_documents`).
    ``progress`` is told of each file read and each document segmented (see
    :class:`~tagline.corpus.progress.ProgressCallback`). ``index=False`` leaves the sentence index to
    the caller (see :func:`add_source_documents`).
    """
    if doc_id is not None and len(paths) != 1:
        raise InputError("--doc-id names one document, but several files were given",
                         fix="add the files one at a time, or drop --doc-id")
    if encoding:
        text_codec(encoding)
    documents: list[SourceDocument] = []
    for done, path in enumerate(paths):
        progress(done, len(paths), "reading files")
        documents.extend(read_documents(path, fmt=fmt, encoding=encoding, doc_id=doc_id,
                                        max_document_bytes=max_document_bytes))
    progress(len(paths), len(paths), "reading files")
    return add_source_documents(workspace, documents, lang=lang, replace=replace, progress=progress, index=index)


def add_source_documents(
    workspace: Workspace, documents: Iterable[SourceDocument], *, lang: str | None = None, replace: bool = False,
    sentence_meta: dict[str, list[dict[str, Any]]] | None = None, progress: ProgressCallback = no_progress,
    index: bool = True,
) -> IngestReport:
    """Ingest already-read documents (see :func:`add_documents`).

    The sentence index in ``build/index/`` is brought up to date before returning (extended by the
    appended sentences, or made whole after a replacement), so the first session after an ingest
    opens without making it. A caller that ingests inside a larger transaction passes
    ``index=False`` and calls :func:`~tagline.corpus.sentence_index.keep_index_current` once its
    transaction is over, so that nothing outside the journal is written before the change is whole.

    The whole check-and-write runs under the workspace lock, and the writes are one journalled
    transaction: two ingests at once never lose or double a document, and a failure or a killed
    process leaves the workspace as it was. The texts of documents made from the records of one file
    (an import, a JSONL or CSV corpus) go to one new file in ``documents/``; a document that was a
    file of its own gets ``documents/<doc_id>.txt``.
    """
    segment_workers.refuse_in_a_starting_worker()
    if lang not in (None, "ja", "en", "auto"):  # as the command's --lang allows
        raise InputError(f"language {lang!r} is not one of ja, en, auto", fix="pass lang='ja', 'en' or 'auto'")
    documents = list(documents)
    with workspace.transaction() as transaction:
        if index:  # the command's work, saved as its journal ends (a signal then does not say it stopped)
            transaction.on_commit(_commit)
        report = _add_locked(workspace, documents, transaction, lang=lang, replace=replace,
                             sentence_meta=sentence_meta, progress=progress)
    if not index:  # inside the caller's transaction, which goes on
        return report
    _commit()  # the documents are added: a Ctrl-C from here on must not be reported as having stopped it
    if report.added or report.replaced:
        progress(0, None, "indexing sentences")
        keep_index_current(workspace)
    return report


# document, its sentences, its registry record
Planned = list[tuple[SourceDocument, list[dict[str, Any]], dict[str, Any] | None]]


def _add_locked(workspace: Workspace, documents: list[SourceDocument], transaction: Transaction, *,
                lang: str | None, replace: bool, sentence_meta: dict[str, list[dict[str, Any]]] | None,
                progress: ProgressCallback) -> IngestReport:
    report = IngestReport()
    planned = _plan(workspace, documents, report, lang=lang, replace=replace, sentence_meta=sentence_meta,
                    progress=progress)
    if not planned:
        return report
    progress(0, None, "writing sentences")
    stored_doc_ids = _stored_doc_ids(workspace)
    rewrite = any(existing is not None or doc.doc_id in stored_doc_ids for doc, _, existing in planned)
    orphan_records = _carry_over(workspace, planned, report) if rewrite else []

    # Write order: document text, then sentences, then the registry line that makes it count. A
    # replaced text stays beside the new one as a .bak (or where it was, in an import's text file),
    # so orphaned offsets can still be read.
    workspace.documents_dir.mkdir(exist_ok=True)
    placed = _write_texts(workspace, transaction, planned)
    if rewrite:
        replaced_ids = {document.doc_id for document, _, _ in planned}
        new_records = [record for _, records, _ in planned for record in records]
        transaction.replace(
            workspace.sentences_path,
            _chain((r for r in workspace.iter_sentences() if r["doc_id"] not in replaced_ids), new_records),
        )
        if orphan_records:
            transaction.append(workspace.orphaned_path, orphan_records)
    else:
        transaction.append(workspace.sentences_path, (r for _, records, _ in planned for r in records))
    now = utc_now()
    registry_records = []
    for document, records, existing in planned:
        text_at, digest = placed.get(document.doc_id) or (None, document.text_sha256)
        entry: dict[str, object] = {"doc_id": document.doc_id, "source": document.source, "format": document.format,
                 "encoding": document.encoding, "lang": document.lang, "text_sha256": digest,
                 "n_sentences": len(records), "added": now}
        if existing is not None:
            entry["replaced"] = True
        if text_at is not None:
            entry["text_at"] = text_at
        if document.meta:
            entry["meta"] = document.meta
        registry_records.append(entry)
        if existing is None:
            report.added.append({"doc_id": document.doc_id, "n_sentences": len(records), "lang": document.lang,
                                 "encoding": document.encoding})
    transaction.append(workspace.documents_path, registry_records)
    return report



def _write_texts(workspace: Workspace, transaction: Transaction,
                 planned: Planned) -> dict[str, tuple[dict[str, Any], str]]:
    """Write the planned documents' texts: those made from the records of one file in one text file
    (their ``text_at`` and digest are returned), the others each in a file of its own."""
    from tagline.corpus.texts import RECORD_FORMATS, write_texts_file

    records = [document for document, _, _ in planned if document.format in RECORD_FORMATS]
    transaction.write_texts((workspace.document_text_path(document.doc_id), document.text, existing is not None)
                            for document, _, existing in planned if document.format not in RECORD_FORMATS)
    return write_texts_file(workspace, transaction, records) if records else {}


def _plan(workspace: Workspace, documents: list[SourceDocument], report: IngestReport, *, lang: str | None,
          replace: bool, sentence_meta: dict[str, list[dict[str, Any]]] | None, progress: ProgressCallback) -> Planned:
    """The documents to write, each with its sentences; unchanged ones go to ``report``.

    A large input's documents are all checked first and then segmented in worker processes
    (:mod:`~tagline.corpus.segment_workers`); should a check fail, the documents before it are
    segmented still, so that one of them without sentences is reported first, as in turn."""
    config_lang = workspace.config.language
    registry = workspace.documents()
    planned: Planned = []
    waiting: list[tuple[SourceDocument, list[dict[str, Any]] | None, dict[str, Any] | None]] = []
    later = segment_workers.in_workers(documents)
    try:
        _check_documents(documents, registry, report, config_lang, lang=lang, replace=replace,
                         sentence_meta=sentence_meta, progress=progress, later=later, planned=planned, waiting=waiting)
    except (InputError, ConflictError):
        if waiting:
            _segmented(waiting, progress, len(documents))
        raise
    if waiting:
        planned = _segmented(waiting, progress, len(documents))
    progress(len(documents), len(documents), "segmenting documents")
    return planned


def _segmented(waiting: list[tuple[SourceDocument, list[dict[str, Any]] | None, dict[str, Any] | None]],
               progress: ProgressCallback, total: int) -> Planned:
    """The checked documents with their sentences, made in worker processes."""
    spans = segment_workers.segment_all([document for document, _, _ in waiting], progress, total)
    return [(document, _sentence_records(document, document.lang or "en", meta, document_spans), existing)
            for (document, meta, existing), document_spans in zip(waiting, spans)]


def _check_documents(documents: list[SourceDocument], registry: dict[str, dict[str, Any]], report: IngestReport,
                     config_lang: str, *, lang: str | None, replace: bool,
                     sentence_meta: dict[str, list[dict[str, Any]]] | None, progress: ProgressCallback, later: bool,
                     planned: Planned,
                     waiting: list[tuple[SourceDocument, list[dict[str, Any]] | None, dict[str, Any] | None]]) -> None:
    """Each document checked, its language set, and planned with its sentences (or, ``later``, left
    ``waiting`` for them)."""
    seen: set[str] = set()
    for done, document in enumerate(documents):
        if not later:
            progress(done, len(documents), "segmenting documents")
        if document.doc_id in seen:
            raise InputError(f"document id {document.doc_id!r} is given twice", where=document.source,
                             fix="give each document its own id")
        seen.add(document.doc_id)
        problem = unstorable_character(document.text)
        if problem:
            raise InputError(f"the text holds {problem}", where=document.source,
                             fix="repair the text; it cannot be a sentence")
        existing = registry.get(document.doc_id)
        if existing and existing["text_sha256"] == document.text_sha256:
            report.unchanged.append(document.doc_id)
            continue
        if existing and not replace:
            raise ConflictError(
                f"document {document.doc_id!r} is already in the workspace with different text",
                where=document.source,
                fix="pass --replace to replace it (annotations are kept), or give it another --doc-id",
            )
        if lang and lang != "auto":
            document.lang = lang
        elif not document.lang:
            document.lang = config_lang if config_lang != "auto" and lang != "auto" else detect_lang(document.text)
        meta = sentence_meta.get(document.doc_id) if sentence_meta else None
        if later:
            waiting.append((document, meta, existing))
        else:
            planned.append((document, _sentence_records(document, document.lang, meta), existing))


def _sentence_records(document: SourceDocument, lang: str, meta: list[dict[str, Any]] | None,
                      spans: list[tuple[int, int]] | None = None) -> list[dict[str, Any]]:
    """A document's sentence records (of ``spans`` when they were made already)."""
    if spans is None:
        spans = segment_document(document, lang)
    if not spans:
        raise InputError("no sentences found", where=document.source, fix="check that the file has text")
    records = []
    for index, (start, end) in enumerate(spans, 1):
        record = {"id": sentence_id(document.doc_id, index), "doc_id": document.doc_id, "index": index,
                  "text": document.text[start:end], "start": start, "end": end, "lang": lang}
        if document.split:
            record["split"] = document.split
        if meta:
            record["meta"] = meta[index - 1]
        records.append(record)
    return records


def _carry_over(workspace: Workspace, planned: Planned, report: IngestReport) -> list[dict[str, Any]]:
    """Give the sentences of replaced documents their old ids where the text is unchanged; return
    the sentences that left (to keep in orphaned.jsonl) and note them in ``report``."""
    annotated = _annotated_sentence_ids(workspace)
    orphaned_ids = _orphaned_ids(workspace)
    old_by_doc: dict[str, list[dict[str, Any]]] = {}
    for stored in workspace.iter_sentences():
        old_by_doc.setdefault(stored["doc_id"], []).append(stored)
    orphan_records: list[dict[str, Any]] = []
    for document, records, existing in planned:
        # Sentences left by an ingest that crashed before its registry line are not a document yet.
        old = old_by_doc.get(document.doc_id, []) if existing is not None else []
        kept, orphans = _carry_ids(document.doc_id, old, records, orphaned_ids)
        if existing is not None:
            orphan_records.extend({**record, "orphaned": utc_now()} for record in orphans)
            report.replaced.append({
                "doc_id": document.doc_id, "kept": kept, "new": len(records) - kept,
                "orphaned": [record["id"] for record in orphans],
                "orphaned_annotated": [record["id"] for record in orphans if record["id"] in annotated],
            })
    return orphan_records


def _chain(*iterables: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for iterable in iterables:
        yield from iterable


def _carry_ids(doc_id: str, old: list[dict[str, Any]], new: list[dict[str, Any]],
               orphaned_ids: set[str]) -> tuple[int, list[dict[str, Any]]]:
    """Give unchanged sentences their old ids and new ones fresh numbers; return (kept, orphans)."""
    if not old:
        return 0, []
    matcher = difflib.SequenceMatcher(None, [r["text"] for r in old], [r["text"] for r in new], autojunk=False)
    used_numbers = [_number(r["id"]) for r in old] + [_number(i) for i in orphaned_ids if i.startswith(doc_id + "-s")]
    next_number = max(used_numbers, default=0) + 1
    assigned: dict[int, str] = {}
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            assigned[block.b + offset] = old[block.a + offset]["id"]
    for position, record in enumerate(new):
        if position in assigned:
            record["id"] = assigned[position]
        else:
            record["id"] = sentence_id(doc_id, next_number)
            next_number += 1
    kept_ids = set(assigned.values())
    return len(assigned), [r for r in old if r["id"] not in kept_ids]


def _number(sentence_id_: str) -> int:
    match = _SENTENCE_NUMBER.search(sentence_id_)
    return int(match.group(1)) if match else 0


def _stored_doc_ids(workspace: Workspace) -> set[str]:
    return {record["doc_id"] for record in workspace.iter_sentences()}


def _orphaned_ids(workspace: Workspace) -> set[str]:
    return {record["id"] for record in workspace.iter_orphans()}


def _annotated_sentence_ids(workspace: Workspace) -> set[str]:
    ids: set[str] = set()
    for path in workspace.annotation_files():
        ids.update(record["sentence_id"] for record in read_records(path, kind="event"))
    return ids


def _commit() -> None:
    from tagline.interrupts import commit

    commit()
