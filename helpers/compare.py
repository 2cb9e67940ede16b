"""Compare an answer with an expected value and say what differs, without revealing the expected values."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch


def _shape_hint(got: tuple, expected: tuple) -> str:
    """Guess the usual mistake behind a shape mismatch."""
    if len(got) == len(expected) and sorted(got) == sorted(expected):
        return ": did you transpose or permute the wrong dimensions?"
    if math.prod(got) == math.prod(expected):
        if [d for d in got if d != 1] == [d for d in expected if d != 1]:
            return ": an extra or missing size-1 dimension (squeeze / unsqueeze / keepdim)?"
        return ": same number of elements, so check your view / reshape"
    if len(got) != len(expected):
        return f": {len(got)} dimensions instead of {len(expected)} (did you reduce over the right dim?)"
    return ""


def _tensor_diff(got: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float,
                 check_dtype: bool, where: str) -> str | None:
    """Compare two tensors: shape, dtype, then values."""
    gs, es = tuple(got.shape), tuple(expected.shape)
    if gs != es:
        return f"{where}shape {gs}, expected {es}{_shape_hint(gs, es)}"
    if check_dtype and got.dtype != expected.dtype:
        return f"{where}dtype {got.dtype}, expected {expected.dtype}: cast with .to(...) or check how it was created"
    g, e = got.detach().cpu(), expected.detach().cpu()
    if not g.dtype.is_floating_point and not e.dtype.is_floating_point and not g.is_complex():
        bad = g != e
    else:
        g64, e64 = g.to(torch.float64), e.to(torch.float64)
        close = torch.isclose(g64, e64, rtol=rtol, atol=atol, equal_nan=True)
        bad = ~close
    n_bad = int(bad.sum())
    if n_bad == 0:
        return None
    first = tuple(int(i) for i in bad.nonzero()[0]) if bad.dim() else ()
    return (f"{where}{n_bad} of {bad.numel()} values differ (first at index {first}); "
            f"shape and dtype are right")


def describe(value: Any) -> str:
    """Describe a value by type and shape, never by content (used in messages)."""
    if isinstance(value, torch.Tensor):
        return f"tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, np.ndarray):
        return f"NumPy array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of length {len(value)}"
    return type(value).__name__


def difference(got: Any, expected: Any, *, rtol: float = 1e-5, atol: float = 1e-6,
               check_dtype: bool = True, where: str = "") -> str | None:
    """Return None when got matches expected, else a message saying what differs (never the expected values)."""
    if got is None and expected is not None:
        return f"{where}None: does your function end with a `return` of its result?"
    if isinstance(expected, torch.Tensor):
        if isinstance(got, np.ndarray):
            return f"{where}a NumPy array, expected a torch tensor: convert with torch.from_numpy"
        if not isinstance(got, torch.Tensor):
            return f"{where}a {describe(got)}, expected a {describe(expected)}"
        return _tensor_diff(got, expected, rtol, atol, check_dtype, where)
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            return f"{where}a {describe(got)}, expected a {describe(expected)}"
        return _tensor_diff(torch.from_numpy(got), torch.from_numpy(expected), rtol, atol, check_dtype, where)
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        if type(got) is not type(expected):
            return f"{where}a {describe(got)}, expected a {type(expected).__name__}"
        return None if got == expected else f"{where}not the expected {type(expected).__name__}"
    if isinstance(expected, (int, float)):
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            return f"{where}a one-element tensor, expected a Python number: use .item()"
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return f"{where}a {describe(got)}, expected a Python number"
        if isinstance(expected, int):
            if not isinstance(got, int):
                return f"{where}a {type(got).__name__}, expected an int (convert with int(...))"
            return None if got == expected else f"{where}not the expected integer"
        if math.isclose(float(got), float(expected), rel_tol=rtol, abs_tol=atol):
            return None
        return f"{where}not close enough to the expected number (tolerance {rtol:g} relative, {atol:g} absolute)"
    if isinstance(expected, (tuple, list, dict)):
        return _container_diff(got, expected, rtol, atol, check_dtype, where)
    raise TypeError(f"cannot compare values of type {type(expected).__name__}")


def _container_diff(got: Any, expected: Any, rtol: float, atol: float, check_dtype: bool, where: str) -> str | None:
    """Compare a tuple, list or dict item by item (difference's containers)."""
    options = {"rtol": rtol, "atol": atol, "check_dtype": check_dtype}
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{where}a {describe(got)}, expected a dict"
        missing, extra = set(expected) - set(got), set(got) - set(expected)
        if missing or extra:
            return f"{where}keys differ: missing {sorted(map(str, missing))}, unexpected {sorted(map(str, extra))}"
        pairs = [(got[k], expected[k], f"{where}[{k!r}]: ") for k in expected]
    else:
        if isinstance(expected, tuple) and isinstance(got, torch.Size):
            got = tuple(got)
        if type(got) is not type(expected):
            return f"{where}a {describe(got)}, expected a {type(expected).__name__} of length {len(expected)}"
        if len(got) != len(expected):
            return f"{where}{len(got)} items, expected {len(expected)}"
        pairs = [(g, e, f"{where}item {i}: ") for i, (g, e) in enumerate(zip(got, expected))]
    for g, e, at in pairs:
        msg = difference(g, e, where=at, **options)
        if msg:
            return msg
    return None
