"""Execute course notebooks headless with papermill and judge the run.

Usage: ``python -m course run [--form solutions|notebooks] [--smoke] [-p NAME VALUE] [NOTEBOOK ...]``
prints a table: notebook, status, seconds.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from helpers import notebook_format
from helpers.errors import MARK as EXPECTED_MARK

ROOT = Path(__file__).resolve().parent.parent
RAISES = notebook_format.RAISES_TAG
PAPERMILL_TAGS = {notebook_format.INJECTED_TAG, "papermill-error-cell-tag"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CHECK_LINE = re.compile(r"^(✅|❌|⏳) (\w+): (correct|incorrect|not attempted)", re.M)


class ParameterError(ValueError):
    """A parameter that the notebook's parameters cell does not declare, or of the wrong type."""


def parameters_cell(nb: nbformat.NotebookNode) -> tuple[int, nbformat.NotebookNode]:
    """Return (index, cell) of the cell tagged 'parameters'."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and notebook_format.PARAMETERS_TAG in cell.metadata.get("tags", []):
            return i, cell
    raise ParameterError("the notebook has no code cell tagged 'parameters'")


def declared_parameters(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """Return the names and literal default values assigned in the parameters cell."""
    _, cell = parameters_cell(nb)
    params = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    params[t.id] = ast.literal_eval(node.value)
    return params


def validate_parameters(nb: nbformat.NotebookNode, params: dict[str, Any], name: str = "notebook") -> None:
    """Raise ParameterError unless every param is declared in the parameters cell with a compatible type."""
    declared = declared_parameters(nb)
    for key, value in params.items():
        if key not in declared:
            raise ParameterError(f"{name} has no parameter {key!r}; its parameters cell declares: "
                                 f"{', '.join(declared) or 'nothing'}")
        default = declared[key]
        numeric = isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool)
        if default is not None and value is not None and type(value) is not type(default) and not numeric:
            raise ParameterError(f"{name}: parameter {key!r} should be a {type(default).__name__} "
                                 f"like its default {default!r}, got {type(value).__name__} {value!r}")


def smoke_parameters(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """Return the parameters the test suite runs this notebook with (metadata course.smoke_parameters)."""
    return notebook_format.smoke_parameters(nb.metadata)


@dataclass
class CellError:
    """An error output of one executed cell."""

    index: int
    cell_id: str
    ename: str
    evalue: str
    tagged: bool
    source: str

    def __str__(self) -> str:
        first = next((l for l in self.source.splitlines() if l.strip()), "")[:80]
        tag = " (tagged raises-exception)" if self.tagged else ""
        return f"cell {self.index} (id {self.cell_id}){tag}: {self.ename}: {self.evalue}\n    > {first}"


@dataclass
class Run:
    """What happened when one notebook was executed."""

    name: str
    seconds: float
    errors: list[CellError] = field(default_factory=list)
    untriggered: list[int] = field(default_factory=list)
    unshown: list[int] = field(default_factory=list)
    checks: dict[str, str] = field(default_factory=dict)
    failure: str = ""
    nb: nbformat.NotebookNode | None = None

    def problems(self, student: bool) -> list[str]:
        """List what is wrong with this run for a solution (student=False) or a student copy."""
        reported = [e for e in self.errors if not e.tagged and not (student and e.ename == "NotImplementedError")]
        out = [self.failure] if self.failure and not reported else []  # else the cell errors say why
        out += [f"unexpected error in {err}" for err in reported]
        out += [f"cell {i} is tagged raises-exception but raised nothing" for i in self.untriggered]
        out += [f"cell {i}: an expect_error block printed no expected error" for i in self.unshown]
        want = "not attempted" if student else "correct"
        out += [f"check {n} reported {s!r}, expected {want!r}" for n, s in self.checks.items() if s != want]
        return out


def analyse(nb: nbformat.NotebookNode, name: str, seconds: float) -> Run:
    """Collect errors, tagged cells that did not raise, and check results from an executed notebook."""
    run = Run(name, seconds, nb=nb)
    authored = [c for c in nb.cells if not PAPERMILL_TAGS & set(c.metadata.get("tags", []))]
    for i, cell in enumerate(authored):  # numbered as in the source notebook
        if cell.cell_type != "code":
            continue
        tagged = RAISES in cell.metadata.get("tags", [])
        errs = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        for o in errs:
            run.errors.append(CellError(i, cell.get("id", "?"), o.ename, o.evalue, tagged, cell.source))
        if tagged and not errs and cell.get("execution_count") is not None:
            run.untriggered.append(i)
        shown = sum("".join(o.get("text", "")).count(EXPECTED_MARK) for o in cell.get("outputs", [])
                    if o.output_type == "stream")
        if cell.get("execution_count") is not None and not errs and shown < cell.source.count("with expect_error("):
            run.unshown.append(i)
        for o in cell.get("outputs", []):
            text = o.get("text", "") if o.output_type == "stream" else o.get("data", {}).get("text/plain", "")
            for _, ex_name, status in CHECK_LINE.findall("".join(text)):
                run.checks[ex_name] = status
    return run


def _command(tool: str, path: Path, out_path: Path, params: dict[str, Any], timeout: int, kernel: str) -> list[str]:
    """The plain command line of papermill or nbconvert that executes path into out_path."""
    if tool == "papermill-cli":
        extra = ["-y", json.dumps(params)] if params else []
        return [sys.executable, "-m", "papermill", str(path), str(out_path), *extra, "-k", kernel, "--cwd",
                str(path.parent), "--execution-timeout", str(timeout), "--no-progress-bar", "--no-log-output"]
    return [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", f"--output={out_path}",
            f"--ExecutePreprocessor.timeout={timeout}", f"--ExecutePreprocessor.kernel_name={kernel}", str(path)]


TOOLS = ("papermill", "papermill-cli", "nbconvert")


def execute(path: Path, out_path: Path, params: dict[str, Any], *, timeout: int = 600,
            kernel_name: str = "python3", tool: str = "papermill", save_every_cell: bool = True) -> Run:
    """Run a notebook with papermill's Python API (in this process) or a plain papermill / nbconvert command line;
    analyse the result. All three stop at the first error, as they do for anyone (the API raises, the commands
    exit non-zero). The API is the papermill command's engine without its ~4 s start-up; save_every_cell=False has
    it write out_path once at the end, not before and after every cell (request_save_on_cell_execute, ~30 ms a save).
    nbconvert cannot inject parameters, so a copy with papermill's parameters cell is executed instead."""
    if tool not in TOOLS:
        raise ValueError(f"tool must be one of {', '.join(TOOLS)}, not {tool!r}")
    nb = nbformat.read(path, as_version=4)
    validate_parameters(nb, params, path.name)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if tool == "papermill":
        failure = _papermill_api(path, out_path, params, timeout, kernel_name, save_every_cell)
    else:
        failure = _run_command(tool, nb, path, out_path, params, timeout, kernel_name)
    seconds = time.perf_counter() - start
    if not out_path.exists():
        return Run(path.name, seconds, failure=failure or f"{tool} wrote no output notebook")
    run = analyse(nbformat.read(out_path, as_version=4), path.name, seconds)
    run.failure = failure
    return run


