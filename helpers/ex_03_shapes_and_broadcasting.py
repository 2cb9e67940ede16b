"""Exercises of notebook 03 (shapes, views and broadcasting): references, inputs and hints."""
from __future__ import annotations

from typing import Any, Callable

import torch

from helpers.exercises import exercise

LESSON = "03_shapes_and_broadcasting"


def _gen(seed: int) -> torch.Generator:
    """A torch.Generator seeded for one test case."""
    return torch.Generator().manual_seed(seed)


def _args_as_matrix(seed: int) -> tuple:
    n_cols = 2 + seed % 4
    n_rows = n_cols + 1 + seed % 2
    return (torch.randn(n_rows * n_cols, generator=_gen(seed)), n_cols)


@exercise(LESSON, make_args=_args_as_matrix,
          hint="Which dimension do you know (the columns), and how can PyTorch work out the other one?")
def as_matrix(x: torch.Tensor, n_cols: int) -> torch.Tensor:
    """Reference: the elements of x, read row by row into a matrix with n_cols columns."""
    return x.view(-1, n_cols)


def _args_transposed_copy(seed: int) -> tuple:
    shape = (2 + seed % 2, 3 + seed % 3, 6 + seed % 2)
    return (torch.randn(*shape, generator=_gen(seed)),)


def _with_contiguity(fn: Callable[..., Any], args: tuple) -> dict:
    """Call fn and report its result together with whether the result is contiguous."""
    out = fn(*args)
    return {"result": out, "is contiguous": isinstance(out, torch.Tensor) and out.is_contiguous()}


@exercise(LESSON, make_args=_args_transposed_copy, call=_with_contiguity,
          hint="Swapping dimensions only changes the strides; the result must also be laid out in order in memory.")
def transposed_copy(x: torch.Tensor) -> torch.Tensor:
    """Reference: x with its last two dimensions swapped, laid out contiguously in memory."""
    return x.transpose(-2, -1).contiguous()


def _args_nhwc(seed: int) -> tuple:
    n, h, w = 1 + seed % 3, 3 + seed % 2, 4 + seed % 3
    return (torch.randn(n, h, w, 3, generator=_gen(seed)),)


@exercise(LESSON, make_args=_args_nhwc,
          hint="The values must move with their dimensions: re-cutting the storage into a new shape is not enough.")
def nhwc_to_nchw(x: torch.Tensor) -> torch.Tensor:
    """Reference: x of shape (N, H, W, C) as (N, C, H, W)."""
    return x.permute(0, 3, 1, 2)


def _args_pairwise(seed: int) -> tuple:
    g = _gen(seed)
    n = 3 + seed % 3
    return (torch.randn(n, generator=g), torch.randn(n + 1 + seed % 2, generator=g))


@exercise(LESSON, make_args=_args_pairwise,
          hint="Give a and b each a size-1 dimension so that a runs down the rows and b along the columns.")
def pairwise_differences(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Reference: out[i, j] = a[i] - b[j]."""
    return a[:, None] - b[None, :]


def _args_center(seed: int) -> tuple:
    rows = 3 + seed % 3
    return (torch.randn(rows, rows + 2, generator=_gen(seed)) + 5.0,)


def _in_place_outcome(fn: Callable[..., Any], args: tuple) -> dict:
    """Call fn on x and report x afterwards, and whether fn returned x itself."""
    x = args[0]
    out = fn(x)
    return {"x after the call": x, "returned x itself": out is x}


@exercise(LESSON, make_args=_args_center, call=_in_place_outcome,
          hint="Only operations whose names end in '_' (or augmented assignments) change x itself; "
               "the means must broadcast along the rows.")
def center_columns_(x: torch.Tensor) -> torch.Tensor:
    """Reference: x with each column's mean subtracted, modified in place."""
    return x.sub_(x.mean(dim=0, keepdim=True))


def _args_broadcast_shape(seed: int) -> tuple:
    g = _gen(seed)
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
    return (tuple(a), tuple(b))


@exercise(LESSON, make_args=_args_broadcast_shape, seeds=(0, 1, 2, 3, 4, 5, 6, 7),
          hint="Align the two shapes on the right (pad the shorter one with 1s on the left), "
               "then look at each pair of sizes.")
def broadcast_shape(shape_a: tuple, shape_b: tuple) -> tuple | None:
    """Reference: the shape of a + b for tensors of these shapes, or None."""
    n = max(len(shape_a), len(shape_b))
    a = (1,) * (n - len(shape_a)) + tuple(shape_a)
    b = (1,) * (n - len(shape_b)) + tuple(shape_b)
    if any(da != db and 1 not in (da, db) for da, db in zip(a, b)):
        return None
    return tuple(db if da == 1 else da for da, db in zip(a, b))


def _args_batch_outer(seed: int) -> tuple:
    g = _gen(seed)
    batch, n = 2 + seed % 3, 3 + seed % 2
    return (torch.randn(batch, n, generator=g), torch.randn(batch, n + 2, generator=g))


@exercise(LESSON, make_args=_args_batch_outer,
          hint="Give a a size-1 last dimension and b a size-1 middle dimension, then let broadcasting work.")
def batch_outer(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Reference: one outer product per row of a and b."""
    return a.unsqueeze(2) * b.unsqueeze(1)
