"""The documents of a large ``corpus add`` segmented in worker processes (the pool of
:mod:`tagline.corpus.workers`), syntok's work shared among the cores; the sentences are those made in
turn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagline.corpus.progress import ProgressCallback

if TYPE_CHECKING:
    from tagline.corpus.readers import SourceDocument

PARALLEL_SEGMENT_MIN_CHARACTERS = 2_000_000
"""Less text than this is segmented in the command's process: starting the workers (each imports
tagline and syntok) would cost more time than they save."""
CHUNK_CHARACTERS = 200_000  # the text handed to a worker at a time


def in_workers(documents: list[SourceDocument]) -> bool:
    """Whether these documents hold enough text to segment in workers, on a machine with more than one core."""
    from tagline.corpus.workers import cores

    return cores() > 1 and sum(len(document.text) for document in documents) >= PARALLEL_SEGMENT_MIN_CHARACTERS


def segment_all(documents: list[SourceDocument], progress: ProgressCallback, total: int) -> list[list[tuple[int, int]]]:
    """:func:`~tagline.corpus.ingest.segment_document` of each document (its ``lang`` set), in order.
    Those the segmenter must read (not a plain one-line English sentence, nor sentences the source
    gives) are shared among worker processes a chunk at a time; ``progress`` is told of each
    document segmented, of ``total``."""
    from tagline.corpus.ingest import segment_document
    from tagline.corpus.workers import cores, map_in_workers

    spans: list[list[tuple[int, int]] | None] = [None] * len(documents)
    chunks: list[list[int]] = [[]]
    size = 0
    for index, document in enumerate(documents):
        if not _needs_segmenter(document):
            spans[index] = segment_document(document, document.lang or "en")
            continue
        if size >= CHUNK_CHARACTERS:
            chunks.append([])
            size = 0
        chunks[-1].append(index)
        size += len(document.text)
    chunks = [chunk for chunk in chunks if chunk]
    done = len(documents) - sum(map(len, chunks))
    progress(done, total, "segmenting documents")

    def chunk_done(chunk: int) -> None:
        nonlocal done
        done += len(chunks[chunk])
        progress(done, total, "segmenting documents")

    if chunks:
        made = map_in_workers(segment_chunk, (([documents[index] for index in chunk],) for chunk in chunks),
                              min(cores(), len(chunks)), on_result=chunk_done)
        for chunk, chunk_spans in zip(chunks, made):
            for index, document_spans in zip(chunk, chunk_spans):
                spans[index] = document_spans
    return [document_spans if document_spans is not None else [] for document_spans in spans]


def segment_chunk(documents: list[SourceDocument]) -> list[list[tuple[int, int]]]:
    """A worker's call: each document's sentence offsets (see :func:`segment_all`)."""
    from tagline.corpus.ingest import segment_document

    return [segment_document(document, document.lang or "en") for document in documents]


def _needs_segmenter(document: SourceDocument) -> bool:
    from tagline.corpus.segment import is_one_english_sentence

    return document.sentence_spans is None and not document.single_sentence and not (
        document.lang == "en" and is_one_english_sentence(document.text))


def refuse_in_a_starting_worker() -> None:
    """Refuse to add documents in a worker process that is starting: it imports the main script of
    the process that started it, and a script that adds them outside ``if __name__ == "__main__":``
    would add them again there, waiting for the workspace lock that the first ``add`` holds while the
    first waits for its worker. The worker ends quietly, and the first ``add`` raises the error that
    says so (:func:`~tagline.corpus.workers.refuse_to_start`)."""
    from tagline.corpus.workers import refuse_to_start

    refuse_to_start()
