"""Exercises of 05_devices_and_cuda: choosing devices, moving data, FLOP counts and timing arithmetic."""
from __future__ import annotations

from typing import Any

import torch

from helpers.exercises import Mistake, exercise, generator
from helpers.quiz import quiz

LESSON = "05_devices_and_cuda"

def _args_choose_device(seed: int) -> tuple:
    g = generator(seed)
    cases = [(["cpu", "cuda"], "auto"), (["mps", "cpu"], "auto"), (["cpu"], "auto"), (["cpu", "mps", "cuda"], ""),
             (["cpu", "cuda"], "cpu"), (["cpu"], "cuda"), (["cpu", "cuda"], "cuda:1"), (["mps", "cpu"], "cuda"),
             (["cpu", "mps"], "mps")]
    order = torch.randperm(len(cases), generator=g).tolist()
    return ([list(cases[i][0]) for i in order], [cases[i][1] for i in order])

def _call_choose_device(fn: Any, args: tuple) -> list:
    availables, requests = args
    return [fn(list(a), r) for a, r in zip(availables, requests)]
exercise(LESSON, "choose_device", make_args=_args_choose_device, call=_call_choose_device,
         hint="'auto' (or '') means: the first of cuda, mps, cpu that appears in the list, whatever the list's "
              "order. An explicit name such as 'cuda:1' is usable when its type (the part before ':') is available.")

def _call_to_cpu_float64(fn: Any, args: tuple) -> Any:
    """fn(x); with a GPU (make test-gpu) also fn of x on it, whose result must come back to the CPU."""
    out = fn(*args)
    if torch.cuda.is_available() and (moved := fn(args[0].cuda())).device.type != "cpu":
        raise Mistake(f"for an input on cuda your result stays on {moved.device}")
    return out
exercise(LESSON, "to_cpu_float64",
         make_args=lambda seed: (torch.randn(2 + seed % 3, 3, generator=generator(seed)),), call=_call_to_cpu_float64,
         hint="One call to .to(...) can take a device and a dtype together.")

def _leaf(g: torch.Generator, k: int) -> Any:
    kind = k % 4
    if kind == 0:
        return torch.randn(2, 1 + k % 3, generator=g)
    if kind == 1:
        return torch.randint(0, 9, (3,), generator=g)
    return f"item{k}" if kind == 2 else k

def _args_move_batch(seed: int) -> tuple:
    g = generator(seed)
    batch = {"x": _leaf(g, seed * 4), "y": [_leaf(g, seed + 1), (_leaf(g, seed + 4), _leaf(g, seed + 2))],
             "meta": {"ids": _leaf(g, 1), "name": _leaf(g, 2), "n": _leaf(g, 3 + 4 * seed)}}
    return (batch, torch.device("meta"))

