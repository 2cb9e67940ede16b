"""Typical wrong answers to the exercises and quiz questions of 08_custom_datasets."""
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision.transforms import v2


def _case_sensitive(folder, suffixes):
    return sorted(p.name for p in Path(folder).iterdir() if p.is_file() and p.suffix in suffixes)  # misses .PNG


def _like_image_folder(root, suffixes):
    classes = sorted(d.name for d in Path(root).iterdir() if d.is_dir())  # hidden and imageless folders too
    return classes, {name: i for i, name in enumerate(classes)}


class _Uint8Images(Dataset):
    def __init__(self, samples):
        self.samples = samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        with Image.open(self.samples[i][0]) as image:
            return v2.functional.pil_to_tensor(image.convert("RGB")), self.samples[i][1]  # not scaled to [0, 1]


def _open_only(paths):
    bad = []
    for path in paths:
        try:
            Image.open(path)  # reads the header only: a truncated file passes
        except OSError:
            bad.append(path)
    return bad


def _global_seed_split(targets, val_fraction, seed):
    torch.manual_seed(seed)  # reproducible, but resets the global generator the rest of the program uses
    train, val = [], []
    for c in sorted(set(targets)):
        indices = [i for i, t in enumerate(targets) if t == c]
        order = torch.randperm(len(indices)).tolist()
        k = int(len(indices) * val_fraction)
        val += [indices[j] for j in order[:k]]
        train += [indices[j] for j in order[k:]]
    return sorted(train), sorted(val)


WRONG = {
    "list_image_files": _case_sensitive,
    "find_classes": _like_image_folder,
    "make_image_dataset": _Uint8Images,
    "find_unreadable_images": _open_only,
    "eval_transform": lambda mean, std: v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32), v2.Normalize(mean, std)]),
    "stratified_split": _global_seed_split,
    "class_weights": lambda targets, c: len(targets) / (c * torch.bincount(torch.tensor(targets), minlength=c).float()),
    "quiz_08_1": 0,
    "quiz_08_2": "a",
    "quiz_08_3": 1,
    "quiz_08_4": "a",
    "quiz_08_5": "b",
}
