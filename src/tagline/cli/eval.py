"""``tagline eval``: build the dataset from the gold, run baselines, score predictions."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import click

from tagline.cli import LazyGroup
from tagline.cli.completion import annotator_names, run_ids
from tagline.cli.output import (
    console,
    emit_json,
    emit_jsonl,
    execution_options,
    interruptible,
    json_option,
    print_table,
    progress_bar,
    say,
    workspace_option,
)

# The registry imports only the standard library, so `--help` lists the baselines without loading one.
from tagline.eval.baselines.registry import POOLED, TUNING_METRICS
from tagline.eval.baselines.registry import choices as baseline_choices
from tagline.schemas import TASKS
from tagline.wording import plural

SUBCOMMANDS = {
    "build": "tagline.cli.eval:build_cli",
    "run": "tagline.cli.eval:run_cli",
    "runs": "tagline.cli.eval:runs_cli",
    "compare": "tagline.cli.eval:compare_cli",
    "score": "tagline.cli.eval:score_cli",
    "predict": "tagline.cli.eval:predict_cli",
}


@click.group("eval", cls=LazyGroup, lazy_commands=SUBCOMMANDS)
def eval_group() -> None:
    """Build a Hugging Face dataset from the gold, run baselines, and score predictions."""


def _interruptible(function):
    """Run the command under one interrupt guard, from before the workspace is read to its last
    line of output. The build shares the guard, so once the new build is in place a Ctrl-C is
    ignored until the command has said so, rather than reported as having stopped a build that is
    there; and a Ctrl-C before the build begins is reported like one during it, not as click's
    `Aborted!` with status 1."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with interruptible():
            return function(*args, **kwargs)

    return wrapper


@click.command("build")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Where to write the dataset (default: build/dataset in the workspace).")
@click.option("--split", "split_text", default=None, metavar="0.8/0.1/0.1",
              help="train/validation/test ratios (default: from tagline.toml).")
@click.option("--group-by", type=click.Choice(["doc_id", "none"]), default=None,
              help="Keep each document in one split (doc_id) or split sentences freely (none).")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None,
              help="Seed for the split (default: from tagline.toml).")
@click.option("--task", "tasks", multiple=True, type=click.Choice(TASKS),
              help="Only these tasks (repeatable; default: all configured).")
@click.option("--tokens/--no-tokens", default=True, show_default=True,
              help="Add tokens and BIO ner_tags (needs the tokenizer; the slowest part at scale).")
@click.option("--exclude-annotator", "exclude", multiple=True, metavar="NAME", shell_complete=annotator_names,
              help="Leave this annotator out of the card's agreement and annotator count (repeatable).")
@execution_options
@_interruptible
@workspace_option
@json_option
def build_cli(out, split_text, group_by, seed, tasks, tokens, exclude, execution_overrides, workspace,
              as_json) -> None:
    """Write the gold as a DatasetDict (save_to_disk + Parquet) with a dataset card."""
    from tagline.eval.build import build_dataset, parse_ratios

    ratios = parse_ratios(split_text) if split_text else None
    execution = workspace.config.execution.with_overrides(**execution_overrides)
    with progress_bar() as progress:
        report = build_dataset(workspace, out=out, ratios=ratios, group_by=group_by, seed=seed,
                               tasks=list(tasks) or None, tokens=tokens, progress=progress,
                               exclude_annotators=list(exclude), execution=execution)
    _ignore_stop_signals_at_exit()
    for warning in report.warnings:
        say(f"Warning: {warning}")
    if as_json:
        emit_json(report.as_dict())
        return
    for name, counts in report.configs.items():
        click.echo(f"{name}: " + ", ".join(f"{split} {count}" for split, count in counts.items()))
    click.echo(f"splits: {report.split_method}")
    click.echo(f"fingerprint {report.fingerprint}; written to {report.out}")


def _ignore_stop_signals_at_exit() -> None:
    """Ignore the signals that stop work (SIGINT, SIGTERM, SIGHUP) once the interpreter starts to exit.

    Exiting after a build takes a few tenths of a second (pyarrow and datasets let go of their
    memory and threads). Python runs no handler for most of it and puts the system default back
    near the end: a Ctrl-C there was either not seen at all or ended a build that had succeeded
    with status 130 and no message.
    """
    import atexit

    atexit.unregister(_ignore_stop_signals)  # registered once, however many builds ran
    atexit.register(_ignore_stop_signals)


