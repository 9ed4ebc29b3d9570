"""CoNLL files read in bulk, when they are plain: the bytes cut into sentences at blank lines with
NumPy and into columns by Arrow's CSV reader, some megabytes at a time, each distinct token and tag
looked up once (Arrow's dictionary encoding), the tags decoded and the English text rebuilt with
NumPy over the tokens of a block, rather than a step of Python per token line; the same records,
line numbers and all, as :func:`tagline.annotate.formats.conll.read` gives.

A file is plain when every token line has the same number of columns (at least two) separated by one
tab (in a file with tabs) or one space (and no ``|``, which may make a line a sentence), and it
holds no comment line (``# text = ...``): ``--columns``, a file that
is not UTF-8, a tag that is not one, ... make :func:`read_plain` return ``None``, and the general
reader reads the file and says what is wrong where. A sentence whose tokens need more than a space
between words and none before closing punctuation (brackets, quotes, clitics, Penn Treebank
forms, wide characters, any language but English) has its text made by
:func:`~tagline.annotate.formats.tokens.join_tokens`, as the general reader makes it."""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagline.annotate.formats.common import ForeignAnswer, ForeignRecord, ForeignSpan, ReadOptions, ReadResult
from tagline.annotate.formats.tokens import _NO_SPACE_AFTER, _NO_SPACE_BEFORE, _PTB_FORMS, parse_tag

BLOCK_BYTES = 1 << 20  # bytes of sentences split and decoded at a time: memory does not grow with the file
# A line the general reader may take for a comment (every line it does, and more).
_COMMENT = re.compile(r"^#\s*[A-Za-z_][\w .-]*?\s*=", re.MULTILINE)
# A line the general reader skips as the start of a document, blanked (a blank line ends a sentence too).
_DOCSTART = re.compile(r"^-DOCSTART-(?:[^\S\n][^\n]*)?$", re.MULTILINE)
_WORD, _CLOSING, _OTHER = 0, 1, 2  # what a token is for the spacing of English text
# Words whose spacing the general reader decides otherwise: the second halves of split words (can not).
_SECOND_HALVES = frozenset({"not", "na", "ta"})


class _NotPlain(Exception):
    """The file is left to the general reader."""


@dataclass
class SpanColumns:
    """A plain file's records as columns, with no object per record or span: each one's text and the
    line it starts on (its key is its number, from 1), and every span in order of record and offset
    (its record's index, its offsets in the text and its label's number in ``labels``)."""

    path: Path
    texts: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    _spans: list[tuple[Any, Any, Any, Any]] = field(default_factory=list)

    def add(self, texts: list[str], lines: list[int], span_records: Any, starts: Any, ends: Any, labels: Any,
            names: list[str]) -> None:
        self._spans.append((span_records + len(self.texts), starts, ends, labels))
        self.texts += texts
        self.lines += lines
        self.labels = names

    def spans(self) -> tuple[Any, Any, Any, Any]:
        """Every span's record, start, end and label number (int64 arrays); the blocks' arrays are
        let go once joined (a million sentences' spans take some hundred megabytes)."""
        import numpy as np

        if len(self._spans) != 1:
            self._spans = [tuple(np.concatenate([np.zeros(0, np.int64), *(part[column] for part in self._spans)])
                                 for column in range(4))]
        records, starts, ends, labels = self._spans[0]
        return records, starts, ends, labels


def read_columns(path: Path, options: ReadOptions) -> SpanColumns | None:
    """The records of a plain CoNLL file (see the module's docstring) as columns, or ``None``."""
    if options.columns is not None:
        return None
    try:
        data, separator = _plain_bytes(path)
    except _NotPlain:
        return None
    columns = read_part(path, options, data, separator)
    return columns if columns is not None and columns.texts else None


def read_part(path: Path, options: ReadOptions, data: bytes, separator: str, start: int = 0, stop: int | None = None,
              line: int = 1, columns: int = 0) -> SpanColumns | None:
    """The records of ``data[start:stop]`` (the file's plain bytes, see :func:`plain_bytes`; whole
    sentences, the first line numbered ``line``, each token line of ``columns`` columns if given) as
    columns (none, if they hold no record), or ``None`` when they are not plain."""
    found = SpanColumns(path)
    try:
        reading = _Reading(str(path), options.lang, separator)
        for block in _blocks(data, separator, start, len(data) if stop is None else stop, line, columns):
            reading.columns(block, len(found.texts), found)
    except _NotPlain:
        return None
    return found


