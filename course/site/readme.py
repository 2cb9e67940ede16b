"""What the site reuses from README.md (the one place the course is described): sections, table, commands."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from course.site.config import ROOT, Launch

LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)")
NOTEBOOK_LINK = re.compile(r"^(?:\.\./)?(?:notebooks|solutions)/(\d\d_\w+)\.ipynb$")


@dataclass(frozen=True)
class Lesson:
    """One row of the README's course table."""

    number: str
    name: str      # NN_topic, the notebook's file stem
    learn: str     # "What you learn"


def sections(text: str) -> dict[str, str]:
    """Map each '## ' heading of a markdown text to its body (up to the next '## ' heading)."""
    found, title, lines, fence = {}, None, [], False
    for line in text.splitlines():
        fence ^= line.lstrip().startswith("```")
        if not fence and line.startswith("## "):
            if title is not None:
                found[title] = "\n".join(lines).strip("\n")
            title, lines = line[3:].strip(), []
        elif title is not None:
            lines.append(line)
    if title is not None:
        found[title] = "\n".join(lines).strip("\n")
    return found


def read_sections(readme: Path = ROOT / "README.md") -> dict[str, str]:
    """The README's sections."""
    return sections(readme.read_text(encoding="utf-8"))


def intro(readme: Path = ROOT / "README.md") -> str:
    """The README's opening paragraphs, between its '# ' title and its first '## ' section."""
    text = readme.read_text(encoding="utf-8").split("\n## ", 1)[0]
    return "\n".join(line for line in text.splitlines() if not line.startswith("# ")).strip()


def section(found: dict[str, str], start: str) -> str:
    """The body of the first section whose heading starts with start; ValueError names what is missing."""
    for title, body in found.items():
        if title.lower().startswith(start.lower()):
            return body
    raise ValueError(f"README.md has no section starting with '## {start}' (the site reuses it)")


def course_table(found: dict[str, str]) -> list[Lesson]:
    """The lessons, in order, from the '| # | Notebook | What you learn |' table of '## The course'."""
    lessons = []
    for line in section(found, "The course").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"\d\d", cells[0]):
            m = LINK.search(cells[1])
            name = Path(m.group(2)).stem if m else cells[1].strip("`")
            lessons.append(Lesson(cells[0], name, cells[2]))
    if not lessons:
        raise ValueError("README.md's '## The course' section has no '| NN | notebook | what you learn |' rows")
    return lessons


def setup_commands(found: dict[str, str]) -> str:
    """The first bash block of '## Get started': the two setup commands, comments included."""
    m = re.search(r"```(?:bash|sh)?\n(.*?)```", section(found, "Get started"), flags=re.S)
    if not m:
        raise ValueError("README.md's '## Get started' section has no ```bash block")
    return m.group(1).rstrip("\n")


def rewrite_links(markdown: str, launch: Launch, lessons: set[str]) -> str:
    """Point README links at the site: a lesson's notebook -> its page; another repository file -> the
    repository (or plain code text without a URL); absolute URLs and anchors unchanged."""
    def replace(m: re.Match) -> str:
        text, target = m.group(1), m.group(2)
        if re.match(r"^[a-z]+:|^#", target):
            return m.group(0)
        nb = NOTEBOOK_LINK.match(target)
        if nb and nb.group(1) in lessons:
            return f"[{text}]({nb.group(1)}.ipynb)"
        blob = launch.blob(target.lstrip("./"))
        return f"[{text}]({blob})" if blob else (text if text.startswith("`") else f"`{text}`")
    return LINK.sub(replace, markdown)


def demote(markdown: str, levels: int = 1) -> str:
    """Push every heading (outside code fences) down by levels."""
    out, fence = [], False
    for line in markdown.splitlines():
        fence ^= line.lstrip().startswith("```")
        out.append("#" * levels + line if not fence and re.match(r"^#+ ", line) else line)
    return "\n".join(out)
