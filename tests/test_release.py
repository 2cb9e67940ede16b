"""The class hand-out: no answer in any file, and on its own its checks still judge and its notebooks still run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course import release
from course.leaks import find_leaks, solution_bodies
from helpers import exercises
from helpers.image_folder import archive_path
from helpers.quiz import explanation
from helpers.references import reference, reference_source

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = exercises.load_all()


@pytest.fixture(scope="module")
def handout(tmp_path_factory) -> Path:
    """Build the hand-out once into a temporary folder (outside the repository, so no solutions/ beside it)."""
    folder, archive, count = release.release(tmp_path_factory.mktemp("release"))
    assert count == sum(len(ex.seeds) for ex in REGISTRY.values())
    assert zipfile.ZipFile(archive).testzip() is None
    return folder


def test_handout_holds_the_student_runtime_and_nothing_of_the_tooling(handout):
    names = {p.relative_to(handout).parts[0] for p in handout.rglob("*")}
    assert names == {"README.md", "requirements.txt", "pyproject.toml", "notebooks", "helpers", "data"}
    assert sorted(p.name for p in (handout / "notebooks").glob("*.ipynb")) == \
        sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb"))
    assert not list(handout.rglob("*.pyc")) and not list(handout.rglob("grade*"))
    assert "-e ." in (handout / "requirements.txt").read_text().splitlines()
    assert (handout / "data" / archive_path().name).read_bytes() == archive_path().read_bytes()  # for notebook 08


def test_handout_carries_no_solution_body(handout):
    assert len(solution_bodies()) >= 55
    assert find_leaks([handout]) == []
    for path in (handout / "notebooks").glob("*.ipynb"):
        assert "### BEGIN SOLUTION" not in path.read_text(), path.name


def test_leak_finder_finds_a_copied_answer(tmp_path):
    (tmp_path / "copy.py").write_text(reference_source("03_shapes_and_broadcasting", "broadcast_shape"))
    assert any("broadcast_shape" in leak for leak in find_leaks([tmp_path]))


def test_leak_finder_finds_a_quiz_answer_and_an_explanation(tmp_path):
    name = next(n for n, ex in REGISTRY.items() if ex.is_quiz)
    ex = REGISTRY[name]
    (tmp_path / "answer.py").write_text(f"{name} = {reference(ex.lesson, name)!r}\n")
    (tmp_path / "notes.md").write_text("Copied: " + explanation(ex.lesson, name))
    leaks = find_leaks([tmp_path])
    assert any("answer.py" in leak and name in leak for leak in leaks), leaks
    assert any("notes.md" in leak and name in leak for leak in leaks), leaks


def _run_in_handout(handout: Path, script: str, tmp_path: Path) -> dict:
    """Run a script with the hand-out's helpers first on the path, from a folder outside the repository."""
    env = {**os.environ, "PYTHONPATH": str(handout)}
    env.pop("COURSE_SOLUTIONS_DIR", None)
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


CHECK_ALL = """
import json, sys
import helpers, helpers.references as refs
from helpers import exercises
from tests.wrong_all import WRONG
from helpers.quiz import explanation
from pathlib import Path
SOLUTIONS = Path(%(solutions)r)
lesson_of = {n: ex.lesson for n, ex in exercises.load_all().items()}
assert helpers.__file__.startswith(sys.argv[1] if len(sys.argv) > 1 else %(handout)r), helpers.__file__
assert refs.solutions_dir() is None
sources = json.load(open("references.json"))
def stub(*a, **k):
    raise NotImplementedError("stub: replace this line with your code")
out = {"where": helpers.__file__}
for name, source in sources.items():
    ns = {}
    exec(source, ns)
    quiz = name.startswith("quiz_")  # a quiz's stub is `...`; its explanation is unsealed by the right answer
    out[name] = [exercises.check(name, f).status for f in (ns[name], WRONG[name], ... if quiz else stub)]
    if quiz:
        out[name].append(exercises.check(name, ns[name]).message == explanation(lesson_of[name], name, SOLUTIONS))
print(json.dumps(out))
"""


def test_handout_checks_accept_references_reject_mistakes_and_stubs(handout, tmp_path):
    (tmp_path / "references.json").write_text(json.dumps(
        {name: reference_source(ex.lesson, name) for name, ex in REGISTRY.items()}))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    wrong = [p for p in (ROOT / "tests").glob("wrong_*.py")]
    for p in wrong:
        (tmp_path / "tests" / p.name).write_text(p.read_text())
    (tmp_path / "tests" / "wrong_all.py").write_text("".join(
        f"from tests.{p.stem} import WRONG as _{i}\n" for i, p in enumerate(wrong))
        + "WRONG = {k: v for d in (" + ", ".join(f"_{i}" for i in range(len(wrong))) + ") for k, v in d.items()}\n")
    result = _run_in_handout(handout, CHECK_ALL % {"handout": str(handout), "solutions": str(ROOT / "solutions")},
                             tmp_path)
    assert result.pop("where").startswith(str(handout))
    assert set(result) == set(REGISTRY)
    want = {name: ["correct", "incorrect", "not_attempted"] + [True] * REGISTRY[name].is_quiz for name in result}
    bad = {name: s for name, s in result.items() if s != want[name]}
    assert not bad, bad


@pytest.mark.notebook
@pytest.mark.parametrize("stem", ["03_shapes_and_broadcasting", pytest.param("04_autograd", marks=pytest.mark.slow)])
def test_handout_notebook_runs_to_the_end_with_library_stand_ins(handout, stem, tmp_path):
    """Every later cell runs although no exercise is solved; the stand-ins say what they are."""
    nb = nbformat.read(handout / "notebooks" / f"{stem}.ipynb", as_version=4)
    env = {**os.environ, "PYTHONPATH": str(handout)}
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.km = client.create_kernel_manager()
    client.km.kernel_spec  # noqa: B018 - resolve the spec before passing the environment
    client.execute(env=env)
    errors = [(i, o.ename) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    unexpected = [(i, e) for i, e in errors if e != "NotImplementedError"
                  and "raises-exception" not in nb.cells[i].metadata.get("tags", [])]
    assert not unexpected, unexpected
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Using a library equivalent of" in text and "course's reference" not in text
