"""The JSONL store: durable appends, concurrent writers, torn last lines, atomic replacement."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import warnings

import orjson
import pytest

from tagline.corpus.store import (
    TORN_SUFFIX,
    LineProblem,
    TornLineWarning,
    append_records,
    iter_lines,
    read_records,
    replace_file,
)
from tagline.errors import DataError


def test_append_and_read_round_trip_unicode(tmp_path):
    path = tmp_path / "a.jsonl"
    records = [{"n": i, "text": f"文{i}「引用。」😀"} for i in range(5)]
    assert append_records(path, records[:2]) == 2
    assert append_records(path, records[2:]) == 3
    assert list(read_records(path)) == records
    assert path.read_bytes().count(b"\n") == 5


def _writer(path: str, worker: int, count: int) -> None:
    for i in range(count):
        append_records(path, [{"worker": worker, "i": i, "pad": "x" * (i % 97)}])


def test_four_processes_thousand_appends_each(tmp_path):
    path = tmp_path / "concurrent.jsonl"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(str(path), w, 1000)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    records = [orjson.loads(line) for line in lines[:-1]]
    assert len(records) == 4000
    for worker in range(4):
        mine = [r["i"] for r in records if r["worker"] == worker]
        assert mine == list(range(1000))  # each writer's lines whole and in its own order


def test_torn_last_line_is_reported_skipped_and_set_aside(tmp_path):
    path = tmp_path / "alice.jsonl"
    append_records(path, [{"n": 1}, {"n": 2}])
    with open(path, "ab") as handle:  # a crash in the middle of writing line 3
        handle.write(b'{"n": 3, "te')
    problems: list[LineProblem] = []
    assert list(read_records(path, problems=problems)) == [{"n": 1}, {"n": 2}]
    assert len(problems) == 1 and problems[0].warning and problems[0].line == 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert list(read_records(path)) == [{"n": 1}, {"n": 2}]
    assert any(issubclass(w.category, TornLineWarning) for w in caught)

    append_records(path, [{"n": 4}])
    assert list(read_records(path)) == [{"n": 1}, {"n": 2}, {"n": 4}]
    aside = [orjson.loads(line) for line in (tmp_path / f"alice.jsonl{TORN_SUFFIX}").read_bytes().splitlines()]
    assert aside[0]["text"] == '{"n": 3, "te' and aside[0]["byte_offset"] == len(b'{"n":1}\n{"n":2}\n')


def test_complete_last_line_without_newline_is_kept(tmp_path):
    path = tmp_path / "hand-edited.jsonl"
    path.write_bytes(b'{"n": 1}\n{"n": 2}')
    assert list(read_records(path)) == [{"n": 1}, {"n": 2}]
    append_records(path, [{"n": 3}])
    assert list(read_records(path)) == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert not (tmp_path / f"hand-edited.jsonl{TORN_SUFFIX}").exists()


def test_bad_middle_line_raises_with_line_number_or_is_collected(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"n": 1}\nnot json\n[1, 2]\n\n{"n": 5}\n')
    with pytest.raises(DataError) as raised:
        list(read_records(path))
    assert raised.value.where.endswith("bad.jsonl:2")
    problems: list[LineProblem] = []
    assert [line for line, _ in iter_lines(path, problems=problems)] == [1, 5]
    assert [(p.line, p.warning) for p in problems] == [(2, False), (3, False)]
    assert "expected a JSON object" in problems[1].message


def test_replace_file_keeps_the_old_file(tmp_path):
    path = tmp_path / "sentences.jsonl"
    append_records(path, [{"v": 1}])
    backup = replace_file(path, [{"v": 2}])
    assert list(read_records(path)) == [{"v": 2}]
    assert backup is not None and list(read_records(backup)) == [{"v": 1}]
    assert not list(tmp_path.glob(".*.tmp"))


# ----- transactions ------------------------------------------------------------------------------
def _files(folder) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def _prepared(tmp_path):
    from tagline.corpus.store import append_records

    append_records(tmp_path / "a.jsonl", [{"n": 1}])
    append_records(tmp_path / "b.jsonl", [{"n": 2}])
    (tmp_path / "c.txt").write_text("old text")
    return _files(tmp_path)


def test_a_failing_append_is_cut_back_and_names_its_file(tmp_path, monkeypatch):
    import errno
    import os

    from tagline.errors import StorageError

    path = tmp_path / "a.jsonl"
    append_records(path, [{"n": 1}])
    before = path.read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StorageError, match=r"a\.jsonl: could not write: No space left on device; nothing was saved"):
        append_records(path, [{"n": 2}, {"n": 3}, {"n": 4}, {"n": 5}])
    assert path.read_bytes() == before


def test_a_transaction_puts_every_file_back_on_any_exception(tmp_path):
    from tagline.corpus.store import Transaction

    before = _prepared(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        with Transaction() as transaction:
            transaction.append(tmp_path / "a.jsonl", [{"n": 10}])
            transaction.replace(tmp_path / "b.jsonl", [{"n": 20}])
            transaction.write_text(tmp_path / "c.txt", "new text")
            transaction.create_text(tmp_path / "d.txt", "a new file")
            transaction.append(tmp_path / "e.jsonl", [{"n": 30}])
            raise KeyboardInterrupt
    assert _files(tmp_path) == before


def test_a_killed_transaction_is_put_back_from_its_journal_and_a_checkpoint_is_kept(tmp_path):
    import os

    from tagline.corpus.store import Transaction, recover

    before = _prepared(tmp_path)
    journal = tmp_path / "journal"
    pid = os.fork()
    if pid == 0:
        try:
            transaction = Transaction(journal, root=tmp_path)
            transaction.append(tmp_path / "a.jsonl", [{"n": 10}])
            transaction.checkpoint()  # what came before survives the kill
            transaction.replace(tmp_path / "b.jsonl", [{"n": 20}], keep_old=False)
            transaction.write_texts([(tmp_path / "c.txt", "new text", True), (tmp_path / "d.txt", "new", False)])
            transaction.append(tmp_path / "a.jsonl", [{"n": 11}])
        finally:
            os._exit(0)  # as kill -9: no clean-up runs
    os.waitpid(pid, 0)
    assert journal.exists()
    done = recover(journal, tmp_path)
    assert len(done) == 4 and not journal.exists()
    after = _files(tmp_path)
    assert after.pop("a.jsonl") == before.pop("a.jsonl") + b'{"n":10}\n'
    assert after == before
    assert recover.__doc__ and not list(tmp_path.glob(".*"))


@pytest.mark.parametrize("fail", [False, True])
def test_a_folder_synced_at_a_checkpoint_is_synced_again_only_if_written_after_it_or_undone(tmp_path, monkeypatch,
                                                                                            fail):
    from tagline.corpus import transaction as transaction_module
    from tagline.corpus.store import Transaction

    (tmp_path / "docs").mkdir()
    (tmp_path / "notes").mkdir()
    synced = []
    monkeypatch.setattr(transaction_module, "fsync_directory", lambda folder: synced.append(folder.name))
    with pytest.raises(RuntimeError) if fail else contextlib.nullcontext():
        with Transaction(tmp_path / "journal", root=tmp_path) as transaction:
            transaction.append_bytes(tmp_path / "docs" / "new.txt", b"made\n")
            transaction.checkpoint()
            assert synced.count("docs") == 1
            transaction.append_bytes(tmp_path / "notes" / "new.txt", b"made\n", journal=False)
            transaction.append_bytes(tmp_path / "docs" / "new.txt", b"appended\n")  # no new name in the folder
            if fail:
                raise RuntimeError
    assert synced.count("notes") == 1
    assert synced.count("docs") == (2 if fail else 1)  # an undo syncs every folder it touched
    assert (tmp_path / "docs" / "new.txt").exists() != fail


def test_workspace_transactions_nest_into_one(tmp_path):
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(tmp_path / "ws")
    with pytest.raises(RuntimeError):
        with workspace.transaction() as outer:
            outer.append(workspace.documents_path, [{"n": 1}])
            with workspace.transaction() as inner:
                assert inner is outer
                inner.append(workspace.sentences_path, [{"n": 2}])
            assert workspace.journal_path.exists()
            raise RuntimeError
    assert workspace.documents_path.read_bytes() == workspace.sentences_path.read_bytes() == b""
    assert not workspace.journal_path.exists()


def test_a_move_never_writes_over_a_file_and_is_undone_on_failure(tmp_path):
    from tagline.corpus.store import Transaction

    (tmp_path / "a.jsonl").write_bytes(b"a\n")
    (tmp_path / "b.jsonl").write_bytes(b"b\n")
    with pytest.raises(FileExistsError), Transaction() as transaction:
        transaction.move(tmp_path / "a.jsonl", tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == b"a\n" and (tmp_path / "b.jsonl").read_bytes() == b"b\n"
    with pytest.raises(RuntimeError), Transaction() as transaction:
        transaction.move(tmp_path / "a.jsonl", tmp_path / "archive" / "a.1.jsonl")
        assert not (tmp_path / "a.jsonl").exists()
        raise RuntimeError("later in the same transaction")
    assert (tmp_path / "a.jsonl").read_bytes() == b"a\n" and not (tmp_path / "archive").exists()


def test_a_move_killed_before_its_end_is_put_back_by_the_journal_and_a_new_file_is_kept(tmp_path):
    from tagline.corpus.store import recover

    def killed_move(new_file: bytes | None) -> None:
        (tmp_path / "a.jsonl").write_bytes(b"old\n")
        (tmp_path / "retired").mkdir(exist_ok=True)
        os.replace(tmp_path / "a.jsonl", tmp_path / "retired" / "a.1.jsonl")
        if new_file is not None:  # a session appended to the name it no longer found
            (tmp_path / "a.jsonl").write_bytes(new_file)
        (tmp_path / "journal").write_text(json.dumps({"op": "move", "path": "a.jsonl", "to": "retired/a.1.jsonl"})
                                          + "\n")
        assert recover(tmp_path / "journal", tmp_path) == (
            [] if new_file is not None else ["moved retired/a.1.jsonl back to a.jsonl"])

    killed_move(None)
    assert (tmp_path / "a.jsonl").read_bytes() == b"old\n" and not (tmp_path / "retired" / "a.1.jsonl").exists()
    killed_move(b"new\n")
    assert (tmp_path / "a.jsonl").read_bytes() == b"new\n"
    assert (tmp_path / "retired" / "a.1.jsonl").read_bytes() == b"old\n"


def test_many_new_files_are_fsynced_side_by_side_not_one_after_another(tmp_path, monkeypatch):
    import threading
    import time

    from tagline.corpus.store import Transaction

    real_fsync, lock = os.fsync, threading.Lock()
    in_flight, most = [0], [0]

    def slow_fsync(fd):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.01)  # a disk that takes its time: fsyncs waited for one by one add up
        try:
            return real_fsync(fd)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(os, "fsync", slow_fsync)
    texts = {tmp_path / f"doc{number}.txt": f"text {number}" for number in range(64)}
    with Transaction(tmp_path / "journal", root=tmp_path) as transaction:
        transaction.write_texts((path, text, False) for path, text in texts.items())
    assert most[0] > 4
    assert {path: path.read_text(encoding="utf-8") for path in texts} == texts
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(path.name for path in texts)


def test_a_failing_file_among_many_leaves_none_of_them_nor_a_temporary(tmp_path, monkeypatch):
    import errno

    from tagline.corpus import transaction as module
    from tagline.corpus.store import Transaction
    from tagline.errors import StorageError

    (tmp_path / "doc3.txt").write_text("old", encoding="utf-8")
    real_write_file = module._write_file

    def full_at_doc17(path, write):
        if ".doc17.txt." in path.name:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write_file(path, write)

    monkeypatch.setattr(module, "SYNC_BATCH", 5)  # the failure comes in the fourth batch
    monkeypatch.setattr(module, "_write_file", full_at_doc17)
    with pytest.raises(StorageError, match=r"doc17\.txt: could not write: No space left on device; nothing was saved"):
        with Transaction(tmp_path / "journal", root=tmp_path) as transaction:
            transaction.write_texts((tmp_path / f"doc{number}.txt", f"text {number}", number == 3)
                                    for number in range(30))
    assert [path.name for path in tmp_path.iterdir()] == ["doc3.txt"]
    assert (tmp_path / "doc3.txt").read_text(encoding="utf-8") == "old"


def test_a_file_another_process_made_first_survives_a_killed_transaction_that_wanted_to_make_it(tmp_path,
                                                                                                monkeypatch):
    """A transaction's append finds no file and makes it whole, but another process links one there
    first: the transaction appends to that file instead. Killed after that, its journal's recovery
    cuts the append back and leaves the other process's file (the journal's create names the
    transaction's own file by inode), and the same for a created text."""
    from pathlib import Path

    import tagline.corpus.transaction as transaction_module
    from tagline.corpus.store import Transaction, recover

    target, text = tmp_path / "a.jsonl", tmp_path / "t.txt"
    link = os.link

    def raced(source, destination):  # the other process's file lands between the check and the link
        if not os.path.exists(destination):
            Path(destination).write_bytes(b'{"theirs":1}\n' if str(destination).endswith(".jsonl") else b"theirs")
        return link(source, destination)

    monkeypatch.setattr(transaction_module.os, "link", raced)
    pid = os.fork()
    if pid == 0:
        try:
            transaction = Transaction(tmp_path / "journal", root=tmp_path)
            transaction.append(target, [{"mine": 1}])
            try:
                transaction.create_text(text, "mine")
            except FileExistsError:
                pass
        finally:
            os._exit(0)  # as kill -9: no clean-up runs
    os.waitpid(pid, 0)
    assert target.read_bytes() == b'{"theirs":1}\n{"mine":1}\n'
    recover(tmp_path / "journal", tmp_path)
    assert target.read_bytes() == b'{"theirs":1}\n' and text.read_bytes() == b"theirs"


