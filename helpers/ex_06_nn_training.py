"""Exercises of 06_nn_training: modules, losses, manual and torch.optim updates, datasets and the training step."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from helpers.exercises import exercise, generator
from helpers.quiz import quiz

LESSON = "06_nn_training"

def _args_build_mlp(seed: int) -> tuple:
    g = generator(seed)
    in_f, hidden, out_f = 2 + seed % 4, 3 + seed % 5, 1 + seed % 3
    return (in_f, hidden, out_f, torch.randn(4, in_f, generator=g), seed)

def _call_build_mlp(fn: Any, args: tuple) -> dict:
    in_f, hidden, out_f, x, seed = args
    with torch.random.fork_rng(devices=[]):  # the answer may seed or draw: the caller's random state is kept
        model = fn(in_f, hidden, out_f)
    with torch.no_grad():  # the same weights by position, whatever order the layers were created in
        for i, p in enumerate(model.parameters()):
            p.copy_(torch.randn(p.shape, generator=generator(seed * 10 + i)))
        out = model(x)
    return {"an nn.Sequential": isinstance(model, nn.Sequential),
            "layers": [type(m).__name__ for m in model.children()],
            "parameter count": sum(p.numel() for p in model.parameters()), "output": out}
exercise(LESSON, "build_mlp", make_args=_args_build_mlp, call=_call_build_mlp,
         hint="Three layers in this order: a Linear from in_features to hidden, a ReLU, a Linear from hidden to "
              "out_features, all inside nn.Sequential.")

def _call_count_parameters(fn: Any, args: tuple) -> int:
    a, b, c = args
    model = nn.Sequential(nn.Conv2d(a, b, kernel_size=3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(b, c), nn.Linear(c, c, bias=False))
    for p in model[0].parameters():  # a frozen layer, as in fine-tuning
        p.requires_grad_(False)
    return fn(model)
exercise(LESSON, "count_trainable_parameters", make_args=lambda seed: (3 + seed % 4, 5 + seed, 2 + seed % 3),
         call=_call_count_parameters,
         hint="Sum the number of elements of every parameter, but only of those that will be trained "
              "(look at requires_grad).")

def _args_logits(seed: int) -> tuple:
    g = generator(seed)
    n, c = 6 + seed, 3 + seed % 3
    scale = 60.0 if seed % 3 == 2 else 2.0  # large logits: exp overflows float32 unless the sum is stabilised
    return (torch.randn(n, c, generator=g) * scale, torch.randint(0, c, (n,), generator=g))
exercise(LESSON, "accuracy_from_logits", make_args=_args_logits,
         hint="The predicted class of a row is the index of its largest logit; accuracy is the fraction of "
              "rows where it equals the target, as a Python float.")
exercise(LESSON, "cross_entropy_from_logits", make_args=_args_logits, atol=1e-5,
         hint="Normalise each row with log_softmax (stable), pick each row's entry at its target class, "
              "negate, and average over the batch.")

def _args_sgd_update(seed: int) -> tuple:
    g = generator(seed)
    shapes = [(2 + seed % 3, 3), (3,), (1 + seed % 2,)]
    return ([torch.randn(s, generator=g) for s in shapes], [torch.randn(s, generator=g) for s in shapes],
            0.1 * (1 + seed % 3))

def _call_sgd_update(fn: Any, args: tuple) -> dict:
    values, grads, lr = args
    params = [nn.Parameter(v.clone()) for v in values]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    returned = fn(params, lr)
    return {"returned": returned, "parameters": [p.detach().clone() for p in params],
            "still trainable": all(p.requires_grad and p.is_leaf for p in params)}
exercise(LESSON, "sgd_update", make_args=_args_sgd_update, call=_call_sgd_update, mutates=True,
         hint="Change each parameter in place (p -= ...) inside `with torch.no_grad():`; rebinding the loop "
              "variable (p = p - ...) changes nothing outside the loop. Return nothing.")

def _args_train_step(seed: int) -> tuple:
    g = generator(seed)
    in_f, n = 2 + seed % 3, 5 + seed % 4
    return (torch.randn(1, in_f, generator=g), torch.randn(1, generator=g),  # the layer's weight and bias
            torch.randn(n, in_f, generator=g), torch.randn(n, 1, generator=g),  # batch 1
            torch.randn(n, in_f, generator=g), torch.randn(n, 1, generator=g))  # batch 2

def _call_train_step(fn: Any, args: tuple) -> dict:
    weight, bias, *batches = args
    model = nn.Linear(weight.shape[1], 1)
    with torch.no_grad():
        model.weight.copy_(weight)
        model.bias.copy_(bias)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses, params = [], []
    # Two steps in a row, as in a loop: zero_grad() once per step, at its start or right after step(), passes.
    for xb, yb in zip(batches[::2], batches[1::2]):
        model.eval()  # as after an evaluation: the step must switch back to training mode
        losses.append(fn(model, xb, yb, loss_fn, optimizer))
        params.append([p.detach().clone() for p in model.parameters()])
    return {"losses": losses, "parameters after each step": params, "model in training mode": model.training}
exercise(LESSON, "train_on_batch", make_args=_args_train_step, call=_call_train_step,
         hint="The steps of section 7: model.train(), then optimizer.zero_grad() once per step (not between "
              "backward and step), forward, loss, loss.backward(), optimizer.step(); return the loss as a Python "
              "float. The check runs two steps in a row.")


def _call_window(fn: Any, args: tuple) -> dict:
    ds = fn(*args)
    return {"is a Dataset": isinstance(ds, Dataset), "length": len(ds), "items": [ds[i] for i in range(len(ds))]}
exercise(LESSON, "make_window_dataset",
         make_args=lambda seed: (torch.randn(7 + seed % 5, generator=generator(seed)),
         2 + seed % 3), call=_call_window,
         hint="A window needs `window` values plus one target after them, so fewer items than values exist; "
              "item i starts at position i.")

# Quiz (answers and explanations live only in the solution notebook)
quiz(LESSON, "quiz_06_1", hint="Section 7: which of the five steps changes the parameters?", choices="abc")
quiz(LESSON, "quiz_06_2", hint="Section 7: what does backward do to .grad when nothing zeroes it?")
quiz(LESSON, "quiz_06_3", hint="Section 4: what does CrossEntropyLoss do to its input itself?", choices="abc")
quiz(LESSON, "quiz_06_4", hint="Section 8: what does each of the two switch off?", choices="abc")
quiz(LESSON, "quiz_06_5", hint="Section 2: which attributes does a Module register?")
quiz(LESSON, "quiz_06_6", hint="Section 11: what does Adam keep besides the parameters?", choices="abc")
quiz(LESSON, "quiz_06_7", hint="Section 7: which gradients does step() use, and when are they computed?",
     choices="abc")
