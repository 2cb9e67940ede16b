"""What child processes print: a DataLoader worker that dies while starting (a spawned worker that cannot import
its Dataset class) writes its traceback to the error output it inherited, file descriptor 2, which no Python-level
redirection sees. captured_stderr() points that descriptor at a file for a block, so a lesson can show the text."""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from typing import Iterator


@dataclass
class Captured:
    """The text written to file descriptor 2 during the block (filled in when the block ends)."""

    text: str = ""


@contextlib.contextmanager
def captured_stderr() -> Iterator[Captured]:
    """Send what this process and the processes it starts write to file descriptor 2 into Captured.text (left
    empty where this process has no descriptor 2). On Windows a spawned process may not inherit it."""
    captured = Captured()
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 (a Python started by pythonw on Windows, for one)
        yield captured  # nothing to capture: the text stays empty
        return
    with tempfile.TemporaryFile() as file:
        os.dup2(file.fileno(), 2)
        try:
            yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            file.seek(0)
            captured.text = file.read().decode(errors="replace")
