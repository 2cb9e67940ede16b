"""The course as a student sees it: every student notebook opened in JupyterLab (headless Chromium), Run All.

The server serves temporary copies, so saving never touches the repository. In those copies the parameters
cell of every notebook is set to its smoke values (metadata course.smoke_parameters, the values the notebook
tests use), so notebook 07 trains for seconds, not minutes: the point is the client, not the training.

Per student notebook: the tab is not modified on open (no dirty mark once the kernel is idle); after Run All
and File > Save, the saved file has every code cell executed, no error output except in cells tagged
raises-exception, every check line saying "not attempted", no "Error displaying widget" (in the DOM either),
and in 07 every plot of the solution is an image/png output drawn as an <img>. One solution notebook is opened
as committed and its outputs must render. Screenshots: build/ui/<notebook>.png; timings: build/ui/timings.txt.
"""
from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT
from tests.ui import judge, lab as ui
from tests.ui.conftest import BUILD_UI, SOLUTION

NAMES = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
RUN_ALL_TIMEOUT = 600
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
SOLUTION_SHOT = f"solution_{SOLUTION}.png"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def open_clean(page, lab, rel: str) -> list[str]:
    """Open rel in its own workspace; if the tab is dirty on open, say which saved keys JupyterLab changed."""
    workspace = "ui-" + re.sub(r"\W", "-", rel)
    ui.open_notebook(page, lab.url(f"/lab/workspaces/{workspace}/tree/{rel}"), lambda: lab.kernel_idle(rel))
    page.wait_for_timeout(1000)
    if not ui.is_dirty(page):
        return []
    ui.save(page, lab.root / rel)
    changes = judge.diff(lab.originals[rel], judge.load(lab.root / rel))
    return ["modified on open (dirty tab before Run All); saved right away, the file differs in:"
            + "".join(f"\n      {line}" for line in changes or ["(nothing: no difference in the saved file)"])]


def dom_problems(cells: list[dict], saved=None) -> list[str]:
    """Widget errors the page shows; after Run All (saved given) also code cells without an execution count
    in their prompt and widget outputs not drawn as widgets."""
    problems = []
    for index, cell in enumerate(cells):
        if judge.WIDGET_ERROR in cell["text"]:
            problems.append(f"cell {index}: the page shows {judge.WIDGET_ERROR!r}: {cell['text'][:200]!r}")
        if saved is not None and cell["code"] and not re.search(r"\d", cell["prompt"]):
            problems.append(f"cell {index}: the page shows the prompt {cell['prompt']!r}, not an execution count")
        outputs = saved.cells[index].get("outputs", []) if saved is not None else []
        want = sum(WIDGET_MIME in o.get("data", {}) for o in outputs)
        if want > cell["widgets"]:  # a widget drawn, or removed when closed; not its text fallback
            problems.append(f"cell {index}: {want} widget output(s) (progress bars) but {cell['widgets']} drawn")
    return problems


def image_dom_problems(saved, cells: list[dict]) -> list[str]:
    """Every image/png output of the saved notebook is drawn as a loaded <img> in its cell."""
    problems = []
    for index, cell in enumerate(saved.cells):
        want = sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        if want and cells[index]["images"] < want:
            problems.append(f"cell {index}: {want} image/png output(s) but {cells[index]['images']} <img> drawn")
    return problems


def fail_if(rel: str, shot: str, problems: list[str]) -> None:
    """Fail with every problem, naming the notebook and its screenshot."""
    if problems:
        pytest.fail(f"{rel} in JupyterLab:\n" + "\n".join(f"  - {p}" for p in problems)
                    + f"\n  screenshot: {BUILD_UI.relative_to(ROOT)}/{shot}", pytrace=False)


@pytest.mark.parametrize("name", NAMES)
def test_run_all(name, lab, page, timings):
    """Open a student notebook, Run All, save; judge the saved file and the page."""
    rel = f"{name}.ipynb"
    problems = open_clean(page, lab, rel)
    timings[name] = ui.run_all(page, RUN_ALL_TIMEOUT)
    drawn = ui.widgets_drawn(page)
    cells = ui.cells(page)
    ui.screenshot(page, BUILD_UI / f"{name}.png")
    ui.save(page, lab.root / rel)
    saved = judge.load(lab.root / rel)
    same = len(cells) == len(saved.cells)
    if not same:
        problems.append(f"the page shows {len(cells)} cells, the saved file has {len(saved.cells)}")
    problems += judge.notebook_problems(saved) + dom_problems(cells, saved if same else None)
    if name == "07_cifar10" and same:
        solution = judge.load(ROOT / "solutions" / rel)
        problems += judge.image_problems(saved, solution) + image_dom_problems(saved, cells)
    if not drawn and any(WIDGET_MIME in o.get("data", {}) for c in saved.cells for o in c.get("outputs", [])):
        problems.append("widget outputs were saved, but no live widget (progress bar) was drawn during Run All")
    problems += [f"page error: {err[:200]}" for err in page.errors]
    fail_if(rel, f"{name}.png", problems)


def rendered_problems(nb, cells: list[dict]) -> list[str]:
    """Each committed output of a solution shows in its cell: text outputs by their first line, images."""
    problems = []
    for index, (cell, dom) in enumerate(zip(nb.cells, cells)):
        if not dom["rendered"]:
            problems.append(f"cell {index}: markdown not rendered")
        for out in cell.get("outputs", []):
            if set(out.get("data", {})) - {"text/plain"}:
                continue  # a richer type is shown instead of the text (images are checked separately)
            for text in judge.output_texts(out):
                first = next((ln.strip() for ln in ANSI.sub("", text).splitlines() if ln.strip()), "")[:40]
                if first and first not in dom["text"]:
                    problems.append(f"cell {index}: output {first!r} not shown (page shows {dom['text'][:80]!r})")
                    break
    return problems


def test_solution_outputs_render(lab, page):
    """A committed solution opened as it is: not modified on open, every output rendered, plots as images."""
    rel = f"solutions/{SOLUTION}.ipynb"
    problems = open_clean(page, lab, rel)
    cells = ui.cells(page)
    ui.screenshot(page, BUILD_UI / SOLUTION_SHOT)
    nb = lab.originals[rel]
    if len(cells) != len(nb.cells):
        problems.append(f"the page shows {len(cells)} cells, the file has {len(nb.cells)}")
    else:
        problems += rendered_problems(nb, cells) + dom_problems(cells) + image_dom_problems(nb, cells)
    problems += [f"page error: {err[:200]}" for err in page.errors]
    fail_if(rel, SOLUTION_SHOT, problems)
