"""A function run over many inputs in a pool of worker processes that Ctrl-C stops with the command (the
build's tokens, the folds of large answer files)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

# Calls handed to the pool ahead of the results per worker: enough that a worker never waits for its
# next input, few enough that the inputs are not all in memory at once.
CALLS_AHEAD_PER_WORKER = 2


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_in_workers(function: Callable[..., Any], arguments: Iterable[tuple], workers: int, *,
                   on_result: Callable[[int], None] | None = None) -> list:
    """``[function(*args) for args in arguments]``, shared among ``workers`` processes; ``on_result(index)``
    is called, in this process, as each call's result comes in. The arguments are read only as calls
    finish, :data:`CALLS_AHEAD_PER_WORKER` ahead per worker, so they are never all in memory at once.

    The processes are a :class:`WorkerPool`'s (see there: spawned, out of the reach of Ctrl-C, all
    stopped on a failure or an interruption).
    """
    with WorkerPool(workers) as pool:
        return _results(pool, function, arguments, CALLS_AHEAD_PER_WORKER * workers, on_result)


class WorkerPool:
    """Worker processes that calls are handed to, as a context manager: leaving it waits for the calls
    handed out and ends the workers, or, on a failure or an interruption, cancels the calls not begun
    and terminates the workers, and waits for them. :meth:`close` ends them sooner.

    The pool is a ``concurrent.futures.ProcessPoolExecutor`` whose workers are spawned, fresh
    interpreters: forking this process, which runs Arrow's thread pools, can deadlock a child on a
    lock that a thread held at the fork. So a function handed to it must be importable by name, and a
    script that uses it must start its work under ``if __name__ == "__main__":``, since spawning
    imports the main script again in each worker (the ``tagline`` command's is guarded).

    A terminal sends Ctrl-C to its whole foreground process group. The workers take no part in it
    (see :func:`_start_worker`): this process is interrupted, stops them and raises, rather than each
    worker dying of it with a traceback that would be taken for a failure.
    """

    def __init__(self, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with _starting_workers():
            self.executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_start_worker)
        self.closed = False

    def submit(self, function: Callable[..., Any], *args: Any) -> Future:
        """Hand the call ``function(*args)`` to the pool; its future."""
        from tagline.interrupts import check as check_interrupted

        with _starting_workers():  # the executor starts a worker with each call until it has them all
            future = self.executor.submit(function, *args)
        check_interrupted()
        return future

    def close(self) -> None:
        """Wait for the calls handed out, and end the workers."""
        from tagline.interrupts import check as check_interrupted
        from tagline.interrupts import deferred

        if not self.closed:
            self.closed = True
            with deferred():
                self.executor.shutdown(wait=True)
        check_interrupted()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None:
        from tagline.interrupts import check as check_interrupted
        from tagline.interrupts import deferred

        if kind is None:
            self.close()
            return
        if not self.closed:
            self.closed = True
            with deferred():  # every worker is stopped and waited for, even if Ctrl-C is pressed again
                _stop(self.executor)
        check_interrupted()  # a SIGTERM sent to every process ends the workers too: it is not their failure


def _results(pool: WorkerPool, function: Callable[..., Any], arguments: Iterable[tuple],
             ahead: int, on_result: Callable[[int], None] | None = None) -> list:
    """Every call's result, in the order of ``arguments``, which are read only as calls finish."""
    from concurrent.futures import FIRST_COMPLETED, wait

    calls = enumerate(arguments)
    pending: dict[Future, int] = {}
    results: dict[int, Any] = {}
    _submit(pool, function, _take(calls, ahead), pending)
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            index = pending.pop(future)
            results[index] = future.result()
            if on_result:
                on_result(index)
        _submit(pool, function, _take(calls, len(done)), pending)
    return [results[index] for index in range(len(results))]


def _submit(pool: WorkerPool, function: Callable[..., Any], calls: Iterable[tuple[int, tuple]],
            pending: dict[Future, int]) -> None:
    """Hand ``calls`` to the pool, noting each one's index in ``pending``."""
    for index, args in calls:
        pending[pool.submit(function, *args)] = index


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
    workers. SIGTERM keeps its default: the pool terminates workers with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.setpgid(0, 0)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the command's output (--json)


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
