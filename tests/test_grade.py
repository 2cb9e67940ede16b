"""The grader: honest submissions score as their in-notebook checks say, forgeries get 0, hostile ones cost only themselves."""
from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import pickle
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
import torch

from course.grade import grade, main
from course.grade.cleanup import marked_processes, user_processes
from course.grade.discover import lesson_exercise
from course.grade.judge import check_plain, read_export
from course.grade.report import atomic_write, load_result
from course.grade.runner import plan
from course.grade.sandbox import Limits, probe_bwrap
from helpers.notebook_format import BEGIN, CHECK_LINE, END, EXERCISE_LINE, ExerciseCell, exercise_cells

pytestmark = pytest.mark.xdist_group("grader")
ROOT = Path(__file__).resolve().parent.parent
QUIZ = "quiz_"
SOLUTION, STUDENT = ROOT / "solutions" / "01_tensors.ipynb", ROOT / "notebooks" / "01_tensors.ipynb"
CELL_TIMEOUT = 5.0
needs_01 = pytest.mark.skipif(not (SOLUTION.exists() and STUDENT.exists()),
                              reason="solutions/01_tensors.ipynb and notebooks/01_tensors.ipynb do not exist yet")


def _specs() -> list[ExerciseCell]:
    """The exercises (functions to write, not quiz questions) of 01_tensors, in notebook order."""
    return [c for c in exercise_cells(nbformat.read(SOLUTION, as_version=4).cells) if not c.name.startswith(QUIZ)]


def _quizzes() -> list[ExerciseCell]:
    """The quiz questions of 01_tensors, in notebook order."""
    return [c for c in exercise_cells(nbformat.read(SOLUTION, as_version=4).cells) if c.name.startswith(QUIZ)]


def _exercise_index(nb: nbformat.NotebookNode, name: str) -> int:
    """Index of the cell that declares exercise name."""
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and EXERCISE_LINE.match(c.source)
                and c.source.rstrip().endswith(f'check("{name}", {name})'))


def _with_body(source: str, body: str) -> str:
    """Replace the solution region of an exercise cell by body (indented like the region)."""
    lines = source.split("\n")
    b = next(i for i, line in enumerate(lines) if line.strip() == BEGIN)
    e = next(i for i, line in enumerate(lines) if line.strip() == END)
    indent = lines[b][: len(lines[b]) - len(lines[b].lstrip())]
    return "\n".join(lines[:b] + [indent + line for line in body.split("\n")] + lines[e + 1:])


def _setup_index(nb: nbformat.NotebookNode) -> int:
    """Index of the setup cell (the first code cell after the parameters cell)."""
    params = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    return next(i for i in range(params + 1, len(nb.cells)) if nb.cells[i].cell_type == "code")


def _lean(bodies: dict[str, str] | None = None, default: str | None = None) -> nbformat.NotebookNode:
    """The solution reduced to parameters, setup and exercise cells; bodies replace chosen solutions."""
    nb = nbformat.read(SOLUTION, as_version=4)
    keep = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        head = EXERCISE_LINE.match(cell.source)
        name = CHECK_LINE.match(cell.source.strip().splitlines()[-1]).group(1) if head else ""
        if name.startswith(QUIZ) and name not in (bodies or {}):
            continue  # lean: no quiz cells unless asked for
        if i <= _setup_index(nb) or head:
            if head:
                body = (bodies or {}).get(name, default)
                if body is not None:
                    cell.source = _with_body(cell.source, body)
            keep.append(cell)
    nb.cells = keep
    return nb


def _insert(nb: nbformat.NotebookNode, after: int, source: str) -> nbformat.NotebookNode:
    """Insert a code cell after index after."""
    nb.cells.insert(after + 1, nbformat.v4.new_code_cell(source))
    return nb


PAYLOAD_MARKER = "PAYLOAD_RAN"
DAEMON = f"600.{os.getpid()}"  # a sleep that escapes into its own session with an empty environment


