"""The runner: parameter validation, how errors are judged, and the house structure of every notebook."""
from __future__ import annotations

import ast

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course import execute
from course.execute import ParameterError, declared_parameters, validate_parameters
from tests.conftest import ROOT

SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def _nb(*cells):
    nb = new_notebook(cells=[new_markdown_cell("# demo")] + list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _params_cell(source="seed = 0\ndevice = 'auto'\nlr = 0.1\nsizes = [1, 2]"):
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    return cell


def test_declared_parameters_reads_literals():
    assert declared_parameters(_nb(_params_cell())) == {"seed": 0, "device": "auto", "lr": 0.1, "sizes": [1, 2]}


def test_unknown_parameter_is_rejected_with_the_declared_names():
    with pytest.raises(ParameterError, match=r"demo has no parameter 'epochs'; .*seed, device, lr, sizes"):
        validate_parameters(_nb(_params_cell()), {"epochs": 3}, "demo")


def test_parameter_of_the_wrong_type_is_rejected_but_int_for_float_is_fine():
    nb = _nb(_params_cell())
    with pytest.raises(ParameterError, match="'seed' should be a int"):
        validate_parameters(nb, {"seed": "0"})
    validate_parameters(nb, {"lr": 1, "device": "cpu", "sizes": [3]})


def test_a_notebook_without_parameters_cell_is_rejected():
    with pytest.raises(ParameterError, match="no code cell tagged 'parameters'"):
        validate_parameters(_nb(new_code_cell("x = 1")), {})


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_smoke_parameters_are_declared(path):
    nb = nbformat.read(path, as_version=4)
    validate_parameters(nb, execute.smoke_parameters(nb), path.name)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_notebook_follows_the_house_skeleton(path):
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith(f"# {path.stem[:2]} · ")
    code = [c for c in cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "the first code cell must be the parameters cell"
    params = declared_parameters(nb)
    assert {"seed", "device"} <= set(params)
    assert "set_seed(seed)" in code[1].source and "get_device(device)" in code[1].source, "setup cell"
    headings = [line for c in cells if c.cell_type == "markdown" for line in c.source.splitlines()
                if line.startswith("## ")]
    assert headings[0] == "## 1. " + headings[0][6:], "numbered sections start at 1"
    for required in ("## Exercises", "## Summary", "## Next") + (("## Quiz",) if path.stem >= "01" else ()):
        assert any(h.startswith(required) for h in headings), f"missing section {required}"
    lines = {i: sum(bool(line.strip()) for line in c.source.splitlines()) for i, c in enumerate(cells)
             if c.cell_type == "code" and c is not code[1]}
    long = [i for i, n in lines.items() if n > 15]
    assert not long, f"cells {long} have more than 15 lines of code"
    setup = code[1].source.split("sys.path.insert(0, clone)\n", 1)[-1]  # after the guard every lesson shares
    setup_lines = sum(bool(line.strip()) for line in setup.splitlines())
    assert setup_lines <= 30, "the setup cell holds imports, seed and device only (at most 30 lines of code)"
    for cell in code:
        ast.parse(cell.source) if not cell.source.startswith(("%", "!")) else None


def test_analyse_judges_errors_tags_and_checks():
    nb = _nb(_params_cell(), new_code_cell("1/0"), new_code_cell("x = 1"), new_code_cell("raise NotImplementedError()"))
    nb.cells[3].metadata["tags"] = ["raises-exception"]
    nb.cells[2].outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero")]
    nb.cells[3].execution_count = 3
    nb.cells[4].outputs = [nbformat.v4.new_output("error", ename="NotImplementedError", evalue="stub"),
                           nbformat.v4.new_output("stream", name="stdout", text="⏳ f: not attempted — x\n")]
    run = execute.analyse(nb, "demo", 1.0)
    solution, student = run.problems(student=False), run.problems(student=True)
    assert "unexpected error in cell 2" in solution[0] and "ZeroDivisionError: division by zero" in solution[0]
    assert "cell 3 is tagged raises-exception but raised nothing" in solution
    assert any("NotImplementedError" in p for p in solution) and not any("NotImplementedError" in p for p in student)
    assert "check f reported 'not attempted', expected 'correct'" in solution


@pytest.mark.parametrize("tool", ["papermill", pytest.param("papermill-cli", marks=pytest.mark.slow),
                                  pytest.param("nbconvert", marks=pytest.mark.slow)])
def test_execute_runs_a_real_kernel_and_names_the_failing_cell(tmp_path, tool):
    """The API and both commands run the notebook the same way and report the same failing cell; the API, saving
    only at the end, still writes the notebook with the outputs up to the error."""
    expected = new_code_cell("int('x')")
    expected.metadata["tags"] = ["raises-exception"]
    nb = _nb(_params_cell("n = 1"), expected, new_code_cell("print(n * 2)\nundefined_name"))
    nb.metadata["course"] = {"smoke_parameters": {"n": 21}}
    path = tmp_path / "demo.ipynb"
    nbformat.write(nb, path)
    run = execute.execute(path, tmp_path / "out.ipynb", {"n": 21}, tool=tool, save_every_cell=False)  # as make test
    assert run.failure and ("cell" in run.failure or "exited 1" in run.failure), run.failure
    problems = run.problems(student=False)
    assert len(problems) == 1, problems
    assert "NameError" in problems[0] and "name 'undefined_name' is not defined" in problems[0]
    if tool == "nbconvert":  # it writes no notebook when a cell fails: its message names the error only
        return
    assert "cell 3" in problems[0]
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert any("42" in o.get("text", "") for c in out.cells if c.cell_type == "code" for o in c.outputs)


def test_execute_rejects_an_unknown_parameter_before_starting_a_kernel(tmp_path):
    path = tmp_path / "demo.ipynb"
    nbformat.write(_nb(_params_cell("n = 1")), path)
    with pytest.raises(ParameterError):
        execute.execute(path, tmp_path / "out.ipynb", {"num": 2})
    assert not (tmp_path / "out.ipynb").exists()


def test_a_broken_notebook_file_is_reported_clearly(tmp_path, capsys):
    path = tmp_path / "broken.ipynb"
    path.write_text("{ not json")
    assert execute.main([str(path), "--out", str(tmp_path / "o")]) == 1
    out = capsys.readouterr().out
    assert "broken.ipynb" in out and "not a readable notebook" in out
