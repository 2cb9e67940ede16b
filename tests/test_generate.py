"""Student copies are generated from solutions/, deterministically, and must not drift."""
from __future__ import annotations

import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course import generate
from course.generate import BEGIN, END, GenerationError, student_copy
from tests.conftest import ROOT

SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_student_notebooks_match_their_solutions():
    problems = generate.drift()
    assert not problems, "\n".join(problems)


def test_generation_is_deterministic():
    assert generate.expected_student_files() == generate.expected_student_files()


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_student_copy_has_stubs_no_answers_no_outputs_and_the_same_cell_ids(path):
    solution = nbformat.read(path, as_version=4)
    student = nbformat.read(ROOT / "notebooks" / path.name, as_version=4)
    assert [c.id for c in student.cells] == [c.id for c in solution.cells]
    regions = sum(c.source.count(BEGIN) for c in solution.cells)
    assert regions > 0, f"{path.name} has no exercise"
    stubs = sum(c.source.count("raise NotImplementedError") + c.source.count("= ...  # your answer")
                for c in student.cells)
    assert stubs >= regions
    for cell in student.cells:
        assert BEGIN not in cell.source and END not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def _copy_course(tmp_path):
    for folder in ("solutions", "notebooks"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def test_editing_inside_a_solution_region_without_regenerating_is_detected(tmp_path):
    root = _copy_course(tmp_path)
    path = root / "solutions" / "00_setup.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if BEGIN in c.source)
    cell.source = cell.source.replace("torch.zeros(rows, cols)", "torch.zeros((rows, cols))")
    before = generate.drift(root)
    nbformat.write(nb, path)
    assert "notebooks/00_setup.ipynb is stale (run `make notebooks`)" not in before
    assert "notebooks/00_setup.ipynb is stale (run `make notebooks`)" in generate.drift(root)


def test_a_student_copy_without_solution_is_reported(tmp_path):
    root = _copy_course(tmp_path)
    shutil.copy(root / "notebooks" / "00_setup.ipynb", root / "notebooks" / "99_orphan.ipynb")
    assert "notebooks/99_orphan.ipynb has no solution" in " ".join(generate.drift(root))


def test_stub_keeps_indentation_and_names_the_function():
    source = f"def f(x):\n    y = 1\n    {BEGIN}\n    return x + y\n    {END}\n\ncheck('f', f)"
    assert generate.strip_code(source, "t") == (
        "def f(x):\n    y = 1\n    # YOUR CODE HERE\n"
        '    raise NotImplementedError("f: replace this line with your code")\n\ncheck(\'f\', f)')


@pytest.mark.parametrize("source, error", [
    (f"{BEGIN}\nx = 1", "has no matching"),
    (f"x = 1\n{END}", "without a matching"),
    (f"{BEGIN}\n{BEGIN}\n{END}", "has no matching"),
])
def test_unbalanced_markers_name_the_notebook_and_cell(source, error):
    nb = new_notebook(cells=[new_markdown_cell("# t"), new_code_cell(source)])
    with pytest.raises(GenerationError, match=rf"demo, cell 1 .*{error}"):
        student_copy(nb, "demo")


def test_markdown_solution_regions_are_replaced():
    nb = new_notebook(cells=[new_markdown_cell("Q?\n<!-- BEGIN SOLUTION -->secret<!-- END SOLUTION -->")])
    assert student_copy(nb).cells[0].source == "Q?\n" + generate.MD_STUB
    nb.cells[0].source = "<!-- BEGIN SOLUTION -->unclosed"
    with pytest.raises(GenerationError, match="unbalanced"):
        student_copy(nb)


def test_check_mode_exit_codes(tmp_path, monkeypatch, capsys):
    root = _copy_course(tmp_path)
    monkeypatch.setattr(generate, "ROOT", root)
    generate.main([])
    assert generate.main(["--check"]) == 0
    (root / "notebooks" / "00_setup.ipynb").write_text("{}")
    assert generate.main(["--check"]) == 1
    assert "00_setup.ipynb is stale" in capsys.readouterr().out
    assert generate.main([]) == 0 and generate.main(["--check"]) == 0
