"""The votes on one question from everyone's :class:`~tagline.annotate.columns.Folded` answers:
the items in the order :func:`~tagline.annotate.answers.collect_votes` gives them, and each voter's
label code or spans per item, as the columnar agreement measures take them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tagline.annotate.columns import TASKS, ColumnAnswers, Folded


@dataclass
class QuestionVotes:
    """Who answered what on one question. Vote ``k`` is voter ``voter[k]``'s (a place in
    ``voters``, which are sorted) on item ``item[k]`` (a place in ``items``, the corpus rows of the
    sentences, in the order the votes were collected), and stands in row ``row[k]`` of that voter's
    :class:`Folded` answers."""

    items: Any
    voters: list[str]
    voter: Any
    item: Any
    row: Any
    folded: list[Folded]  # per voter


def question_votes(answers: ColumnAnswers, annotators: list[str], task: str, target: str | None) -> QuestionVotes:
    """The votes of ``annotators`` (in the order :func:`collect_votes` reads them) on one question,
    for the sentences the corpus has."""
    import numpy as np

    task_index = TASKS.index(task)
    target_code = answers.names.code(target) if target is not None else -1
    picked = []
    for position, annotator in enumerate(annotators):
        folded = answers(annotator)
        rows = np.flatnonzero((folded.task == task_index) & (folded.target == target_code) & (folded.sentence >= 0))
        if len(rows):
            picked.append((position, annotator, folded, rows))
    if not picked:
        empty = np.zeros(0, dtype=np.int64)
        return QuestionVotes(empty, [], empty, empty, empty, [])
    # collect_votes adds a sentence when the first annotator (in its order) who answered it comes
    # to it in the order of that annotator's file: the items are ordered by that annotator's place
    # and the sentence's rank in its file. A sentence has one rank in a file, so writing the keys
    # from the last annotator to the first leaves each sentence the first one's, without sorting
    # every vote (the keys are distinct: one sort of the items, nearly in order already).
    n_rows = max(int(folded.sentence[rows].max()) for _, _, folded, rows in picked) + 1
    width = max(int(folded.rank[rows].max()) for _, _, folded, rows in picked) + 1
    first = np.full(n_rows, -1, dtype=np.int64)
    for position, _, folded, rows in reversed(picked):
        first[folded.sentence[rows]] = position * width + folded.rank[rows]
    seen = np.flatnonzero(first >= 0)
    items = seen[np.argsort(first[seen], kind="stable")]
    del first
    place = np.full(n_rows, -1, dtype=np.int64)
    place[items] = np.arange(len(items))
    by_name = sorted(picked, key=lambda entry: entry[1])
    voter = np.concatenate([np.full(len(rows), index, dtype=np.int64) for index, (_, _, _, rows) in enumerate(by_name)])
    item = np.concatenate([place[folded.sentence[rows]] for _, _, folded, rows in by_name])
    row = np.concatenate([rows for _, _, _, rows in by_name])
    return QuestionVotes(items, [name for _, name, _, _ in by_name], voter, item, row,
                         [folded for _, _, folded, _ in by_name])


def label_codes(votes: QuestionVotes) -> Any:
    """The voters x items array of label codes (:class:`Names` codes), -1 where a voter gave none."""
    import numpy as np

    codes = np.full((len(votes.voters), len(votes.items)), -1, dtype=np.int64)
    for index, folded in enumerate(votes.folded):
        mine = votes.voter == index
        codes[index, votes.item[mine]] = folded.label[votes.row[mine]]
    return codes


def span_columns(votes: QuestionVotes) -> tuple[Any, tuple[Any, Any, Any, Any, Any]]:
    """Who annotated each item (voters x items, true where they did, no span included) and every
    vote's spans flat: ``(voter, item, start, end, label code)``."""
    import numpy as np

    present = np.zeros((len(votes.voters), len(votes.items)), dtype=bool)
    parts: list[list[Any]] = [[], [], [], [], []]
    for index, folded in enumerate(votes.folded):
        mine = votes.voter == index
        rows, items = votes.row[mine], votes.item[mine]
        present[index, items] = True
        begin, stop = folded.span_bounds[rows], folded.span_bounds[rows + 1]
        counts = stop - begin
        gather = np.repeat(begin - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum())
        # 32 bits: six million spans at a million sentences, held beside the measures' own copies.
        for part, column in zip(parts, (np.full(counts.sum(), index, dtype=np.int32),
                                        np.repeat(items.astype(np.int32), counts),
                                        folded.span_start[gather], folded.span_end[gather],
                                        folded.span_label[gather])):
            part.append(column)
    flat = tuple(np.concatenate(part) if part else np.zeros(0, dtype=np.int64) for part in parts)
    return present, flat  # type: ignore[return-value]


def suggestion_counts(workspace: Any, annotators: list[str], answers: ColumnAnswers) -> dict[str, dict[str, Any]]:
    """:func:`~tagline.annotate.provenance.suggestion_use` from the answers as columns. Where one
    annotator took answers as is from several sources, the order of those sources in the report is
    that of the answers as dicts, so that annotator's are counted by ``suggestion_use`` itself."""
    import numpy as np

    from tagline.annotate.answers import select_annotators
    from tagline.annotate.provenance import suggestion_use

    use: dict[str, dict[str, Any]] = {}
    for annotator in select_annotators(workspace, annotators):
        folded = answers(annotator)
        as_is, changed = int((folded.accepted == 0).sum()), int((folded.accepted == 1).sum())
        if not as_is and not changed:
            continue
        sources = np.unique(folded.source[folded.accepted == 0])
        if len(sources) > 1:
            use.update(suggestion_use(workspace, [annotator]))
            continue
        total = len(folded.accepted)
        use[annotator] = {"answers": total, "accepted_as_is": as_is, "changed": changed,
                          "without_suggestion": int((folded.accepted < 0).sum()),
                          "share_as_is": round(as_is / total, 4),
                          "as_is_by_source": {answers.names.names[int(sources[0])]: as_is} if as_is else {}}
    return use
