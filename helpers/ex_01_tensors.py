"""Exercises of 01_tensors: shapes, creation, dtypes, seeding, indexing, matmul, reductions, joining."""
from __future__ import annotations

import torch

from helpers.exercises import exercise

LESSON = "01_tensors"


def _gen(seed: int) -> torch.Generator:
    """Return a CPU generator seeded from the exercise seed."""
    return torch.Generator().manual_seed(seed)


def _size(seed: int, low: int, span: int) -> int:
    """Return a size in [low, low + span) that varies with seed."""
    return low + seed % span


def _args_tensor_facts(seed: int) -> tuple:
    shape = tuple(_size(seed + k, 2, 3) for k in range(1 + seed % 4))
    return (torch.zeros(shape),)


@exercise(LESSON, make_args=_args_tensor_facts,
          hint="A tensor knows how many dimensions and elements it has; torch.Size is already a tuple.")
def tensor_facts(x: torch.Tensor) -> tuple:
    """Reference: (number of dimensions, shape as a tuple, number of elements)."""
    return (x.ndim, tuple(x.shape), x.numel())


def _args_scaled_identity(seed: int) -> tuple:
    return (_size(seed, 2, 5), float(seed % 7) - 2.5)


@exercise(LESSON, make_args=_args_scaled_identity,
          hint="Only the diagonal holds value; every other entry must stay 0. Which creator makes a diagonal?")
def scaled_identity(n: int, value: float) -> torch.Tensor:
    """Reference: an n x n float32 tensor with value on the diagonal and zeros elsewhere."""
    return value * torch.eye(n)


def _args_round_to_long(seed: int) -> tuple:
    n = _size(seed, 5, 6)
    return (torch.randn(n, generator=_gen(seed)) * 4,)


@exercise(LESSON, make_args=_args_round_to_long,
          hint="Casting to an integer dtype drops the fractional part (towards zero); it does not round.")
def round_to_long(x: torch.Tensor) -> torch.Tensor:
    """Reference: round every element to the nearest integer and return an int64 tensor."""
    return x.round().long()


def _args_seeded_noise(seed: int) -> tuple:
    return (_size(seed, 2, 4), _size(seed, 3, 3), seed)


def _call_seeded_noise(fn, args: tuple) -> tuple:
    """Return the noise and whether the global random state was left untouched."""
    before = torch.get_rng_state()
    out = fn(*args)
    return out, bool(torch.equal(before, torch.get_rng_state()))


@exercise(LESSON, make_args=_args_seeded_noise, call=_call_seeded_noise,
          hint="Create your own torch.Generator, seed it, and pass it with generator=; "
               "torch.manual_seed changes the global generator everyone else uses.")
def seeded_noise(rows: int, cols: int, seed: int) -> torch.Tensor:
    """Reference: standard normal noise of shape (rows, cols) from a private generator seeded with seed."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(rows, cols, generator=g)


def _args_corners(seed: int) -> tuple:
    r, c = _size(seed, 2, 4), _size(seed + 1, 2, 4)
    return (torch.arange(r * c).reshape(r, c),)


@exercise(LESSON, make_args=_args_corners,
          hint="Two index lists in one bracket are paired element by element. Select the rows first, "
               "then the columns, in two steps.")
def corners(x: torch.Tensor) -> torch.Tensor:
    """Reference: the 2 x 2 tensor of the four corner elements of a 2-D tensor."""
    return x[[0, -1]][:, [0, -1]]


def _args_linear_forward(seed: int) -> tuple:
    g = _gen(seed)
    n, d_in, d_out = _size(seed, 2, 3), _size(seed, 3, 4), _size(seed + 2, 2, 4)
    return (torch.randn(n, d_in, generator=g), torch.randn(d_out, d_in, generator=g),
            torch.randn(d_out, generator=g))


@exercise(LESSON, make_args=_args_linear_forward,
          hint="nn.Linear stores weight with shape (out_features, in_features). Check the inner dimensions.")
def linear_forward(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Reference: what nn.Linear computes for a batch x of shape (n, in_features)."""
    return x @ weight.T + bias


def _args_row_dots(seed: int) -> tuple:
    g = _gen(seed)
    n, d = _size(seed, 2, 4), _size(seed, 3, 3)
    return (torch.randn(n, d, generator=g), torch.randn(n, d, generator=g))


@exercise(LESSON, make_args=_args_row_dots,
          hint="One dot product per row: multiply matching rows and sum over the feature index only. "
               "Which index appears in the output of your einsum?")
def row_dots(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Reference: the dot product of row i of a with row i of b, for every i (1-D result)."""
    return torch.einsum("ij,ij->i", a, b)


def _args_center_columns(seed: int) -> tuple:
    return (torch.randn(_size(seed, 3, 4), _size(seed, 2, 3), generator=_gen(seed)) + seed % 5,)


@exercise(LESSON, make_args=_args_center_columns,
          hint="Average down each column (over the rows) and keep that dimension so it broadcasts back.")
def center_columns(x: torch.Tensor) -> torch.Tensor:
    """Reference: subtract from every column its own mean, so each column has mean 0."""
    return x - x.mean(dim=0, keepdim=True)


def _args_stack_columns(seed: int) -> tuple:
    g = _gen(seed)
    n = _size(seed, 3, 5)
    return (torch.randn(n, generator=g), torch.randn(n, generator=g))


@exercise(LESSON, make_args=_args_stack_columns,
          hint="The result has a NEW dimension of size 2; think about where that new dimension goes.")
def stack_columns(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Reference: join two 1-D tensors of length n as the two columns of an (n, 2) tensor."""
    return torch.stack([a, b], dim=1)


def _args_one_hot_float(seed: int) -> tuple:
    num_classes = _size(seed, 3, 5)
    n = _size(seed, 4, 4)
    return (torch.randint(num_classes, (n,), generator=_gen(seed)), num_classes)


@exercise(LESSON, make_args=_args_one_hot_float,
          hint="Row k of an identity matrix is the one-hot vector for class k; a tensor of row indices "
               "selects many rows at once. Mind the dtype.")
def one_hot_float(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Reference: a float32 (n, num_classes) tensor with a 1 at each label's column."""
    return torch.eye(num_classes)[labels]


def _args_count_above_mean(seed: int) -> tuple:
    return (torch.randn(_size(seed, 4, 5), _size(seed, 2, 3), generator=_gen(seed)),)


@exercise(LESSON, make_args=_args_count_above_mean,
          hint="A comparison gives a bool tensor; summing it counts the True values. "
               "The answer must be a Python int, not a tensor.")
def count_above_mean(x: torch.Tensor) -> int:
    """Reference: how many elements of x are strictly greater than the mean of all elements (a Python int)."""
    return int((x > x.mean()).sum().item())
