"""The CRF's features: parts of speech and UniDic's other fields aligned with the tokenizer's
offsets, character types, affixes and dictionary tags computed right, and models saved with older
features still load and predict as they were trained."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.corpus.tokenize import UniDicFields, tokenize, tokenize_with_fields, tokenize_with_pos
from tagline.eval.entities import CRFTagger, bio_to_bioes, bio_to_spans, bioes_to_bio, spans_to_bio, token_features
from tagline.eval.entity_features import (
    FeatureSettings,
    char_pattern,
    char_types,
    crf_features,
    dictionary_tags,
    head_suffixes,
    held_out_dictionary_tags,
    held_out_head_suffixes,
    sentence_head_noun,
    span_dictionary,
)


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


def _tiny_corpus() -> tuple[list[str], list[str], list[list[tuple[int, int, str]]]]:
    texts = ["岸田首相は東京で話した。", "石破首相は大阪で話した。", "東京で会議が開かれた。"] * 3
    spans = [[(0, 2, "PERSON"), (5, 7, "LOCATION")], [(0, 2, "PERSON"), (5, 7, "LOCATION")],
             [(0, 2, "LOCATION")]] * 3
    return texts, ["ja"] * len(texts), spans


def _save_as_older(tagger: CRFTagger, directory, version: int | None) -> None:
    directory.mkdir()
    tagger.save(directory)
    meta = json.loads((directory / "crf.json").read_text(encoding="utf-8"))
    del meta["settings"]  # older crf.json files have no settings
    if version is None:
        del meta["features"]  # nor, before parts of speech, a "features" key
    (directory / "crf.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def test_models_saved_with_older_features_predict_as_trained(tmp_path):
    texts, langs, spans = _tiny_corpus()
    for version in (1, 2):
        # as tagline saved models before parts of speech, then before entity_features
        old = CRFTagger(max_iterations=50, features=version).fit(texts, langs, spans)
        _save_as_older(old, tmp_path / f"v{version}", version if version > 1 else None)
        loaded = CRFTagger.load(tmp_path / f"v{version}")
        assert loaded.features == version and loaded.predict(texts, langs) == old.predict(texts, langs)
        assert ("pos" in loaded._sentence_features(texts[0], "ja")[1][0]) == (version == 2)

    new = CRFTagger(max_iterations=50).fit(texts, langs, spans)
    (tmp_path / "new").mkdir()
    new.save(tmp_path / "new")
    again = CRFTagger.load(tmp_path / "new")
    assert again.features == 3 and again.settings == new.settings
    assert again.predict(texts, langs) == new.predict(texts, langs)
    assert again.predict(["岸田首相は東京で話した。"], ["ja"]) == [[(0, 2, "PERSON"), (5, 7, "LOCATION")]]
    assert "goshu" in again._sentence_features(texts[0], "ja")[1][0]
    assert "0|1:char" in again._sentence_features(texts[0], "ja")[1][0]  # the baseline's edges (CHOSEN)


def test_unidic_fields_line_up_with_the_offsets():
    text = "レッドフォックス株式会社は本社を置く。"
    offsets, fields = tokenize_with_fields(text, "ja")
    assert offsets == tokenize(text, "ja") and len(fields) == len(offsets)
    described = {text[s:e]: f for (s, e), f in zip(offsets, fields)}
    assert described["置く"] == UniDicFields("動詞-非自立可能--", "五段-カ行", "終止形-一般", "和", "置く")
    assert described["レッド"].goshu == "外" and described["レッド"].lemma == "レッド-red"
    assert described["会社"].goshu == "漢" and described["。"].pos == "補助記号-句点--"
    assert tokenize_with_fields("東京\tです", "ja")[1] == [UniDicFields("", "", "", "", "")] * 2
    assert tokenize_with_fields("Hi there", "en") == ([(0, 2), (3, 8)], [UniDicFields("", "", "", "", "")] * 2)
    assert [f.goshu for f in tokenize_with_fields("ＸｙｚのＱＱＱ", "ja")[1]][-1] == "unk"


def test_character_types_affixes_and_dictionary_tags_of_a_japanese_sentence():
    assert [char_types(t) for t in ["東京", "タワー", "は", "iPhone", "2024年", "ＡＢＣ", "、"]] == \
        ["K", "T", "H", "LUL", "DK", "U", "S"]
    text = "東京都千代田区のレッドフォックス株式会社"
    offsets = tokenize(text, "ja")
    dictionary = span_dictionary([text, text, "東京都に"], [[(0, 7, "LOCATION")], [(0, 7, "LOCATION")],
                                                       [(0, 3, "ORG")]])
    assert dictionary == {"東京都千代田区": "LOCATION", "東京都": "ORG"}
    tags = dictionary_tags(text, offsets, dictionary)  # the longest entry wins over 東京都
    words = [text[s:e] for s, e in offsets]
    assert list(zip(words, tags))[:5] == [("東京", "B-LOCATION"), ("都", "I-LOCATION"), ("千代田", "I-LOCATION"),
                                          ("区", "I-LOCATION"), ("の", "O")]
    fields = tokenize_with_fields(text, "ja")[1]
    features = crf_features(words, fields, tags, FeatureSettings(window=3, affixes=3))
    company = features[words.index("フォックス")]
    assert company["type"] == "T" and company["p3"] == "フォッ" and company["s2"] == "クス" and "s4" not in company
    assert company["goshu"] == "外" and company["-1:w"] == "レッド" and company["1:w"] == "株式"
    assert company["-3:dict"] == "I-LOCATION" and company["-2:dict"] == "O" and company["-1|0:w"] == "レッド|フォックス"
    assert features[0]["dict"] == "B-LOCATION" and features[0]["-1:edge"] == 1.0 and features[0]["-3:edge"] == 1.0
    assert "lemma" not in crf_features(words, fields, tags, FeatureSettings(unidic=False))[0]


def test_training_sentences_get_dictionary_tags_from_the_other_folds_only():
    texts = ["岸田首相が話した。", "東京で話した。", "岸田首相が来た。"]
    spans = [[(0, 2, "PERSON")], [(0, 2, "LOCATION")], [(0, 2, "PERSON")]]
    offsets = [tokenize(text, "ja") for text in texts]
    held_out = held_out_dictionary_tags(texts, offsets, spans, folds=2)  # folds {0, 2} and {1}
    assert held_out[0][0] == "O" and held_out[2][0] == "O"  # 岸田 is only in fold 0's own sentences
    assert held_out[1][0] == "O"
    everything = held_out_dictionary_tags(texts, offsets, spans, folds=0)
    assert [tags[0] for tags in everything] == ["B-PERSON", "B-LOCATION", "B-PERSON"]
    three = held_out_dictionary_tags(texts, offsets, spans, folds=3)
    assert [tags[0] for tags in three] == ["B-PERSON", "O", "B-PERSON"]


def test_conjunctions_join_each_token_to_its_neighbours_and_reach_three_away():
    text = "レッドフォックス株式会社は東京都に本社を置く。"
    offsets, fields = tokenize_with_fields(text, "ja")
    words = [text[s:e] for s, e in offsets]
    tags = dictionary_tags(text, offsets, {"東京都": "LOCATION"})
    plain = crf_features(words, fields, tags, FeatureSettings())
    assert not any("|0:pos" in key or "0|1:type" in key for item in plain for key in item)
    joined = crf_features(words, fields, tags, FeatureSettings(conjunctions=True))
    tokyo = words.index("東京")
    assert joined[tokyo]["-1|0:pos"] == f"{fields[tokyo - 1].pos}|{fields[tokyo].pos}"
    assert joined[tokyo]["0|1:type"] == "K|K" and joined[tokyo]["-1|0:dict"] == "O|B-LOCATION"
    assert joined[tokyo]["-3:pos"] == fields[tokyo - 3].pos and joined[tokyo]["3:pos"] == fields[tokyo + 3].pos
    assert "-1|0:pos" not in joined[0] and "0|1:pos" not in joined[-1] and "3:pos" not in joined[-3]


def test_the_head_noun_of_a_definition_is_on_every_noun_of_the_sentence():
    text = "レッドフォックス株式会社は、東京都千代田区に本社を置くITサービス企業である。"
    offsets, fields = tokenize_with_fields(text, "ja")
    words = [text[s:e] for s, e in offsets]
    assert sentence_head_noun(words, fields) == "企業"
    features = crf_features(words, fields, ["O"] * len(words), FeatureSettings(head_noun=True))
    assert features[words.index("レッド")]["head"] == "企業" and features[words.index("本社")]["head"] == "企業"
    assert "head" not in features[words.index("は")] and "head" not in features[words.index("置く")]
    assert "head" not in crf_features(words, fields, ["O"] * len(words))[0]
    assert sentence_head_noun(["東京"], tokenize_with_fields("東京", "ja")[1]) == ""


def test_a_model_saved_before_a_setting_existed_predicts_with_it_off(tmp_path):
    texts, langs, spans = _tiny_corpus()
    old = CRFTagger(max_iterations=50, settings=FeatureSettings()).fit(texts, langs, spans)
    old.save(tmp_path)
    meta = json.loads((tmp_path / "crf.json").read_text(encoding="utf-8"))
    for name in ("conjunctions", "head_noun", "edges", "pos_context", "more_unidic", "clusters", "tag_scheme",
                 "runs", "heads"):
        del meta["settings"][name]
    del meta["clusters"], meta["heads"]
    (tmp_path / "crf.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    loaded = CRFTagger.load(tmp_path)
    assert loaded.settings == FeatureSettings() and loaded.predict(texts, langs) == old.predict(texts, langs)


def test_edge_features_see_the_characters_that_meet_at_each_token_edge():
    text = "レッドフォックス株式会社は東京都に本社を置く。"
    offsets, fields = tokenize_with_fields(text, "ja")
    words = [text[s:e] for s, e in offsets]
    tags = ["O"] * len(words)
    assert not any("0|1:char" in item or "first" in item
                   for item in crf_features(words, fields, tags, FeatureSettings()))
    features = crf_features(words, fields, tags, FeatureSettings(edges=True))
    fox = features[words.index("フォックス")]
    assert fox["first"] == "T" and fox["last"] == "T" and fox["-1|0:char"] == "ド|フ" and fox["-1|0:class"] == "TT"
    assert fox["0|1:char"] == "ス|株" and fox["0|1:class"] == "TK"
    assert fox["1:p2"] == "株式" and fox["-1:s3"] == "レッド" and "1:p3" not in fox  # 株式 has two characters
    assert "-1|0:char" not in features[0] and "0|1:char" not in features[-1]


def _featured(text: str, settings: FeatureSettings):
    """The Japanese ``text``'s words, UniDic fields and CRF features with ``settings``."""
    offsets, fields = tokenize_with_fields(text, "ja")
    words = [text[s:e] for s, e in offsets]
    return words, fields, crf_features(words, fields, ["O"] * len(words), settings)


