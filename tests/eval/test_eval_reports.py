"""What the evaluation reports say: F_avg defined beside macro-F1, and why a class of it scores 0
where it has no gold items or no predictions; labels with no gold items and no predictions named
rather than listed as scores of 0; and a warning, with `--cv K`, when fewer than 30 items were
scored. The scores themselves are unchanged: only what is said about them."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score

from tagline.cli import main
from tagline.eval.entities import per_label_scores, span_counts
from tagline.eval.metrics import f_avg, f_avg_breakdown
from tagline.eval.run import F_AVG_DEFINITION, SMALL_SAMPLE, few_items, run_report, score_labels, stance_warnings
from tagline.schemas import load_schema, schema_errors

STANCE = ["FAVOR", "AGAINST", "NONE"]


def _section(report: str, heading: str) -> str:
    """The text of one ``## heading`` section of a report."""
    start = report.index(f"## {heading}")
    end = report.find("\n## ", start + 1)
    return report[start:end if end >= 0 else len(report)]


def _result(task: str, scores: dict, n: int, warnings: list | None = None) -> dict:
    return {"run_id": "r", "task": task, "baseline": "b", "dataset_fingerprint": "f", "seed": 0, "versions": {},
            "created": "2026-01-01T00:00:00Z", "n_evaluated": n, **scores, "warnings": warnings or []}


def _test_gold(workspace, task: str) -> tuple[dict, list[str]]:
    """The gold of the built sample's test split for ``task`` by row id, and the task's labels."""
    from tagline.eval.run import task_data

    data = task_data(workspace.build_dir / "dataset", task)
    return {i: gold for i, gold, split in zip(data.ids, data.gold, data.splits) if split == "test"}, data.labels


def _write_jsonl(path, rows) -> str:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return str(path)


def _score(runner, workspace, path: str, task: str) -> tuple[dict, str, str]:
    """`eval score --json`: the result, its report.md, and what was said on stderr."""
    result = runner.invoke(main, ["eval", "score", path, "--task", task, "--resamples", "50", "--json"])
    assert result.exit_code == 0, result.output
    scored = json.loads(result.stdout)
    assert schema_errors("run", scored) == []
    return scored, (workspace.runs_dir / scored["run_id"] / "report.md").read_text(encoding="utf-8"), result.stderr


# ----- 1. F_avg beside macro-F1 ---------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(STANCE), st.sampled_from(STANCE)), min_size=1, max_size=30))
def test_f_avg_breakdown_is_f_avg_and_the_f1_of_its_two_classes(pairs):
    y_true, y_pred = [t for t, _ in pairs], [p for _, p in pairs]
    breakdown = f_avg_breakdown(y_true, y_pred)
    assert breakdown["f_avg"] == f_avg(y_true, y_pred)  # the score itself is eval.pl's, unchanged
    for label in ("FAVOR", "AGAINST"):
        item = breakdown["classes"][label]
        assert (item["gold"], item["predicted"]) == (y_true.count(label), y_pred.count(label))
        # eval.pl's rule is scikit-learn's zero_division=0: a class with no gold items scores 0
        assert item["f1"] == pytest.approx(f1_score(y_true, y_pred, labels=[label], average="macro",
                                                    zero_division=0))
        if not item["gold"]:
            assert item["f1"] == 0.0


