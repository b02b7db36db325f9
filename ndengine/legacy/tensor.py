"""The legacy tensor functions: elementwise math, ``broadcast_*`` / ``elemwise_*``,
reductions, shape manipulation and indexing ops (MXNet 1.x's ``mx.nd.*``).

Each is the np/npx op on the shared np array under MXNet 1.x's rules: results keep the
input's dtype, full reductions have shape (1,), reductions take ``exclude=``, and the
parameters have MXNet's names (``dim=`` of concat, ``num_outputs=`` of split,
``begin``/``end`` of slice...).  Every function accepts ``out=`` (the values are
written into it, and it is returned) and ``name=`` (ignored: symbol API)."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as _onp

from .. import npx as _npx
from .. import numpy as _np
from ..ndarray import ndarray as _core
from ..ndarray import ops_legacy as _lops
from ..ndarray import tape as _tape
from ..ndarray.ndarray import NDArray as _NP
from ..ndarray.ndarray import _unary as _np_unary
from ..ndarray.ndarray import apply_op
from ..ndarray.ops import OPS, DTypeError, ShapeError
from ._util import OpParamError, arr, arrs, dt, excluded, full_to_1, keep, norm_axis_arg, ret
from .ndarray import NDArray, binary, compare, wrap

__all__: list[str] = []
_INT64 = _onp.dtype(_onp.int64)


def _export(fn: Any, *names: str) -> Any:
    for n in (fn.__name__,) + names:
        globals()[n] = fn
        __all__.append(n)
    return fn


# ----------------------------------------------------------------------------- unary
def _make_unary(name: str, compute: Any, doc: str) -> Any:
    def f(data: Any, out: Any = None, name: Any = None, **kwargs: Any) -> NDArray:
        a = arr(data, f.__name__)
        return ret(keep(compute(a), a._dtype), out)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc + " (the result keeps the input's dtype)."
    return f


def _op1(opname: str) -> Any:
    op = OPS[opname]
    return lambda a: _np_unary(op, a)


_UNARY = {
    "abs": (_op1("absolute"), "|x|"), "negative": (_op1("negative"), "-x"),
    "sign": (_op1("sign"), "The sign of x (-1, 0, 1)"), "square": (_op1("square"), "x * x"),
    "sqrt": (_op1("sqrt"), "The square root"), "cbrt": (_op1("cbrt"), "The cube root"),
    "rsqrt": (lambda a: 1 / _np.sqrt(a), "1 / sqrt(x)"),
    "rcbrt": (lambda a: 1 / _np.cbrt(a), "1 / cbrt(x)"),
    "reciprocal": (lambda a: 1 / a if a._dtype.kind == "f" else _np_unary(OPS["reciprocal"], a),
                   "1 / x"),
    "exp": (_op1("exp"), "e ** x"), "expm1": (_op1("expm1"), "exp(x) - 1"),
    "log": (_op1("log"), "The natural logarithm"), "log2": (_op1("log2"), "log base 2"),
    "log10": (_op1("log10"), "log base 10"), "log1p": (_op1("log1p"), "log(1 + x)"),
    "sin": (_op1("sin"), "sin"), "cos": (_op1("cos"), "cos"), "tan": (_op1("tan"), "tan"),
    "arcsin": (_op1("arcsin"), "arcsin"), "arccos": (_op1("arccos"), "arccos"),
    "arctan": (_op1("arctan"), "arctan"), "sinh": (_op1("sinh"), "sinh"),
    "cosh": (_op1("cosh"), "cosh"), "tanh": (_op1("tanh"), "tanh"),
    "arcsinh": (_op1("arcsinh"), "arcsinh"), "arccosh": (_op1("arccosh"), "arccosh"),
    "arctanh": (_op1("arctanh"), "arctanh"), "degrees": (_op1("degrees"), "Radians to degrees"),
    "radians": (_op1("radians"), "Degrees to radians"),
    "floor": (_op1("floor"), "Round down"), "ceil": (_op1("ceil"), "Round up"),
    "trunc": (_op1("trunc"), "Round toward zero"), "fix": (_op1("fix"), "Round toward zero"),
    "rint": (lambda a: apply_op(_lops.LEGACY_OPS["nd_rint"], (a,)),
             "Round to the nearest integer, halves down (2.5 -> 2, -0.5 -> -1)"),
    "round": (lambda a: apply_op(_lops.LEGACY_OPS["nd_round"], (a,)),
              "Round to the nearest integer, halves away from zero (2.5 -> 3)"),
    "relu": (lambda a: _npx.relu(a), "max(x, 0)"),
    "sigmoid": (lambda a: _npx.sigmoid(a), "1 / (1 + exp(-x))"),
    "softsign": (lambda a: a / (builtins.abs(a) + 1), "x / (1 + |x|)"),
    "erf": (lambda a: _npx.erf(a), "The Gauss error function"),
    "erfinv": (lambda a: _npx.erfinv(a), "The inverse error function"),
    "gamma": (lambda a: _npx.gamma(a), "The gamma function"),
    "gammaln": (lambda a: _npx.gammaln(a), "log |gamma(x)|"),
    "logical_not": (lambda a: apply_op(_lops.keep_dtype("logical_not"), (a,)),
                    "1 where x is 0, else 0"),
}
for _n, (_fn, _doc) in _UNARY.items():
    _export(_make_unary(_n, _fn, _doc))


@_export
def hard_sigmoid(data: Any, alpha: float = 0.2, beta: float = 0.5, out: Any = None,
                 name: Any = None) -> NDArray:
    """clip(alpha * x + beta, 0, 1)."""
    a = arr(data, "hard_sigmoid")
    return ret(_np.clip(a * alpha + beta, 0, 1), out)


@_export
def identity(data: Any, out: Any = None, name: Any = None) -> NDArray:
    """A copy of *data*."""
    return ret(arr(data, "identity").copy(), out)


_export(identity, "_copy")
__all__.remove("_copy")


@_export
def stop_gradient(data: Any, out: Any = None, name: Any = None) -> NDArray:
    """The same values, cut from autograd's graph (no gradient flows back)."""
    return ret(arr(data, "stop_gradient").detach(), out)


