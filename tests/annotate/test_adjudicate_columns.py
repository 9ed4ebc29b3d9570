"""Adjudication reads large answer files through Arrow's check and orjson (`columns.VoteAnswers`):
the gold it writes must be the gold of the line-by-line typed reader, byte for byte but for the time
stamps, on random workspaces and on the sample."""

from __future__ import annotations

import re
import shutil

import pytest
from test_agree_columns import random_workspace

from tagline.annotate import columns
from tagline.annotate.gold import auto_adjudicate
from tagline.corpus.workspace import Workspace, init_workspace

TIME = re.compile(rb'"time":"[^"]*"')


def gold_bytes(workspace: Workspace, monkeypatch: pytest.MonkeyPatch, arrow: bool) -> bytes:
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0 if arrow else 1 << 40)
    result = auto_adjudicate(workspace)
    assert result.written
    return TIME.sub(b'"time":""', workspace.gold_path.read_bytes())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_same_gold_from_arrow_and_line_by_line(tmp_path, monkeypatch, seed):
    first = random_workspace(tmp_path / "a", seed, 2000, 3000, n_annotators=3)
    shutil.copytree(first.root, tmp_path / "b")
    second = Workspace(tmp_path / "b")
    assert gold_bytes(first, monkeypatch, True) == gold_bytes(second, monkeypatch, False)
    # Arrow read these files: the fast path was taken, not fallen back from.
    assert all(columns._checked_blocks(first.annotation_path(name), lambda table: None) is not None
               for name in first.annotators())


def test_the_same_gold_on_the_sample(tmp_path, monkeypatch):
    first = init_workspace(tmp_path / "a", sample=True)
    first.gold_path.unlink()
    shutil.copytree(first.root, tmp_path / "b")
    second = Workspace(tmp_path / "b")
    assert gold_bytes(first, monkeypatch, True) == gold_bytes(second, monkeypatch, False)
