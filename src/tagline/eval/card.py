"""The dataset card (README.md) in the Hugging Face Hub format: YAML header, then prose and tables."""

from __future__ import annotations

from tagline.corpus.workspace import Workspace

_LANGUAGE_NAMES = {"ja": "Japanese", "en": "English"}


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def dataset_card(workspace: Workspace, report, configs: dict, settings: dict, gold,
                 agreement: dict | None = None, *, exclude_annotators: list[str] | None = None) -> str:
    """Render the card for a build (``report``: the BuildReport; ``configs``: name -> (table, info), of
    which the table's ``lang`` column is read, and the ``datasets.DatasetInfo`` of the config as saved,
    with its features and its splits' rows and bytes; ``gold``: the current gold Arrow table,
    of which only ``provenance`` is read; ``agreement``: the :func:`~tagline.annotate.agree.agreement_report`
    when there are two annotators or more; ``exclude_annotators``: left out of the annotators counted)."""
    import pyarrow.compute as pc

    languages = sorted({lang for table, _ in configs.values() for lang in pc.unique(table["lang"]).to_pylist()})
    lines = _yaml_header(workspace, report, configs, settings, languages)
    lines += ["---", "", f"# {workspace.root.name}", ""]
    lines += [f"Sentences annotated with tagline for {', '.join(settings['tasks'])}, "
              f"in {', '.join(_LANGUAGE_NAMES.get(code, code) for code in languages)}. Dataset fingerprint "
              f"`{report.fingerprint}`.", ""]
    lines += _structure_section(workspace, report, configs, settings)
    stance = "stance" in settings["tasks"]  # a workspace without stance targets builds no stance
    lines += ["## Splits", "", f"{report.split_method}. Ratios {settings['ratios']}, seed {settings['seed']}. "
              "The split of every sentence is in `splits.jsonl`"
              + ("; stance rows follow their sentence's split, so no sentence is in two splits." if stance else "."),
              ""]
    for warning in report.warnings:
        lines.append(f"- {warning}")
    if report.warnings:
        lines.append("")
    lines += _annotation_section(workspace, gold, exclude_annotators, agreement)
    if agreement is not None:
        lines += _agreement_section(agreement)
    lines += ["## Limitations", "",
              "- Labels reflect the annotators and guidelines named above"
              + ("; stance is toward the configured targets only." if stance else "."),
              "- Classes can be very unbalanced (see the distributions); report macro-averaged scores.",
              "- Where documents are few, splits are made by sentence, so neighbouring sentences of one document "
              "can fall in different splits.", ""]
    lines += _license_section(workspace)
    lines += ["## Citation", "", "Cite the source documents and the annotators' work; this card was written by "
              "tagline.", ""]
    return "\n".join(lines)


def _yaml_header(workspace: Workspace, report, configs: dict, settings: dict, languages: list[str]) -> list[str]:
    """The Hub's YAML metadata (languages, licence, task and size categories, configs, and each
    config's features and splits), put together and written by huggingface_hub and datasets as
    ``push_to_hub`` does, so that both read it back whole."""
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    total = sum(report.configs["sentences"].values())
    size = "n<1K" if total < 1000 else "1K<n<10K" if total < 10_000 else "10K<n<100K" if total < 100_000 \
        else "100K<n<1M" if total < 1_000_000 else "1M<n<10M"
    task_categories = ["text-classification"] + (["token-classification"] if "entities" in settings["tasks"] else [])
    licence = workspace.config.dataset_license
    card_data = DatasetCardData(language=languages, license=licence["license"], task_categories=task_categories,
                                size_categories=[size], pretty_name=f"{workspace.root.name} (tagline)")
    for key in ("license_name", "license_link"):  # the Hub's fields for `license: other`
        if key in licence:
            card_data[key] = licence[key]
    MetadataConfigs({name: {"data_files": [{"split": split, "path": f"data/{name}/{split}-*.parquet"}
                                           for split in report.configs[name]]}
                     for name in configs}).to_dataset_card_data(card_data)
    DatasetInfosDict({name: info for name, (_, info) in configs.items()}).to_dataset_card_data(card_data)
    return ["---", card_data.to_yaml()]


def _license_section(workspace: Workspace) -> list[str]:
    """The licence the header names, said in words (``[dataset]`` in tagline.toml)."""
    fields = workspace.config.dataset_license
    if fields["license"] == "unknown":
        text = ("Not stated (`unknown`): the workspace's `tagline.toml` names no licence. Set `license` under "
                "`[dataset]` before sharing the dataset.")
    elif fields["license"] == "other":
        text = f"`{fields['license_name']}` (`other`); its terms: {fields['license_link']}."
    else:
        text = f"`{fields['license']}`."
    return ["## License", "", text, ""]


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


def _annotation_section(workspace: Workspace, gold, exclude_annotators: list[str] | None,
                        agreement: dict | None) -> list[str]:
    """Who annotated (the people whose answers vote), how many gold records were reached each way, and
    the answers made from suggestions: the agreement report's (``agreement``, which read the answers
    as columns once), else counted from the answers as columns."""
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
    from tagline.annotate.provenance import machine_agreement, provenance_markdown

    if agreement is not None:
        lines += provenance_markdown(agreement["suggestions"], agreement["machines"])
    else:
        from tagline.annotate.column_votes import suggestion_counts
        from tagline.annotate.columns import ColumnAnswers

        lines += provenance_markdown(suggestion_counts(workspace, annotators, ColumnAnswers(workspace)),
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
