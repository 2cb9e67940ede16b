"""Shared test settings: one thread per kernel, the device under test, where executed notebooks go."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "test"

# Two notebooks run at once on two cores: one torch thread each avoids 3-7x oversubscription slowdowns.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
# make test-gpu sets COURSE_TEST_DEVICE=cuda; CPU runs pin the device so a stray GPU cannot change outputs.
TEST_DEVICE = os.environ.get("COURSE_TEST_DEVICE", "cpu")
os.environ["COURSE_DEVICE"] = TEST_DEVICE
# Like the Makefile: without an explicit COURSE_CIFAR10_DIR, use the offline sample beside the project if present.
_SAMPLE = ROOT.parent / "shared" / "data" / "cifar10-sample"
if not os.environ.get("COURSE_CIFAR10_DIR") and _SAMPLE.is_dir():
    os.environ["COURSE_CIFAR10_DIR"] = str(_SAMPLE)


@pytest.fixture(scope="session")
def test_device() -> str:
    """The device notebooks are executed on: 'cpu' (make test) or 'cuda' (make test-gpu)."""
    return TEST_DEVICE
