"""The tables of formats in ``docs/formats.md``, made from the registry.

``python -m tagline.annotate.formats.table docs/formats.md`` rewrites the block between the two
marker comments; without a file it prints the block. ``tests/cli/test_docs.py`` fails when the block in
the docs differs from what the registry makes.
"""

from __future__ import annotations

import sys

from tagline.annotate.formats.registry import FORMATS, TASKS, Detection, FormatSpec
from tagline.pages import replace_block, table_main

BEGIN = "<!-- formats table: made from the registry by `python -m tagline.annotate.formats.table docs/formats.md` -->"
END = "<!-- end of the formats table -->"


def render_table() -> str:
    """The block between the markers: what each format holds and loses, then how it is recognised."""
    ranked = sorted((spec for spec in FORMATS if spec.detection.json_keys or spec.detection.json_list_keys
                     or spec.detection.json_object_keys),
                    key=lambda spec: spec.detection.json_rank)
    lines = [
        "| format | import | export | tasks it holds | annotator names | \"not annotated\" vs \"no entities\" | "
        "also lost on export |",
        "|---|---|---|---|---|---|---|",
        *(_holds_row(spec) for spec in FORMATS),
        "",
        "Without `--format`, an import guesses the format from a folder's files, then the suffix, then how "
        "the file begins, then a file beside it, then the keys near the start of a `.json` or `.jsonl` file "
        f"(tried in this order: {', '.join(f'`{spec.name}`' for spec in ranked)}). Anything else needs `--format`.",
        "",
        "| format | what it is | recognised by |",
        "|---|---|---|",
        *(f"| `{spec.name}` | {spec.description} | {_detection(spec.detection)} |" for spec in FORMATS),
    ]
    return "\n".join([BEGIN, "", *lines, "", END])


def _holds_row(spec: FormatSpec) -> str:
    holds = spec.holds
    imports = ("yes (gold)" if spec.benchmark else "yes (a file or a folder)" if spec.folder else "yes") \
        if spec.imports else "no"
    exports = ("yes (a folder)" if spec.folder else "yes") if spec.exports else "no"
    tasks = "all" if set(holds.tasks) == set(TASKS) else ", ".join(task.replace("_", " ") for task in holds.tasks)
    if holds.tasks_how:
        tasks += f" ({holds.tasks_how})"
    annotators = unanswered = ""
    if not spec.benchmark:
        annotators = f"yes ({holds.annotators})" if holds.annotators else "no"
        unanswered = f"yes ({holds.unanswered})" if holds.unanswered else "no"
    return f"| `{spec.name}` | {imports} | {exports} | {tasks} | {annotators} | {unanswered} | " \
           f"{', '.join(holds.loses)} |"


def _detection(detection: Detection) -> str:
    parts = []
    if detection.folder_files:
        parts.append(f"a folder of `{detection.folder_files}` files" if "*" in detection.folder_files
                     else f"a folder holding `{detection.folder_files}`")
    if detection.suffixes:
        parts.append(" or ".join(f"`{suffix}`" for suffix in detection.suffixes))
    if detection.starts_with:
        shown = [start.replace("\t", "\\t") for start in detection.starts_with]  # a tab as the \t people type
        parts.append("a file that begins " + " or ".join(f"`{start}`" for start in shown))
    if detection.beside:
        parts.append(f"a `{detection.beside[0]}` beside a `{detection.beside[1]}` of the same name")
    keys = [" and ".join(f'`"{key}"`' for key in group) for group in detection.json_keys]
    keys += [f'a `"{key}"` list' for key in detection.json_list_keys]
    keys += [f'a `"{key}"` object (or list of objects)' for key in detection.json_object_keys]
    if keys:
        parts.append("JSON with " + " or ".join(keys))
    return "; ".join(parts) or "only `--format`"


def with_table(text: str) -> str:
    """``text`` (the docs page) with the block between the markers made again."""
    return replace_block(text, BEGIN, END, render_table())


def main(arguments: list[str]) -> None:
    table_main(arguments, render_table, with_table)


if __name__ == "__main__":
    main(sys.argv[1:])
