"""Exporting one view of the answers (an annotator's current answers, or gold) for every sentence of
a workspace in a peer tool's format, written whole or not at all."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from tagline.annotate.answer_index import StaleAnswers
from tagline.annotate.formats import common
from tagline.annotate.formats.common import CHUNK, ExportData, ExportResult, plural
from tagline.annotate.formats.registry import BY_NAME, EXPORT_FORMATS
from tagline.annotate.interop.cycles import without_cycle_collection
from tagline.annotate.interop.export_answers import IndexedAnswers
from tagline.corpus.progress import ProgressCallback, counted, no_progress
from tagline.corpus.texts import TextReader
from tagline.corpus.workers import numpy_threads_put_back, numpy_without_threads
from tagline.corpus.workspace import Workspace, check_output
from tagline.errors import ConflictError, DataError, InputError, takes_workspace


@takes_workspace
@without_cycle_collection()
@numpy_threads_put_back()  # the answers' index loads NumPy without its threads: the export may fork
def export(workspace: Workspace, *, fmt: str, out: str | Path | None = None, gold: bool = False,
           annotator: str | None = None, force: bool = False, formula_escape: bool = True,
           task: str | None = None, target: str | None = None, accounts: str | Path | dict[str, str] | None = None,
           conll_comments: bool = False, progress: ProgressCallback = no_progress) -> dict[str, Any]:
    """Write one view of the answers (``gold``, or one ``annotator``'s current answers) for every
    sentence of the workspace in a peer tool's format.

    Parameters
    ----------
    workspace : Workspace
    fmt : str
        One of :data:`EXPORT_FORMATS`.
    out : path, optional
        The file to write (for ``brat`` a folder, required). Without it the file's text is returned
        under ``"content"``.
    gold, annotator
        What to export: the gold view, or one annotator's answers (exactly one of them).
    force : bool
        Replace ``out`` (for brat, the files in it) if it exists. A file or folder a workspace
        manages is never written, even with ``force``.
    formula_escape : bool
        CSV only: write a cell that begins with ``= + - @``, a tab or a carriage return (which a
        spreadsheet would run as a formula) or with ``'`` behind a ``'``; import takes it off again.
    task, target : str, optional
        Export one question only: ``entities``, ``claim_type``, or ``stance`` toward ``target`` (which
        may be left out when one target is configured). For doccano this chooses the project type the
        file is for: sequence labelling (entities) or text classification.
    accounts : str, path or dict, optional
        Label Studio only: annotator name -> the email of a Label Studio account, as
        ``"a1=alice@example.org,a2=…"``, a JSON or TOML file, or a dict. The annotator's answers are
        then written as that account's (``completed_by``); without it they name no account, and Label
        Studio gives them to the user who imports them.
    conll_comments : bool
        CoNLL only: write ``# sent_id`` and ``# text`` lines, which bring the file back onto the same
        sentences, but which spaCy, datasets and most CoNLL readers take for tokens.
    progress : ProgressCallback, optional
        Told of the answers read, then of the sentences exported (see :class:`_Sentences`), from this
        thread alone: a callback that starts no thread leaves a large export free to fork its workers.

    Returns
    -------
    dict
        ``format``, ``out``, ``view``, ``sentences``, ``answers``, ``records`` and ``warnings`` (what
        the format could not hold), plus ``content`` when ``out`` is not given.
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}", fix=f"use one of {', '.join(EXPORT_FORMATS)}")
    if bool(gold) == bool(annotator):
        raise InputError("choose what to export: --gold, or --annotator NAME",
                         fix=f"annotators here: {', '.join(workspace.annotators()) or 'none yet'}")
    spec = BY_NAME[fmt]
    _check_options(fmt, out, formula_escape, conll_comments)
    question = _question(workspace, fmt, task, target)
    account = _account(fmt, annotator, accounts)
    if out is not None:
        check_output(out, force=force, folder=spec.folder)
    data = ExportData(sentences=(), answers={}, annotator=annotator, config=workspace.config,
                      document_text=str, formula_escape=formula_escape, question=question,
                      account=account, conll_comments=conll_comments)
    try:
        content, also_written, written = _export(workspace, spec, data, out, force, progress, _indexed(workspace, data))
    except StaleAnswers:  # the fold of the annotator's file is not the file's: fold the file itself
        content, also_written, written = _export(workspace, spec, data, out, force, progress, False)
    result, warnings = written.result, list(written.result.warnings)
    if written.orphaned:
        warnings.insert(0, f"{plural(written.orphaned, 'sentence')} with answers no longer in sentences.jsonl "
                           "(orphaned when their documents were replaced) not exported")
    if out is None and result.companions:
        warnings.append(f"the {', '.join(f'*{suffix}' for suffix in result.companions)} file that goes with "
                        "the export is written only with --out")
    summary = {
        "format": fmt, "out": str(out) if out is not None else None,
        "view": "gold" if gold else f"annotator:{annotator}",
        "sentences": written.data.sentences.count,  # type: ignore[attr-defined]
        "answers": _count(written.data.answers),
        "records": result.records, "warnings": warnings, "also_written": also_written,
    }
    if out is None:
        summary["content"] = content
    return summary


