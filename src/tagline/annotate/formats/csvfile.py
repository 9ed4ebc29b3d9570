"""CSV: one sentence per row; ``text``, and optionally ``sentence_id``, ``annotator``, ``claim_type``
(or doccano's ``label``), ``stance:<target>`` columns and ``entities`` as JSON ``[[start, end, label]]``.
Cells a spreadsheet would run as a formula are written behind a ``'``, which import takes off again."""

from __future__ import annotations

import csv
import io
import json
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
    load_json,
    plural,
    read_text,
)
from tagline.annotate.formats.label_studio_min import ANNOTATION_KEYS
from tagline.corpus.readers import FORMULA_TRIGGERS, csv_rows
from tagline.errors import InputError

STANCE_PREFIX = "stance:"
ESCAPE = "'"


def formula_escaped(cell: str) -> str:
    """``cell`` behind a ``'`` when it begins with a formula trigger (``= + - @``, tab, carriage
    return) or with ``'`` itself, so that :func:`formula_unescaped` gives back exactly ``cell``."""
    return ESCAPE + cell if cell.startswith((*FORMULA_TRIGGERS, ESCAPE)) else cell


def formula_unescaped(cell: str) -> str:
    """Undo :func:`formula_escaped`: one leading ``'`` goes when a trigger or another ``'`` follows."""
    return cell[1:] if cell.startswith(ESCAPE) and cell[1:2] and cell[1] in (*FORMULA_TRIGGERS, ESCAPE) else cell


def read(path: Path, options: ReadOptions) -> ReadResult:
    text = read_text(path)
    rows = csv_rows(text, str(path))
    first = next(rows, None)
    if first is None:
        raise InputError("the file is empty", where=str(path), fix="check that this is the exported file")
    columns = [name.strip() for name in first[2]]
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        raise InputError(f"the header names {', '.join(repr(name) for name in repeated)} more than once",
                         where=f"{path}:1", fix="give every column its own name")
    if ANNOTATION_KEYS <= set(columns):
        # Label Studio's CSV export: results as JSON under each control's name, one row per annotation.
        from tagline.annotate.formats import label_studio

        return label_studio.read(path, options)
    if STANCE_PREFIX in columns:
        raise InputError(f"column {STANCE_PREFIX!r} names no stance target", where=f"{path}:1",
                         fix=f"name the target after the colon, e.g. {STANCE_PREFIX}DeepSeek")
    text_column = options.text_field or "text"
    if text_column not in columns:
        raise InputError(f"no `{text_column}` column (columns: {', '.join(columns) or 'none'})", where=f"{path}:1",
                         fix="name the column that holds the sentences `text`, or pass --text-field")
    label_column = options.label_field or next((name for name in ("claim_type", "label") if name in columns), None)
    if options.label_field and options.label_field not in columns:
        raise InputError(f"no `{options.label_field}` column (columns: {', '.join(columns)})", where=f"{path}:1",
                         fix="check --label-field")
    read = {text_column, label_column, "annotator", "sentence_id", "entities"}
    ignored = [name for name in columns if name not in read and not name.startswith(STANCE_PREFIX)]
    warnings = []
    if ignored:
        warnings.append(f"{path.name}: {plural(len(ignored), 'column')} not read: {', '.join(ignored)} (tagline reads "
                        f"{text_column}, claim_type or label, stance:<target>, entities, annotator, sentence_id"
                        f"{'; --label-field names another label column' if not options.label_field else ''})")
    records: list[ForeignRecord] = []
    for line, _, row in rows:
        where = f"{path}:{line}"
        if not any(cell.strip() for cell in row):
            continue
        row = [formula_unescaped(cell) for cell in row]
        if len(row) > len(columns):
            raise InputError(f"{len(row)} fields but the header has {len(columns)} columns", where=where,
                             fix="quote fields that contain commas")
        cells = dict(zip(columns, row + [""] * (len(columns) - len(row))))
        body = cells[text_column]
        if not body.strip():
            raise InputError(f"the `{text_column}` cell is empty", where=where, fix="give every row its text")
        annotator = cells.get("annotator", "").strip() or None
        answers = []
        if label_column and cells.get(label_column, "").strip():
            task = "claim_type" if label_column == "claim_type" else None
            answers.append(ForeignAnswer("label", where, label=cells[label_column].strip(), task=task,
                                         annotator=annotator))
        for name in columns:
            if name.startswith(STANCE_PREFIX) and len(name) > len(STANCE_PREFIX) and cells[name].strip():
                answers.append(ForeignAnswer("label", where, label=cells[name].strip(), task="stance",
                                             target=name[len(STANCE_PREFIX):], annotator=annotator))
        if "entities" in columns and cells["entities"].strip():
            answers.append(ForeignAnswer("spans", where, spans=_spans(cells["entities"], where), annotator=annotator))
        sentence_id = cells.get("sentence_id", "").strip() or None
        records.append(ForeignRecord(text=body, where=where, key=sentence_id or str(len(records) + 1),
                                     answers=answers, sentence_id=sentence_id))
    if not records:
        raise InputError("no rows", where=str(path), fix="check that this is the exported file")
    return ReadResult(records, warnings)


def _spans(cell: str, where: str) -> list[ForeignSpan]:
    try:
        value = load_json(cell, where)
    except json.JSONDecodeError as error:
        raise InputError(f"the `entities` cell is not JSON ({error.msg})", where=where,
                         fix='write spans as [[start, end, "LABEL"], ...]') from None
    if not isinstance(value, list) or not all(isinstance(item, list) and len(item) == 3 for item in value):
        raise InputError("the `entities` cell is not [[start, end, label], ...]", where=where,
                         fix='write spans as [[start, end, "LABEL"], ...]')
    spans = []
    for start, end, label in value:
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (start, end)) or not isinstance(label, str):
            raise InputError(f"span {[start, end, label]!r} is not [start, end, label]", where=where,
                             fix="fix the cell")
        spans.append(ForeignSpan(start, end, label))
    return spans


def write(data: ExportData, out: BinaryIO) -> ExportResult:
    """Columns ``sentence_id, text, annotator, claim_type, stance:<target>…, entities``; an empty cell
    is "not answered", ``[]`` in ``entities`` is "no entities"."""
    targets = list(data.config.targets) if "stance" in data.config.tasks else []
    # A stance answer always names its target (the workspace's records are checked when read).
    targets += data.stance_targets_answered(targets)
    columns = ["sentence_id", "text", "annotator", "claim_type", *(STANCE_PREFIX + t for t in targets), "entities"]
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    escape = formula_escaped if data.formula_escape else str
    records = 0
    for chunk in chunked(data.sentences):
        rows = []
        for sentence in chunk:
            current = data.answers.get(sentence["id"], {})
            claim = current.get(("claim_type", None))
            entities = current.get(("entities", None))
            row = [sentence["id"], sentence["text"], data.annotator or "", claim["label"] if claim else ""]
            row += [current[("stance", t)]["label"] if ("stance", t) in current else "" for t in targets]
            spans = None if entities is None else [[s["start"], s["end"], s["label"]] for s in entities["spans"]]
            row.append("" if spans is None else jsontext.dumps(spans))
            rows.append([escape(cell) for cell in row] if data.formula_escape else row)
        writer.writerows(rows)
        out.write(text.getvalue().encode("utf-8"))
        text.seek(0)
        text.truncate()
        records += len(chunk)
    out.write(text.getvalue().encode("utf-8"))  # the header of a file without sentences
    return ExportResult(records=records)
