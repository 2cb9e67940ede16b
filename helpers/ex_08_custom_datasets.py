"""Exercises of 08_custom_datasets: files and folders, a Dataset, transforms, broken images, splits and weights.
Each check writes a small folder of real PNGs (from its seed) into a temporary folder and calls the answer on it."""
from __future__ import annotations

import io
import random
import tempfile
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from helpers.exercises import exercise, generator
from helpers.quiz import quiz

LESSON = "08_custom_datasets"
SUFFIXES = (".png", ".jpg", ".jpeg")
JPEG_START = b"\xff\xd8"  # the first bytes of every JPEG file

def _png(seed: int, mode: str = "RGB", size: tuple[int, int] = (4, 3), fmt: str = "PNG") -> bytes:
    """A small PNG (or another fmt, such as "JPEG") of random pixels (size is width, height)."""
    bands = len(Image.new(mode, (1, 1)).getbands())
    pixels = torch.randint(0, 256, (size[1], size[0], bands), generator=generator(seed), dtype=torch.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels.squeeze(-1).numpy() if bands == 1 else pixels.numpy(), mode).save(buffer, format=fmt)
    return buffer.getvalue()

def _write(root: Path, files: tuple) -> None:
    """Write (relative path, seed or None) entries: a PNG from the seed, an empty file for None, a folder for '/'."""
    for name, seed in files:
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"" if seed is None else _png(seed))

def _in_folder(files: tuple, fn: Any, *args: Any) -> Any:
    """Write files into a fresh temporary folder and return fn(folder, *args)."""
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        _write(Path(tmp), files)
        return fn(Path(tmp), *args)

def _args_list_images(seed: int) -> tuple:
    names = ["a.png", "B.PNG", "c.JPG", "d.jpeg", "e.txt", "f.png.txt", ".g.png", "h.tar.gz", "sub.png/",
             "sub.png/i.png"]
    rng = random.Random(seed)
    files = tuple((f"{rng.randint(0, 99):02d}{n}" if not n.startswith((".", "sub")) else n, seed)
                  for n in rng.sample(names, k=len(names) - seed % 3))
    return files, SUFFIXES[: 1 + seed % 3]
exercise(LESSON, "list_image_files", make_args=_args_list_images,
         call=lambda fn, args: _in_folder(args[0], fn, args[1]),
         hint="Look at every entry of the folder, keep the files (not folders, not hidden) whose suffix in lower "
              "case is one of the suffixes, and return their names sorted.")

def _args_find_classes(seed: int) -> tuple:
    rng = random.Random(seed)
    files = [("cat/1.png", 1), ("dog/x.JPG", 2), ("empty/", None), (".ipynb_checkpoints/cat-1.png", 3),
             ("notes/readme.txt", None), ("bird/nested/2.png", 4), ("root-file.png", 5), ("emu/.DS_Store", None),
             (f"k{seed % 7}/img.jpeg", 6)]
    return tuple(rng.sample(files, k=len(files) - seed % 2)), SUFFIXES
exercise(LESSON, "find_classes", make_args=_args_find_classes,
         call=lambda fn, args: _in_folder(args[0], fn, args[1]),
         hint="A class is a visible sub-folder (its name does not start with '.') that holds at least one image "
              "file somewhere inside (rglob); sort the names, then number them from 0. Files in root are no class.")

def _call_dataset(fn: Any, args: tuple) -> dict:
    specs, labels = args
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        samples = []
        for i, (mode, size, seed) in enumerate(specs):
            (path := Path(tmp) / f"{i}.png").write_bytes(_png(seed, mode, size))
            samples.append((str(path), labels[i]))
        ds = fn(samples)
        items = [ds[i] for i in range(len(ds))]
    plain = [(x.as_subclass(torch.Tensor) if isinstance(x, torch.Tensor) else x, y) for x, y in items]
    return {"is a Dataset": isinstance(ds, torch.utils.data.Dataset), "length": len(ds), "items": plain}
def _args_dataset(seed: int) -> tuple:
    modes = ["RGB", "L", "RGBA", "RGB"][: 2 + seed % 3]  # grayscale and RGBA files must come out as RGB
    labels = [2, 0, 1, 1] if seed % 2 else [1, 1, 0, 2]
    return tuple((mode, (3 + seed % 3, 2 + i), seed * 10 + i) for i, mode in enumerate(modes)), labels[: len(modes)]
exercise(LESSON, "make_image_dataset", make_args=_args_dataset, call=_call_dataset,
         hint="In __getitem__, open the file with PIL and .convert('RGB') (grayscale and RGBA files too), turn it "
              "into a float32 [3, H, W] tensor scaled to [0, 1] (v2.ToImage + v2.ToDtype(scale=True)), label as int.")

def _args_unreadable(seed: int) -> tuple:
    good = [_png(seed * 10 + i, "RGB", (6, 5)) for i in range(2)] + [_png(seed * 10 + 2, "RGB", (16, 16), "JPEG")]
    scan = good[2].index(b"\xff\xda")  # where the JPEG's pixel data starts: its cut copy keeps the whole header,
    # so Image.open and verify() (which does not decode a JPEG) accept it, and only decoding finds it truncated
    broken = [good[0][: len(good[0]) * 3 // 5], good[2][: (scan + len(good[2])) // 2], b"not an image", b""]
    rng = random.Random(seed)
    return tuple(rng.sample(good + broken[: 2 + seed % 3], k=3 + 2 + seed % 3))

def _call_unreadable(fn: Any, args: tuple) -> list:
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # Windows: a file left open stays
        suffixes = [".jpg" if data[:2] == JPEG_START else ".png" for data in args]
        paths = [str(Path(tmp) / f"img{len(args) - i}{suffix}") for i, suffix in enumerate(suffixes)]  # unsorted
        for path, data in zip(paths, args):
            Path(path).write_bytes(data)
        found = fn(list(paths))
        return [Path(p).name if isinstance(p, str) else p for p in found] if isinstance(found, list) else found
exercise(LESSON, "find_unreadable_images", make_args=_args_unreadable, call=_call_unreadable,
         hint="Image.open reads only the header, and verify() does not decode the pixels: call .load() (or "
              ".convert('RGB')) inside try/except OSError, which also catches PIL.UnidentifiedImageError, and keep "
              "the input order.")

def _images(seed: int) -> list:
    g = generator(seed)
    return [Image.fromarray(torch.randint(0, 256, (2 + i, 3 + seed % 2, 3), generator=g, dtype=torch.uint8).numpy())
            for i in range(3)]

def _call_eval_transform(fn: Any, args: tuple) -> dict:
    mean, std, seed = args
    transform = fn(mean, std)
    outputs = [transform(image) for image in _images(seed)]
    again = [transform(image) for image in _images(seed)]
    plain = [o.as_subclass(torch.Tensor) if isinstance(o, torch.Tensor) else o for o in outputs]
    same = all(isinstance(a, torch.Tensor) and torch.equal(a, b) for a, b in zip(outputs, again))
    return {"outputs": plain, "the same every time": same}
exercise(LESSON, "eval_transform", call=_call_eval_transform, rtol=1e-5, atol=1e-5,
         make_args=lambda seed: ([0.4 + 0.05 * seed, 0.5, 0.45], [0.25, 0.2 + 0.01 * seed, 0.3], seed),
         hint="v2.Compose of v2.ToImage(), v2.ToDtype(torch.float32, scale=True) (scale=True maps 0..255 to 0..1) "
              "and v2.Normalize(mean, std); nothing random.")

def _args_split(seed: int) -> tuple:
    g = generator(seed)
    sizes = [12 + seed % 5, 1, 7 + seed % 3, 20]
    labels = [c for c, n in zip([0, 1, 3, 4], sizes) for _ in range(n)]
    return [labels[i] for i in torch.randperm(len(labels), generator=g).tolist()], (0.25, 0.5, 0.3)[seed % 3], seed

def _call_split(fn: Any, args: tuple) -> dict:
    targets, fraction, seed = args
    torch_state, python_state = torch.get_rng_state(), random.getstate()
    train, val = split = fn(targets, fraction, seed)
    again, other = fn(targets, fraction, seed), fn(targets, fraction, seed + 1)
    ints = all(type(i) is int for i in [*train, *val])
    return {"a tuple of two lists of ints": type(split) is tuple and type(train) is type(val) is list and ints,
            "every index exactly once": sorted([*train, *val]) == list(range(len(targets))),
            "both lists sorted": train == sorted(train) and val == sorted(val),
            "validation indices per class": [sum(targets[i] == c for i in val) for c in sorted(set(targets))],
            "same seed, same split": tuple(again) == tuple(split), "another seed, another split": other[1] != val,
            "global random states untouched": torch.equal(torch.get_rng_state(), torch_state)
            and random.getstate() == python_state}
exercise(LESSON, "stratified_split", make_args=_args_split, call=_call_split,
         hint="For each class, shuffle its indices with torch.randperm(n, generator=g) where g is a "
              "torch.Generator seeded with seed, send the first int(n * val_fraction) to val, sort both lists.")

def _args_weights(seed: int) -> tuple:
    g = generator(seed)
    counts = torch.tensor([5, 1, 0, 9, 3, 0][: 3 + seed % 4]) + seed % 2
    targets = torch.repeat_interleave(torch.arange(len(counts)), counts)
    return targets[torch.randperm(len(targets), generator=g)].tolist(), len(counts)
exercise(LESSON, "class_weights", make_args=_args_weights,
         hint="Count the samples of every class with torch.bincount(..., minlength=num_classes); the weight is "
              "len(targets) / (num_classes * count), and 0 where the count is 0 (no division by zero).")

quiz(LESSON, "quiz_08_1", hint="Section 4: classes are the sorted folder names, and section 7: what ImageFolder "
     "counts as a folder.")
quiz(LESSON, "quiz_08_2", hint="Section 8: what a spawned worker has to import.", choices="abcd")
quiz(LESSON, "quiz_08_3", hint="Section 6: what ToDtype does without scale=True, then (x - mean) / std.")
quiz(LESSON, "quiz_08_4", hint="Section 1: what download_url does first, and the second download there.", choices="abc")
quiz(LESSON, "quiz_08_5", hint="Section 8: compare the batches of num_workers=0 and num_workers=2.", choices="abc")
