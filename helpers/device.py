"""Pick the torch device: CUDA, then Apple MPS, then CPU, with overrides."""
from __future__ import annotations

import os

import torch

ENV_VAR = "COURSE_DEVICE"
AUTO = "auto"


def mps_available() -> bool:
    """Return True when Apple's Metal (MPS) backend can run tensors here."""
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def available_devices() -> list[str]:
    """List the device types usable on this machine, best first."""
    found = ["cuda"] if torch.cuda.is_available() else []
    if mps_available():
        found.append("mps")
    return found + ["cpu"]


def _require(name: str, source: str) -> torch.device:
    """Turn a requested device name into a torch.device, or explain why it cannot be used."""
    try:
        device = torch.device(name)
    except RuntimeError as err:
        raise ValueError(f"{source} asks for device {name!r}, which torch does not know ({err}). "
                         f"Use one of: auto, {', '.join(available_devices())}.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"{source} asks for device {name!r}, but torch.cuda.is_available() is False "
                           f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'no'}). "
                           f"Use 'auto' or 'cpu', or run on a machine with an NVIDIA GPU.")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise RuntimeError(f"{source} asks for {name!r}, but only {torch.cuda.device_count()} GPU(s) exist.")
    if device.type == "mps" and not mps_available():
        raise RuntimeError(f"{source} asks for device 'mps', but the MPS backend is not available here. "
                           f"Use 'auto' or 'cpu'.")
    return device


def get_device(preference: str | torch.device | None = AUTO) -> torch.device:
    """Return the device to use: an explicit preference, else $COURSE_DEVICE, else the best available."""
    if isinstance(preference, torch.device):
        return _require(str(preference), "the code")
    if preference not in (None, "", AUTO):
        return _require(str(preference), "the notebook parameter `device`")
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env and from_env != AUTO:
        return _require(from_env, f"the environment variable {ENV_VAR}")
    return torch.device(available_devices()[0])


def describe_device(device: torch.device) -> str:
    """Return a one-line description of a device, e.g. its GPU name."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        return f"cuda:{index} ({props.name}, {props.total_memory / 2**30:.0f} GiB)"
    if device.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"