def test_a_recovery_killed_before_its_end_never_removes_on_its_second_run_a_file_another_process_made(tmp_path):
    """A transaction killed after another process linked its file first, before it noted so: the
    first recovery sees (by the temporary file) that the file is not the transaction's and removes
    only the temporary file. Killed before it removes the journal, the next recovery no longer has
    the temporary file to tell: the first one noted the file as not the transaction's in the journal."""
    import orjson

    from tagline.corpus.store import recover

    journal, theirs = tmp_path / "journal", tmp_path / "t.texts"
    temporary = tmp_path / ".t.texts.123.tmp"
    temporary.write_bytes(b"mine")
    theirs.write_bytes(b"theirs")
    journal.write_bytes(orjson.dumps({"op": "create", "path": theirs.name, "temporary": temporary.name}) + b"\n")
    pid = os.fork()
    if pid == 0:  # the recovery, killed as it is about to remove the journal
        try:
            real = os.unlink

            def unlink(path, *args, **kwargs):
                if str(path) == str(journal):
                    os._exit(9)
                return real(path, *args, **kwargs)

            os.unlink = unlink
            recover(journal, tmp_path)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 9 and journal.exists() and not temporary.exists()
    recover(journal, tmp_path)
    assert theirs.read_bytes() == b"theirs" and not journal.exists()


