"""``build_dataset``: the steps of a build in order, under the interrupt guard and the workspace lock."""

from __future__ import annotations

import logging
import os
import shutil
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from tagline.corpus import sentence_table
from tagline.corpus.primitives import make_locked_folder
from tagline.corpus.progress import ProgressCallback, no_progress
from tagline.corpus.workspace import Workspace
from tagline.errors import takes_workspace
from tagline.eval.build import reading, splits, tables, writer
from tagline.eval.build.columns import combined
from tagline.eval.build.features import claim_labels
from tagline.eval.build.plan import BuildPlan, BuildReport, BuildSettings, Claims, Steps, Universe, source_state
from tagline.eval.build.token_cache import CachedTokens
from tagline.eval.build.tokens import TokenJob

# Tokens begin before the gold is read when gold.jsonl is at least this share of sentences.jsonl's size
# (gold for every sentence of one task is about as large as the sentences file).
EARLY_TOKENS_GOLD_SHARE = 0.5

if TYPE_CHECKING:
    import pyarrow as pa

    from tagline.corpus.config import Config
    from tagline.corpus.execution import Execution
    from tagline.interrupts import InterruptGuard


@takes_workspace
def build_dataset(
    workspace: Workspace, *, out: str | os.PathLike[str] | None = None, ratios: list[float] | None = None,
    group_by: str | None = None, seed: int | None = None, tasks: list[str] | None = None, tokens: bool = True,
    progress: ProgressCallback = no_progress, workers: int | None = None,
    exclude_annotators: list[str] | None = None, execution: Execution | None = None,
) -> BuildReport:
    """Build the dataset from the workspace's gold and write it to ``out`` (default ``build/dataset``).

    Writes, per config (``sentences``: claim type, entities, tokens and BIO tags; ``stance``: one row
    per sentence and target, SemEval layout), a ``save_to_disk`` DatasetDict and Parquet shards under
    ``data/<config>/``, plus ``splits.jsonl`` (the split of every sentence), ``fingerprint.json`` and
    the dataset card ``README.md``.

    Tokens for large corpora are made in ``workers`` processes (default: ``execution.jobs``, else one
    per core; 1 makes them in this process), or, when ``execution`` (default: the workspace's
    ``[execution]`` setting) names the Dask backend, on the cluster, through joblib; the dataset is
    the same, byte for byte. ``exclude_annotators`` are left out of the card's agreement and annotator
    count. Each worker imports the main script again, so a script calls this under
    ``if __name__ == "__main__":``; called outside one, the build stops with an error that says so.
    ``progress`` is told of each step, and of the sentences tokenised (see
    :class:`~tagline.corpus.progress.ProgressCallback`).

    Ctrl-C (SIGINT) or SIGTERM stops the build at any step, called from the main thread: the
    half-written build is removed, ``out`` is left as it was, and
    :class:`~tagline.interrupts.Interrupted` (a ``KeyboardInterrupt``) is raised, saying whether a
    previous build is kept. The new build replaces the previous one in two renames that a signal
    cannot cut: a signal that comes once they have begun is too late to stop anything, so the
    build is reported as done, with a warning. The signal handlers in place before are restored.

    The build holds the workspace lock from its first read to the swap, so what it reads is one
    state of the workspace and two builds never write the same folder at once.
    """
    from tagline.corpus.workers import refuse_to_start
    from tagline.interrupts import Interrupted, interrupt_guard

    # A worker of the build imports the script again: one that builds outside a main guard would build
    # there too, waiting for the workspace lock that the first build holds while it waits for its worker.
    refuse_to_start()
    with interrupt_guard() as guard:
        # datasets logs a warning when the hashing it does for shards is interrupted; the one line
        # an interrupted build prints is its own.
        quiet = _QuietOnceInterrupted(guard)
        fingerprint_log = logging.getLogger("datasets.fingerprint")
        fingerprint_log.addFilter(quiet)
        try:
            with workspace.lock():
                config = workspace.config  # read once: the whole build follows one state of tagline.toml
                settings = BuildSettings.resolve(config, ratios=ratios, group_by=group_by, seed=seed, tasks=tasks,
                                                 tokens=tokens, workers=workers,
                                                 exclude_annotators=exclude_annotators,
                                                 execution=config.execution if execution is None else execution)
                report = _build(workspace, config, settings, Path(out) if out else workspace.build_dir / "dataset",
                                guard, Steps(guard, progress))
        except Interrupted as stopped:
            raise Interrupted(stopped.signum, _interrupted_message(workspace, out)) from None
        finally:
            fingerprint_log.removeFilter(quiet)
        if guard.late:
            report.warnings.append("interrupted once the new build was being moved into place: the build is "
                                   "complete and kept")
        return report


