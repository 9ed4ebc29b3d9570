"""A function run over many inputs in a pool of worker processes that Ctrl-C stops with the command (the
build's tokens, the folds of large answer files)."""

from __future__ import annotations

import itertools
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

# Calls handed to the pool ahead of the results per worker: enough that a worker never waits for its
# next input, few enough that the inputs are not all in memory at once.
CALLS_AHEAD_PER_WORKER = 2
# How often a worker looks whether the command that started it is still there.
WATCH_SECONDS = 0.5


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_in_workers(function: Callable[..., Any], arguments: Iterable[tuple], workers: int, *,
                   on_result: Callable[[int], None] | None = None) -> list:
    """``[function(*args) for args in arguments]``, shared among ``workers`` processes; ``on_result(index)``
    is called, in this process, as each call's result comes in.

    The pool is a ``concurrent.futures.ProcessPoolExecutor`` whose workers are spawned, fresh
    interpreters: forking this process, which runs Arrow's thread pools, can deadlock a child on a
    lock that a thread held at the fork. So ``function`` must be importable by name, and a script
    that calls this must start its work under ``if __name__ == "__main__":``, since spawning imports
    the main script again in each worker (the ``tagline`` command's is guarded).

    A terminal sends Ctrl-C to its whole foreground process group. The workers take no part in it
    (see :func:`_start_worker`): this process is interrupted, stops them and raises, rather than each
    worker dying of it with a traceback that would be taken for a failure. On an interruption or a
    failure, the calls not begun are cancelled and the workers are terminated and waited for.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from tagline.interrupts import check as check_interrupted
    from tagline.interrupts import deferred

    with _starting_workers():
        executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_start_worker)
    try:
        check_interrupted()
        results = _results(executor, function, arguments, CALLS_AHEAD_PER_WORKER * workers, on_result)
    except BaseException:
        with deferred():  # every worker is stopped and waited for, even if Ctrl-C is pressed again
            _stop(executor)
        check_interrupted()  # a SIGTERM sent to every process ends the workers too: it is not their failure
        raise
    with deferred():
        executor.shutdown(wait=True)
    check_interrupted()
    return results


def iter_in_workers(function: Callable[..., Any], arguments: Iterable[tuple], workers: int, *,
                    start: str = "spawn") -> Iterator[Any]:
    """:func:`map_in_workers` as a generator: each call's result in the order of ``arguments``, as soon
    as it and those before it are in, so that no more results are held than calls are ahead. A
    worker is handed its next call before the result is yielded, so it works while the caller
    writes it.

    ``start="fork"`` forks the workers from this process rather than spawning fresh interpreters:
    they start at once and hold what this process holds, so ``function`` may be any callable (it is
    not pickled), but only a process that runs no other thread may fork (see :func:`only_thread`).
    Closing the generator before its end stops the workers."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from tagline.interrupts import check as check_interrupted
    from tagline.interrupts import deferred

    global _forked_function
    if start == "fork":
        _forked_function, function = function, _run_forked  # the forked workers inherit it
    try:
        with _starting_workers():
            executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(start),
                                           initializer=_start_worker)
        try:
            check_interrupted()
            yield from _in_order(executor, function, iter(arguments), CALLS_AHEAD_PER_WORKER * workers)
        except BaseException:  # a failure, an interruption, or the caller closing the generator
            with deferred():
                _stop(executor)
            check_interrupted()
            raise
        with deferred():
            executor.shutdown(wait=True)
        check_interrupted()
    finally:
        if start == "fork":
            _forked_function = None


_forked_function: Callable[..., Any] | None = None  # what forked workers run (see iter_in_workers)


def _run_forked(*args: Any) -> Any:
    assert _forked_function is not None
    return _forked_function(*args)


