"""What there is to grade: the lessons (from solutions/) and the submissions (DIR/<student>/<NN_topic>.ipynb)."""
from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.notebook_format import INJECTED_TAG, PARAMETERS_TAG, ExerciseCell, exercise_cells, smoke_parameters, tags

ROOT = Path(__file__).resolve().parents[2]
EXPORTER = Path(__file__).with_name("exporter.py")
MAX_NOTEBOOK = 50 << 20


@dataclass(frozen=True)
class Lesson:
    """A lesson the grader knows: its solution notebook, exercises, smoke parameters and public seeds."""

    stem: str
    solution: Path
    specs: tuple[ExerciseCell, ...]
    params: dict
    key: str
    seeds: tuple[int, ...] = ()
    problem: str = ""


def digest(*parts: bytes) -> str:
    """Return a short sha256 of the parts."""
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:20]


def lesson_exercise(lesson: str, name: str) -> Any:
    """Return the registered spec of exercise name, importing only its lesson's module."""
    from helpers.exercises import REGISTRY

    importlib.import_module(f"helpers.ex_{lesson}")
    return REGISTRY[name]


def _lesson_key(root: Path, path: Path) -> str:
    """A digest of everything a lesson's grades depend on (so cached references and results go stale)."""
    module = root / "helpers" / f"ex_{path.stem}.py"
    return digest(path.read_bytes(), module.read_bytes() if module.exists() else b"",
                  *((root / "helpers" / f).read_bytes() for f in ("exercises.py", "compare.py")),
                  EXPORTER.read_bytes())


def read_lesson(root: Path, path: Path) -> Lesson | None:
    """Read one solution notebook (None when it has no exercises); a broken one records its problem."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
        specs, problem = exercise_cells(nb.cells), ""
    except Exception as err:  # a broken solution notebook costs only its own lesson
        nb, specs, problem = None, [], f"the course's solutions/{path.name} cannot be read ({err})"
    if not specs and not problem:
        return None
    seeds: set[int] = set()
    try:
        for spec in specs:
            ex = lesson_exercise(path.stem, spec.name)
            if ex.lesson != path.stem:
                raise KeyError(f"{spec.name} is registered for {ex.lesson}")
            seeds.update(ex.seeds)
    except Exception as err:  # a broken lesson costs only its own submissions
        problem = f"the course's lesson {path.stem} cannot be graded ({type(err).__name__}: {err})"
    params = smoke_parameters(nb.metadata) if nb is not None else {}
    return Lesson(path.stem, path, tuple(specs), params, _lesson_key(root, path), tuple(sorted(seeds)), problem)


def load_lessons(root: Path = ROOT) -> dict[str, Lesson]:
    """Every solution notebook that has exercises, by stem."""
    found = (read_lesson(root, path) for path in sorted((root / "solutions").glob("*.ipynb")))
    return {lesson.stem: lesson for lesson in found if lesson is not None}


def parse_notebook(data: bytes) -> tuple[list[tuple[int, str]], str]:
    """Return (cell index, source) of the code cells of a notebook file, or ([], why it is malformed).

    The parameters cell's source is prefixed with NUL; papermill's injected parameters are dropped.
    """
    import nbformat

    if len(data) > MAX_NOTEBOOK:
        return [], f"the notebook is too large ({len(data)} bytes)"
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4, capture_validation_error={})
        nbformat.validate(nb)
        cells = [(i, c.source, tags(c)) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    except Exception as err:  # not UTF-8, not JSON, not a notebook, wrong nbformat, invalid cells
        return [], f"the notebook is malformed: {type(err).__name__}: {' '.join(str(err).split())[:200]}"
    return [(i, "\0" + src if PARAMETERS_TAG in tag else src) for i, src, tag in cells
            if INJECTED_TAG not in tag], ""


def find_submissions(folder: Path, out: Path) -> tuple[list[tuple[str, Path]], list[str]]:
    """List (student, notebook path) pairs under folder, and complaints about files in the wrong place."""
    subs, complaints = [], []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.resolve() == out.resolve():
            continue
        if entry.is_file():
            complaints.append(f"ignored {entry}: expected {folder}/<student>/<NN_topic>.ipynb")
            continue
        for nb in sorted(entry.iterdir()):
            if nb.name.startswith("."):
                continue
            if nb.is_file() and nb.suffix == ".ipynb":
                subs.append((entry.name, nb))
            else:
                complaints.append(f"ignored {nb}: expected notebooks named <NN_topic>.ipynb directly in {entry}")
    return subs, complaints
