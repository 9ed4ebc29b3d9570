"""A corpus workspace on disk: finding it, making it, and the paths of everything in it."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path

from tagline.corpus.config import Config, default_config, load_config, render_toml, validate_config
from tagline.corpus.store import LineProblem, iter_lines, read_records, write_text_atomic
from tagline.errors import WorkspaceError

CONFIG_NAME = "tagline.toml"
ENV_VAR = "TAGLINE_WORKSPACE"


class Workspace:
    """A directory holding ``tagline.toml``, ``sentences.jsonl``, ``documents/``, ``annotations/``,
    ``gold/``, ``build/`` and ``runs/``."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    config_path = property(lambda self: self.root / CONFIG_NAME)
    sentences_path = property(lambda self: self.root / "sentences.jsonl")
    documents_path = property(lambda self: self.root / "documents.jsonl")
    documents_dir = property(lambda self: self.root / "documents")
    annotations_dir = property(lambda self: self.root / "annotations")
    gold_dir = property(lambda self: self.root / "gold")
    gold_path = property(lambda self: self.root / "gold" / "gold.jsonl")
    build_dir = property(lambda self: self.root / "build")
    runs_dir = property(lambda self: self.root / "runs")

    @functools.cached_property
    def config(self) -> Config:
        return load_config(self.config_path)

    def relative(self, path: str | os.PathLike) -> str:
        """``path`` relative to the current directory when inside it, for messages."""
        try:
            return os.path.relpath(path)
        except ValueError:
            return str(path)

    def annotation_path(self, annotator: str) -> Path:
        return self.annotations_dir / f"{annotator}.jsonl"

    def annotation_files(self) -> list[Path]:
        if not self.annotations_dir.is_dir():
            return []
        return sorted(self.annotations_dir.glob("*.jsonl"))

    def annotators(self) -> list[str]:
        return [path.stem for path in self.annotation_files()]

    def document_text_path(self, doc_id: str) -> Path:
        from tagline.corpus.readers import DOC_ID

        if not DOC_ID.match(doc_id):  # never a path outside documents/
            raise WorkspaceError(f"document id {doc_id!r} is not valid", where=str(self.documents_dir),
                                 fix="document ids use letters, digits, '.', '_' or '-'")
        return self.documents_dir / f"{doc_id}.txt"

    def document_text(self, doc_id: str) -> str:
        path = self.document_text_path(doc_id)
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()

    def iter_sentences(self, *, problems: list[LineProblem] | None = None) -> Iterator[dict]:
        """Stream the sentence records in file order."""
        if not self.sentences_path.exists():
            return iter(())
        return read_records(self.sentences_path, problems=problems)

    def iter_sentence_lines(self, *, problems: list[LineProblem] | None = None):
        if not self.sentences_path.exists():
            return iter(())
        return iter_lines(self.sentences_path, problems=problems)

    def documents(self) -> dict[str, dict]:
        """The current record of every document (the registry is append-only; the last one wins)."""
        current: dict[str, dict] = {}
        if self.documents_path.exists():
            for record in read_records(self.documents_path):
                current[record["doc_id"]] = record
        return current


def find_workspace(explicit: str | os.PathLike | None = None, *, start: str | os.PathLike | None = None) -> Workspace:
    """Locate the workspace: ``explicit`` (``--workspace``), else ``$TAGLINE_WORKSPACE``, else the
    nearest directory at or above ``start`` (the current directory) that holds ``tagline.toml``."""
    chosen = explicit or os.environ.get(ENV_VAR)
    if chosen:
        root = Path(chosen)
        if not (root / CONFIG_NAME).is_file():
            raise WorkspaceError(f"no {CONFIG_NAME} in {root}", where=str(root),
                                 fix=f"run `tagline init {root}` first, or point --workspace at a workspace")
        return Workspace(root)
    here = Path(start or os.getcwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / CONFIG_NAME).is_file():
            return Workspace(directory)
    raise WorkspaceError(
        f"no {CONFIG_NAME} here or in any parent directory", where=str(here),
        fix="run `tagline init DIR` and work inside DIR, or pass --workspace DIR / set TAGLINE_WORKSPACE",
    )


def _check_targets(targets: list[str] | None) -> None:
    """Stance targets as ``init`` is given them: named, each once."""
    seen = set()
    for target in targets or []:
        if not target.strip():
            raise WorkspaceError(f"stance target {target!r} is empty", fix="name each --target, e.g. --target DeepSeek")
        if target != target.strip():
            raise WorkspaceError(f"stance target {target!r} starts or ends with white space",
                                 fix=f"write --target {target.strip()!r}")
        if target in seen:
            raise WorkspaceError(f"stance target {target!r} is given twice", fix="give each --target once")
        seen.add(target)


def init_workspace(
    directory: str | os.PathLike, *, language: str = "ja", targets: list[str] | None = None,
    sample: bool = False, force: bool = False,
) -> Workspace:
    """Make a workspace in ``directory`` (created if needed) and return it.

    With ``sample=True`` the bundled sample article is ingested and its gold annotations copied in
    as the annotator ``sample-gold``; the sample's stance targets (DeepSeek, US AI policy) are
    configured before any ``targets`` given. An existing workspace is refused unless ``force``, and even
    then no data file is touched: only a missing ``tagline.toml`` or folder is written.
    """
    root = Path(directory)
    workspace = Workspace(root)
    if workspace.config_path.exists() and not force:
        raise WorkspaceError(f"{CONFIG_NAME} already exists", where=str(root),
                             fix="use that workspace, or choose another directory")
    _check_targets(targets)
    if sample and targets:
        # The sample's answers are stance toward its own targets: keep them, after them the ones given.
        from tagline.corpus.config import SAMPLE_TARGETS

        targets = list(SAMPLE_TARGETS) + [target for target in targets if target not in SAMPLE_TARGETS]
    config = default_config(language=language, targets=targets, name=root.resolve().name)
    problems = validate_config(config, where=str(workspace.config_path))
    if problems:
        raise WorkspaceError(problems[0].split(": ", 1)[-1], where=str(workspace.config_path),
                             fix="correct the options given to init")
    root.mkdir(parents=True, exist_ok=True)
    for folder in (workspace.documents_dir, workspace.annotations_dir, workspace.gold_dir,
                   workspace.build_dir, workspace.runs_dir):
        folder.mkdir(exist_ok=True)
    if not workspace.config_path.exists():
        write_text_atomic(workspace.config_path, render_toml(config))
    for path in (workspace.sentences_path, workspace.documents_path):
        path.touch(exist_ok=True)
    workspace = Workspace(root)
    if sample:
        from tagline.corpus.sample import install_sample

        install_sample(workspace)
    return workspace
