"""eval build: typed features, splits without leaks, Parquet + save_to_disk that load back identically."""

from __future__ import annotations

import json
import warnings

import pytest

from tagline.annotate.gold import auto_adjudicate
from tagline.cli import main
from tagline.corpus.store import append_records
from tagline.eval.build import assign_splits, build_dataset


@pytest.fixture
def built(sample_workspace, tmp_path):
    auto_adjudicate(sample_workspace)
    report = build_dataset(sample_workspace, out=tmp_path / "ds")
    return sample_workspace, report, tmp_path / "ds"


def test_features_are_declared_and_records_load_back_identically(built):
    import datasets

    workspace, report, out = built
    sentences = datasets.load_from_disk(str(out / "sentences"))
    assert set(sentences) == {"train", "validation", "test"}
    features = sentences["train"].features
    assert features["claim_type"].names == workspace.config.labels("claim_type")
    assert isinstance(features["entities"], datasets.List)
    assert features["entities"].feature["label"].names == workspace.config.labels("entities")
    assert features["ner_tags"].feature.names[:3] == ["O", "B-PERSON", "I-PERSON"]
    assert sum(report.configs["sentences"].values()) == 77
    for config in ("sentences", "stance"):
        from_disk = datasets.load_from_disk(str(out / config))
        for split in from_disk:
            files = sorted(str(p) for p in (out / "data" / config).glob(f"{split}-*.parquet"))
            from_parquet = datasets.load_dataset("parquet", data_files={split: files}, split=split)
            assert from_parquet.to_list() == from_disk[split].to_list()
    stance = datasets.load_from_disk(str(out / "stance"))
    assert stance["train"].features["label"].names == ["FAVOR", "AGAINST", "NONE"]
    assert sum(len(stance[s]) for s in stance) == 77 * 2


def test_entities_tokens_and_tags_are_consistent(built):
    import datasets

    _, report, out = built
    sentences = datasets.concatenate_datasets(list(datasets.load_from_disk(str(out / "sentences")).values()))
    names = sentences.features["ner_tags"].feature.names
    row = next(r for r in sentences if r["id"] == "deepseek_ja-s0053")
    assert row["entities"] == [{"start": 0, "end": 3, "label": 0, "text": "梁文峰"}]
    assert "".join(row["tokens"]) == row["text"].replace(" ", "")
    tagged = [(t, names[g]) for t, g in zip(row["tokens"], row["ner_tags"]) if g]
    assert [tag for _, tag in tagged][0] == "B-PERSON" and "".join(t for t, _ in tagged) == "梁文峰"
    for record in sentences:
        for span in record["entities"]:
            assert record["text"][span["start"]:span["end"]] == span["text"]
    assert "misaligned" in report.entity_alignment  # counted, never dropped silently


def test_spans_in_order_keep_their_order_and_others_are_sorted_as_lexsort_sorts_them():
    import numpy as np

    from tagline.eval.build.tokens import _sorted_order

    rng = np.random.default_rng(3)
    for size in (0, 1, 2, 50, 400):
        row, start, end = (rng.integers(0, 6, size) for _ in range(3))
        expected = np.lexsort((end, start, row))
        assert np.array_equal(_sorted_order(row, start, end), expected)
        ordered = [key[expected] for key in (row, start, end)]
        assert np.array_equal(_sorted_order(*ordered), np.arange(size))
    # equal rows and starts: the ends decide, and equal spans keep their places (a stable sort)
    assert _sorted_order(np.array([0, 0, 0]), np.array([2, 2, 2]), np.array([5, 3, 3])).tolist() == [1, 2, 0]
    assert _sorted_order(np.array([1, 0]), np.array([0, 9]), np.array([1, 10])).tolist() == [1, 0]


