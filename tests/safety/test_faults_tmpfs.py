"""A real full disk: commands run in a workspace on a tiny tmpfs filled to a few pages short of
what they need. Where tests may not mount (not root, or no mount rights), they skip."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from test_faults import COMMANDS, invoke, make_template, small_bulk_chunks, snapshot  # noqa: F401 (a fixture)

PAGE = 4096


@pytest.fixture(scope="module")
def tmpfs(tmp_path_factory):
    point = tmp_path_factory.mktemp("tmpfs")
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    yield point
    subprocess.run(["umount", "-l", str(point)], check=False)


def _fill(point: Path, leave_pages: int) -> Path:
    """Fill the file system but for ``leave_pages`` pages; returns the filler file."""
    filler = point / f"filler-{uuid.uuid4().hex}"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (1 << 20, PAGE):
            block = b"\0" * size
            while True:
                try:
                    os.write(fd, block)
                except OSError as error:
                    assert error.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    os.truncate(filler, max(0, os.path.getsize(filler) - leave_pages * PAGE))
    return filler


@pytest.mark.parametrize("command", ["label", "corpus add", "corpus add --replace", "corpus add records", "import",
                                     "import label-studio", "import conll", "adjudicate"])
def test_a_real_full_disk_at_every_size_leaves_the_workspace_as_it_was(tmpfs, tmp_path, command):
    source = make_template(tmp_path / "template")
    before = snapshot(source)
    refused = completed = 0
    for pages in range(0, 12):
        root = Path(shutil.copytree(source, tmpfs / "ws"))
        filler = _fill(tmpfs, pages)
        try:
            result = invoke(root, COMMANDS[command])
            state = snapshot(root)
        finally:
            filler.unlink()
        where = f"{command} with {pages} pages free"
        assert "Traceback" not in result.output, where
        if result.exit_code == 0:
            completed += 1
        else:
            assert result.exit_code == 2, (where, result.output)
            assert "No space left on device" in result.stderr and "nothing was saved" in result.stderr, \
                (where, result.stderr)
            assert state == before, where
            refused += 1
        shutil.rmtree(root)
    assert refused > 0 and completed > 0, (refused, completed)


def test_a_read_only_workspace_can_be_read_and_refuses_writes_with_one_line(tmpfs, tmp_path):
    root = Path(shutil.copytree(make_template(tmp_path / "template"), tmpfs / "ro"))
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    try:
        before = snapshot(root)
        for command in (["validate"], ["corpus", "stats"], ["annotate", "progress"], ["annotate", "gold"],
                        ["annotate", "export", "--format", "csv", "--gold"]):
            result = invoke(root, command)
            assert result.exit_code == 0, (command, result.output)
        for name in ("label", "corpus add", "import", "adjudicate"):
            result = invoke(root, COMMANDS[name])
            assert result.exit_code == 2 and "Traceback" not in result.output, (name, result.output)
            errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
            assert len(errors) == 1 and "Read-only file system" in errors[0], (name, result.stderr)
        assert snapshot(root) == before
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], check=True)
        shutil.rmtree(root)


def test_a_build_on_a_full_disk_keeps_the_previous_build(tmpfs, tmp_path):
    source = make_template(tmp_path / "template")
    assert invoke(source, ["eval", "build", "--no-tokens"]).exit_code == 0
    size = sum(path.stat().st_size for path in (source / "build").rglob("*") if path.is_file())
    outcomes = {"refused": 0, "complete": 0}
    for pages in (0, 8, 32, 64, 128, size // PAGE // 2, size // PAGE + 64):
        root = Path(shutil.copytree(source, tmpfs / "ws"))
        before = snapshot(root / "build" / "dataset")
        filler = _fill(tmpfs, pages)
        try:
            result = invoke(root, ["eval", "build", "--no-tokens"])
            # index/ is the derived sentence index that the template's commands made.
            left = sorted(path.name for path in (root / "build").iterdir() if path.name != "index")
            dataset = snapshot(root / "build" / "dataset")
        finally:
            filler.unlink()
        where = f"eval build with {pages} pages free"
        assert "Traceback" not in result.output, (where, result.output)
        if result.exit_code == 0:
            outcomes["complete"] += 1
        else:
            assert result.exit_code == 2, (where, result.output)
            errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
            assert len(errors) == 1 and "No space left on device" in errors[0], (where, result.stderr)
            assert dataset == before, where
            assert left == ["dataset"], (where, left)
            outcomes["refused"] += 1
        shutil.rmtree(root)
    assert outcomes["refused"] > 0 and outcomes["complete"] > 0, outcomes
