"""Where one annotator's current answers are in its file: for each sentence and question, the byte
offset of the event that counts (the last one; none once retracted). A session on a large corpus
opens from this instead of reading every answer into Python, and reads a sentence's answers (a
few lines) when it shows the sentence.

The fold is derived data, saved in ``build/index/answers-<annotator>.npz`` with how much of the file
it covers (bytes and lines), the file's inode and a digest of the last bytes it covers. Annotation
files only grow, so the next session folds only what was appended since; a saved fold that does not
match the file (another inode, a shorter file, other bytes at its end, arrays that do not agree) is
not used, and the file is folded from its first line. Each answer read through it is checked: the
line at the offset must be an event of that sentence and question (:class:`StaleAnswers` if not).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagline.annotate.events import slot
from tagline.errors import StorageError

if TYPE_CHECKING:
    import numpy as np

    from tagline.corpus.workspace import Workspace

Slot = tuple[str, str | None]
FORMAT_VERSION = 1
# Lines read beyond the saved fold before opening a session saves the fold again.
SAVE_AFTER = 2000
_DIGEST_BYTES = 512


class StaleAnswers(Exception):
    """The line at an offset the fold gives is not the answer it should be."""


@dataclass
class AnswerIndex:
    """``offsets[row, column]``: where the answer to question ``slots[column]`` of sentence
    ``ids[row]`` (ids sorted, UTF-8 bytes) starts in ``path``, -1 when there is none."""

    path: Path
    slots: list[Slot]
    ids: np.ndarray
    offsets: np.ndarray
    covered: int = 0  # bytes of the file folded (whole lines)
    lines: int = 0

    def row(self, sentence_id: str) -> int | None:
        import numpy as np

        wanted = np.bytes_(sentence_id.encode("utf-8"))
        row = int(np.searchsorted(self.ids, wanted))
        return row if row < len(self.ids) and self.ids[row] == wanted else None

    def complete(self, required: list[Slot]) -> np.ndarray:
        """The ids (sorted) that have an answer to every one of ``required``."""
        import numpy as np

        if any(wanted not in self.slots for wanted in required):
            return self.ids[:0]
        columns = [self.slots.index(wanted) for wanted in required]
        return self.ids[np.all(self.offsets[:, columns] >= 0, axis=1)]

    def values(self, sentence_id: str, handle: Any) -> dict[Slot, dict[str, Any]]:
        """The sentence's current answers, each read from its line in the open file ``handle``."""
        from tagline.schemas.records import decode_record

        row = self.row(sentence_id)
        found: dict[Slot, dict[str, Any]] = {}
        if row is None:
            return found
        for column, offset in enumerate(self.offsets[row].tolist()):
            if offset < 0:
                continue
            line = _line_at(handle.fileno(), offset)
            try:
                event = decode_record("event", line)
            except ValueError:
                event = None
            if event is None or event["sentence_id"] != sentence_id or slot(event) != self.slots[column] or \
                    event["op"] != "set":
                raise StaleAnswers(f"{self.path}: byte {offset} is not {sentence_id}'s answer")
            found[self.slots[column]] = event["value"]
        return found


def answer_index(workspace: Workspace, annotator: str, *, saved: bool = True) -> AnswerIndex:
    """The fold of the annotator's file: the saved one (when it matches the file) brought up to date
    with what was appended since, saved again when that was more than :data:`SAVE_AFTER` lines.
    ``saved=False`` folds the whole file, ignoring what was saved."""
    import numpy as np

    from tagline.corpus.store import iter_placed_lines

    path = workspace.annotation_path(annotator)
    store = workspace.build_dir / "index" / f"answers-{annotator}.npz"
    empty = AnswerIndex(path, [], np.zeros(0, "S1"), np.zeros((0, 0), np.int64))
    if not path.exists():
        return empty
    base = (_load(store, path) if saved else None) or empty
    latest: dict[str, dict[Slot, int]] = {}
    lines, end = base.lines, base.covered
    size = os.stat(path).st_size
    for line_number, at, event in iter_placed_lines(path, kind="event", start=base.covered, first_line=base.lines + 1):
        if at >= size:
            break  # appended after this fold began: the next fold reads it
        latest.setdefault(event["sentence_id"], {})[slot(event)] = at if event["op"] == "set" else -1
        lines, end = line_number, at
    if not latest:
        return base
    index = _merged(base, latest, _line_end(path, end), lines)
    if lines - base.lines > SAVE_AFTER:
        _save(index, store)
    return index


