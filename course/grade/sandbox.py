"""Run code in a fresh Jupyter kernel (inside bwrap unless unsandboxed) with timeouts, caps and a clean kill."""
from __future__ import annotations

import os
import queue
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from course.grade.cleanup import sweep, user_tasks
from course.grade.isolation import _LAUNCH, BWRAP_ENV, Isolation, bwrap_argv, choose_isolation, probe_bwrap
from course.grade.options import Limits

__all__ = ["Kernel", "CellResult", "Limits", "Isolation", "choose_isolation", "probe_bwrap", "bwrap_argv", "BWRAP_ENV"]
OK, ERROR, TIMEOUT, DIED, FLOOD, DEADLINE = "ok", "error", "timeout", "died", "flood", "deadline"


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


@dataclass
class Kernel:
    """One kernel: start it, run cells with limits, then kill everything it started."""

    scratch: Path
    cwd: Path
    env: dict[str, str]
    limits: Limits = field(default_factory=Limits)
    use_bwrap: bool = True
    hide: list[Path] = field(default_factory=list)
    read_only: list[Path] = field(default_factory=list)
    token: str = field(default_factory=lambda: "course-grade-" + uuid.uuid4().hex)
    uid: int = -1  # >= 0: the unprivileged user the kernel runs as (the grader runs as root)
    output_bytes: int = 0
    proc: subprocess.Popen | None = None
    client: object = None
    started: float = 0.0

    def _argv(self, conn_file: str) -> list[str]:
        """The launcher, the sandbox prefix (bwrap) and the kernel command."""
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", conn_file, "--HistoryManager.enabled=False"]
        inner = bwrap_argv(self.scratch, self.hide, self.read_only, self.cwd) + kernel if self.use_bwrap else kernel
        cpu = int(self.limits.notebook_timeout * 2 + 60)
        nproc = 256 if self.uid >= 0 else user_tasks(os.getuid()) + 2048
        return [sys.executable, "-I", "-S", "-c", _LAUNCH, str(os.getpid()), str(self.uid), str(self.limits.memory),
                str(cpu), str(self.limits.file_size), "0", str(nproc)] + inner

    def start(self, timeout: float = 120.0) -> str:
        """Start the kernel and wait until it answers; return '' or why it could not start."""
        from jupyter_client.blocking import BlockingKernelClient
        from jupyter_client.connect import write_connection_file

        conn_dir = self.scratch / "conn"
        conn_dir.mkdir(parents=True, exist_ok=True)
        conn_file, _ = write_connection_file(str(conn_dir / "kernel.json"), ip=str(conn_dir / "k"),
                                             transport="ipc", key=uuid.uuid4().hex.encode())
        if self.uid >= 0:
            for path in (conn_dir, Path(conn_file)):
                os.chown(path, self.uid, self.uid)
        with open(self.scratch / "kernel.log", "wb") as log:
            self.started = time.monotonic()
            self.proc = subprocess.Popen(self._argv(conn_file), cwd=self.cwd, stdin=subprocess.DEVNULL,
                                         env={**self.env, "COURSE_GRADE_TOKEN": self.token}, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
        kc = BlockingKernelClient()
        kc.load_connection_file(conn_file)
        kc.start_channels()
        self.client = kc
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"the kernel exited at start (code {self.proc.returncode}): {self._log_tail()}"
            if self._await_reply(kc.kernel_info(), deadline):
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
        ends = (min(start + limit, self.started + self.limits.notebook_timeout), self.started + self.limits.notebook_timeout)
        msg_id = self.client.execute(code, silent=silent, store_history=not silent, allow_stdin=False,
                                     stop_on_error=False)
        result, interrupted = CellResult(OK), [0.0]
        while True:
            stop = self._watch(start, limit, ends, interrupted)
            if stop is not None:
                return stop
            try:
                msg = self.client.get_iopub_msg(timeout=0.1)
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
        if interrupted[0]:
            return CellResult(TIMEOUT, "interrupted", f"the cell ran longer than {limit:g} s and was interrupted",
                              result.seconds)
        return result

    def _watch(self, start: float, limit: float, ends: tuple[float, float], interrupted: list[float]
               ) -> CellResult | None:
        """Enforce death, the timeouts and the interrupt's grace period; a result when the cell must stop."""
        now = time.monotonic()
        if not self.alive():
            return CellResult(DIED, "died", f"the kernel died (exit code {self.proc.returncode})", now - start)
        if now > ends[0] and not interrupted[0]:
            if now >= ends[1]:
                self.kill()
                return CellResult(DEADLINE, "deadline",
                                  f"the notebook ran longer than {self.limits.notebook_timeout:g} s", now - start)
            self._interrupt()
            interrupted[0] = now
        if interrupted[0] and now > interrupted[0] + self.limits.grace:
            self.kill()
            return CellResult(TIMEOUT, "killed", f"the cell ran longer than {limit:g} s and ignored the "
                              "interrupt, so the kernel was stopped", now - start)
        return None

    def _interrupt(self) -> None:
        """Ask the kernel to interrupt the running cell (it sends itself SIGINT)."""
        kc = self.client
        try:
            kc.control_channel.send(kc.session.msg("interrupt_request", {}))
        except Exception:  # the channel may already be closed: the kill that follows handles it
            pass

    def kill(self) -> list[int]:
        """Close the channels and kill every process of the kernel; return survivors (should be [])."""
        if self.client is not None:
            try:
                self.client.stop_channels()
            except Exception:  # a half-closed channel must not stop the kill
                pass
            self.client = None
        return self.teardown()

    def teardown(self) -> list[int]:
        """Kill the kernel's process group, marked processes, user and (in a worker) own tree, in bounded time."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
        own_tree = bool(os.environ.get("COURSE_GRADE_WORKER"))
        left = sweep(self.token, {self.uid} if self.uid >= 0 else set(), own_tree, self.limits.teardown)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                left.append(self.proc.pid)
        return left
