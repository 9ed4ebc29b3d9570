"""Building a Hugging Face DatasetDict from the gold: typed features, leak-free splits, Parquet shards,
a dataset card. Records stay in Arrow end to end; Python loops only where tokens are made."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tagline.corpus.workspace import Workspace
from tagline.errors import DataError

SPLIT_NAMES = {2: ("train", "test"), 3: ("train", "validation", "test")}
PARQUET_ROWS_PER_SHARD = 250_000


@dataclass
class BuildReport:
    """What :func:`build_dataset` wrote and everything it had to say about it."""

    out: str
    fingerprint: str
    configs: dict[str, dict[str, int]] = field(default_factory=dict)
    label_distributions: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    split_method: str = ""
    warnings: list[str] = field(default_factory=list)
    entity_alignment: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"out": self.out, "fingerprint": self.fingerprint, "configs": self.configs,
                "label_distributions": self.label_distributions, "split_method": self.split_method,
                "warnings": self.warnings, "entity_alignment": self.entity_alignment}


def parse_ratios(text: str) -> list[float]:
    """``"0.8/0.1/0.1"`` -> ``[0.8, 0.1, 0.1]``; two or three parts summing to 1."""
    try:
        ratios = [float(part) for part in text.replace(",", "/").split("/")]
    except ValueError:
        raise DataError(f"--split {text!r} is not a list of numbers", fix="for example --split 0.8/0.1/0.1") from None
    if len(ratios) not in SPLIT_NAMES or any(r <= 0 for r in ratios) or not math.isclose(sum(ratios), 1.0, abs_tol=1e-6):
        raise DataError(f"--split {text!r} must be 2 or 3 positive parts summing to 1",
                        fix="for example --split 0.8/0.1/0.1 or --split 0.9/0.1")
    return ratios


# ----- reading ------------------------------------------------------------------------------
def _read_jsonl_table(path: Path, schema):
    import pyarrow as pa
    import pyarrow.json as pajson

    if not path.exists() or path.stat().st_size == 0:
        return pa.Table.from_pylist([], schema=schema)
    options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        return pajson.read_json(path, parse_options=options, read_options=pajson.ReadOptions(block_size=1 << 24))
    except pa.ArrowInvalid as error:
        raise DataError(f"cannot be read as JSON lines ({error})", where=str(path),
                        fix="run `tagline validate` to find the bad line") from None


def _sentence_schema():
    import pyarrow as pa

    return pa.schema([("id", pa.string()), ("doc_id", pa.string()), ("text", pa.string()),
                      ("lang", pa.string()), ("split", pa.string())])


def _gold_schema():
    import pyarrow as pa

    span = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()), ("text", pa.string())])
    return pa.schema([("sentence_id", pa.string()), ("task", pa.string()), ("target", pa.string()),
                      ("value", pa.struct([("label", pa.string()), ("spans", pa.list_(span))])),
                      ("provenance", pa.struct([("method", pa.string())]))])


def _current_gold(workspace: Workspace):
    """The gold table with only the last record per (sentence, task, target), and a line column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = _read_jsonl_table(workspace.gold_path, _gold_schema())
    if table.num_rows == 0:
        raise DataError("there is no gold yet", where=str(workspace.gold_path),
                        fix="run `tagline annotate adjudicate` (with one annotator, their answers are promoted "
                            "to gold) or import a benchmark with its gold")
    table = table.append_column("row", pa.array(range(table.num_rows), pa.int64()))
    target = pc.fill_null(table["target"], "")
    keyed = pa.table({"sentence_id": table["sentence_id"], "task": table["task"], "target": target,
                      "row": table["row"]})
    last = keyed.group_by(["sentence_id", "task", "target"], use_threads=False).aggregate([("row", "max")])
    rows = last["row_max"]
    return table.take(rows.take(pc.sort_indices(rows)))


def _line_of(path: Path, row: int) -> int:
    """The 1-based line number of the ``row``-th record (blank lines are not records)."""
    seen = -1
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                seen += 1
                if seen == row:
                    return number
    return row + 1


