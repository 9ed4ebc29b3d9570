"""WebAnno TSV 3.x (INCEpTION's export): ``#Text=`` sentences with token lines whose offsets count
UTF-16 code units; span layers (``#T_SP=``) give entities, labelled by their ``value`` feature
(else their first feature). Relation and chain layers are reported and left out. Import only."""

from __future__ import annotations

import re
from pathlib import Path

from tagline.annotate.formats.common import (
    ForeignAnswer,
    ForeignRecord,
    ForeignSpan,
    ReadOptions,
    ReadResult,
    convert_utf16,
    lines_of,
    plural,
    read_text,
    utf16_length,
)
from tagline.errors import InputError

_ENTRY = re.compile(r"^(.*?)(?:\[(\d+)\])?$", re.S)
_UNESCAPE = re.compile(r"\\(.)", re.S)
NO_VALUE = "*"  # a span annotation whose label feature is empty


def read(path: Path, options: ReadOptions) -> ReadResult:
    lines = lines_of(read_text(path))
    if not lines or not lines[0].startswith("#FORMAT=WebAnno TSV 3"):
        raise InputError(f"expected the header #FORMAT=WebAnno TSV 3.x, found {lines[0][:40]!r}" if lines else "empty",
                         where=f"{path}:1", fix="export from INCEpTION/WebAnno as WebAnno TSV v3")
    layers: list[tuple[str, str, list[str]]] = []  # (kind, name, features)
    records: list[ForeignRecord] = []
    sentence_lines: list[str] = []
    text_line = 1  # the line of the sentence's first #Text=
    tokens: list[tuple[int, str, int, int, str, list[str]]] = []  # (line, id, begin, end, text, columns)
    left_out = {"relation": 0, "chain": 0, "sub-token": 0}

    def finish() -> None:
        nonlocal sentence_lines, tokens
        if sentence_lines:
            records.append(_sentence(path, "\n".join(sentence_lines), tokens, layers, len(records) + 1, text_line))
        sentence_lines, tokens = [], []

    for number, line in enumerate(lines, 1):
        where = f"{path}:{number}"
        if line.startswith("#T_"):
            layers.append(_layer(line, where))
            continue
        if line.startswith("#Text="):
            if tokens:
                finish()
            if not sentence_lines:
                text_line = number
            sentence_lines.append(_unescape_text(line[len("#Text="):]))
            continue
        if line.startswith("#") or not line.strip():
            continue
        token = _token(line, number, where)
        if token is None:
            left_out["sub-token"] += 1
            continue
        if not sentence_lines:
            raise InputError("a token line before any #Text= line", where=where, fix="check the file")
        tokens.append(token)
    finish()
    if not records:
        raise InputError("no #Text= sentences", where=str(path), fix="export from INCEpTION/WebAnno as WebAnno TSV v3")
    for kind, _, _ in layers:
        if kind in left_out:
            left_out[kind] += 1
    warnings = []
    if any(left_out.values()):
        parts = [plural(count, f"{kind} layer" if kind != "sub-token" else kind) for kind, count in left_out.items()
                 if count]
        warnings.append(f"{path.name}: not imported: {', '.join(parts)} (tagline holds entity spans only)")
    if not any(kind == "span" for kind, _, _ in layers):
        for record in records:
            record.answers = []
    return ReadResult(records, warnings, own_offsets=True)


def _layer(line: str, where: str) -> tuple[str, str, list[str]]:
    """A ``#T_SP=name|feature|...`` header line as (kind, name, features)."""
    kind_code, _, spec = line[3:].partition("=")
    parts = spec.split("|")
    kind = {"SP": "span", "RL": "relation", "CH": "chain"}.get(kind_code)
    if kind is None:
        raise InputError(f"unknown layer kind #T_{kind_code}", where=where, fix="expected #T_SP, #T_RL or #T_CH")
    return kind, parts[0], parts[1:]


