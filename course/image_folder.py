"""Build the image-folder archive of 08_custom_datasets from the CIFAR-10 sample, byte for byte reproducibly.

Usage: ``python -m course.image_folder build [--cifar DIR] [--out PATH]`` writes ``data/cifar3-imagefolder.zip``
(3 classes, 120 training and 40 test PNGs of 32 x 32 pixels each) and prints its md5, which must equal
``helpers.image_folder.MD5``, the one place it is recorded. ``python -m course.image_folder check`` only compares.

Reproducible: the first images of each class in the sample's order, PNGs without compression (so no zlib
implementation can change a byte), zip members stored uncompressed, sorted, with a fixed time stamp and mode.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image
from torchvision.datasets.utils import calculate_md5

from helpers.cifar import CLASSES as CIFAR_CLASSES, ENV_VAR, load_offline_copy
from helpers.image_folder import ARCHIVE, CLASSES, FOLDER, MD5, archive_path

PER_CLASS = {"train": 120, "test": 40}
DATE_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can store: no build clock in the archive


def png_bytes(image: np.ndarray) -> bytes:
    """An HWC uint8 image as PNG bytes, stored without compression (identical with any zlib)."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


def members(cifar_dir: str | os.PathLike) -> dict[str, bytes]:
    """{path in the archive: PNG bytes}: the first images of each class of each split, named by their index."""
    files: dict[str, bytes] = {}
    for split, per_class in PER_CLASS.items():
        dataset = load_offline_copy(cifar_dir, train=split == "train", verbose=False)
        for name in CLASSES:
            label = CIFAR_CLASSES.index(name)
            indices = [i for i, y in enumerate(dataset.targets) if y == label][:per_class]
            if len(indices) < per_class:
                raise RuntimeError(f"{cifar_dir} has only {len(indices)} {split} images of {name}, {per_class} needed")
            for i in indices:
                files[f"{FOLDER}/{split}/{name}/{i:05d}.png"] = png_bytes(dataset.data[i])
    return files


def _info(name: str) -> zipfile.ZipInfo:
    """A zip entry with everything fixed that zipfile would otherwise take from the clock or the platform."""
    info = zipfile.ZipInfo(name, date_time=DATE_TIME)
    info.create_system = 3  # Unix, on every platform
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = ((0o40755 << 16) | 0x10) if name.endswith("/") else (0o100644 << 16)
    return info


def write_zip(files: dict[str, bytes], path: Path) -> None:
    """Write files, and an entry for every folder above them, in sorted order."""
    folders = {str(Path(name).parents[i]) + "/" for name in files for i in range(len(Path(name).parents) - 1)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(folders | set(files)):
            archive.writestr(_info(name), files.get(name, b""))


def build(cifar_dir: str | os.PathLike, out: Path) -> str:
    """Build the archive at out from the CIFAR-10 copy in cifar_dir; return its md5."""
    write_zip(members(cifar_dir), out)
    return calculate_md5(out)


def main(argv: list[str] | None = None) -> int:
    """Command line: build (or check) the archive and compare its md5 with helpers.image_folder.MD5."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build", "check"])
    parser.add_argument("--cifar", default=os.environ.get(ENV_VAR, ""), help=f"CIFAR-10 copy (default: ${ENV_VAR})")
    parser.add_argument("--out", default=str(archive_path()), help=f"where to write {ARCHIVE}")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.command == "build":
        if not args.cifar:
            print(f"error: name the CIFAR-10 sample with --cifar DIR or ${ENV_VAR}", file=sys.stderr)
            return 2
        md5 = build(args.cifar, out)
        print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, md5 {md5})")
    else:
        md5 = calculate_md5(out) if out.is_file() else "missing"
    if md5 != MD5:
        print(f"md5 {md5} differs from helpers.image_folder.MD5 = {MD5}: update the constant if the change is "
              "intended", file=sys.stderr)
        return 1
    print(f"{out}: md5 matches helpers.image_folder.MD5")
    return 0


if __name__ == "__main__":
    sys.exit(main())
