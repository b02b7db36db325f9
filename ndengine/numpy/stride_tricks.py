"""``broadcast_arrays`` (MXNet 1.9.1's ``mxnet.numpy.stride_tricks``)."""
from __future__ import annotations

from .manipulation import broadcast_arrays

__all__ = ["broadcast_arrays"]
