"""The import plan: where each record of a file lands (an existing sentence, an unchanged document or
a new document), its answers placed on those sentences with every offset checked, and which of them
change anything. Nothing here writes; the caller holds the workspace lock from planning to writing."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from tagline.annotate.formats.common import (
    ForeignAnswer,
    ForeignRecord,
    ForeignSpan,
    ReadOptions,
    decode_file,
    plural,
    utf16_length,
)
from tagline.corpus.progress import ProgressCallback, no_progress
from tagline.corpus.readers import DOC_ID, SourceDocument, doc_id_from
from tagline.corpus.workspace import Workspace
from tagline.errors import ConflictError, DataError, InputError

if TYPE_CHECKING:
    from tagline.annotate.events import AnnotatorView
    from tagline.corpus.config import Config

MAX_LISTED = 5  # problems named in one error message; the rest are counted


class FrameSentence(NamedTuple):
    """A sentence a record's text lands in, with its offsets into the record's text."""

    sentence_id: str
    start: int
    end: int
    text: str


@dataclass
class Frame:
    """Where a record's text lands: its sentences, in order."""

    sentences: list[FrameSentence]


class Answer(NamedTuple):
    """One answer of the file placed on its sentence (span offsets relative to the sentence)."""

    sentence_id: str
    annotator: str | None  # None when the import writes gold
    task: str
    target: str | None  # the stance target; None for other tasks
    value: dict  # as an event's value: {"label"}, {"target", "label"} or {"spans"}
    where: str  # file:line of the answer in the imported file

    @property
    def question(self) -> tuple[str, str | None, str, str | None]:
        """Who answered what; when the file answers a question twice, its last answer counts."""
        return self.sentence_id, self.annotator, self.task, self.target


@dataclass
class DocumentPlan:
    """Where a file's records land, and the documents the import adds."""

    frames: dict[int, Frame]  # record index -> where it lands
    new_documents: list[tuple[SourceDocument, Frame]] = field(default_factory=list)  # made now, written later
    unchanged_documents: int = 0
    split_kept: dict[tuple[str | None, str], set[str]] = field(default_factory=dict)  # (earlier, asked) -> doc ids
    sentence_meta: dict[str, list[dict]] = field(default_factory=dict)  # new doc id -> its sentences' meta


@dataclass
class PlacedAnswers:
    """A file's answers on their sentences, one per question."""

    answers: list[Answer]
    duplicate_spans: int  # the same span twice in one answer, merged
    repeated_questions: int  # questions the file answers differently more than once (the last counts)


@dataclass
class NewWrites:
    """What an import writes: only answers that differ from the current ones."""

    events_by_annotator: dict[str, list[dict]] = field(default_factory=dict)
    gold_records: list[dict] = field(default_factory=list)
    unchanged: int = 0  # answers equal to the current ones, not written again


# --- documents -------------------------------------------------------------------------------------

def plan_documents(workspace: Workspace, records: list[ForeignRecord], path: Path, config: Config,
                   encoding: str | None, progress: ProgressCallback = no_progress) -> DocumentPlan:
    """Decide where every record lands: an existing sentence (tagline's own exports carry sentence
    ids), an unchanged document, or a new document (made now, written later); ``progress`` is told
    of each record."""
    doc_ids = _document_ids(records, path)
    wanted_sentences = {record.sentence_id for record in records if record.sentence_id}
    wanted_docs = set(doc_ids.values())
    stored_by_id: dict[str, dict] = {}
    stored_by_doc: dict[str, list[dict]] = {}
    for sentence in workspace.iter_sentences():
        if sentence["id"] in wanted_sentences:
            stored_by_id[sentence["id"]] = sentence
        if sentence["doc_id"] in wanted_docs:
            stored_by_doc.setdefault(sentence["doc_id"], []).append(sentence)
    registry = workspace.documents()
    encoding = encoding or file_encoding(path)

    plan = DocumentPlan(frames={})
    planned: dict[str, tuple[int, ForeignRecord]] = {}
    unchanged = set()
    for index, record in enumerate(records):
        progress(index, len(records), "placing records")
        if record.sentence_id and record.sentence_id in stored_by_id:
            plan.frames[index] = _onto_sentence(record, stored_by_id[record.sentence_id], plan.split_kept)
            unchanged.add(stored_by_id[record.sentence_id]["doc_id"])  # its document is there already
            continue
        doc_id = doc_ids[index]
        if doc_id in planned:
            first_index, first = planned[doc_id]
            if first.text != record.text:
                raise DataError(f"two records make document {doc_id!r} but their texts differ (the other is at "
                                f"{first.where})", where=record.where, fix="give the records distinct ids")
            plan.frames[index] = plan.frames[first_index]
            continue
        planned[doc_id] = (index, record)
        existing = registry.get(doc_id)
        if existing is not None:
            plan.frames[index] = _onto_document(record, doc_id, existing, stored_by_doc.get(doc_id, []),
                                                plan.split_kept)
            unchanged.add(doc_id)
            continue
        document, frame = _new_document(record, doc_id, config, encoding)
        plan.frames[index] = frame
        plan.new_documents.append((document, frame))
        if record.sentence_meta is not None:
            plan.sentence_meta[doc_id] = record.sentence_meta
    progress(len(records), len(records), "placing records")
    plan.unchanged_documents = len(unchanged)
    return plan


