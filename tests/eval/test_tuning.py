"""Baselines tuned by cross-validation on train: the search, its fallbacks, saving, and its use by
`eval run` when a dataset has no validation split."""

from __future__ import annotations

import random

import pytest

from tagline.eval.baselines import (
    POOLED_KEY,
    TUNING_GRIDS,
    CrossValidatedClassifier,
    PerTargetClassifier,
    make_text_baseline,
    make_tuned_baseline,
)
from tagline.eval.metrics import f_avg

WORDS = {"FAVOR": ["great", "love", "support", "yes"], "AGAINST": ["awful", "hate", "oppose", "no"],
         "NONE": ["weather", "lunch", "bus", "today"]}


def noisy_texts(n: int, seed: int) -> tuple[list[str], list[str]]:
    """Short texts whose words mostly, not always, give away the label; AGAINST is the majority."""
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        label = rng.choice(["AGAINST"] * 3 + ["FAVOR", "NONE"])
        pool = WORDS[label] if rng.random() < 0.7 else WORDS[rng.choice(list(WORDS))]
        texts.append(" ".join(rng.choice(pool) for _ in range(4)) + f" item{i % 7}")
        labels.append(label)
    return texts, labels


def test_search_scores_match_gridsearchcv_and_the_best_setting_is_refitted():
    from sklearn.metrics import make_scorer
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    texts, labels = noisy_texts(120, seed=3)
    grid = TUNING_GRIDS["tfidf_svm"]
    model = CrossValidatedClassifier(make_text_baseline("tfidf_svm", lang="en"), grid, scoring="f_avg",
                                     folds=4, random_state=7).fit(texts, labels)
    reference = GridSearchCV(make_text_baseline("tfidf_svm", lang="en"),
                             {f"classifier__{key}": values for key, values in grid.items()},
                             scoring=make_scorer(lambda a, b: f_avg(list(a), list(b))),
                             cv=StratifiedKFold(4, shuffle=True, random_state=7)).fit(texts, labels)
    ours = [row["score"] for row in model.cv_scores_]
    assert ours == pytest.approx(reference.cv_results_["mean_test_score"].tolist(), abs=1e-12)
    assert len(ours) == 10 and model.best_score_ == max(ours)
    assert model.best_params_ == next(row["params"] for row in model.cv_scores_ if row["score"] == max(ours))
    chosen = model.best_estimator_.named_steps["classifier"].get_params()
    assert {key: chosen[key] for key in grid} == model.best_params_
    assert model.predict(texts[:5]).tolist() == model.best_estimator_.predict(texts[:5]).tolist()


def test_ties_go_to_the_pipeline_defaults():
    # Every setting predicts the held-out items perfectly, so all tie; the default C=1 must win.
    texts = ["good good"] * 6 + ["bad bad"] * 6
    labels = ["FAVOR"] * 6 + ["AGAINST"] * 6
    model = CrossValidatedClassifier(make_text_baseline("tfidf_svm", lang="en"), TUNING_GRIDS["tfidf_svm"],
                                     scoring="f_avg", folds=3).fit(texts, labels)
    assert len({row["score"] for row in model.cv_scores_}) == 1
    assert model.best_params_ == {"C": 1.0, "class_weight": None}


def test_too_few_items_keeps_the_defaults_and_says_why():
    def fitted(texts, labels, name="tfidf_logreg"):
        return CrossValidatedClassifier(make_text_baseline(name, lang="en"), TUNING_GRIDS[name],
                                        scoring="macro_f1").fit(texts, labels)

    for name, texts, labels, note in [
        ("tfidf_logreg", ["a b", "c d", "e f"], ["FAVOR", "AGAINST", "NONE"], "no label has two items"),
        # The fold that holds "hello there" out has only punctuation to learn words from.
        ("tfidf_svm", ["!!", "??", "!?", "?!", "..", ",,", "hello there", ";;"], ["X", "Y"] * 4,
         "cross-validation failed (empty vocabulary"),
    ]:
        model = fitted(texts, labels, name)
        assert model.best_params_ == {} and model.best_score_ is None and model.cv_scores_ == []
        assert model.tuning_note_.startswith(note)
        untuned = make_text_baseline(name, lang="en").fit(texts, labels)
        assert model.predict(texts).tolist() == untuned.predict(texts).tolist()
    with pytest.raises(ValueError, match="unknown tuning metric"):
        CrossValidatedClassifier(make_text_baseline("tfidf_svm", lang="en"), {}, scoring="recall").fit(
            ["a b", "c d"], ["FAVOR", "AGAINST"])
    with pytest.raises(ValueError, match="cannot fit on 0 texts"):
        fitted([], [])


