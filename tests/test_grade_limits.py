"""Size limits of the tooling: no module over 300 lines, no function over 50 (course/grade for now)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 300, 50
CHECKED = sorted((ROOT / "course" / "grade").rglob("*.py"))


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function and method in a module, nested ones included."""
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_and_function_sizes(path):
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{path.name}: {len(text.splitlines())} lines"
    long = {f"{f.name} (line {f.lineno})": f.end_lineno - min([f.lineno] + [d.lineno for d in f.decorator_list]) + 1
            for f in _functions(ast.parse(text))}
    assert not {k: v for k, v in long.items() if v > MAX_FUNCTION_LINES}, f"{path.name}: functions over 50 lines"


def test_the_limits_see_the_grader():
    assert len(CHECKED) >= 8 and not (ROOT / "course" / "grade" / "legacy_grade.py").exists()
