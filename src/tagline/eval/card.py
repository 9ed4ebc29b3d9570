"""The dataset card (README.md) in the Hugging Face Hub format: YAML header, then prose and tables."""

from __future__ import annotations

from tagline.corpus.workspace import Workspace

_LANGUAGE_NAMES = {"ja": "Japanese", "en": "English"}


def _yaml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _feature_yaml(name: str, feature, indent: str) -> list[str]:
    import datasets

    if isinstance(feature, datasets.ClassLabel):
        lines = [f"{indent}- name: {name}", f"{indent}  dtype:", f"{indent}    class_label:", f"{indent}      names:"]
        lines += [f"{indent}        '{i}': {_yaml_string(label)}" for i, label in enumerate(feature.names)]
        return lines
    if isinstance(feature, datasets.Value):
        return [f"{indent}- name: {name}", f"{indent}  dtype: {feature.dtype}"]
    if isinstance(feature, datasets.List):
        inner = feature.feature
        if isinstance(inner, dict):
            lines = [f"{indent}- name: {name}", f"{indent}  list:"]
            for key, sub in inner.items():
                lines += _feature_yaml(key, sub, indent + "  ")
            return lines
        if isinstance(inner, datasets.ClassLabel):
            lines = [f"{indent}- name: {name}", f"{indent}  sequence:", f"{indent}    class_label:",
                     f"{indent}      names:"]
            lines += [f"{indent}        '{i}': {_yaml_string(label)}" for i, label in enumerate(inner.names)]
            return lines
        return [f"{indent}- name: {name}", f"{indent}  sequence: {inner.dtype}"]
    return [f"{indent}- name: {name}", f"{indent}  dtype: string"]


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def dataset_card(workspace: Workspace, report, configs: dict, settings: dict, gold,
                 agreement: dict | None = None, *, exclude_annotators: list[str] | None = None) -> str:
    """Render the card for a build (``report``: the BuildReport; ``configs``: name -> (table, features,
    splits), of which only the table's ``lang`` column is read; ``gold``: the current gold Arrow table,
    of which only ``provenance`` is read; ``agreement``: the :func:`~tagline.annotate.agree.agreement_report`
    when there are two annotators or more; ``exclude_annotators``: left out of the annotators counted)."""
    import pyarrow.compute as pc

    languages = sorted({lang for table, _, _ in configs.values() for lang in pc.unique(table["lang"]).to_pylist()})
    lines = _yaml_header(workspace, report, configs, settings, languages)
    lines += ["---", "", f"# {workspace.root.name}", ""]
    lines += [f"Sentences annotated with tagline for {', '.join(settings['tasks'])}, "
              f"in {', '.join(_LANGUAGE_NAMES.get(code, code) for code in languages)}. Dataset fingerprint "
              f"`{report.fingerprint}`.", ""]
    lines += _structure_section(workspace, report, configs, settings)
    lines += ["## Splits", "", f"{report.split_method}. Ratios {settings['ratios']}, seed {settings['seed']}. "
              "The split of every sentence is in `splits.jsonl`; stance rows follow their sentence's split, so "
              "no sentence is in two splits.", ""]
    for warning in report.warnings:
        lines.append(f"- {warning}")
    if report.warnings:
        lines.append("")
    lines += _annotation_section(workspace, gold, exclude_annotators)
    if agreement is not None:
        lines += _agreement_section(agreement)
    lines += ["## Limitations", "",
              "- Labels reflect the annotators and guidelines named above; stance is toward the configured "
              "targets only.",
              "- Classes can be very unbalanced (see the distributions); report macro-averaged scores.",
              "- Where documents are few, splits are made by sentence, so neighbouring sentences of one document "
              "can fall in different splits.", "",
              "## Citation", "", "Cite the source documents and the annotators' work; this card was written by "
              "tagline.", ""]
    return "\n".join(lines)


def _yaml_header(workspace: Workspace, report, configs: dict, settings: dict, languages: list[str]) -> list[str]:
    """The Hub's YAML metadata: languages, license, task and size categories, configs, features, splits."""
    total = sum(report.configs["sentences"].values())
    size = "n<1K" if total < 1000 else "1K<n<10K" if total < 10_000 else "10K<n<100K" if total < 100_000 \
        else "100K<n<1M" if total < 1_000_000 else "1M<n<10M"
    task_categories = ["text-classification"] + (["token-classification"] if "entities" in settings["tasks"] else [])
    lines = ["---", "language:"] + [f"- {lang}" for lang in languages] + [
        "license: other", "task_categories:"] + [f"- {c}" for c in task_categories] + [
        f"size_categories:\n- {size}", "pretty_name: " + _yaml_string(f"{workspace.root.name} (tagline)"),
        "configs:"]
    for name in configs:
        lines += [f"- config_name: {name}", "  data_files:"]
        for split in report.configs[name]:
            lines += [f"  - split: {split}", f"    path: data/{name}/{split}-*.parquet"]
    lines.append("dataset_info:")
    for name, (_, features, _) in configs.items():
        lines += [f"- config_name: {name}", "  features:"]
        for column, feature in features.items():
            lines += _feature_yaml(column, feature, "  ")
        lines.append("  splits:")
        for split, count in report.configs[name].items():
            lines += [f"  - name: {split}", f"    num_examples: {count}"]
    return lines


