"""Reading input documents: encodings (UTF-8, Shift_JIS/CP932, EUC-JP) and formats (txt, md, jsonl, csv)."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from tagline.errors import InputError

FORMATS = ("txt", "md", "jsonl", "csv")
_SUFFIX_FORMATS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
                   ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
JAPANESE_ENCODINGS = ("cp932", "euc_jp")
_DOC_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
DOC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_IMPLAUSIBLE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
DEFAULT_MAX_DOCUMENT_BYTES = 64 * 2**20
_SIZE = re.compile(r"(\d+)\s*([KMG]?)(?:i?B)?", re.I)
# No format tagline reads nests deeper than a few levels; a bound keeps every recursive consumer
# (json.dumps in messages, orjson's 254-level limit when meta is stored) out of trouble.
MAX_JSON_DEPTH = 64
# Spreadsheets run a cell that begins with one of these as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def unstorable_character(text: str) -> str | None:
    """What in ``text`` no sentence may hold, described with its position, or ``None``: a NUL
    character (damage: no text file holds one), or a lone UTF-16 surrogate (``\\ud83d`` in JSON,
    half an emoji as a tool that cut a string writes it), which is not a character and cannot be
    stored as UTF-8."""
    if "\x00" not in text and (text.isascii() or _encodes(text)):
        return None  # told without the search, which steps through a long text a character at a time
    match = _UNSTORABLE.search(text)
    if match:
        if match.group() == "\x00":
            return f"a NUL character at character {match.start()}"
        return (f"a lone UTF-16 surrogate \\u{ord(match.group()):04x} at character {match.start()} "
                "(half of an emoji or other character)")
    return None


def _encodes(text: str) -> bool:
    """Whether ``text`` can be encoded as UTF-8: it holds no surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass
class SourceDocument:
    """One document read from an input file, before segmentation."""

    doc_id: str
    text: str
    source: str
    format: str
    encoding: str
    lang: str | None = None
    split: str | None = None
    meta: dict = field(default_factory=dict)
    single_sentence: bool = False  # keep the whole text as one sentence (tweets, pre-split benchmark items)
    # The document's sentences as (start, end) offsets, when its source gives them (a benchmark's
    # sentences, one per line): kept as they are instead of segmenting the text.
    sentence_spans: tuple[tuple[int, int], ...] | None = None

    @property
    def text_sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def text_codec(encoding: str) -> str:
    """Python's name for the text encoding ``encoding`` (``--encoding``); :class:`InputError` for a
    name Python does not know and for codecs that do not turn bytes into text (rot13, base64, zlib)."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        what = "is not an encoding Python knows" if info is None else \
            f"is Python's {info.name} codec, which does not decode text"
        raise InputError(f"--encoding {encoding!r} {what}",
                         fix="give the file's text encoding, such as utf-8, cp932 (Shift_JIS) or euc-jp; "
                             "or leave --encoding out to detect it")
    return info.name


def parse_size(text: str) -> int:
    """Bytes for a size such as ``64M``, ``64MiB``, ``1G``, ``512K`` or ``1000`` (units of 1024)."""
    match = _SIZE.fullmatch(str(text).strip())
    if not match:
        raise InputError(f"--max-size {text!r} is not a size", fix="write bytes, or a number with K, M or G, e.g. 64M")
    number, unit = int(match.group(1)), match.group(2).upper()
    size = number * {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[unit]
    if size < 1:
        raise InputError(f"--max-size {text!r} is not a positive size", fix="e.g. 64M")
    return size


def human_size(size: int) -> str:
    """``64 MiB`` for ``64 * 2**20``: a size as people read it."""
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"


def read_input(path: str | os.PathLike, *, max_bytes: int | None = None) -> bytes:
    """The bytes of the regular file at ``path``.

    Devices (``/dev/zero``), named pipes and sockets are refused: they may never end. With
    ``max_bytes``, a file larger than that is refused after reading at most ``max_bytes + 1`` bytes.
    """
    path = str(path)
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer before it can be refused.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", where=path,
                         fix="check the path and its permissions") from None
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"not a regular file but {_file_kind(mode)}", where=path,
                             fix="save the text to a file and give that file")
        try:
            data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror}", where=path, fix="check the file") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise InputError(f"larger than the limit of {human_size(max_bytes)} for one document", where=path,
                         fix="split it into smaller documents, or raise the limit, e.g. --max-size 1G")
    return data


def refuse_special_file(path: str | os.PathLike) -> None:
    """:class:`InputError` when ``path`` is a device, named pipe or socket, checked without opening
    it (opening a named pipe waits for a writer)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # reading it says what is wrong
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise InputError(f"not a regular file but {_file_kind(mode)}", where=str(path),
                         fix="save the text to a file and give that file")


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def json_nesting_problem(value: object, text: str | None = None, start: int = 0, end: int | None = None) -> str | None:
    """What is wrong with a decoded JSON value nested deeper than :data:`MAX_JSON_DEPTH`, or ``None``.

    With the ``text`` the value was decoded from (``text[start:end]``), a value with too few brackets
    to nest that deep is not walked."""
    if text is not None and text.count("[", start, end) + text.count("{", start, end) <= MAX_JSON_DEPTH:
        return None
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children: Iterable[object]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return f"arrays and objects nested more than {MAX_JSON_DEPTH} levels deep"
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return None


