"""The image-folder data set of 08_custom_datasets: a zip of CIFAR-10 PNGs in data/, its md5 (recorded only here),
a download through torchvision's own download -> verify -> extract path (served over HTTP from this machine, so
it runs offline), and the lesson's folder Dataset in an importable module (DataLoader workers must import it)."""
from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from pathlib import Path
from typing import Iterator
from urllib.error import URLError

from PIL import Image
from torch.utils.data import Dataset

ARCHIVE = "cifar3-imagefolder.zip"  # built by `python -m course.image_folder build`
MD5 = "4fcd6e05affa9711d75a946165907bb9"  # the archive's checksum, recorded in this one place
FOLDER = "cifar3"  # the archive holds cifar3/train/<class>/*.png and cifar3/test/<class>/*.png
CLASSES = ("automobile", "frog", "ship")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


class ArchiveError(RuntimeError):
    """The archive is missing, or what was downloaded does not match its md5 (truncated or changed)."""


def archive_path() -> Path:
    """The archive shipped with the course (and the hand-out): data/cifar3-imagefolder.zip."""
    return Path(__file__).resolve().parent.parent / "data" / ARCHIVE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        """Log nothing (the base class prints a line per request)."""


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Print nothing when a client hangs up early (torchvision's redirect check reads only the headers)."""


@contextlib.contextmanager
def serve_folder(folder: str | os.PathLike) -> Iterator[str]:
    """Serve folder over HTTP on this machine (127.0.0.1, a free port) while the block runs; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    with _QuietServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join()


def _fix(source: Path) -> str:
    """What to do when the archive at source is missing or damaged."""
    return (f"Restore {source} (in the course repository: `git checkout data/{source.name}` or "
            f"`python -m course.image_folder build`; from the hand-out: unpack a fresh copy of it).")


def download_image_folder(root: str | os.PathLike, source: str | os.PathLike | None = None, md5: str = MD5) -> Path:
    """Download the archive (default: data/'s) over HTTP into root, check its md5, extract it there; return
    root / FOLDER. Raise ArchiveError, naming the file and what to do, when it is missing or damaged."""
    from torchvision.datasets.utils import calculate_md5, download_and_extract_archive  # here: workers that only
    # import FolderDataset from this module start faster without torchvision
    source, root = Path(source or archive_path()).expanduser().resolve(), Path(root).expanduser()  # "~/data" too
    target = root / source.name
    if not source.is_file():
        raise ArchiveError(f"{source} is missing. {_fix(source)}")
    try:
        with serve_folder(source.parent) as base_url:
            download_and_extract_archive(f"{base_url}/{source.name}", download_root=root, md5=md5)
    except URLError as err:
        raise ArchiveError(f"Downloading {source.name} from this machine failed ({err.reason}); with an HTTP "
                           "proxy set, add 127.0.0.1 to the no_proxy variable.") from None
    except RuntimeError as err:
        if "corrupted" not in str(err):
            raise
        raise ArchiveError(f"{target} is damaged: its md5 is {calculate_md5(target)}, not {md5} (a truncated or "
                           f"changed copy). Delete {target} and run this again; if its source is damaged too: "
                           f"{_fix(source)}") from None
    return root / FOLDER


class FolderDataset(Dataset):
    """root/<class>/<file> as (image, label) like ImageFolder, but hidden folders (.ipynb_checkpoints) are skipped."""

    def __init__(self, root: str | os.PathLike, transform=None, extensions: tuple[str, ...] = IMAGE_SUFFIXES):
        folders = [d for d in Path(root).iterdir() if d.is_dir() and not d.name.startswith(".")]
        self.classes = sorted(d.name for d in folders)
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self.samples = [(str(f), i) for name, i in self.class_to_idx.items()
                        for f in sorted(Path(root, name).rglob("*")) if f.is_file() and f.suffix.lower() in extensions]
        self.targets, self.transform = [label for _, label in self.samples], transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        path, label = self.samples[index]
        with Image.open(path) as image:
            image = image.convert("RGB")
        return (self.transform(image) if self.transform else image), label
