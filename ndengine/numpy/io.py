"""Text input (MXNet 1.9.1's ``mxnet.numpy.io``): ``genfromtxt``.

Reading a file is host work, as in MXNet: NumPy's reader runs at the call and the
table comes back as an ndengine array (NumPy's dtype, float64 for numbers, as MXNet's
genfromtxt gives) on ``ctx``/``device`` (the current device by default).
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ..ndarray.ndarray import NDArray
from ..ndarray.ops import DTypeError
from ._host import to_device
from ._util import device_of

__all__ = ["genfromtxt"]


def genfromtxt(*args: Any, ctx: Any = None, device: Any = None, **kwargs: Any) -> NDArray:
    """See numpy.genfromtxt (every NumPy argument; structured or string results, which
    ndengine arrays cannot hold, are an error)."""
    r = _onp.genfromtxt(*args, **kwargs)
    if isinstance(r, tuple):
        raise DTypeError("genfromtxt: unpack with a structured dtype is not supported")
    if r.dtype.names is not None or r.dtype.kind in "OSUV":
        raise DTypeError(f"genfromtxt: the data read has dtype {r.dtype}, which ndengine "
                         f"arrays cannot hold; pass a numeric dtype")
    return to_device(r, device_of(ctx, device))
