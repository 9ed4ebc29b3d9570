"""init inside a workspace, the stance targets a new workspace has, a workspace without any, and
the stance target a command needs."""

from __future__ import annotations

import json

import pytest

from tagline.cli import main
from tagline.corpus.config import SAMPLE_TARGETS
from tagline.corpus.workspace import Workspace, init_workspace
from tagline.errors import DataError, WorkspaceError

NO_TARGETS = "stance has no targets in this workspace (list them in tagline.toml under [tasks.stance]"


@pytest.fixture(autouse=True)
def _no_workspace_from_the_environment(monkeypatch):
    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)


def one_error_line(result) -> str:
    """The one line of a refused command's message (exit 2, nothing on stdout, no traceback)."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and result.stdout == "", result.stderr
    return lines[0]


def test_init_inside_a_workspace_is_refused_naming_it(runner, tmp_path, monkeypatch):
    assert runner.invoke(main, ["init", str(tmp_path / "news")]).exit_code == 0
    for inside in (tmp_path / "news", tmp_path / "news" / "documents"):
        monkeypatch.chdir(inside)
        line = one_error_line(runner.invoke(main, ["init", "news"]))
        assert f"is inside the workspace {tmp_path / 'news'}" in line
        # What to do: where a new one can go, and how to work in the one that is there.
        assert "make it outside" in line and "tagline init ../" in line and "run tagline anywhere inside it" in line
        assert not (inside / "news").exists()  # nothing was made
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WorkspaceError, match="is inside the workspace"):
        init_workspace(tmp_path / "news" / "deeper" / "news")
    assert not (tmp_path / "news" / "deeper").exists()
    assert runner.invoke(main, ["init", str(tmp_path / "beside")]).exit_code == 0  # beside it is fine


def test_a_new_workspace_has_only_the_targets_it_is_given(runner, tmp_path):
    result = runner.invoke(main, ["init", str(tmp_path / "plain"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert Workspace(tmp_path / "plain").config.targets == []
    assert "stance targets: none, so stance is not asked" in result.stderr
    assert 'list them in tagline.toml under [tasks.stance], e.g. targets = ["' in result.stderr

    result = runner.invoke(main, ["init", str(tmp_path / "own"), "--target", "Nvidia", "--target", "EU AI Act",
                                  "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["targets"] == ["Nvidia", "EU AI Act"]
    assert Workspace(tmp_path / "own").config.targets == ["Nvidia", "EU AI Act"]

    assert init_workspace(tmp_path / "lib").config.targets == []
    assert init_workspace(tmp_path / "lib2", targets=["Nvidia"]).config.targets == ["Nvidia"]
    assert init_workspace(tmp_path / "sample", sample=True).config.targets == SAMPLE_TARGETS
    assert init_workspace(tmp_path / "both", sample=True, targets=["Nvidia"]).config.targets == [*SAMPLE_TARGETS,
                                                                                                 "Nvidia"]


def _documents(folder) -> list[str]:
    paths = []
    for number in range(6):
        path = folder / f"d{number}.txt"
        path.write_text(" ".join(f"Company {number}{i} raised prices by {i + 2} percent in Tokyo." if i % 2 else
                                 f"Company {number}{i} will raise prices next year." for i in range(5)),
                        encoding="utf-8")
        paths.append(str(path))
    return paths


@pytest.fixture
def plain(runner, tmp_path, monkeypatch):
    """`tagline init plain --lang en`: no stance targets; six English documents, each sentence with
    alice's claim type and entities, and one of bob's."""
    assert runner.invoke(main, ["init", str(tmp_path / "plain"), "--lang", "en"]).exit_code == 0
    monkeypatch.chdir(tmp_path / "plain")
    assert runner.invoke(main, ["corpus", "add", *_documents(tmp_path)]).exit_code == 0
    workspace = Workspace(tmp_path / "plain")
    assert workspace.config.targets == []
    for sentence in workspace.iter_sentences():
        label = "prediction" if "will" in sentence["text"] else "quantity"
        result = runner.invoke(main, ["annotate", "label", sentence["id"], "-a", "alice", "--claim-type", label,
                                      "--no-entities"])
        assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["annotate", "label", "d0-s0001", "-a", "bob", "--claim-type", "prediction"]).exit_code == 0
    return workspace


def test_every_command_works_without_stance_targets(runner, plain, tmp_path):
    progress = json.loads(runner.invoke(main, ["annotate", "progress", "--json"]).stdout)
    assert set(progress["annotators"]["alice"]["tasks"]) == {"claim_type", "entities"}
    assert progress["annotators"]["alice"]["complete_sentences"] == 30
    result = runner.invoke(main, ["annotate", "agree", "--json"])
    assert result.exit_code == 0, result.output
    assert "stance" not in result.stdout
    result = runner.invoke(main, ["annotate", "adjudicate", "--json"])
    assert result.exit_code == 0, result.output
    built = runner.invoke(main, ["eval", "build", "--json"])
    assert built.exit_code == 0, built.output
    assert list(json.loads(built.stdout)["configs"]) == ["sentences"]  # no stance config
    assert "stance" not in (plain.build_dir / "dataset" / "README.md").read_text(encoding="utf-8")  # nor in the card
    result = runner.invoke(main, ["eval", "run", "--baselines", "majority", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["task"] == "claim_type"  # one run: majority has no entity baseline
    result = runner.invoke(main, ["annotate", "suggest", "--source", "builtin", "--doc", "d1"])
    assert result.exit_code == 0, result.output
    suggested = [json.loads(line) for line in result.stdout.splitlines()]
    assert suggested and {s["task"] for s in suggested} <= {"claim_type", "entities"}

    result = runner.invoke(main, ["annotate", "export", "--gold", "--format", "csv", "--out", str(tmp_path / "g.csv")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "g.csv").read_text(encoding="utf-8").splitlines()[0] == \
        "sentence_id,text,annotator,claim_type,entities"
    other = init_workspace(tmp_path / "other", language="en")
    result = runner.invoke(main, ["annotate", "import", str(tmp_path / "g.csv"), "--gold", "-w", str(other.root),
                                  "--json"])
    assert result.exit_code == 0, result.output
    assert len(list(other.iter_gold())) == len(list(plain.iter_gold())) > 30  # claim type and entities


@pytest.mark.parametrize("arguments", [
    ["annotate", "label", "d0-s0001", "-a", "alice", "--stance", "DeepSeek=FAVOR"],
    ["annotate", "retract", "d0-s0001", "-a", "alice", "--task", "stance"],
    ["annotate", "retract", "d0-s0001", "-a", "alice", "--task", "stance", "--target", "DeepSeek"],
    ["annotate", "agree", "--task", "stance"],
    ["annotate", "adjudicate", "--task", "stance"],
    ["annotate", "suggest", "--source", "builtin", "--task", "stance"],
    ["eval", "build", "--task", "stance"],
], ids=lambda arguments: " ".join(arguments[:3]))
def test_asking_for_stance_without_targets_says_how_to_add_them(runner, plain, arguments):
    line = one_error_line(runner.invoke(main, arguments))
    assert f"{plain.config_path}: {NO_TARGETS}" in line


def test_eval_run_and_score_for_stance_without_targets_say_how_to_add_them(runner, plain, tmp_path):
    assert runner.invoke(main, ["annotate", "adjudicate"]).exit_code == 0
    assert runner.invoke(main, ["eval", "build"]).exit_code == 0
    assert NO_TARGETS in one_error_line(runner.invoke(main, ["eval", "run", "--task", "stance"]))
    (tmp_path / "p.jsonl").write_text('{"id": "d0-s0001@DeepSeek", "label": "FAVOR"}\n', encoding="utf-8")
    assert NO_TARGETS in one_error_line(runner.invoke(main, ["eval", "score", str(tmp_path / "p.jsonl"),
                                                             "--task", "stance"]))
    (tmp_path / "c.jsonl").write_text('{"text": "DeepSeek is good.", "label": ["FAVOR"]}\n', encoding="utf-8")
    result = runner.invoke(main, ["annotate", "import", str(tmp_path / "c.jsonl"), "--format", "doccano",
                                  "-a", "carol", "--task", "stance"])
    assert "--task stance needs --target" in (line := one_error_line(result))
    assert "the workspace has none yet: list them in tagline.toml" in line


def test_retract_stance_without_target_says_target_is_needed(runner, sample_workspace):
    from tagline.annotate.scripted import retract_answer

    sentence = "deepseek_ja-s0053"
    assert runner.invoke(main, ["annotate", "label", sentence, "-a", "bob", "--stance", "DeepSeek=FAVOR"]).exit_code == 0
    line = one_error_line(runner.invoke(main, ["annotate", "retract", sentence, "-a", "bob", "--task", "stance"]))
    assert line == ("Error: --target is needed for stance; the workspace's targets are DeepSeek, US AI policy "
                    "(for example --target DeepSeek)")
    with pytest.raises(DataError, match="--target is needed for stance"):
        retract_answer(sample_workspace, sentence, "bob", "stance")
    line = one_error_line(runner.invoke(main, ["annotate", "retract", sentence, "-a", "bob", "--task", "claim_type",
                                               "--target", "DeepSeek"]))
    assert "--target goes with --task stance, not claim_type" in line
    result = runner.invoke(main, ["annotate", "retract", sentence, "-a", "bob", "--task", "stance",
                                  "--target", "DeepSeek"])
    assert result.exit_code == 0, result.output


def test_retract_takes_the_only_target_when_there_is_one(runner, tmp_path, monkeypatch):
    workspace = init_workspace(tmp_path / "one", targets=["Nvidia"])
    monkeypatch.chdir(workspace.root)
    (tmp_path / "a.txt").write_text("エヌビディアは好調だ。\n", encoding="utf-8")
    assert runner.invoke(main, ["corpus", "add", str(tmp_path / "a.txt")]).exit_code == 0
    assert runner.invoke(main, ["annotate", "label", "a-s0001", "-a", "bob", "--stance", "Nvidia=FAVOR"]).exit_code == 0
    result = runner.invoke(main, ["annotate", "retract", "a-s0001", "-a", "bob", "--task", "stance"])
    assert result.exit_code == 0, result.output


def test_adjudicate_target_goes_with_reopen_and_must_be_a_target(runner, sample_workspace):
    result = runner.invoke(main, ["annotate", "adjudicate", "--target", "DeepSeek"])
    assert result.exit_code == 2 and "--target goes with --reopen" in result.stderr
    line = one_error_line(runner.invoke(main, ["annotate", "adjudicate", "--reopen", "deepseek_ja-s0001",
                                               "--task", "stance", "--target", "Deepseek"]))
    assert "stance target 'Deepseek' is not one of DeepSeek, US AI policy" in line


def test_a_stance_suggestion_without_a_target_is_refused_at_its_line(runner, sample_workspace, tmp_path):
    (tmp_path / "p.jsonl").write_text('{"sentence_id": "deepseek_ja-s0001", "task": "stance", "label": "FAVOR"}\n',
                                      encoding="utf-8")
    line = one_error_line(runner.invoke(main, ["annotate", "suggest", "--source", f"file:{tmp_path / 'p.jsonl'}"]))
    assert "p.jsonl:1: the stance suggestion names no target" in line and "DeepSeek, US AI policy" in line
