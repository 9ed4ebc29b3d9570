"""What every format module shares: the records readers produce, the data writers get, and helpers
for JSON with line numbers and UTF-16 offsets (tags and tokens are in :mod:`.tokens`)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tagline.errors import InputError
from tagline.wording import plural  # noqa: F401 (the format modules import it from here)

if TYPE_CHECKING:
    from tagline.corpus.config import Config

T = TypeVar("T")
ANNOTATOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(slots=True)  # by the million in a large import: no __dict__ each
class ForeignSpan:
    """An entity span as the file gives it: offsets into the record's text, its label, its text."""

    start: int
    end: int
    label: str
    text: str | None = None  # the covered text when the file states it (checked against the offsets)
    where: str | None = None  # file:line of the span when it has its own line (brat, WebAnno)


@dataclass(slots=True)  # by the million in a large import: no __dict__ each
class ForeignAnswer:
    """One answer in a file: a span list (``kind="spans"``) or one classification label."""

    kind: str  # "spans" or "label"
    where: str
    spans: list[ForeignSpan] = field(default_factory=list)
    label: str | None = None
    task: str | None = None  # "claim_type" or "stance" when the file says so; None: the import's --task
    target: str | None = None
    annotator: str | None = None  # the annotator id as the file has it; None: --annotator
    gold: bool = False  # marked as the reference answer by the tool (Label Studio ground_truth)
    sentence: int | None = None  # a label for this one of the record's `sentences` (by position)


@dataclass(slots=True)  # by the million in a large import: no __dict__ each
class ForeignRecord:
    """One text of a file with its answers, before labels are mapped and sentences are made."""

    text: str
    where: str
    key: str  # stable within the file (a record id, hash or number): makes the document id
    answers: list[ForeignAnswer] = field(default_factory=list)
    sentence_id: str | None = None  # a tagline sentence id carried by tagline's own exports
    whole_document: bool = False  # True: segment the text into sentences (brat); False: one sentence
    # The record's own sentences as (start, end) offsets into its text (a benchmark's debate, one
    # sentence per line), kept as they are; with `sentence_meta`, each one's meta.
    sentences: list[tuple[int, int]] | None = None
    sentence_meta: list[dict] | None = None
    doc_id: str | None = None  # used as is (benchmarks with global ids)
    lang: str | None = None
    split: str | None = None
    meta: dict = field(default_factory=dict)
    # The text holds the sentence's line breaks as spaces (CoNLL's `# text` line): it still comes back
    # onto its sentence_id's sentence where that is the only difference.
    line_breaks_as_spaces: bool = False


@dataclass
class ReadOptions:
    """Reader settings from the command line."""

    text_field: str | None = None
    label_field: str | None = None
    offsets: str = "codepoints"  # or "utf16": how span offsets count characters
    predictions: bool = False  # also read machine suggestions (as answers of the model)
    split: str | None = None
    lang: str | None = None  # "ja" or "en": how text is rebuilt from tokens; None: guessed per record
    columns: str | None = None  # CoNLL: which column is the token and which the tag (``token,...,tag``)


@dataclass
class ReadResult:
    records: list[ForeignRecord]
    warnings: list[str] = field(default_factory=list)
    gold: bool = False  # a public benchmark: its answers are gold, not an annotator's
    encoding: str | None = None  # the file's encoding when the reader decodes it its own way
    own_offsets: bool = False  # offsets made by the reader (from tokens), not read from the file
    labels_fix: str | None = None  # what to do when the workspace lacks the file's labels (a benchmark's own set)


@dataclass
class ExportData:
    """What a writer gets: sentences in workspace order and one view of the answers.

    ``sentences`` is streamed from the workspace: each pass over it reads ``sentences.jsonl``
    again, so a writer holds no more of it than it must (a writer that finds the corpus is not as it
    expected, such as a document's sentences apart, may start over with a second pass)."""

    sentences: Iterable[dict]
    answers: dict[str, dict[tuple[str, str | None], dict]]
    annotator: str | None  # None for the gold view
    config: Config
    document_text: Callable[[str], str]
    formula_escape: bool = True  # CSV: put a ' before cells a spreadsheet would run as formulas
    question: tuple[str, str | None] | None = None  # --task/--target: the one question exported (answers hold no other)
    account: str | None = None  # the annotator's account in the peer tool (Label Studio `completed_by` email)
    conll_comments: bool = False  # CoNLL: write `# sent_id` and `# text` lines (tagline's own round trip)

    def tasks_present(self) -> set[str]:
        if self.question is not None:  # the answers hold that question's alone: not looked through
            return {self.question[0]} if self.answers else set()
        return {task for task, _ in self.questions_answered()}

    def prefetch(self, sentences: Iterable[dict]) -> None:
        """Have the answers of these sentences read at once, when they are looked up in an index
        (a part of the export made in a worker process, which has none of the command's read)."""
        fetch = getattr(self.answers, "prefetch", None)
        if fetch is not None:
            fetch([sentence["id"] for sentence in sentences])

    def questions_answered(self) -> set[tuple[str, str | None]]:
        """Every (task, target) some sentence has an answer to: from the answers' index when they are
        looked up in one (``slots_answered``), else from every answer."""
        known = getattr(self.answers, "slots_answered", None)
        if known is not None:
            return set(known())
        return {key for current in self.answers.values() for key in current}

    def stance_targets_answered(self, known: list[str]) -> list[str]:
        """The stance targets some answer has that are not in ``known``, sorted."""
        return sorted({target for task, target in self.questions_answered()
                       if task == "stance" and target is not None and target not in known})