def _check_labels(workspace: Workspace, table, column, allowed: list[str], what: str) -> None:
    import pyarrow.compute as pc

    values = table[column] if isinstance(column, str) else column
    bad = pc.and_(pc.invert(pc.is_in(values, value_set=_string_array(allowed))), pc.is_valid(values))
    if pc.any(bad).as_py():
        index = pc.index(bad, True).as_py()
        row = table["row"][index].as_py()
        raise DataError(f"{what} {values[index].as_py()!r} is not one of {', '.join(allowed)}",
                        where=f"{workspace.gold_path}:{_line_of(workspace.gold_path, row)}",
                        fix="fix the label or add it to tagline.toml; `tagline validate` lists every such line")


def _string_array(values):
    import pyarrow as pa

    return pa.array(list(values), pa.string())


# ----- splitting ----------------------------------------------------------------------------
def _fold_count(ratios: list[float]) -> int:
    for folds in range(len(ratios), 101):
        if all(abs(r * folds - round(r * folds)) < 1e-6 for r in ratios):
            return folds
    return 100


def _rare_merged(strata, minimum: int, warnings: list[str], label_names: dict) -> list:
    counts = Counter(strata)
    rare = sorted(label for label, count in counts.items() if count < minimum)
    if not rare:
        return list(strata)
    names = ", ".join(f"{label_names.get(label, label)} ({counts[label]})" for label in rare)
    warnings.append(f"too rare to stratify (fewer than {minimum} sentences): {names}; "
                    "they were pooled into one stratum and split at random with it")
    return ["__rare__" if label in rare else label for label in strata]


def assign_splits(doc_ids: list[str], strata: list | None, predefined: list[str | None], ratios: list[float],
                  group_by: str, seed: int, *, label_names: dict | None = None) -> tuple[list[str], str, list[str]]:
    """Split names for each item: predefined names are kept; the rest are split by ``ratios``.

    Grouped by document (no document in two splits) and stratified by ``strata`` where possible;
    with fewer documents than splits, falls back to sentence-level stratified splitting.
    Returns ``(splits, method, warnings)``. Deterministic for a seed.
    """
    import numpy as np

    names = SPLIT_NAMES[len(ratios)]
    warnings: list[str] = []
    splits: list[str | None] = list(predefined)
    todo = [i for i, name in enumerate(predefined) if name is None]
    kept = len(predefined) - len(todo)
    method_parts = [f"{kept} sentences kept their predefined split"] if kept else []
    if not todo:
        return [s for s in splits], "; ".join(method_parts) or "predefined", warnings
    label_names = label_names or {}
    y = [str(strata[i]) if strata is not None and strata[i] is not None else "__none__" for i in todo]
    groups = [doc_ids[i] for i in todo]
    n_groups = len(set(groups))
    folds = _fold_count(ratios)
    rng_seed = int(seed)
    if group_by == "doc_id" and n_groups >= len(ratios):
        from sklearn.model_selection import StratifiedGroupKFold

        n_splits = min(folds, n_groups)
        y_used = _rare_merged(y, n_splits, warnings, label_names)
        with _quiet_sklearn():
            splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=rng_seed)
            fold_of = np.empty(len(todo), dtype=np.int64)
            for fold, (_, test_index) in enumerate(splitter.split(np.zeros(len(todo)), y_used, groups)):
                fold_of[test_index] = fold
        sizes = np.bincount(fold_of, minlength=n_splits)
        fold_split = _folds_to_splits(sizes, ratios)
        for position, index in enumerate(todo):
            splits[index] = names[fold_split[fold_of[position]]]
        method_parts.append(f"grouped by document ({n_groups} documents, no document in two splits), "
                            f"stratified by label with StratifiedGroupKFold ({n_splits} folds)")
    else:
        from sklearn.model_selection import train_test_split

        if group_by == "doc_id":
            warnings.append(f"only {n_groups} document(s) for {len(ratios)} splits: split by sentence instead of "
                            "by document, so sentences of one document appear in several splits")
        positions = np.arange(len(todo))
        y_used = _rare_merged(y, 2 * len(ratios), warnings, label_names)
        assigned = np.empty(len(todo), dtype=np.int64)
        remaining, remaining_y, remaining_share = positions, np.array(y_used, dtype=object), 1.0
        for split_index, ratio in enumerate(ratios[:-1]):
            share = ratio / remaining_share
            stratify = remaining_y if len(set(remaining_y)) > 1 and min(Counter(remaining_y).values()) >= 2 else None
            try:
                chosen, rest = train_test_split(remaining, train_size=share, random_state=rng_seed, stratify=stratify)
            except ValueError:
                chosen, rest = train_test_split(remaining, train_size=share, random_state=rng_seed)
                warnings.append(f"could not stratify the {names[split_index]} split; split at random")
            assigned[chosen] = split_index
            mask = np.isin(remaining, rest)
            remaining, remaining_y = remaining[mask], remaining_y[mask]
            remaining_share -= ratio
        assigned[remaining] = len(ratios) - 1
        for position, index in enumerate(todo):
            splits[index] = names[assigned[position]]
        method_parts.append("sentence-level stratified split (train_test_split)")
    return [s for s in splits], "; ".join(method_parts), warnings


