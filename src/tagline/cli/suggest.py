"""``tagline annotate suggest``: a model's answers for the sentences, printed or stored as a machine
annotator's."""

from __future__ import annotations

import click

from tagline.cli.completion import annotator_names
from tagline.cli.output import emit_json, emit_jsonl, json_option, say, workspace_option
from tagline.schemas import TASKS
from tagline.wording import plural


@click.command("suggest")
@click.option("--source", required=True, metavar="SOURCE",
              help="builtin, run:RUN_ID, file:PATH or cmd:COMMAND (see docs/suggestions.md).")
@click.option("--annotator", "-a", metavar="NAME", default=None, shell_complete=annotator_names,
              help="builtin: also learn from this annotator's answers, besides the gold.")
@click.option("--doc", "doc_id", default=None, metavar="DOC_ID", help="Only this document's sentences.")
@click.option("--task", type=click.Choice(TASKS), default=None,
              help="Only this task's suggestions (the file `eval score --task` reads).")
@click.option("--write", is_flag=True, help="Store the suggestions as a machine annotator's answers.")
@click.option("--as", "machine", default=None, metavar="NAME",
              help="The machine annotator's name with --write (default: model-<source>).")
@click.option("--timeout", type=click.FloatRange(0.1, None), default=30.0, show_default=True,
              help="cmd: seconds a batch may take.")
@workspace_option
@json_option
def suggest_cli(source, annotator, doc_id, task, write, machine, timeout, workspace, as_json) -> None:
    """A model's suggestions for every sentence: printed as JSON lines (with --task, the format
    `eval score` reads), or with --write stored as a machine annotator's answers, which are reported apart from
    people and do not vote in `adjudicate` unless asked (--with-machines)."""
    from tagline.annotate.suggest import suggest_for, write_machine_answers
    from tagline.eval.suggesters import machine_name, open_suggester

    if task == "stance":
        workspace.config.require_targets()  # else there is nothing to suggest, and the model's work is for nothing
    suggester = open_suggester(source, workspace, annotator=annotator, timeout=timeout)
    name = machine or machine_name(suggester.name)
    try:
        if write:
            from tagline.annotate.answers import check_can_answer

            check_can_answer(workspace, name)  # before the model's work, not after it
        sentences = [s for s in workspace.iter_sentences() if doc_id is None or s["doc_id"] == doc_id]
        suggestions = [s for s in suggest_for(suggester, sentences) if task is None or s.task == task]
    finally:
        closer = getattr(suggester, "close", None)
        if callable(closer):
            closer()
    if write:
        written = write_machine_answers(workspace, suggestions, name, suggester.name)
        from tagline.interrupts import commit

        commit()  # stored: a Ctrl-C as it reports them stops only the report (Interrupted after saving)
        summary = {"source": suggester.name, "annotator": name, "answers": written, "sentences": len(sentences)}
        if as_json:
            emit_json(summary)
        else:
            say(f"stored {plural(written, 'suggested answer')} for {plural(len(sentences), 'sentence')} as the "
                f"machine annotator {name} (annotations/{name}.jsonl)")
        return
    emit_jsonl([_line(s) for s in suggestions])


def _line(suggestion) -> dict:
    # The ids `eval score` reads: a stance row is named by its sentence and target.
    line = {"sentence_id": suggestion.sentence_id, "target": suggestion.target} if suggestion.task == "stance" \
        else {"id": suggestion.sentence_id}
    line["task"] = suggestion.task
    if suggestion.task == "entities":
        line["entities"] = [{"start": s["start"], "end": s["end"], "label": s["label"]}
                            for s in suggestion.value["spans"]]
        if suggestion.candidates:  # read back by file: (eval score reads the entities only)
            line["candidates"] = [{"start": s["start"], "end": s["end"], "label": s["label"]}
                                  for s in suggestion.candidates]
    else:
        line["label"] = suggestion.value["label"]
    if suggestion.score is not None:
        line["score"] = round(suggestion.score, 6)
    line["source"] = suggestion.source
    return line
