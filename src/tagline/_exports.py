"""Lazy re-exports: a package names its public functions without importing their modules until used.

``import tagline`` must stay as cheap as ``--help`` (``tests/cli/test_startup.py``); a public function
is imported from its module the first time it is looked up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose public names map to ``"module:attribute"``."""

    def __getattr__(name: str) -> object:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, attribute = target.split(":")
        value = getattr(importlib.import_module(module_name), attribute)
        globals_of_package = importlib.import_module(package).__dict__
        globals_of_package[name] = value  # looked up once
        return value

    def __dir__() -> list[str]:
        return sorted({*exports, *importlib.import_module(package).__dict__})

    return __getattr__, __dir__
