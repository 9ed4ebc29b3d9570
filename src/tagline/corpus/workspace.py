"""A corpus workspace on disk: finding it, making it, and the paths of everything in it."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tagline.corpus.config import CLAIM_TYPE_SETS, Config, default_config, load_config, render_toml, validate_config
from tagline.corpus.store import (
    LineProblem,
    Transaction,
    fold_folders,
    holds_temporaries,
    iter_lines,
    read_records,
    recover,
    sweep_temporaries,
    write_text_atomic,
)
from tagline.errors import ConflictError, StorageError, WorkspaceError, storage_error

CONFIG_NAME = "tagline.toml"
ENV_VAR = "TAGLINE_WORKSPACE"
LOCK_NAME = ".tagline.lock"
JOURNAL_NAME = ".tagline.journal"
# What a workspace holds at its top: nothing outside the workspace's own commands writes these, or
# the backups and torn-line files made beside them (``sentences.jsonl.<time>.bak``, ``….torn``).
MANAGED_FILES = (CONFIG_NAME, "sentences.jsonl", "documents.jsonl", "orphaned.jsonl", "annotators.jsonl", LOCK_NAME,
                 JOURNAL_NAME)
MANAGED_FOLDERS = ("documents", "annotations", "gold", "build", "runs")

_held = threading.local()  # root -> (fd, depth): the workspace locks this thread holds


class LockWaitWarning(UserWarning):
    """Another command holds the workspace lock; this one waits for it."""


class Workspace:
    """A directory holding ``tagline.toml``, ``sentences.jsonl``, ``documents/``, ``annotations/``,
    ``gold/``, ``build/`` and ``runs/``."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME
    @property
    def sentences_path(self) -> Path:
        return self.root / "sentences.jsonl"
    @property
    def documents_path(self) -> Path:
        return self.root / "documents.jsonl"
    @property
    def documents_dir(self) -> Path:
        return self.root / "documents"
    @property
    def annotations_dir(self) -> Path:
        return self.root / "annotations"
    @property
    def gold_dir(self) -> Path:
        return self.root / "gold"
    @property
    def gold_path(self) -> Path:
        return self.root / "gold" / "gold.jsonl"
    @property
    def build_dir(self) -> Path:
        return self.root / "build"
    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @functools.cached_property
    def config(self) -> Config:
        return load_config(self.config_path)

    def relative(self, path: str | os.PathLike[str]) -> str:
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
        """``documents/<doc_id>.txt``, where a document added as a file of its own keeps its text."""
        from tagline.corpus.texts import text_file_path

        return text_file_path(self, doc_id)

    def document_text(self, doc_id: str) -> str:
        """A document's text, wherever the registry says it is (see :mod:`tagline.corpus.texts`)."""
        from tagline.corpus.texts import read_text

        return read_text(self, doc_id)

    def iter_sentences(self, *, problems: list[LineProblem] | None = None) -> Iterator[dict[str, Any]]:
        """Stream the sentence records in file order."""
        if not self.sentences_path.exists():
            return iter(())
        return read_records(self.sentences_path, problems=problems, kind="sentence")

    def iter_sentence_lines(self, *, problems: list[LineProblem] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
        if not self.sentences_path.exists():
            return iter(())
        return iter_lines(self.sentences_path, problems=problems)

    @property
    def orphaned_path(self) -> Path:
        return self.root / "orphaned.jsonl"
    @property
    def lock_path(self) -> Path:
        return self.root / LOCK_NAME
    @property
    def journal_path(self) -> Path:
        return self.root / JOURNAL_NAME

    def documents(self) -> dict[str, dict[str, Any]]:
        """The current record of every document (the registry is append-only; the last one wins)."""
        current: dict[str, dict[str, Any]] = {}
        if self.documents_path.exists():
            for record in read_records(self.documents_path, kind="document"):
                current[record["doc_id"]] = record
        return current

    @property
    def annotators_path(self) -> Path:
        return self.root / "annotators.jsonl"

    def machine_annotators(self) -> dict[str, str]:
        """The annotators whose answers a model made (``annotate suggest --write``), with the source
        that made them. They are reported apart from people and do not vote unless asked."""
        from tagline.corpus.annotators import annotator_records

        return {name: record.get("source", "") for name, record in annotator_records(self).items()
                if record["kind"] == "machine"}

    def iter_gold(self) -> Iterator[dict[str, Any]]:
        """The gold records in file order (the last one per question is the current one)."""
        if not self.gold_path.exists():
            return iter(())
        return read_records(self.gold_path, kind="gold")

    def iter_orphans(self) -> Iterator[dict[str, Any]]:
        """The sentences that ``corpus add --replace`` removed, as they were."""
        if not self.orphaned_path.exists():
            return iter(())
        return read_records(self.orphaned_path, kind="orphan")

    # ----- safety -----
    @contextlib.contextmanager
    def lock(self) -> Iterator[Workspace]:
        """Hold the workspace's exclusive lock: every read-check-write of the files it manages
        (ingest, import, adjudication, builds) runs inside one, so concurrent commands never lose
        or double anything. Re-entrant within a thread. Taking it first puts back the files of a
        command that was killed in the middle of writing (see :meth:`transaction`).
        """
        held = getattr(_held, "locks", None)
        if held is None:
            held = _held.locks = {}
        if self.root in held:
            fd, depth = held[self.root]
            held[self.root] = (fd, depth + 1)
            try:
                yield self
            finally:
                fd, depth = held[self.root]
                held[self.root] = (fd, depth - 1)
            return
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise storage_error(self.lock_path, error, kept="nothing was changed") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another command"
                warnings.warn(f"waiting for {holder} to finish with the workspace", LockWaitWarning, stacklevel=3)
                fcntl.flock(fd, fcntl.LOCK_EX)
            _note_holder(fd)
            self._recover_locked()
            held[self.root] = (fd, 1)
            try:
                yield self
            finally:
                del held[self.root]
        finally:
            os.close(fd)  # closing releases the lock

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """The workspace lock, and a :class:`~tagline.corpus.store.Transaction` journalled in the
        workspace: its writes take effect together or not at all, even when the process is killed
        (the next command that takes the lock puts the files back)."""
        with self.lock():
            open_transactions = _held.__dict__.setdefault("transactions", {})
            if self.root in open_transactions:  # a library call inside another: one transaction
                yield open_transactions[self.root]
                return
            with Transaction(self.journal_path, root=self.root) as transaction:
                open_transactions[self.root] = transaction
                try:
                    yield transaction
                finally:
                    del open_transactions[self.root]

    def recover_if_needed(self) -> None:
        """Put back what a killed command left half-written, if no other command holds the lock.
        Called when a workspace is opened, so that even commands that never take the lock (the
        session, ``label``) do not read a half-made change for long. What killed writes left in the small
        folders (and the saved folds') goes too, after the recovery, under the same lock (the recovery
        puts back from those files). With neither, no lock is taken (nor its file made)."""
        folders = (self.root, self.annotations_dir, self.gold_dir, self.build_dir / "index", *fold_folders(self))
        if not self.journal_path.exists() and not any(map(holds_temporaries, folders)):
            return
        with contextlib.suppress(OSError):  # a read-only workspace: readers see it as it is
            self._recover_unless_busy(folders)

    def _recover_unless_busy(self, folders: tuple[Path, ...]) -> None:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # a command is writing right now; its journal is live (a later command sweeps)
            self._recover_locked()
            for directory in folders:
                sweep_temporaries(directory)  # only those whose lock no running writer holds
        finally:
            os.close(fd)

    def _recover_locked(self) -> None:
        if not self.journal_path.exists():
            return
        try:
            done = recover(self.journal_path, self.root, folders=(self.root, self.gold_dir, self.documents_dir))
        except OSError as error:
            raise StorageError(f"could not put back the files of an interrupted command ({error.strerror or error})",
                               where=str(self.journal_path), fix="fix the disk or permissions and run the command "
                                                                 "again") from None
        if done:
            warnings.warn("an earlier command was interrupted while writing; its changes were undone "
                          f"({'; '.join(done)})", stacklevel=4)

    def manages(self, path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` (followed through symbolic links) is one of this workspace's own files
        or folders, which no export or report may write over."""
        real = Path(os.path.realpath(path))
        try:
            relative = real.relative_to(self.root)
        except ValueError:
            return False
        if not relative.parts:
            return True
        first = relative.parts[0]
        if first in MANAGED_FOLDERS:
            return True
        return any(first == name or first.startswith(name + ".") or first.startswith("." + name + ".")
                   for name in MANAGED_FILES)


def _note_holder(fd: int) -> None:
    """Write who holds the lock into the lock file, for a command that has to wait to say so."""
    import sys

    command = " ".join(os.path.basename(part) if index == 0 else part for index, part in enumerate(sys.argv[:4]))
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"process {os.getpid()} ({command})".encode("utf-8", "replace")[:200], 0)
    except OSError:
        pass  # only a courtesy to waiting commands


def check_output(path: str | os.PathLike[str], *, force: bool = False, folder: bool = False) -> Path:
    """Refuse to write an export or report to ``path`` when it is a file or folder a workspace manages
    (whichever workspace holds it), or when it exists and ``force`` is not given.

    Returns the path. The write itself should go through :func:`tagline.corpus.store.write_text_atomic`
    (with ``create=not force``), so a file made meanwhile is not written over either. The temporary
    files that killed writes to the same file left beside it (``.NAME.PID.tmp``) are removed.
    """
    path = Path(path)
    real = Path(os.path.realpath(path))
    for directory in (real, *real.parents):
        if (directory / CONFIG_NAME).is_file():
            owner = Workspace(directory)
            if owner.manages(real):
                raise ConflictError("is a file or folder the workspace manages; writing there would destroy its data",
                                    where=str(path), fix="write to a new file outside annotations/, gold/, "
                                                         "documents/, build/ and runs/, e.g. --out export.csv")
            break
    if folder:
        if path.exists() and not path.is_dir():
            raise ConflictError("exists and is not a folder", where=str(path), fix="choose a new folder")
    elif path.is_dir():
        raise ConflictError("is a folder", where=str(path), fix="give a file name")
    elif path.exists() and not force:
        raise ConflictError("already exists", where=str(path), fix="choose another name, or pass --force to replace it")
    else:
        sweep_temporaries(path.parent, only=[path.name])
    return path


def write_output(path: str | os.PathLike[str], text: str, *, force: bool = False) -> None:
    """Write an export or report to ``path`` atomically, after :func:`check_output`; without
    ``force`` a file that appeared there since the check is kept too."""
    check_output(path, force=force)
    try:
        write_text_atomic(path, text, create=not force)
    except FileExistsError:
        raise ConflictError("already exists", where=str(path),
                            fix="choose another name, or pass --force to replace it") from None


def find_workspace(explicit: str | os.PathLike[str] | None = None, *,
                   start: str | os.PathLike[str] | None = None) -> Workspace:
    """Locate the workspace: ``explicit`` (``--workspace``), else ``$TAGLINE_WORKSPACE``, else the
    nearest directory at or above ``start`` (the current directory) that holds ``tagline.toml``."""
    chosen = explicit or os.environ.get(ENV_VAR)
    if chosen:
        root = Path(chosen)
        if not (root / CONFIG_NAME).is_file():
            raise WorkspaceError(f"no {CONFIG_NAME} in {root}", where=str(root),
                                 fix=f"run `tagline init {root}` first, or point --workspace at a workspace")
        return _opened(Workspace(root))
    here = Path(start or os.getcwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / CONFIG_NAME).is_file():
            return _opened(Workspace(directory))
    raise WorkspaceError(
        f"no {CONFIG_NAME} here or in any parent directory", where=str(here),
        fix="run `tagline init DIR` and work inside DIR, or pass --workspace DIR / set TAGLINE_WORKSPACE",
    )


def _opened(workspace: Workspace) -> Workspace:
    workspace.recover_if_needed()
    return workspace


def _refuse_nested(root: Path) -> None:
    """Refuse to make a workspace inside another (a folder above ``root``, through symbolic links,
    holds ``tagline.toml``), before anything is written."""
    import shlex

    real = Path(os.path.realpath(root))
    enclosing = next((folder for folder in real.parents if (folder / CONFIG_NAME).is_file()), None)
    if enclosing is None:
        return
    # A folder beside the enclosing workspace, named as asked (or with a number when that is taken).
    beside = next((enclosing.parent / name for name in (real.name, *(f"{real.name}-{n}" for n in range(2, 10)))
                   if not (enclosing.parent / name).exists()), None)
    example = f", e.g. `tagline init {shlex.quote(os.path.relpath(beside))}`" if beside else ""
    raise WorkspaceError(f"is inside the workspace {enclosing}, and a workspace cannot be made inside another",
                         where=str(root), fix=f"make it outside {enclosing}{example}; to work in {enclosing}, "
                                              "run tagline anywhere inside it")


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
    directory: str | os.PathLike[str], *, language: str = "ja", targets: list[str] | None = None,
    sample: bool = False, force: bool = False, claim_types: str = "full-fact",
) -> Workspace:
    """Make a workspace in ``directory`` (created if needed) and return it.

    The stance targets are ``targets`` (none when not given). With ``sample=True`` the bundled
    sample article is ingested and its gold annotations copied in as the annotator ``sample-gold``;
    the sample's stance targets (DeepSeek, US AI policy) are configured before any ``targets`` given.
    An existing workspace is refused unless ``force``, and even then no data file is touched: only a
    missing ``tagline.toml`` or folder is written. A new workspace inside another (a folder above
    ``directory`` holds ``tagline.toml``) is refused with a :class:`WorkspaceError` naming
    the enclosing one: commands run inside it would find the inner workspace and never the outer,
    which is a mistake (``tagline init news`` typed again inside ``news/``) far more often than a plan.
    ``claim_types`` names the claim-type label set: ``"full-fact"`` or ``"check-worthiness"``.
    """
    root = Path(directory)
    workspace = Workspace(root)
    if workspace.config_path.exists() and not force:
        raise WorkspaceError(f"{CONFIG_NAME} already exists", where=str(root),
                             fix="use that workspace, or choose another directory")
    if not workspace.config_path.exists():  # with force, an existing workspace is only completed
        _refuse_nested(root)
    _check_targets(targets)
    if sample and claim_types != "full-fact":
        raise WorkspaceError(f"the sample's claim types are the Full Fact scheme's, not {claim_types}",
                             fix="leave out --sample, or --claim-types")
    targets = list(targets or [])
    if sample:
        # The sample's answers are stance toward its own targets: keep them, after them the ones given.
        from tagline.corpus.config import SAMPLE_TARGETS

        targets = list(SAMPLE_TARGETS) + [target for target in targets if target not in SAMPLE_TARGETS]
    if claim_types not in CLAIM_TYPE_SETS:
        raise WorkspaceError(f"unknown claim-type label set {claim_types!r}", fix=f"use {' or '.join(CLAIM_TYPE_SETS)}")
    config = default_config(language=language, targets=targets, name=root.resolve().name, claim_types=claim_types)
    problems = validate_config(config, where=str(workspace.config_path))
    if problems:
        raise WorkspaceError(problems[0].split(": ", 1)[-1], where=str(workspace.config_path),
                             fix="correct the options given to init")
    made = _Made()
    try:
        for folder in reversed([root, *root.parents]):
            made.mkdir(folder)
        if not workspace.config_path.exists():  # first: whoever makes tagline.toml owns the workspace
            write_text_atomic(workspace.config_path, render_toml(config), create=True)
            made.paths.append(workspace.config_path)
        for folder in (workspace.documents_dir, workspace.annotations_dir, workspace.gold_dir,
                       workspace.build_dir, workspace.runs_dir):
            made.mkdir(folder)
        for path in (workspace.sentences_path, workspace.documents_path):
            made.touch(path)
        workspace = Workspace(root)
        if sample:
            from tagline.corpus.sample import install_sample

            install_sample(workspace)
    except FileExistsError:
        made.undo()
        raise WorkspaceError(f"{CONFIG_NAME} was made by another command meanwhile", where=str(root),
                             fix="use that workspace, or choose another directory") from None
    except OSError as error:
        made.undo()
        raise storage_error(getattr(error, "filename", None) or root, error,
                            kept="nothing was made") from None
    except BaseException:
        made.undo()  # a full disk or Ctrl-C halfway leaves no half-made workspace behind
        raise
    return workspace


class _Made:
    """The folders and files one ``init`` made itself (not those that were there, or that another
    command made meanwhile), so that a failed ``init`` removes exactly them."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def mkdir(self, path: Path) -> None:
        try:
            path.mkdir()
        except FileExistsError:
            return
        self.paths.append(path)

    def touch(self, path: Path) -> None:
        try:
            with open(path, "x"):
                pass
        except FileExistsError:
            return
        self.paths.append(path)

    def undo(self) -> None:
        """Remove what was made, newest first; a folder only once it is empty, so whatever another
        command put there meanwhile stays."""
        for path in reversed(self.paths):
            try:
                if path.is_dir() and not path.is_symlink():
                    for name in (LOCK_NAME, JOURNAL_NAME):
                        (path / name).unlink(missing_ok=True)
                    path.rmdir()
                else:
                    path.unlink(missing_ok=True)
            except OSError:
                continue
