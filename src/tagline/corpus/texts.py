"""Where a document's text is kept, and the one way to read it: a file of its own
(``documents/<doc_id>.txt``), or a stretch of the one text file written for all the documents made
from one file's records (``documents/<name>.texts``; the document's registry line names it, with
the byte offset and length)."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from tagline.errors import WorkspaceError

if TYPE_CHECKING:
    from tagline.corpus.readers import SourceDocument
    from tagline.corpus.transaction import Transaction
    from tagline.corpus.workspace import Workspace

TEXTS_SUFFIX = ".texts"
# Documents made from the records of one file (an import, a JSONL or CSV corpus): by the thousand,
# so their texts go to one file; a .txt or .md document keeps a file of its own.
RECORD_FORMATS = ("import", "jsonl", "csv")
# A text file's name in documents/: never a path elsewhere (the registry names it).
TEXTS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,159}\.texts$")

_cache_lock = threading.Lock()
# documents.jsonl as last read (path, inode, size, mtime) -> each document's text_at
_locations: dict[str, tuple[tuple[int, int, int], dict[str, dict[str, Any] | None]]] = {}


def text_file_path(workspace: Workspace, doc_id: str) -> Path:
    """``documents/<doc_id>.txt``: where a document added as a file of its own keeps its text."""
    from tagline.corpus.readers import DOC_ID

    if not DOC_ID.match(doc_id):  # never a path outside documents/
        raise WorkspaceError(f"document id {doc_id!r} is not valid", where=str(workspace.documents_dir),
                             fix="document ids use letters, digits, '.', '_' or '-'")
    return workspace.documents_dir / f"{doc_id}.txt"


def text_place(workspace: Workspace, doc_id: str, record: dict[str, Any] | None) -> tuple[Path, int, int | None]:
    """The file holding a document's text, the byte offset its text starts at, and its length in
    bytes (None: to the end of the file), from the document's registry ``record``."""
    located = (record or {}).get("text_at")
    if not located:
        return text_file_path(workspace, doc_id), 0, None
    name = located["file"]
    if not TEXTS_NAME.match(name):
        raise WorkspaceError(f"document {doc_id!r} names the text file {name!r}, which is not a file of documents/",
                             where=str(workspace.documents_path), fix="run `tagline validate`")
    return workspace.documents_dir / name, located["offset"], located["bytes"]


def read_text_bytes(workspace: Workspace, doc_id: str, record: dict[str, Any] | None = None) -> bytes:
    """A document's text as stored (UTF-8). ``record`` is its current registry line (read from
    ``documents.jsonl`` when not given). :class:`FileNotFoundError` when the text is not there whole."""
    if record is None:
        located = _current_locations(workspace).get(doc_id)
        record = {"text_at": located} if located else None
    path, offset, length = text_place(workspace, doc_id, record)
    with open(path, "rb") as handle:
        if length is None:
            return handle.read()
        _check_place(path, offset, length, os.fstat(handle.fileno()).st_size)
        data = os.pread(handle.fileno(), length, offset)
    if len(data) != length:
        raise FileNotFoundError(f"{path} ends before byte {offset + length}")
    return data


def read_text(workspace: Workspace, doc_id: str, record: dict[str, Any] | None = None) -> str:
    """A document's text: every reader of document text goes through here (see :func:`read_text_bytes`)."""
    return read_text_bytes(workspace, doc_id, record).decode("utf-8")


def _check_place(path: Path, offset: object, length: object, size: int) -> None:
    """A hand-edited registry line may name bytes far beyond the file (or not as a whole number):
    the text is then not there, and no buffer of that size is asked for."""
    if type(offset) is not int or type(length) is not int or min(offset, length) < 0 or offset + length > size:
        raise FileNotFoundError(f"{path} ends before byte {offset}+{length}")


