"""Gold: turning several annotators' answers into one adjudicated answer per question, with provenance.

The gold file (``gold/gold.jsonl``) is append-only like the annotation files: the last record per
(sentence, task, target) is the gold answer. Each record keeps how it was reached (unanimous,
majority, adjudicated by NAME, single annotator) and the votes it was reached from, so a later
change in the votes is visible as ``changed``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tagline.annotate.answers import (
    collect_votes,
    describe,
    describe_left_out,
    imported_annotators,
    left_out,
    question_name,
    select_annotators,
    value_key,
)
from tagline.corpus.progress import ProgressCallback, counted, no_progress
from tagline.corpus.store import utc_now
from tagline.corpus.workspace import Workspace
from tagline.errors import DataError, InputError, takes_workspace

if TYPE_CHECKING:
    from tagline.corpus.transaction import Transaction

GoldKey = tuple[str, str, str | None]  # sentence_id, task, target


def gold_key(record: dict[str, Any]) -> GoldKey:
    return record["sentence_id"], record["task"], record.get("target")


def iter_gold(workspace: Workspace) -> Iterator[dict[str, Any]]:
    return workspace.iter_gold()


@takes_workspace
def gold_view(workspace: Workspace, *, reopened: bool = False,
              progress: ProgressCallback = no_progress) -> dict[GoldKey, dict[str, Any]]:
    """The current gold record per question (the last one written wins). A question whose last
    record reopens it (``provenance.method`` ``reopened``) has no gold, unless ``reopened``. The
    records read are told to ``progress`` (``reading gold``)."""
    view: dict[GoldKey, dict[str, Any]] = {}
    for record in counted(iter_gold(workspace), progress, "reading gold"):
        view[gold_key(record)] = record
    if not reopened:
        view = {key: record for key, record in view.items() if record["provenance"]["method"] != "reopened"}
    return view


def gold_record(sentence_id: str, task: str, target: str | None, value: dict[str, Any], method: str,
                votes: dict[str, Any], adjudicator: str | None = None) -> dict[str, Any]:
    provenance: dict[str, object] = {"method": method, "votes": votes}
    if adjudicator:
        provenance["adjudicator"] = adjudicator
    record = {"sentence_id": sentence_id, "task": task, "value": value, "provenance": provenance, "time": utc_now()}
    if target is not None:
        record["target"] = target
    return record


def _votes_for_record(task: str, votes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Votes as stored in provenance: the label, or the span list, per annotator."""
    if task == "entities":
        return {annotator: value["spans"] for annotator, value in sorted(votes.items())}
    return {annotator: value["label"] for annotator, value in sorted(votes.items())}


@dataclass
class Contested:
    """A question the rules could not settle: shown to the adjudicator."""

    sentence_id: str
    task: str
    target: str | None
    votes: dict[str, dict[str, Any]]
    reason: str

    @property
    def name(self) -> str:
        return question_name(self.task, self.target)

    def options(self) -> list[tuple[dict[str, Any], list[str]]]:
        """The distinct answers given, most votes first, each with who gave it."""
        grouped: dict[object, tuple[dict[str, Any], list[str]]] = {}
        for annotator, value in sorted(self.votes.items()):
            grouped.setdefault(value_key(self.task, value), (value, []))[1].append(annotator)
        return sorted(grouped.values(), key=lambda option: -len(option[1]))


@dataclass
class AdjudicationResult:
    written: Sequence[dict[str, Any]] = field(default_factory=list)
    contested: list[Contested] = field(default_factory=list)
    unchanged: int = 0
    changed: list[str] = field(default_factory=list)
    by_method: Counter[str] | None = None  # counted as the records were written (else from them)

    def as_dict(self) -> dict[str, Any]:
        methods = self.by_method if self.by_method is not None else \
            Counter(record["provenance"]["method"] for record in self.written)
        return {"written": len(self.written), "by_method": dict(methods), "unchanged": self.unchanged,
                "contested": [{"sentence_id": c.sentence_id, "question": c.name, "reason": c.reason,
                               "votes": {a: describe(c.task, v) for a, v in c.votes.items()}}
                              for c in self.contested],
                "changed_since_adjudication": self.changed}