class _QuietOnceInterrupted(logging.Filter):
    """Lets a log record through only while no signal has come."""

    def __init__(self, guard: InterruptGuard) -> None:
        super().__init__()
        self.guard = guard

    def filter(self, record: logging.LogRecord) -> bool:
        return self.guard.signum is None


def _interrupted_message(workspace: Workspace, out: str | os.PathLike[str] | None) -> str:
    """What an interrupted build left, read from the disk rather than assumed."""
    path = (Path(out) if out else workspace.build_dir / "dataset").resolve()
    if path.is_dir() and writer.is_build(path):
        return f"the previous build in {path} is kept"
    return f"no build was written to {path}"


def _build(workspace: Workspace, config: Config, settings: BuildSettings, out: Path, guard: InterruptGuard,
           steps: Steps) -> BuildReport:
    """:func:`build_dataset` under its interrupt ``guard`` and the workspace lock."""
    out = writer.checked_out(workspace, out)
    sources = source_state(workspace)  # before reading: an append during the build makes it stale
    with ExitStack() as stack:  # the token workers, if they start early, are stopped on a failure
        cache = None
        if settings.tokens and "entities" in settings.tasks and workspace.sentences_path.exists():
            # Where the tokens are saved when the build makes them of every sentence of the corpus; the
            # key is taken before the sentences are read, so that an append meanwhile makes it stale.
            cache = sentence_table.TokenCacheWriter(workspace, sentence_table.tokens_key(workspace) or "")
            stack.callback(cache.discard)  # unless put in place once the build is
        read = _read(workspace, config, settings, steps, stack, cache)
        # datasets (a second or more to import) only once the token workers are at work: nothing before
        # needs it, and the import would otherwise delay their start.
        import datasets

        datasets.disable_progress_bars()
        universe, gold_by_task = read.universe, read.gold_by_task
        claims = Claims.of(universe, gold_by_task.pop("claim_type", None), claim_labels(config))
        strata, label_names = _strata(universe, claims, gold_by_task, config)
        steps("assigning splits")
        split_plan = splits.plan_splits(universe.table, strata, label_names, settings.ratios, settings.group_by,
                                        settings.seed, str(workspace.gold_path))
        del strata
        report = BuildReport(out=str(out), fingerprint="", split_method=split_plan.method,
                             warnings=read.orphan_notes + split_plan.warnings)
        plan = BuildPlan(workspace=workspace, config=config, settings=settings, sources=sources, universe=universe,
                         gold_by_task=gold_by_task, claims=claims, splits=split_plan, provenance=read.provenance,
                         agreement=read.agreement, report=report, tokens=read.tokens, token_cache=cache)
        del read
        _write_and_swap(plan, out, guard, steps)
        if cache is not None:
            cache.commit(universe.member.size)  # when it holds every sentence's tokens
        return report


class _Read(NamedTuple):
    """What a build keeps of the gold and the sentences it read."""

    gold_by_task: dict[str, pa.Table]  # the columns a build reads, labels checked
    provenance: pa.Table  # the only column of the gold that the card reads
    orphan_notes: list[str]  # on gold left out because its sentences were orphaned
    agreement: dict[str, Any] | None  # for the card, when there are two annotators or more
    universe: Universe
    tokens: TokenJob | None  # the corpus's tokens, begun as soon as the sentences were read (or cached)


