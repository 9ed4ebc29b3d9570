"""tagline.toml edited while a terminal session runs: an answer whose label the file no longer has is
not saved (it would stop every command at its line), the session says so and goes on; answers the
edited file allows are saved as before."""

from __future__ import annotations

import re

from tagline.annotate.session import SessionModel


def rename_prediction(root) -> None:
    path = root / "tagline.toml"
    text = path.read_text()
    edited = re.sub(r'name = "prediction"', 'name = "forecast"', text)
    assert edited != text
    path.write_text(edited)


def lines(workspace) -> list[str]:
    path = workspace.annotation_path("zed")
    return path.read_text().splitlines() if path.exists() else []


def test_an_answer_with_a_label_the_edited_configuration_dropped_is_not_saved(sample_workspace):
    model = SessionModel.open(sample_workspace, "zed", task="claim_type")
    rename_prediction(sample_workspace.root)
    model.handle_key("2")  # prediction, as the session read tagline.toml
    assert model.message.startswith("this answer was not saved: the edited tagline.toml says label 'prediction' is "
                                    "not one of")
    assert lines(sample_workspace) == [] and model.position == 0 and model.current(("claim_type", None)) is None
    model.handle_key("1")  # quantity, which the edited file has too
    assert [line for line in lines(sample_workspace) if '"quantity"' in line] and model.position == 1



def test_a_configuration_broken_meanwhile_refuses_the_answer_until_it_is_fixed(sample_workspace):
    model = SessionModel.open(sample_workspace, "zed", task="claim_type")
    path = sample_workspace.root / "tagline.toml"
    good = path.read_text()
    path.write_text(good.replace("[tasks.claim_type]", "[tasks.claim_type", 1))
    model.handle_key("1")
    assert model.message.startswith("this answer was not saved: the edited tagline.toml cannot be read now")
    assert lines(sample_workspace) == []
    path.write_text(good + "\n")
    model.handle_key("1")
    assert len(lines(sample_workspace)) == 1 and model.message == ""


def test_a_label_added_meanwhile_leaves_the_answers_as_they_were(sample_workspace):
    model = SessionModel.open(sample_workspace, "zed", task="claim_type")
    path = sample_workspace.root / "tagline.toml"
    path.write_text(path.read_text() + '\n[[tasks.claim_type.labels]]\nname = "rumour"\nkey = "7"\n'
                    'description = "hearsay"\n')
    model.handle_key("2")
    model.handle_key("0")
    assert len(lines(sample_workspace)) == 2


def test_a_configuration_moved_away_meanwhile_refuses_the_answer_until_it_is_back(sample_workspace):
    """An editor that saves by moving the file, or a user renaming it: no file at the answer is said on the
    session's screen, as a broken one is, rather than ending the session with a traceback."""
    model = SessionModel.open(sample_workspace, "zed", task="claim_type")
    path = sample_workspace.root / "tagline.toml"
    away = path.rename(path.with_name("tagline.toml.away"))
    model.handle_key("1")
    assert model.message == ("this answer was not saved: the edited tagline.toml cannot be read now (no tagline.toml): "
                             "fix it and answer again")
    assert lines(sample_workspace) == [] and model.position == 0
    away.rename(path)
    model.handle_key("1")
    assert len(lines(sample_workspace)) == 1 and model.message == ""
