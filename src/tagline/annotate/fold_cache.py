"""An annotator's answers folded as columns (:class:`~tagline.annotate.columns.Folded`), saved in
``build/index/folds/<annotator>/`` so that the next agreement or adjudication over a large workspace reads them in a
moment instead of parsing the answer file again.

A saved fold is derived data, keyed on the identity of the answer file and of ``sentences.jsonl``
(inode, size, modification and change time: an append, an atomic rewrite or another corpus is another key),
and is made only from a file Arrow read whole and the checks accepted. The key is taken before the
files are read, and the fold is saved only when both are still as they were once it is made (and
the corpus as the command read it): an answer another process appends during the read, or a
``corpus add`` meanwhile, must not be hidden behind a key that claims the fold covers it. A stale
fold is never read and is removed when the next one is saved; one that cannot be written (a
read-only folder) is skipped, and one that cannot be read is made again."""

from __future__ import annotations

import os
import zipfile
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from tagline.annotate.columns import Folded, Names
    from tagline.corpus.workspace import Workspace

FORMAT = 1  # bump when Folded or the fold changes
CODED = ("target", "label", "span_label", "source")  # columns holding Names codes


def fold_key(workspace: Workspace, path: Path, sentences_stamp: str | None = None) -> str | None:
    """The key of answer file ``path``'s fold as the file and ``sentences.jsonl`` are now (or, with
    ``sentences_stamp``, as the corpus was when that stamp was taken); None when one is missing."""
    from tagline.corpus.sentence_table import _stamp

    try:
        return f"{_stamp(path)}-{sentences_stamp or _stamp(workspace.sentences_path)}-{FORMAT}"
    except OSError:
        return None


def _file(workspace: Workspace, path: Path, key: str) -> Path:
    from tagline.corpus.sentence_table import cache_dir

    return cache_dir(workspace) / "folds" / path.stem / f"{key}.npz"


def has_fold(workspace: Workspace, path: Path, key: str) -> bool:
    """Whether a fold of answer file ``path`` is saved for ``key`` (whole or not: reading it tells)."""
    return _file(workspace, path, key).exists()


def load_fold(workspace: Workspace, path: Path, names: Names, key: str | None) -> Folded | None:
    """The saved fold of answer file ``path`` with its codes in ``names``, or None when there is
    none for ``key`` (:func:`fold_key`)."""
    import numpy as np
    import pyarrow as pa

    from tagline.annotate.columns import Folded

    if key is None:
        return None
    try:
        with np.load(_file(workspace, path, key)) as saved:
            arrays = {name: saved[name] for name in saved.files}
        saved_names = orjson.loads(arrays.pop("names").tobytes())
        offsets, data = arrays.pop("text_offsets"), arrays.pop("text_data")
        text = pa.StringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data))
        declared = bool(arrays.pop("declared")[0])
        if set(arrays) != {field.name for field in fields(Folded)} - {"span_text", "declared"}:
            return None
    except (OSError, EOFError, ValueError, KeyError, IndexError, zipfile.BadZipFile, orjson.JSONDecodeError):
        return None  # damaged: made again from the answer file
    return recoded(Folded(**arrays, span_text=text, declared=declared), saved_names, names)


def recoded(folded: Folded, own_names: list[str], names: Names) -> Folded:
    """``folded``, whose codes stand for ``own_names``, with the codes of ``names`` instead (names
    it does not have yet are added in the order of ``own_names``)."""
    import numpy as np

    lookup = np.array([names.code(name) for name in own_names] + [-1], dtype=np.int64)
    for name in CODED:  # -1 (none) takes the lookup's last entry, -1
        column = getattr(folded, name)
        setattr(folded, name, lookup[column].astype(column.dtype))
    return folded


def sweep_saves(workspace: Workspace, paths: list[Path]) -> None:
    """Remove what saves of the folds of answer files ``paths`` that were stopped before their rename
    left (workers terminated by Ctrl-C), once no running process holds their lock."""
    from tagline.corpus.store import sweep_temporaries

    for path in paths:
        sweep_temporaries(_file(workspace, path, "key").parent)


def save_fold(workspace: Workspace, path: Path, folded: Folded, names: Names, key: str | None) -> None:
    """Save the fold of answer file ``path`` (made by Arrow from the file and the corpus as they were
    at ``key``, taken before they were read) and remove its older ones; nothing is saved when either
    file has changed since ``key`` was taken, since the fold may then hold part of the change."""
    import numpy as np

    if key is None or folded.span_text is None or fold_key(workspace, path) != key:
        return
    target = _file(workspace, path, key)
    text = folded.span_text
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset:text.offset + len(text) + 1]
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)[int(offsets[0]):int(offsets[-1])] \
        if len(text) else np.zeros(0, dtype=np.uint8)
    arrays = {field.name: getattr(folded, field.name) for field in fields(folded)
              if field.name not in ("span_text", "declared")}
    from tagline.corpus.primitives import temporary_file
    from tagline.corpus.store import sweep_temporaries

    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_temporaries(target.parent)  # what a save killed before its rename left
        with temporary_file(temporary) as fd, open(fd, "wb", closefd=False) as handle:  # locked until renamed
            np.savez(handle, **arrays, names=np.frombuffer(orjson.dumps(names.names), dtype=np.uint8),
                     text_offsets=offsets - offsets[0], text_data=data,
                     declared=np.array([folded.declared]))
            handle.flush()
            os.replace(temporary, target)
        for old in target.parent.glob("*.npz"):
            if old != target:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a saved fold is a saving, never a condition (the temporary file is removed)
