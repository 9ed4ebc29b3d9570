"""`eval build` measures agreement for the dataset card from the answers as columns, as `annotate
agree` does, and takes the card's table of answers made from suggestions from that same report: the
answers are not read again as a dict per answer, and the table is the one those dicts give."""

from __future__ import annotations

import orjson
import pytest

from tagline.annotate import columns
from tagline.annotate.events import CurrentAnswers
from tagline.annotate.provenance import provenance_markdown, suggestion_use
from tagline.cli import main


def _answer(workspace, annotators: list[str]) -> None:
    labels = workspace.config.labels("claim_type")
    sentences = [sentence["id"] for sentence in workspace.iter_sentences()][:12]
    workspace.annotations_dir.mkdir(exist_ok=True)
    for number, annotator in enumerate(annotators):
        lines = []
        for index, sentence_id in enumerate(sentences):
            event = {"sentence_id": sentence_id, "annotator": annotator, "time": "2026-11-28T10:00:00Z",
                     "task": "claim_type", "op": "set", "value": {"label": labels[(index + number * (index % 3 == 0))
                                                                                  % len(labels)]}}
            if index % 2:
                event["suggestion"] = {"source": "crf", "accepted": "as_is" if index % 4 == 1 else "changed"}
            lines.append(orjson.dumps(event) + b"\n")
        workspace.annotation_path(annotator).write_bytes(b"".join(lines))


@pytest.mark.parametrize("people", [["alice", "bob"], ["alice"]], ids=["agreement", "one-annotator"])
def test_the_card_s_suggestion_table_comes_from_the_answers_read_as_columns(runner, sample_workspace, monkeypatch,
                                                                            people):
    """With two annotators or more from the agreement report; with one (no agreement), counted from
    the columns."""
    _answer(sample_workspace, people)
    expected = provenance_markdown(suggestion_use(sample_workspace, people), {})
    assert expected  # the table is there to compare
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)  # read through Arrow, as a large workspace is

    def as_dicts(self, annotator):
        raise AssertionError(f"{annotator}'s answers read as dicts")

    monkeypatch.setattr(CurrentAnswers, "__call__", as_dicts)
    result = runner.invoke(main, ["eval", "build"])
    assert result.exit_code == 0, result.output
    card = (sample_workspace.build_dir / "dataset" / "README.md").read_text(encoding="utf-8")
    assert "\n".join(expected) in card
    assert ("## Agreement" in card) == (len(people) > 1)
