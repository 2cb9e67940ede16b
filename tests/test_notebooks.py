"""Every notebook executed in a fresh kernel: solutions, student copies, and the committed outputs (nbval)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from papermill.parameterize import parameterize_notebook
import pytest

from helpers import notebook_format
from course.execute import execute, smoke_parameters, validate_parameters
from tests.conftest import BUILD, ROOT, TEST_DEVICE

NAMES = sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb"))
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
pytestmark = pytest.mark.notebook


def exercises_in(nb: nbformat.NotebookNode) -> set[str]:
    """Names of the exercises a notebook checks."""
    return {e.name for e in notebook_format.exercise_cells(nb.cells)}


def parameters_for(nb: nbformat.NotebookNode) -> dict:
    """The smoke parameters, plus the device under test when it is not the CPU."""
    params = smoke_parameters(nb)
    if TEST_DEVICE != "cpu":
        params["device"] = TEST_DEVICE
    return params


def report(name: str, form: str, problems: list[str]) -> str:
    """A failure message naming the notebook, the cell and the error."""
    return f"{form}/{name}.ipynb:\n" + "\n".join(f"  - {p}" for p in problems) + \
        f"\n  executed notebook: {BUILD.relative_to(ROOT)}/{form}/{name}.ipynb"


@pytest.mark.parametrize("name", NAMES)
def test_solution_runs_and_every_check_passes(name):
    path = ROOT / "solutions" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    run = execute(path, BUILD / "solutions" / path.name, parameters_for(nb))
    problems = run.problems(student=False)
    missing = exercises_in(nb) - set(run.checks)
    problems += [f"check {m} never printed a result" for m in sorted(missing)]
    assert not problems, report(name, "solutions", problems)


@pytest.mark.parametrize("name", NAMES)
def test_student_copy_runs_with_only_stub_errors(name):
    path = ROOT / "notebooks" / f"{name}.ipynb"
    assert path.exists(), f"notebooks/{name}.ipynb is missing: run `make notebooks`"
    nb = nbformat.read(path, as_version=4)
    run = execute(path, BUILD / "notebooks" / path.name, parameters_for(nb))
    problems = run.problems(student=True)
    missing = exercises_in(nb) - set(run.checks)
    problems += [f"check {m} never printed a result" for m in sorted(missing)]
    assert not problems, report(name, "notebooks", problems)


@pytest.mark.slow
@pytest.mark.parametrize("form", ["solutions", "notebooks"])
@pytest.mark.parametrize("name", NAMES)
def test_nbconvert_runs_the_notebook_to_the_end(name, form):
    """The other plain tool: `jupyter nbconvert --execute` stops at any error, so every cell must run clean."""
    path = ROOT / form / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    run = execute(path, BUILD / "nbconvert" / form / path.name, parameters_for(nb), tool="nbconvert")
    problems = run.problems(student=form == "notebooks")
    assert not problems, report(name, f"nbconvert {form}", problems)


@pytest.mark.skipif(TEST_DEVICE != "cpu", reason="committed outputs are CPU outputs; GPU runs differ legitimately")
@pytest.mark.parametrize("name", NAMES)
def test_committed_outputs_reproduce(name):
    """nbval (lax: cells marked NBVAL_CHECK_OUTPUT) on the committed solution, with smoke parameters injected."""
    nb = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)
    params = parameters_for(nb)
    validate_parameters(nb, params, name)
    if params:
        nb.metadata.setdefault("papermill", {})  # parameterize_notebook expects papermill's metadata
        for cell in nb.cells:
            cell.metadata.setdefault("tags", [])
        nb = parameterize_notebook(nb, params)
    copy = BUILD / "nbval" / f"{name}.ipynb"
    copy.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, copy)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--nbval-lax",
           f"--nbval-sanitize-with={SANITIZE}", "--nbval-cell-timeout=600", str(copy)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"nbval found differences in solutions/{name}.ipynb " \
        f"(re-run `make outputs` if the change is intended):\n{proc.stdout[-6000:]}{proc.stderr[-2000:]}"