@pytest.mark.parametrize("tail", [b"", b'{"op":"append","pa', b'{"op":"lost","path":"other"}'],
                         ids=["whole", "torn-entry", "entry-without-newline"])
def test_what_a_recovery_notes_in_the_journal_is_read_by_the_next_one_whatever_its_last_line(tmp_path, tail):
    import orjson

    from tagline.corpus.recovery import _note_lost

    journal = tmp_path / "journal"
    first = orjson.dumps({"op": "create", "path": "t.texts"}) + b"\n"
    journal.write_bytes(first + tail)
    whole = len(first) + (len(tail) if tail.endswith(b"}") else 0)
    _note_lost(journal, whole, "t.texts")
    entries = [orjson.loads(line) for line in journal.read_bytes().splitlines()]
    assert entries[0]["op"] == "create" and entries[-1] == {"op": "lost", "path": "t.texts"}


@pytest.mark.parametrize("at", ["finish", "checkpoint"])
def test_a_journal_that_cannot_be_removed_fails_the_transaction_rather_than_undo_a_success_later(
        tmp_path, monkeypatch, at):
    import errno

    from tagline.corpus.store import Transaction, recover
    from tagline.errors import StorageError

    before = _prepared(tmp_path)
    journal = tmp_path / "journal"
    real_unlink = os.unlink

    def unlink(path, *args, **kwargs):
        if os.fspath(path) == os.fspath(journal):
            raise OSError(errno.EIO, os.strerror(errno.EIO), os.fspath(path))
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    with pytest.raises(StorageError) as raised:
        with Transaction(journal, root=tmp_path) as transaction:
            transaction.append(tmp_path / "a.jsonl", [{"n": 10}])
            transaction.create_text(tmp_path / "d.txt", "a new file")
            if at == "checkpoint":
                transaction.checkpoint()
                transaction.replace(tmp_path / "b.jsonl", [{"n": 20}], keep_old=False)
    assert "journal" in str(raised.value.where)
    monkeypatch.setattr(os, "unlink", real_unlink)
    # The command said it failed, and so it did: the files are as they were, now and after the
    # journal left behind is recovered by the next command.
    assert {name: data for name, data in _files(tmp_path).items() if name != "journal"} == before
    if journal.exists():
        recover(journal, tmp_path)
    assert _files(tmp_path) == before


