"""Array creation (see NumPy's "Array creation routines").  Defaults to float32, as
MXNet's np does; ``ctx=``/``device=`` place the array."""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ..device.transfer import transfer
from ..device import Device
from ..ndarray.ndarray import NDArray, apply_op, array_dtype, charge_now, from_buffer
from ..ndarray.ops import OPS, DTypeError, ShapeError
from ._util import default_dtype, device_of

__all__ = ["array", "asarray", "zeros", "ones", "full", "empty", "arange", "linspace", "eye",
           "identity", "zeros_like", "ones_like", "full_like", "empty_like", "copy",
           "ascontiguousarray"]


def _host_buffer(obj: Any, dtype: Any) -> _onp.ndarray:
    if dtype is not None:
        dtype = array_dtype(dtype, "array")
    if isinstance(obj, NDArray):
        buf = obj.asnumpy()
        return buf if dtype is None else buf.astype(dtype)
    if isinstance(obj, _onp.ndarray):
        return _onp.array(obj, dtype=dtype, copy=True)
    if isinstance(obj, _onp.generic):
        return _onp.array(obj, dtype=dtype)
    if dtype is None and isinstance(obj, (list, tuple)) and _has_ndarray(obj):
        obj = _host_nested(obj)
    try:
        buf = _onp.array(obj, dtype=dtype)
    except (ValueError, TypeError) as e:
        raise ShapeError(f"array: cannot make an array from {type(obj).__name__}: {e}") from None
    if buf.dtype.kind in "US" and dtype is None:
        # MXNet reads strings as numbers (np.array(['1', '2']) is [1., 2.]) and refuses
        # the others
        try:
            buf = buf.astype(_onp.float32)
        except ValueError as e:
            raise DTypeError(f"array: cannot make an array from {type(obj).__name__} of "
                             f"strings: {e}") from None
    if buf.dtype.kind in "OUSVMm":
        shown = repr(obj) if len(repr(obj)) <= 80 else repr(obj)[:77] + "..."
        raise DTypeError(f"array: cannot make an array from {type(obj).__name__} {shown} "
                         f"(dtype {buf.dtype}): arrays hold bools and numbers")
    if dtype is None and buf.dtype.kind in "biuf" and buf.dtype != _onp.float32:
        buf = buf.astype(_onp.float32)   # MXNet: Python data defaults to float32
    return buf


def _has_ndarray(obj: Any) -> bool:
    return any(isinstance(x, NDArray) or (isinstance(x, (list, tuple)) and _has_ndarray(x))
               for x in obj)


def _host_nested(obj: Any) -> Any:
    """Nested lists holding NDArrays, with their values (blocks on those arrays)."""
    if isinstance(obj, NDArray):
        return obj.asnumpy()
    if isinstance(obj, (list, tuple)):
        return [_host_nested(x) for x in obj]
    return obj


def array(object: Any, dtype: Any = None, ctx: Any = None, device: Any = None,
          copy: bool = True) -> NDArray:
    """See numpy.array.  Python lists give float32 unless *dtype* says otherwise (as in
    MXNet); NumPy arrays keep their dtype.  The copy from host memory is synchronous."""
    dev = device_of(ctx, device)
    if isinstance(object, NDArray):
        out = object.astype(dtype) if dtype is not None and _onp.dtype(dtype) != object.dtype \
            else (object.copy() if copy else object)
        return out if out.device is dev else out.copyto(dev)
    buf = _host_buffer(object, dtype)
    if dev.is_gpu:
        buf = transfer(buf, Device("cpu", 0), dev)
    charge_now(buf, dev, "array")
    return from_buffer(buf, dev)


def asarray(a: Any, dtype: Any = None, ctx: Any = None, device: Any = None) -> NDArray:
    """See numpy.asarray: no copy when *a* is already an array of that dtype and device."""
    if isinstance(a, NDArray) and (dtype is None or _onp.dtype(dtype) == a.dtype) \
            and (ctx is None and device is None or device_of(ctx, device) is a.device):
        return a
    return array(a, dtype=dtype, ctx=ctx, device=device, copy=False)


def _create(name: str, params: dict, ctx: Any, device: Any) -> NDArray:
    return apply_op(OPS[name], (), params, device_of(ctx, device))


def zeros(shape: Any, dtype: Any = None, order: str = "C", ctx: Any = None,
          device: Any = None) -> NDArray:
    """See numpy.zeros (float32 by default)."""
    return _create("zeros", {"shape": shape, "dtype": default_dtype(dtype, "zeros")}, ctx, device)


def ones(shape: Any, dtype: Any = None, order: str = "C", ctx: Any = None,
         device: Any = None) -> NDArray:
    """See numpy.ones (float32 by default)."""
    return full(shape, 1, dtype=default_dtype(dtype, "ones"), ctx=ctx, device=device)


def full(shape: Any, fill_value: Any, dtype: Any = None, order: str = "C", ctx: Any = None,
         device: Any = None) -> NDArray:
    """See numpy.full.  The dtype defaults to float32, or to the fill value's for an
    NDArray / bool fill."""
    if isinstance(fill_value, NDArray):
        from .manipulation import broadcast_to

        v = fill_value if dtype is None else fill_value.astype(dtype)
        return broadcast_to(v, shape).copy()
    if dtype is None and isinstance(fill_value, bool):
        dtype = _onp.bool_
    return _create("full", {"shape": shape, "fill_value": _fill_value(fill_value),
                            "dtype": default_dtype(dtype, "full")}, ctx, device)