def _export(workspace: Workspace, spec: Any, data: ExportData, out: str | Path | None, force: bool,
            progress: ProgressCallback, indexed: bool) -> tuple[str | None, list[str], _Written]:
    """Read the view's answers and write the export: one annotator's answers looked up from the fold
    of its file when ``indexed`` (:mod:`.export_answers`), else folded into a dict."""
    if indexed:
        from tagline.annotate.interop.export_answers import indexed_answers

        _known_annotator(workspace, str(data.annotator))
        numpy_without_threads()  # so that a large spaCy or Prodigy export may fork its workers
        progress(0, None, "reading answers")
        answers: Any = indexed_answers(workspace, str(data.annotator), data.question)
    else:
        answers = _answers(_view(workspace, data.annotator is None, data.annotator, progress), data.question)
    try:
        sentences = _Sentences(workspace, answers, progress)
        with TextReader(workspace) as document_text:  # a folder format reads every document's text
            data = replace(data, sentences=sentences, answers=answers, document_text=document_text)
            content, also_written = _write(spec.folder, out, written := _Written(spec.load_writer(), data), force)
    finally:
        if isinstance(answers, IndexedAnswers):
            answers.close()
    return content, also_written, written


def _indexed(workspace: Workspace, data: ExportData) -> bool:
    """Whether the annotator's answers are looked up from the fold of their file as the export goes
    (:mod:`.export_answers`): when the file holds more than :data:`INDEXED_AFTER` bytes. A smaller
    one is folded into a dict (a few MB), without loading the fold's arrays (NumPy) for it."""
    if data.annotator is None:
        return False
    try:
        return os.stat(workspace.annotation_path(data.annotator)).st_size > INDEXED_AFTER
    except OSError:
        return False


INDEXED_AFTER = 4 << 20  # bytes of an annotator's file (about 24,000 answers of a few spans)


def _count(answers: Any) -> int:
    if isinstance(answers, IndexedAnswers):
        return answers.count()
    return sum(len(current) for current in answers.values())


class _Sentences:
    """The workspace's sentences, read anew on each pass; how many the last pass gave, and how many of
    them have answers (which ones, on a pass with ``which``). Each pass tells ``progress`` how many it
    has read, every :data:`CHUNK`, out of the corpus's count (from its sentence index, opened only for
    a callback other than :func:`~tagline.corpus.progress.no_progress`). Answers looked up from an
    index are read a chunk of sentences at a time, before the chunk is handed on."""

    def __init__(self, workspace: Workspace, answers: Any, progress: ProgressCallback) -> None:
        self.workspace, self.answers, self.progress = workspace, answers, progress
        self.count = 0
        self.answered = 0
        self.which: set[str] | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.count = self.answered = 0
        total = None
        if self.progress is not no_progress:
            from tagline.corpus.sentence_index import sentence_index

            total = len(sentence_index(self.workspace))  # kept current by every ingest: read in a moment
        sentences = counted(self.workspace.iter_sentences(), self.progress, "exporting sentences", total, every=CHUNK)
        if not isinstance(self.answers, IndexedAnswers) or self.which is not None:
            for sentence in sentences:
                self.count += 1
                if sentence["id"] in self.answers:
                    self.answered += 1
                    if self.which is not None:
                        self.which.add(sentence["id"])
                yield sentence
            return
        while chunk := list(islice(sentences, common.CHUNK)):  # each chunk's answers read before it is handed on
            self.answered += self.answers.prefetch([sentence["id"] for sentence in chunk])
            self.count += len(chunk)
            yield from chunk


