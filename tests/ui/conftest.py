"""Session fixtures of the browser tests: a private JupyterLab on copies of the notebooks, headless Chromium.

Only active with COURSE_UI=1 (make test-ui); plain `make test` skips tests/ui without importing playwright.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests import browser as browser_kit
from tests.conftest import ROOT
from tests.ui import judge, server

ENABLED = os.environ.get("COURSE_UI") == "1"
BUILD_UI = ROOT / "build" / "ui"
SOLUTION = "07_cifar10"  # the solution notebook whose committed outputs are checked in the browser
TIMINGS: dict[str, float] = {}


def pytest_collection_modifyitems(config, items):
    """Skip every browser test unless COURSE_UI=1."""
    browser_kit.skip_unless(ENABLED, Path(__file__).parent, items, "browser test: run `make test-ui` (COURSE_UI=1)")


@pytest.fixture(scope="session")
def sync_api():
    """playwright's sync API; fails with how to install it when it or Chromium is missing."""
    return browser_kit.sync_api_or_fail("test-ui")


@pytest.fixture(scope="session")
def lab(tmp_path_factory, sync_api):
    """JupyterLab on 127.0.0.1 serving temporary copies: notebooks/ (smoke parameters set) and one solution.
    Needs sync_api first, so that a missing browser fails before a server starts."""
    root = tmp_path_factory.mktemp("lab-root")
    for src in sorted((ROOT / "notebooks").glob("*.ipynb")):
        judge.prepare_copy(src, root / src.name, smoke=True)
    judge.prepare_copy(ROOT / "solutions" / f"{SOLUTION}.ipynb", root / "solutions" / f"{SOLUTION}.ipynb",
                       smoke=False)
    originals = {p.relative_to(root).as_posix(): judge.load(p) for p in root.rglob("*.ipynb")}
    if BUILD_UI.exists():
        shutil.rmtree(BUILD_UI)
    BUILD_UI.mkdir(parents=True)
    running = server.start(root, tmp_path_factory.mktemp("lab-home"), BUILD_UI / "jupyterlab.log")
    running.originals = originals
    try:
        yield running
    finally:
        server.stop(running)


@pytest.fixture(scope="session")
def browser(sync_api):
    """One headless Chromium for the session (Debian's, via executable_path)."""
    with browser_kit.chromium(sync_api) as chromium:
        yield chromium


@pytest.fixture
def page(browser):
    """A fresh browser context and page per test; page errors are kept on page.errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(60_000)
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda err: pg.errors.append(str(err)))
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(scope="session")
def timings():
    """Notebook -> seconds the browser's Run All took; written to build/ui/timings.txt at the end."""
    return TIMINGS


def timing_table() -> str:
    """The Run All seconds per notebook, as a small table."""
    rows = [f"{'notebook':<36} {'Run All (s)':>11}"] + [f"{n:<36} {s:>11.1f}" for n, s in TIMINGS.items()]
    rows.append(f"{'total':<36} {sum(TIMINGS.values()):>11.1f}")
    return "\n".join(rows)


def pytest_terminal_summary(terminalreporter):
    """Print the timing table and write it to build/ui/timings.txt."""
    if not TIMINGS:
        return
    table = timing_table()
    BUILD_UI.mkdir(parents=True, exist_ok=True)
    (BUILD_UI / "timings.txt").write_text(table + "\n")
    terminalreporter.write_sep("-", "JupyterLab Run All, seconds per notebook (build/ui/timings.txt)")
    terminalreporter.write_line(table)
