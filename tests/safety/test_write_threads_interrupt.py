"""A signal that comes while a transaction starts the threads that write many new files side by side
(``Transaction.write_texts``, as the ingest writes documents' texts): every thread is waited for, and
every temporary file removed, before the signal ends the transaction. One taken as the executor started
a thread, before it listed it, escaped the clean-up: the temporary files written stayed in the folder,
their locks held. Here the first file's thread signals as it begins and waits a moment before it
writes, so that the transaction sees the signal while the thread starts."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from tagline.corpus import transaction as module
from tagline.corpus.transaction import Transaction
from tagline.interrupts import Interrupted, interrupt_guard


def test_no_temporary_file_is_left_by_a_write_of_many_files_that_a_signal_stopped_as_it_began(tmp_path, monkeypatch):
    write_file = module._write_file
    for attempt in range(12):  # the signal is taken while a thread starts in about a third of them
        folder = tmp_path / str(attempt)
        folder.mkdir()
        calls = []

        def signalling(path, write, calls=calls):
            calls.append(path)
            if len(calls) == 1:
                signal.raise_signal(signal.SIGINT)
                time.sleep(0.3)  # the transaction takes the signal meanwhile
            return write_file(path, write)

        monkeypatch.setattr(module, "_write_file", signalling)
        with pytest.raises(Interrupted):
            with interrupt_guard(), Transaction(folder / "journal", root=folder) as transaction:
                transaction.write_texts((folder / f"doc{number}.txt", f"text {number}", False) for number in range(40))
        running = [thread for thread in threading.enumerate() if thread.name.startswith("ThreadPoolExecutor")]
        for thread in running:
            thread.join()
        assert not running, f"attempt {attempt}: a thread was still writing once the transaction had ended"
        assert sorted(os.listdir(folder)) == [], f"attempt {attempt}"
