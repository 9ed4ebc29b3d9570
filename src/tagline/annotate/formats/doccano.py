"""doccano: JSONL/JSON records (``label``/``labels`` as spans or categories, ``entities`` + ``cats``,
relation exports) and fastText lines; writes JSONL."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from tagline.annotate.formats import jsontext
from tagline.annotate.formats.common import (
    ExportData,
    ExportResult,
    ForeignAnswer,
    ForeignRecord,
    ForeignSpan,
    ReadOptions,
    ReadResult,
    chunked,
    expect_object,
    expect_offset,
    json_records,
    json_type,
    lines_of,
    plural,
    read_text,
)
from tagline.errors import InputError

FASTTEXT_PREFIX = "__label__"


def read(path: Path, options: ReadOptions) -> ReadResult:
    text = read_text(path)
    if path.suffix.lower() == ".txt" or text.lstrip().startswith(FASTTEXT_PREFIX):
        if not any(line.lstrip().startswith(FASTTEXT_PREFIX) for line in lines_of(text)):
            raise InputError("a .txt file without __label__ lines is not a doccano fastText export", where=str(path),
                             fix="for token-per-line files use --format conll")
        return _read_fasttext(path, text)
    records = []
    ignored_relations = 0
    pending = []  # (record, where, number, raw label lists)
    for number, (where, value) in enumerate(json_records(path, text), 1):
        record = expect_object(value, where)
        field = options.text_field or "text"
        body = record.get(field)
        if not isinstance(body, str) or not body.strip():
            fields = ", ".join(sorted(record)) or "none"
            raise InputError(f"record has no non-empty `{field}` field (fields: {fields})", where=where,
                             fix="give every record its text, or name the text field with --text-field")
        lists = []
        label_fields = [options.label_field] if options.label_field else ["label", "labels"]
        for name in label_fields:
            if name in record:
                lists.append((name, record[name]))
                break
        else:
            if options.label_field:
                raise InputError(f"record has no `{options.label_field}` field", where=where,
                                 fix="check --label-field")
        for name in ("entities", "cats"):
            if name in record:
                lists.append((name, record[name]))
        for name, value in lists:
            if not isinstance(value, list):
                raise InputError(f"`{name}` is a JSON {json_type(value)}, not a list", where=where,
                                 fix="spans are [[start, end, label], ...]; categories are [label, ...]")
        if isinstance(record.get("relations"), list):
            ignored_relations += len(record["relations"])
        pending.append((record, where, number, body, lists))
    # Whether an empty list means "no entities" or "no category" depends on what the file holds.
    holds_spans = any(name == "entities" or (value and not all(isinstance(v, str) for v in value))
                      for *_, lists in pending for name, value in lists if name != "cats")
    for record, where, number, body, lists in pending:
        answers = []
        for name, value in lists:
            if not value:
                if holds_spans and name != "cats":
                    answers.append(ForeignAnswer("spans", where))
                continue
            answers.extend(_answers(value, where, name, labels_only=name == "cats", spans_only=name == "entities"))
        raw_id = record.get("id")
        meta = record.get("meta")
        if not isinstance(meta, dict):
            meta = {}
        sentence_id = record.get("sentence_id")
        records.append(ForeignRecord(
            text=body, where=where, key=str(raw_id) if raw_id not in (None, "") else str(number),
            answers=answers, sentence_id=sentence_id if isinstance(sentence_id, str) else None, meta=dict(meta),
        ))
    warnings = []
    if ignored_relations:
        warnings.append(f"{path.name}: {plural(ignored_relations, 'relation')} not imported "
                        "(tagline holds entity spans, not relations between them)")
    return ReadResult(records, warnings)


def _answers(value: list, where: str, name: str, *, spans_only: bool = False,
             labels_only: bool = False) -> list[ForeignAnswer]:
    if all(isinstance(item, str) for item in value) and not spans_only:
        if len(value) > 1:
            raise InputError(f"several categories ({', '.join(value)}): tagline holds one label per "
                             "sentence and task", where=where,
                             fix="keep one category per record (multi-label data cannot be imported)")
        return [ForeignAnswer("label", where, label=value[0])]
    if labels_only:
        raise InputError(f"`{name}` must be a list of category names", where=where, fix="fix the record")
    spans = []
    for item in value:
        if type(item) is list and len(item) == 3 and type(item[0]) is int and type(item[1]) is int \
                and type(item[2]) is str and item[2]:
            spans.append(ForeignSpan(item[0], item[1], item[2]))  # the common case, checked as below
            continue
        if isinstance(item, list) and len(item) == 3:
            start, end, label = item
        elif isinstance(item, dict) and {"start_offset", "end_offset", "label"} <= item.keys():
            start, end, label = item["start_offset"], item["end_offset"], item["label"]
        else:
            raise InputError(f"`{name}` item {item!r} is neither [start, end, label] nor "
                             "{start_offset, end_offset, label}", where=where, fix="fix the record")
        if not isinstance(label, str) or not label:
            raise InputError(f"span label {label!r} is not a name", where=where, fix="fix the record")
        spans.append(ForeignSpan(expect_offset(start, where, "start"), expect_offset(end, where, "end"), label))
    return [ForeignAnswer("spans", where, spans=spans)]


def _read_fasttext(path: Path, text: str) -> ReadResult:
    records = []
    for number, line in enumerate(lines_of(text), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        words = line.split()
        labels = [word[len(FASTTEXT_PREFIX):] for word in words if word.startswith(FASTTEXT_PREFIX)]
        body_words = [word for word in words if not word.startswith(FASTTEXT_PREFIX)]
        if not body_words:
            raise InputError("line has labels but no text", where=where, fix="give every line its text")
        if len(labels) > 1:
            raise InputError(f"several labels ({', '.join(labels)}): tagline holds one label per sentence and "
                             "task", where=where,
                             fix="keep one __label__ per line (multi-label data cannot be imported)")
        body = line.strip()
        for word in words:
            if word.startswith(FASTTEXT_PREFIX):
                body = body.replace(word, "", 1)
        answers = [ForeignAnswer("label", where, label=labels[0])] if labels else []
        records.append(ForeignRecord(text=body.strip(), where=where, key=str(number), answers=answers))
    if not records:
        raise InputError("the file has no lines", where=str(path), fix="check that this is the exported file")
    return ReadResult(records)


def write(data: ExportData, out: BinaryIO) -> ExportResult:
    """JSONL: ``text``, ``sentence_id`` (which doccano keeps as metadata) and ``label``, in the shape
    the doccano project type imports. With ``--task`` (``data.question``): a sequence labelling
    project's ``[[start, end, label]]`` for entities, a text classification project's ``[name]`` for
    the claim type or the stance toward one target. Without it: the entity spans as ``label``, or the
    claim type as ``label`` when it is the only task; both tasks go in the intent detection and slot
    filling layout (``entities`` + ``cats``), which only that project type imports."""
    if data.question:
        return _write_question(data, data.question, out)
    tasks = data.tasks_present()
    any_span = any(value["spans"] for current in data.answers.values()
                   for (task, _), value in current.items() if task == "entities")
    # The intent/slot layout (`entities` + `cats`) when both tasks are answered, and when every span
    # list is empty: a file of empty `label` lists cannot say whether they are spans or categories.
    both = "entities" in tasks and ("claim_type" in tasks or not any_span)
    warnings = []
    if any(task == "stance" for task in tasks):
        warnings.append("doccano has no stance targets: stance answers are not exported "
                        "(export --task stance --target T for a text classification project, or use label-studio, "
                        "prodigy or csv)")
    if both and "claim_type" in tasks:
        warnings.append("entities and claim types are written as doccano's intent detection and slot filling layout "
                        "(entities + cats): for a sequence labelling project export --task entities, for text "
                        "classification --task claim_type")
    if data.annotator:
        warnings.append(_annotator_warning(data.annotator))
    records = 0
    for chunk in chunked(data.sentences):
        out.write(jsontext.lines([_record(sentence, data.answers.get(sentence["id"], {}), both) for sentence in chunk]))
        records += len(chunk)
    return ExportResult(warnings=warnings, records=records)


def _record(sentence: dict, current: dict, both: bool) -> dict[str, object]:
    record: dict[str, object] = {"sentence_id": sentence["id"], "text": sentence["text"]}
    entities = current.get(("entities", None))
    claim = current.get(("claim_type", None))
    span_list = None if entities is None else [[s["start"], s["end"], s["label"]] for s in entities["spans"]]
    if both:
        if span_list is not None:
            record["entities"] = span_list
        if claim is not None:
            record["cats"] = [claim["label"]]
    elif span_list is not None:
        record["label"] = span_list
    elif claim is not None:
        record["label"] = [claim["label"]]
    return record


def _write_question(data: ExportData, question: tuple[str, str | None], out: BinaryIO) -> ExportResult:
    """One project type's import file: every sentence, with ``label`` where the question is answered
    (doccano imports a record without ``label`` as not yet labelled)."""
    records = 0
    for chunk in chunked(data.sentences):
        lines = []
        for sentence in chunk:
            record: dict[str, object] = {"sentence_id": sentence["id"], "text": sentence["text"]}
            value = data.answers.get(sentence["id"], {}).get(question)
            if value is not None:
                record["label"] = [[s["start"], s["end"], s["label"]] for s in value["spans"]] \
                    if question[0] == "entities" else [value["label"]]
            lines.append(record)
        out.write(jsontext.lines(lines))
        records += len(chunk)
    warnings = [_annotator_warning(data.annotator)] if data.annotator else []
    if question[0] == "stance":
        warnings.append(f"doccano names no stance target: import the file back with --task stance --target "
                        f"{question[1]}")
    return ExportResult(warnings=warnings, records=records)


def _annotator_warning(annotator: str) -> str:
    return f"doccano files do not name annotators: import with --annotator {annotator}"
