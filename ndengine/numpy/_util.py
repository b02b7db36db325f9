"""Shared plumbing of the np namespace: argument conversion and defaults."""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ..device import Device, current_device
from ..ndarray.ndarray import NDArray, _coerce, array_dtype, from_buffer

float32 = _onp.dtype(_onp.float32)


def device_of(ctx: Any = None, device: Any = None) -> Device:
    """MXNet accepts ``ctx=`` and ``device=``; None means the current device."""
    d = device if device is not None else ctx
    if d is None:
        return current_device()
    if isinstance(d, str):
        name, _, rest = d.partition("(")
        try:
            d = Device(name.strip(), int(rest.rstrip(")") or 0))
        except ValueError:
            raise TypeError(f"ctx/device: cannot parse {d!r} (expected 'cpu(0)', 'gpu(1)'...)") \
                from None
    if not isinstance(d, Device):
        raise TypeError(f"ctx/device must be a Device such as cpu(0), got {d!r}")
    if d.device_type == "gpu":
        d.check_available()       # fail at the call, naming the device
    return d


def default_dtype(dtype: Any, opname: str = "array") -> Any:
    """*dtype* as a NumPy dtype (float32 for None, MXNet's default); strings, objects
    and other non-numeric dtypes are a DTypeError naming *opname*."""
    return float32 if dtype is None else array_dtype(dtype, opname)


def as_nd(x: Any, device: Device | None = None) -> NDArray:
    """An NDArray from an NDArray, NumPy array, list or scalar (float data -> float32
    unless it is already a NumPy float64 array, as MXNet's np.array does)."""
    if x.__class__ is NDArray:
        return x
    return _coerce(x, device or current_device())


def is_nd(x: Any) -> bool:
    return x.__class__ is NDArray


__all__ = ["device_of", "default_dtype", "as_nd", "is_nd", "from_buffer", "NDArray"]
