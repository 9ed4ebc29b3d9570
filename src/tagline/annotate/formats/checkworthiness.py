"""Check-worthiness benchmarks: CLEF CheckThat! 2019 Task 1 and 2020 Task 5 (political debates and
speeches, one sentence per line, each marked worth fact-checking or not) and ClaimBuster's
two-class files (single sentences from US presidential debates, CFS against NCS).

Their label is not a claim type: a check-worthy sentence can be of any checkable Full Fact type,
and a factual claim nobody would check is not check-worthy. So both import as the claim-type labels
``check_worthy`` and ``not_check_worthy``, into a workspace that declares that label set
(``tagline init --claim-types check-worthiness``).

CheckThat! files are tab-separated without a header, ``line_number<TAB>speaker<TAB>text<TAB>label``,
one file per debate, lines in document order. A debate becomes one document whose sentences are
its lines, kept as they are (not segmented again); each sentence's meta holds its ``line`` and
``speaker``, so scores can be written back in the organisers' ``line_number<TAB>score`` form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from tagline.annotate.formats.common import (
    ForeignAnswer,
    ForeignRecord,
    ReadOptions,
    ReadResult,
    expect_object,
    load_json,
    read_text,
)
from tagline.errors import InputError

CHECK_WORTHY = "check_worthy"
NOT_CHECK_WORTHY = "not_check_worthy"
LABELS = {1: CHECK_WORTHY, 0: NOT_CHECK_WORTHY}
"""The files' 1 and 0 as claim-type labels."""

CHECKTHAT_EDITIONS: dict[str, dict[str, str]] = {
    "checkthat2019": {"training": "train", "test_annotated": "test"},
    "checkthat2020": {"training": "train", "test_gold": "test"},
}
"""Each edition's folders (as the organisers' repositories name them) and the split each one is:
CLEF-2019 Task 1 trains on ``training`` (19 debates) and tests on ``test_annotated`` (7); CLEF-2020
Task 5 on ``training`` (50, relabelled v2) and ``test_gold`` (20)."""

_LINE_NUMBER = re.compile(r" *[0-9]{1,12} *")  # ASCII digits and spaces (str.isdigit takes ² and ٣ too)
LABELS_FIX = ("check-worthiness benchmarks label sentences check_worthy and not_check_worthy, which are not "
              "Full Fact claim types: import into a workspace made with `tagline init DIR --claim-types "
              "check-worthiness` (see docs/formats.md)")


