"""Sorting, searching and counting (see NumPy's "Sorting, searching, and counting").

All asynchronous (their output shapes follow from the input shapes), vectorised on the
device's array module.  ``sort`` has a gradient (the head gradient goes back to where
each element came from); ``argsort``/``searchsorted``/``lexsort`` give int64 indices,
as MXNet's do.
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ..ndarray import ops_sort as _ops_sort  # noqa: F401  (registers the ops)
from ..ndarray.ndarray import NDArray, apply_op
from ..ndarray.ops import OPS, DTypeError
from ._util import as_nd

__all__ = ["sort", "argsort", "msort", "partition", "argpartition", "searchsorted", "lexsort",
           "nanargmax", "nanargmin"]


def _axis(axis: Any) -> Any:
    if axis is None or isinstance(axis, (int, _onp.integer)) and not isinstance(axis, bool):
        return None if axis is None else int(axis)
    raise DTypeError(f"axis must be an int or None, got {axis!r}")


def sort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None) -> NDArray:
    """See numpy.sort (``axis=None`` sorts the flattened array).  Differentiable."""
    if order is not None:
        raise ValueError("sort: 'order' applies to structured arrays, which ndengine has not")
    return apply_op(OPS["sort"], (as_nd(a),), {"axis": _axis(axis), "kind": kind})


def argsort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None) -> NDArray:
    """See numpy.argsort: int64 indices; stable (ties keep their order)."""
    if order is not None:
        raise ValueError("argsort: 'order' applies to structured arrays, which ndengine has not")
    return apply_op(OPS["argsort"], (as_nd(a),), {"axis": _axis(axis), "kind": kind})


def msort(a: Any) -> NDArray:
    """See numpy.msort (removed from NumPy 2; MXNet 1.9.1 has it): ``sort(a, axis=0)``."""
    return sort(a, axis=0)


def _kth(kth: Any) -> Any:
    if isinstance(kth, NDArray):
        kth = kth.asnumpy().tolist()      # an index array of kth values (host data)
    if isinstance(kth, (list, tuple)):
        return tuple(int(k) for k in kth)
    return kth


def partition(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect",
              order: Any = None) -> NDArray:
    """See numpy.partition (no gradient, as in MXNet)."""
    return apply_op(OPS["partition"], (as_nd(a),),
                    {"kth": _kth(kth), "axis": _axis(axis), "kind": kind})


def argpartition(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect",
                 order: Any = None) -> NDArray:
    """See numpy.argpartition (int64 indices)."""
    return apply_op(OPS["argpartition"], (as_nd(a),),
                    {"kth": _kth(kth), "axis": _axis(axis), "kind": kind})


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> NDArray:
    """See numpy.searchsorted: int64 indices of v's shape (a 0-d array for a scalar v)."""
    a = as_nd(a)
    v = as_nd(v, a.device)
    args: tuple = (a, v) if sorter is None else (a, v, as_nd(sorter, a.device))
    return apply_op(OPS["searchsorted"], args, {"side": side})


def lexsort(keys: Any, axis: int = -1) -> NDArray:
    """See numpy.lexsort: the last key is the primary one; int64 indices."""
    if isinstance(keys, NDArray) or isinstance(keys, _onp.ndarray):
        k = as_nd(keys)
        seq = [k[i] for i in range(k.shape[0])] if k.ndim > 1 else [k]
    else:
        seq = list(keys)
        dev = next((x.device for x in seq if isinstance(x, NDArray)), None)
        seq = [as_nd(x, dev) for x in seq]
    return apply_op(OPS["lexsort"], (seq,), {"axis": axis})


def _nanarg(name: str, a: Any, axis: Any, keepdims: bool) -> NDArray:
    from . import reduction as R
    from .math import isnan, where

    a = as_nd(a)
    if a.dtype.kind not in "fc":
        return getattr(R, name[3:])(a, axis=axis, keepdims=keepdims)
    fill = _onp.inf if name == "nanargmin" else -_onp.inf
    nan = isnan(a)
    r = getattr(R, name[3:])(where(nan, fill, a), axis=axis, keepdims=keepdims)
    # an all-NaN slice: NumPy raises; the check needs the values, so it runs in the op
    allnan = nan.all(axis=axis, keepdims=keepdims)
    return apply_op(OPS["_nan_check"], (r, allnan), {"name": name})


def nanargmax(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> NDArray:
    """See numpy.nanargmax (int64).  An all-NaN slice fails at the next sync point."""
    return _nanarg("nanargmax", a, axis, keepdims)


def nanargmin(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> NDArray:
    """See numpy.nanargmin (int64).  An all-NaN slice fails at the next sync point."""
    return _nanarg("nanargmin", a, axis, keepdims)
