"""Public benchmarks imported as sentences plus gold: SemEval-2016 Task 6 (stance in tweets, read by
:mod:`tagline.annotate.formats.semeval2016`) and Stockmark's Japanese Wikipedia NER dataset."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from tagline.annotate.formats.common import (
    ForeignAnswer,
    ForeignRecord,
    ForeignSpan,
    ReadOptions,
    ReadResult,
    expect_object,
    load_json,
    read_text,
)
from tagline.errors import InputError

STOCKMARK_SPLITS = ("train", "validation", "test")
STOCKMARK_SEED = 42
_WHERE = re.compile(r"^(.*?:\d+): (.*)$", re.S)


def read_semeval(path: Path, options: ReadOptions) -> ReadResult:
    """SemEval-2016 Task 6 Task A tweets: one sentence each (``semeval2016-<ID>``), the stance toward
    the tweet's target as gold. The split is ``--split``, else guessed from the file name."""
    from tagline.annotate.formats.semeval2016 import read_semeval2016

    split = options.split or _semeval_split(path)
    records = []
    try:
        for row in read_semeval2016(path):
            where = f"{path}:{row['line']}"
            answer = ForeignAnswer("label", where, label=row["label"], task="stance", target=row["target"])
            records.append(ForeignRecord(text=row["text"], where=where, key=row["id"],
                                         doc_id=f"semeval2016-{row['id']}", answers=[answer], lang="en",
                                         split=split, meta={"semeval_id": row["id"], "target": row["target"]}))
    except ValueError as error:
        match = _WHERE.match(str(error))
        where, what = match.groups() if match else (str(path), str(error))
        raise InputError(what, where=where,
                         fix="check that this is an official SemEval-2016 Task 6 Task A file") from None
    try:
        path.read_bytes().decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "cp1252"  # the official training file; its reader falls back line by line
    return ReadResult(records, gold=True, encoding=encoding)


def _semeval_split(path: Path) -> str:
    name = path.name.lower()
    if "test" in name:
        return "test"
    if "train" in name or "trial" in name:
        return "train"
    raise InputError("cannot tell the split from the file name", where=str(path),
                     fix="pass --split train or --split test")


def read_stockmark(path: Path, options: ReadOptions) -> ReadResult:
    """Stockmark ner-wikipedia-dataset ``ner.json``: one sentence per item, its entities as gold.

    Every sentence gets the split of the standard shuffle (``random.seed(42)``, 80/10/10; on the
    published file this is the split of llm-book/ner-wikipedia-dataset); ``--split`` keeps one part.
    """
    text = read_text(path)
    try:
        items = load_json(text, str(path))
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON ({error.msg})", where=f"{path}:{error.lineno}",
                         fix="use the dataset's ner.json") from None
    if not isinstance(items, list):
        raise InputError("expected a JSON list of sentences", where=str(path), fix="use the dataset's ner.json")
    if options.split is not None and options.split not in STOCKMARK_SPLITS:
        raise InputError(f"--split {options.split!r} is not one of {', '.join(STOCKMARK_SPLITS)}", where=str(path),
                         fix="the standard split has train, validation and test")
    order = list(range(len(items)))
    random.Random(STOCKMARK_SEED).shuffle(order)
    n_train, n_validation = int(len(items) * 0.8), int(len(items) * 0.1)
    split_of = {}
    for position, index in enumerate(order):
        split_of[index] = ("train" if position < n_train else
                           "validation" if position < n_train + n_validation else "test")
    records = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        where = f"{path} item {index + 1}"
        item = expect_object(item, where, "an item")
        body = item.get("text")
        if not isinstance(body, str) or not body.strip():
            raise InputError("item has no `text`", where=where, fix="use the dataset's ner.json")
        curid = str(item.get("curid", index + 1))
        seen[curid] = seen.get(curid, 0) + 1
        doc_id = f"stockmark-{curid}" + (f"-{seen[curid]}" if seen[curid] > 1 else "")
        spans = []
        entities = item.get("entities") or []
        if not isinstance(entities, list):
            raise InputError("`entities` is not a list", where=where, fix="use the dataset's ner.json")
        for entity in entities:
            entity = expect_object(entity, where, "an entity")
            span = entity.get("span")
            if not (isinstance(span, list) and len(span) == 2
                    and all(isinstance(n, int) and not isinstance(n, bool) for n in span)):
                raise InputError(f"entity {entity!r} has no [start, end] span", where=where,
                                 fix="use the dataset's ner.json")
            if not isinstance(entity.get("type"), str) or not entity["type"]:
                raise InputError(f"entity {entity!r} has no `type`", where=where, fix="use the dataset's ner.json")
            name = entity.get("name")
            spans.append(ForeignSpan(span[0], span[1], entity["type"], name if isinstance(name, str) else None))
        if options.split is not None and split_of[index] != options.split:
            continue
        records.append(ForeignRecord(text=body, where=where, key=curid, doc_id=doc_id, lang="ja",
                                     split=split_of[index], answers=[ForeignAnswer("spans", where, spans=spans)],
                                     meta={"curid": curid}))
    return ReadResult(records, gold=True)
