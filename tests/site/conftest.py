"""Fixtures of the site tests: the built site, a variant built with the other launch-link setting, a static
server, headless Chromium, and a page opener that records every console error and request.

Only active with COURSE_SITE=1 (make test-site); plain `make test` skips tests/site without importing playwright.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests import browser as browser_kit
from tests.conftest import ROOT

ENABLED = os.environ.get("COURSE_SITE") == "1"
SITE = ROOT / "build" / "site"
SHOTS = ROOT / "build" / "site-shots"
TEST_URL = "https://github.com/example-owner/pytorch-basics"


def pytest_collection_modifyitems(config, items):
    """Skip every site test unless COURSE_SITE=1."""
    browser_kit.skip_unless(ENABLED, Path(__file__).parent, items, "site test: run `make test-site` (COURSE_SITE=1)")


@pytest.fixture(scope="session")
def site() -> Path:
    """build/site as `make site` wrote it (built here when missing)."""
    if not (SITE / "site-stats.json").is_file():
        _build([])
    return SITE


def _build(args: list[str]) -> None:
    """python -m course.site build ARGS, as make site runs it."""
    done = subprocess.run([sys.executable, "-m", "course.site", "build", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    print(done.stdout)


@pytest.fixture(scope="session")
def variant(tmp_path_factory, site) -> tuple[Path, str]:
    """(folder, url): the site built with the launch-link setting the default build does not have (a test URL
    when none is configured, none when one is) and with a hand-out zip when the default build has none."""
    stats = json.loads((site / "site-stats.json").read_text())
    url = "" if stats["repository"] else TEST_URL
    out = tmp_path_factory.mktemp("variant") / "site"
    args = ["--out", str(out), "--repo-url", url]
    if stats["handout"]:
        args.append("--no-handout")
    else:
        fake = out.parent / "handout.zip"
        shutil.make_archive(str(fake.with_suffix("")), "zip", ROOT / "notebooks")
        args += ["--handout", str(fake)]
    _build(args)
    return out, url


@pytest.fixture(scope="session")
def server(site):
    """The site served by Python's http.server on 127.0.0.1; yields its base URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's, through playwright's executable_path)."""
    with browser_kit.chromium(browser_kit.sync_api_or_fail("test-site")) as chromium:
        yield chromium


@pytest.fixture(scope="session")
def shots() -> Path:
    """build/site-shots/, emptied."""
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS
