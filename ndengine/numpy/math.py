"""Elementwise math, comparisons and logic (see NumPy's "Mathematical functions").

Functions of float results give float32 for integer inputs (MXNet's default dtype)."""
from __future__ import annotations

from typing import Any

from ..ndarray.ndarray import NDArray, _binary, _unary, apply_op
from ..ndarray.ops import BINARY_NAMES, OPS, UNARY_NAMES
from ._util import as_nd

__all__: list[str] = []


def _make_unary(name: str) -> Any:
    opdef = OPS[name]

    def f(x: Any, out: Any = None, **kwargs: Any) -> NDArray:
        r = _unary(opdef, as_nd(x))
        return _write_out(r, out)
    f.__name__ = name
    f.__qualname__ = name
    f.__doc__ = f"See numpy.{name}."
    return f


def _make_binary(name: str) -> Any:
    opdef = OPS[name]

    def f(x1: Any, x2: Any, out: Any = None, **kwargs: Any) -> NDArray:
        if x1.__class__ is not NDArray and x2.__class__ is not NDArray:
            x1 = as_nd(x1)
        r = _binary(opdef, x1, x2)
        return _write_out(r, out)
    f.__name__ = name
    f.__qualname__ = name
    f.__doc__ = f"See numpy.{name}."
    return f


def _write_out(r: NDArray, out: Any) -> NDArray:
    if out is None:
        return r
    if not isinstance(out, NDArray):
        raise TypeError(f"out must be an ndengine array, got {type(out).__name__}")
    out[...] = r
    return out


for _n in sorted(UNARY_NAMES):
    globals()[_n] = _make_unary(_n)
    __all__.append(_n)
for _n in sorted(BINARY_NAMES):
    globals()[_n] = _make_binary(_n)
    __all__.append(_n)

abs = globals()["absolute"]
divide = globals()["true_divide"]
remainder = globals()["mod"]
bitwise_invert = globals()["bitwise_not"]
invert = globals()["bitwise_not"]
__all__ += ["abs", "divide", "remainder", "invert", "bitwise_invert"]


def where(condition: Any, x: Any = None, y: Any = None) -> NDArray:
    """See numpy.where.  The one-argument form is data-dependent and blocks (nonzero)."""
    if x is None and y is None:
        from .manipulation import nonzero

        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("where: either both or neither of x and y should be given")
    c = as_nd(condition)
    if not isinstance(x, NDArray) and not isinstance(y, NDArray):
        x = as_nd(x, c.device)
    return apply_op(OPS["where"], (c, x, y))


def clip(a: Any, a_min: Any = None, a_max: Any = None, out: Any = None) -> NDArray:
    """See numpy.clip."""
    return _write_out(apply_op(OPS["clip"], (as_nd(a),), {"a_min": a_min, "a_max": a_max}), out)


def around(a: Any, decimals: int = 0, out: Any = None) -> NDArray:
    """See numpy.around (no gradient)."""
    return _write_out(apply_op(OPS["round"], (as_nd(a),), {"decimals": decimals}), out)


round = around


def nan_to_num(x: Any, copy: bool = True, nan: float = 0.0, posinf: Any = None,
               neginf: Any = None) -> NDArray:
    """See numpy.nan_to_num."""
    return apply_op(OPS["nan_to_num"], (as_nd(x),), {"nan": nan, "posinf": posinf,
                                                    "neginf": neginf})


def logaddexp(x1: Any, x2: Any) -> NDArray:
    """See numpy.logaddexp (composite: differentiable through its parts)."""
    from . import maximum, exp, log

    m = maximum(x1, x2)
    return m + log(exp(x1 - m) + exp(x2 - m))


def float_power(x1: Any, x2: Any) -> NDArray:
    return globals()["power"](as_nd(x1).astype("float64"), x2)


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> NDArray:
    """See numpy.isclose (composite)."""
    a = as_nd(a)
    diff = globals()["absolute"](a - b)
    r = diff <= atol + rtol * globals()["absolute"](as_nd(b, a.device))
    if equal_nan:
        r = r | (globals()["isnan"](a) & globals()["isnan"](as_nd(b, a.device)))
    return r


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """See numpy.allclose (blocks: returns a Python bool)."""
    return bool(isclose(a, b, rtol, atol, equal_nan).all())