def test_stance_rows_follow_their_sentence_split(built):
    import datasets

    _, _, out = built
    split_of = {json.loads(line)["sentence_id"]: json.loads(line)["split"]
                for line in (out / "splits.jsonl").read_text(encoding="utf-8").splitlines()}
    stance = datasets.load_from_disk(str(out / "stance"))
    for split in stance:
        assert {split_of[sid] for sid in stance[split]["sentence_id"]} == {split}


def test_same_seed_same_fingerprint_other_seed_other_split(sample_workspace, tmp_path):
    auto_adjudicate(sample_workspace)
    first = build_dataset(sample_workspace, out=tmp_path / "a", seed=5, tokens=False)
    second = build_dataset(sample_workspace, out=tmp_path / "b", seed=5, tokens=False)
    third = build_dataset(sample_workspace, out=tmp_path / "c", seed=6, tokens=False)
    assert first.fingerprint == second.fingerprint != third.fingerprint
    assert (tmp_path / "a" / "splits.jsonl").read_bytes() == (tmp_path / "b" / "splits.jsonl").read_bytes()
    assert any("too rare to stratify" in w and "personal_experience" in w for w in first.warnings)
    (by_sentence,) = [w for w in first.warnings if "split by sentence instead of by document" in w]
    assert by_sentence.startswith("only 1 document with gold to divide into 3 splits:")  # not 1 document in all


def test_sentences_without_the_stratifying_label_are_named_so_in_the_rare_strata_warning():
    strata = ["0"] * 40 + ["1"] * 40 + [None]
    _, _, said = assign_splits([f"d{i}" for i in range(81)], strata, [None] * 81, [0.8, 0.1, 0.1], "none", 3)
    (rare,) = [line for line in said if "too rare to stratify" in line]
    assert "no gold label (1)" in rare and "__none__" not in rare


def test_grouped_split_keeps_documents_whole_and_predefined_splits_win():
    doc_ids = [f"d{i // 5}" for i in range(200)]
    strata = [str(i % 3) for i in range(200)]
    predefined = [None] * 200
    predefined[:5] = ["test"] * 5  # d0 arrives with an official split
    splits, method, _ = assign_splits(doc_ids, strata, predefined, [0.8, 0.1, 0.1], "doc_id", 13)
    assert splits[:5] == ["test"] * 5
    by_doc = {}
    for doc, split in zip(doc_ids, splits):
        by_doc.setdefault(doc, set()).add(split)
    assert all(len(s) == 1 for s in by_doc.values())
    counts = {name: splits.count(name) for name in ("train", "validation", "test")}
    assert 140 <= counts["train"] <= 180 and counts["validation"] >= 10
    assert "grouped by document" in method and "kept their predefined split" in method
    assert assign_splits(doc_ids, strata, predefined, [0.8, 0.1, 0.1], "doc_id", 13)[0] == splits


def test_a_predefined_split_that_eval_run_does_not_use_is_kept_with_a_warning():
    doc_ids = [f"d{i // 4}" for i in range(80)]
    predefined = [None] * 80
    predefined[:8] = ["dev"] * 8
    predefined[8:12] = ["test"] * 4
    splits, _, warnings = assign_splits(doc_ids, None, predefined, [0.8, 0.2], "doc_id", 13)
    assert splits[:8] == ["dev"] * 8 and splits[8:12] == ["test"] * 4
    assert [w for w in warnings if "'dev' (8 sentences)" in w and "uses those sentences only with --cv K" in w], \
        warnings
    _, _, quiet = assign_splits(doc_ids, None, [None] * 8 + ["test"] * 4 + [None] * 68, [0.8, 0.2], "doc_id", 13)
    assert not [w for w in quiet if "predefined split" in w]


