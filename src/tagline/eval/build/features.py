"""The declared ``datasets.Features`` of each config, with ClassLabel names in the config's order."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datasets

    from tagline.corpus.config import Config


def claim_labels(config: Config) -> list[str]:
    return config.labels("claim_type") if "claim_type" in config.tasks else []


def entity_labels(config: Config) -> list[str]:
    return config.labels("entities") if "entities" in config.tasks else []


def bio_names(labels: list[str]) -> list[str]:
    """``O``, then ``B-<label>`` and ``I-<label>`` for each entity label: tag ``1 + 2 * code`` begins an
    entity of label ``code`` and ``2 + 2 * code`` continues it."""
    names = ["O"]
    for label in labels:
        names += [f"B-{label}", f"I-{label}"]
    return names


def sentence_features(config: Config, tasks: list[str], tokens: bool) -> datasets.Features:
    """One row per sentence: who says it (``speaker``, the sentence's ``meta.speaker``; null when it has
    none), claim type, entity spans, and tokens with BIO tags, for the tasks built."""
    import datasets

    labels = entity_labels(config)
    return datasets.Features({
        "id": datasets.Value("string"), "doc_id": datasets.Value("string"),
        "text": datasets.Value("string"), "lang": datasets.Value("string"), "speaker": datasets.Value("string"),
        **({"claim_type": datasets.ClassLabel(names=claim_labels(config))} if "claim_type" in tasks else {}),
        **({"entities": datasets.List({"start": datasets.Value("int32"), "end": datasets.Value("int32"),
                                       "label": datasets.ClassLabel(names=labels),
                                       "text": datasets.Value("string")})} if "entities" in tasks else {}),
        **({"tokens": datasets.List(datasets.Value("string")),
            "ner_tags": datasets.List(datasets.ClassLabel(names=bio_names(labels)))}
           if tokens and "entities" in tasks else {}),
    })


def stance_features(config: Config) -> datasets.Features:
    """One row per sentence and target, as SemEval-2016 lays stance out."""
    import datasets

    return datasets.Features({
        "id": datasets.Value("string"), "sentence_id": datasets.Value("string"),
        "doc_id": datasets.Value("string"), "target": datasets.Value("string"),
        "text": datasets.Value("string"), "lang": datasets.Value("string"),
        "label": datasets.ClassLabel(names=config.labels("stance"))})
