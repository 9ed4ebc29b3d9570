"""The annotation session and scripted labels at 10,000, 100,000 and 1,000,000 sentences.

Each workspace is made by `build_1m.generate` (Japanese news sentences with gold), then given as many
answers as it has sentences by the annotator `bench` (four per sentence: two stances, a claim type,
entities), so a quarter of the corpus is done and the session opens a quarter of the way in. For
each size, through a real pseudo-terminal (pexpect, 80 x 24):

- first screen: from spawning `python -m tagline annotate --annotator bench` to its header, cold
  (nothing in `build/index/`: no sentence index or saved answer fold at all, as after deleting
  `build/`), after an ingest (`build/index/` deleted, then a real `tagline annotate import` of one
  new document with an answer by `bench`, which brings the index and the fold up to date as it
  writes; the import's own time is printed beside) and warm (median of three). Baseline: a Python
  that imports what the session imports and reads `sentences.jsonl` and the answers file whole,
  through the same pseudo-terminal. Each import adds one sentence to the kept workspace;
- key press: label keys and Enter for --sentences-per-size sentences, each timed from the key to
  the end of the frame it causes (the session prints `[frame ... ms]` after each frame when
  TAGLINE_SESSION_TIMING is set: the time it took itself, printed beside); median and 95th
  percentile. Baseline: a key echoed by `cat`;
- peak memory (VmHWM) of the session process, against the baseline process's;
- `tagline.label_sentence` of the corpus's last sentences, per call, in a fresh process with the
  index already made, and the same calls with the append left out (the lookup and the checks),
  against `append_records` of the same event (the store's own append, which every label pays).

With --compare-src DIR (a checkout's `src/`, e.g. `git archive <commit> src | tar -x -C DIR/..`) the
same is measured for that code in the same run, with fewer keys and calls, since there a key at 1M
takes about a second. Other processes on the machine skew absolute times; compare within a run.
Targets at 1M: first screen <= 2 s (after an ingest and warm), key p95 <= 30 ms, label <= 1 ms per call
above the append.

    python benchmarks/session_scale.py [--sizes 10000,100000,1000000] [--dir DIR] [--compare-src DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import pexpect

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_1m  # noqa: E402  (the generator of the million-sentence benchmark)
from annotate_speed import echo_baseline  # noqa: E402  (a key echoed by `cat` through a pseudo-terminal)

SRC = Path(__file__).resolve().parent.parent / "src"
FRAME = r"\[frame ([0-9.]+) ms\]"
KEYS = ["f", "n", "0", "\r"]  # DeepSeek FAVOR, US AI policy NONE, not a claim, no entities


def make_workspace(root: Path, size: int) -> Path:
    """A generated workspace of ``size`` sentences and ``size`` answers by ``bench`` (made once, kept in ``root``)."""
    folder = root / f"ws-{size}"
    if (folder / ".bench-ready").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    workspace = build_1m.generate(folder, size)["workspace"]
    targets = workspace.config.targets
    written = 0
    stamp = "2026-11-28T09:00:00.000000Z"
    with open(workspace.annotation_path("bench"), "wb") as out, open(workspace.sentences_path, "rb") as lines:
        for line in lines:
            if written >= size:
                break
            sentence_id = orjson.loads(line)["id"]
            events = [{"task": "stance", "value": {"target": target, "label": "NONE"}} for target in targets]
            events += [{"task": "claim_type", "value": {"label": "not_claim"}}, {"task": "entities", "value": {"spans": []}}]
            out.write(b"".join(orjson.dumps({"sentence_id": sentence_id, "annotator": "bench", "time": stamp,
                                             "op": "set", "source": "script", **event}) + b"\n"
                               for event in events[:size - written]))
            written += len(events)
    (folder / ".bench-ready").touch()
    return folder


def spawn(src: Path, folder: Path, command: list[str]) -> pexpect.spawn:
    env = {**os.environ, "TERM": "xterm-256color", "TAGLINE_WORKSPACE": str(folder), "PYTHONPATH": str(src),
           "TAGLINE_SESSION_TIMING": "1"}
    child = pexpect.spawn(sys.executable, command, env=env, dimensions=(24, 80), encoding="utf-8", timeout=900,
                          maxread=1 << 16)
    child.delaybeforesend = None
    return child


def peak_memory(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))


def first_screen(src: Path, folder: Path, size: int, *, keys: int = 0) -> dict:
    """Seconds to the session's first screen; with ``keys``, then that many keys timed and the peak memory."""
    started = time.perf_counter()
    child = spawn(src, folder, ["-m", "tagline", "annotate", "--annotator", "bench"])
    child.expect(rf"\((\d+)/{size}\)")
    result: dict = {"first_screen": time.perf_counter() - started, "keys": [], "frames": []}
    for number in range(keys):
        started = time.perf_counter()
        child.send(KEYS[number % len(KEYS)])
        child.expect(FRAME)
        result["keys"].append(time.perf_counter() - started)
        result["frames"].append(float(child.match.group(1)) / 1000)  # the key handled and drawn, in the session
    result["peak"] = peak_memory(child.pid)
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    return result


