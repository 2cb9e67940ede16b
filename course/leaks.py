"""Find the course's answers outside solutions/: a function whose body has the syntax tree of a solution region,
a quiz answer assigned at the top level, or the text of a quiz explanation in any file.

Usage: ``python -m course.leaks DIR [DIR ...]`` prints each leak and exits 1 if there is one.
"""
from __future__ import annotations

import ast
import json
import sys
import textwrap
from pathlib import Path

from helpers.notebook_format import BEGIN, END, QUIZ_PREFIX, cell_source, exercise_cells, read_cells

ROOT = Path(__file__).resolve().parent.parent


def _body_key(statements: list[ast.stmt]) -> tuple[str, ...]:
    """The statements' syntax trees, without a leading docstring."""
    if statements and isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Constant) \
            and isinstance(statements[0].value.value, str):
        statements = statements[1:]
    return tuple(ast.dump(s, annotate_fields=False) for s in statements)


def solution_bodies(solutions: Path = ROOT / "solutions") -> dict[tuple[str, ...], str]:
    """Map the syntax tree of every solution region to where it is ('NN_topic: first line')."""
    found = {}
    for path in sorted(solutions.glob("*.ipynb")):
        for cell in read_cells(path):
            for part in cell_source(cell).split(BEGIN)[1:]:
                region = textwrap.dedent(part.split(END)[0].strip("\n"))
                try:
                    key = _body_key(ast.parse(region).body)
                except SyntaxError:
                    continue
                if key:
                    found[key] = f"{path.stem}: {region.strip().splitlines()[0][:60]}"
                first = ast.parse(region).body[:1]
                if first and isinstance(first[0], ast.Assign) and ast.unparse(first[0].targets[0]).startswith(
                        QUIZ_PREFIX):  # a quiz answer, whatever asserts follow it in the block
                    found[_body_key(first)] = f"{path.stem}: {ast.unparse(first[0].targets[0])}"
    return found


def _code_of(path: Path) -> list[str]:
    """The Python sources in a file: the file itself, or a notebook's code cells."""
    if path.suffix == ".ipynb":
        try:
            return [cell_source(c) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        except (ValueError, KeyError):
            return []
    return [path.read_text(errors="replace")]


def find_leaks(folders: list[Path], solutions: Path = ROOT / "solutions") -> list[str]:
    """List 'file: function = answer of ...' for every function under folders whose body is a solution."""
    answers, leaks = solution_bodies(solutions), []
    files = [p for f in folders for p in sorted(Path(f).rglob("*")) if p.suffix in (".py", ".ipynb")]
    for path in files:
        for code in _code_of(path):
            try:
                tree = ast.parse(code)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _body_key(node.body) in answers:
                    leaks.append(f"{path}: {node.name} = answer of {answers[_body_key(node.body)]}")
            leaks += [f"{path}: quiz answer of {answers[_body_key([node])]}" for node in tree.body
                      if isinstance(node, ast.Assign) and _body_key([node]) in answers]
    return leaks + _explanation_leaks(folders, solutions)


def _explanation_leaks(folders: list[Path], solutions: Path) -> list[str]:
    """'file: explanation of quiz_NN_k' for every file that contains a quiz explanation in plain text."""
    from helpers.quiz import explanation

    texts = {}
    for path in sorted(solutions.glob("*.ipynb")):
        for cell in exercise_cells(read_cells(path)):
            if cell.name.startswith(QUIZ_PREFIX) and len(why := explanation(path.stem, cell.name, solutions)) >= 20:
                texts[cell.name] = why[:60]
    files = [p for f in folders for p in sorted(Path(f).rglob("*")) if p.is_file()]
    return [f"{p}: explanation of {name}" for p in files for name, why in texts.items() if why in _text(p)]


def _text(path: Path) -> str:
    """A file's text; for a notebook, its cells' sources (unescaped)."""
    text = path.read_text(errors="replace")
    if path.suffix == ".ipynb":
        try:
            return "\n".join(cell_source(c) for c in json.loads(text)["cells"])
        except (ValueError, KeyError):
            pass
    return text


def main(argv: list[str] | None = None) -> int:
    """Print the leaks under the given folders."""
    folders = [Path(a) for a in (argv if argv is not None else sys.argv[1:])] or [ROOT / "helpers", ROOT / "notebooks"]
    leaks = find_leaks(folders)
    print("\n".join(leaks) or f"no answer found under {', '.join(map(str, folders))}")
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
