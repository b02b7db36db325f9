"""``mx.nd.linalg`` (and the flat ``mx.nd.linalg_*`` names): MXNet 1.x's batched
linear-algebra ops over the last two axes, written on np.linalg / np ops (so autograd
differentiates them).  Triangular inputs are lower-triangular unless ``lower=False``."""
from __future__ import annotations

from typing import Any

import numpy as _onp

from .. import numpy as _np
from ..ndarray.ops import ShapeError
from ._util import arr, full_to_1, ret

__all__ = ["gelqf", "gemm", "gemm2", "potrf", "potri", "trsm", "trmm", "syrk", "sumlogdiag",
           "inverse", "det", "slogdet", "extractdiag", "makediag", "extracttrian",
           "maketrian"]


def _t(a: Any) -> Any:
    return _np.swapaxes(a, -1, -2)


def _op(a: Any, transpose: bool) -> Any:
    return _t(a) if transpose else a


def _mats(fname: str, *xs: Any) -> list:
    out = []
    for i, x in enumerate(xs):
        a = arr(x, f"linalg.{fname}", "ABC"[i] if len(xs) > 1 else "A")
        if a.ndim < 2:
            raise ShapeError(f"linalg.{fname}: inputs must be (batches of) matrices, got "
                             f"shape {a.shape} (on {a.device})")
        out.append(a)
    return out


def _axis(a: Any, axis: int) -> Any:
    """Move the row axis *axis* to -2 (MXNet's ``axis`` parameter of gemm/gemm2)."""
    return a if axis in (-2, a.ndim - 2) else _np.moveaxis(a, axis, -2)


def gemm2(A: Any, B: Any, transpose_a: bool = False, transpose_b: bool = False,
          alpha: float = 1.0, axis: int = -2, out: Any = None, name: Any = None) -> Any:
    """alpha * op(A) @ op(B)."""
    a, b = _mats("gemm2", A, B)
    a, b = _axis(a, axis), _axis(b, axis)
    r = _np.matmul(_op(a, transpose_a), _op(b, transpose_b))
    if alpha != 1.0:
        r = r * alpha
    if axis not in (-2, r.ndim - 2):
        r = _np.moveaxis(r, -2, axis)
    return ret(r, out)


def gemm(A: Any, B: Any, C: Any, transpose_a: bool = False, transpose_b: bool = False,
         alpha: float = 1.0, beta: float = 1.0, axis: int = -2, out: Any = None,
         name: Any = None) -> Any:
    """alpha * op(A) @ op(B) + beta * C."""
    a, b, c = _mats("gemm", A, B, C)
    a, b, c = _axis(a, axis), _axis(b, axis), _axis(c, axis)
    r = _np.matmul(_op(a, transpose_a), _op(b, transpose_b)) * alpha + c * beta
    if axis not in (-2, r.ndim - 2):
        r = _np.moveaxis(r, -2, axis)
    return ret(r, out)


def potrf(A: Any, lower: bool = True, out: Any = None, name: Any = None) -> Any:
    """The Cholesky factor of symmetric positive-definite A (lower, or upper)."""
    (a,) = _mats("potrf", A)
    # of the symmetric part: the gradient is symmetric, half on each triangle (MXNet's)
    L = _np.linalg.cholesky((a + _t(a)) * 0.5)
    return ret(L if lower else _t(L), out)


def potri(A: Any, lower: bool = True, out: Any = None, name: Any = None) -> Any:
    """inv(A A^T) from the Cholesky factor A (``lower``) or inv(A^T A) (upper)."""
    (a,) = _mats("potri", A)
    m = _np.matmul(a, _t(a)) if lower else _np.matmul(_t(a), a)
    return ret(_np.linalg.inv(m), out)


def _tri(a: Any, lower: bool) -> Any:
    n, m = a.shape[-2], a.shape[-1]
    mask = _np.array(_onp.tril(_onp.ones((n, m))) if lower else _onp.triu(_onp.ones((n, m))),
                     dtype=a.dtype, ctx=a.device)
    return a * mask


def trsm(A: Any, B: Any, transpose: bool = False, rightside: bool = False,
         lower: bool = True, alpha: float = 1.0, out: Any = None, name: Any = None) -> Any:
    """X with op(A) X = alpha B (or X op(A) = alpha B with ``rightside``), A triangular."""
    a, b = _mats("trsm", A, B)
    t = _op(_tri(a, lower), transpose)
    if rightside:
        x = _t(_np.linalg.solve(_t(t), _t(b * alpha)))
    else:
        x = _np.linalg.solve(t, b * alpha)
    return ret(x, out)


def trmm(A: Any, B: Any, transpose: bool = False, rightside: bool = False,
         lower: bool = True, alpha: float = 1.0, out: Any = None, name: Any = None) -> Any:
    """alpha op(A) B (or alpha B op(A) with ``rightside``), A triangular."""
    a, b = _mats("trmm", A, B)
    t = _op(_tri(a, lower), transpose)
    r = _np.matmul(b, t) if rightside else _np.matmul(t, b)
    return ret(r * alpha if alpha != 1.0 else r, out)


