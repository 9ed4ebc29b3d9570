"""Who votes: the sample's answers are gold, not an annotator; --exclude-annotator; retiring an
annotator (the file archived, never deleted; its answers count nowhere) and bringing one back."""

from __future__ import annotations

import json
import os
import types

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


def test_a_reopened_sample_question_shows_the_people_answers_beside_the_sample(runner, sample_workspace):
    from tagline.annotate.gold import auto_adjudicate, record_decision

    _throwaway(sample_workspace, {"deepseek_ja-s0010": "quantity"})  # the sample says correlation_causation
    result = runner.invoke(main, ["annotate", "adjudicate", "--reopen", "deepseek_ja-s0010", "--task", "claim_type",
                                  "--json"])
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.stdout)["contested"]
    assert item["votes"] == {"tmp": "quantity", "sample-gold": "correlation_causation"}
    (contested,) = auto_adjudicate(sample_workspace, tasks=["claim_type"]).contested
    record_decision(sample_workspace, contested, {"label": "quantity"}, "carol")
    # Decided, it stands: the next adjudication neither offers it again nor writes it again.
    summary = json.loads(runner.invoke(main, ["annotate", "adjudicate", "--json"]).stdout)
    assert (summary["written"], summary["contested"]) == (0, [])
    lines = runner.invoke(main, ["annotate", "gold", "--json"]).stdout.splitlines()
    (decided,) = [r for r in map(json.loads, lines) if (r["sentence_id"], r["task"]) == ("deepseek_ja-s0010",
                                                                                          "claim_type")]
    assert decided["value"] == {"label": "quantity"} and decided["provenance"]["adjudicator"] == "carol"


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


