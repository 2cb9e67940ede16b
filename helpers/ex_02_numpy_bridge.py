"""Exercises of 02_numpy_bridge: shared memory, copies, conversion back to NumPy, dtype promotion."""
from __future__ import annotations

import numpy as np
import torch

from helpers.exercises import exercise

LESSON = "02_numpy_bridge"


def _rng(seed: int) -> np.random.Generator:
    """Return a NumPy generator seeded from the exercise seed."""
    return np.random.default_rng(seed)


def _array(seed: int, dtype: type = np.float64) -> np.ndarray:
    """Return a small random array whose shape varies with seed."""
    return _rng(seed).standard_normal((2 + seed % 3, 3 + seed % 2)).astype(dtype)


def _call_then_mutate(fn, args: tuple) -> object:
    """Call fn(a), then add 100 to a in place; return what fn returned (a tensor is cloned first)."""
    out = fn(*args)
    np.add(args[0], 100, out=args[0])
    return out.clone() if isinstance(out, torch.Tensor) else out


def _args_shared_tensor(seed: int) -> tuple:
    return (_array(seed),)


@exercise(LESSON, make_args=_args_shared_tensor, call=_call_then_mutate,
          hint="The checker changes the array after your function returns; the tensor must see that change. "
               "Which conversion shares memory instead of copying?")
def shared_tensor(a: np.ndarray) -> torch.Tensor:
    """Reference: a tensor that shares memory with the array a (same dtype)."""
    return torch.from_numpy(a)


def _args_snapshot(seed: int) -> tuple:
    return (_array(seed, (np.float64, np.float32, np.int64)[seed % 3]),)


@exercise(LESSON, make_args=_args_snapshot, call=_call_then_mutate,
          hint="The checker changes the array after your function returns; your tensor must NOT change. "
               "Keep the array's dtype. Which conversion always copies?")
def snapshot(a: np.ndarray) -> torch.Tensor:
    """Reference: an independent copy of a as a tensor, with the same dtype."""
    return torch.tensor(a)


def _args_to_numpy(seed: int) -> tuple:
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(2 + seed % 3, 3, generator=g).requires_grad_(),)


@exercise(LESSON, make_args=_args_to_numpy,
          hint="A tensor that requires grad cannot go to NumPy directly, and neither can a GPU tensor. "
               "Detach it from autograd and bring it to the CPU first.")
def to_numpy(t: torch.Tensor) -> np.ndarray:
    """Reference: the values of any tensor (even one on a GPU that requires grad) as a NumPy array."""
    return t.detach().cpu().numpy()


def _args_promote_all(seed: int) -> tuple:
    g = torch.Generator().manual_seed(seed)
    picks = [(torch.int32, torch.uint8, torch.int64), (torch.float32, torch.int64, torch.float64),
             (torch.bool, torch.int64, torch.int32)][seed % 3]
    n = 3 + seed % 4
    return ([(torch.rand(n, generator=g) * 10).to(dt) for dt in picks],)


@exercise(LESSON, make_args=_args_promote_all,
          hint="PyTorch can tell you the common dtype of two dtypes; fold it over the whole list, "
               "then cast each tensor to it. Do not assume the answer is always a float.")
def promote_all(tensors: list) -> list:
    """Reference: every tensor cast to the one dtype that all of them promote to together."""
    common = tensors[0].dtype
    for t in tensors[1:]:
        common = torch.promote_types(common, t.dtype)
    return [t.to(common) for t in tensors]


def _args_column_means_list(seed: int) -> tuple:
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(3 + seed % 4, 2 + seed % 3, generator=g),)


@exercise(LESSON, make_args=_args_column_means_list,
          hint="The result must be a list of plain Python floats, not a list of tensors.")
def column_means_list(t: torch.Tensor) -> list:
    """Reference: the mean of each column of a 2-D tensor, as a Python list of floats."""
    return t.mean(dim=0).tolist()


def _args_float32_input(seed: int) -> tuple:
    return (_array(seed, (np.float32, np.float64, np.int64)[seed % 3]),)


@exercise(LESSON, make_args=_args_float32_input, call=_call_then_mutate,
          hint="The result must be float32 whatever the array's dtype, AND must not change when the array "
               "changes later. One conversion only copies when it has to, and a float32 array does not have to.")
def float32_input(a: np.ndarray) -> torch.Tensor:
    """Reference: a float32 tensor holding a's values that never shares memory with a."""
    return torch.tensor(a, dtype=torch.float32)


def _args_shares_memory(seed: int) -> tuple:
    rng = _rng(seed)
    pairs = []
    for k in range(4):
        a = rng.standard_normal(4 + (seed + k) % 3)
        kind = (seed + k) % 4
        t = [torch.from_numpy(a), torch.tensor(a), torch.from_numpy(a)[1:], torch.from_numpy(a.copy())][kind]
        pairs.append((a, t))
    return (pairs,)


@exercise(LESSON, make_args=_args_shares_memory,
          call=lambda fn, args: [fn(a, t) for a, t in args[0]],
          hint="A tensor can share memory with an array without starting at the same address (think of a "
               "slice). Convert the tensor back to NumPy without copying and let NumPy decide.")
def shares_memory(a: np.ndarray, t: torch.Tensor) -> bool:
    """Reference: True when the CPU tensor t and the array a share any memory."""
    return bool(np.shares_memory(a, t.numpy()))