def syrk(A: Any, transpose: bool = False, alpha: float = 1.0, out: Any = None,
         name: Any = None) -> Any:
    """alpha A A^T (or alpha A^T A with ``transpose``)."""
    (a,) = _mats("syrk", A)
    r = _np.matmul(_t(a), a) if transpose else _np.matmul(a, _t(a))
    return ret(r * alpha if alpha != 1.0 else r, out)


def _diag(a: Any, offset: int) -> Any:
    """The offset diagonal of the last two axes (a view-free composition)."""
    n, m = a.shape[-2], a.shape[-1]
    if offset >= 0:
        k = max(0, min(n, m - offset))
        sub = a[..., 0:k, offset:offset + k]
    else:
        k = max(0, min(n + offset, m))
        sub = a[..., -offset:-offset + k, 0:k]
    return (sub * _np.eye(k, dtype=a.dtype, ctx=a.device)).sum(axis=-1)


def sumlogdiag(A: Any, out: Any = None, name: Any = None) -> Any:
    """sum(log(diag(A))) of each matrix."""
    (a,) = _mats("sumlogdiag", A)
    return ret(full_to_1(_np.sum(_np.log(_diag(a, 0)), axis=-1)), out)


def inverse(A: Any, out: Any = None, name: Any = None) -> Any:
    (a,) = _mats("inverse", A)
    return ret(_np.linalg.inv(a), out)


def det(A: Any, out: Any = None, name: Any = None) -> Any:
    (a,) = _mats("det", A)
    return ret(full_to_1(_np.linalg.det(a)), out)


def slogdet(A: Any, out: Any = None, name: Any = None) -> Any:
    """[sign, log|det|] of each matrix."""
    (a,) = _mats("slogdet", A)
    s, l = _np.linalg.slogdet(a)
    return ret([full_to_1(s), full_to_1(l)], out)


def extractdiag(A: Any, offset: int = 0, out: Any = None, name: Any = None) -> Any:
    (a,) = _mats("extractdiag", A)
    return ret(_diag(a, int(offset)), out)


def makediag(A: Any, offset: int = 0, out: Any = None, name: Any = None) -> Any:
    """Square matrices with the vectors of A (last axis) on their offset diagonal."""
    a = arr(A, "linalg.makediag", "A")
    k = int(offset)
    n = a.shape[-1] + abs(k)
    eye = _np.eye(n, k=k, dtype=a.dtype, ctx=a.device)
    pad = _np.zeros(a.shape[:-1] + (abs(k),), dtype=a.dtype, ctx=a.device)
    v = _np.concatenate([a, pad], axis=-1) if k else a
    v = v.reshape(v.shape[:-1] + ((n, 1) if k >= 0 else (1, n)))
    return ret(eye * v, out)


def _trian(n: int, offset: int, lower: bool) -> tuple:
    """(rows, cols) of the triangle in MXNet's packing order: the lower triangle row by
    row, the upper one column by column.  A non-zero offset picks the side (above the
    diagonal for offset > 0); *lower* matters only for offset 0."""
    if offset:
        lower = offset < 0
    if lower:
        return _onp.tril_indices(n, k=offset)
    c, r = _onp.tril_indices(n, k=-offset)
    return r, c


def extracttrian(A: Any, offset: int = 0, lower: bool = True, out: Any = None,
                 name: Any = None) -> Any:
    """The lower (upper) triangle of each square matrix, row by row, as a vector."""
    (a,) = _mats("extracttrian", A)
    n = a.shape[-1]
    r, c = _trian(n, offset, lower)
    flat = a.reshape(a.shape[:-2] + (n * n,))
    idx = _np.array(r * n + c, dtype=_onp.int64, ctx=a.device)
    return ret(_np.take(flat, idx, axis=-1), out)


def maketrian(A: Any, offset: int = 0, lower: bool = True, out: Any = None,
              name: Any = None) -> Any:
    """The square matrices whose lower (upper) triangle holds the vectors of A."""
    a = arr(A, "linalg.maketrian", "A")
    m = a.shape[-1]
    k = abs(int(offset))
    n = int(round((_onp.sqrt(8 * m + 1) - 1) / 2)) + k
    r, c = _trian(n, offset, lower)
    if len(r) != m:
        raise ShapeError(f"linalg.maketrian: {m} elements do not fill a triangle "
                         f"(offset {offset})")
    sel = _onp.zeros((m, n * n), dtype=_onp.float64)
    sel[_onp.arange(m), r * n + c] = 1
    s = _np.array(sel, dtype=a.dtype, ctx=a.device)
    return ret(_np.matmul(a, s).reshape(a.shape[:-1] + (n, n)), out)


def gelqf(A: Any, out: Any = None, name: Any = None) -> Any:
    """The LQ factorization of each (m, n) matrix with m <= n: [Q (m, n) with
    orthonormal rows, L (m, m) lower triangular], A = L Q (LAPACK's signs)."""
    (a,) = _mats("gelqf", A)
    if a.shape[-2] > a.shape[-1]:
        raise ShapeError(f"linalg.gelqf: matrices must not have more rows than columns, got "
                         f"{a.shape}")
    q, r = _np.linalg.qr(_t(a))
    return ret([_t(q), _t(r)], out)