_export(stop_gradient, "BlockGrad")


@_export
def make_loss(data: Any, out: Any = None, name: Any = None, **kwargs: Any) -> NDArray:
    """The input itself (a loss head in MXNet's symbol API)."""
    return ret(arr(data, "make_loss"), out)


_export(make_loss, "MakeLoss")


@_export
def cast(data: Any, dtype: Any, out: Any = None, name: Any = None) -> NDArray:
    """*data* in *dtype*."""
    a = arr(data, "cast")
    return ret(apply_op(OPS["astype"], (a,), {"dtype": dt(dtype)}), out)


_export(cast, "Cast")


# ----------------------------------------------------------------------------- binary
def _is_arr(x: Any) -> bool:
    return x.__class__ is NDArray or x.__class__ is _NP


def _make_binary(name: str, opname: str, pyop: Any, cmp: bool = False) -> Any:
    opdef = OPS[opname]

    def f(lhs: Any, rhs: Any) -> Any:
        if not _is_arr(lhs) and not _is_arr(rhs):
            return pyop(lhs, rhs)
        for v in (lhs, rhs):
            if not _is_arr(v) and not isinstance(v, (int, float, bool, _onp.generic)):
                raise TypeError(f"{f.__name__}: type {type(v)} not supported (NDArrays and "
                                f"scalars only)")
        return compare(opname, lhs, rhs) if cmp else binary(opdef, lhs, rhs, f.__name__)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"``{name}(lhs, rhs)``: elementwise, with broadcasting; either side may "
                 f"be a scalar.")
    return f


import operator as _op  # noqa: E402

_BIN = [("add", "add", _op.add, False), ("subtract", "subtract", _op.sub, False),
        ("multiply", "multiply", _op.mul, False), ("divide", "true_divide", _op.truediv, False),
        ("true_divide", "true_divide", _op.truediv, False), ("modulo", "mod", _op.mod, False),
        ("power", "power", _op.pow, False), ("maximum", "maximum", builtins.max, False),
        ("minimum", "minimum", builtins.min, False),
        ("equal", "equal", lambda a, b: float(a == b), True),
        ("not_equal", "not_equal", lambda a, b: float(a != b), True),
        ("greater", "greater", lambda a, b: float(a > b), True),
        ("greater_equal", "greater_equal", lambda a, b: float(a >= b), True),
        ("lesser", "less", lambda a, b: float(a < b), True),
        ("lesser_equal", "less_equal", lambda a, b: float(a <= b), True),
        ("logical_and", "logical_and", lambda a, b: float(bool(a) and bool(b)), True),
        ("logical_or", "logical_or", lambda a, b: float(bool(a) or bool(b)), True),
        ("logical_xor", "logical_xor", lambda a, b: float(bool(a) != bool(b)), True)]
for _n, _opn, _py, _cmp in _BIN:
    _export(_make_binary(_n, _opn, _py, _cmp))


def _make_broadcast(name: str, opname: str, cmp: bool, same_shape: bool) -> Any:
    opdef = OPS[opname]

    def f(lhs: Any, rhs: Any, out: Any = None, **kwargs: Any) -> NDArray:
        x = arr(lhs, f.__name__, "lhs")
        y = arr(rhs, f.__name__, "rhs")
        if same_shape and x._shape != y._shape:
            raise ShapeError(f"{f.__name__}: shapes {x.shape} and {y.shape} differ (elemwise "
                             f"ops do not broadcast: use broadcast_{f.__name__[9:]}; on "
                             f"{x.device})")
        r = compare(opname, x, y) if cmp else binary(opdef, x, y, f.__name__)
        return ret(r._arr, out)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"``{name}(lhs, rhs)`` of two arrays"
                 + (" of one shape." if same_shape else ", broadcasting their shapes."))
    return f


_BCAST = [("add", "add", False), ("plus", "add", False), ("sub", "subtract", False),
          ("minus", "subtract", False), ("mul", "multiply", False),
          ("div", "true_divide", False), ("mod", "mod", False), ("power", "power", False),
          ("maximum", "maximum", False), ("minimum", "minimum", False),
          ("hypot", "hypot", False), ("equal", "equal", True), ("not_equal", "not_equal", True),
          ("greater", "greater", True), ("greater_equal", "greater_equal", True),
          ("lesser", "less", True), ("lesser_equal", "less_equal", True),
          ("logical_and", "logical_and", True), ("logical_or", "logical_or", True),
          ("logical_xor", "logical_xor", True)]
for _n, _opn, _cmp in _BCAST:
    _export(_make_broadcast("broadcast_" + _n, _opn, _cmp, False))
for _n, _opn in (("add", "add"), ("sub", "subtract"), ("mul", "multiply"),
                 ("div", "true_divide")):
    _export(_make_broadcast("elemwise_" + _n, _opn, False, True))


