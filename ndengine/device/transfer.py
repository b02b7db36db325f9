"""Moving buffers between devices (runs inside copy ops on the copy workers)."""
from __future__ import annotations

from typing import Any

import numpy


def transfer(buf: Any, src: Any, dst: Any) -> Any:
    """A new buffer on *dst* holding *buf* (which lives on *src*)."""
    if not src.is_gpu and not dst.is_gpu:
        return numpy.array(buf, copy=True)
    xp = dst.xp
    if dst.is_gpu:
        with xp.cuda.Device(dst.device_id):
            return xp.asarray(buf)
    return src.xp.asnumpy(buf)


def to_host(buf: Any, device: Any) -> numpy.ndarray:
    """The buffer as a NumPy array (a copy for GPU buffers, the buffer itself on CPU)."""
    if device.is_gpu:
        return device.xp.asnumpy(buf)
    return buf
