"""`tagline eval run` on the sample workspace, as a user runs it: what F_avg averages is said where it
is shown, labels with no test items are named instead of listed as scores of 0, and the small test
split is said, with `--cv K`, in the reports, the terminal and `--json`."""

from __future__ import annotations

import json
import re

from tagline.cli import main


def _report(root, run_id: str) -> str:
    return (root / "runs" / run_id / "report.md").read_text(encoding="utf-8")


def _rows(report: str, heading: str) -> dict[str, list[str]]:
    """The rows of the table under ``## heading``, by their first cell."""
    section = report[report.index(f"## {heading}"):]
    section = section[:section.find("\n## ", 1)] if "\n## " in section[1:] else section
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [cell.strip() for cell in cells[1:]] for cells in rows[1:]}


def test_eval_run_on_the_sample_says_what_f_avg_averages_names_absent_labels_and_the_small_split(
        runner, tmp_path, monkeypatch):
    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)
    assert runner.invoke(main, ["init", str(tmp_path / "ws"), "--sample"]).exit_code == 0
    monkeypatch.chdir(tmp_path / "ws")
    assert runner.invoke(main, ["eval", "build"]).exit_code == 0

    result = runner.invoke(main, ["eval", "run", "--baselines", "majority,crf", "--resamples", "20"])
    assert result.exit_code == 0, result.output
    run_ids = re.findall(r"\d{8}T\d{6}Z-\S+", result.stdout)
    stance, claim, entities = (next(r for r in run_ids if f"-{task}-" in r) for task in ("stance", "claim_type",
                                                                                          "entities"))
    # 1. beside the table that shows f_avg and macro_f1, one line on what F_avg averages
    assert "F_avg (`f_avg`, the SemEval-2016 Task 6 score) is the mean of F1(FAVOR) and F1(AGAINST) only" \
        in result.stdout
    # DeepSeek's test items hold no AGAINST item: its F_avg cannot exceed 0.5, and the terminal says so
    assert ("Warning: AGAINST has no gold items among DeepSeek's items (1 stance run): its F1 is 0 by eval.pl's "
            "convention, so DeepSeek's F_avg cannot exceed 0.5") in result.stderr
    report = _report(tmp_path / "ws", stance)
    assert report.count("is the mean of F1(FAVOR) and F1(AGAINST) only") == 1
    assert "- DeepSeek: AGAINST has no gold items and was never predicted: its F1 is 0 by eval.pl's convention" \
        in report

    # 2. labels with no gold items and no predictions: named in one line, not rows of zeros
    claim_rows = _rows(_report(tmp_path / "ws", claim), "Per class")
    assert "laws_rules" not in claim_rows and all(cells[3] != "0" for cells in claim_rows.values())
    assert ("No gold items and no predictions among the 8 scored items (not listed, and left out of macro_f1 and "
            "weighted_f1): laws_rules.") in _report(tmp_path / "ws", claim)
    entity_report = _report(tmp_path / "ws", entities)
    entity_rows = _rows(entity_report, "Per label (exact span match)")
    assert not {"MONEY", "DATE", "EVENT"} & set(entity_rows) and all(cells[3] != "0" for cells in entity_rows.values())
    assert "No gold spans and no predicted spans in the 8 scored sentences (not listed): MONEY, DATE, EVENT." \
        in entity_report

    # 3. too few test items: said once for the three runs on the terminal, in each report with --cv K
    assert ("Warning: 3 of the 3 runs scored fewer than 30 items (8 to 16): their scores are unsteady and their 95% "
            "intervals wide. `--cv K` scores every item (`tagline eval run --cv 5`)") in result.stderr
    assert ("> **Warning:** Only 8 items in the test split were scored, fewer than 30: the score is unsteady and its "
            "95% interval") in _report(tmp_path / "ws", claim)
    assert "`tagline eval run --task entities --baselines crf --cv 5`" in entity_report

    as_json = runner.invoke(main, ["eval", "run", "--task", "claim_type", "--baselines", "majority", "--resamples",
                                   "20", "--json"])
    assert as_json.exit_code == 0, as_json.output
    run = json.loads(as_json.stdout)
    assert run["absent_labels"] == ["laws_rules"] and "laws_rules" not in run["per_class"]
    assert [warning["code"] for warning in run["warnings"]] == ["few_items"]
    assert "`--cv K` scores every item instead" in run["warnings"][0]["message"]
