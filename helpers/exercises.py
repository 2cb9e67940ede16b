"""Exercise checks: correct / incorrect / not attempted, with a hint and never the answer. Specs (inputs, call,
hint) are registered by helpers/ex_NN_topic.py; answers live only in solutions/ (see helpers.references)."""
from __future__ import annotations

import contextlib
import importlib
import io
import os
import pkgutil
import random
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from helpers.compare import describe, difference
from helpers.notebook_format import QUIZ_PREFIX, STUB
from helpers.references import reference, stored_expected

CORRECT, INCORRECT, NOT_ATTEMPTED = "correct", "incorrect", "not_attempted"
_ICONS = {CORRECT: "✅", INCORRECT: "❌", NOT_ATTEMPTED: "⏳"}
REGISTRY: dict[str, "Exercise"] = {}
GRADING_ENV = "COURSE_GRADING"  # set to 1 by the grader inside a submission's kernel
FRESH_SEEDS = range(1000, 1100)  # where the repository's checks (and the grader) draw extra random inputs


@dataclass(frozen=True)
class Exercise:
    """One checked exercise: how to build its inputs, call an answer and compare; no answer."""

    name: str
    lesson: str
    make_args: Callable[[int], tuple]
    hint: str
    seeds: tuple[int, ...] = (0, 1, 2)
    rtol: float = 1e-5
    atol: float = 1e-6
    check_dtype: bool = True
    call: Callable[[Callable[..., Any], tuple], Any] = field(default=lambda fn, args: fn(*args))
    mutates: bool = False  # True when the prompt asks the function to change its inputs in place
    choices: str | None = None  # quiz questions only: the letters offered (None: a number or a value)

    @property
    def is_quiz(self) -> bool:
        """True for a quiz question (an answer value, helpers.quiz), False for a function to write."""
        return self.name.startswith(QUIZ_PREFIX)

    def run(self, fn: Callable[..., Any], seed: int) -> Any:
        """Call fn on the inputs built from seed and return what gets compared."""
        return self.call(fn, self.make_args(seed))

    def describe_inputs(self, seed: int) -> str:
        """The inputs built from seed: small ones in full (they are not the answer), others by type and shape."""
        return ", ".join(_show(a) for a in self.make_args(seed)) or "no arguments"


def _show(value: Any) -> str:
    """A value in full when it is small (a few dozen numbers at most), else its type and shape."""
    if isinstance(value, torch.Tensor) and value.numel() <= 24 and value.device.type == "cpu":
        return f"tensor({value.tolist()}, dtype={value.dtype})"
    if isinstance(value, (int, float, str, bool)) or (isinstance(value, (list, tuple)) and len(repr(value)) <= 80):
        return repr(value)
    return describe(value)


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
        text = f"{_ICONS[self.status]} {self.name}: {self.status.replace('_', ' ')}" \
            + f" — {self.message}" * bool(self.message)
        if self.hint and self.status != CORRECT:
            text += f"\n   Hint: {self.hint}"
        return text

    __repr__ = __str__


def exercise(lesson: str, name: str, *, make_args: Callable[[int], tuple], hint: str, **options: Any) -> None:
    """Register the spec of exercise `name` of `lesson`."""
    if name in REGISTRY and REGISTRY[name].lesson != lesson:
        raise ValueError(f"exercise {name!r} is registered twice ({REGISTRY[name].lesson}, {lesson})")
    REGISTRY[name] = Exercise(name, lesson, make_args, hint, **options)


def generator(seed: int) -> Any:
    """A CPU torch.Generator seeded with an exercise seed, for building inputs."""
    return torch.Generator().manual_seed(seed)


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


def expected_outputs(ex: Exercise, fresh: int = 1) -> dict[int, Any]:
    """{seed: expected output}: from the solution (plus `fresh` random seeds) or, in the hand-out, stored data."""
    if (ref := reference(ex.lesson, ex.name)) is not None:
        seeds = list(ex.seeds) + random.SystemRandom().sample(FRESH_SEEDS, fresh)
        return {seed: ex.run(ref, seed) for seed in seeds}
    if not (stored := stored_expected(ex.lesson).get(ex.name)):
        raise LookupError(f"no reference for {ex.name}: neither solutions/{ex.lesson}.ipynb nor stored outputs "
                          "were found (reinstall the course, or run it from its own folder)")
    return stored


class Mistake(Exception):
    """A mistake a spec's call detected in the answer (its message is shown as it is)."""


