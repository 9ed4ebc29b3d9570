"""What a session holds of the corpus and of its annotator's answers when the corpus is large: the
sentences as positions in the sentence index, each read when it is shown, and the answers as the
annotator's indexed fold, each sentence's read when it is needed. Which sentences are done is a
NumPy array kept up to date as answers are given, so a key press never walks the corpus."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from tagline.errors import DataError

if TYPE_CHECKING:
    import numpy as np

    from tagline.annotate.answer_index import AnswerIndex, Slot
    from tagline.corpus.sentence_index import SentenceIndex

# Sentences a session keeps decoded (the one on screen, its neighbours, those asked ahead).
KEEP_DECODED = 64
CHANGED = "sentences.jsonl changed while the session was open"


class IndexedSentences(Sequence[dict[str, Any]]):
    """The session's sentences, in its order: ``order[i]`` is the position in ``sentences.jsonl`` of
    the i-th. A sentence is read from its line when asked for; the file is kept open, so an ingest
    that replaces it meanwhile does not change what the session reads."""

    def __init__(self, index: SentenceIndex, order: np.ndarray, handle: Any = None):
        self.source = index  # not .index, which a Sequence has as a method
        self.order = order
        self.handle = handle if handle is not None else open(index.path, "rb")  # noqa: SIM115 (held for the session)
        self._decoded: dict[int, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, slice):
            return [self[i] for i in range(*item.indices(len(self)))]
        position = int(self.order[item])
        record = self._decoded.get(position)
        if record is None:
            from tagline.corpus.sentence_index import StaleIndex

            try:
                record = self.source.read(position, self.handle)
            except StaleIndex:
                raise DataError(CHANGED, where=str(self.source.path), fix="start the session again") from None
            if len(self._decoded) >= KEEP_DECODED:
                self._decoded.pop(next(iter(self._decoded)))
            self._decoded[position] = record
        return record

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self[i] for i in range(len(self)))

    def sentence_id(self, i: int) -> str:
        return self.source.sentence_id(int(self.order[i]))

    def reordered(self, permutation: Sequence[int] | np.ndarray) -> IndexedSentences:
        import numpy as np

        return IndexedSentences(self.source, self.order[np.asarray(permutation, dtype=np.int64)], self.handle)


def sentence_ids(sentences: Sequence[dict[str, Any]]) -> list[str]:
    """The ids of the sentences, in order (for indexed sentences, without reading them)."""
    if isinstance(sentences, IndexedSentences):
        return [sentences.sentence_id(i) for i in range(len(sentences))]
    return [sentence["id"] for sentence in sentences]


def reorder(sentences: Sequence[dict[str, Any]], permutation: Sequence[int]) -> Any:
    """The sentences in the order of ``permutation`` (positions in ``sentences``)."""
    if isinstance(sentences, IndexedSentences):
        return sentences.reordered(permutation)
    return [sentences[i] for i in permutation]


class SessionAnswers:
    """An annotator's current answers as the session reads and changes them, like a
    ``{sentence_id: {(task, target): value}}`` dict: a sentence's answers are read from the
    annotator's file (through its :class:`~tagline.annotate.answer_index.AnswerIndex`) the first time
    they are asked for, then kept and changed in place as the session records answers."""

    def __init__(self, index: AnswerIndex):
        self.index = index
        self.handle = open(index.path, "rb") if index.path.exists() else None  # noqa: SIM115 (held for the session)
        self._read: dict[str, dict[Slot, dict[str, Any]]] = {}

    def get(self, sentence_id: str, default: Any = None) -> Any:
        if sentence_id not in self._read:
            from tagline.annotate.answer_index import StaleAnswers

            if self.handle is None or self.index.row(sentence_id) is None:
                return default
            try:
                self._read[sentence_id] = self.index.values(sentence_id, self.handle)
            except StaleAnswers:
                self.index.forget_saved()  # so that the session started again folds the file as it is
                raise DataError(f"{self.index.path.name} changed while the session was open",
                                where=str(self.index.path), fix="start the session again") from None
        return self._read[sentence_id]

    def __getitem__(self, sentence_id: str) -> dict[Slot, dict[str, Any]]:
        found = self.get(sentence_id)
        if found is None:
            raise KeyError(sentence_id)
        return found

    def __contains__(self, sentence_id: object) -> bool:
        return isinstance(sentence_id, str) and self.get(sentence_id) is not None

    def __deepcopy__(self, memo: dict[int, Any]) -> SessionAnswers:
        """A copy whose answers can change apart from these (a rehearsal of keys), reading the same file."""
        import copy

        twin = copy.copy(self)
        twin._read = copy.deepcopy(self._read, memo)
        return twin

    def setdefault(self, sentence_id: str, default: dict[Slot, dict[str, Any]]) -> dict[Slot, dict[str, Any]]:
        found = self.get(sentence_id)
        if found is None:
            found = self._read[sentence_id] = default
        return found


def indexed_session_data(workspace: Any, annotator: str, doc_id: str | None,
                         slots: list[Slot]) -> tuple[IndexedSentences, SessionAnswers, np.ndarray]:
    """The sentences (all, or one document's) in corpus order, the annotator's answers, and which of
    the sentences have an answer to every one of ``slots``."""
    import numpy as np

    from tagline.annotate.answer_index import answer_index
    from tagline.corpus.sentence_index import sentence_index

    index = sentence_index(workspace, checked=True)
    order: np.ndarray
    if doc_id is None:
        order = np.arange(len(index), dtype=np.int64)
    else:  # the documents are not in the index: one pass over the file finds the document's sentences
        order = np.array([position for position, sentence in enumerate(workspace.iter_sentences())
                          if sentence["doc_id"] == doc_id], dtype=np.int64)
    answers = answer_index(workspace, annotator)
    done = np.zeros(len(index), dtype=bool)
    positions = index.positions(answers.complete(slots))
    done[positions[positions >= 0]] = True
    return IndexedSentences(index, order), SessionAnswers(answers), done[order]
