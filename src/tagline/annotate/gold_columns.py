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

from tagline.annotate.agreement.common import Beside, span_sort_key
from tagline.annotate.answers import asked_questions
from tagline.annotate.arrow_values import booleans, join, numbers, strings
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
    import pyarrow.compute as pc

    from tagline.corpus.sentence_table import int32_values, sentence_ids

    questions = [(task, target, question_votes(answers, chosen, task, target))
                 for task, target in asked_questions(workspace, tasks)]
    documents = int32_values(pc.dictionary_encode(sentence_ids(workspace)["doc_id"]).combine_chunks().indices)
    marks = np.zeros((int(documents.max()) + 1 if len(documents) else 0, len(chosen)), dtype=bool)
    for _, _, votes in questions:
        position = np.array([chosen.index(name) for name in votes.voters], dtype=np.int64)
        marks[documents[votes.items[votes.item]], position[votes.voter]] = True
    single_document = marks.sum(axis=1) == 1
    del marks
    names_json = _json_strings(answers.names.names)
    decided = Decided(Counter(), [])
    written = _WrittenBeside(write)
    try:
        for task, target, votes in questions:
            if len(votes.items):
                _decide_question(answers, chosen, task, target, votes, single_document[documents[votes.items]],
                                 names_json, min_agreement, now, written, decided)
        written.wait()
    except BaseException:
        written.settle()  # the block being written is written (or not) before the caller undoes them
        raise
    return decided


class _WrittenBeside:
    """``write`` of each block in a thread while the next block is made (the writes, their fsyncs
    and the lines' making overlap on two cores), one block at a time and in order. A writing error
    is raised at the next block or at the end."""

    def __init__(self, write: Callable[[bytes, int], None]) -> None:
        self._write = write
        self._pending: Beside | None = None

    def __call__(self, block: bytes, count: int) -> None:
        self.wait()
        self._pending = Beside(lambda: self._write(block, count))

    def wait(self) -> None:
        if self._pending is not None:  # kept until it has ended: a signal may cut the wait short
            self._pending.result()
            self._pending = None

    def settle(self) -> None:
        if self._pending is not None:
            self._pending.settle()


def _decide_question(answers: ColumnAnswers, chosen: list[str], task: str, target: str | None,
                     votes: QuestionVotes, single: np.ndarray, names_json: pa.Array, min_agreement: str, now: str,
                     write: Callable[[bytes, int], None], decided: Decided) -> None:
    """Decide one question, its gold lines handed to ``write`` a block at a time, its methods counted
    and its contested questions added to ``decided``."""
    import numpy as np
    import pyarrow as pa

    vote_of = np.full((len(votes.voters), len(votes.items)), -1, dtype=np.int64)
    vote_of[votes.voter, votes.item] = np.arange(len(votes.voter))
    values = _VoteValues(task, votes, names_json, answers.names.names)
    method, winner = _decide(vote_of, values, [chosen.index(name) for name in votes.voters], single,
                             min_agreement)
    _refuse_unknown_labels(answers, task, target, votes, vote_of, values, method, winner)
    for begin in range(0, len(votes.items), CHUNK_ITEMS):
        part = slice(begin, begin + CHUNK_ITEMS)
        rows = np.flatnonzero(method[part] != CONTESTED) + begin
        if len(rows):
            write(_lines(answers, _Parts(task, target, votes.voters, now), votes.items[rows], vote_of[:, rows],
                         values, method[rows], winner[rows]), len(rows))
            pa.default_memory_pool().release_unused()  # the block's strings are written: give them back
    codes, first, counts = np.unique(method[method != CONTESTED], return_index=True, return_counts=True)
    for place in np.argsort(first):  # each method where it first appears, as a Counter of the records has it
        decided.methods[METHODS[codes[place]]] += int(counts[place])
    _contested(decided, answers, chosen, task, target, votes, vote_of, values, np.flatnonzero(method == CONTESTED))


