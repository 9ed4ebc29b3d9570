"""Each annotator's current answers as columns, for agreement and adjudication at scale.

An answer file is read whole by Arrow's JSON reader, checked as the typed reader
(:func:`tagline.schemas.records.decode_record`) checks each line, and folded with numpy as
:func:`tagline.annotate.events.fold_answers` folds the events: the last event per sentence and
question wins, a retraction removes the answer. Labels, targets and sources become integer codes.
A file that Arrow cannot read (a torn last line, a bad line) or whose records the checks refuse is
folded line by line instead, by ``fold_answers`` itself, which names a bad line as every command
does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from tagline.annotate.events import fold_answers
from tagline.corpus.sentence_table import int32_values
from tagline.schemas import TASKS

if TYPE_CHECKING:
    import pyarrow as pa

    from tagline.annotate.event_columns import Expected
    from tagline.annotate.fold_extend import Extent
    from tagline.corpus.workspace import Workspace

STANCE, ENTITIES = TASKS.index("stance"), TASKS.index("entities")
ACCEPTED = ("as_is", "changed")


class Names:
    """Strings as small integer codes, the same code for the same string across files."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._code: dict[str, int] = {}

    def code(self, name: str) -> int:
        if name not in self._code:
            self._code[name] = len(self.names)
            self.names.append(name)
        return self._code[name]

    def codes(self, array: pa.Array | pa.ChunkedArray) -> Any:
        """The code of every string of ``array`` (-1 for a null), as an int64 numpy array."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        encoded = pc.dictionary_encode(array)
        encoded = encoded.combine_chunks() if isinstance(encoded, pa.ChunkedArray) else encoded
        lookup = np.array([self.code(name) for name in encoded.dictionary.to_pylist()] + [-1], dtype=np.int64)
        return lookup[pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)]

    def codes_of(self, strings: list[str | None]) -> Any:
        """:meth:`codes` of a list of strings (None for a null): a dict lookup each, without making
        an Arrow array of them first; names not seen yet are given codes in the order they first
        appear, as :meth:`codes` gives them."""
        from itertools import repeat

        import numpy as np

        lookup: dict[str | None, int] = {None: -1}
        lookup.update(self._code)
        codes = np.fromiter(map(lookup.get, strings, repeat(-2)), dtype=np.int64, count=len(strings))
        if (codes == -2).any():
            for name in dict.fromkeys(strings):
                if name is not None and name not in self._code:
                    self.code(name)
            lookup.update(self._code)
            codes = np.fromiter(map(lookup.__getitem__, strings), dtype=np.int64, count=len(strings))
        return codes


@dataclass
class Folded:
    """One annotator's current answers, one row each, for every sentence of the file and every
    question. Codes of labels, targets and sources are :class:`Names` codes, -1 where none."""

    sentence: Any  # the sentence's row in the corpus (sentence_ids), -1 where the corpus no longer has it
    rank: Any  # the place of the sentence's first event in the file: the order of the folded view
    task: Any  # place in TASKS
    target: Any
    label: Any
    span_bounds: Any  # row i's spans are span_*[span_bounds[i]:span_bounds[i + 1]] (entities only)
    span_start: Any
    span_end: Any
    span_label: Any
    accepted: Any  # place in ACCEPTED, -1 without a suggestion
    source: Any  # the suggestion's source
    span_text: Any = None  # the spans' covered text (an Arrow string array; None when read line by line)
    declared: bool = True  # no value holds a field the event does not declare (which the columns lose)
    extent: Extent | None = None  # what extending the fold with appended lines needs (msgspec's folds)


ARROW_MIN_BYTES = 4 << 20
"""Below this many bytes of answers and sentences, the files are read line by line: importing Arrow
would take longer than reading them."""


class ColumnAnswers:
    """Every annotator's :class:`Folded` answers, each file read the first time it is asked for:
    from the fold saved in ``build/index/`` when the file and the corpus are as they were then,
    else through Arrow (and the fold saved), else line by line."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        files = [*workspace.annotation_files(), workspace.sentences_path]
        self.arrow = sum(path.stat().st_size for path in files if path.exists()) >= ARROW_MIN_BYTES
        self._ids: Any = None
        self._ids_stamp: str | None = None  # sentences.jsonl as it was when the ids were read
        self.names = Names()
        self._read: dict[str, Folded] = {}
        self._ahead: dict[str, tuple[str, Folded, list[str]]] = {}  # folded by workers: key, fold, its names
        self.line_by_line: set[str] = set()  # the annotators whose files Arrow did not fold

    @property
    def ids(self) -> Any:
        """Every sentence id in corpus order: an Arrow array, or a list for a small corpus."""
        if self._ids is None:
            before = _corpus_stamp(self.workspace)
            if self.arrow:
                from tagline.corpus.sentence_table import sentence_ids

                self._ids = sentence_ids(self.workspace)["id"].combine_chunks()
            else:
                self._ids = [record["id"] for record in self.workspace.iter_sentences()]
            # Changed while read (a `corpus add` meanwhile): no saved fold can be known to match these ids.
            self._ids_stamp = before if before == _corpus_stamp(self.workspace) else None
        return self._ids

    def read_sentences(self) -> None:
        """Read (and check) the corpus's sentence ids now rather than when the first vote needs them."""
        _ = self.ids

    def sentence_id(self, row: int) -> str:
        return str(self.ids[row].as_py()) if self.arrow else self.ids[row]

    def sentence_ids(self, rows: Any) -> list[str]:
        """The ids of corpus rows ``rows``, at once."""
        if self.arrow:
            return self.ids.take(arrow_indices(rows)).to_pylist()
        return [self.ids[row] for row in rows.tolist()]

    def __call__(self, annotator: str) -> Folded:
        if annotator not in self._read:
            path = self.workspace.annotation_path(annotator)
            folded = self._fold(annotator, path) if self.arrow and path.exists() else None
            if folded is None:
                self.line_by_line.add(annotator)
            self._read[annotator] = folded if folded is not None else self._fold_records(annotator)
        return self._read[annotator]

    def _fold(self, annotator: str, path: Any) -> Folded | None:
        """The annotator's fold: a worker's (:meth:`fold_ahead`), the saved one (or one saved before
        answers were appended, extended with them), or made now (and saved); None if Arrow cannot."""
        from tagline.annotate.fold_cache import fold_key, load_fold, recoded, save_fold

        ids = self.ids  # the fold holds rows of the corpus as this command read it
        key = fold_key(self.workspace, path, self._ids_stamp) if self._ids_stamp else None
        made: Folded | None
        if annotator in self._ahead:  # folded by a worker, from the file as it was at its key
            key, worker_fold, own_names = self._ahead.pop(annotator)
            made = recoded(worker_fold, own_names, self.names)
        else:
            saved = load_fold(self.workspace, path, self.names, key)
            if saved is not None:
                return saved
            from tagline.annotate.fold_extend import extended_or_whole

            made = extended_or_whole(self.workspace, path, ids, self.names, self._ids_stamp)
        if made is not None:
            save_fold(self.workspace, path, made, self.names, key)
        return made

    def fold_ahead(self, annotators: list[str]) -> None:
        """Fold now, one file per worker process, the large answer files of ``annotators`` that have
        no saved fold to read or extend, when there are two or more and two cores or more (all at once up to
        twice as many files as cores, else one worker a core). Each worker saves its
        fold, read when the annotator is first asked for (or sends it back when it cannot be saved);
        a file a worker did not fold is folded then, here."""
        from tagline.annotate.fold_cache import fold_key, sweep_saves
        from tagline.annotate.fold_extend import saved_or_extendable
        from tagline.annotate.fold_workers import PARALLEL_FOLD_MIN_BYTES, fold_in_worker
        from tagline.corpus.workers import cores, map_in_workers

        if not self.arrow:
            return
        _ = self.ids
        stamp = self._ids_stamp
        files = {name: self.workspace.annotation_path(name) for name in annotators if name not in self._read}
        keys = {name: fold_key(self.workspace, path, stamp) for name, path in files.items()
                if stamp and path.exists() and path.stat().st_size >= PARALLEL_FOLD_MIN_BYTES}
        todo = [(name, key) for name, key in keys.items()
                if key and not saved_or_extendable(self.workspace, files[name], key, stamp)]
        if len(todo) < 2 or cores() < 2:
            return
        # Up to twice as many files as cores are all folded at once: three files on two cores end
        # together, in about three halves of the time of one, where two workers would fold the
        # third file alone, on one core, after the first two.
        workers = len(todo) if len(todo) <= 2 * cores() else cores()
        try:
            made = map_in_workers(fold_in_worker, [(str(self.workspace.root), str(files[name]), stamp, key)
                                                   for name, key in todo], workers)
        except BaseException:  # the workers are stopped: what those stopped while saving left goes with them
            sweep_saves(self.workspace, [files[name] for name, _ in todo])
            raise
        for (name, key), result in zip(todo, made):
            if result is not None and key is not None:
                self._ahead[name] = (key, result[0], result[1])

    def _fold_records(self, annotator: str) -> Folded:
        """:func:`fold_answers` over the file, line by line, as columns."""
        import numpy as np

        from tagline.annotate.events import iter_annotation_events

        ids = self.ids.to_pylist() if self.arrow else self.ids
        row_of = {sentence_id: row for row, sentence_id in enumerate(ids)}
        columns: dict[str, list[int]] = {name: [] for name in ("sentence", "rank", "task", "target", "label",
                                                                "accepted", "source", "count")}
        spans: list[tuple[int, int, int]] = []
        code = self.names.code
        for rank, (sentence_id, current) in enumerate(fold_answers(iter_annotation_events(self.workspace,
                                                                                           annotator)).items()):
            for (task, target), (value, suggestion) in current.items():
                row = {"sentence": row_of.get(sentence_id, -1), "rank": rank, "task": TASKS.index(task),
                       "target": code(target) if target is not None else -1,
                       "label": code(value["label"]) if task != "entities" else -1,
                       "accepted": ACCEPTED.index(suggestion["accepted"]) if suggestion else -1,
                       "source": code(suggestion["source"]) if suggestion else -1,
                       "count": len(value["spans"]) if task == "entities" else 0}
                for name, number in row.items():
                    columns[name].append(number)
                if task == "entities":
                    spans.extend((span["start"], span["end"], code(span["label"])) for span in value["spans"])
        arrays = {name: np.array(numbers, dtype=np.int64) for name, numbers in columns.items()}
        flat = np.array(spans, dtype=np.int64).reshape(-1, 3)
        return Folded(arrays["sentence"], arrays["rank"], arrays["task"], arrays["target"], arrays["label"],
                      np.concatenate([[0], np.cumsum(arrays["count"])]).astype(np.int64),
                      flat[:, 0], flat[:, 1], flat[:, 2], arrays["accepted"], arrays["source"])


