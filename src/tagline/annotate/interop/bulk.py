"""The import of a JSON Lines file of span records (doccano's sequence labelling export) in bulk: each line
decoded by msgspec into a typed record, checked, and written in chunks as JSON lines, without the
per-record objects of the general path; the same files, byte for byte.

It takes the file only when everything in it is plain: a record the general path would refuse, warn
about or read another way (a category, a stance, an id seen twice, a document already in the workspace,
...) makes :func:`import_jsonl_spans` return ``None`` before anything is written, and the general path
then reads the file record by record and says what is wrong where."""

from __future__ import annotations

import functools
import itertools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import add, attrgetter, is_, is_not, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from tagline.annotate.formats.common import plural
from tagline.annotate.interop.bulk_lines import documents_columns, entities_lines
from tagline.annotate.interop.writing import Written, keep_indexes_current, saved_with
from tagline.corpus.byte_columns import AppendedLines, NotedLines, mapped_bytes, note_lines
from tagline.corpus.primitives import write_at
from tagline.corpus.progress import ProgressCallback
from tagline.corpus.readers import MAX_JSON_DEPTH, doc_id_from, unstorable_character
from tagline.corpus.workers import made_aside, numpy_without_threads
from tagline.corpus.workspace import Workspace

if TYPE_CHECKING:
    from tagline.annotate.interop.labels import LabelMapper
    from tagline.corpus.config import Config

CHUNK_LINES = 100_000  # records decoded, checked and written at a time: memory does not grow with the file
ASIDE_RECORDS = 20_000  # a chunk of this many records or more has its answer lines made in a forked worker
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
class _Chunk:
    """A chunk of the file's records and their line numbers; once checked, the columns the lines are
    made of: each record's text, document id, leading blanks and end of its stripped text, the
    records with a `label` list (their positions), and their spans, merged and in order (each one's
    record, offsets in its text and configured label), with the number of each record's."""

    numbers: list[int]
    records: list[_Record]
    texts: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    leads: Any = None
    stops: Any = None
    answered: list[int] = field(default_factory=list)
    span_record: Any = None
    starts: Any = None
    ends: Any = None
    labels: list[str] = field(default_factory=list)
    counts: Any = None


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
    numpy_without_threads()  # so that a large chunk's answer lines may be made in a forked worker
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
        _check_chunk(job, first, checked, config)
        with job.workspace.lock():
            checked.known = _known(job.workspace, job.annotator)
            if not checked.known.isdisjoint(checked.doc_ids):
                raise _NotPlain
            written = _write(job, itertools.chain([first], _checked_chunks(job, chunks, checked, config)), checked)
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
        data.isascii() or data.decode(_ENCODING)
    except UnicodeDecodeError:
        raise _NotPlain from None
    if data.lstrip(b" \t\r\n").startswith(b"["):
        raise _NotPlain  # a JSON array
    return data


def _records(data: bytes) -> Iterator[_Chunk]:
    """The file's records with their line numbers, a chunk at a time; :class:`_NotPlain` at a chunk
    with a record that is not plain."""
    numbers: list[int] = []
    records: list[_Record] = []
    first = 1  # the number of the block's first line
    for block in _blocks(data):
        block_numbers, block_records = _decoded(block, first)
        numbers += block_numbers
        records += block_records
        del block_numbers, block_records
        while len(records) >= CHUNK_LINES:
            chunk = _plain_chunk(numbers[:CHUNK_LINES], records[:CHUNK_LINES])
            del numbers[:CHUNK_LINES], records[:CHUNK_LINES]
            yield chunk  # its records held only by it: its check lets them go (see _check_chunk)
        first += block.count(b"\n") + 1
    if records:
        chunk = _plain_chunk(numbers, records)
        del numbers, records
        yield chunk


def _plain_chunk(numbers: list[int], records: list[_Record]) -> _Chunk:
    """The chunk, unless a record has a field the bulk path does not take (see :class:`_Record`)."""
    if any(map(attrgetter("meta"), records)) or any(
            any(map(is_not, map(attrgetter(name), records), itertools.repeat(msgspec.UNSET)))
            for name in ("labels", "entities", "cats", "relations", "sentence_id")):
        raise _NotPlain
    return _Chunk(numbers, records)


