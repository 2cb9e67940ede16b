"""helpers.cifar on small synthetic CIFAR-10 copies in the official layout, and on the shared offline sample."""
from __future__ import annotations

import os
import pickle
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch
import torchvision.datasets.cifar as tv_cifar
from torchvision.datasets import CIFAR10
from torchvision.datasets.utils import calculate_md5

from helpers import cifar

SHARED_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10-sample"
TRAIN_FILES = [name for name, _ in CIFAR10.train_list]
PER_BATCH = 7


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Never touch the network: every download fails as it does offline; start with the env var unset."""
    calls = []

    def no_network(url, *args, **kwargs):
        calls.append(url)
        raise URLError("[Errno -2] Name or service not known (test: offline)")

    monkeypatch.setattr(tv_cifar, "download_and_extract_archive", no_network)
    monkeypatch.delenv(cifar.ENV_VAR, raising=False)
    return calls


def write_copy(root: Path, per_batch: int = PER_BATCH, manifest: bool = True) -> Path:
    """Write a tiny CIFAR-10 copy in the official layout (pickled dicts as torchvision reads them)."""
    folder = root / cifar.BATCHES
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = ["file\timages\tmd5"]
    for i, name in enumerate(TRAIN_FILES + ["test_batch"]):
        entry = {"batch_label": f"synthetic batch {i}",
                 "labels": [int(k) for k in rng.integers(0, 10, per_batch)],
                 "data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)}
        (folder / name).write_bytes(pickle.dumps(entry, protocol=2))
        rows.append(f"{name}\t{per_batch}\t{calculate_md5(str(folder / name))}")
    meta = {"num_cases_per_batch": per_batch, "label_names": list(cifar.CLASSES), "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    if manifest:
        (root / cifar.MANIFEST).write_text("\n".join(rows) + "\n")
    return root


def test_offline_copy_with_manifest_is_used_after_the_download_fails(tmp_path, monkeypatch, capsys, offline):
    sample = write_copy(tmp_path / "sample")
    monkeypatch.setenv(cifar.ENV_VAR, str(sample))
    train = cifar.load_cifar10(root=tmp_path / "data", train=True)
    test = cifar.load_cifar10(root=tmp_path / "data", train=False)
    assert isinstance(train, cifar.OfflineCIFAR10) and isinstance(train, CIFAR10)
    assert (len(train), len(test)) == (5 * PER_BATCH, PER_BATCH)
    assert train.data.shape == (5 * PER_BATCH, 32, 32, 3) and train.classes == list(cifar.CLASSES)
    assert len(offline) == 2, "the download must be tried first"
    out = capsys.readouterr().out
    assert f"Loaded {5 * PER_BATCH} training images from {sample}" in out
    assert f"Loaded {PER_BATCH} test images" in out
    assert cifar.ENV_VAR in out and "MANIFEST.tsv, not the official ones" in out


def test_env_var_may_name_the_batches_folder_itself(tmp_path, monkeypatch):
    sample = write_copy(tmp_path / "sample")
    monkeypatch.setenv(cifar.ENV_VAR, str(sample / cifar.BATCHES))
    assert len(cifar.load_cifar10(root=tmp_path / "data", train=False, verbose=False)) == PER_BATCH


def test_copy_without_manifest_loads_and_says_checksums_are_not_verified(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(cifar.ENV_VAR, str(write_copy(tmp_path / "sample", manifest=False)))
    assert len(cifar.load_cifar10(root=tmp_path / "data", train=False)) == PER_BATCH
    assert "checksums not verified" in capsys.readouterr().out


def test_official_copy_in_data_is_used_without_downloading(tmp_path, monkeypatch, capsys, offline):
    data = write_copy(tmp_path / "data", manifest=False)
    md5 = {p.name: calculate_md5(str(p)) for p in (data / cifar.BATCHES).iterdir()}
    monkeypatch.setattr(CIFAR10, "train_list", [[n, md5[n]] for n in TRAIN_FILES])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5["batches.meta"]})
    dataset = cifar.load_cifar10(root=data)
    assert type(dataset) is CIFAR10 and len(dataset) == 5 * PER_BATCH and not offline
    assert "official CIFAR-10, checksums verified" in capsys.readouterr().out
    assert "full official copy" in cifar.describe_cifar10_source(data)


def test_offline_without_env_var_raises_a_clear_error(tmp_path):
    with pytest.raises(cifar.CIFAR10NotFoundError) as info:
        cifar.load_cifar10(root=tmp_path / "data")
    msg = str(info.value)
    assert str(tmp_path / "data" / cifar.BATCHES) in msg and "download" in msg and "failed" in msg
    assert f"${cifar.ENV_VAR}: not set" in msg and "cifar10-sample" in msg
    assert isinstance(info.value, FileNotFoundError)


def test_download_false_does_not_try_to_download(tmp_path, offline):
    with pytest.raises(cifar.CIFAR10NotFoundError):
        cifar.load_cifar10(root=tmp_path / "data", download=False)
    assert not offline


def test_env_var_naming_a_missing_folder_raises_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(cifar.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(cifar.CIFAR10NotFoundError, match=cifar.ENV_VAR) as info:
        cifar.load_cifar10(root=tmp_path / "data")
    assert str(tmp_path / "nowhere") in str(info.value)


@pytest.mark.parametrize("manifest", [True, False])
def test_truncated_file_raises_a_clear_error_naming_it(tmp_path, monkeypatch, manifest):
    sample = write_copy(tmp_path / "sample", manifest=manifest)
    bad = sample / cifar.BATCHES / "data_batch_3"
    bad.write_bytes(bad.read_bytes()[:1000])
    monkeypatch.setenv(cifar.ENV_VAR, str(sample))
    with pytest.raises(cifar.CIFAR10CorruptError) as info:
        cifar.load_cifar10(root=tmp_path / "data")
    assert str(bad) in str(info.value) and cifar.ENV_VAR in str(info.value)
    assert not isinstance(info.value, pickle.UnpicklingError)


def test_garbled_file_without_manifest_is_not_a_raw_unpickling_error(tmp_path, monkeypatch):
    sample = write_copy(tmp_path / "sample", manifest=False)
    bad = sample / cifar.BATCHES / "test_batch"
    bad.write_bytes(b"this is not a pickle" * 100)
    monkeypatch.setenv(cifar.ENV_VAR, str(sample))
    with pytest.raises(cifar.CIFAR10CorruptError, match="cannot be read") as info:
        cifar.load_cifar10(root=tmp_path / "data", train=False)
    assert str(bad) in str(info.value)


def test_manifest_mismatch_raises_a_clear_error(tmp_path, monkeypatch):
    sample = write_copy(tmp_path / "sample")
    text = (sample / cifar.MANIFEST).read_text().splitlines()
    name, images, _ = text[2].split("\t")
    text[2] = f"{name}\t{images}\t{'0' * 32}"
    (sample / cifar.MANIFEST).write_text("\n".join(text) + "\n")
    monkeypatch.setenv(cifar.ENV_VAR, str(sample))
    with pytest.raises(cifar.CIFAR10CorruptError, match="does not match the md5") as info:
        cifar.load_cifar10(root=tmp_path / "data")
    assert name in str(info.value)
    assert "damaged" in cifar.describe_cifar10_source(tmp_path / "data")


def test_missing_file_raises_a_clear_error(tmp_path, monkeypatch):
    sample = write_copy(tmp_path / "sample")
    (sample / cifar.BATCHES / "batches.meta").unlink()
    monkeypatch.setenv(cifar.ENV_VAR, str(sample))
    with pytest.raises(cifar.CIFAR10CorruptError, match="batches.meta is missing"):
        cifar.load_cifar10(root=tmp_path / "data", train=False)


def test_describe_source_never_downloads(tmp_path, monkeypatch, offline):
    nothing = cifar.describe_cifar10_source(tmp_path / "data")
    assert "not set" in nothing and cifar.ENV_VAR in nothing
    monkeypatch.setenv(cifar.ENV_VAR, str(write_copy(tmp_path / "sample")))
    assert "offline copy" in cifar.describe_cifar10_source(tmp_path / "data")
    assert not offline


def test_as_tensors_gives_nchw_floats_in_unit_range_and_int64_labels(tmp_path, monkeypatch):
    monkeypatch.setenv(cifar.ENV_VAR, str(write_copy(tmp_path / "sample")))
    dataset = cifar.load_cifar10(root=tmp_path / "data", verbose=False)
    images, labels = cifar.as_tensors(dataset)
    assert images.shape == (5 * PER_BATCH, 3, 32, 32) and images.dtype == torch.float32
    assert images.is_contiguous() and 0.0 <= images.min() and images.max() <= 1.0
    assert labels.dtype == torch.int64 and labels.tolist() == dataset.targets
    first = torch.from_numpy(dataset.data[0]).permute(2, 0, 1).float() / 255
    assert torch.equal(images[0], first)


def _shared_sample() -> Path | None:
    """Return the real offline sample: $COURSE_CIFAR10_DIR or ../shared/data/cifar10-sample, if present."""
    for candidate in (os.environ.get(cifar.ENV_VAR, ""), str(SHARED_SAMPLE)):
        if candidate and (cifar.dataset_root(candidate) / cifar.BATCHES).is_dir():
            return cifar.dataset_root(candidate)
    return None


@pytest.mark.skipif(_shared_sample() is None,
                    reason=f"no CIFAR-10 sample: set {cifar.ENV_VAR} or provide {SHARED_SAMPLE}")
def test_real_offline_sample_loads_5085_training_and_1017_test_images(tmp_path, monkeypatch, capsys):
    sample = _shared_sample()
    monkeypatch.setenv(cifar.ENV_VAR, str(sample))
    train = cifar.load_cifar10(root=tmp_path / "data", train=True)
    test = cifar.load_cifar10(root=tmp_path / "data", train=False)
    assert (len(train), len(test)) == (5085, 1017)
    assert tuple(train.classes) == cifar.CLASSES
    assert "Loaded 5085 training images" in capsys.readouterr().out
    images, labels = cifar.as_tensors(test)
    assert images.shape == (1017, 3, 32, 32) and set(labels.tolist()) == set(range(10))