def array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> bool:
    a1 = as_nd(a1)
    a2 = as_nd(a2, a1.device)
    if a1.shape != a2.shape:
        return False
    return bool((a1 == a2).all())


__all__ += ["where", "clip", "around", "round", "nan_to_num", "logaddexp", "float_power",
            "isclose", "allclose", "array_equal"]


# --- more of NumPy's mathematical functions ----------------------------------------------
from ..ndarray import ops_np as _ops_np  # noqa: E402,F401  (registers the ops)

deg2rad = globals()["radians"]
rad2deg = globals()["degrees"]
round_ = around


def fabs(x: Any, out: Any = None, **kwargs: Any) -> NDArray:
    """See numpy.fabs.  Integer inputs keep their dtype, as in MXNet (NumPy gives
    float64)."""
    x = as_nd(x)
    if x.dtype.kind == "b":
        x = x.astype("float32")
    return _write_out(_unary(OPS["absolute"], x), out)


def heaviside(x1: Any, x2: Any, out: Any = None, **kwargs: Any) -> NDArray:
    """See numpy.heaviside (0 below zero, x2 at zero, 1 above)."""
    x1 = as_nd(x1)
    if isinstance(x2, NDArray) or not isinstance(x2, (int, float, bool)):
        x2 = as_nd(x2, x1.device)
    return _write_out(apply_op(OPS["heaviside"], (x1, x2)), out)


def modf(x: Any, out: Any = None, **kwargs: Any) -> tuple[NDArray, NDArray]:
    """See numpy.modf: (fractional part, integral part)."""
    return tuple(apply_op(OPS["modf"], (as_nd(x),)))


def frexp(x: Any, out: Any = None, **kwargs: Any) -> tuple[NDArray, NDArray]:
    """See numpy.frexp: (mantissa, int32 exponent)."""
    return tuple(apply_op(OPS["frexp"], (as_nd(x),)))


def divmod(x1: Any, x2: Any, out: Any = None, **kwargs: Any) -> tuple[NDArray, NDArray]:
    """See numpy.divmod: (floor_divide, mod)."""
    if not isinstance(x1, NDArray):
        x1 = as_nd(x1, x2.device if isinstance(x2, NDArray) else None)
    if not isinstance(x2, (int, float, NDArray)):
        x2 = as_nd(x2, x1.device)
    return tuple(apply_op(OPS["divmod"], (x1, x2)))


def spacing(x: Any, out: Any = None, **kwargs: Any) -> NDArray:
    """See numpy.spacing (float32 for integer inputs)."""
    return _write_out(apply_op(OPS["spacing"], (as_nd(x),)), out)


def i0(x: Any) -> NDArray:
    """See numpy.i0, the modified Bessel function of order 0 (float64 for integer
    inputs, as NumPy and MXNet's fallback; differentiable)."""
    return apply_op(OPS["i0"], (as_nd(x),))


def real(val: Any) -> NDArray:
    """See numpy.real (real arrays: the array itself, as NumPy returns)."""
    return as_nd(val)


def product(a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
            keepdims: bool = False) -> NDArray:
    """See numpy.product (= prod; removed from NumPy 2, in MXNet 1.9.1)."""
    from .reduction import prod

    return prod(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims)


