"""Tables in the docs made from a registry: the block between two markers of a page made again,
and the `python -m ...table [PAGE]` entry point each registry's table module shares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def replace_block(text: str, begin: str, end: str, block: str) -> str:
    """``text`` with what lies from the marker ``begin`` to the marker ``end`` replaced by
    ``block`` (which carries the markers itself)."""
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"the page has no block between {begin!r} and {end!r}")
    return text[:start] + block + text[stop + len(end):]


def table_main(arguments: list[str], render: Callable[[], str], with_table: Callable[[str], str]) -> None:
    """Print the table, or with a page's path, write the page with its block made again."""
    if not arguments:
        print(render())
        return
    page = Path(arguments[0])
    page.write_text(with_table(page.read_text(encoding="utf-8")), encoding="utf-8")
