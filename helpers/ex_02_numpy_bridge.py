"""Exercises of 02_numpy_bridge: shared memory, copies, conversion back to NumPy, dtype promotion."""
from __future__ import annotations

import numpy as np
import torch

from helpers.exercises import Mistake, exercise, generator
from helpers.quiz import quiz

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
exercise(LESSON, "shared_tensor", make_args=lambda seed: (_array(seed),), call=_call_then_mutate,
         hint="The checker changes the array after your function returns; the tensor must see that change. "
              "Which conversion shares memory instead of copying?")
exercise(LESSON, "snapshot", make_args=lambda seed: (_array(seed, (np.float64, np.float32, np.int64)[seed % 3]),),
         call=_call_then_mutate,
         hint="The checker changes the array after your function returns; your tensor must NOT change. "
              "Keep the array's dtype. Which conversion always copies?")

def _call_to_numpy(fn, args: tuple) -> object:
    """fn(t); with a GPU (make test-gpu) also fn of the same tensor on it, which must give the same array."""
    out = fn(*args)
    if torch.cuda.is_available():
        on_gpu = fn(args[0].detach().cuda().requires_grad_())
        if not isinstance(on_gpu, np.ndarray) or not np.allclose(on_gpu, out):
            raise Mistake("for the same tensor on cuda your function does not return the same NumPy array")
    return out
exercise(LESSON, "to_numpy",
         make_args=lambda seed: (torch.randn(2 + seed % 3, 3, generator=generator(seed)).requires_grad_(),),
         call=_call_to_numpy,
         hint="A tensor that requires grad cannot go to NumPy directly, and neither can a GPU tensor. "
              "Detach it from autograd and bring it to the CPU first.")

def _args_promote_all(seed: int) -> tuple:
    g = generator(seed)
    picks = [(torch.int32, torch.uint8, torch.int64), (torch.float32, torch.int64, torch.float64),
             (torch.bool, torch.int64, torch.int32)][seed % 3]
    n = 3 + seed % 4
    return ([(torch.rand(n, generator=g) * 10).to(dt) for dt in picks],)
exercise(LESSON, "promote_all", make_args=_args_promote_all,
         hint="PyTorch can tell you the common dtype of two dtypes; fold it over the whole list, "
              "then cast each tensor to it. Do not assume the answer is always a float.")

exercise(LESSON, "column_means_list",
         make_args=lambda seed: (torch.randn(3 + seed % 4, 2 + seed % 3, generator=generator(seed)),),
         hint="The result must be a list of plain Python floats, not a list of tensors.")
exercise(LESSON, "float32_input",
         make_args=lambda seed: (_array(seed, (np.float32, np.float64, np.int64)[seed % 3]),), call=_call_then_mutate,
         hint="The result must be float32 whatever the array's dtype, AND must not change when the array "
              "changes later. One conversion only copies when it has to, and a float32 array does not have to.")

def _args_shares_memory(seed: int) -> tuple:
    rng = _rng(seed)
    pairs = []
    for k in range(4):
        a = rng.standard_normal(4 + (seed + k) % 3)
        kind = (seed + k) % 4
        t = [torch.from_numpy(a), torch.tensor(a), torch.from_numpy(a)[1:], torch.from_numpy(a.copy())][kind]
        pairs.append((a, t))
    even = rng.standard_normal(8)  # interleaved: a[0::2] and a[1::2] overlap in range, share no element
    pairs += [(even[0::2], torch.from_numpy(even[1::2])), (even[0::2], torch.from_numpy(even[2::2]))]
    return (pairs,)
exercise(LESSON, "shares_memory", make_args=_args_shares_memory,
         call=lambda fn, args: [fn(a, t) for a, t in args[0]],
         hint="A tensor can share memory with an array without starting at the same address (think of a "
              "slice). Convert the tensor back to NumPy without copying and let NumPy decide.")

# Quiz (answers and explanations live only in the solution notebook)
quiz(LESSON, "quiz_02_1", hint="Section 1: which NumPy operations write into the buffer, which make a new array?")
quiz(LESSON, "quiz_02_2", hint="Section 2: when does torch.as_tensor have to copy?", choices="abc")
quiz(LESSON, "quiz_02_3", hint="Section 2: can values converted to another dtype stay in place?", choices="abc")
quiz(LESSON, "quiz_02_4",
     hint="Section 4: tensors, 0-dim tensors and Python numbers promote differently.", choices="abc")
quiz(LESSON, "quiz_02_5", hint="Section 3: .numpy() has two requirements, each with its own fix.", choices="abc")
quiz(LESSON, "quiz_02_6", hint="Section 6 times the parts of the popular snippet one by one.", choices="abc")
