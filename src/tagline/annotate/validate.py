"""Checking every file of a workspace against the data contracts, listing every problem found."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import Any

from tagline.annotate.events import event_problems
from tagline.corpus.annotators import annotator_kinds
from tagline.corpus.store import LineProblem, iter_lines, read_records
from tagline.corpus.texts import read_text_bytes, text_place
from tagline.corpus.workspace import Workspace
from tagline.errors import TaglineError, takes_workspace
from tagline.schemas import schema_errors


@takes_workspace
def validate_workspace(workspace: Workspace) -> list[LineProblem]:
    """Every problem in ``workspace``: configuration, documents, sentences, annotations and gold.

    Returns problems as ``path:line: message``; torn last lines (a crash mid-write) come back with
    ``warning=True``, as are annotations of orphaned sentences, not errors.
    """
    problems: list[LineProblem] = []
    try:
        config = workspace.config
    except TaglineError as error:
        return [LineProblem(str(workspace.config_path), 0, error.what + (f" ({error.fix})" if error.fix else ""))]

    documents = _check_documents(workspace, problems)
    texts = _DocumentTexts(workspace, documents)
    checked = len(problems)
    sentence_texts = _check_sentences(workspace, documents, problems, texts)
    problems[checked:checked] = texts.problems()  # where the documents' texts were checked before
    orphaned = set()
    orphan_path = workspace.root / "orphaned.jsonl"
    if orphan_path.exists():
        orphaned = {record["id"] for record in read_records(orphan_path, problems=problems, kind="orphan")}
    for path in workspace.annotation_files():
        for line, event in iter_lines(path, problems=problems):
            errors = schema_errors("event", event)
            if not errors:
                if event["annotator"] != path.stem:
                    errors.append(f"annotator {event['annotator']!r} does not match the file name {path.stem!r}")
                text = sentence_texts.get(event["sentence_id"])
                is_orphan = text is None and event["sentence_id"] in orphaned
                if is_orphan:
                    problems.append(LineProblem(str(path), line, f"sentence {event['sentence_id']!r} was orphaned "
                                                "when its document was replaced; the annotation is kept", warning=True))
                errors.extend(event_problems(event, config, text, orphaned=is_orphan))
            problems.extend(LineProblem(str(path), line, message) for message in errors)
    _check_annotators(workspace, problems)
    if workspace.gold_path.exists():
        for line, record in iter_lines(workspace.gold_path, problems=problems):
            errors = schema_errors("gold", record)
            if not errors:
                pseudo_event = {"sentence_id": record["sentence_id"], "task": record["task"], "op": "set",
                                "value": record["value"] if record["task"] != "stance"
                                else {**record["value"], "target": record.get("target")}}
                is_orphan = record["sentence_id"] not in sentence_texts and record["sentence_id"] in orphaned
                if is_orphan:
                    problems.append(LineProblem(str(workspace.gold_path), line,
                                                f"gold for sentence {record['sentence_id']!r}, orphaned when its "
                                                "document was replaced; kept, left out of builds", warning=True))
                errors = event_problems(pseudo_event, config, sentence_texts.get(record["sentence_id"]),
                                        orphaned=is_orphan)
            problems.extend(LineProblem(_show(workspace.gold_path), line, message) for message in errors)
    return [LineProblem(_show(p.path), p.line, p.message, p.warning) for p in problems]


def _text_where(workspace: Workspace, doc_id: str, record: dict[str, Any], *, short: bool = False) -> str:
    """Where a document's text is, for messages: its file (``documents/NAME`` when ``short``), and
    the bytes in an import's text file."""
    path, offset, length = text_place(workspace, doc_id, record)
    shown = f"documents/{path.name}" if short else _show(path)
    return shown if length is None else f"{shown} (bytes {offset}-{offset + length})"


def _show(path: str | os.PathLike[str]) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if not relative.startswith("../..") else str(path)


def _check_annotators(workspace: Workspace, problems: list[LineProblem]) -> None:
    """The registry's records, and answer files of retired annotators: a session still open when its
    annotator was retired writes a new one, whose answers count nowhere."""
    if not workspace.annotators_path.exists():
        return
    found: list[LineProblem] = []
    for _ in iter_lines(workspace.annotators_path, problems=found, kind="annotator"):
        pass
    problems.extend(found)
    if any(not problem.warning for problem in found):
        return
    for name, kind in annotator_kinds(workspace).items():
        if kind == "retired" and workspace.annotation_path(name).exists():
            problems.append(LineProblem(str(workspace.annotation_path(name)), 0,
                                        f"answers given as {name} after it was retired count nowhere; "
                                        f"`tagline annotate retire {name}` archives them too", warning=True))


