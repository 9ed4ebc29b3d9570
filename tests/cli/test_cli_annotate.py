"""Scripted annotation from the command line: label, retract, show, progress, and their errors."""

from __future__ import annotations

import json

from tagline.cli import main
from tagline.corpus.store import read_records

S53 = "deepseek_ja-s0053"


def test_label_show_retract_progress(runner, sample_workspace):
    result = runner.invoke(main, ["annotate", "label", S53, "-a", "bob", "--stance", "DeepSeek=FAVOR",
                                  "--stance", "US AI policy=AGAINST", "--claim-type", "other_claim",
                                  "--entity", "梁文峰:PERSON", "--json"])
    assert result.exit_code == 0, result.output
    written = json.loads(result.stdout)
    assert [e["task"] for e in written] == ["stance", "stance", "claim_type", "entities"]
    assert written[3]["value"]["spans"] == [{"start": 0, "end": 3, "label": "PERSON", "text": "梁文峰"}]

    shown = json.loads(runner.invoke(main, ["annotate", "show", S53, "--json"]).stdout)
    assert shown["annotations"]["bob"] == {
        "stance": {"DeepSeek": "FAVOR", "US AI policy": "AGAINST"}, "claim_type": "other_claim",
        "entities": [{"start": 0, "end": 3, "label": "PERSON", "text": "梁文峰"}]}
    assert set(shown["annotations"]) == {"bob", "sample-gold"}

    result = runner.invoke(main, ["annotate", "retract", S53, "-a", "bob", "--task", "stance", "--target", "DeepSeek"])
    assert result.exit_code == 0, result.output
    shown = json.loads(runner.invoke(main, ["annotate", "show", S53, "--json"]).stdout)
    assert shown["annotations"]["bob"]["stance"] == {"US AI policy": "AGAINST"}
    assert [e["op"] for e in read_records(sample_workspace.annotation_path("bob"))][-1] == "retract"

    progress = json.loads(runner.invoke(main, ["annotate", "progress", "--json"]).stdout)
    assert progress["sentences"] == 77
    assert progress["annotators"]["bob"]["tasks"]["stance:DeepSeek"]["done"] == 0
    assert progress["annotators"]["bob"]["tasks"]["claim_type"] == {"done": 1, "total": 77, "percent": 1.3}
    # The sample's answers are its gold, not an annotator's work in progress.
    assert list(progress["annotators"]) == ["bob"] and progress["left_out"] == {"sample-gold": "imported"}


def test_entity_offsets_and_no_entities(runner, sample_workspace):
    result = runner.invoke(main, ["annotate", "label", S53, "-a", "bob", "--entity", "0:3:PERSON", "--json"])
    assert json.loads(result.stdout)[0]["value"]["spans"][0]["text"] == "梁文峰"
    result = runner.invoke(main, ["annotate", "label", S53, "-a", "bob", "--no-entities", "--json"])
    assert json.loads(result.stdout)[0]["value"] == {"spans": []}


def test_errors_list_allowed_values_and_write_nothing(runner, sample_workspace):
    path = sample_workspace.annotation_path("bob")
    cases = [
        (["--stance", "DeepSeek=MAYBE"], "label 'MAYBE' is not one of FAVOR, AGAINST, NONE"),
        (["--stance", "Nvidia=FAVOR"], "stance target 'Nvidia' is not one of DeepSeek, US AI policy"),
        (["--claim-type", "opinion"], "is not one of not_claim, quantity, prediction"),
        (["--entity", "OpenAI:ORG"], "the sentence is: 梁文峰は"),
        (["--entity", "梁文峰:PER"], "entity label 'PER' is not one of PERSON, ORG"),
        (["--entity", "梁文峰:PER"], "(did you mean --entity '梁文峰:PERSON'?)"),  # its alias
        (["--entity", "梁文峰:persons"], "(did you mean --entity '梁文峰:PERSON'?)"),  # its spelling
        (["--entity", "0:3:PERCENT"], "PERCENT' is not one of PERSON, ORG, GPE, PRODUCT, MONEY, DATE, EVENT (use one "
                                      "of them, or add PERCENT to the labels of [tasks.entities] in tagline.toml)"),
        (["--entity", "5:500:ORG"], "outside the sentence"),
        (["--claim-type", "quantity", "--stance", "DeepSeek=BAD"], "label 'BAD'"),
    ]
    for arguments, expected in cases:
        result = runner.invoke(main, ["annotate", "label", S53, "-a", "bob", *arguments])
        assert result.exit_code == 2, arguments
        assert result.stderr.startswith("Error: ") and expected in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        if arguments[0] == "--entity":  # the sentence is named
            assert result.stderr.startswith(f"Error: {S53}: "), result.stderr
    result = runner.invoke(main, ["annotate", "label", "deepseek_ja-s9999", "-a", "bob", "--claim-type", "quantity"])
    assert result.exit_code == 2 and "no sentence with id 'deepseek_ja-s9999'" in result.stderr
    result = runner.invoke(main, ["annotate", "retract", S53, "-a", "bob", "--task", "claim_type"])
    assert result.exit_code == 2 and "no claim_type answer" in result.stderr
    assert not path.exists()  # nothing was written by any failed command


def test_progress_columns_line_up_with_a_long_stance_target(runner, tmp_path, monkeypatch):
    from tagline.corpus.workspace import init_workspace

    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)
    ws = init_workspace(tmp_path / "news", language="en", targets=["Nvidia", "US export controls on AI chips"])
    monkeypatch.chdir(ws.root)
    (tmp_path / "a.txt").write_text("Nvidia shares fell 3.5% on Tuesday.", encoding="utf-8")
    assert runner.invoke(main, ["corpus", "add", str(tmp_path / "a.txt")]).exit_code == 0
    assert runner.invoke(main, ["annotate", "label", "a-s0001", "-a", "alice", "--claim-type", "quantity"]).exit_code == 0
    result = runner.invoke(main, ["annotate", "progress"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("  ")]
    assert len(rows) == 4  # two targets, claim type, entities
    assert len({line.index("/") for line in rows}) == 1, rows  # the counts in one column
