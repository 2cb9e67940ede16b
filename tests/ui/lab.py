"""What the browser tests do in JupyterLab's page: open a notebook, Run All, save, read the cells' DOM."""
from __future__ import annotations

import time
from pathlib import Path

PANEL = ".jp-NotebookPanel"
INDICATOR = f"{PANEL} .jp-Notebook-ExecutionIndicator"
DIRTY = ".lm-TabBar-tab.jp-mod-dirty"
MAX_SHOT_HEIGHT = 40000

# One entry per cell of the open notebook, in order: its kind, prompt, output text, loaded images, widgets.
CELLS_JS = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Cell')).map(cell => ({
  code: cell.classList.contains('jp-CodeCell'),
  rendered: cell.classList.contains('jp-MarkdownCell') ? !!cell.querySelector('.jp-RenderedMarkdown') : true,
  prompt: (cell.querySelector('.jp-InputPrompt') || {}).textContent || '',
  text: Array.from(cell.querySelectorAll('.jp-OutputArea-output')).map(o => o.innerText).join('\\n'),
  images: Array.from(cell.querySelectorAll('.jp-OutputArea-output img')).filter(
    i => i.complete && i.naturalWidth > 0).length,
  widgets: Array.from(cell.querySelectorAll('.jp-OutputArea-output')).filter(  // drawn, or closed by the kernel
    o => o.querySelector('.jupyter-widgets') || o.classList.contains('lm-mod-hidden')).length,
}))"""

BUSY_JS = """() => {
  const ind = document.querySelector('%s');
  const prompts = Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt'));
  return {status: ind ? ind.dataset.status : 'none', running: prompts.filter(p => p.textContent.includes('*')).length,
          unrun: prompts.filter(p => !/\\d/.test(p.textContent)).length};
}""" % INDICATOR


# Count widget views added to output areas from now on (a progress bar may live for less than a second).
WATCH_WIDGETS_JS = """() => {
  window.courseWidgetsDrawn = 0;
  new MutationObserver(records => { for (const r of records) for (const n of r.addedNodes)
    if (n.nodeType === 1 && n.closest('.jp-OutputArea-output') && (n.matches('.jupyter-widgets')
        || n.querySelector('.jupyter-widgets'))) window.courseWidgetsDrawn++;
  }).observe(document.body, {childList: true, subtree: true});
}"""

# Scroll the notebook to its top; returns the height of its cells in pixels.
SCROLL_TOP_JS = """() => {
  const outer = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
  const inner = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-viewport');
  if (outer) outer.scrollTop = 0;
  return inner ? inner.getBoundingClientRect().height : 0;
}"""


def status(page) -> dict:
    """The kernel's status as the notebook's toolbar shows it, how many cells show [*], how many no number."""
    return page.evaluate(BUSY_JS)


def wait_idle(page, timeout: float, stable: float = 1.5, stable_unrun: float | None = None) -> float:
    """Wait until the kernel shows idle and no cell shows [*], without a change for `stable` seconds
    (`stable_unrun` seconds while some code cell has no execution count: Run All may have stopped, or not yet
    got there); returns the monotonic time at which that quiet period began."""
    deadline, since = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        now = status(page)
        if now["status"] == "idle" and now["running"] == 0:
            since = since or time.monotonic()
            quiet = stable if not now["unrun"] or stable_unrun is None else stable_unrun
            if time.monotonic() - since >= quiet:
                return since
        else:
            since = None
        time.sleep(0.25)
    raise TimeoutError(f"kernel not idle after {timeout:.0f} s (last: {status(page)})")


def open_notebook(page, url: str, kernel_ready, timeout: float = 120) -> None:
    """Open a notebook page and wait until its cells are drawn and its kernel is connected and idle
    (kernel_ready() says so from the server's side; the toolbar shows idle before a kernel exists)."""
    page.goto(url)
    page.wait_for_selector(f"{PANEL} .jp-Cell", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while not kernel_ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no kernel connected to the notebook after {timeout:.0f} s")
        time.sleep(0.25)
    page.wait_for_selector(f"{INDICATOR}[data-status='idle']", timeout=timeout * 1000)
    wait_idle(page, timeout, stable=2.0)


def is_dirty(page) -> bool:
    """Whether the notebook's tab shows unsaved changes."""
    return page.locator(DIRTY).count() > 0


def menu(page, top: str, command: str) -> None:
    """Click a main menu item, then the entry that runs a JupyterLab command."""
    page.locator(".lm-MenuBar-item", has_text=top).first.click()
    page.locator(f".lm-Menu-item[data-command='{command}']").first.click()


def run_all(page, timeout: float) -> float:
    """Run > Run All Cells, wait until the kernel is done; returns the seconds it took.
    Meanwhile the page counts the live widgets drawn in outputs (see widgets_drawn)."""
    page.evaluate(WATCH_WIDGETS_JS)
    start = time.monotonic()
    menu(page, "Run", "runmenu:run-all")
    deadline = start + 30
    while status(page)["running"] == 0 and status(page)["status"] == "idle" and time.monotonic() < deadline:
        time.sleep(0.05)
    return wait_idle(page, timeout, stable_unrun=5.0) - start


def widgets_drawn(page) -> int:
    """How many live widgets (e.g. tqdm's progress bars) were drawn in outputs since run_all began."""
    return page.evaluate("() => window.courseWidgetsDrawn || 0")


def save(page, path: Path, timeout: float = 30) -> None:
    """File > Save Notebook, and wait until the file on disk is rewritten and the tab is clean."""
    before = path.stat().st_mtime_ns
    menu(page, "File", "docmanager:save")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_dirty(page) and path.stat().st_mtime_ns != before:
            time.sleep(0.3)
            return
        time.sleep(0.1)
    raise TimeoutError(f"{path.name} was not saved within {timeout:.0f} s")


def cells(page) -> list[dict]:
    """What the DOM shows of each cell (see CELLS_JS)."""
    return page.evaluate(CELLS_JS)


def screenshot(page, path: Path) -> None:
    """The whole notebook from its top in one picture: the viewport is made as tall as the notebook."""
    size = page.viewport_size
    height = page.evaluate(SCROLL_TOP_JS)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": size["width"],
                            "height": int(min(max(size["height"], height + 200), MAX_SHOT_HEIGHT))})
    page.wait_for_timeout(800)
    page.evaluate(SCROLL_TOP_JS)
    page.wait_for_timeout(200)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
