"""Load CIFAR-10 through torchvision: the official copy in data/, a download, or an offline copy named by an env var."""
from __future__ import annotations

import os
import pickle
from pathlib import Path
from urllib.error import URLError

import torch
from torchvision.datasets import CIFAR10
from torchvision.datasets.utils import calculate_md5, check_integrity

ENV_VAR = "COURSE_CIFAR10_DIR"
BATCHES = CIFAR10.base_folder  # "cifar-10-batches-py"
MANIFEST = "MANIFEST.tsv"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FIX = (f"To fix it, either download the CIFAR-10 python version "
       f"(https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz) and extract it so that "
       f"data/{BATCHES}/ exists, or set the environment variable {ENV_VAR} to a folder that holds "
       f"{BATCHES}/ (the course's CI uses ../shared/data/cifar10-sample).")


class CIFAR10NotFoundError(FileNotFoundError):
    """No usable CIFAR-10 copy: not in data/, no download, no offline copy."""


class CIFAR10CorruptError(RuntimeError):
    """A CIFAR-10 copy exists but one of its files is damaged or does not match its checksum."""


def default_root() -> Path:
    """Return the repository's data/ folder, where the official copy lives."""
    return Path(__file__).resolve().parent.parent / "data"


def dataset_root(folder: str | os.PathLike) -> Path:
    """Return the folder that holds cifar-10-batches-py/, given it or the batches folder itself."""
    folder = Path(folder).expanduser()
    return folder.parent if folder.name == BATCHES else folder


def _files(train: bool | None = None) -> list[str]:
    """Return the batch file names torchvision reads (both splits when train is None), plus the meta file."""
    lists = {True: CIFAR10.train_list, False: CIFAR10.test_list, None: CIFAR10.train_list + CIFAR10.test_list}
    return [name for name, _ in lists[train]] + [CIFAR10.meta["filename"]]


def has_official_copy(root: str | os.PathLike) -> bool:
    """Return True when root holds CIFAR-10 with the official checksums (torchvision's own check)."""
    folder = dataset_root(root) / BATCHES
    return all(check_integrity(str(folder / name), md5) for name, md5 in CIFAR10.train_list + CIFAR10.test_list)


def read_manifest(root: str | os.PathLike) -> dict[str, str] | None:
    """Return {file name: md5} from the copy's MANIFEST.tsv, or None when it has none."""
    root = dataset_root(root)
    path = next((p for p in (root / MANIFEST, root / BATCHES / MANIFEST) if p.is_file()), None)
    if path is None:
        return None
    rows = [line.split("\t") for line in path.read_text().splitlines()[1:] if line.strip()]
    return {row[0]: row[-1].strip() for row in rows}


def copy_problems(root: str | os.PathLike, train: bool | None = None) -> list[str]:
    """List what is wrong with an offline copy: missing files, or md5s that differ from its MANIFEST.tsv."""
    root = dataset_root(root)
    manifest = read_manifest(root) or {}
    problems = []
    for name in _files(train):
        path = root / BATCHES / name
        if not path.is_file():
            problems.append(f"{path} is missing")
        elif name in manifest and calculate_md5(str(path)) != manifest[name]:
            problems.append(f"{path} does not match the md5 in {MANIFEST} (truncated or changed)")
    return problems


class OfflineCIFAR10(CIFAR10):
    """torchvision's CIFAR10 for an offline copy whose md5s are checked against its MANIFEST.tsv, not the official ones."""

    meta = {**CIFAR10.meta, "md5": None}  # checked by _check_integrity below, against the manifest

    def _check_integrity(self) -> bool:
        """Accept the copy when every file exists and matches its manifest md5 (existence only without one)."""
        return not copy_problems(self.root, self.train)

    def download(self) -> None:
        """Never download: this class is for copies that already exist."""


def _unreadable_file(root: Path, train: bool) -> str:
    """Name the first file of the split that pickle cannot read as a CIFAR batch."""
    for name in _files(train):
        path = root / BATCHES / name
        try:
            with open(path, "rb") as f:
                entry = pickle.load(f, encoding="latin1")
            if name != CIFAR10.meta["filename"] and (entry["data"].size % 3072 or "labels" not in entry):
                return f"{path} (wrong size or keys)"
        except Exception as err:  # any failure to read it is the diagnosis
            return f"{path} ({type(err).__name__}: {err})"
    return f"a file in {root / BATCHES}"


