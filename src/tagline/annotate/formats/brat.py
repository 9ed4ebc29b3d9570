"""brat standoff: a ``.txt`` document and its ``.ann`` file (``T`` lines are entities; events,
relations, attributes, notes and normalisations are reported and left out); writes one pair per
document."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from tagline.annotate.formats.common import (
    ExportData,
    ExportResult,
    ForeignAnswer,
    ForeignRecord,
    ForeignSpan,
    ReadOptions,
    ReadResult,
    lines_of,
    plural,
    read_text,
)
from tagline.errors import InputError

_TEXT_BOUND = re.compile(r"^(T\d+)\t(\S+) (\d+ \d+(?:;\d+ \d+)*)\t(.*)$")
CONF_NAME = "annotation.conf"
_OTHER_KINDS = {"E": "event", "R": "relation", "*": "equivalence", "A": "attribute", "M": "attribute",
                "N": "normalization", "#": "note"}


def read(path: Path, options: ReadOptions) -> ReadResult:
    if path.is_dir():
        pairs = sorted({p.with_suffix("") for p in path.iterdir() if p.suffix in (".ann", ".txt")})
        if not pairs:
            raise InputError("the folder holds no .txt/.ann files", where=str(path),
                             fix="point at a brat document folder, or at one .ann file")
    elif path.suffix in (".ann", ".txt"):
        pairs = [path.with_suffix("")]
    else:
        raise InputError("a brat document is a .txt file with a .ann file beside it, not "
                         f"{path.suffix or 'a file without suffix'}",
                         where=str(path), fix="point at the .ann file, its .txt, or their folder")
    records = []
    left_out: Counter[str] = Counter()
    for stem in pairs:
        text_path, ann_path = stem.with_name(stem.name + ".txt"), stem.with_name(stem.name + ".ann")
        if not text_path.exists():
            raise InputError(f"{ann_path.name} has no {text_path.name} beside it", where=str(ann_path),
                             fix="brat annotations need their text file")
        text = read_text(text_path)
        if not text.strip():
            continue
        answers = []
        if ann_path.exists():
            answers.append(ForeignAnswer("spans", str(ann_path), spans=_entities(ann_path, text, left_out)))
        records.append(ForeignRecord(text=text, where=str(ann_path if ann_path.exists() else text_path),
                                     key=stem.name, doc_id=_doc_id(stem.name), answers=answers,
                                     whole_document=True))
    if not records:
        raise InputError("no document with text", where=str(path), fix="check the .txt files")
    warnings = []
    if left_out:
        kinds = ", ".join(f"{plural(count, kind)}" for kind, count in sorted(left_out.items()))
        warnings.append(f"{path.name}: not imported: {kinds} (tagline holds entity spans only)")
    return ReadResult(records, warnings)


def _doc_id(name: str) -> str:
    from tagline.corpus.readers import doc_id_from

    return doc_id_from(name)


def _entities(ann_path: Path, text: str, left_out: Counter[str]) -> list[ForeignSpan]:
    lines = lines_of(read_text(ann_path))
    triggers = set()
    for line in lines:
        if line.startswith("E"):
            fields = line.split("\t")
            if len(fields) > 1 and ":" in fields[1]:
                triggers.add(fields[1].split()[0].split(":", 1)[1])
    spans = []
    for number, line in enumerate(lines, 1):
        where = f"{ann_path}:{number}"
        if not line.strip():
            continue
        if line[0] in _OTHER_KINDS:
            left_out[_OTHER_KINDS[line[0]]] += 1
            continue
        if not line.startswith("T"):
            raise InputError(f"unknown annotation line {line[:40]!r}", where=where,
                             fix="brat lines start with T, E, R, *, A, M, N or #")
        match = _TEXT_BOUND.match(line)
        if not match:
            raise InputError(f"malformed text-bound line {line[:60]!r}", where=where,
                             fix="expected T<n><TAB><type> <start> <end><TAB><text>")
        ident, label, offsets, covered = match.groups()
        if ident in triggers:
            left_out["event trigger"] += 1
            continue
        fragments = [tuple(int(n) for n in part.split()) for part in offsets.split(";")]
        for start, end in fragments:
            if not 0 <= start < end <= len(text):
                raise InputError(f"{ident} offsets {start}:{end} are outside the text ({len(text)} characters)",
                                 where=where, fix="correct the offsets")
        if len(fragments) > 1:
            gaps = [text[fragments[i][1]:fragments[i + 1][0]] for i in range(len(fragments) - 1)]
            if any(gap.strip() or fragments[i + 1][0] < fragments[i][1] for i, gap in enumerate(gaps)):
                raise InputError(f"{ident} is a discontinuous span ({offsets}); tagline spans are contiguous",
                                 where=where, fix="split it into separate entities, or leave it out")
            # Fragments split only at line breaks (how brat stores a span over a line break): one span.
            joined = " ".join(text[s:e] for s, e in fragments)
            if joined != covered:
                raise InputError(f"{ident}: the offsets cover {joined!r} but the line says {covered!r}",
                                 where=where, fix="correct the offsets (tagline never shifts spans)")
            spans.append(ForeignSpan(fragments[0][0], fragments[-1][1], label,
                                     text[fragments[0][0]:fragments[-1][1]], where))
            continue
        (start, end), = fragments
        spans.append(ForeignSpan(start, end, label, covered, where))
    return spans


def write(data: ExportData, out: BinaryIO) -> ExportResult:
    """``<doc_id>.txt`` (the document text) and ``<doc_id>.ann`` (``T`` lines, document offsets) per
    document, as ``files`` (``out`` is not written); a span over a line break is written as
    fragments, as brat does. ``annotation.conf`` declares the entity types, so that brat opens the
    folder as a project. Each document is written when its sentences have passed (they lie together
    in the corpus, so its answers are looked up while their chunk is read); a document whose
    sentences come apart is written from every sentence gathered first."""
    tasks = data.tasks_present()
    warnings = []
    if tasks - {"entities"}:
        warnings.append(f"brat holds entity spans only: {', '.join(sorted(tasks - {'entities'}))} answers are "
                        "not exported")
    if data.annotator:
        warnings.append(f"brat files do not name annotators: import with --annotator {data.annotator}")
    try:
        files, counts, labels = _documents(data, _runs(data.sentences))
    except _ComeApart:
        by_doc: dict[str, list[dict]] = {}
        for sentence in data.sentences:
            by_doc.setdefault(sentence["doc_id"], []).append(sentence)
        files, counts, labels = _documents(data, iter(by_doc.items()))
    unanswered, skipped_breaks, resegmented, documents = counts
    if unanswered:
        warnings.append(f"brat cannot tell 'no entities' from 'not annotated': {plural(unanswered, 'sentence')} "
                        "without an entity answer will read back as 'no entities'")
    if skipped_breaks:
        warnings.append(f"{plural(skipped_breaks, 'span')} covering only line breaks cannot be written in brat")
    if resegmented:
        warnings.append(f"brat keeps documents, not sentence boundaries: {plural(resegmented, 'document')} "
                        "will be split into other sentences when imported into another workspace")
    files[CONF_NAME] = annotation_conf(data, labels)
    return ExportResult(files=files, warnings=warnings, records=documents)


class _ComeApart(Exception):
    """A document's sentences do not lie together in the corpus."""