def test_a_label_with_one_item_does_not_stop_the_search():
    texts, labels = noisy_texts(40, seed=4)
    labels[0] = "RARE"
    model = CrossValidatedClassifier(make_text_baseline("tfidf_svm", lang="en"), TUNING_GRIDS["tfidf_svm"],
                                     scoring="macro_f1").fit(texts, labels)
    assert model.tuning_note_ == "" and model.best_score_ is not None and "RARE" in model.classes_


def test_folds_shrink_to_the_rarest_class():
    texts, labels = noisy_texts(40, seed=5)
    labels[:3] = ["NONE"] * 3
    labels[3:] = [label if label != "NONE" else "AGAINST" for label in labels[3:]]  # NONE: 3 items
    model = CrossValidatedClassifier(make_text_baseline("tfidf_nb", lang="en"), TUNING_GRIDS["tfidf_nb"],
                                     folds=5).fit(texts, labels)
    assert model.best_params_["alpha"] in TUNING_GRIDS["tfidf_nb"]["alpha"] and model.best_score_ is not None
    assert model.folds_used_ == 3


def test_a_search_where_every_setting_scores_zero_keeps_the_defaults():
    texts, labels = noisy_texts(40, seed=6)
    labels = ["NONE" if label == "NONE" else "OTHER" for label in labels]  # F_avg needs FAVOR or AGAINST
    model = CrossValidatedClassifier(make_text_baseline("tfidf_svm", lang="en"), TUNING_GRIDS["tfidf_svm"],
                                     scoring="f_avg").fit(texts, labels)
    assert len(model.cv_scores_) == 10 and not any(row["score"] for row in model.cv_scores_)
    assert model.best_params_ == {} and model.best_score_ is None
    assert model.tuning_note_ == "every setting scored 0 in cross-validation"


def test_clone_and_skops_round_trip_inside_a_per_target_model(tmp_path):
    from sklearn.base import clone

    from tagline.eval.run import load_model, save_model

    texts, labels = noisy_texts(80, seed=9)
    pairs = [("cats" if i % 2 else "dogs", text) for i, text in enumerate(texts)]
    model = PerTargetClassifier(make_tuned_baseline("tfidf_svm", lang="en", scoring="f_avg", folds=3))
    copy = clone(model)
    assert copy.base_factory is not model.base_factory and copy.base_factory.get_params()["folds"] == 3
    model.fit(pairs, labels)
    assert {target: type(part).__name__ for target, part in model.estimators_.items()} == {
        "cats": "CrossValidatedClassifier", "dogs": "CrossValidatedClassifier"}
    save_model(model, tmp_path)
    loaded = load_model(tmp_path)
    assert loaded.predict(pairs).tolist() == model.predict(pairs).tolist()
    assert loaded.estimators_["cats"].best_params_ == model.estimators_["cats"].best_params_


def test_dummy_baselines_have_nothing_to_tune():
    model = make_tuned_baseline("majority", lang="ja", scoring="macro_f1")
    assert type(model).__name__ == "Pipeline"
    assert set(TUNING_GRIDS) == {"tfidf_logreg", "tfidf_svm", "tfidf_svm_tweets", "tfidf_svm_tweets_targets",
                                 "tfidf_nb", "cues_svm", "speaker_svm"}