def _decoded(block: bytes, first: int) -> tuple[list[int], list[_Record]]:
    """The records of a block's lines (the first numbered ``first``) and their line numbers, decoded in
    one call when each line is one object ("{" its first byte and "}" its last: then no value runs over
    two lines) with fewer brackets than the general path's depth limit, and there are as many records
    as lines, the line feeds that end the file's last block aside; otherwise line by line
    (:class:`_NotPlain` at the first that is not a record)."""
    import numpy as np

    whole = block
    block = block.rstrip(b"\n")  # the last block of a file that ends with a line feed: its empty last line
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
                return list(range(first, first + len(records))), records
    return _decoded_one_by_one(whole, first)


def _decoded_one_by_one(block: bytes, first: int) -> tuple[list[int], list[_Record]]:
    numbers, records = [], []
    for number, line in enumerate(block.split(b"\n"), first):
        if not line.strip():
            continue
        if line.count(b"[") + line.count(b"{") > MAX_JSON_DEPTH:
            raise _NotPlain  # may be nested deeper than the general path accepts
        try:
            records.append(_DECODE(line))
        except (msgspec.DecodeError, RecursionError):
            raise _NotPlain from None
        numbers.append(number)
    return numbers, records


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
    """The lines of ``data`` that are not blank: counted in bytes when each starts with ``{`` (then
    none is blank, but the empty one after a last line feed), else line by line."""
    starting = data.count(b"\n{") + data.startswith(b"{")
    if starting == data.count(b"\n") + 1 - data.endswith(b"\n"):
        return starting
    return sum(1 for line in _lines(data) if line.strip())


def _known(workspace: Workspace, annotator: str) -> set[str]:
    """The documents a record of the file may not be: those the workspace holds, those it has
    sentences of (left by an ingest that crashed before its registry line) and those the annotator
    has answers on (answers left on sentences that are not there)."""
    known = set(workspace.documents())
    known.update(sentence["doc_id"] for sentence in workspace.iter_sentences())
    return known | answered_documents(workspace, annotator)


def _document_ids(prefix: str, records: list[_Record], before: int) -> list[str]:
    """The records' document ids, the first record numbered ``before + 1`` in the file."""
    ids = list(map(attrgetter("id"), records))
    keys = list(map(str, range(before + 1, before + len(ids) + 1) if ids.count(None) == len(ids) else
                    ids if set(map(type, ids)) == {int} else []))
    # doc_id_from leaves a valid prefix and a number as they are: no call for the usual keys
    if keys and "".join(keys).isdigit() and len(prefix) + 1 + max(map(len, keys)) <= 128:
        return list(map(f"{prefix}-".__add__, keys))
    return [_document_id(prefix, record, ordinal) for ordinal, record in enumerate(records, before + 1)]


def _check_chunk(job: BulkImport, chunk: _Chunk, checked: _Checked, config: Config) -> None:
    """Every record of the chunk checked as the general path checks it, :class:`_NotPlain` when one
    is not plain; the chunk's columns filled in (see :class:`_Chunk`)."""
    import numpy as np

    texts = chunk.texts = list(map(attrgetter("text"), chunk.records))
    if not all(map(str.strip, texts)) or unstorable_character("\n".join(texts)):
        raise _NotPlain
    doc_ids = chunk.doc_ids = _document_ids(doc_id_from(job.path.stem), chunk.records, checked.records)
    if len(set(doc_ids)) < len(doc_ids) or not checked.doc_ids.isdisjoint(doc_ids) or \
            not checked.known.isdisjoint(doc_ids):
        raise _NotPlain
    job.progress(checked.records, checked.total, "placing records")
    checked.records += len(doc_ids)
    checked.doc_ids.update(doc_ids)
    checked.first_doc_id = checked.first_doc_id or doc_ids[0]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    chunk.leads = lengths - np.fromiter(map(len, map(str.lstrip, texts)), dtype=np.int64, count=len(texts))
    chunk.stops = np.fromiter(map(len, map(str.rstrip, texts)), dtype=np.int64, count=len(texts))
    _check_spans(job, chunk, checked, config)
    chunk.records = []  # let go before a worker is forked: neither copied on write nor freed page by page after
    job.progress(checked.records, checked.total, "placing records")  # the chunk's last one placed


