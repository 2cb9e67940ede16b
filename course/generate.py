"""Generate student notebooks from solutions: replace solution regions with stubs, clear outputs.

Usage: ``python -m course generate`` (write notebooks/) or ``python -m course generate --check``.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
import tomllib
from pathlib import Path

import nbformat

from helpers.notebook_format import BEGIN, END, MD_BEGIN, MD_END, META_KEY, QUIZ_PREFIX, STUB

ROOT = Path(__file__).resolve().parent.parent
MD_STUB = "*Write your answer here.*"
KEEP_CELL_METADATA = ("tags", "exercise")
URL_KEYS = ("Repository", "Source", "Source Code", "Homepage")  # the first one set in [project.urls] wins
KEEP_NB_METADATA = ("kernelspec", "language_info", META_KEY)  # as a kernel reports them: clean on open


class GenerationError(ValueError):
    """A solution notebook whose markers cannot be turned into a student copy."""


def _stub(lines: list[str], begin: int) -> list[str]:
    """Return the stub lines that replace a solution region starting at line index begin."""
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    if begin + 1 < len(lines) and (quiz := re.match(rf"\s*({QUIZ_PREFIX}\w+)\s*=", lines[begin + 1])):
        return [f"{indent}{quiz.group(1)} = ...  # your answer"]
    name = next((m.group(1) for line in reversed(lines[:begin])
                 if (m := re.match(r"\s*def (\w+)", line))), "this exercise")
    return [f"{indent}# YOUR CODE HERE",
            f'{indent}raise NotImplementedError("{name}: {STUB}")']


def strip_code(source: str, where: str) -> str:
    """Replace every BEGIN/END SOLUTION region of a code cell with a stub."""
    lines, out, i = source.split("\n"), [], 0
    while i < len(lines):
        if lines[i].strip() == END:
            raise GenerationError(f"{where}: '{END}' without a matching '{BEGIN}' (line {i + 1})")
        if lines[i].strip() != BEGIN:
            out.append(lines[i])
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() in (BEGIN, END)), None)
        if end is None or lines[end].strip() != END:
            raise GenerationError(f"{where}: '{BEGIN}' on line {i + 1} has no matching '{END}'")
        out.extend(_stub(lines, i))
        i = end + 1
    return "\n".join(out)


def strip_markdown(source: str, where: str) -> str:
    """Replace every BEGIN/END SOLUTION comment region of a markdown cell with a prompt."""
    if source.count(MD_BEGIN) != source.count(MD_END):
        raise GenerationError(f"{where}: unbalanced '{MD_BEGIN}' / '{MD_END}' markers")
    return re.sub(re.escape(MD_BEGIN) + r".*?" + re.escape(MD_END), MD_STUB, source, flags=re.S)


def source_fingerprint(nb: nbformat.NotebookNode) -> str:
    """Hash every cell's type and source, so any edit to a solution (even inside a solution region) shows."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        digest.update(f"{cell.cell_type}\0{cell.source}\0".encode())
    return digest.hexdigest()[:16]


SOURCE_LINE = 'COURSE_SOURCE = ""'  # in every setup cell: where Colab installs the course's helpers from


def course_source(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The course's repository URL from pyproject.toml's [project.urls] ('' when none is configured)."""
    try:
        urls = tomllib.loads(pyproject.read_text()).get("project", {}).get("urls", {})
    except (OSError, tomllib.TOMLDecodeError):
        return ""
    return next((str(urls[k]).strip() for k in URL_KEYS if urls.get(k)), "")


def student_copy(nb: nbformat.NotebookNode, name: str = "notebook", source: str = "") -> nbformat.NotebookNode:
    """Return the student version of a solution notebook (stubs, no outputs, stable ids, the course's source URL)."""
    student = copy.deepcopy(nb)
    student.metadata = {k: copy.deepcopy(nb.metadata[k]) for k in KEEP_NB_METADATA if k in nb.metadata}
    student.metadata.setdefault(META_KEY, {})["generated_from"] = source_fingerprint(nb)
    for index, cell in enumerate(student.cells):
        where = f"{name}, cell {index} (id {cell.get('id', '?')})"
        cell.metadata = {k: cell.metadata[k] for k in KEEP_CELL_METADATA if k in cell.metadata}
        tags = [t for t in cell.metadata.get("tags", []) if not t.startswith("nbval-")]  # test machinery
        cell.metadata.pop("tags", None)
        if tags:
            cell.metadata["tags"] = tags
        if cell.cell_type == "code":
            cell.source = strip_code(cell.source, where)
            if source:
                cell.source = cell.source.replace(SOURCE_LINE, f"COURSE_SOURCE = {json.dumps(source)}", 1)
            cell.outputs, cell.execution_count = [], None
        elif cell.cell_type == "markdown":
            cell.source = strip_markdown(cell.source, where)
    return student


def render(nb: nbformat.NotebookNode) -> str:
    """Serialise a notebook exactly as it is written to disk."""
    return nbformat.writes(nb) + "\n"


def expected_student_files(root: Path | None = None) -> dict[Path, str]:
    """Map each student notebook path to the text generated from its solution."""
    root, out = root or ROOT, {}
    source = course_source(root / "pyproject.toml")
    for sol in sorted((root / "solutions").glob("*.ipynb")):
        nb = nbformat.read(sol, as_version=4)
        out[root / "notebooks" / sol.name] = render(student_copy(nb, f"solutions/{sol.name}", source))
    return out


def drift(root: Path | None = None) -> list[str]:
    """List the student notebooks that differ from what their solutions generate."""
    root = root or ROOT
    expected = expected_student_files(root)
    problems = [f"notebooks/{p.name} is stale (run `make notebooks`)"
                for p, text in expected.items() if not p.exists() or p.read_text() != text]
    extra = {p.name for p in (root / "notebooks").glob("*.ipynb")} - {p.name for p in expected}
    problems += [f"notebooks/{n} has no solution in solutions/ (delete it or add the solution)" for n in sorted(extra)]
    return problems


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, verify) the student notebooks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if notebooks/ is out of date")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = drift(ROOT)
            print("\n".join(problems) or "notebooks/ is up to date")
            return 1 if problems else 0
        (ROOT / "notebooks").mkdir(exist_ok=True)
        for path, text in expected_student_files(ROOT).items():
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
                print(f"wrote notebooks/{path.name}")
    except GenerationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
