"""helpers.device and helpers.seed."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from helpers import device as dev
from helpers.seed import set_seed


def test_auto_picks_the_best_available_and_cpu_is_always_there(monkeypatch):
    monkeypatch.delenv(dev.ENV_VAR, raising=False)
    assert dev.available_devices()[-1] == "cpu"
    assert dev.get_device("auto") == torch.device(dev.available_devices()[0])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dev.available_devices()[0] == "cuda"
    assert dev.get_device() == torch.device("cuda")


def test_precedence_parameter_then_environment_then_auto(monkeypatch):
    monkeypatch.setenv(dev.ENV_VAR, "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dev.get_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert dev.get_device("cuda") == torch.device("cuda")
    assert dev.get_device(torch.device("cpu")) == torch.device("cpu")


def test_unavailable_or_unknown_devices_explain_what_to_do(monkeypatch):
    monkeypatch.delenv(dev.ENV_VAR, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="notebook parameter `device` asks for device 'cuda'.*Use 'auto' or 'cpu'"):
        dev.get_device("cuda")
    with pytest.raises(ValueError, match="'gpu', which torch does not know.*Use one of: auto, .*cpu"):
        dev.get_device("gpu")
    monkeypatch.setenv(dev.ENV_VAR, "cuda")
    with pytest.raises(RuntimeError, match="environment variable COURSE_DEVICE"):
        dev.get_device("auto")


def test_describe_device_on_cpu():
    assert dev.describe_device(torch.device("cpu")).startswith("cpu (")


def test_set_seed_repeats_python_numpy_and_torch():
    gen = set_seed(7)
    first = (random.random(), np.random.rand(), torch.rand(2), torch.rand(2, generator=gen))
    gen = set_seed(7)
    again = (random.random(), np.random.rand(), torch.rand(2), torch.rand(2, generator=gen))
    assert first[:2] == again[:2] and torch.equal(first[2], again[2]) and torch.equal(first[3], again[3])
    with pytest.raises(TypeError, match="seed must be an int"):
        set_seed(1.5)
