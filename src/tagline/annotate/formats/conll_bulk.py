"""CoNLL files read in bulk, when they are plain: the text cut into sentences at blank lines and into
columns by ``str.split`` a block of sentences at a time, the tags decoded and the English text
rebuilt with NumPy over the tokens of a block, rather than a step of Python per token line; the
same records, line numbers and all, as :func:`tagline.annotate.formats.conll.read` gives.

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

BLOCK_SENTENCES = 20_000  # sentences split and decoded at a time: memory does not grow with the file
# A line the general reader may take for a comment (every line it does, and more).
_COMMENT = re.compile(r"^#\s*[A-Za-z_][\w .-]*?\s*=", re.MULTILINE)
# A line the general reader skips as the start of a document, blanked (a blank line ends a sentence too).
_DOCSTART = re.compile(r"^-DOCSTART-(?:[^\S\n][^\n]*)?$", re.MULTILINE)
_SENTENCE = re.compile(r"[^\n]+(?:\n[^\n]+)*")  # lines without a blank one between them
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
        """Every span's record, start, end and label number (int64 arrays)."""
        import numpy as np

        return tuple(np.concatenate([np.zeros(0, np.int64), *(part[column] for part in self._spans)])
                     for column in range(4))


def read_columns(path: Path, options: ReadOptions) -> SpanColumns | None:
    """The records of a plain CoNLL file (see the module's docstring) as columns, or ``None``."""
    if options.columns is not None:
        return None
    columns = SpanColumns(path)
    try:
        text, separator = _plain_text(path)
        reading = _Reading(str(path), options.lang, separator)
        for block in _blocks(text):
            reading.columns(block, len(columns.texts), columns)
    except _NotPlain:
        return None
    return columns if columns.texts else None


def read_plain(path: Path, options: ReadOptions) -> ReadResult | None:
    """The records of a plain CoNLL file (see the module's docstring), or ``None``."""
    if options.columns is not None:
        return None
    try:
        text, separator = _plain_text(path)
        records: list[ForeignRecord] = []
        reading = _Reading(str(path), options.lang, separator)
        for block in _blocks(text):
            records += reading.records(block, len(records))
    except _NotPlain:
        return None
    if not records:
        return None
    return ReadResult(records, own_offsets=True)


def _plain_text(path: Path) -> tuple[str, str]:
    """The file's text with DOCSTART lines blanked, when it is plain UTF-8 of one layout, and what
    separates its columns: tabs where the file has one (a column may then hold spaces), else spaces."""
    from tagline.corpus.readers import read_input

    data = read_input(path)
    if data[:3] == codecs.BOM_UTF8 or data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or \
            b"\x00" in data:
        raise _NotPlain
    separator = "\t" if b"\t" in data else " "
    if separator == " " and b"|" in data:
        raise _NotPlain  # may be a sentence a line, as token|POS|tag (never read so from a line with a tab)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _NotPlain from None
    del data
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # the general reader takes a line's last \r off
        if "\r" in text:
            raise _NotPlain
    if (text.startswith("#") or "\n#" in text) and _COMMENT.search(text):  # a comment starts a line with #
        raise _NotPlain
    if "-DOCSTART-" in text:
        text = _DOCSTART.sub("", text)
    _check_layout(text, separator)
    return text, separator


def _check_layout(text: str, separator: str, block: int = 1 << 24) -> None:
    """:class:`_NotPlain` unless every line that is not blank has as many columns as the first, at least
    two, each one ``separator`` from the next (the separators of each line counted with NumPy, some
    megabytes of lines at a time: the arrays of a whole large file would take gigabytes)."""
    columns, start = 0, 0
    while start < len(text):
        end = text.find("\n", start + block)
        end = len(text) if end < 0 else end + 1
        columns = _layout_columns(text[start:end].encode("utf-8"), separator, columns)
        start = end
    if not columns:
        raise _NotPlain


def _layout_columns(data: bytes, separator: str, columns: int) -> int:
    """The separators of each line of ``data`` (whole lines), when every line that is not blank has
    as many and at least one (as many as ``columns``, unless 0); else :class:`_NotPlain`."""
    import numpy as np

    mark = separator.encode("ascii")
    if data.startswith(mark) or data.endswith(mark) or any(bad in data for bad in (mark * 2, b"\n" + mark,
                                                                                    mark + b"\n")):
        raise _NotPlain  # a separator at either end of a line, or an empty column
    array = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero(array == ord("\n"))
    spaces = np.searchsorted(np.flatnonzero(array == ord(separator)), np.append(breaks, len(data)))
    per_line = np.diff(spaces, prepend=0)  # the spaces of each line
    lengths = np.diff(np.append(breaks, len(data)), prepend=-1) - 1
    written = per_line[lengths > 0]
    if not len(written):
        return columns
    if written[0] < 1 or np.any(written != (columns or written[0])):
        raise _NotPlain
    return int(written[0])


