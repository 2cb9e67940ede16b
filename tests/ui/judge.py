"""What a notebook saved by JupyterLab after Run All must look like, and how its copy is prepared."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

CHECK_LINE = re.compile(r"^(✅|❌|⏳) (\w+): (correct|incorrect|not attempted)", re.M)
CHECK_CALL = re.compile(r"^check\(", re.M)
WIDGET_ERROR = "Error displaying widget"
EXPECTED_ERROR_TAG = "raises-exception"


def with_smoke_parameters(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Set the parameters cell to the notebook's smoke values (metadata course.smoke_parameters)."""
    smoke = nb.metadata.get("course", {}).get("smoke_parameters", {})
    cell = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
    if not smoke or cell is None:
        return nb
    source = cell.source
    for name, value in smoke.items():
        line = f"{name} = {value!r}  # smoke value for the UI test"
        source, n = re.subn(rf"^{re.escape(name)}\s*=.*$", lambda _m: line, source, count=1, flags=re.M)
        if not n:
            source = source.rstrip("\n") + "\n" + line
    cell.source = source
    return nb


def prepare_copy(src: Path, dest: Path, smoke: bool) -> None:
    """Copy a notebook into the server's folder, byte for byte unless its smoke parameters are set."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not smoke:
        dest.write_bytes(src.read_bytes())
        return
    nb = with_smoke_parameters(nbformat.read(src, as_version=4))
    nbformat.write(nb, dest)


def output_texts(output: dict) -> list[str]:
    """The plain text an output carries (stream text, text/plain, error traceback)."""
    if output.get("output_type") == "stream":
        return [_text(output.get("text", ""))]
    if output.get("output_type") == "error":
        return [f"{output.get('ename')}: {output.get('evalue')}"]
    return [_text(v) for k, v in output.get("data", {}).items() if k.startswith("text/")]


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def cell_texts(cell: dict) -> str:
    """All the text of a cell's outputs, one output after another."""
    return "\n".join(t for out in cell.get("outputs", []) for t in output_texts(out))


def cell_problems(index: int, cell: dict) -> list[str]:
    """What is wrong with one executed code cell of a student notebook (check verdicts aside)."""
    problems = []
    if cell.get("execution_count") is None:
        problems.append(f"cell {index}: not executed (no execution count)")
    expected = EXPECTED_ERROR_TAG in cell.get("metadata", {}).get("tags", [])
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error" and not expected:
            problems.append(f"cell {index}: error output {out.get('ename')}: {out.get('evalue')}"[:300])
        if out.get("output_type") == "stream" and out.get("name") == "stderr" and "Traceback" in _text(out["text"]):
            problems.append(f"cell {index}: a traceback on stderr: {_text(out['text'])[-200:]!r}")
        data = out.get("data", {})
        if "<Figure size" in _text(data.get("text/plain", "")) and "image/png" not in data:
            problems.append(f"cell {index}: a figure without an image/png output")
    text = cell_texts(cell)
    if CHECK_CALL.search(_text(cell.get("source", ""))) and not CHECK_LINE.search(text):
        problems.append(f"cell {index}: calls check(...) but printed no check line")
    if WIDGET_ERROR in text:
        problems.append(f"cell {index}: output says {WIDGET_ERROR!r}")
    return problems


def check_problems(cells: list[dict]) -> list[str]:
    """Each exercise's last check line must say not attempted. As in course/execute.py the last line per
    exercise counts: 00_setup shows a wrong answer on purpose (an ❌ line) before the exercise itself."""
    last: dict[str, tuple[int, str, str]] = {}
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            for mark, name, verdict in CHECK_LINE.findall(cell_texts(cell)):
                last[name] = (index, mark, verdict)
    return [f"cell {index}: check {name} says {mark} {verdict}, expected not attempted"
            for name, (index, mark, verdict) in last.items() if verdict != "not attempted"]


def notebook_problems(nb: dict) -> list[str]:
    """Every problem of a student notebook saved after Run All."""
    problems = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            problems += cell_problems(index, cell)
    return problems + check_problems(nb["cells"])


def image_cells(nb: dict) -> dict[str, int]:
    """Cell id -> index of the code cells that have an image/png output."""
    return {c.get("id", str(i)): i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
            and any("image/png" in o.get("data", {}) for o in c.get("outputs", []))}


def image_problems(saved: dict, solution: dict) -> list[str]:
    """Every cell that draws a plot in the solution must have an image/png output in the saved notebook."""
    have = image_cells(saved)
    ids = {c.get("id"): i for i, c in enumerate(saved["cells"])}
    return [f"cell {ids.get(cid, '?')} (id {cid}): no image/png output, the solution draws a plot here"
            for cid in image_cells(solution) if cid not in have]


def load(path: Path) -> dict:
    """A notebook file (multi-line strings joined, as nbformat reads them)."""
    return nbformat.read(path, as_version=4)


def diff(old, new, where: str = "") -> list[str]:
    """Where two JSON documents differ: one line per changed, added or removed key or list item."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            path = f"{where}.{key}" if where else str(key)
            if key not in old:
                out.append(f"added {path} = {json.dumps(new[key])[:400]}")
            elif key not in new:
                out.append(f"removed {path} (was {json.dumps(old[key])[:400]})")
            else:
                out += diff(old[key], new[key], path)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [line for i, (a, b) in enumerate(zip(old, new)) for line in diff(a, b, f"{where}[{i}]")]
    if old != new:
        return [f"changed {where}: {json.dumps(old)[:400]} -> {json.dumps(new)[:400]}"]
    return []