def _refuse_unknown_labels(answers: ColumnAnswers, task: str, target: str | None, votes: QuestionVotes,
                           vote_of: np.ndarray, values: _VoteValues, method: np.ndarray, winner: np.ndarray) -> None:
    """Refuse, before any of its gold is written, a question whose gold would hold a label
    tagline.toml lacks, as :func:`~tagline.annotate.gold.check_labels` refuses it from dicts (the
    first such sentence, the same error); the blocks of earlier questions are undone with the
    transaction."""
    import numpy as np

    from tagline.annotate.gold import check_labels

    known = set(answers.workspace.config.labels(task))
    unknown = np.array([name not in known for name in values.names] + [False], dtype=bool)  # -1: none
    if values.label is not None:
        bad_vote = unknown[values.label] if len(values.label) else np.zeros(0, dtype=bool)
    else:
        counts = values.bounds[1:] - values.bounds[:-1]
        bad_vote = np.bincount(np.repeat(np.arange(len(counts)), counts), minlength=len(counts),
                               weights=unknown[values.span_label[:values.bounds[-1]]]) > 0
    decided = np.flatnonzero(method != CONTESTED)
    bad = decided[bad_vote[vote_of[winner[decided], decided]]]
    if not len(bad):
        return
    item = int(bad[0])
    given = {votes.voters[voter]: vote for voter, vote in enumerate(vote_of[:, item].tolist()) if vote >= 0}
    value_of = dict(zip(given, values.values(task, target, np.array(list(given.values()), dtype=np.int64))))
    (sentence_id,) = answers.sentence_ids(votes.items[[item]])
    check_labels(answers.workspace, sentence_id, task, target, value_of[votes.voters[int(winner[item])]],
                 value_of)


