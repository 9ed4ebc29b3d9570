"""Writing a planned import: its new documents, gold and answer events in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tagline.corpus.byte_columns import AppendedLines
from tagline.corpus.progress import ProgressCallback, no_progress
from tagline.corpus.workspace import Workspace
from tagline.errors import DataError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tagline.corpus.transaction import Transaction


def write_import(workspace: Workspace, new_documents: list, events_by_annotator: dict[str, list[dict]],
                 gold_records: list[dict], progress: ProgressCallback = no_progress,
                 sentence_meta: dict[str, list[dict]] | None = None) -> None:
    """One transaction: a failure anywhere (a full disk, Ctrl-C) leaves every file as it was.

    A killed process is different once the answers are being written: the documents (and gold) are
    kept from then on (the journal ends there), because the annotation files cannot be cut back
    after the fact (the terminal session appends to them without the workspace lock). Whatever
    answers were written refer to sentences that exist, and importing the file again writes the
    rest.
    """
    from tagline.corpus.ingest import add_source_documents

    with workspace.transaction() as transaction:
        saved_with(transaction)
        if new_documents:
            add_source_documents(workspace, [document for document, _ in new_documents], progress=progress,
                                 sentence_meta=sentence_meta, index=False)
            planned = {s.sentence_id: s.text for _, frame in new_documents for s in frame.sentences}
            doc_ids = {document.doc_id for document, _ in new_documents}
            stored = {s["id"]: s["text"] for s in workspace.iter_sentences() if s["doc_id"] in doc_ids}
            if stored != planned:
                raise DataError("the stored sentences differ from the ones the import planned; nothing was "
                                "imported", where=str(workspace.sentences_path), fix="report this")
        if gold_records or events_by_annotator:
            progress(0, None, "writing answers")
        if gold_records:
            workspace.gold_dir.mkdir(exist_ok=True)
            transaction.append(workspace.gold_path, gold_records)
        if events_by_annotator:
            transaction.checkpoint()
            workspace.annotations_dir.mkdir(exist_ok=True)
            for name, events in sorted(events_by_annotator.items()):
                transaction.append(workspace.annotation_path(name), events, journal=False)
    keep_indexes_current(workspace, bool(new_documents), events_by_annotator, progress)


def saved_with(transaction: Transaction) -> None:
    """The import's work is saved the moment ``transaction`` makes its change (see
    :meth:`~tagline.corpus.transaction.Transaction.on_commit`): a signal from then on, before
    :func:`keep_indexes_current`, is not reported as having stopped it."""
    from tagline.interrupts import commit

    transaction.on_commit(commit)


@dataclass
class Written:
    """What a bulk import appended, noted as it appended it: the sentence lines and each annotator's
    answer lines (events ``set`` on the question ``answered``), so the indexes can be extended from
    memory instead of reading them back."""

    sentences: AppendedLines = field(default_factory=AppendedLines)
    answers: dict[str, AppendedLines] = field(default_factory=dict)
    answered: tuple[str, str | None] = ("entities", None)


def keep_indexes_current(workspace: Workspace, documents: bool, annotators: Iterable[str],
                         progress: ProgressCallback = no_progress, written: Written | None = None) -> None:
    """Bring the sentence index (when ``documents`` were added) and the saved answer folds of
    ``annotators`` up to date once an import is whole, so the next session opens warm. They are
    caches outside the journal, checked against the files on every read. With what the import
    ``written`` noted, the lines it appended are indexed from memory (each checked where it starts
    and ends); without, read back from the files. Every import reaches this once its transaction is
    over, so a signal from here on does not stop it: the import is whole."""
    from tagline.interrupts import commit

    commit()  # the answers are written: a Ctrl-C from here on must not be reported as having stopped the import
    if documents:
        from tagline.corpus.sentence_index import index_appended, keep_index_current

        progress(0, None, "indexing sentences")
        if written is not None:
            index_appended(workspace, written.sentences)
        else:
            keep_index_current(workspace)
    names = sorted(annotators)
    if names:
        from tagline.annotate.answer_index import fold_appended, keep_fold_current

        progress(0, None, "indexing answers")
        for name in names:
            if written is not None and name in written.answers:
                fold_appended(workspace, name, written.answers[name], written.answered)
            else:
                keep_fold_current(workspace, name)
