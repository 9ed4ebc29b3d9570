"""The import of a plain Label Studio task array in bulk: its records read a block of the file at a
time (:func:`~tagline.annotate.formats.label_studio_bulk.plain_records`), checked, their labels mapped
and their annotators named as the general path does it, and written as they are read, in one
transaction, so that memory does not grow with the file; the same files, byte for byte, as the
general path.

Anything the general path would refuse, warn about or read another way (see
:mod:`tagline.annotate.interop.bulk_records`) makes :func:`import_plain_tasks` return ``None`` with
nothing written (what a chunk found wrong late in the file undoes what was written): the general path
then reads the file record by record and says what is wrong where."""

from __future__ import annotations

import contextlib
import itertools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagline.annotate.formats.common import ForeignRecord, ReadOptions, plural
from tagline.annotate.formats.label_studio_bulk import NotPlain, plain_records
from tagline.annotate.interop.annotators import AnnotatorNames
from tagline.annotate.interop.bulk import answered_documents
from tagline.annotate.interop.bulk_lines import ENCODE_LINES
from tagline.annotate.interop.bulk_records import _document_lines, _events, _plain
from tagline.annotate.interop.labels import LabelMapper
from tagline.annotate.interop.writing import Written, keep_indexes_current
from tagline.corpus.byte_columns import AppendedLines, NotedLines, note_lines
from tagline.corpus.progress import ProgressCallback
from tagline.corpus.workspace import Workspace
from tagline.errors import TaglineError

CHUNK_RECORDS = 10_000  # records checked and written at a time: memory does not grow with the file
SPOOL_BYTES = 1 << 24  # answer lines held in memory until the documents are written; past this, in a file
_ENCODING = "utf-8"


@dataclass
class TaskImport:
    """A Label Studio task array to import (see :func:`import_plain_tasks`)."""

    workspace: Workspace
    path: Path
    fmt: str
    annotator: str | None  # --annotator: for the answers that name no annotator
    mapper: LabelMapper
    options: ReadOptions
    lang: str | None  # --lang: the language of the new documents
    progress: ProgressCallback


@dataclass
class _Checked:
    """What the checks of the records so far found: enough to write them without keeping them."""

    names: AnnotatorNames
    known: set[str] = field(default_factory=set)  # the documents the workspace holds or has sentences of
    records: int = 0
    doc_ids: set[str] = field(default_factory=set)
    answered: set[str] = field(default_factory=set)  # documents the file's annotators have answers on
    events: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    dropped: int = 0
    warnings: list[str] = field(default_factory=list)  # the general path's, in its order, once all are read


_Chunk = tuple[list[ForeignRecord], list[str], dict[str, int]]  # records, their document ids, events per annotator


def import_plain_tasks(job: TaskImport, *, dry_run: bool) -> dict[str, Any] | None:
    """Import ``job.path`` as the general path would, or ``None`` (nothing written) when the file is
    not plain. The workspace lock (unless ``dry_run``) is held from the first look at the workspace
    to the last write."""
    workspace = job.workspace
    if "entities" not in workspace.config.data["tasks"]:
        return None
    checked = _Checked(AnnotatorNames(job.annotator))
    try:
        job.progress(0, None, f"reading {job.path.name}")
        chunks = _made_chunks(job, checked)
        # Two chunks made and checked before the lock is taken: a file of one chunk that is not
        # plain leaves no trace (not even the lock's file), as when the general path refuses it.
        head = list(itertools.islice(chunks, 2))
        with contextlib.nullcontext() if dry_run else workspace.lock():
            checked.known = set(workspace.documents())
            checked.known.update(sentence["doc_id"] for sentence in workspace.iter_sentences())
            placed = (_placed(job, chunk, checked) for chunk in itertools.chain(_drained(head), chunks))
            if dry_run:
                for _ in placed:
                    pass
                return _summary(job, checked, dry_run)
            written = _write(job, placed, checked)
            keep_indexes_current(workspace, True, [name for name, count in checked.events.items() if count],
                                 job.progress, written)
            return _summary(job, checked, dry_run)
    except NotPlain:
        return None


def _drained(chunks: list[_Chunk]) -> Iterator[_Chunk]:
    """The chunks of ``chunks``, each let go of by the list as it is given."""
    while chunks:
        yield chunks.pop(0)


def _made_chunks(job: TaskImport, checked: _Checked) -> Iterator[_Chunk]:
    """The file's records, some thousands at a time, each chunk made and checked (:func:`_made`);
    :class:`NotPlain` at the first chunk that is not plain, or once all are read, when the file's
    annotators are not (see :meth:`AnnotatorNames.finish`)."""
    chunk: list[ForeignRecord] = []
    for records in plain_records(job.path, job.options):
        chunk += records
        if len(chunk) >= CHUNK_RECORDS:
            yield _made(job, chunk, checked)
            chunk = []
    if chunk:
        yield _made(job, chunk, checked)
    names: list[str] = []
    try:
        checked.names.finish(job.path, names)
    except TaglineError:
        raise NotPlain from None
    if checked.dropped:
        checked.warnings.append(f"{plural(checked.dropped, 'label')} left out as the label map says")
    checked.warnings += names
    if checked.duplicates:
        checked.warnings.append(f"{plural(checked.duplicates, 'duplicate span')} in the file merged")