def _document_ids(records: list[ForeignRecord], path: Path) -> dict[int, str]:
    """Record index -> the document it makes: its own id (benchmarks), its sentence's document
    (tagline's exports), else ``<file stem>-<record key>``."""
    prefix = doc_id_from(path.stem if path.is_file() else path.name)
    doc_ids: dict[int, str] = {}
    for index, record in enumerate(records):
        if record.doc_id:
            if not DOC_ID.match(record.doc_id):
                raise InputError(f"the record's id makes document id {record.doc_id!r}, which is not valid",
                                 where=record.where, fix="ids may use letters, digits, '.', '_' or '-'; "
                                                         "check that the file is not damaged")
            doc_ids[index] = record.doc_id
        elif record.sentence_id:
            doc_ids[index] = doc_id_from(record.sentence_id)
        else:
            doc_ids[index] = doc_id_from(f"{prefix}-{record.key}")
    return doc_ids


def _onto_sentence(record: ForeignRecord, stored: dict, split_kept: dict) -> Frame:
    """A record of tagline's own export, back on the sentence it came from."""
    lead = len(record.text) - len(record.text.lstrip())
    theirs = record.text.strip()
    if record.line_breaks_as_spaces and "\r\n" not in stored["text"] \
            and theirs == stored["text"].replace("\n", " ").replace("\r", " "):
        theirs = stored["text"]  # one space for each line break: the offsets are the same
    if theirs != stored["text"]:
        at = next((i for i, (a, b) in enumerate(zip(theirs, stored["text"])) if a != b),
                  min(len(theirs), len(stored["text"])))
        start = max(0, at - 20)  # the excerpts show where the texts part, not only how they begin
        shown = f" from character {at}" if start else ""
        raise DataError(f"sentence {record.sentence_id!r} has the text{shown} {theirs[start:start + 60]!r} in the "
                        f"file but {stored['text'][start:start + 60]!r} in the workspace", where=record.where,
                        fix="the file was made from other text; import it into another workspace, or "
                            "remove its sentence_id values")
    if record.split and stored.get("split") != record.split:
        split_kept.setdefault((stored.get("split"), record.split), set()).add(stored["doc_id"])
    return Frame([FrameSentence(stored["id"], lead, lead + len(stored["text"]), stored["text"])])


def _onto_document(record: ForeignRecord, doc_id: str, existing: dict, stored: list[dict], split_kept: dict) -> Frame:
    """A record imported before: its document must have the same text."""
    if existing["text_sha256"] != hashlib.sha256(record.text.encode("utf-8")).hexdigest():
        made_from = f" (made from {existing['source']})" if existing.get("source") else ""
        raise ConflictError(f"document {doc_id!r} is already in the workspace with different text{made_from}",
                            where=record.where,
                            fix="the file changed since it was imported, or another file of the same name made "
                                "that document: rename this file to import its records as new documents, or "
                                "import it into another workspace")
    stored = sorted(stored, key=lambda s: s["start"])
    if record.sentences is not None and [(s["start"], s["end"]) for s in stored] != list(record.sentences):
        raise ConflictError(f"document {doc_id!r} is already in the workspace with other sentences",
                            where=record.where, fix="import the file into another workspace")
    for sentence in stored:
        if record.split and sentence.get("split") != record.split:
            split_kept.setdefault((sentence.get("split"), record.split), set()).add(doc_id)
    return Frame([FrameSentence(s["id"], s["start"], s["end"], s["text"]) for s in stored])


@functools.cache
def _segmenting() -> tuple[Callable[..., list[tuple[int, int]]], Callable[[str, int], str], Callable[[str], str]]:
    """The ingest's segmenting, sentence ids and language guess: imported on first use (they load the
    segmenters), once, not once per record."""
    from tagline.corpus.ingest import segment_document, sentence_id
    from tagline.corpus.segment import detect_lang

    return segment_document, sentence_id, detect_lang


