"""The grader on every lesson: each solution (exercises and quiz questions) grades as full points, each untouched
student copy as not attempted, with no error row. Slow (two kernels per lesson): make test-slow and CI."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from course.grade import grade
from course.grade.isolation import probe_bwrap
from course.grade.options import Limits

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb"))
pytestmark = [pytest.mark.slow, pytest.mark.notebook, pytest.mark.xdist_group("grader")]


@pytest.fixture(scope="module")
def rows(tmp_path_factory) -> dict[tuple[str, str], list[dict]]:
    """Grade every lesson's solution (student 'perfect') and student copy ('untouched') in one batch."""
    tmp = tmp_path_factory.mktemp("grade-lessons")
    for student, folder in (("perfect", "solutions"), ("untouched", "notebooks")):
        (tmp / "subs" / student).mkdir(parents=True)
        for stem in LESSONS:
            (tmp / "subs" / student / f"{stem}.ipynb").write_bytes((ROOT / folder / f"{stem}.ipynb").read_bytes())
    grade(tmp / "subs", tmp / "out", jobs=2, limits=Limits(notebook_timeout=600), unsandboxed=bool(probe_bwrap()),
          quiet=True)
    found: dict[tuple[str, str], list[dict]] = {}
    for row in csv.DictReader(io.StringIO((tmp / "out" / "grades.csv").read_text())):
        found.setdefault((row["student"], row["notebook"].removesuffix(".ipynb")), []).append(row)
    return found


@pytest.mark.parametrize("stem", LESSONS)
def test_a_solution_gets_full_points_and_a_student_copy_none(rows, stem):
    perfect, untouched = rows[("perfect", stem)], rows[("untouched", stem)]
    assert perfect and all(r["status"] == "correct" for r in perfect), [r for r in perfect if r["status"] != "correct"]
    assert sum(int(r["points"]) for r in perfect) == sum(int(r["max_points"]) for r in perfect) > 0
    assert all(r["status"] == "not_attempted" for r in untouched), \
        [r for r in untouched if r["status"] != "not_attempted"]
    if stem >= "01":
        assert sum(r["exercise"].startswith("quiz_") for r in perfect) >= 4