def test_pos_context_joins_the_parts_of_speech_two_tokens_away():
    words, fields, features = _featured("岸田首相は東京で話した。", FeatureSettings(pos_context=True))
    tokyo = words.index("東京")
    assert features[tokyo]["-2|-1:pos"] == f"{fields[tokyo - 2].pos}|{fields[tokyo - 1].pos}"
    assert features[tokyo]["1|2:pos"] == f"{fields[tokyo + 1].pos}|{fields[tokyo + 2].pos}"
    assert features[tokyo]["-1|1:pos"] == f"{fields[tokyo - 1].pos}|{fields[tokyo + 1].pos}"
    assert "-2|-1:pos" not in features[1] and "-1|1:pos" not in features[0] and "1|2:pos" not in features[-2]
    assert "-2|-1:pos" not in crf_features(words, fields, ["O"] * len(words))[tokyo]


def test_more_unidic_adds_conjugation_type_unknown_words_and_the_neighbours_origin_and_lemma():
    words, fields, features = _featured("ＸｙｚのＱＱＱが本社を置く。", FeatureSettings(more_unidic=True))
    put = words.index("置く")
    assert features[put]["ctype"] == "五段-カ行" and features[put]["-1:lemma"] == "を"
    assert features[put]["-1:goshu"] == "和" and features[put]["1:goshu"] == "記号"
    assert features[words.index("ＱＱＱ")]["unknown"] == 1.0 and "unknown" not in features[put]
    assert "ctype" not in crf_features(words, fields, ["O"] * len(words))[put]


