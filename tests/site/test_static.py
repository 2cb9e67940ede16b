"""The built site's files: offline, no answers, links that resolve, the content the issue asks for."""
from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup

from course.leaks import find_leaks
from course.site import readme
from course.site.build import external_references
from course.site.config import Launch, repository_url
from helpers import exercises
from helpers.errors import MARK
from helpers.notebook_format import BEGIN, END
from tests.conftest import ROOT
from tests.site.conftest import TEST_URL

LESSONS = sorted(p.stem for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


@functools.lru_cache(maxsize=None)
def _soup(path: Path) -> BeautifulSoup:
    """A page's parsed HTML (parsed once per run: do not modify it)."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _text(path: Path) -> str:
    """A page's visible text, whitespace collapsed (highlighted code is split into spans)."""
    return re.sub(r"\s+", " ", _soup(path).get_text(" "))


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_nothing_loads_from_the_web(site, variant):
    """No script, style, font or image reference to http(s):// (or //host) in any HTML or CSS file."""
    assert external_references(site) == []
    assert external_references(variant[0]) == []


def test_every_local_link_resolves(site):
    """Every local href/src of every page names a file of the site, and every #anchor an id on that page."""
    ids, problems = {}, []
    for page in _pages(site):
        for tag in _soup(page).find_all(href=True) + _soup(page).find_all(src=True):
            target = tag.get("href") or tag.get("src")
            parts = urlsplit(target)
            if parts.scheme or target.startswith(("//", "mailto:", "javascript:")):
                continue
            file = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not file.is_file():
                problems.append(f"{page.name}: {target} (no such file)")
            elif parts.fragment and file.suffix == ".html":
                known = ids.setdefault(file, {t["id"] for t in _soup(file).find_all(id=True)})
                if unquote(parts.fragment) not in known:
                    problems.append(f"{page.name}: {target} (no such anchor)")
    assert not problems, "\n".join(problems)


def test_no_answer_on_the_site(site, variant, tmp_path):
    """No solution marker anywhere, and no function whose body is a solution region: neither in the downloads
    nor in the code the pages show (each page's code blocks are written out as .py files and searched)."""
    for folder in (site, variant[0]):
        for path in folder.rglob("*"):
            if path.suffix in (".html", ".js", ".ipynb", ".txt", ".json"):
                text = path.read_text(encoding="utf-8", errors="replace")
                assert BEGIN not in text and END not in text, path
    for page in _pages(site):
        blocks = [pre.get_text() for pre in _soup(page).select("div.cell_input pre, div.highlight pre")]
        (tmp_path / f"{page.stem}.py").write_text("\n\n".join(blocks))
    assert find_leaks([tmp_path, site / "downloads"]) == []


def test_home_page(site):
    """The course table in order with what each lesson teaches, the two setup commands, the exercise policy,
    links to every lesson, its notebook, the instructors' and the CI page."""
    soup = _soup(site / "index.html")
    table = readme.course_table(readme.read_sections())
    rows = soup.select("table tbody tr")
    assert [r.find("td").get_text(strip=True) for r in rows] == [lesson.number for lesson in table]
    for row, lesson in zip(rows, table):
        assert lesson.learn.split(";")[0].replace("`", "")[:25] in row.get_text(" ", strip=True)
        hrefs = [a["href"] for a in row.find_all("a")]
        assert f"{lesson.name}.html" in hrefs and f"downloads/{lesson.name}.ipynb" in hrefs
    code = soup.get_text()
    assert "make setup" in code and "make test" in code
    assert "never its answer" in code
    assert {"instructors.html", "ci.html"} <= {a["href"] for a in soup.find_all("a", href=True)}


def test_lesson_pages(site):
    """Each lesson: prose, code, executed outputs, a download link; exercises folded away behind a note with the
    stub shown; intentional errors as their printed line, no traceback; plots as images."""
    for name in LESSONS:
        soup = _soup(site / f"{name}.html")
        text = soup.get_text(" ")
        assert soup.select("div.cell_output"), name
        assert soup.select_one(f'a[href="downloads/{name}.ipynb"]'), name
        assert (site / "downloads" / f"{name}.ipynb").is_file()
        shown = copy.copy(soup)  # _soup is cached: take the expected errors out of a copy
        for out in shown.select("div.cell_output"):
            if MARK in out.get_text():  # an error shown on purpose prints what students meet (09: a worker's traceback)
                out.extract()
        assert "Traceback (most recent call last)" not in shown.get_text(" "), f"{name}: an unexpected traceback"
        assert not soup.select(".output.traceback"), name
        notes = soup.select(".course-exercise-note")
        assert len(notes) == len(soup.select("div.cell.tag_course-exercise")) > 0, name
        assert "NotImplementedError" in " ".join(c.get_text() for c in soup.select("div.tag_course-exercise"))
        for quiz in [n for n, ex in exercises.load_all().items() if ex.is_quiz and ex.lesson == name]:
            assert f"{quiz}: correct" not in text, f"{name}: {quiz}'s output (its explanation) is on the site"
    assert "Expected error, shown on purpose:" in _soup(site / "03_shapes_and_broadcasting.html").get_text()
    images = _soup(site / "07_cifar10.html").select("div.cell_output img")
    assert len(images) >= 5 and all((site / img["src"]).is_file() for img in images)
    assert _soup(site / "04_autograd.html").select(".math")


def test_instructor_and_ci_pages(site):
    instructors = _text(site / "instructors.html")
    assert "make release" in instructors and "make grade" in instructors and "grades.csv" in instructors
    ci = _text(site / "ci.html")
    assert "papermill" in ci and "--nbval-lax" in ci and "make test-gpu" in ci


def _launch_links(site: Path) -> dict[str, list[str]]:
    soup = _soup(site / "03_shapes_and_broadcasting.html")
    return {kind: [a["href"] for a in soup.select(f"a.course-badge-{kind}")] for kind in ("colab", "binder")}


def test_launch_links_with_and_without_url(site, variant):
    """Colab and Binder badges only where a repository URL is configured, built from it; the hand-out link
    only where a hand-out zip was given."""
    stats = json.loads((site / "site-stats.json").read_text())
    for folder, url in ((site, stats["repository"] or ""), variant):
        links, handout = _launch_links(folder), json.loads((folder / "site-stats.json").read_text())["handout"]
        if not url:
            assert links == {"colab": [], "binder": []}, folder
            assert "Colab" not in (folder / "index.html").read_text().replace("Colab or Binder when", "")
        else:
            owner_repo = urlsplit(url).path.strip("/")
            assert links["colab"] == [f"https://colab.research.google.com/github/{owner_repo}/blob/main/"
                                      "notebooks/03_shapes_and_broadcasting.ipynb"]
            assert links["binder"] == [f"https://mybinder.org/v2/gh/{owner_repo}/main?"
                                       "labpath=notebooks%2F03_shapes_and_broadcasting.ipynb"]
        assert (folder / "downloads" / "pytorch-basics-course.zip").is_file() == handout
        assert bool(_soup(folder / "index.html").select('a[href="downloads/pytorch-basics-course.zip"]')) == handout
    assert TEST_URL in (stats["repository"] or variant[1])


def test_repository_url_is_read_from_pyproject(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_SITE_REPO_URL", raising=False)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n')
    assert repository_url(pyproject) == ""
    pyproject.write_text('[project]\nname = "x"\n[project.urls]\nRepository = "https://github.com/o/r"\n')
    assert repository_url(pyproject) == "https://github.com/o/r"
    assert repository_url(pyproject, override="") == ""
    monkeypatch.setenv("COURSE_SITE_REPO_URL", "https://github.com/a/b")
    assert repository_url(pyproject) == "https://github.com/a/b"
    assert Launch("https://gitlab.com/o/r").colab("notebooks/x.ipynb") == ""
    assert Launch("https://github.com/o/r.git").binder("n/x.ipynb") == "https://mybinder.org/v2/gh/o/r/main?labpath=n%2Fx.ipynb"
