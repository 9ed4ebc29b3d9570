"""The corpus's sentence ids, documents and token offsets as columns, cached in ``build/index/``
beside the sentence index (:mod:`tagline.corpus.sentence_index`) and keyed on the identity of ``sentences.jsonl``
(inode, size, modification time) and of the tokenizer, so that agreement and adjudication over a
million sentences read them in a moment instead of decoding, and tokenising, every sentence again.

The cache only ever holds what can be made again from ``sentences.jsonl``: a stale file is never
read (its key no longer matches) and is removed when a new one is written; a cache that cannot be
written (a read-only folder) is skipped. A cache's name holds a digest of its content, so that one
changed on the disk is made again rather than read."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from tagline.corpus.workspace import Workspace

T = TypeVar("T")
TOKENS_FORMAT = 2  # bump when tokenize() changes what it returns (2: English initialisms and 1,000s whole)
TOKEN_CHUNK = 50_000  # sentences tokenised at a time


def cache_dir(workspace: Workspace) -> Path:
    """Where the workspace's derived indexes and caches are kept: made again when deleted."""
    return workspace.build_dir / "index"


def _stamp(path: Path) -> str:
    """A file's identity as the caches key it: inode, size, modification time, and the change time,
    which no program can set back (a file copied over another with its time kept changes it)."""
    status = os.stat(path)
    return f"{status.st_ino}-{status.st_size}-{status.st_mtime_ns}-{status.st_ctime_ns}"


def _tokenizer_stamp() -> str:
    from importlib.metadata import version

    return f"{TOKENS_FORMAT}-{version('fugashi')}-{version('unidic-lite')}"


def tokens_key(workspace: Workspace) -> str | None:
    """The key of the token cache of the current ``sentences.jsonl`` and tokenizer (None: no file).
    Taken before the sentences are read, so that an append meanwhile makes it stale, never wrong."""
    if not workspace.sentences_path.exists():
        return None
    return _stamp(workspace.sentences_path) + "-" + _tokenizer_stamp()


def _tokens_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema([("starts", pa.list_(pa.int32())), ("ends", pa.list_(pa.int32()))])


def cached_tokens(workspace: Workspace, key: str, n_sentences: int) -> pa.Table | None:
    """The token cache of ``key`` (``starts`` and ``ends``, one ``list<int32>`` of character offsets
    per sentence, in one chunk each), when it is there and whole: one row per sentence of the
    ``n_sentences``, no null, the same number of tokens in both columns' lists, and the digest of its
    content the one its name holds (:class:`TokenDigest`: a changed offset that still looks like a
    token is refused too). A damaged file is None, never an error."""
    import numpy as np

    read = _digested(workspace, "tokens", key, _tokens_schema())
    if read is None or read[0].num_rows != n_sentences:
        return None
    table, digest = read
    if table.num_rows:
        starts, ends = table["starts"].chunk(0), table["ends"].chunk(0)
        if starts.null_count or ends.null_count or starts.values.null_count or ends.values.null_count \
                or not np.array_equal(int32_values(starts.offsets), int32_values(ends.offsets)):
            return None
    return table if digest == TokenDigest.of(table) else None


class TokenDigest:
    """The XXH3 digest a token cache's name holds of its content: each sentence's token count, the
    tokens' starts and their ends (int32, in corpus order), each stream hashed as it is written, a
    run of sentences at a time. Arrow's files carry no checksum: an offset changed on the disk that
    still fits the texts gave a build other tokens, silently (the saved folds' zip checks its CRC)."""

    def __init__(self) -> None:
        import xxhash

        self.streams = [xxhash.xxh3_64() for _ in range(3)]

    def update(self, counts: Any, starts: Any, ends: Any) -> None:
        import numpy as np

        for stream, values in zip(self.streams, (counts, starts, ends)):
            stream.update(np.ascontiguousarray(values, dtype=np.int32).data)

    def hexdigest(self) -> str:
        import xxhash

        return xxhash.xxh3_64_hexdigest(b"".join(stream.digest() for stream in self.streams))

    @classmethod
    def of(cls, table: pa.Table) -> str:
        """The digest of a token table of one chunk (or none)."""
        import numpy as np

        digest = cls()
        if table.num_rows:
            starts, ends = table["starts"].chunk(0), table["ends"].chunk(0)
            bounds = int32_values(starts.offsets)
            low, high = int(bounds[0]), int(bounds[-1])
            digest.update(np.diff(bounds), int32_values(starts.values)[low:high], int32_values(ends.values)[low:high])
        return digest.hexdigest()