BASELINE = """
import sys, time
import numpy, rich.console, tagline.annotate.session, tagline.annotate.terminal
for path in sys.argv[1:]:
    with open(path, 'rb') as f:
        f.read()
print('ready', flush=True)
with open('/proc/self/status') as status:
    print(next(line for line in status if line.startswith('VmHWM:')), flush=True)
"""


def baseline_screen(folder: Path) -> dict:
    started = time.perf_counter()
    child = spawn(SRC, folder, ["-c", BASELINE, str(folder / "sentences.jsonl"), str(folder / "annotations/bench.jsonl")])
    child.expect_exact("ready")
    seconds = time.perf_counter() - started
    child.expect(r"VmHWM:\s+(\d+) kB")
    peak = int(child.match.group(1)) * 1024
    child.expect(pexpect.EOF)
    return {"first_screen": seconds, "peak": peak}


LABEL = """
import json, sys, time
from tagline.annotate.events import make_event
from tagline.annotate.scripted import label_sentence
from tagline.corpus.store import append_records
from tagline.corpus.workspace import Workspace
workspace, ids = Workspace(sys.argv[1]), json.loads(sys.argv[2])
label_sentence(workspace, ids[0], "scripted", claim_type="quantity")  # opens (or makes) the index
started = time.perf_counter()
for sentence_id in ids:
    label_sentence(workspace, sentence_id, "scripted", claim_type="quantity")
label = (time.perf_counter() - started) / len(ids)
started = time.perf_counter()
for sentence_id in ids:
    append_records(workspace.annotation_path("raw"), [make_event(sentence_id, "raw", "claim_type", {"label": "quantity"})])
append = (time.perf_counter() - started) / len(ids)
import tagline.annotate.scripted as scripted
scripted.append_records = lambda path, events, check=None: (check and check(), len(events))[1]  # the lookup and the checks alone
started = time.perf_counter()
for sentence_id in ids:
    label_sentence(workspace, sentence_id, "scripted", claim_type="quantity")
alone = (time.perf_counter() - started) / len(ids)
print(json.dumps({"label": label, "append": append, "alone": alone}))
"""


def last_ids(folder: Path, count: int) -> list[str]:
    with open(folder / "sentences.jsonl", "rb") as handle:
        handle.seek(max(0, handle.seek(0, 2) - 400 * (count + 2)))
        lines = handle.read().splitlines()[1:]
    return [orjson.loads(line)["id"] for line in lines[-count:]][::-1]


def label_calls(src: Path, folder: Path, calls: int) -> dict:
    out = subprocess.run([sys.executable, "-c", LABEL, str(folder), json.dumps(last_ids(folder, calls))],
                         env={**os.environ, "PYTHONPATH": str(src)}, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def percentiles(samples: list[float]) -> str:
    if not samples:
        return "–"
    ordered = sorted(samples)
    p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]
    return f"{1000 * statistics.median(ordered):7.1f} / {1000 * p95:7.1f} ms"


