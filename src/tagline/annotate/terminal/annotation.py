"""The annotation screen: what it draws for each state of the session (the sentence, its
neighbours, the answers, spans, question, progress and keys, or the help), and the loop that
reads a key, hands it to the session and redraws."""

from __future__ import annotations

import os
import time

from tagline.annotate.session import ENTITIES, SessionModel, Step
from tagline.annotate.terminal.keys import Terminal
from tagline.annotate.terminal.window import append_option, crop, fit_sentence, row_count
from tagline.wording import plural

LABEL_COLOURS = ["cyan", "magenta", "green", "yellow", "blue", "red", "bright_cyan", "bright_magenta",
                 "bright_green", "bright_yellow"]


def render(model: SessionModel, width: int, height: int):
    """The screen for the model's current state, as a rich renderable.

    Everything is drawn to fit ``width`` x ``height`` cells: the sentence gets the rows the other
    lines leave (the last row stays free for the cursor), and a sentence longer than that is shown
    as a window with marks saying how much is hidden. Only what is drawn is measured, so a frame
    costs the same whatever the length of the sentence."""
    from rich.console import Group
    from rich.text import Text

    config = model.workspace.config
    if model.mode == "help":
        return _render_help(model, width, height)
    if model.mode == "waiting":  # the first sentence waits for its suggestions (see SessionModel.open)
        return Group(Text(f"tagline · {model.annotator}", style="bold"), Text(""),
                     Text(model.waiting_line(), style="yellow"))
    width = max(1, width)
    sentence = model.sentence
    position = model.position
    total = len(model.sentences)
    header = Text(f"tagline · {model.annotator} · {sentence['doc_id']} · {sentence['id']} "
                  f"({position + 1}/{total})", style="bold")
    previous = model.sentences[position - 1]["text"] if position > 0 and \
        model.sentences[position - 1]["doc_id"] == sentence["doc_id"] else ""
    following = model.sentences[position + 1]["text"] if position + 1 < total and \
        model.sentences[position + 1]["doc_id"] == sentence["doc_id"] else ""
    above = [header, _context_line("‹ ", previous, width), Text("")]
    below = [Text(""), _context_line("› ", following, width), Text("─" * min(width, 80), style="dim"),
             _answers_line(model)]
    if model.step.task == "entities" or model.mode == "cursor" or any(model.spans()):
        below.extend(_span_lines(model, config, width))
    below.append(_question(model, config, width))
    below.append(Text(model.message, style="yellow") if model.message else Text(""))
    below.append(_progress_line(model))
    below.append(_keys_line(model, width))
    # While a found span waits for its label (or its occurrence), the window follows it.
    focus = model.pending[0] if model.mode in ("occurrence", "entity_label") and model.pending else None
    highlights = [(span["start"], span["end"], f"reverse {_label_colour(config, span['label'])}")
                  for span in model.spans()]
    if model.mode == "cursor" and model.selection is not None:
        focus = model.selection
        highlights.append((*model.selection, "bold underline white on blue"))
    rows = height - 1 - sum(row_count(line, width) for line in above + below)
    text, cut = fit_sentence(sentence["text"], width, max(1, rows), highlights=highlights, focus=focus)
    if cut and rows < 3:
        # A short terminal: the context, the blank rows and the rule go before the sentence is cut
        # to a row or two, so the header, the question and the keys stay on the screen.
        above, below = [header], [line for line in below[3:] if line.plain]
        rows = height - 1 - sum(row_count(line, width) for line in above + below)
        text, cut = fit_sentence(sentence["text"], width, max(1, rows), highlights=highlights, focus=focus)
    return Group(*above, text, *below)


# The keys a row of 80 columns leaves out, in this order, to hold the rest (the help, ?, lists them
# all): ← and → also go back and skip, and the cursor (Tab) removes spans too.
_KEYS_LEFT_OUT_FIRST = ("b back", "s skip", "x remove", "Tab cursor")


