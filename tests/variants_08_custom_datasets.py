"""Independent solutions and typical mistakes for 08_custom_datasets, written from the notebook prompts only."""
import math
import os
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset
from torchvision import transforms as T
from torchvision.transforms import v2

V = {}


def reg(name, correct, mistakes):
    V[name] = {"correct": correct, "mistakes": mistakes}


# ---------------- 3.1 list_image_files ----------------
def _lif1(folder, suffixes):
    return sorted(p.name for p in Path(folder).iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in suffixes)


def _lif2(folder, suffixes):
    names = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_file():
                continue
            if os.path.splitext(entry.name)[1].lower() in suffixes:
                names.append(entry.name)
    names.sort()
    return names


def _lif_case(folder, suffixes):  # suffix compared as written: "B.PNG", "c.JPG" are lost
    return sorted(p.name for p in Path(folder).iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix in suffixes)


def _lif_dirs(folder, suffixes):  # no is_file(): the folder "sub.png" is listed
    return sorted(p.name for p in Path(folder).iterdir()
                  if not p.name.startswith(".") and p.suffix.lower() in suffixes)


def _lif_hidden(folder, suffixes):  # hidden files kept: ".g.png"
    return sorted(p.name for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in suffixes)


reg("list_image_files", [_lif1, _lif2],
    [("suffix case-sensitive (no .lower())", _lif_case),
     ("sub-folders not skipped (no is_file)", _lif_dirs),
     ("hidden files not skipped", _lif_hidden)])


# ---------------- 4.1 find_classes ----------------
def _fc1(root, suffixes):
    classes = sorted(d.name for d in Path(root).iterdir()
                     if d.is_dir() and not d.name.startswith(".")
                     and any(f.is_file() and f.suffix.lower() in suffixes for f in d.rglob("*")))
    return classes, {c: i for i, c in enumerate(classes)}


def _fc2(root, suffixes):
    found = []
    for name in os.listdir(root):
        top = os.path.join(root, name)
        if name.startswith(".") or not os.path.isdir(top):
            continue
        if any(os.path.splitext(f)[1].lower() in suffixes for _, _, files in os.walk(top) for f in files):
            found.append(name)
    found.sort()
    return found, dict(zip(found, range(len(found))))


def _fc_flat(root, suffixes):  # only files directly in the class folder: "bird/nested/2.png" missed
    classes = sorted(d.name for d in Path(root).iterdir()
                     if d.is_dir() and not d.name.startswith(".")
                     and any(f.is_file() and f.suffix.lower() in suffixes for f in d.iterdir()))
    return classes, {c: i for i, c in enumerate(classes)}


def _fc_hidden(root, suffixes):  # hidden folders kept: ".ipynb_checkpoints" becomes class 0
    classes = sorted(d.name for d in Path(root).iterdir()
                     if d.is_dir() and any(f.is_file() and f.suffix.lower() in suffixes for f in d.rglob("*")))
    return classes, {c: i for i, c in enumerate(classes)}


def _fc_case(root, suffixes):  # "dog/x.JPG" does not count
    classes = sorted(d.name for d in Path(root).iterdir()
                     if d.is_dir() and not d.name.startswith(".")
                     and any(f.is_file() and f.suffix in suffixes for f in d.rglob("*")))
    return classes, {c: i for i, c in enumerate(classes)}


reg("find_classes", [_fc1, _fc2],
    [("not recursive (iterdir instead of rglob)", _fc_flat),
     ("hidden folders kept", _fc_hidden),
     ("suffix case-sensitive", _fc_case)])


# ---------------- 5.1 make_image_dataset ----------------
class _LazyImages(Dataset):
    def __init__(self, samples, to_tensor):
        self.samples, self.to_tensor = list(samples), to_tensor

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, label = self.samples[index]
        with Image.open(path) as image:
            return self.to_tensor(image), int(label)


_TO_FLOAT = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])


class _EagerImages(Dataset):
    """Reads every file once in __init__, with NumPy instead of transforms."""

    def __init__(self, samples):
        self.items = []
        for path, label in samples:
            with Image.open(path) as image:
                array = np.array(image.convert("RGB"), dtype=np.uint8)  # H, W, 3
            x = torch.from_numpy(array).permute(2, 0, 1).contiguous().to(torch.float32) / 255.0
            self.items.append((x, int(label)))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]


reg("make_image_dataset",
    [lambda samples: _LazyImages(samples, lambda im: _TO_FLOAT(im.convert("RGB"))),
     lambda samples: _EagerImages(samples)],
    [("no convert('RGB') (grayscale/RGBA keep 1/4 channels)", lambda samples: _LazyImages(samples, _TO_FLOAT)),
     ("not scaled to [0, 1] (ToDtype without scale=True)", lambda samples: _LazyImages(
         samples, lambda im: v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32)])(im.convert("RGB")))),
     ("H, W, 3 layout (np.array without permute)", lambda samples: _LazyImages(
         samples, lambda im: torch.from_numpy(np.array(im.convert("RGB"))).float() / 255))])


# ---------------- 6.1 eval_transform ----------------
def _et2(mean, std):
    m = torch.tensor(mean, dtype=torch.float32)[:, None, None]
    s = torch.tensor(std, dtype=torch.float32)[:, None, None]

    def transform(image):
        x = torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1).to(torch.float32) / 255
        return (x - m) / s
    return transform


