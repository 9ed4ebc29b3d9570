"""The terminal session on a disk that fills: the answer that could not be written is not taken, the
session goes on saying so (rather than ending), and once there is space again the same key saves it."""

from __future__ import annotations

import io
import os
import shutil
import sys
import time
from pathlib import Path

import pexpect
from test_faults_tmpfs import _fill, tmpfs  # noqa: F401 (a fixture)

import tagline
from tagline.corpus.workspace import init_workspace

from terminal_screen import screen_lines

WIDTH = 110


def shown(screen: io.StringIO) -> str:
    return "\n".join(line for line in screen_lines(screen.getvalue(), WIDTH) if line.strip())


def wait_for(screen: io.StringIO, text: str, child: pexpect.spawn) -> str:
    deadline = time.monotonic() + 60
    while text not in " ".join(shown(screen).split()) and child.isalive() and time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            child.read_nonblocking(100_000, timeout=0.05)
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass
    assert text in " ".join(shown(screen).split()), shown(screen)
    return shown(screen)


def test_an_answer_on_a_full_disk_is_refused_in_the_session_and_saved_by_the_same_key_later(tmpfs, tmp_path):  # noqa: F811
    root = Path(shutil.copytree(init_workspace(tmp_path / "sample", sample=True).root, tmpfs / "ws"))
    answers = root / "annotations" / "zed.jsonl"
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1]), "TERM": "xterm-256color"}
    env.pop("TAGLINE_WORKSPACE", None)
    child = pexpect.spawn(sys.executable, ["-m", "tagline", "annotate", "--annotator", "zed", "-w", str(root)],
                          env=env, dimensions=(30, WIDTH), encoding="utf-8", timeout=60)
    child.logfile_read = screen = io.StringIO()
    filler = None
    try:
        wait_for(screen, "stance toward DeepSeek", child)
        filler = _fill(tmpfs, 0)
        child.send("f")
        wait_for(screen, "this answer was not saved (could not write: No space left on device)", child)
        assert "DeepSeek: FAVOR" not in shown(screen) and child.isalive()
        assert not answers.exists() or answers.read_bytes() == b""
        filler.unlink()
        filler = None
        child.send("f")  # the same key, on the same question
        wait_for(screen, "DeepSeek: FAVOR", child)
        child.send("n")
        wait_for(screen, "US AI policy: NONE", child)
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
        if filler is not None:
            filler.unlink()
    assert child.exitstatus == 0, shown(screen)
    labels = [line.split('"label":"')[1].split('"')[0] for line in answers.read_text().splitlines()]
    assert labels == ["FAVOR", "NONE"]
