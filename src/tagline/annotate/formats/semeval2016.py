"""Reader for the SemEval-2016 Task 6 (stance in tweets) Task A files, as published by the organisers.

The files are tab-separated with a header line and CRLF line endings. The official files have four
columns (``ID``, ``Target``, ``Tweet``, ``Stance``); the organisers' later "all annotations" release
adds ``Opinion towards`` and ``Sentiment``, which this reader accepts and ignores. Fields are never
quoted (tweets contain ``"`` freely), so lines are split on tabs and not parsed as CSV.

Encoding: the test and trial files are ASCII, but the official training file is not valid UTF-8:
two tweets (ids 110 and 1828) hold the same six stray bytes ``CD A2 91 84 91 EE``. Each line is
decoded as UTF-8 and, only if that fails, as Windows-1252, which maps those bytes to ``Í¢‘„‘î``.
Nothing is replaced or dropped, and encoding the text as Windows-1252 gives back the original
bytes; a copy of the file re-saved as UTF-8 reads the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

SEMEVAL_LABELS = ("FAVOR", "AGAINST", "NONE")
"""The Task A stance labels; the official scorer treats them case-sensitively."""

SEMEVAL_SPLITS: dict[str, tuple[str, ...]] = {
    "train": ("semeval2016-task6-trainingdata.txt", "trialdata-all-annotations.txt"),
    "test": ("SemEval2016-Task6-subtaskA-testdata-gold.txt",),
}
"""The official Task A split: train is the training file plus the trial data (2,914 tweets, the
training size the task paper reports); test is the gold test file (1,249 tweets)."""

_HEADERS = {
    ("ID", "Target", "Tweet", "Stance"): "the official four-column file",
    ("ID", "Target", "Tweet", "Stance", "Opinion towards", "Sentiment"): "the all-annotations file",
}


def _decode(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ValueError(f"{where}: byte {raw[error.start]:#04x} at column {error.start + 1} is neither "
                         "UTF-8 nor Windows-1252") from None


def read_semeval2016(path: str | Path) -> Iterator[dict]:
    """Yield the tweets of one SemEval-2016 Task 6 Task A file, in file order.

    Parameters
    ----------
    path : str or Path
        A tab-separated file with the header ``ID<TAB>Target<TAB>Tweet<TAB>Stance`` (optionally
        followed by ``<TAB>Opinion towards<TAB>Sentiment``), with CRLF or LF line endings.

    Yields
    ------
    dict
        ``{"id": str, "target": str, "text": str, "label": "FAVOR" | "AGAINST" | "NONE", "line": int}``
        (``line``: the tweet's line number in the file). The text is the tweet exactly as in the
        file, including the ``#SemST`` marker hashtag.

    Raises
    ------
    ValueError
        ``path:line: what is wrong`` for a missing or unknown header, a line with the wrong number
        of fields, an empty id or target, a duplicate id, an unknown stance label, or bytes that
        are neither UTF-8 nor Windows-1252. Blank lines are skipped.

    Examples
    --------
    >>> rows = read_semeval2016("semeval2016-task6-trainingdata.txt")  # doctest: +SKIP
    >>> next(rows)["target"]  # doctest: +SKIP
    'Atheism'
    """
    path = Path(path)
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise ValueError(f"{path}: cannot read: {error.strerror}") from None
    with handle:
        header = None
        seen: dict[str, int] = {}
        for number, raw in enumerate(handle, 1):
            where = f"{path}:{number}"
            line = _decode(raw, where).removesuffix("\n").removesuffix("\r")
            if header is None:
                header = tuple(line.removeprefix("\ufeff").split("\t"))
                if header not in _HEADERS:
                    raise ValueError(f"{where}: expected the header ID<TAB>Target<TAB>Tweet<TAB>Stance, "
                                     f"found {line[:80]!r}")
                continue
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != len(header):
                raise ValueError(f"{where}: expected {len(header)} tab-separated fields "
                                 f"({', '.join(header)}), found {len(fields)}")
            sentence_id, target, text, label = fields[:4]
            if not sentence_id.strip():
                raise ValueError(f"{where}: the ID field is empty")
            if not target.strip():
                raise ValueError(f"{where}: the Target field is empty")
            if label not in SEMEVAL_LABELS:
                hint = f" (labels are case-sensitive: {label.upper()})" if label.upper() in SEMEVAL_LABELS else ""
                raise ValueError(f"{where}: stance {label!r} is not one of {', '.join(SEMEVAL_LABELS)}{hint}")
            if sentence_id in seen:
                raise ValueError(f"{where}: id {sentence_id!r} is already on line {seen[sentence_id]}")
            seen[sentence_id] = number
            yield {"id": sentence_id, "target": target, "text": text, "label": label, "line": number}
        if header is None:
            raise ValueError(f"{path}:1: the file is empty; expected the header ID<TAB>Target<TAB>Tweet<TAB>Stance")


def read_semeval2016_split(directory: str | Path, split: str) -> Iterator[dict]:
    """Yield the tweets of one official split (``"train"`` or ``"test"``), file after file.

    Parameters
    ----------
    directory : str or Path
        The folder holding the files named in :data:`SEMEVAL_SPLITS`.
    split : {"train", "test"}
        ``"train"`` reads the training file and then the trial file; ``"test"`` the gold test file.

    Yields
    ------
    dict
        As :func:`read_semeval2016`.

    Raises
    ------
    ValueError
        For an unknown split, a missing file, anything :func:`read_semeval2016` rejects, or an id
        that appears in two files of the split.
    """
    if split not in SEMEVAL_SPLITS:
        raise ValueError(f"split {split!r} is not one of {', '.join(SEMEVAL_SPLITS)}")
    directory = Path(directory)
    seen: dict[str, str] = {}
    for name in SEMEVAL_SPLITS[split]:
        path = directory / name
        for row in read_semeval2016(path):
            if row["id"] in seen:
                raise ValueError(f"{path}: id {row['id']!r} is also in {seen[row['id']]}")
            seen[row["id"]] = name
            yield row