class _Written:
    """A writer run on an output: ``result``, and the ``data`` it wrote. Answers to sentences that are
    not in the corpus (orphaned) count for nothing: when the pass finds some, the output is written
    again without them (a writer's choices may depend on every answer, such as a label only they have)."""

    def __init__(self, writer: Callable[[ExportData, BinaryIO], ExportResult], data: ExportData) -> None:
        self.writer, self.data = writer, data
        self.result = ExportResult()
        self.orphaned = 0

    def __call__(self, out: BinaryIO) -> None:
        start = out.tell()
        self.result = self.writer(self.data, out)
        sentences = self.data.sentences
        assert isinstance(sentences, _Sentences)
        self.orphaned = len(self.data.answers) - sentences.answered
        if self.orphaned:  # rare: the answers of the sentences in the corpus, found by a pass, in a dict
            sentences.which = set()
            for _ in sentences:
                pass
            answered, sentences.which = sentences.which, None
            self.data = replace(self.data, answers={sentence_id: current for sentence_id, current
                                                    in self.data.answers.items() if sentence_id in answered})
            out.seek(start)
            out.truncate()
            self.result = self.writer(self.data, out)


def _check_options(fmt: str, out: str | Path | None, formula_escape: bool, conll_comments: bool) -> None:
    if BY_NAME[fmt].folder and out is None:
        raise InputError(f"{fmt} writes a folder of files", fix="pass --out DIR")
    if not formula_escape and fmt != "csv":
        raise InputError(f"--no-formula-escape applies to CSV, not {fmt}", fix="leave it out, or export --format csv")
    if conll_comments and fmt != "conll":
        raise InputError(f"--conll-comments applies to CoNLL, not {fmt}", fix="leave it out, or export --format conll")
    if fmt == "spacy" and out is not None and Path(out).suffix.lower() == ".spacy":
        raise InputError("the spaCy export is v2 JSON, not a binary DocBin", where=str(out),
                         fix="name it .json and make the DocBin with `python -m spacy convert FILE.json DIR`")


def _write(folder: bool, out: str | Path | None, written: _Written, force: bool) -> tuple[str | None, list[str]]:
    """Run the writer into ``out`` (a folder's files, or the file and its companions), all or nothing,
    with one fsync a file; the text written when there is no ``out``, and the companions written.
    Once they are in place, the export is committed: a Ctrl-C from then on is not reported as having
    stopped it."""
    from tagline.corpus.store import Transaction
    from tagline.interrupts import commit

    if out is None or folder:
        buffer = io.BytesIO()
        written(buffer)
        if out is None:
            return buffer.getvalue().decode("utf-8"), []
        assert written.result.files is not None  # a folder format's writer gives files
        _write_folder(Path(out), written.result.files, force)
        commit()
        return None, []
    path = Path(out)
    try:
        with Transaction() as transaction:
            transaction.on_commit(commit)  # in place: a signal from then on does not say it stopped the export
            if force:
                transaction.write_text(path, written)
            else:
                transaction.create_text(path, written)
            companions = {path.with_name(path.stem + suffix): text
                          for suffix, text in written.result.companions.items()}
            for companion, text in companions.items():
                check_output(companion, force=force)
                if force:
                    transaction.write_text(companion, text)
                else:
                    transaction.create_text(companion, text)
    except FileExistsError as error:
        raise ConflictError("was made by another program meanwhile; nothing was written", where=error.filename,
                            fix="export again, or pass --force to replace the files") from None
    commit()
    return None, [str(companion) for companion in companions]