@_export
def add_n(*args: Any, **kwargs: Any) -> NDArray:
    """The elementwise sum of arrays of one shape."""
    xs = arrs(args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args,
              "add_n", "args")
    if not xs:
        raise OpParamError("add_n: needs at least one array")
    for x in xs[1:]:
        if x._shape != xs[0]._shape:
            raise ShapeError(f"add_n: shapes {[tuple(v.shape) for v in xs]} differ (on "
                             f"{xs[0].device})")
        if x._dtype != xs[0]._dtype:
            raise DTypeError(f"add_n: dtypes {[str(v.dtype) for v in xs]} differ")
    r = xs[0]
    for x in xs[1:]:
        r = r + x
    if len(xs) == 1:
        r = r.copy()
    return ret(r, kwargs.get("out"))


_export(add_n, "ElementWiseSum")


# ----------------------------------------------------------------------------- reductions
def _axes(a: _NP, axis: Any, exclude: bool, fname: str) -> Any:
    ax = norm_axis_arg(axis)
    if exclude:
        ax = excluded(ax, a.ndim, fname)
    return ax


def _make_reduce(name: str, npfn: Any, doc: str, opname: Any = None) -> Any:
    def f(data: Any, axis: Any = None, keepdims: bool = False, exclude: bool = False,
          out: Any = None, name: Any = None, **kwargs: Any) -> NDArray:
        a = arr(data, f.__name__)
        ax = _axes(a, axis, exclude, f.__name__)
        if ax is None and not keepdims and opname is not None:
            # the whole array, in one op: shape (1,), the input's dtype
            return ret(apply_op(_lops.full_reduce(opname), (a,),
                                {"axis": None, "keepdims": False}), out)
        r = npfn(a, axis=ax, keepdims=bool(keepdims))
        return ret(full_to_1(keep(r, a._dtype)), out)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"{doc} over *axis* (all axes by default; with ``exclude=True`` all but "
                 f"*axis*).  A full reduction has shape (1,); the dtype is the input's.")
    return f


def _nanprod(a: _NP, axis: Any = None, keepdims: bool = False) -> _NP:
    return _np.prod(_np.where(_np.isnan(a), 1, a), axis=axis, keepdims=keepdims)


for _n, _fn, _doc in (("sum", _np.sum, "The sum"), ("mean", _np.mean, "The mean"),
                      ("prod", _np.prod, "The product"), ("max", _np.max, "The maximum"),
                      ("min", _np.min, "The minimum"), ("nansum", _np.nansum,
                                                         "The sum, NaNs counting as 0"),
                      ("nanprod", _nanprod, "The product, NaNs counting as 1")):
    _export(_make_reduce(_n, _fn, _doc, _n if _n in OPS and _n != "nanprod" else None))
_export(globals()["sum"], "sum_axis")
_export(globals()["max"], "max_axis")
_export(globals()["min"], "min_axis")


@_export
def norm(data: Any, ord: int = 2, axis: Any = None, out_dtype: Any = None,
         keepdims: bool = False, out: Any = None, name: Any = None) -> NDArray:
    """The L2 (``ord=2``) or L1 (``ord=1``) norm over *axis* (all elements by default, a
    matrix too)."""
    a = arr(data, "norm")
    if ord not in (1, 2):
        raise OpParamError(f"norm: ord must be 1 or 2, got {ord!r}")
    ax = norm_axis_arg(axis)
    if ord == 2:
        r = _np.sqrt(_np.sum(a * a, axis=ax, keepdims=bool(keepdims)))
    else:
        r = _np.sum(builtins.abs(a), axis=ax, keepdims=bool(keepdims))
    r = keep(r, a._dtype if out_dtype is None else dt(out_dtype))
    return ret(full_to_1(r), out)


def _make_arg(name: str, npfn: Any) -> Any:
    def f(data: Any, axis: Any = None, keepdims: bool = False, out: Any = None,
          name: Any = None) -> NDArray:
        a = arr(data, f.__name__)
        if isinstance(axis, (tuple, list)):
            raise TypeError(f"{f.__name__}: axis must be an int or None, got {axis!r}")
        r = npfn(a, axis=axis, keepdims=bool(keepdims) and axis is not None)
        if keepdims and axis is None:
            r = r.reshape((1,) * a.ndim)
        return ret(full_to_1(keep(r, a._dtype)), out)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"The index of the {name[3:]}imum along *axis* (of the flattened array by "
                 f"default), in the input's dtype (float32 indices, as MXNet 1.x gives).")
    return f


_export(_make_arg("argmax", _np.argmax))
_export(_make_arg("argmin", _np.argmin))


@_export
def argmax_channel(data: Any, out: Any = None, name: Any = None) -> NDArray:
    """argmax along the last axis."""
    return globals()["argmax"](data, axis=-1, out=out)


def _sort_axis(a: _NP, axis: Any, fname: str) -> tuple[_NP, int]:
    if axis is None:
        return a.reshape((-1,)), 0
    if not -a.ndim <= axis < a.ndim:
        raise ShapeError(f"{fname}: axis {axis} is out of bounds for an array of dimension "
                         f"{a.ndim} (shape {a.shape})")
    return a, int(axis) % a.ndim


def _order(a: _NP, axis: int, ascend: bool) -> _NP:
    """Indices sorting *a* along *axis* (int64), ascending or descending (stable)."""
    if ascend:
        return _np.argsort(a, axis=axis)
    n = a.shape[axis]
    idx = _np.argsort(_np.flip(a, axis), axis=axis)
    # stable descending: the reversed array's stable ascending order, mirrored
    return _np.flip(n - 1 - idx, axis)


@_export
def sort(data: Any, axis: Any = -1, is_ascend: bool = True, out: Any = None,
         name: Any = None) -> NDArray:
    """The values sorted along *axis* (the flattened array for None)."""
    a, ax = _sort_axis(arr(data, "sort"), axis, "sort")
    r = _np.sort(a, axis=ax) if is_ascend else _np.flip(_np.sort(a, axis=ax), ax)
    return ret(r, out)


@_export
def argsort(data: Any, axis: Any = -1, is_ascend: bool = True, dtype: Any = "float32",
            out: Any = None, name: Any = None) -> NDArray:
    """The indices that sort *data* along *axis*, as *dtype* (float32 by default)."""
    a, ax = _sort_axis(arr(data, "argsort"), axis, "argsort")
    return ret(keep(_order(a, ax, is_ascend), dt(dtype)), out)


@_export
def topk(data: Any, axis: Any = -1, k: int = 1, ret_typ: str = "indices",
         is_ascend: bool = False, dtype: Any = "float32", out: Any = None,
         name: Any = None) -> Any:
    """The *k* largest (smallest with ``is_ascend``) elements along *axis*:
    ``ret_typ`` 'indices' (as *dtype*), 'value', 'both' ([values, indices]) or 'mask'
    (1 where an element is among them, in the input's dtype)."""
    a = arr(data, "topk")
    r = _npx.topk(a, axis=axis, k=k, ret_typ=ret_typ, is_ascend=is_ascend, dtype=dt(dtype))
    return ret(list(r) if isinstance(r, (list, tuple)) else r, out)


# ----------------------------------------------------------------------------- shapes
def legacy_shape(src: tuple[int, ...], shape: Any, reverse: bool = False,
                 fname: str = "reshape") -> tuple[int, ...]:
    """The target shape of MXNet 1.x's reshape: 0 copies an input dim, -1 infers one,
    -2 copies all remaining dims, -3 merges two, -4 splits one in the two that follow;
    with *reverse* the codes are matched from the right."""
    spec = [int(s) for s in shape]
    dims = list(src)
    if reverse:
        dims.reverse()
        spec.reverse()
    outs: list[int] = []
    si = 0
    infer = -1
    i = 0

    def bad(msg: str) -> ShapeError:
        return ShapeError(f"{fname}: {msg} (input shape {src}, shape={tuple(shape)}"
                          f"{', reverse=True' if reverse else ''})")
    while i < len(spec):
        p = spec[i]
        if p == 0:
            if si >= len(dims):
                raise bad("0 copies an input dimension, but there are none left")
            outs.append(dims[si])
            si += 1
        elif p == -1:
            if infer >= 0:
                raise bad("one and only one dimension can be inferred (-1)")
            infer = len(outs)
            outs.append(1)
            si += 1
        elif p == -2:
            outs.extend(dims[si:])
            si = len(dims)
        elif p == -3:
            if si + 1 >= len(dims):
                raise bad("-3 merges two input dimensions, but fewer are left")
            outs.append(dims[si] * dims[si + 1])
            si += 2
        elif p == -4:
            if i + 2 >= len(spec):
                raise bad("-4 must be followed by the two dimensions it splits into")
            if si >= len(dims):
                raise bad("-4 splits an input dimension, but there are none left")
            d0 = dims[si]
            si += 1
            d1, d2 = spec[i + 1], spec[i + 2]
            i += 2
            if d1 == -1 and d2 == -1:
                raise bad("the split dimensions of -4 cannot both be -1")
            if d1 == -1:
                d1 = d0 // d2 if d2 else 0
            if d2 == -1:
                d2 = d0 // d1 if d1 else 0
            if d1 * d2 != d0:
                raise bad(f"split dimensions {d1}, {d2} do not divide dimension {d0}")
            outs.extend([d1, d2])
        elif p > 0:
            outs.append(p)
            si += 1
        else:
            raise bad(f"invalid dimension {p}")
        i += 1
    size = 1
    for d in src:
        size *= d
    if infer >= 0:
        rest = 1
        for j, d in enumerate(outs):
            if j != infer:
                rest *= d
        if rest == 0 or size % rest:
            raise bad(f"cannot infer the -1 dimension: {size} elements do not divide into "
                      f"{rest}")
        outs[infer] = size // rest
    if reverse:
        outs.reverse()
    n = 1
    for d in outs:
        n *= d
    if n != size:
        raise bad(f"cannot reshape {size} elements into shape {tuple(outs)}")
    return tuple(outs)


@_export
def reshape(data: Any, shape: Any = None, reverse: bool = False, out: Any = None,
            name: Any = None, **kwargs: Any) -> NDArray:
    """*data* in a new *shape*, with MXNet's special codes (see :func:`legacy_shape`)."""
    a = arr(data, "reshape")
    if shape is None:
        shape = kwargs.pop("target_shape", None)
        if shape is None:
            raise TypeError("reshape: shape is required")
    if isinstance(shape, (int, _onp.integer)):
        shape = (int(shape),)
    target = legacy_shape(a.shape, shape, reverse)
    if out is None and _make_view is not None and not _tape.STATE.recording:
        # MXNet 1.x's reshape shares its input's memory: a view of the whole array
        return wrap(_make_view(a, 0, a.size, target))
    return ret(a.reshape(target), out)


# the views of np mode (ndengine.ndarray.ndarray), when the core has them
_make_view = getattr(_core, "make_view", None)


_export(reshape, "Reshape")