def _cases(tmp: Path, out: Path) -> dict[str, nbformat.NotebookNode | bytes]:
    """Build every synthetic submission (student name -> notebook or raw bytes)."""
    specs = _specs()
    first, second, third = specs[0].name, specs[1].name, specs[2].name
    mid = specs[4].name
    marker = tmp / PAYLOAD_MARKER
    sol = lambda: nbformat.read(SOLUTION, as_version=4)  # noqa: E731
    cases: dict[str, nbformat.NotebookNode | bytes] = {
        "perfect": sol(),
        "untouched": nbformat.read(STUDENT, as_version=4),
        "partly_wrong": _lean({first: "return None", second: 'raise ValueError("oops")'}),
        "not_json": b"{ this is not a notebook",
        "wrong_format": json.dumps({"nbformat": 99, "nbformat_minor": 0, "cells": "x", "metadata": {}}).encode(),
    }
    nb = _lean()
    i = _exercise_index(nb, third)
    nb.cells[i].source = nb.cells[i].source.replace("\n", "\nfor x in (:\n", 1)
    cases["syntax_error"] = nb
    cases["infinite_loop"] = _lean({third: "import time\nwhile True:\n    time.sleep(0.01)"})
    nb = _lean()
    cases["huge_output"] = _insert(nb, _exercise_index(nb, mid), 'while True:\n    print("x" * 10000)')
    nb = _lean()
    cases["memory_hog"] = _insert(nb, _setup_index(nb), "def hog():\n    blocks = []\n    while True:\n"
                                  "        blocks.append(torch.ones(1 << 25))\nhog()")
    nb = _lean()
    cases["os_exit"] = _insert(nb, _exercise_index(nb, mid), "\n".join([
        "import os, subprocess", f"subprocess.Popen(['sleep', '{DAEMON}'], start_new_session=True, env={{}})",
        "if os.fork() == 0:", "    os.setsid()", f"    os.execvpe('sleep', ['sleep', '{DAEMON}'], {{}})",
        "os._exit(3)"]))
    nb = _lean()
    cases["kernel_killed"] = _insert(nb, _exercise_index(nb, mid), "import os, signal\nos.kill(os.getpid(), "
                                     "signal.SIGKILL)")
    nb = _lean()
    cases["ignores_ctrl_c"] = _insert(nb, _exercise_index(nb, mid), "import signal\nsignal.signal(signal.SIGINT, "
                                      "signal.SIG_IGN)\nimport time\nwhile True:\n    time.sleep(0.01)")
    nb = _lean(default="return None")
    cases["patched"] = _insert(nb, _setup_index(nb), "\n".join([
        "torch.allclose = lambda *a, **k: True", "torch.equal = lambda *a, **k: True",
        "torch.isclose = lambda a, b, **k: torch.ones_like(torch.as_tensor(a), dtype=torch.bool)",
        "torch.Tensor.__eq__ = lambda *a: True", "torch.Tensor.__ne__ = lambda *a: False",
        "import helpers.compare, helpers.exercises as E", "helpers.compare.difference = lambda *a, **k: None",
        "E.difference = lambda *a, **k: None", "E.check = lambda name, answer: E.Result(name, E.CORRECT, 'ok')",
        "check = E.check"]))
    nb = _lean(default="return _Liar() if len(str(args)) % 2 else torch.zeros(3).as_subclass(_LiarTensor)")
    for cell in nb.cells:
        cell.source = re.sub(r"^def (\w+)\((.*)\)( -> [^:]+)?:", r"def \1(*args):", cell.source, flags=re.M)
    cases["always_equal"] = _insert(nb, _setup_index(nb), "\n".join([
        "class _Liar:", "    def __eq__(self, other): return True", "    def __ne__(self, other): return False",
        "class _LiarTensor(torch.Tensor):", "    def __eq__(self, other): return True"]))
    nb = _lean()
    cases["pickle_payload"] = _insert(nb, _setup_index(nb), "\n".join([
        "import os, pickle", "class _Payload:",
        f"    def __reduce__(self): return (os.system, ('touch {marker}',))",
        "def _evil_save(obj, f, *a, **k):", "    with open(f, 'wb') as fh:", "        pickle.dump(_Payload(), fh)",
        "torch.save = _evil_save"]))
    nb = _lean({first: "import helpers\nraise RuntimeError('HELPERS=' + helpers.__file__)"},
               default="return _from_solutions(NAME)(*args)")
    for cell in nb.cells:
        if (m := re.match(r"^def (\w+)\((.*)\)( -> [^:]+)?:", cell.source.split("\n", 2)[1])) and m.group(1) != first:
            cell.source = cell.source.replace(m.group(0), f"def {m.group(1)}(*args):").replace("NAME", repr(m.group(1)))
    forged = "student,notebook,exercise,points,max_points,status,message\nwriter,01_tensors.ipynb,x,9,9,correct,\n"
    cases["escapes"] = _insert(nb, _setup_index(nb), "\n".join([
        f"for p in ({str(out / 'hacked.txt')!r}, {str(out / 'grades.csv')!r}):",
        "    try:", f"        open(p, 'w').write({forged!r})", "    except OSError as err:", "        print(err)",
        "def _from_solutions(name):", "    import json",
        "    for path in (" + repr(str(SOLUTION)) + ", '../solutions/01_tensors.ipynb'):",
        "        try:", "            cells = json.load(open(path))['cells']", "        except OSError:",
        "            continue", "        for c in cells:", "            src = ''.join(c['source'])",
        "            if src.startswith('# Exercise') and f'def {name}(' in src:", "                ns = {}",
        "                exec(src.split('check(')[0], globals(), ns)", "                return ns[name]",
        "    raise FileNotFoundError('no solutions here')"]))
    nb = _lean(default="from helpers.references import reference\nreturn reference('01_tensors', NAME)(*args)")
    for cell in nb.cells:
        if (m := re.match(r"^def (\w+)\((.*)\)( -> [^:]+)?:", cell.source.split("\n", 2)[1] if "\n" in cell.source
                          else "")):
            cell.source = cell.source.replace(m.group(0), f"def {m.group(1)}(*args):").replace("NAME", repr(m.group(1)))
    cases["calls_reference"] = nb
    cases["quiz_mixed"] = _lean(_quiz_answers())
    return cases