def test_too_few_gold_sentences_for_the_splits_is_an_error_not_a_traceback(runner, sample_answers_only):
    append_records(sample_answers_only.gold_path, [{
        "sentence_id": "deepseek_ja-s0053", "task": "claim_type", "value": {"label": "other_claim"},
        "provenance": {"method": "adjudicated", "votes": {}}, "time": "2026-11-28T10:00:00Z"}])
    result = runner.invoke(main, ["eval", "build"])
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("Error: ")
    assert "gold.jsonl: only 1 gold sentence to divide into train, validation, test" in line
    assert "--split 0.8/0.2" in line
    result = runner.invoke(main, ["eval", "build", "--split", "0.8/0.2"])
    assert result.exit_code == 2 and "into train, test" in result.stderr and "--split 0.8/0.2" not in result.stderr
    assert not (sample_answers_only.build_dir / "dataset").exists()


def test_no_gold_and_unknown_label_errors(runner, sample_answers_only):
    result = runner.invoke(main, ["eval", "build"])
    assert result.exit_code == 2 and "there is no gold yet" in result.stderr and "adjudicate" in result.stderr
    auto_adjudicate(sample_answers_only)
    append_records(sample_answers_only.gold_path, [{
        "sentence_id": "deepseek_ja-s0002", "task": "claim_type", "value": {"label": "opinion"},
        "provenance": {"method": "adjudicated", "votes": {}}, "time": "2026-11-28T10:00:00Z"}])
    result = runner.invoke(main, ["eval", "build"])
    assert result.exit_code == 2
    assert "claim type 'opinion' is not one of" in result.stderr and "gold.jsonl:309" in result.stderr


def test_the_last_gold_record_wins(sample_workspace, tmp_path):
    import datasets

    auto_adjudicate(sample_workspace)
    append_records(sample_workspace.gold_path, [{
        "sentence_id": "deepseek_ja-s0053", "task": "claim_type", "value": {"label": "prediction"},
        "provenance": {"method": "adjudicated", "adjudicator": "judge", "votes": {}}, "time": "2026-11-28T10:00:00Z"}])
    build_dataset(sample_workspace, out=tmp_path / "ds", tokens=False)
    rows = datasets.concatenate_datasets(list(datasets.load_from_disk(str(tmp_path / "ds" / "sentences")).values()))
    names = rows.features["claim_type"].names
    assert [names[r["claim_type"]] for r in rows if r["id"] == "deepseek_ja-s0053"] == ["prediction"]
    assert len(rows) == 77


