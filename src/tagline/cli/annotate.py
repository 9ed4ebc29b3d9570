"""``tagline annotate``: the terminal session, scripted labels, agreement, adjudication, import/export."""

from __future__ import annotations

import sys

import click

from tagline.cli import LazyGroup
from tagline.cli.output import emit_json, json_option, say, workspace_option

SUBCOMMANDS = {
    "label": "tagline.cli.annotate:label_cli",
    "retract": "tagline.cli.annotate:retract_cli",
    "show": "tagline.cli.annotate:show_cli",
    "progress": "tagline.cli.annotate:progress_cli",
}


@click.group("annotate", cls=LazyGroup, lazy_commands=SUBCOMMANDS, invoke_without_command=True)
@click.option("--annotator", "-a", metavar="NAME", help="Who is annotating (answers go to annotations/NAME.jsonl).")
@click.option("--task", type=click.Choice(["all", "stance", "claim_type", "entities"]), default="all",
              show_default=True, help="Which questions to ask.")
@click.option("--target", default=None, help="Only this stance target.")
@click.option("--order", type=click.Choice(["sequential", "random"]), default="sequential", show_default=True,
              help="Order of the sentences (random is seeded by the annotator's name unless --seed).")
@click.option("--seed", type=int, default=None, help="Seed for --order random.")
@click.option("--doc", "doc_id", default=None, metavar="DOC_ID", help="Only this document's sentences.")
@workspace_option
@click.pass_context
def annotate(ctx, annotator, task, target, order, seed, doc_id, workspace) -> None:
    """Label sentences in the terminal: one key per label, u undo, s skip, b back, ? help, q quit.

    Every answer is saved the moment it is given; starting again resumes at the first sentence
    you have not finished. Annotators never see each other's answers. The subcommands below do the
    same by script and report on the answers.
    """
    if ctx.invoked_subcommand is not None:
        return
    if not annotator:
        raise click.UsageError("give --annotator NAME to start a session (or use a subcommand, see --help)")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise click.UsageError("the annotation session needs a terminal; for scripts use `tagline annotate label`")
    from tagline.annotate.session import SessionModel
    from tagline.annotate.terminal import run_session

    model = SessionModel.open(workspace, annotator, task=task, target=target, order=order, doc_id=doc_id, seed=seed)
    try:
        summary = run_session(model)
    except KeyboardInterrupt:
        summary = model.summary()
        say("Interrupted.")
    say(summary)


@click.command("label")
@click.argument("sentence_id")
@click.option("--annotator", "-a", required=True, metavar="NAME", help="Whose answer this is.")
@click.option("--stance", "stances", multiple=True, metavar="TARGET=LABEL", help="Stance toward a target (repeatable).")
@click.option("--claim-type", default=None, metavar="LABEL", help="The claim type.")
@click.option("--entity", "entities", multiple=True, metavar="SPEC",
              help="An entity: 'TEXT:LABEL' (every occurrence of TEXT) or START:END:LABEL (repeatable; "
                   "together they replace the sentence's spans).")
@click.option("--no-entities", is_flag=True, help="Record that the sentence has no entities.")
@workspace_option
@json_option
def label_cli(sentence_id, annotator, stances, claim_type, entities, no_entities, workspace, as_json) -> None:
    """Record answers for one sentence by script; everything is checked before anything is written."""
    from tagline.annotate.scripted import label_sentence
    from tagline.errors import DataError

    stance = {}
    for item in stances:
        target, separator, label = item.rpartition("=")
        if not separator or not target:
            raise DataError(f"--stance {item!r} is not TARGET=LABEL", fix="for example --stance 'DeepSeek=FAVOR'")
        stance[target] = label
    if no_entities and entities:
        raise click.UsageError("--no-entities and --entity contradict each other")
    events = label_sentence(workspace, sentence_id, annotator, stance=stance, claim_type=claim_type,
                            entities=[] if no_entities else (list(entities) or None))
    if as_json:
        emit_json(events)
    else:
        say(f"recorded {len(events)} answer(s) for {sentence_id} by {annotator}")


@click.command("retract")
@click.argument("sentence_id")
@click.option("--annotator", "-a", required=True, metavar="NAME")
@click.option("--task", required=True, type=click.Choice(["stance", "claim_type", "entities"]))
@click.option("--target", default=None, help="The stance target (for --task stance).")
@workspace_option
@json_option
def retract_cli(sentence_id, annotator, task, target, workspace, as_json) -> None:
    """Withdraw an answer (recorded as a retract event; nothing is deleted)."""
    from tagline.annotate.scripted import retract_answer

    event = retract_answer(workspace, sentence_id, annotator, task, target)
    if as_json:
        emit_json(event)
    else:
        say(f"retracted {annotator}'s {task} answer for {sentence_id}")


@click.command("show")
@click.argument("sentence_id")
@workspace_option
@json_option
def show_cli(sentence_id, workspace, as_json) -> None:
    """Show a sentence with every annotator's current answers side by side."""
    from tagline.annotate.scripted import sentence_answers

    shown = sentence_answers(workspace, sentence_id)
    if as_json:
        emit_json(shown)
        return
    click.echo(f"{shown['sentence']['id']}: {shown['sentence']['text']}")
    if not shown["annotations"]:
        click.echo("  (no answers yet)")
    for annotator, answers in shown["annotations"].items():
        parts = [f"{target}={label}" for target, label in answers.get("stance", {}).items()]
        if "claim_type" in answers:
            parts.append(f"claim_type={answers['claim_type']}")
        if "entities" in answers:
            parts.append("entities=[" + ", ".join(f"{s['text']}:{s['label']}" for s in answers["entities"]) + "]")
        click.echo(f"  {annotator:<16} " + "  ".join(parts))


@click.command("progress")
@workspace_option
@json_option
def progress_cli(workspace, as_json) -> None:
    """How far each annotator has got, per task."""
    from tagline.annotate.scripted import progress

    report = progress(workspace)
    if as_json:
        emit_json(report)
        return
    if not report["annotators"]:
        click.echo("no annotations yet")
    for annotator, item in report["annotators"].items():
        click.echo(f"{annotator}: {item['complete_sentences']}/{report['sentences']} sentences complete")
        for task, counts in item["tasks"].items():
            click.echo(f"  {task:<24} {counts['done']:>6}/{counts['total']}  {counts['percent']:5.1f}%")