def _quiz_answers() -> dict[str, str]:
    """Quiz bodies: a wrong answer, a letter not offered / odd text, `...`, a hostile object, the rest right."""
    from tests.test_checkers import WRONG
    names = [q.name for q in _quizzes()]
    bodies = {n: f"{n} = {WRONG[n]!r}" for n in names[:1]}
    bodies.update({n: f"{n} = 'zz'" for n in names[1:2]})
    bodies.update({n: f"{n} = ..." for n in names[2:3]})
    bodies.update({n: f"class _Liar:\n    def __eq__(self, other): return True\n{n} = _Liar()" for n in names[3:4]})
    for q in _quizzes()[4:]:  # the solution's own answer
        region = q.source.split(BEGIN, 1)[1].split(END, 1)[0]
        bodies[q.name] = "\n".join(line.strip() for line in region.strip().splitlines())
    return bodies


@pytest.mark.notebook
def test_quiz_questions_are_graded_like_exercises(batch):
    names = [q.name for q in _quizzes()]
    assert len(names) >= 4
    assert set(_statuses(batch, "perfect", quiz=True).values()) == {"correct"}
    assert set(_statuses(batch, "untouched", quiz=True).values()) == {"not_attempted"}
    want = {names[0]: "incorrect", names[1]: "incorrect", names[2]: "not_attempted", names[3]: "incorrect",
            **{n: "correct" for n in names[4:]}}
    assert _statuses(batch, "quiz_mixed", quiz=True) == want, batch["rows"]["quiz_mixed"]
    rows = batch["rows"]["quiz_mixed"]
    assert "answer with" in rows[names[3]]["message"] and "not attempted" not in rows[names[0]]["message"]


