"""``tagline demo``: the whole pipeline on the bundled sample, in a fresh workspace."""

from __future__ import annotations

import click

from tagline.cli.output import say


@click.command("demo")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Where to make the demo workspace (default: a new temporary directory).")
def demo_cli(directory: str | None) -> None:
    """Run tagline end to end on the bundled sample article and print what it found."""
    import tempfile

    from tagline.annotate.validate import validate_workspace
    from tagline.corpus.stats import corpus_stats
    from tagline.corpus.workspace import init_workspace

    root = directory or tempfile.mkdtemp(prefix="tagline-demo-")
    say(f"1/3 making a workspace with the sample article in {root}")
    workspace = init_workspace(root, sample=True)
    say("2/3 checking every file against the data contracts")
    problems = [p for p in validate_workspace(workspace) if not p.warning]
    if problems:
        raise click.ClickException(f"the sample workspace has {len(problems)} problem(s); first: {problems[0]}")
    say("3/3 corpus statistics")
    stats = corpus_stats(workspace)
    click.echo(f"documents {stats['documents']}, sentences {stats['sentences']}, characters {stats['characters']}, "
               f"annotators {', '.join(stats['annotators']) or 'none'}")
    click.echo(f"workspace: {workspace.root}")
