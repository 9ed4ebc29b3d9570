"""Exporting one view of the answers (an annotator's current answers, or gold) for every sentence of
a workspace in a peer tool's format, written whole or not at all."""

from __future__ import annotations

from pathlib import Path

from tagline.annotate.formats.common import ExportData, plural
from tagline.annotate.formats.registry import BY_NAME, EXPORT_FORMATS
from tagline.corpus.workspace import Workspace, check_output, write_output
from tagline.errors import ConflictError, DataError, InputError


def export(workspace: Workspace, *, fmt: str, out: str | Path | None = None, gold: bool = False,
           annotator: str | None = None, force: bool = False, formula_escape: bool = True,
           conll_comments: bool = False) -> dict:
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
    conll_comments : bool
        CoNLL only: write ``# sent_id`` and ``# text`` lines before each sentence, which bring the
        file back onto the same sentences with their exact text, but which spaCy, Hugging Face
        datasets (unless told ``comment_prefix="#"``) and most CoNLL readers take for tokens.

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
    if spec.folder and out is None:
        raise InputError(f"{fmt} writes a folder of files", fix="pass --out DIR")
    if not formula_escape and fmt != "csv":
        raise InputError(f"--no-formula-escape applies to CSV, not {fmt}", fix="leave it out, or export --format csv")
    if conll_comments and fmt != "conll":
        raise InputError(f"--conll-comments applies to CoNLL, not {fmt}", fix="leave it out, or export --format conll")
    if fmt == "spacy" and out is not None and Path(out).suffix.lower() == ".spacy":
        raise InputError("the spaCy export is v2 JSON, not a binary DocBin", where=str(out),
                         fix="name it .json and make the DocBin with `python -m spacy convert FILE.json DIR`")
    if out is not None:
        check_output(out, force=force, folder=spec.folder)
    answers = _view(workspace, gold, annotator)
    sentences = list(workspace.iter_sentences())
    known = {sentence["id"] for sentence in sentences}
    answers = {sentence_id: current for sentence_id, current in answers.items() if current}
    orphaned = [sentence_id for sentence_id in answers if sentence_id not in known]
    data = ExportData(sentences=sentences, answers={k: v for k, v in answers.items() if k in known},
                      annotator=annotator, config=workspace.config, document_text=workspace.document_text,
                      formula_escape=formula_escape, conll_comments=conll_comments)
    result = spec.load_writer()(data)
    warnings = list(result.warnings)
    if orphaned:
        warnings.insert(0, f"{plural(len(orphaned), 'sentence')} with answers no longer in sentences.jsonl "
                           "(orphaned when their documents were replaced) not exported")
    if spec.folder:
        assert out is not None  # refused above: a folder format needs --out
        assert result.files is not None  # a folder format's writer gives files, not content
        _write_folder(Path(out), result.files, force)
    elif out is not None:
        assert result.content is not None  # a file format's writer gives content
        write_output(out, result.content, force=force)
    summary = {
        "format": fmt, "out": str(out) if out is not None else None,
        "view": "gold" if gold else f"annotator:{annotator}",
        "sentences": len(sentences),
        "answers": sum(len(current) for current in data.answers.values()),
        "records": result.records, "warnings": warnings,
    }
    if out is None:
        summary["content"] = result.content
    return summary


def _view(workspace: Workspace, gold: bool, annotator: str | None) -> dict[str, dict[tuple[str, str | None], dict]]:
    """Sentence id -> (task, target) -> value: one annotator's current answers, or the gold view."""
    from tagline.annotate.events import load_view
    from tagline.annotate.gold import gold_view

    if annotator:
        if annotator not in workspace.annotators():
            raise DataError(f"no annotations by {annotator!r}",
                            fix=f"annotators here: {', '.join(workspace.annotators()) or 'none yet'}")
        return load_view(workspace, annotator).answers
    view = gold_view(workspace)
    if not view:
        raise DataError("there is no gold yet", fix="run `tagline annotate adjudicate`, or import gold with --gold")
    answers: dict[str, dict[tuple[str, str | None], dict]] = {}
    for (sentence_id, task, target), record in view.items():
        value = dict(record["value"])
        if task == "stance":
            value = {"target": target, "label": value["label"]}
        answers.setdefault(sentence_id, {})[(task, target)] = value
    return answers


def _write_folder(folder: Path, files: dict[str, str], force: bool) -> None:
    """Every file of a folder format's export, or none: an existing one is kept unless ``force``."""
    from tagline.corpus.store import Transaction

    for name in files:
        check_output(folder / name, force=force)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with Transaction() as transaction:
            for name, content in files.items():
                if force:
                    transaction.write_text(folder / name, content)
                else:
                    transaction.create_text(folder / name, content)
    except FileExistsError as error:
        raise ConflictError("was made by another program meanwhile; nothing was written", where=error.filename,
                            fix="export again, or pass --force to replace the files") from None