def _check_spans(job: BulkImport, chunk: _Chunk, checked: _Checked, config: Config) -> None:
    """The spans of the chunk's records checked (inside the text's stripped part, a label the label
    map or the configuration knows) and kept as columns: labels mapped, those left out by the map
    dropped, equal ones merged, in order of record, offsets and label."""
    import numpy as np

    from tagline.annotate.interop.labels import UNKNOWN_LABEL

    given = list(map(attrgetter("label"), chunk.records))
    if any(map(is_, given, itertools.repeat(msgspec.UNSET))):  # records without a `label` list: not answered
        chunk.answered = [index for index, spans in enumerate(given) if spans is not msgspec.UNSET]
        given = [given[index] for index in chunk.answered]
    else:
        chunk.answered = list(range(len(given)))
    checked.answered += len(chunk.answered)
    counts = np.fromiter(map(len, given), dtype=np.int64, count=len(given))
    spans = list(itertools.chain.from_iterable(given))
    checked.holds_spans = checked.holds_spans or bool(spans)
    record_of = np.repeat(np.asarray(chunk.answered, dtype=np.int64), counts)
    try:  # an offset past 64 bits is outside any text: the general path says where
        starts, ends = (np.fromiter(map(itemgetter(at), spans), dtype=np.int64, count=len(spans)) for at in (0, 1))
    except OverflowError:
        raise _NotPlain from None
    if not np.all((chunk.leads[record_of] <= starts) & (starts < ends) & (ends <= chunk.stops[record_of])):
        raise _NotPlain
    labels = list(map(itemgetter(2), spans))
    for label in set(labels).difference(checked.labels):  # a label not seen yet in the file: resolved once
        configured = job.mapper.resolve("entities", label)
        if not label or configured is UNKNOWN_LABEL or unstorable_character(label) or \
                (configured is not None and configured not in config.labels("entities")):
            raise _NotPlain
        checked.labels[label] = configured
    mapped = list(map(checked.labels.__getitem__, labels))
    names = sorted(label for label in set(mapped) if label is not None)
    ranks: dict[str | None, int] = {name: rank for rank, name in enumerate(names)} | {None: -1}
    codes = np.fromiter(map(ranks.__getitem__, mapped), dtype=np.int64, count=len(mapped))
    kept = codes >= 0
    checked.dropped += len(codes) - int(kept.sum())
    record_of, starts, ends, codes = record_of[kept], starts[kept], ends[kept], codes[kept]
    if not _in_order(record_of, starts, ends, codes):  # a file's spans are most often in order already
        order = np.lexsort((codes, ends, starts, record_of))
        record_of, starts, ends, codes = record_of[order], starts[order], ends[order], codes[order]
    repeated = np.zeros(len(codes), dtype=bool)
    repeated[1:] = (record_of[1:] == record_of[:-1]) & (starts[1:] == starts[:-1]) & (ends[1:] == ends[:-1]) & \
        (codes[1:] == codes[:-1])
    checked.duplicate_spans += int(repeated.sum())
    chunk.span_record, chunk.starts, chunk.ends = record_of[~repeated], starts[~repeated], ends[~repeated]
    chunk.labels = np.array(names or [""], dtype=object)[codes[~repeated]].tolist()
    chunk.counts = np.bincount(np.searchsorted(np.asarray(chunk.answered, dtype=np.int64), chunk.span_record),
                               minlength=len(chunk.answered))


def _in_order(*keys: Any) -> bool:
    """Whether the rows of the columns ``keys`` (NumPy arrays) are in order, the first column first."""
    import numpy as np

    after = np.zeros(max(len(keys[0]) - 1, 0), dtype=bool)  # each row decided after the one before it
    tied = np.ones_like(after)
    for key in keys:
        after |= tied & (key[1:] > key[:-1])
        tied &= key[1:] == key[:-1]
    return bool(np.all(after | tied))


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


