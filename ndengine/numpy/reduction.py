"""Reductions with axis/keepdims (see NumPy's "Sums, products", "Statistics")."""
from __future__ import annotations

from typing import Any

from ..ndarray.ndarray import NDArray, apply_op
from ..ndarray.ops import OPS, ShapeError
from ._util import as_nd
from .manipulation import broadcast_to

__all__ = ["sum", "mean", "prod", "max", "min", "amax", "amin", "all", "any", "std", "var",
           "argmax", "argmin", "cumsum", "nansum", "nanmean", "average", "count_nonzero"]


def _norm_axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _make(name: str, has_dtype: bool, has_ddof: bool = False) -> Any:
    opdef = OPS[name]

    def f(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
          ddof: int = 0, **kwargs: Any) -> NDArray:
        params: dict[str, Any] = {"axis": _norm_axis(axis), "keepdims": bool(keepdims)}
        if has_dtype and dtype is not None:
            params["dtype"] = dtype
        if has_ddof and ddof:
            params["ddof"] = ddof
        r = apply_op(opdef, (as_nd(a),), params)
        if out is not None:
            out[...] = r
            return out
        return r
    f.__name__ = name
    f.__doc__ = f"See numpy.{name}."
    return f


sum = _make("sum", True)
mean = _make("mean", True)
prod = _make("prod", True)
max = _make("max", False)
min = _make("min", False)
amax = max
amin = min
all = _make("all", False)
any = _make("any", False)
std = _make("std", True, True)
var = _make("var", True, True)
nansum = _make("nansum", True)
nanmean = _make("nanmean", True)


def argmax(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> NDArray:
    """See numpy.argmax (int64 result)."""
    return apply_op(OPS["argmax"], (as_nd(a),), {"axis": axis, "keepdims": keepdims})


def argmin(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> NDArray:
    """See numpy.argmin (int64 result)."""
    return apply_op(OPS["argmin"], (as_nd(a),), {"axis": axis, "keepdims": keepdims})


def cumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> NDArray:
    """See numpy.cumsum."""
    return apply_op(OPS["cumsum"], (as_nd(a),), {"axis": axis, "dtype": dtype})


def average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False) -> Any:
    """See numpy.average (composite)."""
    a = as_nd(a)
    if weights is None:
        r = mean(a, axis=axis)
        return (r, a.size / r.size) if returned else r
    w = as_nd(weights, a.device)
    if w.shape != a.shape:
        if axis is None or not isinstance(axis, int) or w.ndim != 1 \
                or w.shape[0] != a.shape[axis]:
            raise ShapeError(f"average: weights of shape {w.shape} differ from the array's "
                             f"{a.shape}; 1-D weights need an int axis of that length "
                             f"(axis={axis!r}; on {a.device})")
        bshape = [1] * a.ndim
        bshape[axis] = w.shape[0]
        w = w.reshape(tuple(bshape))
    s = sum(broadcast_to(w, a.shape), axis=axis)
    r = sum(a * w, axis=axis) / s
    return (r, s) if returned else r


def count_nonzero(a: Any, axis: Any = None) -> NDArray:
    return sum(as_nd(a) != 0, axis=axis)
