"""Shape manipulation, joining/splitting, indexing (see NumPy's "Array manipulation
routines" and "Indexing routines").

Data-dependent ops block (they must see values to know their output's shape):
``nonzero``, ``unique``, ``argwhere``, ``flatnonzero``, one-argument ``where``, and
indexing or assignment with a boolean-mask array (``x[mask]``).

Indexing follows MXNet's rules (checked against MXNet 1.9.1, see
tests/mxnet_diff/cases/cases_indexing.py):

* ``x[:]`` (and ``x[::1]``, ``x[()]``) is ``x`` itself.
* Basic indexing (integers, slices, ``...``, ``None``) whose selection is a contiguous
  block of x's memory in C order returns a *view*: it shares x's buffer, so writes
  through either show in the other (``row = y[1]; row += 1`` changes y).  That is an
  integer or step-1 slice on the first axis (``y[1]``, ``y[1:3]``, ``y[-1]``), integers
  on leading axes followed by one such slice (``y[1, 2:4]``, ``y[1, 2]``), ``y[...]``,
  ``y[None]``, and any selection of at most one element.  See :func:`view_region`.
* Everything else is a copy: strided or reversed slices (``y[::2]``), a selection
  across rows (``y[:, 1]``, ``y[1:3, 0]``), integer-array, list and boolean-mask
  indexing, and every other function (``reshape``, ``transpose``, ``expand_dims``...).
* Index arrays may be of a float dtype (MXNet's ``np.array([0, 2])`` is float32):
  the values are truncated toward zero, as MXNet does.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as _onp

from .. import engine as _engine
from ..ndarray import ndarray as _nd
from ..ndarray.ndarray import NDArray, _check_inplace_autograd, _mismatch, apply_op, from_buffer
from ..ndarray.ops import (OPS, norm_axis as _norm_axis, DTypeError, OpIndexError, ShapeError, _fmt,
                           getitem_infer, reshape_shape)
from ._util import as_nd

__all__ = ["reshape", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze",
           "concatenate", "concat", "stack", "vstack", "hstack", "dstack", "column_stack",
           "split", "array_split", "hsplit", "vsplit", "broadcast_to", "broadcast_arrays", "tile",
           "repeat", "flip", "fliplr", "flipud", "ravel", "atleast_1d", "atleast_2d",
           "atleast_3d", "nonzero", "unique", "argwhere", "flatnonzero", "take", "roll",
           "rot90", "shape", "size", "ndim"]


def reshape(a: Any, newshape: Any, order: str = "C", **kwargs: Any) -> NDArray:
    """See numpy.reshape (-1 infers one dimension).  ``order='F'`` reads and writes
    the elements with the first index fastest: the reversed shapes reshaped in C order,
    between two transposes (``'A'`` is ``'C'``: ndengine's arrays are C-ordered)."""
    if "shape" in kwargs:
        newshape = kwargs.pop("shape")
    if kwargs:
        raise TypeError(f"reshape: unexpected keyword argument {next(iter(kwargs))!r}")
    if order not in ("C", "F", "A"):
        raise ValueError(f"reshape: order must be one of 'C', 'F', 'A', got {order!r}")
    a = as_nd(a)
    if isinstance(newshape, (int, _onp.integer)):
        newshape = (int(newshape),)
    newshape = tuple(newshape)
    if order == "F":
        t = apply_op(OPS["transpose"], (a,), {"axes": None})
        r = apply_op(OPS["reshape"], (t,), {"newshape": newshape[::-1]})
        return apply_op(OPS["transpose"], (r,), {"axes": None})
    return apply_op(OPS["reshape"], (a,), {"newshape": newshape})


def transpose(a: Any, axes: Any = None) -> NDArray:
    """See numpy.transpose."""
    return apply_op(OPS["transpose"], (as_nd(a),),
                    {"axes": tuple(axes) if axes is not None else None})


def swapaxes(a: Any, axis1: int, axis2: int) -> NDArray:
    """See numpy.swapaxes."""
    return apply_op(OPS["swapaxes"], (as_nd(a),), {"axis1": axis1, "axis2": axis2})


def moveaxis(a: Any, source: Any, destination: Any) -> NDArray:
    """See numpy.moveaxis."""
    return apply_op(OPS["moveaxis"], (as_nd(a),), {"source": source, "destination": destination})


def expand_dims(a: Any, axis: Any) -> NDArray:
    """See numpy.expand_dims."""
    return apply_op(OPS["expand_dims"], (as_nd(a),),
                    {"axis": tuple(axis) if isinstance(axis, list) else axis})


def squeeze(a: Any, axis: Any = None) -> NDArray:
    """See numpy.squeeze."""
    return apply_op(OPS["squeeze"], (as_nd(a),),
                    {"axis": tuple(axis) if isinstance(axis, list) else axis})


def _seq(arrays: Any) -> list[NDArray]:
    arrays = list(arrays)
    dev = next((a.device for a in arrays if isinstance(a, NDArray)), None)
    return [as_nd(a, dev) for a in arrays]


def concatenate(seq: Any, axis: Any = 0, out: Any = None) -> NDArray:
    """See numpy.concatenate."""
    r = apply_op(OPS["concatenate"], (_seq(seq),), {"axis": axis})
    if out is not None:
        out[...] = r
        return out
    return r


concat = concatenate


def stack(arrays: Any, axis: int = 0, out: Any = None) -> NDArray:
    """See numpy.stack."""
    return apply_op(OPS["stack"], (_seq(arrays),), {"axis": axis})


def vstack(tup: Any) -> NDArray:
    return concatenate([atleast_2d(a) for a in _seq(tup)], axis=0)


def hstack(tup: Any) -> NDArray:
    arrs = [atleast_1d(a) for a in _seq(tup)]
    return concatenate(arrs, axis=0 if arrs[0].ndim == 1 else 1)


def dstack(tup: Any) -> NDArray:
    return concatenate([atleast_3d(a) for a in _seq(tup)], axis=2)


def column_stack(tup: Any) -> NDArray:
    arrs = [a if a.ndim >= 2 else a.reshape((-1, 1)) for a in _seq(tup)]
    return concatenate(arrs, axis=1)


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[NDArray]:
    """See numpy.split: a list of arrays."""
    ios = indices_or_sections
    if not isinstance(ios, (int, _onp.integer)):
        ios = tuple(int(i) for i in ios)
    a = as_nd(ary)
    if ios == 1 or ios == ():
        # one piece: the multi-output op would hand back a list of one; copy instead
        _nd._infer(OPS["split"], None, (a,), {"indices_or_sections": ios, "axis": axis},
                   a.device)
        return [a.copy()]
    return apply_op(OPS["split"], (a,), {"indices_or_sections": ios, "axis": axis})


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[NDArray]:
    """See numpy.array_split (sections need not divide the axis equally)."""
    a = as_nd(ary)
    if isinstance(indices_or_sections, (int, _onp.integer)):
        n = a.shape[axis]
        k = int(indices_or_sections)
        each, extra = divmod(n, k)
        sizes = [each + 1] * extra + [each] * (k - extra)
        pts = list(_onp.cumsum(sizes)[:-1])
        return split(a, pts, axis=axis)
    return split(a, indices_or_sections, axis=axis)


def hsplit(ary: Any, ios: Any) -> list[NDArray]:
    a = as_nd(ary)
    return split(a, ios, axis=1 if a.ndim > 1 else 0)


def vsplit(ary: Any, ios: Any) -> list[NDArray]:
    return split(ary, ios, axis=0)


def broadcast_to(array: Any, shape: Any) -> NDArray:
    """See numpy.broadcast_to (the result is an independent value, not a view)."""
    shape = (int(shape),) if isinstance(shape, (int, _onp.integer)) else tuple(shape)
    return apply_op(OPS["broadcast_to"], (as_nd(array),), {"shape": shape})


def broadcast_arrays(*args: Any) -> list[NDArray]:
    arrs = _seq(args)
    shape = tuple(_onp.broadcast_shapes(*[a.shape for a in arrs]))
    return [broadcast_to(a, shape) for a in arrs]


def tile(A: Any, reps: Any) -> NDArray:
    """See numpy.tile."""
    return apply_op(OPS["tile"], (as_nd(A),),
                    {"reps": tuple(reps) if isinstance(reps, list) else reps})


def repeat(a: Any, repeats: int, axis: Any = None) -> NDArray:
    """See numpy.repeat (an int number of repeats)."""
    return apply_op(OPS["repeat"], (as_nd(a),), {"repeats": repeats, "axis": axis})


def flip(m: Any, axis: Any = None) -> NDArray:
    """See numpy.flip."""
    return apply_op(OPS["flip"], (as_nd(m),),
                    {"axis": tuple(axis) if isinstance(axis, list) else axis})


def fliplr(m: Any) -> NDArray:
    return flip(m, 1)


def flipud(m: Any) -> NDArray:
    return flip(m, 0)


def ravel(a: Any, order: str = "C") -> NDArray:
    """See numpy.ravel."""
    return reshape(a, (-1,))


def atleast_1d(*arys: Any) -> Any:
    r = [a if a.ndim >= 1 else a.reshape((1,)) for a in _seq(arys)]
    return r[0] if len(r) == 1 else r


def atleast_2d(*arys: Any) -> Any:
    r = [a if a.ndim >= 2 else a.reshape((1,) * (2 - a.ndim) + a.shape) for a in _seq(arys)]
    return r[0] if len(r) == 1 else r


def atleast_3d(*arys: Any) -> Any:
    out = []
    for a in _seq(arys):
        if a.ndim == 0:
            a = a.reshape((1, 1, 1))
        elif a.ndim == 1:
            a = a.reshape((1, a.shape[0], 1))
        elif a.ndim == 2:
            a = a.reshape(a.shape + (1,))
        out.append(a)
    return out[0] if len(out) == 1 else out


def shape(a: Any) -> tuple[int, ...]:
    return as_nd(a).shape


def size(a: Any, axis: Any = None) -> int:
    a = as_nd(a)
    return a.size if axis is None else a.shape[axis]


def ndim(a: Any) -> int:
    return as_nd(a).ndim


# --- data-dependent (blocking) --------------------------------------------------------
def nonzero(a: Any) -> tuple[NDArray, ...]:
    """See numpy.nonzero.  Blocks: the result's shape depends on the values."""
    a = as_nd(a)
    return tuple(from_buffer(i.astype(_onp.int64), a.device) for i in _onp.nonzero(a.asnumpy()))


def flatnonzero(a: Any) -> NDArray:
    a = as_nd(a)
    return from_buffer(_onp.flatnonzero(a.asnumpy()).astype(_onp.int64), a.device)


def argwhere(a: Any) -> NDArray:
    """See numpy.argwhere.  Blocks."""
    a = as_nd(a)
    return from_buffer(_onp.argwhere(a.asnumpy()).astype(_onp.int64), a.device)


def unique(ar: Any, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: Any = None) -> Any:
    """See numpy.unique.  Blocks."""
    a = as_nd(ar)
    r = _onp.unique(a.asnumpy(), return_index=return_index, return_inverse=return_inverse,
                    return_counts=return_counts, axis=axis)
    if isinstance(r, tuple):
        return tuple(from_buffer(x, a.device) for x in r)
    return from_buffer(r, a.device)


def take(a: Any, indices: Any, axis: Any = None, mode: str = "raise") -> NDArray:
    """See numpy.take (composite of indexing).  Indices given as host data (ints, lists,
    NumPy arrays) are checked at the call; an index array's values out of range (mode
    'raise') fail at the sync point, under the name ``take``."""
    a = as_nd(a)
    if mode not in ("raise", "clip", "wrap"):
        raise ValueError(f"take: mode must be 'raise', 'clip' or 'wrap', got {mode!r}")
    if axis is not None:
        if a.ndim == 0:
            raise ShapeError(f"take: axis {axis} is out of bounds for a 0-d array "
                             f"(on {a.device})")
        axis = _norm_axis(axis, a.ndim, "take")
    if mode == "raise" and not isinstance(indices, NDArray):
        host = _onp.asarray(indices)
        if host.dtype.kind not in "biuf":
            raise OpIndexError(f"take: indices must be integers, got {indices!r} "
                               f"(on {a.device})")
        n = a.size if axis is None else a.shape[axis]
        bad = host.astype(_onp.int64)
        bad = bad[(bad < -n) | (bad >= n)]
        if bad.size:
            raise OpIndexError(f"take: index {int(bad.flat[0])} is out of bounds for "
                               f"{'the flattened array' if axis is None else f'axis {axis}'}"
                               f" with size {n} (array {tuple(a.shape)} {a.dtype}, indices "
                               f"{host.shape}; on {a.device})")
    idx = as_nd(indices, a.device) if not isinstance(indices, (int, _onp.integer)) else indices
    if isinstance(idx, NDArray) and idx.dtype.kind == "f":
        idx = idx.astype("int64")
    if mode == "clip" and isinstance(idx, NDArray):
        n = a.size if axis is None else a.shape[axis]
        from .math import clip

        idx = clip(idx, 0, n - 1)
    elif mode == "wrap" and isinstance(idx, NDArray):
        n = a.size if axis is None else a.shape[axis]
        idx = idx % n
    if axis is None:
        return getitem(ravel(a), idx, "take")
    key = (slice(None),) * (axis % a.ndim) + (idx,)
    return getitem(a, key, "take")


def roll(a: Any, shift: int, axis: Any = None) -> NDArray:
    a = as_nd(a)
    if axis is None:
        return roll(ravel(a), shift, 0).reshape(a.shape)
    n = a.shape[axis]
    if n == 0:
        return a.copy()
    s = shift % n
    if s == 0:
        return a.copy()
    idx = [slice(None)] * a.ndim
    idx[axis] = slice(n - s, None)
    first = a[tuple(idx)]
    idx[axis] = slice(0, n - s)
    return concatenate([first, a[tuple(idx)]], axis=axis)


def rot90(m: Any, k: int = 1, axes: tuple[int, int] = (0, 1)) -> NDArray:
    m = as_nd(m)
    k %= 4
    if k == 0:
        return m.copy()
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    perm = list(range(m.ndim))
    perm[axes[0]], perm[axes[1]] = perm[axes[1]], perm[axes[0]]
    if k == 1:
        return transpose(flip(m, axes[1]), perm)
    return flip(transpose(m, perm), axes[1])


# --- indexing -------------------------------------------------------------------------
def _key_arrays(key: Any, out: list[NDArray], resolve_masks: bool = True) -> Any:
    """Collect the NDArrays of index *key* into *out*.  Boolean-mask NDArrays are
    resolved to host masks (blocking: the result's shape depends on their values)
    unless *resolve_masks* is False, when they are collected like integer arrays."""
    if isinstance(key, tuple):
        return tuple(_key_arrays(k, out, resolve_masks) for k in key)
    if isinstance(key, NDArray):
        if key.dtype == _onp.bool_:
            if resolve_masks:
                return key.asnumpy()          # data-dependent: blocks
            out.append(key)
            return key
        if key.dtype.kind == "f":
            key = key.astype(_onp.int64)     # MXNet truncates float indices (async)
        elif key.dtype.kind not in "iu":
            raise OpIndexError(f"getitem: arrays used as indices must be of integer, float "
                               f"or boolean type, got {key.dtype} (on {key.device})")
        out.append(key)
        return key
    if isinstance(key, list):
        try:
            arr = _onp.asarray(key)
        except ValueError:
            arr = _onp.asarray(key, dtype=object)
        if arr.dtype == object or arr.dtype.kind not in "biuf":
            raise OpIndexError(f"getitem: unsupported index {key!r}")
        return arr.astype(_onp.int64) if arr.dtype.kind == "f" else arr
    if key.__class__ is _onp.ndarray and key.dtype.kind == "f":
        return key.astype(_onp.int64)
    return key


def _unwrap_key(key: Any) -> Any:
    if isinstance(key, tuple):
        return tuple(_unwrap_key(k) for k in key)
    if isinstance(key, NDArray):
        return key._data
    return key


def _hashable_key(key: Any) -> Any:
    if isinstance(key, tuple):
        return tuple(_hashable_key(k) for k in key)
    if isinstance(key, slice):
        return ("slice", key.start, key.stop, key.step)
    if isinstance(key, NDArray):
        return ("nd", key.shape, key.dtype)
    if isinstance(key, _onp.ndarray):
        raise TypeError
    if key.__class__ is bool or key.__class__ is _onp.bool_:
        return ("bool", bool(key))          # not 1 and 0: x[True] is a mask
    if key is None or key is Ellipsis or isinstance(key, (int, _onp.integer)):
        return key
    raise TypeError


def view_region(shape: tuple[int, ...], key: Any) -> tuple[int, int] | None:
    """The flat range ``(lo, hi)`` (C order) that ``x[key]`` selects from an array of
    *shape* when MXNet returns a view for it, else None (a copy, or an error the copy
    path reports).  From shapes only.

    MXNet's rule: basic indexing (ints, slices, ``...``, ``None``) whose selection is
    contiguous in memory: reading the axes from the right, once an axis selects a proper
    part of itself, every axis to its left selects at most one element; a strided or
    reversed slice of more than one element is never contiguous; a selection of at
    most one element always is.  An empty selection is a copy (nothing to share)."""
    if key.__class__ is not tuple:
        key = (key,)
    nd = 0
    ellipses = 0
    for k in key:
        if k is None:
            continue
        if k is Ellipsis:
            ellipses += 1
        elif k.__class__ is slice or (isinstance(k, (int, _onp.integer))
                                      and k.__class__ is not bool
                                      and k.__class__ is not _onp.bool_):
            nd += 1
        else:
            return None
    ndim = len(shape)
    if ellipses > 1 or nd > ndim:
        return None
    full: list[Any] = []
    for k in key:
        if k is Ellipsis:
            full.extend([slice(None)] * (ndim - nd))
        elif k is not None:
            full.append(k)
    full.extend([slice(None)] * (ndim - len(full)))
    starts = []
    lens = []
    multi_strided = False
    for k, n in zip(full, shape):
        if k.__class__ is slice:
            try:
                start, stop, step = k.indices(n)
            except (ValueError, TypeError):
                return None                       # step 0, bad bounds: the copy path raises
            length = len(range(start, stop, step))
            if length > 1 and step != 1:
                multi_strided = True
        else:
            start = int(k)
            if start < -n or start >= n:
                return None
            if start < 0:
                start += n
            length = 1
        starts.append(start)
        lens.append(length)
    total = 1
    for m in lens:
        total *= m
    if total == 0:
        return None
    if total > 1:
        if multi_strided:
            return None
        part = False
        for m, n in zip(reversed(lens), reversed(shape)):
            if part and m > 1:
                return None
            if m < n:
                part = True
    lo = 0
    stride = 1
    for start, n in zip(reversed(starts), reversed(shape)):
        lo += start * stride
        stride *= n
    return lo, lo + total


_GETITEM = OPS["getitem"]
_getitem_cache: dict[Any, Any] = {}


def _index_failed(e: IndexError, opname: str, a: NDArray, key: Any) -> IndexError:
    """An index found out of range when the op ran (only the index array's values tell):
    the IndexError names the op, the shapes and the device."""
    ks = key if key.__class__ is tuple else (key,)
    idx = ", ".join(f"{tuple(k.shape)} {k.dtype}" if hasattr(k, "dtype") else repr(k)
                    for k in ks)
    return IndexError(f"{opname}: {e} (array {tuple(a.shape)} {a.dtype}, index {idx}; "
                      f"on {a.device})")


def _run_getitem(out: NDArray, a: NDArray, key: Any, opname: str = "getitem") -> None:
    buf = a._data
    try:
        r = buf[_unwrap_key(key)]
    except IndexError as e:
        raise _index_failed(e, opname, a, key) from None
    if r.__class__ is not _onp.ndarray:
        r = _onp.asarray(r)
    elif r.base is not None:
        _nd.share(a)           # out views a's buffer: a must copy before writing in place
    out._data = r


def _is_self_key(key: Any) -> bool:
    """``x[:]``, ``x[::1]``, ``x[()]``: MXNet gives x itself."""
    if key.__class__ is slice:
        return key.start is None and key.stop is None and (key.step is None or key.step == 1)
    return key.__class__ is tuple and not key


def _run_getitem_xp(out: NDArray, a: NDArray, key: Any, opname: str) -> None:
    try:
        _nd._run_n(_GETITEM.kernel, a.device.xp, [out], (a, key), {})
    except IndexError as e:
        raise _index_failed(e, opname, a, key) from None


def getitem(a: NDArray, key: Any, _opname: str = "getitem") -> NDArray:
    """``a[key]``: MXNet's indexing (see this module's docstring): a view for basic
    indexing of a contiguous block, else a copy.  Asynchronous, except that a boolean
    mask blocks (the result's shape depends on its values).  An index array's values
    out of range fail at the sync point, under *_opname* (take's own name for take)."""
    if _is_self_key(key):
        if key.__class__ is slice and not a._shape:
            raise OpIndexError(f"getitem: too many indices for a 0-d array (index {key!r}, "
                               f"on {a.device})")
        return a
    arrays: list[NDArray] = []
    key = _key_arrays(key, arrays)
    for k in arrays:
        if k.device is not a.device:
            _mismatch(_GETITEM, [a, k])
    try:
        ck = (a.shape, a.dtype, _hashable_key(key))
        hit = _getitem_cache.get(ck)
    except TypeError:
        ck = None
        hit = None
    if hit is None:
        r = _nd._infer(_GETITEM, None, (a, key), {}, a.device)
        region = None if arrays else view_region(a.shape, key)
        hit = (r, region)
        if ck is not None:
            if len(_getitem_cache) > 8192:
                _getitem_cache.clear()
            _getitem_cache[ck] = hit
    r, region = hit
    if region is not None:
        out = _nd.make_view(a, region[0], region[1], tuple(r[0]))
    else:
        out = _nd._new(r[0], r[1], a.device)
        run = _run_getitem_xp if a.device.is_gpu else _run_getitem
        job = _nd._partial(run, out, a, key, _opname)
        if _nd._storage.LIMITED:
            job = _nd.charged(job, (out,), a.device, out.nbytes, _opname, pre=False)
        _engine.push(job,
                     [a._var] + [k._var for k in arrays], (out._var,), a.device, 0,
                     _opname)
    if _nd._TAPE.recording:
        _nd._tape.record(_GETITEM, (a, key), out, {})
    return out


def _run_setitem(a: NDArray, key: Any, v: Any, vnd: bool, full: bool) -> None:
    src = v._data if vnd else v
    if full:
        _nd.overwrite_target(a)[...] = src
    else:
        dst, k = _nd.writable(a), _unwrap_key(key)
        try:
            dst[k] = src
        except IndexError as e:
            raise _index_failed(e, "setitem", a, key) from None
        except ValueError:
            # one element set from a size-1 array of more dimensions (x[i] = y of shape
            # (1, 1)): MXNet drops the value's leading 1s, NumPy 2 refuses
            if not vnd or src.ndim == 0 or src.size != 1:
                raise
            dst[k] = src.reshape(())


def _mask_meta(key: Any) -> Any:
    """*key* with boolean-mask NDArrays replaced by all-True host masks of their shape
    (and integer index NDArrays by zeros): a mask's shape is checked at the call."""
    if isinstance(key, tuple):
        return tuple(_mask_meta(k) for k in key)
    if isinstance(key, NDArray):
        if key.dtype == _onp.bool_:
            return _onp.ones(key.shape, dtype=bool)
        return _onp.zeros(key.shape, dtype=_onp.intp)
    return key


def _is_full_key(key: Any, shape: tuple[int, ...]) -> bool:
    """*key* selects every element, in order, with no new axes (``[:]``, ``[...]``,
    ``[0:n]``, ``[:, :]``, ``[()]`` of a 0-d array)."""
    ks = key if key.__class__ is tuple else (key,)
    if builtins.sum(1 for k in ks if k is Ellipsis) > 1:
        return False
    slices = [k for k in ks if k is not Ellipsis]
    if len(slices) > len(shape) or builtins.any(k.__class__ is not slice for k in slices):
        return False
    if len(slices) < len(ks):                      # the ellipsis stands for the middle axes
        i = ks.index(Ellipsis)
        n_after = len(ks) - i - 1
        axes = list(range(i)) + list(range(len(shape) - n_after, len(shape)))
    else:
        axes = list(range(len(slices)))
    try:
        return builtins.all(k.indices(shape[ax]) == (0, shape[ax], 1)
                            for k, ax in zip(slices, axes))
    except (ValueError, TypeError):
        return False


def setitem(a: NDArray, key: Any, value: Any) -> None:
    """``a[key] = value``: a write of a's var, ordered after every earlier read of a.

    Never blocks, except for a boolean-mask NDArray key with an array value (whether the
    value fits depends on how many elements the mask selects)."""
    _check_inplace_autograd(a, "setitem")
    vnd = isinstance(value, NDArray)
    if not vnd and not isinstance(value, (int, float, bool, complex, _onp.generic)):
        value = as_nd(value, a.device)
        vnd = True
    arrays: list[NDArray] = []
    key = _key_arrays(key, arrays, resolve_masks=vnd)
    for k in arrays:
        if k.device is not a.device:
            _mismatch("setitem", [a, k])
    nd_mask = builtins.any(k.dtype == _onp.bool_ for k in arrays)
    if nd_mask:                                # a mask of the wrong shape fails here
        try:
            getitem_infer(a, _mask_meta(key))
        except (IndexError, TypeError, ValueError) as e:
            msg = str(e).replace("getitem:", "setitem:", 1).split(" (index ", 1)[0]
            ks = key if key.__class__ is tuple else (key,)
            idx = ", ".join(f"{tuple(k.shape)} {k.dtype}" if isinstance(k, NDArray)
                            else repr(k) for k in ks)
            raise OpIndexError(f"{msg} (target {tuple(a.shape)} {a.dtype}, index {idx}; "
                               f"on {a.device})") from None
    target = None if nd_mask else _target_shape(a, key)
    if vnd:
        if value.device is not a.device:
            _mismatch("setitem", [a, value])
        if target is not None and not _fits(tuple(value.shape), target):
            raise ShapeError(f"setitem: could not broadcast input array from shape "
                             f"{tuple(value.shape)} into shape {target} "
                             f"(target {_fmt((a,))}, index {key!r}; on {a.device})")
        if value.dtype.kind == "c" and a.dtype.kind != "c":
            raise DTypeError(f"setitem: cannot assign {value.dtype} values to a {a.dtype} "
                             f"array (on {a.device})")
        reads = [value._var] + [k._var for k in arrays]
    else:
        reads = [k._var for k in arrays]
    # Writing every element of an array (not of part of a view's root) does not read its
    # old value: the write runs even when the array's op failed, and gives it a value
    # again.  Any other write reads it too (skipped, passing the error on, when it has none).
    full = not arrays and _is_full_key(key, a.shape) and not _nd.covers_part(a)
    if not full:
        reads.insert(0, a._var)
    _engine.push(_nd._partial(_run_setitem, a, key, value, vnd, full), reads, (a._var,),
                 a.device, 0, "setitem")


def _target_shape(a: NDArray, key: Any) -> tuple[int, ...] | None:
    """The shape ``a[key]`` selects (None for a host boolean mask, which NumPy checks);
    a bad index fails here, at the call, naming the array and its device."""
    try:
        return tuple(getitem_infer(a, key)[0])
    except (IndexError, TypeError, ValueError) as e:
        msg = str(e).replace("getitem:", "setitem:", 1)
        raise OpIndexError(f"{msg} (on {a.device})") from None


def _fits(vshape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """NumPy's assignment rule: *vshape* broadcasts to *target* (extra leading 1s ok)."""
    while len(vshape) > len(target) and vshape[0] == 1:
        vshape = vshape[1:]
    try:
        return tuple(_onp.broadcast_shapes(vshape, target)) == target
    except ValueError:
        return False
