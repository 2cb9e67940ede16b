"""The PyTorch Basics course's student runtime: one concern per module, nothing runs at import time."""