def _read(workspace: Workspace, config: Config, settings: BuildSettings, steps: Steps, stack: ExitStack,
          cache: sentence_table.TokenCacheWriter | None) -> _Read:
    """Read and check the sentences and the gold; the rest of what was read is let go of here. The
    corpus's tokens are taken from its token cache when it has one of this state (see ``cache``);
    else, when most sentences likely have gold (see :func:`_tokens_early`), they are begun in worker
    processes as soon as the sentences are read, made while the gold is read, and saved to ``cache``."""
    import pyarrow as pa

    steps("reading sentences")
    sentences = reading.read_sentences(workspace)
    texts = combined(sentences["text"])
    job: TokenJob | None = CachedTokens.of(workspace, cache.key, texts) if cache is not None else None
    if job is None and _tokens_early(workspace, settings, sentences.num_rows):
        job = stack.enter_context(TokenJob(texts, combined(sentences["lang"]), settings.workers, settings.execution,
                                           cache))
    del texts
    steps("reading gold")
    gold = reading.task_gold(workspace, settings.tasks, sentences["id"])
    gold, orphan_notes = reading.linked_to_sentences(workspace, gold, sentences)
    agreement = None
    from tagline.annotate.answers import select_annotators

    exclude = list(settings.exclude_annotators)
    if len(select_annotators(workspace, None, exclude=exclude)) >= 2:
        # For the card; measured now, so that a damaged annotation file stops the build before the work.
        from tagline.annotate.agree import agreement_report

        steps("measuring agreement")
        agreement = agreement_report(workspace, tasks=settings.tasks, exclude_annotators=exclude)
    gold_by_task = reading.checked_by_task(workspace, config, gold, settings.tasks)
    provenance = gold.select(["provenance"])
    del gold
    pa.default_memory_pool().release_unused()
    return _Read(gold_by_task, provenance, orphan_notes, agreement, _universe(workspace, sentences, gold_by_task), job)


def _tokens_early(workspace: Workspace, settings: BuildSettings, rows: int) -> bool:
    """Whether to tokenise every sentence of the corpus (``rows``) before the gold says which the build
    needs: when the build makes tokens in worker processes and the gold file is at least
    :data:`EARLY_TOKENS_GOLD_SHARE` of the size of the sentences file, as gold for most sentences
    makes it. A wrong guess costs time, never output."""
    if not (settings.tokens and "entities" in settings.tasks and workspace.gold_path.exists()
            and TokenJob.in_workers(rows, settings.workers, settings.execution)):
        return False
    return workspace.gold_path.stat().st_size >= EARLY_TOKENS_GOLD_SHARE * workspace.sentences_path.stat().st_size


def _universe(workspace: Workspace, sentences: pa.Table, gold_by_task: dict[str, pa.Table]) -> Universe:
    """Every sentence with gold for any task built, in corpus order."""
    import numpy as np
    import pyarrow as pa

    in_universe = np.zeros(sentences.num_rows, dtype=bool)
    for gold in gold_by_task.values():
        in_universe[gold["sentence_index"].to_numpy()] = True
    # Gold for every sentence (most builds): the table as it is, not a filtered copy of every column.
    table = (sentences if in_universe.all() else sentences.filter(pa.array(in_universe))).combine_chunks()
    reading.check_unique_ids(workspace, sentences, table["id"])
    return Universe(table, np.cumsum(in_universe) - 1, in_universe)


def _strata(universe: Universe, claims: Claims, gold_by_task: dict[str, pa.Table],
            config: Config) -> tuple[Any, dict[str, str]]:
    """What the splits are stratified by: claim type, else the first target's stance, else nothing.
    Returns a string array (null: no stratum) or None, and the label names of its values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if claims.present.any():
        names = claim_labels(config)
        strata = pa.array(claims.codes, mask=~claims.present).cast(pa.string())
        return strata, {str(code): name for code, name in enumerate(names)}
    if "stance" in gold_by_task and config.targets:
        stance = gold_by_task["stance"]
        first = stance.filter(pc.equal(stance["target"], config.targets[0]))
        return pc.struct_field(first["value"], "label").take(universe.source_rows(first)), {}
    return None, {}


def _write_and_swap(plan: BuildPlan, out: Path, guard: InterruptGuard, steps: Steps) -> None:
    """Write the build in a staging folder and put it in place of ``out``; on a failure or a signal,
    the staging folder goes and ``out`` stays as it was."""
    makers = tables.config_makers(plan, steps)
    staging = writer.staging_for(out)
    held = None
    try:
        writer.remove_abandoned_staging(out)
        staging.parent.mkdir(parents=True, exist_ok=True)
        held = make_locked_folder(staging)  # its lock says it is this running build's
        writer.write_build(staging, plan, makers, steps)
        with guard.deferred():
            # The last moment to stop; once the renames begin, they finish and the build is done.
            guard.check()
            writer.swap_into_place(staging, out, guard.commit)
    except BaseException:  # a failure or Ctrl-C: the half-written build goes, the previous one stays
        with guard.deferred():
            shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if held is not None:
            os.close(held)
