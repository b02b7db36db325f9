"""The op table: every op defined once — name, shape/dtype rule, kernel, gradient.

``OpDef(name, kernel, infer, grad)``:

* ``kernel(xp, *args, **params)`` computes the result with the device's array module
  (NumPy or CuPy) from raw buffers and Python scalars; it runs on an engine worker.
* ``infer(*args, **params)`` returns ``(shape, dtype)`` (or a list of them for several
  outputs) from the arguments' shapes and dtypes only — never their values — so it runs
  at call time and bad shapes/dtypes fail there.  Results are cached per signature.
* ``grad(g, out, *args, **params)`` returns one gradient (or None) per argument, built
  from the table's own ops (NDArray's operators and the functions of :mod:`.ops_fn`,
  never the np/npx layer above), so backward is pushed asynchronously like everything
  else.  ``g`` and
  ``out`` are lists for multi-output ops.  Ops without a gradient are not
  differentiable (their outputs are constants to autograd).

Composite functions (written from these ops in ndengine.numpy / npx) need no gradient.

Every op is made by :func:`register` (tests/test_layers.py checks that no other code
calls ``OpDef(...)``), which lists it in a table: OPS here, or the legacy API's own.
"""
from __future__ import annotations

import math
import operator
import string
from typing import Any, Callable

import numpy as _onp

from ..base import MXNetError
from .tape import needs as _needs

__all__ = ["OpDef", "OPS", "ShapeError", "DTypeError", "ShapeArgError", "OpIndexError",
           "register"]

float32 = _onp.dtype(_onp.float32)
float64 = _onp.dtype(_onp.float64)
int64 = _onp.dtype(_onp.int64)
bool_ = _onp.dtype(_onp.bool_)


class ShapeError(MXNetError, ValueError):
    """Raised at call time when the shapes (or other argument values) do not fit an op."""


class DTypeError(MXNetError, TypeError):
    """Raised at call time when the dtypes (or argument types) do not fit an op."""


class ShapeArgError(ShapeError, DTypeError):
    """A shape argument that is no int or tuple of ints (``zeros((2.5, 3))``): a
    TypeError, as NumPy's, and a ValueError, as MXNet's ``np.zeros``."""


class OpIndexError(MXNetError, IndexError):
    """Raised at call time for an index that does not fit the array."""


class OpDef:
    __slots__ = ("name", "kernel", "infer", "grad", "cache", "kind", "nout", "np_fn", "blas",
                 "grad_needs_outputs")

    def __init__(self, name: str, kernel: Callable[..., Any], infer: Callable[..., Any],
                 grad: Callable[..., Any] | None = None, kind: str = "compute",
                 nout: int = 1, grad_needs_outputs: bool = False) -> None:
        self.name = name
        self.kernel = kernel
        self.infer = infer
        self.grad = grad
        self.cache: dict[Any, Any] = {}
        self.kind = kind        # compute | copy | random | creation (profiler colours)
        self.nout = nout
        # a several-output op whose gradient reads the values of its outputs (not only
        # their shapes): autograd keeps them even when the caller drops some of them
        self.grad_needs_outputs = grad_needs_outputs
        # a BLAS-heavy kernel (see _blas): its push steers the BLAS thread count
        self.blas = bool(getattr(kernel, "blas", False))
        # For elementwise ops whose kernel is just ``xp.<name>(*buffers)``: the NumPy
        # function itself, which the CPU fast path calls without the kernel's frame.
        self.np_fn: Callable[..., Any] | None = None

    def __repr__(self) -> str:
        return f"<OpDef {self.name}>"


OPS: dict[str, OpDef] = {}


def register(name: str, kernel: Callable[..., Any], infer: Callable[..., Any],
             grad: Callable[..., Any] | None = None, kind: str = "compute",
             nout: int = 1, grad_needs_outputs: bool = False,
             table: dict[str, OpDef] | None = OPS) -> OpDef:
    """Define an op: the one way OpDefs are made (tests/test_layers.py checks that no
    other code calls ``OpDef(...)``), so every op is listed in a table.

    *table* is where it is listed: OPS (the default) for the np/npx ops of this package
    and for those the upper layers define next to their functions (the image ops, the
    record iterator's batch, the data loader's gather and stack), which join it when
    their module is imported; ``ops_legacy.LEGACY_OPS`` for the legacy ``mx.nd`` API's
    own; None only for an op made per instance rather than once (a hybridized block's
    cached graph, one per block and signature), which no table could list."""
    op = OpDef(name, kernel, infer, grad, kind, nout, grad_needs_outputs)
    if table is not None:
        table[name] = op
    return op


# ----------------------------------------------------------------------------- helpers
def _sd(x: Any) -> tuple[tuple[int, ...], Any]:
    """(shape, dtype) of an array argument, or ((), weak scalar) for a Python or NumPy
    scalar: scalars are weak, as in MXNet (``float32_array + numpy.float64(1)`` stays
    float32), where NumPy 2 treats NumPy scalars as strong."""
    if isinstance(x, _onp.generic):
        return (), x.item()
    shape = getattr(x, "shape", None)
    if shape is None:
        return (), x
    return shape, x.dtype


def _fmt(args: tuple[Any, ...]) -> str:
    parts = []
    for a in args:
        if hasattr(a, "shape") and hasattr(a, "dtype"):
            parts.append(f"{tuple(a.shape)} {a.dtype}")
        elif isinstance(a, (list, tuple)) and a and hasattr(a[0], "shape"):
            parts.append("[" + ", ".join(f"{tuple(x.shape)} {x.dtype}" for x in a) + "]")
        else:
            parts.append(repr(a))
    return ", ".join(parts)


def _dname(d: Any) -> str:
    """A dtype, or a scalar operand's type, for error messages."""
    return str(d) if isinstance(d, _onp.dtype) else f"{type(d).__name__} scalar"


def norm_axis(axis: int, ndim: int, opname: str) -> int:
    if not isinstance(axis, (int, _onp.integer)) or isinstance(axis, bool):
        raise TypeError(f"{opname}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{opname}: axis {axis} is out of bounds for an array of "
                         f"dimension {ndim}")
    return int(axis) % ndim if ndim else 0


def norm_axes(axis: Any, ndim: int, opname: str) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (list, tuple)):
        axes = tuple(norm_axis(a, ndim, opname) for a in axis)
        if len(set(axes)) != len(axes):
            raise ShapeError(f"{opname}: repeated axis in {axis!r}")
        return axes
    return (norm_axis(axis, ndim, opname),)


