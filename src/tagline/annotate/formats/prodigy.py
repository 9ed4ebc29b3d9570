"""Prodigy: ``db-out`` JSONL (``ner_manual`` spans, ``choice`` options, binary ``label`` + ``answer``,
``_annotator_id``); writes one record per sentence and question, with Prodigy's own hashes."""

from __future__ import annotations

import functools
import json
from collections import Counter
from itertools import islice, repeat
from json.encoder import encode_basestring, encode_basestring_ascii
from operator import sub
from pathlib import Path
from typing import BinaryIO

from tagline.annotate.formats import jsontext
from tagline.annotate.formats.common import (
    ExportData,
    ExportResult,
    ForeignAnswer,
    ForeignRecord,
    ForeignSpan,
    ReadOptions,
    ReadResult,
    chunked,
    expect_object,
    expect_offset,
    json_records,
    plural,
)
from tagline.annotate.formats.parts import made_in_order
from tagline.annotate.formats.prodigy_lines import (
    HASHED_SPAN,
    HASHED_SPAN_ON_TOKENS,
    NUMBERS,
    SPAN,
    SPAN_ON_TOKENS,
    _murmur,
    entity_record,
    spans_json,
    usual_entity_line,
)
from tagline.annotate.formats.tokens import evenly_spaced_words, export_tokens, word_spans
from tagline.errors import InputError

SPAN_VIEWS = frozenset({"ner_manual", "spans_manual", "ner"})
REJECT_PREFIX = "reject:"
# Prodigy's default hash keys (prodigy.util INPUT_HASH_KEYS, TASK_HASH_KEYS).
OTHER_INPUT_KEYS = ("image", "html", "input")
TASK_HASH_KEYS = ("spans", "label", "options", "arcs")


def task_hashes(task: dict) -> tuple[int, int | None]:
    """A task's ``_input_hash`` and ``_task_hash`` as Prodigy's ``set_hashes`` makes them (in its files
    since 2018): ``murmurhash.hash`` (MurmurHash3, x86, 32 bits, seed 0, signed; the package Prodigy
    hashes with) of ``text=`` and the text as JSON, and of the input hash followed by ``<key>=`` and
    the JSON of the task key's value. The JSON is Python's with sorted keys, no spaces and non-ASCII
    characters escaped (``srsly.json_dumps(..., sort_keys=True)``).

    The task hash is None where Prodigy's files do not show how it is made: a task with no task key
    (Prodigy then hashes the task's other keys), an empty one, or more than one. The task's input
    must be its ``text`` alone.

    >>> task_hashes({"text": "We make our data available.", "label": "new-dataset"})
    (1100355967, -361904337)
    """
    if any(key in task for key in OTHER_INPUT_KEYS):
        raise ValueError(f"the task has {', '.join(k for k in OTHER_INPUT_KEYS if k in task)} beside its text")
    input_hash = _murmur("text=" + _hash_json(task["text"]))
    keys = [key for key in TASK_HASH_KEYS if key in task]
    if len(keys) != 1 or not task[keys[0]]:
        return input_hash, None
    return input_hash, _murmur(f"{input_hash}{keys[0]}={_hash_json(task[keys[0]])}")


# json.dumps(value, sort_keys=True, separators=(",", ":")), without making an encoder per call
_hash_json = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def _hashed(record: dict, keys: tuple[str, ...] | None = None) -> dict:
    """The record (its ``keys`` only, when given) with its hashes after its text and meta, where
    Prodigy puts them."""
    input_hash, task_hash = task_hashes(record)
    front = {"text": record["text"], "meta": record["meta"], "_input_hash": input_hash}
    if task_hash is not None:
        front["_task_hash"] = task_hash
    return {**front, **(record if keys is None else {key: record[key] for key in keys})}


def read(path: Path, options: ReadOptions) -> ReadResult:
    records = []
    skipped: Counter[str] = Counter()
    for number, (where, value) in enumerate(json_records(path), 1):
        record = expect_object(value, where)
        field = options.text_field or "text"
        text = record.get(field)
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"record has no non-empty `{field}` field", where=where,
                             fix="give every record its text, or name the text field with --text-field")
        meta = record.get("meta")
        if not isinstance(meta, dict):
            meta = {}
        answers = _answers(record, meta, where, options, skipped)
        input_hash = record.get("_input_hash")
        key = (f"{'n' if input_hash < 0 else 'h'}{abs(input_hash)}" if isinstance(input_hash, int)
               and not isinstance(input_hash, bool) else str(number))
        sentence_id = meta.get("sentence_id")
        records.append(ForeignRecord(
            text=text, where=where, key=key, answers=answers,
            sentence_id=sentence_id if isinstance(sentence_id, str) else None,
            meta={k: v for k, v in meta.items() if k not in ("sentence_id", "task", "target")
                  and isinstance(v, (str, int, float))},
        ))
    warnings = [f"{path.name}: {plural(count, 'record')} {what}, not imported as answers" for what, count in
                sorted(skipped.items())]
    return ReadResult(records, warnings)


def _answers(record: dict, meta: dict, where: str, options: ReadOptions, skipped: Counter[str]) -> list[ForeignAnswer]:
    spans = record.get("spans")
    if spans is not None and not isinstance(spans, list):
        raise InputError("`spans` is not a list", where=where, fix="fix the record")
    if spans and any(isinstance(span, dict) and "answer" in span for span in spans):
        raise InputError(
            "binary NER answers (ner.teach: one suggested span accepted or rejected) do not say which "
            "entities the sentence has, so they cannot be imported as entity annotations",
            where=where, fix="import the output of a manual recipe (ner.manual, ner.correct) instead")
    given = _answer_and_annotator(record, spans, where, options, skipped)
    if given is None:
        return []
    answer, annotator = given
    task, target = _task_of(meta, where)
    if "options" in record or "accept" in record:
        return _choice(record, answer, task, target, annotator, where, skipped)
    if spans is not None or record.get("_view_id") in SPAN_VIEWS or "tokens" in record:
        if answer == "reject":
            skipped["rejected"] += 1
            return []
        return [ForeignAnswer("spans", where, spans=_spans(spans or [], where), annotator=annotator)]
    label = record.get("label")
    if "label" in record and not (isinstance(label, str) and label):
        raise InputError(f"`label` is {json.dumps(label, ensure_ascii=False)[:60]}, not a label name", where=where,
                         fix="a binary record has one label, a string; choices go in `options` and `accept`")
    if isinstance(label, str) and label:
        # A binary answer: accept says the label applies, reject that it does not; the rejected
        # form is mapped as its own foreign label ("reject:LABEL") with --label-map.
        name = label if answer == "accept" else REJECT_PREFIX + label
        return [ForeignAnswer("label", where, label=name, task=task, target=target, annotator=annotator)]
    if answer == "accept":
        skipped["accepted without spans, label or options"] += 1
    return []


def _answer_and_annotator(record: dict, spans: list | None, where: str, options: ReadOptions,
                          skipped: Counter[str]) -> tuple[str, str | None] | None:
    """The record's answer (accept or reject) and who gave it; None when it is to be left out."""
    answer = record.get("answer")
    annotator = record.get("_annotator_id")
    if annotator in (None, ""):
        annotator = None
    if answer is None:
        if not (spans or "label" in record or "accept" in record):
            return None
        if not options.predictions:
            skipped["with suggestions but no answer (machine suggestions; pass --predictions to import "
                    "them as the model's answers)"] += 1
            return None
        sources = {span.get("source") for span in spans or [] if isinstance(span, dict) and span.get("source")}
        annotator = f"model-{sources.pop()}" if len(sources) == 1 else "model"
        answer = "accept"
    if answer not in ("accept", "reject", "ignore"):
        raise InputError(f"answer {answer!r} is not accept, reject or ignore", where=where, fix="fix the record")
    if answer == "ignore":
        skipped["answered ignore"] += 1
        return None
    return answer, annotator


def _task_of(meta: dict, where: str) -> tuple[str | None, str | None]:
    """The task (and stance target) a classification record says it answers in its ``meta``."""
    task, target = meta.get("task"), meta.get("target")
    if task not in ("claim_type", "stance"):
        return None, None
    if task == "stance" and not (isinstance(target, str) and target):
        raise InputError(f"meta.task is stance but meta.target is {json.dumps(target)}, not a target name",
                         where=where, fix="give the stance target in meta.target")
    return task, target if task == "stance" else None


