"""Importing a peer tool's file or a public benchmark into a workspace, all or nothing: reading it,
checking the options, mapping labels and naming annotators, then planning and writing under the
workspace lock."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagline.annotate.formats.common import (
    ANNOTATOR_NAME,
    ForeignRecord,
    ReadOptions,
    ReadResult,
    plural,
)
from tagline.annotate.formats.registry import BY_NAME, IMPORT_FORMATS
from tagline.annotate.interop.annotators import AnnotatorNames
from tagline.annotate.interop.cycles import without_cycle_collection
from tagline.annotate.interop.detect import detect_format
from tagline.annotate.interop.labels import LabelMapper, load_label_map, map_labels
from tagline.annotate.interop.plan import check_answers, file_encoding, new_writes, place_answers, plan_documents
from tagline.annotate.interop.writing import write_import
from tagline.corpus.config import ADD_TARGETS
from tagline.corpus.progress import ProgressCallback, no_progress
from tagline.corpus.readers import refuse_special_file
from tagline.corpus.workers import numpy_threads_put_back
from tagline.corpus.workspace import Workspace
from tagline.errors import DataError, InputError, takes_workspace

if TYPE_CHECKING:
    from tagline.corpus.config import Config

IMPORT_SPLITS = ("train", "validation", "test")  # the splits `tagline eval run` fits, tunes and reports on


@takes_workspace
@without_cycle_collection()
@numpy_threads_put_back()  # the bulk readers keep NumPy's threads out while they may fork
def import_file(
    workspace: Workspace, path: str | Path, *, fmt: str | None = None, annotator: str | None = None,
    label_map: str | Path | None = None, split: str | None = None, as_gold: bool = False,
    task: str = "claim_type", target: str | None = None, text_field: str | None = None,
    label_field: str | None = None, predictions: bool = False, offsets: str = "codepoints",
    lang: str | None = None, columns: str | None = None, dry_run: bool = False,
    progress: ProgressCallback = no_progress,
) -> dict[str, Any]:
    """Import a peer tool's file (or a public benchmark) into ``workspace``, all or nothing.

    Parameters
    ----------
    workspace : Workspace
    path : str or Path
        The file (for brat also a ``.txt``/``.ann`` pair's folder).
    fmt : str, optional
        One of :data:`IMPORT_FORMATS`; guessed from the file when it is unmistakable.
    annotator : str, optional
        Whose answers these are, for formats that do not say (doccano, brat, CoNLL, spaCy, …).
    label_map : path, optional
        JSON or TOML: foreign label -> configured label (``""`` leaves a label out).
    split : str, optional
        A split name stored on the new sentences (for ``stockmark-ner``: keep that part only).
    as_gold : bool
        Write the answers as gold (provenance ``imported``), not events; benchmarks always do.
    task, target : str
        Where classification labels go when the file does not say: ``claim_type`` (default) or
        ``stance`` toward ``target``.
    text_field, label_field : str, optional
        The field holding the text / the labels, when not ``text`` / ``label``.
    predictions : bool
        Also import machine suggestions (Label Studio predictions, Prodigy records without an answer)
        as answers of an annotator named after the model.
    offsets : {"codepoints", "utf16"}
        How the file's span offsets count characters.
    lang : {"ja", "en"}, optional
        The language of new documents and of text rebuilt from tokens (default: the workspace's).
    columns : str, optional
        CoNLL: a token line's columns from the left, such as ``token,...,tag`` (``...``: any number).
    dry_run : bool
        Check everything and report, but write nothing.
    progress : ProgressCallback
        Told how far the import has got (see :class:`~tagline.corpus.progress.ProgressCallback`).

    Returns
    -------
    dict
        documents added and unchanged, sentences, answers written per annotator (or gold), warnings.

    Examples
    --------
    >>> import_file(ws, "ner.jsonl", fmt="doccano", annotator="alice")  # doctest: +SKIP
    {'file': 'ner.jsonl', 'format': 'doccano', 'documents_added': 3, ...}
    """
    fmt = _import_format(path := Path(path), fmt)
    _check_options(config := workspace.config, annotator, split, task, target, offsets, lang)
    options = ReadOptions(text_field=text_field, label_field=label_field, offsets=offsets, predictions=predictions,
                          split=split, lang=_text_lang(config, lang), columns=_columns(fmt, columns))
    if (bulk := _bulk(workspace, path, fmt, annotator, as_gold, label_map, options, lang, dry_run, progress)):
        return bulk
    result = _read(path, fmt, options, progress)
    warnings = list(result.warnings)
    gold = as_gold or result.gold
    if as_gold and annotator and not result.gold:
        raise InputError("--gold imports the answers as gold, which belongs to no annotator, so --annotator does "
                         "not apply", fix="give --gold or --annotator NAME, not both")
    if result.gold and annotator:
        warnings.append(f"{fmt} is a benchmark: its answers are imported as gold, --annotator is not used")
    mapper = LabelMapper(config, load_label_map(label_map) if label_map else {})
    _apply_options(result, fmt, path, options, lang)
    dropped = _map_labels(result, mapper, config, task, target, path, label_map is not None)
    if dropped:
        warnings.append(f"{plural(dropped, 'label')} left out as the label map says")
    if gold:
        _keep_reference_answers(result.records)
    else:
        _name_annotators(result.records, annotator, path, warnings)
    # Planning reads the workspace, so it runs under the lock with the writes that follow from it.
    with contextlib.nullcontext() if dry_run else workspace.lock():
        return _plan_and_write(workspace, result, path, config, fmt, gold, options, warnings, dry_run, progress)


def _bulk(workspace: Workspace, path: Path, fmt: str, annotator: str | None, as_gold: bool,
          label_map: str | Path | None, options: ReadOptions, lang: str | None, dry_run: bool,
          progress: ProgressCallback) -> dict[str, Any] | None:
    """The import in bulk when the file is plain, else None: a doccano file of one annotator's spans
    (see :mod:`tagline.annotate.interop.bulk`) or a CoNLL file of them (:func:`_bulk_columns`), with
    none of the options that read a file another way, or a Label Studio task array
    (:func:`_bulk_tasks`)."""
    from tagline.annotate.interop.bulk import BulkImport, import_jsonl_spans

    if as_gold:
        return None
    if fmt == "label-studio":
        return _bulk_tasks(workspace, path, fmt, annotator, label_map, options, lang, dry_run, progress)
    if fmt not in ("doccano", "conll") or not annotator or options.offsets != "codepoints" or options.text_field or \
            options.label_field or options.columns is not None:
        return None
    try:
        mapper = LabelMapper(workspace.config, load_label_map(label_map) if label_map else {})
    except (DataError, InputError):
        return None  # said where the general path says it, after reading the file
    if fmt == "conll":
        return _bulk_columns(workspace, path, fmt, annotator, mapper, options, dry_run, progress)
    job = BulkImport(workspace, path, fmt, annotator, mapper, options.split, options.lang, progress)
    return import_jsonl_spans(job, dry_run=dry_run)


def _bulk_columns(workspace: Workspace, path: Path, fmt: str, annotator: str, mapper: LabelMapper,
                  options: ReadOptions, dry_run: bool, progress: ProgressCallback) -> dict[str, Any] | None:
    """A plain CoNLL file read as columns and imported from them (see
    :mod:`tagline.annotate.interop.bulk_columns`), else None."""
    from tagline.annotate.formats.conll_halves import read_columns_in_halves
    from tagline.annotate.interop.bulk_columns import import_span_columns

    if not path.is_file():
        return None
    progress(0, None, f"reading {path.name}")
    columns = read_columns_in_halves(path, options)
    if columns is None:
        return None
    return import_span_columns(workspace, columns, fmt, annotator, mapper, options.split, options.lang, dry_run,
                               progress)


def _bulk_tasks(workspace: Workspace, path: Path, fmt: str, annotator: str | None, label_map: str | Path | None,
                options: ReadOptions, lang: str | None, dry_run: bool,
                progress: ProgressCallback) -> dict[str, Any] | None:
    """The import in bulk when the file is a plain Label Studio task array (see
    :mod:`tagline.annotate.interop.bulk_tasks`), else None."""
    from tagline.annotate.interop.bulk_tasks import TaskImport, import_plain_tasks

    if fmt != "label-studio" or options.offsets != "codepoints" or path.suffix.lower() == ".csv" or \
            not path.is_file():
        return None
    try:
        mapper = LabelMapper(workspace.config, load_label_map(label_map) if label_map else {})
    except (DataError, InputError):
        return None  # said where the general path says it, after reading the file
    return import_plain_tasks(TaskImport(workspace, path, fmt, annotator, mapper, options, lang, progress),
                              dry_run=dry_run)


def _map_labels(result: ReadResult, mapper: LabelMapper, config: Config, task: str, target: str | None, path: Path,
                mapped: bool) -> int:
    """:func:`map_labels`, whose refusal says what a benchmark with labels of its own needs
    (``result.labels_fix``) unless the labels went through a label map."""
    try:
        return map_labels(result.records, mapper, config, task, target, path)
    except DataError as error:
        if not result.labels_fix or mapped:
            raise
        raise DataError(error.what, where=error.where, fix=result.labels_fix) from None


def _import_format(path: Path, fmt: str | None) -> str:
    """The format to read ``path`` in: ``fmt``, or the one detected; refuses what cannot be read."""
    if not path.exists():
        raise InputError("no such file or folder", where=str(path), fix="check the path")
    refuse_special_file(path)
    fmt = fmt or detect_format(path)
    if fmt not in IMPORT_FORMATS:
        raise InputError(f"unknown import format {fmt!r}", fix=f"use one of {', '.join(IMPORT_FORMATS)}")
    if not BY_NAME[fmt].folder and path.is_dir():
        raise InputError(f"a folder, but {fmt} reads a file", where=str(path), fix="give the file")
    return fmt


def _text_lang(config: Config, lang: str | None) -> str | None:
    """The language text rebuilt from tokens is written in: ``--lang``, else the workspace's; None
    (an ``auto`` workspace) lets the reader guess it per record."""
    return lang or (config.language if config.language in ("ja", "en") else None)


def _columns(fmt: str, columns: str | None) -> str | None:
    if columns is not None and fmt != "conll":
        raise InputError(f"--columns names the columns of a CoNLL file, not of {fmt}", fix="leave --columns out")
    return columns


def _read(path: Path, fmt: str, options: ReadOptions, progress: ProgressCallback) -> ReadResult:
    """The file's records as its format's reader gives them, refused when it holds no texts or holds
    what no sentence may hold."""
    progress(0, None, f"reading {path.name}")
    result = BY_NAME[fmt].load_reader()(path, options)
    refuse_unstorable(result.records)
    if not result.records:
        left_out = "; ".join(warning.split(": ", 1)[-1] for warning in result.warnings)
        raise InputError(f"the file holds no texts to import{f' ({left_out})' if left_out else ''}",
                         where=str(path), fix=f"check that this is the {fmt} file you meant")
    return result


def _apply_options(result: ReadResult, fmt: str, path: Path, options: ReadOptions, lang: str | None) -> None:
    """``--offsets utf16``, ``--split`` and ``--lang`` applied to the records read."""
    if options.offsets == "utf16":
        if result.own_offsets or result.gold:
            raise InputError(f"--offsets utf16 does not apply to {fmt}: its offsets are not UTF-16 counts",
                             where=str(path), fix="leave --offsets out")
        _convert_utf16(result.records)
    for record in result.records:
        if options.split and not result.gold:
            record.split = options.split
        if lang:
            record.lang = lang


def _plan_and_write(workspace: Workspace, result: ReadResult, path: Path, config: Config, fmt: str, gold: bool,
                    options: ReadOptions, warnings: list[str], dry_run: bool,
                    progress: ProgressCallback) -> dict[str, Any]:
    """The import's summary; written unless ``dry_run``. Runs under the workspace lock."""
    if not gold:
        from tagline.annotate.interop.bulk_records import import_plain_records

        plain = import_plain_records(workspace, result.records, path, config, fmt,
                                     result.encoding or file_encoding(path), warnings, dry_run, progress)
        if plain is not None:
            return plain
    plan = plan_documents(workspace, result.records, path, config, result.encoding, progress)
    for (earlier, asked), doc_ids in sorted(plan.split_kept.items(), key=lambda item: tuple(map(str, item[0]))):
        shown = sorted(doc_ids)
        keeps = "keeps its" if len(shown) == 1 else "keep their"
        warnings.append(f"{plural(len(shown), 'document')} already in the workspace {keeps} earlier split "
                        f"({earlier or 'none'}: {', '.join(shown[:3])}{', …' if len(shown) > 3 else ''}) instead of "
                        f"{asked}: a sentence's split is fixed when it is first added (import into a new workspace "
                        "to split differently)")
    placed = place_answers(result.records, plan.frames, gold, path, options)
    if placed.duplicate_spans:
        warnings.append(f"{plural(placed.duplicate_spans, 'duplicate span')} in the file merged")
    if placed.repeated_questions:
        warnings.append(f"{plural(placed.repeated_questions, 'question')} answered differently more than once by "
                        "the same annotator in the file: the last answer counts")
    check_answers(placed.answers, config, plan.frames)

    writes = new_writes(workspace, placed.answers, gold, fmt, path)
    summary = {
        "file": str(path), "format": fmt, "dry_run": dry_run,
        "documents_added": len(plan.new_documents), "documents_unchanged": plan.unchanged_documents,
        "sentences": len({answer.sentence_id for answer in placed.answers} |
                         {s.sentence_id for frame in plan.frames.values() for s in frame.sentences}),
        "events": {name: len(events) for name, events in sorted(writes.events_by_annotator.items())},
        "gold": len(writes.gold_records), "unchanged": writes.unchanged, "warnings": warnings,
    }
    if dry_run:
        return summary
    write_import(workspace, plan.new_documents, writes.events_by_annotator, writes.gold_records, progress,
                 sentence_meta=plan.sentence_meta)
    return summary


def refuse_unstorable(records: list[ForeignRecord]) -> None:
    """Refuse a record holding what no sentence or answer may hold (see
    :func:`tagline.corpus.readers.unstorable_character`)."""
    from tagline.corpus.readers import unstorable_character

    if not unstorable_character("\n".join(_strings(records))):
        return  # one search over every string: the loop below only names the record at fault
    for record in records:
        strings = [("the text", record.text), ("the sentence id", record.sentence_id)]
        strings += [(f"meta field {key!r}", value) for key, value in record.meta.items()]
        strings += [(f"sentence {index + 1}'s meta field {key!r}", value)
                    for index, meta in enumerate(record.sentence_meta or []) for key, value in meta.items()]
        for answer in record.answers:
            strings += [("a label", answer.label), ("a stance target", answer.target),
                        ("an annotator name", answer.annotator)]
            strings += [("a span label", span.label) for span in answer.spans]
            strings += [("a span's text", span.text) for span in answer.spans]
        for what, value in strings:
            problem = unstorable_character(value) if isinstance(value, str) else None
            if problem:
                raise InputError(f"{what} holds {problem}", where=record.where,
                                 fix="repair it in the tool it came from, or remove it from the file")


def _strings(records: list[ForeignRecord]) -> list[str]:
    """Every string of ``records`` that :func:`refuse_unstorable` checks (made by comprehensions, a
    kind at a time: a generator's step per string was most of the check's time)."""
    strings = [record.text for record in records]
    strings += [record.sentence_id for record in records if isinstance(record.sentence_id, str)]
    strings += [value for record in records if record.meta for value in record.meta.values() if isinstance(value, str)]
    strings += [value for record in records if record.sentence_meta for meta in record.sentence_meta
                for value in meta.values() if isinstance(value, str)]
    answers = [answer for record in records for answer in record.answers]
    strings += [value for answer in answers for value in (answer.label, answer.target, answer.annotator)
                if isinstance(value, str)]
    spans = [span for answer in answers for span in answer.spans]
    strings += [span.label for span in spans]
    strings += [span.text for span in spans if isinstance(span.text, str)]
    return strings


def _convert_utf16(records: list[ForeignRecord]) -> None:
    from tagline.annotate.formats.common import convert_utf16

    for record in records:
        for answer in record.answers:
            for span in answer.spans:
                span.start, span.end = convert_utf16(record.text, span.start, span.end, span.where or answer.where)


def _check_options(config: Config, annotator: str | None, split: str | None, task: str, target: str | None,
                   offsets: str, lang: str | None) -> None:
    """Refuse bad arguments before the file is read."""
    if annotator is not None and not ANNOTATOR_NAME.match(annotator):
        raise InputError(f"annotator name {annotator!r} is not allowed",
                         fix="use letters, digits, '.', '_' or '-', starting with a letter or digit (at most 64)")
    if split is not None and split not in IMPORT_SPLITS:
        raise InputError(f"--split {split!r} is not one of {', '.join(IMPORT_SPLITS)}",
                         fix="use validation for a development set: `tagline eval run` tunes on it")
    if task not in ("claim_type", "stance"):
        raise InputError(f"--task {task!r} is not claim_type or stance", fix="classification labels go to one of them")
    if task == "stance":
        if not target:
            raise InputError("--task stance needs --target, the stance target the file's labels are toward",
                             fix=f"targets: {', '.join(config.targets)}" if config.targets else
                             "the workspace has none yet: " + ADD_TARGETS)
    elif target:
        raise InputError("--target goes with --task stance", fix="add --task stance, or leave --target out")
    if offsets not in ("codepoints", "utf16"):
        raise InputError(f"--offsets {offsets!r} is not codepoints or utf16")
    if lang not in (None, "ja", "en"):
        raise InputError(f"--lang {lang!r} is not ja or en")


def _keep_reference_answers(records: list[ForeignRecord]) -> None:
    """For gold: where the tool marked some answers as the reference (Label Studio ground_truth),
    only those count for their question."""
    for record in records:
        marked = {(a.task, a.target) for a in record.answers if a.gold}
        record.answers = [a for a in record.answers if a.gold or (a.task, a.target) not in marked]
        for answer in record.answers:
            answer.annotator = None


def _name_annotators(records: list[ForeignRecord], annotator: str | None, path: Path, warnings: list[str]) -> None:
    names = AnnotatorNames(annotator)
    names.name(records)
    names.finish(path, warnings)

