"""Public benchmarks end to end: ``tagline bench NAME`` imports a benchmark with its official split
into a fresh workspace, builds it, runs the baselines and prints the official measure beside the
published figures.

One module per job: :mod:`.registry` (every benchmark: its files, import format, task, measure,
baselines and published figures; standard library only), :mod:`.data` (finding the datasets folder
and which benchmarks it holds), :mod:`.runner` (``run_benchmark``) and :mod:`.table` (the README's
table of benchmarks, from the registry and the figures measured). Names are imported from their
modules when first used, so ``tagline bench --help`` reads the registry alone.
"""

from __future__ import annotations

from tagline._exports import lazy_exports

_MODULES = {
    "registry": ("BENCHMARKS", "BENCHMARK_NAMES", "BenchmarkSpec", "Published"),
    "data": ("benchmark_status", "find_data_dir"),
    "runner": ("BenchResult", "run_benchmark"),
}
_EXPORTS = {name: f"{__name__}.{module}:{name}" for module, names in _MODULES.items() for name in names}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