def _event(number: int, **changes) -> dict:
    event = {"sentence_id": f"d-s{number:04d}", "annotator": "alice", "time": "2026-01-01T00:00:00Z",
             "task": "entities", "op": "set",
             "value": {"spans": [{"start": 0, "end": 3, "label": "ORG", "text": "ACM", "extra": number}]}}
    return {**event, **changes}


def test_a_clean_file_is_decoded_a_block_at_a_time_with_every_record_checked(tmp_path, monkeypatch):
    import tagline.corpus.store as store
    import tagline.schemas.records as records

    path = tmp_path / "alice.jsonl"
    written = [_event(number) for number in range(50)] + [_event(50, task="claim_type", value={"label": "x"})]
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in written))
    monkeypatch.setattr(store, "_BLOCK", 256)  # many blocks, lines cut across them
    monkeypatch.setattr(records, "decode_record", lambda *_: pytest.fail("read line by line"))
    assert list(iter_lines(path, kind="event")) == list(enumerate(written, 1))  # unknown keys kept


@pytest.mark.parametrize("bad", [b"\n", b"not json\n", b"[1]\n", b'{"sentence_id": "x"}\n',
                                 orjson.dumps(_event(7, value={"spans": [{"start": "0"}]})) + b"\n",
                                 orjson.dumps(_event(7, task="stance", value={"label": "FAVOR"})) + b"\n"])
