"""Exercises of notebook 03 (shapes, views and broadcasting): references, inputs and hints."""
from __future__ import annotations

from typing import Any, Callable

import torch

from helpers.exercises import exercise, generator
from helpers.quiz import quiz

LESSON = "03_shapes_and_broadcasting"

def _args_as_matrix(seed: int) -> tuple:
    n_cols = 2 + seed % 4
    n_rows = n_cols + 1 + seed % 2
    return (torch.randn(n_rows * n_cols, generator=generator(seed)), n_cols)
exercise(LESSON, "as_matrix", make_args=_args_as_matrix,
         hint="Which dimension do you know (the columns), and how can PyTorch work out the other one?")

def _args_transposed_copy(seed: int) -> tuple:
    shape = (2 + seed % 2, 3 + seed % 3, 6 + seed % 2)
    return (torch.randn(*shape, generator=generator(seed)),)

def _with_contiguity(fn: Callable[..., Any], args: tuple) -> dict:
    """Call fn and report its result together with whether the result is contiguous."""
    out = fn(*args)
    return {"result": out, "is contiguous": isinstance(out, torch.Tensor) and out.is_contiguous()}
exercise(LESSON, "transposed_copy", make_args=_args_transposed_copy, call=_with_contiguity,
         hint="Swapping dimensions only changes the strides; the result must also be laid out in order in memory.")

def _args_nhwc(seed: int) -> tuple:
    n, h, w = 1 + seed % 3, 3 + seed % 2, 4 + seed % 3
    return (torch.randn(n, h, w, 3, generator=generator(seed)),)
exercise(LESSON, "nhwc_to_nchw", make_args=_args_nhwc,
         hint="The values must move with their dimensions: re-cutting the storage into a new shape is not enough.")

def _args_pairwise(seed: int) -> tuple:
    g = generator(seed)
    n = 3 + seed % 3
    return (torch.randn(n, generator=g), torch.randn(n + 1 + seed % 2, generator=g))
exercise(LESSON, "pairwise_differences", make_args=_args_pairwise,
         hint="Give a and b each a size-1 dimension so that a runs down the rows and b along the columns.")

def _args_center(seed: int) -> tuple:
    rows = 3 + seed % 3
    return (torch.randn(rows, rows + 2, generator=generator(seed)) + 5.0,)

def _in_place_outcome(fn: Callable[..., Any], args: tuple) -> dict:
    """Call fn on x and report x afterwards, and whether fn returned x itself."""
    x = args[0]
    out = fn(x)
    return {"x after the call": x, "returned x itself": out is x}
exercise(LESSON, "center_columns_", make_args=_args_center, call=_in_place_outcome, mutates=True,
         hint="Only operations whose names end in '_' (or augmented assignments) change x itself; "
              "the means must broadcast along the rows.")

def _args_broadcast_shape(seed: int) -> tuple:
    g = generator(seed)
    n_a = 2 + int(torch.randint(0, 3, (1,), generator=g))
    base = [int(s) for s in torch.randint(2, 6, (n_a,), generator=g)]
    n_b = max(1, n_a - 1 - seed % 2)
    a, b = list(base), list(base[n_a - n_b:])
    ones = torch.rand(n_a + n_b, generator=g) < 0.4
    a = [1 if ones[i] else s for i, s in enumerate(a)]
    b = [1 if ones[n_a + i] else s for i, s in enumerate(b)]
    if seed % 3 == 2:  # make one aligned pair incompatible
        a[-1], b[-1] = base[-1], base[-1] + 1
    if seed % 4 == 3:
        a, b = b, a
    if seed % 8 == 5:  # an empty dimension broadcasts against 1 (to 0), not against 2
        a, b = (3, 0), (1,)
    return (tuple(a), tuple(b))
exercise(LESSON, "broadcast_shape", make_args=_args_broadcast_shape, seeds=(0, 1, 2, 3, 4, 5, 6, 7),
         hint="Align the two shapes on the right (pad the shorter one with 1s on the left), "
              "then look at each pair of sizes.")

def _args_batch_outer(seed: int) -> tuple:
    g = generator(seed)
    batch, n = 2 + seed % 3, 3 + seed % 2
    return (torch.randn(batch, n, generator=g), torch.randn(batch, n + 2, generator=g))
exercise(LESSON, "batch_outer", make_args=_args_batch_outer,
         hint="Give a a size-1 last dimension and b a size-1 middle dimension, then let broadcasting work.")

# Quiz (answers and explanations live only in the solution notebook)
quiz(LESSON, "quiz_03_1", hint="Section 2: is m.t() contiguous, and what does reshape do when view cannot work?")
quiz(LESSON, "quiz_03_2", hint="Section 5: align the shapes on the right, then compare each pair of sizes.")
quiz(LESSON, "quiz_03_3", hint="Section 5, 'The silent trap'.")
quiz(LESSON, "quiz_03_4", hint="Section 7: which of the three lines work in place, and on which memory?")
quiz(LESSON, "quiz_03_5", hint="Sections 4 and 6: what do clone() and basic indexing return?")
quiz(LESSON, "quiz_03_6", hint="Section 4: expanded strides; which of these operations copy?", choices="abc")
