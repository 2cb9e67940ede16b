"""Small helpers for the PyTorch Basics course.

One concern per module; nothing runs at import time. Import what a notebook needs, e.g.
``from helpers.device import get_device``.
"""