def plain_bytes(path: Path) -> tuple[bytes, str] | None:
    """The file's bytes and separator (see :func:`_plain_bytes`), or ``None`` when it is not plain."""
    try:
        return _plain_bytes(path)
    except _NotPlain:
        return None


def read_plain(path: Path, options: ReadOptions) -> ReadResult | None:
    """The records of a plain CoNLL file (see the module's docstring), or ``None``."""
    if options.columns is not None:
        return None
    try:
        data, separator = _plain_bytes(path)
        records: list[ForeignRecord] = []
        reading = _Reading(str(path), options.lang, separator)
        for block in _blocks(data, separator):
            records += reading.records(block, len(records))
    except _NotPlain:
        return None
    if not records:
        return None
    return ReadResult(records, own_offsets=True)


def _plain_bytes(path: Path) -> tuple[bytes, str]:
    """The file's bytes with DOCSTART lines blanked and CRLF made LF, when it is plain UTF-8, and what
    separates its columns: tabs where the file has one (a column may then hold spaces), else spaces.
    Whether every line has the columns of the others is seen as each block is split."""
    from tagline.corpus.readers import read_input

    data = read_input(path)
    if data[:3] == codecs.BOM_UTF8 or data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or \
            b"\x00" in data:
        raise _NotPlain
    separator = "\t" if b"\t" in data else " "
    if separator == " " and b"|" in data:
        raise _NotPlain  # may be a sentence a line, as token|POS|tag (never read so from a line with a tab)
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")  # the general reader takes a line's last \r off
        if b"\r" in data:
            raise _NotPlain
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _NotPlain from None
    if (text.startswith("#") or "\n#" in text) and _COMMENT.search(text):  # a comment starts a line with #
        raise _NotPlain
    if "-DOCSTART-" in text:  # blanked on the text: white space after the mark is Unicode's, as the reader's
        data = _DOCSTART.sub("", text).encode("utf-8")
    del text
    return data, separator


@dataclass
class _Column:
    """A column of a block's token lines, dictionary encoded: each line's value's number in ``values``."""

    numbers: Any
    values: list[str]

    def __getitem__(self, lines: slice) -> list[str]:
        return list(map(self.values.__getitem__, self.numbers[lines].tolist()))


@dataclass
class _Block:
    """Whole sentences of a file: the line each starts on, its number of tokens, the first and last
    column of every token line, and the bytes of the tokens one after the other with each one's size."""

    lines: list[int]
    lengths: Any
    tokens: _Column
    tags: _Column
    token_bytes: Any
    sizes: Any


def _blocks(data: bytes, separator: str, start: int = 0, stop: int | None = None, line: int = 1,
            columns: int = 0) -> Iterator[_Block]:
    """The sentences of ``data[start:stop]`` (whole ones, the first line numbered ``line``), some
    :data:`BLOCK_BYTES` at a time (cut at a blank line), each block's lines split into columns in one
    call (Arrow's CSV reader); :class:`_NotPlain` where a line has not the columns of the first (at
    least two), or not ``columns`` if given."""
    stop = len(data) if stop is None else stop
    while start < stop:
        cut = data.find(b"\n\n", start + BLOCK_BYTES, stop)
        end = stop if cut < 0 else cut + 1
        block = data[start:end]
        breaks = block.count(b"\n")
        if breaks < len(block):  # a line not blank; Arrow takes its first's columns for the block's
            found = block.lstrip(b"\n").split(b"\n", 1)[0].count(separator.encode("ascii")) + 1
            if found != (columns or found):
                raise _NotPlain
            columns = found
            yield _block(block, line, separator, columns)
        line += breaks
        start = end


