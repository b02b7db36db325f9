"""The CuPy backend: found only where CuPy and a CUDA device are present.

This module has not been run on GPU hardware yet (see the README).
"""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def _probe() -> int:
    try:
        import cupy  # type: ignore[import-not-found]
    except Exception:
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:
        return 0


def num_gpus() -> int:
    """Number of CUDA devices CuPy can see (0 without CuPy)."""
    return _probe()


def cupy_module():
    if not _probe():
        from .device import DeviceError

        raise DeviceError("no GPU available: CuPy is not installed or sees no CUDA device")
    import cupy  # type: ignore[import-not-found]

    return cupy
