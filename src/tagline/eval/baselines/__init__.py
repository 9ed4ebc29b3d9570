"""The baselines: text classifiers as scikit-learn Pipelines, the per-target stance wrapper, tuning
by cross-validation, and the registry every baseline is listed in.

One module per job: :mod:`.registry` (every baseline: tasks, description, pooling, tuning grid,
factory; standard library only), :mod:`.text` (TF-IDF features and the text baselines' factories),
:mod:`.tuning` (the cross-validated tuner), :mod:`.stance` (one model per target, or pooled) and
:mod:`.scores` (a fitted model's scores for one label, to rank texts by).
The entity baselines are in :mod:`tagline.eval.entities`. Nothing here imports scikit-learn until a
model is made, and the names below are imported from their modules when first used, so that
``eval run --help`` reads the registry without loading the models' modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagline._exports import lazy_exports

_MODULES = {
    "registry": ("BASELINE_SPECS", "BY_NAME", "ENTITY_BASELINES", "POOLED", "TEXT_BASELINES", "TUNING_GRIDS",
                 "BaselineSpec"),
    "scores": ("positive_scores",),
    "stance": ("POOLED_KEY", "PerTargetClassifier", "target_token"),
    "text": ("BASELINE_NAMES", "BASELINES", "make_text_baseline", "text_features"),
    "tuning": ("CrossValidatedClassifier", "best_setting", "make_tuned_baseline", "tuning_metric"),
}
_EXPORTS = {name: f"{__name__}.{module}:{name}" for module, names in _MODULES.items() for name in names}
__all__ = ["BASELINES", "BASELINE_NAMES", "BASELINE_SPECS", "BY_NAME", "ENTITY_BASELINES", "POOLED", "POOLED_KEY",
           "TEXT_BASELINES", "TUNING_GRIDS", "BaselineSpec", "CrossValidatedClassifier", "PerTargetClassifier",
           "best_setting", "make_text_baseline", "make_tuned_baseline", "positive_scores", "target_token",
           "text_features", "tuning_metric"]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what type checkers and editors see
    from tagline.eval.baselines.registry import (
        BASELINE_SPECS,
        BY_NAME,
        ENTITY_BASELINES,
        POOLED,
        TEXT_BASELINES,
        TUNING_GRIDS,
        BaselineSpec,
    )
    from tagline.eval.baselines.scores import positive_scores
    from tagline.eval.baselines.stance import POOLED_KEY, PerTargetClassifier, target_token
    from tagline.eval.baselines.text import BASELINE_NAMES, BASELINES, make_text_baseline, text_features
    from tagline.eval.baselines.tuning import (
        CrossValidatedClassifier,
        best_setting,
        make_tuned_baseline,
        tuning_metric,
    )