def _keys_line(model: SessionModel, width: int):
    """The keys, on one row where leaving out a few (the least needed first) makes them fit; on a
    screen too narrow for that, every key, over several rows."""
    from rich.text import Text

    own = ["Tab cursor", "/ find", "x remove", "Enter done"] if model.step.task == "entities" else \
        ["Enter keep"] + (["Tab spans"] if ENTITIES in model.steps else [])  # the entities from any question
    keys = ["u undo", "s skip", "b back", "? help", "q quit", *own, *(["Space all"] if model.feed is not None else [])]
    fitting = list(keys)
    for left_out in (None, *_KEYS_LEFT_OUT_FIRST):
        if left_out in fitting:
            fitting.remove(left_out)
        if len(" · ".join(fitting)) <= width:
            return Text(" · ".join(fitting), style="dim")
    return Text(" · ".join(keys), style="dim")


def _context_line(prefix: str, text: str, width: int):
    from rich.text import Text

    limit = max(10, width - 1)
    # One character more than the row holds is enough for truncate() to add its ellipsis.
    line = Text(prefix + text[:limit + 1], style="dim")
    line.truncate(limit, overflow="ellipsis")
    return line


def _label_colour(config, label: str) -> str:
    labels = config.labels("entities")
    return LABEL_COLOURS[labels.index(label) % len(LABEL_COLOURS)] if label in labels else "white"


def _answers_line(model: SessionModel):
    from rich.text import Text

    line = Text("answers: ", style="dim")
    for index, step in enumerate(model.steps):
        value = model.current(step.slot)
        suggested = model.suggestion(step) if value is None else None
        if suggested is not None:  # a model's answer, not the annotator's: marked with a question mark
            value_shown = plural(len(model.spans()), "span") if step.task == "entities" \
                else suggested.value["label"]
            shown, colour = f"{value_shown}?", "yellow"
        elif step.task == "entities":
            shown, colour = ("–" if value is None else plural(len(value["spans"]), "span")), "green"
        else:
            shown, colour = ("–" if value is None else value["label"]), "green"
        name = step.target if step.task == "stance" else step.title()
        style = "bold underline" if index == model.step_index and model.mode != "done" else ""
        line.append(f"{name}: ", style=style)
        line.append(shown, style=colour if value is not None or suggested is not None else "dim")
        if index + 1 < len(model.steps):
            line.append("  ·  ", style="dim")
    return line


