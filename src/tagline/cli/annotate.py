"""``tagline annotate``: the terminal session, scripted labels, agreement, adjudication, import/export."""

from __future__ import annotations

import sys

import click

from tagline.annotate.order import ORDER_NAMES, ORDERS, order_spec
from tagline.cli import LazyGroup
from tagline.cli.completion import annotator_lists, annotator_names
from tagline.cli.output import emit_json, emit_jsonl, fitted, interruptible, json_option, say, workspace_option
from tagline.errors import Interrupted
from tagline.eval.suggesters import RETRAIN_EVERY, SOURCES
from tagline.schemas import TASKS
from tagline.wording import plural, verb

SUBCOMMANDS = {
    "label": "tagline.cli.annotate:label_cli",
    "retract": "tagline.cli.annotate:retract_cli",
    "show": "tagline.cli.annotate:show_cli",
    "progress": "tagline.cli.annotate:progress_cli",
    "agree": "tagline.cli.annotate:agree_cli",
    "adjudicate": "tagline.cli.annotate:adjudicate_cli",
    "gold": "tagline.cli.annotate:gold_cli",
    "retire": "tagline.cli.annotate:retire_cli",
    "suggest": "tagline.cli.suggest:suggest_cli",
    "import": "tagline.cli.interop:import_cli",
    "export": "tagline.cli.interop:export_cli",
}


@click.group("annotate", cls=LazyGroup, lazy_commands=SUBCOMMANDS, invoke_without_command=True)
@click.option("--annotator", "-a", metavar="NAME", shell_complete=annotator_names,
              help="Who is annotating (answers go to annotations/NAME.jsonl).")
@click.option("--task", type=click.Choice(["all", *TASKS]), default="all",
              show_default=True, help="Which questions to ask.")
@click.option("--target", default=None, help="Only this stance target.")
@click.option("--order", type=click.Choice(ORDER_NAMES), default="sequential", show_default=True,
              help="Order of the sentences: " + "; ".join(f"{spec.name}: {spec.description}" for spec in ORDERS)
              + ".")
@click.option("--seed", type=int, default=None, help="Seed for --order random.")
@click.option("--doc", "doc_id", default=None, metavar="DOC_ID", help="Only this document's sentences.")
@click.option("--suggest", "suggest_source", default=None, metavar="SOURCE",
              help="Show a model's suggestions, taken with Enter (Space: all of a sentence's): "
                   f"{', '.join(source.syntax for source in SOURCES[:-1])} or {SOURCES[-1].syntax} "
                   "(see docs/suggestions.md).")
@click.option("--retrain-every", type=click.IntRange(1, None), default=RETRAIN_EVERY, show_default=True, metavar="N",
              help="--suggest builtin: train again in the background after N new answers.")
@click.option("--timeout", type=click.FloatRange(0.1, None), default=30.0, show_default=True,
              help="--suggest cmd: seconds a batch of suggestions may take.")
@click.option("--workspace", "-w", "workspace_dir", metavar="DIR", envvar="TAGLINE_WORKSPACE",
              type=click.Path(file_okay=False), help="The workspace (default: found from the current directory).")
@click.pass_context
def annotate(ctx, annotator, task, target, order, seed, doc_id, suggest_source, retrain_every, timeout,
             workspace_dir) -> None:
    """Label sentences in the terminal: one key per label, u undo, s skip, b back, ? help, q quit.

    Every answer is saved the moment it is given; starting again resumes at the first sentence
    you have not finished. Annotators never see each other's answers. The subcommands below do the
    same by script and report on the answers.
    """
    if ctx.invoked_subcommand is not None:
        return
    if not annotator:
        raise click.UsageError("give --annotator NAME to start a session (or use a subcommand, see --help)")
    from tagline.annotate.answers import check_can_answer
    from tagline.annotate.scripted import check_annotator
    from tagline.corpus.workspace import find_workspace

    workspace = find_workspace(workspace_dir)
    check_can_answer(workspace, check_annotator(annotator))  # a name that cannot answer is said first
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise click.UsageError("the annotation session needs a terminal; for scripts use `tagline annotate label`")
    from tagline.annotate.session import FIRST_SUGGESTIONS_WAIT, SessionModel
    from tagline.annotate.terminal import run_session

    source = session_source(order, suggest_source)
    failed: list[str] = []
    feed = _suggestion_feed(source, workspace, annotator, retrain_every, failed, timeout=timeout) if source else None
    try:
        model = SessionModel.open(workspace, annotator, task=task, target=target, order=order, doc_id=doc_id,
                                  seed=seed, feed=feed, wait_for_suggestions=FIRST_SUGGESTIONS_WAIT)
        if failed:  # the warning above is hidden by the session's screen: its first screen says it too
            model.message = f"no suggestions: {failed[0]}"
        try:
            summary = run_session(model)
        except Interrupted:
            raise  # SIGHUP, the terminal closed: nothing more can be shown on it
        except KeyboardInterrupt:
            summary = model.summary()
            say("Interrupted.")
    finally:
        if feed is not None:
            feed.close()
    say(fitted(summary))


