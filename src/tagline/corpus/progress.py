"""How long work tells its caller how far it has got: the callback the library calls, and its no-op default."""

from __future__ import annotations

from typing import Protocol


class ProgressCallback(Protocol):
    """Called by long work (``add_documents``, ``import_file``, ``build_dataset``, ``run_evaluation``) as it
    advances: ``done`` of ``total`` units of the step ``what`` (a few words, e.g. ``"segmenting documents"``).

    ``total`` is None when the step cannot be counted (one call into a library). A step begins when
    ``what`` changes with ``done`` at 0, when ``total`` changes, or when ``done`` goes down: a display
    starts a new bar, clock and estimate of the time left there. Otherwise ``done`` only grows, and a
    new ``what`` names the unit now under way on the same count (``run_evaluation`` counts every
    baseline on one bar and names each as it starts). The library calls it from the thread that
    called the function, at most once per unit (a file, a document, an imported record, a chunk of
    sentences, a baseline). It prints nothing itself: the ``tagline`` command draws a bar on a
    terminal, a program may log it, and the default does nothing.

    Examples
    --------
    >>> def log(done, total, what):
    ...     print(f"{what}: {done}/{total}")
    >>> report = add_documents(workspace, ["article.txt"], progress=log)  # doctest: +SKIP
    reading files: 0/1
    reading files: 1/1
    segmenting documents: 0/1
    segmenting documents: 1/1
    writing sentences: 0/None
    """

    def __call__(self, done: int, total: int | None, what: str) -> None: ...


def no_progress(done: int, total: int | None, what: str) -> None:
    """The default :class:`ProgressCallback`: nothing is reported."""