@_export
def reshape_like(lhs: Any, rhs: Any, lhs_begin: Any = None, lhs_end: Any = None,
                 rhs_begin: Any = None, rhs_end: Any = None, out: Any = None,
                 name: Any = None) -> NDArray:
    """*lhs* reshaped to *rhs*'s shape (or its dims lhs_begin:lhs_end replaced by rhs's
    rhs_begin:rhs_end)."""
    a = arr(lhs, "reshape_like", "lhs")
    b = arr(rhs, "reshape_like", "rhs")
    if lhs_begin is None and lhs_end is None and rhs_begin is None and rhs_end is None:
        target = b.shape
    else:
        lb = 0 if lhs_begin is None else lhs_begin % (a.ndim + 1)
        le = a.ndim if lhs_end is None else lhs_end % (a.ndim + 1)
        rb = 0 if rhs_begin is None else rhs_begin % (b.ndim + 1)
        re_ = b.ndim if rhs_end is None else rhs_end % (b.ndim + 1)
        target = a.shape[:lb] + b.shape[rb:re_] + a.shape[le:]
    if _onp.prod(target, dtype=_onp.int64) != a.size:
        raise ShapeError(f"reshape_like: cannot reshape {a.shape} into {tuple(target)}")
    return ret(a.reshape(tuple(target)), out)


@_export
def flatten(data: Any, out: Any = None, name: Any = None) -> NDArray:
    """Collapse every axis but the first: (d0, d1, ...) -> (d0, d1 * ...)."""
    a = arr(data, "flatten")
    if a.ndim == 0:
        return ret(a.reshape((1, 1)), out)
    return ret(a.reshape((a.shape[0], -1)), out)


_export(flatten, "Flatten")


@_export
def transpose(data: Any, axes: Any = None, out: Any = None, name: Any = None) -> NDArray:
    a = arr(data, "transpose")
    ax = None if axes is None or (isinstance(axes, (tuple, list)) and not axes) else tuple(axes)
    return ret(_np.transpose(a, ax), out)


@_export
def swapaxes(data: Any, dim1: int = 0, dim2: int = 0, out: Any = None,
             name: Any = None) -> NDArray:
    return ret(_np.swapaxes(arr(data, "swapaxes"), dim1, dim2), out)


_export(swapaxes, "SwapAxis")


@_export
def moveaxis(tensor: Any, source: Any, destination: Any) -> NDArray:
    return wrap(_np.moveaxis(arr(tensor, "moveaxis"), source, destination))


@_export
def expand_dims(data: Any, axis: int, out: Any = None, name: Any = None) -> NDArray:
    return ret(_np.expand_dims(arr(data, "expand_dims"), int(axis)), out)


@_export
def squeeze(data: Any, axis: Any = None, out: Any = None, name: Any = None) -> NDArray:
    """Drop axes of length 1 (those of *axis*); a result with no axes has shape (1,)."""
    a = arr(data, "squeeze")
    ax = norm_axis_arg(axis)
    return ret(full_to_1(_np.squeeze(a, ax)), out)


@_export
def flip(data: Any, axis: Any, out: Any = None, name: Any = None) -> NDArray:
    return ret(_np.flip(arr(data, "flip"), norm_axis_arg(axis)), out)


_export(flip, "reverse")


@_export
def tile(data: Any, reps: Any, out: Any = None, name: Any = None) -> NDArray:
    return ret(_np.tile(arr(data, "tile"), tuple(reps) if isinstance(reps, (list, tuple))
                        else reps), out)


@_export
def repeat(data: Any, repeats: int, axis: Any = None, out: Any = None,
           name: Any = None) -> NDArray:
    return ret(_np.repeat(arr(data, "repeat"), int(repeats), axis), out)


@_export
def concat(*data: Any, dim: int = 1, num_args: Any = None, out: Any = None,
           name: Any = None) -> NDArray:
    """Join arrays along *dim* (1 by default, as in MXNet)."""
    xs = arrs(data[0] if len(data) == 1 and isinstance(data[0], (list, tuple)) else data,
              "concat")
    if not xs:
        raise OpParamError("concat: needs at least one array")
    return ret(_np.concatenate(xs, axis=dim), out)


_export(concat, "Concat")


@_export
def concatenate(arrays: Any, axis: int = 0, always_copy: bool = True) -> NDArray:
    """Join a list of arrays along *axis* (0 by default)."""
    return wrap(_np.concatenate(arrs(arrays, "concatenate"), axis=axis))


@_export
def stack(*data: Any, axis: int = 0, num_args: Any = None, out: Any = None,
          name: Any = None) -> NDArray:
    xs = arrs(data[0] if len(data) == 1 and isinstance(data[0], (list, tuple)) else data,
              "stack")
    return ret(_np.stack(xs, axis=axis), out)


@_export
def split(data: Any, num_outputs: int, axis: int = 1, squeeze_axis: bool = False,
          out: Any = None, name: Any = None) -> Any:
    """*num_outputs* equal parts along *axis* (1 by default); a list, or the array itself
    for one output."""
    a = arr(data, "split")
    n = int(num_outputs)
    ax = int(axis) % a.ndim if a.ndim else 0
    if n < 1 or a.shape[ax] % n:
        raise ShapeError(f"split: axis {axis} of shape {a.shape} ({a.shape[ax]}) does not "
                         f"divide into num_outputs={num_outputs} (on {a.device})")
    parts = _np.split(a, n, axis=ax)
    if squeeze_axis:
        parts = [p.squeeze(ax) for p in parts]
    if n == 1:
        return ret(parts[0], out)
    return ret(parts, out)


_export(split, "SliceChannel")


@_export
def split_v2(ary: Any, indices_or_sections: Any, axis: int = 0,
             squeeze_axis: bool = False) -> Any:
    """numpy.split's form: equal sections, or split points."""
    a = arr(ary, "split_v2")
    ios = indices_or_sections
    parts = _np.split(a, list(ios) if isinstance(ios, (tuple, list)) else int(ios), axis=axis)
    if squeeze_axis:
        parts = [p.squeeze(axis) for p in parts]
    return wrap(parts[0]) if len(parts) == 1 else [wrap(p) for p in parts]