def session_source(order: str, suggest_source: str | None) -> str | None:
    """The suggestion source a session opens: the one given, or ``builtin`` for an order that needs a model."""
    return suggest_source or ("builtin" if order_spec(order).needs_model else None)


def _suggestion_feed(source: str, workspace, annotator: str, retrain_every: int = RETRAIN_EVERY,
                     failed: list[str] | None = None, *, timeout: float = 30.0):
    """The feed of a suggestion source, or None (and one warning, its text also added to ``failed``)
    when the source cannot be opened: the session then goes on without suggestions."""
    from tagline.annotate.suggest import SuggestionFeed
    from tagline.errors import TaglineError
    from tagline.eval.suggesters import open_suggester

    try:
        return SuggestionFeed(open_suggester(source, workspace, annotator=annotator, retrain_every=retrain_every,
                                             timeout=timeout))
    except TaglineError as error:
        click.echo(f"Warning: no suggestions: {error.render()}", err=True)
        if failed is not None:
            failed.append(error.render())
        return None


@click.command("label")
@click.argument("sentence_id")
@click.option("--annotator", "-a", required=True, metavar="NAME",
              shell_complete=annotator_names, help="Whose answer this is.")
@click.option("--stance", "stances", multiple=True, metavar="TARGET=LABEL", help="Stance toward a target (repeatable).")
@click.option("--claim-type", "claim_types", multiple=True, metavar="LABEL", help="The claim type.")
@click.option("--entity", "entities", multiple=True, metavar="SPEC",
              help="An entity: 'TEXT:LABEL' (every occurrence of TEXT) or START:END:LABEL (repeatable; "
                   "together they replace the sentence's spans).")
@click.option("--no-entities", is_flag=True, help="Record that the sentence has no entities.")
@workspace_option
@json_option
def label_cli(sentence_id, annotator, stances, claim_types, entities, no_entities, workspace, as_json) -> None:
    """Record answers for one sentence by script; everything is checked before anything is written."""
    from tagline.annotate.scripted import label_sentence, parse_stance

    stance = parse_stance(stances)
    if len(set(claim_types)) > 1:
        raise click.UsageError(f"--claim-type is given {len(set(claim_types))} labels ({', '.join(claim_types)}); "
                               "give one")
    claim_type = claim_types[0] if claim_types else None
    if no_entities and entities:
        raise click.UsageError("--no-entities and --entity contradict each other")
    events = label_sentence(workspace, sentence_id, annotator, stance=stance, claim_type=claim_type,
                            entities=[] if no_entities else (list(entities) or None))
    _saved()
    if as_json:
        emit_json(events)
    else:
        say(f"recorded {plural(len(events), 'answer')} for {sentence_id} by {annotator}")


@click.command("retract")
@click.argument("sentence_id")
@click.option("--annotator", "-a", required=True, metavar="NAME",
              shell_complete=annotator_names, help="Whose answer to withdraw.")
@click.option("--task", required=True, type=click.Choice(TASKS),
              help="Which answer to withdraw.")
@click.option("--target", default=None, help="The stance target (for --task stance).")
@workspace_option
@json_option
def retract_cli(sentence_id, annotator, task, target, workspace, as_json) -> None:
    """Withdraw an answer (recorded as a retract event; nothing is deleted)."""
    from tagline.annotate.scripted import retract_answer

    event = retract_answer(workspace, sentence_id, annotator, task, target)
    _saved()
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
    from tagline.annotate.answers import describe_left_out
    from tagline.annotate.scripted import progress

    report = progress(workspace)
    if as_json:
        emit_json(report)
        return
    if not report["annotators"]:
        click.echo("no annotations yet")
    if report["left_out"]:
        say(f"not counted: {describe_left_out(report['left_out'])}")
    # As wide as the longest question (a stance target can be long), so that the counts line up.
    width = max([24, *(len(task) for item in report["annotators"].values() for task in item["tasks"])])
    for annotator, item in report["annotators"].items():
        click.echo(f"{annotator}: {item['complete_sentences']}/{report['sentences']} sentences complete")
        for task, counts in item["tasks"].items():
            click.echo(f"  {task:<{width}} {counts['done']:>6}/{counts['total']}  {counts['percent']:5.1f}%")


