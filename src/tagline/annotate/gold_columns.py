"""Automatic adjudication over the answers as columns: the decisions :mod:`tagline.annotate.gold`
makes from dicts of answers, made for every question at once with numpy, and the gold records
written as JSON lines that Arrow builds, equal to the records the dicts give."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import orjson

from tagline.annotate.agreement.common import span_sort_key
from tagline.annotate.answers import asked_questions
from tagline.annotate.column_votes import QuestionVotes, question_votes

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from tagline.annotate.columns import ColumnAnswers
    from tagline.corpus.workspace import Workspace

METHODS = ("single", "unanimous", "majority")
CONTESTED = -1
CHUNK_ITEMS = 100_000  # questions turned into JSON lines at a time, so the lines never fill memory


class WrittenGold(Sequence[dict[str, Any]]):
    """The gold records one adjudication appended, read back from the gold file when asked for."""

    def __init__(self, path: Path, start: int, stop: int, count: int) -> None:
        self.path, self.start, self.stop, self.lines = path, start, stop, count
        self._records: list[dict[str, Any]] | None = None

    def __len__(self) -> int:
        return self.lines

    def _read(self) -> list[dict[str, Any]]:
        if self._records is None and not self.lines:
            self._records = []
        if self._records is None:
            with open(self.path, "rb") as handle:
                handle.seek(self.start)
                self._records = [orjson.loads(line) for line in handle.read(self.stop - self.start).splitlines()]
        return self._records

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._read())

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self._read()[index]


@dataclass
class Decided:
    """What adjudication over columns made: how many records of each method it wrote, and the
    questions it left contested as ``(sentence_id, task, target, votes, reason)``."""

    methods: Counter[str]
    contested: list[tuple[str, str, str | None, dict[str, dict[str, Any]], str]]


def adjudicate_columns(workspace: Workspace, answers: ColumnAnswers, chosen: list[str], tasks: Any,
                       min_agreement: str, now: str, write: Callable[[bytes, int], None]) -> Decided:
    """Decide every question of ``tasks`` from the votes of ``chosen`` (none of them imported, no
    gold yet) as :func:`tagline.annotate.gold.auto_adjudicate` does, handing the gold records to
    ``write`` as JSON lines, in its order, a block at a time, with the number of lines."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from tagline.corpus.sentence_table import sentence_ids

    questions = [(task, target, question_votes(answers, chosen, task, target))
                 for task, target in asked_questions(workspace, tasks)]
    documents = pc.dictionary_encode(sentence_ids(workspace)["doc_id"]).combine_chunks().indices.to_numpy()
    marks = np.zeros((int(documents.max()) + 1 if len(documents) else 0, len(chosen)), dtype=bool)
    for _, _, votes in questions:
        position = np.array([chosen.index(name) for name in votes.voters], dtype=np.int64)
        marks[documents[votes.items[votes.item]], position[votes.voter]] = True
    single_document = marks.sum(axis=1) == 1
    del marks
    names_json = _json_strings(answers.names.names)
    decided = Decided(Counter(), [])
    for task, target, votes in questions:
        if not len(votes.items):
            continue
        vote_of = np.full((len(votes.voters), len(votes.items)), -1, dtype=np.int64)
        vote_of[votes.voter, votes.item] = np.arange(len(votes.voter))
        values = _VoteValues(task, votes, names_json, answers.names.names)
        method, winner = _decide(vote_of, values, [chosen.index(name) for name in votes.voters],
                                 single_document[documents[votes.items]], min_agreement)
        for begin in range(0, len(votes.items), CHUNK_ITEMS):
            part = slice(begin, begin + CHUNK_ITEMS)
            rows = np.flatnonzero(method[part] != CONTESTED) + begin
            if len(rows):
                write(_lines(answers, task, target, votes, vote_of, values, rows, method[rows],
                             vote_of[winner[rows], rows], now), len(rows))
                pa.default_memory_pool().release_unused()  # the block's strings are written: give them back
        codes, first, counts = np.unique(method[method != CONTESTED], return_index=True, return_counts=True)
        for place in np.argsort(first):  # each method where it first appears, as a Counter of the records has it
            decided.methods[METHODS[codes[place]]] += int(counts[place])
        _contested(decided, answers, chosen, task, target, votes, vote_of, values, np.flatnonzero(method == CONTESTED))
    return decided


def _contested(decided: Decided, answers: ColumnAnswers, chosen: list[str], task: str, target: str | None,
               votes: QuestionVotes, vote_of: np.ndarray, values: _VoteValues, items: np.ndarray) -> None:
    """Add the contested ``items`` to ``decided``, each with its votes in the order of ``chosen``."""
    order = sorted(range(len(votes.voters)), key=lambda voter: chosen.index(votes.voters[voter]))
    names = [votes.voters[voter] for voter in order]
    for sentence_id, given_votes in zip(answers.sentence_ids(votes.items[items]), vote_of[order][:, items].T.tolist()):
        given = {name: values.value(task, target, vote) for name, vote in zip(names, given_votes) if vote >= 0}
        decided.contested.append((sentence_id, task, target, given,
                                  "only one vote" if len(given) == 1 else "no agreement"))


