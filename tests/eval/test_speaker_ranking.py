"""Who says a sentence, carried from a debate's import through the build to the runs, and the
``speaker_svm`` baseline, which ranks check-worthy sentences with cues of the debate (the speaker,
the turn, the place), on made-up debates."""

from __future__ import annotations

import pickle

import pytest

from tagline.eval.baselines import make_text_baseline, positive_scores
from tagline.eval.baselines.debate import DEBATE_CUES, DebateLine, debate_cues, debate_lines
from tagline.eval.baselines.registry import BY_NAME, TUNING_GRIDS, names_for
from tagline.eval.run import load_model, save_model

SAME = "It is so."


def made_up_debate(turns: int = 6) -> list[tuple[str, str, int]]:
    """(speaker, text, label) lines: the moderator says one sentence a turn, B two, A four; every
    sentence is the same, and A's are the check-worthy ones, so only who says them tells them apart."""
    lines = []
    for _ in range(turns):
        lines += [("MODERATOR", SAME, 0)] + [("A", SAME, 1)] * 4 + [("B", SAME, 0)] * 2
    return lines


def write_debates(folder, names, lines) -> None:
    folder.mkdir(parents=True)
    for name in names:
        rows = [f"{n}\t{speaker}\t{text}\t{label}" for n, (speaker, text, label) in enumerate(lines, 1)]
        (folder / f"{name}.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """`tagline bench clef2019-checkthat-task1` on three made-up training debates and one test debate."""
    from tagline.eval.bench.runner import run_benchmark

    root = tmp_path_factory.mktemp("speakers")
    folder = root / "datasets" / "clef2019-checkthat-task1"
    write_debates(folder / "training", ["d1", "d2", "d3"], made_up_debate())
    write_debates(folder / "test_annotated", ["t1"], made_up_debate(4))
    return run_benchmark("clef2019-checkthat-task1", data=root / "datasets", out=root / "ws",
                         baselines=["cues_svm", "speaker_svm"], tune=False, n_resamples=20)


# ----- the speaker in the build and the task data -------------------------------------------------
def test_the_build_has_each_sentences_speaker_and_the_task_data_carries_it(bench):
    import datasets

    from tagline.eval.run.data import task_data

    directory = bench.workspace.build_dir / "dataset"
    parts = datasets.load_from_disk(str(directory / "sentences"))
    assert parts["test"].features["speaker"] == datasets.Value("string")
    assert parts["test"]["speaker"][:8] == ["MODERATOR", "A", "A", "A", "A", "B", "B", "MODERATOR"]
    data = task_data(directory, "claim_type")
    assert len(data.speakers) == len(data.ids) and set(data.speakers) == {"MODERATOR", "A", "B"}
    lines = data.in_context().inputs
    assert isinstance(lines[0], DebateLine) and lines[0] == data.inputs[0]
    assert (lines[1].doc_id, lines[1].speaker) == (data.doc_ids[1], "A")


def test_a_sentence_without_a_speaker_builds_with_a_null_speaker(built_sample):
    import datasets

    parts = datasets.load_from_disk(str(built_sample.build_dir / "dataset" / "sentences"))
    assert set(next(iter(parts.values()))["speaker"]) == {None}


def test_the_sentence_schema_says_a_speaker_is_a_string():
    from tagline.schemas import schema_errors

    sentence = {"id": "d-s0001", "doc_id": "d", "index": 1, "text": "Hi.", "start": 0, "end": 3, "lang": "en"}
    assert schema_errors("sentence", {**sentence, "meta": {"speaker": "A", "line": 1}}) == []
    assert schema_errors("sentence", {**sentence, "meta": {"speaker": 3}}) != []


# ----- speaker_svm ------------------------------------------------------------------------------------
def test_speaker_svm_is_a_registered_claim_type_baseline_that_reads_sentences_in_context():
    spec = BY_NAME["speaker_svm"]
    assert spec.context and not BY_NAME["cues_svm"].context
    assert "speaker_svm" in names_for("claim_type") and "speaker_svm" not in names_for("stance")
    assert TUNING_GRIDS["speaker_svm"] == {"C": [0.03, 0.1, 0.3], "class_weight": [None, "balanced"]}
    assert make_text_baseline("speaker_svm", lang="en").named_steps["classifier"].get_params()["C"] == 0.1


def test_the_speaker_ranks_what_the_words_cannot(bench):
    """Every sentence has the same words: cues_svm ranks A's sentences no better than chance, the
    speaker and turn cues rank them all first."""
    by_baseline = {run["baseline"]: run["metrics"]["map"]["value"] for run in bench.results}
    assert by_baseline["speaker_svm"] == pytest.approx(1.0)
    assert by_baseline["cues_svm"] < 0.8


def test_debate_cues_of_speakers_and_turns():
    lines = debate_lines(["Welcome.", "Where were you?", "Here.", "Taxes rose.", "(APPLAUSE)", "Next?"],
                         ["d"] * 6, ["HOST", "HOST", "A", "A", "SYSTEM", "HOST"])
    rows = [dict(zip(DEBATE_CUES, row)) for row in debate_cues(lines).tolist()]
    assert [row["moderator"] for row in rows] == [1, 1, 0, 0, 0, 1]  # HOST: 2 questions of 3 sentences
    assert [row["audience"] for row in rows] == [0, 0, 0, 0, 1, 0]
    assert [row["answers_question"] for row in rows] == [0, 0, 1, 0, 0, 0]
    assert [row["opens_turn"] for row in rows] == [1, 0, 1, 0, 1, 1]
    assert [row["place_in_turn"] for row in rows] == [0, 0.5, 0, 0.5, 0, 0]
    assert rows[3]["speaker_share"] == pytest.approx(2 / 6) and rows[3]["place_in_debate"] == pytest.approx(3 / 6)


def test_debate_cues_are_computed_per_document_and_plain_strings_are_one_speakerless_document():
    two = debate_cues(debate_lines(["a", "b", "c"], ["d1", "d2", "d1"], ["X", "X", "X"]))
    assert two[:, DEBATE_CUES.index("place_in_debate")].tolist() == [0.0, 0.0, 0.5]
    plain = debate_cues(["a", "b?"])
    assert plain[:, DEBATE_CUES.index("log_turn_length")].tolist() == pytest.approx([1.0986, 1.0986], abs=1e-4)


def test_a_debate_line_keeps_its_document_and_speaker_when_pickled():
    line = pickle.loads(pickle.dumps(DebateLine("Taxes rose.", "d1", "A")))
    assert (line, line.doc_id, line.speaker, type(line)) == ("Taxes rose.", "d1", "A", DebateLine)
    with pytest.raises(ValueError, match="2 texts, 1 documents and 2 speakers"):
        debate_lines(["a", "b"], ["d"], ["X", "Y"])


def test_speaker_svm_model_saves_without_pickle_and_scores_the_same(tmp_path):
    lines = debate_lines([text for _, text, _ in made_up_debate()], ["d"] * 42,
                         [speaker for speaker, _, _ in made_up_debate()])
    labels = ["check_worthy" if label else "not_check_worthy" for _, _, label in made_up_debate()]
    model = make_text_baseline("speaker_svm", lang="en").fit(lines, labels)
    save_model(model, tmp_path)
    assert positive_scores(load_model(tmp_path), lines, positive="check_worthy").tolist() == \
        positive_scores(model, lines, positive="check_worthy").tolist()


def test_eval_predict_gives_a_debate_baseline_each_record_s_document_and_speaker(bench, tmp_path):
    """A saved speaker_svm run predicts from the speakers a JSON lines file gives; without them every
    sentence (all the same words) gets one label."""
    import json

    from tagline.errors import InputError
    from tagline.eval.score import predict_file

    run_id = next(run["run_id"] for run in bench.results if run["baseline"] == "speaker_svm")
    lines = made_up_debate(3)
    given = tmp_path / "debate.jsonl"
    given.write_text("".join(json.dumps({"text": text, "doc_id": "new", "speaker": speaker}) + "\n"
                             for speaker, text, _ in lines), encoding="utf-8")
    predicted = [row["label"] for row in predict_file(bench.workspace, run_id, given)]
    assert predicted == ["check_worthy" if label else "not_check_worthy" for _, _, label in lines]
    plain = tmp_path / "debate.txt"
    plain.write_text("".join(text + "\n" for _, text, _ in lines), encoding="utf-8")
    assert len({row["label"] for row in predict_file(bench.workspace, run_id, plain)}) == 1
    given.write_text(json.dumps({"text": SAME, "speaker": 3}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="`speaker` is 3, not a string"):
        predict_file(bench.workspace, run_id, given)


def test_suggestions_from_a_debate_run_read_each_sentence_s_speaker(bench):
    """Suggestions from a saved speaker_svm run (`--suggest run:RUN`) rank A's sentences of a
    workspace debate first, as the run did: the sentences go to the model with their speakers."""
    from tagline.eval.builtin_suggester import RunSuggester

    run_id = next(run["run_id"] for run in bench.results if run["baseline"] == "speaker_svm")
    sentences = [s for s in bench.workspace.iter_sentences() if s["doc_id"].endswith("-t1")][:14]
    suggested = RunSuggester(bench.workspace, run_id).suggest(sentences)
    worthy = ["check_worthy" if s["meta"]["speaker"] == "A" else "not_check_worthy" for s in sentences]
    assert [suggestion.value["label"] for suggestion in suggested] == worthy
