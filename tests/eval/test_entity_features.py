"""Parts of speech for the CRF: aligned with the tokenizer's offsets, used as features, and models
saved before they existed still load and predict as they were trained."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.corpus.tokenize import tokenize, tokenize_with_pos
from tagline.eval.entities import CRFTagger, token_features


def test_unidic_parts_of_speech_tell_people_and_places_apart():
    text = "岸田文雄首相は東京でＸｙｚ社の新製品を発表した。"
    offsets, pos = tokenize_with_pos(text, "ja")
    assert offsets == tokenize(text, "ja") and len(pos) == len(offsets)
    tagged = {text[s:e]: tag for (s, e), tag in zip(offsets, pos)}
    assert tagged["岸田"] == "名詞-固有名詞-人名-姓" and tagged["文雄"] == "名詞-固有名詞-人名-名"
    assert tagged["東京"].startswith("名詞-固有名詞-地名") and tagged["。"].startswith("補助記号-句点")


def test_whitespace_tabs_and_english_keep_the_offsets():
    text = "　東京　です "
    offsets, pos = tokenize_with_pos(text, "ja")
    assert offsets == tokenize(text, "ja") and pos[0].startswith("空白")
    with_tab = "東京\tです"
    assert tokenize_with_pos(with_tab, "ja") == (tokenize(with_tab, "ja"), [""] * len(tokenize(with_tab, "ja")))
    assert tokenize_with_pos("Hi there", "en") == ([(0, 2), (3, 8)], ["", ""])
    assert tokenize_with_pos("", "ja") == ([], [])


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("東京大阪はがでをした。「」　 AIＡ１2\n、・ー")), max_size=40))
def test_offsets_always_match_tokenize_and_every_token_is_tagged(text):
    offsets, pos = tokenize_with_pos(text, "ja")
    assert offsets == tokenize(text, "ja") and len(pos) == len(offsets)
    # Without a tab the tagged pass always lines up: no token falls back to the empty tag.
    assert all(tag.count("-") == 3 and tag.split("-")[0] for tag in pos), list(zip(offsets, pos))


def test_features_carry_the_tags_of_the_token_and_its_neighbours():
    features = token_features(["岸田", "首相"], {}, ["名詞-固有名詞-人名-姓", "名詞-普通名詞-一般-"])
    assert features[0]["pos"] == "名詞-固有名詞-人名-姓" and features[0]["pos2"] == "名詞-固有名詞"
    assert features[0]["1:pos"] == "名詞-普通名詞-一般-" and features[1]["-1:pos"] == "名詞-固有名詞-人名-姓"
    assert "pos" not in token_features(["岸田"], {})[0]


def test_a_model_saved_without_parts_of_speech_predicts_as_trained(tmp_path):
    texts = ["岸田首相は東京で話した。", "石破首相は大阪で話した。", "東京で会議が開かれた。"] * 3
    spans = [[(0, 2, "PERSON"), (5, 7, "LOCATION")], [(0, 2, "PERSON"), (5, 7, "LOCATION")],
             [(0, 2, "LOCATION")]] * 3
    langs = ["ja"] * len(texts)
    old = CRFTagger(max_iterations=50)
    old.FEATURES = 1  # as tagline saved models before parts of speech were features
    old.fit(texts, langs, spans)
    (tmp_path / "old").mkdir()
    old.save(tmp_path / "old")
    meta = json.loads((tmp_path / "old" / "crf.json").read_text(encoding="utf-8"))
    del meta["features"]  # older crf.json files have no "features" key
    (tmp_path / "old" / "crf.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    loaded = CRFTagger.load(tmp_path / "old")
    assert loaded.features == 1 and loaded.predict(texts, langs) == old.predict(texts, langs)

    new = CRFTagger(max_iterations=50).fit(texts, langs, spans)
    (tmp_path / "new").mkdir()
    new.save(tmp_path / "new")
    again = CRFTagger.load(tmp_path / "new")
    assert again.features == 2 and again.predict(texts, langs) == new.predict(texts, langs)
    assert again.predict(["岸田首相は東京で話した。"], ["ja"]) == [[(0, 2, "PERSON"), (5, 7, "LOCATION")]]
