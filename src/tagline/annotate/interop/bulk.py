"""The import of a JSON Lines file of span records (doccano's sequence labelling export) in bulk: each
line decoded by msgspec into a typed record, checked, and written in chunks as JSON lines, without
the per-record objects of the general path; the same files, byte for byte.

It takes the file only when everything in it is plain: a record the general path would refuse,
warn about or read another way (a category, a stance, an id seen twice, a document already in the
workspace, ...) makes :func:`import_jsonl_spans` return ``None`` before anything is written, and
the general path then reads the file record by record and says what is wrong where."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from tagline.annotate.formats.common import plural
from tagline.annotate.interop.bulk_lines import (
    ENCODE_LINES,
    EventLine,
    SpanLine,
    documents_lines,
    entities_event,
)
from tagline.annotate.interop.writing import Written, keep_indexes_current
from tagline.corpus.byte_columns import AppendedLines, NotedLines, note_lines
from tagline.corpus.progress import ProgressCallback
from tagline.corpus.readers import MAX_JSON_DEPTH, doc_id_from, unstorable_character
from tagline.corpus.workspace import Workspace

if TYPE_CHECKING:
    from tagline.annotate.interop.labels import LabelMapper
    from tagline.corpus.config import Config

CHUNK_LINES = 100_000  # records decoded, checked and written at a time: memory does not grow with the file
SPOOL_BYTES = 1 << 26  # answer lines held in memory until the documents are written; past this, in a file
_ENCODING = "utf-8"


class _Record(msgspec.Struct):
    """A doccano record as the bulk import takes it; a field that is not ``UNSET`` among those after
    ``id`` means the record is not plain (see the module's docstring)."""

    text: str
    label: list[tuple[int, int, str]] | msgspec.UnsetType = msgspec.UNSET
    id: int | str | None = None
    meta: Any = msgspec.UNSET
    labels: Any = msgspec.UNSET
    entities: Any = msgspec.UNSET
    cats: Any = msgspec.UNSET
    relations: Any = msgspec.UNSET
    sentence_id: Any = msgspec.UNSET


_DECODE = msgspec.json.Decoder(_Record).decode
_DECODE_LINES = msgspec.json.Decoder(_Record).decode_lines


class _NotPlain(Exception):
    """The file is left to the general path."""


@dataclass
class _Checked:
    """What the check of the records so far found: enough to write them without keeping them."""

    known: set[str]  # the documents the workspace holds, has sentences of, or the annotator answered on
    total: int  # records in the file
    records: int = 0
    answered: int = 0  # records with a `label` list
    holds_spans: bool = False
    doc_ids: set[str] = field(default_factory=set)
    labels: dict[str, str | None] = field(default_factory=dict)  # file label -> configured label (None: left out)
    duplicate_spans: int = 0
    dropped: int = 0
    first_doc_id: str = ""


@dataclass
class BulkImport:
    """A plain span file to import for one annotator (see :func:`import_jsonl_spans`)."""

    workspace: Workspace
    path: Path
    fmt: str
    annotator: str
    mapper: LabelMapper
    split: str | None
    lang: str | None
    progress: ProgressCallback


def import_jsonl_spans(job: BulkImport, *, dry_run: bool) -> dict[str, Any] | None:
    """Import ``job.path`` as the general path would, or ``None`` (nothing written) when the file is
    not plain. The file is read once: each chunk of records is checked, then written in the
    transaction, which a record found not plain in a later chunk undoes. The workspace lock is held
    from the look at what the workspace holds to the last write (taken after the first chunk's check)."""
    config = job.workspace.config
    if "entities" not in config.data["tasks"] or job.path.suffix.lower() == ".txt":
        return None
    try:
        data = _plain_bytes(job.path)
        job.progress(0, None, f"reading {job.path.name}")
        if dry_run:
            checked = _Checked(known=_known(job.workspace, job.annotator), total=_count_records(data))
            for chunk in _records(data):
                _check_chunk(job, chunk, checked, config)
            _check_all(job, checked)
            return _summary(job, checked, dry_run)
        # The first chunk is checked before the lock is taken (against the documents the workspace
        # holds, looked at again under it), so a file of one chunk that is not plain leaves no trace.
        checked = _Checked(known=set(job.workspace.documents()), total=_count_records(data))
        chunks = _records(data)
        first = next(chunks, None)
        if first is None:
            raise _NotPlain
        head = (first, *_check_chunk(job, first, checked, config))
        with job.workspace.lock():
            checked.known = _known(job.workspace, job.annotator)
            if not checked.known.isdisjoint(checked.doc_ids):
                raise _NotPlain
            written = _write(job, itertools.chain([head], _checked_chunks(job, chunks, checked, config)), checked)
            keep_indexes_current(job.workspace, True, [job.annotator] if checked.holds_spans and checked.answered
                                 else [], job.progress, written)
            return _summary(job, checked, dry_run)
    except _NotPlain:
        return None


def _plain_bytes(path: Path) -> bytes:
    """The file's bytes when it is UTF-8 without a byte order mark, without NUL, and JSON Lines."""
    from tagline.corpus.readers import read_input

    data = read_input(path)
    if data[:3] == b"\xef\xbb\xbf" or data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data:
        raise _NotPlain
    try:
        data.decode(_ENCODING)
    except UnicodeDecodeError:
        raise _NotPlain from None
    if data.lstrip(b" \t\r\n").startswith(b"["):
        raise _NotPlain  # a JSON array
    return data


def _records(data: bytes) -> Iterator[list[tuple[int, _Record]]]:
    """The file's records with their line numbers, a chunk at a time."""
    chunk: list[tuple[int, _Record]] = []
    first = 1  # the number of the block's first line
    for block in _blocks(data):
        for number, record in _decoded(block, first):
            if record.meta or not (record.labels is record.entities is record.cats is record.relations
                                   is record.sentence_id is msgspec.UNSET):
                raise _NotPlain
            chunk.append((number, record))
            if len(chunk) == CHUNK_LINES:
                yield chunk
                chunk = []
        first += block.count(b"\n") + 1
    if chunk:
        yield chunk


def _decoded(block: bytes, first: int) -> Iterable[tuple[int, _Record]]:
    """The records of a block's lines (the first numbered ``first``), decoded in one call when each
    line is one object ("{" its first byte and "}" its last: then no value runs over two lines) with
    fewer brackets than the general path's depth limit, and there are as many records as lines;
    otherwise line by line (:class:`_NotPlain` at the first that is not a record)."""
    import numpy as np

    view = np.frombuffer(block, dtype=np.uint8)
    newlines = np.flatnonzero(view == 10)
    starts, ends = np.concatenate(([0], newlines + 1)), np.append(newlines, len(view))
    if len(view) and bool(np.all(ends > starts)) and bool(np.all(view[starts] == 123)) and \
            bool(np.all(view[np.maximum(ends - 1, 0)] == 125)):
        brackets = np.searchsorted(newlines, np.flatnonzero((view == 91) | (view == 123)))
        if not len(brackets) or int(np.bincount(brackets).max()) <= MAX_JSON_DEPTH:
            try:
                records = _DECODE_LINES(block)
            except (msgspec.DecodeError, RecursionError):
                records = []
            if len(records) == len(starts):
                return zip(range(first, first + len(records)), records)
    return _decoded_one_by_one(block, first)


def _decoded_one_by_one(block: bytes, first: int) -> Iterator[tuple[int, _Record]]:
    for number, line in enumerate(block.split(b"\n"), first):
        if not line.strip():
            continue
        if line.count(b"[") + line.count(b"{") > MAX_JSON_DEPTH:
            raise _NotPlain  # may be nested deeper than the general path accepts
        try:
            yield number, _DECODE(line)
        except (msgspec.DecodeError, RecursionError):
            raise _NotPlain from None


def _blocks(data: bytes, block: int = 1 << 23) -> Iterator[bytes]:
    """``data`` cut at newlines (which are left out) into blocks of some megabytes: the lines of the
    whole file are never all held at once."""
    start = 0
    while (end := data.find(b"\n", start + block)) >= 0:
        yield data[start:end]
        start = end + 1
    yield data[start:]


def _lines(data: bytes, block: int = 1 << 23) -> Iterator[bytes]:
    """The lines of ``data`` (split on ``\\n``), a block of some megabytes split at a time."""
    for part in _blocks(data, block):
        yield from part.split(b"\n")


def _document_id(prefix: str, record: _Record, ordinal: int) -> str:
    key = str(record.id) if record.id not in (None, "") else str(ordinal)
    name = f"{prefix}-{key}"
    # doc_id_from leaves a valid prefix and a number as they are: no call for the usual key
    return name if key.isdigit() and key.isascii() and len(name) <= 128 else doc_id_from(name)


def _count_records(data: bytes) -> int:
    return sum(1 for line in _lines(data) if line.strip())


def _known(workspace: Workspace, annotator: str) -> set[str]:
    """The documents a record of the file may not be: those the workspace holds, those it has
    sentences of (left by an ingest that crashed before its registry line) and those the annotator
    has answers on (answers left on sentences that are not there)."""
    known = set(workspace.documents())
    known.update(sentence["doc_id"] for sentence in workspace.iter_sentences())
    return known | answered_documents(workspace, annotator)


_Spans = set[tuple[int, int, str]]  # a record's spans as (start, end, configured label), offsets in its text


def _check_chunk(job: BulkImport, chunk: list[tuple[int, _Record]], checked: _Checked,
                 config: Config) -> tuple[list[str], list[_Spans | None]]:
    """Every record of the chunk checked as the general path checks it, :class:`_NotPlain` at the
    first that is not plain; their document ids and their spans (None: no `label` list), labels
    mapped, those left out by the map dropped and equal ones merged."""
    from tagline.annotate.interop.labels import UNKNOWN_LABEL

    prefix = doc_id_from(job.path.stem)
    labels, known, doc_ids = checked.labels, checked.known, []
    kept: list[_Spans | None] = []
    for _, record in chunk:
        checked.records += 1
        text = record.text
        if not text.strip() or unstorable_character(text):
            raise _NotPlain
        doc_id = _document_id(prefix, record, checked.records)
        if doc_id in checked.doc_ids or doc_id in known:
            raise _NotPlain
        job.progress(checked.records - 1, checked.total, "placing records")
        checked.doc_ids.add(doc_id)
        doc_ids.append(doc_id)
        checked.first_doc_id = checked.first_doc_id or doc_id
        if record.label is msgspec.UNSET:
            kept.append(None)
            continue
        checked.answered += 1
        seen: _Spans = set()
        kept.append(seen)
        if not record.label:
            continue
        checked.holds_spans = True
        lead = len(text) - len(text.lstrip())
        end_of_sentence = len(text.rstrip())
        kept_spans = 0
        for start, end, label in record.label:
            if not (lead <= start < end <= end_of_sentence):
                raise _NotPlain
            configured = labels.get(label, UNKNOWN_LABEL)
            if configured is UNKNOWN_LABEL:  # a label not seen yet in the file: resolved once
                configured = job.mapper.resolve("entities", label)
                if not label or configured is UNKNOWN_LABEL or unstorable_character(label) or \
                        (configured is not None and configured not in config.labels("entities")):
                    raise _NotPlain
                labels[label] = configured
            if configured is None:
                checked.dropped += 1
                continue
            seen.add((start, end, configured))
            kept_spans += 1
        checked.duplicate_spans += kept_spans - len(seen)
    job.progress(checked.records, checked.total, "placing records")  # the chunk's last one placed
    return doc_ids, kept


def _check_all(job: BulkImport, checked: _Checked) -> None:
    """Once every record is checked: :class:`_NotPlain` for a file without records; the annotator's
    refusal when it may not answer and the file holds answers."""
    from tagline.annotate.answers import check_can_answer

    if not checked.records:
        raise _NotPlain
    if checked.holds_spans:
        check_can_answer(job.workspace, job.annotator)


def answered_documents(workspace: Workspace, annotator: str) -> set[str]:
    """The documents of the sentences ``annotator`` has answers on."""
    if not workspace.annotation_path(annotator).exists():
        return set()
    from tagline.annotate.events import load_view

    return {sentence_id.rsplit("-s", 1)[0] for sentence_id in load_view(workspace, annotator).answers}


def existing_answers_on(workspace: Workspace, annotator: str, doc_ids: set[str]) -> bool:
    """Whether ``annotator`` has answers on sentences of documents ``doc_ids`` (which the workspace
    does not hold: answers left on sentences that are not there)."""
    return not answered_documents(workspace, annotator).isdisjoint(doc_ids)


def _summary(job: BulkImport, checked: _Checked, dry_run: bool) -> dict[str, Any]:
    warnings = []
    if checked.dropped:
        warnings.append(f"{plural(checked.dropped, 'label')} left out as the label map says")
    if checked.duplicate_spans:
        warnings.append(f"{plural(checked.duplicate_spans, 'duplicate span')} in the file merged")
    events = {job.annotator: checked.answered} if checked.holds_spans and checked.answered else {}
    return {"file": str(job.path), "format": job.fmt, "dry_run": dry_run, "documents_added": checked.records,
            "documents_unchanged": 0, "sentences": checked.records, "events": events, "gold": 0, "unchanged": 0,
            "warnings": warnings}


_Chunk = tuple[list[tuple[int, _Record]], list[str], list[_Spans | None]]  # records, document ids, spans


def _checked_chunks(job: BulkImport, chunks: Iterator[list[tuple[int, _Record]]], checked: _Checked,
                    config: Config) -> Iterator[_Chunk]:
    for chunk in chunks:
        yield (chunk, *_check_chunk(job, chunk, checked, config))


def _write(job: BulkImport, chunks: Iterator[_Chunk], checked: _Checked) -> Written:
    """Each chunk of records (checked as it is drawn from ``chunks``), its documents (texts, sentences
    and registry lines) written; the answers once every document is, in one transaction, as
    :func:`~tagline.annotate.interop.writing.write_import` writes them. A record that is not plain
    (:class:`_NotPlain`) undoes what was written. Returns what was written, for the indexes."""
    from tagline.corpus.primitives import utc_now
    from tagline.corpus.texts import texts_file_name

    workspace = job.workspace
    now = utc_now()  # one time for all the command's records, as the general path stamps them
    written = Written()
    # The answers are made with the documents, from the records decoded once, and held (in a file that
    # has no name, past some megabytes) until the documents are written.
    held: list[NotedLines] = []
    workspace.build_dir.mkdir(exist_ok=True)
    with workspace.transaction() as transaction, \
            tempfile.SpooledTemporaryFile(SPOOL_BYTES, dir=str(workspace.build_dir)) as spool:
        texts_name, offset = "", 0
        for chunk, doc_ids, spans in chunks:
            # Counted to the chunk's end, where its checks left the count, so that the bar's count and
            # clock carry on over the chunks rather than start again with each.
            job.progress(checked.records, checked.total, "segmenting documents")  # a sentence each
            if not texts_name:
                workspace.documents_dir.mkdir(exist_ok=True)
                texts_name = texts_file_name(workspace, checked.first_doc_id)
            texts, sentences, registry = _document_lines(job, chunk, doc_ids, offset, texts_name, now)
            job.progress(checked.records, checked.total, "writing sentences")
            transaction.append_bytes(workspace.documents_dir / texts_name, texts)
            at = transaction.append_bytes(workspace.sentences_path, sentences)
            written.sentences.add(at, sentences, [f"{doc_id}-s0001" for doc_id in doc_ids])
            transaction.append_bytes(workspace.documents_path, registry)
            offset += len(texts)
            del texts, sentences, registry
            lines, answered = _event_lines(job, chunk, doc_ids, spans, now)
            held.append(note_lines(lines, answered))
            spool.write(lines)
        _check_all(job, checked)
        job.progress(checked.records, checked.records, "writing sentences")
        if not (checked.holds_spans and checked.answered):
            return written  # records with empty span lists alone: no answers, as the general path
        job.progress(0, None, "writing answers")
        # As write_import: the documents are kept from here on, the answers are not journalled.
        transaction.checkpoint()
        workspace.annotations_dir.mkdir(exist_ok=True)
        answers = written.answers[job.annotator] = AppendedLines()
        spool.seek(0)
        for noted in held:
            if noted.size:
                lines = spool.read(noted.size)
                answers.add(transaction.append_bytes(workspace.annotation_path(job.annotator), lines, journal=False),
                            noted)
    return written


def _document_lines(job: BulkImport, chunk: list[tuple[int, _Record]], doc_ids: list[str], offset: int,
                    texts_name: str, now: str) -> tuple[bytes, bytes, bytes]:
    """A chunk's document texts, sentence lines and registry lines, as the ingest writes them."""
    config = job.workspace.config
    fixed_lang = job.lang or (config.language if config.language != "auto" else None)
    return documents_lines(((doc_id, record.text, fixed_lang, job.split, f"{job.path}:{number}", None)
                            for (number, record), doc_id in zip(chunk, doc_ids)), _ENCODING, now, texts_name, offset)


def _event_lines(job: BulkImport, chunk: list[tuple[int, _Record]], doc_ids: list[str], spans: list[_Spans | None],
                 now: str) -> tuple[bytes, list[str]]:
    """A chunk's answers as event lines: each record's spans (as :func:`_check_chunk` kept them) on its
    one sentence, in order of their offsets and label; with the sentence of each line."""
    source = f"import:{job.fmt}"
    events: list[EventLine] = []
    answered: list[str] = []
    for (_, record), doc_id, kept in zip(chunk, doc_ids, spans):
        if kept is None:
            continue
        text = record.text
        lead = len(text) - len(text.lstrip())
        answered.append(f"{doc_id}-s0001")
        events.append(entities_event(answered[-1], job.annotator, now, [
            SpanLine(start - lead, end - lead, label, text[start:end]) for start, end, label in sorted(kept)], source))
    return ENCODE_LINES(events), answered
