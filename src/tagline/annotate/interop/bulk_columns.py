"""The import of a reader's plain records given as columns (:class:`SpanColumns`: texts, line numbers
and span arrays, as the CoNLL reader makes them in bulk), for one annotator named on the command
line: checked, labels mapped and written as the general path writes the records, with no object per
record or span from the reader to the files; the same files, byte for byte.

Columns that are not plain for the general path (a text that is blank or holds what no sentence may,
a label that is neither configured nor mapped, a span outside its text's stripped part, a document
already in the workspace, ...) make :func:`import_span_columns` return ``None`` before anything is
written: the general path reads the file record by record and says what is wrong where."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagline.annotate.formats.common import plural
from tagline.annotate.interop.bulk_lines import documents_columns, entities_lines
from tagline.annotate.interop.bulk_records import _workspace_allows
from tagline.annotate.interop.writing import Written, keep_indexes_current, saved_with
from tagline.corpus.byte_columns import AppendedLines, NotedLines, mapped_bytes, note_lines
from tagline.corpus.progress import ProgressCallback
from tagline.corpus.readers import doc_id_from, unstorable_character
from tagline.corpus.workspace import Workspace

if TYPE_CHECKING:
    from tagline.annotate.formats.conll_bulk import SpanColumns
    from tagline.annotate.interop.labels import LabelMapper

CHUNK_RECORDS = 100_000  # records whose lines are made and written at a time
_ENCODING = "utf-8"  # the readers that give columns take only UTF-8 files without a byte order mark


def import_span_columns(workspace: Workspace, columns: SpanColumns, fmt: str, annotator: str, mapper: LabelMapper,
                        split: str | None, lang: str | None, dry_run: bool,
                        progress: ProgressCallback) -> dict[str, Any] | None:
    """Import ``columns`` (read from ``columns.path``) as the general path would import its records
    with ``--annotator annotator``, or ``None`` (nothing written) when they are not plain. Takes the
    workspace lock (unless ``dry_run``) from the look at what the workspace holds to the last write."""
    import contextlib

    config = workspace.config
    texts = columns.texts
    if "entities" not in config.data["tasks"] or not all(map(str.strip, texts)) or \
            unstorable_character("\n".join(texts)):
        return None
    mapped = _mapped_labels(columns.labels, mapper, config.labels("entities"))
    if mapped is None:
        return None
    spans = _kept_spans(columns, mapped)
    if spans is None:
        return None
    path = columns.path
    prefix = doc_id_from(path.stem if path.is_file() else path.name)
    width = len(str(len(texts)))
    numbers = map(str, range(1, len(texts) + 1))
    if len(prefix) + 1 + width <= 128:  # a valid prefix and distinct numbers: distinct ids, as doc_id_from leaves them
        doc_ids = list(map(f"{prefix}-".__add__, numbers))
    else:
        doc_ids = [doc_id_from(f"{prefix}-{number}") for number in numbers]
        if len(set(doc_ids)) < len(doc_ids):
            return None
    progress(len(texts), len(texts), "placing records")  # each record on its one sentence
    warnings = [f"{plural(spans['dropped'], 'label')} left out as the label map says"] if spans["dropped"] else []
    summary = {"file": str(path), "format": fmt, "dry_run": dry_run, "documents_added": len(texts),
               "documents_unchanged": 0, "sentences": len(texts), "events": {annotator: len(texts)}, "gold": 0,
               "unchanged": 0, "warnings": warnings}
    with contextlib.nullcontext() if dry_run else workspace.lock():
        if not _workspace_allows(workspace, (doc_ids, {annotator: len(texts)}, 0)):
            return None
        if not dry_run:
            written = _write(workspace, columns, doc_ids, spans, fmt, annotator, split, lang, progress)
            keep_indexes_current(workspace, True, [annotator], progress, written)
    return summary


def _mapped_labels(labels: list[str], mapper: LabelMapper, configured: list[str] | tuple[str, ...]
                   ) -> list[str | None] | None:
    """Each label number's configured label (None: left out by the label map), or ``None`` when a
    label is unknown (the general path refuses it and says where)."""
    from tagline.annotate.interop.labels import UNKNOWN_LABEL

    mapped: list[str | None] = []
    for label in labels:
        resolved = mapper.resolve("entities", label) if label else None
        if resolved is UNKNOWN_LABEL or (resolved is not None and resolved not in configured):
            return None
        mapped.append(resolved)
    return mapped


def _kept_spans(columns: SpanColumns, mapped: list[str | None]) -> dict[str, Any] | None:
    """The spans the map keeps, each with its configured label, and how many it left out; ``None``
    when one is not inside its text's stripped part."""
    import numpy as np

    records, starts, ends, numbers = columns.spans()
    texts = columns.texts
    count = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=count)
    leads = lengths - np.fromiter(map(len, map(str.lstrip, texts)), dtype=np.int64, count=count)
    stops = np.fromiter(map(len, map(str.rstrip, texts)), dtype=np.int64, count=count)
    if not np.all((leads[records] <= starts) & (starts < ends) & (ends <= stops[records])):
        return None
    kept = np.array([label is not None for label in mapped] or [False], dtype=bool)[numbers]
    dropped = int(len(kept) - kept.sum())
    if dropped:  # else the arrays as they are: copies of a million sentences' spans take some hundred megabytes
        records, starts, ends, numbers = records[kept], starts[kept], ends[kept], numbers[kept]
    names = np.array(mapped or [None], dtype=object)
    return {"records": records, "starts": starts, "ends": ends, "labels": names[numbers], "leads": leads,
            "dropped": dropped}


