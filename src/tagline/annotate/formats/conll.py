"""CoNLL / IOB: one token per line (token first and tag last unless ``--columns`` says otherwise; tab
or space separated), a blank line between sentences, ``-DOCSTART-`` lines, or one sentence per line
as ``token|POS|tag``; tags in IOB1, IOB2, BIOES or BILUO. Writes CoNLL-2003 style IOB2, which spaCy,
Hugging Face datasets and other tools read, and with ``# sent_id`` and ``# text`` lines on request."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from operator import add
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
    chunked,
    lines_of,
    plural,
    read_text,
)
from tagline.annotate.formats.tokens import (
    align_tokens,
    decode_tags,
    encode_tags,
    evenly_spaced_words,
    export_tokens,
    join_tokens,
    parse_tag,
    spans_for_export,
    token_spans,
    word_spans,
)
from tagline.errors import InputError

_COMMENT = re.compile(r"^#\s*([A-Za-z_][\w .-]*?)\s*=\s?(.*)$")
_TAG_HELP = "tags are O, or B-/I-/E-/S-/L-/U- followed by the label (IOB1, IOB2, BIOES, BILUO)"
# Columns are split on tabs where a line has one, else on runs of ASCII spaces: never on other white
# space, so that MeCab's ideographic space (U+3000) stays a token.
_SPACES = re.compile(r"[ \t]+")
_LINE_BREAK = re.compile(r"\r\n?|\n")
DOCSTART = "-DOCSTART- -X- O O"  # spaCy's `convert` starts a document only at this exact line
_COLUMN_NAME = re.compile(r"[A-Za-z_][\w-]*")
COLUMNS_HELP = ("name the columns from the left, separated by commas: token and tag where they are, ... for any "
                "number of columns in between, misc for CoNLL-U's SpaceAfter=No, other names for columns to skip "
                "(token,...,tag; token,pos,tag; id,token,...,tag)")


@dataclass(frozen=True)
class Columns:
    """Where a token line's token, tag and CoNLL-U MISC are (negative: counted from the end)."""

    token: int = 0
    tag: int = -1
    misc: int | None = None
    count: int | None = None  # every line has this many columns; None: any number (``...``)
    spec: str | None = None  # as given to --columns; None: the default (token first, tag last, same count)

    def needed(self) -> int:
        """The fewest columns a line needs."""
        if self.spec is None:
            return 2
        return sum(1 for name in self.spec.split(",") if name != "...")


def parse_columns(spec: str | None) -> Columns:
    """The columns ``--columns`` names (``token,...,tag``); the default without it."""
    if spec is None:
        return Columns()
    names = [name.strip() for name in spec.split(",")]
    if names.count("...") > 1 or any(name != "..." and not _COLUMN_NAME.fullmatch(name) for name in names):
        raise InputError(f"--columns {spec!r} is not a list of column names", fix=COLUMNS_HELP)
    for name in ("token", "tag", "misc"):
        if names.count(name) > 1 or (name != "misc" and name not in names):
            raise InputError(f"--columns {spec!r} needs {name!r} exactly once", fix=COLUMNS_HELP)
    gap = names.index("...") if "..." in names else None

    def position(name: str) -> int | None:
        if name not in names:
            return None
        index = names.index(name)
        return index if gap is None or index < gap else index - len(names)  # right of `...`: from the end

    token, tag = position("token"), position("tag")
    assert token is not None and tag is not None  # both checked above
    return Columns(token, tag, position("misc"), None if gap is not None else len(names), ",".join(names))


def read(path: Path, options: ReadOptions) -> ReadResult:
    """The file's sentences as records; a plain file's read in bulk (:mod:`.conll_bulk`)."""
    from tagline.annotate.formats.conll_bulk import read_plain

    parse_columns(options.columns)  # a bad --columns is refused before the file is read
    plain = read_plain(path, options)
    return plain if plain is not None else read_lines(path, options)