def _write(folder: Path, cases: dict[str, nbformat.NotebookNode | bytes]) -> None:
    """Write each case as folder/<student>/01_tensors.ipynb."""
    for student, nb in cases.items():
        (folder / student).mkdir(parents=True)
        path = folder / student / "01_tensors.ipynb"
        path.write_bytes(nb) if isinstance(nb, bytes) else nbformat.write(nb, path)


def _run_id(config: pytest.Config) -> str:
    """One id per test run, shared by all pytest-xdist workers."""
    worker = getattr(config, "workerinput", None)
    return worker["testrunuid"] if worker else f"solo-{os.getpid()}"


# make test grades the everyday cases; make test-slow (CI) the hostile ones, each batch once per run
CORE = ("perfect", "untouched", "partly_wrong", "not_json", "wrong_format", "syntax_error", "infinite_loop",
        "calls_reference", "quiz_mixed")
HOSTILE = ("huge_output", "memory_hog", "os_exit", "kernel_killed", "ignores_ctrl_c", "patched", "always_equal",
           "pickle_payload", "escapes")


def _graded(request, kind: str, students: tuple[str, ...]) -> dict:
    """Grade one batch once per test run (shared by xdist workers), with -j 2 and short timeouts."""
    if not (SOLUTION.exists() and STUDENT.exists()):
        pytest.skip("solutions/01_tensors.ipynb and notebooks/01_tensors.ipynb do not exist yet")
    base = ROOT / "build" / "test" / "grade-batch"
    base.mkdir(parents=True, exist_ok=True)
    run_id = _run_id(request.config)
    tmp = base / f"{run_id}-{kind}"
    subs, out, done = tmp / "subs", tmp / "out", tmp / "stats.json"
    with open(base / f"{tmp.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker grades; the other waits and reads the results
        if not done.exists():
            for old in base.iterdir():  # earlier runs' batches
                if old.name.startswith(run_id):
                    continue
                if old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)
                elif old.suffix == ".lock":
                    old.unlink(missing_ok=True)
            tmp.mkdir(exist_ok=True)
            cases = _cases(tmp, out)
            assert set(cases) == set(CORE) | set(HOSTILE), "a case of _cases() is in neither CORE nor HOSTILE"
            _write(subs, {k: v for k, v in cases.items() if k in students})
            if kind == "core":
                (subs / "stranger").mkdir()
                (subs / "stranger" / "99_unknown.ipynb").write_bytes(SOLUTION.read_bytes())
            start = time.perf_counter()
            stats = grade(subs, out, jobs=2, limits=Limits(cell_timeout=CELL_TIMEOUT, notebook_timeout=120,
                                                            memory=2 << 30), unsandboxed=bool(probe_bwrap()))
            done.write_text(json.dumps({"stats": stats, "seconds": time.perf_counter() - start}, default=str))
    saved = json.loads(done.read_text())
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    by = {}
    for row in rows:
        by.setdefault(row["student"], {})[row["exercise"]] = row
    return {"stats": saved["stats"], "rows": by, "out": out, "subs": subs, "tmp": tmp, "seconds": saved["seconds"],
            "summary": list(csv.DictReader(io.StringIO((out / "summary.csv").read_text())))}


@pytest.fixture(scope="session")
def batch(request):
    """The everyday submissions: right, untouched, partly wrong, malformed, a syntax error, a loop, quiz answers."""
    return _graded(request, "core", CORE)


@pytest.fixture(scope="session")
def hostile_batch(request):
    """Submissions that attack the grader: floods, memory, exits and kills, patches, payloads, escapes."""
    return _graded(request, "hostile", HOSTILE)


def _cmdline(pid: str) -> bytes:
    """A process's command line, or b''."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _points(batch: dict, student: str) -> int:
    """Total points of a student's 01_tensors."""
    return sum(int(r["points"]) for r in batch["rows"][student].values())