def test_word_clusters_are_learnt_from_the_training_words_and_saved_with_the_model(tmp_path):
    from tagline.eval.word_clusters import learn_clusters

    sentences = [["東京", "に", "住む"], ["大阪", "に", "住む"], ["東京", "で", "働く"], ["大阪", "で", "働く"], ["京都"]]
    clusters = learn_clusters(sentences, sizes=(3, 4), dimensions=3)
    assert "京都" not in clusters and all(len(found) == 2 for found in clusters.values())  # seen once: no cluster
    assert clusters["東京"] == clusters["大阪"] and clusters["東京"][0] != clusters["住む"][0]
    assert learn_clusters([["一度"]]) == {}
    features = crf_features(["東京", "京都"], [UniDicFields("", "", "", "", "")] * 2, ["O", "O"],
                            FeatureSettings(clusters=1), clusters)
    assert features[0]["0:c0"] == clusters["東京"][0] and "0:c1" not in features[0] and features[0]["1:c"] == "-"

    texts, langs, spans = _tiny_corpus()
    tagger = CRFTagger(max_iterations=50, settings=FeatureSettings(clusters=3)).fit(texts, langs, spans)
    assert tagger.clusters["首相"] and "0:c2" in tagger._sentence_features(texts[0], "ja")[1][0]
    _kept_by_the_model_only(tmp_path, tagger, "clusters")


