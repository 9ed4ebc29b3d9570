"""A signal that comes while a build starts a thread that writes Parquet shards: the thread is waited
for before the staging folder goes. Once, a test left a ``.dataset.PID.tmp`` behind: the signal raised
in ``ThreadPoolExecutor.submit`` as the thread started, before the executor listed it, so its
``shutdown`` did not wait for it, and the thread made the shard's folder again in the staging folder
the build had just removed. Here the first shard's thread signals the build as it begins and waits a
moment before it writes, so that the build sees the signal while the thread starts."""

from __future__ import annotations

import signal
import threading
import time

import pytest
from test_build_interrupt import assert_kept, previous_build, recorded_sigint  # noqa: F401 (fixtures)

from tagline.eval.build import build_dataset, writer
from tagline.interrupts import Interrupted


def test_no_parquet_thread_outlives_a_build_that_a_signal_stopped_as_it_started(previous_build, recorded_sigint,  # noqa: F811
                                                                                monkeypatch):
    workspace, out, digest = previous_build
    original = writer.write_parquet_shards
    for attempt in range(12):  # the signal is taken while the thread starts in about a third of them
        calls = []

        def signalling(*args, calls=calls, **kwargs):
            calls.append(None)
            if len(calls) == 1:
                signal.raise_signal(signal.SIGINT)
                time.sleep(0.3)  # the build takes the signal meanwhile
            return original(*args, **kwargs)

        monkeypatch.setattr(writer, "write_parquet_shards", signalling)
        with pytest.raises(Interrupted):
            build_dataset(workspace, out=out, seed=7)
        running = [thread for thread in threading.enumerate() if thread.name.startswith("parquet")]
        for thread in running:
            thread.join()
        assert not running, f"attempt {attempt}: a Parquet thread was still writing once the build had stopped"
        assert_kept(out, digest)
    assert recorded_sigint == []
