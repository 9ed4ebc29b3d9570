"""Scoring anyone's predictions against the gold, comparing two runs, and predicting with a saved run."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tagline.corpus.store import utc_now
from tagline.corpus.workspace import Workspace
from tagline.errors import DataError, InputError, require_count, takes_workspace
from tagline.eval.baselines.registry import reads_context
from tagline.eval.run import (
    HEADLINE,
    few_items,
    find_run,
    label_metric,
    load_dataset_dir,
    load_model,
    new_run_dir,
    prediction_rows,
    protocol,
    read_run_result,
    score_labels,
    score_spans,
    stance_warnings,
    task_data,
    versions,
    write_run,
)
from tagline.schemas import TASKS
from tagline.schemas.records import RunResult, RunWarning, run_protocol
from tagline.wording import plural, verb


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", where=str(path)) from None
    with handle:
        for number, line in enumerate(handle, 1):
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark, as some editors write
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                raise InputError(f"not valid JSON ({error.msg})", where=f"{path}:{number}",
                                 fix="fix that line") from None
            if not isinstance(record, dict):
                raise InputError("expected a JSON object", where=f"{path}:{number}")
            rows.append((number, record))
    return rows


def _first(items: Iterable[Any], count: int = 5) -> str:
    items = list(items)
    shown = ", ".join(map(str, items[:count]))
    return shown + (f", … ({len(items)} in all)" if len(items) > count else "")


@takes_workspace
def score_predictions(workspace: Workspace, path: str | Path, *, task: str, split: str = "test",
                      dataset_dir: str | Path | None = None, n_resamples: int = 1000, seed: int = 13,
                      only_gold: bool = False) -> RunResult:
    """Score a predictions file against the gold of ``split`` (or ``all``) and write it as a run.

    Lines: ``{"id": ..., "label": ...}`` for claim_type; for stance the id is the dataset row id
    ``<sentence_id>@<target>`` (or give ``sentence_id`` and ``target``); for entities
    ``{"id": ..., "entities": [{"start", "end", "label"}, ...]}``. Every gold id must be predicted
    once, and nothing else; with ``only_gold``, predictions of rows without gold in ``split`` (a
    model's file for every sentence, say, where only some have gold) are left out, and the run's
    ``params`` say how many (``left_out``).
    """
    if task not in TASKS:
        raise InputError(f"task {task!r} is not one of {', '.join(TASKS)}", fix="pass one of them as task=")
    require_count("n_resamples", n_resamples)
    path = Path(path)
    directory, built = load_dataset_dir(workspace, dataset_dir)
    data = task_data(directory, task, workspace=workspace)
    keep = [i for i, s in enumerate(data.splits) if split == "all" or s == split]
    if not keep:
        raise DataError(f"the dataset has no {split!r} split for {task}",
                        fix=f"splits: {', '.join(sorted(set(data.splits)))}, or --split all")
    gold = {data.ids[i]: data.gold[i] for i in keep}
    texts = {data.ids[i]: data.inputs[i] for i in keep} if task == "entities" else {}
    found = _read_predicted(path, task, data.labels, texts, only=gold if only_gold else None)
    _check_predicted(found, gold, task=task, split=split, labels=data.labels, path=path)
    ids = list(gold)
    truth = [gold[i] for i in ids]
    guess = [found.predicted[i] for i in ids]
    if task == "entities":
        scores = score_spans(truth, guess, data.labels, n_resamples=n_resamples, seed=seed)
    else:
        inputs = [data.inputs[data.ids.index(i)] for i in ids] if task == "stance" else None
        scores = score_labels(task, truth, guess, data.labels, inputs=inputs, n_resamples=n_resamples, seed=seed)
    baseline = f"predictions-{path.stem}"
    run_id, _ = new_run_dir(workspace, task, baseline)
    result: RunResult = {
        "run_id": run_id, "task": task, "baseline": baseline, "protocol": protocol("external", "none"),
        "mode": f"external predictions on {'the whole dataset' if split == 'all' else split}",
        "dataset": str(directory), "dataset_fingerprint": built["fingerprint"], "seed": seed,
        "versions": versions(), "created": utc_now(), "n_train": 0, "n_evaluated": len(ids),
        "headline": HEADLINE[task], "params": {"predictions": str(path)}, **scores}
    if only_gold:
        result["params"]["left_out"] = found.left_out
    result["warnings"] = _score_warnings(result, split)
    write_run(workspace, result, predictions=prediction_rows(task, ids, truth, guess))
    return result


def _score_warnings(result: RunResult, split: str) -> list[RunWarning]:
    """Too few items scored, with what to do instead; F_avg's classes with no gold items or no
    predictions."""
    task = result["task"]
    if split == "all":
        where, advice = "in the whole dataset", "Only more gold will make it steadier."
    else:
        where = f"in the {split} split"
        advice = ("If the predictions were made without training on this dataset (a zero-shot model, say), score "
                  "every item with `--split all`; tagline's own baselines score every item with `--cv K`: "
                  f"`tagline eval run --task {task} --cv 5`.")
    return few_items(result.get("n_evaluated", 0), where=where, metric=HEADLINE[task],
                     interval=result["metrics"][HEADLINE[task]], advice=advice) + stance_warnings(result)


@dataclass
class _Predicted:
    """What a predictions file holds: a label (spans for entities) by row id, and what is wrong."""

    predicted: dict[str, Any] = field(default_factory=dict)
    unknown_labels: list[str] = field(default_factory=list)  # the label and its line
    unlabelled: list[str] = field(default_factory=list)  # lines of records without a label
    duplicates: list[str] = field(default_factory=list)  # ids predicted again, and where
    left_out: int = 0  # lines of rows without gold, not read further (``only``)


def _read_predicted(path: Path, task: str, labels: list[str], texts: dict[str, str], *,
                    only: Mapping[str, Any] | None = None) -> _Predicted:
    """The predictions of ``path``; with ``only``, those of its rows (the others counted, not read)."""
    found = _Predicted()
    for number, record in _read_jsonl(path):
        row_id = _row_id(record, task, where=f"{path}:{number}")
        if only is not None and row_id not in only:
            found.left_out += 1
            continue
        if row_id in found.predicted:
            found.duplicates.append(f"{row_id} (line {number})")
        if task == "entities":
            found.predicted[row_id] = _read_spans(record, texts.get(row_id), labels, found, path=path, number=number)
            continue
        label = record.get("label")
        if "label" not in record:
            found.unlabelled.append(f"line {number}")
        elif not isinstance(label, str) or label not in labels:
            found.unknown_labels.append(f"{json.dumps(label, ensure_ascii=False)} (line {number})")
        found.predicted[row_id] = label
    return found


def _row_id(record: dict[str, Any], task: str, *, where: str) -> str:
    row_id = record.get("id")
    if row_id is None and task == "stance" and "sentence_id" in record and "target" in record:
        row_id = f"{record['sentence_id']}@{record['target']}"
    if row_id is None and "sentence_id" in record and "task" in record:  # every task's suggestions, by sentence
        raise InputError("record has no `id`: it is a line of `tagline annotate suggest` without --task",
                         where=where, fix=f"print one task's suggestions: `tagline annotate suggest --task {task} ...`")
    if row_id is None:
        raise InputError("record has no `id`", where=where,
                         fix="give each prediction the id of the dataset row it predicts")
    if not isinstance(row_id, str):
        raise InputError(f"`id` is {json.dumps(row_id, ensure_ascii=False)}, not a string",
                         where=where, fix="give the id of the dataset row it predicts, as a string")
    return row_id


def _read_spans(record: dict[str, Any], text: str | None, labels: list[str], found: _Predicted, *, path: Path,
                number: int) -> list[tuple[Any, ...]]:
    spans = record.get("entities")
    where = f"{path}:{number}"
    if not isinstance(spans, list):
        raise InputError("record has no `entities` list", where=where)
    value = []
    for span in spans:
        if not (isinstance(span, dict) and isinstance(span.get("start"), int)
                and isinstance(span.get("end"), int) and not isinstance(span.get("start"), bool)
                and not isinstance(span.get("end"), bool)):
            raise InputError(f"entity {span!r} is not {{\"start\": int, \"end\": int, \"label\": ...}}",
                             where=where, fix="give character offsets into the sentence")
        if text is not None and not 0 <= span["start"] < span["end"] <= len(text):
            raise InputError(f"entity offsets {span['start']}:{span['end']} are outside the sentence "
                             f"(0:{len(text)}) or empty", where=where,
                             fix="offsets are characters into the sentence text, end exclusive")
        if not isinstance(span.get("label"), str) or span["label"] not in labels:
            found.unknown_labels.append(f"{json.dumps(span.get('label'), ensure_ascii=False)} (line {number})")
        value.append((span["start"], span["end"], span.get("label")))
    return value


def _check_predicted(found: _Predicted, gold: dict[str, Any], *, task: str, split: str, labels: list[str],
                     path: Path) -> None:
    """A :class:`DataError` with every problem at once: ids missing, extra or twice, labels missing
    or unknown."""
    missing = [i for i in gold if i not in found.predicted]
    extra = [i for i in found.predicted if i not in gold]
    scope = "the whole dataset" if split == "all" else f"the {split} split"
    problems, fixes = [], []
    if missing:
        problems.append(f"{plural(len(missing), 'gold id')} {verb(len(missing), 'has', 'have')} no prediction "
                        f"(first: {_first(missing)})")
    if extra:
        problems.append(f"{plural(len(extra), 'predicted id')} {verb(len(extra), 'is', 'are')} not in the gold of "
                        f"{scope} (first: {_first(extra)})")
    if found.duplicates:
        problems.append(f"{plural(len(found.duplicates), 'id')} {verb(len(found.duplicates), 'is', 'are')} "
                        f"predicted twice (first: {_first(found.duplicates)})")
    if missing or extra or found.duplicates:
        fixes.append(f"predict each of the {len(gold)} rows of {scope} once, by its id in the built dataset"
                     + (f"; its splits.jsonl gives each sentence's split, to keep the {split} rows of a file "
                        "made for every sentence" if extra and missing and split != "all" else "")
                     + (f"; or leave out the predictions of rows without gold in {scope}: --only-gold"
                        if extra and not missing else ""))
    if found.unlabelled:
        problems.append(f"{plural(len(found.unlabelled), 'record')} without a `label` "
                        f"(first: {_first(found.unlabelled)})")
        fixes.append("give every record its `label`")
    if found.unknown_labels:
        problems.append(f"{plural(len(found.unknown_labels), 'unknown label')} (first: {_first(found.unknown_labels)})")
        fixes.append(f"use the {task} labels of tagline.toml: {', '.join(labels)}")
    if problems:
        raise DataError("; ".join(problems), where=str(path), fix="; ".join(fixes))


def _read_predictions(directory: Path) -> dict[str, dict[str, Any]]:
    path = directory / "predictions.jsonl"
    if not path.exists():
        raise DataError("the run has no predictions.jsonl", where=str(directory))
    return {record["id"]: record for _, record in _read_jsonl(path)}


@takes_workspace
def compare_runs(workspace: Workspace, run_a: str, run_b: str, *, n_resamples: int = 1000,
                 seed: int = 13) -> dict[str, Any]:
    """Paired bootstrap of the headline metric on the items both runs were evaluated on (which must
    be the same items): the difference b − a and its 95% interval, and ``warnings`` (a ``few_items``
    :class:`~tagline.schemas.records.RunWarning` when fewer than 30 items were compared)."""
    require_count("n_resamples", n_resamples)
    dir_a, dir_b = find_run(workspace, run_a), find_run(workspace, run_b)
    result_a, result_b = read_run_result(dir_a), read_run_result(dir_b)
    if result_a["task"] != result_b["task"]:
        raise DataError(f"the runs are for different tasks ({result_a['task']} and {result_b['task']})",
                        where=f"{dir_a.name}, {dir_b.name}",
                        fix="compare two runs of one task; `tagline eval runs` lists the runs, their task in "
                            "their id")
    if result_a["dataset_fingerprint"] != result_b["dataset_fingerprint"]:
        raise DataError("the runs were made on different datasets (fingerprints "
                        f"{result_a['dataset_fingerprint']} and {result_b['dataset_fingerprint']})",
                        fix="compare runs made on the same build")
    predictions_a, predictions_b = _read_predictions(dir_a), _read_predictions(dir_b)
    if set(predictions_a) != set(predictions_b):
        only_a = sorted(set(predictions_a) - set(predictions_b))
        only_b = sorted(set(predictions_b) - set(predictions_a))
        raise DataError(f"the runs were evaluated on different items ({len(only_a)} only in A, {len(only_b)} only "
                        f"in B; first: {_first(only_a or only_b)})",
                        fix="compare runs made in the same mode (both on test, or both with the same --cv)")
    ids = sorted(predictions_a)
    task = result_a["task"]
    truth = [predictions_a[i]["gold"] for i in ids]
    pred_a = [predictions_a[i]["pred"] for i in ids]
    pred_b = [predictions_b[i]["pred"] for i in ids]
    metric = HEADLINE[task]
    if task == "entities":
        outcome = _paired_span_bootstrap(truth, pred_a, pred_b, n_resamples=n_resamples, seed=seed)
    else:
        from tagline.eval.metrics import paired_bootstrap

        configured = list(result_a.get("confusion_matrix", {}).get("labels") or sorted(set(truth)))
        occurring = set(truth) | set(pred_a) | set(pred_b)
        labels = [label for label in configured if label in occurring]  # as in `eval run`: classes that occur
        outcome = paired_bootstrap(label_metric(metric, labels), truth, pred_a, pred_b, n_resamples=n_resamples,
                                   random_state=seed)
    outcome = dict(outcome)
    a_value = outcome.pop("a_value", outcome.pop("a", None))
    b_value = outcome.pop("b_value", outcome.pop("b", None))
    return {"task": task, "metric": metric, "run_a": result_a["run_id"], "run_b": result_b["run_id"],
            "a_value": a_value, "b_value": b_value, "n_items": len(ids), **outcome,
            "warnings": _compare_warnings(len(ids), task, metric, outcome, [result_a, result_b])}


def _compare_warnings(n_items: int, task: str, metric: str, outcome: Mapping[str, Any],
                      results: list[RunResult]) -> list[RunWarning]:
    """A warning when the runs were compared on too few items, with what to do instead."""
    if all(run_protocol(result)["evaluation"] == "cross_validation" for result in results):
        advice = "Only more gold will make it steadier."
    else:
        baselines = [result["baseline"] for result in results if run_protocol(result)["evaluation"] != "external"]
        chosen = f" --baselines {','.join(dict.fromkeys(baselines))}" if baselines else ""
        advice = ("Compare runs made with `--cv K` instead, which score every item: "
                  f"`tagline eval run --task {task}{chosen} --cv 5`.")
    return few_items(n_items, where="", done="compared", what="the difference", metric=f"{metric} B - A",
                     interval={"value": outcome["difference"], "low": outcome["low"], "high": outcome["high"]},
                     advice=advice)


def _paired_span_bootstrap(truth: list[Any], pred_a: list[Any], pred_b: list[Any], *, n_resamples: int,
                           seed: int) -> dict[str, Any]:
    import numpy as np

    from tagline.eval.entities import span_counts
    from tagline.eval.metrics import paired_p_value

    def as_spans(rows: list[Any]) -> list[list[tuple[Any, ...]]]:
        return [[tuple(s) for s in row] for row in rows]

    truth_spans = as_spans(truth)
    counts_a = span_counts(truth_spans, as_spans(pred_a))
    counts_b = span_counts(truth_spans, as_spans(pred_b))

    def f1(counts: Any, index: Any = None) -> Any:
        tp, fp, fn = (c if index is None else c[index].sum(axis=1) for c in counts)
        if index is None:
            tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
        denominator = 2 * tp + fp + fn
        return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)

    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(truth), size=(n_resamples, len(truth)))
    differences = f1(counts_b, index) - f1(counts_a, index)
    a, b = float(f1(counts_a)), float(f1(counts_b))
    low, high = np.quantile(differences, [0.025, 0.975])
    return {"a_value": a, "b_value": b, "difference": b - a, "low": float(low), "high": float(high),
            "p_value": paired_p_value(b - a, differences),
            "n_resamples": n_resamples}


@takes_workspace
def predict_file(workspace: Workspace, run_id: str, path: str | Path) -> list[dict[str, Any]]:
    """Predict with a saved run's model. ``path``: JSON lines with ``text`` (and ``target`` for
    stance, one the run was trained on; optional ``id``), or a plain text file with one text per
    line. A file with no text is an error, as is a record that cannot be predicted.

    A baseline that reads the debate (``context`` in the registry: ``speaker_svm``) is given each
    text with the record's optional ``doc_id`` and ``speaker``; its cues of a document are computed
    over that document's records in the file, in their order. Plain text is one document with no
    speakers."""
    directory = find_run(workspace, run_id)
    result = read_run_result(directory)
    if run_protocol(result)["evaluation"] == "external":
        raise DataError(f"run {result['run_id']} scored a predictions file, so it has no model",
                        where=str(directory),
                        fix="pick a run made by `tagline eval run` (`tagline eval runs` lists them)")
    path = Path(path)
    records: list[dict[str, Any]] = []
    if path.suffix in (".jsonl", ".ndjson"):
        for number, record in _read_jsonl(path):
            where = f"{path}:{number}"
            if "text" not in record:
                raise InputError("record has no `text`", where=where, fix="give the text to label under `text`")
            if not isinstance(record["text"], str):
                raise InputError(f"`text` is {json.dumps(record['text'], ensure_ascii=False)}, not a string",
                                 where=where, fix="give the text to label as a string")
            if result["task"] == "stance":
                target = record.get("target")
                if target is None or target == "":
                    raise InputError("stance needs a `target` in every record", where=where,
                                     fix="name the stance target the text is labelled for")
                if not isinstance(target, str):
                    raise InputError(f"`target` is {json.dumps(target, ensure_ascii=False)}, not a string",
                                     where=where, fix="give one stance target, as a string")
            for name in ("doc_id", "speaker"):
                if record.get(name) is not None and not isinstance(record[name], str):
                    raise InputError(f"`{name}` is {json.dumps(record[name], ensure_ascii=False)}, not a string",
                                     where=where, fix=f"give `{name}` as a string, or leave it out")
            records.append({**record, "id": record.get("id", f"line{number}"), "line": number})
    else:
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror}", where=str(path),
                             fix="check the path and its permissions") from None
        except UnicodeDecodeError as error:
            raise InputError(f"not UTF-8 text (invalid byte at byte offset {error.start})", where=str(path),
                             fix="convert the file to UTF-8") from None
        if result["task"] == "stance":
            raise InputError("stance predictions need a target per text", where=str(path),
                             fix="give a .jsonl file with `text` and `target` fields")
        records = [{"id": f"line{n}", "text": line, "line": n} for n, line in enumerate(lines, 1) if line.strip()]
    if not records:
        raise InputError("there is no text to predict", where=str(path),
                         fix="give one text per line, or JSON lines (.jsonl) with a `text` field")
    model = load_model(directory)
    texts = [r["text"] for r in records]
    if result["task"] == "entities":
        from tagline.corpus.segment import detect_lang

        langs = [r.get("lang") or detect_lang(r["text"]) for r in records]
        spans = model.predict(texts, langs)
        return [{"id": r["id"], "entities": [{"start": start, "end": end, "label": label, "text": r["text"][start:end]}
                                             for start, end, label in found]} for r, found in zip(records, spans)]
    if result["task"] == "stance":
        known = _trained_targets(model, result)
        unknown = [r for r in records if known is not None and r["target"] not in known]
        if unknown and known is not None:
            raise InputError(f"target {unknown[0]['target']!r} is not one the run was trained on "
                             f"({plural(len(unknown), 'record')} in all)", where=f"{path}:{unknown[0]['line']}",
                             fix=f"use one of: {', '.join(known)}")
    inputs = [(r["target"], r["text"]) for r in records] if result["task"] == "stance" else texts
    if reads_context(str(result["baseline"])):
        from tagline.eval.baselines.debate import debate_lines

        inputs = debate_lines(texts, [r.get("doc_id") or "" for r in records], [r.get("speaker") for r in records])
    labels = model.predict(inputs)
    return [{"id": r["id"], "label": str(label)} for r, label in zip(records, labels)]


def _trained_targets(model: Any, result: Mapping[str, Any]) -> list[str] | None:
    """The stance targets a saved model was trained on (None when that cannot be known)."""
    targets = getattr(model, "targets_", None)
    if targets is None and not getattr(model, "pooled", False) and hasattr(model, "estimators_"):
        targets = list(model.estimators_)
    if targets is None and result.get("per_target"):
        targets = list(result["per_target"])  # a pooled model saved before targets_ was recorded
    return sorted(targets) if targets is not None else None
