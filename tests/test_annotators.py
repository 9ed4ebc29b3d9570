"""Who votes: the sample's answers are gold, not an annotator; --exclude-annotator."""

from __future__ import annotations

import json
import os

import pytest

from tagline.cli import main
from tagline.corpus.store import read_records

CLAIMS = {  # sentence -> claim type per annotator
    "news-s0001": {"alice": "quantity", "bob": "quantity"},
    "news-s0002": {"alice": "prediction", "bob": "other_claim"},
    "news-s0003": {"alice": "laws_rules", "bob": "laws_rules"},
}


@pytest.fixture
def shared(runner, workspace, tmp_path):
    """A workspace where alice and bob answered the claim type of one three-sentence document; its
    gold made, the one disagreement decided by judge."""
    from tagline.annotate.gold import auto_adjudicate, record_decision
    from tagline.annotate.scripted import label_sentence

    source = tmp_path / "news.txt"
    source.write_text("米国は輸出規制を三割強めた。来年は緩むだろう。新法が施行された。", encoding="utf-8")
    assert runner.invoke(main, ["corpus", "add", str(source)]).exit_code == 0
    for sentence_id, answers in CLAIMS.items():
        for annotator, label in answers.items():
            label_sentence(workspace, sentence_id, annotator, claim_type=label)
    (contested,) = auto_adjudicate(workspace, tasks=["claim_type"]).contested
    record_decision(workspace, contested, {"label": "prediction"}, "judge")
    return workspace


def _throwaway(workspace, labels: dict[str, str]) -> None:
    from tagline.annotate.scripted import label_sentence

    for sentence_id, label in labels.items():
        label_sentence(workspace, sentence_id, "tmp", claim_type=label)


def _files(root) -> dict[str, bytes]:
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            if name != ".tagline.lock":
                path = os.path.join(directory, name)
                found[os.path.relpath(path, root)] = open(path, "rb").read()
    return found


def _gold(runner, *options) -> dict[str, dict]:
    lines = runner.invoke(main, ["annotate", "gold", "--json", *options]).stdout.splitlines()
    return {record["sentence_id"]: record for record in map(json.loads, lines)}


# ----- the sample's answers are gold, not a voter ---------------------------------------------------
def test_the_sample_is_registered_as_imported_and_counts_as_no_annotator(runner, sample_workspace):
    (record,) = read_records(sample_workspace.annotators_path)
    assert {key: record[key] for key in ("annotator", "kind", "source")} == \
        {"annotator": "sample-gold", "kind": "imported", "source": "sample:deepseek_ja"}
    result = runner.invoke(main, ["annotate", "progress"])
    assert result.exit_code == 0 and result.stdout == "no annotations yet\n"
    assert result.stderr == "not counted: sample-gold (came with its gold)\n"
    result = runner.invoke(main, ["annotate", "agree"])
    assert result.stdout.startswith("annotators: (none)\nnot counted: sample-gold (came with its gold)\n")
    summary = json.loads(runner.invoke(main, ["annotate", "adjudicate", "--json"]).stdout)
    assert (summary["written"], summary["unchanged"], summary["contested"]) == (0, 308, [])


def test_a_throwaway_annotator_reopens_no_sample_question(runner, sample_workspace):
    gold_before = sample_workspace.gold_path.read_bytes()
    sample = {r["sentence_id"]: r["value"]["label"] for r in read_records(sample_workspace.gold_path)
              if r["task"] == "claim_type"}
    _throwaway(sample_workspace, {sentence_id: "quantity" if label != "quantity" else "other_claim"
                                  for sentence_id, label in list(sample.items())[:3]})
    summary = json.loads(runner.invoke(main, ["annotate", "adjudicate", "--json"]).stdout)
    assert (summary["written"], summary["contested"], summary["changed_since_adjudication"]) == (0, [], [])
    assert sample_workspace.gold_path.read_bytes() == gold_before
    assert not any(record["changed"] for record in _gold(runner).values())
    report = json.loads(runner.invoke(main, ["annotate", "agree", "--json"]).stdout)
    assert report["annotators"] == ["tmp"] and report["left_out"] == {"sample-gold": "imported"}


def test_a_sample_workspace_made_before_the_registry_still_treats_the_sample_as_gold(runner, sample_workspace):
    sample_workspace.annotators_path.unlink()  # as `init --sample` left workspaces before
    _throwaway(sample_workspace, {"deepseek_ja-s0001": "quantity"})
    # Gold decided with the sample's vote beside a person's, as adjudication made it then, stands too.
    old = {"sentence_id": "deepseek_ja-s0002", "task": "claim_type", "value": {"label": "not_claim"},
           "provenance": {"method": "unanimous", "votes": {"bob": "not_claim", "sample-gold": "not_claim"}},
           "time": "2026-11-28T10:00:00Z"}
    with open(sample_workspace.gold_path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(old) + "\n")
    gold_before = sample_workspace.gold_path.read_bytes()
    summary = json.loads(runner.invoke(main, ["annotate", "adjudicate", "--json"]).stdout)
    assert (summary["written"], summary["contested"]) == (0, [])
    assert sample_workspace.gold_path.read_bytes() == gold_before
    assert not any(record["changed"] for record in _gold(runner).values())
    progress = json.loads(runner.invoke(main, ["annotate", "progress", "--json"]).stdout)
    assert list(progress["annotators"]) == ["tmp"] and progress["left_out"] == {"sample-gold": "imported"}


