"""A run's saved model: the vectorizers' vocabularies written as arrays, not entry by entry, and read
back into the same dicts; models saved the earlier way still load."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import skops.io

from tagline.errors import DataError
from tagline.eval.baselines import PerTargetClassifier, make_text_baseline
from tagline.eval.run import load_model, save_model
from tagline.eval.run.vocabulary import PACKED, pack, unpack

TEXTS = ["zebras graze on the plain", "the market fell sharply", "東京で会議が開かれた", "prices rose 3%",
         "zebras run", "the plan failed", "大阪の工場が稼働した", "sales doubled last year"] * 3
LABELS = ["a", "b", "c", "b", "a", "b", "c", "a"] * 3


def vectorizers(model):
    """The fitted vectorizers of a text baseline (nested pipelines and unions are parameters)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    found = [value for value in model.get_params(deep=True).values() if isinstance(value, TfidfVectorizer)]
    assert found
    return found


@pytest.mark.parametrize("baseline", ["tfidf_svm", "tfidf_logreg"])
def test_a_saved_model_holds_its_vocabulary_as_arrays_and_loads_the_same_dict(tmp_path, baseline):
    model = make_text_baseline(baseline, lang="en", random_state=1).fit(TEXTS, LABELS)
    before = [list(v.vocabulary_.items()) for v in vectorizers(model)]
    save_model(model, tmp_path)
    with zipfile.ZipFile(tmp_path / "model.skops") as archive:
        schema = archive.read("schema.json").decode("utf-8")
    assert "zebras" not in schema and PACKED in schema  # not one entry of the dict a term
    assert [list(v.vocabulary_.items()) for v in vectorizers(model)] == before  # the model saved is unchanged
    assert not any(hasattr(v, PACKED) for v in vectorizers(model))
    loaded = load_model(tmp_path)
    assert [list(v.vocabulary_.items()) for v in vectorizers(loaded)] == before  # same terms, columns, order
    assert not any(hasattr(v, PACKED) for v in vectorizers(loaded))
    assert loaded.predict(TEXTS).tolist() == model.predict(TEXTS).tolist()
    assert np.array_equal(loaded.decision_function(TEXTS), model.decision_function(TEXTS))


def test_vocabularies_inside_a_per_target_model_are_packed_too(tmp_path):
    pairs = [("cats" if i % 2 else "dogs", text) for i, text in enumerate(TEXTS)]
    model = PerTargetClassifier(make_text_baseline("tfidf_svm", lang="en")).fit(pairs, LABELS)
    save_model(model, tmp_path)
    with zipfile.ZipFile(tmp_path / "model.skops") as archive:
        assert "zebras" not in archive.read("schema.json").decode("utf-8")
    loaded = load_model(tmp_path)
    assert loaded.predict(pairs).tolist() == model.predict(pairs).tolist()


def test_the_vocabulary_is_put_back_when_saving_fails(tmp_path, monkeypatch):
    model = make_text_baseline("tfidf_svm", lang="en").fit(TEXTS, LABELS)
    before = [dict(v.vocabulary_) for v in vectorizers(model)]

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(skops.io, "dump", full_disk)
    with pytest.raises(OSError):
        save_model(model, tmp_path)
    assert [v.vocabulary_ for v in vectorizers(model)] == before
    assert model.predict(TEXTS).tolist()  # still fitted


def test_a_model_saved_with_its_vocabulary_as_a_dict_still_loads(tmp_path):
    model = make_text_baseline("tfidf_svm", lang="en").fit(TEXTS, LABELS)
    skops.io.dump(model, tmp_path / "model.skops")  # as runs made before the arrays were saved
    loaded = load_model(tmp_path)
    assert [v.vocabulary_ for v in vectorizers(loaded)] == [v.vocabulary_ for v in vectorizers(model)]
    assert loaded.predict(TEXTS).tolist() == model.predict(TEXTS).tolist()


def test_any_term_comes_back_exactly():
    vocabulary = {"": 3, "é": 0, "東京": 4, "a\x00": 1, "\ud800x": 2, "🙂 ": 5}
    packed = pack(vocabulary)
    assert {name: array.dtype.kind for name, array in packed.items()} == {"text": "u", "ends": "i", "columns": "i"}
    assert list(unpack(packed, where="m").items()) == list(vocabulary.items())
    assert unpack(pack({}), where="m") == {}


def test_arrays_that_do_not_fit_together_are_a_damaged_file():
    packed = pack({"ab": 0, "c": 1})
    for broken in ({**packed, "ends": packed["ends"][:1]}, {**packed, "ends": np.array([2, 9])},
                   {**packed, "ends": np.array([2.0, 3.0])}, {"text": packed["text"]},
                   {**packed, "text": np.frombuffer(b"\xff\xfe\xfd", dtype=np.uint8)}):
        with pytest.raises(DataError, match="vocabulary is damaged"):
            unpack(broken, where="runs/x/model.skops")


def test_the_schema_of_a_saved_model_stays_json(tmp_path):
    model = make_text_baseline("tfidf_nb", lang="ja").fit(TEXTS, LABELS)
    save_model(model, tmp_path)
    with zipfile.ZipFile(tmp_path / "model.skops") as archive:
        json.loads(archive.read("schema.json"))
    assert load_model(tmp_path).predict(TEXTS).tolist() == model.predict(TEXTS).tolist()
