"""The baselines: text classifiers as scikit-learn Pipelines, the per-target stance wrapper, tuning
by cross-validation, and the registry every baseline is listed in.

One module per job: :mod:`.registry` (every baseline: tasks, description, pooling, tuning grid,
factory; standard library only), :mod:`.text` (TF-IDF features and the text baselines' factories),
:mod:`.tuning` (the cross-validated tuner) and :mod:`.stance` (one model per target, or pooled).
The entity baselines are in :mod:`tagline.eval.entities`. Nothing here imports scikit-learn until a
model is made.
"""

from tagline.eval.baselines.registry import (
    BASELINE_SPECS,
    BY_NAME,
    ENTITY_BASELINES,
    POOLED,
    TEXT_BASELINES,
    TUNING_GRIDS,
    BaselineSpec,
)
from tagline.eval.baselines.stance import POOLED_KEY, PerTargetClassifier, target_token
from tagline.eval.baselines.text import BASELINE_NAMES, BASELINES, make_text_baseline, text_features
from tagline.eval.baselines.tuning import CrossValidatedClassifier, best_setting, make_tuned_baseline, tuning_metric

__all__ = ["BASELINES", "BASELINE_NAMES", "BASELINE_SPECS", "BY_NAME", "ENTITY_BASELINES", "POOLED", "POOLED_KEY",
           "TEXT_BASELINES", "TUNING_GRIDS", "BaselineSpec", "CrossValidatedClassifier", "PerTargetClassifier",
           "best_setting", "make_text_baseline", "make_tuned_baseline", "target_token", "text_features",
           "tuning_metric"]
