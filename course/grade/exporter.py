"""Kernel side of grading: compute a submission's answers on the grader's inputs and save them as plain data.

The grader sends this module's source text into each submission's kernel and calls :func:`export_answers`
there after the cell that defines an exercise. It may import only torch, numpy and helpers (the kernel has no
``course`` package). Nothing it writes is trusted: the grader loads the file with ``weights_only`` and checks
that it is plain data before judging it in its own process.
"""
from __future__ import annotations

from typing import Any

NUMPY_TAG = "__course_numpy__"  # the tag helpers.references.unpack understands
MAX_DEPTH = 32


def _numpy() -> Any:
    """The numpy module, or None when it is not installed."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def plain(value: Any, depth: int = 0) -> Any:
    """Copy value as plain data (exact CPU tensors, numbers, str, None, lists, tuples, dicts); raise TypeError."""
    import torch

    np, kind = _numpy(), type(value)
    if depth > MAX_DEPTH:
        raise TypeError(f"a value nested more than {MAX_DEPTH} levels deep")
    if value is None or kind in (bool, int, float, str):
        return value
    if isinstance(value, torch.Tensor):
        if kind not in (torch.Tensor, torch.nn.Parameter):
            raise TypeError(f"a {kind.__name__} (a tensor subclass)")
        value = value.detach().to("cpu", copy=True)
        return value if type(value) is torch.Tensor else value.as_subclass(torch.Tensor)
    if np is not None and isinstance(value, np.ndarray) and value.dtype != object:
        return {NUMPY_TAG: torch.from_numpy(np.array(value, copy=True))}
    if np is not None and isinstance(value, np.generic):
        return plain(value.item(), depth + 1)
    if isinstance(value, (list, tuple)):
        items = list.__iter__(value) if isinstance(value, list) else tuple.__iter__(value)
        copied = [plain(item, depth + 1) for item in items]
        return copied if isinstance(value, list) else tuple(copied)
    if isinstance(value, dict):
        return {_plain_key(key): plain(item, depth + 1) for key, item in dict.items(value)}
    raise TypeError(f"a {kind.__module__}.{kind.__qualname__}")


def _plain_key(key: Any) -> Any:
    """Return key when it may be a key of plain data, else raise TypeError."""
    if key is not None and type(key) not in (str, int, bool, float):
        raise TypeError(f"a dict with a {type(key).__name__} key")
    return key


def error_text(err: BaseException) -> str:
    """'Type: message' of an exception, short, even when its __str__ misbehaves."""
    try:
        return f"{type(err).__name__}: {err}"[:300]
    except BaseException:  # a hostile __str__
        return type(err).__name__


def run_cases(spec: Any, fn: Any, seeds: list[int]) -> list[dict]:
    """Call fn on each seed's inputs through the exercise spec; stop at the first failure."""
    from helpers.exercises import guarded
    from helpers.notebook_format import STUB

    records: list[dict] = []
    for seed in seeds:
        try:
            value = spec.run(guarded(spec, fn), seed)  # as the notebook's check does: inputs must stay unchanged
        except NotImplementedError as err:
            if STUB in error_text(err):  # the stub's own line; torch's NotImplementedError is a real error
                return records + [{"seed": seed, "status": "not_attempted", "message": ""}]
            return records + [{"seed": seed, "status": "exception", "message": error_text(err)}]
        except KeyboardInterrupt:
            return records + [{"seed": seed, "status": "timeout", "message": ""}]
        except BaseException as err:  # the student's code failed: record how
            return records + [{"seed": seed, "status": "exception", "message": error_text(err)}]
        try:
            records.append({"seed": seed, "status": "value", "value": plain(value)})
        except BaseException as err:  # not plain data (or a hostile object): record why
            return records + [{"seed": seed, "status": "not_plain", "message": error_text(err)}]
    return records


def quiz_records(spec: Any, answer: Any, seeds: list[int]) -> list[dict]:
    """The records of a quiz answer: not attempted (`...`), not a possible answer, or its fingerprint."""
    from helpers.quiz import problem

    if answer is Ellipsis:
        return [{"seed": seeds[0] if seeds else 0, "status": "not_attempted", "message": ""}]
    try:
        msg = problem(spec.name, answer, spec.choices)
        value = "" if msg else spec.run(answer, 0)
    except BaseException as err:  # a hostile object: record why
        msg = error_text(err)
    if msg:
        return [{"seed": seeds[0] if seeds else 0, "status": "bad_answer", "message": msg[:300]}]
    return [{"seed": seed, "status": "value", "value": value} for seed in seeds]


def exercise_spec(lesson: str, name: str) -> Any:
    """The registered spec of exercise name, importing only its lesson's module."""
    import importlib

    from helpers.exercises import REGISTRY

    importlib.import_module("helpers.ex_" + lesson)
    return REGISTRY[name]


def answer_records(namespace: dict, lesson: str, name: str, seeds: list[int]) -> list[dict]:
    """The records of one exercise: missing, not callable, or one per seed until the first failure."""
    fn = namespace.get(name, None)
    if fn is None:
        return [{"seed": -1, "status": "missing", "message": ""}]
    if name.startswith("quiz_"):  # an answer value: its fingerprint is compared, on every seed alike
        return quiz_records(exercise_spec(lesson, name), fn, seeds)
    if not callable(fn):
        return [{"seed": -1, "status": "not_callable", "message": type(fn).__name__}]
    return run_cases(exercise_spec(lesson, name), fn, seeds)


def export_answers(namespace: dict, lesson: str, name: str, seeds: list[int], path: str) -> None:
    """Save the answers of exercise name (found in namespace) on seeds to path, with torch.save."""
    import torch

    torch.save({"name": name, "records": answer_records(namespace, lesson, name, seeds)}, path)
