"""Data safety, measured: what locking costs a scripted answer, and what faults do to a workspace.

1. Locking. The p50 and p99 time of one durable append of an answer: a raw ``os.write`` + ``fsync``
   on an ``O_APPEND`` file (the baseline), the store's ``append_records`` (exclusive ``flock``,
   rename check, torn-tail check, cut back on failure, ``fsync``), and ``annotate label`` through
   the library (which also finds the sentence and checks the answer). Target: the store's p99 at
   most 2x the raw append's p99, measured in the same run.
2. Faults. The harness of ``tests/safety/test_faults.py``: every command is run once per write call with
   that call failing (ENOSPC, EIO) or killing the process, on a fresh copy of a sample workspace.
   Counted: trials, trials that left every file as it was, that completed the command, that left
   something between (allowed only for an import killed while writing its answers), answers lost (an event line present before and missing after, across all answer and gold
   files), torn lines left, and tracebacks.
3. Concurrency. Processes at once on one workspace (ingest with and without --replace, import,
   label, adjudicate), then: documents without their sentences, sentence ids twice, gold records
   twice, answers lost.

    python benchmarks/data_safety.py [--appends 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "tests" / part) for part in ("", "safety")]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def locking(appends: int, folder: Path) -> None:
    from tagline.annotate.scripted import label_sentence
    from tagline.corpus.store import append_records, encode_record
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(folder / "lock", sample=True)
    event = {"sentence_id": "deepseek_ja-s0070", "annotator": "bench", "time": "2026-01-01T00:00:00.000000Z",
             "task": "claim_type", "op": "set", "value": {"label": "quantity"}}
    line = encode_record(event)
    raw_path, store_path = folder / "raw.jsonl", folder / "store.jsonl"
    fd = os.open(raw_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    timings: dict[str, list[float]] = {"raw write + fsync": [], "store append_records": [], "annotate label (library)": []}
    try:
        for number in range(appends):  # interleaved, so a busy moment of the machine hits all three
            started = time.perf_counter()
            os.write(fd, line)
            os.fsync(fd)
            timings["raw write + fsync"].append(time.perf_counter() - started)
            started = time.perf_counter()
            append_records(store_path, [event])
            timings["store append_records"].append(time.perf_counter() - started)
            if number % 4 == 0:
                started = time.perf_counter()
                label_sentence(workspace, "deepseek_ja-s0070", "bench", claim_type="quantity")
                timings["annotate label (library)"].append(time.perf_counter() - started)
    finally:
        os.close(fd)
    raw_p99 = percentile(timings["raw write + fsync"], 0.99)
    print(f"## Locking: one durable answer ({appends} appends each; label every 4th)\n")
    print(f"{'append':<28}{'p50 ms':>9}{'p99 ms':>9}{'p99 / raw':>11}")
    for name, values in timings.items():
        p99 = percentile(values, 0.99)
        print(f"{name:<28}{statistics.median(values) * 1000:>9.3f}{p99 * 1000:>9.3f}{p99 / raw_p99:>11.2f}")
    ratio = percentile(timings["store append_records"], 0.99) / raw_p99
    print(f"\nstore p99 / raw p99 = {ratio:.2f} (target <= 2): {'met' if ratio <= 2 else 'NOT met'}\n")


def _events(root: Path) -> set[bytes]:
    lines = set()
    for folder in ("annotations", "gold"):
        for path in (root / folder).glob("*.jsonl"):
            lines.update(line for line in path.read_bytes().split(b"\n") if line)
    return lines


def _torn(root: Path) -> int:
    import orjson

    torn = 0
    for path in root.rglob("*.jsonl"):
        for line in path.read_bytes().split(b"\n"):
            if line:
                try:
                    orjson.loads(line)
                except orjson.JSONDecodeError:
                    torn += 1
    return torn


def faults(folder: Path) -> None:
    import pytest

    import test_faults as harness

    template = harness.make_template(folder / "template")
    print("## Faults: one trial per write call of the command, on a fresh copy of the workspace\n")
    print(f"{'command':<24}{'fault':<8}{'trials':>7}{'unchanged':>10}{'complete':>9}{'part':>6}{'lost':>6}"
          f"{'torn':>6}{'tracebacks':>11}")
    totals = Counter()
    for command, arguments in harness.COMMANDS.items():
        clean = Path(shutil.copytree(template, folder / "clean"))
        patch = pytest.MonkeyPatch()
        counting = harness.Faults(patch)
        harness.invoke(clean, arguments)
        patch.undo()
        after = harness.snapshot(clean)
        shutil.rmtree(clean)
        for action in ("enospc", "eio", "kill"):
            if action == "kill" and command not in harness.KILLED_COMMANDS:
                continue
            counts = Counter()
            for at in range(1, counting.calls + 1):
                root = Path(shutil.copytree(template, folder / "trial"))
                before = harness.snapshot(root)
                events_before = _events(root)
                if action == "kill":
                    harness._killed_at(root, arguments, at)
                    result = harness.invoke(root, ["validate"])
                else:
                    patch = pytest.MonkeyPatch()
                    harness.Faults(patch, at=at, action=action)
                    result = harness.invoke(root, arguments)
                    patch.undo()
                counts["trials"] += 1
                counts["tracebacks"] += "Traceback" in result.output or result.exit_code not in (0, 2)
                state = harness.snapshot(root)
                counts["unchanged"] += state == before
                counts["complete"] += state == after
                counts["part"] += state not in (before, after)
                counts["lost"] += len(events_before - _events(root))
                counts["torn"] += _torn(root)
                shutil.rmtree(root)
            totals.update(counts)
            print(f"{command:<24}{action:<8}{counts['trials']:>7}{counts['unchanged']:>10}{counts['complete']:>9}"
                  f"{counts['part']:>6}{counts['lost']:>6}{counts['torn']:>6}{counts['tracebacks']:>11}")
    print(f"{'all':<32}{totals['trials']:>7}{totals['unchanged']:>10}{totals['complete']:>9}{totals['part']:>6}"
          f"{totals['lost']:>6}{totals['torn']:>6}{totals['tracebacks']:>11}")
    print("unchanged: every file as before; complete: as after a clean run; part: neither (after a kill, only "
          "import may keep its documents and part of its answers, see docs/cli.md). After a kill the state is "
          "read through `tagline validate`, which undoes what the journal names. lost: answer or gold lines "
          "present before and missing after. Timestamps are blanked before comparing.\n")


def _concurrently(jobs: list[tuple]) -> None:
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=function, args=args) for function, args in jobs]
    for process in processes:
        process.start()
    for process in processes:
        process.join()


def concurrency(folder: Path, rounds: int) -> None:
    import orjson

    from tagline.corpus.workspace import Workspace, init_workspace

    import test_concurrency as cases

    print(f"## Concurrency: {rounds} rounds\n")
    lost_documents = doubled_ids = doubled_gold = lost_answers = documents = answers = 0
    for number in range(rounds):
        root = init_workspace(folder / f"c{number}", sample=True).root
        (folder / f"big{number}").mkdir()
        texts = cases.big_versions(folder / f"big{number}", root)
        docs = folder / f"docs{number}"
        docs.mkdir()
        ids = [record["id"] for record in Workspace(root).iter_sentences()]
        jobs = [(cases._replace_loop, (str(root), texts, 6)), (cases._add, (str(root), texts[0])),
                (cases._add, (str(root), texts[0]))]
        jobs += [(cases._add_many, (str(root), str(docs), worker, 10)) for worker in range(3)]
        jobs += [(cases._label, (str(root), f"a{worker}", ids[worker:40:4])) for worker in range(4)]
        jobs += [(cases._adjudicate, (str(root),)) for _ in range(3)]
        _concurrently(jobs)
        workspace = Workspace(root)
        per_document = Counter(record["doc_id"] for record in workspace.iter_sentences())
        registry = workspace.documents()
        documents += len(registry)
        lost_documents += sum(per_document[doc_id] != record["n_sentences"] for doc_id, record in registry.items())
        doubled_ids += sum(count > 1 for count in Counter(r["id"] for r in workspace.iter_sentences()).values())
        # The same decision from the same votes twice; a record remade because a label came in
        # between two adjudications is not a double.
        gold = Counter(orjson.dumps([r["sentence_id"], r["task"], r.get("target"), r["value"],
                                     r["provenance"]["votes"]], option=orjson.OPT_SORT_KEYS)
                       for r in workspace.iter_gold())
        doubled_gold += sum(count > 1 for count in gold.values())
        for worker in range(4):
            wanted = ids[worker:40:4]
            answers += len(wanted)
            path = workspace.annotation_path(f"a{worker}")
            got = [line for line in path.read_bytes().split(b"\n") if line] if path.exists() else []
            lost_answers += len(wanted) - len(got)
    print("processes per round: 1 replacing a document 6 times, 2 adding the same file, 3 adding 10 documents "
          "each, 4 labelling, 3 adjudicating")
    print(f"documents {documents}; without their sentences {lost_documents}; sentence ids twice {doubled_ids}; "
          f"gold records twice {doubled_gold}; answers {answers}, lost {lost_answers}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import warnings

    from tagline.corpus.workspace import LockWaitWarning

    warnings.simplefilter("ignore", LockWaitWarning)  # the processes below wait for each other by design
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as directory:
        folder = Path(directory)
        locking(args.appends, folder)
        faults(folder)
        concurrency(folder, args.rounds)


if __name__ == "__main__":
    main()