class TokenCacheWriter:
    """The token cache of ``key`` written a run of sentences at a time, in corpus order, as a build's
    tokens come in: into a temporary file, renamed into place by :meth:`commit` (the other token
    caches then go) once the build is complete and if every sentence is in, else removed
    (:meth:`discard`). As :func:`_store`, a cache that cannot be written (a read-only folder, a full
    disk) is given up without an error."""

    def __init__(self, workspace: Workspace, key: str) -> None:
        self.folder, self.key = cache_dir(workspace), key
        self.digest = TokenDigest()  # of what is written, named in the file's name
        self.temporary = self.folder / f".tokens-{key}.{os.getpid()}.tmp"
        self.rows = 0
        self._stack: ExitStack | None = ExitStack()
        self._sink: Any = None
        self._writer: Any = None

    def add(self, lengths: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        """The next sentences' token counts and their tokens' character offsets (flattened)."""
        import numpy as np
        import pyarrow as pa

        if self._stack is None:
            return
        try:
            if self._writer is None:
                from tagline.corpus.primitives import temporary_file

                if not self.folder.is_dir():
                    self.folder.mkdir(parents=True, exist_ok=True)
                    self._stack.callback(_remove_if_empty, self.folder)  # made for nothing, if discarded
                self._stack.enter_context(temporary_file(self.temporary))  # its lock: a running writer's
                self._sink = pa.OSFile(str(self.temporary), "wb")
                self._writer = pa.ipc.new_file(self._sink, _tokens_schema())
            offsets = pa.array(np.concatenate(([0], np.cumsum(lengths))), pa.int32())
            self._writer.write_batch(pa.record_batch(
                [pa.ListArray.from_arrays(offsets, pa.array(np.asarray(starts, np.int32), pa.int32())),
                 pa.ListArray.from_arrays(offsets, pa.array(np.asarray(ends, np.int32), pa.int32()))],
                schema=_tokens_schema()))
            self.digest.update(lengths, starts, ends)
            self.rows += len(lengths)
        except OSError:
            self.discard()

    def commit(self, n_sentences: int) -> None:
        """Put the cache in place if it holds the corpus's ``n_sentences`` (else it goes), and remove
        the other token caches."""
        import numpy as np

        if self._stack is not None and self._writer is None and n_sentences == 0:
            self.add(np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32))
        if self._stack is None or self.rows != n_sentences:
            self.discard()
            return
        try:
            self._writer.close()
            self._sink.close()
            name = f"tokens-{self.key}-x{self.digest.hexdigest()}.arrow"
            os.replace(self.temporary, self.folder / name)
            stack, self._stack = self._stack, None
            stack.close()  # the temporary file's lock (the folder, no longer empty, stays)
            for old in self.folder.glob("tokens-*.arrow"):
                if old.name != name:
                    old.unlink(missing_ok=True)
        except OSError:
            self.discard()

    def discard(self) -> None:
        """Give the cache up: its temporary file is removed (once renamed into place, nothing is)."""
        import pyarrow as pa

        stack, self._stack = self._stack, None
        if stack is None:
            return
        with contextlib.suppress(OSError):
            self.temporary.unlink()  # while its lock is held
        for closing in (self._writer, self._sink):
            with contextlib.suppress(OSError, pa.ArrowException):
                if closing is not None:
                    closing.close()
        with contextlib.suppress(OSError):
            stack.close()


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


