"""The documents and sentences as ``tagline validate`` checks them, kept in columns, not records.

What the later checks need of a document is its registry line's number, where its text is and the
text's checksum; of a sentence, its document and offsets (its text is the document's text between
them, read again when an annotation asks for it) and, only when that does not give its text (a
broken workspace), the text itself. Ids are kept by :class:`~tagline.corpus.id_rows.IdRows`. So
the memory a check takes grows by some 100 bytes a document or sentence, where records and
``dict`` entries took over 1 KB.
"""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Iterator
from typing import Any

import numpy as np

from tagline.corpus.id_rows import IdRows
from tagline.corpus.store import LineProblem
from tagline.corpus.texts import TextReader, text_place
from tagline.corpus.workspace import Workspace
from tagline.schemas import schema_errors

_UNCHECKED, _FINE, _FOUND = 0, 1, 2


def show(path: str | os.PathLike[str]) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if not relative.startswith("../..") else str(path)


def text_where(workspace: Workspace, doc_id: str, record: dict[str, Any], *, short: bool = False) -> str:
    """Where a document's text is, for messages: its file (``documents/NAME`` when ``short``), and
    the bytes in an import's text file."""
    path, offset, length = text_place(workspace, doc_id, record)
    shown = f"documents/{path.name}" if short else show(path)
    return shown if length is None else f"{shown} (bytes {offset}-{offset + length})"


class Documents:
    """The schema-valid lines of ``documents.jsonl`` (the last line of a ``doc_id`` counts, in the
    place of its first, as in a ``dict``), and each document's text, read for its checksum and its
    sentences' offsets (the sentences ask for it as they come); :meth:`problems` checks the rest,
    and lists what was found in the documents' order."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace, self.ids = workspace, IdRows()
        # Line numbers and rows in 32 bits (four billion lines, two billion rows); byte offsets in 64.
        self._lines, self._files, self._offsets, self._sizes = array("I"), array("i"), array("q"), array("q")
        self._digests = bytearray()
        self._file_names: dict[str, int] = {}  # a text file's name -> its place in _names
        self._names: list[str] = []
        self._odd: dict[int, dict[str, Any]] = {}  # a text_at the columns do not hold as it is
        self._state = np.zeros(0, dtype=np.int8)
        self._found: dict[int, LineProblem] = {}
        self._reader = TextReader(workspace)

    def check(self, problems: list[LineProblem]) -> None:
        path = self.workspace.documents_path
        if path.exists():
            from tagline.corpus.store import iter_lines

            for line, record in iter_lines(path, problems=problems):
                errors = schema_errors("document", record)
                if errors:
                    problems.extend(LineProblem(show(path), line, m) for m in errors)
                else:
                    self._add(line, record)
        self._state = np.zeros(len(self.ids), dtype=np.int8)

    def _add(self, line: int, record: dict[str, Any]) -> None:
        row = self.ids.add(record["doc_id"])
        self._lines.append(line)
        self._digests += bytes.fromhex(record["text_sha256"])
        located = record.get("text_at")
        if not located:
            self._files.append(-1)
        elif type(located["offset"]) is int and type(located["bytes"]) is int and len(located) == 3:
            if located["file"] not in self._file_names:
                self._file_names[located["file"]] = len(self._names)
                self._names.append(located["file"])
            self._files.append(self._file_names[located["file"]])
            self._offsets.append(located["offset"])
            self._sizes.append(located["bytes"])
            return
        else:
            self._files.append(-2)
            self._odd[row] = located
        self._offsets.append(0)
        self._sizes.append(0)

    def record(self, row: int) -> dict[str, Any]:
        """What validate reads of the document's registry line: ``text_at``, ``text_sha256``, ``_line``."""
        record: dict[str, Any] = {"text_sha256": self._digests[32 * row:32 * row + 32].hex(), "_line": self._lines[row]}
        kind = self._files[row]
        if kind == -2:
            record["text_at"] = self._odd[row]
        elif kind >= 0:
            record["text_at"] = {"file": self._names[kind], "offset": self._offsets[row], "bytes": self._sizes[row]}
        return record

    def text(self, row: int) -> str | None:
        """The document's text; None when it is missing or not UTF-8 (reported with the documents)."""
        data = self._read(row)
        try:
            return None if data is None else data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def problems(self) -> list[LineProblem]:
        found: list[LineProblem] = []
        for row in _first_places(self.ids):  # a doc_id given again: its last line, where its first was
            if self._state[row] == _UNCHECKED:
                self._read(row)
            if self._state[row] == _FOUND:
                found.append(self._found[row])
        return found

    def close(self) -> None:
        self._reader.close()

    def _read(self, row: int) -> bytes | None:
        kind, doc_id = self._files[row], self.ids.id(row)
        located = None if kind == -1 else self._odd[row] if kind == -2 else {
            "file": self._names[kind], "offset": self._offsets[row], "bytes": self._sizes[row]}
        try:
            data = self._reader.read_bytes(doc_id, {"text_at": located} if located else {})  # {}: not the registry
        except FileNotFoundError:
            if self._state[row] == _UNCHECKED:
                self._state[row] = _FOUND
                record = self.record(row)
                self._found[row] = LineProblem(show(self.workspace.documents_path), record["_line"], "document text "
                                               f"{text_where(self.workspace, doc_id, record)} is missing")
            return None
        if self._state[row] == _UNCHECKED:
            if hashlib.sha256(data).digest() == self._digests[32 * row:32 * row + 32]:
                self._state[row] = _FINE
            else:
                self._state[row] = _FOUND
                self._found[row] = LineProblem(text_where(self.workspace, doc_id, self.record(row)), 0,
                                               "document text does not match its checksum in documents.jsonl "
                                               "(was it edited?); sentence offsets may be wrong")
        return data