def _statuses(batch: dict, student: str, quiz: bool = False) -> dict[str, str]:
    """Exercise -> status for a student (quiz questions -> status with quiz=True)."""
    return {k: r["status"] for k, r in batch["rows"][student].items() if k.startswith(QUIZ) == quiz}


def _expect(batch: dict, student: str, statuses: dict[str, str]) -> None:
    """Assert the exact status of every exercise and the exact score."""
    assert _statuses(batch, student) == statuses, batch["rows"][student]
    want = sum(s.points for s in _specs() if statuses[s.name] == "correct")
    quiz_points = sum(int(r["points"]) for k, r in batch["rows"][student].items() if k.startswith(QUIZ))
    assert _points(batch, student) - quiz_points == want


def _all(status: str) -> dict[str, str]:
    """Every exercise with the same status."""
    return {s.name: status for s in _specs()}


def _split(at: str, before: str, after: str) -> dict[str, str]:
    """Exercises up to and including at get before, the rest after."""
    names = [s.name for s in _specs()]
    cut = names.index(at)
    return {n: before if i <= cut else after for i, n in enumerate(names)}


@pytest.mark.notebook
def test_batch_finished_and_left_no_process(batch):
    _finished_and_left_nothing(batch, kernel_free=3)  # not_json, wrong_format, stranger need no kernel


@pytest.mark.slow
@pytest.mark.notebook
def test_hostile_batch_finished_and_left_no_process(hostile_batch):
    _finished_and_left_nothing(hostile_batch, kernel_free=0)


def _finished_and_left_nothing(batch: dict, kernel_free: int) -> None:
    """Every submission that needs a kernel was graded, and no process of the run is left."""
    assert batch["stats"]["graded"] == len(batch["rows"]) - kernel_free
    # only this run's processes count: its kernels carry the run's marker (or run as its users), and the
    # escaping daemons carry this test process's pid
    assert not marked_processes(batch["stats"]["run"]), "a grading kernel of this run is still running"
    assert not user_processes(set(batch["stats"]["uids"])), "a process of this run's kernel users is still running"
    assert not [p for p in os.listdir("/proc") if p.isdigit() and DAEMON.encode() in _cmdline(p)]
    print(f"\n{batch['stats']['line']} (fixture {batch['seconds']:.1f} s)")


@pytest.mark.notebook
def test_perfect_gets_full_points(batch):
    _expect(batch, "perfect", _all("correct"))


@pytest.mark.notebook
def test_untouched_student_copy_is_not_attempted(batch):
    _expect(batch, "untouched", _all("not_attempted"))


@pytest.mark.notebook
def test_partly_wrong_loses_only_the_wrong_exercises(batch):
    first, second = _specs()[0].name, _specs()[1].name
    _expect(batch, "partly_wrong", {**_all("correct"), first: "incorrect", second: "incorrect"})
    assert "ValueError: oops" in batch["rows"]["partly_wrong"][second]["message"]


@pytest.mark.notebook
def test_syntax_error_costs_only_its_cell(batch):
    third = _specs()[2].name
    _expect(batch, "syntax_error", {**_all("correct"), third: "error"})
    assert "SyntaxError" in batch["rows"]["syntax_error"][third]["message"]


@pytest.mark.notebook
def test_infinite_loop_in_a_function_times_out_that_exercise(batch):
    _expect(batch, "infinite_loop", {**_all("correct"), _specs()[2].name: "timeout"})


@pytest.mark.slow
@pytest.mark.notebook
def test_huge_output_stops_the_submission(hostile_batch):
    _expect(hostile_batch, "huge_output", _split(_specs()[4].name, "correct", "error"))
    assert "output" in hostile_batch["rows"]["huge_output"][_specs()[-1].name]["message"]


@pytest.mark.slow
@pytest.mark.notebook
def test_memory_hog_hits_the_cap_and_the_rest_runs(hostile_batch):
    _expect(hostile_batch, "memory_hog", _all("correct"))