class _VoteValues:
    """Each vote's answer on one question: its label code, or its spans (in the file's order, and
    sorted to compare), with the JSON of what provenance keeps of it."""

    def __init__(self, task: str, votes: QuestionVotes, names_json: pa.Array, names: list[str]) -> None:
        import numpy as np
        import pyarrow as pa

        self.names_json = names_json
        self.names = names  # the names the codes stand for
        folded = votes.folded
        if task != "entities":
            self.label = self._by_vote(votes, lambda voter, rows: folded[voter].label[rows])
            self.spans = None
            return
        counts = self._by_vote(votes, lambda voter, rows: folded[voter].span_bounds[rows + 1]
                               - folded[voter].span_bounds[rows])
        self.bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        parts: list[list[Any]] = [[], [], [], []]
        for vote_rows, voter in self._groups(votes):
            begin = folded[voter].span_bounds[votes.row[vote_rows]]
            stop = folded[voter].span_bounds[votes.row[vote_rows] + 1]
            lengths = stop - begin
            gather = np.repeat(begin - (np.cumsum(lengths) - lengths), lengths) + np.arange(lengths.sum())
            for part, column in zip(parts, (folded[voter].span_start, folded[voter].span_end,
                                            folded[voter].span_label)):
                part.append(column[gather])
            parts[3].append(folded[voter].span_text.take(pa.array(gather, pa.int64())))
        self.start, self.end, self.span_label = (np.concatenate(part) if part else np.zeros(0, np.int64)
                                                 for part in parts[:3])
        self.text = pa.chunked_array(parts[3], pa.string()).combine_chunks()
        vote = np.repeat(np.arange(len(counts)), counts)
        key = span_sort_key(vote, self.start, self.end, self.span_label)  # value_key: spans as a set
        self.sorted = np.lexsort((self.span_label, self.end, self.start, vote)) if key is None else \
            np.argsort(key, kind="stable")
        self.label = None

    @staticmethod
    def _groups(votes: QuestionVotes) -> Iterator[tuple[Any, int]]:
        """The votes of each voter in turn (the order of ``votes``, which is by voter)."""
        import numpy as np

        for voter in range(len(votes.voters)):
            yield np.flatnonzero(votes.voter == voter), voter

    def _by_vote(self, votes: QuestionVotes, of: Callable[[int, Any], Any]) -> Any:
        import numpy as np

        out = np.zeros(len(votes.voter), dtype=np.int64)
        for vote_rows, voter in self._groups(votes):
            out[vote_rows] = of(voter, votes.row[vote_rows])
        return out

    def same(self, first: Any, second: Any) -> Any:
        """Whether votes ``first[i]`` and ``second[i]`` (arrays of vote numbers, -1 for none) give the
        same answer, as :func:`value_key` compares them."""
        import numpy as np

        both = (first >= 0) & (second >= 0)
        if self.label is not None:
            return both & (self.label[first] == self.label[second])
        counts = self.bounds[1:] - self.bounds[:-1]
        equal = both & (counts[first] == counts[second])
        pairs = np.flatnonzero(equal)
        lengths = counts[first[pairs]]
        within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        left = self.sorted[np.repeat(self.bounds[first[pairs]], lengths) + within]
        right = self.sorted[np.repeat(self.bounds[second[pairs]], lengths) + within]
        differ = (self.start[left] != self.start[right]) | (self.end[left] != self.end[right]) | \
            (self.span_label[left] != self.span_label[right])
        equal[pairs[np.bincount(np.repeat(np.arange(len(pairs)), lengths), weights=differ,
                                minlength=len(pairs)) > 0]] = False
        return equal

    def json(self, wanted: Any) -> pa.Array:
        """Votes ``wanted`` (numbers, -1 for none, which gives a null) as provenance keeps them: the
        label, or the list of spans. Made for a block of questions at a time, so that the strings
        of every span never fill memory at once."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        missing = wanted < 0
        wanted = np.where(missing, 0, wanted)
        if self.label is not None:
            return self.names_json.take(pa.array(self.label[wanted], mask=missing))
        begin = self.bounds[wanted]
        counts = np.where(missing, 0, self.bounds[wanted + 1] - begin)
        ends = np.cumsum(counts)
        spans = np.repeat(begin - (ends - counts), counts) + np.arange(ends[-1] if len(ends) else 0)
        start, end = (pc.cast(pa.array(column[spans]), pa.string()) for column in (self.start, self.end))
        label = self.names_json.take(pa.array(self.span_label[spans]))
        text = _json_strings(self.text.take(pa.array(spans, pa.int64())))
        span = pc.binary_join_element_wise('{"start":', start, ',"end":', end, ',"label":', label,
                                           ',"text":', text, "}", "")
        offsets = pa.array(np.concatenate([[0], ends]), pa.int32())
        listed = pa.ListArray.from_arrays(offsets, span, mask=pa.array(missing))
        return pc.binary_join_element_wise("[", pc.binary_join(listed, ","), "]", "")

    def value(self, task: str, target: str | None, vote: int) -> dict[str, Any]:
        """Vote ``vote`` as the value dict of its event."""
        if self.label is None:
            begin, stop = int(self.bounds[vote]), int(self.bounds[vote + 1])
            return {"spans": [{"start": start, "end": end, "label": self.names[label], "text": text}
                              for start, end, label, text in zip(self.start[begin:stop].tolist(),
                                                                 self.end[begin:stop].tolist(),
                                                                 self.span_label[begin:stop].tolist(),
                                                                 self.text.slice(begin, stop - begin).to_pylist())]}
        label = self.names[int(self.label[vote])]
        return {"target": target, "label": label} if task == "stance" else {"label": label}


def _decide(vote_of: np.ndarray, values: _VoteValues, order: list[int], single: np.ndarray,
            min_agreement: str) -> tuple[np.ndarray, np.ndarray]:
    """Each item's method (a place in METHODS, CONTESTED when none) and the voter whose answer is
    gold: the first, in the order the votes were collected, of those giving the most common answer."""
    import numpy as np

    voters, n_items = vote_of.shape
    present = vote_of >= 0
    agreeing = present.astype(np.int64)
    for first in range(voters):
        for second in range(first + 1, voters):
            same = values.same(vote_of[first], vote_of[second])
            agreeing[first] += same
            agreeing[second] += same
    top = agreeing.max(axis=0)
    winner = np.full(n_items, -1, dtype=np.int64)
    for voter in sorted(range(voters), key=lambda voter: order[voter]):
        winner = np.where((winner < 0) & present[voter] & (agreeing[voter] == top), voter, winner)
    count = present.sum(axis=0)
    method = np.full(n_items, CONTESTED, dtype=np.int64)
    if min_agreement == "majority":
        method[(count >= 2) & (top * 2 > count)] = METHODS.index("majority")
    method[(count >= 2) & (top == count)] = METHODS.index("unanimous")
    method[single] = METHODS.index("single")
    return method, winner


def _lines(answers: ColumnAnswers, task: str, target: str | None, votes: QuestionVotes, vote_of: np.ndarray,
           values: _VoteValues, rows: np.ndarray, method: np.ndarray, chosen_vote: np.ndarray, now: str) -> bytes:
    """The gold records of items ``rows`` as JSON lines, in the keys' order of :func:`gold_record`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    sentence = _json_strings(answers.ids.take(pa.array(votes.items[rows])))
    answer = values.json(chosen_vote)
    if task == "entities":
        value = pc.binary_join_element_wise('{"spans":', answer, "}", "")
    elif task == "stance":
        value = pc.binary_join_element_wise('{"target":' + orjson.dumps(target).decode() + ',"label":', answer, "}", "")
    else:
        value = pc.binary_join_element_wise('{"label":', answer, "}", "")
    by_voter = []
    for voter, name in enumerate(votes.voters):
        mine = vote_of[voter, rows]
        taken = values.json(mine)
        by_voter.append(pc.binary_join_element_wise(orjson.dumps(name).decode() + ":", taken, ""))
    given = pc.binary_join_element_wise(*by_voter, ",", null_handling="skip")
    methods = pa.array([orjson.dumps(name).decode() for name in METHODS]).take(pa.array(method))
    tail = ',"time":' + orjson.dumps(now).decode() + \
        (',"target":' + orjson.dumps(target).decode() if target is not None else "") + "}\n"
    lines = pc.binary_join_element_wise('{"sentence_id":', sentence, ',"task":' + orjson.dumps(task).decode()
                                        + ',"value":', value, ',"provenance":{"method":', methods,
                                        ',"votes":{', given, "}}" + tail, "")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset:lines.offset + len(lines) + 1]
    return lines.buffers()[2][int(offsets[0]):int(offsets[-1])].to_pybytes()


def _json_strings(strings: Any) -> pa.Array:
    """Each string as a JSON string literal (as orjson writes it), nulls kept."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = strings if isinstance(strings, pa.Array | pa.ChunkedArray) else pa.array(strings, pa.string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if len(array) and pc.any(pc.match_substring_regex(array, r'[\x00-\x1f"\\]')).as_py():
        return pa.array([None if text is None else orjson.dumps(text).decode() for text in array.to_pylist()],
                        pa.string())
    return pc.binary_join_element_wise('"', array, '"', "")
