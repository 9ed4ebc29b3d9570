"""The public API: the examples of docs/api.md run, and every public name resolves."""

from __future__ import annotations

import doctest
import importlib
import inspect
import sys
import typing
from collections.abc import Iterator

import pytest

from conftest import REPO


def test_the_examples_in_the_api_page_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)
    failures, tried = doctest.testfile(str(REPO / "docs" / "api.md"), module_relative=False,
                                       optionflags=doctest.ELLIPSIS, raise_on_error=False, verbose=False)
    assert tried > 20
    assert failures == 0


@pytest.mark.parametrize("package", ["tagline", "tagline.corpus", "tagline.annotate", "tagline.eval",
                                     "tagline.eval.baselines", "tagline.eval.metrics", "tagline.eval.run"])
def test_every_public_name_resolves_and_is_documented(package):
    module = importlib.import_module(package)
    api_page = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    for name in module.__all__:
        value = getattr(module, name)
        assert value is not None
        if package == "tagline" and not name.endswith("Error"):
            assert name in api_page, f"{name} is exported but docs/api.md does not mention it"
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_importing_the_package_imports_no_heavy_library():
    import subprocess

    code = ("import sys, tagline, tagline.corpus, tagline.annotate, tagline.eval; "
            "print(sorted(m for m in ('datasets', 'sklearn', 'numpy', 'pyarrow', 'jsonschema') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_library_docstring_examples_run():
    from tagline.annotate import scripted
    from tagline.eval.baselines import scores, stance, text
    from tagline.eval.metrics import bootstrap, labels, ranking
    from tagline.eval.run import caveats
    from tagline.schemas import records

    for module in (scripted, records, text, stance, scores, labels, bootstrap, ranking, caveats):
        failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert failures == 0, module.__name__


def _classes_in(annotation: object) -> Iterator[type]:
    """Every class an annotation names, through unions, generics and callables."""
    if isinstance(annotation, type) and not typing.get_args(annotation):
        yield annotation
    origin = typing.get_origin(annotation)
    if isinstance(origin, type):
        yield origin
    for argument in typing.get_args(annotation):
        if isinstance(argument, list):  # Callable[[A, B], R]
            for item in argument:
                yield from _classes_in(item)
        else:
            yield from _classes_in(argument)


def test_every_type_a_root_function_takes_or_returns_is_at_the_root():
    """A script that annotates its own functions (``def report(result: tagline.AdjudicationResult)``)
    finds every tagline type the root's functions take and return at the root, and the annotations
    resolve with the root's names alone. The one exception is ``run_evaluation``'s hook for a
    benchmark's own measures, whose types are those of ``tagline.eval.run``."""
    import tagline
    import tagline.eval.run

    names = {name: getattr(tagline, name) for name in tagline.__all__}
    hook_types = {getattr(tagline.eval.run, name) for name in ("TaskData", "Evaluation")}
    missing = set()
    for name, value in names.items():
        if not inspect.isfunction(value):
            continue
        hints = typing.get_type_hints(value, localns=names)  # a NameError here: a type not exported
        for annotation in hints.values():
            for cls in _classes_in(annotation):
                if (cls.__module__.startswith("tagline") and names.get(cls.__name__) is not cls
                        and cls not in hook_types):
                    missing.add(f"{name}: {cls.__module__}.{cls.__name__}")
    assert not missing, sorted(missing)