def _copies(value: Any, out: list) -> list:
    """(object, copy) for value's tensors, arrays and containers (a container's copy lists its items)."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        out.append((value, value.detach().clone() if isinstance(value, torch.Tensor) else value.copy()))
    elif isinstance(value, (list, tuple, dict)):
        out.append((value, list(value.values() if isinstance(value, dict) else value)))
        for item in out[-1][1]:
            _copies(item, out)
    return out


def _unchanged(now: Any, before: Any) -> bool:
    """True when an object still equals its copy (items of a container: the very same objects)."""
    if isinstance(now, (list, tuple, dict)):
        items = list(now.values() if isinstance(now, dict) else now)
        return len(items) == len(before) and all(a is b for a, b in zip(items, before))
    if isinstance(now, np.ndarray):
        return bool(np.array_equal(now, before, equal_nan=now.dtype.kind in "fc"))
    return now.device.type == "meta" or bool(torch.equal(now.detach().nan_to_num(), before.nan_to_num()))


def guarded(ex: Exercise, answer: Callable[..., Any]) -> Callable[..., Any]:
    """answer, raising Mistake when it changes its arguments (unless the exercise asks for that)."""
    def call(*args: Any) -> Any:
        copies = [_copies(a, []) for a in args]
        out = answer(*args)
        changed = [i for i, pairs in enumerate(copies) if not all(_unchanged(n, b) for n, b in pairs)]
        if changed and not ex.mutates:
            raise Mistake(f"your function changed its input (argument {changed[0] + 1}, a "
                          f"{describe(args[changed[0]])}) in place; the prompt asks for a new result")
        return out
    return call


def _student_line(err: BaseException, answer: Any) -> str:
    """Where in the student's own cell the error came from (the deepest frame in the answer's file), or ''."""
    file = getattr(getattr(answer, "__code__", None), "co_filename", None)
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == file]
    return f"\n   at line {frames[-1].lineno} of your cell: {frames[-1].line}" if frames else ""


def evaluate(ex: Exercise, answer: Any) -> Result:
    """Run the exercise's cases on answer and judge it (no printing)."""
    if ex.is_quiz:
        from helpers.quiz import judge
        return judge(ex, answer)
    if not callable(answer):
        return Result(ex.name, INCORRECT, f"expected a function, got a {describe(answer)}", ex.hint)
    expected, printed = expected_outputs(ex), io.StringIO()
    for seed, want in expected.items():
        result = _judge_one(ex, answer, seed, want, printed)
        if result is not None:
            return _with_prints(result, printed)
    return _with_prints(Result(ex.name, CORRECT, f"passed {len(expected)} test cases"), printed)


def _judge_one(ex: Exercise, answer: Any, seed: int, want: Any, printed: io.StringIO) -> Result | None:
    """Judge the answer on one input: None when right, else the Result to report."""
    inputs = f"(inputs: {ex.describe_inputs(seed)})"
    try:
        with contextlib.redirect_stdout(printed):
            got = ex.run(guarded(ex, answer), seed)
    except NotImplementedError as err:
        if STUB in str(err):  # the stub's own line, not an error of torch's
            return Result(ex.name, NOT_ATTEMPTED, "replace the `raise NotImplementedError` line with your code, "
                          "then run the cell again", ex.hint)
        return Result(ex.name, INCORRECT, f"your function raised NotImplementedError: {err} {inputs}"
                      f"{_student_line(err, answer)}", ex.hint)
    except Mistake as err:
        return Result(ex.name, INCORRECT, f"{err} {inputs}", ex.hint)
    except Exception as err:  # the student's code failed: say how and where, keep going
        return Result(ex.name, INCORRECT, f"your function raised {type(err).__name__}: {err} {inputs}"
                      f"{_student_line(err, answer)}", ex.hint)
    try:
        msg = difference(got, want, rtol=ex.rtol, atol=ex.atol, check_dtype=ex.check_dtype)
    except Exception as err:  # the comparison itself broke: the course's bug, said as such
        msg = f"the course's check itself failed ({type(err).__name__}: {err}); please report this"
    return Result(ex.name, INCORRECT, f"{msg} {inputs}", ex.hint) if msg else None


def _with_prints(result: Result, printed: io.StringIO) -> Result:
    """Add what the student's function printed during the check, once and truncated."""
    text = printed.getvalue().strip()
    if not text:
        return result
    short = text if len(text) <= 300 else text[:300] + " ..."
    return Result(result.name, result.status, f"{result.message}\n   your function printed: {short}", result.hint)


def grading() -> bool:
    """True inside the grader's kernel, where answers are judged outside the notebook."""
    return os.environ.get(GRADING_ENV) == "1"


def check(name: str, answer: Any) -> Result:
    """Check a student's answer to the exercise called name; the result displays in the notebook."""
    if grading():
        return Result(name, NOT_ATTEMPTED, "not checked here: the grader judges this answer outside the notebook")
    return evaluate(get(name), answer)


def answer_or_reference(name: str, answer: Any) -> Callable[..., Any]:
    """The student's answer when it passes its check; else the course's reference, or its library equivalent."""
    if grading():  # no references in the grader's kernel: later cells use the student's own answer
        return answer
    result = check(name, answer)
    if result.passed:
        return answer
    ex, state = get(name), result.status.replace("_", " ")
    if (ref := reference(ex.lesson, name)) is not None:
        print(f"Using the course's reference {name} for the cells below (your version: {state}). "
              "Solve the exercise and re-run to use yours.")
        return ref
    try:  # the hand-out's library stand-ins (course/handout/fallbacks.py, copied in by `make release`)
        fallback = getattr(importlib.import_module("helpers.fallbacks"), name, None)
    except ImportError:
        fallback = None
    if fallback is None:
        raise LookupError(f"{name} has no stand-in for the cells below: solve the exercise above first")
    print(f"Using a library equivalent of {name} for the cells below (your version: {state}; see "
          f"helpers/fallbacks.py). Solve the exercise and re-run to use yours.")
    return fallback
