"""One annotator's current answers for an export, looked up as the sentences stream by, from the fold
of the annotator's file (:class:`~tagline.annotate.answer_index.AnswerIndex`: the sentence ids sorted
and, per question, the byte offset of the answer that counts) instead of every answer read into
Python: the export holds the ids and offsets (a few dozen bytes a sentence) and the answers of one
chunk of sentences at a time, each chunk's lines read from the file in one read where they lie
together (as an import appends them) and decoded together."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tagline.annotate.answer_index import StaleAnswers
from tagline.annotate.events import slot
from tagline.errors import DataError

if TYPE_CHECKING:
    import numpy as np

    from tagline.annotate.answer_index import AnswerIndex

Slot = tuple[str, str | None]
Answers = dict[Slot, dict[str, Any]]
KEPT_CHUNKS = 4  # the chunks of answers kept: a writer that gathers whole documents reads ahead
SPAN_READ = 8 << 20
_UNREAD: Any = object()  # a chunk's answers lying within this many bytes are read in one pread


class IndexedAnswers(Mapping[str, Answers]):
    """Sentence id -> its current answers (to ``question`` only, when given), for the sentences that
    have one: what :func:`~tagline.annotate.events.fold_events` gives, read on demand. :meth:`prefetch`
    reads a chunk's answers at once; a sentence outside the last chunk is read alone. Iteration goes
    by sentence id (sorted bytes), not by file order: the writers only gather sets from it."""

    def __init__(self, index: AnswerIndex, question: Slot | None) -> None:
        import numpy as np

        self.path = index.path
        self._forget_saved = index.forget_saved
        columns = list(range(len(index.slots))) if question is None else \
            [index.slots.index(question)] if question in index.slots else []
        self.slots: list[Slot] = [index.slots[column] for column in columns]
        offsets = index.offsets[:, columns] if columns else np.zeros((len(index.ids), 0), np.int64)
        answered = (offsets >= 0).any(axis=1)
        self.ids: np.ndarray = index.ids[answered]
        self.offsets: np.ndarray = np.ascontiguousarray(offsets[answered])
        self._fd: int | None = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC) if len(self.ids) else None
        # The answers of the chunks read, the latest last; None for a sentence that has none.
        self._chunks: deque[dict[str, Answers | None]] = deque(maxlen=KEPT_CHUNKS)
        self._pending: tuple[list[str], list[str], np.ndarray] | None = None  # the chunk to read next

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def count(self) -> int:
        """How many answers there are (to the questions exported)."""
        return int((self.offsets >= 0).sum())

    def slots_answered(self) -> set[Slot]:
        """The questions at least one sentence has an answer to."""
        return {key for column, key in enumerate(self.slots) if (self.offsets[:, column] >= 0).any()}

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[str]:
        return (sentence_id.decode("utf-8") for sentence_id in self.ids.tolist())

    def _kept(self, sentence_id: object) -> Any:
        """The sentence's answers if a chunk read holds them (None if it has none), else ``_UNREAD``."""
        if self._pending is not None:
            self._read_pending()
        for chunk in reversed(self._chunks):
            found = chunk.get(sentence_id, _UNREAD)  # type: ignore[call-overload]
            if found is not _UNREAD:
                return found
        return _UNREAD

    def __contains__(self, sentence_id: object) -> bool:
        found = self._kept(sentence_id)
        if found is _UNREAD:
            return isinstance(sentence_id, str) and bool(len(self._rows([sentence_id])[1]))
        return found is not None

    def __getitem__(self, sentence_id: str) -> Answers:
        found = self.get(sentence_id)
        if found is None:
            raise KeyError(sentence_id)
        return found

    def get(self, sentence_id: str, default: Any = None) -> Any:
        if self._pending is not None:
            self._read_pending()
        chunks = self._chunks
        found = chunks[-1].get(sentence_id, _UNREAD) if chunks else _UNREAD  # most often the chunk read last
        if found is _UNREAD:
            found = self._kept(sentence_id)
            if found is _UNREAD:
                found = self._read([sentence_id]).get(sentence_id)
        return default if found is None else found

    def items(self) -> Iterator[tuple[str, Answers]]:  # type: ignore[override]
        """Every sentence's answers, a chunk at a time."""
        from tagline.annotate.formats.common import CHUNK

        for start in range(0, len(self.ids), CHUNK):
            yield from self._read([i.decode("utf-8") for i in self.ids[start:start + CHUNK].tolist()]).items()

    def values(self) -> Iterator[Answers]:  # type: ignore[override]
        return (answers for _, answers in self.items())

    def prefetch(self, sentence_ids: list[str]) -> int:
        """Have the answers of these sentences (the next chunk) read at once when the first of them
        is looked up (a process whose parts are made in forked workers looks up none: each worker
        reads its own part's); the answers of the chunk read :data:`KEPT_CHUNKS` chunks before are
        dropped. Returns how many of them have answers."""
        found_ids, rows = self._rows(sentence_ids)
        self._pending = (sentence_ids, found_ids, rows)
        return len(found_ids)

    def _read_pending(self) -> None:
        assert self._pending is not None
        sentence_ids, found_ids, rows = self._pending
        self._pending = None
        chunk: dict[str, Answers | None] = dict.fromkeys(sentence_ids)
        chunk.update(self._read_rows(found_ids, rows))
        self._chunks.append(chunk)

    def _rows(self, sentence_ids: list[str]) -> tuple[list[str], np.ndarray]:
        """The sentences of ``sentence_ids`` that have answers, and their rows."""
        import numpy as np

        if not len(self.ids) or not sentence_ids:
            return [], np.zeros(0, np.int64)
        wanted = np.array([sentence_id.encode("utf-8") for sentence_id in sentence_ids], dtype=bytes)
        rows = np.minimum(np.searchsorted(self.ids, wanted), len(self.ids) - 1)
        hit = self.ids[rows] == wanted
        return [sentence_id for sentence_id, found in zip(sentence_ids, hit.tolist()) if found], rows[hit]

    def _read(self, sentence_ids: list[str]) -> dict[str, Answers]:
        """The answers of those of ``sentence_ids`` that have any, each checked to be the event of that
        sentence and question (:class:`StaleAnswers` if not)."""
        return self._read_rows(*self._rows(sentence_ids))

    def _read_rows(self, found_ids: list[str], rows: np.ndarray) -> dict[str, Answers]:
        """The answers of ``found_ids``, at ``rows``."""
        if not found_ids:
            return {}
        offsets = self.offsets[rows]
        wanted = [(sentence_id, self.slots[column], offset) for sentence_id, row in zip(found_ids, offsets.tolist())
                  for column, offset in enumerate(row) if offset >= 0]
        lines = self._lines([offset for _, _, offset in wanted])
        events = _decoded(lines, self.path)
        answers: dict[str, Answers] = {}
        for (sentence_id, key, offset), event in zip(wanted, events, strict=True):
            if event["sentence_id"] != sentence_id or slot(event) != key or \
                    event["op"] != "set":
                self._forget_saved()  # the next fold reads the file from its start
                raise StaleAnswers(f"{self.path}: byte {offset} is not {sentence_id}'s answer")
            answers.setdefault(sentence_id, {})[key] = event["value"]
        return answers

    def _lines(self, offsets: list[int]) -> list[bytes]:
        """The lines that start at ``offsets``: cut from one read when they lie together."""
        from tagline.annotate.answer_index import _line_at

        assert self._fd is not None
        low, high = min(offsets), max(offsets)
        if high - low > SPAN_READ:
            return [_line_at(self._fd, offset) for offset in offsets]
        tail = _line_at(self._fd, high)
        block = os.pread(self._fd, high - low, low) + tail
        lines = []
        for offset in offsets:
            start = offset - low
            end = block.find(b"\n", start)
            lines.append(block[start:end + 1] if end >= 0 else block[start:])
        return lines


def _decoded(lines: list[bytes], path: Any) -> list[dict[str, Any]]:
    """The events on ``lines`` (all at once; a line that is not one reported alone)."""
    import msgspec

    from tagline.schemas.records import decode_record, decode_records

    try:
        return decode_records("event", lines)
    except (msgspec.DecodeError, ValueError):
        pass
    events = []
    for line in lines:
        try:
            events.append(decode_record("event", line))
        except msgspec.DecodeError:
            raise StaleAnswers(f"{path}: a line the fold points to is not JSON") from None
        except ValueError as error:
            raise DataError(f"not a valid annotation event: {error}", where=str(path),
                            fix="fix or remove that line (`tagline validate` lists every problem)") from None
    return events


def indexed_answers(workspace: Any, annotator: str, question: Slot | None) -> IndexedAnswers:
    """The annotator's current answers to ``question`` (every question when None) through the fold of
    its file, brought up to date first (:func:`~tagline.annotate.answer_index.answer_index`)."""
    from tagline.annotate.answer_index import answer_index

    return IndexedAnswers(answer_index(workspace, annotator), question)
