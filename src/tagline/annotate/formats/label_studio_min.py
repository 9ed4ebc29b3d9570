"""Label Studio's JSON-MIN and CSV exports, made back into tasks for the task reader.

Both hold one flat record per annotation, as Label Studio's converter writes them: the task's data
keys, the task's ``id``, each control's results under the control's name (``from_name``), and
``annotator``, ``annotation_id``, ``created_at``, ``updated_at``, ``lead_time``. A control's results
are a list of regions (spans: ``start``, ``end``, ``labels``), or for a ``Choices`` control with one
choice just that choice, a plain string that only the control's name tells from a data field. CSV
writes every value that is not a string as JSON. Neither keeps ``to_name``, result types, predictions,
``ground_truth`` nor task ``meta``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tagline.annotate.formats.common import ReadOptions, load_json, plural, read_text
from tagline.errors import InputError

# The keys Label Studio adds to every JSON-MIN record and CSV row besides the task's data and results.
ANNOTATION_KEYS = frozenset({"annotator", "annotation_id", "created_at", "updated_at", "lead_time"})
OTHER_KEYS = frozenset({"id", "agreement", "history"})
TASK_MARKERS = ("data", "annotations", "completions", "predictions")
CHOICE_CONTROLS = ("claim_type",)  # and every `stance:<target>`: the names tagline's export gives its controls
STANCE_PREFIX = "stance:"


def is_flat_record(value: object) -> bool:
    """True for a JSON-MIN record or CSV row: Label Studio's annotation keys, and no task keys."""
    return isinstance(value, dict) and ANNOTATION_KEYS <= value.keys() and not any(key in value for key in TASK_MARKERS)


def csv_records(path: Path, options: ReadOptions) -> list[tuple[str, object]]:
    """The rows of Label Studio's CSV export as JSON-MIN records: cells that hold JSON (what Label
    Studio wrote for results, lists and objects) decoded, except the text's, the empty cells of rows
    that lack a column left out, and numeric ids as numbers."""
    from tagline.corpus.readers import csv_rows

    rows = csv_rows(read_text(path), str(path))
    first = next(rows, None)
    if first is None:
        raise InputError("the file is empty", where=str(path), fix="check that this is the exported file")
    columns = [name.strip() for name in first[2]]
    if not ANNOTATION_KEYS <= set(columns):
        missing = ", ".join(sorted(ANNOTATION_KEYS - set(columns)))
        raise InputError(f"not a Label Studio CSV export: no {missing} column", where=f"{path}:1",
                         fix="export the project from Label Studio as CSV or JSON, or read this file with --format csv")
    records: list[tuple[str, object]] = []
    for line, _, row in rows:
        where = f"{path}:{line}"
        if len(row) > len(columns):
            raise InputError(f"{len(row)} fields but the header has {len(columns)} columns", where=where,
                             fix="check that this is the exported file")
        record: dict[str, object] = {}
        for name, cell in zip(columns, row):
            if cell == "" and name not in ANNOTATION_KEYS:
                continue
            record[name] = cell if name in (options.text_field or "text", "sentence_id") else _cell(name, cell, where)
        records.append((where, record))
    return records


def _cell(name: str, cell: str, where: str) -> object:
    if name in ("id", "annotation_id", "annotator") and cell.isdigit():
        return int(cell)
    if cell == "" and name in ANNOTATION_KEYS:
        return None
    if cell.startswith(("[", "{")):
        try:
            return load_json(cell, where)
        except json.JSONDecodeError:
            return cell  # a text that only begins like JSON
    return cell


def tasks_from_min(records: list[tuple[str, object]], path: Path,
                   options: ReadOptions) -> tuple[list[tuple[str, object]], list[str]]:
    """``records`` with the JSON-MIN ones made into tasks (the annotations of one task ``id``
    together, in the order of their ``annotation_id``), and warnings."""
    if not any(is_flat_record(value) for _, value in records):
        return records, []
    choice_controls = {*CHOICE_CONTROLS, *([options.label_field] if options.label_field else [])}
    tasks: dict[object, tuple[str, dict]] = {}
    result: list[tuple[str, object]] = []
    annotations = with_results = 0
    for number, (where, value) in enumerate(records, 1):
        if not is_flat_record(value):
            result.append((where, value))
            continue
        assert isinstance(value, dict)  # is_flat_record said so
        data, results = _split(value, choice_controls, where)
        task_id = value.get("id", f"record {number}")
        if task_id not in tasks:
            task: dict = {"data": data, "annotations": []}
            if "id" in value:
                task["id"] = value["id"]
            tasks[task_id] = (where, task)
            result.append(tasks[task_id])
        annotator = value.get("annotator")
        if value.get("annotation_id") is None and annotator in (None, "") and not results:
            continue  # a task without annotations: the converter writes its data alone
        annotations += 1
        with_results += bool(results)
        annotation: dict = {"id": _number(value.get("annotation_id")), "result": results}
        if annotator not in (None, ""):
            annotation["completed_by"] = annotator if isinstance(annotator, int) else {"email": str(annotator)}
        tasks[task_id][1]["annotations"].append(annotation)
    for _, task in tasks.values():  # Label Studio numbers annotations as they are made
        task["annotations"].sort(key=lambda item: item["id"] if isinstance(item["id"], int) else 0)
    warnings = []
    if not with_results:
        text_field = options.text_field or "text"
        fields = sorted({key for _, task in tasks.values() for key, value in task["data"].items()
                         if isinstance(value, str) and key != text_field})
        shown = ", ".join(fields[:8]) + (", …" if len(fields) > 8 else "")
        counted = ", ".join([plural(len(tasks), "task"), *([plural(annotations, "annotation")] if annotations else [])])
        warnings.append(
            f"{path.name}: no answer read from Label Studio's JSON-MIN or CSV export ({counted}): tagline reads span "
            f"lists, `claim_type` and `stance:<target>`; name a choices control with --label-field (text fields: "
            f"{shown or 'none'}), or export the project as JSON")
    return result, warnings


def _number(value: object) -> object:
    """An annotation id as a number (Label Studio's converter keeps a string id, such as "1001", as it was)."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _split(record: dict, choice_controls: set[str], where: str) -> tuple[dict, list[dict]]:
    """A flat record's task data and its results, as the task reader reads results."""
    data: dict = {}
    results: list[dict] = []
    for key, value in record.items():
        if key in ANNOTATION_KEYS or key in OTHER_KEYS:
            continue
        if _regions(value):
            results += [{"from_name": key, "type": "labels", "value": region} for region in value]
        elif isinstance(value, dict) and isinstance(value.get("choices"), list):
            results.append({"from_name": key, "type": "choices", "value": value})
        elif isinstance(value, str) and (key in choice_controls or key.startswith(STANCE_PREFIX)):
            results.append({"from_name": key, "type": "choices", "value": {"choices": [value]}})
        else:
            data[key] = value
    return data, results


def _regions(value: object) -> bool:
    """True for a list of span regions as Label Studio writes a ``Labels`` control's results."""
    return isinstance(value, list) and bool(value) and all(
        isinstance(region, dict) and {"start", "end", "labels"} <= region.keys() for region in value)