def _slice_key(shape: tuple[int, ...], begin: Any, end: Any, step: Any, fname: str) -> tuple:
    begin = tuple(begin)
    end = tuple(end)
    if len(begin) != len(end) or len(begin) > len(shape):
        raise ShapeError(f"{fname}: begin {begin} and end {end} must have one entry per "
                         f"leading axis of the input {shape}")
    step = tuple(step) if step else (None,) * len(begin)
    if len(step) not in (0, len(begin)):
        raise ShapeError(f"{fname}: step {step} must match begin {begin}")
    key = []
    for i, (b, e, s) in enumerate(zip(begin, end, step)):
        if s == 0:
            raise OpParamError(f"{fname}: step cannot be 0 (axis {i})")
        key.append(builtins.slice(b, e, s))
    return tuple(key)


@_export
def slice(data: Any, begin: Any, end: Any, step: Any = (), out: Any = None,
          name: Any = None) -> NDArray:
    """``data[begin[0]:end[0]:step[0], ...]`` (None in begin/end: the axis' start/end)."""
    a = arr(data, "slice")
    return ret(a[_slice_key(a.shape, begin, end, step, "slice")], out)


@_export
def slice_axis(data: Any, axis: int, begin: int, end: Any, out: Any = None,
               name: Any = None) -> NDArray:
    """``data[..., begin:end, ...]`` along *axis* (end None: to the end)."""
    a = arr(data, "slice_axis")
    if not -a.ndim <= axis < a.ndim:
        raise ShapeError(f"slice_axis: axis {axis} is out of bounds for shape {a.shape}")
    ax = axis % a.ndim
    key = tuple(builtins.slice(begin, end) if i == ax else builtins.slice(None)
                for i in range(a.ndim))
    return ret(a[key], out)


@_export
def slice_like(data: Any, shape_like: Any, axes: Any = (), out: Any = None,
               name: Any = None) -> NDArray:
    """*data* cut to *shape_like*'s size on *axes* (all axes by default), from index 0."""
    a = arr(data, "slice_like")
    b = arr(shape_like, "slice_like", "shape_like")
    ax = range(builtins.min(a.ndim, b.ndim)) if not axes else [x % a.ndim for x in axes]
    key = [builtins.slice(None)] * a.ndim
    for i in ax:
        if b.shape[i] > a.shape[i]:
            raise ShapeError(f"slice_like: shape_like {b.shape} is larger than data {a.shape} "
                             f"on axis {i}")
        key[i] = builtins.slice(0, b.shape[i])
    return ret(a[tuple(key)], out)


def _int_index(i: _NP) -> _NP:
    return i if i._dtype.kind in "iu" else apply_op(OPS["astype"], (i,), {"dtype": _INT64})


@_export
def take(a: Any, indices: Any, axis: int = 0, mode: str = "clip", out: Any = None,
         name: Any = None) -> NDArray:
    """Rows (slices along *axis*) of *a* picked by *indices* (of any numeric dtype);
    out-of-range indices are clipped (``mode='clip'``) or wrap (``'wrap'``)."""
    x = arr(a, "take")
    i = _int_index(arr(indices, "take", "indices"))
    if mode not in ("clip", "wrap", "raise"):
        raise OpParamError(f"take: mode must be 'clip', 'wrap' or 'raise', got {mode!r}")
    return ret(_np.take(x, i, axis=axis, mode=mode), out)


@_export
def batch_take(a: Any, indices: Any, out: Any = None, name: Any = None) -> NDArray:
    """``a[i, indices[i]]`` for each row i of a 2-D *a*."""
    x = arr(a, "batch_take")
    return ret(_npx.pick(x, _int_index(arr(indices, "batch_take", "indices")), axis=1), out)


@_export
def pick(data: Any, index: Any, axis: int = -1, keepdims: bool = False, mode: str = "clip",
         out: Any = None, name: Any = None) -> NDArray:
    """``data[..., index[...], ...]``: one element per position along *axis*."""
    a = arr(data, "pick")
    i = arr(index, "pick", "index")
    return ret(full_to_1(_npx.pick(a, i, axis=axis, mode=mode, keepdims=keepdims)), out)


@_export
def one_hot(indices: Any, depth: int, on_value: float = 1.0, off_value: float = 0.0,
            dtype: Any = "float32", out: Any = None, name: Any = None) -> NDArray:
    i = arr(indices, "one_hot", "indices")
    return ret(_npx.one_hot(_int_index(i), depth, on_value, off_value, dt(dtype)), out)


@_export
def where(condition: Any, x: Any, y: Any, out: Any = None, name: Any = None) -> NDArray:
    """*x* where *condition* is non-zero, else *y* (arrays of one shape, or a 1-D
    condition selecting rows)."""
    c = arr(condition, "where", "condition")
    a = arr(x, "where", "x")
    b = arr(y, "where", "y")
    if a._shape != b._shape:
        raise ShapeError(f"where: x {a.shape} and y {b.shape} must have one shape")
    if c._shape != a._shape:
        if c.ndim == 1 and a.ndim >= 1 and c.shape[0] == a.shape[0]:
            c = c.reshape((c.shape[0],) + (1,) * (a.ndim - 1))
        else:
            raise ShapeError(f"where: condition {c.shape} must have x's shape {a.shape} or be "
                             f"1-D of its first dimension")
    return ret(_np.where(c != 0, a, b), out)


