"""Reading workspace records: typed and checked (msgspec, as every reader does) against untyped.

For sentence lines and answer-event lines (the sample's, repeated to N lines), the time per line
and the peak memory of reading a whole file:

- ``orjson``: ``orjson.loads`` per line into plain dicts, nothing checked (the baseline);
- ``msgspec``: :func:`tagline.schemas.records.decode_record`, which decodes into the typed records
  and checks every field and type (what tagline does on every read);
- ``read_records``: the store's reader with ``kind=``, i.e. the above plus blank lines, torn tails
  and ``path:line`` errors;
- ``jsonschema``: ``orjson.loads`` then the Python JSON Schema validator on each record (on the first
  5,000 lines only: it is the slow way, shown for scale);
- ``schema_errors``: ``orjson.loads`` then :func:`tagline.schemas.schema_errors` on each record, as
  ``tagline validate`` checks them: the ``jsonschema_rs`` gate, Python only for a record it refuses.

Each case runs in a child process so that its peak memory is its own. Ratios are against orjson
in the same run.

    python benchmarks/records.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "src" / "tagline" / "samples"

CASE = r"""
import resource, sys, time
import orjson
path, kind, case = sys.argv[1], sys.argv[2], sys.argv[3]
from tagline.schemas.records import decode_record
from tagline.corpus.store import read_records
from tagline.schemas import schema_errors, validator
lines = open(path, "rb").read().splitlines(keepends=True)
started = time.perf_counter()
if case == "orjson":
    records = [orjson.loads(line) for line in lines]
elif case == "msgspec":
    records = [decode_record(kind, line) for line in lines]
elif case == "read_records":
    records = list(read_records(path, kind=kind))
elif case == "schema_errors":
    records = [orjson.loads(line) for line in lines]
    assert not any(schema_errors(kind, record) for record in records)
else:
    check = validator(kind)
    lines = lines[:5000]
    records = [orjson.loads(line) for line in lines]
    for record in records:
        check.validate(record)
seconds = time.perf_counter() - started
print(len(lines), seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def make_file(kind: str, size: int, folder: Path) -> Path:
    source = SAMPLES / ("deepseek_ja.annotations.jsonl" if kind == "event" else "")
    if kind == "sentence":
        import tagline

        workspace = tagline.init_workspace(folder / "ws", sample=True)
        source = workspace.sentences_path
    lines = source.read_bytes().splitlines(keepends=True)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}-{size}.jsonl"
    with open(path, "wb") as out:
        for number in range(size):
            out.write(lines[number % len(lines)])
    return path


def run_case(path: Path, kind: str, case: str) -> tuple[int, float, float]:
    done = subprocess.run([sys.executable, "-c", CASE, str(path), kind, case],
                          capture_output=True, text=True, check=True)
    count, seconds, peak = done.stdout.split()
    return int(count), float(seconds), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")
    print(f"{'records':<10}{'lines':>10}{'case':>14}{'µs/line':>10}{'ratio':>8}{'peak MB':>10}")
    with tempfile.TemporaryDirectory(prefix="tagline-records-") as scratch:
        for kind in ("sentence", "event"):
            for size in args.sizes:
                path = make_file(kind, size, Path(scratch) / f"{kind}{size}")
                base = None
                for case in ("orjson", "msgspec", "read_records", "jsonschema", "schema_errors"):
                    count, seconds, peak = run_case(path, kind, case)
                    per_line = seconds / count * 1e6
                    base = base or per_line
                    print(f"{kind:<10}{count:>10,}{case:>14}{per_line:>10.2f}{per_line / base:>8.2f}{peak:>10.0f}")
                path.unlink()
    print("peak MB is the child's whole peak: the interpreter, the file's lines and the records read")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"took {time.perf_counter() - started:.0f} s")
