"""When a large export's parts are made in forked workers: from 4,000 answered sentences on a machine
of three cores or more, from 20,000 on two (where the command's own work shares the cores with the
workers), never on one or in a process running another thread."""

from __future__ import annotations

import pytest

from tagline.annotate.formats import parts
from tagline.corpus import workers


@pytest.fixture
def forked(monkeypatch) -> list[int]:
    """The number of workers each export was handed to (none when it was made in this process); the
    workers themselves not started, the parts made here."""
    handed: list[int] = []

    def spy(function, arguments, count, *, start="spawn"):
        assert start == "fork"
        handed.append(count)
        return (function(*args) for args in arguments)

    monkeypatch.setattr(workers, "iter_in_workers", spy)
    monkeypatch.setattr(workers, "only_thread", lambda: True)
    return handed


@pytest.mark.parametrize(("cores", "answered", "expected"), [
    (2, 10_000, []), (2, 19_999, []), (2, 20_000, [2]), (2, 100_000, [2]),
    (3, 3_999, []), (3, 4_000, [3]), (3, 10_000, [3]), (8, 10_000, [4]), (1, 100_000, []),
])
def test_the_parts_are_made_in_workers_where_they_save_time(monkeypatch, forked, cores, answered, expected):
    monkeypatch.setattr(workers, "cores", lambda: cores)
    assert list(parts.made_in_order(lambda part: part * 2, range(5), answered)) == [0, 2, 4, 6, 8]
    assert forked == expected


def test_a_process_running_another_thread_makes_them_itself(monkeypatch, forked):
    monkeypatch.setattr(workers, "cores", lambda: 4)
    monkeypatch.setattr(workers, "only_thread", lambda: False)
    assert list(parts.made_in_order(str, range(3), 100_000)) == ["0", "1", "2"]
    assert forked == []
