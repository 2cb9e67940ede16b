"""Build the site: write the page sources, run Sphinx, bundle MathJax, check that nothing loads from the web."""
from __future__ import annotations

import importlib.metadata
import re
import shutil
import time
from pathlib import Path

import nbformat

from course.generate import render, student_copy
from course.site import lessons, pages, readme
from course.site.config import ROOT, Launch

STATIC = Path(__file__).with_name("static")
MATHJAX_FILES = ("tex-svg.js", "input/tex/extensions", "ui", "a11y", "sre")  # SVG output: no font files
LOADING_TAG = re.compile(r"<(?:script|link|img|iframe|source|video|audio|embed|object|input)\b[^>]*>", re.I)
ATTR_EXTERNAL = re.compile(r"""\b(?:src|href|data|poster|srcset)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
CSS_EXTERNAL = re.compile(r"""(?:url\(\s*["']?|@import\s+["']?)(?:https?:)?//""", re.I)
CONF = {
    "project": "PyTorch Basics", "author": "The PyTorch Basics course", "copyright": "the course authors",
    "html_title": "PyTorch Basics", "language": "en", "master_doc": "index",
    "extensions": ["myst_nb", "sphinx.ext.mathjax", "sphinx_copybutton"],
    "myst_enable_extensions": ["dollarmath", "amsmath", "colon_fence"], "myst_heading_anchors": 3,
    "nb_execution_mode": "off", "nb_merge_streams": True, "nb_output_stderr": "show",
    "html_theme": "sphinx_book_theme", "html_static_path": ["_course_static", "_mathjax"],
    "html_css_files": ["course.css"], "html_extra_path": ["_extra"], "mathjax_path": "mathjax/tex-svg.js",
    "html_copy_source": False, "html_show_sourcelink": False, "html_show_search_summary": False,
    "html_last_updated_fmt": None, "exclude_patterns": ["_build", "_extra", "_mathjax", "_course_static"],
    "suppress_warnings": ["myst.header", "mystnb.unknown_mime_type"],
}


def mathjax_dir() -> Path:
    """MathJax 3 as installed from PyPI by sphinx-mathjax-offline (a static copy; its Sphinx hook is not used)."""
    dist = importlib.metadata.distribution("sphinx-mathjax-offline")
    return Path(str(dist.locate_file("sphinx-mathjax-offline/static/mathjax")))


def copy_mathjax(dest: Path) -> None:
    """Copy the MathJax files the pages load (tex-svg.js and what it may load on demand) into dest."""
    source = mathjax_dir()
    for rel in MATHJAX_FILES:
        src = source / rel
        if src.is_dir():
            shutil.copytree(src, dest / rel, dirs_exist_ok=True)
        elif src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def conf(launch: Launch) -> dict:
    """The Sphinx configuration: the repository button only when a URL is configured."""
    options = {"use_download_button": False, "use_fullscreen_button": True, "home_page_in_toc": True,
               "show_toc_level": 2, "navigation_with_keys": False, "use_repository_button": bool(launch.url),
               "use_issues_button": False, "use_edit_page_button": False}
    if launch.url:
        options.update(repository_url=launch.url, repository_branch=launch.branch)
    return {**CONF, "html_theme_options": options, "html_context": {"default_mode": "auto"}}


def write_downloads(dest: Path, names: list[str], handout_zip: Path | None) -> None:
    """The student notebooks (as committed in notebooks/, or generated when missing) and the hand-out zip."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        committed = ROOT / "notebooks" / f"{name}.ipynb"
        text = committed.read_text(encoding="utf-8") if committed.exists() else render(
            student_copy(nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4), name))
        (dest / f"{name}.ipynb").write_text(text, encoding="utf-8")
    if handout_zip:
        shutil.copy2(handout_zip, dest / lessons.handout_name())


def titles_of(src: Path, names: list[str]) -> dict[str, str]:
    """Each lesson's title: the first '# ' heading of its first cell."""
    found = {}
    for name in names:
        first = nbformat.read(src / f"{name}.ipynb", as_version=4).cells[0].source
        found[name] = next((l[2:].strip() for l in first.splitlines() if l.startswith("# ")), name)
    return found


def prepare(src: Path, launch: Launch, handout_zip: Path | None) -> list[str]:
    """Write every page source, the configuration and the static files into src; return the lesson names."""
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    names = lessons.write_lessons(ROOT / "solutions", src, launch, bool(handout_zip))
    found = readme.read_sections()
    pages.write_pages(src, found, titles_of(src, names), launch, bool(handout_zip))
    write_downloads(src / "_extra" / lessons.DOWNLOADS, names, handout_zip)
    shutil.copytree(STATIC, src / "_course_static")
    copy_mathjax(src / "_mathjax" / "mathjax")
    (src / "conf.py").write_text("".join(f"{k} = {v!r}\n" for k, v in conf(launch).items()), encoding="utf-8")
    return names


def external_references(site: Path) -> list[str]:
    """'file: snippet' for every script, style, font, image or frame the built HTML or CSS would load from the
    web (plain links a reader may follow are fine; what scripts load is checked in the browser test)."""
    found = []
    for path in sorted(p for p in site.rglob("*") if p.suffix in (".html", ".css")):
        text = path.read_text(encoding="utf-8", errors="replace")
        hits = [m.group(0) for m in CSS_EXTERNAL.finditer(text)]
        if path.suffix == ".html":
            hits += [tag.group(0) for tag in LOADING_TAG.finditer(text) if ATTR_EXTERNAL.search(tag.group(0))]
        found += [f"{path.relative_to(site)}: {hit[:120]!r}" for hit in hits]
    return found


def build(out: Path, launch: Launch, handout_zip: Path | None, quiet: bool = True) -> dict:
    """Build the site into out; return its figures. Raises RuntimeError when Sphinx fails or a page would
    load something from the web."""
    from sphinx.cmd.build import build_main
    started = time.perf_counter()
    work = out.parent / f".{out.name}-work"
    names = prepare(work / "src", launch, handout_zip)
    if out.exists():
        shutil.rmtree(out)
    args = ["-b", "html", "-E", "-j", "auto", "-d", str(work / "doctrees"), str(work / "src"), str(out)]
    if build_main(args + (["-q"] if quiet else [])) != 0:
        raise RuntimeError("sphinx-build failed (see the messages above)")
    (out / ".nojekyll").touch()
    shutil.rmtree(out / "_sources", ignore_errors=True)  # html_copy_source is off: only an empty folder
    for macros in out.glob("_static/*webpack-macros.html"):  # the themes' Jinja macros, copied as static files
        macros.unlink()
    problems = external_references(out)
    if problems:
        raise RuntimeError("pages would load from the web:\n  " + "\n  ".join(problems))
    files = [p for p in out.rglob("*") if p.is_file()]
    return {"seconds": round(time.perf_counter() - started, 1), "pages": len(list(out.glob("*.html"))),
            "lessons": len(names), "bytes": sum(p.stat().st_size for p in files), "files": len(files),
            "repository": launch.url or None, "handout": bool(handout_zip)}
