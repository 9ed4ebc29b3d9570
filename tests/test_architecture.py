"""The house rules the code must keep: imports run one way, cli -> eval -> annotate -> corpus -> schemas."""

from __future__ import annotations

import ast

from conftest import REPO

SOURCE = REPO / "src" / "tagline"
LAYERS = {"schemas": 0, "corpus": 1, "annotate": 2, "eval": 3, "cli": 4}
SHARED = {"tagline", "tagline.errors", "tagline.wording", "tagline._exports", "tagline.interrupts", "tagline.pages"}  # usable from every layer


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("tagline.") \
                and ":" in node.value:  # lazy "module:attribute" targets count as imports too
            yield node.lineno, node.value.split(":")[0]


def test_imports_run_one_way():
    wrong = []
    for path in sorted(SOURCE.rglob("*.py")):
        module = ".".join(path.relative_to(SOURCE.parent).with_suffix("").parts).removesuffix(".__init__")
        here = _layer(module)
        if here is None:
            continue
        for line, imported in _imports(path):
            if not imported.startswith("tagline") or imported in SHARED:
                continue
            there = _layer(imported)
            if there is None:
                if module in ("tagline", "tagline.corpus", "tagline.annotate", "tagline.eval"):
                    continue
                wrong.append(f"{path.relative_to(REPO)}:{line}: {module} imports {imported}, outside the layers")
            elif LAYERS[there] > LAYERS[here]:
                wrong.append(f"{path.relative_to(REPO)}:{line}: {module} ({here}) imports {imported} ({there})")
    assert wrong == []


def test_the_task_names_are_one_list():
    from typing import get_args

    from tagline.corpus.config import TASKS as CONFIG_TASKS
    from tagline.schemas import LABEL_TASKS, TASKS
    from tagline.schemas.records import Task

    assert get_args(Task) == TASKS == CONFIG_TASKS
    assert set(LABEL_TASKS) < set(TASKS)
    spelled = []
    for path in sorted(SOURCE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for quote in ('"', "'"):
            needle = f"{quote}stance{quote}, {quote}claim_type{quote}, {quote}entities{quote}"
            if needle in text and path.name not in ("__init__.py", "records.py"):  # records: the Literal, checked above
                spelled.append(str(path.relative_to(REPO)))
    assert spelled == [], "use tagline.schemas.TASKS"
