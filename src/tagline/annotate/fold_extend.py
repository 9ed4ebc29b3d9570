"""A saved fold (:mod:`~tagline.annotate.fold_cache`) extended with the lines appended to its answer
file since, instead of the whole file folded again: answer files only grow, so the agreement or
adjudication after annotators added answers decodes what they added, not the millions of events
before it.

A fold made of a file's lines is saved with what it covers (the bytes and lines, up to the end of a
line, the file's inode, the XXH3 digest of those bytes, the corpus it was made with) and what
extending it needs (:class:`Extent`). It is extended only when the corpus is the same, the file is
the same inode, at least as long, and begins with the same bytes (a file rewritten in place is not
extended): the lines after it are decoded as the whole file is (``event_columns.py``, its checks),
and folded together with the saved answers, each taken as an event of its own that the lines after
it override, by the same fold (``columns._fold_columns``), so the rows, their order, the spans and
the codes are those a fold of the whole file gives. Each sentence's rank (the place of its first
event) is the saved one, or for a sentence first met in the lines appended, the place of its first
event there after every saved event. Anything else (no such fold, a line the decoder refuses, a
last line without its newline) folds the whole file, as before: a bad line is then named by the
reader that names it with its line number."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa

    from tagline.annotate.columns import Folded, Names
    from tagline.corpus.workspace import Workspace


@dataclass
class Extent:
    """What a fold of a file's lines needs to be extended with the lines appended since into what a
    fold of the whole file gives."""

    number: Any  # each row's sentence: its corpus row, or len(corpus) + k for the k-th id the corpus lacks
    first: Any  # by sentence number: the place of the sentence's first event, -1 where it has none
    unknown: Any  # the ids the corpus lacks, in the order first met (an Arrow string array)
    events: int  # the events folded, each a line
    digest: Any = None  # (hasher, bytes): an XXH3 hasher fed the file's first bytes, those it saw


def saved_or_extendable(workspace: Workspace, path: Path, key: str, stamp: str | None) -> bool:
    """Whether the fold of answer file ``path`` is saved for ``key``, or one saved that covers the
    beginning of the file as it is, with the corpus at ``stamp``, is there to extend (its digest is
    checked when it is read)."""
    from tagline.annotate.fold_cache import has_fold

    return has_fold(workspace, path, key) or _candidate(workspace, path, stamp) is not None


def extended_or_whole(workspace: Workspace, path: Path, ids: pa.Array, names: Names,
                      stamp: str | None) -> Folded | None:
    """The fold of answer file ``path`` (codes in ``names``, sentences rows of ``ids``, the corpus
    read at ``stamp``): a saved one extended with the lines appended since, when there is one to
    extend, else the whole file folded (``columns._fold_file``)."""
    from tagline.annotate.columns import _fold_file
    from tagline.annotate.event_columns import expected_names

    folded = extended_fold(workspace, path, ids, names, stamp)
    return folded if folded is not None else _fold_file(path, ids, names, expected_names(workspace))


def extended_fold(workspace: Workspace, path: Path, ids: pa.Array, names: Names, stamp: str | None) -> Folded | None:
    """A saved fold of the beginning of ``path`` extended with the lines after it; None when there is
    none whose corpus, inode and digest are those of the files now, or the lines after it are not
    all events the decoder accepts, each ended by its newline."""
    from tagline.annotate.answer_index import digest_state
    from tagline.annotate.columns import Names
    from tagline.annotate.event_columns import decoded_parts, expected_names
    from tagline.annotate.fold_cache import read_fold

    found = _candidate(workspace, path, stamp)
    if found is None:
        return None
    file, meta = found
    digest = digest_state(path, meta["covered"])
    if digest.hexdigest() != meta["digest"]:
        return None  # written over in place: not the file the fold was made of
    saved = read_fold(file, names, meta)
    if saved is None or saved.extent is None:
        return None
    own = Names()
    parts = decoded_parts(path, own, expected_names(workspace), start=meta["covered"])
    if parts is None:
        return None  # the whole file is folded, and a bad line named
    if not sum(len(part["task"]) for part in parts):
        saved.extent.digest = (digest, meta["covered"])
        return saved
    folded = _merged(saved, saved.extent, parts, own, ids, names)
    if folded.extent is not None:  # its save carries the digest on over the bytes appended
        folded.extent.digest = (digest, meta["covered"])
    return folded


def corpus_rows(every: pa.Array, ids: pa.Array) -> Any:
    """The corpus row of each id of ``every`` (the first row of that id in ``ids``), -1 where the
    corpus lacks it, as an int64 array. ``pc.index_in`` hashes every id of the corpus on each call
    (once per block, it took two thirds of reading an answer file at a million sentences, so the
    blocks' ids are looked up at once); a few ids, as the lines appended to a saved fold hold, are
    instead found by scanning the corpus against a hash of them, the corpus not hashed."""
    import numpy as np
    import pyarrow.compute as pc

    from tagline.corpus.sentence_table import int32_values

    if len(every) * 16 >= len(ids):
        return int32_values(pc.index_in(every, value_set=ids), -1).astype(np.int64)
    encoded = pc.dictionary_encode(every)
    hits = int32_values(pc.index_in(ids, value_set=encoded.dictionary), -1)
    matched = np.flatnonzero(hits >= 0)  # corpus rows, ascending: the first of each id comes first
    distinct, first = np.unique(hits[matched], return_index=True)
    row = np.full(len(encoded.dictionary), -1, dtype=np.int64)
    row[distinct] = matched[first]
    return row[int32_values(encoded.indices)]


def _candidate(workspace: Workspace, path: Path, stamp: str | None) -> tuple[Path, dict[str, Any]] | None:
    """A saved fold of ``path`` made with the corpus at ``stamp`` whose inode is the file's and which
    covers no more than the file's size, with what it says it covers."""
    from tagline.annotate.fold_cache import fold_meta, saved_folds

    if stamp is None:
        return None
    try:
        status = os.stat(path)
    except OSError:
        return None
    for file in saved_folds(workspace, path):
        meta = fold_meta(file)
        if meta is not None and meta.get("corpus") == stamp and meta.get("inode") == status.st_ino and \
                isinstance(meta.get("covered"), int) and 0 < meta["covered"] <= status.st_size and \
                isinstance(meta.get("lines"), int) and isinstance(meta.get("digest"), str):
            return file, meta
    return None


def _merged(saved: Folded, extent: Extent, parts: list[dict[str, Any]], own: Names, ids: pa.Array,
            names: Names) -> Folded:
    """``saved`` extended with the columns of the lines appended (``parts``, coded in ``own``): the
    saved answers, one event each in the order of their rows (the order of their last events), and
    the appended events after them, folded as the file's events are."""
    import numpy as np
    import pyarrow as pa

    from tagline.annotate.columns import _fold_columns, _sentence_rows
    from tagline.annotate.fold_cache import CODED

    lookup = np.array([names.code(name) for name in own.names] + [-1], dtype=np.int64)
    for part in parts:  # the appended events' codes made the command's, as a whole file's are
        for name in CODED:
            part[name] = lookup[part[name]].astype(part[name].dtype)
    texts = pa.chunked_array([saved.span_text, *(part.pop("span_text") for part in parts)], pa.string())
    unknown = _sentence_rows(parts, ids, extent.unknown)
    tail = {name: np.concatenate([part.pop(name) for part in parts]) for name in list(parts[0])}
    appended = tail["sentence"]
    columns = {name: np.concatenate([getattr(saved, name), tail[name]])
               for name in ("task", "target", "label", "accepted", "source", "span_start", "span_end", "span_label")}
    columns["sentence"] = np.concatenate([extent.number.astype(np.int32), appended])
    columns["set"] = np.concatenate([np.ones(len(saved.task), dtype=bool), tail["set"]])
    columns["count"] = np.concatenate([np.diff(saved.span_bounds).astype(np.int32), tail["count"]])
    for name in ("sentence", "rank", *columns, "span_bounds"):  # copied: the saved fold's columns freed
        if hasattr(saved, name):
            setattr(saved, name, None)
    extent.number = None
    folded = _fold_columns(columns, int(np.iinfo(np.int32).max), texts)  # each row's sentence number kept
    size = max(len(extent.first), int(appended.max()) + 1)
    first = np.full(size, -1, dtype=np.int64)
    first[:len(extent.first)] = extent.first
    first_appended = np.full(size, len(appended), dtype=np.int64)
    np.minimum.at(first_appended, appended, np.arange(len(appended), dtype=np.int64))
    fresh = (first < 0) & (first_appended < len(appended))  # first met in the lines appended
    first[fresh] = extent.events + first_appended[fresh]
    number = folded.sentence
    folded.rank = first[number].astype(np.int32)
    folded.sentence = np.where(number < len(ids), number, -1)
    folded.declared = saved.declared
    folded.extent = Extent(number, first.astype(np.int32), unknown, extent.events + len(appended))
    pa.default_memory_pool().release_unused()  # the saved fold's text, taken whole: its memory given back
    return folded
