"""spaCy: v2 JSON training files (paragraphs of token sentences with BILUO/IOB ``ner`` tags,
optional ``raw`` text and ``cats``), JSON Lines (``text`` with ``cats``, ``entities`` or ``spans``)
and, when spaCy itself is installed, binary ``.spacy`` DocBin files. Writes v2 JSON, which
``python -m spacy convert`` turns into a DocBin."""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterator
from json.encoder import encode_basestring
from pathlib import Path
from typing import BinaryIO

from tagline.annotate.formats import common, jsontext
from tagline.annotate.formats.common import (
    ExportData,
    ExportResult,
    ForeignAnswer,
    ForeignRecord,
    ForeignSpan,
    ReadOptions,
    ReadResult,
    expect_offset,
    json_records,
    json_type,
    plural,
    read_text,
)
from tagline.annotate.formats.parts import made_in_order
from tagline.annotate.formats.spacy_tokens import (
    MISSING,
    TOKEN,
    usual_tokens,
)
from tagline.annotate.formats.tokens import (
    align_tokens,
    decode_tags,
    encode_tags,
    join_tokens,
    parse_tag,
    spaced_words,
    spans_for_export,
    token_spans,
)
from tagline.errors import InputError


def read(path: Path, options: ReadOptions) -> ReadResult:
    if path.suffix.lower() == ".spacy":
        return _read_docbin(path)
    text = read_text(path)
    if text.lstrip().startswith("[") and path.suffix.lower() == ".json":
        values = list(json_records(path, text))
        if values and isinstance(values[0][1], dict) and "paragraphs" in values[0][1]:
            return _read_v2(path, values, options.lang)
    records = []
    for number, (where, value) in enumerate(json_records(path, text), 1):
        if not isinstance(value, dict):
            raise InputError(f"a record is a JSON {json_type(value)}, not an object", where=where,
                             fix="spaCy JSON Lines records are {\"text\": ..., \"cats\": {...}} or with \"entities\"")
        if "paragraphs" in value:
            return _read_v2(path, list(json_records(path, text)), options.lang)
        body = value.get(options.text_field or "text")
        if not isinstance(body, str) or not body.strip():
            raise InputError("record has no non-empty `text` field", where=where, fix="give every record its text")
        answers = []
        if "cats" in value:
            answer = _cats(value["cats"], where)
            if answer:
                answers.append(answer)
        key = "entities" if "entities" in value else "spans"
        spans = value.get(key)
        if spans is not None:
            answers.append(ForeignAnswer("spans", where, spans=_spans(spans, where, key)))
        meta = value.get("meta")
        if not isinstance(meta, dict):
            meta = {}
        key = meta.get("id", number)
        records.append(ForeignRecord(text=body, where=where, key=str(key), answers=answers,
                                     meta={k: v for k, v in meta.items() if isinstance(v, (str, int, float))}))
    return ReadResult(records)


def _cats(cats: object, where: str) -> ForeignAnswer | None:
    if isinstance(cats, list):  # v2 JSON: [{"label": ..., "value": ...}]
        try:
            cats = {item["label"]: item["value"] for item in cats}
        except (TypeError, KeyError):
            raise InputError("`cats` is neither {label: score} nor [{label, value}]", where=where,
                             fix="fix the record") from None
    if not isinstance(cats, dict):
        raise InputError("`cats` is not {label: score}", where=where, fix="fix the record")
    for label, score in cats.items():
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            shown = json.dumps(score, ensure_ascii=False)[:40]
            raise InputError(f"`cats` gives {label!r} the score {shown}, not a number", where=where,
                             fix="scores are numbers: 1.0 for the category, 0.0 for the others")
    positive = [label for label, score in cats.items() if score >= 0.5]
    if len(positive) > 1:
        raise InputError(f"several categories hold ({', '.join(positive)}): tagline holds one label per sentence "
                         "and task", where=where,
                         fix="keep one positive category (multi-label data cannot be imported)")
    return ForeignAnswer("label", where, label=str(positive[0])) if positive else None


