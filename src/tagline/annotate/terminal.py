"""The terminal front-end of the annotation session: raw key input and a redrawn screen (rich).

It works in a plain 80x24 terminal, redraws on resize, and leaves the terminal as it found it on
quit, Ctrl-C or SIGTERM. Answers are already on disk when a key has been handled; nothing here
holds unsaved state.
"""

from __future__ import annotations

import codecs
import os
import select
import signal
import sys
import termios
import time
import tty

from tagline.annotate.session import (
    BACKSPACE, ENTER, ESCAPE, LEFT, RIGHT, SessionModel,
)
from tagline.wording import plural

LABEL_COLOURS = ["cyan", "magenta", "green", "yellow", "blue", "red", "bright_cyan", "bright_magenta",
                 "bright_green", "bright_yellow"]
_ESCAPE_NAMES = {"C": RIGHT, "D": LEFT}


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
        return _render_help(model)
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
    if model.step.task == "entities" or any(model.spans()):
        below.extend(_span_lines(model, config, width))
    below.append(_question(model, config, width))
    below.append(Text(model.message, style="yellow") if model.message else Text(""))
    below.append(_progress_line(model))
    below.append(Text("u undo · s skip · b back · ? help · q quit" + (
        " · / find · x remove · Enter done" if model.step.task == "entities" else " · Enter keep"), style="dim"))
    # While a found span waits for its label (or its occurrence), the window follows it.
    focus = model.pending[0] if model.mode in ("occurrence", "entity_label") and model.pending else None
    highlights = [(span["start"], span["end"], f"reverse {_label_colour(config, span['label'])}")
                  for span in model.spans()]
    rows = height - 1 - sum(_rows(line, width) for line in above + below)
    text, cut = fit_sentence(sentence["text"], width, max(1, rows), highlights=highlights, focus=focus)
    if cut and rows < 3:
        # A short terminal: the context, the blank rows and the rule go before the sentence is cut
        # to a row or two, so the header, the question and the keys stay on the screen.
        above, below = [header], [line for line in below[3:] if line.plain]
        rows = height - 1 - sum(_rows(line, width) for line in above + below)
        text, cut = fit_sentence(sentence["text"], width, max(1, rows), highlights=highlights, focus=focus)
    return Group(*above, text, *below)


