"""``tagline eval``: build the dataset from the gold, run baselines, score predictions."""

from __future__ import annotations

import click

from tagline.cli import LazyGroup
from tagline.cli.output import emit_json, json_option, say, workspace_option

SUBCOMMANDS = {
    "build": "tagline.cli.eval:build_cli",
}


@click.group("eval", cls=LazyGroup, lazy_commands=SUBCOMMANDS)
def eval_group() -> None:
    """Build a Hugging Face dataset from the gold, run baselines, and score predictions."""


@click.command("build")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Where to write the dataset (default: build/dataset in the workspace).")
@click.option("--split", "split_text", default=None, metavar="0.8/0.1/0.1",
              help="train/validation/test ratios (default: from tagline.toml).")
@click.option("--group-by", type=click.Choice(["doc_id", "none"]), default=None,
              help="Keep each document in one split (doc_id) or split sentences freely (none).")
@click.option("--seed", type=int, default=None, help="Seed for the split (default: from tagline.toml).")
@click.option("--task", "tasks", multiple=True, type=click.Choice(["stance", "claim_type", "entities"]),
              help="Only these tasks (repeatable; default: all configured).")
@click.option("--tokens/--no-tokens", default=True, show_default=True,
              help="Add tokens and BIO ner_tags (needs the tokenizer; the slowest part at scale).")
@workspace_option
@json_option
def build_cli(out, split_text, group_by, seed, tasks, tokens, workspace, as_json) -> None:
    """Write the gold as a DatasetDict (save_to_disk + Parquet) with a dataset card."""
    from tagline.eval.build import build_dataset, parse_ratios

    ratios = parse_ratios(split_text) if split_text else None
    report = build_dataset(workspace, out=out, ratios=ratios, group_by=group_by, seed=seed,
                           tasks=list(tasks) or None, tokens=tokens, progress=None if as_json else say)
    for warning in report.warnings:
        say(f"Warning: {warning}")
    if as_json:
        emit_json(report.as_dict())
        return
    for name, counts in report.configs.items():
        click.echo(f"{name}: " + ", ".join(f"{split} {count}" for split, count in counts.items()))
    click.echo(f"splits: {report.split_method}")
    click.echo(f"fingerprint {report.fingerprint}; written to {report.out}")
