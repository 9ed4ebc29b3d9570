"""The character CRF (``FeatureSettings(unit="char")``): its BIO tags over characters read back to
exactly the spans they were made from, its features line up with the characters and the MeCab
tokens holding them, its training dictionary tags never come from a sentence's own spans, and it
finds a span that ends inside a MeCab token, which the token CRF cannot."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.corpus.tokenize import tokenize, tokenize_with_fields
from tagline.eval.entities import CRFTagger, bio_to_spans, spans_to_bio
from tagline.eval.entity_chars import char_crf_features, char_dictionary_tags, char_offsets, token_places
from tagline.eval.entity_features import FeatureSettings

CHARS = FeatureSettings(unit="char")


@st.composite
def _flat_spans(draw) -> tuple[str, list[tuple[int, int, str]]]:
    """A text and non-overlapping spans in it, adjacent ones of the same label included."""
    text = draw(st.text(alphabet=st.sampled_from(list("東京都はタワー、 AＡ1")), min_size=1, max_size=30))
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=8)))
    spans = []
    for start, end in zip(cuts, cuts[1:]):  # consecutive cuts: adjacent spans too
        if draw(st.booleans()):
            spans.append((start, end, draw(st.sampled_from(["PER", "LOC"]))))
    return text, spans


@settings(max_examples=200, deadline=None)
@given(_flat_spans())
def test_character_tags_read_back_to_exactly_the_spans_they_were_made_from(sample):
    text, spans = sample
    offsets = char_offsets(text)
    tags = spans_to_bio(offsets, spans)
    assert len(tags) == len(text)
    assert bio_to_spans(offsets, tags) == sorted(spans)


def test_token_places_and_dictionary_tags_spread_over_the_characters():
    text = "東京都千代田区に本社"
    offsets = tokenize(text, "ja")
    holder, place = token_places(len(text), offsets)
    assert [text[s:e] for s, e in offsets][:4] == ["東京", "都", "千代田", "区"]
    assert holder[:7] == [0, 0, 1, 2, 2, 2, 3] and place[:7] == ["B", "E", "S", "B", "I", "E", "S"]
    token_tags = ["B-LOC", "I-LOC", "I-LOC", "I-LOC"] + ["O"] * (len(offsets) - 4)
    assert char_dictionary_tags(len(text), offsets, token_tags) == ["B-LOC"] + ["I-LOC"] * 6 + ["O"] * 3
    assert token_places(3, [(0, 1), (2, 3)]) == ([0, -1, 1], ["S", "-", "S"])  # a character outside every token


def test_each_character_has_its_own_features_and_its_tokens():
    text = "岸田首相は東京で話した。"
    offsets, fields = tokenize_with_fields(text, "ja")
    tags = ["O"] * len(offsets)
    features = char_crf_features(text, offsets, fields, tags, CHARS)
    assert len(features) == len(text) and [item["c"] for item in features] == list(text)
    first, second = features[0], features[1]
    assert first["t"] == "K" and first["-1:c"] == "<s>" and first["1:c"] == "田" and first["2:c"] == "首"
    assert first["0:b"] == "岸田" and first["0:tri"] == "岸田首" and first["-1:tri"] == "<s>岸田"
    assert first["place"] == "B" and second["place"] == "E" and first["tok"] == "岸田"
    assert first["pos"] == second["pos"] == "名詞-固有名詞-人名-姓" and second["1:pos"] == fields[1].pos
    assert first["pos|place"] == "名詞-固有名詞-人名-姓B" and first["-1:pos"] == "<s>"
    assert "3:c" not in first and "3:c" in char_crf_features(text, offsets, fields, tags,
                                                               FeatureSettings(unit="char", window=3))[0]
    assert "w" not in first and "1:w" not in first


def test_char_words_add_the_word_holding_the_character_and_the_words_either_side():
    text = "レッドフォックス株式会社は本社を置く。"
    offsets, fields = tokenize_with_fields(text, "ja")
    words = FeatureSettings(unit="char", char_words=True)
    features = char_crf_features(text, offsets, fields, ["O"] * len(offsets), words)
    fox = features[text.index("フォックス") + 2]  # the third character of フォックス, longer than SHORT_TOKEN
    assert fox["w"] == "フォックス" and "tok" not in fox and fox["place"] == "I"
    assert fox["-1:w"] == "レッド" and fox["1:w"] == "株式"
    assert features[0]["-1:w"] == "<s>" and features[-1]["1:w"] == "</s>" and features[0]["tok"] == "レッド"


def test_training_sentences_get_character_dictionary_tags_from_the_other_folds_only():
    texts = ["岸田首相が話した。", "東京で話した。", "岸田首相が来た。", "大阪で話した。"]
    spans = [[(0, 2, "PERSON")], [(0, 2, "LOCATION")], [(0, 2, "PERSON")], [(0, 2, "LOCATION")]]
    tagger = CRFTagger(settings=FeatureSettings(unit="char", dictionary_folds=2))
    x, y = tagger._training_features(texts, ["ja"] * 4, spans)  # folds {0, 2} and {1, 3}
    # 岸田 is only in fold 0's own sentences and 東京, 大阪 each in one sentence of fold 1: never seen
    assert [items[0]["d"] for items in x] == ["O", "O", "O", "O"]
    assert y[0] == ["B-PERSON", "I-PERSON"] + ["O"] * 7 and len(x[1]) == len(texts[1])
    shared = CRFTagger(settings=FeatureSettings(unit="char", dictionary_folds=2))
    x, _ = shared._training_features(texts + ["岸田首相が来た。"], ["ja"] * 5, spans + [[(0, 2, "PERSON")]])
    # the fifth sentence is in fold 0 with the first and the third: still none of them tags 岸田
    assert [items[0]["d"] for items in x] == ["O", "O", "O", "O", "O"]
    everything, _ = CRFTagger(settings=FeatureSettings(unit="char", dictionary_folds=0))._training_features(
        texts, ["ja"] * 4, spans)
    assert [items[0]["d"] for items in everything] == ["B-PERSON", "B-LOCATION", "B-PERSON", "B-LOCATION"]
    assert [items[1]["d"] for items in everything] == ["I-PERSON", "I-LOCATION", "I-PERSON", "I-LOCATION"]


def _inside_a_token() -> tuple[list[str], list[list[tuple[int, int, str]]]]:
    """Sentences whose company ends inside a MeCab token: 塾長 is one token, the company ends at 塾."""
    names = ["日米文化", "山田英語", "青空音楽", "東西数学", "北山書道", "南海算盤"]
    texts = [f"{name}塾長の田中が話した。" for name in names]
    return texts, [[(0, 5, "ORG"), (7, 9, "PERSON")] for _ in names]


def test_the_character_crf_finds_a_span_that_ends_inside_a_token_with_exact_offsets(tmp_path):
    texts, spans = _inside_a_token()
    text = texts[0]
    assert (5, 6) not in [(s, e) for s, e in tokenize(text, "ja") if text[s:e] == "塾"]  # 塾長 is one token
    langs = ["ja"] * len(texts)
    chars = CRFTagger(max_iterations=60, settings=CHARS).fit(texts, langs, spans)
    assert chars.predict(texts, langs) == spans
    tokens = CRFTagger(max_iterations=60).fit(texts, langs, spans)
    assert all((0, 5, "ORG") not in found for found in tokens.predict(texts, langs))  # cannot end at 塾
    chars.save(tmp_path)
    loaded = CRFTagger.load(tmp_path)
    assert loaded.settings.unit == "char" and loaded.predict(texts, langs) == chars.predict(texts, langs)
    assert loaded.predict([""], ["ja"]) == [[]]


def test_the_bench_scores_on_test_only_a_candidate_its_text_names_alone():
    import importlib.util
    from pathlib import Path

    import pytest

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "stockmark_ner.py"
    spec = importlib.util.spec_from_file_location("stockmark_ner_bench", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert [name for name, _, settings in bench.CANDIDATES if "characters + words" in name] == \
        ["characters + words (char_words), c1 0.1"]
    for ambiguous in ("characters", "no such row"):
        with pytest.raises(SystemExit, match="names [05] candidates"):
            bench.score_candidate_on_test(None, ambiguous)  # refused before the workspace is read


def test_word_clusters_of_the_tokens_holding_a_character_and_either_side():
    text = "岸田首相は東京で話した。"
    offsets, fields = tokenize_with_fields(text, "ja")
    clusters = {"岸田": ["1", "7"], "首相": ["2", "9"]}
    with_clusters = FeatureSettings(unit="char", clusters=2)
    features = char_crf_features(text, offsets, fields, ["O"] * len(offsets), with_clusters, clusters)
    assert features[0]["0:wc0"] == "1" and features[0]["0:wc1"] == "7" and features[0]["-1:wc0"] == "-"
    assert features[1]["1:wc1"] == "9" and features[2]["-1:wc0"] == "1" and features[2]["0:wc0"] == "2"
    assert features[4]["0:wc0"] == "-"  # は has no clusters
    assert not any("wc" in key for key in char_crf_features(text, offsets, fields, ["O"] * len(offsets), CHARS,
                                                            clusters)[0])


def test_the_clusters_are_learnt_from_the_unlabelled_texts_too():
    texts = ["岸田首相が東京で話した。", "田中社長が大阪で話した。"]
    spans = [[(0, 2, "PERSON")], [(0, 2, "PERSON")]]
    unlabelled = ["鈴木教授が京都で話した。", "鈴木教授が福岡で話した。", "山田教授が京都で話した。"]
    settings_ = FeatureSettings(unit="char", clusters=1)
    alone = CRFTagger(max_iterations=10, settings=settings_).fit(texts, ["ja", "ja"], spans)
    assert "教授" not in alone.clusters
    more = CRFTagger(max_iterations=10, settings=settings_, cluster_texts=unlabelled).fit(texts, ["ja", "ja"], spans)
    assert "教授" in more.clusters and "京都" in more.clusters  # seen twice in the unlabelled texts
    x, _ = more._training_features(texts, ["ja", "ja"], spans)
    assert "0:wc0" in x[0][0] and "0:wc1" not in x[0][0]