def broadcast(opname: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return tuple(_onp.broadcast_shapes(*shapes))
    except ValueError:
        raise ShapeError(
            f"{opname}: operands could not be broadcast together with shapes "
            + " ".join(str(tuple(s)) for s in shapes)) from None


def result_dtype(opname: str, *items: Any) -> Any:
    """NumPy's promotion of *items* (dtypes of array operands, or Python scalars, which
    are weak), except that the result is float64 only when an array operand is float64:
    MXNet's default float type is float32, so ``int32 + 1.5``, ``float32 * int32`` and
    ``where(c, 1.0, 0.0)`` give float32 where NumPy gives float64."""
    try:
        dt = _onp.result_type(*items)
    except (TypeError, ValueError) as e:
        names = ", ".join(str(i) for i in items)
        raise DTypeError(f"{opname}: unsupported dtypes ({names}): {e}") from None
    if dt == float64:
        for i in items:
            if isinstance(i, _onp.dtype) and i == float64:
                return dt
        return float32
    return dt


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum *g* down to *shape* (the gradient of broadcasting)."""
    if g.shape == tuple(shape):
        return g
    nd = len(g.shape) - len(shape)
    axes = list(range(nd))
    for i, s in enumerate(shape):
        if s == 1 and g.shape[nd + i] != 1:
            axes.append(nd + i)
    r = _F().sum(g, axis=tuple(axes), keepdims=True) if axes else g
    return _F().reshape(r, shape)


_OPS_FN: list[Any] = []


def _F() -> Any:
    """The table's ops as functions (:mod:`.ops_fn`), for the gradient formulas; imported
    on first use, since it imports ndarray.py, which imports this module."""
    if not _OPS_FN:
        from . import ops_fn

        _OPS_FN.append(ops_fn)
    return _OPS_FN[0]


# ----------------------------------------------------------------------------- elementwise
def _unary_infer(kind: str) -> Callable[..., Any]:
    def infer(a: Any, **_: Any) -> tuple[tuple[int, ...], Any]:
        dt = a.dtype
        if kind == "float":
            if dt.kind in "biu":
                return a.shape, float32
            return a.shape, dt
        if kind == "bool":
            return a.shape, bool_
        if kind == "noboolean" and dt == bool_:
            raise DTypeError(f"operation not supported for boolean arrays ({dt})")
        if kind == "int" and dt.kind not in "biu":
            raise DTypeError(f"only integer and boolean dtypes are supported, got {dt}")
        return a.shape, dt
    return infer


def _def_unary(name: str, npname: str, kind: str, grad: Callable[..., Any] | None) -> None:
    fn = getattr(_onp, npname)

    if kind == "float":
        def kernel(xp: Any, a: Any, _f: Any = npname) -> Any:
            if a.dtype.kind in "biu":
                a = a.astype(xp.float32)
            return getattr(xp, _f)(a)
    else:
        def kernel(xp: Any, a: Any, _f: Any = npname) -> Any:
            return getattr(xp, _f)(a)
    op = register(name, kernel, _unary_infer(kind), grad)
    op.np_fn = fn   # valid for float inputs (kind 'float' casts ints first)


def _zero_grad(g: Any, out: Any, *args: Any, **_: Any) -> tuple[Any, ...]:
    """Gradient of a piecewise-constant op: zeros for each array argument."""
    F = _F()
    return tuple(F.zeros(a.shape, dtype=g.dtype, device=g.device) if hasattr(a, "_var") else None
                 for a in args)


def _g(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Adapt a one-input gradient ``fn(g, out, a)`` to the table's signature."""
    def grad(g: Any, out: Any, a: Any, **_: Any) -> tuple[Any]:
        return (fn(g, out, a),)
    return grad


LN2 = math.log(2.0)
LN10 = math.log(10.0)
_UNARY = [
    # name, numpy name, dtype kind, gradient
    ("negative", "negative", "noboolean", _g(lambda g, o, a: -g)),
    ("positive", "positive", "same", _g(lambda g, o, a: g)),
    ("absolute", "absolute", "same", _g(lambda g, o, a: g * _F().sign(a))),
    ("sign", "sign", "noboolean", _zero_grad),
    ("square", "square", "same", _g(lambda g, o, a: g * a * 2)),
    ("sqrt", "sqrt", "float", _g(lambda g, o, a: g / (o * 2))),
    ("cbrt", "cbrt", "float", _g(lambda g, o, a: g / (o * o * 3))),
    ("reciprocal", "reciprocal", "noboolean", _g(lambda g, o, a: -g * o * o)),
    ("exp", "exp", "float", _g(lambda g, o, a: g * o)),
    ("expm1", "expm1", "float", _g(lambda g, o, a: g * (o + 1))),
    ("log", "log", "float", _g(lambda g, o, a: g / a)),
    ("log2", "log2", "float", _g(lambda g, o, a: g / (a * LN2))),
    ("log10", "log10", "float", _g(lambda g, o, a: g / (a * LN10))),
    ("log1p", "log1p", "float", _g(lambda g, o, a: g / (a + 1))),
    ("sin", "sin", "float", _g(lambda g, o, a: g * _F().cos(a))),
    ("cos", "cos", "float", _g(lambda g, o, a: -g * _F().sin(a))),
    ("tan", "tan", "float", _g(lambda g, o, a: g * (o * o + 1))),
    ("arcsin", "arcsin", "float", _g(lambda g, o, a: g / _F().sqrt(1 - a * a))),
    ("arccos", "arccos", "float", _g(lambda g, o, a: -g / _F().sqrt(1 - a * a))),
    ("arctan", "arctan", "float", _g(lambda g, o, a: g / (a * a + 1))),
    ("sinh", "sinh", "float", _g(lambda g, o, a: g * _F().cosh(a))),
    ("cosh", "cosh", "float", _g(lambda g, o, a: g * _F().sinh(a))),
    ("tanh", "tanh", "float", _g(lambda g, o, a: g * (1 - o * o))),
    ("arcsinh", "arcsinh", "float", _g(lambda g, o, a: g / _F().sqrt(a * a + 1))),
    ("arccosh", "arccosh", "float", _g(lambda g, o, a: g / _F().sqrt(a * a - 1))),
    ("arctanh", "arctanh", "float", _g(lambda g, o, a: g / (1 - a * a))),
    ("degrees", "degrees", "float", _g(lambda g, o, a: g * (180.0 / math.pi))),
    ("radians", "radians", "float", _g(lambda g, o, a: g * (math.pi / 180.0))),
    ("floor", "floor", "same", _zero_grad),
    ("ceil", "ceil", "same", _zero_grad),
    ("trunc", "trunc", "same", _zero_grad),
    ("rint", "rint", "float", _zero_grad),
    ("fix", "fix", "same", _zero_grad),
    ("isnan", "isnan", "bool", None),
    ("isinf", "isinf", "bool", None),
    ("isfinite", "isfinite", "bool", None),
    ("isposinf", "isposinf", "bool", None),
    ("isneginf", "isneginf", "bool", None),
    ("signbit", "signbit", "bool", None),
    ("logical_not", "logical_not", "bool", None),
    ("bitwise_not", "bitwise_not", "int", None),
]
for _name, _npname, _kind, _grad in _UNARY:
    _def_unary(_name, _npname, _kind, _grad)


def _binary_infer(name: str, kind: str) -> Callable[..., Any]:
    def infer(a: Any, b: Any, **_: Any) -> tuple[tuple[int, ...], Any]:
        sa, da = _sd(a)
        sb, db = _sd(b)
        shape = sa if sa == sb else broadcast(name, sa, sb)
        if kind == "bool":
            result_dtype(name, da, db)
            return shape, bool_
        dt = result_dtype(name, da, db)
        if kind == "float" and dt.kind in "biu":
            dt = float32
        elif kind == "int" and dt.kind not in "biu":
            raise DTypeError(f"{name}: only integer and boolean dtypes are supported, "
                             f"got {_dname(da)} and {_dname(db)}")
        return shape, dt
    return infer


def _def_binary(name: str, npname: str, kind: str, grad: Callable[..., Any] | None) -> None:
    def kernel(xp: Any, a: Any, b: Any, _f: str = npname) -> Any:
        return getattr(xp, _f)(a, b)   # the runner casts to the inferred dtype if needed
    op = register(name, kernel, _binary_infer(name, kind), grad)
    op.np_fn = getattr(_onp, npname)


def _gb(fa: Callable[..., Any] | None, fb: Callable[..., Any] | None) -> Callable[..., Any]:
    """Gradient of a broadcasting binary op from the unbroadcast partials."""
    def grad(g: Any, out: Any, a: Any, b: Any, **_: Any) -> tuple[Any, Any]:
        ga = gb = None
        if fa is not None and hasattr(a, "_var") and _needs(0):
            ga = unbroadcast(fa(g, out, a, b), a.shape)
        if fb is not None and hasattr(b, "_var") and _needs(1):
            gb = unbroadcast(fb(g, out, a, b), b.shape)
        return ga, gb
    return grad


def _pow_grad_b(g: Any, o: Any, a: Any, b: Any) -> Any:
    F = _F()
    return g * o * F.log(F.where(a > 0, a, 1))


def _fmax_mask(a: Any, b: Any) -> Any:
    """Where fmax picks *a* (a >= b, or b is NaN)."""
    F = _F()
    return F.logical_or(a >= b, F.isnan(b))


def _fmin_mask(a: Any, b: Any) -> Any:
    F = _F()
    return F.logical_or(a <= b, F.isnan(b))


_BINARY = [
    ("add", "add", "same", _gb(lambda g, o, a, b: g, lambda g, o, a, b: g)),
    ("subtract", "subtract", "same", _gb(lambda g, o, a, b: g, lambda g, o, a, b: -g)),
    ("multiply", "multiply", "same", _gb(lambda g, o, a, b: g * b, lambda g, o, a, b: g * a)),
    ("true_divide", "true_divide", "float",
     _gb(lambda g, o, a, b: g / b, lambda g, o, a, b: -g * o / b)),
    ("floor_divide", "floor_divide", "same", _zero_grad),
    ("mod", "mod", "same", _gb(lambda g, o, a, b: g, lambda g, o, a, b: -g * _F().floor_divide(a, b))),
    ("fmod", "fmod", "same",
     _gb(lambda g, o, a, b: g, lambda g, o, a, b: -g * _F().trunc(a / b))),
    ("power", "power", "same",
     _gb(lambda g, o, a, b: g * b * a ** (b - 1), _pow_grad_b)),
    ("maximum", "maximum", "same",
     _gb(lambda g, o, a, b: g * (a >= b), lambda g, o, a, b: g * (a < b))),
    ("minimum", "minimum", "same",
     _gb(lambda g, o, a, b: g * (a <= b), lambda g, o, a, b: g * (a > b))),
    ("fmax", "fmax", "same", _gb(lambda g, o, a, b: g * _fmax_mask(a, b),
                                 lambda g, o, a, b: g * _F().logical_not(_fmax_mask(a, b)))),
    ("fmin", "fmin", "same", _gb(lambda g, o, a, b: g * _fmin_mask(a, b),
                                 lambda g, o, a, b: g * _F().logical_not(_fmin_mask(a, b)))),
    ("arctan2", "arctan2", "float",
     _gb(lambda g, o, a, b: g * b / (a * a + b * b), lambda g, o, a, b: -g * a / (a * a + b * b))),
    ("hypot", "hypot", "float", _gb(lambda g, o, a, b: g * a / o, lambda g, o, a, b: g * b / o)),
    ("copysign", "copysign", "float",
     _gb(lambda g, o, a, b: g * _F().sign(a) * _F().sign(o), None)),
    ("ldexp", "ldexp", "float", _gb(lambda g, o, a, b: g * (2.0 ** b), None)),
    ("lcm", "lcm", "int", None),
    ("gcd", "gcd", "int", None),
    ("bitwise_and", "bitwise_and", "int", None),
    ("bitwise_or", "bitwise_or", "int", None),
    ("bitwise_xor", "bitwise_xor", "int", None),
    ("left_shift", "left_shift", "int", None),
    ("right_shift", "right_shift", "int", None),
    ("equal", "equal", "bool", None),
    ("not_equal", "not_equal", "bool", None),
    ("less", "less", "bool", None),
    ("less_equal", "less_equal", "bool", None),
    ("greater", "greater", "bool", None),
    ("greater_equal", "greater_equal", "bool", None),
    ("logical_and", "logical_and", "bool", None),
    ("logical_or", "logical_or", "bool", None),
    ("logical_xor", "logical_xor", "bool", None),
]
for _name, _npname, _kind, _grad in _BINARY:
    _def_binary(_name, _npname, _kind, _grad)

BINARY_NAMES = frozenset(n for n, *_ in _BINARY)
UNARY_NAMES = frozenset(n for n, *_ in _UNARY)


# ----------------------------------------------------------------------------- reductions
def _reduce_infer(name: str, out_kind: str = "same") -> Callable[..., Any]:
    def infer(a: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None,
              ddof: int = 0, **_: Any) -> tuple[tuple[int, ...], Any]:
        nd = len(a.shape)
        axes = norm_axes(axis, nd, name)
        for ax in axes:
            if a.shape[ax] == 0 and name in ("max", "min", "argmax", "argmin"):
                raise ShapeError(f"{name}: zero-size array to reduction operation along "
                                 f"axis {ax}, which has no identity")
        if keepdims:
            shape = tuple(1 if i in axes else s for i, s in enumerate(a.shape))
        else:
            shape = tuple(s for i, s in enumerate(a.shape) if i not in axes)
        dt = a.dtype
        if dtype is not None:
            dt = _onp.dtype(dtype)
        elif out_kind == "float":
            dt = dt if dt.kind == "f" else float32
        elif out_kind == "sum" and dt.kind == "b":
            dt = int64              # integer sums keep their dtype, as in MXNet
        elif out_kind == "bool":
            dt = bool_
        elif out_kind == "index":
            dt = int64
        return shape, dt
    return infer


def _expand_g(g: Any, a: Any, axis: Any, keepdims: bool) -> Any:
    """Reshape a reduction's gradient so it broadcasts against the input."""
    if not keepdims:
        axes = norm_axes(axis, len(a.shape), "grad")
        shape = tuple(1 if i in axes else s for i, s in enumerate(a.shape))
        g = _F().reshape(g, shape)
    return g


def _count(a: Any, axis: Any) -> int:
    axes = norm_axes(axis, len(a.shape), "grad")
    n = 1
    for ax in axes:
        n *= a.shape[ax]
    return n


def _sum_grad(g: Any, out: Any, a: Any, axis: Any = None, keepdims: bool = False, **_: Any):
    return (_F().broadcast_to(_expand_g(g, a, axis, keepdims), a.shape),)


def _mean_grad(g: Any, out: Any, a: Any, axis: Any = None, keepdims: bool = False, **_: Any):
    return (_F().broadcast_to(_expand_g(g, a, axis, keepdims) / _count(a, axis), a.shape),)


def _prod_grad(g: Any, out: Any, a: Any, axis: Any = None, keepdims: bool = False, **_: Any):
    return (_expand_g(g, a, axis, keepdims) * _expand_g(out, a, axis, keepdims) / a,)


def _minmax_grad(g: Any, out: Any, a: Any, axis: Any = None, keepdims: bool = False, **_: Any):
    o = _expand_g(out, a, axis, keepdims)
    mask = a == o
    return (_expand_g(g, a, axis, keepdims) * mask / _F().sum(mask, axis=axis, keepdims=True),)


def _var_grad(g: Any, out: Any, a: Any, axis: Any = None, keepdims: bool = False,
              ddof: int = 0, **_: Any):
    n = _count(a, axis) - ddof
    m = _F().mean(a, axis=axis, keepdims=True)
    return (_expand_g(g, a, axis, keepdims) * (a - m) * (2.0 / n),)


def _std_grad(g: Any, out: Any, a: Any, axis: Any = None, keepdims: bool = False,
              ddof: int = 0, **_: Any):
    n = _count(a, axis) - ddof
    m = _F().mean(a, axis=axis, keepdims=True)
    return (_expand_g(g, a, axis, keepdims) * (a - m) / (_expand_g(out, a, axis, keepdims) * n),)


def _nansum_grad(g: Any, out: Any, a: Any, axis: Any = None, keepdims: bool = False, **_: Any):
    F = _F()
    return (F.where(F.isnan(a), 0, _expand_g(g, a, axis, keepdims)),)


def _nanmean_grad(g: Any, out: Any, a: Any, axis: Any = None, keepdims: bool = False, **_: Any):
    F = _F()
    nan = F.isnan(a)
    n = _F().sum(F.logical_not(nan), axis=axis, keepdims=True)
    return (F.where(nan, 0, _expand_g(g, a, axis, keepdims) / n),)


def _k_reduce(fname: str) -> Callable[..., Any]:
    def k(xp: Any, a: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None,
          **kw: Any) -> Any:
        if isinstance(axis, list):
            axis = tuple(axis)
        if dtype is not None:
            kw["dtype"] = dtype
        return getattr(xp, fname)(a, axis=axis, keepdims=keepdims, **kw)
    return k


for _name, _kind, _grad in [("sum", "sum", _sum_grad), ("mean", "float", _mean_grad),
                            ("prod", "sum", _prod_grad), ("max", "same", _minmax_grad),
                            ("min", "same", _minmax_grad), ("all", "bool", None),
                            ("any", "bool", None), ("var", "float", _var_grad),
                            ("std", "float", _std_grad), ("nansum", "sum", _nansum_grad),
                            ("nanmean", "float", _nanmean_grad)]:
    register(_name, _k_reduce(_name), _reduce_infer(_name, _kind), _grad)


def _k_arg(fname: str) -> Callable[..., Any]:
    def k(xp: Any, a: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return getattr(xp, fname)(a, axis=axis, keepdims=keepdims)
    return k


def _arg_infer(name: str) -> Callable[..., Any]:
    base = _reduce_infer(name, "index")

    def infer(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
        if axis is not None and not isinstance(axis, (int, _onp.integer)):
            raise TypeError(f"{name}: axis must be an int or None, got {axis!r}")
        if a.size == 0 if hasattr(a, "size") else False:
            raise ShapeError(f"{name}: attempt to get {name} of an empty sequence")
        return base(a, axis=axis, keepdims=keepdims)
    return infer


register("argmax", _k_arg("argmax"), _arg_infer("argmax"))
register("argmin", _k_arg("argmin"), _arg_infer("argmin"))


def _cumsum_infer(a: Any, axis: Any = None, dtype: Any = None) -> Any:
    dt = _onp.dtype(dtype) if dtype is not None else (int64 if a.dtype.kind == "b" else a.dtype)
    if axis is None:
        n = 1
        for s in a.shape:
            n *= s
        return (n,), dt
    norm_axis(axis, len(a.shape), "cumsum")
    return a.shape, dt


def _cumsum_grad(g: Any, out: Any, a: Any, axis: Any = None, dtype: Any = None):
    F = _F()
    if axis is None:
        r = F.flip(F.cumsum(F.flip(g, 0), axis=0), 0)
        return (_F().reshape(r, a.shape),)
    return (F.flip(F.cumsum(F.flip(g, axis), axis=axis), axis),)


register("cumsum", lambda xp, a, axis=None, dtype=None: xp.cumsum(a, axis=axis, dtype=dtype),
         _cumsum_infer, _cumsum_grad)


# ----------------------------------------------------------------------------- linalg
_ENGINE: list[Any] = []


def _engine_and_blas() -> list[Any]:
    if not _ENGINE:
        from .. import engine
        from ..device.blas import BLAS

        _ENGINE.extend((engine, BLAS))
    return _ENGINE


def steer_blas(dev: Any) -> None:
    """At the push of a BLAS kernel on CPU device *dev* (front end): tell the BLAS policy
    whether another CPU device has work pending, so that concurrent devices share the
    cores and a lone one gets them all (see ndengine.device.blas)."""
    if dev.device_type != "cpu":
        return
    engine, blas = _ENGINE or _engine_and_blas()
    blas.steer(engine.get_engine().cpu_devices_with_work(dev) > 0)


def _cpu_devices_busy() -> int:
    """The BLAS policy's load probe: CPU devices with work pending or running now, so a
    kernel starting after another device's work is done asks for every core again."""
    return (_ENGINE or _engine_and_blas())[0].get_engine().cpu_devices_with_work()


def _flops(args: tuple) -> float:
    """A BLAS kernel's floating-point operations, roughly, from its first two array
    operands: ``2 * a.size * (b.size / b.shape[0])`` — exact for a product of (m, k)
    and (k, n), ``2 * N*C*H*W * C/g*kh*kw`` for a convolution's data and weight; 0
    (unknown) for other operands (the BLAS policy's small-kernel rule then stays out)."""
    arrays = [a for a in args if getattr(a, "ndim", 0)]
    if len(arrays) < 2:
        return 0.0
    a, b = arrays[0], arrays[1]
    return 2.0 * a.size * (b.size // max(1, b.shape[0]))


def _blas(kernel: Callable[..., Any], flops: Callable[..., float] | None = None
          ) -> Callable[..., Any]:
    """A BLAS-heavy kernel: on a CPU it runs inside the BLAS thread policy (a lone
    product gets every core, concurrent ones share them; see ndengine.device.blas).
    *flops(args, params)* estimates its work where :func:`_flops`'s (m, k) x (k, n)
    reading of the first two operands is wrong (a Dense weight is (units, in_units));
    ``run.flops`` is the estimate a replayed graph uses too."""
    from ..device.blas import BLAS

    if BLAS.load_probe is None:
        BLAS.load_probe = _cpu_devices_busy
    estimate = flops or (lambda args, params: _flops(args))

    def run(xp: Any, *args: Any, **params: Any) -> Any:
        if xp is _onp:
            BLAS.enter(estimate(args, params))
            try:
                return kernel(xp, *args, **params)
            finally:
                BLAS.__exit__()
        return kernel(xp, *args, **params)

    run.__name__ = getattr(kernel, "__name__", "blas_kernel")
    run.__wrapped__ = kernel  # type: ignore[attr-defined]
    run.flops = estimate  # type: ignore[attr-defined]
    run.blas = True  # type: ignore[attr-defined]
    return run


def _matmul_shape(name: str, sa: tuple[int, ...], sb: tuple[int, ...]) -> tuple[int, ...]:
    if len(sa) == 0 or len(sb) == 0:
        raise ShapeError(f"{name}: input operand does not have enough dimensions "
                         f"(shapes {sa} and {sb}; use multiply for scalars)")
    a2 = sa if len(sa) > 1 else (1,) + sa
    b2 = sb if len(sb) > 1 else sb + (1,)
    if a2[-1] != b2[-2]:
        raise ShapeError(f"{name}: shapes {sa} and {sb} not aligned: {a2[-1]} (dim {len(sa) - 1}) "
                         f"!= {b2[-2]} (dim {max(len(sb) - 2, 0)})")
    batch = broadcast(name, a2[:-2], b2[:-2])
    shape = batch + (a2[-2], b2[-1])
    if len(sa) == 1:
        shape = shape[:-2] + shape[-1:]
    if len(sb) == 1:
        shape = shape[:-1]
    return shape


def _matmul_infer(a: Any, b: Any) -> Any:
    return _matmul_shape("matmul", a.shape, b.shape), result_dtype("matmul", a.dtype, b.dtype)


def _matmul_grad(g: Any, out: Any, a: Any, b: Any):
    F = _F()
    sa, sb = a.shape, b.shape
    a2 = a if len(sa) > 1 else _F().reshape(a, (1,) + sa)
    b2 = b if len(sb) > 1 else _F().reshape(b, sb + (1,))
    g2 = g
    if len(sb) == 1:
        g2 = F.expand_dims(g2, -1)
    if len(sa) == 1:
        g2 = F.expand_dims(g2, -2)
    ga = gb = None
    if _needs(0):
        ga = _F().reshape(unbroadcast(F.matmul(g2, F.swapaxes(b2, -1, -2)), a2.shape), sa)
    if _needs(1):
        gb = _F().reshape(unbroadcast(F.matmul(F.swapaxes(a2, -1, -2), g2), b2.shape), sb)
    return ga, gb


register("matmul", _blas(lambda xp, a, b: xp.matmul(a, b)), _matmul_infer, _matmul_grad)


def _dot_infer(a: Any, b: Any) -> Any:
    sa, sb = tuple(a.shape), tuple(b.shape)
    dt = result_dtype("dot", a.dtype, b.dtype)
    if not sa or not sb:
        return (sb if not sa else sa), dt
    if len(sb) == 1:
        if sa[-1] != sb[0]:
            raise ShapeError(f"dot: shapes {sa} and {sb} not aligned: {sa[-1]} (dim {len(sa) - 1}) "
                             f"!= {sb[0]} (dim 0)")
        return sa[:-1], dt
    if sa[-1] != sb[-2]:
        raise ShapeError(f"dot: shapes {sa} and {sb} not aligned: {sa[-1]} (dim {len(sa) - 1}) "
                         f"!= {sb[-2]} (dim {len(sb) - 2})")
    return sa[:-1] + sb[:-2] + sb[-1:], dt


def _dot_grad(g: Any, out: Any, a: Any, b: Any):
    F = _F()
    sa, sb = a.shape, b.shape
    if not sa or not sb:
        if not sa:
            return _F().sum((g * b)), g * a
        return g * b, _F().sum((g * a))
    if len(sa) <= 2 and len(sb) <= 2:
        return _matmul_grad(g, out, a, b)
    # general N-d dot: contract the last axis of a with the second-to-last of b
    na, nb = len(sa), len(sb)
    # out axes: a[:-1] (na-1 axes), b[:-2] + b[-1] (nb-1 axes)
    b_axes_out = list(range(na - 1, na - 1 + nb - 1))
    ga = gb = None
    if _needs(0):
        ga = F.tensordot(g, F.moveaxis(b, -2, -1), axes=(b_axes_out, list(range(nb - 1))))
    if _needs(1):
        gb = F.tensordot(a, g, axes=(list(range(na - 1)), list(range(na - 1))))
        gb = F.moveaxis(gb, 0, -2)
    return ga, gb


register("dot", _blas(lambda xp, a, b: xp.dot(a, b)), _dot_infer, _dot_grad)


def _tensordot_axes(sa: tuple[int, ...], sb: tuple[int, ...], axes: Any) -> tuple[list[int], list[int]]:
    if isinstance(axes, (int, _onp.integer)):
        n = int(axes)
        if n > len(sa) or n > len(sb):
            raise ShapeError(f"tensordot: axes={n} exceeds the dimensions of {sa} or {sb}")
        return list(range(len(sa) - n, len(sa))), list(range(n))
    xa, xb = axes
    xa = [xa] if isinstance(xa, (int, _onp.integer)) else list(xa)
    xb = [xb] if isinstance(xb, (int, _onp.integer)) else list(xb)
    if len(xa) != len(xb):
        raise ShapeError(f"tensordot: axes lists {xa} and {xb} differ in length")
    return ([norm_axis(x, len(sa), "tensordot") for x in xa],
            [norm_axis(x, len(sb), "tensordot") for x in xb])


def _tensordot_infer(a: Any, b: Any, axes: Any = 2) -> Any:
    sa, sb = tuple(a.shape), tuple(b.shape)
    xa, xb = _tensordot_axes(sa, sb, axes)
    for i, j in zip(xa, xb):
        if sa[i] != sb[j]:
            raise ShapeError(f"tensordot: shape-mismatch for sum: {sa} axis {i} ({sa[i]}) != "
                             f"{sb} axis {j} ({sb[j]})")
    shape = tuple(s for i, s in enumerate(sa) if i not in xa) + \
        tuple(s for j, s in enumerate(sb) if j not in xb)
    return shape, result_dtype("tensordot", a.dtype, b.dtype)


def _tensordot_grad(g: Any, out: Any, a: Any, b: Any, axes: Any = 2):
    F = _F()
    sa, sb = tuple(a.shape), tuple(b.shape)
    xa, xb = _tensordot_axes(sa, sb, axes)
    fa = [i for i in range(len(sa)) if i not in xa]
    fb = [j for j in range(len(sb)) if j not in xb]
    nfa = len(fa)
    ga = gb = None
    if _needs(0):
        # ga[free_a..., xa...] = sum over free_b of g * b
        ga = F.tensordot(g, b, axes=(list(range(nfa, nfa + len(fb))), fb))
        perm_a = fa + [xa[xb.index(j)] for j in sorted(xb)]
        ga = F.transpose(ga, tuple(int(i) for i in _onp.argsort(perm_a)))
    if _needs(1):
        gb = F.tensordot(a, g, axes=(fa, list(range(nfa))))
        perm_b = [xb[xa.index(i)] for i in sorted(xa)] + fb
        gb = F.transpose(gb, tuple(int(i) for i in _onp.argsort(perm_b)))
    return ga, gb


register("tensordot", _blas(lambda xp, a, b, axes=2: xp.tensordot(a, b, axes=axes)),
         _tensordot_infer, _tensordot_grad)


def _einsum_expand(s: str, shapes: list[tuple[int, ...]]) -> str:
    """*s* with every ``...`` replaced by letters of its own (the broadcast axes, right-
    aligned as NumPy aligns them), and the output spelled out when it was implicit
    (the ellipsis axes first, then the labels used once, sorted), so the shape rule and
    the gradient see one label per axis."""
    ins, arrow, outs = s.partition("->")
    terms = ins.split(",")
    if len(terms) != len(shapes):
        raise ShapeError(f"einsum: {len(terms)} operand subscripts for {len(shapes)} operands")
    used = {c for c in s if c.isalpha()}
    free = [c for c in string.ascii_letters if c not in used]
    counts = []
    for t, sh in zip(terms + ([outs] if arrow else []), shapes + [None]):
        if t.replace("...", "").count(".") or t.count("...") > 1:
            raise ValueError(f"einsum: invalid ellipsis in '{t}' of '{s}' (at most one "
                             f"'...' per operand)")
        if sh is not None and "..." in t:
            n = len(sh) - (len(t) - 3)
            if n < 0:
                raise ShapeError(f"einsum: operand subscripts '{t}' have more labels than "
                                 f"shape {sh} has axes")
            counts.append(n)
    nell = max(counts, default=0)
    if nell > len(free):
        raise ValueError(f"einsum: too many axes under '...' in '{s}'")
    ell = "".join(free[:nell])
    new_terms = [t.replace("...", ell[nell - (len(sh) - (len(t) - 3)):]) if "..." in t else t
                 for t, sh in zip(terms, shapes)]
    if arrow:
        if nell and "..." not in outs:
            raise ShapeError(f"einsum: the output of '{s}' needs '...' (the operands have "
                             f"{nell} axes under it, which NumPy does not sum away)")
        out = outs.replace("...", ell)
    else:
        once = [c for c in set(ins) if c.isalpha() and ins.count(c) == 1]
        out = ell + "".join(sorted(once))
    return ",".join(new_terms) + "->" + out


def _einsum_parse(subscripts: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    s = subscripts.replace(" ", "")
    if "." in s:
        s = _einsum_expand(s, list(shapes))
    if "->" in s:
        ins, outs = s.split("->")
    else:
        ins = s
        counts: dict[str, int] = {}
        for c in ins.replace(",", ""):
            counts[c] = counts.get(c, 0) + 1
        outs = "".join(sorted(c for c, n in counts.items() if n == 1))
    terms = ins.split(",")
    if len(terms) != len(shapes):
        raise ShapeError(f"einsum: {len(terms)} operand subscripts for {len(shapes)} operands")
    return terms, outs


def _einsum_infer(subscripts: str, *ops: Any) -> Any:
    shapes = [tuple(o.shape) for o in ops]
    terms, outs = _einsum_parse(subscripts, shapes)
    sizes: dict[str, int] = {}
    for t, sh in zip(terms, shapes):
        if len(t) != len(sh):
            raise ShapeError(f"einsum: operand subscripts '{t}' do not match shape {sh}")
        for c, n in zip(t, sh):
            if c in sizes and sizes[c] != n and 1 not in (n, sizes[c]):
                raise ShapeError(f"einsum: size of label '{c}' differs: {sizes[c]} != {n}")
            sizes[c] = max(sizes.get(c, n), n)
    for c in outs:
        if c not in sizes:
            raise ShapeError(f"einsum: output label '{c}' does not appear in the inputs")
    return tuple(sizes[c] for c in outs), result_dtype("einsum", *[o.dtype for o in ops])


def _einsum_grad(g: Any, out: Any, subscripts: str, *ops: Any):
    F = _F()
    terms, outs = _einsum_parse(subscripts, [tuple(o.shape) for o in ops])
    sizes: dict[str, int] = {}
    for t, op in zip(terms, ops):
        for c, n in zip(t, op.shape):
            sizes[c] = max(sizes.get(c, n), n)
    grads: list[Any] = [None]
    for i, (t, op) in enumerate(zip(terms, ops)):
        if not _needs(i + 1):
            grads.append(None)
            continue
        # a label repeated in the operand ('ii', a diagonal) reads the diagonal only:
        # the gradient is taken for the unique labels u, then put on that diagonal
        u = "".join(dict.fromkeys(t))
        others = [(tt, o) for j, (tt, o) in enumerate(zip(terms, ops)) if j != i]
        avail = set(outs).union(*[set(tt) for tt, _ in others]) if others else set(outs)
        keep = "".join(c for c in u if c in avail)     # labels the gradient can carry
        spec = ",".join([outs] + [tt for tt, _ in others]) + "->" + keep
        gi = F.einsum(spec, g, *[o for _, o in others])
        if keep != u:        # labels summed away in the forward: broadcast back
            gi = _F().reshape(gi, tuple(sizes[c] if c in keep else 1 for c in u))
            gi = F.broadcast_to(gi, tuple(sizes[c] for c in u))
        if u != t:
            first = {c: t.index(c) for c in u}
            gi = _F().reshape(gi, tuple(sizes[c] if first[c] == p else 1
                                        for p, c in enumerate(t)))
            for p, c in enumerate(t):
                if first[c] != p:      # 1 where this axis's index equals its first's
                    eye = _F().eye(sizes[c], dtype=gi.dtype, device=gi.device)
                    gi = gi * _F().reshape(eye, tuple(sizes[c] if q in (first[c], p) else 1
                                                      for q in range(len(t))))
        grads.append(unbroadcast(gi, tuple(op.shape)))   # size-1 labels broadcast
    return tuple(grads)


register("einsum", _blas(lambda xp, subscripts, *ops: xp.einsum(subscripts, *ops)),
         _einsum_infer, _einsum_grad)


def _norm_infer(a: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    if ord not in (None, 2, "fro", 1, _onp.inf, -_onp.inf, "nuc") and not isinstance(ord, (int, float)):
        raise ValueError(f"norm: unsupported ord {ord!r}")
    nd = len(a.shape)
    naxes = nd if axis is None else (len(axis) if isinstance(axis, (tuple, list)) else 1)
    if naxes > 2 and ord is not None:
        raise ShapeError(f"norm: improper number of dimensions to norm (ord={ord!r} over "
                         f"{naxes} axes of shape {tuple(a.shape)})")
    if isinstance(ord, str) and naxes != 2:
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    shape, _ = _reduce_infer("norm", "float")(a, axis=axis, keepdims=keepdims)
    dt = a.dtype if a.dtype.kind == "f" else float32
    return shape, dt


def _norm_grad(g: Any, out: Any, a: Any, ord: Any = None, axis: Any = None, keepdims: bool = False):
    F = _F()
    nd = len(a.shape)
    axes = norm_axes(axis, nd, "norm")
    vector = len(axes) == 1
    ge = _expand_g(g, a, axis, keepdims)
    oe = _expand_g(out, a, axis, keepdims)
    if ord is None or ord == "fro" or (vector and ord == 2):
        return (ge * a / oe,)               # the 2-norm of the flattened axes
    if not vector:
        return (_matrix_norm_grad(ge, oe, a, ord, axes),)
    if ord in (_onp.inf, -_onp.inf):        # ties share the gradient
        mask = F.absolute(a) == oe
        return (ge * F.sign(a) * mask / _F().sum(mask, axis=axes, keepdims=True),)
    if ord == 0:
        return (F.zeros(a.shape, dtype=g.dtype, device=g.device),)
    p = float(ord)
    return (ge * F.sign(a) * (F.absolute(a) / oe) ** (p - 1),)


def _matrix_norm_grad(ge: Any, oe: Any, a: Any, ord: Any, axes: tuple[int, ...]) -> Any:
    """The gradient of a matrix norm over *axes* (rows, columns) for ord 1 / -1 (the
    largest / smallest absolute column sum), inf / -inf (row sum), 2 / -2 (the largest /
    smallest singular value: u v^T of its singular vectors) and 'nuc' (the sum of the
    singular values: U V^T).  *ge* / *oe* are the gradient and the norm with the two
    axes kept (size 1).  Ties of the extreme share its gradient, as the vector norms'
    do; a repeated extreme singular value has no unique gradient (one of its vector
    pairs is taken)."""
    F = _F()
    r, c = axes
    if ord in (1, -1, _onp.inf, -_onp.inf):
        summed = c if ord in (_onp.inf, -_onp.inf) else r   # the sums of rows / columns
        sums = F.sum(F.absolute(a), axis=summed, keepdims=True)
        mask = sums == oe
        return ge * F.sign(a) * mask / F.sum(mask, axis=(r, c), keepdims=True)
    # 2, -2, 'nuc': through the SVD of the matrices moved to the last two axes
    nd = len(a.shape)
    perm = tuple(i for i in range(nd) if i not in (r, c)) + (r, c)
    inv = tuple(int(i) for i in _onp.argsort(perm))
    u, _, vh = F.svd(F.transpose(a, perm), full_matrices=False)
    if ord == "nuc":
        d = u @ vh
    else:
        k = slice(0, 1) if ord == 2 else slice(-1, None)
        d = u[..., :, k] @ vh[..., k, :]
    return ge * F.transpose(d, inv)


def _k_norm(xp: Any, a: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    if ord is None and axis is None:
        return xp.sqrt(xp.sum(a * a) if not keepdims else xp.sum(a * a, keepdims=True))
    return xp.linalg.norm(a, ord=ord, axis=axis, keepdims=keepdims)


register("norm", _blas(_k_norm), _norm_infer, _norm_grad)


# np.linalg decompositions and solvers: shapes follow from the operands' shapes, so
# these are ordinary asynchronous ops (a singular matrix fails at the next sync point).
def _lapack(kernel: Callable[..., Any]) -> Callable[..., Any]:
    """LAPACK kernels run inside the BLAS thread policy too (see _blas)."""
    return _blas(kernel)


def _lin_float(name: str, *dts: Any) -> Any:
    dt = result_dtype(name, *dts)
    if dt.kind == "c":
        return dt
    return dt if dt.kind == "f" else float32


def _square(name: str, a: Any) -> tuple[int, ...]:
    s = tuple(a.shape)
    if len(s) < 2:
        raise ShapeError(f"linalg.{name}: {len(s)}-dimensional array given; the array must be "
                         f"at least two-dimensional (shape {s})")
    if s[-1] != s[-2]:
        raise ShapeError(f"linalg.{name}: last 2 dimensions of the array must be square, "
                         f"got shape {s}")
    return s


def _at_least_2d(name: str, a: Any) -> tuple[int, ...]:
    s = tuple(a.shape)
    if len(s) < 2:
        raise ShapeError(f"linalg.{name}: {len(s)}-dimensional array given; the array must be "
                         f"at least two-dimensional (shape {s})")
    return s


def _solve_infer(a: Any, b: Any) -> Any:
    sa = _square("solve", a)
    sb = tuple(b.shape)
    n = sa[-1]
    if len(sb) == 1:
        if sb[0] != n:
            raise ShapeError(f"linalg.solve: shapes {sa} and {sb} do not fit: {n} != {sb[0]}")
        return sa[:-1], _lin_float("solve", a.dtype, b.dtype)
    if len(sb) < 2 or sb[-2] != n:
        raise ShapeError(f"linalg.solve: shapes {sa} and {sb} do not fit: b needs {n} rows")
    batch = broadcast("linalg.solve", sa[:-2], sb[:-2])
    return batch + sb[-2:], _lin_float("solve", a.dtype, b.dtype)


def _svd_infer(a: Any, full_matrices: bool = True) -> Any:
    s = _at_least_2d("svd", a)
    m, n = s[-2], s[-1]
    k = min(m, n)
    dt = _lin_float("svd", a.dtype)
    u = s[:-2] + ((m, m) if full_matrices else (m, k))
    vh = s[:-2] + ((n, n) if full_matrices else (k, n))
    return [(u, dt), (s[:-2] + (k,), dt), (vh, dt)]


def _k_svd(xp: Any, a: Any, full_matrices: bool = True) -> Any:
    return tuple(xp.linalg.svd(_as_float(xp, a), full_matrices=full_matrices))


def _svdvals_infer(a: Any) -> Any:
    s = _at_least_2d("svd", a)
    return s[:-2] + (min(s[-2], s[-1]),), _lin_float("svd", a.dtype)


def _qr_infer(a: Any, mode: str = "reduced") -> Any:
    s = _at_least_2d("qr", a)
    if mode not in ("reduced", "complete"):
        raise ValueError(f"linalg.qr: mode must be 'reduced' or 'complete', got {mode!r}")
    m, n = s[-2], s[-1]
    k = min(m, n) if mode == "reduced" else m
    dt = _lin_float("qr", a.dtype)
    return [(s[:-2] + (m, k), dt), (s[:-2] + (k, n), dt)]


def _eigh_infer(a: Any, UPLO: str = "L") -> Any:
    s = _square("eigh", a)
    dt = _lin_float("eigh", a.dtype)
    return [(s[:-1], dt), (s, dt)]


def _as_float(xp: Any, a: Any) -> Any:
    return a if a.dtype.kind in "fc" else a.astype(xp.float32)


# Gradients of the np.linalg ops (real inputs), written with the array API so that
# backward pushes them like any other ops.  Cholesky and eigh/eigvalsh read one
# triangle of their input (UPLO): their gradient is the symmetric one folded onto that
# triangle, which is what finite differences of NumPy's own functions give.
def _mT(x: Any) -> Any:
    return _F().swapaxes(x, -1, -2)


def _tri_mask(a: Any, lower: bool, strict: bool) -> Any:
    n = a.shape[-1]
    m = _onp.tril(_onp.ones((n, n)), -1 if strict else 0)
    if not lower:
        m = m.T
    return _F().from_host(m.astype(a.dtype), a.device)


def _eye_like(a: Any, n: int | None = None) -> Any:
    return _F().eye(a.shape[-1] if n is None else n, dtype=a.dtype, device=a.device)


def _fold_symmetric(s: Any, a: Any, uplo: str) -> Any:
    """The gradient w.r.t. the triangle *uplo* of *a* of a function of the symmetric
    matrix that triangle describes, given its symmetric gradient *s*: off-diagonal
    entries stand for two, the diagonal for one."""
    return s * (_tri_mask(a, uplo.upper() == "L", True) * 2 + _eye_like(a))


def _inv_grad(g: Any, out: Any, a: Any):
    yt = _mT(out)
    return (-(yt @ g @ yt),)


def _det_grad(g: Any, out: Any, a: Any):
    F = _F()
    return ((F.expand_dims(F.expand_dims(g * out, -1), -1)) * _mT(F.inv(a)),)


def _slogdet_grad(g: Any, out: Any, a: Any):
    F = _F()
    gl = g[1]
    if gl is None:           # the sign is piecewise constant
        return (F.zeros(a.shape, dtype=out[1].dtype, device=a.device),)
    return (F.expand_dims(F.expand_dims(gl, -1), -1) * _mT(F.inv(a)),)


def _solve_grad(g: Any, out: Any, a: Any, b: Any):
    F = _F()
    vec = len(b.shape) == 1
    gx = F.expand_dims(g, -1) if vec else g
    x = F.expand_dims(out, -1) if vec else out
    gb = F.solve(_mT(a), gx)
    ga = unbroadcast(-(gb @ _mT(x)), tuple(a.shape)) if _needs(0) else None
    if _needs(1):
        gb = unbroadcast(gb[..., 0] if vec else gb, tuple(b.shape))
    else:
        gb = None
    return ga, gb


def _cholesky_grad(g: Any, out: Any, a: Any):
    F = _F()
    li = F.inv(out)
    p = _mT(out) @ g
    phi = p * (_tri_mask(a, True, True) + _eye_like(a) * 0.5)
    s = _mT(li) @ phi @ li
    return (_fold_symmetric((s + _mT(s)) * 0.5, a, "L"),)


def _pinv_grad(g: Any, out: Any, a: Any):
    m, n = a.shape[-2], a.shape[-1]
    p, pt, gt = out, _mT(out), _mT(g)
    return (-(pt @ g @ pt) + (_eye_like(a, m) - a @ p) @ gt @ p @ pt
            + pt @ p @ gt @ (_eye_like(a, n) - p @ a),)


def _svdvals_grad(g: Any, out: Any, a: Any):
    F = _F()
    u, _, vh = F.svd(a, full_matrices=False)
    return ((u * F.expand_dims(g, -2)) @ vh,)


def _svd_grad(g: Any, out: Any, a: Any, full_matrices: bool = True):
    """Reduced-SVD gradient (real, distinct singular values).  With full_matrices, the
    columns of U and rows of Vh beyond min(m, n) are an arbitrary basis; gradients on
    them are ignored (as PyTorch does)."""
    F = _F()
    gu, gs, gvh = g
    m, n = a.shape[-2], a.shape[-1]
    k = min(m, n)
    u, s, vh = out
    if full_matrices:
        u, vh = u[..., :, :k], vh[..., :k, :]
        gu = gu[..., :, :k] if gu is not None else None
        gvh = gvh[..., :k, :] if gvh is not None else None
    inner = 0.0
    if gs is not None:
        inner = F.expand_dims(gs, -1) * _eye_like(a, k)
    if gu is None and gvh is None:
        return ((u * F.expand_dims(gs, -2)) @ vh,)
    s_row, s_col = F.expand_dims(s, -2), F.expand_dims(s, -1)
    off = 1 - _eye_like(a, k)
    f = off / (s_row * s_row - s_col * s_col + _eye_like(a, k))   # 1/(s_j^2 - s_i^2)
    v = _mT(vh)
    ga_extra = 0.0
    if gu is not None:
        j = _mT(u) @ gu
        inner = inner + (j - _mT(j)) * s_row * f
        if m > k:
            ga_extra = ga_extra + ((gu - u @ j) / s_row) @ vh
    if gvh is not None:
        gv = _mT(gvh)
        kk = _mT(v) @ gv
        inner = inner + s_col * (kk - _mT(kk)) * f
        if n > k:
            ga_extra = ga_extra + u @ _mT((gv - v @ kk) / s_row)
    return (u @ inner @ vh + ga_extra,)


def _eigvalsh_grad(g: Any, out: Any, a: Any, UPLO: str = "L"):
    F = _F()
    _, v = F.eigh(a, UPLO=UPLO)
    return (_fold_symmetric((v * F.expand_dims(g, -2)) @ _mT(v), a, UPLO),)


def _eigh_grad(g: Any, out: Any, a: Any, UPLO: str = "L"):
    """Real symmetric input with distinct eigenvalues."""
    F = _F()
    gw, gv = g
    w, v = out
    eye = _eye_like(a)
    inner = F.expand_dims(gw, -1) * eye if gw is not None else 0.0
    if gv is not None:
        diff = F.expand_dims(w, -2) - F.expand_dims(w, -1)         # w_j - w_i
        inner = inner + (1 - eye) / (diff + eye) * (_mT(v) @ gv)
    s = v @ inner @ _mT(v)
    return (_fold_symmetric((s + _mT(s)) * 0.5, a, UPLO),)


def _qr_grad(g: Any, out: Any, a: Any, mode: str = "reduced"):
    """For m >= n in reduced mode (A = QR with square R), and for wide matrices (m < n,
    either mode): A = [X | Y] with X square, X = QU its own QR and R = [U | Q^T Y], so
    Y's gradient is Q gV and X's the square one with Q's gradient plus Y gV^T."""
    F = _F()
    m, n = a.shape[-2], a.shape[-1]
    gq, gr = g
    q, r = out
    if m < n:
        gu = gv = None
        if gr is not None:
            gu, gv = gr[..., :, :m], gr[..., :, m:]
            extra = a[..., :, m:] @ _mT(gv)
            gq = extra if gq is None else gq + extra
        gx = _qr_square_grad(gq, gu, q, r[..., :, :m])
        gy = q @ gv if gv is not None else F.zeros(a.shape[:-1] + (n - m,), dtype=gx.dtype,
                                                     device=gx.device)
        return (F.concatenate([gx, gy], axis=-1),)
    if mode == "complete" and m != n:
        raise MXNetError(
            f"linalg.qr: no gradient for a tall {m}x{n} input in mode='complete' (Q's "
            f"extra {m - n} columns are not determined by A; use mode='reduced')")
    return (_qr_square_grad(gq, gr, q, r),)


def _qr_square_grad(gq: Any, gr: Any, q: Any, r: Any) -> Any:
    """A's gradient for A = QR with R square (Q's columns span A's)."""
    F = _F()
    mm = 0.0
    if gr is not None:
        mm = r @ _mT(gr)
    if gq is not None:
        mm = mm - _mT(gq) @ q
    lower = _tri_mask(r, True, True)
    if isinstance(mm, float):
        copyltu = mm
    else:
        low = mm * lower
        copyltu = low + _mT(low) + mm * _eye_like(r)
    b = (gq if gq is not None else 0.0) + q @ copyltu
    # B R^{-T}: solve R X^T = B^T
    return _mT(F.solve(r, _mT(b)))


register("inv", _lapack(lambda xp, a: xp.linalg.inv(_as_float(xp, a))),
         lambda a: (_square("inv", a), _lin_float("inv", a.dtype)), _inv_grad)
register("det", _lapack(lambda xp, a: xp.linalg.det(_as_float(xp, a))),
         lambda a: (_square("det", a)[:-2], _lin_float("det", a.dtype)), _det_grad)
register("slogdet", _lapack(lambda xp, a: tuple(xp.linalg.slogdet(_as_float(xp, a)))),
         lambda a: [(_square("slogdet", a)[:-2], _lin_float("slogdet", a.dtype))] * 2, _slogdet_grad,
         nout=-1)
register("solve", _lapack(lambda xp, a, b: xp.linalg.solve(_as_float(xp, a), _as_float(xp, b))),
         _solve_infer, _solve_grad)
register("cholesky", _lapack(lambda xp, a: xp.linalg.cholesky(_as_float(xp, a))),
         lambda a: (_square("cholesky", a), _lin_float("cholesky", a.dtype)), _cholesky_grad)
register("pinv", _lapack(lambda xp, a: xp.linalg.pinv(_as_float(xp, a))),
         lambda a: ((_at_least_2d("pinv", a)[:-2] + (a.shape[-1], a.shape[-2])),
                    _lin_float("pinv", a.dtype)), _pinv_grad)
register("svd", _lapack(_k_svd), _svd_infer, _svd_grad, nout=-1, grad_needs_outputs=True)
register("svdvals", _lapack(lambda xp, a: xp.linalg.svd(_as_float(xp, a), compute_uv=False)),
         _svdvals_infer, _svdvals_grad)
register("qr", _lapack(lambda xp, a, mode="reduced": tuple(xp.linalg.qr(_as_float(xp, a), mode=mode))),
         _qr_infer, _qr_grad, nout=-1, grad_needs_outputs=True)
register("eigh", _lapack(lambda xp, a, UPLO="L": tuple(xp.linalg.eigh(_as_float(xp, a), UPLO=UPLO))),
         _eigh_infer, _eigh_grad, nout=-1, grad_needs_outputs=True)
register("eigvalsh", _lapack(lambda xp, a, UPLO="L": xp.linalg.eigvalsh(_as_float(xp, a), UPLO=UPLO)),
         lambda a, UPLO="L": (_square("eigvalsh", a)[:-1], _lin_float("eigvalsh", a.dtype)),
         _eigvalsh_grad)
register("matrix_rank", _lapack(lambda xp, a: xp.asarray(xp.linalg.matrix_rank(a), dtype=xp.int64)),
         lambda a: (tuple(a.shape)[:-2], int64))


# ----------------------------------------------------------------------------- shape ops
def reshape_shape(shape: tuple[int, ...], newshape: Any, name: str = "reshape") -> tuple[int, ...]:
    if isinstance(newshape, (int, _onp.integer)):
        newshape = (int(newshape),)
    try:
        newshape = tuple(operator.index(s) for s in newshape)
    except TypeError:
        raise ShapeArgError(f"{name}: the new shape must be an int or a tuple of ints, got "
                            f"{newshape!r}") from None
    size = 1
    for s in shape:
        size *= s
    unknown = [i for i, s in enumerate(newshape) if s == -1]
    if len(unknown) > 1:
        raise ShapeError(f"{name}: can only specify one unknown dimension (-1), got {newshape}")
    if any(s < -1 for s in newshape):
        raise ShapeError(f"{name}: negative dimensions other than -1 are not allowed: {newshape}")
    known = 1
    for s in newshape:
        if s != -1:
            known *= s
    if unknown:
        if known == 0 or size % known:
            raise ShapeError(f"{name}: cannot reshape array of size {size} (shape {shape}) "
                             f"into shape {newshape}")
        newshape = tuple(size // known if s == -1 else s for s in newshape)
    elif known != size:
        raise ShapeError(f"{name}: cannot reshape array of size {size} (shape {shape}) "
                         f"into shape {newshape}")
    return newshape


register("reshape", lambda xp, a, newshape: xp.reshape(a, newshape),
         lambda a, newshape: (reshape_shape(tuple(a.shape), newshape), a.dtype),
         lambda g, out, a, newshape: (_F().reshape(g, a.shape),), kind="view")


def _transpose_axes(nd: int, axes: Any) -> tuple[int, ...]:
    if axes is None or axes == ():
        return tuple(range(nd))[::-1]
    axes = tuple(norm_axis(x, nd, "transpose") for x in axes)
    if sorted(axes) != list(range(nd)):
        raise ShapeError(f"transpose: axes {axes} don't match array of dimension {nd}")
    return axes


register("transpose", lambda xp, a, axes=None: xp.transpose(a, _transpose_axes(a.ndim, axes)),
         lambda a, axes=None: (tuple(a.shape[i] for i in _transpose_axes(len(a.shape), axes)),
                               a.dtype),
         lambda g, out, a, axes=None: (_F().transpose(g, tuple(_onp.argsort(
             _transpose_axes(len(a.shape), axes)))),), kind="view")


def _swap_infer(a: Any, axis1: int, axis2: int) -> Any:
    i = norm_axis(axis1, len(a.shape), "swapaxes")
    j = norm_axis(axis2, len(a.shape), "swapaxes")
    s = list(a.shape)
    s[i], s[j] = s[j], s[i]
    return tuple(s), a.dtype


register("swapaxes", lambda xp, a, axis1, axis2: xp.swapaxes(a, axis1, axis2), _swap_infer,
         lambda g, out, a, axis1, axis2: (_F().swapaxes(g, axis1, axis2),), kind="view")


def _moveaxis_infer(a: Any, source: Any, destination: Any) -> Any:
    return tuple(_onp.moveaxis(_onp.empty(a.shape, dtype=[]), source, destination).shape), a.dtype


register("moveaxis", lambda xp, a, source, destination: xp.moveaxis(a, source, destination),
         _moveaxis_infer,
         lambda g, out, a, source, destination: (_F().moveaxis(g, destination, source),),
         kind="view")


def _expand_infer(a: Any, axis: Any) -> Any:
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    nd = len(a.shape) + len(axes)
    axes = [norm_axis(x, nd, "expand_dims") for x in axes]
    it = iter(a.shape)
    return tuple(1 if i in axes else next(it) for i in range(nd)), a.dtype


register("expand_dims", lambda xp, a, axis: xp.expand_dims(a, axis), _expand_infer,
         lambda g, out, a, axis: (_F().reshape(g, a.shape),), kind="view")


def _squeeze_infer(a: Any, axis: Any = None) -> Any:
    if axis is None:
        return tuple(s for s in a.shape if s != 1), a.dtype
    axes = norm_axes(axis, len(a.shape), "squeeze")
    for ax in axes:
        if a.shape[ax] != 1:
            raise ShapeError(f"squeeze: cannot select an axis to squeeze out which has size "
                             f"not equal to one (axis {ax} of shape {tuple(a.shape)})")
    return tuple(s for i, s in enumerate(a.shape) if i not in axes), a.dtype


register("squeeze", lambda xp, a, axis=None: xp.squeeze(a, axis=axis), _squeeze_infer,
         lambda g, out, a, axis=None: (_F().reshape(g, a.shape),), kind="view")


def _bcast_infer(a: Any, shape: Any) -> Any:
    shape = (int(shape),) if isinstance(shape, (int, _onp.integer)) else tuple(int(s) for s in shape)
    try:
        r = _onp.broadcast_shapes(tuple(a.shape), shape)
    except ValueError:
        r = None
    if r != shape:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {tuple(a.shape)} to {shape}")
    return shape, a.dtype


register("broadcast_to", lambda xp, a, shape: xp.broadcast_to(a, shape), _bcast_infer,
         lambda g, out, a, shape: (unbroadcast(g, a.shape),), kind="view")


def _flip_infer(a: Any, axis: Any = None) -> Any:
    norm_axes(axis, len(a.shape), "flip")
    return a.shape, a.dtype


register("flip", lambda xp, a, axis=None: xp.flip(a, axis=axis), _flip_infer,
         lambda g, out, a, axis=None: (_F().flip(g, axis=axis),), kind="view")


def _concat_infer(seq: Any, axis: Any = 0) -> Any:
    if not seq:
        raise ShapeError("concatenate: need at least one array to concatenate")
    if axis is None:
        n = sum(_size(x.shape) for x in seq)
        return (n,), result_dtype("concatenate", *[x.dtype for x in seq])
    s0 = tuple(seq[0].shape)
    if not s0:
        raise ShapeError("concatenate: zero-dimensional arrays cannot be concatenated")
    ax = norm_axis(axis, len(s0), "concatenate")
    total = 0
    for i, x in enumerate(seq):
        s = tuple(x.shape)
        if len(s) != len(s0) or any(a != b for j, (a, b) in enumerate(zip(s, s0)) if j != ax):
            raise ShapeError(f"concatenate: all the input array dimensions except for the "
                             f"concatenation axis must match exactly, but array 0 has shape {s0} "
                             f"and array {i} has shape {s} (axis {ax})")
        total += s[ax]
    shape = s0[:ax] + (total,) + s0[ax + 1:]
    return shape, result_dtype("concatenate", *[x.dtype for x in seq])


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _concat_grad(g: Any, out: Any, seq: Any, axis: Any = 0):
    F = _F()
    if axis is None:
        sizes = [_size(x.shape) for x in seq]
        parts = F.split(g, list(_onp.cumsum(sizes)[:-1]))
        return ([_F().reshape(p, x.shape) for p, x in zip(parts, seq)],)
    ax = norm_axis(axis, len(seq[0].shape), "concatenate")
    idx = list(_onp.cumsum([x.shape[ax] for x in seq])[:-1])
    return (F.split(g, idx, axis=ax),)


register("concatenate", lambda xp, seq, axis=0: xp.concatenate(seq, axis=axis), _concat_infer,
         _concat_grad)


def _stack_infer(seq: Any, axis: int = 0) -> Any:
    if not seq:
        raise ShapeError("stack: need at least one array to stack")
    s0 = tuple(seq[0].shape)
    for i, x in enumerate(seq):
        if tuple(x.shape) != s0:
            raise ShapeError(f"stack: all input arrays must have the same shape, but array 0 "
                             f"has shape {s0} and array {i} has shape {tuple(x.shape)}")
    ax = norm_axis(axis, len(s0) + 1, "stack")
    return s0[:ax] + (len(seq),) + s0[ax:], result_dtype("stack", *[x.dtype for x in seq])


def _stack_grad(g: Any, out: Any, seq: Any, axis: int = 0):
    F = _F()
    ax = norm_axis(axis, len(seq[0].shape) + 1, "stack")
    return ([F.squeeze(p, axis=ax) for p in F.split(g, len(seq), axis=ax)],)


register("stack", lambda xp, seq, axis=0: xp.stack(seq, axis=axis), _stack_infer, _stack_grad)


def _split_points(n: int, ios: Any, name: str) -> list[int]:
    if isinstance(ios, (int, _onp.integer)):
        k = int(ios)
        if k <= 0 or n % k:
            raise ShapeError(f"{name}: array split does not result in an equal division "
                             f"({n} into {k})")
        return [n // k * i for i in range(1, k)]
    return [int(i) for i in ios]


def _split_infer(a: Any, indices_or_sections: Any, axis: int = 0) -> Any:
    ax = norm_axis(axis, len(a.shape), "split")
    n = a.shape[ax]
    pts = [0] + _split_points(n, indices_or_sections, "split") + [n]
    out = []
    for lo, hi in zip(pts[:-1], pts[1:]):
        lo2, hi2 = min(max(lo, 0), n), min(max(hi, 0), n)
        s = list(a.shape)
        s[ax] = max(hi2 - lo2, 0)
        out.append((tuple(s), a.dtype))
    return out


def _split_grad(g: Any, out: Any, a: Any, indices_or_sections: Any, axis: int = 0):
    F = _F()
    parts = [gi if gi is not None else F.zeros(o.shape, dtype=o.dtype, device=o.device)
             for gi, o in zip(g, out)]
    return (F.concatenate(parts, axis=axis),)


register("split", lambda xp, a, indices_or_sections, axis=0:
         xp.split(a, indices_or_sections, axis=axis), _split_infer, _split_grad, nout=-1)


def _tile_infer(a: Any, reps: Any) -> Any:
    reps = (int(reps),) if isinstance(reps, (int, _onp.integer)) else tuple(int(r) for r in reps)
    shape = tuple(a.shape)
    n = max(len(shape), len(reps))
    shape = (1,) * (n - len(shape)) + shape
    reps = (1,) * (n - len(reps)) + reps
    return tuple(s * r for s, r in zip(shape, reps)), a.dtype


def _tile_grad(g: Any, out: Any, a: Any, reps: Any):
    reps = (int(reps),) if isinstance(reps, (int, _onp.integer)) else tuple(int(r) for r in reps)
    shape = tuple(a.shape)
    n = max(len(shape), len(reps))
    shape1 = (1,) * (n - len(shape)) + shape
    reps = (1,) * (n - len(reps)) + reps
    inter: list[int] = []
    for r, s in zip(reps, shape1):
        inter += [r, s]
    r = _F().sum(_F().reshape(g, tuple(inter)), axis=tuple(range(0, 2 * n, 2)))
    return (_F().reshape(r, a.shape),)


register("tile", lambda xp, a, reps: xp.tile(a, reps), _tile_infer, _tile_grad)


def _repeat_infer(a: Any, repeats: Any, axis: Any = None) -> Any:
    if not isinstance(repeats, (int, _onp.integer)):
        raise TypeError("repeat: only an int number of repeats is supported")
    if axis is None:
        return (_size(a.shape) * int(repeats),), a.dtype
    ax = norm_axis(axis, len(a.shape), "repeat")
    s = list(a.shape)
    s[ax] *= int(repeats)
    return tuple(s), a.dtype


def _repeat_grad(g: Any, out: Any, a: Any, repeats: Any, axis: Any = None):
    if axis is None:
        return (_F().reshape(_F().sum(_F().reshape(g, (-1, int(repeats))), axis=1), a.shape),)
    ax = norm_axis(axis, len(a.shape), "repeat")
    s = list(a.shape)
    s.insert(ax + 1, int(repeats))
    return (_F().sum(_F().reshape(g, tuple(s)), axis=ax + 1),)


register("repeat", lambda xp, a, repeats, axis=None: xp.repeat(a, repeats, axis=axis),
         _repeat_infer, _repeat_grad)


# ----------------------------------------------------------------------------- indexing
def _key_meta(key: Any) -> Any:
    """An index key with NDArrays replaced by zero index arrays of the same shape."""
    if isinstance(key, tuple):
        return tuple(_key_meta(k) for k in key)
    if hasattr(key, "shape") and hasattr(key, "dtype") and not isinstance(key, _onp.ndarray):
        if key.dtype == bool_:
            raise NotImplementedError("boolean mask keys are resolved by the caller")
        return _onp.zeros(key.shape, dtype=_onp.intp)
    return key


def getitem_infer(a: Any, key: Any) -> Any:
    dummy = _onp.broadcast_to(_onp.zeros((), dtype=a.dtype), tuple(a.shape))
    try:
        r = dummy[_key_meta(key)]
    except IndexError as e:
        raise IndexError(f"getitem: {e} (index {key!r}, shape {tuple(a.shape)})") from None
    return tuple(r.shape), a.dtype


def _unwrap_key(key: Any) -> Any:
    return key


class _Slot:
    """Stands for the i-th index array of a key template (see _backward_getitem)."""

    __slots__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = i


def _key_template(key: Any, arrays: list[Any]) -> Any:
    """*key* with its index NDArrays moved to *arrays* (replaced by slots)."""
    if isinstance(key, tuple):
        return tuple(_key_template(k, arrays) for k in key)
    if hasattr(key, "_var"):
        arrays.append(key)
        return _Slot(len(arrays) - 1)
    return key


def _key_fill(tmpl: Any, arrays: list[Any]) -> Any:
    if isinstance(tmpl, tuple):
        return tuple(_key_fill(k, arrays) for k in tmpl)
    if isinstance(tmpl, _Slot):
        return arrays[tmpl.i]
    return tmpl


def _key_is_basic(tmpl: Any) -> bool:
    """No index arrays (so no index repeats: assignment is enough)."""
    ks = tmpl if isinstance(tmpl, tuple) else (tmpl,)
    return all(k is None or k is Ellipsis or isinstance(k, (slice, int, _onp.integer))
               for k in ks)


def _getitem_grad(g: Any, out: Any, a: Any, key: Any):
    from .ndarray import apply_op

    arrays: list[Any] = []
    tmpl = _key_template(key, arrays)
    return (apply_op(OPS["_backward_getitem"], (g, arrays),
                     {"key": tmpl, "shape": tuple(a.shape)}), None)


def _k_getitem(xp: Any, a: Any, key: Any) -> Any:
    return a[key]


register("getitem", _k_getitem, getitem_infer, _getitem_grad, kind="view")


def _k_backward_getitem(xp: Any, g: Any, arrays: list[Any], key: Any, shape: Any) -> Any:
    """Scatter-add *g* into zeros of *shape* at *key* (repeated indices add up)."""
    z = xp.zeros(shape, dtype=g.dtype)
    if _key_is_basic(key):
        z[key] = g
    else:
        xp.add.at(z, _key_fill(key, arrays), g)
    return z


def _backward_getitem_grad(gg: Any, out: Any, g: Any, arrays: Any, key: Any, shape: Any):
    return (gg[_key_fill(key, arrays)], None)


register("_backward_getitem", _k_backward_getitem,
         lambda g, arrays, key, shape: (tuple(shape), g.dtype), _backward_getitem_grad)


def _where_infer(cond: Any, x: Any, y: Any) -> Any:
    sc, _ = _sd(cond)
    sx, dx = _sd(x)
    sy, dy = _sd(y)
    return broadcast("where", sc, sx, sy), result_dtype("where", dx, dy)


def _where_grad(g: Any, out: Any, cond: Any, x: Any, y: Any):
    F = _F()
    gx = unbroadcast(F.where(cond, g, 0), x.shape) \
        if hasattr(x, "_var") and _needs(1) else None
    gy = unbroadcast(F.where(cond, 0, g), y.shape) \
        if hasattr(y, "_var") and _needs(2) else None
    return None, gx, gy


register("where", lambda xp, c, x, y: xp.where(c, x, y), _where_infer, _where_grad)


def _clip_infer(a: Any, a_min: Any = None, a_max: Any = None) -> Any:
    if a_min is None and a_max is None:
        raise ValueError("clip: one of a_min and a_max must be given")
    return a.shape, a.dtype


def _clip_grad(g: Any, out: Any, a: Any, a_min: Any = None, a_max: Any = None):
    m = g
    if a_min is not None:
        m = m * (a >= a_min)
    if a_max is not None:
        m = m * (a <= a_max)
    return (m,)


register("clip", lambda xp, a, a_min=None, a_max=None: xp.clip(a, a_min, a_max), _clip_infer,
         _clip_grad)


def _astype_infer(a: Any, dtype: Any) -> Any:
    return a.shape, _onp.dtype(dtype)


register("astype", lambda xp, a, dtype: a.astype(dtype, copy=True), _astype_infer,
         lambda g, out, a, dtype: (_F().astype(g, a.dtype),))
register("copy", lambda xp, a: a.copy(), lambda a: (a.shape, a.dtype),
         lambda g, out, a: (g,))
register("round", lambda xp, a, decimals=0: xp.round(a, decimals),
         lambda a, decimals=0: (a.shape, a.dtype))
register("nan_to_num", lambda xp, a, nan=0.0, posinf=None, neginf=None:
         xp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf),
         lambda a, **_: (a.shape, a.dtype))
OPS["round"].grad = _zero_grad
OPS["nan_to_num"].grad = lambda g, out, a, **_: (_F().where(_F().isfinite(a), g, 0),)


# ----------------------------------------------------------------------------- npx (nn)
def _softmax_k(xp: Any, a: Any, axis: int = -1, temperature: Any = None) -> Any:
    if temperature is not None and temperature != 1.0:
        a = a / temperature
    e = xp.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax_k(xp: Any, a: Any, axis: int = -1, temperature: Any = None) -> Any:
    if temperature is not None and temperature != 1.0:
        a = a / temperature
    s = a - a.max(axis=axis, keepdims=True)
    return s - xp.log(xp.exp(s).sum(axis=axis, keepdims=True))


def _sm_infer(name: str) -> Callable[..., Any]:
    def infer(a: Any, axis: int = -1, temperature: Any = None) -> Any:
        norm_axis(axis, len(a.shape), name)
        return a.shape, (a.dtype if a.dtype.kind == "f" else float32)
    return infer


def _softmax_grad(g: Any, out: Any, a: Any, axis: int = -1, temperature: Any = None):
    r = out * (g - _F().sum((g * out), axis=axis, keepdims=True))
    return (r / temperature if temperature not in (None, 1.0) else r,)


def _log_softmax_grad(g: Any, out: Any, a: Any, axis: int = -1, temperature: Any = None):
    F = _F()
    r = g - F.exp(out) * _F().sum(g, axis=axis, keepdims=True)
    return (r / temperature if temperature not in (None, 1.0) else r,)


register("softmax", _softmax_k, _sm_infer("softmax"), _softmax_grad)
register("log_softmax", _log_softmax_k, _sm_infer("log_softmax"), _log_softmax_grad)


def _relu_k(xp: Any, a: Any) -> Any:
    return xp.maximum(a, 0)


register("relu", _relu_k, lambda a: (a.shape, a.dtype), lambda g, out, a: (g * (a > 0),))


def _sigmoid_k(xp: Any, a: Any) -> Any:
    if a.dtype.kind in "biu":
        a = a.astype(xp.float32)
    return 1 / (1 + xp.exp(-a))


def _sigmoid_backward_k(xp: Any, g: Any, out: Any) -> Any:
    r = xp.multiply(g, out)          # (g * out) * (1 - out), as the composed formula
    r *= xp.subtract(1, out)
    return r


# g and out of one shape and dtype (sigmoid's gradient takes it only then)
_SIGMOID_BACKWARD = register("_sigmoid_backward", _sigmoid_backward_k,
                             lambda g, out: (tuple(out.shape), out.dtype))


def _sigmoid_grad(g: Any, out: Any, a: Any):
    from .ndarray import apply_op
    from .tape import STATE

    if STATE.recording or g.dtype != out.dtype or tuple(g.shape) != tuple(out.shape):
        return (g * out * (1 - out),)         # create_graph: differentiable ops
    return (apply_op(_SIGMOID_BACKWARD, (g, out)),)   # one op, the same values


register("sigmoid", _sigmoid_k, _unary_infer("float"), _sigmoid_grad)


def _softrelu_k(xp: Any, a: Any) -> Any:
    return xp.logaddexp(a, 0)


register("softrelu", _softrelu_k, _unary_infer("float"),
         lambda g, out, a: (g * (1 - _F().exp(-out)),))


def _leaky_k(xp: Any, a: Any, slope: float = 0.25) -> Any:
    return xp.where(a > 0, a, a * slope)


register("leaky_relu", _leaky_k, lambda a, slope=0.25: (a.shape, a.dtype),
         lambda g, out, a, slope=0.25: (_F().where(a > 0, g, g * slope),))


def _one_hot_k(xp: Any, idx: Any, depth: int, on_value: float = 1.0, off_value: float = 0.0,
               dtype: Any = "float32") -> Any:
    idx = idx.astype(xp.int64)
    out = xp.full(idx.shape + (depth,), off_value, dtype=dtype)
    valid = (idx >= 0) & (idx < depth)
    xp.put_along_axis(out, xp.where(valid, idx, 0)[..., None],
                      xp.where(valid, on_value, off_value)[..., None].astype(dtype), axis=-1)
    return out


register("one_hot", _one_hot_k,
         lambda idx, depth, on_value=1.0, off_value=0.0, dtype="float32":
         (tuple(idx.shape) + (int(depth),), _onp.dtype(dtype)))


def _pick_k(xp: Any, data: Any, index: Any, axis: int = -1, keepdims: bool = False,
            mode: str = "clip") -> Any:
    ax = axis % data.ndim
    n = data.shape[ax]
    idx = index.astype(xp.int64)
    idx = xp.clip(idx, 0, n - 1) if mode == "clip" else idx % n
    idx = xp.expand_dims(idx, ax)
    r = xp.take_along_axis(data, idx, axis=ax)
    return r if keepdims else xp.squeeze(r, axis=ax)


def _pick_infer(data: Any, index: Any, axis: int = -1, keepdims: bool = False,
                mode: str = "clip") -> Any:
    ax = norm_axis(axis, len(data.shape), "pick")
    expect = tuple(s for i, s in enumerate(data.shape) if i != ax)
    ishape = tuple(index.shape)
    if ishape != expect and ishape != tuple(1 if i == ax else s for i, s in enumerate(data.shape)):
        raise ShapeError(f"pick: index shape {ishape} does not match data shape "
                         f"{tuple(data.shape)} without axis {ax} ({expect})")
    if mode not in ("clip", "wrap"):
        raise ValueError(f"pick: mode must be 'clip' or 'wrap', got {mode!r}")
    shape = tuple(1 if i == ax else s for i, s in enumerate(data.shape)) if keepdims else expect
    return shape, data.dtype


def _pick_grad(g: Any, out: Any, data: Any, index: Any, axis: int = -1, keepdims: bool = False,
               mode: str = "clip"):
    F = _F()
    ax = norm_axis(axis, len(data.shape), "pick")
    n = data.shape[ax]
    idx = _F().reshape(index, tuple(s for i, s in enumerate(data.shape) if i != ax))
    if idx.dtype.kind not in "iu":
        idx = _F().astype(idx, "int64")
    idx = F.clip(idx, 0, n - 1) if mode == "clip" else F.mod(idx, n)
    oh = F.moveaxis(F.one_hot(idx, n, dtype=g.dtype), -1, ax)
    gg = g if keepdims else F.expand_dims(g, ax)
    return oh * gg, None


register("pick", _pick_k, _pick_infer, _pick_grad)


def _dropout_k(xp: Any, a: Any, mask: Any) -> Any:
    return a * mask


register("_mask_mul", _dropout_k, lambda a, mask: (a.shape, a.dtype),
         lambda g, out, a, mask: (g * mask, None))


# ----------------------------------------------------------------------------- creation
def _shape_arg(shape: Any, name: str) -> tuple[int, ...]:
    if isinstance(shape, (int, _onp.integer)):
        shape = (int(shape),)
    try:
        shape = tuple(operator.index(s) for s in shape)    # 2.5 and 2.0 are no sizes
    except TypeError:
        raise ShapeArgError(f"{name}: shape must be an int or a tuple of ints, got "
                            f"{shape!r}") from None
    if any(s < 0 for s in shape):
        raise ShapeError(f"{name}: negative dimensions are not allowed: {shape}")
    return shape


register("full", lambda xp, shape, fill_value, dtype: xp.full(shape, fill_value, dtype=dtype),
         lambda shape, fill_value, dtype: (_shape_arg(shape, "full"), _onp.dtype(dtype)),
         kind="creation")
register("zeros", lambda xp, shape, dtype: xp.zeros(shape, dtype=dtype),
         lambda shape, dtype: (_shape_arg(shape, "zeros"), _onp.dtype(dtype)), kind="creation")
register("empty", lambda xp, shape, dtype: xp.empty(shape, dtype=dtype),
         lambda shape, dtype: (_shape_arg(shape, "empty"), _onp.dtype(dtype)), kind="creation")


def _arange_infer(start: Any, stop: Any, step: Any, dtype: Any) -> Any:
    if step == 0:
        raise ValueError("arange: step must not be zero")
    n = max(0, math.ceil((stop - start) / step))
    return (n,), _onp.dtype(dtype)


register("arange", lambda xp, start, stop, step, dtype: xp.arange(start, stop, step).astype(dtype),
         _arange_infer, kind="creation")


def _linspace_infer(start: Any, stop: Any, num: int, endpoint: bool, dtype: Any) -> Any:
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    return (int(num),), _onp.dtype(dtype)


register("linspace", lambda xp, start, stop, num, endpoint, dtype:
         xp.linspace(start, stop, num, endpoint=endpoint).astype(dtype), _linspace_infer,
         kind="creation")
register("eye", lambda xp, N, M, k, dtype: xp.eye(N, M, k, dtype=dtype),
         lambda N, M, k, dtype: ((int(N), int(M if M is not None else N)), _onp.dtype(dtype)),
         kind="creation")
