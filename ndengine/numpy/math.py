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
round_ = None
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
