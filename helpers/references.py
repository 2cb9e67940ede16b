"""Where a check's expected answers come from, without a second copy of any answer: in the repository the
exercise's function compiled at run time from its cell in solutions/NN_topic.ipynb; in the class hand-out (no
solutions/) expected outputs stored as plain data in helpers/expected/NN_topic.pt when it was built."""
from __future__ import annotations

import ast
import functools
import os
from pathlib import Path
from typing import Any, Callable

from helpers.notebook_format import cell_source, exercise_cells, read_cells

SOLUTIONS_ENV = "COURSE_SOLUTIONS_DIR"
EXPECTED_DIR = Path(__file__).resolve().parent / "expected"
NUMPY_TAG = "__course_numpy__"


def solutions_dir() -> Path | None:
    """The folder of solution notebooks ($COURSE_SOLUTIONS_DIR, else solutions/ beside helpers/), if present."""
    env = os.environ.get(SOLUTIONS_ENV)
    path = Path(env) if env else Path(__file__).resolve().parent.parent / "solutions"
    return path if path.is_dir() else None


def _imports(cells: list[dict]) -> list[ast.stmt]:
    """The top-level import statements of the given code cells (cells that are not plain Python are skipped)."""
    found: list[ast.stmt] = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        try:
            body = ast.parse(cell_source(cell)).body
        except SyntaxError:  # IPython magics or shell lines
            continue
        found += [node for node in body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return found


def reference_source(lesson: str, name: str) -> str | None:
    """The Python source of exercise `name`'s solution with the imports it needs; None without solutions/."""
    folder = solutions_dir()
    path = folder / f"{lesson}.ipynb" if folder else None
    if path is None or not path.is_file():
        return None
    cells = read_cells(path)
    cell = next((c for c in exercise_cells(cells) if c.name == name), None)
    if cell is None:
        return None
    body = ast.parse(cell.source).body[:-1]  # everything but the closing check(...) line
    return ast.unparse(ast.Module(body=_imports(cells[:cell.index]) + body, type_ignores=[]))


@functools.lru_cache(maxsize=None)
def reference(lesson: str, name: str) -> Callable[..., Any] | None:
    """Compile exercise `name` from solutions/<lesson>.ipynb (with the notebook's imports); None without it."""
    source = reference_source(lesson, name)
    if source is None:
        return None
    namespace: dict[str, Any] = {"__name__": f"solutions_{lesson}"}
    exec(compile(source, f"solutions/{lesson}.ipynb ({name})", "exec"), namespace)  # noqa: S102 - the course's own
    return namespace[name]


def unpack(value: Any) -> Any:
    """Undo course.plain.pack: tagged tensors become NumPy arrays again (everything else unchanged)."""
    if type(value) is dict:
        if set(value) == {NUMPY_TAG}:
            return value[NUMPY_TAG].numpy()
        return {k: unpack(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(unpack(v) for v in value)
    return value


@functools.lru_cache(maxsize=None)
def stored_expected(lesson: str) -> dict[str, dict[int, Any]]:
    """The expected outputs stored for a lesson's public inputs ({name: {seed: value}}); {} when none are."""
    import torch

    path = EXPECTED_DIR / f"{lesson}.pt"
    if not path.is_file():
        return {}
    return unpack(torch.load(path, map_location="cpu", weights_only=True))
