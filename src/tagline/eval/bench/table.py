"""The README's table of benchmarks, made from the registry and the figures measured by `tagline bench`.

The measured figures are the ``--json`` output of ``tagline bench NAME``, kept as
``docs/bench/<name>.json``. ``python -m tagline.eval.bench.table README.md`` rewrites the block
between the two marker comments; without a file it prints the block. ``tests/eval/test_bench.py``
fails when the block in the README differs from what the registry and the figures make.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tagline.eval.bench.registry import BENCHMARKS, BenchmarkSpec
from tagline.pages import replace_block, table_main

BEGIN = "<!-- benchmarks table: made by `python -m tagline.eval.bench.table README.md` from docs/bench/*.json -->"
END = "<!-- end of the benchmarks table -->"
FIGURES = Path("docs") / "bench"


def render_table(figures_dir: Path = FIGURES) -> str:
    """The block between the markers: one row per registered benchmark, with our figures from
    ``figures_dir/<name>.json`` (or a note that none was measured), the published ones and the command."""
    lines = ["| benchmark | measure | ours (95% interval) | published | command |", "|---|---|---|---|---|"]
    for spec in BENCHMARKS:
        path = figures_dir / f"{spec.name}.json"
        measured = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        lines.append(_row(spec, measured))
    return "\n".join([BEGIN, "", *lines, "", END])


def _row(spec: BenchmarkSpec, measured: dict[str, Any] | None) -> str:
    if measured is None:
        ours = "not measured yet"
    else:
        ours = "; ".join(f"`{row['baseline']}` {spec.shown(row[spec.measure]['value'])} "
                         f"[{spec.shown(row[spec.measure]['low'])}, {spec.shown(row[spec.measure]['high'])}]"
                         for row in measured["ours"])
    published = "; ".join(f"{p.system} {p.printed}" for p in spec.published)
    if spec.published_note:
        published = f"{published} ({spec.published_note})" if published else f"none: {spec.published_note}"
    return f"| {spec.name} | {spec.measure_name} | {ours} | {published} | `{spec.command()}` |"


def with_table(text: str, figures_dir: Path = FIGURES) -> str:
    """``text`` (the README) with the block between the markers made again."""
    return replace_block(text, BEGIN, END, render_table(figures_dir))


def main(arguments: list[str]) -> None:
    table_main(arguments, render_table, with_table)


if __name__ == "__main__":
    main(sys.argv[1:])
