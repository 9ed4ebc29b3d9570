"""Typed records of the workspace files, decoded and checked line by line in one place.

The JSON Schemas beside this module are the published contract, and ``tagline validate`` checks
every file against them with every message. Reading is different: a command reads millions of
lines and needs each record to hold the fields it uses, with the right types, at the speed of the
JSON parser. ``msgspec`` decodes a line straight into a typed dict and checks it while parsing
(about 1.8 µs a sentence line against 1.0 µs for untyped ``orjson``), so every reader of a
workspace file goes through :func:`decode_record` and a record that breaks the contract becomes
``path:line: what is wrong`` instead of a ``KeyError`` deep in a command. What only ``validate``
checks: patterns of ids and names, unknown fields, and what needs the configuration (labels,
targets) or other files (that a sentence exists).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, NotRequired, TypedDict

import msgspec
from msgspec import Meta

Task = Literal["stance", "claim_type", "entities"]
Op = Literal["set", "retract"]
Method = Literal["unanimous", "majority", "adjudicated", "single", "imported", "reopened"]
Lang = Literal["ja", "en"]
NonEmpty = Annotated[str, Meta(min_length=1)]
MAX_OFFSET = 2**31 - 1
"""The largest offset of a span in its sentence: no sentence is that long, and the answers' columns
hold offsets as int32 (so a larger one, refused here at its line, is never folded as another)."""


class Sentence(TypedDict):
    """One line of ``sentences.jsonl`` (schema ``sentence``)."""

    id: NonEmpty
    doc_id: NonEmpty
    index: Annotated[int, Meta(ge=1)]
    text: NonEmpty
    start: Annotated[int, Meta(ge=0)]
    end: Annotated[int, Meta(ge=1)]
    lang: Lang
    split: NotRequired[str]
    meta: NotRequired[dict[str, Any]]


class TextAt(TypedDict):
    """Where a document's text is in a text file of ``documents/`` that holds an import's texts."""

    file: Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,159}\.texts$")]
    offset: Annotated[int, Meta(ge=0)]
    bytes: Annotated[int, Meta(ge=0)]


class Document(TypedDict):
    """One line of ``documents.jsonl`` (schema ``document``)."""

    doc_id: NonEmpty
    source: str
    format: Literal["txt", "md", "jsonl", "csv", "import"]
    encoding: str
    lang: Lang
    text_sha256: Annotated[str, Meta(min_length=64, max_length=64)]
    n_sentences: Annotated[int, Meta(ge=0)]
    added: str
    replaced: NotRequired[bool]
    text_at: NotRequired[TextAt]
    meta: NotRequired[dict[str, Any]]


class Span(TypedDict):
    """An entity span, offsets relative to its sentence."""

    start: Annotated[int, Meta(ge=0, le=MAX_OFFSET)]
    end: Annotated[int, Meta(ge=1, le=MAX_OFFSET)]
    label: NonEmpty
    text: NonEmpty


class StanceValue(TypedDict):
    target: NonEmpty
    label: NonEmpty


class StanceRetract(TypedDict):
    target: NonEmpty


class LabelValue(TypedDict):
    label: NonEmpty


class EntitiesValue(TypedDict):
    spans: list[Span]


class SuggestionProvenance(TypedDict):
    """How an answer relates to the model's suggestion for it (schema ``event``: ``suggestion``)."""

    source: NonEmpty
    accepted: Literal["as_is", "changed"]
    score: NotRequired[Annotated[float, Meta(ge=0, le=1)]]


class Event(TypedDict):
    """One line of ``annotations/<annotator>.jsonl`` (schema ``event``)."""

    sentence_id: NonEmpty
    annotator: NonEmpty
    time: NonEmpty
    task: Task
    op: Op
    value: dict[str, Any] | None
    source: NotRequired[str]
    suggestion: NotRequired[SuggestionProvenance]
    meta: NotRequired[dict[str, Any]]


class Provenance(TypedDict):
    method: Method
    votes: dict[str, Any]
    adjudicator: NotRequired[str]
    source: NotRequired[str]


class Gold(TypedDict):
    """One line of ``gold/gold.jsonl`` (schema ``gold``)."""

    sentence_id: NonEmpty
    task: Task
    value: dict[str, Any]
    provenance: Provenance
    time: str
    target: NotRequired[NonEmpty]


class AnnotatorRecord(TypedDict):
    """One line of ``annotators.jsonl``: what an annotator is, when it is not simply a person who
    votes (the last record per annotator counts)."""

    annotator: NonEmpty
    kind: Literal["machine", "imported", "retired", "person"]
    time: str
    source: NotRequired[NonEmpty]  # machine and imported: the model, or what the answers came with


