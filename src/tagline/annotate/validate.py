"""Checking every file of a workspace against the data contracts, listing every problem found."""

from __future__ import annotations

from collections.abc import Iterator

from tagline.annotate.events import event_problems
from tagline.annotate.validate_corpus import Documents, Sentences
from tagline.annotate.validate_corpus import show as _show
from tagline.corpus.annotators import annotator_kinds
from tagline.corpus.config import Config
from tagline.corpus.store import LineProblem, iter_lines, read_records
from tagline.corpus.workspace import Workspace
from tagline.errors import TaglineError, takes_workspace
from tagline.schemas import schema_errors


@takes_workspace
def validate_workspace(workspace: Workspace) -> list[LineProblem]:
    """Every problem in ``workspace``: configuration, documents, sentences, annotations and gold.

    Returns problems as ``path:line: message``; torn last lines (a crash mid-write) come back with
    ``warning=True``, as are annotations of orphaned sentences, not errors.
    """
    problems: list[LineProblem] = []
    try:
        config = workspace.config
    except TaglineError as error:
        return [LineProblem(str(workspace.config_path), 0, error.what + (f" ({error.fix})" if error.fix else ""))]

    documents = Documents(workspace)
    try:
        documents.check(problems)
        checked = len(problems)
        sentences = Sentences(workspace, documents)
        sentences.check(problems)
        problems[checked:checked] = documents.problems()  # where the documents' texts were checked before
        _check_answers(workspace, config, sentences, problems)
    finally:
        documents.close()
    return [LineProblem(_show(p.path), p.line, p.message, p.warning) for p in problems]


def _check_answers(workspace: Workspace, config: Config, sentences: Sentences, problems: list[LineProblem]) -> None:
    """The annotators' files, the annotator registry and the gold answers, against the sentences."""
    orphaned = set()
    orphan_path = workspace.root / "orphaned.jsonl"
    if orphan_path.exists():
        orphaned = {record["id"] for record in read_records(orphan_path, problems=problems, kind="orphan")}
    for path in workspace.annotation_files():
        for line, event in iter_lines(path, problems=problems):
            errors = schema_errors("event", event)
            if not errors:
                if event["annotator"] != path.stem:
                    errors.append(f"annotator {event['annotator']!r} does not match the file name {path.stem!r}")
                text = sentences.text_of(event["sentence_id"])
                is_orphan = text is None and event["sentence_id"] in orphaned
                if is_orphan:
                    problems.append(LineProblem(str(path), line, f"sentence {event['sentence_id']!r} was orphaned "
                                                "when its document was replaced; the annotation is kept", warning=True))
                errors.extend(event_problems(event, config, text, orphaned=is_orphan))
            problems.extend(LineProblem(str(path), line, message) for message in errors)
    _check_annotators(workspace, problems)
    if workspace.gold_path.exists():
        for line, record in iter_lines(workspace.gold_path, problems=problems):
            errors = schema_errors("gold", record)
            if not errors:
                pseudo_event = {"sentence_id": record["sentence_id"], "task": record["task"], "op": "set",
                                "value": record["value"] if record["task"] != "stance"
                                else {**record["value"], "target": record.get("target")}}
                text = sentences.text_of(record["sentence_id"])
                is_orphan = text is None and record["sentence_id"] in orphaned
                if is_orphan:
                    problems.append(LineProblem(str(workspace.gold_path), line,
                                                f"gold for sentence {record['sentence_id']!r}, orphaned when its "
                                                "document was replaced; kept, left out of builds", warning=True))
                errors = event_problems(pseudo_event, config, text, orphaned=is_orphan)
            problems.extend(LineProblem(_show(workspace.gold_path), line, message) for message in errors)


def _check_annotators(workspace: Workspace, problems: list[LineProblem]) -> None:
    """The registry's records, and answer files of retired annotators: a session still open when its
    annotator was retired writes a new one, whose answers count nowhere."""
    if not workspace.annotators_path.exists():
        return
    found: list[LineProblem] = []
    for _ in iter_lines(workspace.annotators_path, problems=found, kind="annotator"):
        pass
    problems.extend(found)
    if any(not problem.warning for problem in found):
        return
    for name, kind in annotator_kinds(workspace).items():
        if kind == "retired" and workspace.annotation_path(name).exists():
            problems.append(LineProblem(str(workspace.annotation_path(name)), 0,
                                        f"answers given as {name} after it was retired count nowhere; "
                                        f"`tagline annotate retire {name}` archives them too", warning=True))


def iter_errors(problems: list[LineProblem]) -> Iterator[LineProblem]:
    return (problem for problem in problems if not problem.warning)


__all__ = ["validate_workspace", "iter_errors"]
