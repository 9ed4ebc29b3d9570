"""Where the heavy loops run: this machine's processes, or a Dask cluster (the ``[execution]`` table
of tagline.toml, overridden by ``--jobs``, ``--backend`` and ``--scheduler``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tagline.errors import DataError

Backend = Literal["local", "dask"]
BACKENDS: tuple[Backend, ...] = ("local", "dask")


@dataclass(frozen=True)
class Execution:
    """How cross-validation folds, tuning grids, per-target models and build tokens are run.

    The results do not depend on it: every task is seeded by what it computes, never by the process
    that runs it, so ``jobs=1``, ``jobs=4`` and a Dask cluster give the same numbers.

    Parameters
    ----------
    jobs : int, optional
        Local worker processes (``backend="local"``): 1 runs everything in this process; ``None``
        is each command's default (``eval run``: 1; ``eval build``: one per core above 50,000
        sentences). With Dask, the most tasks sent to the cluster at once (``None``: as many as it
        has worker threads).
    backend : {"local", "dask"}, default "local"
        ``"dask"`` sends the tasks to a ``dask.distributed`` scheduler through joblib's Dask
        backend (``pip install 'tagline[dask]'``).
    scheduler : str, optional
        The scheduler's address, e.g. ``"tcp://10.0.0.5:8786"`` (Dask only). Without one, the
        address in Dask's own configuration (``DASK_SCHEDULER_ADDRESS``) is used.

    Examples
    --------
    >>> Execution(jobs=2)
    Execution(jobs=2, backend='local', scheduler=None)
    >>> Execution().with_overrides(scheduler="tcp://127.0.0.1:8786").backend
    'dask'
    """

    jobs: int | None = None
    backend: Backend = "local"
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise DataError(f"execution backend {self.backend!r} is not one of {', '.join(BACKENDS)}")
        if self.jobs is not None and (isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 1):
            raise DataError(f"execution jobs must be a whole number, at least 1; got {self.jobs!r}")
        if self.scheduler is not None and not self.dask:
            raise DataError(f"a scheduler address ({self.scheduler}) is for the dask backend",
                            fix="choose the dask backend for it, or leave the address out")

    @property
    def dask(self) -> bool:
        return self.backend == "dask"

    @property
    def parallel(self) -> bool:
        """Whether tasks leave this process at all."""
        return self.dask or (self.jobs or 1) > 1

    def with_overrides(self, *, jobs: int | None = None, backend: Backend | None = None,
                       scheduler: str | None = None) -> Execution:
        """This setting with the options given on the command line put over it. A scheduler address
        implies the Dask backend; a change of backend drops the configured jobs, and choosing the
        local backend drops the configured address."""
        if scheduler is not None and backend is None:
            backend = "dask"
        chosen = backend or self.backend
        if jobs is None and chosen == self.backend:
            jobs = self.jobs
        if scheduler is None and chosen == "dask":
            scheduler = self.scheduler
        return Execution(jobs=jobs, backend=chosen, scheduler=scheduler)

    @classmethod
    def from_config(cls, table: dict) -> Execution:
        """The ``[execution]`` table of tagline.toml (already checked against its schema); a
        scheduler address alone implies the Dask backend."""
        return cls(jobs=table.get("jobs"), backend=table.get("backend", "dask" if "scheduler" in table else "local"),
                   scheduler=table.get("scheduler"))