def _ignore_stop_signals() -> None:
    import signal

    from tagline.interrupts import STOP_SIGNALS

    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def _interval(item: dict) -> str:
    return f"{item['value']:.3f} [{item['low']:.3f}, {item['high']:.3f}]"


# The second column: what to read next to the headline metric.
_SECOND = {"f_avg": "macro_f1", "macro_f1": "accuracy", "exact_f1": "partial_f1"}


def run_setup(result: Mapping[str, Any]) -> str:
    """A few words on how a run was made, to tell runs of one baseline apart in a table:
    ``test, tuned``, ``cv 5, defaults``, ``predictions`` and so on."""
    from tagline.schemas.records import run_protocol

    made = run_protocol(result)
    if made["evaluation"] == "external":
        return "predictions"
    where = {"cross_validation": f"cv {made['folds']}", "holdout": "test"}.get(made["evaluation"], "")
    how = {"defaults": "defaults", "validation": "tuned", "cross_validation": "tuned"}.get(made["tuning"], "")
    return ", ".join(part for part in (where, how) if part)


def results_table(results: Sequence[Mapping[str, Any]], *, with_run_ids: bool = False, width: int | None = None):
    """The runs as a rich renderable: one row per run, the headline metric with its 95% interval,
    a second metric, the number of items scored, and how the run was made (:func:`run_setup`).

    With ``with_run_ids`` the first column is the run id (which names the task and the baseline)
    instead of those two: ids are what `eval compare` and `eval predict` take, so they are never cut
    short. When the table is wider than ``width`` (default: the terminal's), each run is printed as
    two lines instead, its id and then its figures, so nothing is cut or hidden."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    rows = []
    for result in results:
        name = result.get("headline") or next(iter(result["metrics"]))
        second = _SECOND.get(name)
        also = f"{second} {result['metrics'][second]['value']:.3f}" if second in result["metrics"] else ""
        first = [result["run_id"]] if with_run_ids else [result["task"], result["baseline"]]
        rows.append((first, f"{name} {_interval(result['metrics'][name])}", also,
                     str(result.get("n_evaluated", "")), run_setup(result)))
    table = Table(*(["run"] if with_run_ids else ["task", "baseline"]), "headline [95% CI]", "also", "n", "setup",
                  box=None)
    for column in table.columns:
        column.no_wrap = True
    for first, headline, also, n, setup in rows:
        table.add_row(*first, headline, also, n, setup)
    terminal = console()
    limit = width or terminal.width
    if terminal.measure(table, options=terminal.options.update_width(10_000)).maximum <= limit:
        return table
    lines = []
    for first, headline, also, n, setup in rows:
        lines.append(Text(" ".join(first), style="bold"))
        line = ""
        for figure in [headline] + ([also] if also else []) + ([f"n {n}"] if n else []) + ([setup] if setup else []):
            if line and len(line) + 3 + len(figure) > limit:  # a figure is never split across lines
                lines.append(Text(line))
                line = ""
            line = f"{line} · {figure}" if line else f"    {figure}"
        lines.append(Text(line))
    return Group(*lines)


@click.command("run")
@click.option("--task", type=click.Choice(["all", *TASKS]), default="all",
              show_default=True, help="Which task's baselines to run.")
@click.option("--baselines", default=None, metavar="NAME,...",
              help=f"Which baselines (default: all for each task): {baseline_choices()}. NAME{POOLED}: one stance "
                   "model over all targets. See docs/baselines.md.")
@click.option("--cv", type=click.IntRange(2, None), default=None, metavar="K",
              help="K-fold cross-validation instead of train/test: grouped by document where there are K documents "
                   "or more, else (stance) by sentence, so a sentence's target rows share a fold.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=13, show_default=True,
              help="Seed for models, folds and resampling.")
@click.option("--dataset", "dataset_dir", type=click.Path(file_okay=False), default=None,
              help="A built dataset (default: build/dataset in the workspace).")
@click.option("--resamples", type=click.IntRange(1, None), default=1000, show_default=True,
              help="Bootstrap resamples for intervals.")
@click.option("--pooled", is_flag=True,
              help="Stance: one model over all targets (target as a token) instead of one per target.")
@click.option("--tune/--no-tune", default=True, show_default=True,
              help="Choose the TF-IDF models' parameters (C and class weight; alpha for naive Bayes) without seeing "
                   "the scored items: on validation, else by 5-fold CV on train (inside each fold under --cv; "
                   "slower). --no-tune keeps the defaults.")
@click.option("--tune-metric", type=click.Choice(TUNING_METRICS), default=None,
              help="What tuning maximises (default: f_avg for stance, macro_f1 otherwise). map: the mean average "
                   "precision of each held-out document's sentences ranked by the score for --positive, folds "
                   "grouped by document (claim_type; the CheckThat! measure).")
@click.option("--positive", default=None, metavar="LABEL",
              help="With --tune-metric map: the claim-type label to rank by (e.g. check_worthy).")
@execution_options
@workspace_option
@json_option
def run_cli(task, baselines, cv, seed, dataset_dir, resamples, pooled, tune, tune_metric, positive,
            execution_overrides, workspace, as_json) -> None:
    """Fit and score baselines; each run is written to runs/<run-id>/ (results.json, report.md, PNG, model)."""
    from tagline.eval.run import run_evaluation, stale_build_warning

    stale = stale_build_warning(workspace, dataset_dir)
    if stale:
        click.echo(f"Warning: {stale}", err=True)
    chosen = [b.strip() for b in baselines.split(",") if b.strip()] if baselines is not None else None
    if chosen == []:
        raise click.UsageError("--baselines names no baseline; leave it out to run them all")
    execution = workspace.config.execution.with_overrides(**execution_overrides)
    # Ctrl-C, SIGTERM or SIGHUP: the run being written is removed (no staging folder, no reserved id).
    with interruptible("the runs it finished are kept"), progress_bar() as progress:
        results = run_evaluation(workspace, task=task, baselines=chosen, cv=cv, seed=seed, dataset_dir=dataset_dir,
                                 n_resamples=resamples, pooled=pooled, tune=tune, tune_metric=tune_metric,
                                 positive=positive, progress=progress,
                                 execution=execution)
    if as_json:
        emit_json(results[0] if len(results) == 1 else {"runs": results})
        _say_warnings(results)
        return
    print_table(results_table(results, with_run_ids=True))
    _explain(results)
    _say_warnings(results)
    say(f"reports: {workspace.runs_dir}/<run>/report.md")


def _explain(results: Sequence[Mapping[str, Any]]) -> None:
    """Under a table of runs (or a comparison): what F_avg averages, when it is shown, wrapped to
    the terminal's width like the table."""
    shown = {result.get("metric") for result in results} | {name for result in results for name in
                                                            result.get("metrics") or {}}
    if "f_avg" in shown:
        from rich.text import Text

        from tagline.eval.run.caveats import F_AVG_DEFINITION

        print_table(Text(F_AVG_DEFINITION))


