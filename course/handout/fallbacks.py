"""Library equivalents (torch, torchvision, torchmetrics, NumPy) that stand in for an unsolved exercise in the
cells after it, in the class hand-out, which ships no solution: the shortcut real code uses, not the exercise's
answer. In the repository those cells use the solution itself; the grader's kernels do not get this module."""
from __future__ import annotations

from typing import Any

import torch

def broadcast_shape(shape_a: tuple, shape_b: tuple) -> tuple | None:
    """torch.broadcast_shapes, with None instead of its error."""
    try:
        return tuple(torch.broadcast_shapes(shape_a, shape_b))
    except RuntimeError:
        return None

def sigmoid_grad(t: torch.Tensor) -> torch.Tensor:
    """The derivative by autograd: torch.func.grad of sigmoid, vectorised with vmap."""
    flat = torch.func.vmap(torch.func.grad(torch.sigmoid))(t.reshape(-1))
    return flat.reshape(t.shape)

def _line_leaves(w: torch.Tensor, b: torch.Tensor) -> list[torch.Tensor]:
    """Fresh leaf copies of the line's parameters."""
    return [w.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()]

def mse_grads(w: torch.Tensor, b: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> tuple:
    """The gradients by autograd, of F.mse_loss."""
    params = _line_leaves(w, b)
    loss = torch.nn.functional.mse_loss(params[0] * X + params[1], y)
    return torch.autograd.grad(loss, params)

def gd_step(w: torch.Tensor, b: torch.Tensor, X: torch.Tensor, y: torch.Tensor, lr: float) -> tuple:
    """One step of torch.optim.SGD on F.mse_loss."""
    params = _line_leaves(w, b)
    optimizer = torch.optim.SGD(params, lr=lr)
    torch.nn.functional.mse_loss(params[0] * X + params[1], y).backward()
    optimizer.step()
    return tuple(p.detach() for p in params)

def move_batch(batch: Any, device: torch.device) -> Any:
    """torch's pytree utilities map over dicts, lists and tuples and keep their types."""
    import torch.utils._pytree as pytree

    return pytree.tree_map_only(torch.Tensor, lambda t: t.to(device), batch)

def achieved_tflops(n: int, seconds: float) -> float:
    """Count the matmul's FLOPs with torch.utils.flop_counter on shape-only (meta) tensors."""
    from torch.utils.flop_counter import FlopCounterMode

    a = torch.empty(n, n, device="meta")
    with FlopCounterMode(display=False) as counter:
        a @ a
    return counter.get_total_flops() / seconds / 1e12

def gpu_wins_from(sizes: list[int], cpu_seconds: list[float], gpu_seconds: list[float]) -> int | None:
    """NumPy's logical_and.accumulate over the sizes from the largest down."""
    import numpy as np

    wins = np.asarray(gpu_seconds) < np.asarray(cpu_seconds)
    stays = np.logical_and.accumulate(wins[::-1])[::-1]
    return int(sizes[int(np.argmax(stays))]) if stays.any() else None

def build_mlp(in_features: int, hidden: int, out_features: int) -> torch.nn.Module:
    """torchvision.ops.MLP (its dropout layers have p=0 and change nothing)."""
    from torchvision.ops import MLP

    return MLP(in_features, [hidden, out_features])

def accuracy_from_logits(logits: torch.Tensor, y: torch.Tensor) -> float:
    """torchmetrics' multiclass accuracy."""
    from torchmetrics.functional.classification import multiclass_accuracy

    return multiclass_accuracy(logits, y, num_classes=logits.shape[1], average="micro").item()

def to_nchw_float(data: torch.Tensor) -> torch.Tensor:
    """torchvision's v2 conversions, image by image."""
    from torchvision.transforms.v2 import functional as F

    images = [F.to_dtype(F.to_image(image.cpu().numpy()), torch.float32, scale=True) for image in data]
    return torch.stack(images).as_subclass(torch.Tensor).to(data.device)

def channel_mean_std(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """torch.std_mean computes both in one call (std first)."""
    std, mean = torch.std_mean(images, dim=(0, 2, 3))
    return mean, std

def random_hflip(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """torchvision's RandomHorizontalFlip per image, its coin flips seeded from `generator`."""
    from torchvision.transforms import v2

    flip = v2.RandomHorizontalFlip(p=0.5)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(torch.randint(2**62, (1,), generator=generator)))
        return torch.stack([flip(image) for image in images])

def cifar_item(data: torch.Tensor, targets: list[int], index: int, mean: torch.Tensor,
               std: torch.Tensor) -> tuple[torch.Tensor, int]:
    """torchvision's v2 pipeline: ToImage, ToDtype(scale=True), Normalize."""
    from torchvision.transforms import v2

    pipeline = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True),
                           v2.Normalize(mean.tolist(), std.tolist())])
    return pipeline(data[index].cpu().numpy()).as_subclass(torch.Tensor), int(targets[index])

def per_class_accuracy(preds: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """torchmetrics' multiclass accuracy without averaging (one value per class, 0 for an absent one)."""
    from torchmetrics.functional.classification import multiclass_accuracy

    return multiclass_accuracy(preds, labels, num_classes=num_classes, average=None).float()

def confusion_matrix(preds: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """torchmetrics' multiclass confusion matrix (rows: true class)."""
    from torchmetrics.functional.classification import multiclass_confusion_matrix

    return multiclass_confusion_matrix(preds, labels, num_classes=num_classes)

def top_k_accuracy(logits: torch.Tensor, labels: torch.Tensor, k: int) -> float:
    """torchmetrics' multiclass accuracy with top_k."""
    from torchmetrics.functional.classification import multiclass_accuracy

    return multiclass_accuracy(logits, labels, num_classes=logits.shape[1], top_k=k, average="micro").item()