def _contested(decided: Decided, answers: ColumnAnswers, chosen: list[str], task: str, target: str | None,
               votes: QuestionVotes, vote_of: np.ndarray, values: _VoteValues, items: np.ndarray) -> None:
    """Add the contested ``items`` to ``decided``, each with its votes in the order of ``chosen``."""
    order = sorted(range(len(votes.voters)), key=lambda voter: chosen.index(votes.voters[voter]))
    names = [votes.voters[voter] for voter in order]
    given_votes = vote_of[order][:, items].T
    answers_given = iter(values.values(task, target, given_votes[given_votes >= 0]))
    for sentence_id, item_votes in zip(answers.sentence_ids(votes.items[items]), given_votes.tolist()):
        given = {name: next(answers_given) for name, vote in zip(names, item_votes) if vote >= 0}
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
            parts[3].append(folded[voter].span_text.take(numbers(gather)))
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

        both = (first >= 0) & (second >= 0)
        if self.label is not None:
            return both & (self.label[first] == self.label[second])
        return self._same_spans(first, second, both, written=False)

    def _same_spans(self, first: Any, second: Any, both: Any, *, written: bool) -> Any:
        """Whether votes ``first[i]`` and ``second[i]`` (where ``both``) hold the same spans: as a
        set, or ``written`` the same way (in the same order, with the same text)."""
        import numpy as np
        import pyarrow.compute as pc

        counts = self.bounds[1:] - self.bounds[:-1]
        equal = both & (counts[first] == counts[second])
        pairs = np.flatnonzero(equal)
        lengths = counts[first[pairs]]
        within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        left = np.repeat(self.bounds[first[pairs]], lengths) + within
        right = np.repeat(self.bounds[second[pairs]], lengths) + within
        if not written:
            left, right = self.sorted[left], self.sorted[right]
        differ = (self.start[left] != self.start[right]) | (self.end[left] != self.end[right]) | \
            (self.span_label[left] != self.span_label[right])
        if written and len(left):
            texts = (self.text.take(numbers(side)) for side in (left, right))
            differ |= booleans(pc.not_equal(*texts))
        equal[pairs[np.bincount(np.repeat(np.arange(len(pairs)), lengths), weights=differ,
                                minlength=len(pairs)) > 0]] = False
        return equal

    def written_alike(self, given: Any) -> Any:
        """Each vote of ``given`` (voters x items, -1 for none) as the first vote of its item, in the
        voters' order, whose answer is written the very same way, so that its JSON is made once."""
        import numpy as np

        alike = given.copy()
        if self.label is not None:
            return alike
        for later in range(1, len(given)):
            for earlier in range(later):
                unmatched = alike[later] == given[later]
                both = unmatched & (given[earlier] >= 0) & (given[later] >= 0)
                same = self._same_spans(given[earlier], given[later], both, written=True)
                alike[later] = np.where(same, alike[earlier], alike[later])
        return alike

    def json(self, wanted: Any) -> pa.Array:
        """The spans of votes ``wanted`` (vote numbers) as provenance keeps them: a JSON list each.
        Made for a block of questions at a time, so that the strings of every span never fill
        memory at once."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        begin = self.bounds[wanted]
        counts = self.bounds[wanted + 1] - begin
        ends = np.cumsum(counts)
        spans = np.repeat(begin - (ends - counts), counts) + np.arange(ends[-1] if len(ends) else 0)
        start, end = (pc.cast(numbers(column[spans]), pa.string()) for column in (self.start, self.end))
        label = self.names_json.take(numbers(self.span_label[spans]))
        text = _json_strings(self.text.take(numbers(spans)))
        span = join('{"start":', start, ',"end":', end, ',"label":', label,
                    ',"text":', text, "}", "")
        listed = pa.ListArray.from_arrays(numbers(np.concatenate([[0], ends]).astype(np.int32)), span)
        return join("[", pc.binary_join(listed, strings([","])[0]), "]", "")

    def values(self, task: str, target: str | None, wanted: Any) -> list[dict[str, Any]]:
        """Votes ``wanted`` (an array of vote numbers) as the value dicts of their events, the spans'
        text taken at once."""
        import numpy as np

        if self.label is not None:
            labels = [self.names[label] for label in self.label[wanted].tolist()]
            return [{"target": target, "label": label} for label in labels] if task == "stance" else \
                [{"label": label} for label in labels]
        begin = self.bounds[wanted]
        counts = self.bounds[wanted + 1] - begin
        ends = np.cumsum(counts)
        at = np.repeat(begin - (ends - counts), counts) + np.arange(ends[-1] if len(ends) else 0)
        names = self.names
        spans = [{"start": start, "end": end, "label": names[label], "text": text}
                 for start, end, label, text in zip(self.start[at].tolist(), self.end[at].tolist(),
                                                    self.span_label[at].tolist(),
                                                    self.text.take(numbers(at)).to_pylist())]
        return [{"spans": spans[stop - count:stop]} for stop, count in zip(ends.tolist(), counts.tolist())]


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


class _Parts:
    """The fixed text of one question's gold lines, around the sentence id, the answers and the method."""

    def __init__(self, task: str, target: str | None, voters: list[str], now: str) -> None:
        opening = {"entities": '{"spans":', "stance": '{"target":' + orjson.dumps(target).decode() + ',"label":'}
        self.value = ',"task":' + orjson.dumps(task).decode() + ',"value":' + opening.get(task, '{"label":')
        self.method = '},"provenance":{"method":'
        self.methods = [orjson.dumps(name).decode() for name in METHODS]
        self.votes = ',"votes":{'
        self.voters = [orjson.dumps(name).decode() + ":" for name in voters]
        self.tail = '}},"time":' + orjson.dumps(now).decode() + \
            (',"target":' + orjson.dumps(target).decode() if target is not None else "") + "}\n"


