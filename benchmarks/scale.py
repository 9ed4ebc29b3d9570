"""Import, export and ingest at scale: each tagline command against reading and writing the same bytes.

Generates, for each size N (default 10,000 and 100,000 sentences; `--million` adds 1,000,000),
English sentences with entity spans (a sentence per record, so a document per sentence, as an
import of a peer tool's file makes them) in doccano JSONL, Label Studio JSON (two annotators per
task) and CoNLL-2003, plus a JSONL file of the same sentences for `corpus add`. Then, each as a
child process timed with its peak memory (GNU time's, else wait4's), the median of `--runs` runs,
each on a fresh workspace:

- `tagline annotate import` of each file (`-a alice` where the format names no annotator), against
  a baseline that reads the same file (orjson per line, `json.load` of the array, a split per line
  for CoNLL) and writes the same number of bytes durably (one fsync);
- `tagline corpus add` of the JSONL file, against the same baseline;
- `tagline annotate export` of N annotated sentences (one annotator's entity answers) to every
  registered export format (`--formats` names some), against a baseline that reads the workspace's
  sentences and answers (orjson per line) and writes as many files holding as many bytes as the
  export, the last one fsync'd;
- with the exports, `tagline validate` of that workspace (every record checked against its JSON
  Schema, the offsets against the documents' texts), against reading its sentences, documents and
  answers with orjson per line.

Targets (the project's scale issue): import of 100k records in any format <= 1.6 s and of 1M
<= 16 s, peak memory <= 1 GB, still all or nothing and checked record by record; export of 10k
annotated sentences <= 0.5 s (shown as 0.5 s per 10,000), memory that does not grow with the corpus.
Other processes on the machine skew the times: the load average is printed.

    python benchmarks/scale.py [--sizes 10000,100000] [--million] [--runs 3] [--keep DIR]
        [--inputs doccano,label-studio,conll,jsonl] [--no-export] [--formats conll,csv,...]

Run it with the sources to measure first on the path (PYTHONPATH=src); `--tagline` names another
`tagline` executable.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

TARGET_IMPORT_SECONDS_PER_100K = 1.6
TARGET_EXPORT_SECONDS_10K = 0.5
TARGET_RSS_BYTES = 10**9

NAMES = {
    "PERSON": ["Alice Moreau", "Kenji Sato", "Maria Lopez", "Ahmed Khan", "Li Wei", "John Smith", "Anna Novak"],
    "ORG": ["Acme Corp", "Globex", "Initech", "the World Bank", "Umbrella Health", "Stark Industries"],
    "GPE": ["France", "Japan", "Brazil", "Kenya", "Ohio", "Berlin", "Osaka", "Canada"],
    "MONEY": ["$5 million", "12 billion yen", "$300", "40 million euros"],
    "DATE": ["last year", "March 2024", "on Monday", "in 2019", "next spring"],
}
VERBS = ["said", "reported", "announced", "denied", "confirmed", "expected", "warned", "claimed"]
THINGS = ["profits rose", "prices fell", "the deal would close", "jobs were cut", "sales doubled",
          "the plan failed", "the factory opened", "demand slowed"]


def sentences(count: int, seed: int = 0) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """``count`` distinct sentences, each with its entity spans ``(start, end, label)``."""
    rng = random.Random(seed)
    made = []
    for number in range(count):
        parts: list[tuple[str, str | None]] = [
            (rng.choice(NAMES["PERSON"]), "PERSON"), (" of ", None), (rng.choice(NAMES["ORG"]), "ORG"),
            (f" {rng.choice(VERBS)} ", None), (rng.choice(NAMES["DATE"]), "DATE"), (" that ", None),
            (rng.choice(THINGS), None), (" in ", None), (rng.choice(NAMES["GPE"]), "GPE"),
            (f" by {rng.choice(NAMES['MONEY'])}", None), (f", item {number}.", None),
        ]
        text, spans = "", []
        for piece, label in parts:
            if label:
                spans.append((len(text), len(text) + len(piece), label))
            text += piece
        made.append((text, spans))
    return made


def write_doccano(path: Path, items: list) -> None:
    with open(path, "wb") as out:
        for text, spans in items:
            out.write(orjson.dumps({"text": text, "label": [list(span) for span in spans]}) + b"\n")


def write_label_studio(path: Path, items: list) -> None:
    tasks = []
    for number, (text, spans) in enumerate(items, 1):
        annotations = []
        for who, keep in (("alice@example.com", len(spans)), ("bob@example.com", len(spans) - 1)):
            result = [{"id": f"r{number}-{i}", "from_name": "label", "to_name": "text", "type": "labels",
                       "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]}}
                      for i, (start, end, label) in enumerate(spans[:keep])]
            annotations.append({"id": number * 2 + len(annotations), "completed_by": {"email": who},
                                "result": result})
        tasks.append({"id": number, "data": {"text": text}, "annotations": annotations})
    path.write_bytes(orjson.dumps(tasks, option=orjson.OPT_INDENT_2))


def write_conll(path: Path, items: list) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for text, spans in items:
            position, lines = 0, []
            for token in text.split(" "):
                start = text.index(token, position)
                end = position = start + len(token)
                tag = "O"
                for span_start, span_end, label in spans:
                    if span_start <= start and end <= span_end:
                        tag = ("B-" if start == span_start else "I-") + label
                word = token.rstrip(".,") or token
                lines.append(f"{word} {tag}")
                if word != token:
                    lines.append(f"{token[len(word):]} O")
            out.write("\n".join(lines) + "\n\n")


def write_corpus_jsonl(path: Path, items: list) -> None:
    with open(path, "wb") as out:
        for number, (text, _) in enumerate(items):
            out.write(orjson.dumps({"id": f"d{number:07d}", "text": text}) + b"\n")


READERS = {
    "doccano": "import orjson\nrows = [orjson.loads(line) for line in open(sys.argv[1], 'rb')]",
    "label-studio": "import json\nrows = json.load(open(sys.argv[1], 'rb'))",
    "conll": "rows = [line.split() for line in open(sys.argv[1], encoding='utf-8')]",
    "jsonl": "import orjson\nrows = [orjson.loads(line) for line in open(sys.argv[1], 'rb')]",
}
WRITE = ("import os\nsize = int(sys.argv[2])\nwith open(sys.argv[3], 'wb') as out:\n"
         "    out.write(b'x' * size)\n    out.flush()\n    os.fsync(out.fileno())")


def baseline(kind: str, source: Path, size: int, out: Path) -> list[str]:
    """A child that reads ``source`` as ``kind`` and writes ``size`` bytes to ``out`` durably."""
    return [sys.executable, "-c", f"import sys\n{READERS[kind]}\n{WRITE}", str(source), str(size), str(out)]


TIME = "/usr/bin/time"  # GNU time: the peak of the command alone (see run)


def run(command: list[str], cwd: Path | None = None) -> tuple[float, float, float]:
    """Seconds, peak resident memory (bytes) and CPU seconds (user and system) of one child; fails
    loudly if it fails. A child's peak (wait4) starts from this process's own, which it inherits at
    the fork (hundreds of MB once a million records were generated): where GNU time is installed,
    the peak is that of the command it starts, which inherits time's own (a few MB)."""
    timed = os.access(TIME, os.X_OK)
    with tempfile.TemporaryFile() as errors, tempfile.NamedTemporaryFile() as peak:  # not a pipe: a child
        started = time.perf_counter()  # writing much to a full pipe would wait forever
        child = subprocess.Popen([TIME, "-f", "%M", "-o", peak.name, *command] if timed else command, cwd=cwd,
                                 stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{errors.read().decode()}")
        kilobytes = int(peak.read().split()[-1]) if timed else usage.ru_maxrss
    return seconds, kilobytes * 1024, usage.ru_utime + usage.ru_stime


def fresh_workspace(tagline: str, folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([tagline, "init", str(folder), "--lang", "en"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return folder


def median_run(runs: int, prepare, command: list[str]) -> tuple[float, float, float]:
    """The median seconds, the largest peak memory and the median CPU seconds of ``runs`` runs."""
    times, peaks, cpus = [], [], []
    for _ in range(runs):
        prepare()
        seconds, peak, cpu = run(command)
        cpus.append(cpu)
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks), statistics.median(cpus)


def measure(tagline: str, size: int, folder: Path, runs: int, kinds: list[str]) -> Iterator[tuple]:
    """One row per command: (command, size, (seconds, peak bytes, CPU seconds), the same of its baseline)."""
    files = {"doccano": folder / f"doccano-{size}.jsonl", "label-studio": folder / f"label-studio-{size}.json",
             "conll": folder / f"conll-{size}.conll", "jsonl": folder / f"corpus-{size}.jsonl"}
    # In a child: a child's peak memory counts the parent's at the fork, so the parent stays small.
    subprocess.run([sys.executable, __file__, "--generate", str(size), str(folder), ",".join(kinds)], check=True)
    workspace = folder / "ws"
    sink = folder / "baseline.out"
    for kind in kinds:
        if kind == "jsonl":
            name, command = "corpus add jsonl", [tagline, "corpus", "add", str(files[kind]), "-w", str(workspace)]
        else:
            name = f"import {kind}"
            command = [tagline, "annotate", "import", str(files[kind]), "--format", kind, "-w", str(workspace)]
            if kind != "label-studio":
                command += ["-a", "alice"]
        measured = median_run(runs, lambda: fresh_workspace(tagline, workspace), command)
        written = sum(path.stat().st_size for path in workspace.rglob("*") if path.is_file())
        yield name, size, measured, median_run(runs, lambda: None, baseline(kind, files[kind], written, sink))


def export_formats() -> tuple[str, ...]:
    """Every registered export format (the registry imports only the standard library)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from tagline.annotate.formats.registry import EXPORT_FORMATS

    return EXPORT_FORMATS


def measure_export(tagline: str, size: int, folder: Path, runs: int, formats: list[str]) -> Iterator[tuple]:
    """Export of ``size`` annotated sentences (one annotator's entity answers, a document per sentence)
    to each format, against a child that reads the workspace's sentences and answers (orjson per line)
    and writes as many files holding as many bytes as the export, the last one fsync'd."""
    source = folder / f"export-source-{size}.jsonl"
    write_doccano(source, sentences(size, seed=1))
    workspace = fresh_workspace(tagline, folder / "export-ws")
    run([tagline, "annotate", "import", str(source), "--format", "doccano", "-a", "alice", "-w", str(workspace)])
    source.unlink()
    answers = [str(path) for path in (workspace / "annotations").glob("*.jsonl")]
    sink = folder / "baseline-out"
    for fmt in formats:
        out = folder / f"export-{fmt}"
        command = [tagline, "annotate", "export", "--format", fmt, "-a", "alice", "--task", "entities", "-o",
                   str(out) + (".json" if fmt == "spacy" else ""), "-w", str(workspace)]

        def clear(fmt: str = fmt) -> None:
            for path in folder.glob(f"export-{fmt}*"):
                shutil.rmtree(path) if path.is_dir() else path.unlink()

        measured = median_run(runs, clear, command)
        made = sorted(folder.glob(f"export-{fmt}*"))
        files = [path for path in made if path.is_file()] + [p for path in made if path.is_dir() for p in path.iterdir()]
        base = [sys.executable, "-c", EXPORT_BASELINE, str(sum(path.stat().st_size for path in files)),
                str(len(files)), str(sink), str(workspace / "sentences.jsonl"), *answers]
        base_line = median_run(runs, lambda: shutil.rmtree(sink, ignore_errors=True), base)
        shutil.rmtree(sink, ignore_errors=True)
        clear()
        yield f"export {fmt}", size, measured, base_line
    # validate reads the same workspace: its sentences, documents (and their texts) and answers
    records = [str(workspace / "sentences.jsonl"), str(workspace / "documents.jsonl"), *answers]
    yield "validate", size, median_run(runs, lambda: None, [tagline, "validate", "-w", str(workspace)]), \
        median_run(runs, lambda: None, [sys.executable, "-c", READ_BASELINE, *records])
    shutil.rmtree(workspace)


READ_BASELINE = """import sys
import orjson
rows = [orjson.loads(line) for name in sys.argv[1:] for line in open(name, 'rb')]
"""


EXPORT_BASELINE = """import os, sys
import orjson
rows = [orjson.loads(line) for name in sys.argv[4:] for line in open(name, 'rb')]
size, count, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.mkdir(folder)
for number in range(count):
    with open(os.path.join(folder, str(number)), 'wb') as out:
        out.write(b'x' * (size // count + (number < size % count)))
        if number == count - 1:
            out.flush()
            os.fsync(out.fileno())
"""


def show(name: str, size: int, measured: tuple[float, float, float], baseline: tuple[float, float, float]) -> None:
    (seconds, peak, cpu), (base_seconds, base_peak, base_cpu) = measured, baseline
    target = (TARGET_EXPORT_SECONDS_10K * size / 10_000 if name.startswith("export")
              else TARGET_IMPORT_SECONDS_PER_100K * size / 100_000 if name.startswith("import") else None)
    shown = f"{target:>10.2f}" if target is not None else f"{'':>10}"
    flag = " !" if (target is not None and seconds > target) or peak > TARGET_RSS_BYTES else ""
    print(f"{name:<22}{size:>10,}{seconds:>9.2f}{cpu:>7.2f}{peak / 2**20:>9.0f}{base_seconds:>12.2f}{base_cpu:>7.2f}"
          f"{base_peak / 2**20:>9.0f}{seconds / base_seconds:>7.1f}{cpu / base_cpu:>7.1f}{shown}{flag}", flush=True)


def generate(size: int, folder: Path, kinds: list[str]) -> None:
    """The input files of ``kinds`` (only those: Label Studio's of a million records is 2.8 GB)."""
    items = sentences(size)
    writers = {"doccano": (write_doccano, f"doccano-{size}.jsonl"),
               "label-studio": (write_label_studio, f"label-studio-{size}.json"),
               "conll": (write_conll, f"conll-{size}.conll"), "jsonl": (write_corpus_jsonl, f"corpus-{size}.jsonl")}
    for kind in kinds:
        write, name = writers[kind]
        write(folder / name, items)


def main() -> None:
    if sys.argv[1:2] == ["--generate"]:
        generate(int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4].split(","))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="sentences per file, comma-separated")
    parser.add_argument("--million", action="store_true", help="also 1,000,000 sentences (minutes, GBs)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tagline", default=shutil.which("tagline") or "tagline", help="the tagline executable")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--inputs", default=",".join(READERS), help="the files to import or add, comma-separated")
    parser.add_argument("--no-export", action="store_true", help="leave out the exports")
    parser.add_argument("--formats", default=",".join(export_formats()),
                        help="the export formats, comma-separated (default: every registered one)")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",") if size]
    if arguments.million:
        sizes.append(1_000_000)
    folder = arguments.keep or Path(tempfile.mkdtemp(prefix="tagline-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores, "
          f"median of {arguments.runs}")
    print(f"{'command':<22}{'sentences':>10}{'seconds':>9}{'cpu s':>7}{'peak MB':>9}{'baseline s':>12}{'cpu s':>7}"
          f"{'base MB':>9}{'ratio':>7}{'cpu':>7}{'target s':>10}", flush=True)
    try:
        for size in sizes:
            formats = [] if arguments.no_export else [fmt for fmt in arguments.formats.split(",") if fmt]
            for row in measure_export(arguments.tagline, size, folder, arguments.runs, formats) if formats else []:
                show(*row)
            kinds = [kind for kind in arguments.inputs.split(",") if kind]
            for row in measure(arguments.tagline, size, folder, arguments.runs, kinds) if kinds else []:
                show(*row)
    finally:
        if not arguments.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print("baseline: a child that reads the same input and writes as many bytes as the command wrote, with "
          "one fsync; cpu: user and system seconds (less skewed by other processes than the time); ! marks a "
          "time over its target or a peak over 1 GB")
    print(f"load average {os.getloadavg()[0]:.2f}; took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