reg("eval_transform",
    [lambda mean, std: v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean, std)]),
     _et2,
     lambda mean, std: T.Compose([T.ToTensor(), T.Normalize(mean, std)])],  # the classic v1 way
    [("ToDtype without scale=True", lambda mean, std: v2.Compose(
        [v2.ToImage(), v2.ToDtype(torch.float32), v2.Normalize(mean, std)])),
     ("mean and std swapped", lambda mean, std: v2.Compose(
         [v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize(std, mean)])),
     ("training pipeline copied (random flip)", lambda mean, std: v2.Compose(
         [v2.ToImage(), v2.RandomHorizontalFlip(), v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean, std)]))])


# ---------------- 7.1 find_unreadable_images ----------------
def _fu1(paths):
    bad = []
    for path in paths:
        try:
            with Image.open(path) as image:
                image.load()
        except OSError:
            bad.append(path)
    return bad


def _fu2(paths):
    def decodes(path):
        try:
            with Image.open(path) as image:
                np.asarray(image.convert("RGB"))
            return True
        except Exception:
            return False
    return [p for p in paths if not decodes(p)]


def _fu_header(paths):  # Image.open alone: the truncated file passes
    bad = []
    for path in paths:
        try:
            Image.open(path).close()
        except OSError:
            bad.append(path)
    return bad


def _fu_sorted(paths):  # the right files, but sorted instead of in the given order
    return sorted(_fu1(paths))


def _fu_unidentified(paths):  # only UnidentifiedImageError caught: the truncated file's OSError escapes
    bad = []
    for path in paths:
        try:
            with Image.open(path) as image:
                image.load()
        except UnidentifiedImageError:
            bad.append(path)
    return bad


reg("find_unreadable_images", [_fu1, _fu2],
    [("Image.open only (header, not decoded)", _fu_header),
     ("result sorted, not in the given order", _fu_sorted),
     ("catches only UnidentifiedImageError", _fu_unidentified)])


# ---------------- 9.1 stratified_split ----------------
def _ss1(targets, val_fraction, seed):
    g = torch.Generator().manual_seed(seed)
    train, val = [], []
    for c in sorted(set(targets)):
        idx = [i for i, t in enumerate(targets) if t == c]
        k = int(len(idx) * val_fraction)
        order = torch.randperm(len(idx), generator=g).tolist()
        val += [idx[j] for j in order[:k]]
        train += [idx[j] for j in order[k:]]
    return sorted(train), sorted(val)


def _ss2(targets, val_fraction, seed):
    """One permutation of all indices; each class sends its first int(n * f) in that order to val."""
    g = torch.Generator()
    g.manual_seed(seed)
    quota = {c: int(n * val_fraction) for c, n in Counter(targets).items()}
    train, val = [], []
    for i in torch.randperm(len(targets), generator=g).tolist():
        if quota[targets[i]] > 0:
            quota[targets[i]] -= 1
            val.append(i)
        else:
            train.append(i)
    return sorted(train), sorted(val)


def _ss_global(targets, val_fraction, seed):  # torch.manual_seed: changes the global random state
    torch.manual_seed(seed)
    train, val = [], []
    for c in sorted(set(targets)):
        idx = [i for i, t in enumerate(targets) if t == c]
        k = int(len(idx) * val_fraction)
        order = torch.randperm(len(idx)).tolist()
        val += [idx[j] for j in order[:k]]
        train += [idx[j] for j in order[k:]]
    return sorted(train), sorted(val)


def _ss_round(targets, val_fraction, seed):  # round(n * f) instead of int(n * f)
    g = torch.Generator().manual_seed(seed)
    train, val = [], []
    for c in sorted(set(targets)):
        idx = [i for i, t in enumerate(targets) if t == c]
        k = round(len(idx) * val_fraction)
        order = torch.randperm(len(idx), generator=g).tolist()
        val += [idx[j] for j in order[:k]]
        train += [idx[j] for j in order[k:]]
    return sorted(train), sorted(val)


def _ss_not_stratified(targets, val_fraction, seed):  # random_split-style: one cut over all indices
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(targets), generator=g).tolist()
    k = int(len(targets) * val_fraction)
    return sorted(order[k:]), sorted(order[:k])


reg("stratified_split", [_ss1, _ss2],
    [("torch.manual_seed (global state changed)", _ss_global),
     ("round instead of int", _ss_round),
     ("not stratified (one cut over all indices)", _ss_not_stratified)])


# ---------------- 9.2 class_weights ----------------
def _cw1(targets, num_classes):
    counts = torch.bincount(torch.tensor(targets, dtype=torch.int64), minlength=num_classes).to(torch.float32)
    return torch.where(counts > 0, len(targets) / (num_classes * counts), torch.zeros(()))


def _cw2(targets, num_classes):
    counts = Counter(targets)
    return torch.tensor([len(targets) / (num_classes * counts[c]) if counts[c] else 0.0 for c in range(num_classes)],
                        dtype=torch.float32)


reg("class_weights", [_cw1, _cw2],
    [("bincount without minlength", lambda targets, num_classes: (
        lambda counts: torch.where(counts > 0, len(targets) / (num_classes * counts), torch.zeros(())))(
        torch.bincount(torch.tensor(targets)).float())),
     ("inf for an empty class (no zero case)", lambda targets, num_classes: len(targets) / (
         num_classes * torch.bincount(torch.tensor(targets), minlength=num_classes).float())),
     ("forgot num_classes (N / count)", lambda targets, num_classes: (
         lambda counts: torch.where(counts > 0, len(targets) / counts, torch.zeros(())))(
         torch.bincount(torch.tensor(targets), minlength=num_classes).float()))])

VARIANTS = V
