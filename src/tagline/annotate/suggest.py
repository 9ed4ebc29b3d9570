"""Machine suggestions for annotators: the interface any model implements, the record of a
suggestion, and the feed that computes suggestions ahead of the annotator in the background.

A suggester is any object with a ``name`` and a ``suggest(sentences)`` method returning
:class:`Suggestion` objects; one that also has ``learn(events)`` hears every answer given, and
``close()`` is called at the end. For ``--order uncertain``, one may also have
``uncertainty(sentences)``: how unsure it is of each question of each sentence (see
:class:`UncertaintyEstimator`); one without it is ranked by the scores of its suggestions. A
``version`` attribute that changes when the model retrains gets the sentences ranked again. A
``status`` attribute says, while it is not None, why there is nothing to suggest yet ("training
the builtin model on 38 answered sentences"): the session shows it while it waits for the first
suggestions.

The sources that need no model of tagline's (a predictions file, an external command) are in
:mod:`tagline.annotate.sources`; the built-in models live with the baselines in ``tagline.eval``,
which implements this interface, so this layer never imports it.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from tagline.wording import plural

Slot = tuple[str, str | None]  # (task, target): one question about a sentence


@dataclass(frozen=True)
class Suggestion:
    """A model's answer to one question about one sentence.

    ``value`` has the shape of an annotation event's value: ``{"target", "label"}`` for stance,
    ``{"label"}`` for a claim type, ``{"spans": [{"start", "end", "label", "text"}]}`` for entities
    (offsets into the sentence). ``score`` is the model's confidence in [0, 1] when it gives one.

    ``candidates`` (entities only) are spans, shaped as those of ``value``, that the model thinks
    possible but not likely enough to suggest: the session lists them after the suggested spans,
    off until a number key turns one on, so a span the model almost found costs one key.
    """

    sentence_id: str
    task: str
    target: str | None
    value: dict[str, Any]
    score: float | None = None
    source: str = ""
    candidates: tuple[dict[str, Any], ...] = ()

    @property
    def slot(self) -> Slot:
        return self.task, self.target if self.task == "stance" else None

    def provenance(self, accepted_as_is: bool) -> dict[str, Any]:
        """What an answer made from this suggestion records about it (the event's ``suggestion``)."""
        record: dict[str, Any] = {"source": self.source, "accepted": "as_is" if accepted_as_is else "changed"}
        if self.score is not None:
            record["score"] = round(float(self.score), 6)
        return record


@runtime_checkable
class Suggester(Protocol):
    """What the session needs of a model: a name, and suggestions for some sentences.

    ``suggest`` gets sentence records (``id``, ``text``, ``lang``, ...) and returns a suggestion for
    any question it has an answer to; it may leave questions out. It is called from a background
    thread, never from the one reading keys.
    """

    name: str

    def suggest(self, sentences: Sequence[Mapping[str, Any]]) -> Iterable[Suggestion]: ...


@runtime_checkable
class UncertaintyEstimator(Protocol):
    """What ``--order uncertain`` asks of a model, beside its suggestions.

    ``uncertainty`` gets sentence records, as ``suggest`` does, and returns for each sentence, in
    the same order, how unsure the model is of each question it can answer (by slot, as
    :attr:`Suggestion.slot`): higher means less sure, 0 to 1 for the built-in models. A question
    the model has no answer to yet is left out. Called from the background thread.
    """

    def uncertainty(self, sentences: Sequence[Mapping[str, Any]]) -> Sequence[Mapping[Slot, float]]: ...


def uncertainty_of(suggester: Suggester, sentences: Sequence[Mapping[str, Any]],
                   slots: Iterable[Slot] | None = None) -> list[float | None]:
    """How unsure ``suggester`` is of each sentence: the mean over the questions in ``slots`` (all
    when None) of its :meth:`UncertaintyEstimator.uncertainty`, or else of least confidence from
    its suggestions (1 - score), the one measure a model that gives only its answer's probability
    allows. None for a sentence the model says nothing about."""
    if isinstance(suggester, UncertaintyEstimator):
        by_sentence = [dict(found) for found in suggester.uncertainty(sentences)]
        if len(by_sentence) != len(sentences):
            raise ValueError(f"uncertainty gave {len(by_sentence)} answers for {len(sentences)} sentences")
    else:
        index = {sentence["id"]: position for position, sentence in enumerate(sentences)}
        by_sentence = [{} for _ in sentences]
        for suggestion in suggester.suggest(sentences):
            if suggestion.score is not None and suggestion.sentence_id in index:
                by_sentence[index[suggestion.sentence_id]][suggestion.slot] = 1.0 - float(suggestion.score)
    wanted = set(slots) if slots is not None else None
    combined: list[float | None] = []
    for found in by_sentence:
        values = [float(value) for slot, value in found.items()
                  if (wanted is None or slot in wanted) and value is not None and math.isfinite(value)]
        combined.append(sum(values) / len(values) if values else None)
    return combined


class SuggestionFeed:
    """Suggestions computed ahead of the annotator, in one background thread.

    The session asks for the sentences it will show next (:meth:`ask`) and reads what is ready
    (:meth:`get`); a key press never waits for a model. A suggester that raises is switched off:
    the session goes on without suggestions, and :attr:`failure` says why, once.
    """

    def __init__(self, suggester: Suggester, *, batch_size: int = 8, clock: Callable[[], float] = time.monotonic):
        self.suggester = suggester
        self.batch_size = batch_size
        self.clock = clock
        self.failure: str | None = None
        self._ready: dict[str, dict[Slot, Suggestion]] = {}
        self._asked: dict[str, float] = {}  # sentence id -> when its suggestions were asked for
        self._work: queue.Queue[tuple[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="tagline-suggestions", daemon=True)
        self._thread.start()
        self.shown = 0  # sentences shown while the feed was on, and how many had their suggestions ready
        self.shown_ready = 0
        self.misses: list[tuple[str, str]] = []  # (sentence id, why) for each sentence shown before its suggestions
        self.uncertainty: dict[str, float] = {}  # sentence id -> how unsure the model is, from the last ranking
        self.rankings = 0  # rankings finished

    @property
    def name(self) -> str:
        return str(getattr(self.suggester, "name", "model"))

    @property
    def status(self) -> str:
        """What the source is doing while there is nothing to suggest yet, for the screen."""
        return str(getattr(self.suggester, "status", None) or f"waiting for suggestions from {self.name}")

    def ask(self, sentences: Sequence[Mapping[str, Any]]) -> None:
        """Compute suggestions for these sentences (the next ones to be shown), unless done or asked."""
        wanted = [dict(sentence) for sentence in sentences if sentence["id"] not in self._asked]
        if self.failure is not None or not wanted:
            return
        now = self.clock()
        self._asked.update((sentence["id"], now) for sentence in wanted)
        for start in range(0, len(wanted), self.batch_size):
            self._work.put(("suggest", wanted[start:start + self.batch_size]))

    def get(self, sentence_id: str) -> dict[Slot, Suggestion] | None:
        """The suggestions for a sentence by question, or None while they are not ready."""
        return self._ready.get(sentence_id)

    def note_shown(self, sentence_id: str) -> None:
        """Count a sentence shown, and whether its suggestions were there when it appeared; when they
        were not, :attr:`misses` says why."""
        if self.failure is not None:
            return
        self.shown += 1
        if sentence_id in self._ready:
            self.shown_ready += 1
            return
        asked = self._asked.get(sentence_id)
        if asked is None:
            why = "not asked for ahead"
        else:
            status = getattr(self.suggester, "status", None)
            waiting = status or f"being made, {plural(self._work.qsize(), 'request')} queued behind"
            why = f"asked {self.clock() - asked:.1f} s before; {waiting}"
        self.misses.append((sentence_id, why))

    def learn(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Pass answers to a suggester that learns from them (in the background thread)."""
        if self.failure is None and callable(getattr(self.suggester, "learn", None)):
            self._work.put(("learn", [dict(event) for event in events]))

    def rank(self, sentences: Sequence[Mapping[str, Any]], slots: Iterable[Slot] | None = None) -> None:
        """Measure how unsure the model is of these sentences' questions in ``slots`` (for ``--order
        uncertain``). When done, :attr:`uncertainty` holds the numbers and :attr:`rankings` grows."""
        if self.failure is None:
            self._work.put(("rank", ([dict(sentence) for sentence in sentences], list(slots or []) or None)))

    def close(self, timeout: float = 2.0) -> None:
        self._work.put(None)
        self._thread.join(timeout)
        closer = getattr(self.suggester, "close", None)
        if callable(closer):
            try:
                closer()
            except Exception:  # noqa: BLE001 - closing a broken model must not break quitting
                pass

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until every request so far is answered (for scripts and tests); False on timeout."""
        done = threading.Event()
        self._work.put(("mark", done))
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            kind, payload = item
            if kind == "mark":
                payload.set()
                continue
            if self.failure is not None:
                continue
            try:
                if kind == "learn":
                    self.suggester.learn(payload)  # type: ignore[attr-defined]
                elif kind == "rank":
                    sentences, slots = payload
                    found = uncertainty_of(self.suggester, sentences, slots)
                    self.uncertainty = {s["id"]: value for s, value in zip(sentences, found) if value is not None}
                    self.rankings += 1
                else:
                    self._store(payload, self.suggester.suggest(payload))
            except Exception as error:  # noqa: BLE001 - any failure of a model switches it off, once
                self.failure = f"suggestions from {self.name} stopped: {_describe(error)}"

    def _store(self, sentences: list[dict[str, Any]], suggestions: Iterable[Suggestion]) -> None:
        by_sentence: dict[str, dict[Slot, Suggestion]] = {sentence["id"]: {} for sentence in sentences}
        for suggestion in suggestions:
            if suggestion.sentence_id in by_sentence:
                by_sentence[suggestion.sentence_id][suggestion.slot] = suggestion
        self._ready.update(by_sentence)


def _describe(error: Exception) -> str:
    from tagline.errors import TaglineError

    if isinstance(error, TaglineError):
        return error.render()
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def suggestion_values(sentence: Mapping[str, Any], task: str, target: str | None, value: Mapping[str, Any]
                      ) -> dict[str, Any]:
    """A suggested value completed as an answer would be: a stance names its target, a span carries
    the text it covers."""
    if task == "stance":
        return {"target": target, "label": value["label"]}
    if task == "entities":
        text = sentence["text"]
        return {"spans": sorted(({"start": span["start"], "end": span["end"], "label": span["label"],
                                  "text": text[span["start"]:span["end"]]} for span in value["spans"]),
                                key=lambda span: (span["start"], span["end"]))}
    return {"label": value["label"]}


def suggest_for(suggester: Suggester, sentences: Sequence[Mapping[str, Any]], *, batch_size: int = 64
                ) -> list[Suggestion]:
    """Every suggestion ``suggester`` makes for ``sentences``, asked in batches (for scripts and
    bulk pre-annotation; the session uses :class:`SuggestionFeed`)."""
    found: list[Suggestion] = []
    for start in range(0, len(sentences), batch_size):
        found.extend(suggester.suggest(sentences[start:start + batch_size]))
    return found


def write_machine_answers(workspace: Any, suggestions: Sequence[Suggestion], annotator: str, source: str) -> int:
    """Store suggestions as the answers of a machine annotator (``annotations/<annotator>.jsonl``,
    registered in ``annotators.jsonl`` as a machine, so it is reported apart from people and does not
    vote unless asked). All or nothing; returns the number of answers written. Whether the name may
    answer is asked under the workspace lock, which a retirement takes too, held to the write."""
    from tagline.annotate.answers import check_can_answer
    from tagline.annotate.events import make_event
    from tagline.annotate.scripted import check_annotator
    from tagline.corpus.store import utc_now
    from tagline.errors import ConflictError

    check_annotator(annotator)
    events = [make_event(s.sentence_id, annotator, s.task, s.value, source=f"suggest:{source}",
                         suggestion={"source": source, "accepted": "as_is",
                                     **({"score": round(float(s.score), 6)} if s.score is not None else {})})
              for s in suggestions]
    with workspace.transaction() as transaction:
        if annotator in workspace.annotators() or annotator in _retired(workspace):
            check_can_answer(workspace, annotator)
        machines = workspace.machine_annotators()
        if annotator in workspace.annotators() and annotator not in machines:
            raise ConflictError(f"{annotator!r} is a person's answer file",
                                where=str(workspace.annotation_path(annotator)),
                                fix="name the machine annotator otherwise with --as NAME")
        if annotator not in machines:
            transaction.append(workspace.annotators_path, [{"annotator": annotator, "kind": "machine",
                                                            "source": source, "time": utc_now()}])
            # As an import's: the record is kept from here on, so that answers a kill leaves (they are
            # not journalled) are never taken, without it, for a person's, which a new run refuses.
            transaction.checkpoint()
        workspace.annotations_dir.mkdir(exist_ok=True)
        transaction.append(workspace.annotation_path(annotator), events, journal=False)
    return len(events)


def _retired(workspace: Any) -> set[str]:
    from tagline.corpus.annotators import annotator_kinds

    return {name for name, kind in annotator_kinds(workspace).items() if kind == "retired"}