def _corpus_stamp(workspace: Workspace) -> str | None:
    from tagline.corpus.sentence_table import _stamp

    try:
        return _stamp(workspace.sentences_path)
    except OSError:
        return None


def _fold_file(path: Any, ids: pa.Array, names: Names, expected: Expected | None = None) -> Folded | None:
    """The answer file folded: decoded by msgspec (``event_columns.py``, expecting the names of
    ``expected``, the workspace's :func:`~tagline.annotate.event_columns.expected_names`), or by
    Arrow when msgspec's structs refuse a line; None when neither folds it (the caller then reads it
    line by line)."""
    from tagline.annotate.event_columns import decoded_parts
    from tagline.annotate.fold_cache import recoded

    own = Names()  # the names of a file msgspec gives up on halfway are not the command's
    parts = decoded_parts(path, own, expected)
    if parts is None:
        return _fold_arrow(path, ids, names)
    folded = _fold_parts(parts, ids)
    return recoded(folded, own.names, names) if folded is not None else None


def _fold_arrow(path: Any, ids: pa.Array, names: Names) -> Folded | None:
    """The file folded through Arrow, or None when Arrow cannot read it or a record is not one the
    typed reader accepts (the caller then reads it line by line). The file is read in blocks, each
    kept only as the few integer columns the fold needs and the spans' text."""

    declared = [True]

    def keep(table: pa.Table) -> dict[str, Any]:
        declared[0] = declared[0] and declared_values(table)
        return _compact(table, names)

    from tagline.annotate.column_checks import declared_values

    parts = _checked_blocks(path, keep)
    folded = _fold_parts(parts, ids, declared[0]) if parts is not None else None
    return replace(folded, extent=None) if folded is not None else None  # not extended: events need not be lines


