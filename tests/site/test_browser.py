"""Every page of the built site in headless Chromium, served over HTTP and opened from disk."""
from __future__ import annotations

import re
from urllib.parse import quote

from tests.site.browse import visit

LESSON = "03_shapes_and_broadcasting"


def _pages(site):
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def test_every_page_loads_cleanly(site, server, browser):
    """No console error, exception, failed or external request; every image loaded; math typeset."""
    problems, math_pages = [], []
    for name in _pages(site):
        record = visit(browser, server + name, server)
        problems += [f"{name}: {p}" for p in record.problems]
        if record.math.get("count"):
            math_pages.append(name)
    assert not problems, "\n".join(problems)
    assert "04_autograd.html" in math_pages, "the autograd lesson's math was not found on its page"


def _search(browser, base: str, url: str, query: str = "broadcasting") -> list[str]:
    """The result links that search.html lists for query."""
    found: list[str] = []

    def read_results(page):
        page.wait_for_selector("#search-results li a", timeout=15_000)
        found.extend(page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.href)"))
    record = visit(browser, f"{url}search.html?q={quote(query)}", base, action=read_results)
    assert not record.problems, "\n".join(record.problems)
    return found


def test_search_over_http(server, browser):
    links = _search(browser, server, server)
    assert any(f"{LESSON}.html" in link for link in links), links


def test_search_from_disk(site, browser):
    base = site.as_uri() + "/"
    links = _search(browser, base, base)
    assert any(f"{LESSON}.html" in link for link in links), links


def test_pages_work_from_disk(site, browser):
    """index.html, a lesson with plots and the lesson with math, opened as files (no server)."""
    problems = []
    for name in ("index.html", "07_cifar10.html", "04_autograd.html", f"{LESSON}.html"):
        record = visit(browser, (site / name).as_uri(), site.as_uri() + "/")
        problems += [f"{name}: {p}" for p in record.problems]
        if name == "04_autograd.html":
            assert record.math.get("typeset", 0) > 10, record.math
    assert not problems, "\n".join(problems)


def test_navigation_in_the_browser(server, browser):
    """A lesson page has previous/next links and a table of contents that point at real sections."""
    seen = {}

    def read(page):
        seen["prev"] = page.eval_on_selector("a.left-prev", "e => e.getAttribute('href')")
        seen["next"] = page.eval_on_selector("a.right-next", "e => e.getAttribute('href')")
        seen["toc"] = page.eval_on_selector_all(".page-toc a.nav-link", "els => els.map(e => e.getAttribute('href'))")
        seen["sidebar"] = page.eval_on_selector_all(".bd-sidebar-primary a.reference",
                                                    "els => els.map(e => e.getAttribute('href'))")
    record = visit(browser, f"{server}{LESSON}.html", server, action=read)
    assert not record.problems, record.problems
    assert seen["prev"] == "02_numpy_bridge.html" and seen["next"] == "04_autograd.html", seen
    assert len(seen["toc"]) >= 4 and all(h.startswith("#") for h in seen["toc"]), seen["toc"]
    assert [h for h in seen["sidebar"] if re.match(r"\d\d_", h)][:2] == ["00_setup.html", "01_tensors.html"]


def test_screenshots(server, browser, shots):
    """build/site-shots/home.png and build/site-shots/lesson.png."""
    for name, page in (("home", "index.html"), ("lesson", f"{LESSON}.html")):
        record = visit(browser, server + page, server, screenshot=shots / f"{name}.png")
        assert not record.problems, record.problems
        assert (shots / f"{name}.png").stat().st_size > 10_000