def _lines(answers: ColumnAnswers, parts: _Parts, items: np.ndarray, given: np.ndarray, values: _VoteValues,
           method: np.ndarray, winner: np.ndarray) -> bytes:
    """The gold records of corpus rows ``items`` (with their votes ``given``, voters x items, their
    methods and the voters whose answers are gold) as JSON lines, in the keys' order of
    :func:`gold_record`. Most items share one of a few answers, so what follows the sentence id is
    made once per distinct combination of the method and the labels, or the spans' JSON once per
    answer written differently, and taken into the lines."""
    import numpy as np

    sentence = _json_strings(answers.ids.take(numbers(items)))
    after = _label_rest(parts, given, values, method, winner) if values.label is not None else \
        _span_rest(parts, given, values, method, winner)
    lines = join('{"sentence_id":', sentence, after, "")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset:lines.offset + len(lines) + 1]
    return lines.buffers()[2][int(offsets[0]):int(offsets[-1])].to_pybytes()


def _label_rest(parts: _Parts, given: np.ndarray, values: _VoteValues, method: np.ndarray,
                winner: np.ndarray) -> pa.Array:
    """What follows the sentence id in each line of a label question, made once per combination."""
    import numpy as np

    labels = np.where(given >= 0, values.label[np.maximum(given, 0)], -1)
    key = np.vstack([method, labels[winner, np.arange(len(winner))], labels])
    combinations, which = _distinct_columns(key)
    label_json = values.names_json.to_pylist()
    made = [parts.value + label_json[gold] + parts.method + parts.methods[chosen] + parts.votes
            + ",".join(parts.voters[voter] + label_json[label] for voter, label in enumerate(voted) if label >= 0)
            + parts.tail for chosen, gold, *voted in combinations.T.tolist()]
    return strings(made).take(numbers(which.reshape(-1)))


def _distinct_columns(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct columns of ``key`` (numbers, none below -1) and each column's place among them,
    as ``np.unique(key, axis=1, return_inverse=True)`` gives them, in a fraction of its time: each
    column is read as one number in the mixed radix of the rows' ranges (a row of numbers larger than
    its length ranked first), renumbered densely whenever the next row could overflow it."""
    import numpy as np

    number = np.zeros(key.shape[1], dtype=np.int64)
    for row in key:
        row = row + 1 if len(row) and int(row.max()) < len(row) else \
            np.unique(row, return_inverse=True)[1].reshape(-1).astype(np.int64)
        base = int(row.max()) + 1 if len(row) else 1
        if (int(number.max(initial=0)) + 1) * base > 1 << 62:
            number = np.unique(number, return_inverse=True)[1].reshape(-1).astype(np.int64)
        number = number * base + row
    _, first, which = np.unique(number, return_index=True, return_inverse=True)
    return key[:, first], which.reshape(-1)


def _span_rest(parts: _Parts, given: np.ndarray, values: _VoteValues, method: np.ndarray,
               winner: np.ndarray) -> pa.Array:
    """What follows the sentence id in each line of the entities question: the JSON of each answer
    written differently made once, and taken for the gold value and each vote."""
    import numpy as np

    alike = values.written_alike(given)
    made = np.unique(alike[alike >= 0])
    place = np.searchsorted(made, np.maximum(alike, 0))
    spans = values.json(made)
    gold = spans.take(numbers(place[winner, np.arange(len(winner))]))
    voted = [join(key, spans.take(numbers(place[voter], missing=alike[voter] < 0)), "")
             for voter, key in enumerate(parts.voters)]
    methods = strings(parts.methods).take(numbers(method))
    return join(parts.value, gold, parts.method, methods, parts.votes, join(*voted, ",", null_handling="skip"),
                parts.tail, "")


def _json_strings(texts: Any) -> pa.Array:
    """Each string as a JSON string literal (as orjson writes it), nulls kept."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = texts if isinstance(texts, pa.Array | pa.ChunkedArray) else strings(texts)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if len(array) and pc.any(pc.match_substring_regex(array, r'[\x00-\x1f"\\]')).as_py():
        return pa.array([None if text is None else orjson.dumps(text).decode() for text in array.to_pylist()],
                        pa.string())
    return join('"', array, '"', "")


