"""Run code in a fresh, isolated Jupyter kernel (bwrap or process group) with timeouts, caps and a clean kill."""
from __future__ import annotations

import ctypes
import os
import queue
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

OK, ERROR, TIMEOUT, DIED, FLOOD, DEADLINE = "ok", "error", "timeout", "died", "flood", "deadline"
# Runs before bwrap/the kernel: applies the resource limits, then replaces itself with the real command.
_LIMITS = ("import os, resource, sys\n"
           "names = ('RLIMIT_DATA', 'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_CORE', 'RLIMIT_NPROC')\n"
           "for name, value in zip(names, sys.argv[1:6]):\n"
           "    soft, hard = resource.getrlimit(getattr(resource, name))\n"
           "    value = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)\n"
           "    resource.setrlimit(getattr(resource, name), (value, value))\n"
           "os.execvp(sys.argv[6], sys.argv[6:])\n")
_PROBE: dict[str, str] = {}


@dataclass
class Limits:
    """The caps one submission runs under."""

    cell_timeout: float = 30.0
    notebook_timeout: float = 300.0
    memory: int = 3 << 30
    output: int = 1 << 20
    file_size: int = 512 << 20
    grace: float = 2.0


@dataclass
class CellResult:
    """How one cell ended: ok, error (with ename/evalue), timeout, died, flood or deadline."""

    status: str
    ename: str = ""
    evalue: str = ""
    seconds: float = 0.0

    @property
    def fatal(self) -> bool:
        """True when the kernel is gone and nothing more can run."""
        return self.status in (DIED, FLOOD, DEADLINE) or (self.status == TIMEOUT and self.ename == "killed")


def _probe_bwrap() -> str:
    """Return '' when bwrap can create the sandbox here, else why not."""
    exe = shutil.which("bwrap")
    if not sys.platform.startswith("linux") or not exe:
        return "bwrap not found"
    try:
        proc = subprocess.run([exe, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                               "--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session", "true"],
                              capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"bwrap failed: {err}"
    return "" if proc.returncode == 0 else f"bwrap failed: {proc.stderr.decode(errors='replace').strip()[:200]}"


def isolation(allow_bwrap: bool = True) -> str:
    """Describe the isolation submissions get: 'bwrap' or 'process-group (...reason)'."""
    if not allow_bwrap:
        return "process-group (bwrap disabled)"
    if "why" not in _PROBE:
        _PROBE["why"] = _probe_bwrap()
    return "bwrap" if not _PROBE["why"] else f"process-group ({_PROBE['why']})"


def set_subreaper() -> None:
    """Make orphaned descendants of this process its children, so they can be found and killed."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _proc_text(pid: str, name: str) -> bytes:
    """Read /proc/<pid>/<name>, or b'' if the process is gone or unreadable."""
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            return f.read()
    except OSError:
        return b""


def marked_processes(token: str) -> list[int]:
    """Return the pids of live processes whose environment or command line carries token."""
    found, me, needle = [], os.getpid(), token.encode()
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        if int(pid) == me:
            continue
        stat = _proc_text(pid, "stat")
        if b") Z" in stat:  # a zombie is already dead
            continue
        if needle in _proc_text(pid, "environ") or needle in _proc_text(pid, "cmdline"):
            found.append(int(pid))
    return found


def _user_tasks() -> int:
    """Count the threads of this user (RLIMIT_NPROC counts them): the process cap sits above it."""
    uid, total = os.getuid(), 0
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                total += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            pass
    return total


def _children(parent: int) -> list[int]:
    """Return the pids of the live children of parent."""
    kids = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        stat = _proc_text(pid, "stat")
        tail = stat[stat.rfind(b")") + 2:].split()
        if len(tail) > 1 and int(tail[1]) == parent and tail[0] != b"Z":
            kids.append(int(pid))
    return kids


def _reap() -> None:
    """Collect exited children so they leave no zombies."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def bwrap_argv(scratch: Path, hide: list[Path], read_only: list[Path], cwd: Path) -> list[str]:
    """Build the bwrap prefix: read-only /, private /tmp, hidden folders, scratch writable, no network."""
    argv = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "--tmpfs", "/dev/shm"]
    for path in sorted({p.resolve() for p in hide if p.exists()}, key=lambda p: len(p.parts)):
        argv += ["--tmpfs", str(path)]
    for path in read_only:
        if path.exists():
            argv += ["--ro-bind", str(path.resolve()), str(path.resolve())]
    argv += ["--bind", str(scratch), str(scratch), "--unshare-net", "--unshare-pid", "--unshare-ipc",
             "--unshare-uts", "--die-with-parent", "--new-session", "--chdir", str(cwd), "--"]
    return argv


