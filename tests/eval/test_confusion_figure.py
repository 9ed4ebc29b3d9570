"""The confusion-matrix PNG of a run: drawn with Pillow, cells shaded by their counts."""

from __future__ import annotations

import subprocess
import sys

from PIL import Image

from tagline.eval.run.figure import BLUES, plot_confusion


def test_the_figure_shades_each_cell_by_its_count_and_writes_every_count(tmp_path):
    labels = ["FAVOR", "AGAINST", "NONE"]
    matrix = [[8, 0, 0], [0, 4, 0], [0, 0, 0]]
    path = tmp_path / "confusion.png"
    plot_confusion({"labels": labels, "matrix": matrix}, path, title="stance · tfidf_svm")
    with Image.open(path) as image:
        assert image.format == "PNG"
        pixels = image.convert("RGB")
        colours = {colour for _, colour in pixels.getcolors(maxcolors=1 << 20)}
    darkest, lightest = (tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5)) for colour in (BLUES[-1], BLUES[0]))
    assert darkest in colours and lightest in colours  # the most items, and none
    assert (0, 0, 0) in colours and (255, 255, 255) in colours  # writing on light and on dark cells


def test_more_labels_make_a_larger_figure_and_long_names_fit(tmp_path):
    sizes = []
    for count in (2, 7):
        labels = [f"correlation or causation {index}" for index in range(count)]
        path = tmp_path / f"{count}.png"
        plot_confusion({"labels": labels, "matrix": [[index] * count for index in range(count)]}, path, title="t")
        with Image.open(path) as image:
            sizes.append(image.size)
    assert sizes[0][0] < sizes[1][0] and sizes[0][1] < sizes[1][1]


def test_no_matplotlib_is_imported_to_draw_it(tmp_path):
    code = ("import sys; from pathlib import Path; from tagline.eval.run.storage import plot_confusion; "
            "plot_confusion({'labels': ['a', 'b'], 'matrix': [[1, 2], [3, 4]]}, Path(sys.argv[1]), title='t'); "
            "print('matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "c.png")], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False" and (tmp_path / "c.png").stat().st_size > 0