def _digested(workspace: Workspace, kind: str, key: str, schema: pa.Schema) -> tuple[pa.Table, str] | None:
    """The cache of ``kind`` at ``key`` whose name holds the digest of its content
    (``KIND-KEY-xDIGEST.arrow``), read whole, of ``schema`` and checked by Arrow, in one chunk, with that
    digest (the caller's to check); None when there is none or it is damaged. Arrow's files carry no
    checksum: a byte changed on the disk in a sentence's id made adjudication write gold for another."""
    import glob

    import pyarrow as pa

    found = sorted(cache_dir(workspace).glob(f"{kind}-{glob.escape(key)}-x*.arrow"))
    table = _read_arrow(found[0]) if found else None
    if table is None or table.schema != schema:
        return None
    try:
        table.validate(full=True)
        return table.combine_chunks(), found[0].name[len(f"{kind}-{key}-x"):-len(".arrow")]
    except pa.ArrowInvalid:
        return None


def _strings_digest(table: pa.Table) -> str:
    """The XXH3 digest of a table of string columns in one chunk: each column's offsets (from 0) and bytes."""
    import numpy as np
    import xxhash

    digest = xxhash.xxh3_64()
    for column in table.columns:
        for chunk in column.chunks:
            digest.update(str(len(chunk)).encode())
            if len(chunk) and chunk.buffers()[2] is not None:
                offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
                digest.update((offsets - offsets[0]).data)
                digest.update(memoryview(chunk.buffers()[2])[int(offsets[0]):int(offsets[-1])])
    return digest.hexdigest()


def _read_arrow(path: Path) -> pa.Table | None:
    import pyarrow as pa

    try:
        with pa.memory_map(str(path)) as source:
            return pa.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowInvalid):
        return None


def _store(workspace: Workspace, kind: str, key: str, table: pa.Table) -> None:
    """Write ``table`` as the cache of ``kind`` (a temporary file renamed into place, so a reader
    never sees half of it) and remove that kind's older caches."""
    import pyarrow as pa

    folder = cache_dir(workspace)
    from tagline.corpus.primitives import temporary_file

    temporary = folder / f".{kind}-{key}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with temporary_file(temporary):  # its lock says it is a running writer's until it is renamed
            with pa.OSFile(str(temporary), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            os.replace(temporary, folder / f"{kind}-{key}.arrow")
        for old in folder.glob(f"{kind}-*.arrow"):
            if old.name != f"{kind}-{key}.arrow":
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache is a saving, never a condition (the temporary file is removed)


def count_nulls(path: str | os.PathLike[str]) -> int:
    """How many times ``null`` is written in a file, read a block at a time. Arrow reads an explicit
    null (``"split": null``) as an absent field, which the typed reader refuses; a reader that lets
    Arrow check a file counts them so."""
    count, tail = 0, b""
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 26):
            block = tail + chunk
            count += block.count(b"null")
            tail = block[-3:]  # too short to hold a whole "null", so none is counted twice
    return count


def _read_sentences(workspace: Workspace, keep: Callable[[pa.Table, int], T]) -> list[T]:
    """``keep(block, first_row)`` of the sentences, block by block in corpus order, each block a table
    with ``id``, ``doc_id``, ``text`` and ``lang``: read by Arrow with the sentence's declared types
    when every record is one the typed reader accepts, else line by line by that reader (which names
    a bad line), as one block."""
    import pyarrow as pa
    import pyarrow.json as pj

    columns = ["id", "doc_id", "text", "lang"]
    path = workspace.sentences_path
    if not path.exists():
        return [keep(pa.table({name: pa.array([], pa.string()) for name in columns}), 0)]
    strings = [(name, pa.string()) for name in (*columns, "split")]
    schema = pa.schema([*strings, *((name, pa.int64()) for name in ("index", "start", "end")),
                        ("meta", pa.struct([]))])
    kept, first = [], 0
    try:
        for batch in pj.open_json(path, read_options=pj.ReadOptions(block_size=1 << 24),
                                  parse_options=pj.ParseOptions(explicit_schema=schema,
                                                                unexpected_field_behavior="ignore")):
            table = pa.Table.from_batches([batch])
            if not _checked(table):
                break
            kept.append(keep(table.select(columns), first))
            first += table.num_rows
        else:
            if kept and count_nulls(path) == 0:
                return kept
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    kept.clear()
    records = [(r["id"], r["doc_id"], r["text"], r["lang"]) for r in workspace.iter_sentences()]
    return [keep(pa.table({name: pa.array([record[k] for record in records], pa.string())
                           for k, name in enumerate(columns)}), 0)]


