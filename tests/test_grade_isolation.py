"""Isolation of the grader: no sandbox means no grading unless asked; nothing outside a kernel's own scratch
folder changes, in every isolation mode; no process of a run survives it, even when the grader is SIGKILLed
or both cores are busy."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from course.grade.cleanup import descendants, marked_processes, proc_text
from course.grade.sandbox import BWRAP_ENV, probe_bwrap

pytestmark = pytest.mark.xdist_group("grader")
ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "00_setup.ipynb"
MODES = ["bwrap", "unsandboxed"]
needs_00 = pytest.mark.skipif(not SOLUTION.exists(), reason="solutions/00_setup.ipynb does not exist")


def _env(tmp: Path, mode: str, **extra: str) -> dict[str, str]:
    """The grader's environment: HOME, TMPDIR, the data folder and one more folder, all inside tmp."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "PYTEST"))}
    env.update(HOME=str(tmp / "home"), TMPDIR=str(tmp / "tmpdir"), COURSE_CIFAR10_DIR=str(tmp / "cifar"),
               COURSE_EXTRA_DIR=str(tmp / "extra"), PYTHONPATH=str(ROOT), **extra)
    if mode == "unsandboxed":
        env[BWRAP_ENV] = str(tmp / "no-such-bwrap")  # even where bwrap works, grade as on a machine without it
    return env


def _grader(tmp: Path, mode: str, cwd: Path, *args: str) -> subprocess.Popen:
    """Start `python -m course grade tmp/subs --out tmp/out` in the mode, from cwd."""
    argv = [sys.executable, "-m", "course", "grade", str(tmp / "subs"), "--out", str(tmp / "out"),
            "--fresh-seeds", "0", *args] + (["--unsandboxed"] if mode == "unsandboxed" else [])
    return subprocess.Popen(argv, cwd=cwd, env=_env(tmp, mode), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _submission(tmp: Path, student: str, cell: str) -> None:
    """The 00_setup solution with cell inserted before its exercise, as tmp/subs/<student>/00_setup.ipynb."""
    nb = nbformat.read(SOLUTION, as_version=4)
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.startswith("# Exercise"))
    nb.cells.insert(first, nbformat.v4.new_code_cell(cell))
    (tmp / "subs" / student).mkdir(parents=True)
    nbformat.write(nb, tmp / "subs" / student / "00_setup.ipynb")


def _daemons(marker: str) -> str:
    """Code that starts two sleeps escaping the kernel's session with an empty environment."""
    return "\n".join(["import os, subprocess", f"subprocess.Popen(['sleep', '{marker}'], start_new_session=True, env={{}})",
                      "if os.fork() == 0:", "    os.setsid()", f"    os.execvpe('sleep', ['sleep', '{marker}'], {{}})"])


def _vandal(targets: list[str], folders: list[str], grades: str) -> str:
    """Code that tries to change, move or delete each target and to create a file in each folder."""
    return "\n".join([
        "import os, subprocess, uuid", f"targets, folders = {targets!r}, {folders!r}",
        "for target in ['/', *folders]:  # a kernel that keeps root's capabilities could make / writable",
        "    subprocess.run(['mount', '-o', 'remount,rw,bind', target], capture_output=True)",
        "acts = [lambda p: open(p, 'a').write('forged\\n'), lambda p: os.chmod(p, 0o777),",
        "        lambda p: os.utime(p, (0, 0)), lambda p: os.replace(p, p + '.moved'), os.remove]",
        "for p in targets:", "    for act in acts:", "        try:", "            act(p)", "        except OSError:",
        "            pass", "for d in folders:", "    try:",
        "        open(os.path.join(d, 'vandal-' + uuid.uuid4().hex), 'w').write('x')", "    except OSError:",
        "        pass", "try:", f"    open({grades!r}, 'a').write('forger,00_setup.ipynb,x,9,9,correct,\\n')",
        "except OSError:", "    pass"])


def _state(path: Path) -> tuple:
    """What must not change about a canary."""
    st = path.stat()
    return path.read_bytes(), st.st_mode, st.st_mtime_ns, st.st_ino


def _run_processes(marker: str, daemon: str) -> list[int]:
    """Live processes of one run: its kernels carry the run's marker, its escaped sleeps carry daemon."""
    found = set(marked_processes(marker))
    found |= {int(p) for p in os.listdir("/proc") if p.isdigit() and daemon.encode() in proc_text(p, "cmdline")}
    return sorted(found)


