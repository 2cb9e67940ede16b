"""Worker side of grading: run one notebook in a fresh kernel and collect each exercise's exported answers."""
from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from course.grade.cleanup import die_with_parent, set_subreaper
from course.grade.discover import EXPORTER, ROOT
from course.grade.options import Limits
from course.grade.sandbox import OK, TIMEOUT, Kernel

MAX_EXPORT = 64 << 20
_CURRENT: list[tuple[Kernel, Path]] = []  # the kernel this worker runs now and its folder, for SIGTERM


def worker_init(parent: int) -> None:
    """Prepare a grading worker: die with the grader (tearing down its kernel), adopt orphans."""
    os.environ["COURSE_GRADE_WORKER"] = "1"
    signal.signal(signal.SIGTERM, _on_term)
    die_with_parent(parent, signal.SIGTERM)
    set_subreaper()


def _on_term(signum: int, frame: Any) -> None:
    """The grader is gone or gives up: kill this worker's kernel and everything it started, then exit."""
    for kernel, parent in list(_CURRENT):
        kernel.teardown()  # not kill(): joining the channel threads inside a signal handler could hang
        shutil.rmtree(parent, ignore_errors=True)
    os._exit(1)


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


def export_code(lesson: str, name: str, seeds: list[int], path: Path) -> str:
    """The cell that runs the exporter module's source in the kernel, in a namespace of its own."""
    call = f"_course_ns['export_answers'](get_ipython().user_ns, {lesson!r}, {name!r}, {list(seeds)!r}, {str(path)!r})"
    return (f"_course_ns = {{'__name__': 'course_grade_exporter'}}\n"
            f"exec(compile({EXPORTER.read_text()!r}, 'course_grade_exporter', 'exec'), _course_ns)\n"
            f"try:\n    {call}\nfinally:\n    del _course_ns\n")


def scratch_parent(drop_user: bool) -> Path:
    """A fresh private folder for one kernel; reachable (not readable) by the kernel's user when it drops root."""
    base = tempfile.gettempdir()
    if len(base) >= 40 or (drop_user and not _traversable(Path(base))):
        base = "/tmp"  # ipc socket paths must stay short; an unprivileged kernel must reach its scratch
    parent = Path(tempfile.mkdtemp(prefix="grade-", dir=base))
    if drop_user:
        parent.chmod(0o711)
    return parent


def _traversable(path: Path) -> bool:
    """True when every folder from / to path lets other users pass through."""
    return all(p.stat().st_mode & stat.S_IXOTH for p in [path.resolve(), *path.resolve().parents])


def scratch_course(scratch: Path, uid: int) -> Path:
    """Copy helpers/ (no solutions, no grades) into scratch/course; return the notebook folder."""
    course = scratch / "course"
    shutil.copytree(ROOT / "helpers", course / "helpers", ignore=shutil.ignore_patterns("__pycache__", "expected"))
    (course / "notebooks").mkdir(parents=True)
    if (ROOT / "data").exists():
        (course / "data").symlink_to((ROOT / "data").resolve())
    for name in ("home", "tmp", "export", "ipython"):
        (scratch / name).mkdir()
    if uid >= 0:
        for path in [scratch, *scratch.rglob("*")]:
            os.lchown(path, uid, uid)
    return course / "notebooks"


def kernel_env(scratch: Path) -> dict[str, str]:
    """The kernel's environment: no grader paths, CPU only, one thread, private home and tmp."""
    env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "COURSE_CIFAR10_DIR") if k in os.environ}
    env.update(HOME=str(scratch / "home"), TMPDIR=str(scratch / "tmp"), PYTHONPATH=str(scratch / "course"),
               PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1", IPYTHONDIR=str(scratch / "ipython"),
               MPLCONFIGDIR=str(scratch / "home"), COURSE_DEVICE="cpu", CUDA_VISIBLE_DEVICES="",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYDEVD_DISABLE_FILE_VALIDATION="1", COURSE_GRADING="1")
    return env