def _structure_section(workspace: Workspace, report, configs: dict, settings: dict) -> list[str]:
    """Rows and label distributions per config and split, and what the columns hold."""
    lines = ["## Dataset structure", ""]
    for name, counts in report.configs.items():
        lines += [f"### Config `{name}`", ""]
        lines += _table(["split", "rows"], [[split, count] for split, count in counts.items()]) + [""]
        distribution = report.label_distributions.get(name)
        if distribution:
            labels = list(next(iter(distribution.values())).keys())
            lines += ["Label distribution per split:", ""]
            lines += _table(["split"] + labels, [[split] + [counts[label] for label in labels]
                                                  for split, counts in distribution.items()]) + [""]
    if "stance" in configs:
        lines += ["Stance follows the SemEval-2016 Task 6 layout: one row per sentence and target "
                  f"(targets: {', '.join(workspace.config.targets)}), label FAVOR / AGAINST / NONE.", ""]
    if "entities" in settings["tasks"]:
        lines += ["`entities` holds character spans relative to `text` (`text[start:end]` is the span's text). "
                  "`tokens` come from MeCab (fugashi + unidic-lite) for Japanese and a Unicode word pattern for "
                  "English; `ner_tags` are BIO tags over those tokens.", ""]
        alignment = report.entity_alignment
        if alignment:
            misaligned = sum(alignment.get("misaligned", {}).values())
            nested = sum(alignment.get("nested_not_in_bio", {}).values())
            lines += [f"Entity spans whose edges fall inside a token: {misaligned} (tagged on the tokens they "
                      f"overlap); spans overlapping another span, left out of `ner_tags`: {nested}. Both are "
                      "kept unchanged in `entities`.", ""]
    return lines


def _annotation_section(workspace: Workspace, gold, exclude_annotators: list[str] | None) -> list[str]:
    """Who annotated (the people whose answers vote), and how many gold records were reached each way."""
    import pyarrow.compute as pc

    from tagline.annotate.answers import describe_left_out, left_out, select_annotators

    lines = ["## Annotation process", ""]
    counted = pc.value_counts(pc.struct_field(gold["provenance"], "method"))
    # Counter.most_common's order: most records first, ties in order of first appearance.
    methods = sorted(zip(pc.struct_field(counted, "values").to_pylist(),
                         pc.struct_field(counted, "counts").to_pylist()), key=lambda item: item[1], reverse=True)
    annotators = select_annotators(workspace, None, exclude=exclude_annotators)
    not_counted = describe_left_out(left_out(workspace, annotators, exclude_annotators))
    lines += [f"Annotators: {len(annotators)} ({', '.join(annotators) or 'none; gold was imported'}), following "
              "the project's annotation guidelines (docs/guidelines.md in tagline)."
              + (f" Not counted: {not_counted}." if not_counted else "") + " Gold records by how they were reached:",
              ""]
    lines += _table(["provenance", "records"], [[m, c] for m, c in methods]) + [""]
    from tagline.annotate.provenance import machine_agreement, provenance_markdown, suggestion_use

    lines += provenance_markdown(suggestion_use(workspace, annotators),
                                 machine_agreement(workspace, exclude_annotators=exclude_annotators))
    return lines


def _agreement_section(report: dict) -> list[str]:
    rows = []
    for name, question in report["questions"].items():
        if question.get("task") == "entities":
            f1s = [pair["exact"]["f1"] for pair in question.get("pairwise", []) if pair["exact"]["f1"] is not None]
            rows.append([name, "mean pairwise exact span F1",
                         f"{sum(f1s) / len(f1s):.3f}" if f1s else "–"])
            alpha = question["krippendorff_alpha"]["value"]
            rows.append([name, "Krippendorff's alpha (tokens)", "–" if alpha is None else f"{alpha:.3f}"])
        else:
            for key, title in (("fleiss_kappa", "Fleiss' kappa"), ("krippendorff_alpha", "Krippendorff's alpha")):
                value = question[key]["value"]
                rows.append([name, title, "–" if value is None else f"{value:.3f}"])
    return ["## Agreement", ""] + _table(["question", "coefficient", "value"], rows) + [""]
