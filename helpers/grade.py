"""Grade a class's notebooks in isolated kernels; judge exported answers outside them.

Usage: ``python -m helpers.grade DIR --out OUT [-j N] [--cell-timeout S] [--timeout S] [--force]``
with submissions laid out as ``DIR/<student>/<NN_topic>.ipynb``.
"""
from __future__ import annotations

import argparse
import ast
import concurrent.futures as cf
import hashlib
import multiprocessing
import os
import random
import re
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from helpers.grade_report import load_result, save_result, write_reports
from helpers.grade_sandbox import FLOOD, OK, TIMEOUT, Kernel, Limits, isolation, set_subreaper

ROOT = Path(__file__).resolve().parent.parent
EXERCISE_LINE = re.compile(r"^#\s*Exercise\s+([\w.]+)\s*\((\d+)\s+points?\)")
CHECK_LAST = re.compile(r'^check\("(\w+)",\s*(\w+)\)\s*$')
STATUSES = ("correct", "incorrect", "not_attempted", "error", "timeout")
MAX_EXPORT = 64 << 20
NUMPY_TAG = "__course_numpy__"
EXPORT_CODE = r'''
def _course_export(lesson, name, seeds, path):
    import torch
    try:
        import numpy as np
    except ImportError:
        np = None
    def plain(v, depth=0):
        t = type(v)
        if depth > 32:
            raise TypeError("a value nested more than 32 levels deep")
        if v is None or t in (bool, int, float, str):
            return v
        if isinstance(v, torch.Tensor):
            if t not in (torch.Tensor, torch.nn.Parameter):
                raise TypeError(f"a {t.__name__} (a tensor subclass)")
            v = v.detach().to("cpu", copy=True)
            return v if type(v) is torch.Tensor else v.as_subclass(torch.Tensor)
        if np is not None and isinstance(v, np.ndarray) and v.dtype != object:
            return {NUMPY_TAG: torch.from_numpy(np.array(v, copy=True))}
        if np is not None and isinstance(v, np.generic):
            return plain(v.item(), depth + 1)
        if isinstance(v, (list, tuple)):
            items = [plain(x, depth + 1) for x in (list.__iter__(v) if isinstance(v, list) else tuple.__iter__(v))]
            return items if isinstance(v, list) else tuple(items)
        if isinstance(v, dict):
            out = {}
            for k, x in dict.items(v):
                if type(k) not in (str, int, bool, float) and k is not None:
                    raise TypeError(f"a dict with a {type(k).__name__} key")
                out[k] = plain(x, depth + 1)
            return out
        raise TypeError(f"a {t.__module__}.{t.__qualname__}")
    def text(err):
        try:
            return f"{type(err).__name__}: {err}"[:300]
        except BaseException:
            return type(err).__name__
    records = []
    fn = get_ipython().user_ns.get(name, None)
    if fn is None:
        records.append({"seed": -1, "status": "missing", "message": ""})
    elif not callable(fn):
        records.append({"seed": -1, "status": "not_callable", "message": type(fn).__name__})
    else:
        import importlib
        from helpers.exercises import REGISTRY
        importlib.import_module("helpers.ex_" + lesson)
        ex = REGISTRY[name]
        for seed in seeds:
            try:
                value = ex.run(fn, seed)
            except NotImplementedError:
                records.append({"seed": seed, "status": "not_attempted", "message": ""})
                break
            except KeyboardInterrupt:
                records.append({"seed": seed, "status": "timeout", "message": ""})
                break
            except BaseException as err:
                records.append({"seed": seed, "status": "exception", "message": text(err)})
                break
            try:
                records.append({"seed": seed, "status": "value", "value": plain(value)})
            except BaseException as err:
                records.append({"seed": seed, "status": "not_plain", "message": text(err)})
                break
    torch.save({"name": name, "records": records}, path)
'''


@dataclass(frozen=True)
class Spec:
    """An exercise as the solution notebook declares it: name and points."""

    name: str
    label: str
    points: int


