"""Annotation speed through a real pseudo-terminal: keystrokes per sentence and key-to-screen latency.

Replays the sample's gold annotations through `tagline annotate` as a person would type them
(stance keys, claim key, each entity as / TEXT Enter [occurrence] label-key, then Enter), and
times every key press until the screen it causes has been drawn. The baseline, measured in the same
run, is the round trip of one key through `cat` on a pseudo-terminal (the floor any terminal
program pays here). Target: median key-to-screen time under 50 ms.

A second case opens a workspace whose one sentence is --giant-chars characters long (Japanese, so
every character is two cells wide) and times the first screen and every key: label keys, undo,
and finding a span in the middle of the sentence. Only what fits the terminal is drawn, so these
should cost what they cost on the sample; --giant-chars 0 leaves the case out.

A third case annotates the second half of the sample with a model's suggestions on: the built-in
model trained on the first half (the gold and the annotator's answers there), and a predictions
file that is right everywhere. A simulated annotator who knows the gold answers takes a sentence
with Space when every suggestion is right, a question with Enter when its suggestion is right, and
types the rest (a label key; for spans: a number to turn a wrong suggested span off, / TEXT Enter
label-key for a missing one). It reads each sentence for --think seconds before its first key, as a
person would, while the next sentences' suggestions are made. The session opens as the terminal
opens it: the first sentence is shown once its suggestions are ready (the builtin model's first
training), at most FIRST_SUGGESTIONS_WAIT seconds later. Counted: keys per sentence (against typing
everything, the first case), the share of sentences whose suggestions were ready when shown (and,
for each one that was not, why: not asked for ahead, the first model still training, or the
request still queued), the time from the start to the first sentence, and the time to handle a key
and draw the screen with suggestions on. The key count is made on the session model. Through the
real pseudo-terminal, for both sources: Space on every sentence after --think seconds, timed to
the next sentence's screen, and whether each sentence's first screen showed a suggestion.

    python benchmarks/annotate_speed.py [--sentences 77] [--giant-chars 9000000] [--giant-keys 40] [--think 1.0]
"""

from __future__ import annotations

import argparse
import io
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter

import pexpect

from tagline.annotate.events import fold_events
from tagline.corpus.config import SAMPLE_TARGETS
from tagline.corpus.ingest import add_documents
from tagline.corpus.sample import SAMPLE_ANNOTATOR
from tagline.corpus.store import read_records
from tagline.corpus.workspace import init_workspace


def timed(child, key: str, expected: str, samples: list[float]) -> None:
    started = time.perf_counter()
    child.send(key)
    child.expect_exact(expected)
    samples.append(time.perf_counter() - started)


def echo_baseline(rounds: int = 200) -> list[float]:
    child = pexpect.spawn("cat", encoding="utf-8", timeout=10)
    child.delaybeforesend = None  # pexpect sleeps 50 ms before each send by default
    samples = []
    for i in range(rounds):
        marker = f"k{i:04d}"
        started = time.perf_counter()
        child.send(marker)
        child.expect_exact(marker)
        samples.append(time.perf_counter() - started)
    child.sendeof()
    child.close()
    return samples


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    ordered = sorted(samples)
    return 1000 * statistics.median(ordered), 1000 * ordered[math.ceil(0.95 * len(ordered)) - 1]  # nearest rank


def spawn_session(workspace, dimensions=(24, 80)):
    env = {**os.environ, "TERM": "xterm-256color", "TAGLINE_WORKSPACE": str(workspace.root)}
    # A large maxread keeps pexpect's own reading cheap when a frame is large (as it was before the
    # sentence was windowed), so the figures are the program's and not the harness's.
    child = pexpect.spawn(sys.executable, ["-m", "tagline", "annotate", "--annotator", "bench"],
                          env=env, dimensions=dimensions, encoding="utf-8", timeout=600, maxread=1 << 16)
    child.delaybeforesend = None
    return child


