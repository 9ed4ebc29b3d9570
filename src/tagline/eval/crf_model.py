"""A fitted CRFsuite model held in memory: trained by sklearn-crfsuite into a scratch folder of
tagline's own (:mod:`tagline.corpus.scratch`), read, and the folder removed at once; tagging with
pycrfsuite from the bytes. sklearn-crfsuite's ``CRF`` keeps its model in a temporary file of its own
(``model*.crfsuite``) that only its garbage collection removes, which never comes in a process that
ends with ``os._exit`` (every multiprocessing worker, the builtin suggester's among them) nor in
one killed: each left a file behind. Pickled as the model's bytes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


class CRFModel:
    """A CRFsuite model's bytes and the sklearn-crfsuite parameters it was trained with (``params``),
    tagging as ``sklearn_crfsuite.CRF`` does (``predict_single``, ``predict_marginals_single``, and the
    ``pycrfsuite.Tagger`` as ``tagger_``)."""

    def __init__(self, data: bytes, params: dict[str, Any] | None = None):
        self.data = data
        self.params = dict(params or {})
        self._tagger: Any = None

    @classmethod
    def train(cls, params: dict[str, Any], x: Sequence[Sequence[dict]], y: Sequence[Sequence[str]]) -> CRFModel:
        """``sklearn_crfsuite.CRF(**params)`` fitted on ``x`` and ``y``; no file of it is left."""
        import sklearn_crfsuite

        from tagline.corpus.scratch import scratch_directory

        with scratch_directory("crf") as directory:
            path = directory / "model.crfsuite"
            sklearn_crfsuite.CRF(model_filename=str(path), **params).fit(x, y)
            return cls(path.read_bytes(), params)

    @classmethod
    def read(cls, path: Path) -> CRFModel:
        """A model saved by :meth:`write` (CRFsuite's own file format)."""
        return cls(Path(path).read_bytes())

    def write(self, path: Path) -> None:
        Path(path).write_bytes(self.data)

    @property
    def tagger_(self) -> Any:
        """The ``pycrfsuite.Tagger`` of the model (it reads the bytes, which this object keeps)."""
        if self._tagger is None:
            import pycrfsuite

            tagger = pycrfsuite.Tagger()
            tagger.open_inmemory(self.data)  # read in place, not copied: this object keeps the bytes
            self._tagger = tagger
        return self._tagger

    @property
    def classes_(self) -> list[str]:
        """The tags the model knows."""
        return self.tagger_.labels()

    def predict_single(self, features: Sequence[dict]) -> list[str]:
        return self.tagger_.tag(features)

    def predict_marginals_single(self, features: Sequence[dict]) -> list[dict[str, float]]:
        tagger = self.tagger_
        tagger.set(features)
        return [{tag: tagger.marginal(tag, i) for tag in tagger.labels()} for i in range(len(features))]

    def __getstate__(self) -> dict[str, Any]:
        return {"data": self.data, "params": self.params}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.data, self.params, self._tagger = state["data"], state["params"], None