@dataclass(frozen=True)
class Lesson:
    """A lesson the grader knows: its solution notebook, exercises and smoke parameters."""

    stem: str
    solution: Path
    specs: tuple[Spec, ...]
    params: dict
    key: str
    seeds: tuple[int, ...] = ()
    problem: str = ""


def discover(nb: Any) -> list[Spec]:
    """List the exercises a solution notebook declares (first line '# Exercise ... (P points)', last check(...))."""
    specs = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = [line for line in cell.source.strip().splitlines()]
        if not lines or not (head := EXERCISE_LINE.match(lines[0])):
            continue
        tail = CHECK_LAST.match(lines[-1].strip())
        if not tail or tail.group(1) != tail.group(2):
            raise ValueError(f"exercise {head.group(1)}: its cell must end with check(\"<name>\", <name>)")
        specs.append(Spec(tail.group(1), head.group(1), int(head.group(2))))
    return specs


def exercise_of(lesson: str, name: str) -> Any:
    """Return the registered exercise name of lesson, importing only that lesson's module."""
    import importlib

    from helpers.exercises import REGISTRY
    importlib.import_module(f"helpers.ex_{lesson}")
    return REGISTRY[name]


def _digest(*parts: bytes) -> str:
    """Return a short sha256 of the parts."""
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:20]


def load_lessons(root: Path = ROOT) -> dict[str, Lesson]:
    """Read every solution notebook that has exercises."""
    import nbformat

    from helpers.execute import smoke_parameters
    out = {}
    for path in sorted((root / "solutions").glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
            specs, problem = discover(nb), ""
        except Exception as err:  # a broken solution notebook costs only its own lesson
            nb, specs, problem = None, [], f"the course's solutions/{path.name} cannot be read ({err})"
        if not specs and not problem:
            continue
        module = root / "helpers" / f"ex_{path.stem}.py"
        key = _digest(path.read_bytes(), module.read_bytes() if module.exists() else b"",
                      (root / "helpers" / "exercises.py").read_bytes(),
                      (root / "helpers" / "compare.py").read_bytes(), EXPORT_CODE.encode())
        seeds: set[int] = set()
        try:
            for spec in specs:
                ex = exercise_of(path.stem, spec.name)
                if ex.lesson != path.stem:
                    raise KeyError(f"{spec.name} is registered for {ex.lesson}")
                seeds.update(ex.seeds)
        except Exception as err:  # a broken lesson costs only its own submissions
            problem = f"the course's lesson {path.stem} cannot be graded ({type(err).__name__}: {err})"
        params = smoke_parameters(nb) if nb is not None else {}
        out[path.stem] = Lesson(path.stem, path, tuple(specs), params, key, tuple(sorted(seeds)),
                                problem)
    return out


def parse_notebook(data: bytes) -> tuple[list[tuple[int, str]], str]:
    """Return (cell index, source) of the code cells of a notebook file, or ([], why it is malformed)."""
    import nbformat

    if len(data) > 50 << 20:
        return [], f"the notebook is too large ({len(data)} bytes)"
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4, capture_validation_error={})
        nbformat.validate(nb)
        cells = [c for c in nb.cells]
        sources = [c.source if c.cell_type == "code" else None for c in cells]
        tags = [c.get("metadata", {}).get("tags", []) for c in cells]
    except Exception as err:  # not UTF-8, not JSON, not a notebook, wrong nbformat, invalid cells
        return [], f"the notebook is malformed: {type(err).__name__}: {' '.join(str(err).split())[:200]}"
    out = []
    for i, (src, tag) in enumerate(zip(sources, tags)):
        if src is not None and "injected-parameters" not in tag:
            out.append((i, src if "parameters" not in tag else "\0" + src))
    return out, ""


def defines(source: str, name: str, assignment: bool = False) -> bool:
    """True when a cell defines function name at top level (with assignment: binds name with '=')."""
    pattern = rf"^{name}\s*(:[^=]*)?=[^=]" if assignment else rf"^(async\s+)?def\s+{name}\s*\("
    return re.search(pattern, source, re.M) is not None


