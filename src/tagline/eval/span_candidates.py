"""Entity spans a CRF thinks possible but does not tag: the candidates the annotation session lists
after the suggested spans, off until a number key turns one on.

A linear-chain CRF gives each token a marginal probability per tag (CRFsuite's forward-backward).
A span of tokens ``i..k`` labelled ``L`` needs ``B-L`` at ``i``, ``I-L`` inside, and no ``I-L``
after ``k``; the smallest of those marginals bounds the probability of the whole span from above
(the joint probability of events is at most that of the least likely), which is what ranks the
candidates here. CRFsuite exposes token marginals and the probability of a whole tag sequence, not
span marginals, and no library we use computes them; this bound is a few lines over the marginals.

Why offer them: a span the model missed costs the annotator the token cursor (Tab, moves, a label
key: about 3.5 keys a span on the sample), a candidate turned on one key, and a wrong candidate
left off none. :data:`CANDIDATE_FLOOR` was chosen on ``benchmarks/annotate_speed.py`` (see
``docs/suggestions.md``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# The smallest bound a candidate may have; lower ones are noise (measured on the sample's second
# half: at 0.01 about 1.7 candidates a sentence, 6 of the 14 spans the CRF missed among them).
CANDIDATE_FLOOR = 0.01
NUMBER_KEYS = 9  # spans numbered past 9 cannot be turned on with one key


def span_candidates(offsets: Sequence[tuple[int, int]], marginals: Sequence[Mapping[str, float]],
                    tagged: Sequence[tuple[int, int, str]], *, floor: float = CANDIDATE_FLOOR,
                    limit: int = NUMBER_KEYS) -> list[tuple[int, int, str]]:
    """The spans (start, end, label; offsets into the text) other than ``tagged`` whose bound is at
    least ``floor``: the most likely first, at most ``limit`` minus the tagged spans (so every
    one has a number key), then in the order of the text. A start may give several ends ("Sam" and
    "Sam Altman"): turning one on turns off the others it overlaps."""
    labels = sorted({tag[2:] for token in marginals for tag in token if tag[:2] in ("B-", "I-")})
    found: list[tuple[float, int, int, str]] = []
    count = len(offsets)
    for first in range(count):
        for label in labels:
            inside = marginals[first].get(f"B-{label}", 0.0)
            for last in range(first, count):
                if last > first:
                    inside = min(inside, marginals[last].get(f"I-{label}", 0.0))
                if inside < floor:
                    break
                ends = 1.0 - marginals[last + 1].get(f"I-{label}", 0.0) if last + 1 < count else 1.0
                if min(inside, ends) >= floor:
                    found.append((min(inside, ends), offsets[first][0], offsets[last][1], label))
    taken = set(tagged)
    room = max(0, limit - len(taken))
    chosen = [candidate for candidate in sorted(found, key=lambda c: (-c[0], c[1], c[2], c[3]))
              if candidate[1:] not in taken][:room]
    return sorted((start, end, label) for _, start, end, label in chosen)
