"""A function run over many inputs in a pool of worker processes that Ctrl-C stops with the command (the
build's tokens, the folds of large answer files, the parts of a large export)."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

# Calls handed to the pool ahead of the results per worker: enough that a worker never waits for its
# next input, few enough that the inputs are not all in memory at once.
CALLS_AHEAD_PER_WORKER = 2

REFUSED_TO_START = 219  # unlikely to be the status of a worker that a call ended
"""The status of a worker that ended as it started, as the script it imported again did the work
again rather than under ``if __name__ == "__main__":`` (see :func:`refuse_to_start`)."""
REFUSED_FIX = 'do the work under `if __name__ == "__main__":` (each worker imports the script again)'
"""What the error a refused start ends in says to do, unless the pool's user says it better."""
# How often a worker looks whether the command that started it is still there, where it has no pidfd
# to wait on (not Linux).
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
    imports the main script again in each worker (the ``tagline`` command's is guarded). With
    ``start="fork"`` (:func:`iter_in_workers`, for a process known to run no other thread) they are
    forked instead.

    A terminal sends Ctrl-C to its whole foreground process group. The workers take no part in it
    (see :func:`_start_worker`): this process is interrupted, stops them and raises, rather than each
    worker dying of it with a traceback that would be taken for a failure.
    """

    def __init__(self, workers: int, start: str = "spawn", *, refused_fix: str = REFUSED_FIX) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with _starting_workers():
            self.executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(start),
                                                initializer=_start_worker)
        self.closed = False
        self.refused_fix = refused_fix  # what the error says to do when a worker refused to start

    def submit(self, function: Callable[..., Any], *args: Any) -> Future:
        """Hand the call ``function(*args)`` to the pool; its future."""
        from tagline.interrupts import check as check_interrupted

        with _starting_workers():  # the executor starts a worker with each call until it has them all
            future = self.executor.submit(function, *args)
        # The executor wakes its thread before it starts the call's worker, so that thread may go on
        # watching only the workers it knew of and miss this one's death (killed by the out-of-memory
        # killer, say) until another call ends: the command would wait for as long. Wake it again.
        wakeup = getattr(self.executor, "_executor_manager_thread_wakeup", None)  # private (3.9 to 3.13)
        if wakeup is not None:
            wakeup.wakeup()
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
        refused = False
        if not self.closed:
            self.closed = True
            with deferred():  # every worker is stopped and waited for, even if Ctrl-C is pressed again
                refused = _stop(self.executor)
        # A SIGTERM sent to every process ends the workers too: it is not their failure. Not raised as a
        # generator of iter_in_workers is closed (its error would be printed as ignored, were it being
        # collected): the signal stays recorded for the guard's next check.
        if kind is not GeneratorExit:
            check_interrupted()
        if refused:
            _raise_refused(self.refused_fix)


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
    global _forked_function
    if start == "fork":
        _forked_function, function = function, _run_forked  # the forked workers inherit it
    try:
        with WorkerPool(workers, start) as pool:  # closing the generator early stops the workers
            yield from _in_order(pool, function, iter(arguments), CALLS_AHEAD_PER_WORKER * workers)
    finally:
        if start == "fork":
            _forked_function = None


_forked_function: Callable[..., Any] | None = None  # what forked workers run (see iter_in_workers)


@contextlib.contextmanager
def made_aside(function: Callable[[], Any], *, fork: bool = True) -> Iterator[Callable[[], Any]]:
    """``function()`` made in a worker process forked from this one while the block runs; the block is
    given a call that returns its result (waiting for it), so that this process does other work
    meanwhile. The worker holds what this process holds at the fork: ``function`` may be any callable,
    and nothing is pickled but its result. Where this process may not fork (it runs another thread:
    see :func:`only_thread`; one core; ``fork`` False), ``function`` is called in this process when
    its result is asked for. Leaving the block on a failure or an interruption stops the worker (see
    :class:`WorkerPool`)."""
    global _forked_function
    if not fork or cores() < 2 or _forked_function is not None or not only_thread():
        yield function
        return
    _forked_function = function
    try:
        with WorkerPool(1, "fork") as pool:
            yield pool.submit(_run_forked).result
    finally:
        _forked_function = None


def _run_forked(*args: Any) -> Any:
    assert _forked_function is not None
    return _forked_function(*args)


def numpy_without_threads() -> None:
    """Have NumPy start no thread of its own when it is imported later in this process: its BLAS
    (OpenBLAS) starts a pool of threads as it loads, and a process that runs another thread may not
    fork workers (see :func:`only_thread`). The commands that fork do element-wise work, which uses
    none of them. Nothing changes once NumPy is imported. Called only inside
    :func:`numpy_threads_put_back`, which undoes it for the rest of the process."""
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


_COMMAND_PROCESS = False


def process_ends_with_command() -> None:
    """Say that this process runs one command and ends with it (the command line does), so that
    :func:`numpy_threads_put_back` need not give BLAS back threads nothing will use."""
    global _COMMAND_PROCESS
    _COMMAND_PROCESS = True


@contextlib.contextmanager
def numpy_threads_put_back() -> Iterator[None]:
    """Meanwhile :func:`numpy_without_threads` may be called; afterwards the environment is as it
    was and, if NumPy was first imported meanwhile (with BLAS on one thread), BLAS has the threads it
    would have started with, so that a program using tagline as a library neither keeps
    ``OPENBLAS_NUM_THREADS`` in its environment (and its children's) nor runs its own matrix work on
    one core."""
    before = os.environ.get("OPENBLAS_NUM_THREADS")
    loaded = "numpy" in sys.modules
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OPENBLAS_NUM_THREADS", None)
        if before is None and not loaded and "numpy" in sys.modules and not _COMMAND_PROCESS:
            _blas_threads_as_started()


def _blas_threads_as_started() -> None:
    """Give OpenBLAS the threads it takes when loaded with no ``OPENBLAS_NUM_THREADS``: those of
    ``GOTO_NUM_THREADS`` or ``OMP_NUM_THREADS`` if set, else one per core (threadpoolctl, which
    scikit-learn uses for the same)."""
    from threadpoolctl import threadpool_limits

    wanted = os.environ.get("GOTO_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    try:
        threads = int(wanted) if wanted else cores()
    except ValueError:
        threads = cores()
    threadpool_limits(limits=max(threads, 1), user_api="blas")


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


def _in_order(pool: WorkerPool, function: Callable[..., Any], arguments: Iterator[tuple],
              ahead: int) -> Iterator[Any]:
    from collections import deque

    pending: deque[Future] = deque()

    def hand_out(count: int) -> None:
        for args in itertools.islice(arguments, count):
            pending.append(pool.submit(function, *args))

    hand_out(ahead)
    while pending:
        result = pending.popleft().result()
        hand_out(1)
        yield result


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


@contextlib.contextmanager
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
    workers. SIGTERM and SIGHUP take their default (a forked worker would keep this process's
    handler): the pool terminates workers with SIGTERM. And end with the command: a command killed
    (kill -9, out of memory) cannot stop its workers, and a worker waits for its next call for ever,
    out of reach of the terminal's signals (:func:`end_with_command`)."""
    import multiprocessing

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    os.setpgid(0, 0)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the command's output (--json)
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid is not None:
        end_with_command(parent.pid)


def end_with_command(command_pid: int) -> None:
    """Called in a worker as it starts: end it (``os._exit``) once the process ``command_pid``, the
    command that started it, has ended. A command killed outright (kill -9, out of memory) cannot stop
    its workers, and a worker waits for its next call for ever: it holds both ends of its call queue's
    pipe, so it never reads an end of file there. What it was writing is derived data, made whole again
    by the next command (a saved fold's temporary file is swept by the next save).

    The command is watched by its process id, not as this process's parent: a forkserver worker's
    parent is the fork server (the builtin suggester's), which itself waits on a pipe that its workers
    hold open."""
    import threading

    threading.Thread(target=_end_with, args=(command_pid,), name="end-with-command", daemon=True).start()


def _end_with(command_pid: int) -> None:
    """Run in a worker's thread: wait for the command to end (a pidfd, readable once it has; where there
    is none, not Linux, a look every :data:`WATCH_SECONDS`), then end the worker."""
    import select

    import tagline.corpus.scratch  # noqa: F401  (for _exit, imported now rather than as the process ends)

    try:
        handle = os.pidfd_open(command_pid)
    except ProcessLookupError:
        _exit(1)  # ended already
    except (AttributeError, OSError):
        with contextlib.suppress(OSError):  # ProcessLookupError once it has ended
            while True:
                os.kill(command_pid, 0)
                time.sleep(WATCH_SECONDS)
    else:
        watch = select.poll()
        watch.register(handle, select.POLLIN)
        while not watch.poll():
            pass
    _exit(1)


def _exit(status: int) -> None:
    """``os._exit``, which skips every ``finally``: the scratch folders this process made go first."""
    from tagline.corpus.scratch import remove_mine

    remove_mine()
    os._exit(status)


def _stop(executor: ProcessPoolExecutor) -> bool:
    """Terminate the workers, cancel the calls not begun, and wait for the workers and the executor's
    thread to end; whether a worker had refused to start (:func:`refuse_to_start`)."""
    # The processes are only in this attribute until Python 3.14 (ProcessPoolExecutor.terminate_workers).
    processes = list((executor._processes or {}).values())
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()
    # A worker terminated while it sent a result (a large one takes many writes into the pipe) left
    # half a message, which the executor's thread would wait for the rest of for ever, and shutdown()
    # with it. The workers are gone, so once this process's own copy of the pipe's write end is closed
    # that read ends (EOF) and the thread winds the pool up.
    result_queue = getattr(executor, "_result_queue", None)
    if result_queue is not None:
        with contextlib.suppress(OSError, AttributeError):
            result_queue._writer.close()
    executor.shutdown(wait=True, cancel_futures=True)
    return any(process.exitcode == REFUSED_TO_START for process in processes)


def refuse_to_start(*, forkserver: bool = False) -> None:
    """End this process quietly with :data:`REFUSED_TO_START` if it is a worker that is starting:
    one imports the main script of the process that started it, and a script that does its work
    outside ``if __name__ == "__main__":`` would do it again there (waiting, say, for the workspace
    lock that the first holds while the first waits for its worker). The process that started it
    then raises the one error that says so (rather than each worker a traceback, and itself
    ``BrokenProcessPool``). A ``forkserver`` worker ends with ``os._exit``: the fork server makes any
    ``SystemExit`` of a starting worker status 1."""
    multiprocessing = sys.modules.get("multiprocessing")  # a worker being started has imported it
    # What multiprocessing reads to refuse to start a process from a process still starting. No public
    # call tells the same: parent_process() is None until the script is imported, and the process's
    # name and main module (__mp_main__) are those of a worker still when it runs a process's target,
    # where a script may build or add (tests/corpus/test_segment_workers.py).
    if multiprocessing is not None and getattr(multiprocessing.current_process(), "_inheriting", False):
        if forkserver:
            os._exit(REFUSED_TO_START)
        raise SystemExit(REFUSED_TO_START)


def raise_if_refused(executor: Any, fix: str = REFUSED_FIX) -> None:
    """Raise the error of :func:`refuse_to_start` if a worker of ``executor`` (a ``ProcessPoolExecutor``
    found broken, whose processes are ended but still listed) ended as it started; else nothing."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        process.join(timeout=5)  # terminated by the executor as it broke: its status is soon there
    if any(process.exitcode == REFUSED_TO_START for process in processes):
        _raise_refused(fix)


def _raise_refused(fix: str) -> None:
    from tagline.errors import DataError

    raise DataError("a worker process ended as it started: it imported the script that started it, which did "
                    "the same work again", where=sys.argv[0] or None, fix=fix) from None
