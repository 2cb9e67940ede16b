"""Quiz questions: an answer (a letter, a number or a short value) judged correct / incorrect / not attempted,
with an explanation shown only once it is right. The answer and its explanation live only in solutions/ (the
`quiz_NN_k = ...` line and its `# Why:` comments); the hand-out stores a fingerprint of the answer and the
explanation sealed with a key derived from the answer, so neither can be read from it."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import torch

from helpers.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED, Exercise, Result, exercise
from helpers.notebook_format import BEGIN, END, QUIZ_PREFIX, exercise_cells, read_cells
from helpers.references import reference, solutions_dir, stored_expected

WHY = "# Why:"


def canonical(answer: Any) -> str:
    """The comparable form of an answer: 'B ' and 'b', 7 and 7.0, torch.float16 and 'float16' agree."""
    if isinstance(answer, torch.Tensor):
        if answer.numel() != 1:
            raise TypeError(f"a tensor of {answer.numel()} numbers (answer with one value)")
        answer = answer.item()
    if isinstance(answer, np.generic):
        answer = answer.item()
    if isinstance(answer, torch.dtype):
        return str(answer).removeprefix("torch.")
    if isinstance(answer, bool):
        return str(answer).lower()
    if isinstance(answer, (int, float)):
        return format(float(answer), ".6g")
    if isinstance(answer, str):
        return answer.strip().strip("'\"()").strip().lower().removeprefix("torch.")
    if isinstance(answer, (tuple, list)):  # torch.Size is a tuple
        return "(" + ", ".join(canonical(a) for a in answer) + ")"
    raise TypeError(f"a {type(answer).__name__}")


def fingerprint(name: str, answer: Any) -> str:
    """A one-way digest of question name's answer (what the hand-out stores and the grader compares)."""
    return hashlib.sha256(f"{name}\0{canonical(answer)}".encode()).hexdigest()[:32]


def _stream(name: str, answer: Any, size: int) -> bytes:
    """Key bytes derived from the (correct) answer."""
    return hashlib.shake_256(f"why\0{name}\0{canonical(answer)}".encode()).digest(size)


def seal(text: str, name: str, answer: Any) -> torch.Tensor:
    """The explanation, readable only with the right answer (a uint8 tensor, so torch.load(weights_only) reads it)."""
    data = text.encode()
    return torch.tensor(list(bytes(a ^ b for a, b in zip(data, _stream(name, answer, len(data))))), dtype=torch.uint8)


def unseal(sealed: torch.Tensor, name: str, answer: Any) -> str:
    """The explanation sealed by seal(), given the same answer."""
    data = bytes(sealed.tolist())
    return bytes(a ^ b for a, b in zip(data, _stream(name, answer, len(data)))).decode(errors="replace")


def explanation(lesson: str, name: str, folder: Path | None = None) -> str:
    """The `# Why:` comment lines of quiz name's solution cell in solutions/<lesson>.ipynb ('' without it)."""
    folder = folder or solutions_dir()
    path = folder / f"{lesson}.ipynb" if folder else None
    if path is None or not path.is_file():
        return ""
    cell = next((c for c in exercise_cells(read_cells(path)) if c.name == name), None)
    region = cell.source.split(BEGIN, 1)[-1].split(END, 1)[0] if cell else ""
    lines = [line.strip() for line in region.splitlines()]
    start = next((i for i, line in enumerate(lines) if line.startswith(WHY)), None)
    if start is None:
        return ""
    why = [lines[start].removeprefix(WHY)]
    for line in lines[start + 1:]:
        if not line.startswith("#"):
            break
        why.append(line.lstrip("#"))
    return " ".join(part.strip() for part in why).strip()


def answer_format(choices: str | None) -> str:
    """How to write an answer to a question (never the answer itself)."""
    if choices:
        return "answer with one letter in quotes: " + ", ".join(repr(c) for c in choices)
    return "answer with a number or a short Python value (for example a shape such as (2, 3), True, a dtype)"


def problem(name: str, answer: Any, choices: str | None) -> str:
    """Why an answer cannot be judged ('' when it can): the wrong kind of value, or a letter not offered."""
    try:
        text = canonical(answer)
    except TypeError as err:
        return f"your answer is {err}; {answer_format(choices)}"
    if choices and text not in choices:
        return f"{answer!r} is not one of the choices; {answer_format(choices)}"
    return ""


def quiz(lesson: str, name: str, *, hint: str, choices: str | None = None) -> None:
    """Register quiz question name of lesson (choices: the letters offered, None for a number or value)."""
    if not name.startswith(QUIZ_PREFIX):
        raise ValueError(f"quiz names start with {QUIZ_PREFIX!r}: {name!r}")
    exercise(lesson, name, make_args=lambda seed: (), hint=hint, seeds=(0,), choices=choices,
             call=lambda answer, args: fingerprint(name, answer))


def judge(ex: Exercise, answer: Any) -> Result:
    """Judge an answer to quiz question ex: the explanation comes with a correct answer, never before."""
    if answer is Ellipsis:
        return Result(ex.name, NOT_ATTEMPTED, "replace the `...` with your answer, then run the cell again", ex.hint)
    if msg := problem(ex.name, answer, ex.choices):
        return Result(ex.name, INCORRECT, msg, ex.hint)
    ref, stored = reference(ex.lesson, ex.name), stored_expected(ex.lesson).get(ex.name, {})
    if ref is None and not stored:
        raise LookupError(f"no answer for {ex.name}: neither solutions/{ex.lesson}.ipynb nor stored data were found "
                          "(reinstall the course, or run it from its own folder)")
    want = fingerprint(ex.name, ref) if ref is not None else stored[0]
    if fingerprint(ex.name, answer) != want:
        return Result(ex.name, INCORRECT, "not this one; think it through again", ex.hint)
    why = explanation(ex.lesson, ex.name) if ref is not None else unseal(stored["why"], ex.name, answer)
    return Result(ex.name, CORRECT, why)
