"""The table of baselines in ``docs/baselines.md``, made from the registry.

``python -m tagline.eval.baselines.table docs/baselines.md`` rewrites the block between the two
marker comments; without a file it prints the block. ``tests/cli/test_docs.py`` fails when the block in
the docs differs from what the registry makes.
"""

from __future__ import annotations

import sys
from typing import Any

from tagline.eval.baselines.registry import BASELINE_SPECS, POOLED, BaselineSpec
from tagline.pages import replace_block, table_main

BEGIN = "<!-- baselines table: made from the registry by `python -m tagline.eval.baselines.table docs/baselines.md` -->"
END = "<!-- end of the baselines table -->"


def render_table() -> str:
    """The block between the markers: one row per registered baseline, in the order runs are made."""
    lines = [f"| baseline | tasks | what it is | `{POOLED}` | tuning tries | factory |",
             "|---|---|---|---|---|---|",
             *(_row(spec) for spec in BASELINE_SPECS)]
    return "\n".join([BEGIN, "", *lines, "", END])


def _row(spec: BaselineSpec) -> str:
    tasks = ", ".join(task.replace("_", " ") for task in spec.tasks)
    grid = "; ".join(f"`{key}` {', '.join(_shown(value) for value in values)}" for key, values in spec.grid.items())
    return f"| `{spec.name}` | {tasks} | {spec.description} | {'yes' if spec.poolable else 'no'} | " \
           f"{grid or 'nothing to tune'} | `{spec.factory}` |"


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def with_table(text: str) -> str:
    """``text`` (the docs page) with the block between the markers made again."""
    return replace_block(text, BEGIN, END, render_table())


def main(arguments: list[str]) -> None:
    table_main(arguments, render_table, with_table)


if __name__ == "__main__":
    main(sys.argv[1:])