def _answers(view: dict[str, dict[tuple[str, str | None], dict[str, Any]]],
             question: tuple[str, str | None] | None) -> dict[str, dict[tuple[str, str | None], dict[str, Any]]]:
    """The sentences' answers to ``question`` (to every question when None), without the sentences
    that have none (``view`` is made for this export: its dicts are not shared)."""
    if question:
        return {sentence_id: {question: current[question]} for sentence_id, current in view.items()
                if question in current}
    return {sentence_id: current for sentence_id, current in view.items() if current}


def _view(workspace: Workspace, gold: bool, annotator: str | None,
          progress: ProgressCallback) -> dict[str, dict[tuple[str, str | None], dict[str, Any]]]:
    """Sentence id -> (task, target) -> value: one annotator's current answers, or the gold view (the
    records read told to ``progress``)."""
    from tagline.annotate.events import fold_events, iter_annotation_events

    if annotator:
        _known_annotator(workspace, annotator)
        return fold_events(counted(iter_annotation_events(workspace, annotator), progress, "reading answers"))
    from tagline.annotate.gold import gold_view

    view = gold_view(workspace, progress=progress)
    if not view:
        raise DataError("there is no gold yet", fix="run `tagline annotate adjudicate`, or import gold with --gold")
    answers: dict[str, dict[tuple[str, str | None], dict[str, Any]]] = {}
    for (sentence_id, task, target), record in view.items():
        value = dict(record["value"])
        if task == "stance":
            value = {"target": target, "label": value["label"]}
        answers.setdefault(sentence_id, {})[(task, target)] = value
    return answers


def _known_annotator(workspace: Workspace, annotator: str) -> None:
    if annotator not in workspace.annotators():
        raise DataError(f"no annotations by {annotator!r}",
                        fix=f"annotators here: {', '.join(workspace.annotators()) or 'none yet'}")


def _write_folder(folder: Path, files: dict[str, str], force: bool) -> None:
    """Every file of a folder format's export, or none: an existing one is kept unless ``force``.

    A folder that does not exist yet is made whole by :func:`~tagline.corpus.new_folder.write_new_folder`
    (its files written beside it, made durable together, and renamed into place at once). Into an
    existing folder the files are written and fsync'd side by side, in batches
    (:meth:`Transaction.write_texts`); without ``force`` they are written in a folder of their own
    inside ``folder`` and then linked into place, so that a file another program made there
    meanwhile is never written over."""
    import shutil

    from tagline.corpus.new_folder import remove_left_staging, staging_name
    from tagline.corpus.primitives import make_locked_folder
    from tagline.corpus.store import Transaction, sweep_temporaries

    if not os.path.lexists(folder):
        _write_new_folder(folder, files)
        return
    folder.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(folder, only=files)  # what an export killed while writing there left,
    remove_left_staging(folder / _STAGING)  # and the folder its files waited in (without force)
    present = {entry.name for entry in os.scandir(folder)}  # the folder itself was checked before
    for name in files:
        if name in present:  # a file, a folder or a link there: checked as a file of its own
            check_output(folder / name, force=force)
    staging = None
    held = None
    if not force:
        staging = staging_name(folder / _STAGING)
        held = make_locked_folder(staging)  # its lock says it is this running export's
    try:
        with Transaction() as transaction:
            transaction.write_texts(((staging or folder) / name, content, False) for name, content in files.items())
            if staging is not None:
                for name in files:
                    transaction.move(staging / name, folder / name)
    except FileExistsError as error:
        raise ConflictError("was made by another program meanwhile; nothing was written", where=error.filename,
                            fix="export again, or pass --force to replace the files") from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)  # emptied: its files moved into place, or removed on failure
        if held is not None:
            os.close(held)


_STAGING = "tagline-export"  # the name the staging folder inside an export's folder is made for


