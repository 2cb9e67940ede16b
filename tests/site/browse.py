"""Open a site page in Chromium and record what went wrong: console errors, uncaught exceptions, failed or
non-2xx requests, requests that would leave the site (blocked), broken images and untypeset math."""
from __future__ import annotations

from dataclasses import dataclass, field

LOCAL = ("file://", "data:", "blob:", "about:")
BROKEN_IMAGES = """async () => {
  const broken = [];
  for (const img of Array.from(document.images)) {
    img.loading = "eager";
    try { await img.decode(); } catch (e) { broken.push(img.currentSrc || img.src); }
    if (img.naturalWidth === 0 && !broken.includes(img.src)) broken.push(img.src);
  }
  return broken;
}"""
MATH = """async () => {
  const math = Array.from(document.querySelectorAll(".math"));
  if (!math.length) return {count: 0, typeset: 0, errors: 0};
  for (let i = 0; i < 100 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
    await new Promise(r => setTimeout(r, 100));
  if (!(window.MathJax && MathJax.startup)) return {count: math.length, typeset: 0, errors: 0, missing: true};
  await MathJax.startup.promise;
  return {count: math.length, typeset: math.filter(m => m.querySelector("mjx-container")).length,
          errors: document.querySelectorAll("mjx-merror, [data-mjx-error]").length};
}"""


@dataclass
class Visit:
    """What one page load did."""

    url: str
    problems: list[str] = field(default_factory=list)
    math: dict = field(default_factory=dict)
    requests: int = 0


def visit(browser, url: str, base: str, screenshot=None, action=None) -> Visit:
    """Load url (waiting for the network to go quiet), run action(page) if given, then check the page."""
    record = Visit(url)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def route(r):
        if r.request.url.startswith(LOCAL) or r.request.url.startswith(base):
            record.requests += 1
            return r.continue_()
        record.problems.append(f"request leaves the site (blocked): {r.request.url}")
        return r.abort()
    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and record.problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: record.problems.append(f"uncaught exception: {e}"))
    page.on("requestfailed", lambda r: (r.url.startswith(LOCAL) or r.url.startswith(base))
            and record.problems.append(f"failed request: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and record.problems.append(f"HTTP {r.status}: {r.url}"))
    try:
        page.goto(url, wait_until="networkidle", timeout=30_000)
        if action:
            action(page)
        record.problems += [f"image not loaded: {src}" for src in page.evaluate(BROKEN_IMAGES)]
        record.math = page.evaluate(MATH)
        if record.math.get("typeset", 0) < record.math.get("count", 0) or record.math.get("errors"):
            record.problems.append(f"math not typeset: {record.math}")
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=False)
    finally:
        context.close()
    return record
