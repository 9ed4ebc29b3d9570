"""Label Studio: task JSON (a list of tasks, one task, or JSON Lines) with ``annotations[].result[]``
(``labels`` spans, ``choices``); writes a task list with one annotation per task."""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterator
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, BinaryIO

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
    decode_file,
    expect_object,
    expect_offset,
    json_records,
    plural,
)
from tagline.annotate.formats.label_studio_config import SPAN_CONTROL, TEXT_NAME, label_config
from tagline.annotate.formats.label_studio_config import SUFFIX as CONFIG_SUFFIX
from tagline.annotate.formats.label_studio_min import csv_records, tasks_from_min
from tagline.errors import InputError

ANNOTATOR_KEY = "tagline_annotator"  # in a task's data: whose answers tagline exported
TASKS_KEY = "tagline_tasks"  # in a task's data (older exports: in the annotation): the questions answered

TASK_KEYS = frozenset({"annotations", "completions", "predictions", "id", "meta", "created_at", "updated_at",
                       "inner_id", "total_annotations", "cancelled_annotations", "total_predictions",
                       "project", "file_upload", "drafts", "updated_by", "comment_count", "unresolved_comment_count",
                       "last_comment_updated_at", "task_path"})


def read(path: Path, options: ReadOptions) -> ReadResult:
    """Tasks from Label Studio's JSON export (a task list, one task, or JSON Lines), or from its
    JSON-MIN and CSV exports (one flat record per annotation, see :mod:`.label_studio_min`). A plain
    task array is read in bulk (:mod:`.label_studio_bulk`)."""
    if path.suffix.lower() != ".csv":
        from tagline.annotate.formats.label_studio_bulk import read_plain

        plain = read_plain(path, options)
        if plain is not None:
            return plain
    return read_tasks(path, options)


def read_tasks(path: Path, options: ReadOptions) -> ReadResult:
    """:func:`read` task by task: any Label Studio file, each task's problems said where they are."""
    tasks: list[tuple[str, object]] = []
    encoding = None
    if path.suffix.lower() == ".csv":
        tasks.extend(csv_records(path, options))
    else:
        text, encoding = decode_file(path)  # the encoding kept, so that the import does not decode the file again
        for where, value in json_records(path, text):
            if isinstance(value, list):  # a JSON Lines file holding a list per line is still tasks
                tasks.extend((f"{where} task {index}", item) for index, item in enumerate(value, 1))
            else:
                tasks.append((where, value))
        del text
    tasks, warnings = tasks_from_min(tasks, path, options)
    has_labels = any(result.get("type") == "labels"
                     for where, task in tasks if isinstance(task, dict)
                     for _, item, item_where in _items(task, options, where)
                     for result in _results(item, item_where) if isinstance(result, dict))
    records = []
    # Keyed by (singular, plural), so that each warning can say plural(count, *what).
    skipped: Counter[tuple[str, str]] = Counter()
    for number, (where, value) in enumerate(tasks, 1):
        task = expect_object(value, where)
        data = task["data"] if isinstance(task.get("data"), dict) else \
            {k: v for k, v in task.items() if k not in TASK_KEYS}
        text, field = _text(data, task, options, where)
        items = list(_items(task, options, where, skipped))
        exported = _exported_annotation(items)
        answers = []
        for kind, item, item_where in items:
            if item.get("was_cancelled"):
                skipped[("cancelled annotation", "cancelled annotations")] += 1
                continue
            who, answered = _who(item.get("completed_by")), item.get(TASKS_KEY)
            if item is exported:
                who, answered = _tagline_keys(data, item_where, who, answered)
            answers.extend(_answers(item, kind, item_where, options, has_labels, skipped, who, answered))
        raw_id = task.get("id")
        sentence_id = data.get("sentence_id")
        records.append(ForeignRecord(
            text=text, where=where, key=str(raw_id) if raw_id not in (None, "") else str(number),
            answers=answers, sentence_id=sentence_id if isinstance(sentence_id, str) else None,
            meta={k: v for k, v in data.items()
                  if k not in (field, "sentence_id", ANNOTATOR_KEY, TASKS_KEY) and isinstance(v, (str, int, float))},
        ))
    warnings += [f"{path.name}: {plural(count, *what)} not imported"
                 + (" (machine suggestions; pass --predictions to import them as the model's answers)"
                    if what[0] == "prediction" else "")
                 for what, count in sorted(skipped.items())]
    return ReadResult(records, warnings, encoding=encoding)