@dataclass
class ExportResult:
    """What a writer reports once it has written its file to the output it was given: the number of
    records, what the format could not hold (``warnings``), ``companions`` (files written beside
    the file, by the suffix that replaces its own: the Label Studio labelling configuration) and,
    for a folder format (brat), its ``files`` instead of a file."""

    files: dict[str, str] | None = None
    companions: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    records: int = 0


CHUNK = 1000  # sentences whose text a streaming writer gathers before one write


def chunked(items: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (default :data:`CHUNK`; the last one shorter), for writers that
    write a part at a time."""
    size = size or CHUNK
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- reading files ---------------------------------------------------------------------------------

# `import` has no --encoding option (peer tools write UTF-8), so an undecodable file is to be converted.
UNDECODABLE_FIX = ("save the file as UTF-8: import reads UTF-8, UTF-16 with a byte order mark, Shift_JIS/CP932 "
                   "and EUC-JP")


def decode_file(path: Path) -> tuple[str, str]:
    """A regular file's text and encoding, decoded as tagline decodes input documents (BOM, UTF-8,
    CP932, EUC-JP)."""
    from tagline.corpus.readers import decode, read_input

    return decode(read_input(path), source=str(path), undecodable_fix=UNDECODABLE_FIX)


def read_text(path: Path) -> str:
    """A regular file's text (see :func:`decode_file`)."""
    return decode_file(path)[0]


@contextmanager
def json_limits(where: str) -> Iterator[None]:
    """Python's JSON decoder past its limits (nesting deeper than the stack allows, integers longer
    than ``sys.get_int_max_str_digits()``) as an :class:`InputError` at ``where``; syntax errors
    (``JSONDecodeError``) are left to the caller, which knows how to word them."""
    from tagline.corpus.readers import MAX_JSON_DEPTH

    try:
        yield
    except RecursionError:
        raise InputError(f"the JSON holds arrays and objects nested more than {MAX_JSON_DEPTH} levels deep",
                         where=where, fix="check that this is the exported file") from None
    except json.JSONDecodeError:
        raise
    except ValueError as error:
        if "digits" not in str(error):
            raise
        raise InputError(f"the JSON holds a number of more than {sys.get_int_max_str_digits()} digits", where=where,
                         fix="check that this is the exported file") from None


def checked_json(value: object, where: str, text: str | None = None, start: int = 0, end: int | None = None) -> object:
    """``value`` when it is nested no deeper than any format needs; otherwise an :class:`InputError`.
    ``text[start:end]``, the JSON it was decoded from, spares the check of a value with few brackets."""
    from tagline.corpus.readers import json_nesting_problem

    problem = json_nesting_problem(value, text, start, end)
    if problem:
        raise InputError(f"the JSON holds {problem}", where=where, fix="check that this is the exported file")
    return value


_FAST_JSON = None


def load_json(text: str, where: str) -> object:
    """``json.loads(text)`` within :func:`json_limits` and :func:`checked_json`.

    msgspec decodes first: where it accepts the text it gives the value ``json`` gives (it is the
    stricter of the two: no ``NaN``, no number out of a float's range, no lone surrogate, no
    integer past 64 bits... in every case it refuses, and then ``json`` decodes as before)."""
    global _FAST_JSON
    if _FAST_JSON is None:
        import msgspec

        _FAST_JSON = msgspec.json.Decoder().decode
    try:
        value = _FAST_JSON(text)
    except (ValueError, RecursionError):  # what msgspec refuses, json decides about, with its own message
        with json_limits(where):
            value = json.loads(text)
    return checked_json(value, where, text)


def lines_of(text: str) -> list[str]:
    """Lines split on ``\\n`` only (``str.splitlines`` also splits on characters that occur inside
    sentences, such as U+2028), each without its ``\\r``."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def json_records(path: Path, text: str | None = None) -> Iterator[tuple[str, object]]:
    """Yield ``(where, value)`` for every record of a JSON Lines file, a JSON array or a single JSON
    object; ``where`` is ``file:line`` of the record's first line."""
    text = read_text(path) if text is None else text
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise InputError("the file is empty", where=str(path), fix="check that this is the exported file")
    if stripped.startswith("["):
        yield from _json_array(path, text)
        return
    lines = text.split("\n")
    parsed = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            parsed.append((f"{path}:{number}", load_json(line, f"{path}:{number}")))
        except json.JSONDecodeError as error:
            if not parsed:
                break  # not JSON Lines: one JSON object spread over several lines
            raise InputError(f"not valid JSON ({error.msg}: column {error.colno})", where=f"{path}:{number}",
                             fix="fix that line; each line of a JSON Lines file is one JSON object") from None
    else:
        yield from parsed
        return
    where = f"{path}:{_first_line(text)}"
    try:
        value = load_json(text, where)
    except json.JSONDecodeError as error:
        raise InputError(f"neither JSON Lines nor JSON ({error.msg}: line {error.lineno}, column {error.colno})",
                         where=f"{path}:{error.lineno}", fix="check that this is the exported file") from None
    yield where, value


