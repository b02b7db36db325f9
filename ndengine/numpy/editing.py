"""Adding and removing elements, padding, and the remaining array-manipulation
routines (see NumPy's "Array manipulation routines": append, insert, delete, resize,
trim_zeros, pad, rollaxis, dsplit, row_stack).

Composite: each is built from concatenate, indexing with index arrays worked out from
the shapes (on the host, no values read) and the pad op, so all are asynchronous and
differentiable, except where the positions are themselves data: an ``obj`` given as an
ndengine array in insert/delete is read (blocks), and ``trim_zeros`` blocks (how much it
trims depends on the values), as MXNet's do.
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ..ndarray import ops_np as _ops_np
from ..ndarray.ndarray import NDArray, apply_op
from ..ndarray.ops import OPS, DTypeError, OpIndexError, ShapeError, norm_axis
from ._host import to_device
from ._util import as_nd

__all__ = ["append", "insert", "delete", "resize", "trim_zeros", "pad", "rollaxis", "dsplit",
           "row_stack"]


def _index(a: NDArray, positions: _onp.ndarray, axis: int) -> NDArray:
    """a gathered at host *positions* along *axis* (asynchronous, differentiable)."""
    idx = to_device(_onp.asarray(positions, dtype=_onp.int64), a.device)
    key = (slice(None),) * axis + (idx,)
    return a[key]


def _host(obj: Any) -> Any:
    if isinstance(obj, NDArray):
        return obj.asnumpy()        # positions given as data: blocks
    return obj


def append(arr: Any, values: Any, axis: Any = None) -> NDArray:
    """See numpy.append (a new array; with ``axis=None`` both are flattened)."""
    from .manipulation import concatenate

    a = as_nd(arr)
    v = as_nd(values, a.device)
    if axis is None:
        return concatenate([a.reshape((-1,)), v.reshape((-1,))], axis=0)
    return concatenate([a, v], axis=axis)


def insert(arr: Any, obj: Any, values: Any, axis: Any = None) -> NDArray:
    """See numpy.insert.  *obj* is an int, a slice, or a sequence of ints (an ndengine
    array there is read, which blocks); values are cast to the array's dtype."""
    from .manipulation import broadcast_to, concatenate, moveaxis

    a = as_nd(arr)
    if axis is None:
        a = a.reshape((-1,))
        axis = 0
    ax = norm_axis(axis, a.ndim, "insert") if a.ndim else 0
    if a.ndim == 0:
        raise ShapeError(f"insert: cannot insert into a 0-d array (on {a.device})")
    n = a.shape[ax]
    obj = _host(obj)
    if isinstance(obj, slice):
        idx = _onp.arange(*obj.indices(n))
    else:
        idx = _onp.asarray(obj)
        if idx.dtype == bool:
            raise DTypeError("insert: boolean obj is not supported (as in NumPy >= 1.19)")
        if idx.size == 0 and idx.dtype.kind not in "iu":
            idx = idx.astype(_onp.int64)
        if idx.dtype.kind not in "iu":
            raise DTypeError(f"insert: index array argument obj must be integer, got "
                             f"{idx.dtype}")
    v = as_nd(values, a.device)
    if v.dtype != a.dtype:
        v = v.astype(a.dtype)
    if idx.ndim == 0:
        i = int(idx)
        if not -n <= i <= n:
            raise OpIndexError(f"insert: index {i} is out of bounds for axis {ax} with size "
                               f"{n} (on {a.device})")
        i = i + n if i < 0 else i
        if v.ndim < a.ndim:
            v = v.reshape((1,) * (a.ndim - v.ndim) + v.shape)
        v = moveaxis(v, 0, ax)
        k = v.shape[ax]
        shape = list(a.shape)
        shape[ax] = k
        v = broadcast_to(v, tuple(shape))
        new_pos = i + _onp.arange(k)
    else:
        idx = idx.reshape(-1).astype(_onp.int64)
        if ((idx < -n) | (idx > n)).any():
            bad = idx[(idx < -n) | (idx > n)][0]
            raise OpIndexError(f"insert: index {bad} is out of bounds for axis {ax} with size "
                               f"{n} (on {a.device})")
        idx = _onp.where(idx < 0, idx + n, idx)
        k = idx.size
        shape = list(a.shape)
        shape[ax] = k
        if v.ndim < a.ndim:        # NumPy: values with ndmin=arr.ndim, then broadcast
            v = v.reshape((1,) * (a.ndim - v.ndim) + v.shape)
        v = broadcast_to(v, tuple(shape))
        order = _onp.argsort(idx, kind="stable")
        new_pos = _onp.empty(k, dtype=_onp.int64)
        new_pos[order] = idx[order] + _onp.arange(k)
    total = n + k
    perm = _onp.empty(total, dtype=_onp.int64)
    old = _onp.ones(total, dtype=bool)
    old[new_pos] = False
    perm[old] = _onp.arange(n)
    perm[new_pos] = n + _onp.arange(k)
    return _index(concatenate([a, v], axis=ax), perm, ax)


