"""The op table's ops as functions, for the gradient formulas of the table.

Gradients are written with array ops so that backward is pushed like everything else
(see :mod:`.ops`).  They used to call the ``ndengine.np`` / ``npx`` functions, which sit
a layer above this package; these functions apply the same table ops with the same
parameters (so the values are the same), and keep the array layer standing alone.

They take the arguments a gradient formula has — NDArrays (a Python or NumPy scalar
where an operand may be one), ints and tuples already checked by the forward op — and
do none of the np layer's argument conversion beyond that.  Arithmetic and comparisons
are NDArray's operators (``a * b``, ``a > 0``), which are table ops already; the
methods the np layer gives NDArray (``.reshape``, ``.sum``, ``.astype``...) are not
used by the formulas (these functions stand for them).  Indexing (``g[..., 0]``) is
still NDArray's ``[]``, whose basic/advanced/view rules live in the np layer.

Imported on first use by :mod:`.ops` and its siblings (``_F()``): it imports
:mod:`.ndarray`, which imports :mod:`.ops`.
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ..device import Device
from ..device.transfer import transfer
from .ndarray import NDArray, _binary, _coerce, _unary, apply_op, from_buffer, product
from .ops import OPS

_CPU0 = Device("cpu", 0)


def _nd(x: Any, like: Any = None) -> NDArray:
    if x.__class__ is NDArray:
        return x
    from ..device import current_device

    return _coerce(x, like.device if like is not None else current_device())


# ------------------------------------------------------------------ elementwise
def _u(name: str) -> Any:
    opdef = OPS[name]

    def f(x: Any) -> NDArray:
        return _unary(opdef, _nd(x))
    f.__name__ = f.__qualname__ = name
    return f


def _b(name: str) -> Any:
    opdef = OPS[name]

    def f(x1: Any, x2: Any) -> NDArray:
        if x1.__class__ is not NDArray and x2.__class__ is not NDArray:
            x1 = _nd(x1)
        return _binary(opdef, x1, x2)
    f.__name__ = f.__qualname__ = name
    return f


sign = _u("sign")
sin = _u("sin")
cos = _u("cos")
sinh = _u("sinh")
cosh = _u("cosh")
sqrt = _u("sqrt")
exp = _u("exp")
log = _u("log")
trunc = _u("trunc")
absolute = _u("absolute")
abs = absolute
isnan = _u("isnan")
isfinite = _u("isfinite")
logical_not = _u("logical_not")
floor_divide = _b("floor_divide")
mod = _b("mod")
logical_or = _b("logical_or")
_WHERE = OPS["where"]
_CLIP = OPS["clip"]


def where(condition: Any, x: Any, y: Any) -> NDArray:
    c = _nd(condition)
    if x.__class__ is not NDArray and y.__class__ is not NDArray:
        x = _nd(x, c)
    return apply_op(_WHERE, (c, x, y))


def clip(a: NDArray, a_min: Any = None, a_max: Any = None) -> NDArray:
    return apply_op(_CLIP, (a,), {"a_min": a_min, "a_max": a_max})


# ------------------------------------------------------------------ creation
def zeros(shape: Any, dtype: Any, device: Device) -> NDArray:
    return apply_op(OPS["zeros"], (), {"shape": shape, "dtype": _onp.dtype(dtype)}, device)


def eye(n: int, dtype: Any, device: Device) -> NDArray:
    return apply_op(OPS["eye"], (), {"N": n, "M": None, "k": 0, "dtype": _onp.dtype(dtype)},
                    device)


def from_host(buf: _onp.ndarray, device: Device) -> NDArray:
    """An array on *device* holding a copy of the host (NumPy) array *buf*."""
    buf = _onp.array(buf, copy=True)
    if device.is_gpu:
        buf = transfer(buf, _CPU0, device)
    return from_buffer(buf, device)


def astype(a: NDArray, dtype: Any) -> NDArray:
    return apply_op(OPS["astype"], (a,), {"dtype": _onp.dtype(dtype)})


# ------------------------------------------------------------------ shape
def reshape(a: NDArray, shape: Any) -> NDArray:
    shape = (int(shape),) if isinstance(shape, (int, _onp.integer)) else tuple(shape)
    return apply_op(OPS["reshape"], (a,), {"newshape": shape})


def transpose(a: NDArray, axes: Any = None) -> NDArray:
    return apply_op(OPS["transpose"], (a,), {"axes": tuple(axes) if axes is not None else None})


def swapaxes(a: NDArray, axis1: int, axis2: int) -> NDArray:
    return apply_op(OPS["swapaxes"], (a,), {"axis1": axis1, "axis2": axis2})


def moveaxis(a: NDArray, source: Any, destination: Any) -> NDArray:
    return apply_op(OPS["moveaxis"], (a,), {"source": source, "destination": destination})


def expand_dims(a: NDArray, axis: Any) -> NDArray:
    return apply_op(OPS["expand_dims"], (a,),
                    {"axis": tuple(axis) if isinstance(axis, list) else axis})


def squeeze(a: NDArray, axis: Any = None) -> NDArray:
    return apply_op(OPS["squeeze"], (a,),
                    {"axis": tuple(axis) if isinstance(axis, list) else axis})


def broadcast_to(a: NDArray, shape: Any) -> NDArray:
    shape = (int(shape),) if isinstance(shape, (int, _onp.integer)) else tuple(shape)
    return apply_op(OPS["broadcast_to"], (a,), {"shape": shape})


def flip(a: NDArray, axis: Any = None) -> NDArray:
    return apply_op(OPS["flip"], (a,), {"axis": tuple(axis) if isinstance(axis, list) else axis})


def concatenate(seq: Any, axis: Any = 0) -> NDArray:
    return apply_op(OPS["concatenate"], (list(seq),), {"axis": axis})


def split(a: NDArray, indices_or_sections: Any, axis: int = 0) -> list[NDArray]:
    ios = indices_or_sections
    if not isinstance(ios, (int, _onp.integer)):
        ios = tuple(int(i) for i in ios)
    if ios == 1 or ios == ():
        # one piece: the several-output op would give a list of one; a copy instead
        return [apply_op(OPS["copy"], (a,))]
    return apply_op(OPS["split"], (a,), {"indices_or_sections": ios, "axis": axis})


# ------------------------------------------------------------------ reductions
def sum(a: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    return apply_op(OPS["sum"], (a,), {"axis": tuple(axis) if isinstance(axis, list) else axis,
                                       "keepdims": bool(keepdims)})


def mean(a: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    return apply_op(OPS["mean"], (a,), {"axis": tuple(axis) if isinstance(axis, list) else axis,
                                        "keepdims": bool(keepdims)})


def cumsum(a: NDArray, axis: Any = None) -> NDArray:
    return apply_op(OPS["cumsum"], (a,), {"axis": axis, "dtype": None})


# ------------------------------------------------------------------ products, linalg
_DOT = OPS["dot"]
_MATMUL = OPS["matmul"]


def dot(a: NDArray, b: Any) -> NDArray:
    return product(_DOT, a, _nd(b, a))


def matmul(a: NDArray, b: Any) -> NDArray:
    return product(_MATMUL, a, _nd(b, a))


def tensordot(a: NDArray, b: NDArray, axes: Any = 2) -> NDArray:
    if isinstance(axes, list):
        axes = tuple(tuple(x) if isinstance(x, list) else x for x in axes)
    return apply_op(OPS["tensordot"], (a, b), {"axes": axes})


def einsum(subscripts: str, *operands: NDArray) -> NDArray:
    return apply_op(OPS["einsum"], (subscripts, *operands))


def inv(a: NDArray) -> NDArray:
    return apply_op(OPS["inv"], (a,))


def solve(a: NDArray, b: NDArray) -> NDArray:
    return apply_op(OPS["solve"], (a, b))


def svd(a: NDArray, full_matrices: bool = True) -> tuple[NDArray, ...]:
    return tuple(apply_op(OPS["svd"], (a,), {"full_matrices": bool(full_matrices)}))


def eigh(a: NDArray, UPLO: str = "L") -> tuple[NDArray, ...]:
    return tuple(apply_op(OPS["eigh"], (a,), {"UPLO": UPLO}))


# ------------------------------------------------------------------ npx
def one_hot(indices: NDArray, depth: int, dtype: Any = "float32") -> NDArray:
    return apply_op(OPS["one_hot"], (indices,), {"depth": int(depth), "on_value": 1.0,
                                                 "off_value": 0.0, "dtype": _onp.dtype(dtype)})