@_export
def clip(data: Any, a_min: float, a_max: float, out: Any = None, name: Any = None) -> NDArray:
    a = arr(data, "clip")
    if a_min is None or a_max is None:
        raise TypeError("clip: a_min and a_max are required")
    return ret(keep(_np.clip(a, a_min, a_max), a._dtype), out)


@_export
def broadcast_to(data: Any, shape: Any, out: Any = None, name: Any = None) -> NDArray:
    """*data* broadcast to *shape* (0 keeps the input's dimension)."""
    a = arr(data, "broadcast_to")
    shape = tuple(shape)
    if len(shape) == a.ndim:
        shape = tuple(a.shape[i] if s == 0 else s for i, s in enumerate(shape))
    return ret(_np.broadcast_to(a, shape).copy(), out)


@_export
def broadcast_axis(data: Any, axis: Any = (), size: Any = (), out: Any = None,
                   name: Any = None) -> NDArray:
    """Broadcast axes of length 1 (*axis*) to *size*."""
    a = arr(data, "broadcast_axis")
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    sizes = (size,) if isinstance(size, int) else tuple(size)
    if len(axes) != len(sizes):
        raise OpParamError(f"broadcast_axis: axis {axis} and size {size} differ in length")
    shape = list(a.shape)
    for ax, s in zip(axes, sizes):
        if shape[ax] != 1:
            raise ShapeError(f"broadcast_axis: axis {ax} of {a.shape} has length "
                             f"{shape[ax]}, not 1")
        shape[ax] = s
    return ret(_np.broadcast_to(a, tuple(shape)).copy(), out)


_export(broadcast_axis, "broadcast_axes")


@_export
def broadcast_like(lhs: Any, rhs: Any, lhs_axes: Any = None, rhs_axes: Any = None,
                   out: Any = None, name: Any = None) -> NDArray:
    a = arr(lhs, "broadcast_like", "lhs")
    b = arr(rhs, "broadcast_like", "rhs")
    if lhs_axes is None:
        return ret(_np.broadcast_to(a, b.shape).copy(), out)
    shape = list(a.shape)
    for la, ra in zip(lhs_axes, rhs_axes):
        shape[la] = b.shape[ra]
    return ret(_np.broadcast_to(a, tuple(shape)).copy(), out)


@_export
def diag(data: Any, k: int = 0, axis1: int = 0, axis2: int = 1, out: Any = None,
         name: Any = None) -> NDArray:
    """The k-th diagonal of a matrix, or the matrix with a vector on its k-th diagonal."""
    a = arr(data, "diag")
    if a.ndim == 1:
        n = a.shape[0] + builtins.abs(k)
        eye = _np.eye(n, k=k, dtype=a._dtype, ctx=a.device)
        v = a if not k else _np.concatenate(
            [a, _np.zeros((builtins.abs(k),), dtype=a._dtype, ctx=a.device)])
        # row i holds a[i] (k >= 0); column j holds a[j] (k < 0)
        return ret(eye * v.reshape((n, 1) if k >= 0 else (1, n)), out)
    if a.ndim < 2:
        raise ShapeError(f"diag: input must be at least 1-D, got {a.shape}")
    return ret(_np.einsum(_diag_subscripts(a.ndim, axis1 % a.ndim, axis2 % a.ndim),
                          _diag_shift(a, k, axis1 % a.ndim, axis2 % a.ndim)), out)


def _diag_subscripts(nd: int, a1: int, a2: int) -> str:
    letters = "abcdefghijklmnop"[:nd]
    ins = list(letters)
    ins[a2] = ins[a1]
    outs = [c for i, c in enumerate(letters) if i not in (a1, a2)] + [letters[a1]]
    return "".join(ins) + "->" + "".join(outs)


def _diag_shift(a: _NP, k: int, a1: int, a2: int) -> _NP:
    """*a* cut so its main diagonal on (a1, a2) is the k-th diagonal of the input."""
    n1, n2 = a.shape[a1], a.shape[a2]
    key = [builtins.slice(None)] * a.ndim
    if k >= 0:
        m = builtins.max(0, builtins.min(n1, n2 - k))
        key[a1] = builtins.slice(0, m)
        key[a2] = builtins.slice(k, k + m)
    else:
        m = builtins.max(0, builtins.min(n1 + k, n2))
        key[a1] = builtins.slice(-k, -k + m)
        key[a2] = builtins.slice(0, m)
    return a[tuple(key)]


@_export
def shape_array(data: Any, out: Any = None, name: Any = None) -> NDArray:
    """The shape as a 1-D int64 array."""
    a = arr(data, "shape_array")
    return ret(_np.array(list(a.shape), dtype=_INT64, ctx=a.device), out)


@_export
def size_array(data: Any, out: Any = None, name: Any = None) -> NDArray:
    """The number of elements as a (1,) int64 array."""
    a = arr(data, "size_array")
    return ret(_np.array([a.size], dtype=_INT64, ctx=a.device), out)


@_export
def cumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
           name: Any = None) -> NDArray:
    x = arr(a, "cumsum")
    return ret(_np.cumsum(x, axis=axis, dtype=None if dtype is None else dt(dtype)), out)


@_export
def gather_nd(data: Any, indices: Any, out: Any = None, name: Any = None) -> NDArray:
    """``data[indices[0], indices[1], ...]``: *indices* has the indexed axes first."""
    a = arr(data, "gather_nd")
    return ret(_npx.gather_nd(a, _int_index(arr(indices, "gather_nd", "indices"))), out)