@takes_workspace
def auto_adjudicate(workspace: Workspace, *, tasks: Iterable[str] | None = None,
                    min_agreement: str = "majority", annotators: Iterable[str] | None = None,
                    machines: bool = False, exclude_annotators: Iterable[str] | None = None) -> AdjudicationResult:
    """Write gold for every question the rules settle; return the ones left for a person.

    In a document that one annotator alone has answered, their answers are promoted with
    provenance ``single`` (a second annotator's answers later remake them as below). In a document
    several annotators have answered: unanimous answers (two or more votes, all equal) become gold,
    and with ``min_agreement = "majority"`` so do answers given by more than half of the votes; the
    rest, and questions with one vote, are contested.
    A question already in gold is left alone while its votes are unchanged; when they changed, an
    automatic decision is remade, and a person's decision is flagged and offered again. Imported
    gold (a benchmark's) is never remade from votes. Machine annotators (``annotate suggest
    --write``) vote only when named in ``annotators`` or with ``machines``. Answers that came with
    their gold (the sample's) are not votes but that gold: where they answer a question, people's
    answers do not change its gold, unless they are named in ``annotators``. Retired annotators
    never vote, and ``exclude_annotators`` leaves more out.
    """
    if min_agreement not in ("majority", "unanimous"):
        raise DataError(f"--min-agreement {min_agreement!r} is not majority or unanimous")
    # Read, decide and write under the workspace lock: two adjudications at once must not both
    # decide the same questions from the same gold and write them twice.
    from tagline.interrupts import commit

    with workspace.transaction() as transaction:
        transaction.on_commit(commit)  # the gold is written as its journal ends: a signal then does not stop it
        result = _adjudicate_locked(workspace, transaction, tasks, min_agreement, annotators, machines,
                                    exclude_annotators)
        if result.written and isinstance(result.written, list):
            workspace.gold_dir.mkdir(exist_ok=True)
            transaction.append(workspace.gold_path, result.written)
    commit()  # the gold is written: a Ctrl-C from here on must not be reported as having stopped it
    return result


def _adjudicate_locked(workspace: Workspace, transaction: Transaction, tasks: Iterable[str] | None,
                       min_agreement: str, annotators: Iterable[str] | None, machines: bool,
                       exclude: Iterable[str] | None) -> AdjudicationResult:
    chosen = select_annotators(workspace, annotators, machines=machines, exclude=exclude)
    imported = imported_annotators(workspace, chosen, exclude)
    if not chosen and not imported:
        not_counted = describe_left_out(left_out(workspace, chosen, exclude))
        raise DataError("there are no annotations to adjudicate",
                        fix="annotate first: `tagline annotate --annotator NAME` or `tagline annotate label`"
                            + (f"; not counted: {not_counted}" if not_counted else ""))
    by_columns = _adjudicate_by_columns(workspace, transaction, chosen, imported, tasks, min_agreement)
    if by_columns is not None:
        return by_columns
    document_of = {record["id"]: record["doc_id"] for record in workspace.iter_sentences()}
    votes = collect_votes(workspace, chosen, tasks, current_ids=set(document_of))
    gold_answers = collect_votes(workspace, imported, tasks, current_ids=set(document_of))
    annotators_of: dict[str, set[str]] = {}
    for by_sentence in votes.values():
        for sentence_id, answers in by_sentence.items():
            annotators_of.setdefault(document_of[sentence_id], set()).update(answers)
    current_gold = gold_view(workspace, reopened=True)
    written: list[dict[str, Any]] = []
    result = AdjudicationResult(written=written)
    for (task, target), by_sentence in votes.items():
        from_gold = gold_answers[(task, target)]
        for sentence_id in dict.fromkeys([*from_gold, *by_sentence]):
            answers = from_gold.get(sentence_id) or by_sentence[sentence_id]
            single = len(answers) == 1 if sentence_id in from_gold else \
                len(annotators_of[document_of[sentence_id]]) == 1
            existing = current_gold.get((sentence_id, task, target))
            if existing is not None and existing["provenance"]["method"] == "reopened":
                # Deciding again, the adjudicator sees the people's answers beside what came with the gold.
                who = existing["provenance"].get("adjudicator")
                result.contested.append(Contested(sentence_id, task, target,
                                                  {**by_sentence.get(sentence_id, {}), **answers},
                                                  f"reopened{f' by {who}' if who else ''}"))
                continue
            if existing is not None and _stands(existing, _votes_for_record(task, answers), imported):
                result.unchanged += 1
                continue
            if existing is not None and existing["provenance"]["method"] == "adjudicated":
                result.changed.append(f"{sentence_id} {question_name(task, target)}")
                result.contested.append(Contested(sentence_id, task, target, answers,
                                                  "votes changed after adjudication"))
                continue
            decision = _decide(task, answers, single=single, min_agreement=min_agreement)
            if decision is None:
                reason = "only one vote" if len(answers) == 1 else "no agreement"
                result.contested.append(Contested(sentence_id, task, target, answers, reason))
                continue
            value, method = decision
            check_labels(workspace, sentence_id, task, target, value, answers)
            written.append(gold_record(sentence_id, task, target, value, method,
                                       _votes_for_record(task, answers)))
    return result


