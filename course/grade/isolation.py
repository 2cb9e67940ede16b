"""Which isolation kernels get: bwrap when it can create the sandbox, else (only when asked) unsandboxed.

Also the launcher every kernel starts through: it dies with its grading worker (PR_SET_PDEATHSIG), drops to an
unprivileged user when the grader runs as root, applies the resource limits, then becomes bwrap or the kernel.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BWRAP_ENV = "COURSE_GRADE_BWRAP"  # names the bwrap executable (a missing one tests the refusal)
# Runs before bwrap/the kernel: dies with the grading worker, drops to the kernel's user, applies the limits,
# then replaces itself with the real command. argv: parent uid memory cpu fsize core nproc command...
_LAUNCH = ("import ctypes, os, resource, signal, sys\n"
           "parent, uid = int(sys.argv[1]), int(sys.argv[2])\n"
           "names = ('RLIMIT_DATA', 'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_CORE', 'RLIMIT_NPROC')\n"
           "for name, value in zip(names, sys.argv[3:8]):\n"
           "    soft, hard = resource.getrlimit(getattr(resource, name))\n"
           "    value = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)\n"
           "    resource.setrlimit(getattr(resource, name), (value, value))\n"
           "exe = os.open(sys.argv[8], os.O_RDONLY)\n"  # opened as root: the user need not reach it by path
           "if uid >= 0:\n"
           "    os.setgroups([]); os.setgid(uid); os.setuid(uid)\n"
           "ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)\n"  # after setuid, which clears it
           "if os.getppid() != parent:\n"
           "    os._exit(70)\n"
           "os.execve(exe, sys.argv[8:], os.environ)\n")


@dataclass(frozen=True)
class Isolation:
    """How kernels are isolated: 'bwrap' or 'unsandboxed'; drop_user when they run as an unprivileged user."""

    mode: str
    drop_user: bool = False
    why: str = ""

    @property
    def label(self) -> str:
        """What the reports say about the isolation used."""
        if self.mode == "bwrap":
            return "bwrap"
        least = "unprivileged user, private scratch folder" if self.drop_user else "scratch folder, scrubbed environment"
        return f"unsandboxed ({least}; {self.why})"


def bwrap_executable() -> str:
    """The bwrap the grader uses: $COURSE_GRADE_BWRAP, else bwrap on PATH ('' when there is none)."""
    name = os.environ.get(BWRAP_ENV) or "bwrap"
    return shutil.which(name) or ""


def probe_bwrap(exe: str | None = None) -> str:
    """Return '' when bwrap can create the sandbox here, else why not."""
    exe = bwrap_executable() if exe is None else exe
    if not sys.platform.startswith("linux") or not exe:
        return "bwrap not found"
    try:
        proc = subprocess.run([exe, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                               "--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session", "true"],
                              capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"bwrap failed: {err}"
    return "" if proc.returncode == 0 else f"bwrap failed: {proc.stderr.decode(errors='replace').strip()[:200]}"


def _user_can_run_python(uid: int) -> bool:
    """True when an unprivileged uid can start this Python and import ipykernel (a cheap proxy for the kernel)."""
    argv = [sys.executable, "-I", "-S", "-c", _LAUNCH, str(os.getpid()), str(uid), str(4 << 30), "60",
            str(1 << 20), "0", "256", sys.executable, "-c", "import ipykernel"]
    try:
        return subprocess.run(argv, capture_output=True, timeout=120, cwd="/").returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def choose_isolation(unsandboxed: bool, probe_uid: int) -> Isolation | str:
    """The isolation to use, or (without unsandboxed) why grading must be refused."""
    if not unsandboxed:
        why = probe_bwrap()
        return why or Isolation("bwrap")
    drop = os.getuid() == 0 and _user_can_run_python(probe_uid)
    return Isolation("unsandboxed", drop, "--unsandboxed was asked for")


def bwrap_argv(scratch: Path, hide: list[Path], read_only: list[Path], cwd: Path) -> list[str]:
    """Build the bwrap prefix: read-only /, private /tmp, hidden folders, scratch writable, no network."""
    argv = [bwrap_executable() or "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/tmp", "--tmpfs", "/dev/shm"]
    for path in sorted({p.resolve() for p in hide if p.exists()}, key=lambda p: len(p.parts)):
        argv += ["--tmpfs", str(path)]
    for path in read_only:
        if path.exists():
            argv += ["--ro-bind", str(path.resolve()), str(path.resolve())]
    if os.getuid() == 0:  # bwrap keeps root's capabilities by default: the kernel could remount / read-write
        argv += ["--cap-drop", "ALL"]
    argv += ["--bind", str(scratch), str(scratch), "--unshare-net", "--unshare-pid", "--unshare-ipc",
             "--unshare-uts", "--die-with-parent", "--new-session", "--chdir", str(cwd), "--"]
    return argv
