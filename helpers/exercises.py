"""Exercise checks: correct / incorrect / not attempted, with a hint and never the answer.

Each lesson module ``helpers/ex_NN_topic.py`` registers its exercises with :func:`exercise`.
A notebook calls ``check("name", answer)`` right after the student's function.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

from helpers.compare import describe, difference

CORRECT, INCORRECT, NOT_ATTEMPTED = "correct", "incorrect", "not_attempted"
_ICONS = {CORRECT: "✅", INCORRECT: "❌", NOT_ATTEMPTED: "⏳"}
REGISTRY: dict[str, "Exercise"] = {}
GRADING_ENV = "COURSE_GRADING"  # set to 1 by the grader inside a submission's kernel


@dataclass(frozen=True)
class Exercise:
    """One checked exercise: a reference, how to build inputs, how to call and compare."""

    name: str
    lesson: str
    reference: Callable[..., Any]
    make_args: Callable[[int], tuple]
    hint: str
    seeds: tuple[int, ...] = (0, 1, 2)
    rtol: float = 1e-5
    atol: float = 1e-6
    check_dtype: bool = True
    call: Callable[[Callable[..., Any], tuple], Any] = field(default=lambda fn, args: fn(*args))

    def run(self, fn: Callable[..., Any], seed: int) -> Any:
        """Call fn on the inputs built from seed and return what gets compared."""
        return self.call(fn, self.make_args(seed))

    def expected(self, seed: int) -> Any:
        """Return the reference result for the inputs built from seed."""
        return self.run(self.reference, seed)

    def describe_inputs(self, seed: int) -> str:
        """Describe the inputs built from seed by type and shape."""
        return ", ".join(describe(a) for a in self.make_args(seed)) or "no arguments"


@dataclass(frozen=True)
class Result:
    """The outcome of a check; displays as one line in a notebook."""

    name: str
    status: str
    message: str = ""
    hint: str = ""

    @property
    def passed(self) -> bool:
        """True when the answer is correct."""
        return self.status == CORRECT

    def __str__(self) -> str:
        label = self.status.replace("_", " ")
        text = f"{_ICONS[self.status]} {self.name}: {label}"
        if self.message:
            text += f" — {self.message}"
        if self.hint and self.status != CORRECT:
            text += f"\n   Hint: {self.hint}"
        return text

    def __repr__(self) -> str:
        return str(self)


def exercise(lesson: str, *, make_args: Callable[[int], tuple], hint: str, **options: Any
             ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register the decorated reference function as an exercise of that lesson."""
    def register(reference: Callable[..., Any]) -> Callable[..., Any]:
        name = reference.__name__
        if name in REGISTRY and REGISTRY[name].lesson != lesson:
            raise ValueError(f"exercise {name!r} is registered twice ({REGISTRY[name].lesson}, {lesson})")
        REGISTRY[name] = Exercise(name, lesson, reference, make_args, hint, **options)
        return reference
    return register


def load_all() -> dict[str, Exercise]:
    """Import every lesson module (helpers/ex_*.py) and return the registry."""
    import helpers
    for info in pkgutil.iter_modules(helpers.__path__):
        if info.name.startswith("ex_"):
            importlib.import_module(f"helpers.{info.name}")
    return REGISTRY


def get(name: str) -> Exercise:
    """Return the registered exercise called name."""
    if name not in REGISTRY:
        load_all()
    if name not in REGISTRY:
        raise KeyError(f"no exercise called {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def evaluate(ex: Exercise, answer: Any) -> Result:
    """Run the exercise's cases on answer and judge it (no printing)."""
    if not callable(answer):
        return Result(ex.name, INCORRECT, f"expected a function, got a {describe(answer)}", ex.hint)
    for seed in ex.seeds:
        try:
            got = ex.run(answer, seed)
        except NotImplementedError:
            return Result(ex.name, NOT_ATTEMPTED,
                          "replace the `raise NotImplementedError` line with your code, then run the cell again",
                          ex.hint)
        except Exception as err:  # the student's code failed: say how, keep going
            return Result(ex.name, INCORRECT, f"your function raised {type(err).__name__}: {err} "
                          f"(inputs: {ex.describe_inputs(seed)})", ex.hint)
        msg = difference(got, ex.expected(seed), rtol=ex.rtol, atol=ex.atol, check_dtype=ex.check_dtype)
        if msg:
            return Result(ex.name, INCORRECT, f"{msg} (inputs: {ex.describe_inputs(seed)})", ex.hint)
    return Result(ex.name, CORRECT, f"passed {len(ex.seeds)} test cases")


def grading() -> bool:
    """True inside the grader's kernel, where answers are judged outside the notebook."""
    return os.environ.get(GRADING_ENV) == "1"


def check(name: str, answer: Any) -> Result:
    """Check a student's answer to the exercise called name; the result displays in the notebook."""
    if grading():
        return Result(name, NOT_ATTEMPTED, "not checked here: the grader judges this answer outside the notebook")
    return evaluate(get(name), answer)


def answer_or_reference(name: str, answer: Any) -> Callable[..., Any]:
    """Return the student's answer when it passes its check, else the reference (with a note)."""
    if grading():  # no references in the grader's kernel: later cells use the student's own answer
        return answer
    result = check(name, answer)
    if result.passed:
        return answer
    print(f"Using the course's reference {name} for the cells below (your version: "
          f"{result.status.replace('_', ' ')}). Solve the exercise and re-run to use yours.")
    return get(name).reference