def _choice(record: dict, answer: str, task: str | None, target: str | None, annotator: str | None, where: str,
            skipped: Counter[str]) -> list[ForeignAnswer]:
    """The option a choice record accepted, as one label."""
    if answer == "reject":
        skipped["rejected choice"] += 1
        return []
    accepted = record.get("accept") or []
    if not isinstance(accepted, list):
        raise InputError("`accept` is not a list", where=where, fix="fix the record")
    if len(accepted) > 1:
        raise InputError(f"several options accepted ({', '.join(map(str, accepted))}): tagline holds one "
                         "label per sentence and task", where=where,
                         fix="use single-choice annotation (multi-label data cannot be imported)")
    if not accepted:
        skipped["accepted with no option chosen"] += 1
        return []
    if not isinstance(accepted[0], (str, int)) or isinstance(accepted[0], bool):
        raise InputError(f"the accepted option is {json.dumps(accepted[0])[:60]}, not an option id",
                         where=where, fix="`accept` lists the ids of the chosen options")
    return [ForeignAnswer("label", where, label=str(accepted[0]), task=task, target=target, annotator=annotator)]


def _spans(spans: list, where: str) -> list[ForeignSpan]:
    found = []
    for span in spans:
        span = expect_object(span, where, "a span")
        label = span.get("label")
        if not isinstance(label, str) or not label:
            raise InputError(f"span {span!r} has no label", where=where, fix="fix the record")
        found.append(ForeignSpan(expect_offset(span.get("start"), where, "start"),
                                 expect_offset(span.get("end"), where, "end"), label, span.get("text")))
    return found


def _tokens(text: str, lang: str, spans: list[dict]) -> list[tuple[int, int, bool]]:
    """Tokens as Prodigy makes them from a spaCy ``Doc``, as ``(start, end, ws)`` (the token's ``id``
    is its place): ``ws`` when one space follows. White space other than that one space is a token
    of its own, as in spaCy, so the tokens and their ``ws`` spell out the text exactly. Cut at every
    span edge."""
    cuts = {offset for span in spans for offset in (span["start"], span["end"])}
    tokens: list[tuple[int, int, bool]] = []
    cursor = 0
    for start, end in [*export_tokens(text, lang, cuts), (len(text), len(text))]:
        if start > cursor:  # white space: a space right after a word is that word's `ws`, the rest a token
            if text[cursor] == " " and tokens:
                tokens[-1] = (tokens[-1][0], tokens[-1][1], True)
                cursor += 1
            if start > cursor:
                tokens.append((cursor, start, False))
        if end > start:
            tokens.append((start, end, False))
        cursor = end
    return tokens


# One token of a ``ner_manual`` record, as json.dumps(ensure_ascii=False) writes its dict.
TOKEN_JSON = '{"text": %s, "start": %d, "end": %d, "id": %d, "ws": %s}'


def write(data: ExportData, out: BinaryIO) -> ExportResult:
    """One ``ner_manual`` record (tokens and token-aligned spans) per sentence with an entity answer,
    and one ``choice`` record per classification answer (``options``/``accept``, with the task and
    target in ``meta``); ``_annotator_id`` is the annotator's name (absent for gold). Every record has
    Prodigy's ``_input_hash``, and its ``_task_hash`` where it has spans or options (``task_hashes``)."""
    stance_labels = data.config.labels("stance") if "stance" in data.config.tasks else []
    claim_labels = data.config.labels("claim_type") if "claim_type" in data.config.tasks else []
    count = 0
    make = functools.partial(_part_lines, data, stance_labels, claim_labels)
    for lines, records in made_in_order(make, chunked(data.sentences), len(data.answers)):
        if records:
            out.write(lines)
            out.write(b"\n")
        count += records
    return ExportResult(records=count)