def _construct(cls: type[CIFAR10], root: Path, train: bool, transform, **kwargs) -> CIFAR10:
    """Build the dataset, turning unreadable files into a clear CIFAR10CorruptError."""
    try:
        return cls(str(root), train=train, transform=transform, **kwargs)
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, AttributeError, IndexError, TypeError) as err:
        raise CIFAR10CorruptError(
            f"The CIFAR-10 copy in {root} cannot be read: {_unreadable_file(root, train)}. Delete it and copy or "
            f"download it again. {FIX}") from err


def _report(dataset: CIFAR10, train: bool, where: Path, how: str, verbose: bool) -> CIFAR10:
    """Print how many images were loaded, from where and how they were checked; return the dataset."""
    if verbose:
        split = "training" if train else "test"
        print(f"Loaded {len(dataset)} {split} images from {where} ({how})")
    return dataset


def load_offline_copy(folder: str | os.PathLike, train: bool = True, transform=None,
                      verbose: bool = True) -> CIFAR10:
    """Load CIFAR-10 from an existing copy: official checksums if it has them, else its MANIFEST.tsv."""
    root = dataset_root(folder)
    if not (root / BATCHES).is_dir():
        raise CIFAR10NotFoundError(f"{ENV_VAR} names {folder}, but there is no {BATCHES}/ folder in {root}. {FIX}")
    if has_official_copy(root):
        dataset = _construct(CIFAR10, root, train, transform)
        return _report(dataset, train, root, f"named by {ENV_VAR}; official checksums verified", verbose)
    problems = copy_problems(root, train)
    if problems:
        raise CIFAR10CorruptError(f"The CIFAR-10 copy named by {ENV_VAR} is damaged: {'; '.join(problems)}. "
                                  f"Copy it again from its source. {FIX}")
    dataset = _construct(OfflineCIFAR10, root, train, transform)
    checked = (f"checksums verified against its {MANIFEST}, not the official ones" if read_manifest(root)
               else f"no {MANIFEST}: files exist and load, checksums not verified")
    return _report(dataset, train, root, f"offline sample named by {ENV_VAR}; {checked}", verbose)


def load_cifar10(root: str | os.PathLike | None = None, train: bool = True, transform=None,
                 download: bool = True, verbose: bool = True) -> CIFAR10:
    """Return torchvision's CIFAR-10 split: the copy in root (data/), else a download, else $COURSE_CIFAR10_DIR."""
    root = dataset_root(root) if root else default_root()
    looked = []
    if has_official_copy(root):
        dataset = _construct(CIFAR10, root, train, transform)
        return _report(dataset, train, root, "official CIFAR-10, checksums verified", verbose)
    looked.append(f"{root / BATCHES}: " + ("fails torchvision's official checksum check"
                                           if (root / BATCHES).is_dir() else "not there"))
    if download:
        try:
            dataset = _construct(CIFAR10, root, train, transform, download=True)
            return _report(dataset, train, root, "downloaded, official checksums verified", verbose)
        except OSError as err:  # URLError (offline), timeouts, refused connections, disk errors
            reason = err.reason if isinstance(err, URLError) else err
            looked.append(f"download from {CIFAR10.url}: failed ({reason})")
    folder = os.environ.get(ENV_VAR, "").strip()
    if folder:
        return load_offline_copy(folder, train, transform, verbose)
    looked.append(f"${ENV_VAR}: not set")
    raise CIFAR10NotFoundError("No CIFAR-10 copy found. Looked at: " + "; ".join(looked) + f". {FIX}")


def describe_cifar10_source(root: str | os.PathLike | None = None) -> str:
    """Say in one sentence which CIFAR-10 copy load_cifar10 would use, without downloading anything."""
    root = dataset_root(root) if root else default_root()
    if has_official_copy(root):
        return f"CIFAR-10: the full official copy in {root / BATCHES} will be used."
    folder = os.environ.get(ENV_VAR, "").strip()
    if folder:
        named = dataset_root(folder)
        if not (named / BATCHES).is_dir():
            return f"CIFAR-10: {ENV_VAR} names {folder}, which holds no {BATCHES}/ folder. {FIX}"
        problems = copy_problems(named)
        if problems:
            return f"CIFAR-10: the copy named by {ENV_VAR} is damaged ({problems[0]}). {FIX}"
        return (f"CIFAR-10: no full copy in {root}; a download will be tried first, then the offline copy in "
                f"{named} named by {ENV_VAR} is used.")
    return (f"CIFAR-10: no copy in {root} and {ENV_VAR} is not set, so the 07 notebook will try to download "
            f"it (170 MB). Offline, that fails. {FIX}")


def as_tensors(dataset: CIFAR10) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the whole split as float NCHW images in [0, 1] and int64 labels."""
    images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous().float().div_(255)
    return images, torch.as_tensor(dataset.targets, dtype=torch.int64)

