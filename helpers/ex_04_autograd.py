"""Exercises of notebook 04 (autograd): references, inputs and hints."""
from __future__ import annotations

from typing import Any, Callable

import torch

from helpers.exercises import exercise

LESSON = "04_autograd"
_DTYPES = (torch.int64, torch.float32, torch.float64)
_NO_TRACE = " Leave no trace: the inputs must come back unchanged and what you return must not require grad."


def _gen(seed: int) -> torch.Generator:
    """A torch.Generator seeded for one test case."""
    return torch.Generator().manual_seed(seed)


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
    g, dtype = _gen(seed), _DTYPES[seed % 3]
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


@exercise(LESSON, make_args=_args_make_trainable, call=_trainable_outcome,
          hint="Some conversions return the very same tensor when there is nothing to convert; "
               "make sure you have your own float32 copy before switching tracking on.")
def make_trainable(x: torch.Tensor) -> torch.Tensor:
    """Reference: a float32 copy of x that requires grad; x itself is left alone."""
    return x.detach().to(torch.float32, copy=True).requires_grad_()


def _args_vector(seed: int) -> tuple:
    return (torch.randn(4 + seed % 5, generator=_gen(seed)) * 2,)


@exercise(LESSON, make_args=_args_vector, call=_clean_call,
          hint="Build f from a copy of x that requires grad, then ask autograd for the gradient." + _NO_TRACE)
def grad_of_f(x: torch.Tensor) -> torch.Tensor:
    """Reference: the gradient of sum(x**2 * sin(x)) at x."""
    xg = x.detach().clone().requires_grad_()
    (grad,) = torch.autograd.grad((xg ** 2 * torch.sin(xg)).sum(), xg)
    return grad


@exercise(LESSON, make_args=_args_vector, call=_clean_call,
          hint="Differentiate 1 / (1 + exp(-t)) with the chain rule, then write the result using sigmoid(t) itself.")
def sigmoid_grad(t: torch.Tensor) -> torch.Tensor:
    """Reference: sigma'(t) = sigma(t) * (1 - sigma(t))."""
    s = torch.sigmoid(t)
    return s * (1 - s)


def _args_predict(seed: int) -> tuple:
    g = _gen(seed)
    d, n = 2 + seed % 3, 5 + seed % 4
    w = torch.randn(d, generator=g).requires_grad_()
    b = torch.randn((), generator=g).requires_grad_()
    return (w, b, torch.randn(n, d, generator=g))


@exercise(LESSON, make_args=_args_predict, call=_clean_call,
          hint="Which context manager stops autograd from recording operations?" + _NO_TRACE)
def predict_no_graph(w: torch.Tensor, b: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """Reference: X @ w + b without recording a graph."""
    with torch.no_grad():
        return X @ w + b


def _line_data(seed: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n noisy points on a random line."""
    g = _gen(seed)
    X = torch.rand(n, generator=g) * 2 - 1
    slope, intercept = torch.randn(2, generator=g) * 2
    return X, slope * X + intercept + 0.1 * torch.randn(n, generator=g)


def _args_line_params(seed: int) -> tuple:
    X, y = _line_data(seed, 10 + seed % 7)
    w, b = torch.randn(2, generator=_gen(seed + 1))
    return (w.clone(), b.clone(), X, y)


@exercise(LESSON, make_args=lambda seed: _args_line_params(seed) + (0.05 + 0.05 * (seed % 3),),
          call=_clean_call,
          hint="Get the gradient of the MSE for copies of w and b that require grad, "
               "then move each parameter a step of size lr against its gradient." + _NO_TRACE)
def gd_step(w: torch.Tensor, b: torch.Tensor, X: torch.Tensor, y: torch.Tensor, lr: float) -> tuple:
    """Reference: (w, b) after one gradient-descent step on mean((w*X + b - y)**2)."""
    residual = w * X + b - y
    return w - lr * 2 * (residual * X).mean(), b - lr * 2 * residual.mean()


@exercise(LESSON, make_args=_args_line_params, call=_clean_call,
          hint="Use the chain rule on each squared residual; do not forget the derivative of the square, "
               "nor the 1/n of the mean.")
def mse_grads(w: torch.Tensor, b: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> tuple:
    """Reference: hand-derived gradients of mean((w*X + b - y)**2) with respect to w and b."""
    residual = w * X + b - y
    return 2 * (residual * X).mean(), 2 * residual.mean()


def _args_fit_line(seed: int) -> tuple:
    X, y = _line_data(seed, 20 + seed % 11)
    return (X, y, 0.1 + 0.05 * (seed % 3), 15 + seed % 10)


@exercise(LESSON, make_args=_args_fit_line, call=_clean_call, rtol=1e-4, atol=1e-5,
          hint="Each step needs the gradient of the current loss only: gradients from earlier steps "
               "must not leak into it." + _NO_TRACE)
def fit_line(X: torch.Tensor, y: torch.Tensor, lr: float, num_epochs: int) -> tuple:
    """Reference: slope and intercept after num_epochs gradient-descent steps from zero."""
    w = torch.zeros((), device=X.device, requires_grad=True)
    b = torch.zeros((), device=X.device, requires_grad=True)
    for _ in range(num_epochs):
        loss = ((w * X + b - y) ** 2).mean()
        dw, db = torch.autograd.grad(loss, (w, b))
        with torch.no_grad():
            w -= lr * dw
            b -= lr * db
    return w.detach(), b.detach()
