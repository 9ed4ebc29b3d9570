"""One stance model over all targets with every feature shared and copied per target
(:class:`~tagline.eval.baselines.targets.TargetCopies`, ``tfidf_svm_tweets_targets+pooled``)."""

from __future__ import annotations

import random

import numpy as np

from tagline.eval.baselines import PerTargetClassifier, make_text_baseline, make_tuned_baseline, target_token
from tagline.eval.baselines.stance import POOLED_KEY
from tagline.eval.baselines.targets import TargetCopies, split_target
from tagline.eval.baselines.tweets import tweet_features

BASELINE = "tfidf_svm_tweets_targets"


def test_the_target_token_is_read_and_removed():
    texts = [f"{target_token('Hillary Clinton')} vote for her", "no token here", "__target_x__"]
    assert split_target(texts) == (["__target_hillary_clinton__", "", ""],
                                   ["vote for her", "no token here", "__target_x__"])


def test_each_text_fills_the_shared_block_and_its_own_targets_block_only():
    from sklearn.feature_extraction.text import CountVectorizer

    texts = [f"{target_token('a')} good", f"{target_token('b')} bad"]
    copies = TargetCopies(CountVectorizer()).fit(texts)
    assert copies.targets_ == ["__target_a__", "__target_b__"]
    matrix = copies.transform([*texts, "good bad", f"{target_token('c')} good"]).toarray().tolist()
    # columns: shared (bad, good), a's block (bad, good), b's block (bad, good); no token, or a
    # target not seen in training: the shared block alone
    assert matrix == [[0, 1, 0, 1, 0, 0], [1, 0, 0, 0, 1, 0], [1, 1, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0]]  # floats equal ints


def test_the_tweet_features_are_copied_whole_into_the_owners_block():
    texts = [f"{target_token('a')} Lock her up #HillaryForPrison :)", f"{target_token('b')} #LoveWins today!!"]
    copies = TargetCopies(tweet_features("en")).fit(texts)
    plain = tweet_features("en").fit([body for body in split_target(texts)[1]])
    shared = plain.transform(split_target(texts)[1]).toarray()
    width = shared.shape[1]
    matrix = copies.transform(texts).toarray()
    assert matrix.shape == (2, 3 * width)
    assert np.array_equal(matrix[:, :width], shared)  # the tweet features, the target token not among them
    assert np.array_equal(matrix[0, width:2 * width], shared[0]) and not matrix[0, 2 * width:].any()
    assert np.array_equal(matrix[1, 2 * width:], shared[1]) and not matrix[1, width:2 * width].any()


def flipped_items(n: int, seed: int) -> tuple[list[tuple[str, str]], list[str]]:
    """Items whose words mean opposite things toward the two targets: ``mild`` is FAVOR toward cats
    and AGAINST toward dogs, ``sharp`` the reverse. The labels do not follow the target or the word
    alone, so no sum of word and target weights separates them."""
    rng = random.Random(seed)
    items, labels = [], []
    for _ in range(n):
        target, word = rng.choice(["cats", "dogs"]), rng.choice(["mild", "sharp"])
        filler = " ".join(rng.choice(["the", "a", "this", "that", "one", "some"]) for _ in range(3))
        items.append((target, f"{filler} {word} {filler}"))
        labels.append("FAVOR" if (word == "mild") == (target == "cats") else "AGAINST")
    return items, labels


def test_a_word_that_means_opposite_things_for_two_targets_is_learnt_per_target():
    items, labels = flipped_items(200, seed=1)
    tests = [(target, f"one the some {word} this a") for target in ("cats", "dogs") for word in ("mild", "sharp")]
    copies = PerTargetClassifier(make_text_baseline(BASELINE, lang="en"), pooled=True).fit(items, labels)
    assert copies.predict(tests).tolist() == ["FAVOR", "AGAINST", "AGAINST", "FAVOR"]
    # The target token alone (tfidf_svm_tweets+pooled) does not reach a word in the middle of the text.
    token_only = PerTargetClassifier(make_text_baseline("tfidf_svm_tweets", lang="en"), pooled=True).fit(items, labels)
    assert token_only.predict(tests).tolist() != ["FAVOR", "AGAINST", "AGAINST", "FAVOR"]


def test_the_pooled_model_equals_an_svm_on_hand_built_copies():
    from scipy import sparse
    from sklearn.svm import LinearSVC

    items, labels = flipped_items(120, seed=4)
    items = [(target, f"{text} #{'Happy' if i % 3 else 'SadDay'}") for i, (target, text) in enumerate(items)]
    model = PerTargetClassifier(make_text_baseline(BASELINE, lang="en"), pooled=True).fit(items, labels)
    # By hand: the tweet features of the texts, then a copy masked to the rows of each target.
    order = sorted(range(len(items)), key=lambda i: (items[i][0], items[i][1], labels[i]))  # the model's own order
    texts, targets = [items[i][1] for i in order], np.array([items[i][0] for i in order])
    features = tweet_features("en").fit(texts)

    def by_hand(rows_texts, rows_targets):
        shared = features.transform(rows_texts).toarray()
        return sparse.csr_matrix(np.hstack([shared] + [shared * (rows_targets == name)[:, None]
                                                       for name in ("cats", "dogs")]))

    svm = LinearSVC(C=1.0, random_state=0).fit(by_hand(texts, targets), [labels[i] for i in order])
    probes = [("cats", "a mild day #SadDay"), ("dogs", "a mild day #SadDay"), ("dogs", "sharp #Happy"),
              ("birds", "sharp")]
    matrix = by_hand([text for _, text in probes], np.array([target for target, _ in probes]))
    got = model.estimators_[POOLED_KEY].decision_function([f"{target_token(t)} {x}" for t, x in probes])
    assert np.allclose(got, svm.decision_function(matrix), atol=1e-8)
    assert model.predict(probes).tolist() == svm.predict(matrix).tolist()


def test_without_target_tokens_it_is_tfidf_svm_tweets():
    items, labels = flipped_items(80, seed=2)
    texts = [text for _, text in items]
    copies = make_text_baseline(BASELINE, lang="en").fit(texts, labels)
    plain = make_text_baseline("tfidf_svm_tweets", lang="en").fit(texts, labels)
    assert copies.predict(texts).tolist() == plain.predict(texts).tolist()
    assert copies.decision_function(texts).round(8).tolist() == plain.decision_function(texts).round(8).tolist()


def test_tuned_and_pooled_it_searches_the_svm_grid_over_all_targets():
    items, labels = flipped_items(100, seed=5)
    model = PerTargetClassifier(make_tuned_baseline(BASELINE, lang="en", scoring="f_avg"), pooled=True)
    tuned = model.fit(items, labels).estimators_[POOLED_KEY]
    assert len(tuned.cv_scores_) == 10 and tuned.folds_used_ == 5 and tuned.best_params_
    assert isinstance(tuned.best_estimator_.named_steps["features"], TargetCopies)


def test_the_pooled_model_saves_with_types_eval_run_trusts(tmp_path):
    import skops.io

    items, labels = flipped_items(60, seed=3)
    model = PerTargetClassifier(make_text_baseline(BASELINE, lang="en"), pooled=True).fit(items, labels)
    path = tmp_path / "model.skops"
    skops.io.dump(model, path)
    untrusted = skops.io.get_untrusted_types(file=path)
    assert all(name.startswith(("sklearn.", "numpy.", "scipy.", "tagline.", "builtins.")) for name in untrusted)
    loaded = skops.io.load(path, trusted=untrusted)
    assert loaded.predict(items).tolist() == model.predict(items).tolist()
