"""The adjudication screen: contested questions one at a time, each decided with one key and
written the moment it is decided, and the loop that runs it."""

from __future__ import annotations

from tagline.annotate.session import ENTER, LEFT, RIGHT
from tagline.annotate.terminal.keys import Terminal
from tagline.annotate.terminal.window import append_option, crop, fit_sentence, row_count
from tagline.wording import plural


class AdjudicationSession:
    """Contested questions, one at a time, each decided with one key and written the moment it is
    decided; b goes back, u takes back the last decision, s skips, q quits.

    For a label question (claim type, stance) the keys are the labels' own keys, the same as when
    annotating: the key of an annotator's answer picks it, any other label key gives a fresh label.
    For entities every span any annotator marked is listed once, with who marked it; its key turns
    it on or off (those most annotators marked start on), and Enter makes the chosen spans gold.
    """

    def __init__(self, workspace, items, adjudicator: str):
        from tagline.annotate.gold import gold_view

        self.workspace = workspace
        self.items = list(items)
        self.adjudicator = adjudicator
        self.position = 0
        self.decided = 0
        self.message = ""
        self.finished = not self.items
        self.decisions: dict[int, dict] = {}  # item index -> the value decided here
        self.history: list[tuple[int, dict | None]] = []  # (item index, the gold record before) per decision
        self.chosen: dict[int, set[int]] = {}  # entities: the span numbers turned on, per item
        wanted = {item.sentence_id for item in self.items}
        sentences = list(workspace.iter_sentences())
        self.texts = {s["id"]: s["text"] for s in sentences if s["id"] in wanted}
        self.neighbours = _neighbours(sentences, wanted)
        view = gold_view(workspace, reopened=True)
        self._gold_before = {index: view.get((item.sentence_id, item.task, item.target))
                             for index, item in enumerate(self.items)}

    def undecided(self) -> list:
        """The questions still without a decision from this screen."""
        return [item for index, item in enumerate(self.items) if index not in self.decisions]

    def choices(self, item) -> tuple[list[tuple[str, dict, list[str]]], list[tuple[str, dict]]]:
        """``(answers, fresh)``: the annotators' answers as ``(key, value, annotators)``, and the
        other labels a label question can be given as ``(key, value)``. For entities, each answer
        is one span (``{"spans": [span]}``), listed once whoever marked it."""
        if item.task == "entities":
            keys = _spare_keys(set())
            # Past the last spare key a span keeps what the majority gave it (no key to turn it).
            return [(next(keys, ""), {"spans": [span]}, who) for span, who in _span_votes(item)], []
        options = item.options()
        label_keys = {label: key for key, label in self.workspace.config.keys(item.task).items()}
        spare = _spare_keys(set(label_keys.values()))
        answers = [(label_keys.get(value["label"]) or next(spare), value, annotators) for value, annotators in options]
        given = {value["label"] for value, _ in options}
        fresh = [(key, {"target": item.target, "label": label} if item.task == "stance" else {"label": label})
                 for label, key in label_keys.items() if label not in given]
        return answers, fresh

    def selected(self, index: int) -> set[int]:
        """Entities: the span numbers on for an item (at first, those more than half the annotators marked)."""
        if index not in self.chosen:
            item = self.items[index]
            majority = len(item.votes) / 2
            self.chosen[index] = {number for number, (_, who) in enumerate(_span_votes(item), 1)
                                  if len(who) > majority}
        return self.chosen[index]

    def handle_key(self, key: str) -> None:
        self.message = ""
        if key == "q":
            self.finished = True
            return
        if key in ("s", RIGHT):
            self._advance()
            return
        if key in ("b", LEFT):
            self.position = (self.position - 1) % len(self.items)
            return
        if key == "u":
            self._undo()
            return
        if key == "?":
            self.message = ("the key in [ ] gives that answer as gold (entities: turns a span on or off, Enter "
                            "decides); b back, u takes back the last decision, s skips, q quits (decisions are "
                            "saved as you go)")
            return
        item = self.items[self.position]
        if item.task == "entities":
            self._entity_key(item, key)
            return
        answers, fresh = self.choices(item)
        value = next((value for choice, value, *_ in answers + fresh if choice == key), None)
        if value is None:
            self.message = f"'{key}' is not a choice here"
            return
        self._decide(value)

    def _entity_key(self, item, key: str) -> None:
        answers, _ = self.choices(item)
        if key == ENTER:
            spans = [value["spans"][0] for number, (_, value, _) in enumerate(answers, 1)
                     if number in self.selected(self.position)]
            self._decide({"spans": sorted(spans, key=lambda span: (span["start"], span["end"]))})
            return
        number = next((number for number, (choice, *_) in enumerate(answers, 1) if choice and choice == key), None)
        if number is None:
            self.message = f"'{key}' is not a span here; Enter decides"
            return
        self.selected(self.position).symmetric_difference_update({number})

    def _decide(self, value: dict) -> None:
        from tagline.annotate.gold import record_decision

        index = self.position
        item = self.items[index]
        before = self._gold_before.get(index)
        written = record_decision(self.workspace, item, value, self.adjudicator)
        self.history.append((index, before))
        self._gold_before[index] = written
        if index not in self.decisions:
            self.decided += 1
        self.decisions[index] = value
        self._next_undecided()

    def _undo(self) -> None:
        from tagline.annotate.gold import undo_decision

        if not self.history:
            self.message = "no decision of this screen to take back"
            return
        index, before = self.history.pop()
        item = self.items[index]
        self._gold_before[index] = undo_decision(self.workspace, item, before, self.adjudicator)
        if not any(earlier == index for earlier, _ in self.history):
            self.decisions.pop(index, None)
            self.decided -= 1
        self.chosen.pop(index, None)
        self.position = index
        self.finished = False
        self.message = f"taken back: {item.name} of {item.sentence_id}"

    def _next_undecided(self) -> None:
        count = len(self.items)
        following = next((index % count for index in range(self.position + 1, self.position + count + 1)
                          if index % count not in self.decisions), None)
        if following is None:
            self.finished = True
        else:
            self.position = following

    def _advance(self) -> None:
        self.position = (self.position + 1) % len(self.items)

    def render(self, width: int, height: int):
        from rich.console import Group
        from rich.text import Text

        width = max(1, width)
        index = self.position
        item = self.items[index]
        left = len(self.items) - len(self.decisions)
        # One row, the counts before the question's name, which a long stance target may crop.
        header = Text(crop(f"tagline adjudicate · {self.adjudicator} · {left} left, {self.decided} decided · "
                           f"{item.sentence_id} · {item.name}", width), style="bold")
        sentence = self.texts.get(item.sentence_id, "(sentence not found)")
        lines = []
        answers, fresh = self.choices(item)
        on = self.selected(index) if item.task == "entities" else set()
        listed = max(2, height // 4) if item.task == "entities" else len(answers)
        for number, (key, value, annotators) in enumerate(answers, 1):
            if number > listed:
                kept = sum(1 for later in range(number, len(answers) + 1) if later in on)
                lines.append(Text(f"… {plural(len(answers) - number + 1, 'more span')} ({kept} on, as most "
                                  "annotators marked them)", style="dim"))
                break
            line = Text(f"[{key}] " if key else "    ", style="bold cyan")
            if item.task == "entities":
                line.append("on  " if number in on else "off ", style="bold green" if number in on else "dim")
            line.append(_answer_text(item.task, value, width))
            line.append(f"   ← {', '.join(annotators)}", style="dim")
            lines.append(line)
        if fresh:
            other = Text("or another label: ", style="dim")
            for key, value in fresh:  # a key and its label on one row
                append_option(other, key, "", value["label"], "", width)
            lines.append(other)
        if index in self.decisions:
            lines.append(Text(f"decided: {_answer_text(item.task, self.decisions[index], width)} "
                              "(a key decides again; u takes back the last decision)", style="green"))
        lines.append(Text(self.message, style="yellow"))
        enter = " · Enter decide" if item.task == "entities" else ""
        keys = f"[ ] decides{enter} · b back · u undo · s skip · q quit · ? help"
        saved = " (saved as you go)"  # said when it fits on the row
        lines.append(Text(keys + saved if len(keys + saved) <= width else keys, style="dim"))
        why = Text(f"why: {item.reason}", style="dim")
        highlights = [(span["start"], span["end"], "reverse") for number, (_, value, _) in enumerate(answers, 1)
                      for span in value.get("spans", []) if number in on]
        before, after = self.neighbours.get(item.sentence_id, ("", ""))
        context = [_context(before, width), _context(after, width)] if before or after else []
        room = height - 1 - sum(row_count(line, width) for line in [header, why, *lines, *context]) - 2
        if room >= 1:
            text, cut = fit_sentence(sentence, width, room, highlights=highlights)
            if not cut:
                return Group(header, *context[:1], Text(""), text, Text(""), *context[1:], why, *lines)
        # When the sentence does not fit, the neighbours, the blank lines and the reason go first, then
        # the sentence is cut, so the header and every choice stay on the screen (the last row is left
        # for the cursor).
        if not self.message:
            lines = [line for line in lines if line.plain]  # the empty message row goes too
        used = sum(row_count(line, width) for line in [header, *lines])
        text, _ = fit_sentence(sentence, width, max(1, height - 1 - used), highlights=highlights)
        return Group(header, text, *lines)


def _span_votes(item) -> list[tuple[dict, list[str]]]:
    """Every span any annotator marked for an entities question, once, with who marked it, in order."""
    who: dict[tuple[int, int, str], list[str]] = {}
    spans: dict[tuple[int, int, str], dict] = {}
    for annotator, value in sorted(item.votes.items()):
        for span in value.get("spans", []):
            key = (span["start"], span["end"], span["label"])
            spans.setdefault(key, span)
            who.setdefault(key, []).append(annotator)
    return [(spans[key], who[key]) for key in sorted(spans)]


def _neighbours(sentences: list[dict], wanted: set[str]) -> dict[str, tuple[str, str]]:
    """The sentences before and after each wanted one, within its document."""
    found = {}
    for position, sentence in enumerate(sentences):
        if sentence["id"] not in wanted:
            continue
        before = sentences[position - 1] if position > 0 else None
        after = sentences[position + 1] if position + 1 < len(sentences) else None
        found[sentence["id"]] = (before["text"] if before and before["doc_id"] == sentence["doc_id"] else "",
                                 after["text"] if after and after["doc_id"] == sentence["doc_id"] else "")
    return found


def _context(text: str, width: int):
    from rich.text import Text

    line = Text(crop(text, max(10, width - 1)) if text else "", style="dim")
    return line


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