@dataclass
class Kernel:
    """One sandboxed kernel: start it, run cells with limits, then kill everything it started."""

    scratch: Path
    cwd: Path
    env: dict[str, str]
    limits: Limits = field(default_factory=Limits)
    use_bwrap: bool = True
    hide: list[Path] = field(default_factory=list)
    read_only: list[Path] = field(default_factory=list)
    token: str = field(default_factory=lambda: "course-grade-" + uuid.uuid4().hex)
    output_bytes: int = 0
    proc: subprocess.Popen | None = None
    client: object = None
    started: float = 0.0

    def start(self, timeout: float = 120.0) -> str:
        """Start the kernel and wait until it answers; return '' or why it could not start."""
        from jupyter_client.blocking import BlockingKernelClient
        from jupyter_client.connect import write_connection_file

        conn_dir = self.scratch / "conn"
        conn_dir.mkdir(parents=True, exist_ok=True)
        conn_file, _ = write_connection_file(str(conn_dir / "kernel.json"), ip=str(conn_dir / "k"),
                                             transport="ipc", key=uuid.uuid4().hex.encode())
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", conn_file, "--HistoryManager.enabled=False"]
        inner = bwrap_argv(self.scratch, self.hide, self.read_only, self.cwd) + kernel if self.use_bwrap else kernel
        cpu = int(self.limits.notebook_timeout * 2 + 60)
        argv = [sys.executable, "-I", "-S", "-c", _LIMITS, str(self.limits.memory), str(cpu),
                str(self.limits.file_size), "0", str(_user_tasks() + 2048)] + inner
        env = {**self.env, "COURSE_GRADE_TOKEN": self.token}
        log = open(self.scratch / "kernel.log", "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
        log.close()
        kc = BlockingKernelClient()
        kc.load_connection_file(conn_file)
        kc.start_channels()
        self.client = kc
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"the kernel exited at start (code {self.proc.returncode}): {self._log_tail()}"
            msg_id = kc.kernel_info()
            if self._await_reply(msg_id, deadline):
                return ""
        return "the kernel did not start in time"

    def _await_reply(self, msg_id: str, deadline: float) -> bool:
        """Wait for the shell reply and an iopub message to msg_id (so iopub is subscribed)."""
        kc, got_reply, got_iopub, until = self.client, False, False, min(deadline, time.monotonic() + 2.0)
        while time.monotonic() < until and not (got_reply and got_iopub):
            if self.proc.poll() is not None:
                return False
            if not got_reply:
                try:
                    got_reply = kc.get_shell_msg(timeout=0.1)["parent_header"].get("msg_id") == msg_id
                except queue.Empty:
                    pass
            try:
                got_iopub |= kc.get_iopub_msg(timeout=0.1)["parent_header"].get("msg_id") == msg_id
            except queue.Empty:
                pass
        return got_reply and got_iopub

    def _log_tail(self) -> str:
        """Return the end of the kernel's own log, for error messages."""
        try:
            text = (self.scratch / "kernel.log").read_bytes()[-600:].decode(errors="replace")
        except OSError:
            return ""
        return " ".join(text.split())[-300:]

    def alive(self) -> bool:
        """True while the kernel process runs."""
        return self.proc is not None and self.proc.poll() is None

    def _count(self, msg: dict) -> None:
        """Add the size of an output message to the submission's output total."""
        content, kind = msg.get("content", {}), msg.get("msg_type")
        if kind == "stream":
            self.output_bytes += len(content.get("text", ""))
        elif kind in ("display_data", "execute_result", "update_display_data"):
            self.output_bytes += sum(len(str(v)) for v in content.get("data", {}).values())
        elif kind == "error":
            self.output_bytes += sum(len(t) for t in content.get("traceback", []))

    def run_cell(self, code: str, silent: bool = False, timeout: float | None = None) -> CellResult:
        """Execute one cell with the per-cell and whole-notebook timeouts and the output cap."""
        start = time.monotonic()
        if not self.alive():
            return CellResult(DIED, "died", "the kernel is not running")
        limit = self.limits.cell_timeout if timeout is None else timeout
        notebook_end = self.started + self.limits.notebook_timeout
        cell_end = min(start + limit, notebook_end)
        kc = self.client
        msg_id = kc.execute(code, silent=silent, store_history=not silent, allow_stdin=False, stop_on_error=False)
        result = CellResult(OK)
        interrupted_at = 0.0
        while True:
            now = time.monotonic()
            if not self.alive():
                return CellResult(DIED, "died", f"the kernel died (exit code {self.proc.returncode})", now - start)
            if now > cell_end and not interrupted_at:
                if now >= notebook_end:
                    self.kill()
                    return CellResult(DEADLINE, "deadline",
                                      f"the notebook ran longer than {self.limits.notebook_timeout:g} s", now - start)
                self._interrupt()
                interrupted_at = now
            if interrupted_at and now > interrupted_at + self.limits.grace:
                self.kill()
                return CellResult(TIMEOUT, "killed", f"the cell ran longer than {limit:g} s and ignored the "
                                  "interrupt, so the kernel was stopped", now - start)
            try:
                msg = kc.get_iopub_msg(timeout=0.1)
            except queue.Empty:
                continue
            self._count(msg)
            if self.output_bytes > self.limits.output:
                self.kill()
                return CellResult(FLOOD, "output", f"the output exceeded {self.limits.output} bytes, so the "
                                  "kernel was stopped", time.monotonic() - start)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "error" and result.status == OK:
                result = CellResult(ERROR, msg["content"].get("ename", "?"), msg["content"].get("evalue", ""))
            elif msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                break
        result.seconds = time.monotonic() - start
        if interrupted_at:
            return CellResult(TIMEOUT, "interrupted", f"the cell ran longer than {limit:g} s and was interrupted",
                              result.seconds)
        return result

    def _interrupt(self) -> None:
        """Ask the kernel to interrupt the running cell (it sends itself SIGINT)."""
        kc = self.client
        try:
            kc.control_channel.send(kc.session.msg("interrupt_request", {}))
        except Exception:  # the channel may already be closed: the kill that follows handles it
            pass

    def kill(self) -> list[int]:
        """Kill the kernel's whole process tree; return pids that were still alive afterwards (should be [])."""
        if self.client is not None:
            try:
                self.client.stop_channels()
            except Exception:
                pass
            self.client = None
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        left: list[int] = []
        for _ in range(50):
            pids = set(marked_processes(self.token)) | (set(_children(os.getpid())) if self.proc else set())
            pids.discard(os.getpid())
            if self.proc is not None:
                pids -= {p for p in pids if not _is_descendant_or_marked(p, self.token)}
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            _reap()
            left = [p for p in marked_processes(self.token)]
            if not left:
                break
            time.sleep(0.05)
        return left


def _is_descendant_or_marked(pid: int, token: str) -> bool:
    """True for a process the grader may kill: marked with token, or an orphan re-parented to the grader."""
    if token.encode() in _proc_text(str(pid), "environ") + _proc_text(str(pid), "cmdline"):
        return True
    return bool(os.environ.get("COURSE_GRADE_WORKER"))
