"""The import of a plain Label Studio task array in bulk: its tasks read as columns a block of the
file at a time (:func:`~tagline.annotate.formats.label_studio_columns.plain_columns`), checked in
NumPy arrays, their labels mapped and their annotators named as the general path does it, and
written from the columns as they are read (no object per record, answer or span), in one
transaction, so that memory does not grow with the file; the same files, byte for byte, as the
general path.

Anything the general path would refuse, warn about or read another way (see
:mod:`tagline.annotate.interop.bulk_records`) makes :func:`import_plain_tasks` return ``None`` with
nothing written (what a chunk found wrong late in the file undoes what was written): the general path
then reads the file record by record and says what is wrong where."""

from __future__ import annotations

import contextlib
import gc
import itertools
import tempfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tagline.annotate.formats.common import ReadOptions, plural
from tagline.annotate.formats.label_studio_bulk import NotPlain
from tagline.annotate.formats.label_studio_columns import FileLines, TaskColumns, plain_columns
from tagline.annotate.formats.label_studio_parts import columns_in_parts, file_parts
from tagline.annotate.interop.annotators import AnnotatorNames
from tagline.annotate.interop.bulk import answered_documents
from tagline.annotate.interop.bulk_lines import documents_columns, events_lines, spans_values
from tagline.annotate.interop.labels import LabelMapper
from tagline.annotate.interop.writing import Written, keep_indexes_current, saved_with
from tagline.corpus.byte_columns import AppendedLines, NotedLines, mapped_bytes, note_lines
from tagline.corpus.progress import ProgressCallback
from tagline.corpus.readers import doc_id_from, unstorable_character
from tagline.corpus.workspace import Workspace
from tagline.errors import TaglineError, storage_error

if TYPE_CHECKING:
    import numpy as np

CHUNK_RECORDS = 10_000  # records checked and written at a time: memory does not grow with the file
# A file this large or larger is read in a worker process (see _read_columns): below it, starting one costs
# more than it saves.
WORKER_BYTES = 1 << 24
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


@dataclass
class _Chunk:
    """Some thousands of tasks, checked: their columns and what the checks made of them."""

    columns: TaskColumns
    doc_ids: list[str]
    events: dict[str, int]  # answers per annotator
    names: list[str]  # each annotation's annotator name
    leads: np.ndarray  # each text's white space before its sentence
    answers: np.ndarray  # the spans kept (each label mapped), in order and equal ones merged: their annotation,
    starts: np.ndarray  # offsets in the text,
    ends: np.ndarray
    labels: list[str]  # configured label
    texts: list[str]  # and text


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
        with contextlib.closing(_made_chunks(job, checked)) as chunks:  # (its worker stopped on an error)
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


def _made_chunks(job: TaskImport, checked: _Checked) -> Generator[_Chunk, None, None]:
    """The file's tasks, some thousands at a time, each chunk made and checked (:func:`_made`);
    :class:`NotPlain` at the first chunk that is not plain, or once all are read, when the file's
    annotators are not (see :meth:`AnnotatorNames.finish`)."""
    # Closed as this generator is, or as an error leaves it: the reading worker stopped then, not when
    # the generator is collected (a stop raised there is printed as ignored) or at the interpreter's exit.
    with contextlib.closing(_read_columns(job)) as read:
        for columns in read:
            yield _made(job, columns, checked)
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


