"""Building a Hugging Face DatasetDict from the gold: typed features, leak-free splits, Parquet shards,
a dataset card. Records stay in Arrow end to end; Python loops only where tokens are made.

One module per job: ``reading`` (the gold and sentences in Arrow), ``features`` (the declared
features), ``splits`` (split assignment), ``tokens`` (tokens and BIO tags), ``workers`` (the process
pool that makes tokens at scale), ``tables`` (each config's rows), ``writer`` (the files and the
swap), ``plan`` (the settings, plan and report), and ``builder`` (:func:`build_dataset`, the steps
in order).
"""

from __future__ import annotations

from tagline.eval.build.builder import build_dataset
from tagline.eval.build.plan import BuildReport, source_state
from tagline.eval.build.splits import EVALUATED_SPLITS, SPLIT_NAMES, assign_splits, parse_ratios

__all__ = ["EVALUATED_SPLITS", "SPLIT_NAMES", "BuildReport", "assign_splits", "build_dataset", "parse_ratios",
           "source_state"]
