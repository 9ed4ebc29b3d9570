"""Each annotator's current answers as columns, for agreement and adjudication at scale.

An answer file is read whole by Arrow's JSON reader, checked as the typed reader
(:func:`tagline.schemas.records.decode_record`) checks each line, and folded with numpy as
:func:`tagline.annotate.events.fold_answers` folds the events: the last event per sentence and
question wins, a retraction removes the answer. Labels, targets and sources become integer codes.
A file that Arrow cannot read (a torn last line, a bad line) or whose records the checks refuse is
folded line by line instead, by ``fold_answers`` itself, which names a bad line as every command
does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from tagline.corpus.workspace import Workspace

TASKS = ("stance", "claim_type", "entities")
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


ARROW_MIN_BYTES = 4 << 20
"""Below this many bytes of answers and sentences, the files are read line by line: importing Arrow
would take longer than reading them."""


class ColumnAnswers:
    """Every annotator's :class:`Folded` answers, each file read the first time it is asked for."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        files = [*workspace.annotation_files(), workspace.sentences_path]
        self.arrow = sum(path.stat().st_size for path in files if path.exists()) >= ARROW_MIN_BYTES
        self._ids: Any = None
        self.names = Names()
        self._read: dict[str, Folded] = {}

    @property
    def ids(self) -> Any:
        """Every sentence id in corpus order: an Arrow array, or a list for a small corpus."""
        if self._ids is None:
            if self.arrow:
                from tagline.corpus.sentence_table import sentence_ids

                self._ids = sentence_ids(self.workspace)["id"].combine_chunks()
            else:
                self._ids = [record["id"] for record in self.workspace.iter_sentences()]
        return self._ids

    def sentence_id(self, row: int) -> str:
        return str(self.ids[row].as_py()) if self.arrow else self.ids[row]

    def __call__(self, annotator: str) -> Folded:
        if annotator not in self._read:
            path = self.workspace.annotation_path(annotator)
            folded = _fold_arrow(path, self.ids, self.names) if self.arrow and path.exists() else None
            self._read[annotator] = folded if folded is not None else self._fold_records(annotator)
        return self._read[annotator]

    def _fold_records(self, annotator: str) -> Folded:
        """:func:`fold_answers` over the file, line by line, as columns."""
        import numpy as np

        from tagline.annotate.events import fold_answers, iter_annotation_events

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


def _fold_arrow(path: Any, ids: pa.Array, names: Names) -> Folded | None:
    """The file folded through Arrow, or None when Arrow cannot read it or a record is not one the
    typed reader accepts (the caller then reads it line by line)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    try:
        table = pj.read_json(path, read_options=pj.ReadOptions(block_size=1 << 24))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    from tagline.annotate.column_checks import events_valid

    if not table.num_rows or not events_valid(table, path):
        return None
    value = table["value"].combine_chunks()
    sentence_ids = pc.dictionary_encode(table["sentence_id"]).combine_chunks()
    sentence_code = sentence_ids.indices.to_numpy().astype(np.int64)  # in order of first appearance
    corpus_row = pc.fill_null(pc.index_in(sentence_ids.dictionary, value_set=ids), -1).to_numpy().astype(np.int64)
    task_names = Names()
    task_codes = task_names.codes(table["task"])
    task = np.array([TASKS.index(name) for name in task_names.names], dtype=np.int64)[task_codes]
    target = names.codes(pc.struct_field(value, "target")) if value.type.get_field_index("target") >= 0 else \
        np.full(len(task), -1, dtype=np.int64)
    target[task != 0] = -1  # only a stance answer is per target
    question = np.where(task == 0, 3 + target, task)
    key = sentence_code * (int(question.max()) + 1) + question
    last = len(key) - 1 - np.unique(key[::-1], return_index=True)[1]
    rows = np.sort(last[pc.equal(table["op"], "set").to_numpy(zero_copy_only=False)[last]])
    label = names.codes(pc.struct_field(value, "label"))[rows] if value.type.get_field_index("label") >= 0 else \
        np.full(len(rows), -1, dtype=np.int64)
    label[task[rows] == 2] = -1
    return Folded(corpus_row[sentence_code[rows]], sentence_code[rows], task[rows], target[rows], label,
                  *_spans(value, rows, task[rows] == 2, names), *_suggestions(table, rows, names))


def _spans(value: pa.StructArray, rows: Any, entities: Any, names: Names) -> tuple[Any, Any, Any, Any]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if value.type.get_field_index("spans") < 0 or not entities.any():
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(len(rows) + 1, dtype=np.int64), empty, empty, empty
    lists = pc.struct_field(value, "spans").take(pa.array(rows[entities]))
    counts = np.zeros(len(rows), dtype=np.int64)
    counts[entities] = pc.fill_null(pc.list_value_length(lists), 0).to_numpy()
    flat = pc.list_flatten(lists)
    if not len(flat):
        empty = np.zeros(0, dtype=np.int64)
        return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), empty, empty, empty
    return (np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            flat.field("start").to_numpy().astype(np.int64), flat.field("end").to_numpy().astype(np.int64),
            names.codes(flat.field("label")))


def _suggestions(table: pa.Table, rows: Any, names: Names) -> tuple[Any, Any]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if "suggestion" not in table.column_names:
        none = np.full(len(rows), -1, dtype=np.int64)
        return none, none.copy()
    suggestion = table["suggestion"].combine_chunks().take(pa.array(rows))
    if not isinstance(suggestion, pa.StructArray):  # every row without one: a column of nulls
        none = np.full(len(rows), -1, dtype=np.int64)
        return none, none.copy()
    accepted_names = Names()
    accepted = accepted_names.codes(pc.struct_field(suggestion, "accepted"))
    lookup = np.array([ACCEPTED.index(name) for name in accepted_names.names] + [-1], dtype=np.int64)
    return lookup[accepted], names.codes(pc.struct_field(suggestion, "source"))