def _span_lines(model: SessionModel, config, width: int, rows: int = 3):
    """The numbered spans, at most ``rows`` rows of them; the rest are counted."""
    from rich.text import Text

    suggested = model.suggestion(Step("entities")) if model.current(("entities", None)) is None else None
    if suggested is not None and suggested.task == "entities":
        return [_suggested_span_line(model, config, width, rows)]
    spans = model.spans()
    if not spans:
        return [Text("  no spans yet" if model.current(("entities", None)) is None else "  no entities", style="dim")]
    line = Text("  ")
    for number, span in enumerate(spans, 1):
        if line.cell_len > rows * width - width // 2:
            line.append(f"… {plural(len(spans) - number + 1, 'more span')}", style="dim")
            break
        line.append(f"{number}:", style="dim")
        line.append(crop(span["text"], max(10, width // 2)), style=f"reverse {_label_colour(config, span['label'])}")
        line.append(f" {span['label']}  ")
    return [line]


def _suggested_span_line(model: SessionModel, config, width: int, rows: int):
    """A model's spans for this sentence, numbered as the keys that turn them off and on: the
    suggested ones, then the candidates (off, marked ``?``, until turned on)."""
    from rich.text import Text

    suggestion = model.suggestion(Step("entities"))
    offered = model.offered_spans()
    line = Text("  suggested" + (f" ({_source(suggestion)})" if suggestion else "") + ": ", style="yellow")
    if not offered:
        line.append("no entities", style="dim")
        return line
    for number, (span, on, candidate) in enumerate(offered, 1):
        if line.cell_len > rows * width - width // 2:
            line.append(f"… {plural(len(offered) - number + 1, 'more span')}", style="dim")
            break
        line.append(f"{number}:", style="dim")
        line.append(crop(span["text"], max(10, width // 2)), style=f"reverse {_label_colour(config, span['label'])}"
                    if on else "dim" if candidate else "strike dim")
        line.append(f" {span['label']}{'?' if candidate and not on else ' (off)' if not on else ''}  ",
                    style="dim" if candidate and not on else "")
    return line


def _source(suggestion) -> str:
    return suggestion.source + (f" {suggestion.score:.2f}" if suggestion.score is not None else "")


def _question(model: SessionModel, config, width: int = 80):
    from rich.text import Text

    if model.mode == "done":
        return Text(f"All {len(model.sentences)} sentences are done. q quit · b back · u undo", style="bold green")
    step = model.step
    line = Text("▶ ", style="bold")
    if model.mode == "find":
        line.append("find (text or START:END, Enter, Esc cancels): ", style="bold")
        typed = model.buffer if len(model.buffer) < width else "…" + model.buffer[-(width // 2):]
        line.append(typed + "█")
        return line
    if model.mode == "occurrence":
        text = model.sentence["text"]
        line.append("which one? ", style="bold")
        for number, (start, end) in enumerate(model.pending[:9], 1):
            line.append(f"[{number}] …{text[max(0, start - 3):start]}")
            line.append(crop(text, max(10, width // 4), start, end), style="reverse")
            line.append(f"{text[end:end + 3]}…  ")
        if model.found > len(model.pending):
            line.append(f"(the first {len(model.pending)} of {model.found:,}; "
                        "a longer text or START:END finds the others)", style="dim")
        else:
            line.append("[a] all")
        return line
    if model.mode == "remove":
        line.append(f"remove span number: {model.buffer}█", style="bold")
        return line
    if model.mode == "cursor" and model.selection is not None:
        start, end = model.selection
        line.append("mark ", style="bold")
        line.append(crop(model.sentence["text"], max(10, width // 3), start, end), style="bold white on blue")
        line.append(": ", style="bold")
        for key, label in config.keys("entities").items():
            append_option(line, key, f"bold {_label_colour(config, label)}", label, "", width)
        line.append("· Tab/→ next · ← back · + − end · < > start · x remove · 1-9 a suggested span · "
                    "Enter done · Space take all · Esc", style="dim")
        return line
    if model.mode == "entity_label" or step.task == "entities":
        if model.mode == "entity_label":
            line.append(f"label for {_surfaces(model.sentence['text'], model.pending, max(10, width - 20))}: ",
                        style="bold")
        elif model.suggestion() is not None:
            line.append("entities: Enter takes the suggested spans; a number turns one off or on; / finds more",
                        style="bold")
            return line
        else:
            line.append("entities: / to find a span, then its label key", style="bold")
            return line
        for key, label in config.keys("entities").items():
            append_option(line, key, f"bold {_label_colour(config, label)}", label, "", width)
        return line
    line.append(f"{step.title()}: ", style="bold")
    current = model.current(step.slot)
    suggestion = model.suggestion()
    for key, label in config.keys(step.task).items():
        chosen = current is not None and current.get("label") == label
        suggested = suggestion is not None and suggestion.value.get("label") == label
        append_option(line, key, "bold cyan", label,
                      "reverse" if chosen else "bold yellow underline" if suggested else "", width)
    if suggestion is not None:
        line.append(f"· suggested {suggestion.value['label']} ({_source(suggestion)}), Enter takes it", style="yellow")
    elif model.suggestions_pending():
        line.append("· suggestions on their way", style="dim")
    return line


def _surfaces(text: str, pending: list[tuple[int, int]], cells: int) -> str:
    """The texts of the spans about to be labelled, joined by commas, in about ``cells`` cells."""
    from rich.cells import cell_len

    parts: list[str] = []
    used = 0
    for number, (start, end) in enumerate(pending):
        if parts and used >= cells:
            parts.append(f"… {len(pending) - number:,} more")
            break
        parts.append(crop(text, max(1, cells - used), start, end))
        used += cell_len(parts[-1]) + 2
    return ", ".join(parts)


def _progress_line(model: SessionModel):
    from rich.text import Text

    done = model.done_count()
    total = len(model.sentences)
    parts = [f"{done}/{total} done ({100 * done / total:.1f}%)"]
    per_sentence = model.seconds_per_sentence()
    if per_sentence is not None:
        remaining = (total - done) * per_sentence
        parts.append(f"{per_sentence:.1f} s/sentence")
        parts.append(f"about {_duration(remaining)} left")
    return Text(" · ".join(parts), style="bold")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


HELP_KEYS = (  # each row fits 80 columns; the help screen fits 80 x 24 with seven labels
    "  label key  answer the question (no Enter); another question's key answers",
    "             that one at once (a claim-type key on a stance question)",
    "  Enter      keep the answer and go on; entities: done with the sentence",
    "  Space      take every suggestion left for the sentence (Enter: just this one)",
    "  u undo (a new event, nothing deleted) · s or → skip · b or ← back · q quit",
    "  Tab        entities, from any question: a cursor over the words: Tab/→ next,",
    "             ← back, + − its end, < > its start, a label key marks, x removes,",
    "             1-9 a suggested span off/on, Enter done, Space done + take all",
    "  /          entities, from any question: find text or START:END, then a label",
    "  x          entities: remove a span by its number",
    "  1-9        entities with suggested spans: turn one off or on before Enter",
)


def _render_help(model: SessionModel, width: int, height: int):
    """The keys, and the labels of the question shown with their descriptions, each on one row cut
    to ``width``; the rows of labels that do not fit ``height`` are counted."""
    from rich.console import Group
    from rich.text import Text

    def row(text: str, style: str = "") -> Text:
        return Text(text, style=style, no_wrap=True, overflow="ellipsis")

    step = model.step
    specs = model.workspace.config.label_specs(step.task)
    lines = [row("Keys", "bold"), *(row(line) for line in HELP_KEYS), row(""),
             row(f"Labels for {step.title()}", "bold")]
    room = max(1, height - 1 - len(lines) - 1)  # the last row stays free, one row says how to go back
    shown = specs if len(specs) <= room else specs[:room - 1]
    lines += [row(f"  [{spec['key']}] {spec['name']}: {spec.get('description', '')}") for spec in shown]
    if len(shown) < len(specs):
        lines.append(row(f"  … {len(specs) - len(shown)} more labels: see tagline.toml", "dim"))
    lines.append(row("Press any key to go back.", "dim"))
    return Group(*lines)


def run_session(model: SessionModel, terminal: Terminal | None = None) -> str:
    """Run the session until the annotator quits; return a one-line summary."""
    terminal = terminal or Terminal()
    timing = os.environ.get("TAGLINE_SESSION_TIMING")  # benchmarks: print per-key handling time
    with terminal:
        def redraw():
            width, height = terminal.size()
            terminal.draw(render(model, width, height))

        # The state is read before each drawing: reading it may end the wait for the first suggestions.
        shown = model.view_state()
        redraw()

        def refresh_if_changed():  # suggestions arrived, the model stopped, the wait went on: show it without a key
            nonlocal shown
            state = model.view_state()
            if state != shown:
                shown = state
                redraw()

        while not model.finished:
            key = terminal.read_key(redraw, on_idle=refresh_if_changed if model.feed is not None else None)
            started = time.perf_counter()
            model.handle_key(key)
            if model.finished:
                break
            shown = model.view_state()
            redraw()
            if timing:
                terminal.output.write(f"\x1b[999;1H[frame {1000 * (time.perf_counter() - started):.2f} ms]")
                terminal.output.flush()
    return model.summary()