def make_kernel(job: dict, parent: Path, scratch: Path) -> Kernel:
    """The kernel for a job: scratch course, submission copy, sandbox folders, environment, limits."""
    cwd = scratch_course(scratch, job["uid"])
    if job.get("path"):
        shutil.copyfile(job["path"], cwd / Path(job["path"]).name)
        if job["uid"] >= 0:
            os.chown(cwd / Path(job["path"]).name, job["uid"], job["uid"])
    hide = [ROOT, Path.home(), parent, Path(tempfile.gettempdir())] + [Path(p) for p in job.get("hide", [])]
    ro = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent.parent]
    if (ROOT / "data").exists():
        ro.append((ROOT / "data").resolve())
    if os.environ.get("COURSE_CIFAR10_DIR"):
        ro.append(Path(os.environ["COURSE_CIFAR10_DIR"]))
    return Kernel(scratch, cwd, kernel_env(scratch), Limits(**job["limits"]), job["mode"] == "bwrap", hide, ro,
                  token=job["token"], uid=job["uid"])


def _read_bytes(path: Path) -> bytes | str:
    """Return a file's bytes, or a message when it is too large to be an honest export."""
    size = path.stat().st_size
    if size > MAX_EXPORT:
        return f"the exported answers are too large ({size} bytes)"
    return path.read_bytes()


def _start(kernel: Kernel, lesson: str) -> str:
    """Start the kernel and import torch and the lesson's exercises; '' or why it failed."""
    wait = max(60.0, kernel.limits.cell_timeout)
    why = kernel.start(timeout=wait)
    warm = kernel.run_cell(f"import torch, numpy, helpers.exercises, helpers.ex_{lesson}", silent=True,
                           timeout=wait) if not why else None
    if warm is not None and warm.status != OK:
        why = f"the kernel could not import torch and the lesson's exercises ({warm.ename}: {warm.evalue[:200]})"
    return why


def _export(kernel: Kernel, job: dict, name: str, index: int, collected: Path, raw: dict) -> Any:
    """Run the exporter for one exercise and move its file out of the kernel's reach."""
    out = kernel.scratch / "export" / f"{name}.pt"
    res = kernel.run_cell(export_code(job["lesson"], name, job["seeds"], out), silent=True)
    if out.is_file() and not out.is_symlink() and res.status in (OK, TIMEOUT) and not res.fatal:
        os.replace(out, collected / f"{name}.pt")
        raw["exports"][name] = {"file": _read_bytes(collected / f"{name}.pt"), "cell": index}
    elif not res.fatal:
        raw["exports"][name] = {"data": None, "cell": index,
                                "error": f"exporting your answers failed ({res.ename}: {res.evalue[:150]})"}
    return res


def _run_steps(kernel: Kernel, job: dict, collected: Path, raw: dict) -> None:
    """Run the cells and the exports in plan order until done or the kernel is gone."""
    for kind, text, index in plan(job["cells"], job["params"], job["names"]):
        if kind == "export":
            res = _export(kernel, job, text, index, collected, raw)
        else:
            res = kernel.run_cell(text)
            if res.status != OK and index >= 0:
                raw["cell_errors"][str(index)] = f"{res.ename}: {res.evalue[:200]}"
        if res.fatal:
            raw["stop"] = {"cell": index, "status": res.status, "message": res.evalue}
            return


def run_notebook(job: dict) -> dict:
    """Run one notebook in a fresh kernel and collect each exercise's exported answers (worker side)."""
    start = time.perf_counter()
    raw: dict[str, Any] = {"exports": {}, "cell_errors": {}, "stop": None, "isolation": job["isolation"]}
    parent = scratch_parent(job["uid"] >= 0)
    scratch, collected = parent / "s", parent / "collected"
    scratch.mkdir(mode=0o700)
    collected.mkdir(mode=0o700)
    kernel = None
    try:
        kernel = make_kernel(job, parent, scratch)
        _CURRENT.append((kernel, parent))
        why = _start(kernel, job["lesson"])
        if why:
            raw["stop"] = {"cell": -1, "status": "error", "message": why}
        else:
            _run_steps(kernel, job, collected, raw)
    except Exception as err:  # the grader itself must never take the batch down
        raw["stop"] = {"cell": -1, "status": "error", "message": f"grader error: {type(err).__name__}: {err}"}
    finally:
        if kernel is not None:
            raw["leftover"] = kernel.kill()
            _CURRENT.clear()
        shutil.rmtree(parent, ignore_errors=True)
        raw["seconds"] = time.perf_counter() - start
    return raw
