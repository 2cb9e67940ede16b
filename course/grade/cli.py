"""Command line: ``python -m course grade DIR --out OUT [-j N] [--cell-timeout S] [--timeout S] [--force]``.

Submissions are laid out as ``DIR/<student>/<NN_topic>.ipynb``.
"""
from __future__ import annotations

import sys
from pathlib import Path

from course.grade.discover import find_submissions
from course.grade.options import limits_from, parser
from course.grade.run import SandboxUnavailable, grade


def main(argv: list[str] | None = None) -> int:
    """Grade DIR into --out; 2 for unusable input or a missing sandbox, 1 when files were ignored."""
    args = parser().parse_args(argv)
    folder, out = Path(args.dir), Path(args.out)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder (expected DIR/<student>/<NN_topic>.ipynb)", file=sys.stderr)
        return 2
    subs, complaints = find_submissions(folder, out)
    if not subs:
        for c in complaints:
            print(f"warning: {c}", file=sys.stderr)
        print(f"error: no submissions in {folder} (expected {folder}/<student>/<NN_topic>.ipynb)", file=sys.stderr)
        return 2
    try:
        stats = grade(folder, out, jobs=args.jobs, limits=limits_from(args), force=args.force,
                      fresh=args.fresh_seeds, unsandboxed=args.unsandboxed)
    except SandboxUnavailable as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"results: {out}/grades.csv, {out}/summary.csv, {out}/feedback/")
    return 1 if stats["complaints"] else 0


if __name__ == "__main__":
    sys.exit(main())
