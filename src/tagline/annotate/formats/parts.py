"""The parts of a large export (a thousand sentences each) made in worker processes forked from the
command's, and written in order as they come back."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

Part = TypeVar("Part")
Made = TypeVar("Made")

PARALLEL_EXPORT_MIN_ANSWERED = 4000
"""An export of fewer answered sentences is made in one process: forking the workers and handing
them the parts would cost more time than they save."""
TWO_CORES_MIN_FACTOR = 5
"""On two cores, an export of fewer than five times as many answered sentences (20,000) is made in
one process: the command's own work with the workers (reading the sentences, handing them over,
taking the parts' bytes back and writing them) is about as much as theirs, so that two workers save
no wall time to count on at 10,000 sentences (see docs/architecture.md) and cost a third more CPU,
which a loaded machine pays in wall time too."""
MAX_EXPORT_WORKERS = 4
"""This process reads the sentences, sends them and writes what comes back, about a third of the
work a worker does for them: more workers than this would wait for it."""


def made_in_order(make: Callable[[Part], Made], parts: Iterable[Part], answered: int) -> Iterator[Made]:
    """``make(part)`` for each of ``parts``, in order.

    For an export of :data:`PARALLEL_EXPORT_MIN_ANSWERED` answered sentences or more (on two cores,
    :data:`TWO_CORES_MIN_FACTOR` times as many), on a machine with more than one core,
    the parts are made in worker processes forked from this one (they start at once, holding the
    answers this process read), while this process reads the next sentences and writes what comes
    back; ``make`` returns what is written (the part's bytes), so that encoding is done there too.
    Only a process that runs no other thread may fork; one that does makes the parts itself."""
    from tagline.corpus.workers import cores, iter_in_workers, only_thread

    workers = min(cores(), MAX_EXPORT_WORKERS)
    least = PARALLEL_EXPORT_MIN_ANSWERED * (TWO_CORES_MIN_FACTOR if workers == 2 else 1)
    if answered < least or workers < 2 or not only_thread():
        return map(make, parts)
    return iter_in_workers(make, ((part,) for part in parts), workers, start="fork")