def _spans(spans: object, where: str, key: str = "entities") -> list[ForeignSpan]:
    if not isinstance(spans, list):
        hint = " (span groups, {name: [...]}, are not read: give one list of [start, end, label])" \
            if isinstance(spans, dict) else ""
        raise InputError(f"`{key}` is a JSON {json_type(spans)}, not a list{hint}", where=where,
                         fix="write [[start, end, label], ...]")
    found = []
    for item in spans:
        if isinstance(item, (list, tuple)) and len(item) == 3:
            start, end, label = item
            covered = None
        elif isinstance(item, dict) and {"start", "end", "label"} <= item.keys():
            start, end, label, covered = item["start"], item["end"], item["label"], item.get("text")
        else:
            raise InputError(f"entity {item!r} is neither [start, end, label] nor {{start, end, label}}",
                             where=where, fix="fix the record")
        if not isinstance(label, str) or not label:
            raise InputError(f"entity {item!r} has no label name", where=where, fix="fix the record")
        found.append(ForeignSpan(expect_offset(start, where, "start"), expect_offset(end, where, "end"), label,
                                 covered if isinstance(covered, str) else None))
    return found


def _read_v2(path: Path, values: list[tuple[str, object]], lang: str | None) -> ReadResult:
    records: list[ForeignRecord] = []
    for where, document in values:
        if not isinstance(document, dict) or not isinstance(document.get("paragraphs"), list):
            raise InputError("a spaCy v2 JSON document needs `paragraphs`", where=where, fix="fix the file")
        doc_key = document.get("id", len(records))
        for index, paragraph in enumerate(document["paragraphs"], 1):
            here = f"{where} (document {doc_key}, paragraph {index})"
            if not isinstance(paragraph, dict):
                raise InputError(f"paragraph {index} is not a JSON object", where=here,
                                 fix="each paragraph is {\"raw\": ..., \"sentences\": [{\"tokens\": [...]}]}")
            tokens, tags, spaces = _tokens(paragraph, here)
            raw = paragraph.get("raw")
            if isinstance(raw, str) and raw.strip():
                text = raw
                offsets = align_tokens(raw, tokens, here) if tokens else []
            elif tokens:
                text, offsets = join_tokens(tokens, lang, spaces)
            else:
                continue
            answers = []
            present = [tag for tag in tags if tag is not None and tag != MISSING]
            if present and len(present) != len(tags):
                raise InputError("some tokens have NER tags and some are missing ('-'): tagline needs every "
                                 "token's tag or none", where=here, fix="tag every token (O for none)")
            if present:
                parsed = []
                for tag in present:  # every tag, as the check above leaves none out
                    try:
                        parsed.append(parse_tag(tag))
                    except ValueError:
                        raise InputError(f"tag {tag!r} is not a BILUO/IOB tag", where=here,
                                         fix="tags are O, or B-/I-/L-/U- followed by the label") from None
                spans = [ForeignSpan(offsets[a][0], offsets[b - 1][1], label, text[offsets[a][0]:offsets[b - 1][1]])
                         for a, b, label in decode_tags(parsed)]
                answers.append(ForeignAnswer("spans", here, spans=spans))
            if paragraph.get("cats"):
                answer = _cats(paragraph["cats"], here)
                if answer:
                    answers.append(answer)
            sentence_id = paragraph.get("tagline_sentence_id")
            records.append(ForeignRecord(text=text, where=here, key=f"{doc_key}-p{index}", answers=answers,
                                         sentence_id=sentence_id if isinstance(sentence_id, str) else None))
    if not records:
        raise InputError("no paragraphs with text", where=str(path), fix="check the file")
    return ReadResult(records, own_offsets=True)


def _tokens(paragraph: dict, where: str) -> tuple[list[str], list[str | None], list[bool] | None]:
    """A paragraph's words, their ``ner`` tags, and whether a space follows each (where every word
    says, as spaCy's ``docs_to_json`` writes ``space``)."""
    tokens, tags, spaces = [], [], []
    for sentence in _list_of_objects(paragraph.get("sentences"), "sentences", where):
        for token in _list_of_objects(sentence.get("tokens"), "tokens", where):
            orth = token.get("orth")
            if not isinstance(orth, str) or not orth:
                raise InputError(f"token {token!r} has no `orth`", where=where, fix="fix the file")
            tag = token.get("ner")
            if tag is not None and not isinstance(tag, str):
                raise InputError(f"token {orth!r} has `ner` {tag!r}, not a tag", where=where,
                                 fix="tags are O, or B-/I-/L-/U- followed by the label")
            tokens.append(orth)
            tags.append(tag)
            space = token.get("space")
            spaces.append(space if isinstance(space, str) else None)
    known = None if None in spaces else [bool(space) for space in spaces]
    return tokens, tags, known