def _new_document(record: ForeignRecord, doc_id: str, config: Config, encoding: str) -> tuple[SourceDocument, Frame]:
    segment_document, make_sentence_id, detect_lang = _segmenting()
    document_lang = record.lang or (config.language if config.language != "auto" else detect_lang(record.text))
    document = SourceDocument(doc_id, record.text, record.where, "import", encoding, document_lang,
                              record.split, dict(record.meta), single_sentence=not record.whole_document,
                              sentence_spans=tuple(record.sentences) if record.sentences is not None else None)
    spans = segment_document(document, document_lang)
    if not spans:
        raise InputError("the record has no text", where=record.where, fix="give every record its text")
    document.sentence_spans = tuple(spans)  # the ingest keeps these sentences, not segmenting the text again
    frame = Frame([FrameSentence(make_sentence_id(doc_id, number), start, end, record.text[start:end])
                   for number, (start, end) in enumerate(spans, 1)])
    return document, frame


def file_encoding(path: Path) -> str:
    if not path.is_file():
        return "utf-8"
    return decode_file(path)[1]


# --- answers ---------------------------------------------------------------------------------------

def place_answers(records: list[ForeignRecord], frames: dict[int, Frame], gold: bool, path: Path,
                  options: ReadOptions) -> PlacedAnswers:
    """Every answer placed on its sentence, with span offsets made relative to the sentence; every
    offset problem in the file is collected first, then refused in one message."""
    problems: list[tuple[str, str]] = []
    placed: dict[tuple, Answer] = {}
    conflicts: list[str] = []
    duplicates = 0
    for index, record in enumerate(records):
        frame = frames[index]
        for answer in record.answers:
            if answer.kind == "label":
                assert answer.task is not None  # map_labels gives every answer it keeps a task
                position = 0 if answer.sentence is None else answer.sentence
                if answer.sentence is None and len(frame.sentences) != 1:
                    problems.append((answer.where, f"a {answer.task} label for a text of "
                                                   f"{len(frame.sentences)} sentences"))
                    continue
                if not 0 <= position < len(frame.sentences):
                    problems.append((answer.where, f"a label for sentence {position + 1} of a text of "
                                                   f"{len(frame.sentences)} sentences"))
                    continue
                value = {"label": answer.label}
                if answer.task == "stance":
                    value = {"target": answer.target, "label": answer.label}
                _put(placed, conflicts, Answer(frame.sentences[position].sentence_id, answer.annotator,
                                               answer.task, answer.target, value, answer.where))
                continue
            duplicates += _place_spans(record, answer, frame, options, placed, conflicts, problems)
    if problems:
        fix = "correct the offsets in the file; tagline never shifts spans" + \
            (_utf16_hint(problems) if options.offsets == "codepoints" else "")
        if len(problems) == 1:
            raise DataError(problems[0][1], where=problems[0][0], fix=fix)
        listed = "; ".join(f"{where}: {what}" for where, what in problems[:MAX_LISTED])
        more = f" (and {len(problems) - MAX_LISTED} more)" if len(problems) > MAX_LISTED else ""
        raise DataError(f"{plural(len(problems), 'offset problem')}: {listed}{more}", where=str(path), fix=fix)
    if conflicts and gold:
        raise DataError(f"--gold needs one answer per question, but the file answers {conflicts[0]} differently "
                        f"more than once ({plural(len(conflicts), 'such question')})", where=str(path),
                        fix="import the answers per annotator (without --gold) and adjudicate")
    return PlacedAnswers(list(placed.values()), duplicates, len(conflicts))


def _place_spans(record: ForeignRecord, answer: ForeignAnswer, frame: Frame, options: ReadOptions,
                 placed: dict, conflicts: list[str], problems: list[tuple[str, str]]) -> int:
    """Put a span answer's spans on the sentences that hold them (one entity answer per sentence of
    the record, ``[]`` where none falls); returns how many duplicate spans were merged."""
    text = record.text
    sentences = frame.sentences
    by_sentence: dict[str, dict[tuple[int, int, str], dict]] = {sentence.sentence_id: {} for sentence in sentences}
    counts = dict.fromkeys(by_sentence, 0)
    for span in answer.spans:
        start, end = span.start, span.end
        covered = text[start:end]
        if not (0 <= start < end <= len(text) and (span.text is None or covered == span.text)):
            problems.append((span.where or answer.where, _span_problem(text, span, options) or ""))
            continue
        home = sentences[0] if len(sentences) == 1 and sentences[0].start <= start and end <= sentences[0].end \
            else next((s for s in sentences if s.start <= start and end <= s.end), None)
        if home is None:
            problems.append((span.where or answer.where, f"span {start}:{end} {span.label} ({covered!r}) is not "
                                                         "inside one sentence (it crosses a sentence boundary or "
                                                         "covers white space between sentences)"))
            continue
        # The last of equal spans is kept, as the file's last word on it.
        by_sentence[home.sentence_id][(start - home.start, end - home.start, span.label)] = {
            "start": start - home.start, "end": end - home.start, "label": span.label, "text": covered}
        counts[home.sentence_id] += 1
    duplicates = 0
    for sentence_id, unique in by_sentence.items():
        duplicates += counts[sentence_id] - len(unique)
        value = {"spans": [unique[key] for key in sorted(unique)]}
        _put(placed, conflicts, Answer(sentence_id, answer.annotator, "entities", None, value, answer.where))
    return duplicates


