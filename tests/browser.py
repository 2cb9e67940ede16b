"""What the browser tests share (tests/ui for JupyterLab, tests/site for the website): Debian's Chromium driven by
playwright through executable_path (never `playwright install`), and opting in with an environment variable."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium's own connections are refused by a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def install_hint(target: str) -> str:
    """How to get what `make TARGET` needs."""
    return (f"make {target} needs Debian's chromium and playwright from pip: apt-get install -y chromium && "
            ".venv/bin/pip install -r requirements.txt (never `playwright install`)")


def skip_unless(enabled: bool, folder: Path, items: list, reason: str) -> None:
    """Mark every collected test under folder as skipped unless enabled (plain `make test` never runs them)."""
    if enabled:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if Path(str(item.fspath)).is_relative_to(folder):
            item.add_marker(skip)


def sync_api_or_fail(target: str) -> Any:
    """playwright's sync API; fails with how to install it when it or Chromium is missing."""
    try:
        from playwright import sync_api
    except ImportError:
        pytest.fail(f"playwright is not installed. {install_hint(target)}", pytrace=False)
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} not found. {install_hint(target)}", pytrace=False)
    return sync_api


@contextlib.contextmanager
def chromium(sync_api: Any) -> Iterator[Any]:
    """One headless Chromium, closed on the way out."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