def _kept_by_the_model_only(tmp_path, tagger, learnt: str) -> None:
    """What ``tagger`` learnt (its attribute ``learnt``) is saved and loaded with it, and predicts
    the same; a CRF without the setting learns none."""
    texts, langs, spans = _tiny_corpus()
    tagger.save(tmp_path)
    loaded = CRFTagger.load(tmp_path)
    assert getattr(loaded, learnt) == getattr(tagger, learnt)
    assert loaded.predict(texts, langs) == tagger.predict(texts, langs)
    assert getattr(CRFTagger(max_iterations=50).fit(texts, langs, spans), learnt) == {}


def test_the_crf_can_be_trained_by_stochastic_gradient_descent(tmp_path):
    texts, langs, spans = _tiny_corpus()
    tagger = CRFTagger(algorithm="l2sgd", c2=0.5, max_iterations=20).fit(texts, langs, spans)
    assert tagger.model.params["algorithm"] == "l2sgd" and tagger.model.params["c1"] is None
    assert tagger.predict(["岸田首相は東京で話した。"], ["ja"]) == [[(0, 2, "PERSON"), (5, 7, "LOCATION")]]
    tagger.save(tmp_path)
    loaded = CRFTagger.load(tmp_path)
    assert (loaded.algorithm, loaded.c2, loaded.max_iterations) == ("l2sgd", 0.5, 20)
    assert loaded.predict(texts, langs) == tagger.predict(texts, langs)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 11), st.integers(1, 3), st.sampled_from(["PER", "LOC"])), max_size=5))
def test_bioes_tags_read_back_to_the_spans_their_bio_tags_hold(spans):
    offsets = [(i, i + 1) for i in range(12)]
    bio = spans_to_bio(offsets, [(start, min(start + size, 12), label) for start, size, label in spans])
    bioes = bio_to_bioes(bio)
    assert bioes_to_bio(bioes) == bio and len(bioes) == len(bio)
    assert all(tag[:1] in "BIES" or tag == "O" for tag in bioes)
    assert sum(tag[:1] in "SE" for tag in bioes) == len(bio_to_spans(offsets, bio))  # one end per span


def test_a_crf_trained_on_bioes_tags_predicts_spans_and_loads_as_trained(tmp_path):
    texts, langs, spans = _tiny_corpus()
    tagger = CRFTagger(max_iterations=50, settings=FeatureSettings(tag_scheme="BIOES")).fit(texts, langs, spans)
    assert set(tagger.model.classes_) >= {"S-PERSON", "S-LOCATION"} and "B-PERSON" not in tagger.model.classes_
    assert tagger.predict(["岸田首相は東京で話した。"], ["ja"]) == [[(0, 2, "PERSON"), (5, 7, "LOCATION")]]
    tagger.save(tmp_path)
    loaded = CRFTagger.load(tmp_path)
    assert loaded.settings.tag_scheme == "BIOES" and loaded.predict(texts, langs) == tagger.predict(texts, langs)