def _fold_parts(parts: list[dict[str, Any]], ids: pa.Array, declared: bool = True) -> Folded | None:
    """The fold of the columns of a file's blocks (:func:`_compact`'s), None when they hold no event."""
    import numpy as np
    import pyarrow as pa

    if not parts or not sum(len(part["task"]) for part in parts):
        return None
    texts = pa.chunked_array([part.pop("span_text") for part in parts], pa.string())
    unknown = _sentence_rows(parts, ids)
    # Each column's blocks are taken out of the parts as it is made whole (the caller still holds the
    # parts): a file's columns are never held twice.
    columns = {name: np.concatenate([part.pop(name) for part in parts]) for name in list(parts[0])}
    pa.default_memory_pool().release_unused()  # the blocks Arrow read are gone: give their memory back
    folded = _fold_columns(columns, len(ids), texts)
    folded.declared = declared
    if folded.extent is not None:
        folded.extent.unknown = unknown
    return folded


def _checked_blocks(path: Any, keep: Callable[[pa.Table], Any]) -> list[Any] | None:
    """``keep(block)`` of every block of the answer file as Arrow reads it with the event's types
    (and any field it does not declare inferred), or None when Arrow cannot read it or a record is
    not one the typed reader accepts."""
    import pyarrow as pa
    import pyarrow.json as pj

    from tagline.annotate.column_checks import event_schema, events_valid
    from tagline.corpus.sentence_table import count_nulls

    kept = []
    null_values = 0
    try:
        reader = pj.open_json(path, read_options=pj.ReadOptions(block_size=1 << 24),
                              parse_options=pj.ParseOptions(explicit_schema=event_schema(),
                                                            unexpected_field_behavior="infer"))
        for batch in reader:
            table = pa.Table.from_batches([batch])
            table.validate(full=True)  # Arrow's reader keeps a string that is not UTF-8: a bad line
            if not events_valid(table):
                return None
            null_values += table["value"].null_count
            kept.append(keep(table))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return kept if kept and count_nulls(path) == null_values else None


