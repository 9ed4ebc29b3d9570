"""TF-IDF features read the way tweets are written (``tfidf_svm_tweets``): tweet tokens and each
hashtag's words."""

from __future__ import annotations

from tagline.eval.baselines import PerTargetClassifier, make_text_baseline, text_features
from tagline.eval.baselines.tweets import add_hashtag_words, hashtag_words, tweet_features, with_hashtag_words


def test_a_hashtag_is_split_where_the_case_changes_and_around_digits():
    assert hashtag_words("HillaryForPrison2016") == ["Hillary", "For", "Prison", "2016"]
    assert hashtag_words("GOPDebate") == ["GOP", "Debate"]
    assert hashtag_words("lovewins") == ["lovewins"]


def test_only_hashtags_of_several_words_add_their_words_after_the_text():
    assert with_hashtag_words("So true #HillaryForPrison #feminism") == \
        "So true #HillaryForPrison #feminism Hillary For Prison"
    assert with_hashtag_words("no tags here") == "no tags here"
    assert add_hashtag_words(["#VoteBlue", "x"]) == ["#VoteBlue Vote Blue", "x"]


def vocabulary(texts: list[str]) -> set[str]:
    features = tweet_features("en").fit(texts)
    return set(features.named_steps["ngrams"].transformer_list[0][1].vocabulary_)


def test_hashtags_mentions_emoticons_and_exclamations_are_words_of_their_own():
    words = vocabulary(["#Hillary is @HillaryClinton :) hillary!!! really?", "a"])
    assert {"#hillary", "hillary", "@hillaryclinton", ":)", "!!!", "?"} <= words
    # The plain features drop the marks: '#hillary' and 'hillary' are one word there.
    plain = text_features("en").fit(["#Hillary is @HillaryClinton :) hillary!!! really?", "a"])
    plain_words = set(plain.named_steps["ngrams"].transformer_list[0][1].vocabulary_)
    assert "hillary" in plain_words and not {"#hillary", ":)", "!!!"} & plain_words


def test_a_hashtags_words_become_word_n_grams():
    assert {"#hillaryforprison", "prison", "hillary for prison"} <= vocabulary(["Lock her up #HillaryForPrison"])


def test_a_hashtags_words_teach_the_model_about_the_same_words_in_plain_text():
    # The labels are carried only by a word that appears inside hashtags in training.
    texts = ["#StopAbortion now", "#EndAbortion today", "#AbortionIsMurder", "#ProtectChoice now",
             "#TrustWomen today", "#ChoiceMatters", "#MyBodyMyChoice yes", "#StopTheKilling"]
    labels = ["AGAINST", "AGAINST", "AGAINST", "FAVOR", "FAVOR", "FAVOR", "FAVOR", "AGAINST"]
    model = make_text_baseline("tfidf_svm_tweets", lang="en").fit(texts, labels)
    assert model.predict(["we must stop this", "my choice, my body"]).tolist() == ["AGAINST", "FAVOR"]


def test_japanese_gets_the_plain_character_features():
    assert repr(tweet_features("ja")) == repr(text_features("ja"))


def test_the_fitted_model_is_saved_and_loaded_as_eval_run_does(tmp_path):
    from tagline.eval.run.storage import load_model, save_model

    items = [("cats", "love #CatsRule :)"), ("cats", "hate #NoMoreCats"), ("cats", "meh"),
             ("dogs", "#DogsAreBest !!!"), ("dogs", "ugh @dogs"), ("dogs", "ok then")]
    labels = ["FAVOR", "AGAINST", "NONE", "FAVOR", "AGAINST", "NONE"]
    for pooled in (False, True):
        model = PerTargetClassifier(make_text_baseline("tfidf_svm_tweets", lang="en"), pooled=pooled)
        model.fit(items, labels)
        directory = tmp_path / str(pooled)
        directory.mkdir()
        assert save_model(model, directory) == "model.skops"
        loaded = load_model(directory)
        assert loaded.predict(items).tolist() == model.predict(items).tolist()