def _block(data: bytes, line: int, separator: str, columns: int) -> _Block:
    """The sentences of ``data`` (whole ones, the first line numbered ``line``), each line split into
    ``columns`` columns; :class:`_NotPlain` unless each has as many, and at least two."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as csv

    if columns < 2:
        raise _NotPlain
    array = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero(array == ord("\n"))
    line_starts = np.concatenate(([0], breaks + 1))
    written = np.flatnonzero(np.append(breaks, len(data)) > line_starts)  # lines not blank
    separators = np.flatnonzero(array == ord(separator))
    if len(separators) != len(written) * (columns - 1):
        raise _NotPlain
    after = np.append(array, ord("\n"))[separators + 1]
    before = np.concatenate(([ord("\n")], array))[separators]
    if np.any((after == ord("\n")) | (after == ord(separator)) | (before == ord("\n"))):
        raise _NotPlain  # a separator at either end of a line, or an empty column
    names = [f"f{column}" for column in range(columns)]
    encoded = pa.dictionary(pa.int32(), pa.string())  # Arrow numbers each distinct value as it reads
    read = csv.ReadOptions(autogenerate_column_names=True, use_threads=False, block_size=len(data) + 1)
    parse = csv.ParseOptions(delimiter=separator, quote_char=False, escape_char=False, ignore_empty_lines=True)
    convert = csv.ConvertOptions(column_types=dict.fromkeys(names, encoded), include_columns=[names[0], names[-1]],
                                 strings_can_be_null=False)
    try:  # the system's allocator, which gives a block's memory back when it is done with
        table = csv.read_csv(pa.BufferReader(data), read_options=read, parse_options=parse, convert_options=convert,
                             memory_pool=pa.system_memory_pool())
    except pa.ArrowInvalid:
        raise _NotPlain from None
    if table.num_rows != len(written) or any(column.num_chunks != 1 for column in table.columns):
        raise _NotPlain
    starts = np.ones(len(written), dtype=bool)  # whether a token line starts a sentence
    starts[1:] = written[1:] != written[:-1] + 1
    firsts = np.flatnonzero(starts)
    # A token is its line up to the first separator: the tokens' bytes picked out of the block.
    token_starts, token_ends = line_starts[written], separators[::columns - 1]
    inside = np.zeros(len(data) + 1, dtype=np.int8)
    inside[token_starts] = 1
    inside[token_ends] -= 1
    tokens, tags = (_column(column.chunks[0]) for column in table.columns)
    return _Block((written[firsts] + line).tolist(), np.diff(np.append(firsts, len(written))), tokens, tags,
                  array[np.cumsum(inside[:-1], dtype=np.int8).astype(bool)], token_ends - token_starts)


def _column(values: Any) -> _Column:
    """A dictionary encoded Arrow array's numbers (int64) and distinct values."""
    import numpy as np

    indices = values.indices
    numbers = np.frombuffer(indices.buffers()[1], dtype=np.int32)[indices.offset:indices.offset + len(indices)]
    return _Column(numbers.astype(np.int64), values.dictionary.to_pylist())