@pytest.mark.parametrize("kind", ["event", None])
def test_a_block_with_a_bad_line_is_read_again_line_by_line_from_where_it_starts(tmp_path, monkeypatch, bad, kind):
    """Blocks before the bad line's are yielded as read; the line reader reports the bad line by its
    number (or skips it) exactly as it would alone, and reads on to the end and a torn last line."""
    import tagline.corpus.store as store

    path = tmp_path / "alice.jsonl"
    lines = [orjson.dumps(_event(number)) + b"\n" for number in range(40)]
    path.write_bytes(b"".join(lines[:25]) + bad + b"".join(lines[25:]) + b'{"torn')
    expected_problems: list[LineProblem] = []
    expected = list(store.iter_placed_lines(path, kind=kind, problems=expected_problems))
    monkeypatch.setattr(store, "_BLOCK", 300)
    problems: list[LineProblem] = []
    assert list(iter_lines(path, kind=kind, problems=problems)) == [(number, record) for number, _, record in expected]
    assert problems == expected_problems and problems[-1].line == 42 and problems[-1].warning
    if bad.strip() and (kind or not bad.startswith(b"{")):
        assert problems[0].line == 26
        with pytest.raises(DataError) as raised:
            list(iter_lines(path, kind=kind))
        assert raised.value.where == f"{path}:26"


def test_a_line_longer_than_a_block_is_read_whole(tmp_path, monkeypatch):
    import tagline.corpus.store as store

    path = tmp_path / "long.jsonl"
    written = [{"n": 1, "text": "x" * 1000}, {"n": 2}]
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in written) + b'{"n": 3}')
    monkeypatch.setattr(store, "_BLOCK", 64)
    assert list(read_records(path)) == [*written, {"n": 3}]  # a last line without its newline, whole, is kept
