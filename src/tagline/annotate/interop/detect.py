"""Which format a file to import is in, when ``--format`` is not given; files of tools tagline does
not read (SLATE) are refused here, saying why."""

from __future__ import annotations

import re
from pathlib import Path

from tagline.annotate.formats.registry import HEAD_BYTES, IMPORT_FORMATS, detect
from tagline.errors import InputError

_SLATE_ITEM = re.compile(r"^\(+\d+, ?\d+\)?(?:, \(\d+, ?\d+\)\))? - ")
_SLATE_LINK = re.compile(r"^\d+ \d+ -\s*$")
_SLATE_NAME = re.compile(r"\.(?:category|link)\.annotations\d*$")


def detect_format(path: str | Path) -> str:
    """The import format of ``path`` when it is unmistakable (see the registry's
    :class:`~tagline.annotate.formats.registry.Detection`); otherwise :class:`InputError` asking for
    ``--format``."""
    path = Path(path)
    if path.is_dir():
        found = detect(path)
        if found:
            return found
        raise InputError("a folder without brat .ann files", where=str(path), fix="pass a file and its --format")
    _refuse_slate(path)
    found = detect(path)
    if found:
        return found
    raise InputError("cannot tell which tool's format this file is in", where=str(path),
                     fix=f"pass --format ({', '.join(IMPORT_FORMATS)}); a plain document is added with "
                         "`tagline corpus add`")


def _refuse_slate(path: Path) -> None:
    def refuse(kind: str) -> None:
        raise InputError(
            f"a SLATE {kind}: SLATE files are not imported (annotations are (line, token) positions into a "
            "separate whitespace-tokenised text file, and labels are single keys)", where=str(path),
            fix="export the SLATE annotations to CoNLL or brat and import those")

    if _SLATE_NAME.search(path.name):
        refuse("annotation file")
    if path.is_file():
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES).decode("utf-8", errors="replace")
        lines = [line for line in head.splitlines() if line.strip()][:20]
        if lines and all(_SLATE_ITEM.match(line) or _SLATE_LINK.match(line) for line in lines):
            refuse("annotation file")
        if lines and all((path.parent / line.split()[0]).is_file() for line in lines):
            refuse("file list")
    if any(path.parent.glob(f"{glob_escape(path.name)}.*.annotations*")):
        refuse("text file")


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)