def _exported_annotation(items: list[tuple[str, dict[str, Any], str]]) -> dict | None:
    """The annotation tagline exported into the task, which its data's ``tagline_*`` keys describe:
    the one Label Studio imported (its ``import_id`` is set; annotations made there have none), or
    in a file that does not say (tagline's own, Label Studio's JSON-MIN and CSV), the first made."""
    annotations = [item for kind, item, _ in items if kind == "annotation"]
    if any("import_id" in item for item in annotations):
        return next((item for item in annotations if item.get("import_id") is not None), None)
    numbered = [item for item in annotations if isinstance(item.get("id"), int) and not isinstance(item["id"], bool)]
    if numbered:
        return min(numbered, key=lambda item: item["id"])
    return annotations[0] if annotations else None


def _tagline_keys(data: dict, where: str, who: str | None, answered: object) -> tuple[str | None, object]:
    """The annotator and the questions answered, as a tagline export put them in the task's data."""
    name = data.get(ANNOTATOR_KEY)
    if name is not None and not (isinstance(name, str) and name):
        raise InputError(f"`data.{ANNOTATOR_KEY}` is {json.dumps(name)[:60]}, not an annotator's name", where=where,
                         fix=f"write the name as a string, or remove `{ANNOTATOR_KEY}`")
    asked = data.get(TASKS_KEY, answered)
    if asked is not None and not (isinstance(asked, list) and all(isinstance(task, str) for task in asked)):
        raise InputError(f"`{TASKS_KEY}` is {json.dumps(asked)[:60]}, not a list of questions", where=where,
                         fix=f'write it as tagline does: ["entities", "stance:<target>"], or remove `{TASKS_KEY}`')
    return name or who, asked


def _items(task: dict[str, Any], options: ReadOptions, where: str,
           skipped: Counter[tuple[str, str]] | None = None) -> Iterator[tuple[str, dict[str, Any], str]]:
    """``(kind, annotation or prediction, where)`` for every answer set of a task."""
    annotations = task.get("annotations", task.get("completions")) or []
    if not isinstance(annotations, list):
        raise InputError("`annotations` is not a list", where=where, fix="fix the task")
    for index, annotation in enumerate(annotations, 1):
        yield "annotation", expect_object(annotation, where, "an annotation"), f"{where} annotation {index}"
    predictions = task.get("predictions") or []
    if predictions and not options.predictions:
        if skipped is not None:
            skipped[("prediction", "predictions")] += len(predictions)
        return
    for index, prediction in enumerate(predictions if isinstance(predictions, list) else [], 1):
        yield "prediction", expect_object(prediction, where, "a prediction"), f"{where} prediction {index}"


def _text(data: dict, task: dict, options: ReadOptions, where: str) -> tuple[str, str]:
    field = options.text_field
    if field is None:
        if "text" in data:
            field = "text"
        else:
            items = _items(task, ReadOptions(predictions=True), where)
            sources = {result["source"][1:] for _, item, item_where in items
                       for result in _results(item, item_where) if isinstance(result, dict)
                       and isinstance(result.get("source"), str) and result["source"].startswith("$")}
            if len(sources) == 1:
                field = sources.pop()
    body = data.get(field) if field is not None else None
    if field is None or not isinstance(body, str) or not body.strip():
        strings = ", ".join(sorted(key for key, value in data.items() if isinstance(value, str))) or "none"
        raise InputError(f"the task has no text in `data.{field or 'text'}` (text fields: {strings})",
                         where=where, fix="name the field the labeling config reads with --text-field "
                                          "(the $name in <Text value=\"$name\">)")
    return body, field