def check_labels(workspace: Workspace, sentence_id: str, task: str, target: str | None, value: dict[str, Any],
                  answers: dict[str, dict[str, Any]]) -> None:
    """Gold is never made of a label tagline.toml does not have (an answer file edited by hand, or a
    label renamed after it was given): a :class:`DataError` naming who gave it, and the file and line of
    the answer (the first of them by name; the sentence where that line is not found). Both ways of
    adjudicating refuse through it (``gold_columns.py`` for a large workspace)."""
    from tagline.annotate.events import answer_line

    labels = workspace.config.labels(task)
    given = [value.get("label")] if "label" in value else [span["label"] for span in value.get("spans", [])]
    unknown = next((label for label in given if label not in labels), None)
    if unknown is None:
        return
    who = sorted(name for name, answer in answers.items() if unknown in
                 ([answer.get("label")] + [span["label"] for span in answer.get("spans", [])]))
    line = answer_line(workspace, who[0], sentence_id, task, target) if who else None
    where = f"{workspace.relative(workspace.annotation_path(who[0]))}:{line}" if line else sentence_id
    raise DataError(f"{' and '.join(who)}'s answer to {question_name(task, target)} for {sentence_id} has the label "
                    f"{unknown!r}, which is not one of {', '.join(labels)}", where=where,
                    fix="answer again with a configured label (`tagline annotate label`), or add the label to "
                        "tagline.toml; `tagline validate` lists every such line; no gold was written")


def _adjudicate_by_columns(workspace: Workspace, transaction: Transaction, chosen: list[str], imported: list[str],
                           tasks: Iterable[str] | None, min_agreement: str) -> AdjudicationResult | None:
    """The first adjudication of a large workspace, from the answers as columns, its records
    appended through ``transaction`` a block at a time; None where the answers as dicts decide: a
    small workspace, gold already written, answers that came with their gold, or an answer file
    Arrow does not fold whole (a damaged line, a value holding a field the event does not declare)."""
    from tagline.annotate.columns import ColumnAnswers

    if imported or (workspace.gold_path.exists() and workspace.gold_path.stat().st_size):
        return None
    answers = ColumnAnswers(workspace)
    if not answers.arrow:
        return None
    answers.fold_ahead(chosen)
    if not all(answers(annotator).declared for annotator in chosen) or answers.line_by_line:
        return None
    from tagline.annotate.gold_columns import WrittenGold, adjudicate_columns

    size, lines = 0, 0

    def write(block: bytes, count: int) -> None:
        nonlocal size, lines
        workspace.gold_dir.mkdir(exist_ok=True)
        transaction.append_bytes(workspace.gold_path, block)
        size, lines = size + len(block), lines + count

    decided = adjudicate_columns(workspace, answers, chosen, tasks, min_agreement, utc_now(), write)
    return AdjudicationResult(written=WrittenGold(workspace.gold_path, 0, size, lines),
                              contested=[Contested(*item) for item in decided.contested], by_method=decided.methods)


def _stands(record: dict[str, Any], votes: dict[str, Any], imported: Iterable[str]) -> bool:
    """Whether gold stays as it is for the current ``votes``: they are the ones it was made from, or
    it is imported gold, which no vote remakes. That is a benchmark's, or gold decided with the vote
    of an annotator whose answers came with their gold (``imported``): the sample's shipped gold,
    and, in workspaces made while the sample's answers still voted, what was decided with them."""
    provenance = record["provenance"]
    return provenance["votes"] == votes or provenance["method"] == "imported" or \
        not set(provenance["votes"]).isdisjoint(imported)


