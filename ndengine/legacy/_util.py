"""Plumbing shared by the legacy functions: operands to np arrays, results back to
legacy handles, ``out=``, and MXNet 1.x's axis and dtype conventions."""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ..base import MXNetError
from ..ndarray.ndarray import NDArray as _NP
from ..ndarray.ndarray import apply_op
from ..ndarray.ops import OPS, DTypeError, ShapeError
from .ndarray import SPARSE, NDArray, unwrap, wrap_all

__all__ = ["OpParamError", "ArgumentTypeError", "arr", "arrs", "ret", "keep", "norm_axis_arg",
           "excluded", "full_to_1", "dt"]


class ArgumentTypeError(MXNetError, TypeError, AssertionError):
    """An operand of a legacy function is not an NDArray (MXNet raises AssertionError;
    this is a TypeError too)."""


class OpParamError(MXNetError, ValueError):
    """A parameter of a legacy op has an invalid value (MXNet raises MXNetError)."""


def arr(x: Any, fname: str, what: str = "data") -> _NP:
    """The np array behind operand *x* of legacy function *fname*."""
    c = x.__class__
    if c is NDArray:
        return x._arr
    if c is _NP:
        return x
    if c in SPARSE:
        return x._arr                     # a sparse operand's dense value (storage fallback)
    raise ArgumentTypeError(f"{fname}: {what} must be an NDArray, got {type(x).__name__}"
                    + (f" {x!r}" if isinstance(x, (int, float)) else ""))


def arrs(xs: Any, fname: str, what: str = "data") -> list[_NP]:
    if xs.__class__ is NDArray or xs.__class__ is _NP:
        return [arr(xs, fname, what)]
    return [arr(x, fname, what) for x in xs]


def ret(r: Any, out: Any = None) -> Any:
    """Wrap result *r* (np arrays, lists of them) as legacy arrays; with ``out=`` the
    values are written into *out*, which is returned (MXNet's convention)."""
    if out is None:
        return wrap_all(r)
    if isinstance(r, (list, tuple)):
        outs = out if isinstance(out, (list, tuple)) else [out]
        if len(outs) != len(r):
            raise ValueError(f"out=: {len(outs)} arrays given for {len(r)} outputs")
        for a, o in zip(r, outs):
            _write_into(a, o)
        return out
    _write_into(r, out)
    return out


def _write_into(r: _NP, out: Any) -> None:
    o = unwrap(out)
    if o.__class__ is not _NP:
        raise TypeError(f"out= must be an NDArray, got {type(out).__name__}")
    if tuple(o.shape) != tuple(r.shape):
        raise ShapeError(f"out=: the result has shape {r.shape}, out has {o.shape} "
                         f"(on {o.device})")
    o[...] = r


def keep(r: _NP, dtype: Any) -> _NP:
    """*r* in *dtype* (legacy ops keep their input's dtype: ``sqrt`` of int32 is int32)."""
    if r._dtype != dtype:
        return apply_op(OPS["astype"], (r,), {"dtype": _onp.dtype(dtype)})
    return r


def full_to_1(r: _NP) -> _NP:
    """A 0-d result as shape (1,): MXNet 1.x has no 0-d arrays."""
    return r.reshape((1,)) if not r._shape else r


def norm_axis_arg(axis: Any) -> Any:
    """MXNet's ``axis=()`` (and an empty list) means every axis, as None does."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        if len(axis) == 0:
            return None
        return tuple(int(a) for a in axis)
    return int(axis)


def excluded(axis: Any, ndim: int, fname: str) -> tuple[int, ...]:
    """The axes left when *axis* is excluded (``exclude=True``)."""
    if axis is None:
        return ()
    axes = axis if isinstance(axis, tuple) else (axis,)
    norm = set()
    for a in axes:
        if not -ndim <= a < ndim:
            raise ShapeError(f"{fname}: axis {a} is out of bounds for an array of dimension "
                             f"{ndim}")
        norm.add(a % ndim)
    return tuple(i for i in range(ndim) if i not in norm)


def dt(dtype: Any, default: Any = _onp.float32) -> Any:
    """A dtype argument (None: *default*)."""
    if dtype is None:
        return _onp.dtype(default)
    try:
        return _onp.dtype(dtype)
    except TypeError:
        raise DTypeError(f"unknown dtype {dtype!r}") from None
