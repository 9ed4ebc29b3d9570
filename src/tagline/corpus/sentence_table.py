"""The corpus's sentence ids, documents and token offsets as columns, cached under
``.tagline.cache/`` beside the workspace's files and keyed on the identity of ``sentences.jsonl``
(inode, size, modification time) and of the tokenizer, so that agreement and adjudication over a
million sentences read them in a moment instead of decoding, and tokenising, every sentence again.

The cache only ever holds what can be made again from ``sentences.jsonl``: a stale file is never
read (its key no longer matches) and is removed when a new one is written; a cache that cannot be
written (a read-only folder) is skipped."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from tagline.corpus.workspace import Workspace

CACHE_DIR = ".tagline.cache"
TOKENS_FORMAT = 1  # bump when tokenize() changes what it returns
TOKEN_CHUNK = 50_000  # sentences tokenised at a time


def _stamp(path: Path) -> str:
    status = os.stat(path)
    return f"{status.st_ino}-{status.st_size}-{status.st_mtime_ns}"


def _tokenizer_stamp() -> str:
    from importlib.metadata import version

    return f"{TOKENS_FORMAT}-{version('fugashi')}-{version('unidic-lite')}"


def _cached(workspace: Workspace, kind: str, key: str) -> pa.Table | None:
    import pyarrow as pa

    path = workspace.root / CACHE_DIR / f"{kind}-{key}.arrow"
    try:
        with pa.memory_map(str(path)) as source:
            return pa.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowInvalid):
        return None


def _store(workspace: Workspace, kind: str, key: str, table: pa.Table) -> None:
    """Write ``table`` as the cache of ``kind`` (a temporary file renamed into place, so a reader
    never sees half of it) and remove that kind's older caches."""
    import pyarrow as pa

    folder = workspace.root / CACHE_DIR
    temporary = folder / f".{kind}-{key}.{os.getpid()}.tmp"
    try:
        folder.mkdir(exist_ok=True)
        with pa.OSFile(str(temporary), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(temporary, folder / f"{kind}-{key}.arrow")
        for old in folder.glob(f"{kind}-*.arrow"):
            if old.name != f"{kind}-{key}.arrow":
                old.unlink(missing_ok=True)
    except OSError:
        temporary.unlink(missing_ok=True)  # a cache is a saving, never a condition


def _read_sentences(workspace: Workspace) -> pa.Table:
    """Every sentence's ``id``, ``doc_id``, ``text`` and ``lang``, in corpus order: read whole by
    Arrow when the file is what the typed reader accepts, else line by line by that reader (which
    names a bad line)."""
    import pyarrow as pa
    import pyarrow.json as pj

    columns = ("id", "doc_id", "text", "lang")
    path = workspace.sentences_path
    if not path.exists():
        return pa.table({name: pa.array([], pa.string()) for name in columns})
    try:
        table = pj.read_json(path, read_options=pj.ReadOptions(block_size=1 << 24))
        if _checked(table, path):
            return table.select(list(columns))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    records = [(r["id"], r["doc_id"], r["text"], r["lang"]) for r in workspace.iter_sentences()]
    return pa.table({name: pa.array([record[k] for record in records], pa.string())
                     for k, name in enumerate(columns)})


def _checked(table: pa.Table, path: Path) -> bool:
    """Whether every row is a sentence the typed reader (``decode_record``) would accept."""
    import pyarrow as pa
    import pyarrow.compute as pc

    types = {"id": pa.string(), "doc_id": pa.string(), "text": pa.string(), "lang": pa.string(),
             "index": pa.int64(), "start": pa.int64(), "end": pa.int64()}
    if any(name not in table.column_names or table[name].type != kind or table[name].null_count
           for name, kind in types.items()):
        return False
    if "split" in table.column_names and table["split"].type != pa.string():
        return False
    if "meta" in table.column_names and not pa.types.is_struct(table["meta"].type):
        return False
    with open(path, "rb") as handle:  # an explicit null where a field may only be left out
        if b"null" in handle.read():
            return False
    lowest = {name: pc.min(table[name]).as_py() for name in ("index", "start", "end")}
    shortest = min(pc.min(pc.utf8_length(table[name])).as_py() or 0 for name in ("id", "doc_id", "text"))
    return (table.num_rows == 0 or (lowest["index"] >= 1 and lowest["start"] >= 0 and lowest["end"] >= 1
                                    and shortest >= 1)) \
        and set(pc.unique(table["lang"]).to_pylist()) <= {"ja", "en"}


def sentence_ids(workspace: Workspace) -> pa.Table:
    """``id`` and ``doc_id`` of every sentence, in corpus order, as an Arrow table."""
    key = _stamp(workspace.sentences_path) if workspace.sentences_path.exists() else "none"
    table = _cached(workspace, "sentences", key)
    if table is None:
        table = _read_sentences(workspace).select(["id", "doc_id"]).combine_chunks()
        if workspace.sentences_path.exists():
            _store(workspace, "sentences", key, table)
    return table


def _tokens_of_few(workspace: Workspace, rows: np.ndarray) -> tuple[Any, Any, Any]:
    """:func:`sentence_tokens` of a small corpus, read and tokenised one sentence at a time."""
    import numpy as np

    from tagline.corpus.tokenize import tokenize

    wanted = {int(row): place for place, row in enumerate(rows)}
    offsets: list[Any] = [None] * len(rows)
    for row, sentence in enumerate(workspace.iter_sentences()):
        if row in wanted:
            offsets[wanted[row]] = tokenize(sentence["text"], sentence["lang"])
    lengths = np.array([len(pairs) for pairs in offsets], dtype=np.int64)
    flat = np.array([pair for pairs in offsets for pair in pairs], dtype=np.int64).reshape(-1, 2)
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64), flat[:, 0].copy(), flat[:, 1].copy()


