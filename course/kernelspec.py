"""Quiet the course's kernel: ``python -m course kernelspec PATH/kernel.json`` (run by ``make setup``).

ipykernel 7 logs "Kernel is running over TCP without encryption ..." at every start when the client (papermill,
nbconvert, JupyterLab) does not provision CurveZMQ keys; on one's own machine, over loopback, that is noise in
every log. The kernel's own log level is raised to ERROR; warnings in cells (Python's `warnings`) still show.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

FLAG = "--IPKernelApp.log_level=ERROR"


def quiet(path: Path) -> bool:
    """Add FLAG to the kernel's argv (once); return True when the file changed."""
    spec = json.loads(path.read_text())
    if FLAG in spec["argv"]:
        return False
    spec["argv"].insert(spec["argv"].index("-f"), FLAG)
    path.write_text(json.dumps(spec, indent=1) + "\n")
    return True


def main(argv: list[str] | None = None) -> int:
    """Command line: quiet each kernel.json given."""
    paths = [Path(a) for a in (argv if argv is not None else sys.argv[1:])]
    if not paths or not all(p.is_file() for p in paths):
        print("usage: python -m course kernelspec PATH/kernel.json [...]", file=sys.stderr)
        return 2
    for path in paths:
        quiet(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