def _first_line(text: str) -> int:
    stripped = text.lstrip()
    return text.count("\n", 0, len(text) - len(stripped)) + 1


_WHITESPACE = re.compile(r"[ \t\n\r]*")  # JSON's whitespace (RFC 8259), as json's own decoder has it: not Unicode's


def _skip_whitespace(text: str, position: int) -> int:
    match = _WHITESPACE.match(text, position)
    assert match is not None  # (matches the empty string, so it matches at every position)
    return match.end()


def _json_array(path: Path, text: str) -> Iterator[tuple[str, object]]:
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    first = True
    ordinal, previous_line = 0, 0
    line, counted_to = 1, 0  # lines counted as the reading goes: counting from the top for each record is quadratic
    while True:
        position = _skip_whitespace(text, position)
        if position >= len(text):
            raise InputError("the JSON array is not closed", where=f"{path}:{line + text.count(chr(10), counted_to)}",
                             fix="check that the file is complete")
        if text[position] == "]":
            rest = _skip_whitespace(text, position + 1)
            if rest < len(text):  # (a JSON reader refuses it: never left unread, a second array's records lost)
                raise InputError("more after the end of the JSON array",
                                 where=f"{path}:{line + text.count(chr(10), counted_to, rest)}",
                                 fix="check that the file is one JSON array (not two exports, one after the other)")
            return
        if not first:
            if text[position] != ",":
                here = line + text.count("\n", counted_to, position)
                raise InputError("expected ',' between records", where=f"{path}:{here}", fix="fix the JSON")
            position = _skip_whitespace(text, position + 1)
        first = False
        line, counted_to = line + text.count("\n", counted_to, position), position
        ordinal += 1
        # Records that share a line (a one-line array) are told apart by their number.
        where = f"{path}:{line}" if line != previous_line else f"{path}:{line} (record {ordinal})"
        try:
            with json_limits(where):
                value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise InputError(f"not valid JSON ({error.msg})", where=f"{path}:{error.lineno}",
                             fix="fix the JSON") from None
        yield where, checked_json(value, where, text, position, end)
        position = end
        previous_line = line


_JSON_TYPE_NAMES: dict[type, str] = {dict: "object", list: "array", str: "string"}


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type: object, array, string, number, boolean or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def expect_object(value: object, where: str, what: str = "a record") -> dict:
    """``value`` when it is a JSON object; otherwise an error saying what ``what`` is instead."""
    if not isinstance(value, dict):
        raise InputError(f"{what} is a JSON {json_type(value)}, not an object", where=where,
                         fix="each record must be a JSON object" if what == "a record" else "write it as a JSON object")
    return value


def expect_offset(value: object, where: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name} {value!r} is not an integer offset", where=where,
                         fix="offsets are whole numbers of characters")
    return value


# --- names and offsets -----------------------------------------------------------------------------

def annotator_name(raw: object) -> str:
    """A valid annotator name for a tool's annotator id: kept when valid, otherwise characters
    outside ``A-Za-z0-9_.-`` become ``_`` (``ann@example.com`` -> ``ann_example.com``)."""
    name = str(raw).strip()
    if ANNOTATOR_NAME.match(name):
        return name
    name = _NAME_UNSAFE.sub("_", name).strip("_.-")[:64]
    return name


def utf16_to_codepoints(text: str) -> list[int | None]:
    """``table[u]`` is the code-point offset of UTF-16 offset ``u`` in ``text`` (``None`` inside a
    surrogate pair); the table has ``utf16_length(text) + 1`` entries."""
    table: list[int | None] = []
    for index, char in enumerate(text):
        table.append(index)
        if ord(char) > 0xFFFF:
            table.append(None)
    table.append(len(text))
    return table


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def codepoints_to_utf16(text: str, offset: int) -> int:
    return utf16_length(text[:offset])


def convert_utf16(text: str, start: int, end: int, where: str) -> tuple[int, int]:
    """Code-point offsets for UTF-16 offsets ``start``/``end`` into ``text``."""
    table = utf16_to_codepoints(text)
    if not (0 <= start < len(table) and 0 <= end < len(table)):
        raise InputError(f"UTF-16 offsets {start}:{end} are outside the text ({len(table) - 1} UTF-16 units)",
                         where=where, fix="correct the offsets")
    first, last = table[start], table[end]
    if first is None or last is None:
        raise InputError(f"UTF-16 offsets {start}:{end} split a character (a surrogate pair)", where=where,
                         fix="correct the offsets")
    return first, last
