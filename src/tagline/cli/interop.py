"""``tagline annotate import`` and ``tagline annotate export``: peer tools' files in and out."""

from __future__ import annotations

import click

# The registry imports only the standard library, so `--help` lists the formats without loading a reader.
from tagline.annotate.formats.registry import BENCHMARK_FORMATS, EXPORT_FORMATS, FOLDER_FORMATS, IMPORT_FORMATS
from tagline.cli.completion import annotator_names
from tagline.cli.output import emit_json, interruptible, json_option, progress_bar, say, workspace_option
from tagline.wording import plural


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, path_type=str))
@click.option("--format", "fmt", type=click.Choice(IMPORT_FORMATS), default=None,
              help="The file's format (default: guessed when unmistakable). "
                   f"{' and '.join(BENCHMARK_FORMATS)} import benchmark gold.")
@click.option("--annotator", "-a", metavar="NAME",
              help="Whose answers these are, where the file does not say (doccano, brat, CoNLL, spaCy, ...).")
@click.option("--label-map", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON or TOML table: foreign label -> configured label (\"\" leaves a label out).")
@click.option("--split", default=None, metavar="train|validation|test",
              help="Store this split on the new sentences (stockmark-ner: import only this part); "
                   "validation is the development set `eval run` tunes on.")
@click.option("--gold", "as_gold", is_flag=True, help="Import the answers as gold instead of an annotator's.")
@click.option("--task", type=click.Choice(["claim_type", "stance"]), default="claim_type", show_default=True,
              help="Where classification labels go when the file does not say.")
@click.option("--target", default=None, help="The stance target, with --task stance.")
@click.option("--text-field", default=None, metavar="NAME",
              help="The field or column holding the text (default: text).")
@click.option("--label-field", default=None, metavar="NAME",
              help="The field or column holding the labels (default: label).")
@click.option("--predictions", is_flag=True,
              help="Also import machine suggestions (Label Studio predictions, Prodigy records without an "
                   "answer) as the answers of an annotator named after the model.")
@click.option("--offsets", type=click.Choice(["codepoints", "utf16"]), default="codepoints", show_default=True,
              help="How the file's span offsets count characters (utf16: tools that count emoji as two).")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None,
              help="Language of new documents (default: the workspace's, or detected); text rebuilt from tokens "
                   "has no spaces in Japanese.")
@click.option("--columns", default=None, metavar="token,...,tag",
              help="CoNLL: the columns of a token line from the left: token and tag where they are, ... for any "
                   "number of columns between (MeCab features), misc for CoNLL-U's SpaceAfter=No, other names "
                   "skipped (default: token first, tag last, the same count on every line).")
@click.option("--dry-run", is_flag=True, help="Check everything and report, but write nothing.")
@workspace_option
@json_option
def import_cli(file, fmt, annotator, label_map, split, as_gold, task, target, text_field, label_field, predictions,
               offsets, lang, columns, dry_run, workspace, as_json) -> None:
    """Import a peer tool's annotations, or a public benchmark, all or nothing.

    Sentences become documents; answers become the annotators' events (or gold with --gold and for
    benchmarks). Labels outside tagline.toml must be mapped with --label-map or entity aliases.
    Importing the same file again adds nothing. See docs/formats.md.
    """
    from tagline.annotate.interop.importing import import_file

    # Ctrl-C, SIGTERM or SIGHUP while it reads or writes: its transaction is undone, one line says so.
    # The bar starts no thread (threads=False), so that a large import may still fork its worker (a
    # Label Studio file read, a doccano chunk's answer lines made aside): a process that runs another
    # thread does not fork.
    with interruptible("nothing was imported"), progress_bar(threads=False) as progress:
        summary = import_file(workspace, file, fmt=fmt, annotator=annotator, label_map=label_map, split=split,
                              as_gold=as_gold, task=task, target=target, text_field=text_field,
                              label_field=label_field, predictions=predictions, offsets=offsets, lang=lang,
                              columns=columns, dry_run=dry_run, progress=progress)
    _warn(summary["warnings"])
    if as_json:
        emit_json(summary)
        return
    written = ", ".join(f"{count} by {name}" for name, count in summary["events"].items())
    if summary["gold"]:
        written = ", ".join(filter(None, [written, f"{summary['gold']} gold"]))
    prefix = "would import" if dry_run else "imported"
    say(f"{prefix} {summary['file']} ({summary['format']}): {plural(summary['documents_added'], 'new document')}, "
        f"{summary['documents_unchanged']} unchanged; {plural(summary['sentences'], 'sentence')}; answers: "
        f"{written or 'none new'}; {summary['unchanged']} already current")


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True, help="The format to write.")
@click.option("--gold", is_flag=True, help="Export the gold answers.")
@click.option("--annotator", "-a", metavar="NAME", default=None, shell_complete=annotator_names,
              help="Export this annotator's current answers.")
