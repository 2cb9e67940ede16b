"""What real notebook clients see: no test machinery in the cells, a kernelspec that matches, bars and errors that
render anywhere, and a clear message when a notebook is opened without the course."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers.errors import MARK

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "solutions").glob("*.ipynb")) + sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [f"{p.parent.name}/{p.stem}" for p in NOTEBOOKS]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _registered_kernel() -> dict:
    """The kernelspec `make setup` registers (name and display name, read from the Makefile)."""
    line = next(l for l in (ROOT / "Makefile").read_text().splitlines() if "ipykernel install" in l)
    return {"name": re.search(r"--name (\S+)", line).group(1),
            "display_name": re.search(r'--display-name "([^"]+)"', line).group(1), "language": "python"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_test_machinery_in_cells_and_the_kernelspec_matches_setup(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec == _registered_kernel()
    for i, cell in enumerate(nb.cells):
        assert "NBVAL" not in cell.source, f"cell {i}: nbval markers belong in cell tags (nbval-check-output)"
        assert "raises-exception" not in cell.metadata.get("tags", []), f"cell {i}: use expect_error instead"
        if path.parent.name == "notebooks":
            assert not [t for t in cell.metadata.get("tags", []) if t.startswith("nbval")], f"cell {i}: nbval tag"


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("*.ipynb")), ids=lambda p: p.stem)
def test_committed_outputs_render_outside_a_kernel(path):
    """No widget views or widget state (a reopened bar would say 'model not found'); expected errors are shown."""
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        assert not any(WIDGET_VIEW in o.get("data", {}) for o in cell.outputs), f"code cell {i} has a widget view"
        assert not any(o.output_type == "error" for o in cell.outputs), f"code cell {i} has an error output"
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert text.count(MARK) >= cell.source.count("with expect_error("), f"code cell {i}: no expected error shown"


def test_progress_bars_leave_their_final_text():
    nb = nbformat.read(ROOT / "solutions" / "07_cifar10.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert re.search(r"LeNet: 100%\|.*\| (\d+)/\1 ", text) and re.search(r"CNN: 100%\|.*\| (\d+)/\1 ", text)


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_opened_without_the_course_the_setup_cell_says_how_to_get_it(path, tmp_path):
    setup = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"][1].source
    guard = setup[: setup.index("from None") + len("from None")]
    code = "import sys\nsys.modules['helpers'] = None  # as on a machine without the course\n" + guard
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: This notebook needs the PyTorch Basics course")
    assert "make setup" in last and "requirements.txt" in last and proc.stderr.count("File ") <= 1


def test_expect_error_prints_the_error_and_fails_when_it_stops_happening(capsys):
    from helpers.errors import expect_error

    with expect_error(ZeroDivisionError, match="division by zero"):
        1 / 0
    assert capsys.readouterr().out.startswith(f"{MARK} ZeroDivisionError: division by zero")
    with pytest.raises(AssertionError, match="ran without one"):
        with expect_error(ZeroDivisionError):
            pass
    with pytest.raises(AssertionError, match="saying 'other'"):
        with expect_error(ZeroDivisionError, match="other"):
            1 / 0
    with pytest.raises(KeyError):  # another error is a real error
        with expect_error(ZeroDivisionError):
            {}["x"]


def test_a_crashing_answer_is_shown_with_the_students_own_line():
    from helpers.exercises import INCORRECT, check

    def corners(x):
        rows = x[[0, -1]]
        return rows[:, [0, 99]]  # the student's bug

    result = check("corners", corners)
    assert result.status == INCORRECT
    assert "your function raised IndexError" in result.message
    assert "of your cell: return rows[:, [0, 99]]  # the student's bug" in result.message
    assert "helpers" not in result.message.split("of your cell")[0].split("\n")[-1]


def test_nbval_checks_the_cells_tagged_nbval_check_output_and_the_recorder_keeps_what_it_ran(tmp_path):
    """The tag does what the comment did: with --nbval-lax only the tagged cell whose committed output is wrong
    fails; tests/nbval_record.py writes the outputs nbval saw, which test_notebooks judges."""
    nb = nbformat.v4.new_notebook()
    tagged = nbformat.v4.new_code_cell("print(6 * 7)", metadata={"tags": ["nbval-check-output"]}, execution_count=2)
    tagged.outputs = [nbformat.v4.new_output("stream", name="stdout", text="41\n")]
    untagged = nbformat.v4.new_code_cell("print(1)", execution_count=1)
    untagged.outputs = [nbformat.v4.new_output("stream", name="stdout", text="anything\n")]
    nb.cells = [untagged, tagged]
    nbformat.write(nb, tmp_path / "t.ipynb")
    record = tmp_path / "executed.ipynb"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p",
                           "tests.nbval_record", "--nbval-lax", str(tmp_path / "t.ipynb")], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "COURSE_NBVAL_RECORD": str(record)})
    assert proc.returncode == 1 and "1 failed, 1 passed" in proc.stdout, proc.stdout[-2000:]
    assert "t.ipynb::Cell 1" in proc.stdout  # the tagged cell, not the untagged one
    ran = nbformat.read(record, as_version=4).cells
    assert [c.outputs[0].text for c in ran] == ["1\n", "42\n"]  # the fresh outputs, not the committed ones


def test_expect_error_accepts_the_wordings_of_several_torch_versions(capsys):
    from helpers.errors import expect_error

    with expect_error(RuntimeError, match=("old wording", "new wording")):
        raise RuntimeError("the new wording of the message")
    assert "new wording" in capsys.readouterr().out


def _guard(setup: str) -> str:
    """The setup cell's try/except that finds (or, in Colab, installs) the course's helpers."""
    end = setup.index("sys.path.insert(0, clone)")
    return setup[: setup.index("\n", end)]


def test_in_colab_the_setup_cell_clones_the_course_from_the_configured_repository(tmp_path):
    from course.generate import student_copy
    url = "https://github.com/example/pytorch-basics"
    nb = nbformat.read(ROOT / "solutions" / "01_tensors.ipynb", as_version=4)
    setup = [c for c in student_copy(nb, "01", source=url).cells if c.cell_type == "code"][1].source
    assert f'COURSE_SOURCE = "{url}"' in setup
    fake_git = (  # records git's command and "clones" a course with a helpers package
        "import subprocess, sys, types, pathlib\n"
        "sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
        "def run(cmd, check):\n"
        "    print('RUN', cmd); (pathlib.Path(cmd[-1]) / 'helpers').mkdir(parents=True)\n"
        "    (pathlib.Path(cmd[-1]) / 'helpers' / '__init__.py').write_text('')\n"
        "subprocess.run = run\n")
    code = fake_git + _guard(setup) + "\nimport helpers\nprint('IMPORTED', helpers.__file__)\n"
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for attempt in range(2):  # the second run (the cell run again) finds the clone and does not clone again
        proc = subprocess.run([sys.executable, "-S", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                              timeout=60, env=env)  # -S: no site-packages, so the course is not installed
        assert proc.returncode == 0, proc.stderr
        assert f"IMPORTED {tmp_path / 'pytorch-basics-course' / 'helpers'}" in proc.stdout
        assert proc.stdout.count(f"'clone', '-q', '--depth', '1', '{url}'") == (1 - attempt)


def test_without_a_configured_repository_colab_gets_the_message_not_an_install(tmp_path):
    setup = [c for c in nbformat.read(ROOT / "notebooks" / "01_tensors.ipynb", as_version=4).cells
             if c.cell_type == "code"][1].source
    assert 'COURSE_SOURCE = ""' in setup  # no [project.urls] Repository in pyproject.toml yet
    code = "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n" + _guard(setup)
    proc = subprocess.run([sys.executable, "-S", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1 and "ModuleNotFoundError: This notebook needs" in proc.stderr
