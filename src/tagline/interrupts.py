"""Ctrl-C, SIGTERM and SIGHUP during long work: one handler that stops the work, and sections a signal cannot cut."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

from tagline.errors import Interrupted  # defined there, so that the CLI can catch it without importing signal

TYPE_CHECKING = False  # the names below are for type checkers only: --help imports this module
if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import FrameType
    from typing import Any

# SIGHUP: the terminal the command runs in was closed (its window, an ssh connection dropped).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class InterruptGuard:
    """What :func:`interrupt_guard` hands its work: the signal seen (``signum``), :meth:`check`,
    :meth:`deferred` and :meth:`commit`."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.committed = False
        self.late = False  # a signal came after the point of no return and was ignored
        self._raised = False
        self._deferring = 0

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.committed:
            self.late = True
            return
        if self.signum is None:
            self.signum = signum
        # Raised once: a second Ctrl-C must not cut short the cleanup the first one started. Should
        # the first be swallowed (datasets hashes with a bare `except:`), check() raises it again.
        if not self._deferring and not self._raised:
            self._raised = True
            raise Interrupted(signum)

    def check(self) -> None:
        """Raise :class:`Interrupted` if a signal came and the work has not passed its point of no return."""
        if self.signum is not None and not self.committed:
            self._raised = True
            raise Interrupted(self.signum)

    @contextmanager
    def deferred(self) -> Iterator[InterruptGuard]:
        """A section that runs to its end: a signal during it is only recorded, for the next :meth:`check`."""
        self._deferring += 1
        try:
            yield self
        finally:
            self._deferring -= 1

    def commit(self) -> None:
        """The work is done (its result is in place): from now on signals are ignored, not raised."""
        self.late = self.signum is not None  # it came during the deferred section that finished the work
        self.committed = True
        if self is _active:
            _note_saved()


_active: InterruptGuard | None = None
_saved = False  # the main thread's work reached its point of no return (see work_saved)


@contextmanager
def interrupt_guard() -> Iterator[InterruptGuard]:
    """For the duration of the block, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` in the main thread.

    The handlers in place before are put back afterwards, whatever they were (a notebook's, an
    application's, the default). A signal that is ignored (``SIG_IGN``, as in a background job) or
    handled outside Python is left alone. Outside the main thread, where Python cannot set
    handlers, nothing is installed and :meth:`InterruptGuard.check` never raises. A guard opened
    inside another shares the outer one: the outer work is stopped, or committed, with the inner.
    """
    global _active
    if threading.current_thread() is not threading.main_thread():
        yield InterruptGuard()  # its own, never signalled: committing it must not commit the main thread's work
        return
    if _active is not None:
        yield _active
        return
    guard = InterruptGuard()
    previous = {}
    for signum in STOP_SIGNALS:
        handler = signal.getsignal(signum)
        if handler is None or handler == signal.SIG_IGN:
            continue
        previous[signum] = handler
    _active = guard
    try:
        for signum in previous:
            signal.signal(signum, guard._handle)
        yield guard
    finally:
        guard._deferring += 1
        _active = None
        _restore(previous)
    guard.check()  # a signal that was recorded but never raised: the work did not end as it was asked to


def _restore(handlers: dict[signal.Signals, Any]) -> None:
    """Put every handler back, even when one that is already back raises (its signal came meanwhile)."""
    remaining = list(handlers.items())
    while remaining:
        signum, handler = remaining.pop()
        try:
            signal.signal(signum, handler)
        except BaseException:
            _restore(dict(remaining))
            raise


def check() -> None:
    """:meth:`InterruptGuard.check` on the main thread's guard, if one is in force (for code a guard
    is not passed to)."""
    if _active is not None and threading.current_thread() is threading.main_thread():
        _active.check()


def commit() -> None:
    """:meth:`InterruptGuard.commit` on the main thread's guard, if one is in force: the work that
    guard stops is done, and a signal from now on is not reported as having stopped it. Noted for
    :func:`work_saved` whether a guard is in force or not."""
    if threading.current_thread() is not threading.main_thread():
        return
    _note_saved()
    if _active is not None:
        _active.commit()


def _note_saved() -> None:
    global _saved
    _saved = True


def work_saved() -> bool:
    """Whether the work of the main thread has been committed (:func:`commit`) since :func:`forget_saved`:
    a Ctrl-C that comes after it, once the guard is gone (as the command prints its report), stops
    only the printing, and the command says so rather than that it was stopped."""
    return _saved


def forget_saved() -> None:
    """A new command begins (the command line calls it for each): nothing of its work is saved yet."""
    global _saved
    _saved = False


@contextmanager
def deferred() -> Iterator[InterruptGuard | None]:
    """:meth:`InterruptGuard.deferred` on the main thread's guard, if one is in force."""
    if _active is None or threading.current_thread() is not threading.main_thread():
        yield None
        return
    with _active.deferred() as guard:
        yield guard