def read_checkthat_debate(path: str | Path) -> list[dict]:
    """The sentences of one CheckThat! debate file, in file order.

    Parameters
    ----------
    path : str or Path
        A UTF-8 file of ``line_number<TAB>speaker<TAB>text<TAB>label`` lines (LF or CRLF, with or
        without a final line break).

    Returns
    -------
    list of dict
        ``{"line": int, "speaker": str, "text": str, "label": 0 | 1, "where": "path:n"}`` per line.
        The text is as in the file (some have spaces at an end).

    Raises
    ------
    InputError
        ``path:n``: a line without four fields, a line number that is not a positive integer or
        repeats an earlier one, a label other than 0 or 1, an empty text; or an empty file.
    """
    path = Path(path)
    rows: list[dict] = []
    seen: dict[int, int] = {}
    fix = "check that this is a CheckThat! debate file: line_number<TAB>speaker<TAB>text<TAB>label"
    for number, line in enumerate(read_text(path).split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        where = f"{path}:{number}"
        fields = line.split("\t")
        if len(fields) != 4:
            raise InputError(f"expected 4 tab-separated fields, found {len(fields)}", where=where, fix=fix)
        line_number, speaker, text, label = fields
        if not _LINE_NUMBER.fullmatch(line_number) or int(line_number) < 1:
            shown = repr(line_number[:20]) + ("…" if len(line_number) > 20 else "")
            raise InputError(f"line number {shown} is not a positive integer", where=where, fix=fix)
        if int(line_number) in seen:
            raise InputError(f"line number {int(line_number)} is already on line {seen[int(line_number)]}",
                             where=where, fix=fix)
        seen[int(line_number)] = number
        if label.strip(" ") not in ("0", "1"):
            raise InputError(f"label {label!r} is not 0 or 1", where=where, fix=fix)
        if not text.strip():
            raise InputError("the sentence has no text", where=where, fix=fix)
        rows.append({"line": int(line_number), "speaker": speaker, "text": text, "label": int(label.strip(" ")),
                     "where": where})
    if not rows:
        raise InputError("the file holds no sentences", where=str(path), fix=fix)
    return rows


def checkthat_files(path: str | Path, edition: str, split: str | None = None) -> Iterator[tuple[Path, str | None]]:
    """The debate files at ``path`` with the split of each, sorted by name within a folder.

    ``path`` is one file, a folder of ``.tsv`` files, or the dataset's folder holding the edition's
    split folders (``training`` and ``test_annotated`` or ``test_gold``). A file's split is its
    folder's, or ``split`` when the folder is not one of the edition's; with the dataset's folder,
    ``split`` keeps that split only.
    """
    path = Path(path)
    folders = CHECKTHAT_EDITIONS[edition]
    parts: list[tuple[Path, str | None]]
    if path.is_dir() and any((path / name).is_dir() for name in folders):
        parts = [(path / name, folder_split) for name, folder_split in folders.items() if (path / name).is_dir()]
        if split is not None:
            parts = [(folder, folder_split) for folder, folder_split in parts if folder_split == split]
    else:
        folder = path if path.is_dir() else path.parent
        named = folders.get(folder.resolve().name)
        if named is not None and split is not None and named != split:
            raise InputError(f"the folder {folder.name!r} holds the {named} split, not {split}", where=str(path),
                             fix="leave out --split: the edition's folders say their split")
        parts = [(folder, named or split)]
    for folder, folder_split in parts:
        files = sorted(folder.glob("*.tsv")) if path.is_dir() else [path]
        if path.is_dir() and not files:
            raise InputError("the folder holds no .tsv debate files", where=str(folder),
                             fix=f"give a debate file, a folder of them, or the dataset's folder "
                                 f"(with {' and '.join(folders)})")
        for file in files:
            yield file, folder_split


def read_checkthat2019(path: Path, options: ReadOptions) -> ReadResult:
    """CLEF-2019 CheckThat! Task 1 debates (see :func:`read_checkthat`)."""
    return read_checkthat(path, options, "checkthat2019")


def read_checkthat2020(path: Path, options: ReadOptions) -> ReadResult:
    """CLEF-2020 CheckThat! Task 5 debates (see :func:`read_checkthat`)."""
    return read_checkthat(path, options, "checkthat2020")


def read_checkthat(path: Path, options: ReadOptions, edition: str) -> ReadResult:
    """A debate per file as one document (``<edition>-<file stem>``) whose sentences are its lines,
    each with its label as claim-type gold; the split is the file's folder's (``--split`` for a
    folder the edition does not name, or to keep one split of the dataset's folder)."""
    records = []
    for file, split in checkthat_files(path, edition, options.split):
        if split is None:
            raise InputError("cannot tell the split from the folder name", where=str(file),
                             fix=f"pass --split train or --split test (the edition's folders are "
                                 f"{' and '.join(CHECKTHAT_EDITIONS[edition])})")
        rows = read_checkthat_debate(file)
        sentences, position = [], 0
        for row in rows:
            text = row["text"]
            lead = len(text) - len(text.lstrip())
            sentences.append((position + lead, position + len(text.rstrip())))
            position += len(text) + 1
        answers = [ForeignAnswer("label", row["where"], label=LABELS[row["label"]], task="claim_type", sentence=i)
                   for i, row in enumerate(rows)]
        records.append(ForeignRecord(
            text="\n".join(row["text"] for row in rows), where=f"{file}:1", key=file.stem,
            doc_id=f"{edition}-{file.stem}", answers=answers, lang="en", split=split, sentences=sentences,
            sentence_meta=[{"line": row["line"], "speaker": row["speaker"]} for row in rows],
            meta={"benchmark": edition, "debate": file.stem}))
    return ReadResult(records, gold=True, encoding="utf-8", labels_fix=LABELS_FIX)


def read_claimbuster(path: Path, options: ReadOptions) -> ReadResult:
    """ClaimBuster's two-class JSON (``kfold_25ncs.json`` and its siblings): one document per
    sentence (``claimbuster-<sentence_id>``), its label (1 = CFS, 0 = NCS) as claim-type gold.

    The files name no debate and no fold: the authors cross-validated 4 folds of their own making,
    so no split is stored unless ``--split`` gives one; ``tagline eval run --cv 4`` does the same
    kind of evaluation on folds of tagline's.
    """
    fix = "use one of ClaimBuster's two-class files, such as kfold_25ncs.json"
    text = read_text(path)
    try:
        items = load_json(text, str(path))
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON ({error.msg})", where=f"{path}:{error.lineno}", fix=fix) from None
    if not isinstance(items, list):
        raise InputError("expected a JSON list of sentences", where=str(path), fix=fix)
    records = []
    seen: dict[int, int] = {}
    for index, item in enumerate(items):
        where = f"{path} item {index + 1}"
        item = expect_object(item, where, "a sentence")
        sentence_id, label, body = item.get("sentence_id"), item.get("label"), item.get("text")
        if isinstance(sentence_id, bool) or not isinstance(sentence_id, int) or sentence_id < 0:
            raise InputError(f"`sentence_id` {sentence_id!r} is not a non-negative integer", where=where, fix=fix)
        if sentence_id in seen:
            raise InputError(f"sentence_id {sentence_id} is also item {seen[sentence_id]}", where=where, fix=fix)
        seen[sentence_id] = index + 1
        if isinstance(label, bool) or label not in (0, 1):
            raise InputError(f"`label` {label!r} is not 0 or 1", where=where, fix=fix)
        if not isinstance(body, str) or not body.strip():
            raise InputError("item has no `text`", where=where, fix=fix)
        answer = ForeignAnswer("label", where, label=LABELS[label], task="claim_type")
        records.append(ForeignRecord(text=body, where=where, key=str(sentence_id),
                                     doc_id=f"claimbuster-{sentence_id}", answers=[answer], lang="en",
                                     split=options.split, meta={"benchmark": "claimbuster",
                                                                "sentence_id": sentence_id}))
    return ReadResult(records, gold=True, labels_fix=LABELS_FIX)
