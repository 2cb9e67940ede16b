"""Try the class hand-out as a student would: unpack the zip, run its README's install command in a fresh virtual
environment, execute every notebook there, then paste one correct answer and see its check turn correct.

Usage: ``python -m course check-release [--zip build/release/pytorch-basics-course.zip] [--work build/handout]``
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat

from course.execute import analyse
from helpers.references import reference_source

ROOT = Path(__file__).resolve().parent.parent
INSTALL = re.compile(r"^(python3 -m venv .*)$", re.M)


def install(folder: Path) -> float:
    """Run the README's install line (the first command) in folder; return its seconds."""
    line = INSTALL.search((folder / "README.md").read_text())
    if not line:
        raise RuntimeError("the hand-out README has no 'python3 -m venv ...' install command")
    start = time.perf_counter()
    subprocess.run(line.group(1), shell=True, cwd=folder, check=True)
    return time.perf_counter() - start


def execute(folder: Path, notebook: Path, out: Path) -> list[str]:
    """Execute a notebook with the hand-out's own Jupyter (errors allowed) and list what is wrong with the run."""
    cmd = [str(folder / ".venv" / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
           "--ExecutePreprocessor.timeout=900", f"--output={out}", str(notebook)]
    subprocess.run(cmd, cwd=folder / "notebooks", check=True, capture_output=True)
    return analyse(nbformat.read(out, as_version=4), notebook.name, 0.0).problems(student=True)


def paste_answer(folder: Path, work: Path) -> str:
    """Put the solution of one exercise into the hand-out's 01 notebook; return the executed check's line."""
    nb = nbformat.read(folder / "notebooks" / "01_tensors.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and 'check("corners", corners)' in c.source)
    cell.source = reference_source("01_tensors", "corners") + '\n\ncheck("corners", corners)'
    nbformat.write(nb, work / "01_pasted.ipynb")
    execute(folder, work / "01_pasted.ipynb", work / "01_pasted.out.ipynb")
    done = nbformat.read(work / "01_pasted.out.ipynb", as_version=4)
    cell = next(c for c in done.cells if c.get("id") == cell.get("id"))
    return "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)


def main(argv: list[str] | None = None) -> int:
    """Unpack, install, run every notebook, paste an answer; print a table and exit 1 on any problem."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", default=str(ROOT / "build" / "release" / "pytorch-basics-course.zip"))
    parser.add_argument("--work", default=str(ROOT / "build" / "handout"))
    args = parser.parse_args(argv)
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    zipfile.ZipFile(args.zip).extractall(work)
    folder = next(p for p in work.iterdir() if p.is_dir())
    print(f"installed the hand-out in {install(folder):.0f} s", flush=True)
    failed = 0
    for notebook in sorted((folder / "notebooks").glob("*.ipynb")):
        start = time.perf_counter()
        problems = execute(folder, notebook, work / f"{notebook.stem}.out.ipynb")
        failed += bool(problems)
        print(f"  {notebook.name}: {'FAILED' if problems else 'ok'} ({time.perf_counter() - start:.1f} s)"
              + "".join(f"\n    - {p}" for p in problems), flush=True)
    line = paste_answer(folder, work)
    print(f"pasted the solution of corners into 01_tensors: {line.splitlines()[0] if line else 'no output'}")
    failed += not line.startswith("✅")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