def csv_rows(text: str, source: str) -> Iterator[tuple[int, int, list[str]]]:
    """``(first_line, last_line, cells)`` for every row of CSV ``text``, strictly: a quote that is never
    closed, or text after a closing quote, is an :class:`InputError` at ``source:line`` of the row.
    Both ``corpus add`` and ``annotate import --format csv`` read CSV here."""
    # A field may hold a whole document; the text is in memory already, so no field can be longer.
    if len(text) > csv.field_size_limit():
        csv.field_size_limit(len(text) + 1)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    first = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problem = "a quoted field is never closed" if "unexpected end of data" in str(error) else str(error)
            raise InputError(f"not valid CSV ({problem})", where=f"{source}:{first}",
                             fix="fix that row: a field holding a comma, quote or line break goes in quotes, "
                                 "with any quote inside doubled") from None
        yield first, reader.line_num, cells
        first = reader.line_num + 1


def doc_id_from(name: str) -> str:
    """A valid document id made from a file stem or a foreign id."""
    cleaned = _DOC_ID_UNSAFE.sub("_", name).strip("_.-")
    return (cleaned or "doc")[:128]


def decode(data: bytes, *, source: str, encoding: str | None = None,
           undecodable_fix: str | None = None) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding_used)``.

    With ``encoding`` given it is used strictly. Otherwise: a BOM decides; then UTF-8; then the
    Japanese legacy encodings (CP932, a superset of Shift_JIS, and EUC-JP), choosing with
    charset-normalizer when both decode. Undecodable input raises :class:`InputError` naming the
    byte offset, and so does a NUL character (no text file holds one). Its fix names
    ``--encoding``; a caller whose command has no such option gives ``undecodable_fix`` instead.
    """
    try:
        text, used = _decode(data, source=source, encoding=encoding)
    except InputError as error:
        if undecodable_fix is None:
            raise
        raise InputError(error.what, where=error.where, fix=undecodable_fix) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise InputError(f"the text holds a NUL character at character {nul}: a binary file, or a "
                         "damaged one", where=source, fix="check that this is the text file you meant")
    return text, used


def _decode(data: bytes, *, source: str, encoding: str | None) -> tuple[str, str]:
    if encoding:
        codec = text_codec(encoding)
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError as error:
            raise InputError(
                f"cannot be decoded as {encoding}: invalid byte 0x{data[error.start]:02x} at byte offset {error.start}",
                where=source, fix="check the file, or pass the right --encoding",
            ) from None
        except UnicodeError as error:  # codecs such as idna and punycode fail without a byte offset
            raise InputError(f"cannot be decoded as {encoding} ({error})", where=source,
                             fix="check the file, or pass the right --encoding") from None
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", source), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", source), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        first_bad = utf8_error.start
    decoded = {}
    for candidate in JAPANESE_ENCODINGS:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        # Binary junk can "decode" as CP932 into private-use or control characters: not text.
        if not _IMPLAUSIBLE.search(text):
            decoded[candidate] = text
    if len(decoded) == 1:
        (name, text), = decoded.items()
        return text, name
    if len(decoded) > 1:
        import charset_normalizer

        best = charset_normalizer.from_bytes(data, cp_isolation=list(decoded)).best()
        name = best.encoding if best is not None and best.encoding in decoded else "cp932"
        return decoded[name], name
    raise InputError(
        f"not UTF-8 (invalid byte 0x{data[first_bad]:02x} at byte offset {first_bad}) "
        "and not Shift_JIS/CP932 or EUC-JP either",
        where=source, fix="convert the file to UTF-8, or pass --encoding with its real encoding",
    )


def _strict(data: bytes, codec: str, source: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        raise InputError(f"invalid {codec} byte at byte offset {error.start}", where=source,
                         fix="check the file, or pass the right --encoding") from None


def guess_format(path: Path) -> str:
    return _SUFFIX_FORMATS.get(path.suffix.lower(), "txt")


def read_documents(
    path: str | Path, *, fmt: str | None = None, encoding: str | None = None, doc_id: str | None = None,
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
) -> Iterator[SourceDocument]:
    """Yield the documents in one input file.

    ``txt`` and ``md`` files are one document each (id: ``doc_id`` or the file stem). ``jsonl`` and
    ``csv`` files hold one document per record: a ``text`` field, and optionally ``id`` (or
    ``doc_id``), ``lang``, ``split``; other fields are kept as ``meta``. Only regular files are read.
    A document larger than ``max_document_bytes`` is refused: a txt or md file by its size, a record
    by the size of its text in UTF-8.
    """
    path = Path(path)
    if doc_id is not None and not DOC_ID.match(doc_id):
        raise InputError(f"--doc-id {doc_id!r} is not a valid document id",
                         fix="use letters, digits, '.', '_' or '-', starting with a letter or digit (at most 128)")
    if encoding:
        text_codec(encoding)
    fmt = fmt or guess_format(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}", where=str(path), fix=f"use one of {', '.join(FORMATS)}")
    data = read_input(path, max_bytes=max_document_bytes if fmt in ("txt", "md") else None)
    text, used = decode(data, source=str(path), encoding=encoding)
    if fmt in ("txt", "md"):
        yield SourceDocument(doc_id or doc_id_from(path.stem), text, str(path), fmt, used)
        return
    if doc_id is not None:
        raise InputError("--doc-id names one document, but a jsonl/csv file holds one document per record",
                         where=str(path), fix="put an `id` field in each record instead")
    records = _jsonl_records(text, path) if fmt == "jsonl" else _csv_records(text, path)
    seen: dict[str, int] = {}
    for first_line, id_line, record in records:
        where = f"{path}:{first_line}"
        body = record.pop("text", None)
        if not isinstance(body, str) or not body.strip():
            raise InputError("record has no non-empty `text` field", where=where,
                             fix="give every record a `text` field")
        if problem := unstorable_character(body):  # said at the record's line (the ingest names it file#line)
            raise InputError(f"the text holds {problem}", where=where, fix="repair the text; it cannot be a sentence")
        if len(body) > max_document_bytes // 4 and len(body.encode("utf-8", "surrogatepass")) > max_document_bytes:
            raise InputError(f"the text is larger than the limit of {human_size(max_document_bytes)} for one document",
                             where=where, fix="split it into smaller documents, or raise the limit, e.g. --max-size 1G")
        raw_id = record.pop("id", None) or record.pop("doc_id", None)
        this_id = doc_id_from(str(raw_id)) if raw_id not in (None, "") else doc_id_from(f"{path.stem}-{id_line}")
        if this_id in seen:
            raise InputError(f"document id {this_id!r} repeats the one on line {seen[this_id]}", where=where,
                             fix="make the `id` values unique")
        seen[this_id] = first_line
        lang = record.pop("lang", None) or None
        if lang not in (None, "ja", "en"):
            raise InputError(f"lang {lang!r} is not ja or en", where=where, fix="use ja or en, or leave it out")
        split = record.pop("split", None) or None
        if split is not None and not re.fullmatch(r"[a-z][a-z0-9_]*", str(split)):
            raise InputError(f"split {split!r} is not a lower-case name", where=where,
                             fix="use names such as train, validation, test")
        meta = record.pop("meta", None)
        meta = dict(meta) if isinstance(meta, dict) else {}
        meta.update({key: value for key, value in record.items() if value not in (None, "")})
        yield SourceDocument(this_id, body, f"{path}#{id_line}", fmt, used, lang, split, meta)


def _jsonl_records(text: str, path: Path) -> Iterator[tuple[int, int, dict]]:
    for line_number, line in enumerate(io.StringIO(text, newline=None), 1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise InputError(f"not valid JSON ({error.msg})", where=f"{path}:{line_number}",
                             fix="fix that line") from None
        if not isinstance(record, dict):
            raise InputError("expected a JSON object", where=f"{path}:{line_number}", fix="fix that line")
        problem = json_nesting_problem(record, line)
        if problem:
            raise InputError(f"the record holds {problem}", where=f"{path}:{line_number}", fix="fix that line")
        yield line_number, line_number, record


def _csv_records(text: str, path: Path) -> Iterator[tuple[int, int, dict]]:
    """``(first_line, last_line, record)``; a record's default id and source name its last line, as
    they always have, so that adding the same file again finds the same documents."""
    rows = csv_rows(text, str(path))
    _, _, fieldnames = next(rows, (1, 1, []))
    if "text" not in fieldnames:
        raise InputError(f"no `text` column (columns: {', '.join(fieldnames) or 'none'})",
                         where=f"{path}:1", fix="name the column that holds the documents `text`")
    for first_line, last_line, cells in rows:
        if not cells:
            continue
        if len(cells) > len(fieldnames):
            raise InputError(f"{len(cells)} fields but the header has {len(fieldnames)} columns",
                             where=f"{path}:{first_line}", fix="quote fields that contain commas")
        record = dict(zip(fieldnames, cells + [None] * (len(fieldnames) - len(cells))))
        yield first_line, last_line, record
