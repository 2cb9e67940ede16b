"""Typical wrong answers to the exercises of notebook 04 (each must be judged incorrect)."""
import torch


def _grad_of_f_product_rule_forgotten(x):
    """Differentiates x**2 only, forgetting the sin factor's derivative."""
    return 2 * x * torch.sin(x)


def _gd_step_wrong_sign(w, b, X, y, lr):
    """Steps up the gradient instead of down."""
    residual = w * X + b - y
    return w + lr * 2 * (residual * X).mean(), b + lr * 2 * residual.mean()


def _fit_line_without_zeroing(X, y, lr, num_epochs):
    """Calls backward every step but never resets .grad, so gradients accumulate."""
    w = torch.zeros((), requires_grad=True)
    b = torch.zeros((), requires_grad=True)
    for _ in range(num_epochs):
        ((w * X + b - y) ** 2).mean().backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return w.detach(), b.detach()


WRONG = {
    "make_trainable": lambda x: x.float().requires_grad_(),
    "grad_of_f": _grad_of_f_product_rule_forgotten,
    "sigmoid_grad": lambda t: torch.sigmoid(t) * (1 - t),
    "predict_no_graph": lambda w, b, X: X @ w + b,
    "gd_step": _gd_step_wrong_sign,
    "mse_grads": lambda w, b, X, y: (((w * X + b - y) * X).mean(), (w * X + b - y).mean()),
    "fit_line": _fit_line_without_zeroing,
    "quiz_04_1": 18.0,
    "quiz_04_2": 8.0,
    "quiz_04_3": "a",
    "quiz_04_4": "c",
    "quiz_04_5": "a",
    "quiz_04_6": "c",
}