def _first_places(ids: IdRows) -> Iterator[int]:
    """Every id's row in the order of its first row (a repeated id: its last row, where its first was)."""
    moved: dict[int, int] = {}
    dropped: set[int] = set()
    for rows in ids.repeats():
        moved[rows[0]] = rows[-1]
        dropped.update(rows[1:])
    for row in range(len(ids)):
        if row not in dropped:
            yield moved.get(row, row)


class Sentences:
    """The schema-valid lines of ``sentences.jsonl``, checked against their documents, and each
    one's text (:meth:`text`) by its row (:attr:`ids`; a repeated id: its last line, as in a ``dict``)."""

    def __init__(self, workspace: Workspace, documents: Documents) -> None:
        self.workspace, self.documents, self.ids = workspace, documents, IdRows()
        self._docs, self._starts, self._ends = array("i"), array("q"), array("q")  # (rows in 32 bits)
        self._marks, self._lines = array("Q"), array("I")  # where each one's problems begin; its line
        self._texts: dict[int, str] = {}  # a text its document's text does not give
        self._cached: tuple[int, str | None] = (-1, None)
        self._last = -1  # the row :meth:`text_of` last found

    def check(self, problems: list[LineProblem]) -> None:
        documents, where = self.documents, show(self.workspace.sentences_path)
        cached: tuple[str | None, int, str | None] = (None, -1, None)
        for line, record in self.workspace.iter_sentence_lines(problems=problems):
            errors = schema_errors("sentence", record)
            if errors:
                problems.extend(LineProblem(where, line, m) for m in errors)
                continue
            sentence_id, doc_id, text = record["id"], record["doc_id"], record["text"]
            self.ids.add(sentence_id)
            self._marks.append(len(problems))
            self._lines.append(line)
            if not sentence_id.startswith(doc_id + "-s"):
                problems.append(LineProblem(where, line,
                                            f"sentence id {sentence_id!r} does not start with its doc_id {doc_id!r}"))
            if cached[0] != doc_id:
                doc_row = documents.ids.find(doc_id, near=cached[1] + 1)
                cached = (doc_id, doc_row, None if doc_row < 0 else documents.text(doc_row))
            doc_row, document_text = cached[1], cached[2]
            start, end = record["start"], record["end"]
            if doc_row < 0:
                problems.append(LineProblem(where, line, f"doc_id {doc_id!r} is not in documents.jsonl"))
            elif document_text is not None and (document_text[start:end] != text
                                                or end - start != len(text)):  # (past the text's end)
                shown = text_where(self.workspace, doc_id, documents.record(doc_row), short=True)
                problems.append(LineProblem(where, line,
                                            f"offsets {start}:{end} do not cover the sentence text in {shown}"))
            elif document_text is not None and 0 <= start <= end <= len(document_text):
                self._keep(doc_row, start, end)
                continue
            self._texts[len(self.ids) - 1] = text
            self._keep(-1, 0, 0)
        self._report_repeats(problems, where)

    def _keep(self, doc_row: int, start: int, end: int) -> None:
        self._docs.append(doc_row)
        self._starts.append(start)
        self._ends.append(end)

    def _report_repeats(self, problems: list[LineProblem], where: str) -> None:
        """A sentence id given again, said at each later line where the line's problems begin."""
        repeated = sorted((row for rows in self.ids.repeats() for row in rows[1:]), reverse=True)
        for row in repeated:
            problems.insert(self._marks[row], LineProblem(
                where, self._lines[row], f"sentence id {self.ids.id(row)!r} appears more than once"))

    def text_of(self, sentence_id: str) -> str | None:
        """The text of the sentence with this id, None when there is none (found first where the
        sentence after the one last asked for is: answers are mostly in the sentences' order)."""
        self._last = self.ids.find(sentence_id, near=self._last + 1)
        return self.text(self._last)

    def text(self, row: int) -> str | None:
        """The text of the sentence at ``row`` (None: -1, not a sentence)."""
        if row < 0:
            return None
        if self._docs[row] < 0:
            return self._texts[row]
        doc_row = self._docs[row]
        if self._cached[0] != doc_row:
            self._cached = (doc_row, self.documents.text(doc_row))
        document_text = self._cached[1]
        return None if document_text is None else document_text[self._starts[row]:self._ends[row]]