def read_lines(path: Path, options: ReadOptions) -> ReadResult:
    """:func:`read` line by line: any CoNLL file, each line's problems said where they are."""
    columns = parse_columns(options.columns)
    text = read_text(path)
    records: list[ForeignRecord] = []
    sentence = _Sentence()
    first_count: tuple[int, int] | None = None  # (count, line) of the first token line

    def finish() -> None:
        nonlocal sentence
        if sentence.tokens:
            records.append(sentence.record(path, len(records) + 1, options.lang))
        sentence = _Sentence()

    tags: dict[str, tuple[str, str] | None] = {}  # each tag parsed once
    for number, line in enumerate(lines_of(text), 1):
        if not line.strip():
            finish()
            continue
        if line.startswith("#"):
            match = _COMMENT.match(line)
            if match:
                if sentence.tokens:
                    finish()
                sentence.comments[match.group(1).strip()] = match.group(2)
                continue
        if "-DOCSTART-" in line and line.split()[0] == "-DOCSTART-":
            finish()
            continue
        # Blanks an editor left at a line's end are not part of its last column (the tag, mostly).
        fields = line.rstrip(" \t").split("\t") if "\t" in line else _SPACES.split(line.strip(" \t"))
        while fields and fields[-1] == "":
            fields.pop()
        if "\t" not in line and len(fields) > 1 and not sentence.tokens and all("|" in field for field in fields):
            # One sentence per line: token|POS|tag items.
            where = f"{path}:{number}"
            for item in fields:
                parts = item.split("|")
                sentence.add(parts[0], _tag(parts[-1], where), number, where)
            finish()
            continue
        if first_count is None:
            first_count = (len(fields), number)
        if columns.spec is not None or len(fields) != first_count[0] or len(fields) < 2:
            _check_columns(fields, columns, first_count, line, f"{path}:{number}")
        tag = fields[columns.tag]
        if tag not in tags:
            tags[tag] = _tag(tag, f"{path}:{number}")
        token = fields[columns.token]
        if token and columns.misc is None:  # the common case of sentence.add
            sentence.tokens.append(token)
            sentence.tags.append(tags[tag])
            sentence.lines.append(number)
            continue
        misc = fields[columns.misc] if columns.misc is not None else ""
        sentence.add(token, tags[tag], number, f"{path}:{number}",
                     space_after="SpaceAfter=No" not in misc.split("|") if columns.misc is not None else None)
    finish()
    if not records:
        raise InputError("no token lines found", where=str(path), fix="check that this is a CoNLL/IOB file")
    return ReadResult(records, own_offsets=True)


def _check_columns(fields: list[str], columns: Columns, first: tuple[int, int], line: str, where: str) -> None:
    if columns.spec is None:
        if len(fields) < 2:
            raise InputError(f"a token line needs a token and a tag, found {line[:60]!r}", where=where,
                             fix="write TOKEN<TAB>TAG (other columns in between are allowed)")
        if len(fields) != first[0]:
            raise InputError(f"{len(fields)} columns, but line {first[1]} has {first[0]}", where=where,
                             fix="every token line needs the same columns; where the columns between the token and "
                                 "the tag vary (MeCab features), pass --columns token,...,tag")
        return
    if len(fields) < columns.needed() or (columns.count is not None and len(fields) != columns.count):
        raise InputError(f"{plural(len(fields), 'column')}, but --columns {columns.spec} names "
                         f"{'at least ' if columns.count is None else ''}{columns.needed()}", where=where,
                         fix="check --columns against the file's lines" +
                             ("" if columns.count is None else "; ... stands for any number of columns"))


