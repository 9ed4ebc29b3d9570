"""An annotator's answers folded as columns (:class:`~tagline.annotate.columns.Folded`), saved in
``build/index/folds/<annotator>/`` so that the next agreement or adjudication over a large workspace reads them in a
moment instead of parsing the answer file again.

A saved fold is derived data, keyed on the identity of the answer file and of ``sentences.jsonl``
(inode, size, modification and change time: an append, an atomic rewrite or another corpus is another key),
and is made only from a file Arrow read whole and the checks accepted. The key is taken before the
files are read, and the fold is saved only when both are still as they were once it is made (and
the corpus as the command read it): an answer another process appends during the read, or a
``corpus add`` meanwhile, must not be hidden behind a key that claims the fold covers it. A stale
fold is never read as it is and is removed when the next one is saved; one that cannot be written (a
read-only folder) is skipped, and one that cannot be read is made again. A fold made of the file's
lines is saved with what it covers (bytes and lines, the file's inode, the XXH3 digest of those
bytes, the corpus's stamp), so that once answers are appended it is extended with them
(:mod:`~tagline.annotate.fold_extend`) rather than made again from the whole file."""

from __future__ import annotations

import os
import struct
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from tagline.annotate.columns import Folded, Names
    from tagline.corpus.workspace import Workspace

FORMAT = 3  # bump when Folded, the fold or the file changes (2: what extending the fold needs is saved with it;
# 3: arrays as they are in memory, each with its XXH3 digest, instead of an .npz: read without zlib's CRC)
SUFFIX = ".fold"
_HEAD = struct.Struct("<8sQ")  # a magic and the length of the JSON header that follows
_MAGIC = b"TLFOLD03"
_ALIGN = 64
_KINDS = "biuf"  # the dtypes a fold holds: never objects
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

    return cache_dir(workspace) / "folds" / path.stem / f"{key}{SUFFIX}"


def has_fold(workspace: Workspace, path: Path, key: str) -> bool:
    """Whether a fold of answer file ``path`` is saved for ``key`` (whole or not: reading it tells)."""
    return _file(workspace, path, key).exists()


def load_fold(workspace: Workspace, path: Path, names: Names, key: str | None) -> Folded | None:
    """The saved fold of answer file ``path`` with its codes in ``names``, or None when there is
    none for ``key`` (:func:`fold_key`)."""
    return read_fold(_file(workspace, path, key), names) if key is not None else None


EXTENT = ("extent_number", "extent_first", "unknown_offsets", "unknown_data")  # saved beside the fold


def read_fold(file: Path, names: Names, extent: dict[str, Any] | None = None) -> Folded | None:
    """The fold saved in ``file`` with its codes in ``names``, or None when it cannot be read. With
    ``extent`` (the saved fold's :func:`fold_meta`), what extending it needs is read too."""
    from tagline.annotate.columns import Folded
    from tagline.annotate.fold_extend import Extent

    try:
        with open(file, "rb") as handle:
            header = _header(handle)
            wanted = [name for name in header["arrays"] if name not in EXTENT or extent is not None]
            arrays = {name: _array(handle, header["arrays"][name]) for name in wanted}
        saved_names = orjson.loads(arrays.pop("names").tobytes())
        text = string_array(arrays.pop("text_offsets"), arrays.pop("text_data"))
        declared = bool(arrays.pop("declared")[0])
        more = Extent(arrays.pop("extent_number"), arrays.pop("extent_first"),
                      string_array(arrays.pop("unknown_offsets"), arrays.pop("unknown_data")),
                      int(extent["lines"])) if extent is not None else None
        if set(arrays) != {field.name for field in fields(Folded)} - {"span_text", "declared", "extent"}:
            return None
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError, struct.error,
            orjson.JSONDecodeError):
        return None  # damaged: made again from the answer file
    return recoded(Folded(**arrays, span_text=text, declared=declared, extent=more), saved_names, names)