def _say_warnings(results: Sequence[Mapping[str, Any]]) -> None:
    """The warnings of runs or of a comparison on stderr, after the figures. One run's are printed
    as they are. Of several runs, those that scored too few items are summed up in one line, and
    so is each stance class with no gold items (for a target), which is the same for every run."""
    if len(results) == 1:
        for warning in results[0].get("warnings") or []:
            say(f"Warning: {warning['message']}")
        return
    from tagline.eval.run.caveats import SMALL_SAMPLE

    few = sorted(result.get("n_evaluated", 0) for result in results
                 if any(warning["code"] == "few_items" for warning in result.get("warnings") or []))
    if few:
        scored = f"{few[0]}" if few[0] == few[-1] else f"{few[0]} to {few[-1]}"
        say(f"Warning: {len(few)} of the {len(results)} runs scored fewer than {SMALL_SAMPLE} items ({scored}): their "
            "scores are unsteady and their 95% intervals wide. `--cv K` scores every item (`tagline eval run --cv 5`); "
            "each run's report.md says more.")
    no_gold: dict[tuple[str, str], int] = {}
    for result in results:
        for warning in result.get("warnings") or []:
            if warning["code"] == "f_avg_class":
                where = (warning.get("target") or "", warning.get("label") or "")
                no_gold[where] = no_gold.get(where, 0) + 1
            elif warning["code"] != "few_items":
                say(f"Warning: {result['run_id']}: {warning['message']}")
    for (target, label), count in no_gold.items():
        items, score = (f"{target}'s items", f"{target}'s F_avg") if target else ("the scored items", "F_avg")
        say(f"Warning: {label} has no gold items among {items} ({count} stance {'run' if count == 1 else 'runs'}): "
            f"its F1 is 0 by eval.pl's convention, so {score} cannot exceed 0.5; each run's report.md says more.")