def _summary(value: Any) -> Any:
    """Describe a nested batch as plain data: containers kept, tensors as device/dtype/shape text."""
    if isinstance(value, torch.Tensor):
        return f"tensor on {value.device.type}, {value.dtype}, shape {tuple(value.shape)}"
    if isinstance(value, dict):
        return {"dict": {k: _summary(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {type(value).__name__: [_summary(v) for v in value]}
    return value
exercise(LESSON, "move_batch", make_args=_args_move_batch, call=lambda fn, args: _summary(fn(*args)),
         hint="Recurse: a dict gives a dict, a list a list, a tuple a tuple; tensors are moved; anything else "
              "(strings, numbers) is returned unchanged.")

def _args_standardize(seed: int) -> tuple:
    g = generator(seed)
    f = 2 + seed % 4
    x = torch.randn(5, f, generator=g)
    return (x, torch.randn(f, generator=g).tolist(), (torch.rand(f, generator=g) + 0.5).tolist())

def _call_standardize(fn: Any, args: tuple) -> Any:
    """Values judged on the CPU; the device alone checked on CUDA when there is one, else on `meta`.

    Meta tensors have no values: an answer that reads values (.item(), printing) cannot be judged there and is
    not rejected for it; only a device mix-up counts.
    """
    x, mean, std = args
    out = fn(x, mean, std)
    device = "cuda" if torch.cuda.is_available() else "meta"
    try:
        moved = fn(x.to(device), mean, std)
    except RuntimeError as err:
        if "device" in str(err):
            raise Mistake(f"for an input on {device} your function fails: {err}") from None
        return out
    except (NotImplementedError, TypeError):  # reading the values of a meta tensor
        return out
    if moved.device.type != device:
        raise Mistake(f"for an input on {device} your result is on {moved.device}: create tensors on x.device")
    return out
exercise(LESSON, "standardize_on_device", make_args=_args_standardize, call=_call_standardize,
         hint="Every tensor you create inside the function must live where x lives: "
              "look at the `device=` argument of torch.tensor.")

def _args_matmul_flops(seed: int) -> tuple:
    g = generator(seed)
    m, k, n = (torch.randint(1, 4096, (3,), generator=g) + seed).tolist()
    return (m, k, n)
exercise(LESSON, "matmul_flops", make_args=_args_matmul_flops,
         hint="Each of the m*n outputs is a dot product of length k: count k multiply-adds, 2 FLOPs each "
              "(the convention of section 6).")

def _args_achieved_tflops(seed: int) -> tuple:
    g = generator(seed)
    n = int(torch.randint(64, 8192, (1,), generator=g))
    return (n, float(torch.rand(1, generator=g)) * 1e-2 + 1e-5)
exercise(LESSON, "achieved_tflops", make_args=_args_achieved_tflops, rtol=1e-9,
         hint="FLOPs of a square n x n matmul divided by the seconds it took, expressed in units of 10**12.")

def _args_gpu_wins_from(seed: int) -> tuple:
    g = generator(seed)
    sizes = [2**i for i in range(4, 4 + 5 + seed % 3)]
    cpu = [float(1e-6 * s**3 / 1e4 + 1e-5) for s in sizes]
    gpu = [float(2e-5 + 1e-9 * s**2) for s in sizes]
    cases = [(sizes, cpu, gpu)]
    flip = int(torch.randint(1, len(sizes) - 1, (1,), generator=g))  # a noisy point: GPU wins once, then loses
    noisy = list(gpu)
    noisy[flip - 1] = cpu[flip - 1] / 2
    noisy[flip] = cpu[flip] * 2
    cases.append((sizes, cpu, noisy))
    cases.append((sizes, cpu, [c * 3 for c in cpu]))  # the GPU never wins
    cases.append((sizes, cpu, [c / 3 for c in cpu]))  # the GPU always wins
    tie = [c / 3 for c in cpu]
    tie[1] = cpu[1]  # equally fast at one size: that is not faster
    cases.append((sizes, cpu, tie))
    return (cases,)
exercise(LESSON, "gpu_wins_from", make_args=_args_gpu_wins_from,
         call=lambda fn, args: [fn(list(s), list(c), list(gp)) for s, c, gp in args[0]],
         hint="Walk from the largest size down: the answer is the smallest size from which the GPU is faster at "
              "that size and at every larger one. None if it is not faster even at the largest size.")

# Quiz (answers and explanations live only in the solution notebook)
quiz(LESSON, "quiz_05_1", hint="Section 3: is Tensor.to in place?", choices="abc")
quiz(LESSON, "quiz_05_2", hint="Section 3: where does the result of .to(device) live, and when is it the same tensor?")
quiz(LESSON, "quiz_05_3", hint="Section 6: what does a CUDA call do before the GPU has finished?", choices="abc")
quiz(LESSON, "quiz_05_4", hint="Section 7: a small matmul's work versus the fixed cost of a GPU call.", choices="abc")
quiz(LESSON, "quiz_05_5", hint="Section 4: how does .to differ for a Module and for a tensor?", choices="abc")
quiz(LESSON, "quiz_05_6", hint="Section 5: which inputs on another device count as constants?", choices="abc")
