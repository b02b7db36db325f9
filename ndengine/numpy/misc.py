"""Routines that do not fit a section: functional programming (apply_along_axis,
apply_over_axes), bit packing, memory-sharing queries and NumPy's dtype helpers."""
from __future__ import annotations

import itertools
from typing import Any

import numpy as _onp

from ..ndarray import ops_np as _ops_np  # noqa: F401
from ..ndarray.ndarray import NDArray, apply_op
from ..ndarray.ops import OPS, norm_axis
from ._util import as_nd

__all__ = ["apply_along_axis", "apply_over_axes", "packbits", "unpackbits", "may_share_memory",
           "shares_memory", "min_scalar_type", "promote_types"]

min_scalar_type = _onp.min_scalar_type
promote_types = _onp.promote_types


def apply_along_axis(func1d: Any, axis: int, arr: Any, *args: Any, **kwargs: Any) -> NDArray:
    """See numpy.apply_along_axis: *func1d* is called on each 1-d slice (ndengine
    arrays) and the results stacked (each call pushes its own ops; nothing blocks unless
    *func1d* does)."""
    from .manipulation import moveaxis, stack

    a = as_nd(arr)
    ax = norm_axis(axis, a.ndim, "apply_along_axis")
    moved = moveaxis(a, ax, -1)
    outer = moved.shape[:-1]
    if 0 in outer:
        raise ValueError("apply_along_axis: cannot apply_along_axis when any iteration "
                         "dimensions are 0")
    res = [as_nd(func1d(moved[idx], *args, **kwargs), a.device)
           for idx in itertools.product(*[range(n) for n in outer])]
    r = stack(res, axis=0)
    r = r.reshape(outer + r.shape[1:])
    if r.ndim > len(outer):       # the function's own axes go where axis was
        nres = r.ndim - len(outer)
        src = list(range(len(outer), r.ndim))
        dst = list(range(ax, ax + nres))
        r = moveaxis(r, src, dst)
    return r


def apply_over_axes(func: Any, a: Any, axes: Any) -> NDArray:
    """See numpy.apply_over_axes: ``func(a, axis)`` for each axis in turn, keeping the
    dimensions."""
    from .manipulation import expand_dims

    val = as_nd(a)
    n = val.ndim
    for axis in ([axes] if isinstance(axes, int) else axes):
        ax = axis + n if axis < 0 else axis
        res = func(val, ax)
        res = as_nd(res, val.device)
        if res.ndim == val.ndim:
            val = res
        elif res.ndim == val.ndim - 1:
            val = expand_dims(res, ax)
        else:
            raise ValueError("apply_over_axes: function is not returning an array of the "
                             "correct shape")
    return val


def packbits(a: Any, axis: Any = None, bitorder: str = "big") -> NDArray:
    """See numpy.packbits (uint8)."""
    return apply_op(OPS["packbits"], (as_nd(a),), {"axis": axis, "bitorder": bitorder})


def unpackbits(a: Any, axis: Any = None, count: Any = None, bitorder: str = "big") -> NDArray:
    """See numpy.unpackbits (uint8 input)."""
    return apply_op(OPS["unpackbits"], (as_nd(a),), {"axis": axis, "count": count,
                                                     "bitorder": bitorder})


def _buffers(a: Any) -> Any:
    if isinstance(a, NDArray):
        a.wait_to_read()
        return a._data
    return a


def may_share_memory(a: Any, b: Any, max_work: Any = None) -> bool:
    """See numpy.may_share_memory.  Waits for both arrays; arrays that are independent
    values may still share a buffer until one is written (copy-on-write), so this can be
    True where NumPy semantics would say False."""
    if a is b:
        return True
    return bool(_onp.may_share_memory(_buffers(a), _buffers(b)))


def shares_memory(a: Any, b: Any, max_work: Any = None) -> bool:
    """See numpy.shares_memory (as may_share_memory, exactly)."""
    if a is b:
        return True
    return bool(_onp.shares_memory(_buffers(a), _buffers(b)))