class TextReader:
    """Documents' texts read one after another (an export of every document), as :func:`read_text`
    reads each, with each text file opened once and the registry read once (at the first text);
    :meth:`close` (or the ``with`` block) closes the files."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._locations: dict[str, dict[str, Any] | None] | None = None
        self._files: dict[Path, tuple[int, int]] = {}  # path -> (descriptor, size)
        self._named: dict[str, Path] = {}  # a text file's name in documents/ -> its path

    def __call__(self, doc_id: str) -> str:
        if self._locations is None:
            self._locations = _current_locations(self.workspace)
        located = self._locations.get(doc_id)
        record = {"text_at": located} if located else None
        path, offset, length = text_place(self.workspace, doc_id, record)
        if length is None:  # a file of its own
            return read_text(self.workspace, doc_id, record)
        if path not in self._files:
            descriptor = os.open(path, os.O_RDONLY)
            self._files[path] = (descriptor, os.fstat(descriptor).st_size)
        descriptor, size = self._files[path]
        _check_place(path, offset, length, size)
        return os.pread(descriptor, length, offset).decode("utf-8")

    def read_bytes(self, doc_id: str, record: dict[str, Any]) -> bytes:
        """:func:`read_text_bytes` with the registry line ``record`` given, each text file opened once."""
        located = record.get("text_at")
        if located and located["file"] in self._named:  # the path made once for each text file
            path, offset, length = self._named[located["file"]], located["offset"], located["bytes"]
        else:
            path, offset, length = text_place(self.workspace, doc_id, record)
            if length is None or not located:  # a file of its own
                return read_text_bytes(self.workspace, doc_id, record)
            self._named[located["file"]] = path
        if path not in self._files:
            descriptor = os.open(path, os.O_RDONLY)
            self._files[path] = (descriptor, os.fstat(descriptor).st_size)
        descriptor, size = self._files[path]
        _check_place(path, offset, length, size)
        data = os.pread(descriptor, length, offset)
        if len(data) != length:
            raise FileNotFoundError(f"{path} ends before byte {offset + length}")
        return data

    def close(self) -> None:
        for descriptor, _ in self._files.values():
            os.close(descriptor)
        self._files.clear()

    def __enter__(self) -> TextReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _current_locations(workspace: Workspace) -> dict[str, dict[str, Any] | None]:
    """Each document's ``text_at`` from the registry, read again only when ``documents.jsonl`` changed."""
    path = workspace.documents_path
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return {}
    key = (status.st_ino, status.st_size, status.st_mtime_ns)
    with _cache_lock:
        cached = _locations.get(str(path))
        if cached is not None and cached[0] == key:
            return cached[1]
    locations = {doc_id: record.get("text_at") for doc_id, record in workspace.documents().items()}
    with _cache_lock:
        _locations.clear()  # one registry at a time: the cache never grows with the workspaces read
        _locations[str(path)] = (key, locations)
    return locations


def texts_file_name(workspace: Workspace, first_doc_id: str) -> str:
    """The name of a new text file in ``documents/``: after the first document whose text it holds,
    with a number when that name is taken."""
    name = f"{first_doc_id}{TEXTS_SUFFIX}"
    number = 1
    while os.path.lexists(workspace.documents_dir / name):  # an earlier version's, or left there: kept
        number += 1
        name = f"{first_doc_id}-{number}{TEXTS_SUFFIX}"
    return name


def write_texts_file(workspace: Workspace, transaction: Transaction,
                     documents: list[SourceDocument]) -> dict[str, tuple[dict[str, Any], str]]:
    """Write the texts of ``documents`` one after another to one new file in ``documents/`` (written
    whole, fsync'd once, then linked into place; removed again if the transaction fails) and return,
    per document, its ``text_at`` and the SHA-256 of its text. The file is named after the first
    document (with a number when that name is taken); the caller holds the workspace lock."""
    name = texts_file_name(workspace, documents[0].doc_id)
    placed: dict[str, tuple[dict[str, Any], str]] = {}

    def write(out: BinaryIO) -> None:
        offset = 0
        for document in documents:
            data = document.text.encode("utf-8")
            out.write(data)
            placed[document.doc_id] = ({"file": name, "offset": offset, "bytes": len(data)},
                                       hashlib.sha256(data).hexdigest())
            offset += len(data)

    transaction.create_text(workspace.documents_dir / name, write)
    return placed
