"""Every exercise checker, tested three ways: reference passes, a wrong answer fails, the stub is 'not attempted'."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import nbformat
import pytest
import torch

from helpers import exercises
from helpers.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = exercises.load_all()
CHECK_CALL = re.compile(r'^check\("(\w+)", (\w+)\)\s*$', re.M)


def _wrong_answers() -> dict[str, object]:
    """Collect WRONG = {name: fn} from every tests/wrong_*.py file."""
    found: dict[str, object] = {}
    for path in sorted(Path(__file__).parent.glob("wrong_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        overlap = set(found) & set(module.WRONG)
        assert not overlap, f"{path.name} repeats wrong answers for {overlap}"
        found.update(module.WRONG)
    return found


WRONG = _wrong_answers()
NAMES = sorted(REGISTRY)


def _stub(*args, **kwargs):
    raise NotImplementedError("stub: replace this line with your code")


@pytest.mark.parametrize("name", NAMES)
def test_reference_is_correct(name):
    result = exercises.check(name, REGISTRY[name].reference)
    assert result.status == CORRECT, str(result)


@pytest.mark.parametrize("name", NAMES)
def test_wrong_answer_is_incorrect_and_hint_keeps_the_answer_secret(name):
    assert name in WRONG, f"exercise {name!r} has no wrong answer in tests/wrong_*.py"
    result = exercises.check(name, WRONG[name])
    assert result.status == INCORRECT, str(result)
    assert result.hint and result.message
    expected = REGISTRY[name].expected(REGISTRY[name].seeds[0])
    if isinstance(expected, torch.Tensor) and expected.numel() > 1:
        assert str(expected) not in str(result), "the message reveals the expected tensor"


@pytest.mark.parametrize("name", NAMES)
def test_stub_reports_not_attempted(name):
    result = exercises.check(name, _stub)
    assert result.status == NOT_ATTEMPTED, str(result)
    assert "NotImplementedError" in str(result) and result.hint in str(result)


@pytest.mark.parametrize("name", NAMES)
def test_inputs_are_fresh_and_vary_with_the_seed(name):
    ex = REGISTRY[name]
    assert ex.describe_inputs(0) == ex.describe_inputs(0)
    first, again = ex.expected(ex.seeds[0]), ex.expected(ex.seeds[0])
    assert exercises.difference(again, first) is None, "make_args must be deterministic for a seed"


def _solution_checks() -> dict[str, str]:
    """Map each exercise checked in solutions/ to its notebook."""
    where: dict[str, str] = {}
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for name, fn in CHECK_CALL.findall(cell.source) if cell.cell_type == "code" else []:
                assert name == fn, f"{path.name}: check({name!r}, {fn}) must pass the function of the same name"
                assert name not in where, f"{name} is checked in both {where[name]} and {path.name}"
                where[name] = path.stem
    return where


def test_meta_every_checker_has_three_way_tests_and_a_notebook():
    used = _solution_checks()
    assert set(used) <= set(REGISTRY), f"checked but not registered: {sorted(set(used) - set(REGISTRY))}"
    assert set(REGISTRY) <= set(used), f"registered but never checked in a notebook: {sorted(set(REGISTRY) - set(used))}"
    assert set(REGISTRY) <= set(WRONG), f"no wrong-answer test: {sorted(set(REGISTRY) - set(WRONG))}"
    assert set(WRONG) <= set(REGISTRY), f"wrong answers for unknown exercises: {sorted(set(WRONG) - set(REGISTRY))}"
    for name, lesson in used.items():
        assert REGISTRY[name].lesson == lesson, f"{name} is registered for {REGISTRY[name].lesson} but used in {lesson}"


@pytest.mark.parametrize("path", sorted((ROOT / "helpers").glob("ex_*.py")), ids=lambda p: p.stem)
def test_grading_copy_hides_references_but_still_builds_and_runs_inputs(path, monkeypatch):
    """The grader strips reference bodies from its kernel's copy; inputs and calls must not need them."""
    from helpers.grade import REFERENCE_HIDDEN, strip_references

    captured: dict = {}

    def capture(lesson, *, make_args, hint, **options):
        def register(fn):
            captured[fn.__name__] = (fn, make_args, options.get("call", lambda f, a: f(*a)))
            return fn
        return register

    monkeypatch.setattr(exercises, "exercise", capture)
    exec(compile(strip_references(path.read_text()), str(path), "exec"), {"__name__": f"stripped_{path.stem}"})
    assert captured, f"{path.name} registers no exercise"
    for name, (stripped, make_args, call) in captured.items():
        with pytest.raises(RuntimeError, match=REFERENCE_HIDDEN):
            call(stripped, make_args(0))
        ex = REGISTRY[name]
        for seed in (*ex.seeds, 1000):
            got = call(ex.reference, make_args(seed))
            assert exercises.difference(got, ex.expected(seed), rtol=ex.rtol, atol=ex.atol) is None, name
