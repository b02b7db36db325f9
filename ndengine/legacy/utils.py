"""``mx.nd.utils``: MXNet 1.x's creation and file helpers (the same functions as
``mx.nd``'s)."""
from __future__ import annotations

from .creation import array, empty, zeros
from .io import load, load_frombuffer, save
from .ndarray import NDArray

__all__ = ["NDArray", "zeros", "empty", "array", "load", "load_frombuffer", "save"]
