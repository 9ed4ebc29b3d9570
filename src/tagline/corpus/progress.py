"""How long work tells its caller how far it has got: the callback the library calls, and its no-op default."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")


class ProgressCallback(Protocol):
    """Called by long work (``add_documents``, ``import_file``, ``export``, ``build_dataset``, ``run_evaluation``) as it
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


def counted(items: Iterable[T], progress: ProgressCallback, what: str, total: int | None = None, *,
            every: int = 10_000) -> Iterator[T]:
    """``items`` as they are, telling ``progress`` how many of them have passed (``what``, out of ``total``)
    when the first is asked for, after every ``every`` of them, and at the end; given
    :func:`no_progress`, ``items`` themselves, at no cost.

    Examples
    --------
    >>> calls = []
    >>> list(counted("abc", lambda *call: calls.append(call), "letters", 3, every=2))
    ['a', 'b', 'c']
    >>> calls
    [(0, 3, 'letters'), (2, 3, 'letters'), (3, 3, 'letters')]
    """
    if progress is no_progress:
        return iter(items)
    return _counted(items, progress, what, total, every)


def _counted(items: Iterable[T], progress: ProgressCallback, what: str, total: int | None, every: int) -> Iterator[T]:
    done = 0
    progress(0, total, what)
    for item in items:
        yield item
        done += 1
        if not done % every:
            progress(done, total, what)
    if done % every:
        progress(done, total, what)