def plan(cells: list[tuple[int, str]], params: dict, names: list[str]) -> list[tuple[str, str, int]]:
    """Order the work: the cells, the parameters after the parameters cell, each export after its defining cell."""
    param_src = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    end = cells[-1][0] + 1 if cells else 0
    last = {n: max((i for i, c in cells if defines(c.lstrip("\0"), n)), default=None) for n in names}
    last = {n: i if i is not None else max((j for j, c in cells if defines(c.lstrip("\0"), n, True)), default=end)
            for n, i in last.items()}
    has_params = any(c.startswith("\0") for _, c in cells)
    steps: list[tuple[str, str, int]] = [] if has_params or not param_src else [("params", param_src, -1)]
    for i, src in cells:
        steps.append(("cell", src.lstrip("\0"), i))
        if src.startswith("\0") and param_src:
            steps.append(("params", param_src, -1))
        steps += [("export", n, i) for n in names if last[n] == i]
    steps += [("export", n, end) for n in names if last[n] == end]
    return steps


REFERENCE_HIDDEN = "the course's reference answer is not available while grading"


def strip_references(source: str) -> str:
    """Replace the body of every @exercise reference with a raise, so a submission cannot call the answer key."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                isinstance(d, ast.Call) and getattr(d.func, "id", getattr(d.func, "attr", "")) == "exercise"
                for d in node.decorator_list):
            doc = node.body[:1] if ast.get_docstring(node) else []
            node.body = doc + [ast.parse(f"raise RuntimeError({REFERENCE_HIDDEN!r})").body[0]]
    return ast.unparse(tree) + "\n"


def _scratch_course(scratch: Path) -> Path:
    """Copy helpers/ (no solutions, no grades) into scratch/course and return the notebook folder."""
    course = scratch / "course"
    shutil.copytree(ROOT / "helpers", course / "helpers", ignore=shutil.ignore_patterns("__pycache__", "grade*.py"))
    for module in (course / "helpers").glob("ex_*.py"):
        module.write_text(strip_references(module.read_text()))
    (course / "notebooks").mkdir(parents=True)
    if (ROOT / "data").exists():
        (course / "data").symlink_to((ROOT / "data").resolve())
    for name in ("home", "tmp", "export", "ipython"):
        (scratch / name).mkdir()
    return course / "notebooks"


def _kernel_env(scratch: Path) -> dict[str, str]:
    """The kernel's environment: no grader paths, CPU only, one thread, private home and tmp."""
    env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "COURSE_CIFAR10_DIR") if k in os.environ}
    env.update(HOME=str(scratch / "home"), TMPDIR=str(scratch / "tmp"), PYTHONPATH=str(scratch / "course"),
               PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1", IPYTHONDIR=str(scratch / "ipython"),
               MPLCONFIGDIR=str(scratch / "home"), COURSE_DEVICE="cpu", CUDA_VISIBLE_DEVICES="",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYDEVD_DISABLE_FILE_VALIDATION="1", COURSE_GRADING="1")
    return env


def _read_bytes(path: Path) -> bytes | str:
    """Return a file's bytes, or a message when it is too large to be an honest export."""
    size = path.stat().st_size
    if size > MAX_EXPORT:
        return f"the exported answers are too large ({size} bytes)"
    return path.read_bytes()


def read_export(blob: bytes | str) -> tuple[Any, str]:
    """Load exported answers safely (weights_only, never plain pickle) and check they are plain data."""
    import io

    import torch

    if isinstance(blob, str):
        return None, blob
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
        check_plain(data)
    except Exception as err:  # a forged or corrupt file: never unpickled beyond plain data
        return None, f"the exported answers could not be read safely ({type(err).__name__}: {str(err)[:150]})"
    if not (type(data) is dict and type(data.get("records")) is list
            and all(type(r) is dict and type(r.get("status")) is str for r in data["records"])):
        return None, "the exported answers do not have the expected structure"
    return data, ""


