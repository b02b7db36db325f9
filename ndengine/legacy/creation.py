"""Array creation in the legacy namespace (``mx.nd.array``, ``zeros``, ``arange``...).

Defaults as in MXNet 1.x: float32 for everything made from Python or NumPy data
(``nd.array(numpy_int64_array)`` is float32 too; only an NDArray source keeps its
dtype), ``ctx=`` places the array."""
from __future__ import annotations

from typing import Any

import numpy as _onp

from .. import numpy as _np
from ..ndarray.ndarray import NDArray as _NP
from ..ndarray.ops import DTypeError
from ._util import arr, dt, ret
from .ndarray import NDArray, wrap

__all__ = ["array", "empty", "zeros", "ones", "full", "arange", "linspace", "eye",
           "zeros_like", "ones_like", "from_numpy"]


def _shape(shape: Any) -> Any:
    if isinstance(shape, (int, _onp.integer)):
        return (int(shape),)
    return tuple(shape)


def array(source_array: Any, ctx: Any = None, dtype: Any = None) -> NDArray:
    """A new array with a copy of *source_array*'s values (float32 unless *dtype* says
    otherwise or the source is an NDArray)."""
    src = source_array
    if src.__class__ is NDArray or src.__class__ is _NP:
        a = src._arr if src.__class__ is NDArray else src
        d = a.dtype if dtype is None else dt(dtype)
        return wrap(_np.array(a, dtype=d, ctx=ctx))
    if isinstance(src, str) or src is None:
        raise TypeError(f"array: source_array must be array like object, got "
                        f"{type(src).__name__} {src!r}")
    return wrap(_np.array(src, dtype=dt(dtype), ctx=ctx))


def from_numpy(ndarray: _onp.ndarray, zero_copy: bool = True) -> NDArray:
    """An NDArray with *ndarray*'s values and dtype (copied: ndengine arrays own their
    buffers)."""
    if not isinstance(ndarray, _onp.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(ndarray).__name__}")
    return wrap(_np.array(ndarray, dtype=ndarray.dtype))


def empty(shape: Any, ctx: Any = None, dtype: Any = None) -> NDArray:
    return wrap(_np.empty(_shape(shape), dtype=dt(dtype), ctx=ctx))


def zeros(shape: Any, ctx: Any = None, dtype: Any = None, stype: Any = None,
          **kwargs: Any) -> NDArray:
    if stype not in (None, "default"):
        from .sparse import zeros as _sparse_zeros

        return _sparse_zeros(stype, shape, ctx=ctx, dtype=dtype)
    return ret(_np.zeros(_shape(shape), dtype=dt(dtype), ctx=ctx), kwargs.get("out"))


def ones(shape: Any, ctx: Any = None, dtype: Any = None, **kwargs: Any) -> NDArray:
    return ret(_np.ones(_shape(shape), dtype=dt(dtype), ctx=ctx), kwargs.get("out"))


def full(shape: Any, val: Any, ctx: Any = None, dtype: Any = _onp.float32,
         out: Any = None) -> NDArray:
    return ret(_np.full(_shape(shape), val, dtype=dt(dtype), ctx=ctx), out)


def arange(start: Any, stop: Any = None, step: Any = 1.0, repeat: int = 1,
           infer_range: Any = None, ctx: Any = None, dtype: Any = _onp.float32) -> NDArray:
    """``[start, stop)`` by *step*, each value *repeat* times (float32 by default)."""
    if repeat < 1:
        raise ValueError(f"arange: repeat must be positive, got {repeat}")
    r = _np.arange(start, stop, step, dtype=dt(dtype), ctx=ctx)
    if repeat != 1:
        r = _np.repeat(r, int(repeat))
    return wrap(r)


def linspace(start: Any, stop: Any, num: int, endpoint: bool = True, ctx: Any = None,
             dtype: Any = _onp.float32) -> NDArray:
    return wrap(_np.linspace(start, stop, int(num), endpoint=endpoint, dtype=dt(dtype),
                             ctx=ctx))


def eye(N: int, M: int = 0, k: int = 0, ctx: Any = None, dtype: Any = _onp.float32,
        **kwargs: Any) -> NDArray:
    return wrap(_np.eye(int(N), int(M) if M else None, int(k), dtype=dt(dtype), ctx=ctx))


def zeros_like(data: Any, out: Any = None, name: Any = None, **kwargs: Any) -> NDArray:
    a = arr(data, "zeros_like")
    return ret(_np.zeros(a.shape, dtype=a.dtype, ctx=a.device), out)


def ones_like(data: Any, out: Any = None, name: Any = None, **kwargs: Any) -> NDArray:
    a = arr(data, "ones_like")
    return ret(_np.ones(a.shape, dtype=a.dtype, ctx=a.device), out)


def _dense(stype: Any, fname: str) -> None:
    if stype not in (None, "default"):
        raise DTypeError(f"{fname}: storage type {stype!r} is not supported (ndengine has "
                         f"dense arrays only)")
