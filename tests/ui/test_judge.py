"""The judge of saved notebooks catches what the browser tests are for (no browser needed)."""
from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from tests.ui import judge


def executed(source: str, outputs: list, tags: tuple[str, ...] = (), count: int | None = 1):
    """A code cell as JupyterLab saves it after running."""
    cell = new_code_cell(source, outputs=outputs, execution_count=count)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def problems_of(*cells) -> list[str]:
    return judge.notebook_problems(nbformat.from_dict(new_notebook(cells=list(cells))))


def test_clean_notebook_has_no_problem():
    stub = new_output("stream", name="stdout", text="⏳ f: not attempted — replace the line\n")
    tagged = new_output("error", ename="ValueError", evalue="shown on purpose", traceback=[])
    assert problems_of(executed("check('f', f)", [stub]), executed("boom()", [tagged], ("raises-exception",))) == []


def test_each_failure_names_its_cell():
    error = new_output("error", ename="KeyError", evalue="'x'", traceback=[])
    solved = new_output("stream", name="stdout", text="✅ f: correct — passed 4 test cases\n")
    widget = new_output("stream", name="stdout", text="Error displaying widget: model not found\n")
    figure = new_output("display_data", data={"text/plain": "<Figure size 640x480 with 1 Axes>"})
    found = problems_of(executed("x", [], count=None), executed("d['x']", [error]), executed("check('f', f)", [solved]),
                        executed("check('g', g)", []), executed("bar", [widget]), executed("plt.show()", [figure]))
    assert [p.split(":")[0] for p in found] == ["cell 0", "cell 1", "cell 3", "cell 4", "cell 5", "cell 2"]


def test_last_check_line_of_an_exercise_counts():
    wrong = new_output("stream", name="stdout", text="❌ f: incorrect — shape differs\n")
    stub = new_output("stream", name="stdout", text="⏳ f: not attempted — replace the line\n")
    assert problems_of(executed("check('f', lambda: 0)", [wrong]), executed("check('f', f)", [stub])) == []
    assert problems_of(executed("check('f', f)", [stub]), executed("check('f', lambda: 0)", [wrong])) != []


def test_smoke_parameters_replace_their_lines():
    nb = new_notebook(cells=[new_code_cell("seed = 0  # seed\nepochs = 10  # epochs\n")])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["course"] = {"smoke_parameters": {"epochs": 1, "sizes": [32, 64]}}
    source = judge.with_smoke_parameters(nb).cells[0].source
    assert source.splitlines()[0] == "seed = 0  # seed"
    assert "epochs = 1  #" in source and "sizes = [32, 64]  #" in source and "epochs = 10" not in source


def test_diff_names_changed_keys():
    old = {"metadata": {"kernelspec": {"display_name": "Python 3"}}, "cells": [1]}
    new = {"metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)"}, "language_info": {}}, "cells": [1]}
    assert judge.diff(old, new) == ['changed metadata.kernelspec.display_name: "Python 3" -> "Python 3 (ipykernel)"',
                                    "added metadata.language_info = {}"]
