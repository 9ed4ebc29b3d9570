"""Importing peer annotation tools' files and public benchmarks into a workspace, and exporting one
view of the answers (an annotator's, or gold) to those tools' formats. See ``docs/formats.md``.

An import is all or nothing: the whole file is read, its labels mapped, its offsets checked against
the sentences they will land in, and every answer validated before anything is written. Re-importing
the same file adds nothing: unchanged documents are left alone and an answer equal to the current
one is not written again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tagline.annotate.formats.common import (
    ANNOTATOR_NAME, ExportData, ForeignRecord, ReadOptions, annotator_name, plural, utf16_length,
)
from tagline.annotate.formats.registry import (  # noqa: F401 (BENCHMARK_FORMATS: for importers)
    BENCHMARK_FORMATS, EXPORT_FORMATS, FOLDER_FORMATS, FORMATS, IMPORT_FORMATS, detect, load_target,
)
from tagline.corpus.readers import json_nesting_problem, read_input, refuse_special_file
from tagline.corpus.workspace import Workspace
from tagline.errors import ConflictError, DataError, InputError

_READERS = {spec.name: spec.reader for spec in FORMATS if spec.imports}
_WRITERS = {spec.name: spec.writer for spec in FORMATS if spec.exports}
MAP_TASKS = ("entities", "claim_type", "stance")
IMPORT_SPLITS = ("train", "validation", "test")  # the splits `tagline eval run` fits, tunes and reports on
_MAX_LISTED = 5


# --- format detection ------------------------------------------------------------------------------

_SLATE_ITEM = re.compile(r"^\(+\d+, ?\d+\)?(?:, \(\d+, ?\d+\)\))? - ")
_SLATE_LINK = re.compile(r"^\d+ \d+ -\s*$")
_SLATE_NAME = re.compile(r"\.(?:category|link)\.annotations\d*$")


def detect_format(path: str | Path) -> str:
    """The import format of ``path`` when it is unmistakable; otherwise :class:`InputError` asking
    for ``--format``. Files of tools tagline does not read (SLATE) are refused here, saying why."""
    path = Path(path)
    if path.is_dir():
        found = detect(path)
        if found:
            return found
        raise InputError("a folder without brat .ann files", where=str(path), fix="pass a file and its --format")
    _refuse_slate(path)
    found = detect(path)
    if found:
        return found
    raise InputError("cannot tell which tool's format this file is in", where=str(path),
                     fix=f"pass --format ({', '.join(IMPORT_FORMATS)}); a plain document is added with "
                         "`tagline corpus add`")


def _refuse_slate(path: Path) -> None:
    def refuse(kind: str) -> None:
        raise InputError(
            f"a SLATE {kind}: SLATE files are not imported (annotations are (line, token) positions into a "
            "separate whitespace-tokenised text file, and labels are single keys)", where=str(path),
            fix="export the SLATE annotations to CoNLL or brat and import those")

    if _SLATE_NAME.search(path.name):
        refuse("annotation file")
    if path.is_file():
        with open(path, "rb") as handle:
            head = handle.read(4096).decode("utf-8", errors="replace")
        lines = [line for line in head.splitlines() if line.strip()][:20]
        if lines and all(_SLATE_ITEM.match(line) or _SLATE_LINK.match(line) for line in lines):
            refuse("annotation file")
        if lines and all((path.parent / line.split()[0]).is_file() for line in lines):
            refuse("file list")
    if any(path.parent.glob(f"{glob_escape(path.name)}.*.annotations*")):
        refuse("text file")


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


# --- label maps ------------------------------------------------------------------------------------

def load_label_map(path: str | Path) -> dict[str | None, dict[str, str | None]]:
    """Read a label map: a JSON or TOML table of foreign label -> configured label, optionally with
    per-task tables (``entities``, ``claim_type``, ``stance``). ``""`` (or JSON ``null``) drops the
    label. Returns ``{None: flat map, task: task map, ...}``."""
    path = Path(path)
    try:
        text = read_input(path).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"cannot read the label map: {error}", where=str(path),
                         fix="give a UTF-8 JSON or TOML file") from None
    data = None
    errors = []
    parsers = (("TOML", tomllib.loads), ("JSON", json.loads))
    if path.suffix.lower() != ".toml":
        parsers = parsers[::-1]
    for name, parse in parsers:
        try:
            data = parse(text)
            break
        except (ValueError, tomllib.TOMLDecodeError) as error:
            errors.append(f"{name}: {error}")
        except RecursionError:
            errors.append(f"{name}: nested too deeply")
    if not isinstance(data, dict):
        raise InputError(f"the label map is not a JSON object or TOML table ({'; '.join(errors) or 'a list'})",
                         where=str(path), fix='write {"foreign label": "CONFIGURED_LABEL", ...}')
    if json_nesting_problem(data):
        raise InputError("the label map nests tables deeper than a label map can", where=str(path),
                         fix='write {"foreign label": "CONFIGURED_LABEL", ...}, optionally under entities, '
                             "claim_type or stance")
    result: dict[str | None, dict[str, str | None]] = {None: {}}
    for key, value in data.items():
        if isinstance(value, dict) and key in MAP_TASKS:
            section = result.setdefault(key, {})
            for foreign, mapped in value.items():
                section[str(foreign)] = _map_value(mapped, path, f"{key}.{foreign}")
        else:
            result[None][str(key)] = _map_value(value, path, str(key))
    return result


def _map_value(value: object, path: Path, key: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError(f"the label map gives {key!r} the value {value!r}, not a label name", where=str(path),
                         fix='values are configured label names, or "" to leave the label out')
    return value


_UNKNOWN = object()


class _LabelMapper:
    """Foreign label -> configured label: the label map, then the config's entity aliases, then the
    label itself when it is configured."""

    def __init__(self, config, label_map: dict[str | None, dict[str, str | None]]):
        self.config = config
        self.label_map = label_map
        self.bad_values: dict[tuple[str, str], str] = {}

    def resolve(self, task: str, label: str):
        configured = self.config.labels(task)
        for table in (self.label_map.get(task, {}), self.label_map.get(None, {})):
            if label in table:
                mapped = table[label]
                if mapped is not None and mapped not in configured:
                    self.bad_values[(task, label)] = mapped
                    return _UNKNOWN
                return mapped
        if task == "entities":
            aliases = self.config.entity_aliases
            if label in aliases:
                return aliases[label]
        return label if label in configured else _UNKNOWN


# --- import ----------------------------------------------------------------------------------------

@dataclass
class _Frame:
    """Where a record's text lands: its sentences, with offsets into the record's text."""

    sentences: list[tuple[str, int, int, str]]  # (sentence id, start, end, text)


def import_file(
    workspace: Workspace, path: str | Path, *, fmt: str | None = None, annotator: str | None = None,
    label_map: str | Path | None = None, split: str | None = None, as_gold: bool = False,
    task: str = "claim_type", target: str | None = None, text_field: str | None = None,
    label_field: str | None = None, predictions: bool = False, offsets: str = "codepoints",
    lang: str | None = None, dry_run: bool = False,
) -> dict:
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
        Write the answers as gold (provenance ``imported``) instead of annotation events.
        Benchmarks (``semeval2016``, ``stockmark-ner``) always import as gold.
    task, target : str
        Where classification labels go when the file does not say: ``claim_type`` (default) or
        ``stance`` toward ``target``.
    text_field, label_field : str, optional
        The field holding the text / the labels, when not ``text`` / ``label``.
    predictions : bool
        Also import machine suggestions (Label Studio predictions, Prodigy records without an
        answer) as answers of an annotator named after the model.
    offsets : {"codepoints", "utf16"}
        How the file's span offsets count characters.
    lang : {"ja", "en"}, optional
        The language of new documents (default: the workspace's, or detected).
    dry_run : bool
        Check everything and report, but write nothing.

    Returns
    -------
    dict
        A summary: documents added and unchanged, sentences, answers written per annotator (or
        gold), answers unchanged, warnings.

    Examples
    --------
    >>> import_file(ws, "ner.jsonl", fmt="doccano", annotator="alice")  # doctest: +SKIP
    {'file': 'ner.jsonl', 'format': 'doccano', 'documents_added': 3, ...}
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or folder", where=str(path), fix="check the path")
    refuse_special_file(path)
    fmt = fmt or detect_format(path)
    if fmt not in IMPORT_FORMATS:
        raise InputError(f"unknown import format {fmt!r}", fix=f"use one of {', '.join(IMPORT_FORMATS)}")
    if fmt not in ("brat",) and path.is_dir():
        raise InputError(f"a folder, but {fmt} reads a file", where=str(path), fix="give the file")
    config = workspace.config
    _check_options(config, annotator, split, task, target, offsets, lang)
    options = ReadOptions(text_field=text_field, label_field=label_field, offsets=offsets,
                          predictions=predictions, split=split)
    result = load_target(_READERS[fmt])(path, options)
    _refuse_unstorable(result.records)
    if not result.records:
        left_out = "; ".join(warning.split(": ", 1)[-1] for warning in result.warnings)
        raise InputError(f"the file holds no texts to import{f' ({left_out})' if left_out else ''}",
                         where=str(path), fix=f"check that this is the {fmt} file you meant")
    warnings = list(result.warnings)
    gold = as_gold or result.gold
    if as_gold and annotator and not result.gold:
        raise InputError("--gold imports the answers as gold, which belongs to no annotator, so --annotator does "
                         "not apply", fix="give --gold or --annotator NAME, not both")
    if result.gold and annotator:
        warnings.append(f"{fmt} is a benchmark: its answers are imported as gold, --annotator is not used")
    mapper = _LabelMapper(config, load_label_map(label_map) if label_map else {})
    records = result.records
    if offsets == "utf16":
        if result.own_offsets or result.gold:
            raise InputError(f"--offsets utf16 does not apply to {fmt}: its offsets are not UTF-16 counts",
                             where=str(path), fix="leave --offsets out")
        _convert_utf16(records)
    for record in records:
        if split and not result.gold:
            record.split = split
        if lang:
            record.lang = lang

    dropped = _map_labels(records, mapper, config, task, target, path)
    if dropped:
        warnings.append(f"{plural(dropped, 'label')} left out as the label map says")
    if gold:
        _keep_reference_answers(records)
    else:
        _name_annotators(records, annotator, path, warnings)

    # Planning reads the workspace, so it runs under the lock with the writes that follow from it.
    with contextlib.nullcontext() if dry_run else workspace.lock():
        return _plan_and_write(workspace, records, path, config, result, fmt, gold, options, warnings, dry_run)


def _plan_and_write(workspace: Workspace, records: list[ForeignRecord], path: Path, config, result, fmt: str,
                    gold: bool, options: ReadOptions, warnings: list[str], dry_run: bool) -> dict:
    frames, new_documents, unchanged_documents, split_kept = _plan_documents(workspace, records, path, config,
                                                                             result.encoding)
    for (earlier, asked), doc_ids in sorted(split_kept.items(), key=lambda item: tuple(map(str, item[0]))):
        shown = sorted(doc_ids)
        keeps = "keeps its" if len(shown) == 1 else "keep their"
        warnings.append(f"{plural(len(shown), 'document')} already in the workspace {keeps} earlier split "
                        f"({earlier or 'none'}: {', '.join(shown[:3])}{', …' if len(shown) > 3 else ''}) instead of "
                        f"{asked}: a sentence's split is fixed when it is first added (import into a new workspace "
                        "to split differently)")
    answers, duplicates, repeated = _place_answers(records, frames, gold, path, options)
    if duplicates:
        warnings.append(f"{plural(duplicates, 'duplicate span')} in the file merged")
    if repeated:
        warnings.append(f"{plural(repeated, 'question')} answered differently more than once by the same annotator "
                        "in the file: the last answer counts")
    _check_answers(answers, config, frames)

    events_by_annotator, gold_records, unchanged = _new_writes(workspace, answers, gold, fmt, path)
    summary = {
        "file": str(path), "format": fmt, "dry_run": dry_run,
        "documents_added": len(new_documents), "documents_unchanged": unchanged_documents,
        "sentences": len({sentence_id for sentence_id, *_ in answers} |
                         {s[0] for frame in frames.values() for s in frame.sentences}),
        "events": {name: len(events) for name, events in sorted(events_by_annotator.items())},
        "gold": len(gold_records), "unchanged": unchanged, "warnings": warnings,
    }
    if dry_run:
        return summary
    _write(workspace, new_documents, events_by_annotator, gold_records)
    return summary


def _refuse_unstorable(records: list[ForeignRecord]) -> None:
    """Refuse a record holding what no sentence or answer may hold (see
    :func:`tagline.corpus.readers.unstorable_character`)."""
    from tagline.corpus.readers import unstorable_character

    for record in records:
        strings = [("the text", record.text), ("the sentence id", record.sentence_id)]
        strings += [(f"meta field {key!r}", value) for key, value in record.meta.items()]
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


def _convert_utf16(records: list[ForeignRecord]) -> None:
    from tagline.annotate.formats.common import convert_utf16

    for record in records:
        for answer in record.answers:
            for span in answer.spans:
                span.start, span.end = convert_utf16(record.text, span.start, span.end, span.where or answer.where)


def _check_options(config, annotator, split, task, target, offsets, lang) -> None:
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
            raise InputError("--task stance needs --target",
                             fix=f"targets: {', '.join(config.targets) or 'none configured'}")
    elif target:
        raise InputError("--target goes with --task stance", fix="add --task stance, or leave --target out")
    if offsets not in ("codepoints", "utf16"):
        raise InputError(f"--offsets {offsets!r} is not codepoints or utf16")
    if lang not in (None, "ja", "en"):
        raise InputError(f"--lang {lang!r} is not ja or en")


def _map_labels(records: list[ForeignRecord], mapper: _LabelMapper, config, task: str, target: str | None,
                path: Path) -> int:
    unknown: dict[tuple[str, str], list] = {}
    missing_targets: dict[str, str] = {}
    missing_tasks: dict[str, str] = {}
    dropped = 0
    for record in records:
        kept = []
        for answer in record.answers:
            if answer.kind == "spans":
                destination, answer_target = "entities", None
            elif answer.task:
                destination, answer_target = answer.task, answer.target
            else:
                destination, answer_target = task, target
            if destination not in config.tasks:
                missing_tasks.setdefault(destination, answer.where)
                continue
            if destination == "stance" and answer_target not in config.targets:
                missing_targets.setdefault(answer_target, answer.where)
                continue
            answer.task, answer.target = destination, answer_target
            if answer.kind == "spans":
                spans = []
                for span in answer.spans:
                    mapped = mapper.resolve("entities", span.label)
                    if mapped is _UNKNOWN:
                        unknown.setdefault(("entities", span.label), [0, span.where or answer.where])[0] += 1
                    elif mapped is None:
                        dropped += 1
                    else:
                        span.label = mapped
                        spans.append(span)
                answer.spans = spans
                kept.append(answer)
                continue
            mapped = mapper.resolve(destination, answer.label)
            if mapped is _UNKNOWN:
                unknown.setdefault((destination, answer.label), [0, answer.where])[0] += 1
            elif mapped is None:
                dropped += 1
            else:
                answer.label = mapped
                kept.append(answer)
        record.answers = kept
    if missing_tasks:
        names = ", ".join(sorted(missing_tasks))
        raise DataError(f"the file has answers for {names}, which tagline.toml does not configure",
                        where=next(iter(missing_tasks.values())),
                        fix=f"add a [tasks.{next(iter(missing_tasks))}] table")
    if missing_targets:
        listed = sorted(missing_targets)
        line = "targets = [" + ", ".join(json.dumps(t, ensure_ascii=False) for t in config.targets + listed) + "]"
        raise DataError(
            f"stance target{'s' if len(listed) > 1 else ''} {', '.join(repr(t) for t in listed)} "
            f"{'are' if len(listed) > 1 else 'is'} not in the workspace configuration",
            where=missing_targets[listed[0]],
            fix=f"add {'them' if len(listed) > 1 else 'it'} to [tasks.stance] in tagline.toml: {line}")
    if unknown:
        raise DataError(_unknown_message(unknown, mapper, config), where=str(path),
                        fix=_unknown_fix(unknown, config))
    return dropped


def _unknown_message(unknown: dict, mapper: _LabelMapper, config) -> str:
    parts = []
    for task in MAP_TASKS:
        items = [(label, count, where) for (t, label), (count, where) in unknown.items() if t == task]
        if not items:
            continue
        shown = []
        for label, count, where in sorted(items):
            note = " (a span without a value)" if label == "*" else ""
            bad = mapper.bad_values.get((task, label))
            if bad:
                note = f" (the label map gives {bad!r}, which is not a configured {task} label)"
            shown.append(f"{label!r}{note} ×{count}, first at {where}")
        parts.append(f"{task}: " + "; ".join(shown) + f" — configured: {', '.join(config.labels(task))}")
    return "labels not in the workspace configuration: " + " | ".join(parts)


def _unknown_fix(unknown: dict, config) -> str:
    example = {}
    for (task, label) in sorted(unknown, key=lambda item: (MAP_TASKS.index(item[0]), item[1])):
        example[label] = _guess(label, config.labels(task))
        if len(example) >= 4:
            break
    sample = json.dumps(example, ensure_ascii=False)
    return (f"map them with --label-map FILE, a JSON or TOML table of foreign label -> configured label, e.g. "
            f"{sample} (\"\" leaves a label out); entity labels can also get aliases in [tasks.entities] "
            "aliases in tagline.toml")


def _guess(label: str, configured: list[str]) -> str:
    """A configured label the foreign one plausibly means (same name in another case, or one a
    prefix of the other: Organization -> ORG), else "" (leave it out)."""
    folded = label.casefold()
    for name in configured:
        if name.casefold() == folded:
            return name
    for name in configured:
        other = name.casefold()
        if min(len(other), len(folded)) >= 3 and (folded.startswith(other) or other.startswith(folded)):
            return name
    return ""


def _keep_reference_answers(records: list[ForeignRecord]) -> None:
    """For gold: where the tool marked some answers as the reference (Label Studio ground_truth),
    only those count for their question."""
    for record in records:
        marked = {(a.task, a.target) for a in record.answers if a.gold}
        record.answers = [a for a in record.answers if a.gold or (a.task, a.target) not in marked]
        for answer in record.answers:
            answer.annotator = None


def _name_annotators(records: list[ForeignRecord], annotator: str | None, path: Path, warnings: list[str]) -> None:
    raw_by_name: dict[str, set] = {}
    missing: list[str] = []
    used_option = False
    for record in records:
        for answer in record.answers:
            if answer.annotator is None:
                if annotator is None:
                    missing.append(answer.where)
                    continue
                answer.annotator = annotator
                used_option = True
                continue
            name = annotator_name(answer.annotator)
            if not ANNOTATOR_NAME.match(name):
                raise DataError(f"annotator {answer.annotator!r} cannot be made a valid annotator name",
                                where=answer.where, fix="rename the annotator in the file")
            raw_by_name.setdefault(name, set()).add(str(answer.annotator))
            answer.annotator = name
    if missing:
        raise InputError(f"the file does not say who gave {plural(len(missing), 'answer')} (first at {missing[0]})",
                         where=str(path), fix="pass --annotator NAME, or --gold to import them as gold")
    for name, raws in raw_by_name.items():
        if len(raws) > 1:
            raise DataError(f"annotators {', '.join(sorted(map(repr, raws)))} would all be named {name!r}",
                            where=str(path), fix="make the annotator ids in the file distinct")
    if annotator and raw_by_name:
        if used_option:
            warnings.append(f"--annotator {annotator} was used for the answers that name no annotator; "
                            f"the others keep theirs ({', '.join(sorted(raw_by_name))})")
        else:
            warnings.append(f"the file names its annotators ({', '.join(sorted(raw_by_name))}); "
                            "--annotator was not used")


def _plan_documents(workspace: Workspace, records: list[ForeignRecord], path: Path, config,
                    encoding: str | None):
    """Decide where every record lands: an existing sentence (tagline's own exports carry sentence
    ids), an unchanged document, or a new document (made now, written later)."""
    from tagline.corpus.ingest import segment_document, sentence_id as make_sentence_id
    from tagline.corpus.readers import DOC_ID, SourceDocument, doc_id_from
    from tagline.corpus.segment import detect_lang

    prefix = doc_id_from(path.stem if path.is_file() else path.name)
    wanted_sentences = {record.sentence_id for record in records if record.sentence_id}
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
    wanted_docs = set(doc_ids.values())
    stored_by_id: dict[str, dict] = {}
    stored_by_doc: dict[str, list[dict]] = {}
    for sentence in workspace.iter_sentences():
        if sentence["id"] in wanted_sentences:
            stored_by_id[sentence["id"]] = sentence
        if sentence["doc_id"] in wanted_docs:
            stored_by_doc.setdefault(sentence["doc_id"], []).append(sentence)
    registry = workspace.documents()
    encoding = encoding or _file_encoding(path)

    frames: dict[int, _Frame] = {}
    planned: dict[str, tuple[int, ForeignRecord]] = {}
    new_documents = []
    unchanged = set()
    split_kept: dict[tuple, set[str]] = {}  # (earlier split, split asked for) -> documents
    for index, record in enumerate(records):
        if record.sentence_id and record.sentence_id in stored_by_id:
            stored = stored_by_id[record.sentence_id]
            lead = len(record.text) - len(record.text.lstrip())
            if record.text.strip() != stored["text"]:
                raise DataError(f"sentence {record.sentence_id!r} has the text {record.text[:60]!r} in the file but "
                                f"{stored['text'][:60]!r} in the workspace", where=record.where,
                                fix="the file was made from other text; import it into another workspace, or "
                                    "remove its sentence_id values")
            frames[index] = _Frame([(stored["id"], lead, lead + len(stored["text"]), stored["text"])])
            if record.split and stored.get("split") != record.split:
                split_kept.setdefault((stored.get("split"), record.split), set()).add(stored["doc_id"])
            continue
        doc_id = doc_ids[index]
        if doc_id in planned:
            first_index, first = planned[doc_id]
            if first.text != record.text:
                raise DataError(f"two records make document {doc_id!r} but their texts differ (the other is at "
                                f"{first.where})", where=record.where, fix="give the records distinct ids")
            frames[index] = frames[first_index]
            continue
        planned[doc_id] = (index, record)
        sha = hashlib.sha256(record.text.encode("utf-8")).hexdigest()
        existing = registry.get(doc_id)
        if existing is not None:
            if existing["text_sha256"] != sha:
                raise ConflictError(f"document {doc_id!r} is already in the workspace with different text",
                                    where=record.where,
                                    fix="the file changed since it was imported: rename the file to import its "
                                        "records as new documents, or import it into another workspace")
            stored = sorted(stored_by_doc.get(doc_id, []), key=lambda s: s["start"])
            frames[index] = _Frame([(s["id"], s["start"], s["end"], s["text"]) for s in stored])
            unchanged.add(doc_id)
            for sentence in stored:
                if record.split and sentence.get("split") != record.split:
                    split_kept.setdefault((sentence.get("split"), record.split), set()).add(doc_id)
            continue
        document_lang = record.lang or (config.language if config.language != "auto" else detect_lang(record.text))
        document = SourceDocument(doc_id, record.text, record.where, "import", encoding, document_lang,
                                  record.split, dict(record.meta), single_sentence=not record.whole_document)
        spans = segment_document(document, document_lang)
        if not spans:
            raise InputError("the record has no text", where=record.where, fix="give every record its text")
        frame = _Frame([(make_sentence_id(doc_id, number), start, end, record.text[start:end])
                        for number, (start, end) in enumerate(spans, 1)])
        frames[index] = frame
        new_documents.append((document, frame))
    return frames, new_documents, len(unchanged), split_kept


def _file_encoding(path: Path) -> str:
    if not path.is_file():
        return "utf-8"
    from tagline.corpus.readers import decode

    return decode(path.read_bytes(), source=str(path))[1]


def _place_answers(records: list[ForeignRecord], frames: dict[int, _Frame], gold: bool, path: Path,
                   options: ReadOptions):
    """Every answer as ``(sentence_id, annotator, task, target, value, where)``, with span offsets
    made relative to the sentence; every offset problem in the file is collected first."""
    problems: list[tuple[str, str]] = []
    placed: dict[tuple, tuple[dict, str]] = {}
    conflicts: list[str] = []
    duplicates = 0
    for index, record in enumerate(records):
        frame = frames[index]
        for answer in record.answers:
            if answer.kind == "label":
                if len(frame.sentences) != 1:
                    problems.append((answer.where, f"a {answer.task} label for a text of "
                                                   f"{len(frame.sentences)} sentences"))
                    continue
                value = {"label": answer.label}
                if answer.task == "stance":
                    value = {"target": answer.target, "label": answer.label}
                _put(placed, conflicts, (frame.sentences[0][0], answer.annotator, answer.task, answer.target),
                     value, answer.where)
                continue
            by_sentence: dict[str, list[dict]] = {sentence[0]: [] for sentence in frame.sentences}
            for span in answer.spans:
                problem = _span_problem(record.text, span, options)
                if problem:
                    problems.append((span.where or answer.where, problem))
                    continue
                home = next((s for s in frame.sentences if s[1] <= span.start and span.end <= s[2]), None)
                if home is None:
                    problems.append((span.where or answer.where, f"span {span.start}:{span.end} {span.label} "
                                                   f"({record.text[span.start:span.end]!r}) is not inside one sentence "
                                                   "(it crosses a sentence boundary or covers white space between "
                                                   "sentences)"))
                    continue
                by_sentence[home[0]].append({"start": span.start - home[1], "end": span.end - home[1],
                                             "label": span.label, "text": record.text[span.start:span.end]})
            for sentence_id, spans in by_sentence.items():
                unique = {(s["start"], s["end"], s["label"]): s for s in spans}
                duplicates += len(spans) - len(unique)
                value = {"spans": sorted(unique.values(), key=lambda s: (s["start"], s["end"], s["label"]))}
                _put(placed, conflicts, (sentence_id, answer.annotator, "entities", None), value, answer.where)
    if problems:
        fix = "correct the offsets in the file; tagline never shifts spans" + \
            (_utf16_hint(problems) if options.offsets == "codepoints" else "")
        if len(problems) == 1:
            raise DataError(problems[0][1], where=problems[0][0], fix=fix)
        listed = "; ".join(f"{where}: {what}" for where, what in problems[:_MAX_LISTED])
        more = f" (and {len(problems) - _MAX_LISTED} more)" if len(problems) > _MAX_LISTED else ""
        raise DataError(f"{plural(len(problems), 'offset problem')}: {listed}{more}", where=str(path), fix=fix)
    if conflicts and gold:
        raise DataError(f"--gold needs one answer per question, but the file answers {conflicts[0]} differently "
                        f"more than once ({plural(len(conflicts), 'such question')})", where=str(path),
                        fix="import the answers per annotator (without --gold) and adjudicate")
    answers = [(key[0], key[1], key[2], key[3], value, where) for key, (value, where) in placed.items()]
    return answers, duplicates, len(conflicts)


def _utf16_hint(problems: list[tuple[str, str]]) -> str:
    return "; if the tool counted UTF-16 code units (emoji as two), pass --offsets utf16" \
        if any("UTF-16" in what for _, what in problems) else ""


def _span_problem(text: str, span, options: ReadOptions) -> str | None:
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


def _put(placed: dict, conflicts: list[str], key: tuple, value: dict, where: str) -> None:
    from tagline.annotate.answers import value_key

    if key in placed and value_key(key[2], placed[key][0]) != value_key(key[2], value):
        conflicts.append(f"{key[0]} {key[2]}" + (f":{key[3]}" if key[3] else ""))
    placed[key] = (value, where)


def _check_answers(answers: list[tuple], config, frames: dict[int, _Frame]) -> None:
    from tagline.annotate.events import event_problems

    texts = {sentence[0]: sentence[3] for frame in frames.values() for sentence in frame.sentences}
    problems = []
    for sentence_id, _, task, _, value, where in answers:
        event = {"sentence_id": sentence_id, "task": task, "op": "set", "value": value}
        problems.extend(f"{where}: {message}" for message in event_problems(event, config, texts.get(sentence_id)))
    if problems:
        more = f" (and {len(problems) - _MAX_LISTED} more)" if len(problems) > _MAX_LISTED else ""
        raise DataError("; ".join(problems[:_MAX_LISTED]) + more, fix="fix the file; nothing was imported")


def _new_writes(workspace: Workspace, answers: list[tuple], gold: bool, fmt: str, path: Path):
    """The events and gold records that change something; answers equal to the current ones are
    counted as unchanged and not written again."""
    from tagline.annotate.answers import value_key
    from tagline.annotate.events import load_view, make_event
    from tagline.annotate.gold import gold_record, gold_view

    unchanged = 0
    events: dict[str, list[dict]] = {}
    gold_records: list[dict] = []
    if gold:
        current = gold_view(workspace)
        for sentence_id, _, task, target, value, _ in answers:
            existing = current.get((sentence_id, task, target))
            if existing is not None and value_key(task, existing["value"]) == value_key(task, value):
                unchanged += 1
                continue
            record = gold_record(sentence_id, task, target, value, "imported", {})
            record["provenance"]["source"] = f"import:{fmt}:{path.name}"
            gold_records.append(record)
        return events, gold_records, unchanged
    views = {}
    for sentence_id, annotator, task, target, value, _ in answers:
        if annotator not in views:
            views[annotator] = load_view(workspace, annotator)
        existing = views[annotator].value(sentence_id, task, target)
        if existing is not None and value_key(task, existing) == value_key(task, value):
            unchanged += 1
            continue
        events.setdefault(annotator, []).append(make_event(sentence_id, annotator, task, value, source=f"import:{fmt}"))
    return events, gold_records, unchanged


def _write(workspace: Workspace, new_documents: list, events_by_annotator: dict[str, list[dict]],
           gold_records: list[dict]) -> None:
    """One transaction: a failure anywhere (a full disk, Ctrl-C) leaves every file as it was.

    A killed process is different once the answers are being written: the documents (and gold) are
    kept from then on (the journal ends there), because the annotation files cannot be cut back
    after the fact (the terminal session appends to them without the workspace lock). Whatever
    answers were written refer to sentences that exist, and importing the file again writes the
    rest.
    """
    from tagline.corpus.ingest import add_source_documents

    with workspace.transaction() as transaction:
        if new_documents:
            add_source_documents(workspace, [document for document, _ in new_documents])
            planned = {sentence[0]: sentence[3] for _, frame in new_documents for sentence in frame.sentences}
            doc_ids = {document.doc_id for document, _ in new_documents}
            stored = {s["id"]: s["text"] for s in workspace.iter_sentences() if s["doc_id"] in doc_ids}
            if stored != planned:
                raise DataError("the stored sentences differ from the ones the import planned; nothing was "
                                "imported", where=str(workspace.sentences_path), fix="report this")
        if gold_records:
            workspace.gold_dir.mkdir(exist_ok=True)
            transaction.append(workspace.gold_path, gold_records)
        if events_by_annotator:
            transaction.checkpoint()
            workspace.annotations_dir.mkdir(exist_ok=True)
            for name, events in sorted(events_by_annotator.items()):
                transaction.append(workspace.annotation_path(name), events, journal=False)


# --- export ----------------------------------------------------------------------------------------

def export(workspace: Workspace, *, fmt: str, out: str | Path | None = None, gold: bool = False,
           annotator: str | None = None, force: bool = False, formula_escape: bool = True) -> dict:
    """Write one view of the answers (``gold``, or one ``annotator``'s current answers) for every
    sentence of the workspace in a peer tool's format.

    Parameters
    ----------
    workspace : Workspace
    fmt : str
        One of :data:`EXPORT_FORMATS`.
    out : path, optional
        The file to write (for ``brat`` a folder, required). Without it the file's text is returned
        under ``"content"``.
    gold, annotator
        What to export: the gold view, or one annotator's answers (exactly one of them).
    force : bool
        Replace ``out`` (for brat, the files in it) if it exists. A file or folder a workspace
        manages is never written, even with ``force``.
    formula_escape : bool
        CSV only: write a cell that begins with ``= + - @``, a tab or a carriage return (which a
        spreadsheet would run as a formula) or with ``'`` behind a ``'``; import takes it off again.

    Returns
    -------
    dict
        ``format``, ``out``, ``view``, ``sentences``, ``answers``, ``records`` and ``warnings`` (what
        the format could not hold), plus ``content`` when ``out`` is not given.
    """
    from tagline.annotate.events import load_view
    from tagline.annotate.gold import gold_view

    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}", fix=f"use one of {', '.join(EXPORT_FORMATS)}")
    if bool(gold) == bool(annotator):
        raise InputError("choose what to export: --gold, or --annotator NAME",
                         fix=f"annotators here: {', '.join(workspace.annotators()) or 'none yet'}")
    if fmt in FOLDER_FORMATS and out is None:
        raise InputError(f"{fmt} writes a folder of files", fix="pass --out DIR")
    if not formula_escape and fmt != "csv":
        raise InputError(f"--no-formula-escape applies to CSV, not {fmt}", fix="leave it out, or export --format csv")
    if fmt == "spacy" and out is not None and Path(out).suffix.lower() == ".spacy":
        raise InputError("the spaCy export is v2 JSON, not a binary DocBin", where=str(out),
                         fix="name it .json and make the DocBin with `python -m spacy convert FILE.json DIR`")
    from tagline.corpus.workspace import check_output, write_output

    if out is not None:
        check_output(out, force=force, folder=fmt in FOLDER_FORMATS)
    if annotator:
        if annotator not in workspace.annotators():
            raise DataError(f"no annotations by {annotator!r}",
                            fix=f"annotators here: {', '.join(workspace.annotators()) or 'none yet'}")
        answers = load_view(workspace, annotator).answers
    else:
        view = gold_view(workspace)
        if not view:
            raise DataError("there is no gold yet", fix="run `tagline annotate adjudicate`, or import gold with --gold")
        answers = {}
        for (sentence_id, task, target), record in view.items():
            value = dict(record["value"])
            if task == "stance":
                value = {"target": target, "label": value["label"]}
            answers.setdefault(sentence_id, {})[(task, target)] = value
    sentences = list(workspace.iter_sentences())
    known = {sentence["id"] for sentence in sentences}
    answers = {sentence_id: current for sentence_id, current in answers.items() if current}
    orphaned = [sentence_id for sentence_id in answers if sentence_id not in known]
    data = ExportData(sentences=sentences, answers={k: v for k, v in answers.items() if k in known},
                      annotator=annotator, config=workspace.config, document_text=workspace.document_text,
                      formula_escape=formula_escape)
    result = load_target(_WRITERS[fmt])(data)
    warnings = list(result.warnings)
    if orphaned:
        warnings.insert(0, f"{plural(len(orphaned), 'sentence')} with answers no longer in sentences.jsonl "
                           "(orphaned when their documents were replaced) not exported")
    from tagline.corpus.store import Transaction

    if fmt in FOLDER_FORMATS:
        folder = Path(out)
        for name in result.files:
            check_output(folder / name, force=force)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with Transaction() as transaction:
                for name, content in result.files.items():
                    if force:
                        transaction.write_text(folder / name, content)
                    else:
                        transaction.create_text(folder / name, content)
        except FileExistsError as error:
            raise ConflictError("was made by another program meanwhile; nothing was written", where=error.filename,
                                fix="export again, or pass --force to replace the files") from None
    elif out is not None:
        write_output(out, result.content, force=force)
    summary = {
        "format": fmt, "out": str(out) if out is not None else None,
        "view": "gold" if gold else f"annotator:{annotator}",
        "sentences": len(sentences),
        "answers": sum(len(current) for current in data.answers.values()),
        "records": result.records, "warnings": warnings,
    }
    if out is None:
        summary["content"] = result.content
    return summary

