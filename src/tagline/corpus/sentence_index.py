"""Where each sentence is in ``sentences.jsonl``: an index of ids and byte offsets, so that a
sentence is read by its id or its position without reading the file from the top.

The index is derived data, kept in ``build/index/`` as one NumPy file named for the state of
``sentences.jsonl`` it was made from (size, modification time in nanoseconds, inode). Any change
to the file (an ingest appends or replaces it) gives another name, so a stale index is never
opened; it is made again on first use, written atomically (a temporary file renamed into place),
so two processes that make it at once both end with the same complete file. It is never trusted
blindly: every sentence read through it must be a whole line whose id is the one the index holds
for that place, or the index is made again from the file (:class:`StaleIndex`). When it cannot be
written (a read-only workspace), it is kept in memory for the process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from tagline.errors import DataError, StorageError

if TYPE_CHECKING:
    import numpy as np

    from tagline.corpus.byte_columns import AppendedLines
    from tagline.corpus.workspace import Workspace

INDEX_VERSION = 2
# Lines decoded at once while the index is made: a block's records are dropped before the next.
BLOCK_LINES = 65536
# The index each sentences file had when this process last opened it, by the name of its state.
_OPENED: dict[Path, tuple[str, SentenceIndex]] = {}


class StaleIndex(Exception):
    """What the index says is at a place in ``sentences.jsonl`` is not there: it must be made again."""


@dataclass
class SentenceIndex:
    """The sentences of ``sentences.jsonl`` by position (file order) and by id.

    ``starts[p]`` is where sentence ``p``'s line starts and ``starts[p + 1]`` where the next one
    does (the last entry is where the whole lines end). ``sorted_ids`` are the ids (UTF-8 bytes) in
    sorted order, ``by_id[k]`` the position of the sentence with the k-th id and ``rank[p]`` where
    the id of the sentence at position ``p`` is in ``sorted_ids``.
    """

    path: Path
    starts: np.ndarray
    sorted_ids: np.ndarray
    by_id: np.ndarray
    rank: np.ndarray

    def __len__(self) -> int:
        return len(self.by_id)

    def sentence_id(self, position: int) -> str:
        return bytes(self.sorted_ids[int(self.rank[position])]).decode("utf-8")

    def position(self, sentence_id: str) -> int | None:
        """The position of the sentence with this id, or None: a binary search over the ids, which
        reads some twenty of them however large the corpus."""
        wanted = sentence_id.encode("utf-8")
        low, high = 0, len(self.by_id)
        while low < high:
            middle = (low + high) // 2
            if bytes(self.sorted_ids[middle]) < wanted:
                low = middle + 1
            else:
                high = middle
        if low < len(self.by_id) and bytes(self.sorted_ids[low]) == wanted:
            return int(self.by_id[low])
        return None

    def positions(self, sentence_ids: np.ndarray) -> np.ndarray:
        """The positions of many ids (a NumPy bytes array) at once, -1 for an id not in the corpus."""
        import numpy as np

        if not len(self.by_id) or not len(sentence_ids):
            return np.full(len(sentence_ids), -1, dtype=np.int64)
        sorted_ids = np.ascontiguousarray(self.sorted_ids)
        found = np.minimum(np.searchsorted(sorted_ids, sentence_ids), len(sorted_ids) - 1)
        return np.where(sorted_ids[found] == sentence_ids, np.asarray(self.by_id)[found], -1)

    def read(self, position: int, handle: Any = None) -> dict[str, Any]:
        """The sentence at ``position``, read from its line and checked (:class:`StaleIndex` when the
        line there is not that sentence's whole line)."""
        from tagline.schemas.records import decode_record

        start, end = int(self.starts[position]), int(self.starts[position + 1])
        if not 0 <= start < end:
            raise StaleIndex(f"{self.path}: the index gives sentence {position} no line")
        if handle is None:
            with open(self.path, "rb") as opened:
                opened.seek(start)
                line = opened.read(end - start)
        else:
            line = os.pread(handle.fileno(), end - start, start)
        try:
            record = decode_record("sentence", line) if line.endswith(b"\n") else None
        except ValueError:  # not JSON (msgspec.DecodeError), or not a sentence (RecordError)
            record = None
        if record is None or record["id"] != self.sentence_id(position):
            raise StaleIndex(f"{self.path}: byte {start} does not hold sentence {self.sentence_id(position)!r}")
        return record

    def check(self) -> None:
        """Check the whole index against itself (offsets rising, ids sorted, ``by_id`` and ``rank``
        each other's inverse): what a reader that uses all of it does once, in milliseconds per
        million sentences."""
        import numpy as np

        count = len(self.by_id)
        if len(self.starts) != count + 1 or len(self.sorted_ids) != count or len(self.rank) != count or \
                int(self.starts[0]) != 0 or not bool(np.all(np.diff(self.starts) > 0)) or \
                not bool(np.all(self.sorted_ids[1:] >= self.sorted_ids[:-1])) or \
                (count and not 0 <= int(np.min(self.by_id)) <= int(np.max(self.by_id)) < count) or \
                not bool(np.array_equal(np.asarray(self.rank)[np.asarray(self.by_id)], np.arange(count))):
            raise StaleIndex(f"{self.path}: the sentence index is inconsistent")


def sentence_index(workspace: Workspace, *, checked: bool = False) -> SentenceIndex:
    """The index of the workspace's ``sentences.jsonl``: the one this process opened last if the file
    has not changed since, else the one in ``build/index/`` made from the file as it is, else one
    made now (and saved for the next command). ``checked`` checks it whole
    (:meth:`SentenceIndex.check`) and makes it again when it fails."""
    path = workspace.sentences_path
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return _empty(path)
    name = f"sentences-v{INDEX_VERSION}-{status.st_size}-{status.st_mtime_ns}-{status.st_ino}.npy"
    opened = _OPENED.get(path)
    index = opened[1] if opened is not None and opened[0] == name else _load(path, workspace.build_dir / "index" / name)
    if index is not None and checked:
        try:
            index.check()
        except StaleIndex:
            index = None
    if index is None:
        return rebuild_index(workspace, earlier=_earlier(workspace, status))
    _OPENED[path] = (name, index)
    return index


def rebuild_index(workspace: Workspace, *, earlier: SentenceIndex | None = None) -> SentenceIndex:
    """Make the index from ``sentences.jsonl`` (again, after :class:`StaleIndex`) and save it. With
    the ``earlier`` index of the file before sentences were appended to it, only those are read."""
    path = workspace.sentences_path
    status = os.stat(path)
    name = f"sentences-v{INDEX_VERSION}-{status.st_size}-{status.st_mtime_ns}-{status.st_ino}.npy"
    if earlier is not None:
        index = _extended(earlier, build_index(path, start=int(earlier.starts[-1]), lines_before=len(earlier)))
    else:
        index = build_index(path)
    _save(index, workspace.build_dir / "index", name)
    _OPENED[path] = (name, index)
    return index


def keep_index_current(workspace: Workspace) -> None:
    """After a writer changed ``sentences.jsonl`` (an ingest): bring the saved index up to date, by the
    appended lines alone when the index of the file before them is there, so the next reader finds it
    made. The file as it is now is read (and checked), never the writer's own idea of it."""
    sentence_index(workspace)


def index_appended(workspace: Workspace, appended: AppendedLines) -> None:
    """After an ingest appended the sentence lines it noted in ``appended`` (under the workspace
    lock): the saved index of the file before them extended with them from memory, so the lines are
    not read back. Taken only when the file is the one it appended to and ends where its last line
    does, and the saved index ends where its first line starts; the first and last of the lines are
    then read to check they are where it says. Otherwise (or when the check fails) the index is
    brought up to date from the file, as :func:`keep_index_current` does."""
    import numpy as np

    path = workspace.sentences_path
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return
    earlier = _before(workspace, status, appended.first) if appended.whole and appended.first >= 0 and \
        status.st_size == appended.end else None
    if earlier is None:
        keep_index_current(workspace)
        return
    ids = appended.ids()
    by_id = np.argsort(ids, kind="stable").astype(np.int64)
    rank = np.empty_like(by_id)
    rank[by_id] = np.arange(len(by_id))
    starts = np.append(appended.starts(), appended.end)
    index = _extended(earlier, SentenceIndex(path, starts, ids[by_id], by_id, rank)) if len(earlier) else \
        SentenceIndex(path, starts, ids[by_id], by_id, rank)
    try:
        if len(ids):
            index.read(len(earlier))
            index.read(len(index) - 1)
    except StaleIndex:
        keep_index_current(workspace)
        return
    name = f"sentences-v{INDEX_VERSION}-{status.st_size}-{status.st_mtime_ns}-{status.st_ino}.npy"
    _save(index, workspace.build_dir / "index", name)
    _OPENED[path] = (name, index)


def _before(workspace: Workspace, status: os.stat_result, size: int) -> SentenceIndex | None:
    """The index of the file (``status``'s inode) as it was when it held ``size`` bytes of whole lines:
    empty when it was empty, else the saved one, if there is one and its last sentence is where it says."""
    if size == 0:
        return _empty(workspace.sentences_path)
    opened = _OPENED.get(workspace.sentences_path)
    if opened is not None and opened[0].endswith(f"-{status.st_ino}.npy") and \
            opened[0].startswith(f"sentences-v{INDEX_VERSION}-{size}-"):
        index: SentenceIndex | None = opened[1]
    else:
        saved = sorted((workspace.build_dir / "index").glob(f"sentences-v{INDEX_VERSION}-{size}-*-{status.st_ino}.npy"))
        index = _load(workspace.sentences_path, saved[-1], grown=True) if len(saved) == 1 else None
    if index is None or int(index.starts[-1]) != size or not len(index):
        return None
    try:
        index.read(len(index) - 1)
    except StaleIndex:
        return None
    return index


def find_sentence(workspace: Workspace, sentence_id: str) -> dict[str, Any] | None:
    """The sentence with this id, or None, read through the index: its line alone is read. A line
    that is not what the index says makes the index again; an id the index does not know is looked
    for in the file itself before it is reported missing, so a damaged index can never hide one."""
    index = sentence_index(workspace)
    position = index.position(sentence_id)
    if position is not None:
        try:
            return index.read(position)
        except StaleIndex:
            pass
    found = next((record for record in workspace.iter_sentences() if record["id"] == sentence_id), None)
    if found is not None or position is not None:
        rebuild_index(workspace)
    return found


def _load(path: Path, saved: Path, *, grown: bool = False) -> SentenceIndex | None:
    import numpy as np

    try:
        table = np.load(saved, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None  # not made yet, or not a readable index: made again
    if table.dtype.names != ("start", "sorted_id", "by_id", "rank") or table.ndim != 1 or len(table) < 1:
        return None
    count = len(table) - 1
    index = SentenceIndex(path, table["start"], table["sorted_id"][:count], table["by_id"][:count],
                          table["rank"][:count])
    end, size = int(index.starts[-1]), os.stat(path).st_size
    if count and (int(index.starts[0]) != 0 or not 0 < end <= size):
        return None
    if end < size and not grown:
        _warn_torn(path, count + 1)
    return index


def _earlier(workspace: Workspace, status: os.stat_result) -> SentenceIndex | None:
    """The saved index of this file (the same inode) before sentences were appended to it, if its
    first and last sentences are still where it says: then only the appended lines need reading."""
    candidates = []
    for saved in (workspace.build_dir / "index").glob(f"sentences-v{INDEX_VERSION}-*-{status.st_ino}.npy"):
        parts = saved.name.split("-")
        if len(parts) == 5 and parts[2].isdigit() and int(parts[2]) < status.st_size:
            candidates.append((int(parts[2]), saved))
    for _, saved in sorted(candidates, reverse=True)[:1]:
        index = _load(workspace.sentences_path, saved, grown=True)
        if index is None or not len(index):
            return None
        try:
            index.read(0)
            index.read(len(index) - 1)  # a whole line, ending where the appended ones begin
        except StaleIndex:
            return None
        return index
    return None


def _extended(earlier: SentenceIndex, appended: SentenceIndex) -> SentenceIndex:
    """``earlier`` with the sentences of ``appended`` (indexed from where it ends) after its own:
    their ids put in order by insertion, not by sorting everything again."""
    import numpy as np

    width = f"S{max(earlier.sorted_ids.dtype.itemsize, appended.sorted_ids.dtype.itemsize)}"
    old_ids, new_ids = np.asarray(earlier.sorted_ids).astype(width), appended.sorted_ids.astype(width)
    at = np.searchsorted(old_ids, new_ids, side="right")  # after equal ids, as a stable sort would put them
    by_id = np.insert(np.asarray(earlier.by_id), at, appended.by_id + len(earlier))
    rank = np.empty_like(by_id)
    rank[by_id] = np.arange(len(by_id))
    starts = np.concatenate([np.asarray(earlier.starts)[:-1], appended.starts])
    return SentenceIndex(earlier.path, starts, np.insert(old_ids, at, new_ids), by_id, rank)


def build_index(path: Path, *, start: int = 0, lines_before: int = 0) -> SentenceIndex:
    """Read ``sentences.jsonl`` once (from byte ``start``) and index it. Lines are decoded a block
    at a time in msgspec; a line that is not a sentence's JSON sends the file through the store's
    reader, whose error names its line."""
    import numpy as np

    from tagline.corpus.byte_columns import newline_offsets
    from tagline.corpus.store import complete_size, read_records

    size, torn = complete_size(path)
    decoder = msgspec.json.Decoder(_SentenceId)
    starts_parts, id_parts = [], []
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read(size - start)
    newlines = newline_offsets(data)
    line_starts = np.concatenate(([0], newlines[:-1] + 1)) if len(newlines) else np.zeros(0, np.int64)
    for first in range(0, len(line_starts), BLOCK_LINES):
        block_starts = line_starts[first:first + BLOCK_LINES]
        block_end = int(newlines[first + len(block_starts) - 1]) + 1
        block = data[int(block_starts[0]):block_end]
        try:
            records = decoder.decode_lines(block)
        except (msgspec.DecodeError, RecursionError):
            for _ in read_records(path, kind="sentence"):  # raises DataError naming the line
                pass
            raise DataError("is not a valid sentences file", where=str(path)) from None
        if len(records) != len(block_starts):  # blank lines, which decode_lines skips
            ends = np.append(block_starts[1:], block_end)
            block_starts = np.array([start for start, end in zip(block_starts, ends, strict=True)
                                     if data[int(start):int(end)].strip()], dtype=np.int64)
        starts_parts.append(block_starts + start)
        id_parts.append(np.array([record.id.encode("utf-8") for record in records], dtype=bytes))
    if torn:
        _warn_torn(path, lines_before + len(line_starts) + 1)
    if not id_parts:
        return _empty(path, size)
    starts = np.concatenate([*starts_parts, [size]]).astype(np.int64)
    ids = np.concatenate(id_parts).astype(f"S{max(part.dtype.itemsize for part in id_parts)}")
    by_id = np.argsort(ids, kind="stable").astype(np.int64)
    rank = np.empty_like(by_id)
    rank[by_id] = np.arange(len(by_id))
    return SentenceIndex(path, starts, ids[by_id], by_id, rank)


def _empty(path: Path, size: int = 0) -> SentenceIndex:
    import numpy as np

    return SentenceIndex(path, np.array([size], np.int64), np.zeros(0, "S1"), np.zeros(0, np.int64),
                         np.zeros(0, np.int64))


class _SentenceId(msgspec.Struct):
    id: str


def _save(index: SentenceIndex, folder: Path, name: str) -> None:
    """Write the index as ``folder/name`` (atomically), and remove the indexes of older states of the file."""
    import io

    import numpy as np

    from tagline.corpus.transaction import Transaction

    count = len(index)
    table = np.zeros(count + 1, dtype=[("start", np.int64), ("sorted_id", index.sorted_ids.dtype),
                                       ("by_id", np.int64), ("rank", np.int64)])
    table["start"] = index.starts
    table["sorted_id"][:count] = index.sorted_ids
    table["by_id"][:count] = index.by_id
    table["rank"][:count] = index.rank
    buffer = io.BytesIO()
    np.save(buffer, table, allow_pickle=False)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with Transaction() as transaction:  # a temporary file renamed into place: never half an index
            transaction.write_text(folder / name, buffer.getvalue())
    except (OSError, StorageError):
        return  # a read-only workspace: the index lives in this process only
    for old in folder.glob("sentences-v*.npy"):
        if old.name != name:
            old.unlink(missing_ok=True)


def _warn_torn(path: Path, line: int) -> None:
    from tagline.corpus.store import _torn

    _torn(path, line, None)  # the warning the store's reader gives for a torn last line