def _token(line: str, number: int, where: str) -> tuple[int, str, int, int, str, list[str]] | None:
    """A token line as (line, id, begin, end, text, columns); None for a sub-token, which is left out."""
    fields = line.split("\t")
    if fields and fields[-1] == "":
        fields.pop()
    if len(fields) < 3:
        raise InputError("a token line needs an id, offsets and the token", where=where, fix="check the file")
    ident, offsets, token = fields[:3]
    if "." in ident.split("-")[-1]:
        return None
    begin, _, end = offsets.partition("-")
    if not all(part.isascii() and part.isdigit() and len(part) <= 15 for part in (begin, end)):  # int() of ASCII digits
        raise InputError(f"offsets {offsets!r} are not BEGIN-END", where=where, fix="check the file")
    return number, ident, int(begin), int(end), _unescape(token), fields[3:]


def _unescape(value: str) -> str:
    return _UNESCAPE.sub(lambda m: m.group(1), value)


def _unescape_text(value: str) -> str:
    return value.replace("\\t", "\t").replace("\\\\", "\\")


def _sentence(path: Path, text: str, tokens: list, layers: list, ordinal: int, text_line: int) -> ForeignRecord:
    where = f"{path}:{tokens[0][0] if tokens else text_line}"
    answer = ForeignAnswer("spans", where)
    if not tokens:
        return ForeignRecord(text=text, where=where, key=str(ordinal), answers=[answer])
    first_line, _, first_begin, _, first_text, _ = tokens[0]
    position = text.find(first_text)
    if position < 0:
        raise InputError(f"token {first_text!r} is not in the sentence text", where=f"{path}:{first_line}",
                         fix="check the file")
    base = first_begin - utf16_length(text[:position])  # the sentence's UTF-16 offset in the document
    positions = []
    for line, ident, begin, end, token, _ in tokens:
        here = f"{path}:{line}"
        start, stop = convert_utf16(text, begin - base, end - base, here)
        if text[start:stop] != token:
            raise InputError(f"token {ident} offsets {begin}-{end} cover {text[start:stop]!r}, not {token!r}",
                             where=here, fix="check the file (offsets count UTF-16 code units)")
        positions.append((start, stop))
    column = 0
    open_spans: dict[tuple[int, str], list] = {}
    for kind, _layer_name, features in layers:
        width = max(1, len(features))
        if kind == "span":
            label_index = features.index("value") if "value" in features else 0
            for index, (line, _ident, _, _, _, columns) in enumerate(tokens):
                cell = columns[column + label_index] if column + label_index < len(columns) else "_"
                if cell in ("_", ""):
                    continue
                for entry in _split_stack(cell):
                    match = _ENTRY.match(entry)
                    assert match is not None  # (.*?) under re.S can take the whole entry, so it never fails
                    label, number = match.groups()
                    label = _unescape(label) or NO_VALUE
                    if number is None:
                        answer.spans.append(ForeignSpan(positions[index][0], positions[index][1], label,
                                                        text[positions[index][0]:positions[index][1]],
                                                        f"{path}:{line}"))
                        continue
                    key = (column, number)
                    if key in open_spans:
                        open_spans[key][1] = positions[index][1]
                    else:
                        open_spans[key] = [positions[index][0], positions[index][1], label, f"{path}:{line}"]
        column += width
    for start, stop, label, span_where in open_spans.values():
        answer.spans.append(ForeignSpan(start, stop, label, text[start:stop], span_where))
    seen = set()
    unique = []
    for span in answer.spans:  # identical stacked annotations (ORG[1]|ORG[2] on the same tokens) are one span
        if (span.start, span.end, span.label) not in seen:
            seen.add((span.start, span.end, span.label))
            unique.append(span)
    answer.spans = unique
    return ForeignRecord(text=text, where=where, key=str(ordinal), answers=[answer])


def _split_stack(cell: str) -> list[str]:
    parts, current, escaped = [], [], False
    for char in cell:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts
