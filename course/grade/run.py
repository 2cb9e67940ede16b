"""Orchestration: decide what to grade, run the solution and the submissions in workers, judge, report."""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import random
import shutil
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from course.grade.cleanup import sweep
from course.grade.discover import ROOT, Lesson, digest, find_submissions, load_lessons, parse_notebook
from course.grade.judge import build_refs, result_for
from course.grade.options import INSTALL_HELP, Limits
from course.grade.report import atomic_write, load_result, save_result, write_reports
from course.grade.runner import run_notebook, worker_init
from course.grade.isolation import Isolation, choose_isolation
from helpers.exercises import FRESH_SEEDS
from course.plain import pack
from helpers.references import unpack

TOKEN_PREFIX = "course-grade-"


class SandboxUnavailable(RuntimeError):
    """bwrap cannot create the sandbox and grading unsandboxed was not asked for."""


@dataclass
class Batch:
    """One grading run: its marker, isolation, limits, and the work and results so far."""

    out: Path
    iso: Isolation
    limits: Limits
    hide: list[str]
    say: Callable[..., None]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    uid_base: int = field(default_factory=lambda: random.SystemRandom().randrange(1 << 21, 1 << 30, 1 << 12))
    jobs: int = 0
    results: dict = field(default_factory=dict)

    @property
    def uids(self) -> set[int]:
        """The unprivileged users this run's kernels run as (none unless it drops root)."""
        return set(range(self.uid_base, self.uid_base + self.jobs)) if self.iso.drop_user else set()

    def job(self, cells: list, lesson: Lesson, seeds: list[int], path: Path | None) -> dict:
        """Describe one kernel run for a worker (each gets its own marker and, when dropping root, user)."""
        self.jobs += 1
        uid = self.uid_base + self.jobs - 1 if self.iso.drop_user else -1
        return {"cells": cells, "lesson": lesson.stem, "params": lesson.params, "seeds": seeds,
                "names": [s.name for s in lesson.specs], "limits": asdict(self.limits), "mode": self.iso.mode,
                "isolation": self.iso.label, "hide": self.hide, "path": str(path) if path else "", "uid": uid,
                "token": f"{TOKEN_PREFIX}{self.run_id}-{uuid.uuid4().hex[:12]}"}

    def store(self, res: dict, save: bool = True) -> None:
        """Keep a submission's result (and save it, so a rerun skips it)."""
        self.results[(res["student"], res["notebook"])] = res
        if save:
            save_result(self.out, res)


def _triage(batch: Batch, subs: list, lessons: dict[str, Lesson], force: bool, root: Path) -> tuple[list, int]:
    """Skip graded submissions, settle those that need no kernel; return the rest and the skipped count."""
    todo, skipped = [], 0
    for student, path in subs:
        lesson, data = lessons.get(path.stem), path.read_bytes()
        key = digest(data, (lesson.key if lesson else "").encode())
        old = load_result(batch.out, student, path.name)
        if old and old.get("hash") == key and not force:
            batch.store(old, save=False)
            skipped += 1
            continue
        if lesson is None:
            known = ", ".join(sorted(lessons)) or "nothing"
            why = (f"{path.stem} has no graded exercises" if (root / "solutions" / path.name).exists()
                   else f"no lesson called {path.stem}; expected one of {known}")
            batch.store(result_for(student, path.name, None, None, None, [], key, why))
            continue
        cells, problem = parse_notebook(data)
        if problem or lesson.problem:
            problem = lesson.problem or problem
            batch.store(result_for(student, path.name, lesson, None, None, [], key, problem))
            batch.say(f"  {student}/{path.name}: 0/{sum(s.points for s in lesson.specs)} points ({problem})")
            continue
        todo.append((student, path, lesson, cells, key))
    return todo, skipped


def _ref_cache(out: Path, lesson: Lesson, seeds: list[int]) -> Path:
    """Where the reference answers of a lesson for these seeds are cached."""
    return out / ".refs" / f"{lesson.stem}-{digest(lesson.key.encode(), repr(seeds).encode())}.pt"


def _references(batch: Batch, pool: Any, needed: dict[str, Lesson], seeds: dict) -> dict[str, Any]:
    """Start each needed solution notebook's run; {stem: future, or (refs, missing) read from the cache}."""
    import torch

    found: dict[str, Any] = {}
    for stem, lesson in needed.items():
        cache = _ref_cache(batch.out, lesson, seeds[stem])
        if cache.exists():
            found[stem] = (unpack(torch.load(cache, weights_only=True)), {})
            continue
        cells, _ = parse_notebook(lesson.solution.read_bytes())
        found[stem] = pool.submit(run_notebook, batch.job(cells, lesson, seeds[stem], None))
    return found


def _reference(batch: Batch, lesson: Lesson, pending: Any, seeds: list[int]) -> tuple[dict, dict]:
    """Wait for a solution run and build (refs, missing) from it; cache complete references."""
    import torch

    if isinstance(pending, tuple):
        return pending
    try:
        raw = pending.result()
    except Exception as err:  # the worker died: every exercise of the lesson becomes an error
        raw = {"exports": {}, "stop": {"cell": -1, "status": "error", "message": f"grader worker failed: {err}"}}
    refs, missing = build_refs(lesson, raw, seeds)
    for why in missing.values():
        batch.say(f"warning: {why}")
    if not missing:
        cache = _ref_cache(batch.out, lesson, seeds)
        cache.parent.mkdir(parents=True, exist_ok=True)
        torch.save(pack(refs), cache.with_suffix(".tmp"))
        os.replace(cache.with_suffix(".tmp"), cache)
    return refs, missing


def _judge_all(batch: Batch, pool: Any, todo: list, needed: dict[str, Lesson], seeds: dict) -> int:
    """Run the solutions and the submissions in the workers; judge each submission as it finishes."""
    pending = _references(batch, pool, needed, seeds)
    futures = {pool.submit(run_notebook, batch.job(cells, lesson, seeds[lesson.stem], path)):
               (student, path, lesson, key) for student, path, lesson, cells, key in todo}
    refs = {stem: _reference(batch, needed[stem], pending[stem], seeds[stem]) for stem in needed}
    for done, fut in enumerate(cf.as_completed(futures), 1):
        student, path, lesson, key = futures[fut]
        try:
            raw = fut.result()
        except Exception as err:  # a crashed worker costs only this submission
            raw = {"exports": {}, "cell_errors": {}, "isolation": batch.iso.label, "seconds": 0.0,
                   "stop": {"cell": -1, "status": "error", "message": f"grader worker failed: {err}"}}
        ref, missing = refs[lesson.stem]
        res = result_for(student, path.name, lesson, raw, ref, seeds[lesson.stem], key, missing=missing)
        # a grader or course failure is not stored, so the next run grades it again
        batch.store(res, save=not missing and not (raw.get("stop") or {}).get("message", "").startswith("grader"))
        pts, most = sum(r["points"] for r in res["rows"]), sum(r["max_points"] for r in res["rows"])
        batch.say(f"  [{done}/{len(todo)}] {student}/{path.name}: {pts:g}/{most:g} points ({res['seconds']:.1f} s)")
    return len(futures)


def _stop_workers(pool: cf.ProcessPoolExecutor) -> None:
    """Tell every worker to kill its kernel and exit now (their SIGTERM handler does the teardown)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=15)
    pool.shutdown(wait=False, cancel_futures=True)


def _run(batch: Batch, todo: list, jobs: int, fresh: int) -> int:
    """Run the references and the submissions in a pool of workers that die with this process."""
    fresh_seeds = sorted(random.SystemRandom().sample(FRESH_SEEDS, fresh))
    needed = {lesson.stem: lesson for _, _, lesson, _, _ in todo}
    seeds = {stem: list(lesson.seeds) + fresh_seeds for stem, lesson in needed.items()}
    # workers are started by this thread, so their parent-death signal fires when this process dies
    pool = cf.ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=multiprocessing.get_context("spawn"),
                                  initializer=worker_init, initargs=(os.getpid(),))
    try:
        done = _judge_all(batch, pool, todo, needed, seeds)
    except BaseException:  # Ctrl-C or a grader bug: stop the kernels now, not after they finish
        _stop_workers(pool)
        raise
    finally:
        sweep(TOKEN_PREFIX + batch.run_id, batch.uids, False, batch.limits.teardown)
    pool.shutdown(wait=True)
    return done


def grade(folder: Path, out: Path, jobs: int = 2, limits: Limits | None = None, force: bool = False,
          fresh: int = 2, unsandboxed: bool = False, quiet: bool = False, root: Path = ROOT) -> dict:
    """Grade every submission under folder into out; return counts, seconds, isolation and the run's marker."""
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    uid_base = random.SystemRandom().randrange(1 << 21, 1 << 30, 1 << 12)
    iso = choose_isolation(unsandboxed, uid_base)
    if isinstance(iso, str):
        raise SandboxUnavailable(INSTALL_HELP.format(why=iso))
    out.mkdir(parents=True, exist_ok=True)  # must exist so the sandbox can hide it
    batch = Batch(out, iso, limits or Limits(), [str(folder.resolve()), str(out.resolve())], say, uid_base=uid_base)
    subs, complaints = find_submissions(folder, out)
    for c in complaints:
        say(f"warning: {c}")
    start = time.perf_counter()
    todo, skipped = _triage(batch, subs, load_lessons(root), force, root)
    done = _run(batch, todo, jobs, fresh) if todo else 0
    write_reports(out, list(batch.results.values()))
    seconds = time.perf_counter() - start
    rate = done / seconds * 60 if done and seconds else 0.0
    line = (f"graded {done}, skipped {skipped} in {seconds:.1f} s: {rate:.1f} submissions per minute "
            f"(-j {jobs}); isolation: {iso.label}")
    atomic_write(out / "run.txt", f"{line}\nrun marker: {TOKEN_PREFIX}{batch.run_id}\n")
    say(line)
    return {"graded": done, "skipped": skipped, "seconds": seconds, "rate": rate, "isolation": iso.label,
            "complaints": complaints, "line": line, "run": TOKEN_PREFIX + batch.run_id, "uids": sorted(batch.uids)}


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
        try:
            stats = grade(subs, Path(tmp) / "out", jobs=jobs, quiet=True)
        except SandboxUnavailable as err:
            return f"grader benchmark: not run, {str(err).split('. ')[0]}"
    return (f"grader: {stats['rate']:.1f} submissions per minute ({n} x 01_tensors, -j {jobs}, "
            f"{stats['seconds']:.1f} s, isolation: {stats['isolation']})")