class _Reading:
    """What the reading of a file keeps from block to block: each token's and each tag's kind, once."""

    def __init__(self, path: str, lang: str | None, separator: str = " ") -> None:
        self.path = path
        self.separator = separator
        self.lang = lang
        self.english = lang == "en"
        self.kinds: dict[str, int] = {}
        self.tags: dict[str, int] = {"O": 0}  # a tag's number in the lists below
        self.parsed: list[tuple[str, str] | None] = [None]
        self.labels: list[str] = [""]
        self.label_numbers: dict[str, int] = {}
        self.tag_label = [-1]  # the label's number, -1 for O
        self.tag_begins = [False]  # B, S, U: a span begins here
        self.tag_ends = [False]  # E, L, S, U: a span ends here

    def records(self, block: _Block, before: int) -> list[ForeignRecord]:
        """The records of a block of sentences, the first numbered ``before + 1``."""
        texts, spans, other, firsts, lengths = self._computed(block)
        everything = slice(None)
        return self._made(block.lines, before, texts, spans, other, block.tokens[everything], block.tags[everything],
                          firsts, lengths)

    def columns(self, block: _Block, before: int, columns: SpanColumns) -> None:
        """The records of a block of sentences (the first numbered ``before + 1``) added to ``columns``;
        those whose text the general reader's rules make (see :meth:`_others`) made as it makes them."""
        import numpy as np

        texts, spans, other, firsts, lengths = self._computed(block)
        span_sentences, span_starts, span_ends, span_labels = (np.asarray(column, dtype=np.int64) for column in spans)
        plain = ~other[span_sentences]
        found: list[list[int]] = [[], [], [], []]
        for index in np.flatnonzero(other).tolist():
            low, count = int(firsts[index]), int(lengths[index])
            record = self._made(block.lines[index:index + 1], before + index, [texts[index]], ([], [], [], []),
                                other[index:index + 1], block.tokens[low:low + count],
                                block.tags[low:low + count], firsts[index:index + 1] - low,
                                lengths[index:index + 1])[0]
            texts[index] = record.text
            for span in record.answers[0].spans:
                for column, value in zip(found, (index, span.start, span.end, self.label_numbers[span.label])):
                    column.append(value)
        order = np.argsort(np.concatenate([span_sentences[plain], found[0]]).astype(np.int64), kind="stable")
        parts = [np.concatenate([column[plain], np.asarray(more, dtype=np.int64)])[order]
                 for column, more in zip((span_sentences, span_starts, span_ends, span_labels), found)]
        records, starts, ends, labels = parts
        columns.add(texts, block.lines, records, starts, ends, labels, self.labels)

    def _computed(self, block: _Block) -> tuple[Any, ...]:
        """The texts and spans of a block's sentences made with NumPy, which sentences' text is made
        otherwise (see :meth:`_made`), and each sentence's first token and number of tokens. A token's
        offsets are counted in bytes: where they are not characters, the sentence is made otherwise."""
        import numpy as np

        lengths = np.asarray(block.lengths, dtype=np.int64)
        codes = _numbered(block.tags.values, self.tags, self._learn_tags)[block.tags.numbers]
        kinds = _numbered(block.tokens.values, self.kinds, self._learn_tokens)[block.tokens.numbers]
        count = len(kinds)
        ends = np.cumsum(lengths)
        first = np.zeros(count, dtype=bool)
        first[ends - lengths] = True
        last = np.zeros(count, dtype=bool)
        last[ends - 1] = True
        sizes = block.sizes
        space = ~first & (kinds != _CLOSING)
        widths = sizes + space
        stops = np.cumsum(widths)
        sentence_of = np.repeat(np.arange(len(lengths)), lengths)
        starts = stops - sizes - (stops - widths)[first][sentence_of]  # each token's offset in its sentence
        texts = _joined(block.token_bytes, sizes, first, space).split("\n")[1:]
        other = self._others(kinds, first, ends, lengths)
        spans = self._spans(codes, first, last, starts, sizes, sentence_of)
        return texts, spans, other, ends - lengths, lengths

    def _learn_tokens(self, new: set[str]) -> None:
        """The kind of each token not seen before."""
        words = [token for token in new if token.isalnum() and token.isascii()]  # the usual word, told at once
        self.kinds.update(dict.fromkeys(words, _WORD))
        for token in new.difference(words).union(word for word in words if len(word) < 4 and
                                                 word.lower() in _SECOND_HALVES):
            self.kinds[token] = _kind(token)

    def _learn_tags(self, new: set[str]) -> None:
        """The parts of each tag not seen before; :class:`_NotPlain` for a tag that is not one (the
        general reader says so)."""
        for tag in new:
            try:
                parsed = parse_tag(tag)
            except ValueError:
                raise _NotPlain from None
            assert parsed is not None  # only O is None, and O is known
            prefix, label = parsed
            self.tags[tag] = len(self.parsed)
            self.parsed.append(parsed)
            self.tag_label.append(self.label_numbers.setdefault(label, len(self.labels)))
            if self.tag_label[-1] == len(self.labels):
                self.labels.append(label)
            self.tag_begins.append(prefix in "BSU")
            self.tag_ends.append(prefix in "ELSU")

    def _others(self, kinds: Any, first: Any, ends: Any, lengths: Any) -> Any:
        """Whether each sentence's text is made the general reader's way."""
        import numpy as np

        if not self.english:
            return np.ones(len(lengths), dtype=bool)
        return np.add.reduceat((kinds == _OTHER).astype(np.int64), ends - lengths) > 0

    def _spans(self, codes: Any, first: Any, last: Any, starts: Any, sizes: Any,
               sentence_of: Any) -> tuple[list[int], list[int], list[int], list[int]]:
        """Every span of the block as :func:`~tagline.annotate.formats.tokens.decode_tags` reads the
        tags (a span begins at B, S or U, at a first token, after O or a span's end, or where the
        label changes; it ends at E, L, S or U, at a sentence's last token, or before the next span or
        O): each one's sentence, start and end offsets and label number."""
        import numpy as np

        count = len(codes)
        label = np.array(self.tag_label)[codes]
        begins, closes = np.array(self.tag_begins)[codes], np.array(self.tag_ends)[codes]
        inside = label >= 0
        open_before = np.zeros(count, dtype=bool)
        open_before[1:] = inside[:-1] & ~closes[:-1] & (label[1:] == label[:-1])
        start = inside & (begins | first | ~open_before)
        after = np.ones(count, dtype=bool)  # whether the next token cannot go on with a span
        after[:-1] = start[1:] | ~inside[1:]
        end = inside & (closes | last | after)
        first_tokens, last_tokens = np.flatnonzero(start), np.flatnonzero(end)
        assert len(first_tokens) == len(last_tokens)  # every token inside a span is in one, which ends once
        return (sentence_of[first_tokens].tolist(), starts[first_tokens].tolist(),
                (starts[last_tokens] + sizes[last_tokens]).tolist(), label[first_tokens].tolist())

    def _made(self, lines: list[int], before: int, texts: list[str],
              spans: tuple[list[int], list[int], list[int], list[int]], other: Any, tokens: list[str],
              tags: list[str], firsts: Any, lengths: Any) -> list[ForeignRecord]:
        from tagline.annotate.formats.conll import _Sentence

        span_sentences, span_starts, span_ends, span_labels = spans
        labels = self.labels
        records = []
        at = 0
        for index, (line, text) in enumerate(zip(lines, texts)):
            where = f"{self.path}:{line}"
            taken = at
            while at < len(span_sentences) and span_sentences[at] == index:
                at += 1
            if other[index]:
                sentence = _Sentence()
                low, high = int(firsts[index]), int(firsts[index] + lengths[index])
                sentence.tokens = tokens[low:high]
                sentence.tags = [self.parsed[self.tags[tag]] for tag in tags[low:high]]
                sentence.lines = [line]
                records.append(sentence.record(Path(self.path), before + index + 1, self.lang))
                continue
            found = [ForeignSpan(start, end, labels[label], text[start:end]) for start, end, label in
                     zip(span_starts[taken:at], span_ends[taken:at], span_labels[taken:at])]
            records.append(ForeignRecord(text=text, where=where, key=str(before + index + 1),
                                         answers=[ForeignAnswer("spans", where, spans=found)]))
        return records