def test_character_type_runs_mark_where_each_token_lies_in_its_run_of_one_script():
    assert char_pattern("東京都は") == "KKH" and char_pattern("ＩＢＭ") == "UU" and char_pattern("") == ""
    words, _, features = _featured("レッドフォックス株式会社はiPhoneを売る。", FeatureSettings(runs=True))
    assert words[:4] == ["レッド", "フォックス", "株式", "会社"]
    assert [item["0:run"] for item in features[:4]] == ["BT2", "ET2", "BK2", "EK2"]
    assert features[1]["1:run"] == "BK2" and features[1]["-1:runpos"] == "BT" and features[1]["pattern"] == "TT"
    assert features[words.index("iPhone")]["0:run"] == "SA1"  # Latin letters of either case are one class
    assert "0:run" not in features[words.index("は")] and "-1:run" in features[words.index("は")]
    assert not any("pattern" in item or "0:run" in item
                   for item in _featured("レッドフォックス株式会社", FeatureSettings())[2])


def test_known_entity_heads_come_from_training_span_ends_and_the_other_folds_only():
    texts = ["みずほ銀行に", "りそな銀行に", "静岡銀行に", "千葉銀行に"]
    spans = [[(0, len(text) - 1, "COMPANY")] for text in texts]
    assert head_suffixes(texts, spans) == {"行": "COMPANY", "銀行": "COMPANY"}
    assert head_suffixes(texts, spans, min_count=5) == {}
    assert head_suffixes(["ソニーとセガとサガ"], [[(0, 3, "COMPANY"), (4, 6, "COMPANY"), (7, 9, "COMPANY")]], 2) == {"ガ": "COMPANY"}
    assert head_suffixes(["ソニーとセガとサガ"], [[(0, 3, "COMPANY"), (4, 6, "COMPANY"), (7, 9, "COMPANY")]], 2,
                         kanji_only=True) == {}
    # Four folds: each sentence's heads come from the three others, and 銀行 ends three of them.
    assert held_out_head_suffixes(texts, spans, 4)[0] == {"行": "COMPANY", "銀行": "COMPANY"}
    assert held_out_head_suffixes(texts[:3], spans[:3], 3)[0] == {}  # two other spans: too few
    words, fields, _ = _featured("東京スター銀行は", FeatureSettings())
    features = crf_features(words, fields, ["O"] * len(words), FeatureSettings(heads="any"),
                            heads=head_suffixes(texts, spans))
    bank = words.index("銀行")
    assert features[bank]["head2"] == "COMPANY" and features[bank]["head1"] == "COMPANY"
    assert features[0]["head>d"] == f"COMPANY@{bank}" and "head>" not in features[bank]
    assert "head>" not in features[-1]  # nothing after the particle


def test_the_heads_are_learnt_in_fit_saved_with_the_model_and_read_when_predicting(tmp_path):
    texts, langs, spans = _tiny_corpus()
    tagger = CRFTagger(max_iterations=50, settings=FeatureSettings(heads="kanji")).fit(texts, langs, spans)
    assert tagger.heads == head_suffixes(texts, spans) and tagger.heads  # 東京, 大阪: three times and more
    assert "head1" in tagger._sentence_features("東京", "ja")[1][0]
    _kept_by_the_model_only(tmp_path, tagger, "heads")


def test_the_crf_can_be_trained_by_averaged_perceptron_or_passive_aggressive_updates(tmp_path):
    texts, langs, spans = _tiny_corpus()
    for algorithm in ("ap", "pa"):
        tagger = CRFTagger(algorithm=algorithm, max_iterations=10).fit(texts, langs, spans)
        assert tagger.model.params["algorithm"] == algorithm and tagger.model.params["c1"] is None and tagger.model.params["c2"] is None
        assert tagger.predict(["岸田首相は東京で話した。"], ["ja"]) == [[(0, 2, "PERSON"), (5, 7, "LOCATION")]]
        (tmp_path / algorithm).mkdir()
        tagger.save(tmp_path / algorithm)
        assert CRFTagger.load(tmp_path / algorithm).predict(texts, langs) == tagger.predict(texts, langs)
