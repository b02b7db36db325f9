"""Polynomials (see NumPy's "Polynomials", the poly1d-style functions).

``polyval``, ``polyadd``, ``polysub`` are composites (asynchronous, differentiable in the
coefficients and in x); ``polymul`` is a convolution op; ``polydiv``, ``polyint``,
``polyfit``, ``poly`` and ``roots`` run on the host as MXNet's NumPy fallbacks do (they
block) and return ndengine arrays with NumPy's dtypes.
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ..ndarray import ops_np as _ops_np  # noqa: F401
from ..ndarray.ndarray import NDArray, apply_op
from ..ndarray.ops import OPS, ShapeError
from ._host import host_fallback
from ._util import as_nd

__all__ = ["polyval", "polyadd", "polysub", "polymul", "polydiv", "polyint", "polyder",
           "polyfit", "poly", "roots"]


def _coeffs(name: str, p: Any, dev: Any = None) -> NDArray:
    p = as_nd(p, dev)
    if p.ndim > 1:
        raise ShapeError(f"{name}: the coefficients must be 1-d, got shape {p.shape}")
    return p.reshape((-1,)) if p.ndim == 0 else p


def polyval(p: Any, x: Any) -> NDArray:
    """See numpy.polyval (Horner's rule; differentiable in p and x, where MXNet 1.9.1
    differentiates p only)."""
    dev = p.device if isinstance(p, NDArray) else (x.device if isinstance(x, NDArray) else None)
    p = _coeffs("polyval", p, dev)
    x = as_nd(x, p.device)
    n = p.shape[0]
    if n == 0:
        from .creation import zeros_like

        return zeros_like(x)
    r = p[0] * (x * 0 + 1) if n == 1 else p[0] * x + p[1]
    for i in range(2, n):
        r = r * x + p[i]
    return r


def _pad_front(a: NDArray, n: int) -> NDArray:
    from .creation import zeros
    from .manipulation import concatenate

    if n == 0:
        return a
    return concatenate([zeros((n,), dtype=a.dtype, device=a.device), a])


def _binary_poly(name: str, a1: Any, a2: Any, sign: float) -> NDArray:
    dev = a1.device if isinstance(a1, NDArray) else (a2.device if isinstance(a2, NDArray)
                                                     else None)
    p = _coeffs(name, a1, dev)
    q = _coeffs(name, a2, p.device)
    n = max(p.shape[0], q.shape[0])
    p = _pad_front(p, n - p.shape[0])
    q = _pad_front(q, n - q.shape[0])
    return p + q if sign > 0 else p - q


def polyadd(a1: Any, a2: Any) -> NDArray:
    """See numpy.polyadd."""
    return _binary_poly("polyadd", a1, a2, 1.0)


def polysub(a1: Any, a2: Any) -> NDArray:
    """See numpy.polysub."""
    return _binary_poly("polysub", a1, a2, -1.0)


def polymul(a1: Any, a2: Any) -> NDArray:
    """See numpy.polymul (a convolution; no gradient, as in MXNet)."""
    dev = a1.device if isinstance(a1, NDArray) else None
    p = _coeffs("polymul", a1, dev)
    q = _coeffs("polymul", a2, p.device)
    return apply_op(OPS["convolve"], (p, q), {"mode": "full"})


def _dev(*xs: Any) -> Any:
    d = next((x.device for x in xs if isinstance(x, NDArray)), None)
    return d if d is not None else as_nd(0.0).device


def polydiv(u: Any, v: Any) -> tuple[NDArray, NDArray]:
    """See numpy.polydiv: (quotient, remainder).  On the host (blocks)."""
    return host_fallback(_onp.polydiv, _dev(u, v), u, v)


def polyint(p: Any, m: int = 1, k: Any = None) -> NDArray:
    """See numpy.polyint.  On the host (blocks); float64, as NumPy."""
    return host_fallback(_onp.polyint, _dev(p), p, m, k)


def polyder(p: Any, m: int = 1) -> NDArray:
    """See numpy.polyder (composite: differentiable)."""
    from .creation import arange

    p = _coeffs("polyder", p)
    for _ in range(int(m)):
        n = p.shape[0] - 1
        if n <= 0:
            return p[0:0] if n < 0 else (p[:1] * 0)
        p = p[:-1] * arange(n, 0, -1, dtype=p.dtype, device=p.device)
    return p


def polyfit(x: Any, y: Any, deg: int, rcond: Any = None, full: bool = False, w: Any = None,
            cov: Any = False) -> Any:
    """See numpy.polyfit.  On the host (blocks), as MXNet's fallback; float64."""
    return host_fallback(_onp.polyfit, _dev(x, y), x, y, deg, rcond=rcond, full=full, w=w,
                         cov=cov)


def poly(seq_of_zeros: Any) -> NDArray:
    """See numpy.poly.  On the host (blocks)."""
    return host_fallback(_onp.poly, _dev(seq_of_zeros), seq_of_zeros)


def roots(p: Any) -> NDArray:
    """See numpy.roots.  On the host (blocks); complex roots give a complex array."""
    return host_fallback(_onp.roots, _dev(p), p)
