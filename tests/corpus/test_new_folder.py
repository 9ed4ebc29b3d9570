"""A new folder of many files: made whole or not at all, durable with one sync, never over another's."""

from __future__ import annotations

import os

import pytest

from tagline.corpus import new_folder, primitives
from tagline.corpus.new_folder import write_new_folder


@pytest.fixture
def syscalls(monkeypatch):
    """How many times the file system was synced and os.fsync was called (both still run)."""
    counts = {"sync": 0, "fsync": 0}
    sync, fsync = primitives.sync_file_system, os.fsync

    def counting_sync(path):
        counts["sync"] += 1
        sync(path)

    def counting_fsync(fd):
        counts["fsync"] += 1
        fsync(fd)

    monkeypatch.setattr(new_folder, "sync_file_system", counting_sync)
    monkeypatch.setattr(os, "fsync", counting_fsync)
    return counts


def test_the_folder_is_made_with_every_file_and_one_sync_for_them_all(tmp_path, syscalls):
    files = {f"doc-{number}.txt": f"text {number}\n" for number in range(300)} | {"raw.bin": b"\x00\xff"}
    write_new_folder(tmp_path / "out" / "brat", files)
    folder = tmp_path / "out" / "brat"
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == {
        name: content.encode("utf-8") if isinstance(content, str) else content for name, content in files.items()}
    assert os.listdir(tmp_path / "out") == ["brat"]  # nothing hidden left beside it
    assert syscalls == {"sync": 1, "fsync": 1}  # the files and their folder at once; then the parent's entry
    (tmp_path / "made").mkdir()
    assert folder.stat().st_mode == (tmp_path / "made").stat().st_mode


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    real_write = os.write
    written = []

    def full_disk(descriptor, data):
        if len(written) == 5:
            raise OSError(28, "No space left on device")
        written.append(descriptor)
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_new_folder(tmp_path / "brat", {f"{number}.txt": "x" for number in range(10)})
    assert os.listdir(tmp_path) == []


def test_a_write_back_error_the_sync_reports_fails_the_folder_and_leaves_nothing(tmp_path, monkeypatch):
    """The kernel's syncfs reports a write that failed after write() returned (EIO): the folder is
    not made, and the error names where."""
    import ctypes
    import errno

    if primitives._syncfs() is None:
        pytest.skip("no syncfs in this C library")
    asked = []

    def failing_syncfs(fd):
        asked.append(os.readlink(f"/proc/self/fd/{fd}"))
        ctypes.set_errno(errno.EIO)
        return -1

    monkeypatch.setattr(primitives, "_syncfs", lambda: failing_syncfs)
    with pytest.raises(OSError) as raised:
        write_new_folder(tmp_path / "brat", {f"{number}.txt": "x" for number in range(10)})
    assert raised.value.errno == errno.EIO and raised.value.filename == str(tmp_path / "brat")
    assert len(asked) == 1 and asked[0].startswith(str(tmp_path / ".brat."))
    assert os.listdir(tmp_path) == []


def test_the_file_system_sync_is_the_kernel_s_and_reports_a_bad_path(tmp_path):
    primitives.sync_file_system(tmp_path)  # a real syncfs (or os.sync) that succeeds
    with pytest.raises(FileNotFoundError):
        primitives.sync_file_system(tmp_path / "missing")


@pytest.mark.parametrize("made", ["a folder with a file", "a file"])
def test_what_another_program_made_there_meanwhile_is_kept(tmp_path, monkeypatch, made):
    folder = tmp_path / "brat"

    def meanwhile(path):
        if made == "a file":
            folder.write_text("theirs")
        else:
            folder.mkdir()
            (folder / "a.txt").write_text("theirs")

    monkeypatch.setattr(new_folder, "sync_file_system", meanwhile)
    with pytest.raises(FileExistsError):
        write_new_folder(folder, {"a.txt": "ours", "b.txt": "ours"})
    assert os.listdir(tmp_path) == ["brat"]
    assert (folder.read_text() if made == "a file" else (folder / "a.txt").read_text()) == "theirs"


@pytest.mark.parametrize("name", ["", ".", "..", "sub/file.txt"])
def test_a_name_that_is_not_a_file_of_the_folder_is_refused_before_anything_is_written(tmp_path, name):
    with pytest.raises(ValueError, match="is not the name of a file"):
        write_new_folder(tmp_path / "brat", {"a.txt": "x", name: "y"})
    assert os.listdir(tmp_path) == []


def test_the_hidden_folder_of_a_killed_export_is_removed_by_the_next_export_there(tmp_path, monkeypatch):
    """Killed before its rename, an export leaves its files in the hidden folder beside the one it
    was making; the next export of that folder removes it (its process is gone), and only that."""
    folder = tmp_path / "brat"
    (tmp_path / ".brat.notes").mkdir()  # not one of ours: kept
    pid = os.fork()
    if pid == 0:
        try:
            monkeypatch.setattr(new_folder, "sync_file_system", lambda path: os._exit(9))  # killed before the rename
            write_new_folder(folder, {f"{number}.txt": "x" for number in range(20)})
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 9
    assert len(os.listdir(tmp_path)) == 2  # the hidden folder left behind, beside .brat.notes
    write_new_folder(folder, {"a.txt": "again"})
    assert sorted(os.listdir(tmp_path)) == [".brat.notes", "brat"]
    assert os.listdir(folder) == ["a.txt"]


def test_a_write_that_takes_part_of_its_bytes_is_carried_on(tmp_path, monkeypatch):
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda descriptor, data: real_write(descriptor, bytes(data[:3])))
    files = {"a.txt": "ünïcode text of some length\n", "b.ann": "T1\tORG 0 4\tAcme\n"}
    write_new_folder(tmp_path / "brat", files)
    assert {path.name: path.read_text(encoding="utf-8") for path in (tmp_path / "brat").iterdir()} == files
