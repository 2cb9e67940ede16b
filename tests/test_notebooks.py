"""Every notebook executed in a fresh kernel: solutions by nbval (committed outputs, checks), student copies by
papermill; make test-slow adds the plain papermill and nbconvert commands for both forms."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from helpers import notebook_format
from course.execute import Run, analyse, execute, parameterized, smoke_parameters, validate_parameters
from tests.conftest import BUILD, ROOT, TEST_DEVICE
from tests.nbval_record import RECORD

NAMES = sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb"))
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
CHECK_OUTPUT_TAG = "nbval-check-output"  # nbval: compare this cell's output with the committed one
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


def report(name: str, form: str, problems: list[str], executed: Path | None = None) -> str:
    """A failure message naming the notebook, the cell and the error, and where the executed copy is."""
    executed = executed or BUILD / form / f"{name}.ipynb"
    return f"{form}/{name}.ipynb:\n" + "\n".join(f"  - {p}" for p in problems) + \
        f"\n  executed notebook: {executed.relative_to(ROOT)}"


def nbval_run(name: str, params: dict) -> tuple[subprocess.CompletedProcess, Run]:
    """Execute solutions/NAME with nbval (lax: only cells tagged nbval-check-output are compared with the committed
    outputs; on a GPU none are, since GPU outputs differ legitimately) and analyse the notebook it executed."""
    nb = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)
    validate_parameters(nb, params, name)
    nb = parameterized(nb, params)
    for cell in nb.cells:
        if TEST_DEVICE != "cpu" and CHECK_OUTPUT_TAG in cell.metadata.get("tags", []):
            cell.metadata.tags.remove(CHECK_OUTPUT_TAG)
    copy, record = BUILD / "nbval" / f"{name}.ipynb", BUILD / "nbval" / f"{name}.executed.ipynb"
    copy.parent.mkdir(parents=True, exist_ok=True)
    record.unlink(missing_ok=True)
    nbformat.write(nb, copy)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "tests.nbval_record",
           "--nbval-lax", f"--nbval-sanitize-with={SANITIZE}", "--nbval-cell-timeout=600", str(copy)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, RECORD: str(record)})
    seconds = time.perf_counter() - start
    if not record.exists():
        return proc, Run(name, seconds, failure="nbval wrote no executed notebook")
    return proc, analyse(nbformat.read(record, as_version=4), name, seconds)


@pytest.mark.parametrize("name", NAMES)
def test_solution_runs_every_check_passes_and_committed_outputs_reproduce(name):
    """One execution by nbval: the tagged cells reproduce their committed outputs (CPU), nothing fails unexpectedly,
    every exercise check and quiz answer says correct, and every expected error is shown."""
    proc, run = nbval_run(name, parameters_for(nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)))
    problems = run.problems(student=False)
    missing = exercises_in(run.nb) - set(run.checks) if run.nb else set()
    problems += [f"check {m} never printed a result" for m in sorted(missing)]
    assert not problems, report(name, "solutions", problems, BUILD / "nbval" / f"{name}.executed.ipynb")
    assert proc.returncode == 0, f"nbval found differences in solutions/{name}.ipynb " \
        f"(re-run `make outputs` if the change is intended):\n{proc.stdout[-6000:]}{proc.stderr[-2000:]}"


@pytest.mark.parametrize("name", NAMES)
def test_student_copy_runs_with_only_stub_errors(name):
    path = ROOT / "notebooks" / f"{name}.ipynb"
    assert path.exists(), f"notebooks/{name}.ipynb is missing: run `make notebooks`"
    nb = nbformat.read(path, as_version=4)
    run = execute(path, BUILD / "notebooks" / path.name, parameters_for(nb), save_every_cell=False)
    problems = run.problems(student=True)
    missing = exercises_in(nb) - set(run.checks)
    problems += [f"check {m} never printed a result" for m in sorted(missing)]
    assert not problems, report(name, "notebooks", problems)


@pytest.mark.slow
@pytest.mark.parametrize("tool", ["papermill-cli", "nbconvert"])
@pytest.mark.parametrize("form", ["solutions", "notebooks"])
@pytest.mark.parametrize("name", NAMES)
def test_the_plain_commands_run_the_notebook_to_the_end(name, form, tool):
    """`papermill NB OUT` and `jupyter nbconvert --to notebook --execute NB` as anyone types them: both stop at
    any error (the papermill command exits 1 on any error output), so every cell must run clean."""
    path = ROOT / form / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    run = execute(path, BUILD / tool / form / path.name, parameters_for(nb), tool=tool)
    problems = run.problems(student=form == "notebooks")
    assert not problems, report(name, f"{tool} {form}", problems, BUILD / tool / form / path.name)
