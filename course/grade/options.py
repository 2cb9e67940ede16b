"""The grader's options: the limits a submission runs under and the command line."""
from __future__ import annotations

import argparse
from dataclasses import dataclass

DESCRIPTION = "Grade a class's notebooks in sandboxed kernels; judge the exported answers outside them."
UNSANDBOXED = "--unsandboxed"
STATUSES = ("correct", "incorrect", "not_attempted", "error", "timeout")
INSTALL_HELP = (
    "refusing to grade: bubblewrap (bwrap) cannot create the sandbox here ({why}). Without it a submission's "
    "code could read the solutions and write any file your user can write. Install it with "
    "`sudo apt-get install bubblewrap` (Debian/Ubuntu; `dnf install bubblewrap` on Fedora), and on hosts that "
    "restrict unprivileged user namespaces allow them (for example `sudo sysctl -w "
    "kernel.apparmor_restrict_unprivileged_userns=0`), then run the same command again. To grade anyway "
    f"without the sandbox, pass {UNSANDBOXED} (kernels then run as an unprivileged user in a private scratch "
    "folder when the grader runs as root, otherwise only in a scratch folder with a scrubbed environment).")


@dataclass
class Limits:
    """The caps one submission runs under."""

    cell_timeout: float = 30.0
    notebook_timeout: float = 300.0
    memory: int = 3 << 30
    output: int = 1 << 20
    file_size: int = 512 << 20
    grace: float = 2.0
    teardown: float = 10.0  # seconds the kill of one kernel's processes may take at most


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m course grade``."""
    p = argparse.ArgumentParser(prog="python -m course grade", description=DESCRIPTION)
    p.add_argument("dir", help="submissions: DIR/<student>/<NN_topic>.ipynb")
    p.add_argument("--out", default="grades", help="output folder (default: grades)")
    p.add_argument("-j", "--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    p.add_argument("--cell-timeout", type=float, default=30.0, help="seconds per cell (default 30)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per notebook (default 300)")
    p.add_argument("--memory", type=float, default=3.0, help="memory cap per kernel in GiB (default 3)")
    p.add_argument("--output-limit", type=float, default=1.0, help="output cap per submission in MB")
    p.add_argument("--fresh-seeds", type=int, default=2, help="random extra test inputs per run (default 2)")
    p.add_argument("--force", action="store_true", help="regrade submissions that already have a result")
    p.add_argument(UNSANDBOXED, action="store_true",
                   help="RISK: grade without the bwrap sandbox, so submissions can read (and, when not run as "
                        "root, write) files outside their scratch folder")
    p.add_argument("--no-bwrap", dest="unsandboxed", action="store_true", help=argparse.SUPPRESS)
    return p


def limits_from(args: argparse.Namespace) -> Limits:
    """The limits the parsed command line asks for."""
    return Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.timeout,
                  memory=int(args.memory * (1 << 30)), output=int(args.output_limit * 1e6))
