"""The image-folder archive of 08_custom_datasets: its md5 is the recorded one, the build reproduces it byte for
byte, the download runs offline and a damaged or missing archive is named with what to do."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import torch
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder
from torchvision.datasets.utils import calculate_md5
from torchvision.transforms import v2

from course import image_folder as build_script
from helpers import image_folder
from helpers.child_output import captured_stderr
from helpers.image_folder import ARCHIVE, MD5, ArchiveError, archive_path, download_image_folder

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "data" / "cifar10-sample"


def test_the_committed_archive_has_the_recorded_md5_and_is_small():
    assert archive_path() == ROOT / "data" / ARCHIVE and archive_path().is_file()
    assert calculate_md5(archive_path()) == MD5
    assert archive_path().stat().st_size < 2_000_000
    with zipfile.ZipFile(archive_path()) as zf:
        names = zf.namelist()
        assert zf.testzip() is None and names == sorted(names)
    assert sum(n.endswith(".png") for n in names) == 480
    assert {n.split("/")[2] for n in names if n.endswith(".png")} == set(image_folder.CLASSES)


def test_the_md5_is_recorded_in_one_place_only():
    code = [*ROOT.glob("helpers/*.py"), *ROOT.glob("course/**/*.py"), *ROOT.glob("tests/*.py")]
    sources = {p: p.read_text() for p in code}
    sources |= {p: "".join(c.source for c in nbformat.read(p, as_version=4).cells) for p in ROOT.glob("*/[0-9]*.ipynb")}
    assert [p for p, text in sources.items() if MD5 in text] == [ROOT / "helpers" / "image_folder.py"]


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="needs the CIFAR-10 sample (COURSE_CIFAR10_DIR)")
@pytest.mark.slow
def test_the_build_script_reproduces_the_archive_byte_for_byte(tmp_path):
    out = tmp_path / ARCHIVE
    proc = subprocess.run([sys.executable, "-m", "course.image_folder", "build", "--cifar", str(SAMPLE), "--out",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.read_bytes() == archive_path().read_bytes()
    assert "md5 matches" in proc.stdout


def test_check_reports_an_archive_that_differs(tmp_path, capsys):
    other = tmp_path / ARCHIVE
    other.write_bytes(b"PK not the archive")
    assert build_script.main(["check", "--out", str(other)]) == 1
    assert "differs from helpers.image_folder.MD5" in capsys.readouterr().err
    assert build_script.main(["check"]) == 0


def test_zip_entries_carry_no_clock_and_no_platform(tmp_path):
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    build_script.write_zip({"x/b.png": b"2", "x/a.png": b"1"}, first)
    build_script.write_zip({"x/a.png": b"1", "x/b.png": b"2"}, second)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        assert zf.namelist() == ["x/", "x/a.png", "x/b.png"]
        assert {i.date_time for i in zf.infolist()} == {build_script.DATE_TIME}


def test_download_verifies_and_extracts_offline(tmp_path):
    folder = download_image_folder(tmp_path)
    assert calculate_md5(tmp_path / ARCHIVE) == MD5
    train, test = ImageFolder(folder / "train"), ImageFolder(folder / "test")
    assert train.classes == list(image_folder.CLASSES) and (len(train), len(test)) == (360, 120)
    mine = image_folder.FolderDataset(folder / "train")
    assert mine.samples == train.samples and mine.class_to_idx == train.class_to_idx


def test_a_damaged_archive_names_the_file_and_what_to_do(tmp_path):
    source = tmp_path / "source" / ARCHIVE
    source.parent.mkdir()
    source.write_bytes(archive_path().read_bytes()[:50_000])
    with pytest.raises(ArchiveError) as caught:
        download_image_folder(tmp_path / "down", source=source)
    message = str(caught.value)
    assert str(tmp_path / "down" / ARCHIVE) in message and "is damaged" in message and MD5 in message
    assert f"Delete {tmp_path / 'down' / ARCHIVE}" in message and "python -m course.image_folder build" in message


def test_a_missing_archive_names_it(tmp_path):
    with pytest.raises(ArchiveError, match=r"nothing\.zip is missing\. Restore"):
        download_image_folder(tmp_path, source=tmp_path / "nothing.zip")


def test_a_damaged_download_is_fetched_again(tmp_path):
    (tmp_path / ARCHIVE).write_bytes(b"half a download")
    download_image_folder(tmp_path)
    assert calculate_md5(tmp_path / ARCHIVE) == MD5


def test_captured_stderr_sees_what_child_processes_print():
    with captured_stderr() as out:
        subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write('from the child')"], check=True)
    assert out.text == "from the child"


def test_the_importable_dataset_works_in_spawned_workers(tmp_path):
    folder = download_image_folder(tmp_path)
    ds = image_folder.FolderDataset(folder / "test", transform=v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32,
                                                                                                   scale=True)]))
    batches = list(DataLoader(ds, batch_size=40, num_workers=1, multiprocessing_context="spawn"))
    assert [tuple(x.shape) for x, _ in batches] == [(40, 3, 32, 32)] * 3
    assert torch.cat([y for _, y in batches]).tolist() == ds.targets
