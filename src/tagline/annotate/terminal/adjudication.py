"""The adjudication screen: contested questions one at a time, each decided with one key and
written the moment it is decided, and the loop that runs it."""

from __future__ import annotations

from tagline.annotate.session import RIGHT
from tagline.annotate.terminal.keys import Terminal
from tagline.annotate.terminal.window import crop, fit_sentence, row_count
from tagline.wording import plural


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
        room = height - 1 - sum(row_count(line, width) for line in [header, why, *lines]) - 2
        if room >= 1:
            text, cut = fit_sentence(sentence, width, room)
            if not cut:
                return Group(header, Text(""), text, Text(""), why, *lines)
        # When the sentence does not fit, the blank lines and the reason go first, then the sentence
        # is cut, so the header and every choice stay on the screen (the last row is left for the cursor).
        if not self.message:
            lines = [line for line in lines if line.plain]  # the empty message row goes too
        used = sum(row_count(line, width) for line in [header, *lines])
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
