"""The orders a session can ask its sentences in, in one registry: ``sequential``, ``random``,
``disagreement`` (contested questions first, for review) and ``uncertain`` (what a model is least
sure of first). The CLI's ``--order`` choices, the docs and the tests come from :data:`ORDERS`.

``uncertain`` needs a model: the session opens in sequential order and asks its suggestion feed
to rank the unfinished sentences in the background (a key press never waits for a model); once
the ranking is there, the sentences after the one on screen are put in its order, and they are
ranked again whenever the model has retrained. How unsure a model is comes from the suggester's
optional ``uncertainty`` method (see :mod:`tagline.annotate.suggest`).

Only the standard library is imported here (``random`` when it is used), so the CLI lists the orders
at start-up without loading a model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from tagline.errors import DataError, InputError

# Sentences a model ranks at once: a seeded sample when more are unfinished, so a ranking of a
# million-sentence corpus takes seconds in the background instead of holding up suggestions.
RANK_LIMIT = 2000
_Item = TypeVar("_Item")


class OrderSpec(NamedTuple):
    """One order of the sentences: its name on the command line, what it does, whether it needs a model."""

    name: str
    description: str
    needs_model: bool = False


ORDERS: tuple[OrderSpec, ...] = (
    OrderSpec("sequential", "the corpus order, document by document"),
    OrderSpec("random", "shuffled, seeded by the annotator's name unless --seed"),
    OrderSpec("disagreement", "the questions the annotators' answers disagree on first, most disagreement first "
              "(for review)"),
    OrderSpec("uncertain", "what the model of --suggest (builtin when not given) is least sure of first, "
              "ranked again as it retrains; sequential until its first ranking", needs_model=True),
)

ORDER_NAMES = tuple(spec.name for spec in ORDERS)


def order_spec(name: str) -> OrderSpec:
    """The registry entry of an order, or an error naming the orders there are."""
    for spec in ORDERS:
        if spec.name == name:
            return spec
    raise InputError(f"unknown order {name!r}", fix=f"use one of {', '.join(ORDER_NAMES)}")


def order_sentences(sentences: Sequence[dict], order: str, *, workspace: Any = None, annotator: str = "",
                    seed: int | None = None, slots: Sequence[tuple[str, str | None]] | None = None) -> list[dict]:
    """The sentences in the order a session opens with.

    ``random`` is seeded by ``seed``, or by the annotator's name. ``disagreement`` reads every
    annotator's current answers from ``workspace`` (machine annotators left out) and counts only
    the questions in ``slots``. ``uncertain`` opens in sequential order: the model ranks later.

    Examples
    --------
    >>> [s["id"] for s in order_sentences([{"id": "a"}, {"id": "b"}, {"id": "c"}], "random", seed=1)]
    ['b', 'c', 'a']
    """
    permutation = order_permutation(sentences, order, workspace=workspace, annotator=annotator, seed=seed,
                                    slots=slots)
    return list(sentences) if permutation is None else [sentences[i] for i in permutation]


def order_permutation(sentences: Sequence[dict], order: str, *, workspace: Any = None, annotator: str = "",
                      seed: int | None = None,
                      slots: Sequence[tuple[str, str | None]] | None = None) -> list[int] | None:
    """:func:`order_sentences` as the positions of ``sentences`` in that order, or None for the order
    they are in; only the ids of the sentences are read (``sentence_ids``), so a session on a large
    corpus orders positions, not records."""
    order_spec(order)
    if order == "random":
        import random  # here, not at the top: the CLI lists the orders at start-up

        permutation = list(range(len(sentences)))  # the same shuffle as of the sentences themselves
        random.Random(seed if seed is not None else annotator).shuffle(permutation)
        return permutation
    if order == "disagreement":
        from tagline.annotate.answers import collect_votes
        from tagline.annotate.session_data import sentence_ids

        tasks = sorted({task for task, _ in slots}) if slots is not None else None
        votes = collect_votes(workspace, tasks=tasks)
        contested = disagreement(votes, slots)
        ids = sentence_ids(sentences)
        return sorted(range(len(ids)), key=lambda i: -contested.get(ids[i], 0.0))  # stable: ties in corpus order
    return None


def disagreement(votes: Mapping[tuple[str, str | None], Mapping[str, Mapping[str, dict]]],
                 slots: Sequence[tuple[str, str | None]] | None = None) -> dict[str, float]:
    """How contested each sentence is: for every question with two votes or more, the share of its
    votes that differ from its most common answer, summed over the sentence's questions (``slots``,
    or all). ``votes`` is what :func:`tagline.annotate.answers.collect_votes` returns.

    Examples
    --------
    >>> disagreement({("claim_type", None): {"s1": {"a": {"label": "x"}, "b": {"label": "y"}},
    ...                                      "s2": {"a": {"label": "x"}, "b": {"label": "x"}}}})
    {'s1': 0.5}
    """
    from tagline.annotate.answers import value_key

    wanted = set(slots) if slots is not None else None
    contested: dict[str, float] = {}
    for (task, target), by_sentence in votes.items():
        if wanted is not None and (task, target) not in wanted:
            continue
        for sentence_id, by_annotator in by_sentence.items():
            if len(by_annotator) < 2:
                continue
            answers = [value_key(task, value) for value in by_annotator.values()]
            most_common = max(answers.count(answer) for answer in set(answers))
            if most_common < len(answers):
                contested[sentence_id] = contested.get(sentence_id, 0.0) + 1 - most_common / len(answers)
    return contested


def rank_sample(sentences: Sequence[_Item], *, limit: int = RANK_LIMIT, seed: int | str | None = None) -> list[_Item]:
    """The sentences (or their positions) to ask a model to rank: all of them, or a seeded random
    ``limit`` of them."""
    if len(sentences) <= limit:
        return list(sentences)
    import random

    return random.Random(seed).sample(list(sentences), limit)


def rank_after(sentences: Sequence[dict], position: int, uncertainty: Mapping[str, float]) -> list[dict]:
    """``sentences`` with those after ``position`` put in order of ``uncertainty`` (most uncertain
    first, ties in their current order), followed by those the model did not rank, in their
    current order. The sentences up to ``position`` stay where they are, so going back still
    shows what was shown before.

    Examples
    --------
    >>> [s["id"] for s in rank_after([{"id": i} for i in "abcd"], 0, {"c": 0.9, "d": 0.1})]
    ['a', 'c', 'd', 'b']
    """
    from tagline.annotate.session_data import reorder, sentence_ids

    return reorder(sentences, rank_permutation(sentence_ids(sentences), position, uncertainty))


def rank_permutation(ids: Sequence[str], position: int, uncertainty: Mapping[str, float]) -> list[int]:
    """:func:`rank_after` as positions: the order of ``ids`` that puts those after ``position`` in
    order of ``uncertainty``."""
    tail = range(position + 1, len(ids))
    ranked = sorted((later for later in tail if ids[later] in uncertainty), key=lambda later: -uncertainty[ids[later]])
    return [*range(position + 1), *ranked, *(later for later in tail if ids[later] not in uncertainty)]


class UncertainOrder:
    """``--order uncertain`` in a session: asks the suggestion ``feed`` to rank the unfinished
    sentences after the one on screen, at the start and again whenever the model has retrained,
    and gives the sentences in the ranking's order once it has arrived."""

    def __init__(self, feed: Any, seed: int | str | None, slots: Sequence[tuple[str, str | None]] | None = None):
        self.feed = feed
        self.seed = seed
        self.slots = list(slots) if slots is not None else None  # the session's questions: only they count
        self._rankings_taken = 0
        self._asked_version: object = _NOT_ASKED

    def ask(self, sentences: Sequence[dict], position: int, is_complete: Callable[[int], bool]) -> None:
        """Ask for a ranking, unless one was asked of the model as it is now (its ``version``)."""
        version = getattr(self.feed.suggester, "version", 0)
        if version == self._asked_version:
            return
        self._asked_version = version
        unfinished = [later for later in range(position + 1, len(sentences)) if not is_complete(later)]
        self.feed.rank([sentences[later] for later in rank_sample(unfinished, seed=self.seed)], self.slots)

    def take(self, sentences: Sequence[dict], position: int, held: Sequence[Any]) -> list[int] | None:
        """The order of a ranking that arrived since the last call, as positions in ``sentences`` (see
        :func:`rank_permutation`), or None. ``held`` are objects with a ``position`` (the session's
        undo entries): those after ``position`` are moved with their sentences."""
        if self.feed.rankings == self._rankings_taken:
            return None
        self._rankings_taken = self.feed.rankings
        from tagline.annotate.session_data import sentence_ids

        permutation = rank_permutation(sentence_ids(sentences), position, self.feed.uncertainty)
        now_at = {before: after for after, before in enumerate(permutation)}
        for entry in held:
            if entry.position > position:
                entry.position = now_at[entry.position]
        return permutation


def session_ranking(order: str, feed: Any, seed: int | str | None,
                    slots: Sequence[tuple[str, str | None]] | None = None) -> UncertainOrder | None:
    """What ranks a session's sentences as it goes: an :class:`UncertainOrder` for an order that
    needs a model (an error without a ``feed``), None for the orders fixed when it opens."""
    if not order_spec(order).needs_model:
        return None
    if feed is None:
        raise DataError(f"--order {order} needs a model to rank the sentences",
                        fix="pass --suggest SOURCE (the command line uses builtin when it is not given)")
    return UncertainOrder(feed, seed, slots)


_NOT_ASKED = object()