def test_stance_report_defines_f_avg_once_and_says_why_a_class_scores_zero():
    # t1 all right with no AGAINST (eval.pl: 0.5); t2 never predicts its AGAINST items; t3 predicts
    # FAVOR where there is none; t4 has NONE only, so F_avg is 0 there.
    rows = ([("t1", "FAVOR", "FAVOR")] * 3 + [("t1", "NONE", "NONE")] * 2
            + [("t2", "FAVOR", "FAVOR"), ("t2", "AGAINST", "NONE"), ("t2", "AGAINST", "NONE")]
            + [("t3", "NONE", "FAVOR"), ("t3", "AGAINST", "AGAINST")] + [("t4", "NONE", "NONE")])
    targets, y_true, y_pred = zip(*rows)
    scores = score_labels("stance", list(y_true), list(y_pred), STANCE, inputs=[(t, "") for t in targets],
                          n_resamples=50)
    per_target = scores["per_target"]
    assert [per_target[t]["f_avg"] for t in ("t1", "t2", "t3", "t4")] == [0.5, 0.5, 0.5, 0.0]
    assert per_target["t1"]["f_avg_classes"]["AGAINST"] == {"f1": 0.0, "gold": 0, "predicted": 0}
    assert scores["f_avg_classes"]["AGAINST"] == {"f1": pytest.approx(0.5), "gold": 3, "predicted": 1}

    warnings = stance_warnings(scores)
    # only a class with no gold items is a warning: its F1 is 0 whatever was predicted
    assert [(w.get("target"), w["label"]) for w in warnings] == [("t1", "AGAINST"), ("t3", "FAVOR"),
                                                                 ("t4", "FAVOR"), ("t4", "AGAINST")]
    report = run_report(_result("stance", scores, len(rows), warnings))
    assert report.count(F_AVG_DEFINITION) == 1
    assert report.index("| f_avg |") < report.index(F_AVG_DEFINITION) < report.index("## Per target")
    assert "the mean of F1(FAVOR) and F1(AGAINST) only" in F_AVG_DEFINITION
    assert "macro_f1 averages every class that occurs, NONE included" in F_AVG_DEFINITION
    assert "a class with no gold items has an F1 of 0" in F_AVG_DEFINITION
    table = _section(report, "Per target")
    assert "| target | n | F_avg | F1(FAVOR) | F1(AGAINST) | macro-F1 |" in table
    assert "| t1 | 5 | 0.5000 | 1.0000 | 0.0000 | 1.0000 |" in table
    assert ("- t1: AGAINST has no gold items and was never predicted: its F1 is 0 by eval.pl's convention (0/0 "
            "counts as 0), so F_avg = F1(FAVOR) / 2 = 0.5000, and cannot exceed 0.5.") in table
    assert ("- t2: AGAINST has 2 gold items and was never predicted: its F1 is 0, so F_avg = F1(FAVOR) / 2 = "
            "0.5000.") in table
    assert ("- t3: FAVOR has no gold items and was predicted 1 time, all false positives: its F1 is 0, as for any "
            "class with no gold items, so F_avg = F1(AGAINST) / 2 = 0.5000, and cannot exceed 0.5.") in table
    assert "- t4: FAVOR has no gold items and was never predicted" in table and "so F_avg is 0." in table
    # every class occurs over all items: no note under the metrics, and the few items are said at the top
    assert "- AGAINST" not in _section(report, "Metrics") and "- FAVOR" not in _section(report, "Metrics")
    json.dumps(scores, allow_nan=False)


def test_all_right_predictions_of_a_target_without_against_explain_its_f_avg_of_half(runner, built_sample, tmp_path):
    # DeepSeek's test items hold no AGAINST: all right, it scores F_avg 0.5, and now says why.
    gold, _ = _test_gold(built_sample, "stance")
    perfect = _write_jsonl(tmp_path / "perfect.jsonl", [{"id": i, "label": label} for i, label in gold.items()])
    scored, report, stderr = _score(runner, built_sample, perfect, "stance")
    deepseek = scored["per_target"]["DeepSeek"]
    assert deepseek["f_avg"] == 0.5 and deepseek["macro_f1"] == 1.0
    assert deepseek["f_avg_classes"]["AGAINST"] == {"f1": 0.0, "gold": 0, "predicted": 0}
    (warning,) = [w for w in scored["warnings"] if w["code"] == "f_avg_class"]
    assert warning == {"code": "f_avg_class", "target": "DeepSeek", "label": "AGAINST", "message": (
        "DeepSeek: AGAINST has no gold items and was never predicted: its F1 is 0 by eval.pl's convention (0/0 "
        "counts as 0), so F_avg = F1(FAVOR) / 2 = 0.5000, and cannot exceed 0.5.")}
    assert f"Warning: {warning['message']}" in stderr
    assert f"- {warning['message']}" in _section(report, "Per target")
    assert "| DeepSeek | 8 | 0.5000 | 1.0000 | 0.0000 | 1.0000 |" in report

    text = runner.invoke(main, ["eval", "score", perfect, "--task", "stance", "--resamples", "50"])
    assert text.exit_code == 0, text.output
    assert F_AVG_DEFINITION in text.stdout and text.stdout.index("f_avg 1.000") < text.stdout.index(F_AVG_DEFINITION)
    claim = runner.invoke(main, ["eval", "run", "--task", "claim_type", "--baselines", "majority", "--resamples", "20"])
    assert claim.exit_code == 0 and "F_avg" not in claim.stdout  # said where F_avg appears, not elsewhere


