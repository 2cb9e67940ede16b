"""Exercises of notebook 04 (autograd): references, inputs and hints."""
from __future__ import annotations

from typing import Any, Callable

import torch

from helpers.exercises import exercise, generator
from helpers.quiz import quiz

LESSON = "04_autograd"
_DTYPES = (torch.int64, torch.float32, torch.float64)
_NO_TRACE = " Leave no trace: the inputs must come back unchanged and what you return must not require grad."

def _tensors(value: Any) -> list[torch.Tensor]:
    """The tensors in value (a tensor, or a tuple/list of them)."""
    items = value if isinstance(value, (tuple, list)) else (value,)
    return [v for v in items if isinstance(v, torch.Tensor)]

def _clean_call(fn: Callable[..., Any], args: tuple) -> dict:
    """Call fn and report its result, whether that result requires grad, and whether it changed its inputs."""
    before = [(a.detach().clone(), a.requires_grad) if isinstance(a, torch.Tensor) else None for a in args]
    out = fn(*args)
    changed = any(isinstance(a, torch.Tensor) and (a.requires_grad != req or a.grad is not None
                                                   or not torch.equal(a.detach(), copy))
                  for a, (copy, req) in ((a, s) for a, s in zip(args, before) if s is not None))
    return {"result": out,
            "result requires grad": any(t.requires_grad for t in _tensors(out)),
            "inputs changed": changed}

def _args_make_trainable(seed: int) -> tuple:
    g, dtype = generator(seed), _DTYPES[seed % 3]
    n = 3 + seed % 4
    if dtype == torch.int64:
        return (torch.randint(-5, 6, (n,), generator=g),)
    return (torch.randn(n, generator=g).to(dtype),)

def _trainable_outcome(fn: Callable[..., Any], args: tuple) -> dict:
    """Call fn on x and report the result's values and autograd status, and what happened to x."""
    x = args[0]
    out = fn(x)
    if not isinstance(out, torch.Tensor):
        return {"result": out}
    return {"result": out.detach(), "requires grad": out.requires_grad, "is leaf": out.is_leaf,
            "x requires grad": x.requires_grad, "shares memory with x": out.data_ptr() == x.data_ptr()}
exercise(LESSON, "make_trainable", make_args=_args_make_trainable, call=_trainable_outcome,
         hint="Some conversions return the very same tensor when there is nothing to convert; "
              "make sure you have your own float32 copy before switching tracking on.")

def _args_vector(seed: int) -> tuple:
    return (torch.randn(4 + seed % 5, generator=generator(seed)) * 2,)
exercise(LESSON, "grad_of_f", make_args=_args_vector, call=_clean_call,
         hint="Build f from a copy of x that requires grad, then ask autograd for the gradient." + _NO_TRACE)
_HUGE = torch.tensor([-1000.0, -90.0, 90.0, 1000.0])  # exp(-t) overflows for t = -1000: a formula must not
exercise(LESSON, "sigmoid_grad", make_args=lambda seed: (torch.cat([_args_vector(seed)[0], _HUGE]),), call=_clean_call,
         hint="Differentiate 1 / (1 + exp(-t)) with the chain rule, then write the result using sigmoid(t) itself.")

def _args_predict(seed: int) -> tuple:
    g = generator(seed)
    d, n = 2 + seed % 3, 5 + seed % 4
    w = torch.randn(d, generator=g).requires_grad_()
    b = torch.randn((), generator=g).requires_grad_()
    return (w, b, torch.randn(n, d, generator=g))
exercise(LESSON, "predict_no_graph", make_args=_args_predict, call=_clean_call,
         hint="Which context manager stops autograd from recording operations?" + _NO_TRACE)

def _line_data(seed: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n noisy points on a random line."""
    g = generator(seed)
    X = torch.rand(n, generator=g) * 2 - 1
    slope, intercept = torch.randn(2, generator=g) * 2
    return X, slope * X + intercept + 0.1 * torch.randn(n, generator=g)

def _args_line_params(seed: int) -> tuple:
    X, y = _line_data(seed, 10 + seed % 7)
    w, b = torch.randn(2, generator=generator(seed + 1))
    return (w.clone(), b.clone(), X, y)
exercise(LESSON, "gd_step", make_args=lambda seed: _args_line_params(seed) + (0.05 + 0.05 * (seed % 3),),
         call=_clean_call,
         hint="Get the gradient of the MSE for copies of w and b that require grad, "
              "then move each parameter a step of size lr against its gradient." + _NO_TRACE)
exercise(LESSON, "mse_grads", make_args=_args_line_params, call=_clean_call,
         hint="Use the chain rule on each squared residual; do not forget the derivative of the square, "
              "nor the 1/n of the mean.")

def _args_fit_line(seed: int) -> tuple:
    X, y = _line_data(seed, 20 + seed % 11)
    return (X, y, 0.1 + 0.05 * (seed % 3), 15 + seed % 10)
exercise(LESSON, "fit_line", make_args=_args_fit_line, call=_clean_call, rtol=1e-4, atol=1e-5,
         hint="Each step needs the gradient of the current loss only: gradients from earlier steps "
              "must not leak into it." + _NO_TRACE)

# Quiz (answers and explanations live only in the solution notebook)
quiz(LESSON, "quiz_04_1", hint="Section 4 derives this gradient by hand; mind the number of elements.")
quiz(LESSON, "quiz_04_2", hint="Section 5: does backward overwrite .grad?")
quiz(LESSON, "quiz_04_3", hint="Section 5: what does backward free as it goes?", choices="abc")
quiz(LESSON, "quiz_04_4", hint="Section 6: what does autograd forbid for a leaf that requires grad?", choices="abc")
quiz(LESSON, "quiz_04_5", hint="Section 6: what can autograd never do with an inference tensor?", choices="abc")
quiz(LESSON, "quiz_04_6",
     hint="Section 7: float32's significant digits, and what finite differences do.", choices="abc")
