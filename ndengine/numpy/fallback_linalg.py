"""The np.linalg names MXNet 1.9.1 implements by falling back to NumPy
(``mxnet.numpy.fallback_linalg``), re-exported: here they are ndengine functions
(``lstsq`` blocks, the others are asynchronous)."""
from __future__ import annotations

from .linalg import cond, lstsq, matrix_power, matrix_rank, multi_dot, qr  # noqa: F401

__all__ = ["cond", "lstsq", "matrix_power", "matrix_rank", "multi_dot", "qr"]
