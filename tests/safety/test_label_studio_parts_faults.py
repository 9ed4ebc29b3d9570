"""The fault suite (test_faults.py) for a Label Studio task array read in parts by two forked workers
(label_studio_parts.py), which the suite's small file never is: a full disk, an I/O error or Ctrl-C
at every write the command makes while its workers read the parts after. The workers only read; the
command's writes must leave the workspace as it was (one `Error:` line, status 2; or `Interrupted`,
status 130), or as one clean run leaves it, and no worker may be left running."""

from __future__ import annotations

import json
import os

import pytest

from test_faults import Faults, fresh, invoke, snapshot

ARGUMENTS = ["annotate", "import", "tasks.json", "--format", "label-studio"]


def tasks() -> list[dict]:
    return [{"id": number, "data": {"text": f"楽天は東京の会社だ。その{number}日目。"}, "annotations": [
        {"completed_by": {"email": "dave@example.com"}, "result": [
            {"type": "labels", "value": {"start": 0, "end": 2, "text": "楽天", "labels": ["ORG"]}}]},
        {"completed_by": {"email": "erin@example.com"}, "result": []}]} for number in range(1, 25)]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    from tagline.corpus.workspace import init_workspace

    root = init_workspace(tmp_path_factory.mktemp("parts") / "ws").root
    (root / "tasks.json").write_text(json.dumps(tasks(), ensure_ascii=False, indent=2), encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def in_parts(monkeypatch):
    """The file read in parts of a few tasks by two workers, and written a few tasks at a time."""
    from tagline.annotate.formats import label_studio_parts
    from tagline.annotate.interop import bulk_tasks
    from tagline.corpus import workers

    monkeypatch.setattr(bulk_tasks, "WORKER_BYTES", 0)
    monkeypatch.setattr(bulk_tasks, "CHUNK_RECORDS", 3)
    monkeypatch.setattr(label_studio_parts, "PART_BYTES", 900)
    monkeypatch.setattr(label_studio_parts, "FIRST_PART_BYTES", 300)
    monkeypatch.setattr(workers, "cores", lambda: 2)
    monkeypatch.setattr(workers, "only_thread", lambda wait=0.05: True)


def _children() -> set[int]:
    with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as handle:
        return set(map(int, handle.read().split()))


def _clean(template, tmp_path, monkeypatch) -> tuple[int, dict[str, bytes]]:
    from tagline.annotate.interop import bulk_tasks

    parts = []
    real = bulk_tasks.file_parts
    root = fresh(template, tmp_path / "clean")
    with monkeypatch.context() as patch:
        patch.setattr(bulk_tasks, "file_parts", lambda *a, **k: parts.append(real(*a, **k)) or parts[-1])
        faults = Faults(patch)
        result = invoke(root, ARGUMENTS)
    assert result.exit_code == 0, result.output
    assert parts and parts[0] is not None and len(parts[0]) > 3, parts  # read in parts, by workers
    return faults.calls, snapshot(root)


@pytest.mark.parametrize("action", ["enospc", "eio", "interrupt"])
def test_a_fault_at_any_write_of_an_import_read_in_parts_leaves_the_workspace_whole(template, tmp_path,
                                                                                     monkeypatch, action):
    calls, after = _clean(template, tmp_path, monkeypatch)
    before = snapshot(template)
    children = _children()
    undone = 0
    for at in range(1, calls + 1):
        root = fresh(template, tmp_path / f"{at}")
        with monkeypatch.context() as patch:
            Faults(patch, at=at, action=action)
            result = invoke(root, ARGUMENTS)
        where = f"{action} at write call {at} of {calls}"
        assert "Traceback" not in result.output and "Exception ignored" not in result.output, (where, result.output)
        assert _children() <= children, where  # its workers stopped and waited for
        assert invoke(root, ["validate"]).exit_code == 0, where
        state = snapshot(root)
        assert not [name for name in state if name.endswith((".tmp", ".old")) or ".tagline.journal" in name], \
            (where, sorted(state))
        assert state in (before, after), (where, sorted(set(state.items()) ^ set(before.items())))
        if result.exit_code == 0:
            continue
        if action == "interrupt":
            assert result.exit_code == 130 and result.stderr.startswith("Interrupted"), (where, result.output)
            assert state == after or not result.stderr.startswith("Interrupted after saving: "), where
            assert state == before or result.stderr.startswith("Interrupted after saving: "), where
        else:
            errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
            assert result.exit_code == 2 and len(errors) == 1, (where, result.stderr)
            assert state == before, where
        undone += state == before
    assert undone > 0
