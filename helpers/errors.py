"""Errors shown on purpose: ``with expect_error(RuntimeError, match="..."):`` runs in every notebook client."""
from __future__ import annotations

import contextlib
from typing import Iterator

MARK = "Expected error, shown on purpose:"


@contextlib.contextmanager
def expect_error(kind: type[BaseException], match: str | tuple[str, ...] = "") -> Iterator[None]:
    """Run the block, which must raise `kind` with `match` (or one of several) in its message; print that error.

    Any other error stops the cell as usual, and so does no error at all (the lesson's claim no longer holds).
    Several texts allow for wordings that changed between PyTorch versions.
    """
    try:
        yield
    except kind as err:
        message = str(err).strip()
        if not any(text in message for text in ((match,) if isinstance(match, str) else match)):
            raise AssertionError(f"expected a {kind.__name__} saying {match!r}, but it said: {message}") from err
        lines = message.splitlines() or [""]
        more = f"\n   ... ({len(lines) - 8} more lines)" if len(lines) > 8 else ""
        print(f"{MARK} {type(err).__name__}: " + "\n   ".join(lines[:8]) + more)
        return
    raise AssertionError(f"expected a {kind.__name__} here, but the code ran without one")
