"""Process teardown: find every process of one kernel (or one grading run) and kill it, in bounded time.

A kernel's processes are found three ways, so that none escapes: the per-kernel marker in their environment
or command line, the unprivileged user id the kernel runs as (when the grader runs as root), and descent from
the grading worker, which is a child subreaper (orphans are re-parented to it). Parents die with their
children's grader through PR_SET_PDEATHSIG (see :mod:`course.grade.sandbox`).
"""
from __future__ import annotations

import ctypes
import os
import signal
import time

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36


def _prctl(option: int, value: int) -> bool:
    """Call prctl(option, value); False where it is not available."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def set_subreaper() -> None:
    """Make orphaned descendants of this process its children, so they can be found and killed."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)


def die_with_parent(parent: int, sig: int = signal.SIGKILL) -> None:
    """Get sig when the parent dies; exit now if it is already gone (re-parented before the call)."""
    _prctl(PR_SET_PDEATHSIG, sig)
    if os.getppid() != parent:
        os._exit(70)


def proc_text(pid: int | str, name: str) -> bytes:
    """Read /proc/<pid>/<name>, or b'' if the process is gone or unreadable."""
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _stat(pid: str) -> tuple[bytes, int]:
    """(state, parent pid) of a process, or (b'', -1) when it is gone."""
    stat = proc_text(pid, "stat")
    tail = stat[stat.rfind(b")") + 2:].split()
    return (tail[0], int(tail[1])) if len(tail) > 1 else (b"", -1)


def _live() -> dict[int, int]:
    """{pid: parent pid} of every live (non-zombie) process."""
    out = {}
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        state, ppid = _stat(pid)
        if state and state != b"Z":
            out[int(pid)] = ppid
    return out


def descendants(root: int) -> list[int]:
    """Live processes below root (children, grandchildren, ...)."""
    parents, found, frontier = _live(), [], {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier}
        found += sorted(frontier)
    return found


def marked_processes(token: str) -> list[int]:
    """Live processes whose environment or command line carries token (never this process)."""
    needle = token.encode()
    return [pid for pid in _live() if pid != os.getpid()
            and (needle in proc_text(pid, "environ") or needle in proc_text(pid, "cmdline"))]


def user_processes(uids: set[int]) -> list[int]:
    """Live processes running as one of uids."""
    found = []
    for pid in _live():
        try:
            if os.stat(f"/proc/{pid}").st_uid in uids:
                found.append(pid)
        except OSError:
            pass
    return found


def user_tasks(uid: int) -> int:
    """Count the threads of a user (RLIMIT_NPROC counts them)."""
    total = 0
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                total += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            pass
    return total


def reap() -> None:
    """Collect exited children so they leave no zombies."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_pids(pids: list[int]) -> None:
    """SIGKILL each pid (gone or foreign ones are skipped)."""
    for pid in pids:
        if pid != os.getpid():
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def sweep(token: str, uids: set[int], own_tree: bool, timeout: float) -> list[int]:
    """Kill everything marked with token, running as uids, or (own_tree) below this process; return survivors."""
    deadline, left = time.monotonic() + timeout, []
    while True:
        pids = set(marked_processes(token)) | set(user_processes(uids) if uids else [])
        pids |= set(descendants(os.getpid())) if own_tree else set()
        kill_pids(sorted(pids))
        reap()
        left = marked_processes(token) + (user_processes(uids) if uids else [])
        if not left and not (own_tree and descendants(os.getpid())):
            return []
        if time.monotonic() > deadline:
            return sorted(set(left))
        time.sleep(0.05)