def _part_lines(data: ExportData, stance_labels: list[str], claim_labels: list[str],
                chunk: list[dict]) -> tuple[bytes, int]:
    """The records of a part's sentences: their lines (UTF-8, without the last line break) and how
    many there are."""
    lines: list[str] = []
    annotator = data.annotator or None
    data.prefetch(chunk)
    for sentence in chunk:
        current = data.answers.get(sentence["id"], {})
        if len(current) == 1 and ("entities", None) in current:  # the usual sentence's one answer
            line = usual_entity_line(sentence, current["entities", None]["spans"], annotator)
            if line is not None:
                lines.append(line)
                continue
        base = {"text": sentence["text"], "meta": {"sentence_id": sentence["id"]}}
        if data.annotator:
            base["_annotator_id"] = data.annotator
        for (task, target), value in sorted(current.items(), key=lambda item: (item[0][0], item[0][1] or "")):
            record = {**base, "meta": dict(base["meta"])}
            if task == "entities":
                lines.append(_entity_line(record, sentence, value["spans"]))
                continue
            record["options"] = [{"id": label, "text": label}
                                 for label in (stance_labels if task == "stance" else claim_labels)]
            record["accept"] = [value["label"]]
            record["meta"]["task"] = task
            if target is not None:
                record["meta"]["target"] = target
            record["_view_id"] = "choice"
            record["answer"] = "accept"
            lines.append(jsontext.dumps(_hashed(record)))
        if not current:
            lines.append(jsontext.dumps(_hashed(base)))
    return "\n".join(lines).encode("utf-8"), len(lines)  # each line not copied once more with its line break


def _entity_line(record: dict, sentence: dict, spans: list[dict]) -> str:
    """The ``ner_manual`` record of these spans (``record`` with tokens, spans with their tokens, the
    view and the answer) as ``json.dumps(record, ensure_ascii=False)`` writes it. The tokens, most of
    the record, are written from :data:`TOKEN_JSON` rather than made dicts and encoded one by one."""
    text = sentence["text"]
    lang = sentence.get("lang", "en")
    cuts = {offset for span in spans for offset in (span["start"], span["end"])}
    even = evenly_spaced_words(text, lang, cuts) if text.strip() and not jsontext.ESCAPED.search(text) else None
    if even is not None:  # the usual sentence: its words written as they are
        made = _even_entity_json(record, *even, spans)
        if made is not None:
            return made
        words, starts = even
        written = [_written_span(span, next(((first, stop - 1) for first, stop, _ in word_spans(words, starts, [span])),
                                            None)) for span in spans]
        token_json = _even_tokens(words, starts)
    else:
        tokens = _tokens(text, lang, spans)
        first_token = {start: index for index, (start, _, _) in enumerate(tokens)}
        last_token = {end: index for index, (_, end, _) in enumerate(tokens)}
        written = [_written_span(span, (first_token[span["start"]], last_token[span["end"]])
                                 if span["start"] in first_token and span["end"] in last_token else None)
                   for span in spans]
        token_json = ", ".join([TOKEN_JSON % (encode_basestring(text[start:end]), start, end, index,
                                              "true" if space else "false")
                                for index, (start, end, space) in enumerate(tokens)])
    made = _entity_json(record, written, token_json)
    if made is not None:
        return made
    # text, meta, the hashes and the annotator, which come before the tokens
    head = jsontext.dumps(_hashed({**record, "spans": written}, keys=tuple(record)))
    tail = jsontext.dumps({"spans": written, "_view_id": "ner_manual", "answer": "accept"})
    return f"{head[:-1]}, \"tokens\": [{token_json}], {tail[1:]}"


def _entity_json(record: dict, written: list[dict], token_json: str) -> str | None:
    """The line :func:`_entity_line` makes, with its hashes, written from templates rather than by
    ``json`` (whose encoder costs more to set up for each value than these lines take to write), for
    the record every export makes (its text, its sentence id, an annotator or none); None for any other."""
    if not _plain_record(record) or not all(type(span["start"]) is int and type(span["end"]) is int
                                            and type(span["text"]) is str and type(span["label"]) is str
                                            for span in written):
        return None
    spans, hashed = [], []
    for span in written:
        covered, label = span["text"], span["label"]
        if "token_start" in span:
            spans.append(SPAN_ON_TOKENS % (span["start"], span["end"], encode_basestring(covered),
                                            encode_basestring(label), span["token_start"], span["token_end"]))
            hashed.append(HASHED_SPAN_ON_TOKENS % (span["end"], encode_basestring_ascii(label), span["start"],
                                                    encode_basestring_ascii(covered), span["token_end"],
                                                    span["token_start"]))
        else:
            spans.append(SPAN % (span["start"], span["end"], encode_basestring(covered), encode_basestring(label)))
            hashed.append(HASHED_SPAN % (span["end"], encode_basestring_ascii(label), span["start"],
                                          encode_basestring_ascii(covered)))
    return entity_record(record["text"], record["meta"]["sentence_id"], record.get("_annotator_id"), token_json,
                          spans, hashed)