def _runs(sentences: Iterable[dict]) -> Iterator[tuple[str, list[dict]]]:
    """Each document's sentences as they pass (:class:`_ComeApart` when one comes back later)."""
    done: set[str] = set()
    doc_id: str | None = None
    run: list[dict] = []
    for sentence in sentences:
        if sentence["doc_id"] != doc_id:
            if doc_id is not None:
                yield doc_id, run
            doc_id, run = sentence["doc_id"], []
            if doc_id in done:
                raise _ComeApart
            done.add(doc_id)
        run.append(sentence)
    if doc_id is not None:
        yield doc_id, run


def _documents(data: ExportData, documents: Iterator[tuple[str, list[dict]]]
               ) -> tuple[dict[str, str], tuple[int, ...], set[str]]:
    """The ``.txt`` and ``.ann`` files of ``documents``; how many sentences had no entity answer,
    spans were only line breaks, documents would be segmented differently, and documents there were;
    and the labels of the sentences' entity answers (to any target)."""
    files: dict[str, str] = {}
    labels: set[str] = set()
    unanswered = skipped_breaks = resegmented = count = 0
    for doc_id, sentences in documents:
        count += 1
        text = data.document_text(doc_id)
        lines = []
        number = 0
        for sentence in sentences:
            current = data.answers.get(sentence["id"], {})
            labels.update(span["label"] for (task, _), value in current.items() if task == "entities"
                          for span in value["spans"])
            entities = current.get(("entities", None))
            if entities is None:
                unanswered += 1
                continue
            for span in entities["spans"]:
                number += 1
                start, end = sentence["start"] + span["start"], sentence["start"] + span["end"]
                fragments = [(start + piece.start(), start + piece.end())
                             for piece in re.finditer(r"[^\r\n]+", text[start:end])]
                if not fragments:
                    skipped_breaks += 1
                    continue
                offsets = ";".join(f"{s} {e}" for s, e in fragments)
                covered = " ".join(text[s:e] for s, e in fragments)
                lines.append(f"T{number}\t{span['label']} {offsets}\t{covered}")
        files[f"{doc_id}.txt"] = text
        if _segments_differently(text, sentences):
            resegmented += 1
        files[f"{doc_id}.ann"] = "".join(line + "\n" for line in lines)
    return files, (unanswered, skipped_breaks, resegmented, count), labels


def annotation_conf(data: ExportData, answered: set[str] | None = None) -> str:
    """brat's ``annotation.conf`` for the exported entity types (the workspace's labels, then any other
    label an answer has: ``answered``, the labels of the answers written, or of every answer when
    None). tagline's spans may overlap in any way, which brat allows only when the ``<OVERLAP>``
    relation says so."""
    labels = data.config.labels("entities") if "entities" in data.config.tasks else []
    if answered is None:
        answered = {span["label"] for current in data.answers.values() for (task, _), value in current.items()
                    if task == "entities" for span in value["spans"]}
    labels += sorted(answered - set(labels))
    return "\n".join(["# Made by tagline's brat export: the entity types of the workspace.", "[entities]", *labels,
                      "", "[relations]", "<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>",
                      "", "[events]", "", "[attributes]", ""])


def _segments_differently(text: str, sentences: list[dict]) -> bool:
    from tagline.corpus.ingest import segment_document
    from tagline.corpus.readers import SourceDocument
    from tagline.corpus.segment import is_one_english_sentence

    lang = sentences[0].get("lang", "en")
    if lang == "en" and len(sentences) == 1 and is_one_english_sentence(text):  # the usual record: syntok not asked
        return (sentences[0]["start"], sentences[0]["end"]) != (0, len(text))
    document = SourceDocument("d", text, "", "txt", "utf-8", lang)
    return segment_document(document, lang) != [(s["start"], s["end"]) for s in sentences]
