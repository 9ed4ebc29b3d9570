"""CoNLL / IOB: one token per line (token first, tag last; tab or space separated), a blank line
between sentences, ``-DOCSTART-`` lines, or one sentence per line as ``token|POS|tag``; tags in IOB1,
IOB2, BIOES or BILUO. Writes IOB2 with ``# sent_id`` and ``# text`` comment lines."""

from __future__ import annotations

import re
from pathlib import Path

from tagline.annotate.formats.common import (
    ExportData,
    ExportResult,
    ForeignAnswer,
    ForeignRecord,
    ForeignSpan,
    ReadOptions,
    ReadResult,
    align_tokens,
    decode_tags,
    encode_tags,
    join_tokens,
    lines_of,
    parse_tag,
    plural,
    read_text,
    token_spans,
    tokens_for_export,
)
from tagline.errors import InputError

_COMMENT = re.compile(r"^#\s*([A-Za-z_][\w .-]*?)\s*=\s?(.*)$")
_TAG_HELP = "tags are O, or B-/I-/E-/S-/L-/U- followed by the label (IOB1, IOB2, BIOES, BILUO)"


def read(path: Path, options: ReadOptions) -> ReadResult:
    text = read_text(path)
    records: list[ForeignRecord] = []
    tokens: list[str] = []
    token_lines: list[int] = []  # the line of each token, for errors
    tags: list[tuple[str, str] | None] = []
    comments: dict[str, str] = {}
    first_line = 0
    columns: tuple[int, int] | None = None  # (count, line) of the first token line

    def finish() -> None:
        nonlocal tokens, token_lines, tags, comments
        if tokens:
            records.append(_record(path, first_line, tokens, tags, comments, len(records) + 1, token_lines))
        tokens, token_lines, tags, comments = [], [], [], {}

    for number, line in enumerate(lines_of(text), 1):
        where = f"{path}:{number}"
        if not line.strip():
            finish()
            continue
        if line.startswith("#"):
            match = _COMMENT.match(line)
            if match:
                if tokens:
                    finish()
                comments[match.group(1).strip()] = match.group(2)
                continue
        if line.split()[0] == "-DOCSTART-":
            finish()
            continue
        fields = [field for field in (line.split("\t") if "\t" in line else line.split())]
        while fields and fields[-1] == "":
            fields.pop()
        if "\t" not in line and len(fields) > 1 and all("|" in field for field in fields) and not tokens:
            # One sentence per line: token|POS|tag items.
            first_line = number
            for item in fields:
                parts = item.split("|")
                _check_token(parts[0], where)
                tokens.append(parts[0])
                token_lines.append(number)
                tags.append(_tag(parts[-1], where))
            finish()
            continue
        if len(fields) < 2:
            raise InputError(f"a token line needs a token and a tag, found {line[:60]!r}", where=where,
                             fix="write TOKEN<TAB>TAG (other columns in between are allowed)")
        parsed = _tag(fields[-1], where)
        if columns is None:
            columns = (len(fields), number)
        elif len(fields) != columns[0]:
            raise InputError(f"{len(fields)} columns, but line {columns[1]} has {columns[0]}", where=where,
                             fix="every token line needs the same columns")
        if not tokens:
            first_line = number
        _check_token(fields[0], where)
        tokens.append(fields[0])
        token_lines.append(number)
        tags.append(parsed)
    finish()
    if not records:
        raise InputError("no token lines found", where=str(path), fix="check that this is a CoNLL/IOB file")
    return ReadResult(records, own_offsets=True)


def _check_token(token: str, where: str) -> None:
    if not token.strip():
        raise InputError("a token line with an empty token", where=where,
                         fix="write TOKEN<TAB>TAG; the first column is the token")


def _tag(tag: str, where: str) -> tuple[str, str] | None:
    try:
        return parse_tag(tag)
    except ValueError:
        raise InputError(f"tag {tag!r} is not a named-entity tag", where=where, fix=_TAG_HELP) from None


def _record(path: Path, line: int, tokens: list[str], tags: list[tuple[str, str] | None], comments: dict[str, str],
            ordinal: int, token_lines: list[int]) -> ForeignRecord:
    where = f"{path}:{line}"
    if "text" in comments:
        text = comments["text"]
        offsets = align_tokens(text, tokens, where, [f"{path}:{n}" for n in token_lines])
    else:
        text, offsets = join_tokens(tokens)
    spans = [ForeignSpan(offsets[first][0], offsets[stop - 1][1], label, text[offsets[first][0]:offsets[stop - 1][1]])
             for first, stop, label in decode_tags(tags)]
    sentence_id = comments.get("sent_id")
    return ForeignRecord(text=text, where=where, key=sentence_id or str(ordinal),
                         answers=[ForeignAnswer("spans", where, spans=spans)], sentence_id=sentence_id)


def write(data: ExportData) -> ExportResult:
    """``# sent_id = <id>`` and ``# text = <sentence>`` then ``TOKEN<TAB>TAG`` lines (IOB2) per
    sentence, a blank line between sentences."""
    blocks = []
    tasks = data.tasks_present()
    warnings = []
    if tasks - {"entities"}:
        warnings.append(f"CoNLL holds entity tags only: {', '.join(sorted(tasks - {'entities'}))} answers are not "
                        "exported")
    if data.annotator:
        warnings.append(f"CoNLL files do not name annotators: import with --annotator {data.annotator}")
    overlapping = untrimmed = line_breaks = unanswered = 0
    for sentence in data.sentences:
        text = sentence["text"]
        entities = data.answers.get(sentence["id"], {}).get(("entities", None))
        if entities is None:
            unanswered += 1
        spans = list(entities["spans"]) if entities else []
        tokens, aligned, n_overlapping, n_untrimmed = tokens_for_export(text, sentence.get("lang", "en"), spans)
        overlapping += n_overlapping
        untrimmed += n_untrimmed
        tags = encode_tags(len(tokens), token_spans(tokens, aligned))
        shown = text
        if "\n" in text or "\r" in text:
            line_breaks += 1
            shown = re.sub(r"\r\n?|\n", " ", text)
        lines = [f"# sent_id = {sentence['id']}", f"# text = {shown}"]
        lines.extend(f"{text[start:end]}\t{tag}" for (start, end), tag in zip(tokens, tags))
        blocks.append("\n".join(lines) + "\n")
    if overlapping:
        warnings.append(f"CoNLL tags cannot overlap: {plural(overlapping, 'overlapping span')} left out")
    if untrimmed:
        warnings.append(f"{plural(untrimmed, 'span')} starting or ending with white space cannot be tagged on "
                        f"tokens and {'was' if untrimmed == 1 else 'were'} left out")
    if line_breaks:
        warnings.append(f"{plural(line_breaks, 'sentence')} with line breaks: the `# text` line holds them as spaces")
    if unanswered:
        warnings.append(f"CoNLL cannot tell 'no entities' from 'not annotated': {plural(unanswered, 'sentence')} "
                        f"without an entity answer {'is' if unanswered == 1 else 'are'} written all O and read back "
                        "as 'no entities'")
    return ExportResult(content="\n".join(blocks), warnings=warnings, records=len(blocks))