def _list_of_objects(value: object, key: str, where: str) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InputError(f"`{key}` is not a list of JSON objects", where=where, fix="fix the file")
    return value


def _read_docbin(path: Path) -> ReadResult:
    """The docs of a DocBin, read by spaCy: their text, entities (where the doc's tokens carry NER
    annotation) and ``cats``."""
    try:
        import spacy
        from spacy.tokens import DocBin
    except ImportError:
        raise InputError(
            "a spaCy DocBin (.spacy) is a binary file that only spaCy can read, and spaCy is not installed "
            "(tagline does not depend on it)", where=str(path),
            fix="install spaCy, or in an environment that has it write the docs as JSON Lines "
                "({\"text\", \"entities\": [[start, end, label]], \"cats\"}) and import that with --format spacy",
        ) from None
    try:
        # The docs need a vocabulary, not a language's tokenizer: the DocBin holds the tokens.
        docs = list(DocBin().from_disk(path).get_docs(spacy.blank("xx").vocab))
    except Exception as error:  # spaCy raises several types for a damaged file
        raise InputError(f"spaCy cannot read this DocBin: {error}", where=str(path), fix="check the file") from None
    records = []
    for index, doc in enumerate(docs, 1):
        where = f"{path} doc {index}"
        answers = []
        missing = sum(1 for token in doc if not token.ent_iob_)  # "" is spaCy's "not annotated"
        if missing and missing != len(doc):
            raise InputError(f"{plural(missing, 'token')} of {len(doc)} have no NER annotation: tagline needs every "
                             "token's or none", where=where, fix="annotate every token (O for none)")
        if len(doc) and not missing:
            answers.append(ForeignAnswer("spans", where, spans=[ForeignSpan(e.start_char, e.end_char, e.label_, e.text)
                                                                 for e in doc.ents]))
        if doc.cats:
            answer = _cats(dict(doc.cats), where)
            if answer:
                answers.append(answer)
        records.append(ForeignRecord(text=doc.text, where=where, key=str(index), answers=answers))
    # A DocBin keeps its strings as UTF-8, and the records are not decoded from the file as text.
    return ReadResult(records, encoding="utf-8", own_offsets=True)


class _Apart(Exception):
    """A document's sentences are not all together in ``sentences.jsonl``."""


def write(data: ExportData, out: BinaryIO) -> ExportResult:
    """spaCy v2 JSON, as spaCy's ``docs_to_json`` writes it: one document per tagline document, one
    paragraph per sentence with ``raw`` (the sentence text), its words with ``space`` and BILUO
    ``ner`` tags (``-`` where entities were not annotated) and the claim type as exclusive ``cats``;
    ``tagline_sentence_id`` (ignored by spaCy) lets the file come back onto the same sentences.

    Each document is written once its last sentence is read; should a document's sentences be
    apart in ``sentences.jsonl`` (edited by hand), the file is written again from the start with
    the documents gathered in memory."""
    tasks = data.tasks_present()
    warnings = []
    if "stance" in tasks:
        warnings.append("spaCy training data has no stance targets: stance answers are not exported")
    if data.annotator:
        warnings.append(f"spaCy files do not name annotators: import with --annotator {data.annotator}")
    start = out.tell()
    try:
        records, counts = _write_documents(data, out, _documents_in_turn(data))
    except _Apart:
        out.seek(start)
        out.truncate()
        records, counts = _write_documents(data, out, _documents_gathered(data))
    if counts["overlapping"]:
        warnings.append(f"spaCy entities cannot overlap: {plural(counts['overlapping'], 'overlapping span')} left out")
    if counts["untrimmed"]:
        warnings.append(f"{plural(counts['untrimmed'], 'span')} starting or ending with white space cannot be tagged "
                        f"on tokens and {'was' if counts['untrimmed'] == 1 else 'were'} left out")
    return ExportResult(warnings=warnings, records=records)


