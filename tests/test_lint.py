"""The checks that keep the house in order: ruff and mypy find nothing, no module is over 500 lines,
no function over 80. Run here so that the README's test command (and CI) runs them too."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

import pytest

from conftest import REPO

SOURCE = REPO / "src" / "tagline"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(REPO / ".venv" / "bin")) or shutil.which(name) or \
        shutil.which(name, path=str(sys.prefix) + "/bin")
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]' installs it")
    return path


def test_ruff_finds_nothing():
    done = subprocess.run([_tool("ruff"), "check", "src", "tests", "benchmarks", "--output-format", "concise"],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_mypy_finds_nothing():
    done = subprocess.run([_tool("mypy")], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_module_over_500_lines_and_no_function_over_80():
    too_long = []
    for path in sorted(SOURCE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{path.relative_to(REPO)}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.name} is {length} lines")
    assert too_long == []
