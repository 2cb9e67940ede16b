"""Answers written from the prompts alone (tests/variants_*.py, by reviewers who never saw the references): every
correct variant must be accepted and every typical mistake rejected."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import torch

from helpers import exercises
from helpers.exercises import CORRECT, INCORRECT

VARIANTS: dict[str, dict] = {}
for _path in sorted(Path(__file__).parent.glob("variants_*.py")):
    _found = importlib.import_module(f"tests.{_path.stem}").VARIANTS
    assert not set(_found) & set(VARIANTS), f"{_path.name} repeats variants of {set(_found) & set(VARIANTS)}"
    VARIANTS.update(_found)

REGISTRY = {n: ex for n, ex in exercises.load_all().items() if not ex.is_quiz}  # quizzes: tests/test_quiz.py
CORRECT_CASES = [(n, i) for n, v in VARIANTS.items() for i in range(len(v["correct"]))]
MISTAKES = [(n, label) for n, v in VARIANTS.items() for label, _ in v["mistakes"]]
# Mistakes that only a GPU can show: the checks run these inputs on CUDA too when it is there (make test-gpu).
GPU_ONLY = {("to_numpy", "detach but no .cpu() (GPU forgotten)"), ("to_cpu_float64", "dtype only (stays on device)")}


def test_every_exercise_has_two_correct_variants_and_three_mistakes():
    assert set(VARIANTS) == set(REGISTRY)
    for name, v in VARIANTS.items():
        assert len(v["correct"]) >= 2 and len(v["mistakes"]) >= 3, name


@pytest.mark.parametrize("name, index", CORRECT_CASES, ids=[f"{n}-{i}" for n, i in CORRECT_CASES])
def test_a_correct_variant_is_accepted(name, index):
    result = exercises.check(name, VARIANTS[name]["correct"][index])
    assert result.status == CORRECT, str(result)


@pytest.mark.parametrize("name, label", MISTAKES, ids=[f"{n}-{l}" for n, l in MISTAKES])
def test_a_typical_mistake_is_rejected(name, label):
    if (name, label) in GPU_ONLY and not torch.cuda.is_available():
        pytest.skip("this mistake only shows on a GPU (make test-gpu)")
    fn = dict(VARIANTS[name]["mistakes"])[label]
    result = exercises.check(name, fn)
    assert result.status == INCORRECT, str(result)
    assert result.hint and result.message