def _blocks(text: str) -> Iterator[list[tuple[int, str]]]:
    """The sentences of ``text`` with the line each starts on, :data:`BLOCK_SENTENCES` at a time."""
    block: list[tuple[int, str]] = []
    line, counted_to = 1, 0
    for match in _SENTENCE.finditer(text):
        line += text.count("\n", counted_to, match.start())
        counted_to = match.start()
        block.append((line, match.group()))
        if len(block) == BLOCK_SENTENCES:
            yield block
            block = []
    if block:
        yield block


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

    def records(self, block: list[tuple[int, str]], before: int) -> list[ForeignRecord]:
        """The records of a block of sentences, the first numbered ``before + 1``."""
        return self._made(block, before, *self._computed(block))

    def columns(self, block: list[tuple[int, str]], before: int, columns: SpanColumns) -> None:
        """The records of a block of sentences (the first numbered ``before + 1``) added to ``columns``;
        those whose text the general reader's rules make (see :meth:`_others`) made as it makes them."""
        import numpy as np

        texts, spans, other, tokens, tags, firsts, lengths = self._computed(block)
        span_sentences, span_starts, span_ends, span_labels = (np.asarray(column, dtype=np.int64) for column in spans)
        plain = ~other[span_sentences]
        found: list[list[int]] = [[], [], [], []]
        for index in np.flatnonzero(other).tolist():
            record = self._made(block[index:index + 1], before + index, [texts[index]], ([], [], [], []),
                                other[index:index + 1], tokens, tags, firsts[index:index + 1],
                                lengths[index:index + 1])[0]
            texts[index] = record.text
            for span in record.answers[0].spans:
                for column, value in zip(found, (index, span.start, span.end, self.label_numbers[span.label])):
                    column.append(value)
        order = np.argsort(np.concatenate([span_sentences[plain], found[0]]).astype(np.int64), kind="stable")
        parts = [np.concatenate([column[plain], np.asarray(more, dtype=np.int64)])[order]
                 for column, more in zip((span_sentences, span_starts, span_ends, span_labels), found)]
        records, starts, ends, labels = parts
        columns.add(texts, [line for line, _ in block], records, starts, ends, labels, self.labels)

    def _computed(self, block: list[tuple[int, str]]) -> tuple[Any, ...]:
        """The texts and spans of a block's sentences made with NumPy, which sentences' text is made
        otherwise, and the tokens and tags they are made from (see :meth:`_made`)."""
        import numpy as np

        lengths = np.array([sentence.count("\n") + 1 for _, sentence in block], dtype=np.int64)
        separator = self.separator
        fields = separator.join(sentence for _, sentence in block).replace("\n", separator).split(separator)
        columns = len(fields) // int(lengths.sum())
        tokens, tags = fields[0::columns], fields[columns - 1::columns]
        del fields
        codes = _numbered(tags, self.tags, self._learn_tags)
        count = len(tokens)
        ends = np.cumsum(lengths)
        first = np.zeros(count, dtype=bool)
        first[ends - lengths] = True
        last = np.zeros(count, dtype=bool)
        last[ends - 1] = True
        kinds = _numbered(tokens, self.kinds, self._learn_tokens)
        sizes = np.fromiter(map(len, tokens), dtype=np.int64, count=count)
        space = ~first & (kinds != _CLOSING)
        widths = sizes + space
        stops = np.cumsum(widths)
        sentence_of = np.repeat(np.arange(len(block)), lengths)
        starts = stops - sizes - (stops - widths)[first][sentence_of]  # each token's offset in its sentence
        # Sentence texts: each token after its separator ("\n" before a sentence's first), split at "\n".
        parts: list[str] = [""] * (2 * count)  # each token after its separator, put in place by two slices
        parts[0::2] = np.array(["", " ", "\n"], dtype=object)[space + 2 * first].tolist()
        parts[1::2] = tokens
        texts = "".join(parts).split("\n")[1:]
        del parts
        other = self._others(kinds, first, ends, lengths)
        spans = self._spans(codes, first, last, starts, sizes, sentence_of)
        return texts, spans, other, tokens, tags, ends - lengths, lengths

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

    def _made(self, block: list[tuple[int, str]], before: int, texts: list[str],
              spans: tuple[list[int], list[int], list[int], list[int]], other: Any, tokens: list[str],
              tags: list[str], firsts: Any, lengths: Any) -> list[ForeignRecord]:
        from tagline.annotate.formats.conll import _Sentence

        span_sentences, span_starts, span_ends, span_labels = spans
        labels = self.labels
        records = []
        at = 0
        for index, ((line, _), text) in enumerate(zip(block, texts)):
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