@contextlib.contextmanager
def _busy_cores(n: int = 2):
    """Keep n cores saturated for the duration."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for proc in burners:
            proc.kill()
            proc.wait()


def _skip_unless_possible(mode: str) -> None:
    """bwrap mode needs a working bwrap."""
    if mode == "bwrap" and probe_bwrap():
        pytest.skip(f"bwrap cannot create the sandbox here ({probe_bwrap()})")


def test_no_sandbox_means_no_grading_unless_asked(tmp_path):
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    (tmp_path / "subs" / "ann" / "00_setup.ipynb").write_text("{}")
    for name in ("home", "tmpdir", "cifar", "extra"):
        (tmp_path / name).mkdir()
    env = _env(tmp_path, "unsandboxed")
    argv = [sys.executable, "-m", "course", "grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out")]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "refusing to grade" in proc.stderr, proc.stderr
    assert "apt-get install bubblewrap" in proc.stderr and "--unsandboxed" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "out" / "grades.csv").exists()
    help_text = subprocess.run([sys.executable, "-m", "course", "grade", "--help"], env=env, capture_output=True,
                               text=True, timeout=60).stdout
    assert "--unsandboxed" in help_text and "RISK" in help_text and "--no-bwrap" not in help_text


@needs_00
@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("mode", MODES)
def test_hostile_submission_changes_nothing_outside_its_scratch_even_on_busy_cores(tmp_path, mode):
    _skip_unless_possible(mode)
    cwd = tmp_path / "work" / "cwd"
    folders = [cwd, cwd.parent, tmp_path, *(tmp_path / n for n in ("home", "tmpdir", "cifar", "extra"))]
    canaries = []
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        canaries.append(folder / "canary.txt")
        canaries[-1].write_text(f"canary {uuid.uuid4().hex}\n")
    canaries.append(ROOT / "build" / "test" / f"canary-{uuid.uuid4().hex}.txt")  # a folder the grader names
    canaries[-1].parent.mkdir(parents=True, exist_ok=True)
    canaries[-1].write_text("canary\n")
    before = {p: _state(p) for p in canaries}
    daemon = f"600.{uuid.uuid4().int % 10**9}"
    grades = str(tmp_path / "out" / "grades.csv")
    _submission(tmp_path, "vandal", _vandal([str(p) for p in canaries], [str(p.parent) for p in canaries],
                                            grades) + "\n" + _daemons(daemon))
    try:
        with _busy_cores(2 if mode == "unsandboxed" else 0):  # busy cores where leftovers used to happen
            proc = _grader(tmp_path, mode, cwd, "--cell-timeout", "60")
            output, _ = proc.communicate(timeout=400)
        assert proc.returncode == 0, output
        assert {p: _state(p) for p in canaries} == before
        assert not [p for p in tmp_path.rglob("*") if p.name.startswith("vandal-") or p.suffix == ".moved"]
        assert not list(canaries[-1].parent.glob("vandal-*"))
        text = Path(grades).read_text()
        assert "forger" not in text and "vandal,00_setup.ipynb,zeros_of_shape,1,1,correct" in text, text
        isolation = json.dumps(output)
        assert ("isolation: bwrap" in isolation) == (mode == "bwrap")
        if mode == "unsandboxed" and os.getuid() == 0:
            assert "unprivileged user" in isolation, output
        marker = (tmp_path / "out" / "run.txt").read_text().split("run marker: ")[1].strip()
        assert not _run_processes(marker, daemon), "a process of this run outlived the grader"
    finally:
        canaries[-1].unlink(missing_ok=True)


@needs_00
@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("mode", MODES)
def test_killing_the_grader_kills_every_process_of_its_run(tmp_path, mode):
    _skip_unless_possible(mode)
    for name in ("home", "tmpdir", "cifar", "extra"):
        (tmp_path / name).mkdir()
    daemon = f"600.{uuid.uuid4().int % 10**9}"
    _submission(tmp_path, "stuck", _daemons(daemon) + "\nimport time\nwhile True:\n    time.sleep(0.01)")
    proc = _grader(tmp_path, mode, tmp_path, "--cell-timeout", "120", "-j", "1")
    try:
        deadline, pids, marker = time.monotonic() + 180, [], ""
        while time.monotonic() < deadline and not (marker and len(_run_processes(marker, daemon)) >= 3):
            time.sleep(0.2)
            assert proc.poll() is None, proc.stdout.read()
            pids = descendants(proc.pid)
            tokens = [t for p in pids for t in proc_text(p, "environ").split(b"\0") if t.startswith(b"COURSE_GRADE_TOKEN=")]
            marker = tokens[0].split(b"=", 1)[1].decode().rsplit("-", 1)[0] if tokens else ""
        assert marker, "the grader never started a kernel"
        pids = sorted(set(pids + descendants(proc.pid) + _run_processes(marker, daemon)))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and (_run_processes(marker, daemon) or _alive(pids)):
        time.sleep(0.1)
    assert not _run_processes(marker, daemon) and not _alive(pids), "processes of the killed grader's run remain"


def _alive(pids: list[int]) -> list[int]:
    """The pids that still run (not zombies)."""
    return [p for p in pids if proc_text(p, "stat") and b") Z" not in proc_text(p, "stat")]
