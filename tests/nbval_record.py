"""A pytest plugin for the nbval runs of tests/test_notebooks.py: keep the notebook as nbval executed it.

nbval compares each cell's fresh outputs with the committed ones and then drops them. Loaded with
``-p tests.nbval_record`` and ``COURSE_NBVAL_RECORD=path``, this plugin writes a copy of the notebook whose cells
hold the outputs nbval saw (cells nbval did not run get none), so that one execution serves both nbval's
comparison and course.execute.analyse, which judges checks and expected errors as it does for papermill runs.
"""
from __future__ import annotations

import os
import sys

# Loaded with -p, this module is imported before nbval (and so nbformat and jsonschema). jsonschema's optional
# checker for the "iri" format, rfc3987-syntax, builds a grammar when imported: 2.6 s of every nbval run. Notebook
# validation never checks that format, so these runs go without it (jsonschema then skips "iri"; it catches the
# ImportError that None in sys.modules raises). A process that already imported it keeps it.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402
import pytest

RECORD = "COURSE_NBVAL_RECORD"


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """After nbval ran a cell (and compared its outputs), put the fresh outputs in place of the committed ones."""
    outputs = getattr(item, "test_outputs", None)
    if outputs is not None:
        item.cell.outputs = [nbformat.from_dict(dict(o)) for o in outputs]
        item.cell.execution_count = item.cell_num + 1
        item.cell.metadata["course_ran"] = True


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the executed copy of the (single) notebook nbval collected."""
    path = os.environ.get(RECORD)
    notebooks = {id(item.parent.nb): item.parent.nb for item in session.items if hasattr(item.parent, "nb")}
    if not path or len(notebooks) != 1:
        return
    nb = next(iter(notebooks.values()))
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.metadata.pop("course_ran", False):
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, path)