def _checked(table: pa.Table) -> bool:
    """Whether every row is a sentence the typed reader (``decode_record``) would accept (but for
    explicit nulls, which the caller counts)."""
    import pyarrow.compute as pc

    if any(table[name].null_count for name in ("id", "doc_id", "text", "lang", "index", "start", "end")):
        return False
    lowest = {name: pc.min(table[name]).as_py() for name in ("index", "start", "end")}
    shortest = min(pc.min(pc.utf8_length(table[name])).as_py() or 0 for name in ("id", "doc_id", "text"))
    return (table.num_rows == 0 or (lowest["index"] >= 1 and lowest["start"] >= 0 and lowest["end"] >= 1
                                    and shortest >= 1)) \
        and set(pc.unique(table["lang"]).to_pylist()) <= {"ja", "en"}


def sentence_ids(workspace: Workspace) -> pa.Table:
    """``id`` and ``doc_id`` of every sentence, in corpus order, as an Arrow table."""
    import pyarrow as pa

    key = _stamp(workspace.sentences_path) if workspace.sentences_path.exists() else "none"
    read = _digested(workspace, "sentences", key, pa.schema([("id", pa.string()), ("doc_id", pa.string())]))
    if read is not None and read[1] == _strings_digest(read[0]):
        return read[0]
    table = pa.concat_tables(_read_sentences(workspace, lambda block, first: block.select(["id", "doc_id"]))) \
        .combine_chunks()
    if workspace.sentences_path.exists():
        _store(workspace, "sentences", f"{key}-x{_strings_digest(table)}", table)
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
    import numpy as np

    first, stop, starts, ends = token_ranges(workspace, rows, small=small)
    lengths = stop - first
    bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    if len(first) and (first[0] != 0 or not np.array_equal(first[1:], stop[:-1]) or stop[-1] != len(starts)):
        gather = np.repeat(first - bounds[:-1], lengths) + np.arange(bounds[-1])
        starts, ends = starts[gather], ends[gather]
    return bounds, starts, ends


def token_ranges(workspace: Workspace, rows: np.ndarray | None = None, *,
                 small: bool = False) -> tuple[Any, Any, Any, Any]:
    """:func:`sentence_tokens` without gathering the sentences' tokens in the order asked:
    ``(first, stop, starts, ends)``, where the ``i``-th sentence's tokens are
    ``starts[first[i]:stop[i]]`` (tens of millions of tokens at a million sentences, not copied)."""
    if small and rows is not None:
        bounds, starts, ends = _tokens_of_few(workspace, rows)
        return bounds[:-1], bounds[1:], starts, ends
    import numpy as np
    import pyarrow as pa

    key = tokens_key(workspace) or "none-" + _tokenizer_stamp()
    n_sentences = sentence_ids(workspace).num_rows
    table = cached_tokens(workspace, key, n_sentences)  # one that is not the corpus's is made again
    if table is None:
        few = rows is not None and len(rows) * 5 < n_sentences
        wanted = np.sort(np.asarray(rows, dtype=np.int64)) if few else None
        parts = _read_sentences(workspace, lambda block, first: _tokens_of_block(block, first, wanted))
        lengths, starts, ends = (list(part) for part in zip(*parts))
        if few:  # the blocks gave the rows sorted: put them in the order asked for
            order = np.argsort(np.argsort(np.asarray(rows, dtype=np.int64), kind="stable"), kind="stable")
            lengths, starts, ends = _reordered(np.concatenate(lengths), np.concatenate(starts),
                                               np.concatenate(ends), order)
        offsets = pa.array(np.concatenate([[0], np.cumsum(np.concatenate(lengths))]), pa.int32())
        table = pa.table({"starts": pa.ListArray.from_arrays(offsets, pa.array(np.concatenate(starts), pa.int32())),
                          "ends": pa.ListArray.from_arrays(offsets, pa.array(np.concatenate(ends), pa.int32()))})
        if few:
            return _unpack(table, None)
        if workspace.sentences_path.exists():
            _store(workspace, "tokens", f"{key}-x{TokenDigest.of(table.combine_chunks())}", table)
    return _unpack(table, rows)