def _merged(base: AnswerIndex, latest: dict[str, dict[Slot, int]], covered: int, lines: int) -> AnswerIndex:
    """``base`` with the answers folded since (``latest``): rows inserted for sentences it did not
    have, in id order, so a short tail costs a copy of the arrays and no sort."""
    import numpy as np

    slots = list(base.slots)
    for answers in latest.values():
        slots.extend(key for key in answers if key not in slots)
    new_ids = np.array([sentence_id.encode("utf-8") for sentence_id in latest], dtype=bytes)
    width = f"S{max(base.ids.dtype.itemsize, new_ids.dtype.itemsize)}"
    ids, new_ids = base.ids.astype(width), new_ids.astype(width)
    offsets = np.pad(base.offsets, ((0, 0), (0, len(slots) - len(base.slots))), constant_values=-1)
    rows = np.searchsorted(ids, new_ids)
    known = (rows < len(ids)) & (ids[np.minimum(rows, max(len(ids) - 1, 0))] == new_ids) if len(ids) else \
        np.zeros(len(new_ids), dtype=bool)
    missing = np.unique(new_ids[~known])
    if len(missing):
        at = np.searchsorted(ids, missing)
        ids = np.insert(ids, at, missing)
        offsets = np.insert(offsets, at, -1, axis=0)
        rows = np.searchsorted(ids, new_ids)
    column = {key: number for number, key in enumerate(slots)}
    for row, answers in zip(rows.tolist(), latest.values(), strict=True):
        for key, offset in answers.items():
            offsets[row, column[key]] = offset
    return AnswerIndex(base.path, slots, ids, offsets, covered, lines)


def _line_at(fd: int, offset: int) -> bytes:
    """The line that starts at ``offset`` (with its newline, when it has one)."""
    chunks, at = [], offset
    while True:
        chunk = os.pread(fd, 4096, at)
        newline = chunk.find(b"\n")
        if newline >= 0 or not chunk:
            chunks.append(chunk[:newline + 1] if newline >= 0 else chunk)
            return b"".join(chunks)
        chunks.append(chunk)
        at += len(chunk)


def _line_end(path: Path, start: int) -> int:
    with open(path, "rb") as handle:
        return start + len(_line_at(handle.fileno(), start))


def _digest(path: Path, covered: int) -> str:
    with open(path, "rb") as handle:
        handle.seek(max(0, covered - _DIGEST_BYTES))
        return hashlib.blake2b(handle.read(min(covered, _DIGEST_BYTES)), digest_size=16).hexdigest()


def _load(store: Path, path: Path) -> AnswerIndex | None:
    """The saved fold, if it is one of this file as it still begins; None otherwise."""
    import numpy as np

    try:
        with np.load(store, allow_pickle=False) as saved:
            meta = json.loads(bytes(saved["meta"]).decode("utf-8"))
            ids, offsets = saved["ids"], saved["offsets"]
        status = os.stat(path)
        slots = [(task, target) for task, target in meta["slots"]]
        if meta["version"] != FORMAT_VERSION or meta["inode"] != status.st_ino or not \
                0 < meta["covered"] <= status.st_size or meta["digest"] != _digest(path, meta["covered"]) or \
                offsets.shape != (len(ids), len(slots)) or not bool(np.all(ids[1:] > ids[:-1])) or \
                (offsets.size and int(offsets.max()) >= meta["covered"]):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none saved, or not one this version reads
    return AnswerIndex(path, slots, ids, offsets.astype(np.int64), meta["covered"], meta["lines"])


def _save(index: AnswerIndex, store: Path) -> None:
    import numpy as np

    from tagline.corpus.transaction import Transaction

    meta = {"version": FORMAT_VERSION, "inode": os.stat(index.path).st_ino, "covered": index.covered,
            "lines": index.lines, "digest": _digest(index.path, index.covered), "slots": index.slots}
    buffer = io.BytesIO()
    np.savez(buffer, ids=index.ids, offsets=index.offsets,
             meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        with Transaction() as transaction:  # a temporary file renamed into place
            transaction.write_text(store, buffer.getvalue())
    except (OSError, StorageError):
        pass  # a read-only workspace: folded again next time
