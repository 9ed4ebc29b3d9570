"""``tagline init``: make a corpus workspace."""

from __future__ import annotations

import click

from tagline.cli.output import emit_json, json_option, say


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--lang", type=click.Choice(["ja", "en", "auto"]), default="ja", show_default=True,
              help="Language of the documents (auto: detected per document).")
@click.option("--target", "targets", multiple=True, metavar="TARGET",
              help="A stance target (repeatable). Without any, stance is not asked until targets are listed in "
                   "tagline.toml under [tasks.stance]. With --sample, the sample's targets (DeepSeek, "
                   "'US AI policy') come first.")
@click.option("--sample", is_flag=True, help="Also ingest the bundled sample article, its annotations and their gold.")
@click.option("--claim-types", type=click.Choice(["full-fact", "check-worthiness"]), default="full-fact",
              show_default=True,
              help="The claim-type labels: the Full Fact scheme, or check_worthy / not_check_worthy for the "
                   "CheckThat! and ClaimBuster benchmarks.")
@json_option
def init_cli(directory: str, lang: str, targets: tuple[str, ...], sample: bool, claim_types: str,
             as_json: bool) -> None:
    """Make a workspace in DIRECTORY: tagline.toml, sentences.jsonl, annotations/, build/, runs/.

    DIRECTORY may not lie inside another workspace.
    """
    from tagline.annotate.answers import imported_annotators, select_annotators
    from tagline.corpus.config import ADD_TARGETS
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(directory, language=lang, targets=list(targets), sample=sample,
                               claim_types=claim_types)
    annotators = select_annotators(workspace, None)
    imported = imported_annotators(workspace, annotators)
    summary: dict[str, object] = {"workspace": str(workspace.root), "config": str(workspace.config_path),
                                  "sample": sample, "targets": workspace.config.targets, "annotators": annotators,
                                  "imported": imported}
    if sample:
        summary["sentences"] = sum(1 for _ in workspace.iter_sentences())
        summary["gold_records"] = sum(1 for _ in workspace.iter_gold())
    if as_json:
        emit_json(summary)
        return
    say(f"Made a workspace in {workspace.root}")
    if workspace.config.targets:
        say(f"  stance targets: {', '.join(workspace.config.targets)}"
            + (" (the sample's, then those given)" if sample and targets else ""))
    else:
        say(f"  stance targets: none, so stance is not asked until there are some: {ADD_TARGETS}")
    if sample:
        say(f"  with the sample article: {summary['sentences']} sentences"
            + (f", and its answers as {', '.join(imported)} (they came with their gold: gold, not votes)"
               if imported else ""))
        if summary["gold_records"]:
            say(f"  and its gold: {summary['gold_records']} records in "
                f"{workspace.gold_path.relative_to(workspace.root)} (`tagline eval build` can run now)")
    say("Next: cd into it and run `tagline corpus add FILE...` or `tagline annotate --annotator NAME`.")

