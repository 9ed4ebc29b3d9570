"""Fitting text to the screen: the window of a sentence too long for its rows, and text cropped to
a number of cells. Only what is drawn is sliced and measured, so a sentence of millions of
characters costs no more than a short one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


def fit_sentence(text: str, width: int, rows: int, *, highlights: Sequence[tuple[int, int, str]] = (),
                 focus: tuple[int, int] | None = None, style: str = "bold") -> tuple[Text, bool]:
    """``(renderable, cut)``: ``text`` as it fits in ``rows`` rows of ``width`` cells.

    A text that fits is drawn whole, as it always was. A longer one is drawn as the window that
    fits, from its start or, given ``focus`` (a ``(start, end)`` further on), from a little before
    it, with marks counting the characters hidden before and after. Only the window is cut out
    and measured (with rich's own wrapping, so wide characters and word breaks count as drawn).

    Parameters
    ----------
    highlights : iterable of ``(start, end, style)``
        Offsets into ``text`` to style (the spans); parts outside the window are left out.
    """
    from rich.text import Text

    width, rows = max(1, width), max(1, rows)
    # A character takes at least a cell (combining marks aside), so no more than this could fit.
    budget = rows * width

    def styled(lo: int, hi: int) -> Text:
        window = Text(text[lo:hi], style=style)
        for start, end, highlight in highlights:
            if start < hi and end > lo:
                window.stylize(highlight, max(start, lo) - lo, min(end, hi) - lo)
        return window

    if len(text) <= budget:
        whole = styled(0, len(text))
        if row_count(whole, width) <= rows:
            return whole, False

    def cut(lo: int, hi: int) -> Text:
        line = Text()
        if lo > 0:
            # Its own row: rich would start the long unbroken window on the next row in any case.
            line.append(f"{lo:,} characters before\n", style="dim")
            line.append("…", style=style)
        line.append_text(styled(lo, hi))
        if hi < len(text):
            line.append("…", style=style)
            line.append(f" {len(text) - hi:,} more characters", style="dim")
        return line

    def fill(lo: int) -> tuple[int, Text]:
        hi = min(len(text), lo + budget)
        while True:
            line = cut(lo, hi)
            wrapped = line.wrap(_measure(width), width)
            if len(wrapped) <= rows or hi - lo <= 1:
                return hi, line
            # Give back what spilled over (marks included); one or two rounds are enough.
            hi = max(lo + 1, hi - sum(len(row) for row in wrapped[rows:]))

    hi, line = fill(0)
    if focus is not None and focus[1] > hi:
        # The span a quarter of the way into the window, so it is seen in its context; near the end
        # of the text the window ends with the text instead, so that it still fills its rows.
        held = hi
        lo = max(0, min(focus[0] - held // 4, len(text) - held))
        hi, line = fill(lo)
        if hi < focus[1]:
            # The row that counts the characters before took room: move on by what is missing and
            # a row more, but never past the start of the span.
            hi, line = fill(min(focus[0], lo + focus[1] - hi + width))
    return line, True


def _measure(width: int) -> Console:
    """A console that only measures: it wraps text as the screen's console does at this width."""
    import io

    from rich.console import Console

    cached = _MEASURE.get(width)
    if cached is None:
        cached = _MEASURE[width] = Console(width=width, file=io.StringIO(), highlight=False)
    return cached


_MEASURE: dict[int, Console] = {}


def row_count(line: Text, width: int) -> int:
    """The rows ``line`` takes on a screen ``width`` cells wide."""
    return len(line.wrap(_measure(width), width))


def crop(text: str, cells: int, start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` cut to at most ``cells`` cells, ending in "…" when cut.

    Only as many characters as could fit are sliced and measured, so a span of millions of
    characters costs no more than a short one."""
    from rich.cells import cell_len, chop_cells

    end = len(text) if end is None else end
    cells = max(1, cells)
    head = text[start:min(end, start + cells + 1)]
    if start + len(head) == end and cell_len(head) <= cells:
        return head
    kept = chop_cells(head, cells - 1) if cells > 1 else []
    return (kept[0] if kept else "") + "…"


def append_option(line, key: str, key_style: str, label: str, label_style: str, width: int) -> None:
    """Append ``[key] label`` to ``line``, on a new row when it would not fit on the current one,
    so a key is never left at the end of a row without its label."""
    from rich.cells import cell_len

    row = line.plain.rsplit("\n", 1)[-1]
    if row.strip() and cell_len(row) + cell_len(f"[{key}] {label}") > width:
        line.rstrip()
        line.append("\n")
    line.append(f"[{key}]", style=key_style)
    line.append(f" {label}  ", style=label_style)