def sentence_tokens(workspace: Workspace, rows: np.ndarray | None = None, *,
                    small: bool = False) -> tuple[Any, Any, Any]:
    """Token offsets of sentences (rows of :func:`sentence_ids`; all when ``rows`` is None), as
    :func:`~tagline.corpus.tokenize.tokenize` gives them: ``(bounds, starts, ends)``, numpy arrays
    where the ``i``-th sentence's tokens are ``starts[bounds[i]:bounds[i + 1]]`` and the ``ends``
    beside them.

    Every sentence's tokens are made and cached when ``rows`` asks for a fifth of the corpus or
    more; fewer sentences are tokenised on their own and nothing is cached. A ``small`` corpus is
    read and tokenised without Arrow (``rows`` must be given), whose import would take longer."""
    if small and rows is not None:
        return _tokens_of_few(workspace, rows)
    import numpy as np
    import pyarrow as pa

    from tagline.corpus.tokenize import tokenize_many

    key = (_stamp(workspace.sentences_path) if workspace.sentences_path.exists() else "none") + \
        "-" + _tokenizer_stamp()
    table = _cached(workspace, "tokens", key)
    if table is None:
        sentences = _read_sentences(workspace).select(["text", "lang"])
        few = rows is not None and len(rows) * 5 < sentences.num_rows
        picked = sentences.take(pa.array(rows, pa.int64())) if few else sentences
        del sentences
        lengths: list[Any] = [np.zeros(0, dtype=np.int64)]
        starts: list[Any] = [np.zeros(0, dtype=np.int32)]
        ends: list[Any] = [np.zeros(0, dtype=np.int32)]
        for begin in range(0, picked.num_rows, TOKEN_CHUNK):  # a chunk at a time, so memory stays small
            chunk = picked.slice(begin, TOKEN_CHUNK)
            token_lists, chunk_starts, chunk_ends = tokenize_many(chunk["text"].to_pylist(), chunk["lang"].to_pylist())
            lengths.append(np.diff(np.asarray(token_lists.offsets, dtype=np.int64)))
            starts.append(np.asarray(chunk_starts, dtype=np.int32))
            ends.append(np.asarray(chunk_ends, dtype=np.int32))
        offsets = pa.array(np.concatenate([[0], np.cumsum(np.concatenate(lengths))]), pa.int32())
        table = pa.table({"starts": pa.ListArray.from_arrays(offsets, pa.array(np.concatenate(starts), pa.int32())),
                          "ends": pa.ListArray.from_arrays(offsets, pa.array(np.concatenate(ends), pa.int32()))})
        if few:
            return _unpack(table, None)
        if workspace.sentences_path.exists():
            _store(workspace, "tokens", key, table)
    return _unpack(table, rows)


def _unpack(table: pa.Table, rows: np.ndarray | None) -> tuple[Any, Any, Any]:
    import numpy as np

    starts, ends = table["starts"].combine_chunks(), table["ends"].combine_chunks()
    offsets = np.asarray(starts.offsets, dtype=np.int64)
    start_values = starts.values.to_numpy().astype(np.int64)
    end_values = ends.values.to_numpy().astype(np.int64)
    if rows is None:
        return offsets, start_values, end_values
    rows = np.asarray(rows, dtype=np.int64)
    lengths = offsets[rows + 1] - offsets[rows]
    bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    gather = np.repeat(offsets[rows] - bounds[:-1], lengths) + np.arange(bounds[-1])
    return bounds, start_values[gather], end_values[gather]
