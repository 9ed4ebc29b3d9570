"""Annotation speed through a real pseudo-terminal: keystrokes per sentence and key-to-screen latency.

Replays the sample's gold annotations through `tagline annotate` as a person would type them
(stance keys, claim key, each entity as / TEXT Enter [occurrence] label-key, then Enter), and
times every key press until the screen it causes has been drawn. The baseline, measured in the same
run, is the round trip of one key through `cat` on a pseudo-terminal (the floor any terminal
program pays here). Target: median key-to-screen time under 50 ms.

    python benchmarks/annotate_speed.py [--sentences 77]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import pexpect

from tagline.annotate.events import fold_events
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=77)
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="tagline-speed-")
    workspace = init_workspace(root, sample=True)
    gold = fold_events(read_records(workspace.annotation_path(SAMPLE_ANNOTATOR)))
    sentences = list(workspace.iter_sentences())[: args.sentences]
    config = workspace.config
    key_of = {task: {label: key for key, label in config.keys(task).items()} for task in config.tasks}

    env = {**os.environ, "TERM": "xterm-256color", "TAGLINE_WORKSPACE": str(workspace.root)}
    started = time.perf_counter()
    child = pexpect.spawn(sys.executable, ["-m", "tagline", "annotate", "--annotator", "bench"],
                          env=env, dimensions=(24, 80), encoding="utf-8", timeout=30)
    child.delaybeforesend = None
    child.expect_exact(f"({1}/{len(list(workspace.iter_sentences()))})")
    startup = time.perf_counter() - started
    total = len(list(workspace.iter_sentences()))
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
    baseline = echo_baseline()
    base = statistics.median(baseline)

    def row(name, samples):
        median = statistics.median(samples)
        p95 = sorted(samples)[int(0.95 * (len(samples) - 1))]
        print(f"{name:<34}{len(samples):>6}{median * 1000:>10.1f}{p95 * 1000:>10.1f}{median / base:>9.1f}")

    print(f"sentences annotated: {len(sentences)}  (answers identical to the gold: {same}/{len(sentences)})")
    print(f"session start-up to first screen: {startup * 1000:.0f} ms")
    print(f"keystrokes per sentence: {keystrokes / len(sentences):.2f} with entities typed in full, "
          f"{label_keystrokes / len(sentences):.2f} for stance x{len(config.targets)} + claim type + Enter")
    print(f"{'key -> screen drawn':<34}{'n':>6}{'median ms':>10}{'p95 ms':>10}{'x echo':>9}")
    row("pty echo through cat (baseline)", baseline)
    row("label key -> next question", label_samples)
    row("Enter -> next sentence", next_sentence_samples)
    verdict = statistics.median(next_sentence_samples) < 0.050
    print(f"target: next sentence drawn in under 50 ms (median): {'met' if verdict else 'NOT met'}")


if __name__ == "__main__":
    main()