def _fill_value(v: Any) -> Any:
    """A scalar fill value, or a DTypeError at the call (strings, None, objects)."""
    if isinstance(v, (bool, int, float, complex, _onp.number, _onp.bool_)):
        return v
    if isinstance(v, (list, tuple, _onp.ndarray)):
        return v if _onp.asarray(v).dtype.kind in "biufc" else _bad_fill(v)
    return _bad_fill(v)


def _bad_fill(v: Any) -> Any:
    raise DTypeError(f"full: fill_value must be a number or a bool, got "
                     f"{type(v).__name__} {v!r}")


def empty(shape: Any, dtype: Any = None, order: str = "C", ctx: Any = None,
          device: Any = None) -> NDArray:
    """See numpy.empty (float32 by default; contents are arbitrary)."""
    return _create("empty", {"shape": shape, "dtype": default_dtype(dtype, "empty")}, ctx, device)


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None, ctx: Any = None,
           device: Any = None) -> NDArray:
    """See numpy.arange.  float32 by default, as in MXNet."""
    if stop is None:
        start, stop = 0, start
    return _create("arange", {"start": start, "stop": stop, "step": step,
                              "dtype": default_dtype(dtype, "arange")}, ctx, device)


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: Any = None, axis: int = 0, ctx: Any = None, device: Any = None) -> Any:
    """See numpy.linspace (float32 by default)."""
    out = _create("linspace", {"start": start, "stop": stop, "num": int(num),
                               "endpoint": bool(endpoint), "dtype": default_dtype(dtype, "linspace")},
                  ctx, device)
    if retstep:
        div = (num - 1) if endpoint else num
        return out, (stop - start) / div if div > 0 else float("nan")
    return out


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None, ctx: Any = None,
        device: Any = None) -> NDArray:
    """See numpy.eye (float32 by default)."""
    return _create("eye", {"N": N, "M": M, "k": k, "dtype": default_dtype(dtype, "eye")}, ctx, device)


def identity(n: int, dtype: Any = None, ctx: Any = None, device: Any = None) -> NDArray:
    """See numpy.identity."""
    return eye(n, dtype=dtype, ctx=ctx, device=device)


def _like_dev(a: Any, ctx: Any, device: Any) -> Any:
    if ctx is None and device is None and isinstance(a, NDArray):
        return a.device
    return device_of(ctx, device)


def zeros_like(a: Any, dtype: Any = None, ctx: Any = None, device: Any = None) -> NDArray:
    """See numpy.zeros_like."""
    return zeros(a.shape, dtype=dtype or a.dtype, device=_like_dev(a, ctx, device))


def ones_like(a: Any, dtype: Any = None, ctx: Any = None, device: Any = None) -> NDArray:
    """See numpy.ones_like."""
    return ones(a.shape, dtype=dtype or a.dtype, device=_like_dev(a, ctx, device))


def full_like(a: Any, fill_value: Any, dtype: Any = None, ctx: Any = None,
              device: Any = None) -> NDArray:
    """See numpy.full_like."""
    return full(a.shape, fill_value, dtype=dtype or a.dtype, device=_like_dev(a, ctx, device))


def empty_like(a: Any, dtype: Any = None, ctx: Any = None, device: Any = None) -> NDArray:
    """See numpy.empty_like."""
    return empty(a.shape, dtype=dtype or a.dtype, device=_like_dev(a, ctx, device))


def copy(a: Any) -> NDArray:
    """See numpy.copy."""
    from ._util import as_nd

    return apply_op(OPS["copy"], (as_nd(a),))


def ascontiguousarray(a: Any, dtype: Any = None) -> NDArray:
    return asarray(a, dtype=dtype)


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: float = 10.0,
             dtype: Any = None, axis: int = 0, ctx: Any = None, device: Any = None) -> NDArray:
    """See numpy.logspace (float32 by default, as MXNet; computed in float64, then
    cast)."""
    from .math import power

    if axis != 0:
        raise ValueError("logspace: only axis=0 is supported for scalar start and stop")
    exps = linspace(start, stop, num, endpoint=endpoint, dtype="float64", ctx=ctx, device=device)
    return power(float(base), exps).astype(default_dtype(dtype))


def vander(x: Any, N: int | None = None, increasing: bool = False) -> NDArray:
    """See numpy.vander (the dtype NumPy gives: x's promoted with int64, so float64 for
    float32 input, as MXNet's fallback)."""
    from ._util import as_nd
    from .math import power

    x = as_nd(x)
    if x.ndim != 1:
        raise ShapeError(f"vander: x must be a one-dimensional array or sequence, got shape "
                         f"{x.shape} (on {x.device})")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise ShapeError(f"vander: N must be non-negative, got {n}")
    dt = _onp.promote_types(x.dtype, _onp.int64)
    k = arange(n, dtype=dt, device=x.device)
    if not increasing:
        k = arange(n - 1, -1, -1, dtype=dt, device=x.device)
    return power(x.astype(dt).reshape((-1, 1)), k.reshape((1, -1)))


__all__ += ["logspace", "vander"]
