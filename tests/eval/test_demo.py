"""`tagline demo`, the README's first command: the whole pipeline on the bundled sample."""

from __future__ import annotations

import json

from tagline.cli import main


def test_demo_runs_every_baseline_and_ends_with_the_table_and_where_the_reports_are(runner, tmp_path):
    from tagline.schemas import schema_errors

    root = tmp_path / "demo"
    # Two folds and ten resamples (as the --json test): nothing asserted depends on how many there are.
    result = runner.invoke(main, ["demo", "--dir", str(root), "--cv", "2", "--resamples", "10"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines() if line.split()[:1] in (["stance"], ["claim_type"],
                                                                                         ["entities"])]
    assert [row[:2] for row in rows] == (
        [["stance", b] for b in ("majority", "stratified", "tfidf_logreg", "tfidf_svm", "tfidf_svm_tweets",
                                 "tfidf_svm_tweets_targets+pooled", "tfidf_nb")]
        + [["claim_type", b] for b in ("majority", "stratified", "tfidf_logreg", "tfidf_svm", "tfidf_nb",
                                       "cues_svm", "speaker_svm")]
        + [["entities", "gazetteer"], ["entities", "crf"], ["entities", "crf_pair"]])
    assert "headline [95% CI]" in result.stdout and f"workspace: {root}" in result.stdout
    runs = sorted((root / "runs").glob("*/results.json"))
    assert len(runs) == len(rows)
    for path in runs:
        assert schema_errors("run", json.loads(path.read_text(encoding="utf-8"))) == []
        assert (path.parent / "report.md").exists()
    assert (root / "build" / "dataset" / "README.md").exists()
    assert runner.invoke(main, ["validate", "-w", str(root)]).exit_code == 0
    assert "━" not in result.stderr and "cross-validation: done" not in result.stderr  # no bars into a pipe


def test_demo_json_gives_the_workspace_and_every_run(runner, tmp_path):
    root = tmp_path / "demo"
    result = runner.invoke(main, ["demo", "--dir", str(root), "--cv", "2", "--resamples", "10", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["workspace"] == str(root) and (shown["documents"], shown["sentences"]) == (1, 77)
    assert shown["configs"] == {"sentences": 77, "stance": 154}
    assert len(shown["runs"]) == len(list((root / "runs").glob("*/results.json"))) > 0
    assert {run["task"] for run in shown["runs"]} == {"stance", "claim_type", "entities"}
