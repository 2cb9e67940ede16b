"""Write grading results atomically: per-submission JSON, grades.csv, summary.csv and feedback files."""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

GRADE_COLUMNS = ("student", "notebook", "exercise", "points", "max_points", "status", "message")
SUMMARY_COLUMNS = ("student", "notebook", "points", "max_points")


def atomic_write(path: Path, text: str) -> None:
    """Write text to path so that readers see either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def result_path(out: Path, student: str, notebook: str) -> Path:
    """Where the result of one submission is stored (OUT/.results/<student>/<notebook>.json)."""
    return out / ".results" / student / f"{Path(notebook).stem}.json"


def save_result(out: Path, result: dict[str, Any]) -> None:
    """Store one submission's result atomically."""
    atomic_write(result_path(out, result["student"], result["notebook"]), json.dumps(result, indent=1))


def load_result(out: Path, student: str, notebook: str) -> dict[str, Any] | None:
    """Return a stored result, or None when there is none or it is unreadable."""
    try:
        data = json.loads(result_path(out, student, notebook).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("rows"), list) else None


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    """Render rows as CSV text with a header."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _fmt(points: float) -> str:
    """Format points without a trailing .0."""
    return f"{points:g}"


def feedback_text(result: dict[str, Any]) -> str:
    """One line per exercise: status, points, message and hint (never the reference answer)."""
    total, most = sum(r["points"] for r in result["rows"]), sum(r["max_points"] for r in result["rows"])
    lines = [f"{result['notebook']} ({result['student']}): {_fmt(total)}/{_fmt(most)} points",
             f"graded with isolation: {result.get('isolation', '?')}"]
    if result.get("note"):
        lines.append(f"note: {result['note']}")
    for r in result["rows"]:
        text = f"{r['status']:<14} {_fmt(r['points'])}/{_fmt(r['max_points'])}  {r['exercise']}"
        if r.get("message"):
            text += f": {r['message']}"
        lines.append(text)
        if r.get("hint") and r["status"] != "correct":
            lines.append(f"{'':<14} Hint: {r['hint']}")
    return "\n".join(lines) + "\n"


def write_reports(out: Path, results: list[dict[str, Any]]) -> None:
    """Regenerate grades.csv, summary.csv and the feedback files from all results."""
    results = sorted(results, key=lambda r: (r["student"], r["notebook"]))
    grades, summary = [], []
    for res in results:
        for row in res["rows"]:
            grades.append({"student": res["student"], "notebook": res["notebook"], **row,
                           "points": _fmt(row["points"]), "max_points": _fmt(row["max_points"])})
        summary.append({"student": res["student"], "notebook": res["notebook"],
                        "points": _fmt(sum(r["points"] for r in res["rows"])),
                        "max_points": _fmt(sum(r["max_points"] for r in res["rows"]))})
        atomic_write(out / "feedback" / res["student"] / f"{Path(res['notebook']).stem}.txt", feedback_text(res))
    atomic_write(out / "grades.csv", _csv(GRADE_COLUMNS, grades))
    atomic_write(out / "summary.csv", _csv(SUMMARY_COLUMNS, summary))
