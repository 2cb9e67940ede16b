"""The site's own pages, written as MyST markdown: home (course table, setup), instructors, CI users."""
from __future__ import annotations

from pathlib import Path

from course.site import readme
from course.site.config import Launch
from course.site.lessons import DOWNLOADS, handout_name

PAGES = Path(__file__).with_name("pages")
EXERCISES_POLICY = (
    "**Exercises on this site.** Each lesson page shows the notebook exactly as you get it: every exercise is "
    "the stub you complete (`raise NotImplementedError`), never its answer. The outputs under the cells are "
    "those of the solved, executed course, so under an exercise you see what its check prints for a correct "
    "answer. Download a notebook (or launch it) to solve the exercises yourself.")


def _table(lessons: list[readme.Lesson], titles: dict[str, str]) -> str:
    """The course table, linking each lesson's page and its student notebook."""
    rows = ["| # | Lesson | What you learn | Notebook |", "|---|---|---|---|"]
    for lesson in lessons:
        title = titles.get(lesson.name, lesson.name).replace("|", "\\|")
        rows.append(f"| {lesson.number} | [{title}]({lesson.name}.ipynb) | {lesson.learn} "
                    f'| <a href="{DOWNLOADS}/{lesson.name}.ipynb" download>{lesson.name}.ipynb</a> |')
    return "\n".join(rows)


def home(found: dict[str, str], titles: dict[str, str], launch: Launch, handout: bool) -> str:
    """index.md: intro, the two setup commands, the course table, the exercise policy, hidden toctree."""
    lessons = [lesson for lesson in readme.course_table(found) if lesson.name in titles]
    intro = readme.intro()
    parts = ["# PyTorch Basics", intro, PAGES.joinpath("home.md").read_text(encoding="utf-8").strip(),
             "## Get started (two commands)", "```bash\n" + readme.setup_commands(found) + "\n```",
             "Then `make lab` opens JupyterLab on `notebooks/`, your copies of the lessons.",
             "## The course", _table(lessons, titles), EXERCISES_POLICY]
    if handout:
        parts.append(f"**Class hand-out:** <a href=\"{DOWNLOADS}/{handout_name()}\" download>{handout_name()}</a> (student notebooks, "
                     "the runtime and install instructions, no answers).")
    if launch.url:
        parts.append(f"**Source:** [{launch.url}]({launch.url})")
    toc = "\n".join(f"{name}.ipynb" for name in titles)
    parts.append(f"```{{toctree}}\n:hidden:\n:caption: Lessons\n:maxdepth: 1\n\n{toc}\n```")
    parts.append("```{toctree}\n:hidden:\n:caption: More\n:maxdepth: 1\n\ninstructors\nci\n```")
    return "\n\n".join(p for p in parts if p) + "\n"


def _from_readme(found: dict[str, str], starts: list[str], launch: Launch, lessons: set[str]) -> str:
    """README sections (each under its own '##' heading), links pointed at the site or the repository."""
    chunks = []
    titles = [t for start in starts for t in found if t.lower().startswith(start.lower())]
    for title in dict.fromkeys(titles):
        body = readme.rewrite_links(readme.demote(found[title]), launch, lessons)
        chunks.append(f"## {title}\n\n{body}")
    return "\n\n".join(chunks)


def instructors(found: dict[str, str], launch: Launch, lessons: set[str]) -> str:
    """instructors.md: handing the course out and grading submissions, from the README."""
    head = PAGES.joinpath("instructors.md").read_text(encoding="utf-8").strip()
    return head + "\n\n" + _from_readme(found, ["For instructors"], launch, lessons) + "\n"


def ci(found: dict[str, str], launch: Launch, lessons: set[str]) -> str:
    """ci.md: running the notebooks with papermill and nbval, and on a GPU."""
    head = PAGES.joinpath("ci.md").read_text(encoding="utf-8").strip()
    body = _from_readme(found, ["How the tests work", "Running on a GPU", "Data for notebook 07"], launch, lessons)
    return head + "\n\n" + body + "\n"


def write_pages(src: Path, found: dict[str, str], titles: dict[str, str], launch: Launch, handout: bool) -> None:
    """Write index.md, instructors.md and ci.md into src."""
    lessons = set(titles)
    (src / "index.md").write_text(home(found, titles, launch, handout), encoding="utf-8")
    (src / "instructors.md").write_text(instructors(found, launch, lessons), encoding="utf-8")
    (src / "ci.md").write_text(ci(found, launch, lessons), encoding="utf-8")
