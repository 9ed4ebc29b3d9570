"""``tagline demo``: the whole pipeline on the bundled sample, in a fresh workspace."""

from __future__ import annotations

import click

from tagline.cli.output import console, print_table, say


@click.command("demo")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Where to make the demo workspace (default: a new temporary directory).")
@click.option("--cv", type=click.IntRange(2, None), default=5, show_default=True,
              help="Folds of cross-validation for the baselines.")
@click.option("--resamples", type=click.IntRange(1, None), default=1000, show_default=True,
              help="Bootstrap resamples for intervals.")
def demo_cli(directory: str | None, cv: int, resamples: int) -> None:
    """Run tagline end to end on the bundled sample article: workspace, ingest, gold, dataset,
    every baseline with cross-validation, and a results table."""
    import tempfile

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from tagline.annotate.gold import auto_adjudicate
    from tagline.annotate.validate import validate_workspace
    from tagline.corpus.stats import corpus_stats
    from tagline.corpus.workspace import init_workspace
    from tagline.eval.build import build_dataset
    from tagline.eval.run import ENTITY_BASELINES, TEXT_BASELINES, run_evaluation

    root = directory or tempfile.mkdtemp(prefix="tagline-demo-")
    runs = [("stance", b) for b in TEXT_BASELINES] + [("claim_type", b) for b in TEXT_BASELINES] + \
        [("entities", b) for b in ENTITY_BASELINES]
    results = []
    columns = (TextColumn("{task.description:<44}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console(stderr=True), transient=False) as progress:
        steps = progress.add_task("preparing", total=4)
        progress.update(steps, description="workspace + sample article")
        workspace = init_workspace(root, sample=True)
        progress.advance(steps)
        progress.update(steps, description="validating every file")
        errors = [p for p in validate_workspace(workspace) if not p.warning]
        if errors:
            raise click.ClickException(f"the sample workspace has {len(errors)} problem(s); first: {errors[0]}")
        progress.advance(steps)
        progress.update(steps, description="gold (single annotator, promoted)")
        auto_adjudicate(workspace)
        progress.advance(steps)
        progress.update(steps, description="building the dataset")
        build = build_dataset(workspace, tokens=True)
        progress.advance(steps)
        progress.update(steps, description="ready")
        running = progress.add_task(f"baselines, {cv}-fold cross-validation", total=len(runs))
        for task, baseline in runs:
            progress.update(running, description=f"{task} · {baseline}")
            results.extend(run_evaluation(workspace, task=task, baselines=[baseline], cv=cv,
                                          n_resamples=resamples))
            progress.advance(running)
        progress.update(running, description=f"baselines, {cv}-fold cross-validation: done")
    stats = corpus_stats(workspace)
    from tagline.cli.eval import results_table

    click.echo(f"sample: {stats['documents']} document, {stats['sentences']} sentences; dataset "
               f"{build.fingerprint} ({', '.join(f'{k} {sum(v.values())} rows' for k, v in build.configs.items())})")
    print_table(results_table(results))
    click.echo(f"workspace: {workspace.root}")
    click.echo(f"reports:   {workspace.runs_dir}/<time>-<task>-<baseline>/report.md, one per row above "
               f"(e.g. {results[0]['run_id']}); `tagline eval runs` lists them")
    click.echo(f"dataset card: {workspace.build_dir / 'dataset' / 'README.md'}")
    say("Try: cd into the workspace and run `tagline annotate --annotator you`.")