def _write_documents(data: ExportData, out: BinaryIO,
                     documents: Iterator[list[dict]]) -> tuple[int, Counter[str]]:
    """Write the documents (each the list of its sentences) as ``json.dumps(documents, indent=1)``
    does, a part at a time (:func:`_parts`, made by :func:`~tagline.annotate.formats.parts.made_in_order`);
    the number of sentences, and of the spans left out (``overlapping``, ``untrimmed``)."""
    claim_labels = data.config.labels("claim_type") if "claim_type" in data.config.tasks else []
    make = functools.partial(_part_text, data, claim_labels)
    counts: Counter[str] = Counter()
    for text, part_counts in made_in_order(make, _parts(documents), len(data.answers)):
        out.write(text)
        counts.update(part_counts)
    out.write(b"\n]\n" if counts["documents"] else b"[]\n")
    return counts["sentences"], counts


def _parts(documents: Iterator[list[dict]]) -> Iterator[tuple[int, list[list[dict]]]]:
    """The documents in parts of whole documents, each of :data:`~common.CHUNK` sentences or more (the
    last may have fewer), each with the number of the documents before it."""
    part: list[list[dict]] = []
    before = pending = 0
    for document in documents:
        part.append(document)
        pending += len(document)
        if pending >= common.CHUNK:
            yield before, part
            before += len(part)
            part, pending = [], 0
    if part:
        yield before, part


def _part_text(data: ExportData, claim_labels: list[str],
               part: tuple[int, list[list[dict]]]) -> tuple[bytes, Counter[str]]:
    """A part's documents, numbered from the number of those before it, as the file holds them
    (UTF-8), and how many ``documents`` and ``sentences`` it holds and spans it left out
    (``overlapping``, ``untrimmed``). The part's pieces are
    joined once: the tokens (most of the file) are not copied again into their paragraph's text,
    then their document's, then the part's."""
    written, documents = part
    data.prefetch(sentence for sentences_of_document in documents for sentence in sentences_of_document)
    counts: Counter[str] = Counter()
    pieces: list[str] = []
    for sentences_of_document in documents:
        pieces += (",\n" if written else "[\n", _DOCUMENT_HEAD, str(written), _DOCUMENT_MIDDLE)
        if sentences_of_document:
            pieces.append("[\n")
            for number, sentence in enumerate(sentences_of_document):
                if number:
                    pieces.append(",\n")
                pieces += _paragraph(data, sentence, claim_labels, counts)
            pieces.append("\n  ]")  # jsontext.indented_array(paragraphs, 2), its items not copied
        else:
            pieces.append("[]")
        pieces.append(_DOCUMENT_TAIL)
        written += 1
        counts["sentences"] += len(sentences_of_document)
    counts["documents"] = len(documents)
    return "".join(pieces).encode("utf-8"), counts


def _documents_in_turn(data: ExportData) -> Iterator[list[dict]]:
    """The sentences of each document once they are read, when they are all together (else :class:`_Apart`)."""
    done: set[str] = set()
    sentences: list[dict] | None = None
    doc_id = None
    for sentence in data.sentences:
        if sentence["doc_id"] != doc_id:
            if sentences is not None:
                done.add(doc_id)  # type: ignore[arg-type]
                yield sentences
            doc_id = sentence["doc_id"]
            if doc_id in done:
                raise _Apart(doc_id)
            sentences = []
        assert sentences is not None
        sentences.append(sentence)
    if sentences is not None:
        yield sentences


def _documents_gathered(data: ExportData) -> Iterator[list[dict]]:
    """The sentences of every document, gathered wherever they are, in the order documents first appear."""
    documents: dict[str, list[dict]] = {}
    for sentence in data.sentences:
        documents.setdefault(sentence["doc_id"], []).append(sentence)
    yield from documents.values()