def test_run_without_a_validation_split_tunes_per_target_by_cross_validation():
    from tagline.eval.run import TaskData, evaluate_baseline

    texts, labels = noisy_texts(160, seed=11)
    targets = ["cats" if i % 2 else "dogs" for i in range(len(texts))]
    splits = ["test" if i % 4 == 0 else "train" for i in range(len(texts))]
    data = TaskData(task="stance", ids=[f"s{i}" for i in range(len(texts))], inputs=list(zip(targets, texts)),
                    gold=labels, doc_ids=[f"d{i}" for i in range(len(texts))], splits=splits,
                    langs=["en"] * len(texts), labels=["FAVOR", "AGAINST", "NONE"])
    outcome = evaluate_baseline(data, "tfidf_svm", cv=None, seed=2)
    assert "tuned by 5-fold cross-validation on train per target" in outcome["mode"]
    chosen = outcome["params"]["chosen"]
    assert set(chosen) == {"cats", "dogs"} and outcome["params"]["metric"] == "f_avg"
    for target in chosen:
        assert chosen[target]["params"] == outcome["model"].estimators_[target].best_params_
        assert 0 <= chosen[target]["cv_score"] <= 1
    pooled = evaluate_baseline(data, "tfidf_svm+pooled", cv=None, seed=2)
    assert "per target" not in pooled["mode"] and set(pooled["params"]["chosen"]) == {"all targets"}
    fixed = evaluate_baseline(data, "tfidf_svm", cv=None, seed=2, tune=False)
    assert "the baseline's default parameters (not tuned)" in fixed["mode"] and fixed["params"] == {}
    assert all(part.get_params()["classifier__C"] == 1.0 for part in fixed["model"].estimators_.values())


def test_cross_validation_tunes_inside_each_fold_on_its_training_part_only():
    from tagline.eval.baselines import PerTargetClassifier
    from tagline.eval.run import TaskData, cv_folds, evaluate_baseline

    texts, labels = noisy_texts(150, seed=5)
    targets = ["cats" if i % 2 else "dogs" for i in range(len(texts))]
    data = TaskData(task="stance", ids=[f"s{i}" for i in range(len(texts))], inputs=list(zip(targets, texts)),
                    gold=labels, doc_ids=[f"d{i}" for i in range(len(texts))], splits=["train"] * len(texts),
                    langs=["en"] * len(texts), labels=["FAVOR", "AGAINST", "NONE"])
    crossed = evaluate_baseline(data, "tfidf_svm", cv=3, seed=2)
    assert "parameters tuned inside each fold by 5-fold cross-validation on its training part per target" \
        in crossed["mode"]
    assert len(crossed["params"]["folds"]) == 3 and set(crossed["params"]["chosen"]) == {"cats", "dogs"}
    assert all(item["folds"] == 5 for choice in crossed["params"]["folds"] for item in choice.values())
    # Each fold's predictions are those of a model tuned and fitted on that fold's training part alone.
    folds, _ = cv_folds(data, 3, 2, list(data.gold))
    for (train, held_out), choice in zip(folds, crossed["params"]["folds"]):
        model = PerTargetClassifier(make_tuned_baseline("tfidf_svm", lang="en", scoring="f_avg", random_state=2))
        model.fit([data.inputs[i] for i in train], [data.gold[i] for i in train])
        predicted = model.predict([data.inputs[i] for i in held_out]).tolist()
        assert predicted == [crossed["predictions"][i] for i in held_out]
        assert {t: part.best_params_ for t, part in model.estimators_.items()} == \
            {t: item["params"] for t, item in choice.items()}
    untuned = evaluate_baseline(data, "tfidf_svm", cv=3, seed=2, tune=False)
    assert untuned["mode"].endswith("the baseline's default parameters (not tuned)") and untuned["params"] == {}
    assert evaluate_baseline(data, "majority", cv=3, seed=2)["mode"] == "3-fold cross-validation, grouped by document"


def test_run_says_when_nothing_could_be_tuned():
    from tagline.eval.run import TaskData, evaluate_baseline

    texts = ["good day", "bad day", "no idea", "fine day"]
    data = TaskData(task="claim_type", ids=["a", "b", "c", "d"], inputs=texts, gold=["X", "Y", "Z", "X"],
                    doc_ids=["1", "2", "3", "4"], splits=["train", "train", "train", "test"],
                    langs=["en"] * 4, labels=["X", "Y", "Z"])
    outcome = evaluate_baseline(data, "tfidf_svm", cv=None, seed=0)
    assert "default parameters (no validation split, and too few items to cross-validate)" in outcome["mode"]
    assert outcome["params"]["chosen"]["all"] == {"params": "defaults kept: no label has two items", "cv_score": None,
                                                  "kept": "defaults"}