# A token of an evenly spaced sentence, whose words JSON writes as they are, in the pieces between
# its values (the first token's without the ", " before it); the numbers' text, made once, and with
# the pieces before them for a sentence shorter than 4096 characters.
_TOKEN_PIECES = (', {"text": "', '", "start": ', ', "end": ', ', "id": ', ', "ws": ')
_WS = ("false}", "true}")
_NUMBERS = NUMBERS  # the numbers below 4096 as text, made once by prodigy_lines
_STARTS = [_TOKEN_PIECES[1] + number for number in _NUMBERS]
_ENDS = [_TOKEN_PIECES[2] + number for number in _NUMBERS]
_IDS = [_TOKEN_PIECES[3] + number + _TOKEN_PIECES[4] for number in _NUMBERS]


def _even_tokens(words: list[str], starts: list[int]) -> str:
    """The tokens of an evenly spaced sentence (:func:`evenly_spaced_words`) as the record's JSON
    writes them (``{"text": ..., "start": ..., "end": ..., "id": ..., "ws": ...}``, separated by
    ``, ``): their pieces laid into one list a kind at a time (slice assignments) and joined once,
    without a Python step for each token."""
    count = len(words)
    if not count:
        return ""
    spaced = list(map(str.endswith, words, repeat(" ", count)))
    ends = map(sub, islice(starts, 1, None), spaced)
    if starts[-1] < len(_NUMBERS):
        pieces = [_TOKEN_PIECES[0]] * (6 * count)
        pieces[2::6] = map(_STARTS.__getitem__, islice(starts, count))
        pieces[3::6] = map(_ENDS.__getitem__, ends)
        pieces[4::6] = _IDS[:count]
    else:  # a long sentence's numbers
        pieces = [_TOKEN_PIECES[0], "", _TOKEN_PIECES[1], "", _TOKEN_PIECES[2], "", _TOKEN_PIECES[3], "",
                  _TOKEN_PIECES[4], ""] * count
        pieces[3::10] = map(str, islice(starts, count))
        pieces[5::10] = map(str, ends)
        pieces[7::10] = map(str, range(count))
    step = len(pieces) // count
    pieces[0] = _TOKEN_PIECES[0][2:]  # no separator before the first token
    pieces[1::step] = map(str.rstrip, words)
    pieces[step - 1::step] = map(_WS.__getitem__, spaced)
    return "".join(pieces)


def _even_entity_json(record: dict, words: list[str], starts: list[int], spans: list[dict]) -> str | None:
    """:func:`_entity_line` of an evenly spaced sentence, for the record every export makes (see
    :func:`_entity_json`), its spans and their tokens found and written in one step each; None
    for any other record."""
    if not _plain_record(record):
        return None
    made = spans_json(record["text"], starts, [len(word) - (word[-1] == " ") for word in words], spans)
    if made is None:
        return None
    return entity_record(record["text"], record["meta"]["sentence_id"], record.get("_annotator_id"),
                          _even_tokens(words, starts), *made)


def _plain_record(record: dict) -> bool:
    """Whether ``record`` is what every export makes of a sentence: its text, a meta with its sentence
    id, and the annotator's name or none, all strings."""
    return not (set(record) - {"text", "meta", "_annotator_id"}) and set(record["meta"]) == {"sentence_id"} \
        and all(type(value) is str for value in (record["text"], record["meta"]["sentence_id"],
                                                 record.get("_annotator_id", "")))


def _written_span(span: dict, tokens: tuple[int, int] | None) -> dict:
    """A span as the record holds it, with its first and last token when it starts and ends on tokens."""
    item = {"start": span["start"], "end": span["end"], "text": span["text"], "label": span["label"]}
    if tokens is not None:
        item["token_start"], item["token_end"] = tokens
    return item
