"""Every exercise checker, tested three ways: reference passes, a wrong answer fails, the stub is 'not attempted'."""
from __future__ import annotations

import importlib
from pathlib import Path

import nbformat
import pytest
import torch

from helpers import exercises, notebook_format
from helpers.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from helpers.references import reference

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = exercises.load_all()


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
    result = exercises.check(name, reference(REGISTRY[name].lesson, name))
    assert result.status == CORRECT, str(result)


@pytest.mark.parametrize("name", NAMES)
def test_wrong_answer_is_incorrect_and_hint_keeps_the_answer_secret(name):
    assert name in WRONG, f"exercise {name!r} has no wrong answer in tests/wrong_*.py"
    result = exercises.check(name, WRONG[name])
    assert result.status == INCORRECT, str(result)
    assert result.hint and result.message
    ex = REGISTRY[name]
    expected = ex.run(reference(ex.lesson, name), ex.seeds[0])
    if isinstance(expected, torch.Tensor) and expected.numel() > 1:
        assert str(expected) not in str(result), "the message reveals the expected tensor"


@pytest.mark.parametrize("name", NAMES)
def test_stub_reports_not_attempted(name):
    quiz = REGISTRY[name].is_quiz  # a quiz's stub is `quiz_NN_k = ...`
    result = exercises.check(name, ... if quiz else _stub)
    assert result.status == NOT_ATTEMPTED, str(result)
    assert ("`...`" if quiz else "NotImplementedError") in str(result) and result.hint in str(result)


@pytest.mark.parametrize("name", NAMES)
def test_inputs_are_fresh_and_vary_with_the_seed(name):
    ex = REGISTRY[name]
    assert ex.describe_inputs(0) == ex.describe_inputs(0)
    ref = reference(ex.lesson, name)
    first, again = ex.run(ref, ex.seeds[0]), ex.run(ref, ex.seeds[0])
    assert exercises.difference(again, first) is None, "make_args must be deterministic for a seed"


def _solution_checks() -> dict[str, str]:
    """Map each exercise checked in solutions/ to its notebook."""
    where: dict[str, str] = {}
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            lines = cell.source.strip().splitlines() if cell.cell_type == "code" else []
            for name, fn in [m.groups() for line in lines if (m := notebook_format.CHECK_LINE.match(line.strip()))]:
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


def test_only_the_stubs_own_not_implemented_error_means_not_attempted():
    def calls_something_unimplemented(x):
        raise NotImplementedError("aten::something is not implemented for this backend")
    result = exercises.check("corners", calls_something_unimplemented)
    assert result.status == INCORRECT and "NotImplementedError: aten::something" in result.message


def test_a_missing_return_is_named_plainly():
    result = exercises.check("corners", lambda x: None)
    assert result.status == INCORRECT and "None: does your function end with a `return`" in result.message


def test_changing_an_input_in_place_is_a_mistake_unless_the_prompt_asks_for_it():
    def center_in_place(x):
        x -= x.mean(dim=0, keepdim=True)
        return x
    result = exercises.check("center_columns", center_in_place)
    assert result.status == INCORRECT and "changed its input (argument 1" in result.message
    assert exercises.check("center_columns_", center_in_place).status == CORRECT  # the in-place exercise


def test_what_the_function_prints_is_captured_and_shown_once_truncated(capsys):
    def chatty(x):
        print("debugging " * 100)
        return x[[0, -1]][:, [0, -1]]
    result = exercises.check("corners", chatty)
    assert result.status == CORRECT and capsys.readouterr().out == ""
    assert result.message.count("your function printed: debugging") == 1 and result.message.endswith(" ...")
    assert len(result.message) < 500


def test_a_crash_of_the_checker_itself_is_reported_as_the_courses_bug(monkeypatch):
    monkeypatch.setattr(exercises, "expected_outputs", lambda ex: {0: object()})
    result = exercises.check("corners", lambda x: x)
    assert result.status == INCORRECT and "the course's check itself failed (TypeError" in result.message


def test_small_failing_inputs_are_shown_in_full():
    result = exercises.check("corners", lambda x: x[0])
    assert "(inputs: tensor([[" in result.message