def _folds_to_splits(sizes, ratios: list[float]) -> list[int]:
    """Give folds to splits so that split sizes come closest to the ratios (largest deficit first)."""
    total = int(sizes.sum())
    targets = [r * total for r in ratios]
    current = [0.0] * len(ratios)
    mapping = [0] * len(sizes)
    order = sorted(range(len(sizes)), key=lambda f: -int(sizes[f]))
    for fold in order:
        split = max(range(len(ratios)), key=lambda s: (targets[s] - current[s]) / max(targets[s], 1e-9))
        mapping[fold] = split
        current[split] += int(sizes[fold])
    return mapping


class _quiet_sklearn:
    """StratifiedGroupKFold warns when a class has fewer members than folds; we report that ourselves."""

    def __enter__(self):
        import warnings

        self._catcher = warnings.catch_warnings()
        self._catcher.__enter__()
        warnings.simplefilter("ignore", UserWarning)

    def __exit__(self, *exc_info):
        return self._catcher.__exit__(*exc_info)


# ----- tokens and BIO tags ------------------------------------------------------------------
def _bio_names(entity_labels: list[str]) -> list[str]:
    names = ["O"]
    for label in entity_labels:
        names += [f"B-{label}", f"I-{label}"]
    return names


def _tokens_and_tags(texts, langs, spans_column, entity_labels, alignment: dict):
    """Tokens for every sentence and BIO tags where entities are gold (None elsewhere).

    An entity whose edges fall inside a token is tagged on the tokens it overlaps and counted as
    misaligned; an entity overlapping an earlier one cannot be written in BIO and is counted as
    nested. Both counts are reported, and the spans themselves stay in ``entities`` unchanged.
    """
    from tagline.corpus.tokenize import tokenize

    bio_index = {name: i for i, name in enumerate(_bio_names(entity_labels))}
    all_tokens, all_tags = [], []
    misaligned: Counter = Counter()
    nested: Counter = Counter()
    examples: list[str] = []
    for text, lang, spans in zip(texts, langs, spans_column):
        offsets = tokenize(text, lang)
        all_tokens.append([text[s:e] for s, e in offsets])
        if spans is None:
            all_tags.append(None)
            continue
        tags = [0] * len(offsets)
        for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
            covered = [i for i, (s, e) in enumerate(offsets) if s < span["end"] and e > span["start"]]
            if not covered:
                misaligned[span["label"]] += 1
                continue
            if any(tags[i] for i in covered):
                nested[span["label"]] += 1
                continue
            first, last = offsets[covered[0]], offsets[covered[-1]]
            if first[0] != span["start"] or last[1] != span["end"]:
                misaligned[span["label"]] += 1
                if len(examples) < 5:
                    examples.append(f"{span['text']!r} ({span['label']}) in {text[:40]!r}")
            tags[covered[0]] = bio_index[f"B-{span['label']}"]
            for i in covered[1:]:
                tags[i] = bio_index[f"I-{span['label']}"]
        all_tags.append(tags)
    alignment.update({"misaligned": dict(misaligned), "nested_not_in_bio": dict(nested),
                      "misaligned_examples": examples})
    return all_tokens, all_tags


