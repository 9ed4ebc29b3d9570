"""The candidate spans a CRF offers besides the ones it tags: each bounded by the smallest of its
tokens' marginals, the likeliest kept while number keys last."""

from __future__ import annotations

import pytest

from tagline.eval.span_candidates import span_candidates

OFFSETS = [(0, 3), (4, 10), (11, 13)]
MARGINALS = [{"B-PERSON": 0.6, "O": 0.4},
             {"I-PERSON": 0.3, "B-ORG": 0.2, "O": 0.5},
             {"O": 1.0}]


def test_a_candidate_is_bounded_by_its_least_likely_tag_and_the_tagged_spans_are_left_out():
    # PERSON 0-3: min(0.6, 1 - 0.3) = 0.6, tagged; PERSON 0-10: min(0.6, 0.3) = 0.3; ORG 4-10: 0.2
    assert span_candidates(OFFSETS, MARGINALS, [(0, 3, "PERSON")], floor=0.1) == [(0, 10, "PERSON"), (4, 10, "ORG")]
    assert span_candidates(OFFSETS, MARGINALS, [(0, 3, "PERSON")], floor=0.25) == [(0, 10, "PERSON")]
    assert span_candidates(OFFSETS, MARGINALS, [], floor=0.1) == [(0, 3, "PERSON"), (0, 10, "PERSON"), (4, 10, "ORG")]


def test_only_as_many_as_the_number_keys_left_are_offered_the_likeliest_first():
    assert span_candidates(OFFSETS, MARGINALS, [(0, 3, "PERSON")], floor=0.1, limit=2) == [(0, 10, "PERSON")]
    assert span_candidates(OFFSETS, MARGINALS, [(0, 3, "PERSON"), (11, 13, "DATE")], floor=0.1, limit=2) == []


@pytest.mark.slow
def test_the_builtin_model_offers_candidates_apart_from_its_spans(sample_workspace):
    from tagline.eval.builtin_suggester import suggestions_from, train_models, training_data

    sentences = list(sample_workspace.iter_sentences())
    models = train_models(training_data(sample_workspace, None))
    entities = [s for s in suggestions_from(models, sentences, "builtin") if s.task == "entities"]
    assert len(entities) == len(sentences) and any(s.candidates for s in entities)
    by_id = {sentence["id"]: sentence["text"] for sentence in sentences}
    for suggestion in entities:
        spans = {(span["start"], span["end"], span["label"]) for span in suggestion.value["spans"]}
        for candidate in suggestion.candidates:
            assert (candidate["start"], candidate["end"], candidate["label"]) not in spans
            assert candidate["text"] == by_id[suggestion.sentence_id][candidate["start"]:candidate["end"]]
        assert len(spans) + len(suggestion.candidates) <= 9 or not suggestion.candidates


@pytest.mark.slow
def test_printed_suggestions_carry_the_candidates_and_are_read_back_and_scored(runner, built_sample, tmp_path):
    """`annotate suggest` prints each entity suggestion's candidates; the file is a `file:` source
    that offers them again, and `eval score` reads it (the candidates are not scored)."""
    import orjson

    from tagline.annotate.sources import FileSuggester
    from tagline.cli import main

    root = str(built_sample.root)
    result = runner.invoke(main, ["annotate", "suggest", "--source", "builtin", "--task", "entities", "-w", root])
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert any(line.get("candidates") for line in lines)
    path = tmp_path / "suggested.jsonl"
    path.write_text(result.stdout, encoding="utf-8")
    offered = {s.sentence_id: s.candidates for s in FileSuggester(path, built_sample.config).suggest(
        list(built_sample.iter_sentences()))}
    assert {line["id"]: len(line.get("candidates", [])) for line in lines} == {
        sentence_id: len(candidates) for sentence_id, candidates in offered.items()}
    scored = runner.invoke(main, ["eval", "score", str(path), "--task", "entities", "--split", "all", "-w", root])
    assert scored.exit_code == 0, scored.output