def _papermill_api(path: Path, out_path: Path, params: dict[str, Any], timeout: int, kernel: str,
                   save_every_cell: bool) -> str:
    """Execute with papermill.execute_notebook; return '' or why it stopped."""
    import papermill
    try:
        papermill.execute_notebook(str(path), str(out_path), parameters=params or None, kernel_name=kernel,
                                   cwd=str(path.parent), execution_timeout=timeout, progress_bar=False,
                                   log_output=False, request_save_on_cell_execute=save_every_cell)
    except papermill.PapermillExecutionError as err:
        return f"papermill stopped at cell {err.cell_index}: {err.ename}: {err.evalue}"[:300]
    except Exception as err:  # a dead kernel, a timeout, an unreadable notebook: papermill's own message
        return f"papermill failed: {type(err).__name__}: {err}"[:300]
    return ""


def parameterized(nb: nbformat.NotebookNode, params: dict[str, Any]) -> nbformat.NotebookNode:
    """nb with papermill's injected-parameters cell, as the papermill command makes it (changes nb's metadata)."""
    from papermill.parameterize import parameterize_notebook
    nb.metadata.setdefault("papermill", {})  # parameterize_notebook expects papermill's metadata and cell tags
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
    return parameterize_notebook(nb, params) if params else nb


def _run_command(tool: str, nb: nbformat.NotebookNode, path: Path, out_path: Path, params: dict[str, Any],
                 timeout: int, kernel: str) -> str:
    """Execute with the papermill or nbconvert command line; return '' or its exit status and last line."""
    source = path
    if tool == "nbconvert" and params:
        source = out_path.with_name(f"{out_path.stem}.in.ipynb")
        nbformat.write(parameterized(nb, params), source)
    proc = subprocess.run(_command(tool, source, out_path, params, timeout, kernel), cwd=path.parent,
                          capture_output=True, text=True)
    tail = (proc.stderr.strip().splitlines() or [""])[-1][:300]
    return f"{tool} exited {proc.returncode}: {tail}" if proc.returncode else ""