@_export
def scatter_nd(data: Any, indices: Any, shape: Any, out: Any = None,
               name: Any = None) -> NDArray:
    """A zero array of *shape* with ``result[indices[0], indices[1], ...] = data``."""
    v = arr(data, "scatter_nd")
    i = _int_index(arr(indices, "scatter_nd", "indices"))
    r = _np.zeros(tuple(shape), dtype=v._dtype, ctx=v.device)
    r[tuple(i[j] for j in range(i.shape[0]))] = v
    return ret(r, out)


@_export
def SequenceMask(data: Any, sequence_length: Any = None, use_sequence_length: bool = False,
                 value: float = 0.0, axis: int = 0, out: Any = None, name: Any = None) -> NDArray:
    """*data* (time on *axis* 0 or 1, batch on the other) with steps at or past each
    sequence's length set to *value*."""
    a = arr(data, "SequenceMask")
    n = None if sequence_length is None else arr(sequence_length, "SequenceMask",
                                                  "sequence_length")
    return ret(_npx.sequence_mask(a, n, use_sequence_length=use_sequence_length, value=value,
                                  axis=axis), out)


@_export
def SequenceLast(data: Any, sequence_length: Any = None, use_sequence_length: bool = False,
                 axis: int = 0, out: Any = None, name: Any = None) -> NDArray:
    """The last valid step of each sequence (time on *axis*; ``npx.sequence_last``)."""
    a = arr(data, "SequenceLast")
    if axis not in (0, 1):
        raise OpParamError(f"SequenceLast: axis must be 0 or 1, got {axis}")
    n = arr(sequence_length, "SequenceLast", "sequence_length") if use_sequence_length \
        else None
    return ret(_npx.sequence_last(a, n, use_sequence_length=use_sequence_length, axis=axis),
               out)


@_export
def SequenceReverse(data: Any, sequence_length: Any = None, use_sequence_length: bool = False,
                    axis: int = 0, out: Any = None, name: Any = None) -> NDArray:
    """Each sequence's valid steps reversed (time on axis 0); padding stays in place
    (``npx.sequence_reverse``)."""
    a = arr(data, "SequenceReverse")
    if axis != 0:
        raise OpParamError("SequenceReverse: only axis=0 is supported (as in MXNet)")
    n = arr(sequence_length, "SequenceReverse", "sequence_length") if use_sequence_length \
        else None
    return ret(_npx.sequence_reverse(a, n, use_sequence_length=use_sequence_length), out)


# ----------------------------------------------------------------------------- linalg
@_export
def dot(lhs: Any, rhs: Any, transpose_a: bool = False, transpose_b: bool = False,
        forward_stype: Any = None, out: Any = None, name: Any = None) -> NDArray:
    """The dot product: matrix product for 2-D, the sum over the last axis of *lhs*
    and the first of *rhs* for N-D (transposes reverse all axes)."""
    a = arr(lhs, "dot", "lhs")
    b = arr(rhs, "dot", "rhs")
    if a._dtype != b._dtype:
        raise DTypeError(f"dot: lhs {a.dtype} and rhs {b.dtype} must have one dtype")
    if transpose_a:
        a = a.T
    if transpose_b:
        b = b.T
    if a.ndim == 1 and b.ndim == 1:
        return ret(full_to_1(_np.dot(a, b)), out)
    if a.ndim > 2 or b.ndim > 2:
        return ret(_np.tensordot(a, b, axes=1), out)
    return ret(_np.dot(a, b), out)


@_export
def batch_dot(lhs: Any, rhs: Any, transpose_a: bool = False, transpose_b: bool = False,
              forward_stype: Any = None, out: Any = None, name: Any = None) -> NDArray:
    """Matrix products of batches of matrices: (B, n, k) x (B, k, m) -> (B, n, m)."""
    a = arr(lhs, "batch_dot", "lhs")
    b = arr(rhs, "batch_dot", "rhs")
    if a.ndim < 3 or b.ndim < 3:
        raise ShapeError(f"batch_dot: inputs must be at least 3-D, got {a.shape} and "
                         f"{b.shape} (on {a.device})")
    return ret(_npx.batch_dot(a, b, transpose_a=transpose_a, transpose_b=transpose_b), out)


@_export
def khatri_rao(*args: Any, **kwargs: Any) -> NDArray:
    """The column-wise Kronecker product of matrices with one number of columns."""
    ms = arrs(args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args,
              "khatri_rao")
    r = ms[0]
    for m in ms[1:]:
        if m.shape[1] != r.shape[1]:
            raise ShapeError(f"khatri_rao: every matrix needs {r.shape[1]} columns, got "
                             f"{m.shape}")
        r = (r.reshape((r.shape[0], 1, -1)) * m.reshape((1, m.shape[0], -1))) \
            .reshape((-1, r.shape[1]))
    return ret(r, kwargs.get("out"))


# ----------------------------------------------------------------------------- losses
@_export
def smooth_l1(data: Any, scalar: float = 1.0, out: Any = None, name: Any = None) -> NDArray:
    """0.5 (sigma x)^2 where |x| < 1/sigma^2, else |x| - 0.5/sigma^2 (sigma = scalar)."""
    return ret(_npx.smooth_l1(arr(data, "smooth_l1"), scalar), out)


@_export
def softmax_cross_entropy(data: Any, label: Any, out: Any = None, name: Any = None) -> NDArray:
    """The summed cross-entropy of softmax(data) (batch, classes) against integer
    labels: shape (1,)."""
    a = arr(data, "softmax_cross_entropy")
    lab = _int_index(arr(label, "softmax_cross_entropy", "label"))
    lp = _npx.log_softmax(a, axis=-1)
    return ret((-_npx.pick(lp, lab, axis=-1)).sum().reshape((1,)), out)