def _answers(item: dict, kind: str, where: str, options: ReadOptions, has_labels: bool,
             skipped: Counter[tuple[str, str]], who: str | None, answered: object) -> list[ForeignAnswer]:
    annotator: str | None
    if kind == "prediction":
        annotator = f"model-{item['model_version']}" if item.get("model_version") else "model"
        gold = False
    else:
        annotator = who
        gold = bool(item.get("ground_truth"))
    answers = []
    spans = []
    saw_spans = False
    for result in _results(item, where):
        result = expect_object(result, where, "a result")
        kind_ = result.get("type")
        value = result.get("value") or {}
        if kind_ in ("labels", "choices") and not isinstance(value, dict):
            raise InputError(f"the `value` of a `{kind_}` result is not a JSON object", where=where,
                             fix="write it as Label Studio does: {\"start\", \"end\", \"labels\": [...]} "
                                 "or {\"choices\": [...]}")
        if kind_ == "labels":
            saw_spans = True
            labels = _names(value.get("labels"), "labels", where)
            if not labels:
                raise InputError("a `labels` result without a label", where=where, fix="fix the annotation")
            start = expect_offset(value.get("start"), where, "start")
            end = expect_offset(value.get("end"), where, "end")
            covered = value.get("text")
            for label in labels:
                spans.append(ForeignSpan(start, end, label, covered if isinstance(covered, str) else None))
        elif kind_ == "choices":
            choices = _names(value.get("choices"), "choices", where)
            if len(choices) > 1:
                raise InputError(f"several choices ({', '.join(map(str, choices))}) in `{result.get('from_name')}`: "
                                 "tagline holds one label per sentence and task", where=where,
                                 fix="use single-choice controls (multi-label data cannot be imported)")
            if not choices:
                skipped[("choices result with nothing chosen", "choices results with nothing chosen")] += 1
            else:
                task, target = _destination(str(result.get("from_name", "")))
                answers.append(ForeignAnswer("label", where, label=str(choices[0]), task=task, target=target,
                                             annotator=annotator, gold=gold))
        else:
            skipped[(f"result of type {kind_!r}", f"results of type {kind_!r}")] += 1
    if saw_spans or (isinstance(answered, list) and "entities" in answered) or \
            (not isinstance(answered, list) and has_labels):
        answers.append(ForeignAnswer("spans", where, spans=spans, annotator=annotator, gold=gold))
    return answers


def _results(item: dict, where: str) -> list:
    results = item.get("result") or []
    if not isinstance(results, list):
        raise InputError("`result` is not a list", where=where, fix="fix the annotation")
    return results


