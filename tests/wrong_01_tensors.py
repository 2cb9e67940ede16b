"""Typical wrong answers for the exercises of 01_tensors (each must be judged incorrect)."""
import torch


def _seeded_noise_global(rows, cols, seed):
    torch.manual_seed(seed)  # same numbers, but it resets everyone's global generator
    return torch.randn(rows, cols)


WRONG = {
    "tensor_facts": lambda x: (x.ndim, x.shape, len(x)),
    "scaled_identity": lambda n, value: torch.full((n, n), value),
    "round_to_long": lambda x: x.long(),
    "seeded_noise": _seeded_noise_global,
    "corners": lambda x: x[[0, -1], [0, -1]],
    "linear_forward": lambda x, weight, bias: x @ weight + bias,
    "row_dots": lambda a, b: a @ b.T,
    "center_columns": lambda x: x - x.mean(),
    "stack_columns": lambda a, b: torch.stack([a, b]),
    "one_hot_float": lambda labels, num_classes: torch.nn.functional.one_hot(labels, num_classes),
    "count_above_mean": lambda x: (x > x.mean()).sum(),
    "quiz_01_1": 16384,
    "quiz_01_2": "a",
    "quiz_01_3": "c",
    "quiz_01_4": torch.int64,
    "quiz_01_5": "a",
    "quiz_01_6": (2, 4),
    "quiz_01_7": "a",
}