def sentence_count(folder: Path) -> int:
    with open(folder / "sentences.jsonl", "rb") as handle:
        return handle.read().count(b"\n")


def ingest(src: Path, folder: Path) -> float:
    """Seconds of a real `tagline annotate import` of one new document (a doccano line, its text unique
    to this run) with an entity answer by ``bench``: an ingest of sentences and of answers."""
    stamp = time.time_ns()
    source = folder / "build" / f"late-{stamp}.jsonl"  # the document's id is made from the file's name
    text = f"山田太郎は{stamp}回来た。"
    source.write_text(json.dumps({"text": text, "label": [[0, 4, "PERSON"]]}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tagline", "annotate", "import", str(source), "--format", "doccano",
                    "-a", "bench"], env={**os.environ, "TAGLINE_WORKSPACE": str(folder), "PYTHONPATH": str(src)},
                   capture_output=True, check=True)
    seconds = time.perf_counter() - started
    source.unlink()
    return seconds


def measure(src: Path, folder: Path, size: int, keys: int, calls: int) -> dict:
    index = folder / "build" / "index"
    shutil.rmtree(index, ignore_errors=True)
    cold = first_screen(src, folder, sentence_count(folder))
    shutil.rmtree(index, ignore_errors=True)
    imported = ingest(src, folder)
    size = sentence_count(folder)
    after = first_screen(src, folder, size)
    warm = [first_screen(src, folder, size, keys=keys if run == 2 else 0) for run in range(3)]
    return {"cold": cold["first_screen"], "after_ingest": after["first_screen"], "ingest": imported,
            "warm": statistics.median(run["first_screen"] for run in warm),
            "keys": warm[2]["keys"], "frames": warm[2]["frames"], "peak": warm[2]["peak"],
            **label_calls(src, folder, calls)}


def report(name: str, size: int, numbers: dict, base: dict, echo: list[float]) -> None:
    print(f"  {name}: first screen cold {numbers['cold']:6.2f} s, after an ingest {numbers['after_ingest']:6.2f} s "
          f"(the import: {numbers['ingest']:.1f} s), warm {numbers['warm']:6.2f} s "
          f"(baseline: import and read the files {base['first_screen']:.2f} s)")
    print(f"  {name}: key median / p95 {percentiles(numbers['keys'])} over {len(numbers['keys'])} keys "
          f"(baseline: echo through cat {percentiles(echo)}); in the session {percentiles(numbers['frames'])}")
    print(f"  {name}: peak memory {numbers['peak'] / 2**20:7.0f} MiB (baseline {base['peak'] / 2**20:.0f} MiB)")
    print(f"  {name}: label_sentence {1000 * numbers['label']:.3f} ms per call, "
          f"{1000 * numbers['alone']:.3f} ms without its append "
          f"(baseline: the store's append {1000 * numbers['append']:.3f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--dir", default=None, help="where to make (and keep) the workspaces; default: a temporary folder")
    parser.add_argument("--sentences-per-size", type=int, default=25, help="sentences answered through the terminal")
    parser.add_argument("--calls", type=int, default=100, help="label_sentence calls")
    parser.add_argument("--compare-src", default=None, help="another checkout's src/ to measure in the same run")
    args = parser.parse_args()
    root = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="tagline-session-scale-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    echo = echo_baseline()
    for size in (int(part) for part in args.sizes.split(",")):
        folder = make_workspace(root, size)
        print(f"\n{size:,} sentences, {size:,} answers ({folder})")
        base = baseline_screen(folder)
        if args.compare_src:
            compared = measure(Path(args.compare_src), folder, size, keys=8, calls=max(3, args.calls // 20))
            report("before", size, compared, base, echo)
        numbers = measure(SRC, folder, size, keys=len(KEYS) * args.sentences_per_size, calls=args.calls)
        report("now   ", size, numbers, base, echo)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
