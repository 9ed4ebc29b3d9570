"""``tagline bench``: a public benchmark end to end in a fresh workspace, our figures beside the
published ones; ``--list`` says which benchmarks' files are present."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from tagline.cli.output import console, emit_json, json_option, print_table, progress_bar, say

# The registry imports only the standard library, so `--help` names the benchmarks without loading one.
from tagline.eval.baselines.registry import TUNING_METRICS
from tagline.eval.bench.registry import BENCHMARK_NAMES

if TYPE_CHECKING:
    from tagline.eval.bench.runner import BenchResult


@click.command("bench", epilog="NAME is one of: " + ", ".join(BENCHMARK_NAMES) + ".")
@click.argument("name", required=False, metavar="NAME", type=click.Choice(BENCHMARK_NAMES))
@click.option("--list", "listing", is_flag=True,
              help="List the benchmarks: present or absent in the datasets folder, and the files each needs.")
@click.option("--data", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="The folder holding the benchmarks' folders (default: $TAGLINE_DATA, else the first "
                   "shared/datasets in the current folder or one above it).")
@click.option("--out", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Where to make the fresh workspace: a new or empty folder (default: a new temporary folder).")
@click.option("--baselines", default=None, metavar="NAME,...",
              help="Which baselines to run (default: the benchmark's own; `--list` shows them).")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True,
              help="Seed for models, folds and resampling.")
@click.option("--resamples", type=click.IntRange(1, None), default=1000, show_default=True,
              help="Bootstrap resamples for intervals.")
@click.option("--tune/--no-tune", default=True, show_default=True,
              help="Choose the TF-IDF models' parameters by cross-validation on train (as `eval run`); "
                   "--no-tune keeps the defaults (faster).")
@click.option("--tune-metric", type=click.Choice(TUNING_METRICS), default=None,
              help="What tuning maximises (default: the benchmark's measure where it can: map for the CheckThat! "
                   "debates, f_avg for SemEval, macro_f1 for ClaimBuster).")
@json_option
def bench_cli(name: str | None, listing: bool, data: str | None, out: str | None, baselines: str | None, seed: int,
              resamples: int, tune: bool, tune_metric: str | None, as_json: bool) -> None:
    """Run a public benchmark end to end in a fresh workspace (import with the official split, build,
    the baselines, the official measure) and print our figures beside the published ones.

    \b
      tagline bench --list                 which benchmarks are present, and what each needs
      tagline bench semeval2016-task6      SemEval-2016 Task 6 stance, F_avg
    """
    if listing:
        _list_benchmarks(data, as_json)
        return
    if name is None:
        raise click.UsageError("name a benchmark (one of " + ", ".join(BENCHMARK_NAMES) + "), or give --list")
    from tagline.eval.bench.runner import run_benchmark

    chosen = [b.strip() for b in baselines.split(",") if b.strip()] if baselines is not None else None
    if chosen == []:
        raise click.UsageError("--baselines names no baseline; leave it out to run the benchmark's own")
    with progress_bar() as progress:
        result = run_benchmark(name, data=data, out=out, baselines=chosen, seed=seed, n_resamples=resamples,
                               tune=tune, tune_metric=tune_metric, progress=progress)
    if as_json:
        emit_json(result.summary())
        return
    click.echo(f"{result.spec.title}\n{result.spec.described(result.tuned)}")
    click.echo(f"data: {result.data_dir / result.spec.folder}; {result.sentences} sentences, {result.gold} gold "
               f"records imported in {result.seconds['import']:.1f} s, built in {result.seconds['build']:.1f} s")
    print_table(_figures_table(result))
    if result.spec.published_note:
        click.echo(f"\nPublished: {result.spec.published_note}.")
    click.echo(f"\nworkspace: {result.workspace.root}")
    say(f"Each row is a run in {result.workspace.runs_dir} (results.json, report.md); compare two with "
        f"`tagline eval compare -w {result.workspace.root} A B`.")


def _list_benchmarks(data: str | None, as_json: bool) -> None:
    """`bench --list`: every benchmark, present or absent in the datasets folder; where no folder is
    found (and none was named), every one is absent and the list says what each needs and where."""
    import os

    from tagline.errors import DataError
    from tagline.eval.bench.data import DATA_VARIABLE, benchmark_status, find_data_dir

    try:
        data_dir = find_data_dir(data)
    except DataError as error:
        if data is not None or os.environ.get(DATA_VARIABLE):
            raise
        data_dir, not_found = None, error
    rows = benchmark_status(data_dir)
    if as_json:
        emit_json({"data": str(data_dir) if data_dir is not None else None, "benchmarks": rows})
        return
    click.echo(f"datasets folder: {data_dir}" if data_dir is not None else
               f"datasets folder: none ({not_found.what.removeprefix('no datasets folder: ')}; {not_found.fix})")
    print_table(_listing_table(rows))
    for row in rows:
        if not row["present"]:
            inside = data_dir if data_dir is not None else "the datasets folder"
            click.echo(f"{row['name']} needs, in {inside}: {', '.join(row['missing'])}")


def _listing_table(rows: list[dict[str, Any]], width: int | None = None):
    """One row per benchmark: its NAME whole (it is what `tagline bench NAME` takes), whether its
    files are there, what it runs and about how long it takes; what an absent one lacks follows
    the table, as its file names are long. Where the table is wider than ``width`` (default: the
    terminal's), each benchmark is two lines or more instead, so that no column is dropped."""
    from rich.console import Group
    from rich.table import Column, Table
    from rich.text import Text

    table = Table(Column("benchmark", no_wrap=True), Column("data", no_wrap=True), Column("task", no_wrap=True),
                  Column("measure", overflow="fold"), Column("baselines", no_wrap=True),
                  Column("time", overflow="fold"), box=None)
    for row in rows:
        table.add_row(row["name"], "present" if row["present"] else "absent", row["task"], row["measure"],
                      "\n".join(row["baselines"]), row["duration"])
    terminal = console()
    limit = width or terminal.width
    if terminal.measure(table, options=terminal.options.update_width(10_000)).maximum <= limit:
        return table
    lines = []
    for row in rows:
        lines.append(Text(row["name"], style="bold"))
        lines.append(Text(f"    {'present' if row['present'] else 'absent'} · {row['task']} · {row['measure']} · "
                          f"{row['duration']}"))
        line = "    baselines:"
        for baseline in row["baselines"]:  # a name is never split across lines
            if len(line) + 2 + len(baseline) > limit and not line.endswith(":"):
                lines.append(Text(line + ","))
                line = "     "
            line = f"{line}{',' if not line.endswith((':', ' ')) else ''} {baseline}"
        lines.append(Text(line))
    return Group(*lines)


def _figures_table(result: BenchResult):
    """Our runs (the official measure, its interval, how the run was made, seconds, run id), then
    the published figures with where they come from."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from tagline.cli.eval import run_setup

    spec = result.spec
    ours = Table("baseline", spec.measure_name, "95% interval", "setup", "seconds", "run", box=None)
    for column in ours.columns:
        column.no_wrap = True  # figures and run ids are never cut or wrapped
    for run in result.results:
        figure = result.figure(run)
        ours.add_row(run["baseline"], spec.shown(figure["value"]),
                     f"[{spec.shown(figure['low'])}, {spec.shown(figure['high'])}]", run_setup(run),
                     f"{run['seconds']:.1f}" if run.get("seconds") is not None else "", run["run_id"])
    if not spec.published:
        return ours
    published = Table("published", spec.measure_name, "source", box=None)
    for column in published.columns[:-1]:
        column.no_wrap = True
    for entry in spec.published:
        published.add_row(entry.system, entry.printed, entry.note)
    return Group(ours, Text(""), published)