# The parts of the file as json.dumps(documents, ensure_ascii=False, indent=1) writes them, each at its
# depth (jsontext.template): a document, a paragraph (with and without cats), a token and a category.
# Most of the file is tokens: made from these rather than as dicts encoded and indented.
_SLOT = jsontext.SLOT
_DOCUMENT = jsontext.template({"id": _SLOT, "paragraphs": _SLOT}, 1)
_DOCUMENT_HEAD, _DOCUMENT_MIDDLE, _DOCUMENT_TAIL = _DOCUMENT.split("%s")  # around the id and the paragraphs
_PARAGRAPH = jsontext.template({"raw": _SLOT, "tagline_sentence_id": _SLOT, "sentences": [{"tokens": _SLOT}]}, 3)
_PARAGRAPH_CATS = jsontext.template({"raw": _SLOT, "tagline_sentence_id": _SLOT, "sentences": [{"tokens": _SLOT}],
                                     "cats": _SLOT}, 3)
# Each in two: up to the tokens (its slots the text and the sentence id), and after them (the cats).
_PARAGRAPH_HEAD, _PARAGRAPH_TAIL = ("%s".join(_PARAGRAPH.split("%s")[:3]), "%s".join(_PARAGRAPH.split("%s")[3:]))
_PARAGRAPH_CATS_HEAD, _PARAGRAPH_CATS_TAIL = ("%s".join(_PARAGRAPH_CATS.split("%s")[:3]),
                                              "%s".join(_PARAGRAPH_CATS.split("%s")[3:]))
_CATEGORY = jsontext.template({"label": _SLOT, "value": _SLOT}, 5)


def _paragraph(data: ExportData, sentence: dict, claim_labels: list[str], counts: Counter[str]) -> tuple[str, ...]:
    """One sentence as a paragraph's JSON, in pieces (before the tokens, the tokens, after them): its
    text, its words with their tags, its claim type as ``cats``."""
    current = data.answers.get(sentence["id"], {})
    text = sentence["text"]
    entities = current.get(("entities", None))
    lang = sentence.get("lang", "en")
    tokens = usual_tokens(text, lang, entities["spans"] if entities else None)
    if tokens is None:  # any other sentence: its spans, some perhaps left out, and its words
        tokens = _tokens_the_long_way(text, lang, entities, counts)
    claim = current.get(("claim_type", None))
    if claim is None:
        return _PARAGRAPH_HEAD % (encode_basestring(text), encode_basestring(sentence["id"])), tokens, _PARAGRAPH_TAIL
    categories = [_CATEGORY % (_json_string(label), "1.0" if label == claim["label"] else "0.0")
                  for label in claim_labels]
    return (_PARAGRAPH_CATS_HEAD % (encode_basestring(text), encode_basestring(sentence["id"])), tokens,
            _PARAGRAPH_CATS_TAIL % jsontext.indented_array(categories, 4))


def _tokens_the_long_way(text: str, lang: str, entities: dict | None, counts: Counter[str]) -> str:
    """The JSON array of a sentence's tokens that :func:`usual_tokens` does not take with all its spans:
    its spans that can be tagged (the spans left out counted, ``overlapping`` and ``untrimmed``), its
    words (:func:`usual_tokens` again where it takes those spans) and their tags (``-`` when not
    annotated)."""
    aligned, cuts, n_overlapping, n_untrimmed = spans_for_export(text, list(entities["spans"]) if entities else [])
    counts["overlapping"] += n_overlapping
    counts["untrimmed"] += n_untrimmed
    tokens = usual_tokens(text, lang, aligned if entities else None)  # spans left out, or put in order
    if tokens is not None:
        return tokens
    spaced = spaced_words(text, lang, cuts)
    tags = encode_tags(len(spaced), token_spans(spaced, aligned), "biluo") if entities else [MISSING] * len(spaced)
    return jsontext.indented_array([
        TOKEN % (index, encode_basestring(text[start:end]), '" "' if space else '""', _json_string(tag))
        for index, ((start, end, space), tag) in enumerate(zip(spaced, tags))], 6)


@functools.cache
def _json_string(value: str) -> str:
    """A tag or label as a JSON string (few of them, each written many times)."""
    return encode_basestring(value)