def check_plain(value: Any, depth: int = 0) -> None:
    """Raise TypeError unless value is plain data: exact tensors, numbers, str, None, and lists/tuples/dicts."""
    import torch

    if depth > 40:
        raise TypeError("nested too deeply")
    t = type(value)
    if value is None or t in (bool, int, float, str):
        return
    if t is torch.Tensor:
        if value.layout != torch.strided or value.device.type != "cpu":
            raise TypeError("a tensor that is not a dense CPU tensor")
        return
    if t in (list, tuple):
        for item in value:
            check_plain(item, depth + 1)
        return
    if t is dict:
        for k, item in value.items():
            if k is not None and type(k) not in (str, int, bool, float):
                raise TypeError(f"a dict key of type {type(k).__name__}")
            check_plain(item, depth + 1)
        return
    raise TypeError(f"a value of type {t.__name__} is not plain data")


def _tag(value: Any) -> Any:
    """Wrap NumPy arrays as tagged tensors so a reference can be saved and loaded with weights_only."""
    import numpy as np
    import torch

    if isinstance(value, np.ndarray):
        return {NUMPY_TAG: torch.from_numpy(np.array(value, copy=True))}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _tag(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_tag(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def _untag(value: Any) -> Any:
    """Turn the exporter's tagged NumPy arrays back into arrays (everything else unchanged)."""
    if type(value) is dict:
        if set(value) == {NUMPY_TAG}:
            return value[NUMPY_TAG].numpy()
        return {k: _untag(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_untag(v) for v in value)
    return value


def run_notebook(job: dict) -> dict:
    """Run one notebook in a fresh sandboxed kernel and collect each exercise's exported answers (worker side)."""
    start = time.perf_counter()
    limits, names, seeds = Limits(**job["limits"]), job["names"], job["seeds"]
    raw: dict[str, Any] = {"exports": {}, "cell_errors": {}, "stop": None, "isolation": job["isolation"]}
    base = tempfile.gettempdir()
    parent = Path(tempfile.mkdtemp(prefix="grade-", dir=base if len(base) < 40 else "/tmp"))
    scratch, collected = parent / "s", parent / "collected"
    scratch.mkdir()
    collected.mkdir()
    kernel = None
    try:
        cwd = _scratch_course(scratch)
        if job.get("path"):
            shutil.copyfile(job["path"], cwd / Path(job["path"]).name)
        use_bwrap = job["isolation"] == "bwrap"
        hide = [ROOT, Path.home(), parent] + [Path(p) for p in job.get("hide", [])]
        ro = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent.parent]
        if (ROOT / "data").exists():
            ro.append((ROOT / "data").resolve())
        if os.environ.get("COURSE_CIFAR10_DIR"):
            ro.append(Path(os.environ["COURSE_CIFAR10_DIR"]))
        kernel = Kernel(scratch, cwd, _kernel_env(scratch), limits, use_bwrap, hide, ro)
        why = kernel.start(timeout=max(60.0, limits.cell_timeout))
        warm = kernel.run_cell(f"import torch, numpy, helpers.exercises, helpers.ex_{job['lesson']}", silent=True,
                               timeout=max(60.0, limits.cell_timeout)) if not why else None
        if warm is not None and warm.status != OK:
            why = f"the kernel could not import torch and the lesson's exercises ({warm.ename}: {warm.evalue[:200]})"
        if why:
            raw["stop"] = {"cell": -1, "status": "error", "message": why}
            return raw
        for kind, text, index in plan(job["cells"], job["params"], names):
            if kind == "export":
                out = scratch / "export" / f"{text}.pt"
                code = (EXPORT_CODE.replace("NUMPY_TAG", repr(NUMPY_TAG))
                        + f"\n_course_export({job['lesson']!r}, {text!r}, {list(seeds)!r}, {str(out)!r})\ndel _course_export\n")
                res = kernel.run_cell(code, silent=True)
                if out.exists() and res.status in (OK, TIMEOUT) and not res.fatal:
                    os.replace(out, collected / f"{text}.pt")
                    raw["exports"][text] = {"file": _read_bytes(collected / f"{text}.pt"), "cell": index}
                elif not res.fatal:
                    raw["exports"][text] = {"data": None, "cell": index,
                                            "error": f"exporting your answers failed ({res.ename}: {res.evalue[:150]})"}
            else:
                res = kernel.run_cell(text)
                if res.status != OK and index >= 0:
                    raw["cell_errors"][str(index)] = f"{res.ename}: {res.evalue[:200]}"
            if res.fatal:
                raw["stop"] = {"cell": index, "status": res.status, "message": res.evalue}
                break
    except Exception as err:  # the grader itself must never take the batch down
        raw["stop"] = {"cell": -1, "status": "error", "message": f"grader error: {type(err).__name__}: {err}"}
    finally:
        if kernel is not None:
            raw["leftover"] = kernel.kill()
        shutil.rmtree(parent, ignore_errors=True)
        raw["seconds"] = time.perf_counter() - start
    return raw


def _stop_status(stop: dict) -> tuple[str, str]:
    """Map why a kernel stopped to the status and message of the exercises it never reached."""
    where = f"cell {stop['cell']}" if stop["cell"] >= 0 else "the start"
    if stop["status"] in (TIMEOUT, "deadline"):
        return "timeout", f"not graded: at {where}, {stop['message']}"
    if stop["status"] == FLOOD:
        return "error", f"not graded: at {where}, {stop['message']}"
    if stop["status"] == "died":
        return "error", (f"not graded: the kernel died while running {where} (os._exit, a crash, or the memory cap)")
    return "error", f"not graded: {stop['message']}"


def judge(ex: Any, export: dict | None, refs: dict, seeds: list[int], raw: dict, cell: int | None
          ) -> tuple[str, str]:
    """Judge one exercise from its exported answers against the references (grader side)."""
    from helpers.compare import difference

    name = ex.name
    if export is None:
        return _stop_status(raw["stop"]) if raw.get("stop") else ("error", "no answers were exported")
    if export.get("error"):
        return "error", export["error"]
    data, err = read_export(export["file"])
    if err:
        return "error", err
    export = {"data": _untag(data)}
    records = export["data"]["records"]
    if records and records[0]["status"] == "missing":
        err = raw["cell_errors"].get(str(cell)) if cell is not None else None
        if err:
            return "error", f"the cell that defines {name} (cell {cell}) failed: {err}"
        return "not_attempted", f"no function called {name} was defined"
    if records and records[0]["status"] == "not_callable":
        return "incorrect", f"expected a function, got a {records[0].get('message', '?')}"
    for i, seed in enumerate(seeds):
        if i >= len(records) or records[i].get("seed") != seed:
            return "error", "the exported answers do not match the requested inputs"
        rec, inputs = records[i], f"(inputs: {ex.describe_inputs(seed)})"
        status = rec["status"]
        if status == "not_attempted":
            return ("not_attempted",
                    "replace the `raise NotImplementedError` line with your code, then run the cell again")
        if status == "timeout":
            return "timeout", f"your function ran longer than the time limit {inputs}"
        if status == "exception":
            return "incorrect", f"your function raised {rec.get('message', '?')} {inputs}"
        if status == "not_plain":
            return "error", f"your function returned {rec.get('message', '?')}, which is not plain data {inputs}"
        if status != "value" or "value" not in rec:
            return "error", "the exported answers are malformed"
        try:
            msg = difference(rec["value"], refs[name][seed], rtol=ex.rtol, atol=ex.atol, check_dtype=ex.check_dtype)
        except Exception as err:  # comparing odd but plain values must not crash the batch
            msg = f"could not compare your answer ({type(err).__name__})"
        if msg:
            return "incorrect", f"{msg} {inputs}"
    return "correct", f"passed {len(seeds)} test cases"


def build_refs(lesson: Lesson, raw: dict, seeds: list[int]) -> tuple[dict, list[str]]:
    """Reference answers from the solution's run; where missing or not matching the registry, the registry's."""
    from helpers.compare import difference

    refs: dict[str, dict] = {}
    notes: list[str] = []
    for spec in lesson.specs:
        ex, export = exercise_of(lesson.stem, spec.name), raw["exports"].get(spec.name)
        data, _ = read_export(export["file"]) if export and "file" in export else (None, "")
        records = {r.get("seed"): r for r in _untag(data)["records"]} if data else {}
        refs[spec.name] = {}
        for seed in seeds:
            expected = ex.expected(seed)
            rec = records.get(seed, {})
            if rec.get("status") == "value":
                msg = difference(rec["value"], expected, rtol=ex.rtol, atol=ex.atol, check_dtype=ex.check_dtype)
                if not msg:
                    refs[spec.name][seed] = rec["value"]
                    continue
                notes.append(f"{lesson.stem}: the solution's {spec.name} disagrees with the registry ({msg}); "
                             "using the registered reference")
            else:
                notes.append(f"{lesson.stem}: the solution notebook exported no answer for {spec.name}; "
                             "using the registered reference")
            refs[spec.name][seed] = expected
    return refs, list(dict.fromkeys(notes))


def result_for(student: str, notebook: str, lesson: Lesson | None, raw: dict | None, refs: dict | None,
               seeds: list[int], digest: str, problem: str = "") -> dict:
    """Build the stored result (rows per exercise) of one submission."""
    rows = []
    if lesson is None or not lesson.specs:
        problem = problem or (lesson.problem if lesson else "")
        rows.append({"exercise": "-", "points": 0, "max_points": 0, "status": "error", "message": problem, "hint": ""})
    for spec in lesson.specs if lesson else ():
        if problem:
            status, msg = "error", problem
        else:
            export = raw["exports"].get(spec.name)
            status, msg = judge(exercise_of(lesson.stem, spec.name), export, refs, seeds, raw,
                                export["cell"] if export else None)
        rows.append({"exercise": spec.name, "points": spec.points if status == "correct" else 0,
                     "max_points": spec.points, "status": status, "message": " ".join(msg.split())[:500],
                     "hint": "" if lesson.problem else exercise_of(lesson.stem, spec.name).hint})
    note = ""
    if raw and raw.get("leftover"):
        note = f"processes left after the kill: {raw['leftover']}"
    return {"student": student, "notebook": notebook, "hash": digest, "seeds": seeds,
            "isolation": raw["isolation"] if raw else "none (not run)", "note": note,
            "seconds": round(raw["seconds"], 2) if raw else 0.0, "rows": rows}


def find_submissions(folder: Path, out: Path) -> tuple[list[tuple[str, Path]], list[str]]:
    """List (student, notebook path) pairs under folder, and complaints about files in the wrong place."""
    subs, complaints = [], []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.resolve() == out.resolve():
            continue
        if entry.is_file():
            complaints.append(f"ignored {entry}: expected {folder}/<student>/<NN_topic>.ipynb")
            continue
        for nb in sorted(entry.iterdir()):
            if nb.name.startswith("."):
                continue
            if nb.is_file() and nb.suffix == ".ipynb":
                subs.append((entry.name, nb))
            else:
                complaints.append(f"ignored {nb}: expected notebooks named <NN_topic>.ipynb directly in {entry}")
    return subs, complaints


def _worker_init() -> None:
    """Prepare a grading worker: adopt orphans, one thread."""
    os.environ["COURSE_GRADE_WORKER"] = "1"
    set_subreaper()


def _job(cells: list[str], lesson: Lesson, seeds: list[int], limits: Limits, iso: str, hide: list[str],
         path: Path | None) -> dict:
    """Describe one kernel run for a worker."""
    return {"cells": cells, "lesson": lesson.stem, "params": lesson.params, "names": [s.name for s in lesson.specs], "seeds": seeds,
            "limits": asdict(limits), "isolation": iso, "hide": hide, "path": str(path) if path else ""}


def _ref_cache(out: Path, lesson: Lesson, seeds: list[int]) -> Path:
    """Where the reference answers of a lesson for these seeds are cached."""
    return out / ".refs" / f"{lesson.stem}-{_digest(lesson.key.encode(), repr(seeds).encode())}.pt"


def grade(folder: Path, out: Path, jobs: int = 2, limits: Limits | None = None, force: bool = False,
          fresh: int = 2, allow_bwrap: bool = True, quiet: bool = False, root: Path = ROOT) -> dict:
    """Grade every submission under folder into out; return counts, seconds and the isolation used."""
    import torch

    from helpers.grade_report import atomic_write

    limits = limits or Limits()
    out.mkdir(parents=True, exist_ok=True)  # must exist so the sandbox can hide it
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    lessons, iso = load_lessons(root), isolation(allow_bwrap)
    subs, complaints = find_submissions(folder, out)
    for c in complaints:
        say(f"warning: {c}")
    rng = random.SystemRandom()
    fresh_seeds = sorted(rng.sample(range(1000, 1100), fresh))
    start, results, todo, skipped = time.perf_counter(), {}, [], 0
    for student, path in subs:
        lesson = lessons.get(path.stem)
        data = path.read_bytes()
        digest = _digest(data, (lesson.key if lesson else "").encode())
        old = load_result(out, student, path.name)
        if old and old.get("hash") == digest and not force:
            results[(student, path.name)], skipped = old, skipped + 1
            continue
        if lesson is None:
            results[(student, path.name)] = result_for(
                student, path.name, None, None, None, [], digest,
                f"{path.stem} has no graded exercises" if (root / "solutions" / path.name).exists() else
                f"no lesson called {path.stem}; expected one of {', '.join(sorted(lessons)) or 'nothing'}")
            save_result(out, results[(student, path.name)])
            continue
        cells, problem = parse_notebook(data)
        if problem or lesson.problem:
            problem = lesson.problem or problem
            results[(student, path.name)] = result_for(student, path.name, lesson, None, None, [], digest, problem)
            save_result(out, results[(student, path.name)])
            say(f"  {student}/{path.name}: 0/{sum(s.points for s in lesson.specs)} points ({problem})")
            continue
        todo.append((student, path, lesson, cells, digest))
    hide = [str(folder.resolve()), str(out.resolve())]
    needed = {lesson.stem: lesson for _, _, lesson, _, _ in todo}
    refs: dict[str, dict] = {}
    seeds = {stem: list(lesson.seeds) + fresh_seeds for stem, lesson in needed.items()}
    ctx = multiprocessing.get_context("spawn")
    done = 0
    pool = cf.ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=ctx, initializer=_worker_init)
    try:
        ref_futures = {}
        for stem, lesson in needed.items():
            cache = _ref_cache(out, lesson, seeds[stem])
            if cache.exists():
                refs[stem] = _untag(torch.load(cache, weights_only=True))
                continue
            cells, _ = parse_notebook(lesson.solution.read_bytes())
            ref_futures[stem] = pool.submit(run_notebook, _job(cells, lesson, seeds[stem], limits, iso, hide, None))
        futures = {pool.submit(run_notebook, _job(cells, lesson, seeds[lesson.stem], limits, iso, hide, path)):
                   (student, path, lesson, digest) for student, path, lesson, cells, digest in todo}
        for stem, fut in ref_futures.items():
            try:
                raw = fut.result()
            except Exception as err:  # the worker died: fall back to the registry's references
                raw = {"exports": {}, "stop": {"cell": -1, "status": "error", "message": str(err)}}
            refs[stem], notes = build_refs(needed[stem], raw, seeds[stem])
            for note in notes:
                say(f"warning: {note}")
            cache = _ref_cache(out, needed[stem], seeds[stem])
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp")
            torch.save(_tag(refs[stem]), tmp)
            os.replace(tmp, cache)
        for fut in cf.as_completed(futures):
            student, path, lesson, digest = futures[fut]
            try:
                raw = fut.result()
            except Exception as err:  # a crashed worker costs only this submission
                raw = {"exports": {}, "cell_errors": {}, "isolation": iso, "seconds": 0.0,
                       "stop": {"cell": -1, "status": "error", "message": f"grader worker failed: {err}"}}
            res = result_for(student, path.name, lesson, raw, refs[lesson.stem], seeds[lesson.stem], digest)
            if not (raw.get("stop") or {}).get("message", "").startswith("grader"):
                save_result(out, res)  # a grader failure is not stored, so the next run grades it again
            results[(student, path.name)] = res
            done += 1
            pts = sum(r["points"] for r in res["rows"])
            say(f"  [{done}/{len(todo)}] {student}/{path.name}: {pts:g}/{sum(r['max_points'] for r in res['rows']):g}"
                f" points ({res['seconds']:.1f} s)")
    except BaseException:  # Ctrl-C: drop queued work; running workers kill their kernels on the way out
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    write_reports(out, list(results.values()))
    seconds = time.perf_counter() - start
    rate = done / seconds * 60 if done and seconds else 0.0
    line = (f"graded {done}, skipped {skipped} in {seconds:.1f} s: {rate:.1f} submissions per minute "
            f"(-j {jobs}); isolation: {iso}")
    atomic_write(out / "run.txt", line + "\n")
    say(line)
    return {"graded": done, "skipped": skipped, "seconds": seconds, "rate": rate, "isolation": iso,
            "complaints": complaints, "line": line}


def benchmark(n: int = 20, jobs: int = 2) -> str:
    """Grade n copies of the 01_tensors solution with -j jobs and return a line with submissions per minute."""
    solution = ROOT / "solutions" / "01_tensors.ipynb"
    if not solution.exists():
        return "grader benchmark: solutions/01_tensors.ipynb does not exist"
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp:
        subs = Path(tmp) / "subs"
        for i in range(n):
            (subs / f"student{i:03d}").mkdir(parents=True)
            shutil.copyfile(solution, subs / f"student{i:03d}" / solution.name)
        stats = grade(subs, Path(tmp) / "out", jobs=jobs, quiet=True)
    return (f"grader: {stats['rate']:.1f} submissions per minute ({n} x 01_tensors, -j {jobs}, "
            f"{stats['seconds']:.1f} s, isolation: {stats['isolation']})")


def main(argv: list[str] | None = None) -> int:
    """Command line: grade DIR into --out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", help="submissions: DIR/<student>/<NN_topic>.ipynb")
    parser.add_argument("--out", default="grades", help="output folder (default: grades)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    parser.add_argument("--cell-timeout", type=float, default=30.0, help="seconds per cell (default 30)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per notebook (default 300)")
    parser.add_argument("--memory", type=float, default=3.0, help="memory cap per kernel in GiB (default 3)")
    parser.add_argument("--output-limit", type=float, default=1.0, help="output cap per submission in MB")
    parser.add_argument("--fresh-seeds", type=int, default=2, help="random extra test inputs per run (default 2)")
    parser.add_argument("--force", action="store_true", help="regrade submissions that already have a result")
    parser.add_argument("--no-bwrap", action="store_true", help="do not use bwrap (process group + limits only)")
    args = parser.parse_args(argv)
    folder, out = Path(args.dir), Path(args.out)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder (expected DIR/<student>/<NN_topic>.ipynb)", file=sys.stderr)
        return 2
    subs, complaints = find_submissions(folder, out)
    if not subs:
        for c in complaints:
            print(f"warning: {c}", file=sys.stderr)
        print(f"error: no submissions in {folder} (expected {folder}/<student>/<NN_topic>.ipynb)", file=sys.stderr)
        return 2
    limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.timeout,
                    memory=int(args.memory * (1 << 30)), output=int(args.output_limit * 1e6))
    stats = grade(folder, out, jobs=args.jobs, limits=limits, force=args.force, fresh=args.fresh_seeds,
                  allow_bwrap=not args.no_bwrap)
    print(f"results: {out}/grades.csv, {out}/summary.csv, {out}/feedback/")
    return 1 if stats["complaints"] else 0


if __name__ == "__main__":
    sys.exit(main())
