"""Fitted vectorizers' vocabularies saved as three NumPy arrays instead of a dict of terms.

skops writes a dict entry by entry (a character n-gram vocabulary of 10^5 terms took seconds to
save, more than the rest of the run's files together), while an array goes into the file in one
piece. Before :func:`skops.io.dump` each fitted ``vocabulary_`` (term -> column) is taken off its
vectorizer and kept under :data:`PACKED` as the terms' UTF-8 bytes, where each term ends (in
characters) and its column; after loading, :func:`unpack` puts the same dict back, in the same order.
A vectorizer saved without it (by an earlier tagline) is left as it is. The arrays are numpy types,
which skops loads without pickle.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tagline.errors import DataError

PACKED = "_tagline_packed_vocabulary"


@contextmanager
def packed_vocabularies(model: Any) -> Iterator[None]:
    """While the block runs, every fitted vectorizer in ``model`` holds its vocabulary packed (see
    the module); the dicts are put back when it ends, whatever happens."""
    taken = []
    try:
        for vectorizer in _vectorizers(model):
            vocabulary = vars(vectorizer)["vocabulary_"]
            setattr(vectorizer, PACKED, pack(vocabulary))
            del vectorizer.vocabulary_
            taken.append((vectorizer, vocabulary))
        yield
    finally:
        for vectorizer, vocabulary in taken:
            vectorizer.vocabulary_ = vocabulary
            vars(vectorizer).pop(PACKED, None)


def unpack_vocabularies(model: Any, *, where: str) -> Any:
    """``model`` as loaded, with every packed vocabulary made a dict again (in place)."""
    for vectorizer in _objects(model):
        packed = vars(vectorizer).pop(PACKED, None)
        if packed is not None:
            vectorizer.vocabulary_ = unpack(packed, where=where)
    return model


def pack(vocabulary: dict[str, int]) -> dict[str, Any]:
    """A vocabulary (term -> column) as ``text`` (the terms' UTF-8 bytes, one after another, as
    uint8), ``ends`` (where each term ends in the decoded text, in characters) and ``columns``."""
    import numpy as np

    terms = list(vocabulary)
    text = "".join(terms)
    # surrogatepass: a term cut from text holding a lone surrogate comes back exactly
    return {"text": np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8),
            "ends": np.cumsum(np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))),
            "columns": np.fromiter(vocabulary.values(), dtype=np.int64, count=len(terms))}


def unpack(packed: Any, *, where: str) -> dict[str, int]:
    """The vocabulary :func:`pack` packed, in the same order; a :class:`DataError` when the arrays do
    not fit together (a damaged file)."""
    import numpy as np

    try:
        text = packed["text"].tobytes().decode("utf-8", "surrogatepass")
        ends, columns = packed["ends"], packed["columns"]
        sound = (ends.ndim == columns.ndim == 1 and len(ends) == len(columns) and ends.dtype.kind == "i"
                 and columns.dtype.kind == "i"
                 and (len(ends) == 0 or (ends[-1] == len(text) and ends[0] >= 0 and bool(np.all(np.diff(ends) >= 0)))))
    except (TypeError, KeyError, AttributeError, UnicodeDecodeError):
        sound = False
    if not sound:
        raise DataError("the model file's vocabulary is damaged", where=where,
                        fix="run `tagline eval run` again to make the model anew")
    starts = [0, *ends[:-1].tolist()]
    return dict(zip((text[start:end] for start, end in zip(starts, ends.tolist())), columns.tolist()))


def _vectorizers(model: Any) -> list[Any]:
    """Every fitted scikit-learn vectorizer with a vocabulary of terms inside ``model``."""
    from sklearn.feature_extraction.text import CountVectorizer

    return [found for found in _objects(model) if isinstance(found, CountVectorizer)
            and isinstance(vars(found).get("vocabulary_"), dict)]


def _objects(model: Any) -> Iterator[Any]:
    """``model`` and every object reachable from it through attributes, lists, tuples and dicts
    (each once), arrays and other values left out."""
    seen: set[int] = set()
    stack = [model]
    while stack:
        found = stack.pop()
        if id(found) in seen:
            continue
        seen.add(id(found))
        if isinstance(found, (list, tuple)):
            stack.extend(found)
        elif isinstance(found, dict):
            stack.extend(found.values())
        elif hasattr(found, "get_params") and hasattr(found, "__dict__"):  # an estimator
            yield found
            stack.extend(value for name, value in vars(found).items() if name not in ("vocabulary_", PACKED))
