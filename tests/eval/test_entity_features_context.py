"""The CRF's optional context features: character n-grams, a wider window of words, and stacking on
a first CRF's tags, whose training sentences' tags come from first CRFs that never saw them."""

from __future__ import annotations

from tagline.corpus.tokenize import tokenize_with_fields
from tagline.eval.entities import CRFTagger
from tagline.eval.entity_features import FeatureSettings, crf_features
from tagline.eval.entity_stacking import jackknife_tags, stacked_features


def _featured(text: str, settings: FeatureSettings):
    offsets, fields = tokenize_with_fields(text, "ja")
    words = [text[s:e] for s, e in offsets]
    return words, crf_features(words, fields, ["O"] * len(words), settings)


def test_ngrams_are_the_tokens_character_bigrams_and_trigrams_and_the_neighbours_types_joined():
    words, features = _featured("レッドフォックス株式会社は東京に", FeatureSettings(ngrams=True, type_bigrams=True))
    fox = words.index("フォックス")
    assert features[fox]["ngram"] == sorted({"フォ", "ォッ", "ック", "クス", "フォッ", "ォック", "ックス"})
    assert features[fox]["-1|0:type"] == "T|T" and features[fox]["0|1:type"] == "T|K"
    assert "ngram" not in features[words.index("は")]  # one character: no bigram
    assert "-1|0:type" not in features[0] and "0|1:type" not in features[-1]
    assert not any("ngram" in item or "0|1:type" in item for item in _featured("東京に", FeatureSettings())[1])
    assert not any("0|1:type" in item for item in _featured("東京に", FeatureSettings(ngrams=True))[1])
    assert not any("ngram" in item for item in _featured("東京タワー", FeatureSettings(type_bigrams=True))[1])


def test_the_surface_window_adds_only_the_words_beyond_the_window():
    words, features = _featured("岸田首相は東京で話した。", FeatureSettings(window=2, surface_window=3))
    tokyo = words.index("東京")
    assert features[tokyo]["-3:w"] == words[tokyo - 3] and features[tokyo]["3:w"] == words[tokyo + 3]
    assert "-3:type" not in features[tokyo] and "3:dict" not in features[tokyo] and "-4:w" not in features[tokyo]
    assert "-3:w" not in features[2] and "3:w" not in features[-3]
    assert "3:w" not in _featured("岸田首相は東京で話した。", FeatureSettings(window=2))[1][0]


def test_stacked_features_carry_the_first_crfs_tags_of_the_token_and_two_neighbours_each_side():
    features = [{"w": str(i)} for i in range(5)]
    tags = ["B-PER", "I-PER", "O", "B-LOC", "O"]
    stacked = stacked_features(features, tags)
    assert stacked[2] == {"w": "2", "-2:st": "B-PER", "-1:st": "I-PER", "0:st": "O", "1:st": "B-LOC",
                          "2:st": "O", "-1|0:st": "I-PER|O"}
    assert "-1:st" not in stacked[0] and "2:st" not in stacked[3]
    assert features[2] == {"w": "2"}  # the features given are not changed


class _Recorder:
    """A stand-in first CRF: records the sentences it is trained on, and tags each token with the
    names of the training sentences it saw."""

    fitted: list[list[str]] = []

    def fit(self, x, y):
        self.seen = sorted({item["w"] for items in x for item in items})
        _Recorder.fitted.append(self.seen)
        return self

    def predict_single(self, items):
        return ["|".join(self.seen)] * len(items)


def test_the_jackknife_never_tags_a_sentence_with_a_crf_trained_on_it():
    x = [[{"w": f"s{i}"}] for i in range(7)]
    y = [["O"] for _ in x]
    _Recorder.fitted = []
    tags = jackknife_tags(x, y, 3, lambda xs, ys: _Recorder().fit(xs, ys))
    assert len(_Recorder.fitted) == 3
    for i, sentence_tags in enumerate(tags):
        seen = sentence_tags[0].split("|")
        assert f"s{i}" not in seen  # its own sentence never
        assert seen == sorted(f"s{j}" for j in range(7) if j % 3 != i % 3)  # every other fold's, always


def test_a_stacked_crf_tags_from_its_first_crfs_tags_and_is_saved_and_loaded_with_it(tmp_path):
    texts = ["岸田首相は東京で話した。", "石破首相は大阪で話した。", "東京で会議が開かれた。"] * 3
    spans = [[(0, 2, "PERSON"), (5, 7, "LOCATION")], [(0, 2, "PERSON"), (5, 7, "LOCATION")],
             [(0, 2, "LOCATION")]] * 3
    langs = ["ja"] * len(texts)
    tagger = CRFTagger(max_iterations=50, settings=FeatureSettings(stack=3, stack_iterations=20))
    tagger.fit(texts, langs, spans)
    assert tagger.first is not None and tagger.first.params["max_iterations"] == 20
    assert "0:st" in tagger._sentence_features("岸田首相は東京で話した。", "ja")[1][0]
    assert tagger.predict(["岸田首相は東京で話した。"], ["ja"]) == [[(0, 2, "PERSON"), (5, 7, "LOCATION")]]
    tagger.save(tmp_path)
    assert (tmp_path / "first.crfsuite").exists()
    loaded = CRFTagger.load(tmp_path)
    assert loaded.first is not None and loaded.predict(texts, langs) == tagger.predict(texts, langs)
    plain = CRFTagger(max_iterations=50).fit(texts, langs, spans)
    assert plain.first is None and "0:st" not in plain._sentence_features("東京", "ja")[1][0]
