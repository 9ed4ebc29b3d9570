"""Where the wall time of a build with tokens goes: a timeline of `build_dataset` on a workspace.

The build runs in a child process that stamps each step it announces (CLOCK_MONOTONIC, its own CPU
seconds, its threads included) on stderr; this process samples the CPU of the build's process tree
every 100 ms from /proc (Linux). Printed: the steps with their time from the start and the build's
CPU at each; each process's first and last moment of work and its CPU; the build's and the
workers' CPU per second of wall time; the core-seconds left idle (the cores times the wall time,
less the tree's CPU), and how much of the wall time passed before the first worker worked and after
the last one stopped (the parts the workers cannot overlap). Other work on the machine takes cores
too: the load average is printed, and on a shared machine the idle figure counts what others took.

    python benchmarks/build_timeline.py --workspace WS        # a workspace, e.g. kept by build_1m.py --keep
    python benchmarks/build_timeline.py --sentences 200000    # or one generated as build_1m.py makes it

The token cache of the workspace's current sentences is removed first (a cold build, as build_1m.py's
first) unless --cached is given.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.1

# The build, run in a child process: each step announced, stamped on stderr.
BUILD = """
import sys, time
def stamp(what):
    sys.stderr.write(f"STEP {time.monotonic():.3f} {time.process_time():.2f} {what}\\n")
    sys.stderr.flush()
if __name__ == "__main__":
    stamp("started")
    from pathlib import Path
    from tagline.corpus.workspace import Workspace
    from tagline.eval.build import build_dataset
    last = [None]
    def progress(done, total, what):
        if what != last[0] or done == total:
            stamp(f"{what} {done}/{total}" if total else what)
            last[0] = what
    report = build_dataset(Workspace(Path(sys.argv[1])), out=sys.argv[2], progress=progress)
    stamp("returned")
    print(report.fingerprint)
"""


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(child) for child in handle.read().split()]
    except OSError:
        pass
    return found


def _cpu(pid: int) -> float | None:
    """User and system seconds of ``pid`` (its threads included), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def run(workspace: Path, out: Path) -> tuple[float, float, list, list[str], str]:
    """Build; returns the start (monotonic), the wall time, the samples ``(time, {pid: cpu})``, the
    stderr lines and the fingerprint."""
    samples: list[tuple[float, dict[int, float]]] = []
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-c", BUILD, str(workspace), str(out)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)

    def sample() -> None:
        while child.poll() is None:
            now, tree, todo = time.monotonic(), {}, [child.pid]
            while todo:
                pid = todo.pop()
                cpu = _cpu(pid)
                if cpu is not None:
                    tree[pid] = cpu
                todo += _children(pid)
            samples.append((now, tree))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    wall = time.monotonic() - started
    sampler.join()
    if child.returncode:
        sys.exit(f"the build failed ({child.returncode}):\n{stderr[-3000:]}")
    return started, wall, samples, stderr.splitlines(), stdout.strip()


def report(started: float, wall: float, samples: list, lines: list[str], parent: int) -> None:
    """Print the timeline of one build (see the module's docstring)."""
    cores = os.cpu_count() or 1
    last: dict[int, float] = {}
    first_work: dict[int, float] = {}
    last_work: dict[int, float] = {}
    per_second: dict[int, dict[int, float]] = {}
    for moment, tree in samples:
        for pid, cpu in tree.items():
            if pid in last and cpu > last[pid]:
                at = moment - started
                first_work.setdefault(pid, at)
                last_work[pid] = at
                per_second.setdefault(int(at), {}).setdefault(pid, 0.0)
                per_second[int(at)][pid] += cpu - last[pid]
            last[pid] = cpu
    print("steps (seconds from the start, the build's CPU seconds then):")
    for line in lines:
        if line.startswith("STEP "):
            _, moment, cpu, what = line.split(" ", 3)
            print(f"  {float(moment) - started:7.2f} s  {float(cpu):7.2f} s CPU  {what}")
    workers = [pid for pid in first_work if pid != parent and last.get(pid, 0) > 0.5]
    print("processes (first and last moment of work, CPU seconds):")
    for pid in [parent, *workers]:
        print(f"  {'build' if pid == parent else 'worker':6} {pid}: {first_work.get(pid, 0):7.1f} to "
              f"{last_work.get(pid, 0):7.1f} s, {last.get(pid, 0):6.1f} s CPU")
    print(f"second  build  workers  (CPU seconds in each second of wall time; # build, + workers, of {cores})")
    for second in sorted(per_second):
        used = per_second[second]
        own = used.get(parent, 0.0)
        others = sum(cpu for pid, cpu in used.items() if pid != parent)
        print(f"{second:6d}  {own:5.2f}  {others:7.2f}  " + "#" * round(10 * own) + "+" * round(10 * others))
    total = sum(last.values())
    print(f"wall {wall:.1f} s; CPU of the tree {total:.1f} s (build {last.get(parent, 0):.1f} s, workers "
          f"{total - last.get(parent, 0):.1f} s); core-seconds idle {cores * wall - total:.1f} of {cores * wall:.1f}")
    if workers:
        begin, end = min(first_work[pid] for pid in workers), max(last_work[pid] for pid in workers)
        print(f"no worker at work: the first {begin:.1f} s and the last {wall - end:.1f} s of {wall:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="the workspace to build (default: one generated)")
    parser.add_argument("--sentences", type=int, default=200_000, help="sentences of the generated workspace")
    parser.add_argument("--cached", action="store_true", help="keep the workspace's token cache")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="tagline-timeline-"))
    try:
        workspace = args.workspace
        if workspace is None:
            sys.path.insert(0, str(Path(__file__).parent))
            from build_1m import generate

            workspace = generate(scratch / "ws", args.sentences)["workspace"].root
        if not args.cached:
            for cache in (workspace / "build" / "index").glob("tokens-*.arrow"):
                cache.unlink()
        load_before = os.getloadavg()
        started, wall, samples, lines, fingerprint = run(workspace, scratch / "dataset")
        print(f"load average before {' '.join(f'{x:.2f}' for x in load_before)}, after "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; fingerprint {fingerprint}")
        parent = next(iter(samples[0][1])) if samples else 0
        report(started, wall, samples, lines, parent)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