@pytest.mark.slow
@pytest.mark.notebook
def test_os_exit_and_kill_cost_the_rest_of_the_submission(hostile_batch):
    for student in ("os_exit", "kernel_killed"):
        _expect(hostile_batch, student, _split(_specs()[4].name, "correct", "error"))
        assert "died" in hostile_batch["rows"][student][_specs()[-1].name]["message"]


@pytest.mark.slow
@pytest.mark.notebook
def test_cell_that_ignores_ctrl_c_is_killed(hostile_batch):
    _expect(hostile_batch, "ignores_ctrl_c", _split(_specs()[4].name, "correct", "timeout"))


@pytest.mark.slow
@pytest.mark.notebook
def test_patched_torch_and_checks_module_get_no_points(hostile_batch):
    _expect(hostile_batch, "patched", _all("incorrect"))


@pytest.mark.slow
@pytest.mark.notebook
def test_objects_that_equal_everything_get_no_points(hostile_batch):
    _expect(hostile_batch, "always_equal", _all("error"))
    assert all("not plain data" in r["message"] for k, r in hostile_batch["rows"]["always_equal"].items()
               if not k.startswith(QUIZ))


@pytest.mark.slow
@pytest.mark.notebook
def test_pickle_payload_is_never_unpickled(hostile_batch):
    _expect(hostile_batch, "pickle_payload", _all("error"))
    assert not (hostile_batch["tmp"] / PAYLOAD_MARKER).exists()


@pytest.mark.slow
@pytest.mark.notebook
def test_kernel_cannot_write_the_output_or_read_solutions_and_imports_the_scratch_helpers(hostile_batch):
    rows = hostile_batch["rows"]["escapes"]
    assert "writer" not in hostile_batch["rows"]
    helpers_file = re.search(r"HELPERS=(\S+)", rows[_specs()[0].name]["message"]).group(1)
    assert "/course/helpers/" in helpers_file and not helpers_file.startswith(str(ROOT))
    if hostile_batch["stats"]["isolation"] != "bwrap":
        pytest.skip("without bwrap the kernel can read and write any file the grader can")
    _expect(hostile_batch, "escapes", _all("incorrect"))
    assert not (hostile_batch["out"] / "hacked.txt").exists()
    assert all("FileNotFoundError" in r["message"] for k, r in list(rows.items())[1:] if not k.startswith(QUIZ))


@pytest.mark.notebook
def test_calling_the_course_reference_gets_no_points(batch):
    _expect(batch, "calls_reference", _all("incorrect"))  # the kernel has no solutions/: reference() is None
    assert all("'NoneType' object is not callable" in r["message"]
               for k, r in batch["rows"]["calls_reference"].items() if not k.startswith(QUIZ))


@pytest.mark.notebook
def test_malformed_notebooks_and_unknown_lessons_get_error_rows(batch):
    for student in ("not_json", "wrong_format"):
        _expect(batch, student, _all("error"))
        assert all("malformed" in r["message"] for r in batch["rows"][student].values())
    (row,) = batch["rows"]["stranger"].values()
    assert row["status"] == "error" and "no lesson called 99_unknown" in row["message"]
    assert "01_tensors" in row["message"]


@pytest.mark.notebook
def test_summary_and_feedback_never_reveal_the_answer(batch):
    summary = {r["student"]: r for r in batch["summary"]}
    total = sum(s.points for s in _specs() + _quizzes())
    assert summary["perfect"]["points"] == str(total) and summary["perfect"]["max_points"] == str(total)
    text = (batch["out"] / "feedback" / "partly_wrong" / "01_tensors.txt").read_text()
    assert "isolation" in text and "Hint:" in text
    for name in (_specs()[0].name, _specs()[1].name):
        assert name in text
    assert "BEGIN SOLUTION" not in text and "return (x.ndim" not in text