def _write(workspace: Workspace, columns: SpanColumns, doc_ids: list[str], spans: dict[str, Any], fmt: str,
           annotator: str, split: str | None, lang: str | None, progress: ProgressCallback) -> Written:
    """One transaction, in the order of :func:`~tagline.annotate.interop.writing.write_import`, a chunk
    of records at a time; what was written, for the indexes. The answers' lines are made meanwhile, by
    a worker forked from this process for :data:`~tagline.annotate.interop.bulk.ASIDE_RECORDS` records
    or more (see :func:`~tagline.corpus.workers.made_aside`), into a file that has no name, and
    appended once the documents are written."""
    import functools
    import tempfile

    import numpy as np

    from tagline.annotate.interop.bulk import ASIDE_RECORDS
    from tagline.corpus.primitives import utc_now
    from tagline.corpus.texts import texts_file_name
    from tagline.corpus.workers import made_aside

    config = workspace.config
    now = utc_now()
    texts, total = columns.texts, len(columns.texts)
    lang = lang or (config.language if config.language != "auto" else None)
    bounds = np.searchsorted(spans["records"], np.arange(0, total + CHUNK_RECORDS, CHUNK_RECORDS)).tolist()
    chunks = list(zip(range(0, total, CHUNK_RECORDS), bounds, bounds[1:]))
    written = Written()
    workspace.build_dir.mkdir(exist_ok=True)
    answer_lines = functools.partial(_spooled_answer_lines, texts, doc_ids, spans, chunks,
                                     (annotator, now, f"import:{fmt}"))
    with workspace.transaction() as transaction, tempfile.TemporaryFile(dir=str(workspace.build_dir)) as spool, \
            made_aside(functools.partial(answer_lines, spool, workspace.build_dir),
                       fork=total >= ASIDE_RECORDS) as made:
        saved_with(transaction)  # the import is whole as its journal ends
        workspace.documents_dir.mkdir(exist_ok=True)
        texts_name = texts_file_name(workspace, doc_ids[0])
        offset = 0
        for first, _, _ in chunks:
            last = first + CHUNK_RECORDS
            progress(first, total, "segmenting documents")
            sources = list(map(f"{columns.path}:".__add__, map(str, columns.lines[first:last])))
            data, sentences, registry = documents_columns(doc_ids[first:last], texts[first:last], [lang] * len(sources),
                                                          [split] * len(sources), sources, None, _ENCODING, now,
                                                          texts_name, offset)
            progress(first, total, "writing sentences")
            transaction.append_bytes(workspace.documents_dir / texts_name, data)
            at = transaction.append_bytes(workspace.sentences_path, sentences)
            written.sentences.add(at, sentences, _sentence_ids(doc_ids[first:last]))
            transaction.append_bytes(workspace.documents_path, registry)
            offset += len(data)
        held = made()
        progress(total, total, "writing sentences")
        progress(0, None, "writing answers")
        transaction.checkpoint()  # as write_import: the documents are kept from here on
        workspace.annotations_dir.mkdir(exist_ok=True)
        answers = written.answers[annotator] = AppendedLines()
        at = 0
        for noted in held:
            answers.add(transaction.append_bytes(workspace.annotation_path(annotator),
                                                 mapped_bytes(spool, at, noted.size), journal=False), noted)
            at += noted.size
    return written


def _spooled_answer_lines(texts: list[str], doc_ids: list[str], spans: dict[str, Any],
                          chunks: list[tuple[int, int, int]], event: tuple[str, str, str], spool: Any,
                          where: Path) -> list[NotedLines]:
    """The answers' event lines (``event``: the annotator, the time and the source), a chunk of records
    at a time, written one after another to the file ``spool`` (which has no name: ``where`` is its
    folder); each chunk's noted."""
    import numpy as np

    from tagline.corpus.primitives import write_at

    annotator, now, source = event
    held, at = [], 0
    for first, low, high in chunks:
        last = first + CHUNK_RECORDS
        records = spans["records"][low:high]
        leads = spans["leads"][records]
        starts, ends = spans["starts"][low:high] - leads, spans["ends"][low:high] - leads
        span_texts = list(map(str.__getitem__, map(texts.__getitem__, records.tolist()),
                              map(slice, spans["starts"][low:high].tolist(), spans["ends"][low:high].tolist())))
        sentence_ids = _sentence_ids(doc_ids[first:last])
        payload = entities_lines(sentence_ids, annotator, now, source,
                                 np.bincount(records - first, minlength=len(sentence_ids)), starts, ends,
                                 spans["labels"][low:high].tolist(), span_texts)
        write_at(spool.fileno(), payload, at, where=where)
        at += len(payload)
        held.append(note_lines(payload, sentence_ids))
    return held


def _sentence_ids(doc_ids: list[str]) -> list[str]:
    """The one sentence of each document (its id made by ``map``: no Python step per document)."""
    import itertools
    import operator

    return list(map(operator.add, doc_ids, itertools.repeat("-s0001")))
