"""Regression tests: document ids cannot escape the workspace, replaced documents keep gold usable,
imported gold is not remade, and bad evaluation options are errors, not tracebacks."""

from __future__ import annotations

import json

from tagline.cli import main
from tagline.corpus.store import read_records


def test_doc_id_cannot_name_a_path_outside_the_workspace(runner, workspace, tmp_path):
    source = tmp_path / "t.txt"
    source.write_text("文です。", encoding="utf-8")
    for bad in ("/tmp/escape", "../evil", "a/b", ""):
        result = runner.invoke(main, ["corpus", "add", str(source), "--doc-id", bad])
        assert result.exit_code == 2 and "not a valid document id" in result.stderr, bad
    assert not (tmp_path / "escape.txt").exists() and not (workspace.root / "evil.txt").exists()
    assert list(read_records(workspace.sentences_path)) == []


def test_replaced_document_keeps_build_adjudicate_and_validate_working(runner, sample_workspace, tmp_path):
    assert runner.invoke(main, ["annotate", "adjudicate"]).exit_code == 0
    changed = tmp_path / "new.txt"
    text = sample_workspace.document_text("deepseek_ja")
    changed.write_text(text.replace("人工知能(AI)分野", "人工知能分野"), encoding="utf-8")
    result = runner.invoke(main, ["corpus", "add", str(changed), "--doc-id", "deepseek_ja", "--replace", "--json"])
    assert result.exit_code == 0, result.output
    orphaned = json.loads(result.stdout)["replaced"][0]["orphaned_annotated"]
    assert orphaned == ["deepseek_ja-s0003"]
    assert list(sample_workspace.documents_dir.glob("deepseek_ja.txt.*.bak"))  # the old text is kept

    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert "orphaned" in result.stdout
    # Progress counts the corpus as it is now; the orphan's gold is listed as orphaned, not as changed.
    from tagline.annotate.scripted import progress

    counted = progress(sample_workspace, ["sample-gold"])  # named: the sample's answers are no annotator's work
    assert counted["sentences"] == 77  # s0003 was replaced by a new, unannotated sentence
    assert counted["annotators"]["sample-gold"]["tasks"]["claim_type"]["done"] == 76
    assert counted["annotators"]["sample-gold"]["complete_sentences"] == 76
    listing = [json.loads(line) for line in runner.invoke(main, ["annotate", "gold", "--json"]).stdout.splitlines()]
    orphan_gold = [r for r in listing if r["sentence_id"] == "deepseek_ja-s0003"]
    assert len(orphan_gold) == 4 and all(r["orphaned"] and not r["changed"] for r in orphan_gold)
    assert not any(r["changed"] for r in listing)
    gold_before = sample_workspace.gold_path.read_bytes()
    summary = json.loads(runner.invoke(main, ["annotate", "adjudicate", "--json"]).stdout)
    assert summary["written"] == 0  # orphaned answers are not votes
    assert sample_workspace.gold_path.read_bytes() == gold_before
    result = runner.invoke(main, ["eval", "build", "--no-tokens", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert sum(report["configs"]["sentences"].values()) == 76
    assert any("orphaned" in w for w in report["warnings"])


def test_adjudicate_leaves_imported_gold_alone(runner, sample_answers_only):
    sentence = "deepseek_ja-s0053"
    from tagline.annotate.gold import gold_record
    from tagline.corpus.store import append_records

    append_records(sample_answers_only.gold_path, [gold_record(sentence, "claim_type", None, {"label": "other_claim"},
                                                            "imported", {})])
    for path in sample_answers_only.annotation_files():
        path.unlink()
    assert runner.invoke(main, ["annotate", "label", sentence, "-a", "alice", "--claim-type", "quantity"]).exit_code == 0
    summary = json.loads(runner.invoke(main, ["annotate", "adjudicate", "--json"]).stdout)
    assert summary["written"] == 0 and summary["unchanged"] == 1
    records = list(read_records(sample_answers_only.gold_path))
    assert len(records) == 1 and records[0]["value"] == {"label": "other_claim"}


def test_bad_evaluation_options_are_one_line_errors(runner, sample_workspace, tmp_path):
    from tagline.annotate.gold import auto_adjudicate
    from tagline.eval.build import build_dataset

    auto_adjudicate(sample_workspace)
    build_dataset(sample_workspace, tokens=False)
    cases = [(["eval", "build", "--seed", "-1"], 2), (["eval", "run", "--seed", "-1"], 2),
             (["eval", "run", "--task", "claim_type", "--baselines", "majority", "--cv", "100"], 2),
             (["eval", "run", "--resamples", "0"], 2), (["eval", "compare", "a", "b", "--seed", "-5"], 2)]
    for arguments, code in cases:
        result = runner.invoke(main, arguments)
        assert result.exit_code == code, (arguments, result.output)
        assert "Traceback" not in result.output and "Error" in result.stderr, arguments

    import datasets

    test = datasets.load_from_disk(str(sample_workspace.build_dir / "dataset" / "sentences"))["test"]
    for bad_span in ({"start": "a", "end": 3, "label": "ORG"}, [0, 3, "ORG"], {"start": 5, "end": 3, "label": "ORG"},
                     {"start": 0, "end": 3000, "label": "ORG"}):
        path = tmp_path / "p.jsonl"
        path.write_text("".join(json.dumps({"id": r["id"], "entities": [bad_span]}) + "\n" for r in test),
                        encoding="utf-8")
        result = runner.invoke(main, ["eval", "score", str(path), "--task", "entities"])
        assert result.exit_code == 2 and result.stderr.startswith("Error: ") and "p.jsonl:1" in result.stderr, bad_span