def only_thread(wait: float = 0.05) -> bool:
    """Whether this process runs one thread (Linux: ``/proc/self/task``), counting threads that
    libraries start outside Python (Arrow's pools), so that forking it cannot leave a child waiting
    on a lock that another thread held. A thread that has ended is listed there for a moment after
    Python's ``join`` returns: when Python runs no other thread, the others are waited for up to
    ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            if len(os.listdir("/proc/self/task")) == 1:
                return True
        except OSError:  # not Linux
            return False
        threading = sys.modules.get("threading")  # not imported: no thread of Python's
        if (threading is not None and threading.active_count() > 1) or time.monotonic() >= deadline:
            return False
        time.sleep(0.001)


def _in_order(executor: ProcessPoolExecutor, function: Callable[..., Any], arguments: Iterator[tuple],
              ahead: int) -> Iterator[Any]:
    from collections import deque

    from tagline.interrupts import check as check_interrupted

    pending: deque[Future] = deque()

    def hand_out(count: int) -> None:
        for args in itertools.islice(arguments, count):
            with _starting_workers():  # the executor starts its workers with the first call
                pending.append(executor.submit(function, *args))
            check_interrupted()

    hand_out(ahead)
    while pending:
        result = pending.popleft().result()
        hand_out(1)
        yield result


def _results(executor: ProcessPoolExecutor, function: Callable[..., Any], arguments: Iterable[tuple],
             ahead: int, on_result: Callable[[int], None] | None = None) -> list:
    """Every call's result, in the order of ``arguments``, which are read only as calls finish."""
    from concurrent.futures import FIRST_COMPLETED, wait

    calls = enumerate(arguments)
    pending: dict[Future, int] = {}
    results: dict[int, Any] = {}
    _submit(executor, function, _take(calls, ahead), pending)
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            index = pending.pop(future)
            results[index] = future.result()
            if on_result:
                on_result(index)
        _submit(executor, function, _take(calls, len(done)), pending)
    return [results[index] for index in range(len(results))]


def _submit(executor: ProcessPoolExecutor, function: Callable[..., Any], calls: Iterable[tuple[int, tuple]],
            pending: dict[Future, int]) -> None:
    """Hand ``calls`` to the pool, noting each one's index in ``pending``."""
    from tagline.interrupts import check as check_interrupted

    for index, args in calls:
        with _starting_workers():  # the executor starts a worker with each call until it has them all
            pending[executor.submit(function, *args)] = index
        check_interrupted()


def _take(items: Iterator[tuple[int, tuple]], count: int) -> Iterator[tuple[int, tuple]]:
    for _ in range(count):
        item = next(items, None)
        if item is None:
            return
        yield item


@contextmanager
def _starting_workers() -> Iterator[None]:
    """A section in which worker processes may be started.

    Ctrl-C does not cut it short: a process started but not yet recorded by the executor would
    never be stopped. And SIGINT is blocked in this thread meanwhile, so that the processes it
    starts begin with SIGINT blocked (a child inherits the mask of the thread that starts it),
    until :func:`_start_worker` has set it aside: a Ctrl-C while a worker's interpreter starts
    up would otherwise kill it with a traceback. CPython starts its resource tracker the same way.
    """
    from tagline.interrupts import deferred

    with deferred():
        blocked_before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked_before)


def _start_worker() -> None:
    """A worker's first act: ignore SIGINT (which drops one that came while it started) and leave the
    terminal's foreground process group, so that Ctrl-C reaches only the process that stops the
    workers. SIGTERM takes its default (a forked worker would keep this process's handler): the pool
    terminates workers with it. And end with the command: a command killed (kill -9, out of memory)
    cannot stop its workers, and a worker waits for its next call for ever, out of reach of the
    terminal's signals."""
    import multiprocessing
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.setpgid(0, 0)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the command's output (--json)
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid is not None:
        threading.Thread(target=_end_with, args=(parent.pid,), name="end-with-command", daemon=True).start()


def _end_with(command_pid: int) -> None:
    """Run in a worker's thread: end the worker once the command that started it has ended (its
    parent is then another process). What it was writing is derived data, made whole again by the next
    command (a saved fold's temporary file is swept by the next save)."""
    import time

    while os.getppid() == command_pid:
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def _stop(executor: ProcessPoolExecutor) -> None:
    """Terminate the workers, cancel the calls not begun, and wait for the workers and the executor's
    thread to end."""
    # The processes are only in this attribute until Python 3.14 (ProcessPoolExecutor.terminate_workers).
    processes = list((executor._processes or {}).values())
    for process in processes:
        process.terminate()
    executor.shutdown(wait=True, cancel_futures=True)
    for process in processes:
        process.join()
