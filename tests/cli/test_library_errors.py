"""A script's mistakes in the arguments of the root's functions are the library's own errors, which a
script catches as ``tagline.TaglineError``, not ``ValueError`` or ``KeyError`` from deep inside."""

from __future__ import annotations

import pytest

import tagline


@pytest.fixture
def workspace(tmp_path):
    return tagline.init_workspace(tmp_path / "news", language="en", targets=["Nvidia"])


def test_a_language_the_segmenter_lacks_is_an_input_error_and_nothing_is_added(workspace, tmp_path):
    article = tmp_path / "article.txt"
    article.write_text("Gov. Newsom signed the bill. It takes effect in 2025.", encoding="utf-8")
    with pytest.raises(tagline.InputError, match="language 'de' is not one of ja, en, auto"):
        tagline.add_documents(workspace, [article], lang="de")
    assert list(workspace.iter_sentences()) == []
    report = tagline.add_documents(workspace, [article], lang="en")
    assert report.added[0]["n_sentences"] == 2


def test_an_unknown_task_is_an_input_error_when_scoring(workspace, tmp_path):
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text('{"id": "article-s0001", "label": "quantity"}\n', encoding="utf-8")
    with pytest.raises(tagline.InputError, match="task 'sentiment' is not one of stance, claim_type, entities"):
        tagline.score_predictions(workspace, predictions, task="sentiment", split="all")


def test_an_unknown_task_is_an_input_error_in_the_agreement_report(workspace, tmp_path):
    article = tmp_path / "article.txt"
    article.write_text("Nvidia shares fell 3.5%.", encoding="utf-8")
    tagline.add_documents(workspace, [article])
    for annotator in ("alice", "bob"):
        tagline.label_sentence(workspace, "article-s0001", annotator, claim_type="quantity")
    with pytest.raises(tagline.InputError, match="task 'claim-type' is not one of"):
        tagline.agreement_report(workspace, tasks=["claim-type"])
    report = tagline.agreement_report(workspace, tasks=["claim_type"])
    assert list(report["questions"]) == ["claim_type"]


def test_a_decision_on_no_question_is_an_input_error_and_nothing_is_written(workspace):
    with pytest.raises(tagline.InputError, match="must be a Contested item, not NoneType"):
        tagline.record_decision(workspace, None, {"label": "x"}, "dave")
    assert list(workspace.iter_gold()) == []


@pytest.mark.parametrize("workers", [0, -1])
def test_a_build_in_no_workers_is_an_input_error(workspace, workers):
    with pytest.raises(tagline.InputError, match=f"workers must be a whole number of at least 1, not {workers}"):
        tagline.build_dataset(workspace, workers=workers)
    assert not (workspace.build_dir / "dataset").exists()


def test_counts_below_their_least_are_input_errors_before_anything_is_made(workspace, tmp_path):
    with pytest.raises(tagline.InputError, match="n_resamples must be a whole number of at least 1, not 0"):
        tagline.run_evaluation(workspace, task="claim_type", n_resamples=0)
    with pytest.raises(tagline.InputError, match="n_resamples must be"):
        tagline.compare_runs(workspace, "a", "b", n_resamples=-5)
    with pytest.raises(tagline.InputError, match="cv must be a whole number of at least 2, not 1"):
        tagline.run_demo(tmp_path / "demo", cv=1)
    assert not (tmp_path / "demo").exists()
    with pytest.raises(tagline.InputError, match="retrain_every must be"):
        tagline.open_suggester("builtin", workspace, retrain_every=0)


def test_every_root_function_taking_a_workspace_refuses_none_or_a_path_with_an_input_error(workspace):
    import inspect

    takers = [name for name in tagline.__all__ if inspect.isfunction(getattr(tagline, name))
              and "workspace" in inspect.signature(getattr(tagline, name)).parameters]
    assert len(takers) >= 20 and "label_sentence" in takers and "open_suggester" in takers
    for name in takers:
        function = getattr(tagline, name)
        for wrong in (None, str(workspace.root), workspace.root):
            with pytest.raises(tagline.InputError, match="workspace must be an open workspace"):
                function(workspace=wrong, **{p: None for p, spec in inspect.signature(function).parameters.items()
                                            if p != "workspace" and spec.default is spec.empty})
    with pytest.raises(tagline.InputError, match="workspace must be an open workspace, not NoneType"):
        tagline.label_sentence(None, "article-s0001", "alice", claim_type="quantity")
    assert tagline.corpus_stats(workspace)["documents"] == 0  # an open workspace still works
