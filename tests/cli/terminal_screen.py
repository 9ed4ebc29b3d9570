"""What a terminal shows after a program's output: enough of a VT100 to replay progress bars (carriage
returns, line feeds, cursor up and down, erasing lines, wrapping at the width), so that tests can
check the screen a person is left with, not only the bytes."""

from __future__ import annotations

import re

CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")


def screen_lines(output: str, width: int) -> list[str]:
    """The lines on the screen once ``output`` has been written to a terminal ``width`` columns wide
    (its scrollback included), without trailing blanks; colours and cursor visibility are dropped."""
    rows: list[list[str]] = [[]]
    row = column = 0
    position = 0
    while position < len(output):
        control = CSI.match(output, position)
        if control:
            _csi(rows, row, column, control.group(1), control.group(2))
            row, column = _moved(row, column, control.group(1), control.group(2))
            position = control.end()
            continue
        char = output[position]
        position += 1
        if char == "\r":
            column = 0
        elif char == "\n":
            row += 1
        elif char == "\x1b" or char < " ":
            continue  # another escape (not drawn by rich's bars) or a bell
        else:
            if column >= width:  # the terminal wraps
                row, column = row + 1, 0
            while len(rows) <= row:
                rows.append([])
            line = rows[row]
            line.extend(" " * (column + 1 - len(line)))
            line[column] = char
            column += 1
        while len(rows) <= row:
            rows.append([])
    return ["".join(line).rstrip() for line in rows]


def _number(params: str, default: int = 1) -> int:
    digits = params.lstrip("?")
    return int(digits) if digits.isdigit() else default


def _csi(rows: list[list[str]], row: int, column: int, params: str, command: str) -> None:
    """Erasing: ``K`` (0 to the end of the line, 1 to the cursor, 2 the whole line)."""
    if command != "K" or row >= len(rows):
        return
    mode = _number(params, 0)
    line = rows[row]
    if mode == 2:
        line.clear()
    elif mode == 0:
        del line[column:]
    else:
        line[:column + 1] = " " * min(len(line), column + 1)


def _moved(row: int, column: int, params: str, command: str) -> tuple[int, int]:
    """The cursor after ``A`` (up), ``B`` (down), ``C`` (right), ``D`` (left) or ``G`` (to a column)."""
    if command == "A":
        return max(0, row - _number(params)), column
    if command == "B":
        return row + _number(params), column
    if command == "C":
        return row, column + _number(params)
    if command == "D":
        return row, max(0, column - _number(params))
    if command == "G":
        return row, _number(params) - 1
    return row, column