def _decide(task: str, answers: dict[str, dict[str, Any]], *, single: bool,
            min_agreement: str) -> tuple[dict[str, Any], str] | None:
    if single:
        (value,) = answers.values()
        return value, "single"
    counts = Counter(value_key(task, value) for value in answers.values())
    top_key, top_count = counts.most_common(1)[0]
    value = next(v for v in answers.values() if value_key(task, v) == top_key)
    if len(answers) >= 2 and top_count == len(answers):
        return value, "unanimous"
    if min_agreement == "majority" and len(answers) >= 2 and top_count * 2 > len(answers):
        return value, "majority"
    return None


@takes_workspace
def record_decision(workspace: Workspace, item: Contested, value: dict[str, Any], adjudicator: str) -> dict[str, Any]:
    """Write a person's decision on a contested question."""
    if not isinstance(item, Contested):
        raise InputError(f"the question decided must be a Contested item, not {type(item).__name__}",
                         fix="pass one of auto_adjudicate(workspace).contested")
    record = gold_record(item.sentence_id, item.task, item.target, value, "adjudicated",
                         _votes_for_record(item.task, item.votes), adjudicator=adjudicator)
    with workspace.transaction() as transaction:
        transaction.append(workspace.gold_path, [record])
    return record


def reopen(workspace: Workspace, identifiers: Iterable[str], *, tasks: Iterable[str] | None = None,
           target: str | None = None, adjudicator: str | None = None) -> list[dict[str, Any]]:
    """Offer decided questions to the adjudicator again: for each current gold record of the
    sentences or documents named (and the tasks, and the stance target, when given), a record that
    reopens it is appended. Nothing is deleted: the decision stays in the file, history and all.

    Returns the records written (none when nothing matched).
    """
    wanted = set(identifiers)
    task_set = set(tasks) if tasks else None
    if target is not None:
        if task_set is not None and "stance" not in task_set:
            raise DataError(f"--target goes with --task stance, not {', '.join(sorted(task_set))}",
                            fix="leave --target out, or give --task stance")
        workspace.config.stance_target(target)
    with workspace.transaction() as transaction:
        document_of = {record["id"]: record["doc_id"] for record in workspace.iter_sentences()}
        records = []
        for (sentence_id, task, record_target), record in gold_view(workspace).items():
            if sentence_id not in wanted and document_of.get(sentence_id) not in wanted:
                continue
            if (task_set and task not in task_set) or (target is not None and record_target != target):
                continue
            reopened = gold_record(sentence_id, task, record_target, record["value"], "reopened",
                                   record["provenance"]["votes"], adjudicator=adjudicator)
            records.append(reopened)
        if records:
            transaction.append(workspace.gold_path, records)
    return records


def undo_decision(workspace: Workspace, item: Contested, previous: dict[str, Any] | None,
                  adjudicator: str) -> dict[str, Any]:
    """Take back a decision: the gold before it comes back (as a new record), or, where there was
    none, the question is reopened, so it is contested again."""
    if previous is not None and previous["provenance"]["method"] != "reopened":
        record = {**previous, "time": utc_now()}
    else:
        record = gold_record(item.sentence_id, item.task, item.target,
                             previous["value"] if previous else _any_value(item), "reopened",
                             _votes_for_record(item.task, item.votes), adjudicator=adjudicator)
    with workspace.transaction() as transaction:
        transaction.append(workspace.gold_path, [record])
    return record


def _any_value(item: Contested) -> dict[str, Any]:
    """A value of the question's shape, for a reopening record (its value is not gold)."""
    return next(iter(item.votes.values()))


@takes_workspace
def gold_listing(workspace: Workspace, *, exclude_annotators: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every current gold record, with ``changed`` true where the votes moved on since (counting
    the votes as adjudication does, without ``exclude_annotators``)."""
    view = gold_view(workspace)
    if not view:
        return []
    current_ids = {record["id"] for record in workspace.iter_sentences()}
    chosen = select_annotators(workspace, None, exclude=exclude_annotators)
    imported = imported_annotators(workspace, chosen, exclude_annotators)
    votes = collect_votes(workspace, chosen, current_ids=current_ids)
    gold_answers = collect_votes(workspace, imported, current_ids=current_ids)
    listing = []
    for key, record in view.items():
        sentence_id, task, target = key
        now = gold_answers.get((task, target), {}).get(sentence_id) or \
            votes.get((task, target), {}).get(sentence_id, {})
        orphaned = sentence_id not in current_ids
        changed = not orphaned and not _stands(record, _votes_for_record(task, now), imported)
        listing.append({**record, "changed": changed, "orphaned": orphaned})
    return listing
