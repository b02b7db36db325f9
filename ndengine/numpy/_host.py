"""Host data onto a device: for results worked out on the host (index arrays that
follow from shapes, and the results of blocking, data-dependent routines)."""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ..device import Device
from ..device.transfer import transfer
from ..ndarray.ndarray import NDArray, from_buffer

_CPU = Device("cpu", 0)


def to_device(buf: Any, device: Device) -> NDArray:
    """An NDArray on *device* holding host array *buf* (ready at once)."""
    buf = _onp.ascontiguousarray(buf)
    if device.is_gpu:
        buf = transfer(buf, _CPU, device)
    return from_buffer(buf, device)


def host_fallback(fn: Any, device: Device, *args: Any, **kw: Any) -> Any:
    """Run NumPy's *fn* on host copies of the ndengine arrays among *args* (this blocks
    on them), as MXNet's fallback ops do; host arrays in the result come back as
    ndengine arrays on *device*."""
    def conv(x: Any) -> Any:
        if isinstance(x, NDArray):
            return x.asnumpy()
        if isinstance(x, (list, tuple)):
            return type(x)(conv(v) for v in x)
        return x
    r = fn(*[conv(x) for x in args], **{k: conv(v) for k, v in kw.items()})
    return back(r, device)


def back(x: Any, device: Device) -> Any:
    if isinstance(x, _onp.ndarray):
        return to_device(x, device)
    if isinstance(x, tuple):
        return tuple(back(v, device) for v in x)
    if isinstance(x, list):
        return [back(v, device) for v in x]
    return x