def delete(arr: Any, obj: Any, axis: Any = None) -> NDArray:
    """See numpy.delete (int, slice, sequence of ints or boolean mask; an ndengine array
    obj is read, which blocks)."""
    a = as_nd(arr)
    if axis is None:
        a = a.reshape((-1,))
        axis = 0
    if a.ndim == 0:
        raise ShapeError(f"delete: cannot delete from a 0-d array (on {a.device})")
    ax = norm_axis(axis, a.ndim, "delete")
    n = a.shape[ax]
    obj = _host(obj)
    keep = _onp.ones(n, dtype=bool)
    if isinstance(obj, slice):
        keep[obj] = False
    else:
        idx = _onp.asarray(obj)
        if idx.dtype == bool:
            if idx.shape != (n,):
                raise ShapeError(f"delete: boolean array argument obj to delete must be "
                                 f"one dimensional and match the axis length of {n}")
            keep = ~idx
        else:
            if idx.size == 0:
                idx = idx.astype(_onp.int64)
            if idx.dtype.kind not in "iu":
                raise DTypeError(f"delete: index array argument obj must be integer, got "
                                 f"{idx.dtype}")
            idx = idx.reshape(-1)
            bad = (idx < -n) | (idx >= n)
            if bad.any():
                raise OpIndexError(f"delete: index {idx[bad][0]} is out of bounds for axis "
                                   f"{ax} with size {n} (on {a.device})")
            keep[idx] = False
    return _index(a, _onp.nonzero(keep)[0], ax)


def resize(a: Any, new_shape: Any) -> NDArray:
    """See numpy.resize: the flattened array repeated (or cut) to *new_shape*."""
    from .creation import zeros

    a = as_nd(a)
    shape = (int(new_shape),) if isinstance(new_shape, (int, _onp.integer)) \
        else tuple(int(s) for s in new_shape)
    if any(s < 0 for s in shape):
        raise ShapeError(f"resize: all elements of `new_shape` must be non-negative, got "
                         f"{shape}")
    total = 1
    for s in shape:
        total *= s
    if a.size == 0 or total == 0:
        return zeros(shape, dtype=a.dtype, device=a.device)
    flat = a.reshape((-1,))
    return _index(flat, _onp.arange(total) % a.size, 0).reshape(shape)


def trim_zeros(filt: Any, trim: str = "fb") -> NDArray:
    """See numpy.trim_zeros (1-d).  Blocks: how much is trimmed depends on the values."""
    a = as_nd(filt)
    if a.ndim != 1:
        raise ShapeError(f"trim_zeros: the input must be 1-d, got shape {a.shape}")
    nz = _onp.nonzero(a.asnumpy())[0]
    t = trim.lower()
    if nz.size == 0:
        return a[0:0]
    lo = int(nz[0]) if "f" in t else 0
    hi = int(nz[-1]) + 1 if "b" in t else a.shape[0]
    return a[lo:hi]


def _hashable(v: Any) -> Any:
    if isinstance(v, (list, tuple, _onp.ndarray)):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, _onp.generic):
        return v.item()
    return v


def pad(array: Any, pad_width: Any = None, mode: str = "constant", **kwargs: Any) -> NDArray:
    """See numpy.pad (every mode; gradients for constant, edge, reflect, symmetric and
    wrap)."""
    a = as_nd(array)
    if pad_width is None:
        raise ShapeError("pad: pad_width is required")
    if callable(mode):
        raise DTypeError("pad: a function as mode is not supported")
    pw = _ops_np.pad_widths(pad_width, a.ndim)
    params = {"pad_width": pw, "mode": mode}
    allowed = {"constant": {"constant_values"}, "linear_ramp": {"end_values"},
               "reflect": {"reflect_type"}, "symmetric": {"reflect_type"},
               "maximum": {"stat_length"}, "minimum": {"stat_length"},
               "mean": {"stat_length"}, "median": {"stat_length"}}.get(mode, set())
    for k, v in kwargs.items():
        if k not in allowed:
            raise ValueError(f"pad: unsupported keyword argument {k!r} for mode {mode!r}")
        if isinstance(v, NDArray):
            v = v.asnumpy()
        params[k] = _hashable(v)
    return apply_op(OPS["pad"], (a,), params)


def rollaxis(a: Any, axis: int, start: int = 0) -> NDArray:
    """See numpy.rollaxis (prefer moveaxis)."""
    from .manipulation import moveaxis

    a = as_nd(a)
    n = a.ndim
    ax = norm_axis(axis, n, "rollaxis")
    if not -n <= start <= n:
        raise ShapeError(f"rollaxis: start {start} is out of bounds for an array of "
                         f"dimension {n} (allowed -{n} to {n})")
    if start < 0:
        start += n
    if ax < start:
        start -= 1
    if ax == start:
        return a.copy()
    return moveaxis(a, ax, start)


def dsplit(ary: Any, indices_or_sections: Any) -> list[NDArray]:
    """See numpy.dsplit (along the third axis)."""
    from .manipulation import split

    a = as_nd(ary)
    if a.ndim < 3:
        raise ShapeError(f"dsplit only works on arrays of 3 or more dimensions (got shape "
                         f"{a.shape})")
    return split(a, indices_or_sections, axis=2)


def row_stack(tup: Any) -> NDArray:
    """See numpy.row_stack (= vstack)."""
    from .manipulation import vstack

    return vstack(tup)
