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
    """See numpy.kron: the block product of arrays of any dimensions (the shorter shape
    padded with leading 1s): one broadcast product of the two with their axes
    interleaved, reshaped (so its gradient is the product's)."""
    a, b = _pair(a, b)
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    ra = a.reshape(tuple(x for n in sa for x in (n, 1)))
    rb = b.reshape(tuple(x for n in sb for x in (1, n)))
    return (ra * rb).reshape(tuple(m * n for m, n in zip(sa, sb)))


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


def slogdet(a: Any) -> list[NDArray]:
    """See numpy.linalg.slogdet: [sign, logabsdet] (a list, as MXNet returns)."""
    return list(_lin("slogdet", a))


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


def eig(a: Any) -> tuple[NDArray, NDArray]:
    """See numpy.linalg.eig, for matrices with real eigenvalues (as MXNet's: a complex
    eigenvalue is an error at the next sync point; the dtype cannot depend on the
    values).  No gradient."""
    return _lin("eig", a)


def eigvals(a: Any) -> NDArray:
    """See numpy.linalg.eigvals (real eigenvalues, as eig)."""
    return _lin("eigvals", a)


def cond(x: Any, p: Any = None) -> NDArray:
    """See numpy.linalg.cond (composite: the singular-value ratio for p None/2/-2,
    ``norm(x, p) * norm(inv(x), p)`` otherwise)."""
    x = as_nd(x)
    if p is None or p == 2 or p == -2:
        s = svd(x, compute_uv=False)
        r = s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
        return r
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))


def matrix_power(a: Any, n: int) -> NDArray:
    """See numpy.linalg.matrix_power (repeated squaring; negative n inverts first).
    Composite: differentiable."""
    from .creation import eye
    from .manipulation import broadcast_to

    a = as_nd(a)
    if isinstance(n, bool) or not isinstance(n, (int, _onp.integer)):
        raise TypeError(f"linalg.matrix_power: exponent must be an integer, got {n!r}")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"linalg.matrix_power: last 2 dimensions of the array must be "
                         f"square, got shape {a.shape} (on {a.device})")
    n = int(n)
    if n == 0:
        return broadcast_to(eye(a.shape[-1], dtype=a.dtype, device=a.device), a.shape).copy()
    if n < 0:
        a = inv(a)
        n = -n
    result = None
    z = a
    while n:
        if n & 1:
            result = z if result is None else matmul(result, z)
        n >>= 1
        if n:
            z = matmul(z, z)
    return result


def multi_dot(arrays: Any, *, out: Any = None) -> NDArray:
    """See numpy.linalg.multi_dot (the cheapest multiplication order, chosen from the
    shapes; first/last 1-d arrays are a row/column vector)."""
    arrs = list(arrays)
    if len(arrs) < 2:
        raise ValueError("linalg.multi_dot: expecting at least two arrays")
    dev = next((x.device for x in arrs if isinstance(x, NDArray)), None)
    arrs = [as_nd(x, dev) for x in arrs]
    first_1d, last_1d = arrs[0].ndim == 1, arrs[-1].ndim == 1
    if first_1d:
        arrs[0] = arrs[0].reshape((1, -1))
    if last_1d:
        arrs[-1] = arrs[-1].reshape((-1, 1))
    for i, x in enumerate(arrs):
        if x.ndim != 2:
            raise ShapeError(f"linalg.multi_dot: array {i} is {x.ndim}-dimensional, but it "
                             f"must be 2-dimensional")
    dims = [arrs[0].shape[0]] + [x.shape[1] for x in arrs]
    n = len(arrs)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def chain(i: int, j: int) -> NDArray:
        if i == j:
            return arrs[i]
        return dot(chain(i, split[i][j]), chain(split[i][j] + 1, j))
    r = chain(0, n - 1)
    if first_1d and last_1d:
        r = r.reshape(())
    elif first_1d:
        r = r.reshape((-1,))
    elif last_1d:
        r = r.reshape((-1,))
    if out is not None:
        out[...] = r
        return out
    return r


def tensorinv(a: Any, ind: int = 2) -> NDArray:
    """See numpy.linalg.tensorinv (composite of reshape and inv: differentiable)."""
    a = as_nd(a)
    if ind <= 0:
        raise ValueError(f"linalg.tensorinv: invalid ind argument {ind}")
    old = a.shape
    prod = 1
    for s in old[ind:]:
        prod *= s
    inv_shape = old[ind:] + old[:ind]
    first = 1
    for s in old[:ind]:
        first *= s
    if first != prod:
        raise ShapeError(f"linalg.tensorinv: the product of the first ind={ind} dimensions "
                         f"({first}) must equal that of the rest ({prod}); shape {old}")
    return inv(a.reshape((prod, -1))).reshape(inv_shape)


def tensorsolve(a: Any, b: Any, axes: Any = None) -> NDArray:
    """See numpy.linalg.tensorsolve (composite of reshape and solve)."""
    from .manipulation import moveaxis

    a, b = _pair(a, b)
    if axes is not None:
        allaxes = list(range(a.ndim))
        for k in axes:
            allaxes.remove(k)
            allaxes.insert(a.ndim, k)
        a = a.transpose(tuple(allaxes))
    oldshape = a.shape[-(a.ndim - b.ndim):] if a.ndim > b.ndim else ()
    prod = 1
    for k in oldshape:
        prod *= k
    if a.size != prod ** 2:
        raise ShapeError(f"linalg.tensorsolve: input arrays must satisfy "
                         f"prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim]), got a {a.shape}, "
                         f"b {b.shape}")
    x = solve(a.reshape((-1, prod)), b.reshape((-1,)))
    return x.reshape(oldshape)


def lstsq(a: Any, b: Any, rcond: Any = "warn") -> tuple:
    """See numpy.linalg.lstsq: (x, residuals, rank, s).  Runs on the host (blocks), as
    MXNet's fallback does: the residuals' shape depends on the computed rank.  rank is
    a Python int, as NumPy's."""
    from ._host import host_fallback

    a, b = _pair(a, b)
    rc = None if rcond == "warn" else rcond
    x, res, rank, sv = host_fallback(lambda u, v: _onp.linalg.lstsq(u, v, rcond=rc), a.device,
                                     a, b)
    return x, res, int(rank), sv


linalg = types.SimpleNamespace(
    norm=norm, inv=inv, det=det, slogdet=slogdet, solve=solve, cholesky=cholesky, pinv=pinv,
    svd=svd, qr=qr, eigh=eigh, eigvalsh=eigvalsh, matrix_rank=matrix_rank, eig=eig,
    eigvals=eigvals, cond=cond, matrix_power=matrix_power, multi_dot=multi_dot,
    tensorinv=tensorinv, tensorsolve=tensorsolve, lstsq=lstsq)
linalg.__doc__ = "``np.linalg``: see numpy.linalg.  Every function is asynchronous."

from . import fallback_linalg  # noqa: E402,F401  (MXNet's np.linalg.fallback_linalg)

linalg.fallback_linalg = fallback_linalg


from ..base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals(), hide=('NDArray', 'OPS', 'ShapeError', 'apply_op', 'as_nd', 'product'))