def sanitize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop papermill's added cells and timing metadata so committed outputs are deterministic."""
    nb.cells = [c for c in nb.cells if not PAPERMILL_TAGS & set(c.metadata.get("tags", []))]
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)  # widget state is not committed: a reopened widget would have no model
    for cell in nb.cells:
        if cell.cell_type == "code":  # a live widget (a tqdm bar) leaves nothing that renders outside the kernel
            cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]
        for key in ("papermill", "execution"):
            cell.metadata.pop(key, None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
    return nb


def write_back(path: Path, run: Run) -> None:
    """Replace a solution notebook with its executed, sanitized version (only after a clean run)."""
    text = nbformat.writes(sanitize(run.nb)) + "\n"
    tmp = path.with_suffix(".ipynb.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _run_one(path: Path, args: argparse.Namespace, extra: dict[str, Any]) -> tuple[str, str, float, list[str]]:
    """Execute one notebook for main(); return (name, status, seconds, problems)."""
    if not path.exists():
        return path.name, "missing", 0.0, [f"{path} does not exist"]
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # not JSON, not a notebook, unreadable
        return path.name, "unreadable", 0.0, [f"{path} is not a readable notebook: {err}"]
    params = {**(smoke_parameters(nb) if args.smoke else {}), **extra}
    try:
        run = execute(path, Path(args.out) / args.form / path.name, params)
    except ParameterError as err:
        return path.name, "bad parameter", 0.0, [str(err)]
    problems = run.problems(student=args.form == "notebooks")
    if args.write_back and not problems and args.form == "solutions" and not args.smoke and not extra:
        write_back(path, run)
    print(f"  {path.name}: {'FAILED' if problems else 'ok'} ({run.seconds:.1f} s)", file=sys.stderr)
    return path.name, "FAILED" if problems else "ok", run.seconds, problems


def main(argv: list[str] | None = None) -> int:
    """Execute the course and print a table of notebook, status and seconds."""
    parser = argparse.ArgumentParser(description="Execute course notebooks headless with papermill.")
    parser.add_argument("notebooks", nargs="*", help="notebook names or paths (default: all)")
    parser.add_argument("--form", choices=["solutions", "notebooks"], default="solutions")
    parser.add_argument("--smoke", action="store_true", help="use each notebook's smoke parameters")
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="set a parameter (value parsed as a Python literal), for every notebook")
    parser.add_argument("--write-back", action="store_true",
                        help="replace each solution with its executed outputs when the run is clean (make outputs)")
    parser.add_argument("--out", default=str(ROOT / "build" / "run"))
    args = parser.parse_args(argv)
    extra = {}
    for key, raw in args.p:
        try:
            extra[key] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            extra[key] = raw
    folder = ROOT / args.form
    paths = [Path(p) if Path(p).exists() else folder / Path(p).with_suffix(".ipynb").name
             for p in args.notebooks] or sorted(folder.glob("*.ipynb"))
    rows = [_run_one(path, args, extra) for path in paths]
    failed = sum(1 for row in rows if row[1] != "ok")
    width = max([len(r[0]) for r in rows] + [8])
    print(f"\n{'notebook':<{width}}  {'status':<13}  seconds")
    for name, status, secs, _ in rows:
        print(f"{name:<{width}}  {status:<13}  {secs:7.1f}")
    print(f"{'total':<{width}}  {f'{len(rows) - failed}/{len(rows)} ok':<13}  {sum(r[2] for r in rows):7.1f}")
    for name, _, _, problems in rows:
        for p in problems:
            print(f"\n{name}: {p}")
    print(f"\nExecuted notebooks are in {args.out}/{args.form}/")
    if args.write_back:
        print("Outputs written back to solutions/ for the notebooks marked ok." if not (args.smoke or extra)
              else "Not written back: outputs are committed from default parameters only.")
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    sys.exit(main())
