"""Set routines (see NumPy's "Set routines").

``isin``/``in1d`` are asynchronous ops (their shape is the input's); the others return
as many elements as the values say, so they block, as MXNet's do, and run NumPy's
routine on host copies, returning ndengine arrays on the first input's device.
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ..ndarray import ops_np as _ops_np  # noqa: F401
from ..ndarray.ndarray import NDArray, apply_op
from ..ndarray.ops import OPS
from ._host import host_fallback
from ._util import as_nd

__all__ = ["isin", "in1d", "intersect1d", "setdiff1d", "setxor1d", "union1d"]


def isin(element: Any, test_elements: Any, assume_unique: bool = False,
         invert: bool = False) -> NDArray:
    """See numpy.isin (bool of element's shape; asynchronous)."""
    e = as_nd(element)
    t = as_nd(test_elements, e.device).reshape((-1,))
    return apply_op(OPS["isin"], (e, t), {"invert": bool(invert)})


def in1d(ar1: Any, ar2: Any, assume_unique: bool = False, invert: bool = False) -> NDArray:
    """See numpy.in1d (``isin`` of the flattened ar1)."""
    return isin(as_nd(ar1).reshape((-1,)), ar2, assume_unique, invert)


def _dev(a: Any, b: Any) -> Any:
    d = next((x.device for x in (a, b) if isinstance(x, NDArray)), None)
    return d if d is not None else as_nd(0.0).device


def _args(a: Any, b: Any) -> tuple[NDArray, NDArray]:
    d = _dev(a, b)
    return as_nd(a, d), as_nd(b, d)


def intersect1d(ar1: Any, ar2: Any, assume_unique: bool = False,
                return_indices: bool = False) -> Any:
    """See numpy.intersect1d (int64 indices).  Blocks."""
    a, b = _args(ar1, ar2)
    r = host_fallback(lambda x, y: _onp.intersect1d(x, y, assume_unique, return_indices),
                      a.device, a, b)
    if return_indices:
        return (r[0], r[1].astype("int64"), r[2].astype("int64"))
    return r


def setdiff1d(ar1: Any, ar2: Any, assume_unique: bool = False) -> NDArray:
    """See numpy.setdiff1d.  Blocks."""
    a, b = _args(ar1, ar2)
    return host_fallback(lambda x, y: _onp.setdiff1d(x, y, assume_unique), a.device, a, b)


def setxor1d(ar1: Any, ar2: Any, assume_unique: bool = False) -> NDArray:
    """See numpy.setxor1d.  Blocks."""
    a, b = _args(ar1, ar2)
    return host_fallback(lambda x, y: _onp.setxor1d(x, y, assume_unique), a.device, a, b)


def union1d(ar1: Any, ar2: Any) -> NDArray:
    """See numpy.union1d.  Blocks."""
    a, b = _args(ar1, ar2)
    return host_fallback(_onp.union1d, a.device, a, b)
