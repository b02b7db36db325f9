"""Window functions (see NumPy's "Window functions"): float32 by default, as MXNet's
np; computed in float64 and cast."""
from __future__ import annotations

import math as _math
from typing import Any

from ..ndarray.ndarray import NDArray
from ..ndarray.ops import DTypeError
from ._util import default_dtype

__all__ = ["hamming", "hanning", "blackman", "bartlett"]


def _window(name: str, M: Any, terms: tuple, dtype: Any, ctx: Any, device: Any) -> NDArray:
    from .creation import arange, ones, zeros
    from .math import cos

    if isinstance(M, bool) or not isinstance(M, (int, float)) or int(M) != M:
        raise DTypeError(f"{name}: M must be an integer, got {M!r}")
    M = int(M)
    dt = default_dtype(dtype)
    if M < 1:
        return zeros((0,), dtype=dt, ctx=ctx, device=device)
    if M == 1:
        return ones((1,), dtype=dt, ctx=ctx, device=device)
    n = arange(0, M, dtype="float64", ctx=ctx, device=device)
    r = None
    for k, c in enumerate(terms):
        t = c if k == 0 else cos(n * (2.0 * k * _math.pi / (M - 1))) * c
        r = t if r is None else r + t
    return r.astype(dt)


def hamming(M: int, dtype: Any = None, ctx: Any = None, device: Any = None) -> NDArray:
    """See numpy.hamming."""
    return _window("hamming", M, (0.54, -0.46), dtype, ctx, device)


def hanning(M: int, dtype: Any = None, ctx: Any = None, device: Any = None) -> NDArray:
    """See numpy.hanning."""
    return _window("hanning", M, (0.5, -0.5), dtype, ctx, device)


def blackman(M: int, dtype: Any = None, ctx: Any = None, device: Any = None) -> NDArray:
    """See numpy.blackman."""
    return _window("blackman", M, (0.42, -0.5, 0.08), dtype, ctx, device)


def bartlett(M: int, dtype: Any = None, ctx: Any = None, device: Any = None) -> NDArray:
    """See numpy.bartlett."""
    from .creation import arange, ones, zeros
    from .math import absolute

    M = int(M)
    dt = default_dtype(dtype)
    if M < 1:
        return zeros((0,), dtype=dt, ctx=ctx, device=device)
    if M == 1:
        return ones((1,), dtype=dt, ctx=ctx, device=device)
    n = arange(0, M, dtype="float64", ctx=ctx, device=device)
    return (1.0 - absolute(n * (2.0 / (M - 1)) - 1.0)).astype(dt)
