"""The heavy loops of ``eval run`` and ``eval build`` run through joblib: in this process, in local
worker processes (``--jobs N``), or on a Dask cluster (``--backend dask``) through joblib's Dask
backend. No scheduling of our own.

A loop hands :func:`map_tasks` a module-level function and the arguments of each call. Inside
:func:`executing` the first loop reached (the folds of a cross-validation, say) is shared out; the
loops inside its tasks (each fold's per-target models, each model's tuning folds) run in the
worker, one after the other, so work is never shared out twice. Every task is seeded by what it
computes (the run's seed), and BLAS runs on one thread in every task, so the results are the same
whichever way they are run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from tagline.corpus.execution import Execution
from tagline.errors import DataError

INSTALL_DASK = "pip install 'tagline[dask]'"

# The joblib configuration of the loops in this block (None: run them here, one after the other).
_ACTIVE: ContextVar[dict[str, Any] | None] = ContextVar("tagline_parallel", default=None)


@contextmanager
def executing(execution: Execution | None, *, default_jobs: int = 1) -> Iterator[None]:
    """Run the loops that :func:`map_tasks` is given in this block as ``execution`` says.

    ``default_jobs`` stands for ``execution.jobs`` when that is None. With the Dask backend a client
    is connected to the scheduler for the block and closed after it; an unreachable scheduler or a
    missing ``distributed`` is a :class:`~tagline.errors.DataError` that says what to do.
    """
    if execution is None or not execution.parallel and default_jobs == 1:
        yield
        return
    if not execution.dask:
        jobs = execution.jobs or default_jobs
        token = _ACTIVE.set({"backend": "loky", "n_jobs": jobs} if jobs > 1 else None)
        try:
            yield
        finally:
            _ACTIVE.reset(token)
        return
    client = _connect(execution.scheduler)
    try:
        token = _ACTIVE.set({"backend": "dask", "client": client, "n_jobs": execution.jobs or -1})
        try:
            yield
        finally:
            _ACTIVE.reset(token)
    finally:
        client.close()


def _connect(address: str | None):
    """A ``distributed.Client`` of the scheduler at ``address`` (or Dask's configured one)."""
    try:
        import dask
        from distributed import Client
    except ImportError:
        raise DataError("the dask backend needs Dask's distributed scheduler, which is not installed",
                        fix=f"{INSTALL_DASK}, or run with --backend local") from None
    address = address or dask.config.get("scheduler-address", None)
    if not address:
        raise DataError("the dask backend needs the address of a Dask scheduler",
                        fix="pass --scheduler tcp://HOST:8786, or set scheduler under [execution] in tagline.toml "
                            "(see docs/scaling.md)")
    try:
        return Client(address, set_as_default=False, timeout="10s")
    except (OSError, TimeoutError, ValueError) as error:
        raise DataError(f"cannot reach the Dask scheduler at {address}: {error}",
                        fix="start one (`dask scheduler`, then `dask worker ADDRESS` on each machine) or correct the "
                            "address") from None


def map_tasks(function: Callable[..., Any], arguments: Iterable[tuple], *,
              on_result: Callable[[int], None] | None = None) -> list:
    """``[function(*args) for args in arguments]``, shared out as :func:`executing` says.

    ``function`` must be importable by name (a module-level function, or a method of an object
    that pickles), since it runs in other processes, maybe on other machines. The results come
    back in the order of ``arguments``, which are read only a few calls ahead of the results, and
    ``on_result(index)`` is called, in this process, as each comes in.
    """
    config = _ACTIVE.get()
    if config is None:
        results = []
        for index, args in enumerate(arguments):
            results.append(function(*args))
            if on_result:
                on_result(index)
        return results
    from joblib import Parallel, delayed, parallel_config

    calls = (delayed(_in_worker)(function, args) for args in arguments)
    results = []
    with parallel_config(**config):
        for index, result in enumerate(Parallel(return_as="generator", pre_dispatch="2 * n_jobs")(calls)):
            results.append(result)
            if on_result:
                on_result(index)
    return results


def _in_worker(function: Callable[..., Any], args: tuple) -> Any:
    """One task: its own loops run here, one after the other, with BLAS on one thread (as in a
    run in one process, so that sums come out the same)."""
    from threadpoolctl import threadpool_limits

    token = _ACTIVE.set(None)
    try:
        with threadpool_limits(1):
            return function(*args)
    finally:
        _ACTIVE.reset(token)
