"""A private JupyterLab server for the browser tests: loopback only, random token, temporary folders."""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

# User settings the test session starts with: every cell in the DOM (no windowing), so cells can be read and
# screenshotted; no autosave, so the dirty mark on open stays visible; no news or update checks (no network).
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"checkForUpdates": False, "fetchNews": "false"},
}


@dataclass
class Lab:
    """A running server: where to reach it and what it serves."""
    proc: subprocess.Popen
    port: int
    token: str
    root: Path
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The address of a server path, with the token."""
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def api(self, path: str, method: str = "GET") -> object:
        """Call the server's REST API; returns the decoded JSON (None for an empty answer)."""
        req = urllib.request.Request(self.url(path), method=method, data=b"" if method != "GET" else None,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def kernel_idle(self, path: str) -> bool:
        """Whether the notebook at path has a kernel that a browser is connected to, and that kernel is idle."""
        kernels = [s["kernel"] for s in self.api("/api/sessions") or [] if s.get("path") == path and s.get("kernel")]
        return any(k.get("connections", 0) > 0 and k.get("execution_state") == "idle" for k in kernels)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_env(home: Path) -> dict[str, str]:
    """This process's environment (COURSE_CIFAR10_DIR, COURSE_DEVICE, ... reach the kernels) with Jupyter's
    own config, data, runtime and settings folders moved under home; kernelspecs in sys.prefix stay visible."""
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                     ("JUPYTERLAB_SETTINGS_DIR", "settings"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")]:
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    env.pop("JUPYTER_PATH", None)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    return env


def write_settings(settings_dir: Path) -> None:
    """Write SETTINGS as JupyterLab user settings files."""
    for plugin, values in SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def command(root: Path, home: Path, port: int, token: str) -> list[str]:
    """The JupyterLab command line."""
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.open_browser=False",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.news_url=", "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def start(root: Path, home: Path, log: Path, timeout: float = 90) -> Lab:
    """Start JupyterLab serving root and wait until its API answers."""
    env = isolated_env(home)
    write_settings(home / "settings")
    port, token = free_port(), secrets.token_hex(24)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(command(root, home, port, token), env=env, cwd=root, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    lab = Lab(proc, port, token, root, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {proc.returncode}; see {log}")
        try:
            lab.api("/api/status")
            return lab
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    stop(lab)
    raise RuntimeError(f"JupyterLab did not answer on {lab.base} within {timeout:.0f} s; see {log}")


def children(pid: int) -> list[int]:
    """The ids of the processes whose parent is pid (the server's kernels), read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def stop(lab: Lab) -> None:
    """Shut down every kernel and the server; kill by id whatever of them is still running after that."""
    kernels = children(lab.proc.pid)
    if lab.proc.poll() is None:
        try:
            for kernel in lab.api("/api/kernels") or []:
                lab.api(f"/api/kernels/{kernel['id']}", method="DELETE")
            lab.api("/api/shutdown", method="POST")
            lab.proc.wait(timeout=20)
        except (urllib.error.URLError, OSError, subprocess.TimeoutExpired):
            lab.proc.kill()
            lab.proc.wait(timeout=10)
    for pid in kernels:
        try:
            if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass
