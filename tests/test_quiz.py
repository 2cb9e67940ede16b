"""The quiz engine (helpers/quiz.py) and every quiz question of the course, tested three ways: the solution's
answer passes with its explanation, wrong answers fail without it, `...` says not attempted."""
from __future__ import annotations

import nbformat
import pytest
import torch

from course.generate import student_copy
from helpers import exercises, quiz, references
from helpers.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from helpers.references import reference

REGISTRY = exercises.load_all()
QUIZZES = sorted(n for n, ex in REGISTRY.items() if ex.is_quiz)
CHOICE = [n for n in QUIZZES if REGISTRY[n].choices]

CELL = '''# Quiz 1 (1 point): What is 2 + 2? Answer with a number.
### BEGIN SOLUTION
quiz_99_1 = 4
# Why: two and two make
#   four.
assert 2 + 2 == quiz_99_1
### END SOLUTION
check("quiz_99_1", quiz_99_1)'''


@pytest.mark.parametrize("a, b", [("b", " B "), ("(b)", "b"), (7, 7.0), (0.1 + 0.2, 0.3), (torch.float16, "float16"),
                                  (torch.Size([2, 3]), (2, 3)), ([2, 3], (2, 3)), (torch.tensor(5), 5),
                                  (True, "true"), ("torch.int64", torch.int64)])
def test_equivalent_answers_have_one_canonical_form(a, b):
    assert quiz.canonical(a) == quiz.canonical(b)


@pytest.mark.parametrize("a, b", [("a", "b"), (7, 7.5), ((2, 3), (3, 2)), (torch.float16, torch.bfloat16), (1, True)])
def test_different_answers_differ(a, b):
    assert quiz.fingerprint("quiz_x", a) != quiz.fingerprint("quiz_x", b)


def test_fingerprints_depend_on_the_question():
    assert quiz.fingerprint("quiz_01_1", "a") != quiz.fingerprint("quiz_01_2", "a")


def test_a_sealed_explanation_opens_only_with_the_right_answer():
    sealed = quiz.seal("Because views share storage.", "quiz_x", "b")
    assert sealed.dtype == torch.uint8 and b"views" not in bytes(sealed.tolist())
    assert quiz.unseal(sealed, "quiz_x", " B ") == "Because views share storage."
    assert quiz.unseal(sealed, "quiz_x", "a") != "Because views share storage."


def test_a_quiz_cell_becomes_a_stub_and_its_explanation_is_read(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    nbformat.write(nb, tmp_path / "99_fake.ipynb")
    monkeypatch.setenv(references.SOLUTIONS_ENV, str(tmp_path))
    assert quiz.explanation("99_fake", "quiz_99_1") == "two and two make four."
    stub = student_copy(nb).cells[0].source
    assert "quiz_99_1 = ...  # your answer" in stub and "4" not in stub.replace("# Quiz 1 (1 point)", "")
    reference.cache_clear()
    try:
        quiz.quiz("99_fake", "quiz_99_1", hint="Count.")
        ex = exercises.REGISTRY["quiz_99_1"]
        assert exercises.check("quiz_99_1", 4.0).status == CORRECT
        assert "four" in str(exercises.check("quiz_99_1", 4))
        wrong = exercises.check("quiz_99_1", 5)
        assert wrong.status == INCORRECT and "four" not in str(wrong) and "4" not in str(wrong)
        assert exercises.check("quiz_99_1", ...).status == NOT_ATTEMPTED
        assert "your answer is a builtin" in exercises.check("quiz_99_1", print).message
        assert ex.is_quiz and ex.seeds == (0,)
    finally:
        exercises.REGISTRY.pop("quiz_99_1", None)
        reference.cache_clear()


def test_a_quiz_spec_needs_the_quiz_prefix():
    with pytest.raises(ValueError, match="quiz_"):
        quiz.quiz("99_fake", "question_1", hint="")


def test_every_lesson_from_01_has_a_quiz_of_at_least_4_questions():
    lessons = sorted({ex.lesson for ex in REGISTRY.values() if ex.lesson >= "01"})
    counts = {lesson: sum(REGISTRY[n].lesson == lesson for n in QUIZZES) for lesson in lessons}
    assert all(c >= 4 for c in counts.values()), counts


@pytest.mark.parametrize("name", QUIZZES)
def test_the_solutions_answer_is_correct_and_explained(name):
    ex = REGISTRY[name]
    result = exercises.check(name, reference(ex.lesson, name))
    assert result.status == CORRECT, str(result)
    assert len(result.message) >= 20, f"{name} has no `# Why:` explanation in its solution cell"


@pytest.mark.parametrize("name", QUIZZES)
def test_not_attempted_and_wrong_answers_show_no_explanation(name):
    ex = REGISTRY[name]
    assert exercises.check(name, ...).status == NOT_ATTEMPTED
    why = quiz.explanation(ex.lesson, name)
    wrong = [c for c in ex.choices if quiz.canonical(c) != quiz.canonical(reference(ex.lesson, name))] \
        if ex.choices else []
    from tests.test_checkers import WRONG
    assert name in WRONG, f"{name} has no wrong answer in tests/wrong_*.py"
    for answer in wrong + [WRONG[name]]:
        result = exercises.check(name, answer)
        assert result.status == INCORRECT and why[:30] not in str(result), (answer, str(result))


@pytest.mark.parametrize("name", CHOICE)
def test_a_letter_that_is_not_offered_says_how_to_answer(name):
    result = exercises.check(name, "z")
    assert result.status == INCORRECT and "one of the choices" in result.message