@pytest.mark.notebook
def test_second_run_skips_and_force_regrades(batch, tmp_path):
    before = (batch["out"] / "grades.csv").read_text()
    stats = grade(batch["subs"], batch["out"], jobs=2, quiet=True)
    assert stats["graded"] == 0 and stats["skipped"] == len(batch["rows"])
    assert (batch["out"] / "grades.csv").read_text() == before
    subs = tmp_path / "subs"
    _write(subs, {"bad": b"not json"})
    first = grade(subs, tmp_path / "out", quiet=True)
    again = grade(subs, tmp_path / "out", quiet=True)
    forced = grade(subs, tmp_path / "out", quiet=True, force=True)
    assert (first["skipped"], again["skipped"], forced["skipped"]) == (0, 1, 0)


# ---- units: no kernel --------------------------------------------------------------------------------------------


@needs_01
def test_discovery_matches_the_registry():
    specs = _specs()
    assert specs and len({s.name for s in specs}) == len(specs)
    for spec in specs:
        assert lesson_exercise("01_tensors", spec.name).lesson == "01_tensors" and 1 <= spec.points <= 3


def test_discovery_rejects_an_exercise_without_its_check():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("# Exercise 1.1 (2 points): x\ndef f():\n    pass")]
    with pytest.raises(ValueError, match="must end with check"):
        exercise_cells(nb.cells)
    nb.cells = [nbformat.v4.new_code_cell('# Exercise 1.1 (2 points): x\ndef f():\n    pass\n\ncheck("f", f)')]
    assert [(e.name, e.label, e.points) for e in exercise_cells(nb.cells)] == [("f", "1.1", 2)]


def test_plain_data_is_accepted_and_anything_else_rejected(tmp_path):
    good = {"records": [{"status": "value", "seed": 1, "value": (torch.ones(2), [1, 2.5, None, "s", True])}]}
    buf = io.BytesIO()
    torch.save(good, buf)
    data, err = read_export(buf.getvalue())
    assert not err and torch.equal(data["records"][0]["value"][0], torch.ones(2))

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'ran'}",))

    data, err = read_export(pickle.dumps({"records": [Payload()]}))
    assert data is None and "could not be read safely" in err and not (tmp_path / "ran").exists()
    buf = io.BytesIO()
    torch.save({"records": [{"status": "value", "value": torch.nn.Parameter(torch.ones(1))}]}, buf)
    assert read_export(buf.getvalue())[0] is None
    with pytest.raises(TypeError):
        check_plain({"a": object()})
    assert read_export("too large")[1] == "too large"


def test_atomic_write_keeps_the_old_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "grades.csv"
    atomic_write(target, "old\n")

    def boom(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, "new\n")
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["grades.csv"]


def test_plan_exports_after_the_defining_cell_and_injects_parameters():
    cells = [(0, "\0n = 5"), (1, "def f(x):\n    return x"), (2, "h = lambda x: x"), (4, "f = f(3)")]
    steps = plan(cells, {"n": 1}, ["f", "g", "h"])
    assert [s[0] for s in steps] == ["cell", "params", "cell", "export", "cell", "export", "cell", "export"]
    assert steps[1][1] == "n = 1" and steps[3][1:] == ("f", 1) and steps[5][1:] == ("h", 2)
    assert steps[-1][1:] == ("g", 5)


def test_cli_reports_missing_empty_and_misplaced_input(tmp_path, capsys):
    assert main([str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main([str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    assert "no submissions" in capsys.readouterr().err
    subs = tmp_path / "mixed"
    _write(subs, {"ann": b"not json"})
    (subs / "loose.ipynb").write_text("{}")
    (subs / "ann" / "notes.txt").write_text("hi")
    assert main([str(subs), "--out", str(tmp_path / "o")]) == 1
    out = capsys.readouterr().out
    assert "loose.ipynb" in out and "notes.txt" in out
    assert load_result(tmp_path / "o", "ann", "01_tensors.ipynb") is not None
    assert (tmp_path / "o" / "grades.csv").exists() and (subs / "loose.ipynb").exists()