def _utf16_hint(problems: list[tuple[str, str]]) -> str:
    return "; if the tool counted UTF-16 code units (emoji as two), pass --offsets utf16" \
        if any("UTF-16" in what for _, what in problems) else ""


def _span_problem(text: str, span: ForeignSpan, options: ReadOptions) -> str | None:
    if 0 <= span.start < span.end <= len(text) and (span.text is None or text[span.start:span.end] == span.text):
        return None
    where = f"span {span.start}:{span.end} {span.label}"
    as_utf16 = None
    if 0 <= span.start < span.end:
        try:
            as_utf16 = text.encode("utf-16-le")[2 * span.start:2 * span.end].decode("utf-16-le")
        except UnicodeDecodeError:
            pass
    fits_utf16 = as_utf16 is not None and (as_utf16 == span.text if span.text is not None else
                                           span.end <= utf16_length(text) and bool(as_utf16))
    hint = " (the offsets fit if they count UTF-16 code units)" if fits_utf16 else ""
    if span.start < 0 or span.end > len(text) or span.end <= span.start:
        return f"{where} is outside the text ({plural(len(text), 'character')}) or empty{hint}"
    covered = text[span.start:span.end]
    if span.text is not None and covered != span.text:
        return f"{where}: the offsets cover {covered!r} but the file says {span.text!r}{hint}"
    return None


def _put(placed: dict[tuple, Answer], conflicts: list[str], answer: Answer) -> None:
    earlier = placed.get(answer.question)
    if earlier is not None and not _same_answer(answer.task, earlier.value, answer.value):
        conflicts.append(f"{answer.sentence_id} {answer.task}" + (f":{answer.target}" if answer.target else ""))
    placed[answer.question] = answer


def check_answers(answers: list[Answer], config: Config, frames: dict[int, Frame]) -> None:
    """Refuse the import when an answer breaks an event's rules (a label or span the checks of
    :func:`tagline.annotate.events.event_problems` refuse)."""
    from tagline.annotate.events import event_problems

    texts = {sentence.sentence_id: sentence.text for frame in frames.values() for sentence in frame.sentences}
    problems: list[str] = []
    for answer in answers:
        event = {"sentence_id": answer.sentence_id, "task": answer.task, "op": "set", "value": answer.value}
        problems.extend(f"{answer.where}: {message}"
                        for message in event_problems(event, config, texts.get(answer.sentence_id)))
    if problems:
        more = f" (and {len(problems) - MAX_LISTED} more)" if len(problems) > MAX_LISTED else ""
        raise DataError("; ".join(problems[:MAX_LISTED]) + more, fix="fix the file; nothing was imported")


def new_writes(workspace: Workspace, answers: list[Answer], gold: bool, fmt: str, path: Path) -> NewWrites:
    """The events and gold records that change something; answers equal to the current ones are
    counted as unchanged and not written again."""
    from tagline.annotate.events import load_view, make_event
    from tagline.annotate.gold import gold_record, gold_view
    from tagline.corpus.primitives import utc_now

    writes = NewWrites()
    if gold:
        current = gold_view(workspace)
        for answer in answers:
            existing = current.get((answer.sentence_id, answer.task, answer.target))
            if existing is not None and _same_answer(answer.task, existing["value"], answer.value):
                writes.unchanged += 1
                continue
            record = gold_record(answer.sentence_id, answer.task, answer.target, answer.value, "imported", {})
            record["provenance"]["source"] = f"import:{fmt}:{path.name}"
            writes.gold_records.append(record)
        return writes
    views: dict[str, AnnotatorView] = {}
    now, source = utc_now(), f"import:{fmt}"  # one command's events, made at one time
    for answer in answers:
        annotator = answer.annotator
        # Only gold answers have none: the import names every other answer's annotator or refuses the file.
        assert annotator is not None
        if annotator not in views:
            views[annotator] = load_view(workspace, annotator)
        existing = views[annotator].value(answer.sentence_id, answer.task, answer.target)
        if existing is not None and _same_answer(answer.task, existing, answer.value):
            writes.unchanged += 1
            continue
        writes.events_by_annotator.setdefault(annotator, []).append(
            make_event(answer.sentence_id, annotator, answer.task, answer.value, source=source, time=now))
    from tagline.annotate.answers import check_can_answer

    for annotator in writes.events_by_annotator:
        check_can_answer(workspace, annotator)  # answers the workspace already holds are no new answers
    return writes


def _same_answer(task: str, one: dict, other: dict) -> bool:
    from tagline.annotate.answers import value_key

    return value_key(task, one) == value_key(task, other)