class Orphan(Sentence):
    """One line of ``orphaned.jsonl``: a sentence removed by ``corpus add --replace``, and when."""

    orphaned: str


class RunProtocol(TypedDict):
    """How a run was made (``results.json`` ``protocol``); the run's ``mode`` says it in words."""

    evaluation: Literal["holdout", "cross_validation", "external", "unknown"]
    tuning: Literal["validation", "cross_validation", "defaults", "none", "unknown"]
    folds: int | None


class RunWarning(TypedDict):
    """One of a run's (or a comparison's) ``warnings``: what a reader must know to read its scores.

    ``code`` says which kind: ``few_items`` (fewer than 30 items scored or compared, so the
    interval is wide) or ``f_avg_class`` (FAVOR or AGAINST has no gold items or no predictions, so
    its F1 is 0 and F_avg says little of the predictions); ``target`` (stance, when the warning is
    about one target's scores) and ``label`` say where it applies; ``message`` says it in words.
    """

    code: Literal["few_items", "f_avg_class"]
    message: str
    target: NotRequired[str]
    label: NotRequired[str]


class RunResult(TypedDict):
    """A run's ``results.json`` (schema ``run``), as `eval run` and `eval score` write and return it.

    The schema requires the first eight keys. ``metrics`` maps a metric's name to its value and
    bootstrap interval (``value``, ``low``, ``high``, ``n_resamples``, ``confidence``);
    ``per_class`` holds precision, recall, F1, support (gold items) and ``predicted`` per label, for
    the labels with gold items or predictions (``absent_labels`` names the others);
    ``confusion_matrix`` (label tasks) its ``labels`` and ``matrix``; ``f_avg_classes`` (stance) the
    F1, gold items and predictions of FAVOR and AGAINST, the two classes F_avg averages;
    ``per_target`` (stance) ``n``, ``f_avg``, ``f_avg_classes`` and ``macro_f1`` per target;
    ``warnings`` (:class:`RunWarning`) what a reader must know. ``model`` and ``confusion_png`` name
    the files written beside it. Results written before a key was added lack it, and are read all
    the same.
    """

    run_id: str
    task: str  # one of the tasks; the schema checks it
    baseline: str
    dataset_fingerprint: str
    seed: int
    versions: dict[str, str]
    metrics: dict[str, dict[str, Any]]
    created: str
    mode: NotRequired[str]
    protocol: NotRequired[RunProtocol]
    dataset: NotRequired[str]
    n_train: NotRequired[int]
    n_evaluated: NotRequired[int]
    headline: NotRequired[str]
    params: NotRequired[dict[str, Any]]
    lang: NotRequired[str]
    seconds: NotRequired[float]
    per_class: NotRequired[dict[str, dict[str, Any]]]
    confusion_matrix: NotRequired[dict[str, Any]]
    per_target: NotRequired[dict[str, dict[str, Any]]]
    absent_labels: NotRequired[list[str]]
    f_avg_classes: NotRequired[dict[str, dict[str, Any]]]
    warnings: NotRequired[list[RunWarning]]
    model: NotRequired[str]
    confusion_png: NotRequired[str]


def run_protocol(result: Mapping[str, Any]) -> RunProtocol:
    """A run's protocol; for a ``results.json`` written before runs recorded one, read from its
    ``mode`` sentence (the only place those runs said it).

    Examples
    --------
    >>> run_protocol({"mode": "5-fold cross-validation, by document"})
    {'evaluation': 'cross_validation', 'tuning': 'unknown', 'folds': 5}
    """
    stored = result.get("protocol")
    if isinstance(stored, dict):
        try:
            return msgspec.convert(stored, RunProtocol)
        except msgspec.ValidationError:
            pass
    mode = str(result.get("mode", ""))
    if mode.startswith("external predictions"):
        return {"evaluation": "external", "tuning": "none", "folds": None}
    head = mode.split(",", 1)[0]
    if "cross-validation" in head and head.split("-", 1)[0].isdigit():
        evaluation, folds = "cross_validation", int(head.split("-", 1)[0])
    else:
        evaluation, folds = ("holdout" if mode else "unknown"), None
    tuning = "defaults" if ("(not tuned)" in mode or "default parameters" in mode) else \
        "validation" if "tuned on validation" in mode else "cross_validation" if "tuned" in mode else "unknown"
    return {"evaluation": evaluation, "tuning": tuning, "folds": folds}  # type: ignore[typeddict-item]


