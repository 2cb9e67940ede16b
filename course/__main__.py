"""``python -m course COMMAND [...]``: one entry point for the course's tools."""
from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "generate": ("course.generate", "write notebooks/ from solutions/ (--check: only verify)"),
    "run": ("course.execute", "execute notebooks headless with papermill and print a table"),
    "release": ("course.release", "build the class hand-out (build/release/ and its zip)"),
    "check-release": ("course.release_check", "install the hand-out in a fresh venv and run every notebook"),
    "leaks": ("course.leaks", "list solution bodies found outside solutions/"),
    "kernelspec": ("course.kernelspec", "quiet the course kernel's start-up log (make setup runs it)"),
    "bench": ("course.bench", "print CIFAR-10 and grader figures"),
    "grade": ("course.grade", "grade a folder of submissions"),
}


def main(argv: list[str]) -> int:
    """Dispatch to the command's own main(argv)."""
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        width = max(map(len, COMMANDS))
        lines = [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
        print("usage: python -m course COMMAND [options]   (COMMAND --help for its options)\n" + "\n".join(lines))
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
