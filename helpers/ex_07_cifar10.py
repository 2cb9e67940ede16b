"""Exercises of 07_cifar10: image tensors, augmentation, the training step and evaluation of a classifier."""
from __future__ import annotations

import torch
from torch import nn

from helpers.exercises import exercise, generator
from helpers.quiz import quiz

LESSON = "07_cifar10"

def _images(g: torch.Generator, n: int, size: int = 8) -> torch.Tensor:
    """Random float NCHW images in [0, 1]."""
    return torch.rand(n, 3, size, size, generator=g)

def _args_to_nchw_float(seed: int) -> tuple:
    g = generator(seed)
    n, h, w = 2 + seed % 4, 4 + seed % 3, 5 + seed % 2
    return (torch.randint(0, 256, (n, h, w, 3), generator=g, dtype=torch.uint8),)
exercise(LESSON, "to_nchw_float", make_args=_args_to_nchw_float,
         hint="Move the channel dimension with permute (not view/reshape, which keep the memory order), "
              "then convert to float and divide by the largest uint8 value.")

def _args_channel_mean_std(seed: int) -> tuple:
    g = generator(seed)
    images = _images(g, 3 + seed % 4, 4 + seed % 3)
    return (images * torch.tensor([0.5, 1.0, 2.0])[:, None, None] + torch.tensor([0.1, 0.2, 0.3])[:, None, None],)
exercise(LESSON, "channel_mean_std", make_args=_args_channel_mean_std, rtol=1e-4, atol=1e-5,
         hint="Each channel's statistics pool every image and every pixel: reduce over all dimensions "
              "except the channel one, in a single reduction (a mean of per-image stds is not the std).")

def _args_random_hflip(seed: int) -> tuple:
    return _images(generator(seed), 6 + seed % 5, 4 + seed % 3), torch.Generator().manual_seed(1000 + seed)
exercise(LESSON, "random_hflip", make_args=_args_random_hflip,
         hint="Draw one number per image with torch.rand(N, generator=generator), flip the width dimension "
              "(the last one), and choose per image with torch.where and a mask shaped [N, 1, 1, 1].")

def _args_cifar_item(seed: int) -> tuple:
    g = generator(seed)
    n = 4 + seed % 3
    data = torch.randint(0, 256, (n, 6, 5, 3), generator=g, dtype=torch.uint8)
    targets = torch.randint(0, 10, (n,), generator=g).tolist()
    mean, std = torch.tensor([0.49, 0.48, 0.45]), torch.tensor([0.25, 0.24, 0.26])
    return data, targets, (seed * 7 + 1) % n, mean, std
exercise(LESSON, "cifar_item", make_args=_args_cifar_item,
         hint="Take one HWC image, put channels first, scale to [0, 1] BEFORE normalising, and shape mean "
              "and std as [C, 1, 1] so they broadcast. The label is a plain Python int.")

def _args_train_step(seed: int) -> tuple:
    g = generator(seed)
    n, d, c = 8 + seed % 3, 5, 4
    model = nn.Sequential(nn.Linear(d, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, c))  # batch norm: mode matters
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    xb, yb = torch.randn(n, d, generator=g), torch.randint(0, c, (n,), generator=g)
    return model, nn.CrossEntropyLoss(label_smoothing=0.1), optimizer, xb, yb

def _call_train_step(fn, args: tuple) -> dict:
    """Two steps (stale gradients would show; zeroing after the step is fine), starting in eval mode."""
    model = args[0]
    model.eval()  # as after an evaluation: the step must switch back to training mode
    losses = [fn(*args), fn(*args)]
    return {"losses": losses, "parameters after two steps": [p.detach().clone() for p in model.parameters()],
            "model in training mode": model.training}
exercise(LESSON, "train_step", make_args=_args_train_step, call=_call_train_step, rtol=1e-4, atol=1e-6,
         hint="Order matters: training mode, clear old gradients, forward pass, loss, backward, then the "
              "optimizer step. Return the loss as a Python number (.item()).")

def _args_predictions(seed: int) -> tuple:
    g = generator(seed)
    c = 3 + seed % 4
    labels = torch.cat([torch.arange(c - 1), torch.randint(0, c - 1, (20 + seed,), generator=g)])  # class c-1: none
    preds = torch.where(torch.rand(len(labels), generator=g) < 0.6, labels,
                        torch.randint(0, c, (len(labels),), generator=g))
    return preds, labels, c
exercise(LESSON, "per_class_accuracy", make_args=_args_predictions,
         hint="For each class, look only at the images whose LABEL is that class, and count how many of "
              "them were predicted right. A class without images gets 0.")
exercise(LESSON, "confusion_matrix", make_args=_args_predictions,
         hint="Row = true label, column = prediction. torch.bincount of a combined index "
              "(one number per (label, prediction) pair) with minlength does it without a loop.")

def _args_top_k_accuracy(seed: int) -> tuple:
    g = generator(seed)
    n, c = 30 + seed, 5 + seed % 3
    return torch.randn(n, c, generator=g), torch.randint(0, c, (n,), generator=g), 2 + seed % 2
exercise(LESSON, "top_k_accuracy", make_args=_args_top_k_accuracy,
         hint="topk gives the k best classes of each row; a row counts when its label is ANY of them. "
              "Return a Python float.")

# Quiz (answers and explanations live only in the solution notebook)
quiz(LESSON, "quiz_07_1", hint="Section 2: which images may the statistics come from, and why?", choices="abc")
quiz(LESSON, "quiz_07_2", hint="Section 6: how does batch norm behave in training mode?", choices="abc")
quiz(LESSON, "quiz_07_3", hint="Section 3: which transformed photos still look like their class?", choices="abc")
quiz(LESSON, "quiz_07_4", hint="Section 4: how do DataLoader workers start on Windows and macOS?", choices="abc")
quiz(LESSON, "quiz_07_5", hint="Section 7 gives the standard error of an accuracy; answer in percentage points.")
quiz(LESSON, "quiz_07_6", hint="Section 1: which of these operations copy, and which give views?", choices="abc")
