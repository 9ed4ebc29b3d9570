"""``tagline demo``: the whole pipeline on the bundled sample, in a fresh workspace."""

from __future__ import annotations

import click

from tagline.cli.output import console, draws_bars, emit_json, json_option, print_table, say


@click.command("demo")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Where to make the demo workspace (default: a new temporary directory).")
@click.option("--cv", type=click.IntRange(2, None), default=5, show_default=True,
              help="Folds of cross-validation for the baselines.")
@click.option("--resamples", type=click.IntRange(1, None), default=1000, show_default=True,
              help="Bootstrap resamples for intervals.")
@json_option
def demo_cli(directory: str | None, cv: int, resamples: int, as_json: bool) -> None:
    """Run tagline end to end on the bundled sample article: workspace, ingest, gold, dataset,
    every baseline with cross-validation, and a results table."""
    import tempfile

    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from tagline.cli.eval import results_table
    from tagline.eval.demo import run_demo

    root = directory or tempfile.mkdtemp(prefix="tagline-demo-")
    columns = (TextColumn("{task.description:<44}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    # On a terminal the bars stay on the screen; into a pipe or a file only the summary is written.
    with Progress(*columns, console=console(stderr=True), transient=False, disable=not draws_bars()) as bars:
        phases: dict[str, TaskID] = {}

        def progress(phase: str, step: str, done: int, total: int) -> None:
            if phase not in phases:
                phases[phase] = bars.add_task(step, total=total)
            name = f"baselines, {cv}-fold cross-validation" if phase == "baselines" else phase
            bars.update(phases[phase], description=f"{name}: {step}" if step in ("done", "ready") else step,
                        completed=done)

        result = run_demo(root, cv=cv, n_resamples=resamples, progress=progress)
    workspace, build, results, stats = result.workspace, result.build, result.results, result.stats
    if as_json:
        emit_json({"workspace": str(workspace.root), "documents": stats["documents"],
                   "sentences": stats["sentences"], "dataset_fingerprint": build.fingerprint,
                   "configs": {name: sum(rows.values()) for name, rows in build.configs.items()}, "runs": results})
        return
    click.echo(f"sample: {stats['documents']} document, {stats['sentences']} sentences; dataset "
               f"{build.fingerprint} ({', '.join(f'{k} {sum(v.values())} rows' for k, v in build.configs.items())})")
    print_table(results_table(results))
    click.echo(f"workspace: {workspace.root}")
    click.echo(f"reports:   {workspace.runs_dir}/<time>-<task>-<baseline>/report.md, one per row above "
               f"(e.g. {results[0]['run_id']}); `tagline eval runs` lists them")
    click.echo(f"dataset card: {workspace.build_dir / 'dataset' / 'README.md'}")
    say("Try: cd into the workspace and run `tagline annotate --annotator you`.")