def test_without_its_gold_the_sample_answers_are_made_gold_again_whatever_people_answered(sample_answers_only):
    from tagline.annotate.gold import auto_adjudicate

    _throwaway(sample_answers_only, {"deepseek_ja-s0001": "quantity"})  # the sample says not_claim
    result = auto_adjudicate(sample_answers_only, tasks=["claim_type"])
    assert not result.contested and {r["provenance"]["method"] for r in result.written} == {"single"}
    (first,) = [r for r in result.written if r["sentence_id"] == "deepseek_ja-s0001"]
    assert first["value"] == {"label": "not_claim"} and first["provenance"]["votes"] == {"sample-gold": "not_claim"}


def test_no_new_answers_go_to_the_sample_annotator(runner, sample_workspace):
    before = sample_workspace.annotation_path("sample-gold").read_bytes()
    result = runner.invoke(main, ["annotate", "label", "deepseek_ja-s0001", "-a", "sample-gold", "--claim-type",
                                  "quantity"])
    assert result.exit_code == 2
    assert result.stderr == ("Error: annotations/sample-gold.jsonl: 'sample-gold' holds answers that came with "
                             "imported gold; they are gold, not votes (annotate under your own name, e.g. "
                             "--annotator alice)\n")
    assert sample_workspace.annotation_path("sample-gold").read_bytes() == before


# ----- --exclude-annotator ---------------------------------------------------------------------------
def test_agree_leaves_an_excluded_annotator_out(runner, shared):
    _throwaway(shared, {"news-s0001": "other_claim"})
    result = runner.invoke(main, ["annotate", "agree", "--exclude-annotator", "tmp", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["annotators"] == ["alice", "bob"] and report["left_out"] == {"tmp": "excluded"}
    assert report["questions"]["claim_type"]["n_items_compared"] == 3
    text = runner.invoke(main, ["annotate", "agree", "--task", "claim_type", "--exclude-annotator", "tmp"]).stdout
    assert text.startswith("annotators: alice, bob\nnot counted: tmp (excluded)\n")
    everyone = json.loads(runner.invoke(main, ["annotate", "agree", "--json"]).stdout)
    assert everyone["annotators"] == ["alice", "bob", "tmp"]


def test_exclude_annotator_refuses_an_unknown_name_and_a_name_also_chosen(runner, shared):
    for command in (["annotate", "agree"], ["annotate", "adjudicate"], ["eval", "build", "--no-tokens"]):
        result = runner.invoke(main, [*command, "--exclude-annotator", "alcie"])
        assert result.exit_code == 2, command
        assert result.stderr.splitlines()[-1] == ("Error: cannot exclude alcie: no annotator of that name (annotators "
                                                  "in this workspace: alice, bob)"), command
    result = runner.invoke(main, ["annotate", "agree", "--annotators", "alice,bob", "--exclude-annotator", "bob"])
    assert result.exit_code == 2
    assert result.stderr == ("Error: bob is both chosen and excluded (name each annotator in --annotators or in "
                             "--exclude-annotator, not in both)\n")
    assert not (shared.build_dir / "dataset").exists()


def test_adjudicate_decides_without_an_excluded_annotator(runner, shared):
    _throwaway(shared, {"news-s0001": "other_claim", "news-s0003": "other_claim"})
    summary = json.loads(runner.invoke(main, ["annotate", "adjudicate", "--json"]).stdout)
    assert summary["by_method"] == {"majority": 2}
    summary = json.loads(runner.invoke(main, ["annotate", "adjudicate", "--exclude-annotator", "tmp",
                                              "--json"]).stdout)
    assert summary["by_method"] == {"unanimous": 2}
    assert summary["unchanged"] == 1  # judge's decision: tmp gave no vote there


def test_eval_build_leaves_an_excluded_annotator_out_of_the_card(runner, shared):
    _throwaway(shared, {"news-s0001": "other_claim"})
    build = ["eval", "build", "--no-tokens", "--task", "claim_type", "--split", "0.67/0.33"]
    result = runner.invoke(main, [*build, "--exclude-annotator", "tmp"])
    assert result.exit_code == 0, result.output
    card = (shared.build_dir / "dataset" / "README.md").read_text(encoding="utf-8")
    assert "Annotators: 2 (alice, bob), following the project's annotation guidelines (docs/guidelines.md in " \
           "tagline). Not counted: tmp (excluded). Gold records by how they were reached:" in card
    assert "| claim_type | Fleiss' kappa | 0.538 |" in card  # alice and bob alone: agree on 2 of 3
    assert runner.invoke(main, build).exit_code == 0
    card = (shared.build_dir / "dataset" / "README.md").read_text(encoding="utf-8")
    assert "Annotators: 3 (alice, bob, tmp), following" in card and "| claim_type | Fleiss' kappa | 0.538 |" not in card


def test_the_card_of_the_sample_counts_no_annotator(runner, sample_workspace):
    assert runner.invoke(main, ["eval", "build", "--no-tokens", "--task", "claim_type"]).exit_code == 0
    card = (sample_workspace.build_dir / "dataset" / "README.md").read_text(encoding="utf-8")
    assert "Annotators: 0 (none; gold was imported), following the project's annotation guidelines " \
           "(docs/guidelines.md in tagline). Not counted: sample-gold (came with its gold)." in card
    assert "## Agreement" not in card