@click.command("runs")
@workspace_option
@json_option
def runs_cli(workspace, as_json) -> None:
    """List past runs with their headline metric."""
    from tagline.eval.run import list_runs

    unreadable: list[str] = []
    runs = list_runs(workspace, unreadable)
    for problem in unreadable:
        click.echo(f"Warning: {problem}; left out", err=True)
    if as_json:
        emit_jsonl({key: run[key] for key in ("run_id", "task", "baseline", "mode", "dataset_fingerprint",
                                              "created", "metrics", "warnings") if key in run} for run in runs)
        return
    if not runs:
        say("no runs yet: `tagline eval run`")
        return
    print_table(results_table(runs, with_run_ids=True))
    _explain(runs)


@click.command("compare")
@click.argument("run_a", shell_complete=run_ids)
@click.argument("run_b", shell_complete=run_ids)
@click.option("--resamples", type=click.IntRange(1, None), default=1000, show_default=True,
              help="Bootstrap resamples.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=13, show_default=True,
              help="Seed for the resampling.")
@workspace_option
@json_option
def compare_cli(run_a, run_b, resamples, seed, workspace, as_json) -> None:
    """Paired bootstrap of two runs on the same items: the difference B - A and its 95% interval.

    RUN_A and RUN_B are run ids as `tagline eval runs` lists them, the beginning of one, or latest
    and latest~N (the run N before the latest): `tagline eval compare latest~1 latest`.
    """
    from tagline.eval.score import compare_runs

    outcome = compare_runs(workspace, run_a, run_b, n_resamples=resamples, seed=seed)
    if as_json:
        emit_json(outcome)
        _say_warnings([outcome])
        return
    click.echo(f"{outcome['metric']} on {outcome['n_items']} items: A ({outcome['run_a']}) {outcome['a_value']:.4f}, "
               f"B ({outcome['run_b']}) {outcome['b_value']:.4f}")
    click.echo(f"B - A = {outcome['difference']:+.4f}, 95% interval [{outcome['low']:+.4f}, {outcome['high']:+.4f}]"
               + (f", p = {outcome['p_value']:.3f}" if outcome.get("p_value") is not None else ""))
    _explain([outcome])
    _say_warnings([outcome])


@click.command("score")
@click.argument("predictions", type=click.Path(dir_okay=False))
@click.option("--task", required=True, type=click.Choice(TASKS),
              help="Which task the predictions are for.")
@click.option("--split", default="test", show_default=True, help="Which gold to score against (or all).")
@click.option("--dataset", "dataset_dir", type=click.Path(file_okay=False), default=None,
              help="A built dataset (default: build/dataset in the workspace).")
@click.option("--resamples", type=click.IntRange(1, None), default=1000, show_default=True,
              help="Bootstrap resamples for intervals.")
@click.option("--only-gold", is_flag=True,
              help="Leave out predictions of rows without gold in the split (a file made for every sentence).")
@workspace_option
@json_option
def score_cli(predictions, task, split, dataset_dir, resamples, only_gold, workspace, as_json) -> None:
    """Score a predictions file (an LLM's, a colleague's model's) against the gold, with intervals."""
    from tagline.eval.run import stale_build_warning
    from tagline.eval.score import score_predictions

    stale = stale_build_warning(workspace, dataset_dir)
    if stale:
        click.echo(f"Warning: {stale}", err=True)
    result = score_predictions(workspace, predictions, task=task, split=split, dataset_dir=dataset_dir,
                               n_resamples=resamples, only_gold=only_gold)
    left_out = result.get("params", {}).get("left_out")
    if left_out:
        say(f"left out {plural(left_out, 'prediction')} of rows without gold in "
            f"{'the whole dataset' if split == 'all' else f'the {split} split'} (--only-gold)")
    if as_json:
        emit_json(result)
        _say_warnings([result])
        return
    print_table(results_table([result], with_run_ids=True))
    _explain([result])
    _say_warnings([result])


@click.command("predict")
@click.option("--run", "run_id", metavar="RUN", required=True, shell_complete=run_ids,
              help="The run whose model predicts: its id, the beginning of one, or latest / latest~N.")
@click.argument("file", type=click.Path(dir_okay=False))
@workspace_option
def predict_cli(run_id, file, workspace) -> None:
    """Predict labels for FILE (JSON lines with text [and target], or one text per line) as JSON lines."""
    from tagline.eval.score import predict_file

    emit_jsonl(predict_file(workspace, run_id, file))