def drawing_time(workspace) -> float:
    """Median seconds to make and print a session's first screen (80 x 24) in this process: the
    drawing alone, without the start-up and the reading of the sentences the pty figure includes.
    The first of six draws (rich warming up) is left out."""
    from rich.console import Console

    from tagline.annotate.session import SessionModel
    from tagline.annotate.terminal import render

    model = SessionModel.open(workspace, "bench-draw")
    console = Console(width=80, file=io.StringIO(), highlight=False)
    samples = []
    for _ in range(6):
        started = time.perf_counter()
        with console.capture():
            console.print(render(model, 80, 24))
        samples.append(time.perf_counter() - started)
    return statistics.median(samples[1:])


def sample_case(sentence_count: int) -> dict:
    root = tempfile.mkdtemp(prefix="tagline-speed-")
    workspace = init_workspace(root, sample=True)
    gold = fold_events(read_records(workspace.annotation_path(SAMPLE_ANNOTATOR)))
    sentences = list(workspace.iter_sentences())[:sentence_count]
    config = workspace.config
    key_of = {task: {label: key for key, label in config.keys(task).items()} for task in config.tasks}

    total = len(list(workspace.iter_sentences()))
    drawing = drawing_time(workspace)
    started = time.perf_counter()
    child = spawn_session(workspace)
    child.expect_exact(f"(1/{total})")
    startup = time.perf_counter() - started
    label_samples: list[float] = []
    next_sentence_samples: list[float] = []
    keystrokes = label_keystrokes = 0
    for number, sentence in enumerate(sentences, 1):
        answers = gold[sentence["id"]]
        for target in config.targets:
            label = answers[("stance", target)]["label"]
            timed(child, key_of["stance"][label], "▶", label_samples)
            keystrokes += 1
            label_keystrokes += 1
        timed(child, key_of["claim_type"][answers[("claim_type", None)]["label"]], "entities: / to find", label_samples)
        keystrokes += 1
        label_keystrokes += 1
        text = sentence["text"]
        for span in answers[("entities", None)]["spans"]:
            surface = span["text"]
            child.send("/")
            child.send(surface)
            child.send("\r")
            keystrokes += 2 + len(surface)
            occurrences = [i for i in range(len(text)) if text.startswith(surface, i)]
            if len(occurrences) > 1:
                child.expect_exact("which one?")
                child.send(str(occurrences.index(span["start"]) + 1) if len(occurrences) <= 9 else "a")
                keystrokes += 1
            child.expect_exact(f"label for {surface}")
            timed(child, key_of["entities"][span["label"]], "added", label_samples)
            keystrokes += 1
        expected = "All" if number == total else f"({number + 1}/{total})"
        timed(child, "\r", expected, next_sentence_samples)
        keystrokes += 1
        label_keystrokes += 1
    child.send("q")
    child.expect(pexpect.EOF)

    written = fold_events(read_records(workspace.annotation_path("bench")))
    same = sum(1 for s in sentences if written.get(s["id"]) == gold[s["id"]])
    return {"sentences": len(sentences), "same": same, "startup": startup, "drawing": drawing,
            "targets": len(config.targets),
            "keystrokes": keystrokes, "label_keystrokes": label_keystrokes, "label": label_samples,
            "next_sentence": next_sentence_samples}