# ----- 2. labels with no gold items -------------------------------------------------------------
def test_claim_type_report_names_labels_with_no_items_and_keeps_false_positives(runner, built_sample, tmp_path):
    gold, names = _test_gold(built_sample, "claim_type")
    (absent,) = [label for label in names if label not in gold.values()]  # laws_rules, in the sample's test split
    truth = list(gold.values())
    stated = [label for label in names if label != absent]

    path = _write_jsonl(tmp_path / "perfect.jsonl", [{"id": i, "label": label} for i, label in gold.items()])
    scored, report, _ = _score(runner, built_sample, path, "claim_type")
    assert list(scored["per_class"]) == stated and scored["absent_labels"] == [absent]
    assert scored["metrics"]["macro_f1"]["value"] == 1.0  # as before: macro-F1 never averaged an absent label
    table = _section(report, "Per class")
    assert f"| {absent} |" not in table
    assert (f"No gold items and no predictions among the 8 scored items (not listed, and left out of macro_f1 and "
            f"weighted_f1): {absent}.") in table
    assert (f"macro_f1 and weighted_f1 average the {len(stated)} classes that occur in the scored items, gold or "
            f"predicted: {', '.join(stated)}.") in report
    assert f"| {absent} |" in _section(report, "Confusion matrix")  # counts of 0 are counts, and stay

    # One prediction of it, a false positive: its row stays, and macro-F1 averages it, as scikit-learn does.
    predicted = dict(gold)
    predicted[next(iter(predicted))] = absent
    guess = list(predicted.values())
    path = _write_jsonl(tmp_path / "guess.jsonl", [{"id": i, "label": label} for i, label in predicted.items()])
    scored, report, _ = _score(runner, built_sample, path, "claim_type")
    assert list(scored["per_class"]) == names and scored["absent_labels"] == []
    assert scored["per_class"][absent] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0, "predicted": 1}
    assert scored["metrics"]["macro_f1"]["value"] == pytest.approx(f1_score(truth, guess, average="macro"))
    table = _section(report, "Per class")
    assert f"| {absent} | 0.0000 | — | 0.0000 | 0 (1 prediction, a false positive) |" in table
    assert "No gold items" not in table


def test_entity_report_names_labels_with_no_spans_and_keeps_false_positives(runner, built_sample, tmp_path):
    gold, labels = _test_gold(built_sample, "entities")
    spans = {i: [{"start": start, "end": end, "label": label} for start, end, label in found]
             for i, found in gold.items()}
    used = {span["label"] for found in spans.values() for span in found}
    absent = [label for label in labels if label not in used]
    assert len(absent) >= 2, "the sample's test split lacks some entity labels"
    first = next(iter(spans))  # a false positive of a label with no gold spans: the first character
    predicted = {**spans, first: spans[first] + [{"start": 0, "end": 1, "label": absent[0]}]}
    path = _write_jsonl(tmp_path / "spans.jsonl", [{"id": i, "entities": found} for i, found in predicted.items()])
    scored, report, _ = _score(runner, built_sample, path, "entities")
    assert scored["absent_labels"] == absent[1:]
    assert scored["per_class"][absent[0]] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0,
                                              "predicted": 1}
    assert all(item["f1"] == 1.0 for label, item in scored["per_class"].items() if label != absent[0])
    table = _section(report, "Per label (exact span match)")
    assert f"| {absent[0]} | 0.0000 | — | 0.0000 | 0 (1 predicted span, a false positive) |" in table
    assert all(f"| {label} |" not in table for label in absent[1:])
    assert f"No gold spans and no predicted spans in the 8 scored sentences (not listed): {', '.join(absent[1:])}." \
        in table


span_strategy = st.lists(st.tuples(st.integers(0, 6), st.integers(1, 4), st.sampled_from(["A", "B", "C"])),
                         max_size=5).map(lambda spans: [(start, start + length, label) for start, length, label in spans])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(span_strategy, span_strategy), min_size=1, max_size=6))
