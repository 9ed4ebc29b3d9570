"""A bulk import whose answers, held until the documents are written, no longer fit on the disk: the
unnamed file they wait in (in ``build/``) fails to grow. As for any other write: one ``Error:`` line
naming where, exit 2, every file as it was."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_import_bulk import workspace_files

from tagline.annotate.interop import bulk_tasks
from tagline.corpus.workspace import init_workspace

from conftest import interop_cli as cli


class _FullDisk:
    """An unnamed temporary file on a disk with no room left: every write fails."""

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    closed = False

    def close(self) -> None:
        self.closed = True


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def test_a_label_studio_import_whose_held_answers_fill_the_disk_is_one_error_and_nothing_written(tmp_path,
                                                                                                monkeypatch):
    workspace = init_workspace(tmp_path / "ws", language="en")
    monkeypatch.chdir(tmp_path)
    tasks = [{"id": number, "data": {"text": f"Alice left, item {number}."},
              "annotations": [{"completed_by": 1, "result": [{"from_name": "label", "to_name": "text", "type": "labels",
                                                               "value": {"start": 0, "end": 5, "labels": ["PERSON"]}}]}]}
             for number in range(1, 40)]
    Path("tasks.json").write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    before = workspace_files(workspace.root)
    monkeypatch.setattr(bulk_tasks, "SPOOL_BYTES", 1)  # the answers leave memory for the file at once
    monkeypatch.setattr(tempfile, "TemporaryFile", lambda *arguments, **options: _FullDisk())
    result = CliRunner().invoke(cli, ["import", "tasks.json", "--format", "label-studio", "-w", str(workspace.root)])
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"Error: {workspace.root / 'build'}: could not write: {os.strerror(errno.ENOSPC)}; "
                           "nothing was saved"), last
    assert workspace_files(workspace.root) == before
