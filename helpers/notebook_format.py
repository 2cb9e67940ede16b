"""The course's notebook format, defined once (markers, exercise and check lines, tags, metadata keys): the
runtime's reference loader, generation, execution, release and the grader all import it."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
MD_BEGIN, MD_END = "<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"
EXERCISE_LINE = re.compile(r"^#\s*(?:Exercise|Quiz)\s+([\w.]+)\s*\((\d+)\s+points?\)")
CHECK_LINE = re.compile(r'^check\("(\w+)",\s*(\w+)\)\s*$')
PARAMETERS_TAG, INJECTED_TAG = "parameters", "injected-parameters"
RAISES_TAG = "raises-exception"
QUIZ_PREFIX = "quiz_"  # quiz questions are variables, not functions: quiz_NN_k = answer
STUB = "replace this line with your code"  # in the NotImplementedError of every exercise stub
META_KEY, SMOKE_KEY = "course", "smoke_parameters"


@dataclass(frozen=True)
class ExerciseCell:
    """One exercise as a notebook declares it: '# Exercise N.k (P points): ...' first, check("name", name) last."""

    index: int
    label: str
    points: int
    name: str
    source: str


def cell_source(cell: Any) -> str:
    """A cell's source as one string (nbformat nodes and raw JSON alike)."""
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def exercise_cells(cells: list[Any]) -> list[ExerciseCell]:
    """List the exercise cells; raise ValueError for an exercise cell without its closing check line."""
    found = []
    for index, cell in enumerate(cells):
        lines = cell_source(cell).strip().splitlines() if cell["cell_type"] == "code" else []
        if not lines or not (head := EXERCISE_LINE.match(lines[0])):
            continue
        tail = CHECK_LINE.match(lines[-1].strip())
        if not tail or tail.group(1) != tail.group(2):
            raise ValueError(f"exercise {head.group(1)} (cell {index}) must end with check(\"<name>\", <name>)")
        found.append(ExerciseCell(index, head.group(1), int(head.group(2)), tail.group(1), cell_source(cell)))
    return found


def read_cells(path: Path) -> list[dict]:
    """The cells of a notebook file as plain JSON (no nbformat needed, so the runtime can use it)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))["cells"]


def tags(cell: Any) -> list[str]:
    """A cell's tags."""
    return list(cell.get("metadata", {}).get("tags", []))


def smoke_parameters(metadata: dict) -> dict:
    """The quick parameter values a notebook declares for the tests."""
    return dict(metadata.get(META_KEY, {}).get(SMOKE_KEY, {}))