def _write_new_folder(folder: Path, files: dict[str, str]) -> None:
    from tagline.corpus.new_folder import write_new_folder
    from tagline.errors import storage_error

    try:
        write_new_folder(folder, files)
    except FileExistsError:
        raise ConflictError("was made by another program meanwhile; nothing was written", where=str(folder),
                            fix="export again, or pass --force to replace the files") from None
    except OSError as error:
        raise storage_error(getattr(error, "filename", None) or folder, error) from None


def _question(workspace: Workspace, fmt: str, task: str | None, target: str | None) -> tuple[str, str | None] | None:
    """The one question ``--task``/``--target`` export, checked against the workspace."""
    config = workspace.config
    if task is None:
        if target is not None:
            raise InputError("--target goes with --task stance", fix="add --task stance, or leave --target out")
        return None
    if task not in config.tasks:
        raise InputError(f"--task {task!r} is not a task of this workspace",
                         fix=f"use one of {', '.join(config.tasks)}")
    if task != "stance":
        if target is not None:
            raise InputError("--target goes with --task stance", fix="add --task stance, or leave --target out")
        return task, None
    if target is None:
        if len(config.targets) != 1:
            raise InputError(f"--task stance needs --target: {fmt} holds the stance toward one target here",
                             fix=f"targets: {', '.join(config.targets) or 'none configured'}")
        target = config.targets[0]
    if target not in config.targets:
        raise InputError(f"--target {target!r} is not a stance target of this workspace",
                         fix=f"targets: {', '.join(config.targets) or 'none configured'}")
    return "stance", target


def _account(fmt: str, annotator: str | None, accounts: str | Path | dict[str, str] | None) -> str | None:
    """The Label Studio account (email) the exported annotator's answers are written as, if any."""
    if accounts is None:
        return None
    if fmt != "label-studio":
        raise InputError(f"--ls-users applies to label-studio, not {fmt}", fix="leave it out")
    mapping = accounts if isinstance(accounts, dict) else _load_accounts(accounts)
    if not annotator:
        raise InputError("--ls-users names the accounts of annotators, and gold belongs to no annotator",
                         fix="leave --ls-users out with --gold; Label Studio gives gold to the user who imports it")
    if annotator not in mapping:
        raise InputError(f"--ls-users does not name annotator {annotator!r} (it names {', '.join(sorted(mapping))})",
                         fix=f"add {annotator}=EMAIL, or leave --ls-users out")
    return mapping[annotator]


def _load_accounts(accounts: str | Path) -> dict[str, str]:
    """``NAME=EMAIL`` pairs separated by commas, or a JSON or TOML file of ``name = "email"``."""
    path = Path(accounts)
    if path.is_file():
        from tagline.annotate.formats.common import load_json, read_text

        text = read_text(path)
        try:
            if path.suffix.lower() == ".toml":
                import tomllib

                value: object = tomllib.loads(text)
            else:
                value = load_json(text, str(path))
        except ValueError as error:  # json.JSONDecodeError and tomllib.TOMLDecodeError are ValueErrors
            raise InputError(f"not valid {path.suffix.lstrip('.').upper() or 'JSON'} ({error})", where=str(path),
                             fix='write {"annotator": "email@example.org", ...}') from None
        if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
            raise InputError("not a table of annotator name -> Label Studio email", where=str(path),
                             fix='write {"annotator": "email@example.org", ...}')
        return {str(name): email for name, email in value.items()}
    pairs = [pair.strip() for pair in str(accounts).split(",") if pair.strip()]
    mapping = {}
    for pair in pairs:
        name, separator, email = (part.strip() for part in pair.partition("="))
        if not (separator and name and email):
            raise InputError(f"--ls-users {pair!r} is not NAME=EMAIL",
                             fix="write a1=alice@example.org,a2=bob@example.org, or name a JSON or TOML file")
        mapping[name] = email
    if not mapping:
        raise InputError("--ls-users names no account", fix="write a1=alice@example.org, or leave it out")
    return mapping
