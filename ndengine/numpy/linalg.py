"""Products and norms (see NumPy's "Linear algebra"); ``np.linalg`` holds ``norm`` and
friends."""
from __future__ import annotations

import types
from typing import Any

import numpy as _onp

from ..ndarray.ndarray import NDArray, apply_op, product
from ..ndarray.ops import OPS, ShapeError
from ._util import as_nd

__all__ = ["dot", "matmul", "tensordot", "einsum", "outer", "inner", "vdot", "kron", "trace",
           "linalg"]


_DOT = OPS["dot"]
_MATMUL = OPS["matmul"]


def _pair(a: Any, b: Any) -> tuple[NDArray, NDArray]:
    if isinstance(a, NDArray):
        return a, as_nd(b, a.device)
    b = as_nd(b)
    return as_nd(a, b.device), b


def dot(a: Any, b: Any, out: Any = None) -> NDArray:
    """See numpy.dot."""
    r = product(_DOT, *_pair(a, b))
    if out is not None:
        out[...] = r
        return out
    return r


def matmul(a: Any, b: Any, out: Any = None) -> NDArray:
    """See numpy.matmul (``a @ b``)."""
    r = product(_MATMUL, *_pair(a, b))
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
    """See numpy.trace (composite: sum of the masked diagonal)."""
    a = as_nd(a)
    from .creation import eye
    from .manipulation import moveaxis

    if a.ndim < 2:
        raise ShapeError(f"trace: needs at least 2 dimensions, got shape {a.shape} "
                         f"(on {a.device})")
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    mask = eye(a.shape[-2], a.shape[-1], k=offset, dtype=a.dtype, device=a.device)
    return (a * mask).sum(axis=(-2, -1))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> NDArray:
    """See numpy.linalg.norm (gradient for the 2-norm / Frobenius norm)."""
    return apply_op(OPS["norm"], (as_nd(x),), {"ord": ord, "axis": tuple(axis)
                                               if isinstance(axis, list) else axis,
                                               "keepdims": keepdims})


def _lin(name: str, *arrays: Any, **params: Any) -> Any:
    if len(arrays) == 2:
        arrays = _pair(*arrays)
    else:
        arrays = tuple(as_nd(a) for a in arrays)
    r = apply_op(OPS[name], arrays, params)
    return tuple(r) if isinstance(r, list) else r


def inv(a: Any) -> NDArray:
    """See numpy.linalg.inv.  Asynchronous: a singular matrix fails at the next sync
    point of the result (no gradient)."""
    return _lin("inv", a)


def det(a: Any) -> NDArray:
    """See numpy.linalg.det (no gradient)."""
    return _lin("det", a)


def slogdet(a: Any) -> tuple[NDArray, NDArray]:
    """See numpy.linalg.slogdet: (sign, logabsdet)."""
    return _lin("slogdet", a)


def solve(a: Any, b: Any) -> NDArray:
    """See numpy.linalg.solve (b a vector only when 1-D, as in NumPy 2)."""
    return _lin("solve", a, b)


def cholesky(a: Any) -> NDArray:
    """See numpy.linalg.cholesky (fails at the next sync point if not positive definite)."""
    return _lin("cholesky", a)


def pinv(a: Any) -> NDArray:
    """See numpy.linalg.pinv."""
    return _lin("pinv", a)


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """See numpy.linalg.svd: (u, s, vh), or s alone with compute_uv=False."""
    if not compute_uv:
        return _lin("svdvals", a)
    return _lin("svd", a, full_matrices=bool(full_matrices))


def qr(a: Any, mode: str = "reduced") -> tuple[NDArray, NDArray]:
    """See numpy.linalg.qr ('reduced' or 'complete')."""
    return _lin("qr", a, mode=mode)


def eigh(a: Any, UPLO: str = "L") -> tuple[NDArray, NDArray]:
    """See numpy.linalg.eigh: (eigenvalues, eigenvectors)."""
    return _lin("eigh", a, UPLO=UPLO)


def eigvalsh(a: Any, UPLO: str = "L") -> NDArray:
    """See numpy.linalg.eigvalsh."""
    return _lin("eigvalsh", a, UPLO=UPLO)


def matrix_rank(a: Any) -> NDArray:
    """See numpy.linalg.matrix_rank (int64)."""
    return _lin("matrix_rank", a)


linalg = types.SimpleNamespace(
    norm=norm, inv=inv, det=det, slogdet=slogdet, solve=solve, cholesky=cholesky, pinv=pinv,
    svd=svd, qr=qr, eigh=eigh, eigvalsh=eigvalsh, matrix_rank=matrix_rank)
linalg.__doc__ = "``np.linalg``: see numpy.linalg.  Every function is asynchronous."
