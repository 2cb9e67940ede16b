"""Typical wrong answers to the exercises of 06_nn_training."""
import torch
from torch import nn
from torch.utils.data import Dataset


def _sgd_rebinds(params, lr):
    for p in params:
        p = p - lr * p.grad  # rebinds the name only: the parameters do not change


def _train_step_no_zero_grad(model, xb, yb, loss_fn, optimizer):
    model.train()
    loss = loss_fn(model(xb), yb)
    loss.backward()  # adds to the stale gradients
    optimizer.step()
    return loss.item()


class _OffByOne(Dataset):
    def __init__(self, series, window):
        self.series, self.window = series, window

    def __len__(self):
        return len(self.series) - self.window + 1  # the last window has no target

    def __getitem__(self, i):
        return self.series[i:i + self.window], self.series[min(i + self.window, len(self.series) - 1)]


WRONG = {
    "build_mlp": lambda i, h, o: nn.Sequential(nn.Linear(i, h), nn.Linear(h, o)),  # forgot the activation
    "count_trainable_parameters": lambda model: sum(p.numel() for p in model.parameters()),  # frozen ones too
    "accuracy_from_logits": lambda logits, y: (logits.argmax(dim=1) == y).sum().item(),  # a count, not a fraction
    "cross_entropy_from_logits": lambda logits, y: -logits[torch.arange(len(y)), y].mean(),  # not normalised
    "sgd_update": _sgd_rebinds,
    "train_on_batch": _train_step_no_zero_grad,
    "make_window_dataset": _OffByOne,
    "quiz_06_1": "a",
    "quiz_06_2": 1,
    "quiz_06_3": "c",
    "quiz_06_4": "c",
    "quiz_06_5": 10,
    "quiz_06_6": "a",
    "quiz_06_7": "b",
}