class _Sentence:
    """The tokens, tags and comments of the sentence being read."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.tags: list[tuple[str, str] | None] = []
        self.lines: list[int] = []  # the line of each token, for errors
        self.space_after: list[bool] | None = None
        self.comments: dict[str, str] = {}

    def add(self, token: str, tag: tuple[str, str] | None, line: int, where: str,
            space_after: bool | None = None) -> None:
        if not token:  # white space is a token when the file says so (MeCab's ideographic space)
            raise InputError("a token line with an empty token", where=where,
                             fix="write TOKEN<TAB>TAG; the first column is the token (or name it with --columns)")
        self.tokens.append(token)
        self.tags.append(tag)
        self.lines.append(line)
        if space_after is not None:
            self.space_after = (self.space_after or []) + [space_after]

    def record(self, path: Path, ordinal: int, lang: str | None) -> ForeignRecord:
        where = f"{path}:{self.lines[0]}"
        if "text" in self.comments:
            text = self.comments["text"]
            offsets = align_tokens(text, self.tokens, where, [f"{path}:{n}" for n in self.lines])
        else:
            text, offsets = join_tokens(self.tokens, lang, self.space_after)
        spans = [ForeignSpan(offsets[first][0], offsets[stop - 1][1], label,
                             text[offsets[first][0]:offsets[stop - 1][1]])
                 for first, stop, label in decode_tags(self.tags)]
        sentence_id = self.comments.get("sent_id")
        return ForeignRecord(text=text, where=where, key=sentence_id or str(ordinal),
                             answers=[ForeignAnswer("spans", where, spans=spans)], sentence_id=sentence_id,
                             line_breaks_as_spaces="text" in self.comments)


def _tag(tag: str, where: str) -> tuple[str, str] | None:
    try:
        return parse_tag(tag)
    except ValueError:
        raise InputError(f"tag {tag!r} is not a named-entity tag", where=where, fix=_TAG_HELP) from None


def write(data: ExportData, out: BinaryIO) -> ExportResult:
    """CoNLL-2003 style: ``-DOCSTART- -X- O O`` before each document, then ``TOKEN TAG`` lines (IOB2)
    per sentence, a blank line after each. With ``data.conll_comments`` each sentence starts with
    ``# sent_id = <id>`` and ``# text = <sentence>`` lines, which bring the file back onto the same
    sentences with their exact text."""
    warnings = _what_is_not_written(data)
    overlapping = untrimmed = line_breaks = unanswered = records = 0
    previous_doc = None
    for chunk in chunked(data.sentences):
        blocks = []
        for sentence in chunk:
            if sentence["doc_id"] != previous_doc:
                blocks.append(DOCSTART + "\n")
                previous_doc = sentence["doc_id"]
            text = sentence["text"]
            entities = data.answers.get(sentence["id"], {}).get(("entities", None))
            if entities is None:
                unanswered += 1
            spans = list(entities["spans"]) if entities else []
            aligned, cuts, n_overlapping, n_untrimmed = spans_for_export(text, spans)
            overlapping += n_overlapping
            untrimmed += n_untrimmed
            lines = []
            if data.conll_comments:
                shown = _LINE_BREAK.sub(" ", text)
                line_breaks += shown != text
                lines = [f"# sent_id = {sentence['id']}", f"# text = {shown}"]
            token_lines = _token_lines(text, sentence.get("lang", "en"), aligned, cuts)
            if token_lines:
                lines.append(token_lines)
            blocks.append("\n".join(lines) + "\n")
        # The blocks are joined by blank lines: one before every block but the file's first.
        out.write(((("\n" if records else "") + "\n".join(blocks))).encode("utf-8"))
        records += len(chunk)
    if overlapping:
        warnings.append(f"CoNLL tags cannot overlap: {plural(overlapping, 'overlapping span')} left out")
    if untrimmed:
        warnings.append(f"{plural(untrimmed, 'span')} starting or ending with white space cannot be tagged on "
                        f"tokens and {'was' if untrimmed == 1 else 'were'} left out")
    if line_breaks and data.conll_comments:
        warnings.append(f"{plural(line_breaks, 'sentence')} with line breaks: the `# text` line holds them as spaces")
    if unanswered:
        warnings.append(f"CoNLL cannot tell 'no entities' from 'not annotated': {plural(unanswered, 'sentence')} "
                        f"without an entity answer {'is' if unanswered == 1 else 'are'} written all O and read back "
                        "as 'no entities'")
    return ExportResult(warnings=warnings, records=records)


def _token_lines(text: str, lang: str, aligned: list[dict], cuts: set[int]) -> str:
    """A sentence's ``TOKEN TAG`` lines (IOB2), without the last line break; an evenly spaced English
    sentence's read at once (:func:`evenly_spaced_words`), any other's token by token."""
    even = evenly_spaced_words(text, lang, cuts)
    if even is None:
        tokens = export_tokens(text, lang, cuts)
        tags = encode_tags(len(tokens), token_spans(tokens, aligned))
        return "\n".join([f"{text[start:end]} {tag}" for (start, end), tag in zip(tokens, tags)])
    words, starts = even
    if not aligned:
        return " O\n".join(map(str.rstrip, words)) + " O"
    tags = encode_tags(len(words), word_spans(words, starts, aligned))
    return "\n".join(map(add, map(str.rstrip, words), map(_after_token, tags)))


@functools.cache
def _after_token(tag: str) -> str:
    return " " + tag


def _what_is_not_written(data: ExportData) -> list[str]:
    tasks = data.tasks_present()
    warnings = []
    if tasks - {"entities"}:
        warnings.append(f"CoNLL holds entity tags only: {', '.join(sorted(tasks - {'entities'}))} answers are not "
                        "exported")
    if data.annotator:
        warnings.append(f"CoNLL files do not name annotators: import with --annotator {data.annotator}")
    if not data.conll_comments:
        warnings.append("CoNLL-2003 keeps tokens, not sentence ids or text: imported, the file makes new documents "
                        "whose text is rebuilt from the tokens (--conll-comments writes `# sent_id` and `# text` "
                        "lines that keep them, but spaCy and most tools read those lines as tokens)")
    return warnings
