"""The confusion-matrix PNG of a run, drawn with Pillow.

Pillow imports and draws in a few hundredths of a second; matplotlib took about a second to import
and draw, more than scoring and writing everything else of a tuned run on 10,000 sentences.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# matplotlib's "Blues" colour map (ColorBrewer's nine blues), light for few items, dark for many.
BLUES = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b")
MARGIN = 12
FONT_SIZE = 14


def plot_confusion(confusion: dict, path: Path, *, title: str) -> None:
    """Draw the confusion matrix (rows gold, columns predicted, counts in the cells) as a PNG."""
    from PIL import Image, ImageDraw, ImageFont

    labels, matrix = confusion["labels"], confusion["matrix"]
    font = ImageFont.load_default(size=FONT_SIZE)
    measure = ImageDraw.Draw(Image.new("L", (1, 1)))
    widest = max((measure.textlength(str(label), font=font) for label in labels), default=0)
    line = FONT_SIZE + 6
    cell = max(2 * line, min(60, int(480 / max(len(labels), 1))))
    left = MARGIN + line + int(widest) + MARGIN  # "gold", the row labels
    top = MARGIN + line + MARGIN  # the title
    grid = cell * len(labels)
    width = max(left + grid + MARGIN, int(measure.textlength(title, font=font)) + 2 * MARGIN)
    height = top + grid + MARGIN + int(widest) + MARGIN + line + MARGIN  # column labels, "predicted"
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((width / 2, MARGIN), title, fill="black", font=font, anchor="mt")
    counts = [count for row in matrix for count in row]
    low, peak = min(counts, default=0), max(counts, default=0)
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            box = (left + j * cell, top + i * cell, left + (j + 1) * cell - 1, top + (i + 1) * cell - 1)
            draw.rectangle(box, fill=_blue((count - low) / (peak - low) if peak > low else 0.0))
            draw.text((box[0] + cell / 2, box[1] + cell / 2), str(count), font=font, anchor="mm",
                      fill="white" if count > peak / 2 else "black")
    for index, label in enumerate(labels):
        middle = top + index * cell + cell / 2
        draw.text((left - MARGIN // 2, middle), str(label), fill="black", font=font, anchor="rm")
        _paste_upright(image, str(label), font, (left + index * cell + cell // 2, top + grid + MARGIN // 2))
    draw.text((left + grid / 2, height - MARGIN), "predicted", fill="black", font=font, anchor="md")
    _paste_upright(image, "gold", font, (MARGIN + line // 2, top + grid // 2), centre=True)
    image.save(path, format="PNG")


def _paste_upright(image: Any, text: str, font: Any, at: tuple[int, int], *, centre: bool = False) -> None:
    """Write ``text`` turned a quarter to the left: centred on ``at`` (``centre``), or hanging
    from it (its end at ``at``, as the labels under the columns)."""
    from PIL import Image, ImageDraw

    left, upper, right, lower = font.getbbox(text)
    stamp = Image.new("L", (max(right, 1), max(lower, 1)), 0)
    ImageDraw.Draw(stamp).text((0, 0), text, fill=255, font=font)
    stamp = stamp.transpose(Image.Transpose.ROTATE_90)
    x = at[0] - stamp.width // 2
    y = at[1] - stamp.height // 2 if centre else at[1]
    image.paste((0, 0, 0), (x, y, x + stamp.width, y + stamp.height), stamp)


def _blue(share: float) -> tuple[int, int, int]:
    """The colour of :data:`BLUES` at ``share`` (0 to 1) of the way, between its two neighbours."""
    position = min(max(share, 0.0), 1.0) * (len(BLUES) - 1)
    below = min(int(position), len(BLUES) - 2)
    weight = position - below
    first, second = _rgb(BLUES[below]), _rgb(BLUES[below + 1])
    red, green, blue = (round(a + (b - a) * weight) for a, b in zip(first, second))
    return red, green, blue


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