def _made(job: TaskImport, records: list[ForeignRecord], checked: _Checked) -> _Chunk:
    """The records made as the general path makes them (options applied, labels mapped, annotators
    named) and checked as it checks them, against the records before them; :class:`NotPlain` when
    they are not plain or the general path would refuse them."""
    from tagline.annotate.interop.importing import refuse_unstorable
    from tagline.annotate.interop.labels import map_labels

    config = job.workspace.config
    checked.records += len(records)
    job.progress(checked.records, None, "placing records")
    for record in records:
        if job.options.split:
            record.split = job.options.split
        if job.lang:
            record.lang = job.lang
    try:
        refuse_unstorable(records)
        checked.dropped += map_labels(records, job.mapper, config, "claim_type", None, job.path)
        checked.names.name(records)
    except TaglineError:
        raise NotPlain from None
    plain = _plain(records, job.path, config) if not checked.names.missing else None
    if plain is None:
        raise NotPlain
    doc_ids, events, duplicates = plain
    chunk_ids = set(doc_ids)
    if not checked.doc_ids.isdisjoint(chunk_ids):
        raise NotPlain
    checked.doc_ids |= chunk_ids
    checked.duplicates += duplicates
    return records, doc_ids, events


def _placed(job: TaskImport, chunk: _Chunk, checked: _Checked) -> _Chunk:
    """``chunk`` checked against the workspace (under its lock): its documents new, its annotators
    allowed to answer and without answers on them; :class:`NotPlain` otherwise."""
    from tagline.annotate.answers import check_can_answer

    workspace = job.workspace
    _, doc_ids, events = chunk
    if not checked.known.isdisjoint(doc_ids):
        raise NotPlain
    for name, count in events.items():
        if name not in checked.events:  # an annotator first seen: may it answer, has it answers here
            try:
                check_can_answer(workspace, name)
            except TaglineError:
                raise NotPlain from None
            checked.answered |= answered_documents(workspace, name)
            checked.events[name] = 0
        checked.events[name] += count
    if checked.answered and not checked.answered.isdisjoint(checked.doc_ids):
        raise NotPlain
    return chunk


def _summary(job: TaskImport, checked: _Checked, dry_run: bool) -> dict[str, Any]:
    return {"file": str(job.path), "format": job.fmt, "dry_run": dry_run, "documents_added": checked.records,
            "documents_unchanged": 0, "sentences": checked.records, "events": dict(sorted(checked.events.items())),
            "gold": 0, "unchanged": 0, "warnings": checked.warnings}


def _write(job: TaskImport, chunks: Iterator[_Chunk], checked: _Checked) -> Written:
    """Each chunk of records (checked as it is drawn from ``chunks``), its documents written; the
    answers once every document is, in one transaction, as
    :func:`~tagline.annotate.interop.bulk_records.import_plain_records` writes them. A chunk that is
    not plain (:class:`NotPlain`) undoes what was written. Returns what was written, for the indexes."""
    from tagline.corpus.primitives import utc_now
    from tagline.corpus.texts import texts_file_name

    workspace, config = job.workspace, job.workspace.config
    now = utc_now()  # one time for all the command's records, as the general path stamps them
    written = Written()
    # The answers are made with the documents and held (in a file that has no name, past some
    # megabytes) until the documents are written.
    held: list[tuple[str, NotedLines]] = []
    workspace.build_dir.mkdir(exist_ok=True)
    with workspace.transaction() as transaction, \
            tempfile.SpooledTemporaryFile(SPOOL_BYTES, dir=str(workspace.build_dir)) as spool:
        texts_name, offset = "", 0
        for records, doc_ids, _ in chunks:
            job.progress(checked.records, None, "writing sentences")
            if not texts_name:
                workspace.documents_dir.mkdir(exist_ok=True)
                texts_name = texts_file_name(workspace, doc_ids[0])
            texts, sentences, registry = _document_lines(records, doc_ids, config, _ENCODING, texts_name, now, offset)
            transaction.append_bytes(workspace.documents_dir / texts_name, texts)
            at = transaction.append_bytes(workspace.sentences_path, sentences)
            written.sentences.add(at, sentences, [f"{doc_id}-s0001" for doc_id in doc_ids])
            transaction.append_bytes(workspace.documents_path, registry)
            offset += len(texts)
            del texts, sentences, registry
            for name, lines in sorted(_events(records, doc_ids, job.fmt, now).items()):
                payload = ENCODE_LINES(lines)
                held.append((name, note_lines(payload, [line.sentence_id for line in lines])))
                spool.write(payload)
            del records, doc_ids  # the chunk let go of before the next is made
        job.progress(checked.records, checked.records, "writing sentences")
        if not held:
            return written  # records without answers: no answers, as the general path
        job.progress(0, None, "writing answers")
        transaction.checkpoint()  # as write_import: the documents are kept from here on
        workspace.annotations_dir.mkdir(exist_ok=True)
        spool.seek(0)
        for name, noted in held:
            payload = spool.read(noted.size)
            at = transaction.append_bytes(workspace.annotation_path(name), payload, journal=False)
            written.answers.setdefault(name, AppendedLines()).add(at, noted)
    return written