def _header(handle: Any) -> dict[str, Any]:
    """The header of a saved fold (:func:`_write`): where each array is, its dtype, length and
    digest, and what the fold covers (``meta``); ValueError when it is not one."""
    magic, length = _HEAD.unpack(handle.read(_HEAD.size))
    if magic != _MAGIC or length > 1 << 24:
        raise ValueError("not a saved fold")
    header = orjson.loads(handle.read(length))
    if not isinstance(header, dict) or not isinstance(header.get("arrays"), dict):
        raise ValueError("not a saved fold")
    return header


def _array(handle: Any, where: Any) -> Any:
    """One array of a saved fold, read into memory of its own and checked against its digest."""
    import numpy as np
    import xxhash

    offset, dtype, length, digest = where
    dtype = np.dtype(dtype)
    if dtype.kind not in _KINDS or not isinstance(length, int) or not isinstance(offset, int) or \
            not 0 <= length * dtype.itemsize <= os.fstat(handle.fileno()).st_size - offset:
        raise ValueError("not a saved fold")
    array = np.empty(length, dtype=dtype)
    view = array.data.cast("B")
    handle.seek(offset)
    if handle.readinto(view) != len(view) or xxhash.xxh3_128_hexdigest(view) != digest:
        raise ValueError("a damaged fold")
    return array


def _write(handle: Any, arrays: dict[str, Any], meta: Any) -> None:
    """Write ``arrays`` (one-dimensional) as they are in memory, each at a multiple of 64 bytes, after
    a header saying where each is, its dtype, length and XXH3 digest, and ``meta``."""
    import numpy as np
    import xxhash

    arrays = {name: np.ascontiguousarray(array).reshape(-1) for name, array in arrays.items()}
    places: dict[str, Any] = {}
    header = b""
    for _ in range(2):  # the header's length moves the arrays: laid out again with the length it has
        offset = -(-(_HEAD.size + len(header) + 64) // _ALIGN) * _ALIGN
        for name, array in arrays.items():
            places[name] = [offset, array.dtype.str, len(array), xxhash.xxh3_128_hexdigest(memoryview(array).cast("B"))
                            if name not in places else places[name][3]]
            offset += -(-array.nbytes // _ALIGN) * _ALIGN
        header = orjson.dumps({"format": FORMAT, "arrays": places, "meta": meta})
    handle.write(_HEAD.pack(_MAGIC, len(header)) + header)
    for name, array in arrays.items():
        handle.seek(places[name][0])
        handle.write(memoryview(array).cast("B"))


def fold_meta(file: Path) -> dict[str, Any] | None:
    """What a saved fold says it covers (:func:`save_fold`), None when it says nothing (it cannot be
    extended) or cannot be read."""
    try:
        with open(file, "rb") as handle:
            meta = _header(handle).get("meta")
        return meta if isinstance(meta, dict) and meta.get("format") == FORMAT else None
    except (OSError, EOFError, ValueError, struct.error, orjson.JSONDecodeError):
        return None


def saved_folds(workspace: Workspace, path: Path) -> list[Path]:
    """The folds of answer file ``path`` saved now (normally one: a save removes the older ones)."""
    return sorted(_file(workspace, path, "key").parent.glob(f"*{SUFFIX}"))


def string_array(offsets: Any, data: Any) -> Any:
    import pyarrow as pa

    return pa.StringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data))


def string_buffers(text: Any) -> tuple[Any, Any]:
    """The offsets (from 0) and bytes of an Arrow string array, as numpy arrays."""
    import numpy as np

    if not len(text):
        return np.zeros(1, dtype=np.int32), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset:text.offset + len(text) + 1]
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)[int(offsets[0]):int(offsets[-1])]
    return offsets - offsets[0], data