def _split_names(value: str | None) -> list[str] | None:
    return [name.strip() for name in value.split(",") if name.strip()] if value else None


def exclude_option(what: str):
    """Add ``--exclude-annotator NAME`` (repeatable), passed as ``exclude``."""
    return click.option("--exclude-annotator", "exclude", multiple=True, metavar="NAME", shell_complete=annotator_names,
                        help=f"Leave this annotator's answers out of {what} (repeatable).")


@click.command("agree")
@click.option("--task", type=click.Choice(TASKS), default=None,
              help="Only this task (default: every configured task).")
@click.option("--annotators", default=None, metavar="A,B,...",
              shell_complete=annotator_lists, help="Only these annotators (default: all).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Also write a Markdown disagreement report to this file (kept if it exists, unless --force).")
@click.option("--force", is_flag=True, help="Replace the --report file if it exists.")
@click.option("--with-machines", is_flag=True, help="Count machine annotators (annotate suggest --write) too.")
@exclude_option("the agreement")
@workspace_option
@json_option
def agree_cli(task, annotators, report_path, force, with_machines, exclude, workspace, as_json) -> None:
    """Inter-annotator agreement per question: Cohen's and Fleiss' kappa, Krippendorff's alpha,
    span F1 for entities, the disagreement table and the most contested sentences."""
    from tagline.annotate.agree import agreement_report, report_markdown

    if report_path:
        from tagline.corpus.workspace import check_output

        check_output(report_path, force=force)  # before the work, not after it
    with interruptible():  # Ctrl-C while answer files are folded (in worker processes too)
        report = agreement_report(workspace, tasks=[task] if task else None, annotators=_split_names(annotators),
                                  machines=with_machines, exclude_annotators=exclude)
    if report_path:
        from tagline.corpus.workspace import write_output

        write_output(report_path, report_markdown(workspace, report), force=force)
        say(f"wrote {report_path}")
    if as_json:
        emit_json(report)
        return
    _print_agreement(report)


def _print_agreement(report: dict) -> None:
    def number(value):
        return "–" if value is None else f"{value:.3f}"

    from tagline.annotate.answers import describe_left_out

    click.echo(f"annotators: {', '.join(report['annotators']) or '(none)'}")
    if report["left_out"]:
        click.echo(f"not counted: {describe_left_out(report['left_out'])}")
    for name, question in report["questions"].items():
        click.echo(f"\n{name}")
        if question.get("task") == "entities":
            for pair in question.get("pairwise", []):
                a, b = pair["annotators"]
                click.echo(f"  {a} vs {b}: exact F1 {number(pair['exact']['f1'])}, overlap F1 "
                           f"{number(pair['overlap']['f1'])} on {plural(pair['n_items'], 'sentence')}")
            click.echo(f"  Krippendorff's alpha (tokens) {number(question['krippendorff_alpha']['value'])}")
        else:
            click.echo(f"  items compared {question['n_items_compared']}, observed agreement "
                       f"{number(question['observed_agreement'])}")
            click.echo(f"  Fleiss' kappa {number(question['fleiss_kappa']['value'])}, Krippendorff's alpha "
                       f"{number(question['krippendorff_alpha']['value'])}")
            for pair in question["cohen_kappa"]:
                click.echo(f"  Cohen's kappa {' vs '.join(pair['annotators'])}: {number(pair['value'])} "
                           f"({plural(pair['n_items'], 'item')})")
            contested = [item["item_id"] for item in question.get("most_contested", [])[:5]]
            if contested:
                click.echo(f"  most contested: {', '.join(contested)}")
        for note in question.get("notes", []):
            click.echo(fitted(f"  note: {note}", indent="        "))
    if report.get("suggestions"):
        click.echo("\nanswers from a model's suggestion (taken as is / changed / without one):")
        for name, row in report["suggestions"].items():
            click.echo(f"  {name}: {row['accepted_as_is']} / {row['changed']} / {row['without_suggestion']} "
                       f"({row['share_as_is']:.0%} of {plural(row['answers'], 'answer')} taken as is)")
    for machine, people in report.get("machines", {}).items():
        for person, row in people.items():
            click.echo(f"machine {machine} vs {person}: agreement {row['agreement']:.0%} on "
                       f"{plural(row['shared'], 'shared question')}")


