"""The house limits on code: a small student runtime, short modules and functions, nothing run at import."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Lines of code (as cloc counts them). The runtime proper (check engine, quiz, loaders, device, seed...) has one
# budget; each lesson's spec module (helpers/ex_NN_topic.py: inputs, calls, hints) has its own, so the runtime
# stays small as lessons are added.
RUNTIME_BUDGET = 900
SPEC_BUDGET = 150
MODULES = sorted((ROOT / "helpers").glob("*.py")) + sorted((ROOT / "course").rglob("*.py"))


def code_lines(path: Path) -> int:
    """Lines of code: not blank, not only a comment, not part of a docstring."""
    source = path.read_text()
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
    return sum(1 for i, line in enumerate(source.splitlines(), 1)
               if line.strip() and not line.strip().startswith("#") and i not in docstrings)


def test_the_runtime_is_small():
    total = sum(code_lines(p) for p in (ROOT / "helpers").glob("*.py") if not p.name.startswith("ex_"))
    assert total <= RUNTIME_BUDGET, f"helpers/ (without ex_*.py) has {total} lines of code (budget {RUNTIME_BUDGET})"
    long = {p.name: n for p in (ROOT / "helpers").glob("ex_*.py") if (n := code_lines(p)) > SPEC_BUDGET}
    assert not long, f"lesson spec modules over {SPEC_BUDGET} lines of code: {long}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_are_short(path):
    lines = len(path.read_text().splitlines())
    assert lines <= 300, f"{path.name} has {lines} lines (at most 300)"
    long = [f"{n.name} ({n.end_lineno - n.lineno + 1} lines)" for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 50]
    assert not long, f"{path.name}: functions over 50 lines: {', '.join(long)}"


def test_runtime_imports_nothing_of_the_tooling_and_runs_nothing_at_import():
    for path in (ROOT / "helpers").glob("*.py"):
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not any(n.split(".")[0] in ("course", "tests", "nbformat", "papermill") for n in names), path.name
        top = [type(n).__name__ for n in tree.body if not isinstance(
            n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign, ast.Expr))]
        calls = [n for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
                 and not (isinstance(n.value.func, ast.Name) and n.value.func.id in ("exercise", "quiz"))]
        assert not top and not calls, f"{path.name} runs code at import: {top or ast.unparse(calls[0])}"


def test_helpers_import_from_any_folder_without_the_repository_on_the_path(tmp_path):
    code = "import helpers.exercises as e, helpers.cifar, helpers.device; print(len(e.load_all()))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and int(proc.stdout.split()[-1]) >= 55, proc.stderr[-2000:]