@pytest.mark.parametrize("keys_per_record", [0, 8])  # the keys sorted, or the rows scattered over them
def test_the_current_gold_is_the_same_found_either_way(sample_workspace, monkeypatch, keys_per_record):
    from tagline.eval.build import reading

    auto_adjudicate(sample_workspace)
    # Questions answered again, some twice, and one reopened: the last record of each is the current one.
    again = [{"sentence_id": f"deepseek_ja-s{n:04d}", "task": "claim_type", "value": {"label": label},
              "provenance": {"method": "adjudicated", "votes": {}}, "time": "2026-11-28T10:00:00Z"}
             for n, label in ((3, "prediction"), (9, "not_claim"), (3, "fact"), (40, "prediction"))]
    again.append({"sentence_id": "deepseek_ja-s0009", "task": "claim_type", "value": {},
                  "provenance": {"method": "reopened", "votes": {}}, "time": "2026-11-28T11:00:00Z"})
    append_records(sample_workspace.gold_path, again)
    ids = reading.read_sentences(sample_workspace)["id"]
    monkeypatch.setattr(reading, "KEYS_SCATTERED_PER_RECORD", keys_per_record)
    gold = reading.current_gold(sample_workspace, ids)
    lines = [json.loads(line) for line in sample_workspace.gold_path.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    last: dict[tuple, int] = {}
    for row, record in enumerate(lines):
        last[(record["sentence_id"], record["task"], record.get("target") or "")] = row
    expected = sorted(row for row in last.values() if lines[row]["provenance"]["method"] != "reopened")
    assert gold["row"].to_pylist() == expected
    assert len(expected) < len(lines) - 4
    claims = {sid: label for sid, task, label in zip(gold["sentence_id"].to_pylist(), gold["task"].to_pylist(),
                                                     [v["label"] for v in gold["value"].to_pylist()])
              if task == "claim_type"}
    assert claims["deepseek_ja-s0003"] == "fact" and claims["deepseek_ja-s0040"] == "prediction"
    assert "deepseek_ja-s0009" not in claims


def test_gold_of_a_sentence_not_in_the_corpus_is_an_error_at_its_line(runner, sample_answers_only):
    auto_adjudicate(sample_answers_only)
    record = {"task": "claim_type", "value": {"label": "not_claim"}, "provenance": {"method": "adjudicated", "votes": {}},
              "time": "2026-11-28T10:00:00Z"}
    # The last record of a sentence of the corpus still wins beside it (its claim is read by its id's code).
    append_records(sample_answers_only.gold_path, [{"sentence_id": "deepseek_ja-s0002", **record},
                                                   {"sentence_id": "nowhere-s0001", **record}])
    result = runner.invoke(main, ["eval", "build"])
    assert result.exit_code == 2
    assert "gold for unknown sentence 'nowhere-s0001'" in result.stderr and "gold.jsonl:310" in result.stderr


def test_build_cli_json(runner, sample_workspace):
    auto_adjudicate(sample_workspace)
    result = runner.invoke(main, ["eval", "build", "--split", "0.5/0.5", "--task", "claim_type", "--no-tokens",
                                  "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["configs"]) == {"sentences"} and set(report["configs"]["sentences"]) == {"train", "test"}
    card = (sample_workspace.build_dir / "dataset" / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\nlanguage:\n- ja\n") and "config_name: sentences" in card
    assert "Label distribution per split" in card and "single" in card
    result = runner.invoke(main, ["eval", "build", "--split", "0.5/0.6"])
    assert result.exit_code == 2 and "summing to 1" in result.stderr


def test_a_split_without_rows_for_a_config_is_left_out_and_loads(sample_workspace, tmp_path):
    import datasets

    from tagline.corpus.store import read_records

    auto_adjudicate(sample_workspace)
    gold = list(read_records(sample_workspace.gold_path))
    kept = [r for r in gold if r["task"] != "stance" or r["sentence_id"] <= "deepseek_ja-s0002"]
    sample_workspace.gold_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept),
                                          encoding="utf-8")
    report = build_dataset(sample_workspace, out=tmp_path / "ds", tokens=False)
    stance = datasets.load_from_disk(str(tmp_path / "ds" / "stance"))
    assert sum(len(stance[s]) for s in stance) == 4 and set(stance) == set(report.configs["stance"])
    assert len(report.configs["stance"]) < 3
    assert any("has no rows and is left out" in w for w in report.warnings)


def test_the_fold_count_is_the_fewest_folds_that_make_every_ratio_a_whole_number_of_folds():
    from tagline.eval.build.splits import fold_count

    assert [fold_count(ratios) for ratios in ([0.8, 0.1, 0.1], [0.5, 0.5], [0.7, 0.15, 0.15], [1 / 3] * 3)] \
        == [10, 2, 20, 3]
    assert fold_count([0.123, 0.877]) == 100  # at most 100 folds


def test_folds_go_to_the_split_furthest_below_its_share():
    import numpy as np

    from tagline.eval.build.splits import folds_to_splits

    sizes = np.array([30, 20, 10, 10, 10, 10, 10])
    mapping = folds_to_splits(sizes, [0.6, 0.2, 0.2])
    assert mapping == [0, 1, 2, 0, 2, 0, 0]  # the largest fold first; a tie goes to the first split
    assert np.bincount(mapping, weights=sizes).tolist() == [60, 20, 20]


def test_vectorised_group_folds_equal_scikit_learns():
    import numpy as np
    from sklearn.model_selection import StratifiedGroupKFold

    from tagline.eval.build.splits import stratified_group_folds

    rng = np.random.default_rng(0)
    for case in range(30):
        n_items, n_groups, n_classes = int(rng.integers(20, 300)), int(rng.integers(5, 40)), int(rng.integers(2, 6))
        n_splits = int(rng.integers(2, min(6, n_groups) + 1))
        labels = rng.integers(0, n_classes, n_items)
        group_ids = rng.integers(0, n_groups, n_items)
        _, y = np.unique(labels, return_inverse=True)
        _, groups = np.unique(group_ids, return_inverse=True)
        expected = np.empty(n_items, dtype=np.int64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn warns when a class has fewer members than folds
            splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=case)
            for fold, (_, test) in enumerate(splitter.split(np.zeros(n_items), labels, group_ids)):
                expected[test] = fold
        ours = stratified_group_folds(y, int(y.max()) + 1, groups, int(groups.max()) + 1, n_splits, case)
        assert np.array_equal(np.asarray(ours), expected), case


def test_a_failed_or_interrupted_build_leaves_no_staging_folder_and_keeps_the_previous_build(
        sample_workspace, tmp_path, monkeypatch):
    import tagline.eval.card

    auto_adjudicate(sample_workspace)
    out = tmp_path / "build" / "dataset"
    build_dataset(sample_workspace, out=out)
    before = json.loads((out / "fingerprint.json").read_text())
    # What a killed build leaves behind: a staging folder named after a process that is gone.
    abandoned = out.with_name(".dataset.999999999.tmp")
    (abandoned / "sentences").mkdir(parents=True)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tagline.eval.card, "dataset_card", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_dataset(sample_workspace, out=out, seed=7)
    assert sorted(p.name for p in out.parent.iterdir()) == ["dataset"]
    assert json.loads((out / "fingerprint.json").read_text()) == before


def test_a_damaged_annotation_file_stops_the_build_before_anything_is_written(runner, sample_workspace):
    auto_adjudicate(sample_workspace)
    second = sample_workspace.annotation_path("bob")
    second.write_text('{"sentence_id": "deepseek_ja-s0001", "annotator": "bob", "time": "2026-11-28T10:00:00Z", '
                      '"task": "claim_type", "op": "set", "value": {"label": "quantity"}}\n{not json\n')
    result = runner.invoke(main, ["eval", "build"])
    assert result.exit_code == 2, result.output
    assert "bob.jsonl:2" in result.stderr and "Traceback" not in result.output
    assert not (sample_workspace.build_dir).exists() or not any(sample_workspace.build_dir.iterdir())


def test_build_never_replaces_a_folder_that_is_not_a_build(runner, sample_workspace, tmp_path, monkeypatch):
    auto_adjudicate(sample_workspace)
    mine = tmp_path / "mydata"
    mine.mkdir()
    (mine / "notes.txt").write_text("important", encoding="utf-8")
    result = runner.invoke(main, ["eval", "build", "--out", str(mine)])
    assert result.exit_code == 2 and "exists and is not a tagline build" in result.stderr, result.output
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "important"
    assert not mine.with_name("mydata.previous").exists()
    monkeypatch.chdir(sample_workspace.root)
    for out in (".", "documents", str(sample_workspace.root.parent)):
        result = runner.invoke(main, ["eval", "build", "--out", out])
        assert result.exit_code == 2 and "Traceback" not in result.output, (out, result.output)
    assert (sample_workspace.documents_dir / "deepseek_ja.txt").exists()
    assert not sample_workspace.root.with_name("documents.previous").exists()
    # An earlier build is replaced, and kept beside the new one until the next build.
    out = tmp_path / "ds"
    assert runner.invoke(main, ["eval", "build", "--out", str(out)]).exit_code == 0
    assert runner.invoke(main, ["eval", "build", "--out", str(out), "--seed", "5"]).exit_code == 0
    assert (out / "fingerprint.json").exists() and (tmp_path / "ds.previous" / "fingerprint.json").exists()
