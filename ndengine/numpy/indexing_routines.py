"""Indexing routines (see NumPy's "Indexing routines"): diagonals and triangles,
index grids, and selecting by index or condition.

Asynchronous except where the result's shape depends on the values, as in MXNet:
``compress`` and ``extract`` (a condition selects how many elements) block.  Gradients:
``take_along_axis``, ``diag``, ``diagflat``, ``diagonal``, ``tril``, ``triu``,
``choose`` and ``select`` (through ``where``), ``compress``/``extract`` (through
indexing).
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ..ndarray import ops_np as _ops_np  # noqa: F401  (registers the ops)
from ..ndarray import ops_sort as _ops_sort  # noqa: F401
from ..ndarray.ndarray import NDArray, apply_op
from ..ndarray.ops import OPS, DTypeError, ShapeError
from ._host import to_device
from ._util import as_nd, device_of

__all__ = ["take_along_axis", "diag", "diagflat", "diagonal", "tril", "triu", "tril_indices",
           "triu_indices", "tril_indices_from", "triu_indices_from", "diag_indices",
           "diag_indices_from", "indices", "ix_", "unravel_index", "ravel_multi_index",
           "choose", "compress", "extract", "select", "piecewise"]


def take_along_axis(arr: Any, indices: Any, axis: Any) -> NDArray:
    """See numpy.take_along_axis (integer indices; differentiable in *arr*)."""
    a = as_nd(arr)
    idx = as_nd(indices, a.device)
    return apply_op(OPS["take_along_axis"], (a, idx), {"axis": axis})


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> NDArray:
    """See numpy.diagonal (a copy, not a view; differentiable)."""
    return apply_op(OPS["diagonal"], (as_nd(a),),
                    {"offset": offset, "axis1": axis1, "axis2": axis2})


def diag(v: Any, k: int = 0) -> NDArray:
    """See numpy.diag: the k-th diagonal of a 2-d array, or a square matrix with a 1-d
    array on its k-th diagonal.  Differentiable."""
    a = as_nd(v)
    if a.ndim == 1:
        return apply_op(OPS["_diag_build"], (a,), {"k": k})
    if a.ndim == 2:
        return diagonal(a, k)
    raise ShapeError(f"diag: input must be 1- or 2-d, got shape {a.shape} (on {a.device})")


def diagflat(v: Any, k: int = 0) -> NDArray:
    """See numpy.diagflat (the flattened input on the k-th diagonal)."""
    return apply_op(OPS["_diag_build"], (as_nd(v).reshape((-1,)),), {"k": k})


def tril(m: Any, k: int = 0) -> NDArray:
    """See numpy.tril (over the last two axes; a 1-d input makes a square)."""
    return apply_op(OPS["tril"], (as_nd(m),), {"k": k})


def triu(m: Any, k: int = 0) -> NDArray:
    """See numpy.triu."""
    return apply_op(OPS["triu"], (as_nd(m),), {"k": k})


def _host_indices(arrays: Any, device: Any) -> tuple[NDArray, ...]:
    """Index arrays that follow from shapes only, made on the host (no data read)."""
    return tuple(to_device(_onp.asarray(x, dtype=_onp.int64), device) for x in arrays)


def tril_indices(n: int, k: int = 0, m: int | None = None, ctx: Any = None,
                 device: Any = None) -> tuple[NDArray, NDArray]:
    """See numpy.tril_indices (int64)."""
    return _host_indices(_onp.tril_indices(n, k, m), device_of(ctx, device))


def triu_indices(n: int, k: int = 0, m: int | None = None, ctx: Any = None,
                 device: Any = None) -> tuple[NDArray, NDArray]:
    """See numpy.triu_indices (int64)."""
    return _host_indices(_onp.triu_indices(n, k, m), device_of(ctx, device))


def _need2d(name: str, a: NDArray) -> None:
    if a.ndim != 2:
        raise ShapeError(f"{name}: input array must be 2-d, got shape {a.shape} "
                         f"(on {a.device})")


def tril_indices_from(arr: Any, k: int = 0) -> tuple[NDArray, NDArray]:
    """See numpy.tril_indices_from (reads only the shape)."""
    a = as_nd(arr)
    _need2d("tril_indices_from", a)
    return tril_indices(a.shape[0], k, a.shape[1], device=a.device)


def triu_indices_from(arr: Any, k: int = 0) -> tuple[NDArray, NDArray]:
    """See numpy.triu_indices_from (reads only the shape)."""
    a = as_nd(arr)
    _need2d("triu_indices_from", a)
    return triu_indices(a.shape[0], k, a.shape[1], device=a.device)


def diag_indices(n: int, ndim: int = 2, ctx: Any = None, device: Any = None) -> tuple:
    """See numpy.diag_indices (int64)."""
    return _host_indices(_onp.diag_indices(n, ndim), device_of(ctx, device))


def diag_indices_from(arr: Any) -> tuple[NDArray, ...]:
    """See numpy.diag_indices_from (every dimension of equal length)."""
    a = as_nd(arr)
    if a.ndim < 2:
        raise ShapeError(f"diag_indices_from: input must be at least 2-d, got shape "
                         f"{a.shape} (on {a.device})")
    if len(set(a.shape)) != 1:
        raise ShapeError(f"diag_indices_from: all dimensions of input must be of equal "
                         f"length, got shape {a.shape} (on {a.device})")
    return diag_indices(a.shape[0], a.ndim, device=a.device)


def indices(dimensions: Any, dtype: Any = _onp.int32, sparse: bool = False, ctx: Any = None,
            device: Any = None) -> Any:
    """See numpy.indices (int32 by default, as in MXNet)."""
    dev = device_of(ctx, device)
    dims = tuple(int(d) for d in dimensions)
    if any(d < 0 for d in dims):
        raise ShapeError(f"indices: negative dimensions are not allowed: {dims}")
    from .creation import arange

    grids = []
    for i, n in enumerate(dims):
        shape = [1] * len(dims)
        shape[i] = n
        g = arange(n, dtype=dtype, device=dev).reshape(tuple(shape))
        grids.append(g)
    if sparse:
        return tuple(grids)
    from .manipulation import broadcast_to, stack

    if not dims:
        from .creation import zeros

        return zeros((0,), dtype=dtype, device=dev)
    return stack([broadcast_to(g, dims) for g in grids], axis=0)


def ix_(*args: Any) -> tuple[NDArray, ...]:
    """See numpy.ix_: open meshes of 1-d sequences (a boolean one means its nonzero
    positions, which blocks)."""
    out = []
    n = len(args)
    dev = next((a.device for a in args if isinstance(a, NDArray)), None)
    for k, a in enumerate(args):
        a = as_nd(a, dev) if isinstance(a, NDArray) else \
            as_nd(_onp.asarray(a) if not isinstance(a, _onp.ndarray) else a, dev)
        if a.ndim != 1:
            raise ShapeError(f"ix_: cross index must be 1-dimensional, got shape {a.shape}")
        if a.dtype == _onp.bool_:
            from .manipulation import nonzero

            a = nonzero(a)[0]
        elif a.dtype.kind not in "iu":
            if a.size:
                raise DTypeError(f"ix_: cross index must be of integer or boolean type, "
                                 f"got {a.dtype}")
            a = a.astype("int64")
        shape = [1] * n
        shape[k] = a.shape[0]
        out.append(a.reshape(tuple(shape)))
    return tuple(out)


def unravel_index(indices: Any, shape: Any, order: str = "C") -> tuple[NDArray, ...]:
    """See numpy.unravel_index: int64 arrays (0-d for a scalar index).  Asynchronous;
    an index out of range is an error at the next sync point."""
    if order not in ("C", "F"):
        raise ValueError(f"unravel_index: order must be 'C' or 'F', got {order!r}")
    shape = (int(shape),) if isinstance(shape, (int, _onp.integer)) else tuple(int(s) for s in shape)
    idx = as_nd(indices) if isinstance(indices, NDArray) else \
        as_nd(_onp.asarray(indices, dtype=_onp.int64))
    if idx.dtype.kind not in "iu":
        raise DTypeError(f"unravel_index: only int indices permitted, got {idx.dtype}")
    from .math import mod, floor_divide

    total = 1
    for s in shape:
        total *= s
    idx = apply_op(OPS["_index_check"], (idx.astype("int64"),),
                   {"size": total, "name": "unravel_index", "negative": False})
    dims = shape if order == "C" else shape[::-1]
    out = []
    rest = idx
    for s in reversed(dims):
        out.append(mod(rest, s))
        rest = floor_divide(rest, s)
    out = out[::-1]
    return tuple(out if order == "C" else out[::-1])


def ravel_multi_index(multi_index: Any, dims: Any, mode: str = "raise",
                      order: str = "C") -> NDArray:
    """See numpy.ravel_multi_index (int64; mode 'raise' checks at the next sync point,
    'wrap' and 'clip' as in NumPy)."""
    dims = tuple(int(d) for d in dims)
    modes = (mode,) * len(dims) if isinstance(mode, str) else tuple(mode)
    idx = [as_nd(i) if isinstance(i, NDArray) else as_nd(_onp.asarray(i, dtype=_onp.int64))
           for i in multi_index]
    if len(idx) != len(dims):
        raise ShapeError(f"ravel_multi_index: parameter multi_index must be a sequence of "
                         f"length {len(dims)}, got {len(idx)}")
    from .math import clip, mod

    order_dims = list(range(len(dims))) if order == "C" else list(range(len(dims)))[::-1]
    total = None
    for d in order_dims:
        i, n, m = idx[d].astype("int64"), dims[d], modes[d]
        if m == "wrap":
            i = mod(i, n)
        elif m == "clip":
            i = clip(i, 0, n - 1)
        else:
            i = apply_op(OPS["_index_check"], (i,), {"size": n, "name": "ravel_multi_index",
                                                    "negative": False})
        total = i if total is None else total * n + i
    return total


def choose(a: Any, choices: Any, out: Any = None, mode: str = "raise") -> NDArray:
    """See numpy.choose (differentiable in the choices)."""
    a = as_nd(a)
    if a.dtype.kind not in "iu":
        raise DTypeError(f"choose: the index array must be of integer type, got {a.dtype} "
                         f"(on {a.device})")
    if isinstance(choices, NDArray):
        ch = [choices[i] for i in range(choices.shape[0])]
    else:
        ch = [as_nd(c, a.device) for c in choices]
    n = len(ch)
    if n == 0:
        raise ShapeError("choose: choices must not be empty")
    from .math import clip, mod, where

    if mode == "clip":
        a = clip(a, 0, n - 1)
    elif mode == "wrap":
        a = mod(a, n)
    elif mode == "raise":
        a = apply_op(OPS["_index_check"], (a,), {"size": n, "name": "choose",
                                                 "negative": False})
    else:
        raise ValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    r = ch[n - 1]
    for i in range(n - 2, -1, -1):
        r = where(a == i, ch[i], r)
    from .manipulation import broadcast_to

    shape = tuple(_onp.broadcast_shapes(a.shape, *[c.shape for c in ch]))
    r = broadcast_to(r, shape) if r.shape != shape else r
    if out is not None:
        out[...] = r
        return out
    return r


def compress(condition: Any, a: Any, axis: Any = None, out: Any = None) -> NDArray:
    """See numpy.compress.  Blocks: how many elements it selects depends on the
    condition's values (MXNet's does too)."""
    a = as_nd(a)
    cond = as_nd(condition, a.device)
    if cond.ndim != 1:
        raise ShapeError(f"compress: condition must be a 1-d array, got shape {cond.shape}")
    c = cond.asnumpy().astype(bool)
    n = a.size if axis is None else a.shape[axis]
    if c.shape[0] > n:
        raise ShapeError(f"compress: condition of length {c.shape[0]} is longer than the "
                         f"{'array' if axis is None else f'axis {axis}'} ({n})")
    sel = to_device(_onp.nonzero(c)[0].astype(_onp.int64), a.device)
    from .manipulation import take

    r = take(a, sel, axis=axis)
    if out is not None:
        out[...] = r
        return out
    return r


def extract(condition: Any, arr: Any) -> NDArray:
    """See numpy.extract: ``ravel(arr)[ravel(condition) != 0]``.  Blocks (the number of
    elements depends on the condition's values)."""
    a = as_nd(arr)
    c = as_nd(condition, a.device)
    flat = c.reshape((-1,))
    idx = _onp.nonzero(flat.asnumpy())[0].astype(_onp.int64)
    if idx.size and idx[-1] >= a.size:
        raise ShapeError(f"extract: condition of size {c.size} selects beyond the array's "
                         f"{a.size} elements")
    return a.reshape((-1,))[to_device(idx, a.device)]


def select(condlist: Any, choicelist: Any, default: Any = 0) -> NDArray:
    """See numpy.select (the first true condition wins; differentiable in the choices)."""
    condlist = list(condlist)
    choicelist = list(choicelist)
    if len(condlist) != len(choicelist):
        raise ShapeError(f"select: list of cases ({len(condlist)}) must be same length as "
                         f"list of conditions ({len(choicelist)})")
    if not condlist:
        raise ShapeError("select: select with an empty condition list is not possible")
    dev = next((x.device for x in condlist + choicelist if isinstance(x, NDArray)), None)
    conds = [as_nd(c, dev) for c in condlist]
    for i, c in enumerate(conds):
        if c.dtype != _onp.bool_:
            raise DTypeError(f"select: invalid entry {i} in condlist: should be boolean "
                             f"ndarray, got {c.dtype}")
    choices = [as_nd(c, dev) if not isinstance(c, (int, float)) else c for c in choicelist]
    from .math import where

    arrays = [c for c in choices if isinstance(c, NDArray)]
    shape = tuple(_onp.broadcast_shapes(*[c.shape for c in conds],
                                        *[c.shape for c in arrays]))
    r = default
    for c, v in zip(reversed(conds), reversed(choices)):
        r = where(c, v, r)
    if not isinstance(r, NDArray):
        r = as_nd(_onp.asarray(r), dev)
    from .manipulation import broadcast_to

    return broadcast_to(r, shape) if r.shape != shape else r


def piecewise(x: Any, condlist: Any, funclist: Any, *args: Any, **kw: Any) -> NDArray:
    """See numpy.piecewise.  Functions are called on the whole array and their results
    chosen with ``where`` (NumPy calls them on the selected elements only: a function
    must therefore accept every element), so it stays asynchronous."""
    x = as_nd(x)
    if isinstance(condlist, NDArray) or (isinstance(condlist, (list, tuple)) and condlist
                                         and not isinstance(condlist[0], (list, tuple, NDArray,
                                                                          _onp.ndarray))):
        condlist = [condlist]
    conds = [as_nd(c, x.device) for c in condlist]
    n = len(conds)
    funclist = list(funclist)
    if len(funclist) not in (n, n + 1):
        raise ShapeError(f"piecewise: with {n} condition(s), either {n} or {n + 1} functions "
                         f"are expected, got {len(funclist)}")
    from .creation import zeros
    from .math import logical_not, logical_or, where

    r = zeros(x.shape, dtype=x.dtype, device=x.device)
    if len(funclist) == n + 1:
        any_c = conds[0]
        for c in conds[1:]:
            any_c = logical_or(any_c, c)
        conds = conds + [logical_not(any_c)]
    for c, f in zip(conds, funclist):
        v = f(x, *args, **kw) if callable(f) else f
        if isinstance(v, NDArray) and v.dtype != x.dtype:
            v = v.astype(x.dtype)
        r = where(c, v, r)
    return r.astype(x.dtype) if r.dtype != x.dtype else r
