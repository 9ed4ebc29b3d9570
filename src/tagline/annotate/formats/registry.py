"""The one registry of import and export formats: what each is, how its files are recognised, where
its reader and writer are, and what it holds and loses.

The CLI's ``--format`` choices, the table in ``docs/formats.md`` (``python -m
tagline.annotate.formats.table``) and the round-trip tests are made from :data:`FORMATS`, as spaCy's
``CONVERTERS`` drives its ``convert`` command: a format is added by registering it here. This module
imports only the standard library, so that ``tagline annotate import --help`` lists the formats
without loading a reader; readers and writers are named ``"module:function"`` and loaded when used.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from tagline.annotate.formats.common import ExportData, ExportResult, ReadOptions, ReadResult

TASKS = ("entities", "claim_type", "stance")
_PACKAGE = "tagline.annotate.formats"
HEAD_BYTES = 4096  # how much of a file detection reads

# What a format's files cannot keep besides tasks, annotator names and "not annotated" (each is named
# in a warning when an export meets it).
OVERLAPPING_SPANS = "overlapping spans (the later one goes)"
EDGE_SPACE_SPANS = "spans that start or end with white space"
LINE_BREAKS = "line breaks inside a sentence (written as spaces)"
LINE_BREAK_SPANS = "spans that cover only line breaks"
SENTENCE_BOUNDARIES = "sentence boundaries (documents are segmented again on import)"
SENTENCE_TEXT = "sentence ids and text (rebuilt from the tokens on import), unless kept by `--conll-comments`"
LOSSES = frozenset({OVERLAPPING_SPANS, EDGE_SPACE_SPANS, LINE_BREAKS, LINE_BREAK_SPANS, SENTENCE_BOUNDARIES,
                    SENTENCE_TEXT})


@dataclass(frozen=True)
class Detection:
    """How :func:`detect` recognises a file of the format when ``--format`` is not given.

    Every format's folder rule is tried first, then every suffix, then the first characters, then
    a companion file, then the JSON markers: an earlier kind of evidence wins over a later one.
    """

    folder_files: str | None = None  # a folder holding files (or folders) that match this glob
    suffixes: tuple[str, ...] = ()  # lower-case suffixes that name the format by themselves
    starts_with: tuple[str, ...] = ()  # the start of the file's text (after a byte order mark)
    beside: tuple[str, str] | None = None  # (suffix, suffix of a file with the same stem next to it)
    json_keys: tuple[tuple[str, ...], ...] = ()  # a .json/.jsonl file whose start names every key of a group
    json_list_keys: tuple[str, ...] = ()  # ... or one of these keys with a list as its value
    json_object_keys: tuple[str, ...] = ()  # ... or with an object, or a list of objects, as its value
    # Several formats' JSON markers can be in one file (a doccano intent export has spaCy's `cats`),
    # so the formats' markers are tried from the lowest rank up.
    json_rank: int = 0

    def matches_json(self, head: str) -> bool:
        if any(all(f'"{key}"' in head for key in group) for group in self.json_keys):
            return True
        if self.json_list_keys:
            keys = "|".join(re.escape(key) for key in self.json_list_keys)
            if re.search(rf'"(?:{keys})"\s*:\s*\[', head) is not None:
                return True
        if self.json_object_keys:
            keys = "|".join(re.escape(key) for key in self.json_object_keys)
            return re.search(rf'"(?:{keys})"\s*:\s*(?:\{{|\[\s*\{{)', head) is not None
        return False


@dataclass(frozen=True)
class Holds:
    """What a format's files carry of tagline's answers; an export names the rest in warnings."""

    tasks: tuple[str, ...]  # of TASKS
    tasks_how: str = ""  # how the file holds them, for the docs table
    annotators: str | None = None  # where the file names annotators; None when it cannot
    unanswered: str | None = None  # how it tells "not annotated" from "no entities"; None when it cannot
    loses: tuple[str, ...] = ()  # of LOSSES


@dataclass(frozen=True)
class FormatSpec:
    """One registered format."""

    name: str  # the --format value
    description: str  # one line, for the docs table
    suffix: str  # the suffix its files usually have (the one its writer's output is given)
    holds: Holds
    detection: Detection = field(default_factory=Detection)
    reader: str | None = None  # "module:function" taking (path, ReadOptions) and giving a ReadResult
    # "module:function" taking ExportData and a binary output it writes the file to, streaming, and giving an
    # ExportResult (a folder format's writer gives its files in the result instead)
    writer: str | None = None
    benchmark: bool = False  # a public benchmark: its answers are imported as gold
    folder: bool = False  # reads a folder of files, and its writer writes one
    # The keyword of `export` that makes a file tagline brings back whole, where the default file is
    # the one other tools read (CoNLL's `# sent_id` and `# text` lines); the round-trip tests pass it.
    roundtrip_option: str | None = None

    @property
    def imports(self) -> bool:
        return self.reader is not None

    @property
    def exports(self) -> bool:
        return self.writer is not None

    def load_reader(self) -> Callable[[Path, ReadOptions], ReadResult]:
        if self.reader is None:
            raise ValueError(f"{self.name} is not an import format")
        return load_target(self.reader)

    def load_writer(self) -> Callable[[ExportData, BinaryIO], ExportResult]:
        if self.writer is None:
            raise ValueError(f"{self.name} is not an export format")
        return load_target(self.writer)


def load_target(target: str) -> Callable[..., Any]:
    """The function a ``"module:function"`` target names, importing its module."""
    module, attribute = target.split(":")
    return getattr(importlib.import_module(module), attribute)


FORMATS: tuple[FormatSpec, ...] = (
    FormatSpec(
        "doccano", "doccano JSON Lines or JSON (spans or categories in `label`, relation and intent/slot "
        "exports) and fastText `__label__` lines", ".jsonl",
        Holds(("entities", "claim_type"), unanswered="no key vs `[]`"),
        # `cats` as a list of names: doccano's intent detection and slot filling layout (entities + cats).
        Detection(starts_with=("__label__",), json_list_keys=("label", "labels", "cats"), json_rank=5),
        reader=f"{_PACKAGE}.doccano:read", writer=f"{_PACKAGE}.doccano:write"),
    FormatSpec(
        "label-studio", "Label Studio task JSON: `labels` spans and `choices` in `annotations[].result[]`; its "
        "JSON-MIN and CSV exports too", ".json",
        Holds(TASKS, "spans, `choices` per control", annotators="`data.tagline_annotator`, `completed_by`",
              unanswered="`data.tagline_tasks`"),
        Detection(json_keys=(("annotations",), ("predictions",), ("completions",), ("annotation_id", "lead_time")),
                  json_rank=3),
        reader=f"{_PACKAGE}.label_studio:read", writer=f"{_PACKAGE}.label_studio:write"),
    FormatSpec(
        "prodigy", "Prodigy `db-out` JSON Lines: `ner_manual` spans, `choice` and binary answers", ".jsonl",
        Holds(TASKS, "one record per question", annotators="`_annotator_id`",
              unanswered="no record vs an empty `ner_manual` record"),
        Detection(json_keys=(("_input_hash",), ("_task_hash",), ("_view_id",)), json_rank=2),
        reader=f"{_PACKAGE}.prodigy:read", writer=f"{_PACKAGE}.prodigy:write"),
    FormatSpec(
        "brat", "brat standoff: a `.txt` document and its `.ann` file (`T` lines), or a folder of pairs",
        ".ann",
        Holds(("entities",), loses=(LINE_BREAK_SPANS, SENTENCE_BOUNDARIES)),
        Detection(folder_files="*.ann", suffixes=(".ann",), beside=(".txt", ".ann")),
        reader=f"{_PACKAGE}.brat:read", writer=f"{_PACKAGE}.brat:write", folder=True),
    FormatSpec(
        "conll", "CoNLL / IOB: a token and its IOB1, IOB2, BIOES or BILUO tag per line (other columns named "
        "with `--columns`); written CoNLL-2003 style", ".conll",
        Holds(("entities",), loses=(OVERLAPPING_SPANS, EDGE_SPACE_SPANS, LINE_BREAKS, SENTENCE_TEXT)),
        Detection(suffixes=(".conll", ".iob", ".bio")),
        reader=f"{_PACKAGE}.conll:read", writer=f"{_PACKAGE}.conll:write", roundtrip_option="conll_comments"),
    FormatSpec(
        "spacy", "spaCy v2 JSON training files (written too), JSON Lines with `cats` or `entities`, and "
        "`.spacy` DocBin files where spaCy is installed", ".json",
        Holds(("entities", "claim_type"), "`cats`", unanswered="`-` tags",
              loses=(OVERLAPPING_SPANS, EDGE_SPACE_SPANS)),
        # spaCy's `cats` is {label: score} or [{label, value}]; a list of names is doccano's (above).
        Detection(suffixes=(".spacy",), json_keys=(("paragraphs",),), json_object_keys=("cats",), json_rank=1),
        reader=f"{_PACKAGE}.spacy:read", writer=f"{_PACKAGE}.spacy:write"),
    FormatSpec(
        "csv", "CSV: `text`, and a column per question (`claim_type`, `stance:<target>`, `entities`)", ".csv",
        Holds(TASKS, "one column per question", annotators="`annotator` column",
              unanswered="empty cell vs `[]`"),
        Detection(suffixes=(".csv",)),
        reader=f"{_PACKAGE}.csvfile:read", writer=f"{_PACKAGE}.csvfile:write"),
    FormatSpec(
        "webanno-tsv", "WebAnno TSV 3.x, as INCEpTION exports it (span layers; offsets in UTF-16 code units)",
        ".tsv",
        Holds(("entities",)),
        Detection(starts_with=("#FORMAT=WebAnno TSV",)),
        reader=f"{_PACKAGE}.webanno:read"),
    FormatSpec(
        "semeval2016", "SemEval-2016 Task 6 Task A tweets: stance gold", ".txt",
        Holds(("stance",)),
        Detection(starts_with=("ID\tTarget\tTweet\tStance",)),
        reader=f"{_PACKAGE}.benchmarks:read_semeval", benchmark=True),
    FormatSpec(
        "stockmark-ner", "Stockmark's Japanese Wikipedia NER `ner.json`: entity gold", ".json",
        Holds(("entities",)),
        Detection(json_keys=(("curid", "entities"),), json_rank=4),
        reader=f"{_PACKAGE}.benchmarks:read_stockmark", benchmark=True),
    FormatSpec(
        "checkthat2019", "CLEF-2019 CheckThat! Task 1 debates (a `.tsv` per debate, a folder of them, or the "
        "dataset's folder): check-worthiness gold, sentences in order", ".tsv",
        Holds(("claim_type",), "`check_worthy` / `not_check_worthy`"),
        Detection(folder_files="test_annotated"),
        reader=f"{_PACKAGE}.checkworthiness:read_checkthat2019", benchmark=True, folder=True),
    FormatSpec(
        "checkthat2020", "CLEF-2020 CheckThat! Task 5 debates, laid out as CLEF-2019's: check-worthiness gold",
        ".tsv",
        Holds(("claim_type",), "`check_worthy` / `not_check_worthy`"),
        Detection(folder_files="test_gold"),
        reader=f"{_PACKAGE}.checkworthiness:read_checkthat2020", benchmark=True, folder=True),
    FormatSpec(
        "claimbuster", "ClaimBuster's two-class JSON (`kfold_25ncs.json` and its siblings): CFS/NCS as "
        "check-worthiness gold", ".json",
        Holds(("claim_type",), "`check_worthy` / `not_check_worthy`"),
        Detection(json_keys=(("sentence_id", "label", "text"),), json_rank=6),
        reader=f"{_PACKAGE}.checkworthiness:read_claimbuster", benchmark=True),
)

BY_NAME = {spec.name: spec for spec in FORMATS}
IMPORT_FORMATS = tuple(spec.name for spec in FORMATS if spec.imports)
EXPORT_FORMATS = tuple(spec.name for spec in FORMATS if spec.exports)
BENCHMARK_FORMATS = tuple(spec.name for spec in FORMATS if spec.benchmark)
FOLDER_FORMATS = tuple(spec.name for spec in FORMATS if spec.folder)


def detect(path: Path) -> str | None:
    """The registered format ``path`` is unmistakably in, or ``None``."""
    if path.is_dir():
        return next((spec.name for spec in FORMATS if spec.detection.folder_files
                     and any(path.glob(spec.detection.folder_files))), None)
    suffix = path.suffix.lower()
    for spec in FORMATS:
        if suffix in spec.detection.suffixes:
            return spec.name
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES).decode("utf-8", errors="replace").lstrip("\ufeff")
    for spec in FORMATS:
        if head.startswith(spec.detection.starts_with):
            return spec.name
    for spec in FORMATS:
        beside = spec.detection.beside
        if beside and suffix == beside[0] and path.with_suffix(beside[1]).exists():
            return spec.name
    if suffix in (".json", ".jsonl"):
        for spec in sorted(FORMATS, key=lambda spec: spec.detection.json_rank):
            if spec.detection.matches_json(head):
                return spec.name
    return None