# ----- the build ----------------------------------------------------------------------------
def build_dataset(
    workspace: Workspace, *, out: str | os.PathLike | None = None, ratios: list[float] | None = None,
    group_by: str | None = None, seed: int | None = None, tasks: list[str] | None = None, tokens: bool = True,
    progress=None,
) -> BuildReport:
    """Build the dataset from the workspace's gold and write it to ``out`` (default ``build/dataset``).

    Writes, per config (``sentences``: claim type, entities, tokens and BIO tags; ``stance``: one row
    per sentence and target, SemEval layout), a ``save_to_disk`` DatasetDict and Parquet shards under
    ``data/<config>/``, plus ``splits.jsonl`` (the split of every sentence), ``fingerprint.json`` and
    the dataset card ``README.md``.
    """
    import datasets
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    step = progress or (lambda message: None)
    datasets.disable_progress_bars()
    config = workspace.config
    split_settings = config.split
    ratios = ratios or split_settings["ratios"]
    group_by = group_by or split_settings["group_by"]
    seed = split_settings["seed"] if seed is None else seed
    tasks = [t for t in (tasks or config.tasks)]
    for task in tasks:
        if task not in config.tasks:
            raise DataError(f"task {task!r} is not one of {', '.join(config.tasks)}")
    out = Path(out) if out else workspace.build_dir / "dataset"

    step("reading gold")
    gold = _current_gold(workspace)
    gold = gold.filter(pc.is_in(gold["task"], value_set=_string_array(tasks)))
    if gold.num_rows == 0:
        raise DataError(f"there is no gold for {', '.join(tasks)}", where=str(workspace.gold_path),
                        fix="run `tagline annotate adjudicate`")
    step("reading sentences")
    sentences = _read_jsonl_table(workspace.sentences_path, _sentence_schema())
    known = pc.is_in(gold["sentence_id"], value_set=sentences["id"])
    if not pc.all(known).as_py():
        index = pc.index(known, False).as_py()
        raise DataError(f"gold for unknown sentence {gold['sentence_id'][index].as_py()!r}",
                        where=f"{workspace.gold_path}:{_line_of(workspace.gold_path, gold['row'][index].as_py())}",
                        fix="run `tagline validate`")

    by_task = {task: gold.filter(pc.equal(gold["task"], task)) for task in tasks}
    value = {task: table["value"] for task, table in by_task.items()}
    if "stance" in by_task:
        _check_labels(workspace, by_task["stance"], pc.struct_field(value["stance"], "label"),
                      config.labels("stance"), "stance label")
        _check_labels(workspace, by_task["stance"], "target", config.targets, "stance target")
    if "claim_type" in by_task:
        _check_labels(workspace, by_task["claim_type"], pc.struct_field(value["claim_type"], "label"),
                      config.labels("claim_type"), "claim type")
    if "entities" in by_task and by_task["entities"].num_rows:
        flat = pc.list_flatten(pc.struct_field(value["entities"], "spans"))
        parents = pc.list_parent_indices(pc.struct_field(value["entities"], "spans"))
        labels = pc.struct_field(flat, "label")
        bad = pc.invert(pc.is_in(labels, value_set=_string_array(config.labels("entities"))))
        if pc.any(bad).as_py():
            index = pc.index(bad, True).as_py()
            row = by_task["entities"]["row"][parents[index].as_py()].as_py()
            raise DataError(f"entity label {labels[index].as_py()!r} is not one of "
                            f"{', '.join(config.labels('entities'))}",
                            where=f"{workspace.gold_path}:{_line_of(workspace.gold_path, row)}", fix="fix the label")

    # The universe: every sentence with gold for any chosen task, in corpus order.
    gold_ids = pc.unique(gold["sentence_id"])
    universe = sentences.filter(pc.is_in(sentences["id"], value_set=gold_ids))
    ids = universe["id"].to_pylist()
    position = {sentence_id: i for i, sentence_id in enumerate(ids)}

    def column_for(task, extract):
        result = [None] * len(ids)
        table = by_task.get(task)
        if table is None:
            return result
        for sentence_id, item in zip(table["sentence_id"].to_pylist(), extract(table)):
            result[position[sentence_id]] = item
        return result

    claim_labels = config.labels("claim_type") if "claim_type" in config.tasks else []
    claim_column = column_for("claim_type", lambda t: [claim_labels.index(v) for v in
                                                         pc.struct_field(t["value"], "label").to_pylist()])
    entity_column = column_for("entities", lambda t: pc.struct_field(t["value"], "spans").to_pylist())

    # Stratify by claim type, else by the first target's stance, else not at all.
    strata, label_names = None, {}
    if any(v is not None for v in claim_column):
        strata, label_names = claim_column, {str(i): name for i, name in enumerate(claim_labels)}
    elif "stance" in by_task and config.targets:
        first = by_task["stance"].filter(pc.equal(by_task["stance"]["target"], config.targets[0]))
        strata = column_for("stance", lambda t: [None] * t.num_rows)
        for sentence_id, label in zip(first["sentence_id"].to_pylist(),
                                      pc.struct_field(first["value"], "label").to_pylist()):
            strata[position[sentence_id]] = label
    step("assigning splits")
    split_column, method, warnings = assign_splits(
        universe["doc_id"].to_pylist(), strata, universe["split"].to_pylist(), ratios, group_by, seed,
        label_names=label_names)
    split_names = _ordered_split_names(split_column)

    report = BuildReport(out=str(out), fingerprint="", split_method=method, warnings=warnings)
    entity_labels = config.labels("entities") if "entities" in config.tasks else []
    features_sentences = datasets.Features({
        "id": datasets.Value("string"), "doc_id": datasets.Value("string"),
        "text": datasets.Value("string"), "lang": datasets.Value("string"),
        **({"claim_type": datasets.ClassLabel(names=claim_labels)} if "claim_type" in tasks else {}),
        **({"entities": datasets.List({"start": datasets.Value("int32"), "end": datasets.Value("int32"),
                                       "label": datasets.ClassLabel(names=entity_labels),
                                       "text": datasets.Value("string")})} if "entities" in tasks else {}),
        **({"tokens": datasets.List(datasets.Value("string")),
            "ner_tags": datasets.List(datasets.ClassLabel(names=_bio_names(entity_labels)))}
           if tokens and "entities" in tasks else {}),
    })
    columns = {"id": ids, "doc_id": universe["doc_id"].to_pylist(), "text": universe["text"].to_pylist(),
               "lang": universe["lang"].to_pylist()}
    if "claim_type" in tasks:
        columns["claim_type"] = claim_column
    if "entities" in tasks:
        columns["entities"] = [None if spans is None else
                               [{"start": s["start"], "end": s["end"], "label": entity_labels.index(s["label"]),
                                 "text": s["text"]} for s in spans] for spans in entity_column]
        if tokens:
            step("tokenising")
            columns["tokens"], columns["ner_tags"] = _tokens_and_tags(
                columns["text"], columns["lang"], entity_column, entity_labels, report.entity_alignment)
    sentence_table = pa.Table.from_pydict(columns, schema=features_sentences.arrow_schema)
    configs = {"sentences": (sentence_table, features_sentences, split_column)}

    if "stance" in tasks and by_task["stance"].num_rows:
        stance = by_task["stance"]
        stance_ids = stance["sentence_id"].to_pylist()
        rows = sorted(range(len(stance_ids)), key=lambda i: (position[stance_ids[i]],
                                                             config.targets.index(stance["target"][i].as_py())))
        stance = stance.take(pa.array(rows, pa.int64()))
        stance_ids = stance["sentence_id"].to_pylist()
        stance_labels = config.labels("stance")
        features_stance = datasets.Features({
            "id": datasets.Value("string"), "sentence_id": datasets.Value("string"),
            "doc_id": datasets.Value("string"), "target": datasets.Value("string"),
            "text": datasets.Value("string"), "lang": datasets.Value("string"),
            "label": datasets.ClassLabel(names=stance_labels)})
        targets = stance["target"].to_pylist()
        stance_table = pa.Table.from_pydict({
            "id": [f"{sid}@{target}" for sid, target in zip(stance_ids, targets)],
            "sentence_id": stance_ids,
            "doc_id": [columns["doc_id"][position[sid]] for sid in stance_ids],
            "target": targets,
            "text": [columns["text"][position[sid]] for sid in stance_ids],
            "lang": [columns["lang"][position[sid]] for sid in stance_ids],
            "label": [stance_labels.index(v) for v in pc.struct_field(stance["value"], "label").to_pylist()],
        }, schema=features_stance.arrow_schema)
        configs["stance"] = (stance_table, features_stance, [split_column[position[sid]] for sid in stance_ids])

    step("writing")
    staging = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    digest = hashlib.sha256()
    for name, (table, features, splits_of_rows) in configs.items():
        split_array = np.array(splits_of_rows, dtype=object)
        parts = {}
        for split in split_names:
            part = table.filter(pa.array(split_array == split))
            parts[split] = datasets.Dataset(datasets.table.InMemoryTable(part),
                                            info=datasets.DatasetInfo(features=features),
                                            split=datasets.NamedSplit(split))
            _write_parquet_shards(part, staging / "data" / name, split)
            digest.update(f"{name}/{split}".encode())
            digest.update(_table_digest(part))
        dataset_dict = datasets.DatasetDict(parts)
        dataset_dict.save_to_disk(str(staging / name))
        report.configs[name] = {split: len(parts[split]) for split in split_names}
        report.label_distributions[name] = _label_distributions(parts, features)
    report.fingerprint = digest.hexdigest()[:16]
    with open(staging / "splits.jsonl", "w", encoding="utf-8") as handle:
        for sentence_id, doc_id, split in zip(ids, columns["doc_id"], split_column):
            handle.write(json.dumps({"sentence_id": sentence_id, "doc_id": doc_id, "split": split},
                                    ensure_ascii=False) + "\n")
    settings = {"ratios": ratios, "group_by": group_by, "seed": seed, "tasks": tasks, "tokens": tokens}
    (staging / "fingerprint.json").write_text(json.dumps(
        {"fingerprint": report.fingerprint, "settings": settings, "configs": report.configs,
         "split_method": method, "warnings": warnings, "entity_alignment": report.entity_alignment},
        ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    from tagline.eval.card import dataset_card

    (staging / "README.md").write_text(dataset_card(workspace, report, configs, settings, gold), encoding="utf-8")
    _swap_into_place(staging, out)
    return report


def _ordered_split_names(split_column: list[str]) -> list[str]:
    order = {"train": 0, "validation": 1, "test": 2}
    return sorted(set(split_column), key=lambda name: (order.get(name, 3), name))


def _write_parquet_shards(table, directory: Path, split: str) -> None:
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    shards = max(1, math.ceil(table.num_rows / PARQUET_ROWS_PER_SHARD))
    for shard in range(shards):
        part = table.slice(shard * PARQUET_ROWS_PER_SHARD, PARQUET_ROWS_PER_SHARD)
        pq.write_table(part, directory / f"{split}-{shard:05d}-of-{shards:05d}.parquet")


def _table_digest(table) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table.combine_chunks() if table.num_rows else table)
    return hashlib.sha256(sink.getvalue().to_pybytes()).digest()


def _label_distributions(parts: dict, features) -> dict[str, dict[str, int]]:
    import datasets

    distributions = {}
    for column in ("claim_type", "label"):
        if column in features and isinstance(features[column], datasets.ClassLabel):
            names = features[column].names
            for split, dataset in parts.items():
                counts = Counter(v for v in dataset.data.column(column).to_pylist() if v is not None)
                distributions[split] = {names[i]: counts.get(i, 0) for i in range(len(names))}
    return distributions


def _swap_into_place(staging: Path, out: Path) -> None:
    """Replace ``out`` with the freshly written ``staging`` directory; the previous build is kept
    as ``<out>.previous`` until the next build."""
    previous = out.with_name(out.name + ".previous")
    if out.exists():
        if previous.exists():
            shutil.rmtree(previous)
        out.rename(previous)
    staging.rename(out)