RECORD_TYPES: dict[str, type] = {"sentence": Sentence, "document": Document, "event": Event, "gold": Gold,
                                 "orphan": Orphan, "annotator": AnnotatorRecord}


class RecordError(ValueError):
    """A line that is JSON but breaks its record's contract; the message says what is wrong."""


_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {kind: msgspec.json.Decoder(record_type)
                                                   for kind, record_type in RECORD_TYPES.items()}

# The value an event or gold record carries, by task and (for events) op.
_EVENT_VALUES: dict[tuple[str, str], type | None] = {
    ("stance", "set"): StanceValue, ("stance", "retract"): StanceRetract,
    ("claim_type", "set"): LabelValue, ("claim_type", "retract"): None,
    ("entities", "set"): EntitiesValue, ("entities", "retract"): None,
}
_GOLD_VALUES: dict[str, type] = {"stance": LabelValue, "claim_type": LabelValue, "entities": EntitiesValue}


def decode_record(kind: str, line: bytes) -> dict[str, Any]:
    """Decode one JSON line as a record of ``kind`` (a key of :data:`RECORD_TYPES`), checked.

    Raises
    ------
    msgspec.DecodeError
        The line is not JSON (a torn write, or a damaged file).
    RecordError
        The line is JSON but not a valid record: a field missing or of the wrong type.

    Examples
    --------
    >>> decode_record("event", b'{"sentence_id": "d-s0001"}')
    Traceback (most recent call last):
    ...
    tagline.schemas.records.RecordError: Object missing required field `annotator`
    """
    try:
        record: dict[str, Any] = _DECODERS[kind].decode(line)
    except msgspec.ValidationError as error:
        raise RecordError(str(error)) from None
    except RecursionError:
        raise msgspec.DecodeError("JSON is nested too deeply") from None
    if kind == "event":
        _check_value(_EVENT_VALUES[(record["task"], record["op"])], record["value"])
    elif kind == "gold":
        if record["task"] == "stance" and "target" not in record:
            raise RecordError("Object missing required field `target` (a stance record names its target)")
        _check_value(_GOLD_VALUES[record["task"]], record["value"])
    decoded: dict[str, Any] = record
    return decoded


def decode_records(kind: str, lines: list[bytes]) -> list[dict[str, Any]]:
    """:func:`decode_record` of many lines at once, for the reader of a clean stretch of a file: the
    same records, the values of events and gold records checked a type at a time rather than one by
    one. Raises on the first problem in any line, without saying which (the caller reads the lines
    again one by one to report it where it is).

    Examples
    --------
    >>> decode_records("event", [b'{"sentence_id": "d-s1", "annotator": "a", "time": "t", "task": "claim_type",'
    ...                          b' "op": "set", "value": {"label": "quantity"}}'])[0]["value"]
    {'label': 'quantity'}
    """
    decode = _DECODERS[kind].decode
    try:
        records: list[dict[str, Any]] = [decode(line) for line in lines]
    except msgspec.ValidationError as error:
        raise RecordError(str(error)) from None
    except RecursionError:
        raise msgspec.DecodeError("JSON is nested too deeply") from None
    if kind == "event":
        types = [_EVENT_VALUES[(record["task"], record["op"])] for record in records]
    elif kind == "gold":
        if any(record["task"] == "stance" and "target" not in record for record in records):
            raise RecordError("Object missing required field `target` (a stance record names its target)")
        types = [_GOLD_VALUES[record["task"]] for record in records]
    else:
        return records
    values: dict[type, list[object]] = {}
    if len(set(types)) == 1:  # the usual block: one kind of answer
        if types[0] is not None:
            values[types[0]] = [record["value"] for record in records]
    else:
        for value_type, record in zip(types, records):
            if value_type is not None:
                values.setdefault(value_type, []).append(record["value"])
    for value_type, listed in values.items():
        try:
            msgspec.convert(listed, list[value_type])  # type: ignore[valid-type]
        except msgspec.ValidationError as error:
            raise RecordError(str(error)) from None
    return records


def _check_value(value_type: type | None, value: object) -> None:
    if value_type is None:
        return
    try:
        msgspec.convert(value, value_type)
    except msgspec.ValidationError as error:
        message = str(error)
        raise RecordError(message.replace("`$", "`$.value", 1) if "`$" in message else f"{message} - at `$.value`") \
            from None


__all__ = ["RECORD_TYPES", "RecordError", "RunProtocol", "RunResult", "decode_record", "decode_records", "run_protocol",
           "Sentence", "Document", "Event", "Gold", "Span", "Orphan", "Task", "Op", "Method"]