# ----- retire ------------------------------------------------------------------------------------------
def test_retiring_archives_the_file_and_its_answers_count_nowhere(runner, shared):
    _throwaway(shared, {"news-s0001": "other_claim", "news-s0002": "other_claim", "news-s0003": "laws_rules"})
    runner.invoke(main, ["annotate", "adjudicate", "--json"])  # s0001 remade (majority), judge's s0002 reopened
    assert set(_gold(runner, "--changed")) == {"news-s0002"}
    before = _files(shared.root)
    answers = shared.annotation_path("tmp").read_bytes()

    result = runner.invoke(main, ["annotate", "retire", "tmp", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    planned = json.loads(result.stdout)
    assert planned["gold_changed"] == ["news-s0001 claim_type", "news-s0003 claim_type"]
    assert planned["gold_settled"] == ["news-s0002 claim_type"]
    assert (planned["answers"], planned["dry_run"], planned["moved_from"]) == (3, True, "annotations/tmp.jsonl")
    assert _files(shared.root) == before  # a dry run writes nothing

    result = runner.invoke(main, ["annotate", "retire", "tmp"])
    assert result.exit_code == 0, result.output
    (archive,) = (shared.annotations_dir / "retired").iterdir()
    assert result.stderr.startswith(f"retired tmp: moved annotations/tmp.jsonl to annotations/retired/{archive.name} "
                                    "(3 current answers, which no longer count)\n2 gold answers decided with tmp's "
                                    "votes are flagged as changed; `tagline annotate adjudicate` makes them again:\n")
    assert archive.read_bytes() == answers and not shared.annotation_path("tmp").exists()
    after = _files(shared.root)
    assert {name: data for name, data in after.items() if name in before} == \
        {name: data for name, data in before.items() if name in after}  # nothing written over
    assert set(after) ^ set(before) == {"annotations/tmp.jsonl", f"annotations/retired/{archive.name}",
                                        "annotators.jsonl"}
    assert [r["kind"] for r in read_records(shared.annotators_path)] == ["retired"]

    assert set(_gold(runner, "--changed")) == {"news-s0001", "news-s0003"}
    summary = json.loads(runner.invoke(main, ["annotate", "adjudicate", "--json"]).stdout)
    assert summary["by_method"] == {"unanimous": 2} and summary["contested"] == []
    assert not _gold(runner, "--changed")
    progress = json.loads(runner.invoke(main, ["annotate", "progress", "--json"]).stdout)
    assert list(progress["annotators"]) == ["alice", "bob"] and progress["left_out"] == {"tmp": "retired"}


def test_a_retired_name_takes_no_new_answers_until_brought_back(runner, shared, tmp_path, monkeypatch):
    _throwaway(shared, {"news-s0001": "other_claim"})
    assert runner.invoke(main, ["annotate", "retire", "tmp"]).exit_code == 0
    (archive,) = (shared.annotations_dir / "retired").iterdir()
    refusal = (f"Error: annotations/retired/{archive.name}: annotator 'tmp' was retired; answers under that name "
               "would count nowhere (annotate under another name, or bring tmp back first with `tagline annotate "
               "retire tmp --undo`)\n")
    result = runner.invoke(main, ["annotate", "label", "news-s0001", "-a", "tmp", "--claim-type", "quantity"])
    assert (result.exit_code, result.stderr) == (2, refusal)
    result = runner.invoke(main, ["annotate", "retract", "news-s0001", "-a", "tmp", "--task", "claim_type"])
    assert (result.exit_code, result.stderr) == (2, refusal)
    (tmp_path / "tmp.jsonl").write_text('{"id": 1, "text": "米国の文だ。", "label": [[0, 2, "GPE"]]}\n',
                                        encoding="utf-8")
    result = runner.invoke(main, ["annotate", "import", str(tmp_path / "tmp.jsonl"), "--format", "doccano", "-a", "tmp"])
    assert (result.exit_code, result.stderr) == (2, refusal)
    terminal = types.SimpleNamespace(stdin=types.SimpleNamespace(isatty=lambda: True),
                                     stdout=types.SimpleNamespace(isatty=lambda: True))
    monkeypatch.setattr("tagline.cli.annotate.sys", terminal)  # past the session's own terminal check
    result = runner.invoke(main, ["annotate", "--annotator", "tmp"])
    assert (result.exit_code, result.stderr) == (2, refusal)
    assert not shared.annotation_path("tmp").exists()
    result = runner.invoke(main, ["annotate", "agree", "--annotators", "alice,tmp"])
    assert result.exit_code == 2 and "tmp was retired, so its answers count nowhere" in result.stderr
    assert runner.invoke(main, ["annotate", "agree", "--exclude-annotator", "tmp"]).exit_code == 0

    result = runner.invoke(main, ["annotate", "retire", "tmp", "--undo"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"brought tmp back (person): moved annotations/retired/{archive.name} to "
                                    "annotations/tmp.jsonl (1 current answer)")
    assert not archive.exists() and [r["kind"] for r in read_records(shared.annotators_path)] == ["retired", "person"]
    assert runner.invoke(main, ["annotate", "label", "news-s0002", "-a", "tmp", "--claim-type", "quantity"]) \
        .exit_code == 0
    assert json.loads(runner.invoke(main, ["annotate", "agree", "--json"]).stdout)["annotators"] == \
        ["alice", "bob", "tmp"]


def test_retire_refuses_an_unknown_name_and_retiring_twice_changes_nothing(runner, shared):
    result = runner.invoke(main, ["annotate", "retire", "nobody"])
    assert (result.exit_code, result.stderr) == \
        (2, "Error: no annotations by nobody (annotators in this workspace: alice, bob)\n")
    assert runner.invoke(main, ["annotate", "retire", "bob"]).exit_code == 0
    (archive,) = (shared.annotations_dir / "retired").iterdir()
    before = _files(shared.root)
    result = runner.invoke(main, ["annotate", "retire", "bob"])
    assert (result.exit_code, result.stderr) == \
        (0, f"bob is retired already; its answers are in annotations/retired/{archive.name} (`tagline annotate "
            "retire bob --undo` brings it back)\n")
    assert _files(shared.root) == before
    result = runner.invoke(main, ["annotate", "retire", "alice", "--undo"])
    assert (result.exit_code, result.stderr) == \
        (2, "Error: 'alice' is not retired (`tagline annotate retire NAME` retires one)\n")
    result = runner.invoke(main, ["annotate", "retire", "../alice"])
    assert result.exit_code == 2 and "annotator name '../alice' is not allowed" in result.stderr


def test_answers_a_session_writes_after_retirement_are_flagged_and_archived_beside_the_first(runner, shared):
    from tagline.corpus.store import append_records

    assert runner.invoke(main, ["annotate", "retire", "bob"]).exit_code == 0
    # A session that was open when bob was retired appends to the file it no longer finds.
    append_records(shared.annotation_path("bob"), [{
        "sentence_id": "news-s0001", "annotator": "bob", "time": "2026-11-28T10:00:00Z", "task": "claim_type",
        "op": "set", "value": {"label": "not_claim"}}])
    assert json.loads(runner.invoke(main, ["annotate", "agree", "--json"]).stdout)["annotators"] == ["alice"]
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0 and "answers given as bob after it was retired count nowhere; `tagline annotate " \
        "retire bob` archives them too" in result.stdout
    result = runner.invoke(main, ["annotate", "retire", "bob", "--undo"])
    assert result.exit_code == 2 and "retire bob again to archive those answers too" in result.stderr
    assert runner.invoke(main, ["annotate", "retire", "bob"]).exit_code == 0
    assert len(list((shared.annotations_dir / "retired").iterdir())) == 2
    assert [r["kind"] for r in read_records(shared.annotators_path)] == ["retired"]
    assert "after it was retired" not in runner.invoke(main, ["validate"]).stdout


def test_a_retired_machine_annotator_is_no_machine_any_more_and_comes_back_as_one(runner, shared, tmp_path):
    (tmp_path / "p.jsonl").write_text('{"id": "news-s0001", "label": "quantity"}\n')
    assert runner.invoke(main, ["annotate", "suggest", "--source", f"file:{tmp_path / 'p.jsonl'}", "--write",
                                "--as", "model-x"]).exit_code == 0
    assert runner.invoke(main, ["annotate", "retire", "model-x"]).exit_code == 0
    assert shared.machine_annotators() == {}
    result = runner.invoke(main, ["annotate", "suggest", "--source", f"file:{tmp_path / 'p.jsonl'}", "--write",
                                  "--as", "model-x"])
    assert result.exit_code == 2 and "annotator 'model-x' was retired" in result.stderr
    assert runner.invoke(main, ["annotate", "retire", "model-x", "--undo"]).exit_code == 0
    assert shared.machine_annotators() == {"model-x": "file:p.jsonl"}


def test_retiring_the_sample_answers_lets_people_decide_its_questions(runner, sample_workspace):
    _throwaway(sample_workspace, {"deepseek_ja-s0001": "quantity"})  # the sample says not_claim
    planned = json.loads(runner.invoke(main, ["annotate", "retire", "sample-gold", "--dry-run", "--json"]).stdout)
    # Every sample question had the sample's answer alone behind it: none is left but tmp's one.
    assert planned["kind"] == "imported" and len(planned["gold_changed"]) == 77 * 4
    assert "deepseek_ja-s0001 claim_type" in planned["gold_changed"]
    assert runner.invoke(main, ["annotate", "retire", "sample-gold"]).exit_code == 0
    summary = json.loads(runner.invoke(main, ["annotate", "adjudicate", "--task", "claim_type", "--json"]).stdout)
    assert summary["by_method"] == {"single": 1}  # tmp alone in the document now
    assert runner.invoke(main, ["annotate", "retire", "sample-gold", "--undo"]).exit_code == 0
    assert [r["kind"] for r in read_records(sample_workspace.annotators_path)] == ["imported", "retired", "imported"]
    assert set(_gold(runner, "--changed")) == {"deepseek_ja-s0001"}  # the sample's answer is the gold again
