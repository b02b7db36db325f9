"""Ops of NumPy's "Sorting, searching, and counting" and the take/put-along-axis pair.

Same table as :mod:`.ops` (``register(name, kernel, infer, grad)``); the kernels run
vectorised on ``xp`` (``xp.sort``, ``xp.argsort``, ``xp.partition``, ``xp.searchsorted``,
``xp.lexsort``).  Every output shape here follows from the input shapes, so all of them
are asynchronous.  Gradients: ``sort`` and ``take_along_axis`` (a scatter-add of the
head gradient through the index); argsort, searchsorted and the partitions are
piecewise constant or, as in MXNet, not differentiable.
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from .ops import (OPS, DTypeError, OpIndexError, ShapeError, _F, broadcast, int64, norm_axis,
                  register)

_KINDS = (None, "quicksort", "mergesort", "heapsort", "stable")


def _apply(name: str, args: tuple, params: dict) -> Any:
    from .ndarray import apply_op

    return apply_op(OPS[name], args, params)


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _check_kind(name: str, kind: Any) -> None:
    if kind not in _KINDS:
        raise ValueError(f"{name}: kind must be one of {_KINDS[1:]} or None, got {kind!r}")


def _sort_infer(name: str, index: bool) -> Any:
    def infer(a: Any, axis: Any = -1, kind: Any = None) -> Any:
        _check_kind(name, kind)
        if a.dtype.kind == "c":
            raise DTypeError(f"{name}: complex arrays are not supported ({a.dtype})")
        dt = int64 if index else a.dtype
        if axis is None:
            return (_size(tuple(a.shape)),), dt
        if not a.shape:
            raise ShapeError(f"{name}: axis {axis} is out of bounds for a 0-d array")
        norm_axis(axis, len(a.shape), name)
        return tuple(a.shape), dt
    return infer


def _k_sort(xp: Any, a: Any, axis: Any = -1, kind: Any = None) -> Any:
    if axis is None:
        a, axis = a.reshape(-1), 0
    return xp.sort(a, axis=axis, kind="stable" if kind == "stable" else None)


def _k_argsort(xp: Any, a: Any, axis: Any = -1, kind: Any = None) -> Any:
    if axis is None:
        a, axis = a.reshape(-1), 0
    # stable by default, so ties keep their order (NumPy's default sort of small
    # arrays, and MXNet's, keep them too)
    return xp.argsort(a, axis=axis, kind="stable").astype(xp.int64)


def _sort_grad(g: Any, out: Any, a: Any, axis: Any = -1, kind: Any = None):
    src = _F().reshape(a, (-1,)) if axis is None else a
    ax = 0 if axis is None else norm_axis(axis, len(a.shape), "sort")
    idx = _apply("argsort", (src,), {"axis": ax})
    r = _apply("_take_along_axis_backward", (g, idx),
               {"axis": ax, "shape": tuple(src.shape), "unique": True})
    return (_F().reshape(r, a.shape),)


register("sort", _k_sort, _sort_infer("sort", False), _sort_grad)
register("argsort", _k_argsort, _sort_infer("argsort", True))


def _kth_list(kth: Any) -> list[int]:
    if isinstance(kth, (int, _onp.integer)) and not isinstance(kth, bool):
        return [int(kth)]
    try:
        return [int(k) for k in kth]
    except TypeError:
        raise DTypeError(f"partition: kth must be an int or a sequence of ints, got {kth!r}") \
            from None


def _partition_infer(name: str, index: bool) -> Any:
    def infer(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect") -> Any:
        if kind != "introselect":
            raise ValueError(f"{name}: kind must be 'introselect', got {kind!r}")
        shape = (_size(tuple(a.shape)),) if axis is None else tuple(a.shape)
        if not shape:
            raise ShapeError(f"{name}: a 0-d array cannot be partitioned")
        ax = 0 if axis is None else norm_axis(axis, len(shape), name)
        n = shape[ax]
        for k in _kth_list(kth):
            if not -n <= k < n:
                raise ShapeError(f"{name}: kth(={k}) out of bounds ({n}) along axis {ax} "
                                 f"of shape {shape}")
        return shape, (int64 if index else a.dtype)
    return infer


def _k_partition(xp: Any, a: Any, kth: Any, axis: Any = -1, kind: str = "introselect") -> Any:
    if axis is None:
        a, axis = a.reshape(-1), 0
    return xp.partition(a, kth, axis=axis)


def _k_argpartition(xp: Any, a: Any, kth: Any, axis: Any = -1, kind: str = "introselect") -> Any:
    if axis is None:
        a, axis = a.reshape(-1), 0
    return xp.argpartition(a, kth, axis=axis).astype(xp.int64)


register("partition", _k_partition, _partition_infer("partition", False))
register("argpartition", _k_argpartition, _partition_infer("argpartition", True))


def _searchsorted_infer(a: Any, v: Any, sorter: Any = None, side: str = "left") -> Any:
    if len(a.shape) != 1:
        raise ShapeError(f"searchsorted: the sorted array must be 1-D, got shape "
                         f"{tuple(a.shape)}")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if sorter is not None:
        if tuple(sorter.shape) != tuple(a.shape):
            raise ShapeError(f"searchsorted: sorter of shape {tuple(sorter.shape)} does not "
                             f"match the array's {tuple(a.shape)}")
        if sorter.dtype.kind not in "iu":
            raise DTypeError(f"searchsorted: sorter must be integer, got {sorter.dtype}")
    vshape = tuple(getattr(v, "shape", ()))
    return vshape, int64


register("searchsorted", lambda xp, a, v, sorter=None, side="left":
         xp.asarray(xp.searchsorted(a, v, side=side, sorter=sorter)).astype(xp.int64),
         _searchsorted_infer)


def _lexsort_infer(keys: Any, axis: int = -1) -> Any:
    if not keys:
        raise ShapeError("lexsort: need at least one key")
    s0 = tuple(keys[0].shape)
    for k in keys:
        if tuple(k.shape) != s0:
            raise ShapeError(f"lexsort: all keys need the same shape, got {tuple(k.shape)} "
                             f"and {s0}")
    if not s0:
        return (1,), int64
    norm_axis(axis, len(s0), "lexsort")
    return s0, int64


register("lexsort", lambda xp, keys, axis=-1: xp.lexsort(xp.stack(list(keys)), axis=axis)
         .astype(xp.int64), _lexsort_infer)


def _k_nan_check(xp: Any, r: Any, allnan: Any, name: str) -> Any:
    """*r* unchanged, or the error NumPy raises for an all-NaN slice (at the next sync
    point: the check needs the values)."""
    if bool(xp.any(allnan)):
        raise ValueError(f"{name}: All-NaN slice encountered")
    return r


register("_nan_check", _k_nan_check, lambda r, allnan, name: (tuple(r.shape), r.dtype))


# ----------------------------------------------------------------------------- along axis
def _along_shape(name: str, ashape: tuple[int, ...], ishape: tuple[int, ...],
                 axis: int) -> tuple[int, ...]:
    """The result shape of take_along_axis: the index's size on *axis*, the broadcast of
    the two shapes elsewhere."""
    if len(ashape) != len(ishape):
        raise ShapeError(f"{name}: indices and arr must have the same number of dimensions, "
                         f"got shapes {ishape} and {ashape}")
    a2 = tuple(1 if i == axis else s for i, s in enumerate(ashape))
    i2 = tuple(1 if i == axis else s for i, s in enumerate(ishape))
    b = broadcast(name, a2, i2)
    return tuple(ishape[axis] if i == axis else s for i, s in enumerate(b))


def _tala_infer(a: Any, indices: Any, axis: Any) -> Any:
    if indices.dtype.kind not in "iu":
        raise OpIndexError(f"take_along_axis: `indices` must be an integer array, got "
                           f"{indices.dtype}")
    if axis is None:
        if len(indices.shape) != 1:
            raise ShapeError(f"take_along_axis: with axis=None the indices must be 1-D, got "
                             f"shape {tuple(indices.shape)}")
        return tuple(indices.shape), a.dtype
    ax = norm_axis(axis, len(a.shape), "take_along_axis")
    return _along_shape("take_along_axis", tuple(a.shape), tuple(indices.shape), ax), a.dtype


def _k_tala(xp: Any, a: Any, indices: Any, axis: Any) -> Any:
    if axis is None:
        return xp.take_along_axis(a.reshape(-1), indices, axis=0)
    return xp.take_along_axis(a, indices, axis=axis)


def _tala_grad(g: Any, out: Any, a: Any, indices: Any, axis: Any):
    if axis is None:
        r = _apply("_take_along_axis_backward", (g, indices),
                   {"axis": 0, "shape": (_size(tuple(a.shape)),), "unique": False})
        return _F().reshape(r, a.shape), None
    ax = norm_axis(axis, len(a.shape), "take_along_axis")
    return _apply("_take_along_axis_backward", (g, indices),
                  {"axis": ax, "shape": tuple(a.shape), "unique": False}), None


register("take_along_axis", _k_tala, _tala_infer, _tala_grad)


def _k_tala_backward(xp: Any, g: Any, idx: Any, axis: int, shape: tuple[int, ...],
                     unique: bool) -> Any:
    """Scatter-add *g* into zeros of *shape* along *axis* at *idx* (where the index
    repeats, the contributions add up; *unique* says it does not)."""
    z = xp.zeros(shape, dtype=g.dtype)
    nd = len(shape)
    idx = xp.broadcast_to(idx, g.shape)
    idx = xp.where(idx < 0, idx + shape[axis], idx)
    if unique and tuple(g.shape) == tuple(shape):
        xp.put_along_axis(z, idx, g, axis=axis)
        return z
    key = []
    for d in range(nd):
        if d == axis:
            key.append(idx)
            continue
        sh = [1] * nd
        sh[d] = g.shape[d]
        rng = xp.arange(g.shape[d]) if shape[d] != 1 else xp.zeros(g.shape[d], dtype=xp.intp)
        key.append(rng.reshape(sh))
    xp.add.at(z, tuple(key), g)
    return z


def _tala_backward_grad(gg: Any, out: Any, g: Any, idx: Any, axis: int, shape: Any,
                        unique: bool):
    bidx = _F().broadcast_to(idx, g.shape) if tuple(idx.shape) != tuple(g.shape) else idx
    return _apply("take_along_axis", (gg, bidx), {"axis": axis}), None


register("_take_along_axis_backward", _k_tala_backward,
         lambda g, idx, axis, shape, unique: (tuple(shape), g.dtype), _tala_backward_grad)
