"""Typical wrong answers to the exercises of 07_cifar10 (each must be judged incorrect)."""
import torch


def _reshape_instead_of_permute(data):
    n, h, w, c = data.shape
    return data.reshape(n, c, h, w).float() / 255


def _mean_of_per_image_stds(images):
    return images.mean(dim=(0, 2, 3)), images.std(dim=(2, 3)).mean(dim=0)


def _one_coin_for_the_batch(images, generator):
    return images.flip(-1) if torch.rand(1, generator=generator).item() < 0.5 else images


def _normalise_before_scaling(data, targets, index, mean, std):
    image = data[index].permute(2, 0, 1).float()
    return ((image - mean[:, None, None]) / std[:, None, None]) / 255, int(targets[index])


def _zero_grad_after_backward(model, loss_fn, optimizer, xb, yb):
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


def _precision_instead_of_recall(preds, labels, num_classes):
    correct = torch.bincount(preds[preds == labels], minlength=num_classes).float()
    predicted = torch.bincount(preds, minlength=num_classes).float()
    return torch.where(predicted > 0, correct / predicted.clamp(min=1), torch.zeros_like(predicted))


def _transposed_confusion(preds, labels, num_classes):
    return torch.bincount(preds * num_classes + labels, minlength=num_classes ** 2).view(num_classes, num_classes)


def _top1_only(logits, labels, k):
    return (logits.topk(k, dim=1).indices[:, 0] == labels).float().mean().item()


WRONG = {
    "to_nchw_float": _reshape_instead_of_permute,
    "channel_mean_std": _mean_of_per_image_stds,
    "random_hflip": _one_coin_for_the_batch,
    "cifar_item": _normalise_before_scaling,
    "train_step": _zero_grad_after_backward,
    "per_class_accuracy": _precision_instead_of_recall,
    "confusion_matrix": _transposed_confusion,
    "top_k_accuracy": _top1_only,
    "quiz_07_1": "a",
    "quiz_07_2": "a",
    "quiz_07_3": "c",
    "quiz_07_4": "a",
    "quiz_07_5": 14.0,
    "quiz_07_6": "a",
}
