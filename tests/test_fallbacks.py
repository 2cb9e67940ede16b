"""The hand-out's library stand-ins: one for every exercise a later cell uses, each doing the exercise's job."""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import torch

from helpers import exercises, references

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location("helpers.fallbacks", ROOT / "course" / "handout" / "fallbacks.py")
fallbacks = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(fallbacks)  # in the hand-out this file is helpers/fallbacks.py
USED_LATER = re.compile(r'answer_or_reference\(\\?"(\w+)\\?"')
USED = sorted({n for p in (ROOT / "solutions").glob("*.ipynb") for n in USED_LATER.findall(p.read_text())})
STAND_INS = sorted(n for n in vars(fallbacks) if not n.startswith("_") and callable(getattr(fallbacks, n))
                   and n in exercises.load_all())
# Stand-ins that do the job but not the exercise to the letter: other random draws; extra (p=0) dropout layers.
NOT_TO_THE_LETTER = {"random_hflip", "build_mlp"}


def test_every_exercise_used_by_later_cells_has_a_stand_in_and_no_other():
    assert USED, "no answer_or_reference calls found in solutions/"
    assert STAND_INS == USED


@pytest.mark.parametrize("name", sorted(set(USED) - NOT_TO_THE_LETTER))
def test_stand_in_passes_the_exercise_check(name):
    result = exercises.check(name, getattr(fallbacks, name))
    assert result.passed, str(result)


def test_random_hflip_stand_in_flips_whole_images_and_is_reproducible_from_the_generator():
    images = torch.rand(64, 3, 4, 5)
    first = fallbacks.random_hflip(images, torch.Generator().manual_seed(3))
    again = fallbacks.random_hflip(images, torch.Generator().manual_seed(3))
    assert torch.equal(first, again) and first.shape == images.shape
    flipped = torch.tensor([torch.equal(f, i.flip(-1)) for f, i in zip(first, images)])
    kept = torch.tensor([torch.equal(f, i) for f, i in zip(first, images)])
    assert bool((flipped | kept).all()) and 0 < int(flipped.sum()) < 64


def test_build_mlp_stand_in_computes_the_same_network():
    ref = references.reference("06_nn_training", "build_mlp")(3, 7, 2)
    mlp = fallbacks.build_mlp(3, 7, 2)
    linears = [m for m in mlp if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 2 and sum(p.numel() for p in mlp.parameters()) == sum(p.numel() for p in ref.parameters())
    with torch.no_grad():
        for mine, theirs in zip(linears, [ref[0], ref[2]]):
            mine.weight.copy_(theirs.weight)
            mine.bias.copy_(theirs.bias)
    x = torch.randn(5, 3)
    torch.testing.assert_close(mlp(x), ref(x))


def test_without_solutions_later_cells_get_the_stand_in_and_say_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "helpers.fallbacks", fallbacks)
    monkeypatch.setenv(references.SOLUTIONS_ENV, str(tmp_path / "none"))
    references.reference.cache_clear()
    monkeypatch.setattr(references, "EXPECTED_DIR", tmp_path)  # the hand-out stores expected outputs as data
    ex = exercises.get("broadcast_shape")
    torch.save({ex.name: {s: (1, 1) for s in ex.seeds}}, tmp_path / f"{ex.lesson}.pt")
    references.stored_expected.cache_clear()
    try:
        def unsolved(a, b):
            raise NotImplementedError
        fn = exercises.answer_or_reference("broadcast_shape", unsolved)
        assert fn is fallbacks.broadcast_shape
        assert "Using a library equivalent of broadcast_shape" in capsys.readouterr().out
    finally:
        references.reference.cache_clear()
        references.stored_expected.cache_clear()


def test_the_repository_runtime_has_no_stand_ins():
    assert not (ROOT / "helpers" / "fallbacks.py").exists()
    assert importlib.util.find_spec("helpers.fallbacks") is None


def test_in_the_repository_later_cells_get_the_solution_itself(capsys):
    def unsolved(a, b):
        raise NotImplementedError
    fn = exercises.answer_or_reference("broadcast_shape", unsolved)
    assert fn is references.reference("03_shapes_and_broadcasting", "broadcast_shape")
    assert "course's reference broadcast_shape" in capsys.readouterr().out
