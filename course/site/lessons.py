"""The reading version of each lesson: the student copy with the executed outputs of its solution, a row of
launch and download links under the title, and a note above each exercise. No answer is ever copied in."""
from __future__ import annotations

import html
from pathlib import Path

import nbformat

from course.generate import student_copy
from course.site.config import Launch
from helpers.notebook_format import BEGIN, EXERCISE_LINE, cell_source

EXERCISE_TAG = "course-exercise"
DOWNLOADS = "downloads"
EXERCISE_NOTE = """\
```{{admonition}} Your turn · exercise {label} · {points} point{s}
:class: tip course-exercise-note
The answer is not on this site. Solve it in your copy of the notebook ({links}): replace the
`raise NotImplementedError` line and run the cell. Its check prints ✅ correct, ❌ incorrect (with a hint) or
⏳ not attempted. The output shown under the cell is what the check prints for a correct answer.
```"""

QUIZ_NOTE = """\
```{{admonition}} Quiz · question {label} · {points} point{s}
:class: tip course-exercise-note
Answer it in your copy of the notebook ({links}): replace the `...` and run the cell. The explanation appears
there once your answer is right; neither the answer nor the explanation is on this site.
```"""


def is_quiz(source: str) -> bool:
    """True for a quiz question's cell ('# Quiz N (P point): ...')."""
    return source.lstrip().startswith("# Quiz")


def link_row(name: str, launch: Launch, handout: bool) -> str:
    """The HTML row of links under a lesson's title: student notebook, hand-out zip, Colab, Binder."""
    path = f"notebooks/{name}.ipynb"
    links = [(f"{DOWNLOADS}/{name}.ipynb", "Download the notebook", "download", f' download="{name}.ipynb"')]
    if handout:
        links.append((f"{DOWNLOADS}/{handout_name()}", "Class hand-out (zip)", "download", " download"))
    if colab := launch.colab(path):
        links.append((colab, "Open in Colab", "colab", ""))
    if binder := launch.binder(path):
        links.append((binder, "Launch Binder", "binder", ""))
    items = "".join(f'<a class="course-badge course-badge-{kind}" href="{html.escape(href)}"{extra}>'
                    f"{html.escape(text)}</a>" for href, text, kind, extra in links)
    return f'<div class="course-links">{items}</div>'


def handout_name() -> str:
    """The hand-out zip's file name on the site."""
    return "pytorch-basics-course.zip"


def exercise_note(source: str, launch: Launch, name: str) -> str | None:
    """The note above an exercise cell (its solution source), or None when the cell is not an exercise."""
    first = source.strip().splitlines()[0] if source.strip() else ""
    head = EXERCISE_LINE.match(first)
    if not head and BEGIN not in source:
        return None
    label, points = (head.group(1), int(head.group(2))) if head else ("", 1)
    where = ["download it from the top of this page"]
    if launch.colab(f"notebooks/{name}.ipynb"):
        where.append("or open it in Colab or Binder")
    note = QUIZ_NOTE if is_quiz(source) else EXERCISE_NOTE
    return note.format(label=label, points=points, s="" if points == 1 else "s", links=" ".join(where))


def reading_notebook(solution: Path, launch: Launch, handout: bool) -> nbformat.NotebookNode:
    """The page source for one lesson, built from its executed solution."""
    sol = nbformat.read(solution, as_version=4)
    nb = student_copy(sol, f"solutions/{solution.name}")
    nb.metadata.pop("course", None)
    cells = []
    for index, (cell, solved) in enumerate(zip(nb.cells, sol.cells)):
        if cell.cell_type == "code":
            note = exercise_note(cell_source(solved), launch, solution.stem)
            if note:
                cells.append(nbformat.v4.new_markdown_cell(note, id=f"site-ex-{index}"))
                cell.metadata.setdefault("tags", []).append(EXERCISE_TAG)
            cell.outputs, cell.execution_count = solved.get("outputs", []), solved.get("execution_count")
            if is_quiz(cell_source(solved)):  # a correct answer's output is its explanation: not on the site
                cell.outputs, cell.execution_count = [], None
        cells.append(cell)
        if index == 0:
            cells.append(nbformat.v4.new_markdown_cell(link_row(solution.stem, launch, handout), id="site-links"))
    nb.cells = cells
    return nb


def write_lessons(solutions: Path, src: Path, launch: Launch, handout: bool) -> list[str]:
    """Write every reading notebook into src; return the lesson names in order."""
    names = []
    for path in sorted(solutions.glob("[0-9][0-9]_*.ipynb")):
        nbformat.write(reading_notebook(path, launch, handout), src / path.name)
        names.append(path.stem)
    return names