def fit_sentence(text: str, width: int, rows: int, *, highlights=(), focus: tuple[int, int] | None = None,
                 style: str = "bold"):
    """``(renderable, cut)``: ``text`` as it fits in ``rows`` rows of ``width`` cells.

    A text that fits is drawn whole, as it always was. A longer one is drawn as the window that
    fits, from its start or, given ``focus`` (a ``(start, end)`` further on), from a little before
    it, with marks counting the characters hidden before and after. Only the window is cut out
    and measured (with rich's own wrapping, so wide characters and word breaks count as drawn).

    Parameters
    ----------
    highlights : iterable of ``(start, end, style)``
        Offsets into ``text`` to style (the spans); parts outside the window are left out.
    """
    from rich.text import Text

    width, rows = max(1, width), max(1, rows)
    # A character takes at least a cell (combining marks aside), so no more than this could fit.
    budget = rows * width

    def styled(lo: int, hi: int):
        window = Text(text[lo:hi], style=style)
        for start, end, highlight in highlights:
            if start < hi and end > lo:
                window.stylize(highlight, max(start, lo) - lo, min(end, hi) - lo)
        return window

    if len(text) <= budget:
        whole = styled(0, len(text))
        if _rows(whole, width) <= rows:
            return whole, False

    def cut(lo: int, hi: int):
        line = Text()
        if lo > 0:
            # Its own row: rich would start the long unbroken window on the next row in any case.
            line.append(f"{lo:,} characters before\n", style="dim")
            line.append("…", style=style)
        line.append_text(styled(lo, hi))
        if hi < len(text):
            line.append("…", style=style)
            line.append(f" {len(text) - hi:,} more characters", style="dim")
        return line

    def fill(lo: int):
        hi = min(len(text), lo + budget)
        while True:
            line = cut(lo, hi)
            wrapped = line.wrap(_measure(width), width)
            if len(wrapped) <= rows or hi - lo <= 1:
                return hi, line
            # Give back what spilled over (marks included); one or two rounds are enough.
            hi = max(lo + 1, hi - sum(len(row) for row in wrapped[rows:]))

    hi, line = fill(0)
    if focus is not None and focus[1] > hi:
        # The span a quarter of the way into the window, so it is seen in its context; near the end
        # of the text the window ends with the text instead, so that it still fills its rows.
        held = hi
        lo = max(0, min(focus[0] - held // 4, len(text) - held))
        hi, line = fill(lo)
        if hi < focus[1]:
            # The row that counts the characters before took room: move on by what is missing and
            # a row more, but never past the start of the span.
            hi, line = fill(min(focus[0], lo + focus[1] - hi + width))
    return line, True


def _measure(width: int):
    """A console that only measures: it wraps text as the screen's console does at this width."""
    import io

    from rich.console import Console

    cached = _MEASURE.get(width)
    if cached is None:
        cached = _MEASURE[width] = Console(width=width, file=io.StringIO(), highlight=False)
    return cached


_MEASURE: dict = {}


def _rows(line, width: int) -> int:
    return len(line.wrap(_measure(width), width))


def crop(text: str, cells: int, start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` cut to at most ``cells`` cells, ending in "…" when cut.

    Only as many characters as could fit are sliced and measured, so a span of millions of
    characters costs no more than a short one."""
    from rich.cells import cell_len, chop_cells

    end = len(text) if end is None else end
    cells = max(1, cells)
    head = text[start:min(end, start + cells + 1)]
    if start + len(head) == end and cell_len(head) <= cells:
        return head
    kept = chop_cells(head, cells - 1) if cells > 1 else []
    return (kept[0] if kept else "") + "…"


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
        if step.task == "entities":
            shown = "–" if value is None else plural(len(value['spans']), 'span')
        else:
            shown = "–" if value is None else value["label"]
        name = step.target if step.task == "stance" else step.title()
        style = "bold underline" if index == model.step_index and model.mode != "done" else ""
        line.append(f"{name}: ", style=style)
        line.append(shown, style="green" if value is not None else "dim")
        if index + 1 < len(model.steps):
            line.append("  ·  ", style="dim")
    return line


def _span_lines(model: SessionModel, config, width: int, rows: int = 3):
    """The numbered spans, at most ``rows`` rows of them; the rest are counted."""
    from rich.text import Text

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
    if model.mode == "entity_label" or step.task == "entities":
        if model.mode == "entity_label":
            line.append(f"label for {_surfaces(model.sentence['text'], model.pending, max(10, width - 20))}: ",
                        style="bold")
        else:
            line.append("entities: / to find a span, then its label key", style="bold")
            return line
        for key, label in config.keys("entities").items():
            line.append(f"[{key}]", style=f"bold {_label_colour(config, label)}")
            line.append(f" {label}  ")
        return line
    line.append(f"{step.title()}: ", style="bold")
    current = model.current(step.slot)
    for key, label in config.keys(step.task).items():
        chosen = current is not None and current.get("label") == label
        line.append(f"[{key}]", style="bold cyan")
        line.append(f" {label}  ", style="reverse" if chosen else "")
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


def _render_help(model: SessionModel):
    from rich.console import Group
    from rich.text import Text

    config = model.workspace.config
    lines = [Text("Keys", style="bold"),
             Text("  label key   answer the question shown (no Enter needed)"),
             Text("  Enter       keep the current answer and go on; in entities: done with this sentence"),
             Text("  u           undo the last answer (recorded as a new event, nothing is deleted)"),
             Text("  s / →       skip to the next unfinished sentence"),
             Text("  b / ←       back to the previous question or sentence"),
             Text("  /           entities: find a span by its text (or START:END), then press its label key"),
             Text("  x           entities: remove a span by its number"),
             Text("  q           quit; every answer is already saved, starting again resumes"),
             Text("")]
    step = model.step
    lines.append(Text(f"Labels for {step.title()}", style="bold"))
    for spec in config.label_specs(step.task):
        lines.append(Text(f"  [{spec['key']}] {spec['name']}: {spec.get('description', '')}"))
    lines.append(Text(""))
    lines.append(Text("Press any key to go back.", style="dim"))
    return Group(*lines)


class Terminal:
    """Raw keyboard input and full-screen redraws on a tty."""

    def __init__(self, input_fd: int | None = None, output=None):
        from rich.console import Console

        self.input_fd = sys.stdin.fileno() if input_fd is None else input_fd
        self.output = output or sys.stdout
        self.console = Console(file=self.output, highlight=False)
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.resized = False
        self.saved = None
        self.previous_handlers: dict[int, object] = {}

    def __enter__(self):
        self.saved = termios.tcgetattr(self.input_fd)
        tty.setcbreak(self.input_fd)
        self.output.write("\x1b[?1049h\x1b[?25l")  # alternate screen, hide cursor
        self.output.flush()
        # The caller's handlers come back on exit (the library may run inside a notebook or an app).
        self.previous_handlers = {signal.SIGWINCH: signal.signal(signal.SIGWINCH, self._on_resize),
                                  signal.SIGTERM: signal.signal(signal.SIGTERM, self._on_terminate)}
        return self

    def __exit__(self, *exc_info):
        self.output.write("\x1b[?25h\x1b[?1049l")
        self.output.flush()
        if self.saved is not None:
            termios.tcsetattr(self.input_fd, termios.TCSADRAIN, self.saved)
        for number, handler in self.previous_handlers.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        return False

    def _on_resize(self, signum, frame):
        self.resized = True

    def _on_terminate(self, signum, frame):
        raise SystemExit(128 + signum)

    def size(self) -> tuple[int, int]:
        try:
            size = os.get_terminal_size(self.output.fileno())
            return size.columns, size.lines
        except (OSError, ValueError, AttributeError):
            return 80, 24

    def draw(self, renderable) -> None:
        width, _ = self.size()
        self.console.width = width
        with self.console.capture() as capture:
            self.console.print(renderable)
        # One write per frame: home, clear, draw.
        self.output.write("\x1b[H\x1b[2J" + capture.get())
        self.output.flush()

    def read_key(self, on_resize) -> str:
        """Block for the next key; call ``on_resize`` while waiting if the terminal is resized."""
        while True:
            ready, _, _ = select.select([self.input_fd], [], [], 0.25)
            if self.resized:
                self.resized = False
                on_resize()
            if not ready:
                continue
            data = os.read(self.input_fd, 1)
            if not data:
                return "q"  # end of input
            if data == b"\x1b":
                return self._escape_sequence()
            if data in (b"\r", b"\n"):
                return ENTER
            if data in (b"\x7f", b"\x08"):
                return BACKSPACE
            if data == b"\x04":
                return "q"
            text = self.decoder.decode(data)
            while not text:  # the rest of a multi-byte character (e.g. Japanese input)
                text = self.decoder.decode(os.read(self.input_fd, 1))
            return text

    def _escape_sequence(self) -> str:
        ready, _, _ = select.select([self.input_fd], [], [], 0.03)
        if not ready:
            return ESCAPE
        sequence = b""
        while True:
            ready, _, _ = select.select([self.input_fd], [], [], 0.03)
            if not ready:
                break
            byte = os.read(self.input_fd, 1)
            sequence += byte
            if len(sequence) > 1 and 0x40 <= byte[0] <= 0x7E:
                break
        return _ESCAPE_NAMES.get(sequence[-1:].decode("ascii", "replace"), ESCAPE) if sequence else ESCAPE


def run_session(model: SessionModel, terminal: Terminal | None = None) -> str:
    """Run the session until the annotator quits; return a one-line summary."""
    terminal = terminal or Terminal()
    timing = os.environ.get("TAGLINE_SESSION_TIMING")  # benchmarks: print per-key handling time
    with terminal:
        def redraw():
            width, height = terminal.size()
            terminal.draw(render(model, width, height))

        redraw()
        while not model.finished:
            key = terminal.read_key(redraw)
            started = time.perf_counter()
            model.handle_key(key)
            if model.finished:
                break
            redraw()
            if timing:
                terminal.output.write(f"\x1b[999;1H[frame {1000 * (time.perf_counter() - started):.2f} ms]")
                terminal.output.flush()
    return model.summary()


class AdjudicationSession:
    """Contested questions, one at a time, each decided with one key; s skips, q quits. Each decision
    is written the moment it is made.

    For a label question (claim type, stance) the keys are the labels' own keys, the same as when
    annotating: the key of an annotator's answer picks it, any other label key gives a fresh label.
    For entities, where each answer is a span list, the answers are numbered 1, 2, ...
    """

    def __init__(self, workspace, items, adjudicator: str):
        self.workspace = workspace
        self.items = items
        self.adjudicator = adjudicator
        self.position = 0
        self.decided = 0
        self.message = ""
        self.finished = not items
        self.texts = {s["id"]: s["text"] for s in workspace.iter_sentences()
                      if s["id"] in {item.sentence_id for item in items}}

    def choices(self, item) -> tuple[list[tuple[str, dict, list[str]]], list[tuple[str, dict]]]:
        """``(answers, fresh)``: the annotators' answers as ``(key, value, annotators)``, and the
        other labels a label question can be given as ``(key, value)``."""
        options = item.options()
        if item.task == "entities":
            keys = _spare_keys(set())
            return [(next(keys), value, annotators) for value, annotators in options], []
        label_keys = {label: key for key, label in self.workspace.config.keys(item.task).items()}
        spare = _spare_keys(set(label_keys.values()))
        answers = [(label_keys.get(value["label"]) or next(spare), value, annotators) for value, annotators in options]
        given = {value["label"] for value, _ in options}
        fresh = [(key, {"target": item.target, "label": label} if item.task == "stance" else {"label": label})
                 for label, key in label_keys.items() if label not in given]
        return answers, fresh

    def handle_key(self, key: str) -> None:
        from tagline.annotate.gold import record_decision

        self.message = ""
        item = self.items[self.position]
        if key == "q":
            self.finished = True
            return
        if key in ("s", RIGHT):
            self._advance()
            return
        if key == "?":
            self.message = ("the key in [ ] before an answer gives that answer as gold; s skips the question, "
                            "q quits (every decision is already saved)")
            return
        answers, fresh = self.choices(item)
        value = next((value for choice, value, *_ in answers + fresh if choice == key), None)
        if value is None:
            self.message = f"'{key}' is not a choice here"
            return
        record_decision(self.workspace, item, value, self.adjudicator)
        self.decided += 1
        self.items.pop(self.position)
        if not self.items:
            self.finished = True
        elif self.position >= len(self.items):
            self.position = 0

    def _advance(self) -> None:
        self.position = (self.position + 1) % len(self.items)

    def render(self, width: int, height: int):
        from rich.console import Group
        from rich.text import Text

        width = max(1, width)
        item = self.items[self.position]
        header = Text(f"tagline adjudicate · {self.adjudicator} · {item.sentence_id} · {item.name} "
                      f"({len(self.items)} left, {self.decided} decided)", style="bold")
        sentence = self.texts.get(item.sentence_id, "(sentence not found)")
        lines = []
        answers, fresh = self.choices(item)
        for key, value, annotators in answers:
            line = Text(f"[{key}] ", style="bold cyan")
            line.append(_answer_text(item.task, value, width))
            line.append(f"   ← {', '.join(annotators)}", style="dim")
            lines.append(line)
        if fresh:
            other = Text("or another label: ", style="dim")
            for key, value in fresh:
                other.append(f"[{key}]\u00a0{value['label']}  ")  # no break between a key and its label
            lines.append(other)
        lines.append(Text(self.message, style="yellow"))
        lines.append(Text("press the key in [ ] to decide · s skip · q quit · ? help (decisions are saved as you go)",
                          style="dim"))
        why = Text(f"why: {item.reason}", style="dim")
        room = height - 1 - sum(_rows(line, width) for line in [header, why, *lines]) - 2
        if room >= 1:
            text, cut = fit_sentence(sentence, width, room)
            if not cut:
                return Group(header, Text(""), text, Text(""), why, *lines)
        # When the sentence does not fit, the blank lines and the reason go first, then the sentence
        # is cut, so the header and every choice stay on the screen (the last row is left for the cursor).
        if not self.message:
            lines = [line for line in lines if line.plain]  # the empty message row goes too
        used = sum(_rows(line, width) for line in [header, *lines])
        text, _ = fit_sentence(sentence, width, max(1, height - 1 - used))
        return Group(header, text, *lines)


def _answer_text(task: str, value: dict, width: int, rows: int = 3) -> str:
    """An answer as :func:`describe` words it, in at most about ``rows`` rows: each span's text
    cut to a row, and spans past the rows counted rather than listed."""
    from rich.cells import cell_len

    from tagline.annotate.answers import describe

    spans = value.get("spans") if task == "entities" else None
    if not spans:
        return describe(task, value, offsets=True)
    shown, used = [], 0
    for span in spans:
        if used > rows * width - width // 2:
            break
        shown.append({**span, "text": crop(span["text"], max(10, width // 2))})
        used += cell_len(describe(task, {"spans": shown[-1:]}, offsets=True)) + 2
    words = describe(task, {"spans": shown}, offsets=True)
    return words if len(shown) == len(spans) else f"{words}, … {plural(len(spans) - len(shown), 'more span')}"


def _spare_keys(taken: set[str]):
    """Keys for answers that have no label key of their own: digits, then letters, none reserved."""
    from tagline.corpus.config import RESERVED_KEYS

    for key in "123456789abcdefghijklmnopqrstuvwxyz":
        if key not in taken and key not in RESERVED_KEYS:
            yield key


def run_adjudication(session: AdjudicationSession, terminal: Terminal | None = None) -> None:
    terminal = terminal or Terminal()
    if session.finished:
        return
    with terminal:
        def redraw():
            width, height = terminal.size()
            terminal.draw(session.render(width, height))

        redraw()
        while not session.finished:
            session.handle_key(terminal.read_key(redraw))
            if not session.finished:
                redraw()
