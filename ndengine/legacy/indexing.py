"""``x[key]`` and ``x[key] = v`` for legacy NDArrays: np-mode indexing on the shared
array, with MXNet 1.x's two differences — a key of integers only gives shape (1,), not
a 0-d array (``x[1]`` of a vector, ``x[1, 2]`` of a matrix), and float index arrays
(legacy arrays are float32 by default) index as integers.

An all-integer key becomes a one-element slice on its last axis, so the result is the
same kind of result np indexing gives for slices (a view of the parent where np mode
has views)."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as _onp

from ..ndarray.ndarray import NDArray as _NP
from ..ndarray.ndarray import apply_op
from ..ndarray.ops import OPS, OpIndexError
from .ndarray import NDArray, unwrap, wrap

__all__ = ["getitem", "setitem"]

_INT64 = _onp.dtype(_onp.int64)


def _index_array(k: _NP) -> _NP:
    if k._dtype.kind in "iub":
        return k
    if k._dtype.kind != "f":
        raise OpIndexError(f"getitem: arrays used as indices must be numbers, got {k.dtype}")
    return apply_op(OPS["astype"], (k,), {"dtype": _INT64})


def _is_int(k: Any) -> bool:
    return isinstance(k, (int, _onp.integer)) and not isinstance(k, (bool, _onp.bool_))


def legacy_key(key: Any, shape: tuple[int, ...]) -> Any:
    """The np-mode key for legacy *key* on an array of *shape*."""
    if key.__class__ is NDArray or key.__class__ is _NP:
        return _index_array(unwrap(key))
    if _is_int(key):
        key = (key,)
    if key.__class__ is not tuple:
        return key
    parts = []
    all_int = True
    for k in key:
        if k.__class__ is NDArray or k.__class__ is _NP:
            k = _index_array(unwrap(k))
            all_int = False
        elif not _is_int(k):
            all_int = False
        parts.append(k)
    if all_int and len(parts) == len(shape) and parts:
        ax = len(parts) - 1
        i = int(parts[ax])
        n = shape[ax]
        if not -n <= i < n:
            raise OpIndexError(f"index {i} is out of bounds for axis {ax} with size {n}")
        i %= n
        parts[ax] = slice(i, i + 1)
    return tuple(parts)


def getitem(x: NDArray, key: Any) -> NDArray:
    a = x._arr
    r = a[legacy_key(key, a._shape)]
    if not r._shape:
        r = r.reshape((1,))
    return wrap(r)


def setitem(x: NDArray, key: Any, value: Any) -> None:
    a = x._arr
    v = unwrap(value)
    if isinstance(v, _onp.generic):
        v = v.item()
    elif not isinstance(v, (_NP, numbers.Number, _onp.ndarray, list, tuple)):
        raise TypeError(f"setitem: cannot assign a {type(value).__name__} to an NDArray "
                        f"(shape {x.shape}, on {x.context})")
    a[legacy_key(key, a._shape)] = v