def _sentence_rows(parts: list[dict[str, Any]], ids: pa.Array, lacking: pa.Array | None = None) -> pa.Array:
    """Turn each block's ``sentence`` (a place in its ``sentence_ids``, which it loses) into the
    sentence's corpus row (the first row of that id), or a number past the corpus for an id the
    corpus does not have, numbered in the order such ids first appear in the file. The ids of every
    block are looked up in the corpus at once (:func:`~tagline.annotate.fold_extend.corpus_rows`),
    as the blocks list them (each block's distinct ids); only those the corpus lacks are encoded, to
    number each once. Those are returned in the order they are numbered: ``lacking`` (of a fold the
    blocks extend) are numbered first, in their order."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from tagline.annotate.fold_extend import corpus_rows

    listed = [part.pop("sentence_ids") for part in parts]
    every = pa.chunked_array(listed, pa.string()).combine_chunks()  # each block's ids, in file order
    row = corpus_rows(every, ids)
    unknown = np.flatnonzero(row < 0)
    lacking = every.slice(0, 0) if lacking is None else lacking
    if len(unknown):  # only the ids the corpus lacks are encoded: the same number for the same id
        missing = every.take(arrow_indices(unknown))
        place = int32_values(pc.index_in(missing, value_set=lacking), -1).astype(np.int64) if len(lacking) \
            else np.full(len(unknown), -1, dtype=np.int64)
        new = np.flatnonzero(place < 0)
        if len(new):
            encoded = pc.dictionary_encode(missing.take(arrow_indices(new)))
            place[new] = len(lacking) + int32_values(encoded.indices)
            lacking = pa.concat_arrays([lacking, encoded.dictionary])
        row[unknown] = len(ids) + place
    begin = 0
    for part, block_ids in zip(parts, listed):
        part["sentence"] = row[begin + part["sentence"]].astype(np.int32)
        begin += len(block_ids)
    return lacking


def _compact(table: pa.Table, names: Names) -> dict[str, Any]:
    """What the fold needs of a block of events, as numpy arrays: the sentence (a place in the
    block's distinct ``sentence_ids``, made a corpus row by :func:`_sentence_rows`), the question,
    the label, the spans (with their text as an Arrow array) and the suggestion."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(table["sentence_id"])
    encoded = encoded.combine_chunks() if isinstance(encoded, pa.ChunkedArray) else encoded
    sentence = encoded.indices.to_numpy()
    value = table["value"].combine_chunks()
    task_names, op_names = Names(), Names()
    task_codes, op_codes = task_names.codes(table["task"]), op_names.codes(table["op"])
    task = np.array([TASKS.index(name) for name in task_names.names], dtype=np.int64)[task_codes]
    target = np.where(task == STANCE, names.codes(pc.struct_field(value, "target")), -1)
    label = np.where(task != ENTITIES, names.codes(pc.struct_field(value, "label")), -1)
    entities = task == ENTITIES
    lists = pc.struct_field(value, "spans")
    count = np.where(entities, pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False), 0)
    flat = pc.list_flatten(lists.filter(entities)) if entities.any() else None
    spans = [np.zeros(0, dtype=np.int64)] * 3 if flat is None or not len(flat) else \
        [flat.field("start").to_numpy().astype(np.int64), flat.field("end").to_numpy().astype(np.int64),
         names.codes(flat.field("label"))]
    accepted, source = _suggestions(table, names)
    small = np.int32  # a million sentences' answers held in half the memory of int64
    texts = flat.field("text") if flat is not None else pa.array([], pa.string())
    return {"span_text": texts, "sentence_ids": encoded.dictionary, "sentence": sentence.astype(small),
            "task": task.astype(np.int8),
            "target": target.astype(small), "label": label.astype(small),
            "set": np.array([name == "set" for name in op_names.names], dtype=bool)[op_codes],
            "count": count.astype(small), "span_start": spans[0].astype(small), "span_end": spans[1].astype(small),
            "span_label": spans[2].astype(small), "accepted": accepted.astype(np.int8), "source": source.astype(small)}


