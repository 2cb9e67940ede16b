"""Typical wrong answers to the exercises of 05_devices_and_cuda."""
import torch


def _first_available(available, requested):
    return available[0] if requested in ("auto", "") else requested


def _move_top_level(batch, device):
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def _standardize_on_cpu(x, mean, std):
    return (x - torch.tensor(mean)) / torch.tensor(std)


def _first_win(sizes, cpu_seconds, gpu_seconds):
    return next((s for s, c, g in zip(sizes, cpu_seconds, gpu_seconds) if g < c), None)


WRONG = {
    "choose_device": _first_available,
    "to_cpu_float64": lambda x: x.cpu(),
    "move_batch": _move_top_level,
    "standardize_on_device": _standardize_on_cpu,
    "matmul_flops": lambda m, k, n: m * k * n,
    "achieved_tflops": lambda n, seconds: 2 * n**3 / seconds / 1e9,
    "gpu_wins_from": _first_win,
    "quiz_05_1": "a",
    "quiz_05_2": 2.0,
    "quiz_05_3": "a",
    "quiz_05_4": "c",
    "quiz_05_5": "a",
    "quiz_05_6": "b",
}