def _tokens_of_block(block: pa.Table, first: int, wanted: Any) -> tuple[Any, Any, Any]:
    """Token counts, starts and ends of a block's sentences (only the ``wanted`` rows, when given),
    tokenised :data:`TOKEN_CHUNK` sentences at a time."""
    import numpy as np
    import pyarrow as pa

    from tagline.corpus.tokenize import tokenize_offsets

    if wanted is not None:
        inside = wanted[(wanted >= first) & (wanted < first + block.num_rows)] - first
        block = block.take(pa.array(inside, pa.int64()))
    lengths: list[Any] = [np.zeros(0, dtype=np.int64)]
    starts: list[Any] = [np.zeros(0, dtype=np.int32)]
    ends: list[Any] = [np.zeros(0, dtype=np.int32)]
    for begin in range(0, block.num_rows, TOKEN_CHUNK):
        chunk = block.slice(begin, TOKEN_CHUNK)
        counts, chunk_starts, chunk_ends = tokenize_offsets(chunk["text"].to_pylist(), chunk["lang"].to_pylist())
        lengths.append(counts)
        starts.append(np.asarray(chunk_starts, dtype=np.int32))
        ends.append(np.asarray(chunk_ends, dtype=np.int32))
    return np.concatenate(lengths), np.concatenate(starts), np.concatenate(ends)


def _reordered(lengths: Any, starts: Any, ends: Any, order: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """The sentences' token counts, starts and ends, the sentence at place ``order[k]`` ``k``-th."""
    import numpy as np

    bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    picked = lengths[order]
    gather = np.repeat(bounds[order] - (np.cumsum(picked) - picked), picked) + np.arange(picked.sum())
    return [picked], [starts[gather]], [ends[gather]]


def _unpack(table: pa.Table, rows: np.ndarray | None) -> tuple[Any, Any, Any, Any]:
    """:func:`token_ranges` of the ``rows`` of a table of token lists (all when None)."""
    import numpy as np

    # One chunk (the cache's) is read as it is: combining copies it (264 MB at a million sentences).
    starts, ends = (column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
                    for column in (table["starts"], table["ends"]))
    offsets = int32_values(starts.offsets).astype(np.int64)
    start_values, end_values = int32_values(starts.values), int32_values(ends.values)
    if rows is None:
        return offsets[:-1], offsets[1:], start_values, end_values
    rows = np.asarray(rows, dtype=np.int64)
    return offsets[rows], offsets[rows + 1], start_values, end_values


def int32_values(array: pa.Array, null: int = 0) -> Any:
    """The values of an int32 Arrow array as a numpy array (``null`` for a null), read from its
    buffers (a view of them when there is no null): ``to_numpy``, ``pa.array`` and ``pa.scalar`` make
    pyarrow import pandas, about half a second of CPU in each process that reads the caches or folds."""
    import numpy as np

    values = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset:array.offset + len(array)]
    if not array.null_count:
        return values
    bits = np.unpackbits(np.frombuffer(array.buffers()[0], dtype=np.uint8), bitorder="little")
    return np.where(bits[array.offset:array.offset + len(array)].astype(bool), values, null).astype(np.int32)