@click.command("adjudicate")
@click.option("--task", type=click.Choice(TASKS), default=None,
              help="Only this task (default: every configured task).")
@click.option("--min-agreement", type=click.Choice(["majority", "unanimous"]), default="majority",
              show_default=True, help="What agreement makes gold without a person.")
@click.option("--adjudicator", default=None, metavar="NAME",
              help="Who decides the contested questions (needed to decide them in the terminal).")
@click.option("--annotators", default=None, metavar="A,B,...",
              shell_complete=annotator_lists, help="Only these annotators' votes.")
@click.option("--with-machines", is_flag=True,
              help="Let machine annotators (annotate suggest --write) vote too; by default they do not.")
@click.option("--reopen", "reopen_ids", multiple=True, metavar="SENTENCE_ID|DOC_ID",
              help="Offer these sentences' (or documents') decided questions to the adjudicator again "
                   "(with --task, only that task's; repeatable). The decisions stay in gold.jsonl as history.")
@click.option("--target", default=None, help="With --reopen and --task stance: only this target.")
@exclude_option("the votes (gold decided with them is made again without them)")
@workspace_option
@json_option
def adjudicate_cli(task, min_agreement, adjudicator, annotators, with_machines, reopen_ids, target, exclude,
                   workspace, as_json) -> None:
    """Make gold: agreed answers automatically, contested ones by an adjudicator in the terminal.

    With a single annotator, their answers are promoted to gold with provenance `single`.
    Re-running continues where it stopped and never duplicates gold.
    """
    from tagline.annotate.gold import auto_adjudicate, reopen

    reopened = []
    if target is not None and not reopen_ids:
        raise click.UsageError("--target goes with --reopen (and --task stance)")
    if reopen_ids:
        reopened = reopen(workspace, reopen_ids, tasks=[task] if task else None, target=target,
                          adjudicator=adjudicator)
        if not reopened:
            raise click.UsageError(f"--reopen {' '.join(reopen_ids)} matches no decided question"
                                   + (f" of {task}" if task else "") + "; see `tagline annotate gold`")
        if not as_json:
            say(f"reopened {plural(len(reopened), 'question')}")
    # Not the terminal session below, whose Ctrl-C keeps the decisions made and reports them.
    with interruptible("the gold is as it was"):
        result = auto_adjudicate(workspace, tasks=[task] if task else None, min_agreement=min_agreement,
                                 annotators=_split_names(annotators), machines=with_machines,
                                 exclude_annotators=exclude)
    decided = 0
    in_terminal = sys.stdin.isatty() and sys.stdout.isatty()
    if result.contested and adjudicator and in_terminal and not as_json:
        from tagline.annotate.scripted import check_annotator
        from tagline.annotate.terminal import AdjudicationSession, run_adjudication

        check_annotator(adjudicator)
        session = AdjudicationSession(workspace, list(result.contested), adjudicator)
        try:
            run_adjudication(session)
        except Interrupted as stopped:  # SIGHUP, the terminal closed
            raise Interrupted(stopped.signum, "decisions so far are saved") from None
        except KeyboardInterrupt:
            say("Interrupted; decisions so far are saved.")
        decided = session.decided
        result.contested = session.undecided()
    summary = result.as_dict()
    summary["adjudicated_now"] = decided
    summary["reopened"] = len(reopened)
    if as_json:
        emit_json(summary)
        return
    methods = ", ".join(f"{count} {method}" for method, count in summary["by_method"].items()) or "none"
    say(f"gold written automatically: {summary['written']} ({methods}); already gold and unchanged: "
        f"{summary['unchanged']}" + (f"; decided by {adjudicator}: {decided}" if decided else ""))
    if summary["contested"]:
        contested = len(summary["contested"])
        say(f"{plural(contested, 'question')} {verb(contested, 'needs', 'need')} an adjudicator"
            + (" (run again with --adjudicator NAME in a terminal)" if not adjudicator else
               f" (run again with --adjudicator {adjudicator} to go on)" if in_terminal else
               f" (--adjudicator {adjudicator} decides in a terminal, and this is not one: run it in a terminal "
               "window)") + ":")
        for item in summary["contested"][:20]:
            votes = "; ".join(f"{a}={v}" for a, v in item["votes"].items())
            click.echo(f"  {item['sentence_id']} {item['question']}: {votes} ({item['reason']})")
        if len(summary["contested"]) > 20:
            click.echo(f"  ... and {len(summary['contested']) - 20} more (see --json)")