def giant_case(chars: int, keys: int) -> dict:
    """First screen and key-to-screen times on a workspace whose one sentence has ``chars`` characters.

    The sentence is Japanese with one 米国 in the middle (found with /), so the find, the label
    prompt and the highlighted span all sit far from the start of the sentence."""
    root = tempfile.mkdtemp(prefix="tagline-giant-")
    workspace = init_workspace(root, targets=list(SAMPLE_TARGETS))  # the keys below answer the sample's targets
    half = (chars - 3) // 2
    source = os.path.join(root, "giant.txt")
    with open(source, "w", encoding="utf-8") as handle:
        handle.write("あ" * half + "米国" + "あ" * (chars - 3 - half) + "。\n")
    started = time.perf_counter()
    add_documents(workspace, [source])
    ingest = time.perf_counter() - started
    (sentence,) = workspace.iter_sentences()
    drawing = drawing_time(workspace)

    started = time.perf_counter()
    child = spawn_session(workspace)
    child.expect_exact("(1/1)")
    child.expect_exact("Enter keep")  # the last row: the whole first frame is on the screen
    first_screen = time.perf_counter() - started
    label_samples: list[float] = []
    undo_samples: list[float] = []
    for _ in range(max(1, keys // 2)):
        timed(child, "f", "stance toward US AI policy", label_samples)
        timed(child, "u", "undone: stance toward DeepSeek", undo_samples)
    entity_samples: list[float] = []
    for key, expected in (("f", "stance toward US AI policy"), ("n", "not_claim"), ("0", "entities: / to find")):
        timed(child, key, expected, label_samples)
    child.send("/")
    child.expect_exact("find (text")
    child.send("米国")
    timed(child, "\r", "label for 米国", entity_samples)
    timed(child, "o", "added 1 ORG span", entity_samples)
    child.send("q")
    child.expect(pexpect.EOF)
    return {"chars": len(sentence["text"]), "ingest": ingest, "first_screen": first_screen, "drawing": drawing,
            "label": label_samples, "undo": undo_samples, "entity": entity_samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=77)
    parser.add_argument("--giant-chars", type=int, default=9_000_000,
                        help="length of the one sentence of the second case (0: leave the case out)")
    parser.add_argument("--giant-keys", type=int, default=40, help="label and undo keys timed in the second case")
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds the simulated annotator reads a sentence in the suggestions case (0: leave it out)")
    args = parser.parse_args()

    sample = sample_case(args.sentences)
    giant = giant_case(args.giant_chars, args.giant_keys) if args.giant_chars else None
    baseline = echo_baseline()
    base = statistics.median(baseline)

    def row(name, samples):
        median, p95 = percentiles(samples)
        print(f"{name:<34}{len(samples):>6}{median:>10.1f}{p95:>10.1f}{median / 1000 / base:>9.1f}")

    sentences = sample["sentences"]
    print(f"sentences annotated: {sentences}  (answers identical to the gold: {sample['same']}/{sentences})")
    print(f"session start-up to first screen: {sample['startup'] * 1000:.0f} ms "
          f"(drawing a screen: {sample['drawing'] * 1000:.1f} ms)")
    print(f"keystrokes per sentence: {sample['keystrokes'] / sentences:.2f} with entities typed in full, "
          f"{sample['label_keystrokes'] / sentences:.2f} for stance x{sample['targets']} + claim type + Enter")
    print(f"{'key -> screen drawn':<34}{'n':>6}{'median ms':>10}{'p95 ms':>10}{'x echo':>9}")
    row("pty echo through cat (baseline)", baseline)
    row("label key -> next question", sample["label"])
    row("Enter -> next sentence", sample["next_sentence"])
    if giant:
        print(f"\ngiant sentence: {giant['chars']:,} characters, ingested in {giant['ingest']:.1f} s")
        print(f"session start-up to first screen: {giant['first_screen'] * 1000:.0f} ms "
              f"(drawing a screen: {giant['drawing'] * 1000:.1f} ms; sample: {sample['startup'] * 1000:.0f} ms)")
        print(f"{'key -> screen drawn':<34}{'n':>6}{'median ms':>10}{'p95 ms':>10}{'x echo':>9}")
        row("label key -> next question", giant["label"])
        row("u -> undone", giant["undo"])
        row("find Enter, label key -> drawn", giant["entity"])
        row("every key (giant)", giant["label"] + giant["undo"] + giant["entity"])
        row("every key (sample)", sample["label"] + sample["next_sentence"])
    print(f"target: next sentence drawn in under 50 ms (median): "
          f"{'met' if statistics.median(sample['next_sentence']) < 0.050 else 'NOT met'}")
    if giant:
        every = giant["label"] + giant["undo"] + giant["entity"]
        print(f"target: every key on the giant sentence drawn in under 50 ms (p95): "
              f"{'met' if percentiles(every)[1] < 50 else 'NOT met'}")
    if args.think:
        print_suggestion_cases(args.think, sample["keystrokes"] / sentences)



# ----- with suggestions ------------------------------------------------------------------------
def _half_workspace():
    """The sample with gold and the annotator 'bench''s answers for its first half only; the second
    half is to be annotated."""
    from tagline.corpus.store import append_records

    root = tempfile.mkdtemp(prefix="tagline-suggest-")
    workspace = init_workspace(root, sample=True)
    sentences = list(workspace.iter_sentences())
    first_half = {s["id"] for s in sentences[:len(sentences) // 2]}
    gold = [r for r in read_records(workspace.gold_path) if r["sentence_id"] in first_half]
    events = [{**e, "annotator": "bench"} for e in read_records(workspace.annotation_path(SAMPLE_ANNOTATOR))
              if e["sentence_id"] in first_half]
    workspace.gold_path.unlink()
    workspace.annotation_path(SAMPLE_ANNOTATOR).unlink()
    append_records(workspace.gold_path, gold)
    append_records(workspace.annotation_path("bench"), events)
    truth = fold_events(read_records(os.path.join(os.path.dirname(__file__), "..", "src", "tagline", "samples",
                                                  "deepseek_ja.annotations.jsonl")))
    return workspace, sentences[len(sentences) // 2:], truth


def _perfect_file(workspace, sentences, truth) -> str:
    import json

    path = os.path.join(str(workspace.root), "..", "perfect.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        for sentence in sentences:
            answers = truth[sentence["id"]]
            for (task, target), value in answers.items():
                record = {"sentence_id": sentence["id"], "target": target} if task == "stance" else {"id": sentence["id"]}
                record.update({"entities": [{k: span[k] for k in ("start", "end", "label")} for span in value["spans"]]}
                              if task == "entities" else {"label": value["label"]})
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _keys_for_sentence(model, truth, key_of) -> list[str]:
    """What the simulated annotator presses for the sentence on screen, given what is suggested: first
    the key of each wrongly suggested question that a key can answer out of turn (a claim type, from
    a stance question), then the questions in turn, Enter for a right suggestion and a key for a
    wrong one, until every suggestion left is right: Space takes them all. Wrong spans are fixed
    with the token cursor, out of turn when questions are left (Tab, then Space in the cursor takes
    the spans and the rest)."""
    from tagline.annotate.answers import value_key

    answers = truth[model.sentence["id"]]
    steps = model.steps[model.step_index:]
    suggested = {step.slot: model.suggestion(step) for step in steps}

    def right(step) -> bool:
        offer = suggested[step.slot]
        return offer is not None and value_key(step.task, offer.value) == value_key(step.task, answers[step.slot])

    keys: list = []
    if steps[0].task != "entities":
        for step in steps[1:]:
            key = key_of[step.task].get(answers[step.slot].get("label")) if step.task != "entities" else None
            if key is not None and not right(step) and key not in model.label_keys() and \
                    model._question_for(key) == step:
                keys.append(("AHEAD", key))
    ahead = {step.slot for step in steps[1:] if step.task != "entities"} & {
        model._question_for(key[1]).slot for key in keys}
    steps = [step for step in steps if step.slot not in ahead]
    questions = [step for step in steps if step.task != "entities"]
    entities = next((step for step in steps if step.task == "entities"), None)
    last_wrong = max((number for number, step in enumerate(questions) if not right(step)), default=-1)
    for step in questions[:last_wrong + 1]:  # in turn up to the last wrong one
        label = answers[step.slot]["label"]
        keys.append("ENTER" if right(step) else key_of[step.task][label])
    rest = questions[last_wrong + 1:]
    if entities is None or right(entities):
        if rest or entities is not None:
            keys.append(" ")  # every suggestion left is right: Space takes them all
    elif rest:  # the entities fixed out of turn (Tab), and Space in the cursor takes the rest
        keys.append(("ENTITIES", *_span_fixes(suggested[entities.slot], answers[entities.slot])))
    else:  # on the entities question: numbers turn suggested spans off, the cursor marks the others
        toggles, missing = _span_fixes(suggested[entities.slot], answers[entities.slot])
        if missing:
            keys.append(("HERE", toggles, missing))
        else:
            keys += [("TOGGLE", number) for number in toggles] + ["ENTER"]
    return keys


def _fewest_fix_keys(model, toggles, missing, last):
    """The shorter of two ways to fix the spans in the cursor, ending with ``last``: turning off every
    wrong suggested span by its number, or only those no missing span overlaps (marking a span
    replaces the ones it overlaps). Returns the keys and how many of them were numbers."""
    offered = [span for span, _, _ in model.offered_spans()]
    replaced = {str(n) for n, s in enumerate(offered, 1)
                if any(s["start"] < end and start < s["end"] for start, end, _ in missing)}
    plans = [(numbers, [*_cursor_keys(model, missing, numbers)[:-1], last])
             for numbers in (toggles, [n for n in toggles if n not in replaced])]
    numbers, keys = min(plans, key=lambda plan: len(plan[1]))
    return keys, len(numbers)


def _span_fixes(offer, right_answer) -> tuple[list[str], list]:
    """The numbers of the offered spans to turn off (wrong suggested ones) or on (right candidates),
    and the spans left to mark with the cursor."""
    def key(span):
        return span["start"], span["end"], span["label"]

    wanted = {key(s) for s in right_answer["spans"]}
    suggested = list(offer.value["spans"]) if offer is not None else []
    offered = suggested + (list(offer.candidates) if offer is not None else [])
    turned_on = [(n, s) for n, s in enumerate(offered, 1) if n > len(suggested) and n <= 9 and key(s) in wanted]
    # a candidate turned on turns off the suggested spans it overlaps: those need no key of their own
    toggles = [str(n) for n, s in enumerate(suggested, 1) if key(s) not in wanted and n <= 9 and not any(
        s["start"] < c["end"] and c["start"] < s["end"] for _, c in turned_on)] + [str(n) for n, _ in turned_on]
    have = {key(s) for s in suggested} | {key(c) for _, c in turned_on}
    return toggles, [key(s) for s in right_answer["spans"] if key(s) not in have]


def _cursor_keys(model, spans, toggles=()) -> list[str]:
    """Plan the keys that mark ``spans`` with the token cursor (Tab, the numbers of suggested spans to
    turn off, the arrows, + and -, a label key), then Enter, on a copy of what the model will do;
    the caller presses them."""
    import copy

    sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "tests", part) for part in ("", "annotate")]
    from test_token_cursor import cursor_keys

    from tagline.annotate.session import TAB

    rehearsal = copy.copy(model)
    rehearsal.feed = _QuietFeed(model.feed) if model.feed is not None else None
    rehearsal.answers = copy.deepcopy(model.answers)
    rehearsal.undo_stack = []
    rehearsal._record = _dry_record.__get__(rehearsal)  # plan without writing answers twice
    rehearsal.toggled, rehearsal.out_of_turn = set(model.toggled), set(model.out_of_turn)
    first = [TAB, *toggles] if toggles else []
    for key in first:
        rehearsal.handle_key(key)
    return first + cursor_keys(rehearsal, spans)


class _QuietFeed:
    """The session's suggestions as they are, for a rehearsal that must not count, ask or teach."""

    def __init__(self, feed):
        self._feed = feed
        self.failure = feed.failure

    def get(self, sentence_id):
        return self._feed.get(sentence_id)

    def ask(self, sentences):
        pass

    def note_shown(self, sentence_id):
        pass

    def learn(self, events):
        pass


def _dry_record(self, step, value, *, op="set", undoable=True):
    current = self.answers.setdefault(self.sentence["id"], {})
    if op == "set":
        current[step.slot] = value
    else:
        current.pop(step.slot, None)


def s0067_keys() -> tuple[int, int]:
    """Keys to mark the nine spans of s0067: with the token cursor, and typing each span's text."""
    sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "tests", part) for part in ("", "annotate")]
    from test_token_cursor import S0067, _at_entities, _gold_spans, cursor_keys

    workspace = init_workspace(tempfile.mkdtemp(prefix="tagline-s0067-"), sample=True)
    spans = _gold_spans(workspace, S0067)
    text = next(s["text"] for s in workspace.iter_sentences() if s["id"] == S0067)
    typed = 1  # Enter at the end
    for start, end, _ in spans:
        occurrences = [i for i in range(len(text)) if text.startswith(text[start:end], i)]
        typed += 3 + (end - start) + (len(occurrences) > 1)  # / TEXT Enter [which] label
    return len(cursor_keys(_at_entities(workspace, S0067), spans)), typed


def suggestion_case(source: str, think: float) -> dict:
    from tagline.annotate.session import ENTER, FIRST_SUGGESTIONS_WAIT, SessionModel
    from tagline.annotate.suggest import SuggestionFeed
    from tagline.annotate.terminal import render
    from tagline.eval.suggesters import open_suggester

    workspace, todo, truth = _half_workspace()
    spec = f"file:{_perfect_file(workspace, todo, truth)}" if source == "perfect" else source
    config = workspace.config
    key_of = {task: {label: key for key, label in config.keys(task).items()} for task in config.tasks}
    started = time.perf_counter()
    feed = SuggestionFeed(open_suggester(spec, workspace, annotator="bench"))
    model = SessionModel.open(workspace, "bench", feed=feed, wait_for_suggestions=FIRST_SUGGESTIONS_WAIT)
    while model.mode == "waiting":  # as the terminal does: the first sentence shows once its suggestions are
        model.view_state()
        time.sleep(0.1)
    first_shown = time.perf_counter() - started
    keys = 0
    kinds: Counter = Counter()  # what the keys were for
    handling: list[float] = []
    while model.mode != "done":
        time.sleep(think)  # reading the sentence
        sentence_id = model.sentence["id"]
        for key in _keys_for_sentence(model, truth, key_of):
            if isinstance(key, tuple) and key[0] in ("ENTITIES", "HERE"):  # Tab, numbers, the cursor, Space/Enter
                pressed, numbers = _fewest_fix_keys(model, key[1], key[2], " " if key[0] == "ENTITIES" else ENTER)
                kinds["turning offered spans off or on"] += numbers
                kinds["marking missing spans" + (" (out of turn)" if key[0] == "ENTITIES" else "")] += \
                    len(pressed) - numbers
            elif isinstance(key, tuple):
                pressed = _cursor_keys(model, key[1]) if key[0] == "CURSOR" else [key[1]]
                kinds[{"CURSOR": "marking missing spans", "TOGGLE": "turning offered spans off or on",
                       "AHEAD": "label keys out of turn"}[key[0]]] += len(pressed)
            else:
                pressed = [ENTER if key == "ENTER" else key]
                kinds[{"ENTER": "Enter", " ": "Space"}.get(key, "label keys")] += 1
            for each in pressed:
                began = time.perf_counter()
                model.handle_key(each)
                render(model, 100, 30)
                handling.append(time.perf_counter() - began)
                keys += 1
        if model.mode != "done" and model.sentence["id"] == sentence_id:
            raise RuntimeError(f"the simulated annotator did not finish {sentence_id}: {model.message}")
    elapsed = time.perf_counter() - started
    written = fold_events(read_records(workspace.annotation_path("bench")))
    same = sum(written.get(s["id"]) == truth[s["id"]] for s in todo)
    counts = {"sentences": len(todo), "same": same, "keys": keys, "kinds": kinds, "ready": feed.shown_ready,
              "shown": feed.shown, "misses": feed.misses, "first_shown": first_shown, "handling": handling,
              "elapsed": elapsed, "failure": feed.failure}
    feed.close()
    return counts


def suggestion_pty_case(source: str, think: float) -> dict:
    """Space through the real terminal, the annotator reading each sentence for ``think`` seconds
    first: the time from Space to the next sentence's screen, the time from the session's start to
    its first sentence (after the wait for its suggestions), and how many sentences' first screens
    already showed a suggestion."""
    workspace, todo, truth = _half_workspace()
    spec = f"file:{_perfect_file(workspace, todo, truth)}" if source == "perfect" else source
    env = {**os.environ, "TERM": "xterm-256color", "TAGLINE_WORKSPACE": str(workspace.root)}
    started = time.perf_counter()
    child = pexpect.spawn(sys.executable, ["-m", "tagline", "annotate", "--annotator", "bench", "--suggest", spec],
                          env=env, dimensions=(30, 120), encoding="utf-8", timeout=120, maxread=1 << 16)
    child.delaybeforesend = None
    total = 77
    first = len(truth) - len(todo) + 1
    frame = _frame(child)
    first_shown = time.perf_counter() - started
    config = workspace.config
    key_of = {task: {label: key for key, label in config.keys(task).items()} for task in config.tasks}
    samples: list[float] = []
    ready = 0
    for number in range(first, total):
        ready += "Enter takes it" in frame  # the sentence's first screen shows a suggestion
        while "Enter takes it" not in frame:
            frame = _frame(child)
        time.sleep(think)
        began = time.perf_counter()
        child.send(" ")
        frame = _frame(child)
        samples.append(time.perf_counter() - began)
        if f"({number + 1}/{total})" not in frame:  # questions the model has no answer to: typed
            answers = truth[todo[number - first]["id"]]
            for name in _open_questions(frame):
                slot = ("claim_type", None) if name == "claim type" else ("entities", None) if name == "entities" \
                    else ("stance", name)
                child.send("\r" if slot[0] == "entities" else key_of[slot[0]][answers[slot]["label"]])
            while f"({number + 1}/{total})" not in frame:
                frame = _frame(child)
    child.send("q")
    child.expect(pexpect.EOF)
    return {"space": samples, "ready": ready, "first_shown": first_shown}


def _frame(child) -> str:
    """The next whole screen the session draws (the last if several came), read up to its last line."""
    child.expect_exact("Space all")
    return child.before.rsplit("\x1b[H\x1b[2J", 1)[-1]


def _open_questions(screen: str) -> list[str]:
    """The questions the last answers line on ``screen`` shows without an answer (``–``), by name."""
    import re

    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
    line = plain[plain.rindex("answers: ") + len("answers: "):].split("\r\n", 1)[0]
    return [part.rsplit(":", 1)[0].strip() for part in line.split("·") if part.strip().endswith("–")]


def print_suggestion_cases(think: float, typed_keys_per_sentence: float) -> None:
    print(f"\nwith suggestions: the second half of the sample, the annotator reading {think:.1f} s per sentence")
    print(f"{'source':<38}{'keys/sentence':>14}{'ready':>9}{'same as gold':>14}{'p95 key ms':>12}")
    for source in ("builtin", "perfect"):
        case = suggestion_case(source, think)
        name = "builtin (trained on the first half)" if source == "builtin" else "a perfect predictions file"
        p95 = percentiles(case["handling"])[1]
        print(f"{name:<38}{case['keys'] / case['sentences']:>14.2f}{case['ready'] / max(1, case['shown']):>9.0%}"
              f"{case['same']:>8}/{case['sentences']:<5}{p95:>12.1f}")
        print("  keys: " + ", ".join(f"{kind} {count}" for kind, count in case["kinds"].most_common()))
        print(f"  first sentence shown {case['first_shown']:.1f} s after the session opened, "
              f"{case['ready']}/{case['shown']} sentences with their suggestions when shown")
        for sentence_id, why in case["misses"]:
            print(f"  not ready: {sentence_id}: {why}")
        if case["failure"]:
            print(f"  the source failed: {case['failure']}")
    print(f"{'typing everything (first case)':<38}{typed_keys_per_sentence:>14.2f}")
    cursor, typed = s0067_keys()
    print(f"s0067's nine spans: {cursor} keys with the token cursor, {typed} typing their texts (target <= 30)")
    print("through the terminal, Space on every sentence (target p95 <= 30 ms):")
    for source, name in (("builtin", "builtin"), ("perfect", "perfect file")):
        pty = suggestion_pty_case(source, think)
        median, p95 = percentiles(pty["space"])
        print(f"  {name}: Space -> next sentence drawn median {median:.1f} ms, p95 {p95:.1f} ms over "
              f"{len(pty['space'])} sentences; first sentence after {pty['first_shown']:.1f} s; "
              f"{pty['ready']}/{len(pty['space'])} first screens with a suggestion")


if __name__ == "__main__":
    main()
