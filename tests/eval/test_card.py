"""The dataset card's YAML header, read by the libraries that read it on the Hub: huggingface_hub parses
all of it, without a warning, and datasets gets each config's features and splits, with the rows and
Arrow bytes of the dataset as it was saved; the licence follows the Hub's card spec."""

from __future__ import annotations

import contextlib
import logging
import re
import warnings

import pytest
import yaml

from tagline.cli import main
from tagline.corpus.config import HUB_LICENSES

# The top-level keys of the Hub's dataset card metadata (hub-docs datasetcard.md).
HUB_CARD_KEYS = {
    "language", "license", "license_name", "license_link", "license_details", "tags", "annotations_creators",
    "language_creators", "language_details", "pretty_name", "size_categories", "source_datasets", "task_categories",
    "task_ids", "paperswithcode_id", "configs", "dataset_info", "extra_gated_fields", "extra_gated_prompt",
    "train-eval-index",
}


@contextlib.contextmanager
def library_messages():
    """Every warning, and every log record of datasets and huggingface_hub at any level, made inside."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(f"{record.name} {record.levelname}: {record.getMessage()}")

    handler = Collect(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in ("datasets", "huggingface_hub")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield messages
        messages += [f"warning {w.category.__name__}: {w.message}" for w in caught]
    finally:
        for logger, level in zip(loggers, levels):
            logger.removeHandler(handler)
            logger.setLevel(level)


def _build(runner, workspace):
    result = runner.invoke(main, ["eval", "build"])
    assert result.exit_code == 0, result.output
    return workspace.build_dir / "dataset"


def _header(readme) -> dict:
    match = re.match(r"---\n(.*?)\n---\n", readme.read_text(encoding="utf-8"), re.S)
    assert match, "the card starts with a YAML block between --- lines"
    return yaml.safe_load(match.group(1))


def _set_dataset_table(workspace, lines: str) -> None:
    path = workspace.config_path
    path.write_text(path.read_text(encoding="utf-8") + f"\n[dataset]\n{lines}\n", encoding="utf-8")


def test_huggingface_hub_reads_the_whole_header_without_a_warning(runner, sample_workspace):
    from huggingface_hub import DatasetCard, DatasetCardData, metadata_load

    out = _build(runner, sample_workspace)
    header = _header(out / "README.md")
    with library_messages() as messages:
        card = DatasetCard.load(out / "README.md")
        loaded = metadata_load(out / "README.md")
        again = DatasetCardData(**card.data.to_dict())
    assert messages == []
    assert isinstance(card.data, DatasetCardData)
    assert card.data.to_dict() == loaded == header == again.to_dict()  # nothing dropped, renamed or added
    assert set(header) <= HUB_CARD_KEYS, set(header) - HUB_CARD_KEYS
    assert card.data.language == ["ja"] and card.data.size_categories == ["n<1K"]
    # The sample's article states no licence, nor does the workspace's tagline.toml: the Hub's `unknown`.
    assert header["license"] == "unknown" and "license_name" not in header
    assert header["license"] in HUB_LICENSES
    assert [config["config_name"] for config in header["configs"]] == ["sentences", "stance"]


@pytest.mark.parametrize("lines, expected", [
    ('license = "CC-BY-4.0"', {"license": "cc-by-4.0"}),
    ('license = "other"\nlicense_name = "news-terms-1.0"\nlicense_link = "https://example.org/news-terms"',
     {"license": "other", "license_name": "news-terms-1.0", "license_link": "https://example.org/news-terms"}),
])
def test_the_licence_of_tagline_toml_goes_to_the_card_as_the_hub_spec_asks(runner, sample_workspace, lines, expected):
    from huggingface_hub import DatasetCard

    _set_dataset_table(sample_workspace, lines)
    out = _build(runner, sample_workspace)
    header = _header(out / "README.md")
    assert {key: header[key] for key in header if key.startswith("license")} == expected
    assert header["license"] in HUB_LICENSES
    with library_messages() as messages:
        card = DatasetCard.load(out / "README.md")
    assert messages == [] and card.data.to_dict() == header
    prose = (out / "README.md").read_text(encoding="utf-8").split("## License\n\n", 1)[1].split("\n", 1)[0]
    assert prose == ("`cc-by-4.0`." if expected["license"] != "other"
                     else "`news-terms-1.0` (`other`); its terms: https://example.org/news-terms.")


def test_datasets_reads_every_split_with_the_rows_and_bytes_of_the_saved_dataset(runner, sample_workspace):
    import datasets
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCard, DatasetCardData

    out = _build(runner, sample_workspace)
    card = DatasetCard.load(out / "README.md")
    with library_messages() as messages:
        infos = DatasetInfosDict.from_dataset_card_data(card.data)
    assert messages == []  # no "Ignoring part of dataset_info from the dataset card"
    assert set(infos) == {"sentences", "stance"}
    real = {}
    for name, info in infos.items():
        saved = datasets.load_from_disk(str(out / name))
        assert {split: (s.num_examples, s.num_bytes) for split, s in info.splits.items()} == \
            {split: (dataset.num_rows, dataset.data.nbytes) for split, dataset in saved.items()}
        assert all(s.num_bytes > 0 for s in info.splits.values())
        assert info.dataset_size == sum(dataset.data.nbytes for dataset in saved.values())
        assert info.download_size == sum(path.stat().st_size for path in (out / "data" / name).glob("*.parquet"))
        assert info.features == saved["train"].features
        real[name] = datasets.DatasetInfo(
            features=saved["train"].features, dataset_size=info.dataset_size, download_size=info.download_size,
            splits=datasets.SplitDict({split: datasets.SplitInfo(split, dataset.data.nbytes, dataset.num_rows)
                                       for split, dataset in saved.items()}))
    # The header holds what datasets itself writes for these configs (as push_to_hub writes it).
    written = DatasetCardData()
    DatasetInfosDict(real).to_dataset_card_data(written)
    assert written["dataset_info"] == card.data["dataset_info"]


def test_load_dataset_on_the_build_checks_the_cards_splits_and_finds_the_same_bytes(runner, sample_workspace,
                                                                                  tmp_path):
    import datasets

    out = _build(runner, sample_workspace)
    expected = _header(out / "README.md")["dataset_info"]
    for config in expected:
        with library_messages() as messages:
            loaded = datasets.load_dataset(str(out), config["config_name"], cache_dir=str(tmp_path / "hf-cache"))
        assert not [message for message in messages if " WARNING" in message or " ERROR" in message
                    or message.startswith("warning")], messages
        # The card's splits are what load_dataset checks the Parquet shards against (verify_splits).
        assert {split["name"]: (split["num_examples"], split["num_bytes"]) for split in config["splits"]} == \
            {split: (dataset.num_rows, dataset.data.nbytes) for split, dataset in loaded.items()}