def _numbered(values: list[str], numbers: dict[str, int], learn: Callable[[set[str]], None]) -> Any:
    """Each value's number in ``numbers`` (an int64 array), those not there first learnt (``learn``
    given the new values): one look-up each, and no set of them all."""
    import numpy as np

    found = np.fromiter(map(numbers.get, values, itertools.repeat(-1)), dtype=np.int64, count=len(values))
    missing = np.flatnonzero(found < 0).tolist()
    if missing:
        learn({values[index] for index in missing})
        found[missing] = [numbers[values[index]] for index in missing]
    return found


def _joined(token_bytes: Any, sizes: Any, first: Any, space: Any) -> str:
    """The tokens (their bytes one after the other and each one's size) with a line feed before each
    sentence's first and a space before each of ``space``: the bytes put in with NumPy in one call."""
    import numpy as np

    before = first | space
    marks = np.where(first[before], ord("\n"), ord(" ")).astype(np.uint8)
    return np.insert(token_bytes, (np.cumsum(sizes) - sizes)[before], marks).tobytes().decode("utf-8")


def _kind(token: str) -> int:
    """Whether an English token is a word spaced from its neighbours, closing punctuation (no space
    before it), or another (its sentence is joined by the general reader's rules)."""
    if token.isalnum() and token.isascii():
        return _OTHER if token.lower() in _SECOND_HALVES else _WORD  # the usual word, told at once
    if token in _NO_SPACE_BEFORE and token.isascii() and token not in _PTB_FORMS:
        return _CLOSING
    if not token.isascii() or token in _NO_SPACE_AFTER or token in _PTB_FORMS or \
            any(mark in token for mark in "'\"`") or token.lower() in _SECOND_HALVES:
        return _OTHER
    return _WORD