def _read_columns(job: TaskImport) -> Generator[TaskColumns, None, None]:
    """:func:`_column_chunks` of the file, read in worker processes when the file is large (from
    :data:`WORKER_BYTES`), this process has a second core and may fork (see
    :func:`~tagline.corpus.workers.iter_in_workers`): in parts by two workers at once when the file
    is indented (:mod:`~tagline.annotate.formats.label_studio_parts`), else by one; the workers read
    and decode the next chunks while this process checks and writes those before. What a worker
    raises (:class:`NotPlain`) is raised here, in the file's order; the workers only read, so that
    stopping them (Ctrl-C, a chunk that is not plain) leaves nothing behind."""
    from tagline.corpus.workers import cores, iter_in_workers, only_thread

    # (NumPy not imported yet: its BLAS library starts threads when it is.)
    if job.path.stat().st_size < WORKER_BYTES or cores() < 2 or not only_thread():
        yield from _column_chunks(job.path, job.options)
        return
    parts = file_parts(job.path)
    if parts is not None:  # an indented file: its parts read by two workers at once
        yield from columns_in_parts(job.path, job.options, parts)
        return
    # The first chunk a quarter of the others: this process waits for the worker only that long. The
    # tasks' lines are counted here, while the worker reads on: its share of the work is the larger.
    reading = _column_chunks(job.path, job.options, first=max(CHUNK_RECORDS // 4, 1), lines_later=True)

    def calls() -> Iterator[tuple[()]]:
        yield ()
        # The worker is forked once the first call is handed out: this process imports NumPy (for
        # the checks) while the worker reads.
        import numpy  # noqa: F401

        yield from itertools.repeat(())

    def next_chunk() -> TaskColumns | None:
        gc.disable()  # (the worker's: what it decodes holds no cycle, and it ends with the import)
        return next(reading, None)

    # The forked worker holds its own copy of ``reading`` (not yet begun here) and runs it a call at a
    # time: one worker, so the calls are answered in order, each with the next chunk (None: no more).
    chunks = cast(Generator[TaskColumns | None, None, None], iter_in_workers(next_chunk, calls(), 1, start="fork"))
    try:
        with job.path.open("rb") as handle:
            lines = FileLines(job.path, handle)
            for columns in chunks:
                if columns is None:
                    return
                lines.place(columns)
                yield columns
    finally:
        chunks.close()  # (stops the worker, which may be reading what is not wanted)


def _column_chunks(path: Path, options: ReadOptions, *, first: int | None = None,
                   lines_later: bool = False) -> Iterator[TaskColumns]:
    """The file's tasks as columns (:func:`plain_columns`, which see for ``lines_later``), whole
    blocks of them joined until they hold :data:`CHUNK_RECORDS` tasks or more (the first chunk
    ``first`` or more, if given)."""
    parts: list[TaskColumns] = []
    held = 0
    wanted = first or CHUNK_RECORDS
    for columns in plain_columns(path, options, lines_later=lines_later):
        if not columns.texts:
            continue  # (the last block may hold no task, only the array's end)
        parts.append(columns)
        held += len(columns.texts)
        if held >= wanted:
            yield TaskColumns.joined(parts)
            parts, held, wanted = [], 0, CHUNK_RECORDS
    if parts:
        yield TaskColumns.joined(parts)


def _covering(columns: TaskColumns) -> TaskColumns:
    """``columns`` with the text each span covers for the text it says it covers (or None);
    :class:`NotPlain` when a span says another (the general path refuses it, unless the label map
    leaves the span out: then it is left to the general path all the same)."""
    texts, given = columns.texts, columns.span_texts
    if None not in given:  # the usual file: each span says its text, compared in place (no text cut out)
        if not _said_covered(columns, cast(list[str], given)):
            raise NotPlain
        return columns
    span_texts = map(texts.__getitem__, columns.answer_tasks[columns.span_answers].tolist())
    covered = list(map(str.__getitem__, span_texts, map(slice, columns.starts.tolist(), columns.ends.tolist())))
    if any(said is not None and said != text for said, text in zip(given, covered)):
        raise NotPlain
    columns.span_texts = cast(list[str | None], covered)
    return columns


def _said_covered(columns: TaskColumns, said: list[str]) -> bool:
    """Whether each span's stated text (``said``) is the text it covers: every span's characters
    compared at once, the texts and the stated texts each joined and made an array of code points."""
    import numpy as np

    texts, starts = columns.texts, columns.starts
    widths = columns.ends - starts
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    tasks = columns.answer_tasks[columns.span_answers]
    if not (np.array_equal(np.fromiter(map(len, said), dtype=np.int64, count=len(said)), widths) and
            bool(np.all(starts >= 0)) and bool(np.all(columns.ends <= lengths[tasks]))):
        return False  # (a span outside its text: refused by the general path, as by _spans)
    whole, stated = "".join(texts), "".join(said)
    narrow = whole.isascii() and stated.isascii()  # (one byte a character: a quarter of the memory)
    points = [np.frombuffer(text.encode("ascii"), dtype=np.uint8) if narrow else
              np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) for text in (whole, stated)]
    # Where in the joined texts each stated character should be: its span's start there, then on by one.
    shift = np.cumsum(lengths)[tasks] - lengths[tasks] + starts - (np.cumsum(widths) - widths)
    return bool(np.array_equal(points[0][np.arange(len(points[1])) + np.repeat(shift, widths)], points[1]))


def _made(job: TaskImport, columns: TaskColumns, checked: _Checked) -> _Chunk:
    """The tasks checked as the general path checks their records (options applied, labels mapped,
    annotators named), against the tasks before them; :class:`NotPlain` when they are not plain or
    the general path would refuse them."""
    import numpy as np

    checked.records += len(columns.texts)
    job.progress(checked.records, None, "placing records")
    _covering(columns)
    metas = [meta for meta in columns.metas if meta]
    labels = dict.fromkeys(columns.labels)  # each label of the chunk once
    # (The texts spans cover are parts of the texts, which this search sees: see _covering.)
    if unstorable_character("\n".join(itertools.chain(
            columns.texts, (value for meta in metas for value in meta.values() if isinstance(value, str)),
            (raw for raw in dict.fromkeys(columns.annotators) if raw is not None), labels))) or \
            any(type(value) is float for meta in metas for value in meta.values()):
        raise NotPlain  # (a float is left to the general path: its digits are orjson's)
    try:
        named = checked.names.name_column(columns.annotators, columns.answer_where)
    except TaglineError:
        raise NotPlain from None
    if checked.names.missing:
        raise NotPlain
    names = cast(list[str], named)  # (each answer's annotator named: none is missing)
    doc_ids = _document_ids(job.path, columns.keys)
    if len(set(doc_ids)) < len(doc_ids) or not checked.doc_ids.isdisjoint(doc_ids):
        raise NotPlain
    checked.doc_ids.update(doc_ids)
    codes = {name: code for code, name in enumerate(dict.fromkeys(names))}
    name_codes = np.fromiter(map(codes.__getitem__, names), dtype=np.int64, count=len(names))
    answered = columns.answer_tasks * max(len(codes), 1) + name_codes
    if len(np.unique(answered)) < len(answered):
        raise NotPlain  # an annotator answering a task twice
    events = dict(zip(codes, np.bincount(name_codes, minlength=len(codes)).tolist()))
    return _Chunk(columns, doc_ids, events, names, *_spans(job, columns, list(labels), checked))


def _document_ids(path: Path, keys: list[str]) -> list[str]:
    prefix = doc_id_from(path.stem if path.is_file() else path.name)
    # doc_id_from leaves a valid prefix and a number as they are: no call for the usual keys
    if keys and "".join(keys).isdigit() and "".join(keys).isascii() and len(prefix) + 1 + max(map(len, keys)) <= 128:
        return [f"{prefix}-{key}" for key in keys]
    named = [f"{prefix}-{key}" for key in keys]
    return [name if key.isdigit() and key.isascii() and len(name) <= 128 else doc_id_from(name)
            for key, name in zip(keys, named)]


def _spans(job: TaskImport, columns: TaskColumns, labels_once: list[str],
           checked: _Checked) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str], list[str]]:
    """The chunk's spans, labels mapped (those the map leaves out dropped; ``labels_once``: each
    label once), checked (inside the stripped text, covering the text they say) in NumPy arrays,
    sorted and equal ones merged as the general path writes them (by annotation, start, end, label)
    with one lexsort."""
    import numpy as np

    from tagline.annotate.interop.labels import UNKNOWN_LABEL

    config = job.workspace.config
    configured = set(config.labels("entities"))
    mapped = {label: job.mapper.resolve("entities", label) for label in labels_once}
    if any(label is UNKNOWN_LABEL or (label is not None and label not in configured) for label in mapped.values()):
        raise NotPlain
    texts, count = columns.texts, len(columns.texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=count)
    leads = lengths - np.fromiter(map(len, map(str.lstrip, texts)), dtype=np.int64, count=count)
    stops = np.fromiter(map(len, map(str.rstrip, texts)), dtype=np.int64, count=count)
    labels = cast(list[str], list(map(mapped.__getitem__, columns.labels)))  # (None: left out by the map)
    # Each span's text is the text it covers (see _covering), which was looked at with its task's.
    covered = cast(list[str], columns.span_texts)
    answers, starts, ends = columns.span_answers, columns.starts, columns.ends
    if not all(mapped.values()):  # (a label the map leaves out)
        kept = np.fromiter(map(bool, labels), dtype=bool, count=len(labels))
        checked.dropped += len(labels) - int(kept.sum())
        answers, starts, ends = answers[kept], starts[kept], ends[kept]
        labels = [label for label in labels if label]
        covered = list(itertools.compress(covered, kept.tolist()))
    tasks = columns.answer_tasks[answers]
    if not bool(np.all((leads[tasks] <= starts) & (starts < ends) & (ends <= stops[tasks]))):
        raise NotPlain
    if _in_order(answers, starts, ends):  # (the usual file: nothing to sort or merge)
        return leads, answers, starts, ends, labels, covered
    ranks = {label: rank for rank, label in enumerate(sorted(set(labels)))}
    label_ranks = np.fromiter(map(ranks.__getitem__, labels), dtype=np.int64, count=len(labels))
    order = np.lexsort((label_ranks, ends, starts, answers))
    keys = np.stack((answers[order], starts[order], ends[order], label_ranks[order]))
    first = np.ones(len(order), dtype=bool)
    first[1:] = np.any(keys[:, 1:] != keys[:, :-1], axis=0)
    checked.duplicates += len(order) - int(first.sum())
    order = order[first].tolist()
    return (leads, answers[order], starts[order], ends[order], list(map(labels.__getitem__, order)),
            list(map(covered.__getitem__, order)))


def _in_order(answers: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bool:
    """Whether each span comes after the one before it by annotation, start and end, none with
    the same three: then the lexsort of :func:`_spans` would leave them as they are, none merged."""
    import numpy as np

    same, later = answers[1:] == answers[:-1], answers[1:] > answers[:-1]
    same_start = same & (starts[1:] == starts[:-1])
    return bool(np.all(later | (same & (starts[1:] > starts[:-1])) | (same_start & (ends[1:] > ends[:-1]))))


def _placed(job: TaskImport, chunk: _Chunk, checked: _Checked) -> _Chunk:
    """``chunk`` checked against the workspace (under its lock): its documents new, its annotators
    allowed to answer and without answers on them; :class:`NotPlain` otherwise."""
    from tagline.annotate.answers import check_can_answer

    workspace = job.workspace
    if not checked.known.isdisjoint(chunk.doc_ids):
        raise NotPlain
    for name, count in chunk.events.items():
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

    workspace = job.workspace
    now = utc_now()  # one time for all the command's records, as the general path stamps them
    written = Written()
    # The answers are made with the documents and held (in a file that has no name, past some
    # megabytes) until the documents are written.
    held: list[tuple[str, NotedLines]] = []
    workspace.build_dir.mkdir(exist_ok=True)
    with workspace.transaction() as transaction, \
            tempfile.SpooledTemporaryFile(SPOOL_BYTES, dir=str(workspace.build_dir)) as spool:
        saved_with(transaction)  # the import is whole as its journal ends
        texts_name, offset = "", 0
        for chunk in chunks:
            job.progress(checked.records, None, "writing sentences")
            if not texts_name:
                workspace.documents_dir.mkdir(exist_ok=True)
                texts_name = texts_file_name(workspace, chunk.doc_ids[0])
            texts, sentences, registry = _document_lines(job, chunk, texts_name, now, offset)
            transaction.append_bytes(workspace.documents_dir / texts_name, texts)
            at = transaction.append_bytes(workspace.sentences_path, sentences)
            written.sentences.add(at, sentences, [f"{doc_id}-s0001" for doc_id in chunk.doc_ids])
            transaction.append_bytes(workspace.documents_path, registry)
            offset += len(texts)
            del texts, sentences, registry
            for name, payload, sentence_ids in _events(chunk, job.fmt, now):
                held.append((name, note_lines(payload, sentence_ids)))
                _hold(spool, payload, workspace.build_dir)
            del chunk  # let go of before the next is made
        job.progress(checked.records, checked.records, "writing sentences")
        if not held:
            return written  # records without answers: no answers, as the general path
        job.progress(0, None, "writing answers")
        # Past SPOOL_BYTES the spooled file went to disk: its pieces are mapped (each unmapped once appended,
        # so that one at a time is in this process's memory), not read back into fresh memory.
        on_disk = spool.tell() > SPOOL_BYTES
        spool.seek(0)
        transaction.checkpoint()  # as write_import: the documents are kept from here on
        workspace.annotations_dir.mkdir(exist_ok=True)
        start = 0
        for name, noted in held:
            piece = mapped_bytes(spool, start, noted.size) if on_disk else spool.read(noted.size)
            at = transaction.append_bytes(workspace.annotation_path(name), piece, journal=False)
            written.answers.setdefault(name, AppendedLines()).add(at, noted)
            start += noted.size
    return written


def _hold(spool: Any, payload: bytes, where: Path) -> None:
    """``payload`` added to the answers held in ``spool`` (an unnamed file in ``where`` past some
    megabytes); a full disk is the error of ``where``, as the other bulk imports' held answers."""
    try:
        spool.write(payload)
    except OSError as error:
        raise storage_error(where, error) from None


def _document_lines(job: TaskImport, chunk: _Chunk, texts_name: str, now: str,
                    offset: int) -> tuple[bytes, bytes, bytes]:
    """The chunk's texts (the first at ``offset`` of the texts file), sentence lines and registry
    lines, as the ingest writes them."""
    config = job.workspace.config
    columns, count = chunk.columns, len(chunk.doc_ids)
    lang = job.lang or (config.language if config.language != "auto" else None)
    return documents_columns(chunk.doc_ids, columns.texts, [lang] * count, [job.options.split] * count,
                             columns.wheres, columns.metas, _ENCODING, now, texts_name, offset)


def _events(chunk: _Chunk, fmt: str, now: str) -> Iterator[tuple[str, bytes, list[str]]]:
    """Each annotator's events (by name), encoded, and the sentence of each: an annotation's spans on
    its task's one sentence, in order (each span's line and each annotation's value made once, for
    all annotators, from the spans' order: by annotation)."""
    import numpy as np

    names = sorted(set(chunk.names))
    codes = {name: code for code, name in enumerate(names)}
    answer_codes = np.fromiter(map(codes.__getitem__, chunk.names), dtype=np.int64, count=len(chunk.names))
    answer_tasks = chunk.columns.answer_tasks
    leads = chunk.leads[answer_tasks[chunk.answers]]
    values = spans_values(chunk.starts - leads, chunk.ends - leads, chunk.labels, chunk.texts,
                          np.searchsorted(chunk.answers, np.arange(len(answer_codes) + 1)).tolist())
    sentences = [f"{doc_id}-s0001" for doc_id in chunk.doc_ids]
    for code, name in enumerate(names):
        answers = np.flatnonzero(answer_codes == code)
        sentence_ids = list(map(sentences.__getitem__, answer_tasks[answers].tolist()))
        yield name, events_lines(sentence_ids, name, now, f"import:{fmt}",
                                 list(map(values.__getitem__, answers.tolist()))), sentence_ids
