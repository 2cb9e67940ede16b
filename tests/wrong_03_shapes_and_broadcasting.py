"""Typical wrong answers to the exercises of notebook 03 (each must be judged incorrect)."""
import torch


def _broadcast_left_aligned(shape_a: tuple, shape_b: tuple):
    """Aligns the shapes on the left instead of the right."""
    n = max(len(shape_a), len(shape_b))
    a = tuple(shape_a) + (1,) * (n - len(shape_a))
    b = tuple(shape_b) + (1,) * (n - len(shape_b))
    if any(da != db and 1 not in (da, db) for da, db in zip(a, b)):
        return None
    return tuple(max(da, db) for da, db in zip(a, b))


WRONG = {
    "as_matrix": lambda x, n_cols: x.view(n_cols, -1),
    "transposed_copy": lambda x: x.transpose(-2, -1),
    "nhwc_to_nchw": lambda x: x.reshape(x.shape[0], x.shape[3], x.shape[1], x.shape[2]),
    "pairwise_differences": lambda a, b: a[None, :] - b[:, None],
    "center_columns_": lambda x: x - x.mean(dim=0, keepdim=True),
    "broadcast_shape": _broadcast_left_aligned,
    "batch_outer": lambda a, b: a.unsqueeze(1) * b.unsqueeze(2),
    "quiz_03_1": 99,
    "quiz_03_2": (5, 1, 3),
    "quiz_03_3": (64,),
    "quiz_03_4": 5.0,
    "quiz_03_5": 36.0,
    "quiz_03_6": "b",
}