def _check_documents(workspace: Workspace, problems: list[LineProblem]) -> dict[str, dict[str, Any]]:
    documents: dict[str, dict[str, Any]] = {}
    if not workspace.documents_path.exists():
        return documents
    for line, record in iter_lines(workspace.documents_path, problems=problems):
        errors = schema_errors("document", record)
        if errors:
            problems.extend(LineProblem(_show(workspace.documents_path), line, m) for m in errors)
            continue
        documents[record["doc_id"]] = {**record, "_line": line}
    return documents


class _DocumentTexts:
    """Each document's text, read once for its checksum and its sentences' offsets (the sentences
    ask for it as they come); :meth:`problems` checks the rest, and lists what was found in the
    documents' order."""

    def __init__(self, workspace: Workspace, documents: dict[str, dict[str, Any]]) -> None:
        self.workspace, self.documents = workspace, documents
        self.found: dict[str, LineProblem | None] = {}

    def text(self, doc_id: str) -> str | None:
        """The document's text; None when it is missing or not UTF-8 (reported with the documents)."""
        data = self._read(doc_id)
        try:
            return None if data is None else data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def problems(self) -> list[LineProblem]:
        for doc_id in self.documents:
            if doc_id not in self.found:
                self._read(doc_id)
        return [problem for problem in (self.found[doc_id] for doc_id in self.documents) if problem]

    def _read(self, doc_id: str) -> bytes | None:
        workspace, record = self.workspace, self.documents[doc_id]
        try:
            data = read_text_bytes(workspace, doc_id, record)
        except FileNotFoundError:
            self.found.setdefault(doc_id, LineProblem(_show(workspace.documents_path), record["_line"],
                                                      f"document text {_text_where(workspace, doc_id, record)} "
                                                      "is missing"))
            return None
        if doc_id not in self.found:
            self.found[doc_id] = None if hashlib.sha256(data).hexdigest() == record["text_sha256"] else LineProblem(
                _text_where(workspace, doc_id, record), 0, "document text does not match its checksum in "
                "documents.jsonl (was it edited?); sentence offsets may be wrong")
        return data


def _check_sentences(workspace: Workspace, documents: dict[str, dict[str, Any]],
                     problems: list[LineProblem], document_texts: _DocumentTexts) -> dict[str, str]:
    texts: dict[str, str] = {}
    cached_doc: tuple[str | None, str | None] = (None, None)
    where = _show(workspace.sentences_path)
    for line, record in workspace.iter_sentence_lines(problems=problems):
        errors = schema_errors("sentence", record)
        if errors:
            problems.extend(LineProblem(where, line, m) for m in errors)
            continue
        sentence_id = record["id"]
        if sentence_id in texts:
            problems.append(LineProblem(where, line, f"sentence id {sentence_id!r} appears more than once"))
        texts[sentence_id] = record["text"]
        doc_id = record["doc_id"]
        if not sentence_id.startswith(doc_id + "-s"):
            problems.append(LineProblem(where, line,
                                        f"sentence id {sentence_id!r} does not start with its doc_id {doc_id!r}"))
        if doc_id not in documents:
            problems.append(LineProblem(where, line, f"doc_id {doc_id!r} is not in documents.jsonl"))
            continue
        if cached_doc[0] != doc_id:
            cached_doc = (doc_id, document_texts.text(doc_id))
        document_text = cached_doc[1]
        if document_text is not None and (document_text[record["start"]:record["end"]] != record["text"]
                                          or record["end"] - record["start"] != len(record["text"])):  # (past the end)
            problems.append(LineProblem(where, line, f"offsets {record['start']}:{record['end']} do not cover the "
                                        "sentence text in "
                                        f"{_text_where(workspace, doc_id, documents[doc_id], short=True)}"))
    return texts


def iter_errors(problems: list[LineProblem]) -> Iterator[LineProblem]:
    return (problem for problem in problems if not problem.warning)


__all__ = ["validate_workspace", "iter_errors"]