def _names(value: object, key: str, where: str) -> list[str]:
    """The label names of a ``labels`` or ``choices`` value: a list of strings (one string is
    read as a list of one)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise InputError(f"`{key}` is {json.dumps(value, ensure_ascii=False)[:60]}, not a list of label names",
                         where=where, fix=f"write it as Label Studio does: \"{key}\": [\"NAME\"]")
    return value


def _who(completed_by: object) -> str | None:
    if isinstance(completed_by, dict):
        for key in ("email", "username", "id"):
            if completed_by.get(key) not in (None, ""):
                value = completed_by[key]
                return f"user{value}" if key == "id" else str(value)
        return None
    if isinstance(completed_by, bool) or completed_by in (None, ""):
        return None
    if isinstance(completed_by, int):
        return f"user{completed_by}"
    return str(completed_by)


def _destination(from_name: str) -> tuple[str | None, str | None]:
    if from_name.startswith("stance:") and len(from_name) > len("stance:"):
        return "stance", from_name[len("stance:"):]
    if from_name == "claim_type":
        return "claim_type", None
    return None, None


def write(data: ExportData, out: BinaryIO) -> ExportResult:
    """A task list: ``data.text`` and ``data.sentence_id``; one annotation per answered sentence with
    ``labels`` results for spans (``from_name`` ``label``) and ``choices`` results named
    ``claim_type`` and ``stance:<target>``, and the labelling configuration that reads them (a
    companion file). Label Studio keeps a task's ``data`` through every export, so the annotator's
    name goes there (``tagline_annotator``), with the questions answered (``tagline_tasks``: an empty
    span list reads back as "no entities"). ``completed_by`` must name an account of the Label Studio
    project, so it is written only for ``data.account``. Gold is marked ``ground_truth``, and an
    annotator's answers explicitly not (Label Studio marks an imported annotation ground truth when it
    does not say)."""
    number = 0
    for chunk in chunked(data.sentences):
        tasks = []
        for sentence in chunk:
            number += 1
            tasks.append(_task_json(data, number, sentence))
        # The array written as json.dumps(tasks, indent=1) writes it, a part at a time.
        out.write(((",\n" if number > len(chunk) else "[\n") + ",\n".join(tasks)).encode("utf-8"))
    out.write(b"\n]\n" if number else b"[]\n")
    return ExportResult(records=number, companions={CONFIG_SUFFIX: _config(data)})


# A task as json.dumps(tasks, ensure_ascii=False, indent=1) writes it (see _task), from templates
# (jsontext.template): without answers; with them, with or without the annotator and the account;
# a span's result and a choice's. Each %s is a value's JSON text.
_SLOT = jsontext.SLOT
_UNANSWERED = jsontext.template({"data": {"text": _SLOT, "sentence_id": _SLOT}}, 1)
_SPAN_RESULT = jsontext.template({"from_name": SPAN_CONTROL, "to_name": TEXT_NAME, "type": "labels", "value": {
    "start": _SLOT, "end": _SLOT, "text": _SLOT, "labels": [_SLOT]}}, 5)
_CHOICE_RESULT = jsontext.template({"from_name": _SLOT, "to_name": TEXT_NAME, "type": "choices",
                                    "value": {"choices": [_SLOT]}}, 5)


@functools.cache
def _answered_template(annotator: bool, account: bool) -> str:
    task_data = {"text": _SLOT, "sentence_id": _SLOT, **({ANNOTATOR_KEY: _SLOT} if annotator else {}),
                 TASKS_KEY: _SLOT}
    annotation = {"id": _SLOT, "result": _SLOT, "ground_truth": _SLOT, **({"completed_by": {"email": _SLOT}}
                                                                          if account else {})}
    return jsontext.template({"data": task_data, "annotations": [annotation]}, 1)


def _task_json(data: ExportData, number: int, sentence: dict) -> str:
    """One sentence as a task's JSON: its text and id, and its answers as one annotation (see
    :func:`write`), written from templates rather than made a dict, encoded and indented."""
    current = data.answers.get(sentence["id"], {})
    text, sentence_id = encode_basestring(sentence["text"]), encode_basestring(sentence["id"])
    if not current:
        return _UNANSWERED % (text, sentence_id)
    results = []
    answered = []
    for (task_name, target), value in sorted(current.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        answered.append(task_name if target is None else f"{task_name}:{target}")
        if task_name == "entities":
            results.extend([_SPAN_RESULT % (span["start"], span["end"], encode_basestring(span["text"]),
                                            encode_basestring(span["label"])) for span in value["spans"]])
        else:
            results.append(_CHOICE_RESULT % (encode_basestring(answered[-1]), encode_basestring(value["label"])))
    slots = [text, sentence_id]
    if data.annotator:
        slots.append(encode_basestring(data.annotator))
    slots += [jsontext.indented_array(["    " + encode_basestring(name) for name in answered], 3), str(number),
              jsontext.indented_array(results, 4), "false" if data.annotator else "true"]
    if data.account:
        slots.append(encode_basestring(data.account))
    return _answered_template(bool(data.annotator), bool(data.account)) % tuple(slots)


def _config(data: ExportData) -> str:
    """The labelling configuration for the questions exported (the workspace's, or ``--task``'s)."""
    config = data.config
    asked = {data.question[0]} if data.question else set(config.tasks)
    targets = list(config.targets) if "stance" in config.tasks else []
    targets += data.stance_targets_answered(targets)
    if data.question and data.question[0] == "stance":
        targets = [target for target in targets if target == data.question[1]]

    def labels(task: str) -> list[str]:
        if task not in asked or task not in config.tasks:
            return []
        return config.labels(task)

    return label_config(entity_labels=labels("entities"), claim_labels=labels("claim_type"),
                        stance_labels=labels("stance"), targets=targets)