def test_run_tells_a_target_with_one_training_label_from_a_tuned_one_and_counts_the_folds_used():
    from tagline.eval.run import TaskData, evaluate_baseline

    texts, labels = noisy_texts(120, seed=12)
    targets = ["cats" if i % 2 else "dogs" for i in range(len(texts))]
    labels = [label if target == "dogs" else "FAVOR" for label, target in zip(labels, targets)]
    rare = [i for i, target in enumerate(targets) if target == "dogs" and labels[i] == "NONE"]
    for i in rare[2:]:
        labels[i] = "AGAINST"  # dogs: NONE has 2 items, so its search uses 2 folds
    splits = ["test" if i % 10 == 0 and i not in rare[:2] else "train" for i in range(len(texts))]
    data = TaskData(task="stance", ids=[f"s{i}" for i in range(len(texts))], inputs=list(zip(targets, texts)),
                    gold=labels, doc_ids=[f"d{i}" for i in range(len(texts))], splits=splits,
                    langs=["en"] * len(texts), labels=["FAVOR", "AGAINST", "NONE"])
    outcome = evaluate_baseline(data, "tfidf_svm", cv=None, seed=2)
    chosen = outcome["params"]["chosen"]
    assert chosen["cats"] == {"params": "none: a single label in training, which is always predicted",
                              "cv_score": None, "kept": "majority"}
    assert chosen["dogs"]["folds"] == 2 and chosen["dogs"]["cv_score"] is not None
    assert "tuned by 2-fold cross-validation on train per target (fewer than 5 folds where a label has fewer " \
           "items; 1 of 2 targets tuned, 1 predict their single training label)" in outcome["mode"]


def test_a_pooled_model_tunes_with_a_sentences_target_rows_in_one_fold(monkeypatch):
    # Every text appears under two targets; a tuning fold scored on a text it was fitted on (under
    # the other target) would reward memorising texts.
    import sklearn.model_selection

    seen_splits = []
    original = sklearn.model_selection.StratifiedGroupKFold.split

    def recording_split(self, X, y=None, groups=None):
        for train, held_out in original(self, X, y, groups):
            seen_splits.append((list(train), list(held_out)))
            yield train, held_out

    monkeypatch.setattr(sklearn.model_selection.StratifiedGroupKFold, "split", recording_split)
    texts, labels = noisy_texts(120, 3)
    pairs = [(target, text) for text in texts for target in ("A", "B")]
    y = [label for label in labels for _ in ("A", "B")]
    model = PerTargetClassifier(make_tuned_baseline("tfidf_svm", lang="en", scoring="f_avg"), pooled=True).fit(pairs, y)
    assert len(seen_splits) == 5
    # fit sorts its items by target, text and label, and the folds index that order
    texts_in_fit_order = [text for target in ("A", "B") for text in sorted(t for g, t in pairs if g == target)]
    for train, held_out in seen_splits:
        assert not {texts_in_fit_order[i] for i in train} & {texts_in_fit_order[i] for i in held_out}
    assert model.estimators_[POOLED_KEY].folds_used_ == 5


def test_a_stance_model_is_the_same_whatever_order_its_training_items_come_in():
    # The tuning folds are drawn by position: the SemEval file and a workspace list the same tweets
    # in different orders, and the same tweets must give the same choice and the same predictions.
    texts, labels = noisy_texts(120, seed=5)
    items = [("cats" if i % 2 else "dogs", text) for i, text in enumerate(texts)]
    order = list(range(len(items)))
    random.Random(0).shuffle(order)
    models = [PerTargetClassifier(make_tuned_baseline("tfidf_nb", lang="en", scoring="f_avg"))
              .fit([items[i] for i in permutation], [labels[i] for i in permutation])
              for permutation in (range(len(items)), order)]
    first, second = (model.estimators_ for model in models)
    assert first.keys() == second.keys()
    assert all(first[key].cv_scores_ == second[key].cv_scores_ for key in first)
    assert models[0].predict(items).tolist() == models[1].predict(items).tolist()
