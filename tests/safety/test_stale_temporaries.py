"""A write's temporary file is named for its process (``.NAME.PID.tmp``). A process killed before it
removed one leaves it, and process ids come round again (a container may run every command as the
same low id): a later command with that id replaces it rather than failing on it, every time."""

from __future__ import annotations

import os

from click.testing import CliRunner

from tagline.cli import main


def leave(folder, *names: str) -> None:
    for name in names:
        (folder / f".{name}.{os.getpid()}.tmp").write_text("what a killed process with this id left")


def test_a_replacing_add_is_not_stopped_by_temporaries_an_earlier_process_of_the_same_id_left(sample_workspace):
    leave(sample_workspace.root, "sentences.jsonl", "documents.jsonl", "orphaned.jsonl")
    document = sample_workspace.root.parent / "note.txt"
    document.write_text("これは新しい文書です。二つ目の文です。\n", encoding="utf-8")
    assert CliRunner().invoke(main, ["corpus", "add", str(document)]).exit_code == 0
    document.write_text("これは新しい文書です。三つ目の文です。\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["corpus", "add", str(document), "--replace"])
    assert result.exit_code == 0, result.output
    assert "三つ目" in sample_workspace.sentences_path.read_text(encoding="utf-8")
    assert not (sample_workspace.root / f".sentences.jsonl.{os.getpid()}.tmp").exists()  # replaced, then renamed


def test_the_first_answer_of_an_annotator_is_not_stopped_by_such_a_temporary(sample_workspace):
    leave(sample_workspace.annotations_dir, "zed.jsonl")
    result = CliRunner().invoke(main, ["annotate", "label", "deepseek_ja-s0001", "-a", "zed",
                                       "--claim-type", "quantity"])
    assert result.exit_code == 0, result.output
    assert sample_workspace.annotation_path("zed").read_text().count("\n") == 1
    assert not [path.name for path in sample_workspace.annotations_dir.iterdir() if path.name.endswith(".tmp")]
