"""Exercises of 01_tensors: shapes, creation, dtypes, seeding, indexing, matmul, reductions, joining."""
from __future__ import annotations

import torch

from helpers.exercises import exercise, generator
from helpers.quiz import quiz

LESSON = "01_tensors"

def _size(seed: int, low: int, span: int) -> int:
    """Return a size in [low, low + span) that varies with seed."""
    return low + seed % span

def _args_tensor_facts(seed: int) -> tuple:
    shape = tuple(_size(seed + k, 2, 3) for k in range(1 + seed % 4))
    return (torch.zeros(shape),)
exercise(LESSON, "tensor_facts", make_args=_args_tensor_facts,
         hint="A tensor knows how many dimensions and elements it has; torch.Size is already a tuple.")
exercise(LESSON, "scaled_identity", make_args=lambda seed: (_size(seed, 2, 5), float(seed % 7) - 2.5),
         hint="Only the diagonal holds value; every other entry must stay 0. Which creator makes a diagonal?")

def _args_round_to_long(seed: int) -> tuple:
    x = torch.randn(_size(seed, 5, 6), generator=generator(seed)) * 4
    return (torch.cat([x, torch.tensor([2.5, -0.5, 3.5, -1.5])]) if seed % 3 == 2 else x,)  # halves: to even
exercise(LESSON, "round_to_long", make_args=_args_round_to_long,
         hint="Casting to an integer dtype drops the fractional part (towards zero); it does not round. "
              "Halves go to the even neighbour, as torch.round does; floor(x + 0.5) does not.")

def _call_seeded_noise(fn, args: tuple) -> tuple:
    """Return the noise and whether the global random state was left untouched."""
    before = torch.get_rng_state()
    out = fn(*args)
    return out, bool(torch.equal(before, torch.get_rng_state()))
exercise(LESSON, "seeded_noise", make_args=lambda seed: (_size(seed, 2, 4), _size(seed, 3, 3), seed),
         call=_call_seeded_noise,
         hint="Create your own torch.Generator, seed it, and pass it with generator=; "
              "torch.manual_seed changes the global generator everyone else uses.")

def _args_corners(seed: int) -> tuple:
    r, c = _size(seed, 2, 4), _size(seed + 1, 2, 4)
    return (torch.arange(r * c).reshape(r, c),)
exercise(LESSON, "corners", make_args=_args_corners,
         hint="Two index lists in one bracket are paired element by element. Select the rows first, "
              "then the columns, in two steps.")

def _args_linear_forward(seed: int) -> tuple:
    g = generator(seed)
    n, d_in, d_out = _size(seed, 2, 3), _size(seed, 3, 4), _size(seed + 2, 2, 4)
    return (torch.randn(n, d_in, generator=g), torch.randn(d_out, d_in, generator=g),
            torch.randn(d_out, generator=g))
exercise(LESSON, "linear_forward", make_args=_args_linear_forward,
         hint="nn.Linear stores weight with shape (out_features, in_features). Check the inner dimensions.")

def _args_row_dots(seed: int) -> tuple:
    g = generator(seed)
    n, d = _size(seed, 2, 4), _size(seed, 3, 3)
    return (torch.randn(n, d, generator=g), torch.randn(n, d, generator=g))
exercise(LESSON, "row_dots", make_args=_args_row_dots,
         hint="One dot product per row: multiply matching rows and sum over the feature index only. "
              "Which index appears in the output of your einsum?")

exercise(LESSON, "center_columns",
         make_args=lambda seed: (torch.randn(_size(seed, 3, 4), _size(seed, 2, 3), generator=generator(seed))
                                 + seed % 5,),
         hint="Average down each column (over the rows) and keep that dimension so it broadcasts back.")

def _args_stack_columns(seed: int) -> tuple:
    g = generator(seed)
    n = _size(seed, 3, 5)
    return (torch.randn(n, generator=g), torch.randn(n, generator=g))
exercise(LESSON, "stack_columns", make_args=_args_stack_columns,
         hint="The result has a NEW dimension of size 2; think about where that new dimension goes.")

def _args_one_hot_float(seed: int) -> tuple:
    num_classes = _size(seed, 3, 5)
    n = _size(seed, 4, 4)
    top = num_classes - (seed % 3 == 1)  # one input never uses the last class: it must still get a column
    return (torch.randint(top, (n,), generator=generator(seed)), num_classes)
exercise(LESSON, "one_hot_float", make_args=_args_one_hot_float,
         hint="Row k of an identity matrix is the one-hot vector for class k; a tensor of row indices "
              "selects many rows at once. Mind the dtype.")
def _args_count_above_mean(seed: int) -> tuple:
    if seed % 3 == 1:  # whole numbers, several of them equal to the mean: "strictly greater" matters
        return (torch.tensor([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0], [4.0, 0.0, 2.0]]) + seed % 5,)
    return (torch.randn(_size(seed, 4, 5), _size(seed, 2, 3), generator=generator(seed)),)
exercise(LESSON, "count_above_mean", make_args=_args_count_above_mean,
         hint="A comparison gives a bool tensor; summing it counts the True values. "
              "The answer must be a Python int, not a tensor.")

# Quiz (answers and explanations live only in the solution notebook)
quiz(LESSON, "quiz_01_1", hint="Section 1: write down the batch's shape, one size per dimension, then count.")
quiz(LESSON, "quiz_01_2", hint="Section 2: what does torch.empty do (and not do) with its memory?", choices="abc")
quiz(LESSON, "quiz_01_3", hint="Section 3: what does casting to an integer do with the fraction?", choices="abc")
quiz(LESSON, "quiz_01_4", hint="Section 8: which dtype does a sum of integers keep, and what kind of division is /?")
quiz(LESSON, "quiz_01_5", hint="Section 7: write each product as (n, k) @ (k, m).", choices="abc")
quiz(LESSON, "quiz_01_6", hint="Sections 8 and 9: the shape keepdim=True leaves, and the dimension cat joins along.")
quiz(LESSON, "quiz_01_7", hint="Section 4: who else draws from the global generator?", choices="abc")