def recoded(folded: Folded, own_names: list[str], names: Names) -> Folded:
    """``folded``, whose codes stand for ``own_names``, with the codes of ``names`` instead (names
    it does not have yet are added in the order of ``own_names``)."""
    import numpy as np

    lookup = np.array([names.code(name) for name in own_names] + [-1], dtype=np.int64)
    if np.array_equal(lookup[:-1], np.arange(len(own_names))):
        return folded  # the same codes (the names met in the same order): nothing to copy
    for name in CODED:  # -1 (none) takes the lookup's last entry, -1
        column = getattr(folded, name)
        setattr(folded, name, lookup.astype(column.dtype)[column])  # the lookup narrowed, not each code
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
    file has changed since ``key`` was taken, since the fold may then hold part of the change. What
    extending it needs (``folded.extent``) is saved with it and then let go."""
    import numpy as np

    if key is None or folded.span_text is None or fold_key(workspace, path) != key:
        return
    target = _file(workspace, path, key)
    offsets, data = string_buffers(folded.span_text)
    arrays = {field.name: getattr(folded, field.name) for field in fields(folded)
              if field.name not in ("span_text", "declared", "extent")}
    meta, extent_arrays = _extent_arrays(workspace, path, folded, key)
    arrays.update(extent_arrays)
    from tagline.corpus.primitives import temporary_file
    from tagline.corpus.store import sweep_temporaries

    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_temporaries(target.parent)  # what a save killed before its rename left
        with temporary_file(temporary) as fd, open(fd, "wb", closefd=False) as handle:  # locked until renamed
            _write(handle, {**arrays, "names": np.frombuffer(orjson.dumps(names.names), dtype=np.uint8),
                            "text_offsets": offsets, "text_data": data, "declared": np.array([folded.declared])},
                   meta)
            handle.flush()
            os.replace(temporary, target)
        for old in [*target.parent.glob("*.npz"), *target.parent.glob(f"*{SUFFIX}")]:  # .npz: before FORMAT 3
            if old != target:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a saved fold is a saving, never a condition (the temporary file is removed)
    folded.extent = None  # saved with the fold: the command's fold does not need it (20 MB a file at a million)


def _extent_arrays(workspace: Workspace, path: Path, folded: Folded,
                   key: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """What extending the fold of ``path`` needs (:mod:`~tagline.annotate.fold_extend`): its
    :class:`~tagline.annotate.fold_extend.Extent` and what it covers (the bytes and lines of the file
    as it was at ``key``, its inode, the XXH3 digest of those bytes, the corpus of ``key``); nothing
    when the fold was not made of lines or the file does not end a line there. ``(meta, arrays)``."""
    from tagline.annotate.answer_index import digest_state

    extent = folded.extent
    inode, size = (int(part) for part in key.split("-")[:2])  # the key: the file's stamp, the corpus's, FORMAT
    if extent is None or not size:
        return None, {}
    with open(path, "rb") as handle:
        if os.pread(handle.fileno(), 1, size - 1) != b"\n":
            return None, {}  # a last line without its newline: an append would continue it
    corpus = "-".join(key.split("-")[4:8])
    meta = {"format": FORMAT, "covered": size, "lines": extent.events, "inode": inode,
            "digest": digest_state(path, size, *_carried(extent.digest, size)).hexdigest(), "corpus": corpus}
    if fold_key(workspace, path, corpus) != key:
        return None, {}  # written over while the digest was taken: the digest may not be of what was folded
    unknown_offsets, unknown_data = string_buffers(extent.unknown)
    return meta, {"extent_number": extent.number, "extent_first": extent.first, "unknown_offsets": unknown_offsets,
                  "unknown_data": unknown_data}


def _carried(digest: Any, size: int) -> tuple[Any, int]:
    """``(hasher, start)`` to carry on a saved fold's digest (:attr:`Extent.digest`, taken when it was
    read) to ``size`` bytes, or ``(None, 0)`` to digest the file from its start."""
    if digest is None or digest[1] > size:
        return None, 0
    return digest
