"""``tagline corpus``: add documents, list them, show them, count them."""

from __future__ import annotations

import click

from tagline.cli import LazyGroup
from tagline.cli.output import (
    emit_json,
    emit_jsonl,
    interruptible,
    json_option,
    print_table,
    progress_bar,
    say,
    workspace_option,
)
from tagline.wording import plural, verb


@click.group("corpus", cls=LazyGroup)  # a LazyGroup names the command that runs (its messages say `corpus add`)
def corpus() -> None:
    """Ingest documents and inspect the sentence corpus."""


@corpus.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--lang", type=click.Choice(["ja", "en", "auto"]), default=None,
              help="Language of the documents (default: the workspace's; auto: detect).")
@click.option("--doc-id", default=None, help="Id of the document (one txt/md file only; default: the file name).")
@click.option("--encoding", default=None, help="Text encoding (default: detect UTF-8, Shift_JIS/CP932, EUC-JP).")
@click.option("--format", "fmt", type=click.Choice(["txt", "md", "jsonl", "csv"]), default=None,
              help="Input format (default: from the file suffix; jsonl/csv hold one document per record).")
@click.option("--replace", is_flag=True,
              help="Replace documents whose text changed; unchanged sentences keep their ids, annotations are kept.")
@click.option("--max-size", default="64M", show_default=True, metavar="SIZE",
              help="Refuse a larger document: a txt/md file, or one jsonl/csv record's text (K, M, G: 1024s).")
@workspace_option
@json_option
def add_cli(files, lang, doc_id, encoding, fmt, replace, max_size, workspace, as_json) -> None:
    """Split FILES into sentences and add them to the workspace (all or nothing)."""
    from tagline.corpus.ingest import add_documents
    from tagline.corpus.readers import parse_size

    # Ctrl-C, SIGTERM or SIGHUP while it reads, splits or writes: its transaction is undone, one line says so.
    with interruptible("nothing was added"), progress_bar() as progress:
        report = add_documents(workspace, files, lang=lang, doc_id=doc_id, encoding=encoding, fmt=fmt,
                               replace=replace, max_document_bytes=parse_size(max_size), progress=progress)
    if as_json:
        emit_json(report.as_dict())
        return
    for added in report.added:
        say(f"added {added['doc_id']}: {plural(added['n_sentences'], 'sentence')} "
            f"({added['lang']}, {added['encoding']})")
    for doc_id_ in report.unchanged:
        say(f"unchanged {doc_id_}: already in the workspace")
    for replaced in report.replaced:
        kept = replaced["kept"]
        say(f"replaced {replaced['doc_id']}: {plural(kept, 'sentence')} kept {verb(kept, 'its id', 'their ids')}, "
            f"{replaced['new']} new, {len(replaced['orphaned'])} orphaned")
        if replaced["orphaned_annotated"]:
            say("  annotated sentences orphaned (annotations kept, see orphaned.jsonl): "
                + ", ".join(replaced["orphaned_annotated"]))


@corpus.command("list")
@workspace_option
@json_option
def list_cli(workspace, as_json) -> None:
    """List the documents in the workspace."""
    from tagline.corpus.stats import list_documents

    documents = list_documents(workspace)
    if as_json:
        emit_jsonl(documents)
        return
    from rich.table import Table

    table = Table("doc_id", "lang", "sentences", "encoding", "source", box=None)
    for document in documents:
        table.add_row(document["doc_id"], document["lang"], str(document["n_sentences"]),
                      document["encoding"], document["source"])
    print_table(table)


@corpus.command("show")
@click.argument("identifier", metavar="ID")
@workspace_option
@json_option
def show_cli(identifier, workspace, as_json) -> None:
    """Show a document's sentences, or one sentence, by id."""
    from tagline.corpus.stats import show

    found = show(workspace, identifier)
    if as_json:
        emit_json(found)
        return
    sentences = found["sentences"] if "sentences" in found else [found["sentence"]]
    for record in sentences:
        click.echo(f"{record['id']}\t[{record['start']}:{record['end']}]\t{record['text']}")


@corpus.command("stats")
@workspace_option
@json_option
def stats_cli(workspace, as_json) -> None:
    """Count documents, sentences and characters."""
    from tagline.corpus.stats import corpus_stats

    stats = corpus_stats(workspace)
    if as_json:
        emit_json(stats)
        return
    length = stats["sentence_length"]
    click.echo(f"workspace   {stats['workspace']}")
    click.echo(f"documents   {stats['documents']}")
    click.echo(f"sentences   {stats['sentences']}  ({', '.join(f'{k}: {v}' for k, v in stats['by_lang'].items())})")
    click.echo(f"characters  {stats['characters']}")
    click.echo(f"length      mean {length['mean']}, median {length['median']}, min {length['min']}, "
               f"max {length['max']}")
    click.echo(f"splits      {', '.join(f'{k}: {v}' for k, v in stats['by_split'].items())}")
    click.echo(f"annotators  {', '.join(stats['annotators']) or '(none yet)'}")