def _fold_columns(columns: dict[str, Any], n_sentences: int, texts: Any = None) -> Folded:
    """The last event per sentence and question, unless it retracts the answer. Each of ``columns``
    is taken out of it once it is used (the fold of a large file is made beside them)."""
    import numpy as np

    from tagline.annotate.fold_extend import Extent

    sentence, task = columns.pop("sentence"), columns["task"]
    events = len(sentence)
    question = np.where(task == STANCE, len(TASKS) + columns["target"].astype(np.int64), task)
    del task
    asked = np.zeros(int(question.max()) + 1, dtype=bool)
    asked[question] = True  # the questions numbered densely, so that the keys stay few
    question = (np.cumsum(asked) - 1)[question]
    key = sentence.astype(np.int64) * int(asked.sum()) + question
    del question, asked
    rows = _last_set(key, columns.pop("set"))
    del key
    # The order of the sentences' first events, as the folded dict has them: the first event of each
    # sentence found by scattering the events' places into an array indexed by sentence (``ufunc.at``),
    # without sorting them (the sentences are corpus rows, or numbers past them, one per id it lacks).
    first = np.full(int(sentence.max()) + 1, len(sentence), dtype=np.int64)
    np.minimum.at(first, sentence, np.arange(len(sentence), dtype=np.int64))
    sentence = sentence[rows]
    rank = first[sentence].astype(np.int32)
    extent = Extent(sentence, np.where(first < events, first, -1).astype(np.int32), None, events)
    del first
    count = columns.pop("count")
    counts = count[rows]
    ends = np.cumsum(counts, dtype=np.int64)
    gather = np.concatenate([[0], np.cumsum(count, dtype=np.int64)])[rows]  # where each kept row's spans begin
    del count
    gather -= ends - counts
    gather = np.repeat(gather, counts)
    gather += np.arange(len(gather))
    picked = {name: columns.pop(name)[rows] for name in ("task", "target", "label", "accepted", "source")}
    spans = {name: columns.pop(name)[gather] for name in ("span_start", "span_end", "span_label")}
    text = texts.take(arrow_indices(gather)).combine_chunks() if texts is not None else None
    return Folded(np.where(sentence < n_sentences, sentence, -1), rank, picked["task"], picked["target"],
                  picked["label"], np.concatenate([[0], ends]).astype(np.int64), spans["span_start"],
                  spans["span_end"], spans["span_label"], picked["accepted"], picked["source"], text,
                  extent=extent)


def _last_set(key: Any, is_set: Any) -> Any:
    """The places, in file order, of the last event of each key, those that set an answer (not those
    that retract it). The last events are found by scattering the places into an array indexed by
    key (``ufunc.at``) when the keys are no more than a few times the events, else by sorting."""
    import numpy as np

    if int(key.max()) + 1 > 4 * len(key):  # sparse keys: an array indexed by them would be too large
        last = len(key) - 1 - np.unique(key[::-1], return_index=True)[1]
        return np.sort(last[is_set[last]])
    last = np.full(int(key.max()) + 1, -1, dtype=np.int64)
    np.maximum.at(last, key, np.arange(len(key), dtype=np.int64))
    kept = np.zeros(len(key), dtype=bool)
    kept[last[last >= 0]] = True
    return np.flatnonzero(kept & is_set)


def arrow_indices(rows: Any) -> pa.Array:
    """Numpy row numbers as an Arrow int64 array, for ``take`` (without importing pandas)."""
    import numpy as np
    import pyarrow as pa

    rows = np.ascontiguousarray(rows, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(rows), [None, pa.py_buffer(rows)])


def _suggestions(table: pa.Table, names: Names) -> tuple[Any, Any]:
    """Each event's suggestion: whether it was taken as is (a place in ACCEPTED, -1 without one)
    and its source's code."""
    import numpy as np
    import pyarrow.compute as pc

    suggestion = table["suggestion"].combine_chunks()
    accepted_names = Names()
    accepted = accepted_names.codes(pc.struct_field(suggestion, "accepted"))
    lookup = np.array([ACCEPTED.index(name) for name in accepted_names.names] + [-1], dtype=np.int64)
    return lookup[accepted], names.codes(pc.struct_field(suggestion, "source"))
