"""Agreement and adjudication at scale: `tagline annotate agree` and `annotate adjudicate` on N
sentences answered by three annotators, against reading the same answer files with msgspec alone.

The workspace is the one `benchmarks/build_1m.py` generates (Japanese sentences recombined from the
sample's, entities swapped for others of the same type), whose gold is then turned into three
annotators' answer files, written the way tagline writes events: every sentence gets a stance per
target, a claim type and its entities from each of ``alice``, ``bob`` and ``carol``, each
annotator changing the gold label of about one question in ten (another label, a span dropped, or
a span's label changed), so that agreement is high but not perfect and adjudication has majorities,
unanimous answers and contested questions to sort. The gold file is then removed, so adjudication
decides every question.

Then, each as a child process with its peak memory (the larger of its largest process's
``ru_maxrss`` and the memory of the command and its workers at once, sampled every 50 ms):

- ``msgspec``: decoding every line of the three answer files into typed event records with
  :func:`tagline.schemas.records.decode_record` (what reading them line by line costs);
- ``pyarrow``: reading the three answer files with ``pyarrow.json.read_json`` (the baseline: the
  least a columnar reader of them does; the ratios are to it);
- ``agree``: ``tagline annotate agree --json``, twice: the first run makes the caches of sentence
  ids and token offsets and the answers' folds (``build/index/``), the second reads them. With
  ``--keep-corpus-cache`` only the folds are removed first, so the first run reads the answer files
  with the corpus cached (``agree, answers read``: what agree costs after annotators add answers);
  adjudicate is then measured a second time with the folds removed (``adjudicate, answers read``);
- ``agree, answers added``: ``--added`` answers (1,000) appended to each annotator's file after
  ``agree again``, as tagline appends them (through the store's writer, ``append_records``, each a
  line of the file taken at random with its label or a span changed and a later time), then agree:
  with the folds saved, what agree costs after annotators answered some more;
- ``adjudicate``: ``tagline annotate adjudicate --json`` after them, as a user adjudicates after
  looking at agreement (the gold it writes is removed after each version, so each decides every
  question); then ``adjudicate, answers added``, as ``agree, answers added`` (more answers appended
  first).

Each row gives the wall time, the CPU time (user and system, all threads; the child's whole run)
and the peak memory. On a shared machine the wall time grows with the load; the CPU time much less.

With ``--compare-src DIR`` (a ``src`` folder of another version of tagline, e.g. from
``git archive``), agree and adjudicate are measured with it too, in the same run, on the same files.

Targets at 1,000,000 sentences: agree and adjudicate within 15 s and 2 GB each. Other processes on
the machine skew the times: the load average is printed, and only ratios within one run compare.

    python benchmarks/agreement_scale.py [--sizes 10000,100000] [--million] [--compare-src DIR]
        [--keep DIR [--keep-corpus-cache]] [--no-msgspec] [--added K]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_1m import TreePeak, generate  # noqa: E402

ANNOTATORS = ("alice", "bob", "carol")
CHANGE_RATE = 0.1
TARGET_SECONDS = 15.0
TARGET_BYTES = 2 * 10**9
NOW = "2026-11-28T10:00:00.000000Z"

ARROW = r"""
import resource, sys, time
import pyarrow.json as pj
started = time.perf_counter()
count = sum(pj.read_json(path).num_rows for path in sys.argv[1:])
print(count, time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""

BASELINE = r"""
import resource, sys, time
from tagline.schemas.records import decode_record
started = time.perf_counter()
count = 0
for path in sys.argv[1:]:
    with open(path, "rb") as handle:
        for line in handle:
            decode_record("event", line)
            count += 1
print(count, time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def _changed(task: str, value: dict, labels: dict[str, list[str]], rnd: random.Random) -> dict:
    """``value`` with one thing changed: another label, or a span dropped or relabelled."""
    if task != "entities":
        other = [label for label in labels[task] if label != value["label"]]
        return {**value, "label": rnd.choice(other)}
    spans = list(value["spans"])
    if not spans:
        return value
    index = rnd.randrange(len(spans))
    if rnd.random() < 0.5:
        del spans[index]
    else:
        other = [label for label in labels["entities"] if label != spans[index]["label"]]
        spans[index] = {**spans[index], "label": rnd.choice(other)}
    return {"spans": spans}


def write_answers(root: Path, seed: int = 11) -> list[Path]:
    """Turn the generated workspace's gold into three annotators' answer files; remove the gold."""
    from tagline.corpus.workspace import Workspace

    workspace = Workspace(root)
    config = workspace.config
    labels = {task: config.labels(task) for task in config.tasks}
    rnd = random.Random(seed)
    workspace.annotations_dir.mkdir(exist_ok=True)
    paths = [workspace.annotation_path(name) for name in ANNOTATORS]
    outs = [open(path, "wb", buffering=1 << 22) for path in paths]  # noqa: SIM115
    try:
        with open(workspace.gold_path, "rb") as gold:
            for line in gold:
                record = orjson.loads(line)
                for annotator, out in zip(ANNOTATORS, outs):
                    value = record["value"]
                    if rnd.random() < CHANGE_RATE:
                        value = _changed(record["task"], value, labels, rnd)
                    event = {"sentence_id": record["sentence_id"], "annotator": annotator, "time": NOW,
                             "task": record["task"], "op": "set", "value": value}
                    out.write(orjson.dumps(event) + b"\n")
    finally:
        for out in outs:
            out.close()
    workspace.gold_path.unlink()
    return paths


def append_answers(root: Path, count: int, rnd: random.Random) -> None:
    """Append ``count`` answers to each annotator's file as tagline appends them (the store's writer,
    one durable append a file): lines of the file taken at random, each with its label or a span
    changed and a later time."""
    from tagline.corpus.store import append_records
    from tagline.corpus.workspace import Workspace

    workspace = Workspace(root)
    labels = {task: workspace.config.labels(task) for task in workspace.config.tasks}
    for annotator in ANNOTATORS:
        path = workspace.annotation_path(annotator)
        size = path.stat().st_size
        events = []
        with open(path, "rb") as handle:
            for _ in range(count):
                handle.seek(rnd.randrange(size))
                handle.readline()  # the rest of the line the offset fell in
                line = handle.readline()
                if not line:
                    handle.seek(0)
                    line = handle.readline()
                event = orjson.loads(line)
                event["value"] = _changed(event["task"], event["value"], labels, rnd)
                events.append({**event, "time": "2026-12-07T10:00:00.000000Z"})
        append_records(path, events)


def measure(command: list[str], src: str | None = None) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds, peak memory (bytes) and the child's stdout (through a file, which a
    pipe's buffer would not take whole while the child is waited for). The peak is the larger of the
    largest process's (``ru_maxrss``, its waited-for workers included) and the whole process tree's
    at once (PSS summed over the command and its workers, sampled every 50 ms)."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        environment = {**os.environ, "PYTHONPATH": src} if src else None
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=environment)
        with TreePeak(child.pid) as tree:
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status):
            stderr.seek(0)
            sys.exit(f"{' '.join(command)} failed:\n{stderr.read().decode()[-3000:]}")
        stdout.seek(0)
        return wall, usage.ru_utime + usage.ru_stime, max(usage.ru_maxrss * 1024, tree.peak), stdout.read().decode()


def measure_size(scratch: Path, size: int, versions: list[tuple[str, str | None]], msgspec: bool = True,
                 keep_corpus_cache: bool = False, added: int = 1000) -> None:
    """Print the rows of one corpus size: the two readers, then agree and adjudicate per version."""
    pristine = scratch / f"ws-{size}"
    if not pristine.exists():
        generate(pristine, size)
        write_answers(pristine)
    paths = [str(pristine / "annotations" / f"{name}.jsonl") for name in ANNOTATORS]

    def row(first: str, case: str, wall: float, cpu: float, ratio: float, peak: int) -> None:
        print(f"{first:>21}{case:>33}{wall:>9.2f}{cpu:>8.2f}{ratio:>8.2f}{peak / 1e6:>9.0f}")

    if msgspec:
        wall, cpu, peak, out = measure([sys.executable, "-c", BASELINE, *paths])
        row(f"{size:>10,}{int(out.split()[0]):>11,}", "msgspec", float(out.split()[1]), cpu, float("nan"), peak)
    wall, cpu, peak, out = measure([sys.executable, "-c", ARROW, *paths])
    base = float(out.split()[1])
    row(f"{size:>10,}{int(out.split()[0]):>11,}" if not msgspec else "", "pyarrow read_json", base, cpu, 1.0, peak)
    tagline = [sys.executable, "-m", "tagline"]
    rnd = random.Random(size)
    for version, src in versions:
        cases = ["agree", "agree again", "agree, answers added"]
        if keep_corpus_cache:  # the corpus's caches kept: only the answers' folds are made again
            cases = ["agree, answers read", "agree again", "agree, answers added"]
            shutil.rmtree(pristine / "build" / "index" / "folds", ignore_errors=True)
        else:
            shutil.rmtree(pristine / "build" / "index", ignore_errors=True)
        for case in cases:
            if case.endswith("answers added"):
                append_answers(pristine, added, rnd)
            wall, cpu, peak, _ = measure([*tagline, "annotate", "agree", "--json", "--workspace", str(pristine)], src)
            row("", f"{case} ({version})", wall, cpu, wall / base, peak)
        adjudicate_cases = ["adjudicate", "adjudicate, answers added"] + \
            (["adjudicate, answers read"] if keep_corpus_cache else [])
        for case in adjudicate_cases:
            if case.endswith("answers added"):
                append_answers(pristine, added, rnd)
            if case.endswith("answers read"):
                shutil.rmtree(pristine / "build" / "index" / "folds", ignore_errors=True)
            try:
                wall, cpu, peak, _ = measure([*tagline, "annotate", "adjudicate", "--json", "--workspace",
                                              str(pristine)], src)
            finally:
                (pristine / "gold" / "gold.jsonl").unlink(missing_ok=True)
            row("", f"{case} ({version})", wall, cpu, wall / base, peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated sentence counts")
    parser.add_argument("--million", action="store_true", help="add 1,000,000 sentences to --sizes")
    parser.add_argument("--keep", type=Path, help="keep the generated workspaces under this folder")
    parser.add_argument("--compare-src", help="the src folder of another tagline to measure beside this one")
    parser.add_argument("--added", type=int, default=1000,
                        help="answers appended to each file before 'agree/adjudicate, answers added'")
    parser.add_argument("--no-msgspec", action="store_true", help="leave out decoding the files with msgspec")
    parser.add_argument("--keep-corpus-cache", action="store_true",
                        help="keep the sentence ids and token offsets cached in build/index (with --keep, from an "
                             "earlier run): the first agree then reads the answer files, with the corpus cached")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    if args.million:
        sizes.append(1_000_000)
    versions: list[tuple[str, str | None]] = [("this", None)]
    if args.compare_src:
        versions.append(("other", str(Path(args.compare_src).resolve())))
    print(f"Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")
    print(f"{'sentences':>10}{'events':>11}{'case':>33}{'seconds':>9}{'CPU s':>8}{'ratio':>8}{'peak MB':>9}")
    scratch = Path(args.keep or tempfile.mkdtemp(prefix="tagline-agreement-"))
    try:
        for size in sizes:
            measure_size(scratch, size, versions, msgspec=not args.no_msgspec, keep_corpus_cache=args.keep_corpus_cache,
                         added=args.added)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"ratio: wall time to reading the answer files with pyarrow.json.read_json (its seconds are the reading "
          f"alone, its CPU s the whole child's). agree and adjudicate are the whole "
          f"commands, start-up included; 'agree' makes the token cache, 'agree again' reads it; 'answers added': "
          f"{args.added:,} answers appended to each file first, the folds saved. Load average at the "
          f"end {os.getloadavg()[0]:.2f}. Targets at 1M: <= {TARGET_SECONDS:.0f} s and <= {TARGET_BYTES / 1e9:.0f} GB "
          f"each.")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"took {time.perf_counter() - started:.0f} s")
