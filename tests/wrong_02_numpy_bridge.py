"""Typical wrong answers for the exercises of 02_numpy_bridge (each must be judged incorrect)."""
import torch

WRONG = {
    "shared_tensor": lambda a: torch.tensor(a),                      # copies: later changes are not seen
    "snapshot": lambda a: torch.as_tensor(a),                        # shares memory with the array
    "to_numpy": lambda t: t.numpy(),                                 # fails: t requires grad
    "promote_all": lambda tensors: [t.float() for t in tensors],     # assumes the common type is float32
    "column_means_list": lambda t: list(t.mean(dim=0)),              # a list of 0-dim tensors
    "float32_input": lambda a: torch.as_tensor(a, dtype=torch.float32),  # shares when a is already float32
    "shares_memory": lambda a, t: t.data_ptr() == a.ctypes.data,     # misses views that start later
    "quiz_02_1": 2.0,
    "quiz_02_2": "c",
    "quiz_02_3": "b",
    "quiz_02_4": "c",
    "quiz_02_5": "b",
    "quiz_02_6": "b",
}
