"""tagline.toml checked against its JSON Schema once while it stays the same, not on every load."""

from __future__ import annotations

import os

import pytest

import tagline.schemas
from tagline.corpus.config import default_config, load_config, render_toml
from tagline.corpus.workspace import Workspace
from tagline.errors import WorkspaceError

from conftest import DEAD_PID, held_temporary


@pytest.fixture
def schema_checks(monkeypatch, tmp_path):
    """The configurations checked against the schema, in order (with a cache folder of their own)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    checked = []
    real = tagline.schemas.schema_errors

    def counting(name, record):
        if name == "config":
            checked.append(record)
        return real(name, record)

    monkeypatch.setattr(tagline.schemas, "schema_errors", counting)
    return checked


def test_an_unchanged_configuration_is_checked_against_the_schema_once(tmp_path, schema_checks):
    path = tmp_path / "tagline.toml"
    path.write_text(render_toml(default_config()), encoding="utf-8")
    first = load_config(path)
    assert len(schema_checks) == 1 and len(list((tmp_path / "cache" / "tagline" / "checked-configs").iterdir())) == 1
    again = load_config(path)
    assert len(schema_checks) == 1 and again.data == first.data
    path.write_text(path.read_text(encoding="utf-8").replace('name = ""', 'name = "news"'), encoding="utf-8")
    assert load_config(path).data["name"] == "news"
    assert len(schema_checks) == 2  # changed: checked again
    load_config(path)
    assert len(schema_checks) == 2


def test_a_configuration_changed_to_break_the_schema_is_refused_though_an_earlier_one_was_valid(tmp_path,
                                                                                               schema_checks):
    path = tmp_path / "tagline.toml"
    text = render_toml(default_config())
    path.write_text(text, encoding="utf-8")
    load_config(path)
    stat = path.stat()
    path.write_text(text.replace('language = "ja"', 'language = 7 '), encoding="utf-8")  # the same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same time: the bytes are compared
    for _ in range(2):
        with pytest.raises(WorkspaceError, match=r"language: 7 is not one of"):
            load_config(path)
    assert len(schema_checks) == 3


def remembered(tmp_path):
    return next((tmp_path / "cache" / "tagline" / "checked-configs").iterdir())


def test_a_stale_or_damaged_record_of_the_check_means_checking_again(tmp_path, schema_checks):
    path = tmp_path / "tagline.toml"
    path.write_text(render_toml(default_config()), encoding="utf-8")
    load_config(path)
    remembered(tmp_path).write_bytes(b"\xff\xfe not a hash")
    load_config(path)
    assert len(schema_checks) == 2
    remembered(tmp_path).write_text("0" * 64 + "\n", encoding="utf-8")
    load_config(path)
    assert len(schema_checks) == 3
    load_config(path)
    assert len(schema_checks) == 3


def test_where_the_cache_cannot_be_written_the_configuration_is_checked_every_time(tmp_path, schema_checks, monkeypatch):
    path = tmp_path / "tagline.toml"
    path.write_text(render_toml(default_config()), encoding="utf-8")

    def read_only(*args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", read_only)
    load_config(path)
    load_config(path)
    assert len(schema_checks) == 2 and not list((tmp_path / "cache" / "tagline" / "checked-configs").iterdir())


def test_the_workspace_is_not_written_to_and_each_workspace_is_remembered_apart(tmp_path, schema_checks):
    from tagline.corpus.workspace import init_workspace

    first, second = init_workspace(tmp_path / "one"), init_workspace(tmp_path / "two")
    before = sorted(path.name for path in first.root.iterdir())
    for workspace in (first, second, first, second):
        Workspace(workspace.root).config  # noqa: B018 - loads it
    assert sorted(path.name for path in first.root.iterdir()) == before
    assert len(list((tmp_path / "cache" / "tagline" / "checked-configs").iterdir())) == 2


def test_a_relative_cache_folder_is_ignored_as_the_xdg_specification_says_so_the_workspace_is_not_written_to(
        tmp_path, schema_checks, monkeypatch):
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(tmp_path / "ws")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "cache")  # relative: from the current folder, the workspace
    monkeypatch.chdir(workspace.root)
    before = sorted(path.name for path in workspace.root.iterdir())
    Workspace(workspace.root).config  # noqa: B018 - loads it
    assert sorted(path.name for path in workspace.root.iterdir()) == before
    assert len(list((tmp_path / "home" / ".cache" / "tagline" / "checked-configs").iterdir())) == 1


def test_a_save_killed_between_its_write_and_its_rename_leaves_nothing_once_the_next_save_runs(tmp_path,
                                                                                             schema_checks):
    """kill -9 after the temporary file is written, before it is renamed over the record: the next
    process that saves a record sweeps it (a running process's temporary is left alone)."""
    import signal

    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    for path in (first, second):
        path.write_text(render_toml(default_config()), encoding="utf-8")
    pid = os.fork()
    if pid == 0:  # the child: killed at its rename
        try:
            os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
            load_config(first)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    folder = tmp_path / "cache" / "tagline" / "checked-configs"
    assert [name for name in os.listdir(folder) if name.endswith(".tmp")]  # what the kill left
    # Another process's write under way, in another container: its id means nothing here, its lock is held.
    with held_temporary(folder / f".{'0' * 32}.{DEAD_PID}.tmp") as running:
        load_config(second)
        assert sorted(os.listdir(folder)) == sorted([running.name, remembered_name(second)])
        load_config(first)
        assert sorted(os.listdir(folder)) == sorted([running.name, remembered_name(first), remembered_name(second)])


def remembered_name(path):
    from tagline.corpus.config import _checked_path

    checked = _checked_path(path)
    assert checked is not None
    return checked.name