@click.command("gold")
@click.option("--changed", "only_changed", is_flag=True, help="Only gold whose votes changed since it was made.")
@workspace_option
@json_option
def gold_cli(only_changed, workspace, as_json) -> None:
    """List the gold answers with their provenance (JSON lines with --json)."""
    from tagline.annotate.gold import gold_listing

    everything = gold_listing(workspace)
    listing = [r for r in everything if r["changed"] or not only_changed]
    if as_json:
        emit_jsonl(listing)
        return
    if not everything:
        say("no gold yet: run `tagline annotate adjudicate`")
    elif not listing:
        say(f"no gold changed since it was made ({plural(len(everything), 'gold record')} in all)")
    from tagline.annotate.answers import describe, question_name

    for record in listing:
        provenance = record["provenance"]
        who = f" by {provenance['adjudicator']}" if provenance.get("adjudicator") else ""
        flag = "  [changed since]" if record["changed"] else \
            "  [orphaned: its document was replaced]" if record["orphaned"] else ""
        click.echo(f"{record['sentence_id']}\t{question_name(record['task'], record.get('target'))}\t"
                   f"{describe(record['task'], record['value'])}\t{provenance['method']}{who}{flag}")


@click.command("retire")
@click.argument("name", shell_complete=annotator_names)
@click.option("--dry-run", is_flag=True, help="Show what would change, and change nothing.")
@click.option("--undo", is_flag=True, help="Bring a retired annotator back: its archived answers count again.")
@workspace_option
@json_option
def retire_cli(name, dry_run, undo, workspace, as_json) -> None:
    """Retire an annotator: annotations/NAME.jsonl is moved to annotations/retired/ (never deleted)
    and its answers stop counting in adjudication, agreement, progress and the dataset card.

    Gold decided with its votes is flagged as changed where the votes now differ; the next
    `tagline annotate adjudicate` makes it again. No new answers are taken under a retired name.
    """
    from tagline.annotate.retire import reinstate_annotator, retire_annotator

    change = (reinstate_annotator if undo else retire_annotator)(workspace, name, dry_run=dry_run)
    if as_json:
        emit_json(change.as_dict())
        return
    would = "would move" if dry_run else "moved"
    answers = plural(change.answers, "current answer")
    if change.already:
        say(f"{name} is retired already; its answers are in {change.moved_to} (`tagline annotate retire {name} "
            "--undo` brings it back)")
        return
    if change.undone:
        say(f"{'would bring' if dry_run else 'brought'} {name} back ({change.kind}): {would} {change.moved_from} "
            f"to {change.moved_to} ({answers}); see `tagline annotate gold --changed` for gold they now differ from")
        return
    say(f"{'would retire' if dry_run else 'retired'} {name}: {would} {change.moved_from} to {change.moved_to} "
        f"({answers}, which no longer {verb(change.answers, 'counts', 'count')})")
    count = len(change.gold_changed)
    if count:
        flagged = "would be" if dry_run else verb(count, "is", "are")
        say(f"{plural(count, 'gold answer')} decided with {name}'s votes {flagged} flagged as changed; "
            f"`tagline annotate adjudicate` makes {verb(count, 'it', 'them')} again:")
        for question in change.gold_changed[:20]:
            click.echo(f"  {question}")
        if count > 20:
            click.echo(f"  ... and {count - 20} more (see --json)")
    settled = len(change.gold_settled)
    if settled:
        now = "would no longer be" if dry_run else verb(settled, "is", "are") + " no longer"
        say(f"{plural(settled, 'gold answer')} flagged as changed only because of {name}'s votes {now} flagged")
    if dry_run:
        say("nothing was changed (--dry-run)")


def _saved() -> None:
    """The command's answers are written: a Ctrl-C as it reports them stops only the report
    (``Interrupted after saving``)."""
    from tagline.interrupts import commit

    commit()
