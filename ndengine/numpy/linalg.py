"""Products and norms (see NumPy's "Linear algebra"); ``np.linalg`` holds ``norm`` and
friends."""
from __future__ import annotations

import types
from typing import Any

import numpy as _onp

from ..ndarray.ndarray import NDArray, apply_op, from_buffer
from ..ndarray.ops import OPS
from ._util import as_nd

__all__ = ["dot", "matmul", "tensordot", "einsum", "outer", "inner", "vdot", "kron", "trace",
           "linalg"]


def _pair(a: Any, b: Any) -> tuple[NDArray, NDArray]:
    if isinstance(a, NDArray):
        return a, as_nd(b, a.device)
    b = as_nd(b)
    return as_nd(a, b.device), b


def dot(a: Any, b: Any, out: Any = None) -> NDArray:
    """See numpy.dot."""
    r = apply_op(OPS["dot"], _pair(a, b))
    if out is not None:
        out[...] = r
        return out
    return r


def matmul(a: Any, b: Any, out: Any = None) -> NDArray:
    """See numpy.matmul (``a @ b``)."""
    r = apply_op(OPS["matmul"], _pair(a, b))
    if out is not None:
        out[...] = r
        return out
    return r


def tensordot(a: Any, b: Any, axes: Any = 2) -> NDArray:
    """See numpy.tensordot."""
    if isinstance(axes, list):
        axes = tuple(tuple(x) if isinstance(x, list) else x for x in axes)
    return apply_op(OPS["tensordot"], _pair(a, b), {"axes": axes})


def einsum(subscripts: str, *operands: Any, optimize: Any = False) -> NDArray:
    """See numpy.einsum (no ellipsis)."""
    ops = [as_nd(o) for o in operands]
    return apply_op(OPS["einsum"], (subscripts, *ops))


def outer(a: Any, b: Any) -> NDArray:
    """See numpy.outer (composite)."""
    a, b = _pair(a, b)
    return a.reshape((-1, 1)) * b.reshape((1, -1))


def inner(a: Any, b: Any) -> NDArray:
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 1]))


def vdot(a: Any, b: Any) -> NDArray:
    a, b = _pair(a, b)
    return dot(a.reshape((-1,)), b.reshape((-1,)))


def kron(a: Any, b: Any) -> NDArray:
    a, b = _pair(a, b)
    if a.ndim != 2 or b.ndim != 2:
        raise NotImplementedError("kron: only 2-D arrays are supported")
    r = a.reshape((a.shape[0], 1, a.shape[1], 1)) * b.reshape((1, b.shape[0], 1, b.shape[1]))
    return r.reshape((a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]))


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> NDArray:
    a = as_nd(a)
    n = min(a.shape[axis1], a.shape[axis2])
    from .creation import eye

    mask = eye(a.shape[axis1], a.shape[axis2], k=offset, dtype=a.dtype, device=a.device)
    del n
    return (a * mask).sum(axis=(axis1, axis2))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> NDArray:
    """See numpy.linalg.norm (gradient for the 2-norm / Frobenius norm)."""
    return apply_op(OPS["norm"], (as_nd(x),), {"ord": ord, "axis": tuple(axis)
                                               if isinstance(axis, list) else axis,
                                               "keepdims": keepdims})


def _blocking(name: str) -> Any:
    fn = getattr(_onp.linalg, name)

    def f(*args: Any, **kwargs: Any) -> Any:
        arrs = [as_nd(a) for a in args]
        dev = arrs[0].device if arrs else None
        r = fn(*[a.asnumpy() for a in arrs], **kwargs)
        if isinstance(r, tuple):
            return tuple(from_buffer(_onp.asarray(x), dev) for x in r)
        return from_buffer(_onp.asarray(r), dev)
    f.__name__ = name
    f.__doc__ = f"See numpy.linalg.{name}.  Blocks (computed on the host; no gradient)."
    return f


linalg = types.SimpleNamespace(
    norm=norm, inv=_blocking("inv"), det=_blocking("det"), solve=_blocking("solve"),
    svd=_blocking("svd"), eigh=_blocking("eigh"), qr=_blocking("qr"),
    cholesky=_blocking("cholesky"), pinv=_blocking("pinv"), slogdet=_blocking("slogdet"),
    matrix_rank=_blocking("matrix_rank"))