def _checked_chunks(job: BulkImport, chunks: Iterator[_Chunk], checked: _Checked, config: Config) -> Iterator[_Chunk]:
    for chunk in chunks:
        _check_chunk(job, chunk, checked, config)
        yield chunk


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
    # Answers: made with the documents (a large chunk's by a fork), held in a nameless file until those are written
    held: list[NotedLines] = []
    workspace.build_dir.mkdir(exist_ok=True)
    with workspace.transaction() as transaction, tempfile.TemporaryFile(dir=str(workspace.build_dir)) as spool:
        saved_with(transaction)  # the import is whole as its journal ends
        texts_name, offset = "", 0
        for chunk in chunks:
            # Counted to the chunk's end, where its checks left it: the bar carries on over the chunks.
            job.progress(checked.records, checked.total, "segmenting documents")  # a sentence each
            if not texts_name:
                workspace.documents_dir.mkdir(exist_ok=True)
                texts_name = texts_file_name(workspace, checked.first_doc_id)
            with made_aside(functools.partial(_spooled_event_lines, job, chunk, now, spool, spool.seek(0, 2)),
                            fork=len(chunk.doc_ids) >= ASIDE_RECORDS) as events:
                texts, sentences, registry = _document_lines(job, chunk, offset, texts_name, now)
                job.progress(checked.records, checked.total, "writing sentences")
                transaction.append_bytes(workspace.documents_dir / texts_name, texts)
                at = transaction.append_bytes(workspace.sentences_path, sentences)
                written.sentences.add(at, sentences, list(map(add, chunk.doc_ids, itertools.repeat("-s0001"))))
                transaction.append_bytes(workspace.documents_path, registry)
                offset += len(texts)
                del texts, sentences, registry
                held.append(events())
        _check_all(job, checked)
        job.progress(checked.records, checked.records, "writing sentences")
        if not (checked.holds_spans and checked.answered):
            return written  # records with empty span lists alone: no answers, as the general path
        job.progress(0, None, "writing answers")
        # As write_import: the documents are kept from here on, the answers are not journalled.
        transaction.checkpoint()
        workspace.annotations_dir.mkdir(exist_ok=True)
        answers = written.answers[job.annotator] = AppendedLines()
        at = 0
        for noted in held:
            if noted.size:
                answers.add(transaction.append_bytes(workspace.annotation_path(job.annotator),
                                                     mapped_bytes(spool, at, noted.size), journal=False), noted)
            at += noted.size
    return written


def _document_lines(job: BulkImport, chunk: _Chunk, offset: int, texts_name: str,
                    now: str) -> tuple[bytes, bytes, bytes]:
    """A chunk's document texts, sentence lines and registry lines, as the ingest writes them."""
    config = job.workspace.config
    fixed_lang = job.lang or (config.language if config.language != "auto" else None)
    count = len(chunk.texts)
    return documents_columns(chunk.doc_ids, chunk.texts, [fixed_lang] * count, [job.split] * count,
                             list(map(f"{job.path}:".__add__, map(str, chunk.numbers))), None, _ENCODING, now,
                             texts_name, offset)


def _spooled_event_lines(job: BulkImport, chunk: _Chunk, now: str, spool: Any, at: int) -> NotedLines:
    """A chunk's answers as event lines (:func:`_event_lines`) written to the file ``spool`` at ``at``; noted."""
    lines, answered = _event_lines(job, chunk, now)
    write_at(spool.fileno(), lines, at, where=job.workspace.build_dir)  # the file has no name: its folder's
    return note_lines(lines, answered)


def _event_lines(job: BulkImport, chunk: _Chunk, now: str) -> tuple[bytes, list[str]]:
    """A chunk's answers as event lines: each record's spans (as :func:`_check_spans` kept them) on its
    one sentence, in order of their offsets and label; with the sentence of each line."""
    import numpy as np

    answered = list(map(add, map(chunk.doc_ids.__getitem__, chunk.answered), itertools.repeat("-s0001")))
    texts = np.array(chunk.texts, dtype=object)[chunk.span_record].tolist()  # no Python int per span
    span_texts = list(map(str.__getitem__, texts, map(slice, chunk.starts.tolist(), chunk.ends.tolist())))
    leads = chunk.leads[chunk.span_record]
    return entities_lines(answered, job.annotator, now, f"import:{job.fmt}", chunk.counts, chunk.starts - leads,
                          chunk.ends - leads, chunk.labels, span_texts), answered
