"""Typical wrong answers to the 00_setup exercises."""
import torch

WRONG = {
    "zeros_of_shape": lambda rows, cols: torch.zeros(cols, rows),
}