def test_per_label_scores_leave_out_only_labels_with_no_spans(sentences):
    gold, predicted = [g for g, _ in sentences], [p for _, p in sentences]
    rows, absent = per_label_scores(gold, predicted, labels=["A", "B", "C", "D"])
    assert "D" in absent and set(rows) | set(absent) == set("ABCD") and not set(rows) & set(absent)
    for label in "ABC":
        tp, fp, fn = (int(c.sum()) for c in span_counts([[s for s in g if s[2] == label] for g in gold],
                                                       [[s for s in p if s[2] == label] for p in predicted]))
        assert (label in absent) == (tp + fp + fn == 0)
        if label in rows:
            assert (rows[label]["support"], rows[label]["predicted"]) == (tp + fn, tp + fp)
            assert rows[label]["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))


# ----- 3. a small test split ------------------------------------------------------------------
def test_a_small_test_split_is_said_with_cv_in_report_json_and_terminal(runner, built_sample):
    result = runner.invoke(main, ["eval", "run", "--task", "claim_type", "--baselines", "majority",
                                  "--resamples", "50", "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["n_evaluated"] == 8 < SMALL_SAMPLE
    (warning,) = run["warnings"]
    interval = run["metrics"]["macro_f1"]
    assert warning == {"code": "few_items", "message": (
        "Only 8 items in the test split were scored, fewer than 30: the score is unsteady and its 95% interval is "
        f"wide (macro_f1 {interval['value']:.3f} [{interval['low']:.3f}, {interval['high']:.3f}]). `--cv K` scores "
        "every item instead: `tagline eval run --task claim_type --baselines majority --cv 5`.")}
    assert f"Warning: {warning['message']}" in result.stderr
    stored = json.loads((built_sample.runs_dir / run["run_id"] / "results.json").read_text(encoding="utf-8"))
    assert stored["warnings"] == [warning] and schema_errors("run", stored) == []
    report = (built_sample.runs_dir / run["run_id"] / "report.md").read_text(encoding="utf-8")
    assert report.index(f"> **Warning:** {warning['message']}") < report.index("## Metrics")

    crossed = runner.invoke(main, ["eval", "run", "--task", "claim_type", "--baselines", "majority", "--cv", "3",
                                   "--resamples", "50", "--json"])
    assert crossed.exit_code == 0, crossed.output
    run_cv = json.loads(crossed.stdout)
    assert run_cv["n_evaluated"] >= SMALL_SAMPLE and run_cv["warnings"] == [] and "Warning" not in crossed.stderr
    assert "Warning" not in (built_sample.runs_dir / run_cv["run_id"] / "report.md").read_text(encoding="utf-8")

    compared = runner.invoke(main, ["eval", "compare", run["run_id"], run["run_id"], "--json"])
    assert compared.exit_code == 0, compared.output
    (warning,) = json.loads(compared.stdout)["warnings"]
    assert warning["code"] == "few_items"
    assert warning["message"].startswith("Only 8 items were compared, fewer than 30: the difference is unsteady")
    assert warning["message"].endswith("`tagline eval run --task claim_type --baselines majority --cv 5`.")
    assert f"Warning: {warning['message']}" in compared.stderr


def test_scored_predictions_on_a_small_split_suggest_split_all_and_cv(runner, built_sample, tmp_path):
    gold, _ = _test_gold(built_sample, "claim_type")
    path = _write_jsonl(tmp_path / "all_quantity.jsonl", [{"id": i, "label": "quantity"} for i in gold])
    scored, _, stderr = _score(runner, built_sample, path, "claim_type")
    (warning,) = scored["warnings"]
    assert warning["message"].startswith("Only 8 items in the test split were scored, fewer than 30")
    assert "score every item with `--split all`" in warning["message"] and "--cv K" in warning["message"]
    assert f"Warning: {warning['message']}" in stderr


def test_a_perfect_score_on_few_items_is_not_called_steady():
    (warning,) = few_items(12, where="in the test split", metric="f_avg",
                           interval={"value": 1.0, "low": 1.0, "high": 1.0}, advice="Use --cv K.")
    assert "is narrow, but a bootstrap over so few items understates how far it could move" in warning["message"]


def test_warnings_are_typed_alike_in_the_schema_and_the_record():
    import msgspec

    from tagline.schemas.records import RunWarning

    warning = load_schema("run")["$defs"]["warning"]
    fields = {field.name: field for field in msgspec.inspect.type_info(RunWarning).fields}
    assert set(warning["properties"]) == set(fields)
    assert set(warning["required"]) == {name for name, field in fields.items() if field.required}
    assert set(warning["properties"]["code"]["enum"]) == set(fields["code"].type.values)
    base = {"run_id": "r", "task": "stance", "baseline": "b", "dataset_fingerprint": "f", "seed": 0, "versions": {},
            "metrics": {}, "created": "2026-01-01T00:00:00Z"}
    assert schema_errors("run", {**base, "warnings": [{"code": "few_items", "message": "m"}]}) == []
    assert schema_errors("run", {**base, "warnings": ["few items"]})
    assert schema_errors("run", {**base, "warnings": [{"code": "other", "message": "m"}]})
    assert schema_errors("run", {**base, "absent_labels": [1]})


def test_runs_written_before_these_fields_still_read_and_report(runner, built_sample):
    result = runner.invoke(main, ["eval", "run", "--task", "stance", "--baselines", "majority", "--resamples", "20",
                                  "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    path = built_sample.runs_dir / run["run_id"] / "results.json"
    old = json.loads(path.read_text(encoding="utf-8"))
    for key in ("warnings", "absent_labels", "f_avg_classes"):
        old.pop(key)
    for item in old["per_class"].values():
        item.pop("predicted")
    for item in old["per_target"].values():
        item.pop("f_avg_classes")
    path.write_text(json.dumps(old), encoding="utf-8")
    assert schema_errors("run", old) == []
    report = run_report(old)
    assert "| target | n | F_avg | macro-F1 |" in report and "Warning" not in report
    assert F_AVG_DEFINITION in report and "macro_f1 and weighted_f1 average" not in report
    listed = runner.invoke(main, ["eval", "runs", "--json"])
    assert listed.exit_code == 0 and run["run_id"] in listed.stdout and "Warning" not in listed.stderr
    compared = runner.invoke(main, ["eval", "compare", run["run_id"], run["run_id"], "--json"])
    assert compared.exit_code == 0, compared.output