@click.option("--out", "-o", type=click.Path(), default=None,
              help=f"The file to write ({', '.join(f for f in FOLDER_FORMATS if f in EXPORT_FORMATS)}: a folder); "
                   "default (or -): standard output. An existing file is kept unless --force; the workspace's own "
                   "files never are written.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option("--no-formula-escape", "no_formula_escape", is_flag=True,
              help="CSV: write cells that begin with = + - @ (formulas to a spreadsheet) as they are, "
                   "without the ' put before them by default.")
@click.option("--task", type=click.Choice(["entities", "claim_type", "stance"]), default=None,
              help="Export this question only. doccano: the project type the file is for (entities: sequence "
                   "labelling; claim_type or stance: text classification).")
@click.option("--target", default=None, help="The stance target, with --task stance (needed when there are several).")
@click.option("--ls-users", "ls_users", metavar="NAME=EMAIL,...|FILE", default=None,
              help="Label Studio: write the annotator's answers as this Label Studio account's (completed_by), which "
                   "must be a member of the project; pairs, or a JSON or TOML file. Without it they name no account.")
@click.option("--conll-comments", is_flag=True,
              help="CoNLL: write # sent_id and # text lines, so that an import brings the file back onto the same "
                   "sentences with their exact text; spaCy and most CoNLL readers take them for tokens.")
@workspace_option
@json_option
def export_cli(fmt, gold, annotator, out, force, no_formula_escape, task, target, ls_users, conll_comments, workspace,
               as_json) -> None:
    """Export every sentence with the gold answers, or one annotator's, in a peer tool's format.

    What the format cannot hold (stance in CoNLL, annotator names in brat, ...) is named in a
    warning. See docs/formats.md.
    """
    from tagline.annotate.interop.exporting import export

    if out == "-":  # standard output, as for most Unix tools (./- names a file called -)
        out = None
    if as_json and out is None:
        raise click.UsageError("--json prints a summary on standard output, so give --out for the export")
    # The bar starts no thread (threads=False), so that a large export still forks its workers; it is
    # drawn on stderr, never into the export on stdout, and erased before an `Interrupted:` line.
    with progress_bar(threads=False) as progress, interruptible("nothing was written"):
        summary = export(workspace, fmt=fmt, out=out, gold=gold, annotator=annotator, force=force,
                         formula_escape=not no_formula_escape, task=task, target=target, accounts=ls_users,
                         conll_comments=conll_comments, progress=progress)
    _warn(summary["warnings"])
    if out is None:
        click.echo(summary.pop("content"), nl=False)
        return
    if as_json:
        emit_json(summary)
        return
    lost = " (the warnings above name what the format could not hold)" if summary["warnings"] else ""
    also = f" and {', '.join(summary['also_written'])}" if summary["also_written"] else ""
    say(f"wrote {out}{also} ({fmt}): {plural(summary['sentences'], 'sentence')}; "
        f"{plural(summary['answers'], 'answer')} read from {summary['view']}{lost}")