def alltrue(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> NDArray:
    """See numpy.alltrue (= all; removed from NumPy 2, in MXNet 1.9.1)."""
    from .reduction import all as _all

    return _all(a, axis=axis, out=out, keepdims=keepdims)


def sometrue(a: Any, axis: Any = None, keepdims: bool = False, out: Any = None) -> NDArray:
    """See numpy.sometrue (= any; removed from NumPy 2, in MXNet 1.9.1)."""
    from .reduction import any as _any

    return _any(a, axis=axis, out=out, keepdims=keepdims)


def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
           period: Any = None) -> NDArray:
    """See numpy.interp (float64 results, as NumPy and MXNet's fallback give; a 0-d
    array for a scalar x)."""
    dev = next((v.device for v in (x, xp, fp) if isinstance(v, NDArray)), None)
    xs = as_nd(xp, dev)
    return apply_op(OPS["interp"], (as_nd(x, xs.device), xs, as_nd(fp, xs.device)),
                    {"left": left, "right": right, "period": period})


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> NDArray:
    """See numpy.diff (composite of slicing: differentiable).  Booleans give
    ``not_equal``, as NumPy."""
    from ..ndarray.ops import ShapeError, norm_axis
    from .manipulation import broadcast_to, concatenate

    a = as_nd(a)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    if n == 0:
        return a
    if a.ndim == 0:
        raise ShapeError("diff: requires input that is at least one dimensional")
    ax = norm_axis(axis, a.ndim, "diff")
    parts = []
    for v, first in ((prepend, True), (append, False)):
        if v is None:
            continue
        v = as_nd(v, a.device)
        if v.ndim == 0:
            shape = list(a.shape)
            shape[ax] = 1
            v = broadcast_to(v, tuple(shape))
        parts.append((first, v))
    if parts:
        seq = [v for f, v in parts if f] + [a] + [v for f, v in parts if not f]
        a = concatenate(seq, axis=ax)
    lo = (slice(None),) * ax + (slice(1, None),)
    hi = (slice(None),) * ax + (slice(None, -1),)
    for _ in range(n):
        if a.dtype == _bool:
            a = globals()["not_equal"](a[lo], a[hi])
        else:
            a = a[lo] - a[hi]
    return a


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> NDArray:
    """See numpy.ediff1d (flattened differences, with optional ends)."""
    from .manipulation import concatenate

    a = as_nd(ary).reshape((-1,))
    d = a[1:] - a[:-1]
    seq = []
    if to_begin is not None:
        seq.append(as_nd(to_begin, a.device).reshape((-1,)).astype(a.dtype))
    seq.append(d)
    if to_end is not None:
        seq.append(as_nd(to_end, a.device).reshape((-1,)).astype(a.dtype))
    return concatenate(seq) if len(seq) > 1 else d


def unwrap(p: Any, discont: Any = None, axis: int = -1, period: float = 6.283185307179586) -> NDArray:
    """See numpy.unwrap (composite)."""
    from .manipulation import concatenate
    from .reduction import cumsum

    p = as_nd(p)
    if p.dtype.kind != "f":
        p = p.astype("float32")
    nd = p.ndim
    ax = axis % nd
    dd = diff(p, axis=ax)
    if discont is None:
        discont = period / 2
    high = period / 2
    ddmod = globals()["mod"](dd + high, period) - high
    ddmod = where((ddmod == -high) & (dd > 0), high, ddmod)
    corr = ddmod - dd
    corr = where(globals()["absolute"](dd) < discont, 0.0, corr)
    first = p[(slice(None),) * ax + (slice(0, 1),)]
    rest = p[(slice(None),) * ax + (slice(1, None),)] + cumsum(corr, axis=ax).astype(p.dtype)
    return concatenate([first, rest], axis=ax)


def trapz(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> NDArray:
    """See numpy.trapz (composite; a 0-d array for 1-d input, where MXNet's NumPy
    fallback gives a NumPy scalar)."""
    from .reduction import sum as _sum

    y = as_nd(y)
    nd = y.ndim
    ax = axis % nd
    lo = (slice(None),) * ax + (slice(1, None),)
    hi = (slice(None),) * ax + (slice(None, -1),)
    if x is None:
        d = dx
    else:
        x = as_nd(x, y.device)
        if x.ndim == 1:
            d = x[1:] - x[:-1]
            shape = [1] * nd
            shape[ax] = d.shape[0]
            d = d.reshape(tuple(shape))
        else:
            d = diff(x, axis=ax)
    return _sum(d * (y[lo] + y[hi]) / 2.0, axis=ax)


trapezoid = trapz


def array_equiv(a1: Any, a2: Any) -> bool:
    """See numpy.array_equiv: same values after broadcasting (blocks: a Python bool)."""
    a1 = as_nd(a1)
    a2 = as_nd(a2, a1.device)
    try:
        _onp.broadcast_shapes(a1.shape, a2.shape)
    except ValueError:
        return False
    return bool((a1 == a2).all())


import numpy as _onp  # noqa: E402

_bool = _onp.dtype(_onp.bool_)

__all__ += ["deg2rad", "rad2deg", "round_", "fabs", "heaviside", "modf", "frexp", "divmod",
            "spacing", "i0", "real", "product", "alltrue", "sometrue", "interp", "diff",
            "ediff1d", "unwrap", "trapz", "trapezoid", "array_equiv"]
