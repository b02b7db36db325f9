"""NDArray: a buffer, an engine var and a device — and the dispatch of ops onto it.

Invariants
----------
* ``_shape`` and ``_dtype`` are known at creation (inferred by the op's rule), so
  ``shape``, ``dtype``, ``size``, ``ndim`` and ``device`` never block.
* ``_data`` (the NumPy/CuPy buffer) is only assigned by an op that writes ``_var``;
  kernels read the ``_data`` of their inputs when they run, after the engine granted
  the reads.  Anything else must wait first (the sync points below).
* Outputs are allocated when their op runs (as in MXNet), not at push.
* Views, as in MXNet: basic indexing that selects a contiguous block (``y[1]``,
  ``y[1:3]``, ``y[1, 2:4]``, ...; see ``ndengine.numpy.manipulation``) returns an array
  that shares its *root*'s buffer and engine var, so writes through either show in the
  other and every op on a view is ordered with every op on its root.  Every other
  result is a value of its own.  See "Views" below for the rules and the helpers
  (:func:`writable`, :func:`assign`, :func:`share`) through which every write goes.
* Value-returning kernels (reshape, transpose, strided slicing, ...) may still share a
  buffer internally; a write to such a buffer copies it first (copy-on-write), so those
  results keep their values whatever the schedule.

Sync points (``wait_to_read``/``wait_to_write`` return None, as MXNet's do):
``wait_to_read``, ``wait_to_write``, ``asnumpy``, ``item``, ``tolist``,
``repr``/``str``/``print``, ``bool``, ``float``, ``int``, ``len`` is not one (shape is
known), iteration (yields rows lazily, no wait), ``__array__``.
"""
from __future__ import annotations

import functools
import numbers
import threading
import weakref
from typing import Any

import numpy as _onp

from .. import engine as _engine
from ..base import MXNetError
from ..device import Device, current_device
from ..device import storage as _storage
from ..device.storage import storage_of as _storage_of
from ..device.transfer import to_host, transfer
from ..engine.threaded import push_site as _push_site
from ..engine.var import Var
from . import tape as _tape
from .ops import OPS, DTypeError, OpDef, OpIndexError, ShapeError, _fmt, float32, register
from .ops import steer_blas as _steer_blas

__all__ = ["NDArray", "invoke", "from_buffer", "apply_op", "DeviceMismatchError",
           "array_dtype", "charged", "charge_now"]

_partial = functools.partial
_new_object = object.__new__
_ndarray = _onp.ndarray
_TAPE = _tape.STATE
_SCALARS = frozenset([int, float, bool, complex, _onp.float32, _onp.float64, _onp.float16,
                      _onp.int64, _onp.int32, _onp.int8, _onp.uint8, _onp.int16,
                      _onp.bool_, _onp.uint32, _onp.uint64, _onp.uint16])
_DEFAULT_DEVICE = Device("cpu", 0)
# set by gluon's tracer: array -> "<_Symbol name>" for an array of the graph this thread
# is tracing (what MXNet prints for a symbol in a hybridized forward), else None
SYMBOL_TEXT: Any = None
_NP = _onp


class DeviceMismatchError(MXNetError, ValueError):
    """Operands of one op live on different devices."""


def _site() -> Any:
    """Where the user pushed the op: 3 frames up from the dispatch function that calls
    this (dispatch <- operator method or np function <- user), walking further if that
    frame is still inside ndengine.  Disabled with NDENGINE_PUSH_SITE=0."""
    if _TRACK_SITE:
        return _push_site(4)
    return None


_TRACK_SITE = __import__("os").environ.get("NDENGINE_PUSH_SITE", "1") != "0"


def _site_n() -> Any:
    """The push site for apply_op (one frame deeper than the fast paths' callers)."""
    if _TRACK_SITE:
        return _push_site(3)
    return None


def _xp(device: Device) -> Any:
    return _NP if device.device_type != "gpu" else device.xp


# ----------------------------------------------------------------------------- runners
# A runner executes on an engine worker: it calls the kernel on the input buffers and
# stores the result as the output's buffer, cast to the inferred dtype when needed.
def _fix(r: Any, out: "NDArray") -> Any:
    if r.__class__ is not _ndarray and not hasattr(r, "__cuda_array_interface__"):
        r = _NP.asarray(r)
    if r.dtype != out._dtype:
        r = r.astype(out._dtype)
    if r.shape != out._shape:
        from ..base import EngineInternalError

        raise EngineInternalError(f"kernel produced shape {r.shape}, inferred {out._shape}")
    return r


def _run_u(kernel: Any, xp: Any, out: "NDArray", a: "NDArray", params: dict) -> None:
    r = kernel(xp, a._data, **params)
    if r.__class__ is not _ndarray or r.dtype is not out._dtype:
        r = _fix(r, out)
    out._data = r


def _run_aa(kernel: Any, xp: Any, out: "NDArray", a: "NDArray", b: "NDArray") -> None:
    r = kernel(xp, a._data, b._data)
    if r.__class__ is not _ndarray or r.dtype is not out._dtype:
        r = _fix(r, out)
    out._data = r


def _run_as(kernel: Any, xp: Any, out: "NDArray", a: "NDArray", b: Any) -> None:
    r = kernel(xp, a._data, b)
    if r.__class__ is not _ndarray or r.dtype is not out._dtype:
        r = _fix(r, out)
    out._data = r


def _run_sa(kernel: Any, xp: Any, out: "NDArray", a: Any, b: "NDArray") -> None:
    r = kernel(xp, a, b._data)
    if r.__class__ is not _ndarray or r.dtype is not out._dtype:
        r = _fix(r, out)
    out._data = r


def _run_np_u(fn: Any, out: "NDArray", a: "NDArray") -> None:
    r = fn(a._data)
    if r.__class__ is not _ndarray or r.dtype is not out._dtype:
        r = _fix(r, out)
    out._data = r


def _run_np_aa(fn: Any, out: "NDArray", a: "NDArray", b: "NDArray") -> None:
    r = fn(a._data, b._data)
    if r.__class__ is not _ndarray or r.dtype is not out._dtype:
        r = _fix(r, out)
    out._data = r


def _run_np_as(fn: Any, out: "NDArray", a: "NDArray", b: Any) -> None:
    r = fn(a._data, b)
    if r.__class__ is not _ndarray or r.dtype is not out._dtype:
        r = _fix(r, out)
    out._data = r


def _run_np_sa(fn: Any, out: "NDArray", a: Any, b: "NDArray") -> None:
    r = fn(a, b._data)
    if r.__class__ is not _ndarray or r.dtype is not out._dtype:
        r = _fix(r, out)
    out._data = r


# Pooled variants for large outputs: the ufunc writes into a buffer of the output
# device's Storage (see ndengine.device.storage) instead of a fresh allocation.
def _run_np_u_pool(fn: Any, out: "NDArray", a: "NDArray", st: Any) -> None:
    buf = st.alloc(out._shape, out._dtype)
    fn(a._data, out=buf)
    out._data = buf


def _run_np_aa_pool(fn: Any, out: "NDArray", a: "NDArray", b: "NDArray", st: Any) -> None:
    buf = st.alloc(out._shape, out._dtype)
    fn(a._data, b._data, out=buf)
    out._data = buf


def _run_np_as_pool(fn: Any, out: "NDArray", a: "NDArray", b: Any, st: Any) -> None:
    buf = st.alloc(out._shape, out._dtype)
    fn(a._data, b, out=buf)
    out._data = buf


def _run_np_sa_pool(fn: Any, out: "NDArray", a: Any, b: "NDArray", st: Any) -> None:
    buf = st.alloc(out._shape, out._dtype)
    fn(a, b._data, out=buf)
    out._data = buf


# Under a memory limit (``device.storage.LIMITED``) every op's outputs go through their
# device's Storage: the job is wrapped so that the bytes are charged before the kernel
# runs (a MemoryError naming the op, the size and the limit) and the buffers the kernel
# allocated itself are counted until freed.  Without a limit nothing is wrapped.
def _run_charged(job: Any, st: Any, nbytes: int, name: str, outs: Any, pre: bool) -> None:
    if pre:
        st.charge(nbytes, name)
    job()
    for o in outs:
        if o._data is not None:
            st.adopt(o._data)
    if not pre and st.over_limit():
        err = st.limit_error(name, sum(o.nbytes for o in outs))
        for o in outs:
            o._data = None          # the outputs' buffers go at once
        raise err


def charged(job: Any, outs: Any, device: Device, nbytes: int, name: str,
            pre: bool = True) -> Any:
    """*job* (writing the arrays *outs* on *device*), charged to the device's storage
    when some device has a memory limit; *job* itself otherwise.  *pre*: the output
    bytes are charged before the kernel runs; else (ops whose outputs are mostly views
    of their inputs: reshape, broadcast_to, indexing...) what the kernel allocated is
    counted after it ran, and the op fails if that took the device past its limit."""
    if not _storage.LIMITED:
        return job
    return _partial(_run_charged, job, _storage_of(device), nbytes, name, outs, pre)


def charge_now(buf: Any, device: Device, name: str) -> None:
    """A buffer made at the call (``np.array``'s host copy) counts against *device*'s
    memory limit, or the call fails with a MemoryError naming *name*."""
    if _storage.LIMITED:
        st = _storage_of(device)
        st.charge(int(buf.nbytes), name)
        st.adopt(buf)


def _unwrap(x: Any) -> Any:
    if x.__class__ is NDArray:
        return x._data
    if x.__class__ is list or x.__class__ is tuple:
        return x.__class__(_unwrap(v) for v in x)
    return x


def _run_n(kernel: Any, xp: Any, outs: list["NDArray"], args: tuple, params: dict) -> None:
    r = kernel(xp, *[_unwrap(a) for a in args], **params)
    if len(outs) == 1:
        out = outs[0]
        if r.__class__ is not _ndarray or r.dtype is not out._dtype:
            r = _fix(r, out)
        out._data = r
        if r.base is not None:
            _mark_shared(args)
    else:
        for out, x in zip(outs, r):
            if x.__class__ is not _ndarray or x.dtype is not out._dtype:
                x = _fix(x, out)
            out._data = x
            if x.base is not None:
                _mark_shared(args)


def _mark_shared(args: tuple) -> None:
    """An output may view an input's buffer (reshape, transpose, split...): the inputs
    must copy before their next in-place write, so the output keeps its values."""
    for a in args:
        if a.__class__ is NDArray:
            share(a)
        elif a.__class__ is list or a.__class__ is tuple:
            _mark_shared(a)


# ----------------------------------------------------------------------------- creation
def _new(shape: tuple[int, ...], dtype: Any, device: Device) -> "NDArray":
    a = _new_object(NDArray)
    a._data = None
    a._var = Var()
    a._device = device
    a._shape = shape
    a._dtype = dtype
    a._shared = False
    a._grad = None
    a._grad_req = None
    a._node = None
    a._family = None
    return a


def from_buffer(buf: Any, device: Device | None = None) -> "NDArray":
    """Wrap a ready buffer (no op is pushed: it is available at once)."""
    if buf.__class__ is not _ndarray and not hasattr(buf, "__cuda_array_interface__"):
        buf = _NP.asarray(buf)
    a = _new(buf.shape, buf.dtype, device or _DEFAULT_DEVICE)
    a._data = buf
    return a


def _infer(opdef: OpDef, key: Any, args: tuple, params: dict, device: Device) -> Any:
    try:
        r = opdef.infer(*args, **params)
    except (ShapeError, TypeError, ValueError, IndexError) as e:
        msg = str(e)
        if not msg.startswith(opdef.name):
            msg = f"{opdef.name}: {msg}"
        where = f"inputs: {_fmt(args)}; on {device}" if args else f"on {device}"
        raise _call_error(e)(f"{msg} ({where})") from None
    if opdef.nout == 1:
        shape = tuple(r[0])
        dtype = _NP.dtype(r[1])
        n = dtype.itemsize
        for d in shape:
            n *= d
        r = (shape, dtype, n)      # cached with the output's size in bytes
    if key is not None:
        if len(opdef.cache) > 4096:
            opdef.cache.clear()
        opdef.cache[key] = r
    return r


def _call_error(e: BaseException) -> type:
    """The error class raised at the call site for a failed shape/dtype rule: an
    MXNetError that is also the builtin kind (ValueError, TypeError, IndexError)."""
    if isinstance(e, MXNetError):
        return type(e)
    if isinstance(e, IndexError):
        return OpIndexError
    if isinstance(e, TypeError):
        return DTypeError
    return ShapeError


def _mismatch(opdef: OpDef | str, arrays: list["NDArray"]) -> None:
    """Raise the error of operands on different devices (*opdef*: the op or its name)."""
    devs = ", ".join(f"{tuple(a.shape)} on {a._device}" for a in arrays)
    name = opdef if isinstance(opdef, str) else opdef.name
    raise DeviceMismatchError(
        f"{name}: operands are on different devices ({devs}); copy them with "
        f".copyto(device) or .as_in_ctx(device) first")


def _hkey(v: Any) -> Any:
    """A hashable cache key for a parameter value (None when there is none)."""
    c = v.__class__
    if c is int or c is str or v is None:
        return v
    if c is float or c is bool:
        return (c, v)             # 2.0 == 2 == True, yet zeros((2.0, 3)) is an error
    if c is tuple or c is list:
        return tuple(_hkey(x) for x in v)
    if isinstance(v, _onp.dtype) or (isinstance(v, type) and issubclass(v, _onp.generic)):
        return _NP.dtype(v)
    if v.__class__ is NDArray:
        return (v._shape, v._dtype)
    if isinstance(v, numbers.Number):
        return (c, v)
    raise TypeError


def apply_op(opdef: OpDef, args: tuple, params: dict | None = None,
             device: Device | None = None) -> Any:
    """Check, infer, allocate outputs and push *opdef* over *args* (NDArrays, Python
    scalars, or lists of NDArrays).  Returns the output (a list for several)."""
    params = params or {}
    arrays: list[NDArray] = []
    keyparts: list[Any] = []
    for a in args:
        c = a.__class__
        if c is NDArray:
            arrays.append(a)
            keyparts.append((a._shape, a._dtype))
        elif (c is list or c is tuple) and a and all(x.__class__ is NDArray for x in a):
            arrays.extend(a)
            keyparts.append(tuple((x._shape, x._dtype) for x in a))
        else:
            try:
                keyparts.append(("s", _hkey(a)))
            except TypeError:
                keyparts.append(None)
    if arrays:
        dev = arrays[0]._device
        for x in arrays:
            if x._device is not dev:
                _mismatch(opdef, arrays)
        if device is not None and device is not dev:
            _mismatch(opdef, arrays)
    else:
        dev = device or current_device()
    try:
        key = (tuple(keyparts), tuple((k, _hkey(v)) for k, v in params.items()))
        if None in keyparts:
            key = None
    except TypeError:
        key = None
    r = opdef.cache.get(key) if key is not None else None
    if r is None:
        r = _infer(opdef, key, args, params, dev)
    multi = opdef.nout != 1
    if multi:
        outs = [_new(tuple(s), _NP.dtype(d), dev) for s, d in r]
        nb = sum(o.nbytes for o in outs)
    else:
        outs = [_new(r[0], r[1], dev)]
        nb = r[2]
    xp = _xp(dev)
    if opdef.blas:
        _steer_blas(dev)
    reads = tuple([x._var for x in arrays])
    if len(reads) > 1 and len(set(reads)) < len(reads):
        reads = tuple(dict.fromkeys(reads))       # x.dot(x): each var once
    # the outputs are new arrays: their vars are live, distinct and not among the reads
    job = _partial(_run_n, opdef.kernel, xp, outs, args, params)
    if _storage.LIMITED:
        job = charged(job, outs, dev, nb, opdef.name, opdef.kind != "view")
    _engine.push_unchecked(job, reads, tuple([o._var for o in outs]), dev, opdef.name, nb,
                           _site_n(), False)
    if _TAPE.recording:
        _tape.record(opdef, args, outs if multi else outs[0], params)
    return outs if multi else outs[0]


def _pair_out(opdef: OpDef, a: "NDArray", b: "NDArray") -> tuple["NDArray", Any]:
    """The output of *opdef* over arrays *a* and *b* (same device, else the clear
    error), and its shape rule's cached result ``(shape, dtype, nbytes)``."""
    dev = a._device
    if b._device is not dev:
        _mismatch(opdef, [a, b])
    key = (a._shape, a._dtype, b._shape, b._dtype)
    r = opdef.cache.get(key)
    if r is None:
        r = _infer(opdef, key, (a, b), {}, dev)
    return _new(r[0], r[1], dev), r


def product(opdef: OpDef, a: Any, b: Any) -> "NDArray":
    """``dot`` / ``matmul`` of two arrays: :func:`apply_op` without its generic argument
    handling (the heaviest ops of most programs, pushed often: an 8x8 ``x.dot(x)``
    pushed, run and waited for took 12.5 us through apply_op, 9.6 here)."""
    if a.__class__ is not NDArray or b.__class__ is not NDArray:
        return apply_op(opdef, (a, b))
    out, r = _pair_out(opdef, a, b)
    dev = out._device
    if dev.device_type != "gpu":
        _steer_blas(dev)
    job = _partial(_run_aa, opdef.kernel, _xp(dev), out, a, b)
    if _storage.LIMITED:
        job = charged(job, (out,), dev, r[2], opdef.name)
    _engine.push_unchecked(job, (a._var, b._var) if a is not b else (a._var,), (out._var,),
                           dev, opdef.name, r[2], _site(), False)
    if _TAPE.recording:
        _tape.record(opdef, (a, b), out, {})
    return out


def invoke(name: str, *args: Any, **params: Any) -> Any:
    """Apply the op called *name* (see :mod:`.ops`)."""
    return apply_op(OPS[name], args, params)


# Fast paths for the hottest signatures -------------------------------------------------
def _unary(opdef: OpDef, a: "NDArray", params: dict | None = None) -> "NDArray":
    key = (a._shape, a._dtype) if not params else None
    r = opdef.cache.get(key) if key is not None else None
    if r is None:
        if params:
            return apply_op(opdef, (a,), params)
        r = _infer(opdef, key, (a,), {}, a._device)
    dev = a._device
    out = _new(r[0], r[1], dev)
    fn = opdef.np_fn
    nb = r[2]
    if fn is not None and dev.device_type != "gpu" and a._dtype.kind == "f":
        if nb >= _storage.POOL_MIN:
            job = _partial(_run_np_u_pool, fn, out, a, _storage_of(dev))
        else:
            job = _partial(_run_np_u, fn, out, a)
    else:
        job = _partial(_run_u, opdef.kernel, _xp(dev), out, a, {})
    if _storage.LIMITED:
        job = charged(job, (out,), dev, nb, opdef.name, opdef.kind != "view")
    _engine.push_unchecked(job, (a._var,), (out._var,), dev, opdef.name, nb, _site())
    if _TAPE.recording:
        _tape.record(opdef, (a,), out, {})
    return out


def _binary(opdef: OpDef, a: Any, b: Any) -> "NDArray":
    """``a op b`` where at least one is an NDArray."""
    ca = a.__class__
    cb = b.__class__
    if ca is NDArray and cb is NDArray:
        out, r = _pair_out(opdef, a, b)
        dev = out._device
        nb = r[2]
        if dev.device_type == "gpu":
            job = _partial(_run_aa, opdef.kernel, dev.xp, out, a, b)
        elif nb >= _storage.POOL_MIN:
            job = _partial(_run_np_aa_pool, opdef.np_fn, out, a, b, _storage_of(dev))
        else:
            job = _partial(_run_np_aa, opdef.np_fn, out, a, b)
        if _storage.LIMITED:
            job = charged(job, (out,), dev, nb, opdef.name)
        _engine.push_unchecked(job, (a._var, b._var) if a is not b else (a._var,),
                               (out._var,), dev, opdef.name, nb, _site())
    elif ca is NDArray:
        if cb not in _SCALARS:
            return _binary(opdef, a, _coerce(b, a._device, opdef.name))
        dev = a._device
        key = (a._shape, a._dtype, cb)
        r = opdef.cache.get(key)
        if r is None:
            r = _infer(opdef, key, (a, b), {}, dev)
        out = _new(r[0], r[1], dev)
        nb = r[2]
        if dev.device_type == "gpu":
            job = _partial(_run_as, opdef.kernel, dev.xp, out, a, b)
        elif nb >= _storage.POOL_MIN:
            job = _partial(_run_np_as_pool, opdef.np_fn, out, a,
                           _scalar(b, cb, r[1], a._dtype), _storage_of(dev))
        else:
            job = _partial(_run_np_as, opdef.np_fn, out, a, _scalar(b, cb, r[1], a._dtype))
        if _storage.LIMITED:
            job = charged(job, (out,), dev, nb, opdef.name)
        _engine.push_unchecked(job, (a._var,), (out._var,), dev, opdef.name, nb, _site())
    else:
        if ca not in _SCALARS:
            return _binary(opdef, _coerce(a, b._device, opdef.name), b)
        dev = b._device
        key = (ca, b._shape, b._dtype)
        r = opdef.cache.get(key)
        if r is None:
            r = _infer(opdef, key, (a, b), {}, dev)
        out = _new(r[0], r[1], dev)
        nb = r[2]
        if dev.device_type == "gpu":
            job = _partial(_run_sa, opdef.kernel, dev.xp, out, a, b)
        elif nb >= _storage.POOL_MIN:
            job = _partial(_run_np_sa_pool, opdef.np_fn, out, _scalar(a, ca, r[1], b._dtype), b,
                           _storage_of(dev))
        else:
            job = _partial(_run_np_sa, opdef.np_fn, out, _scalar(a, ca, r[1], b._dtype), b)
        if _storage.LIMITED:
            job = charged(job, (out,), dev, nb, opdef.name)
        _engine.push_unchecked(job, (b._var,), (out._var,), dev, opdef.name, nb, _site())
    if _TAPE.recording:
        _tape.record(opdef, (a, b), out, {})
    return out


_scalar_cache: dict[Any, Any] = {}


def _scalar(v: Any, cls: type, out_dtype: Any, arr_dtype: Any) -> Any:
    """A Python scalar operand as a read-only 0-d array of the array's dtype, when that
    is also the result's dtype (NumPy then skips its scalar conversion: half the cost
    of a tiny ufunc).  Cached per value; other cases keep the scalar as it is."""
    if out_dtype is not arr_dtype or cls is bool or cls is complex:
        return v
    key = (cls, v, arr_dtype)
    z = _scalar_cache.get(key)
    if z is None:
        try:
            z = _NP.array(v, dtype=arr_dtype)
        except (OverflowError, ValueError):
            return v          # let the kernel raise NumPy's own error
        if cls is float and z.item() != v and v == v:
            return v          # not exactly representable: keep NumPy's scalar rules
        z.flags.writeable = False
        if len(_scalar_cache) > 1024:
            _scalar_cache.clear()
        _scalar_cache[key] = z
    return z


# dtype kinds no array holds: object, str, bytes, void (records), datetime, timedelta
_NON_NUMERIC = frozenset("OUSVMm")


def array_dtype(dtype: Any, opname: str) -> Any:
    """*dtype* (anything ``numpy.dtype`` takes) as a NumPy dtype an array may hold, or a
    :class:`DTypeError` at the call naming *opname*: arrays hold bools and numbers, never
    strings or objects (MXNet refuses them too)."""
    try:
        dt = _NP.dtype(dtype)
    except TypeError:
        raise DTypeError(f"{opname}: {dtype!r} is not a dtype") from None
    if dt.kind in _NON_NUMERIC:
        raise DTypeError(f"{opname}: dtype {dt} ({getattr(dtype, '__name__', dtype)!r}) is "
                         f"not supported: arrays hold bools and numbers (float16/32/64, "
                         f"int8/32/64, uint8, ...), not strings or objects")
    return dt


def _coerce(x: Any, device: Device, opname: str | None = None) -> "NDArray":
    """A non-NDArray operand as an NDArray, by ``np.array``'s rules: NumPy arrays and
    scalars keep their dtype (and are copied); Python data (lists, numbers, bools)
    becomes float32, MXNet's default.  A legacy ``mx.nd`` array (a handle whose ``_arr``
    is an NDArray) gives that array, without a copy.  Operands that are no numbers
    (strings, None, objects, lists of strings) are a :class:`DTypeError` (a TypeError,
    as MXNet's) at the call, naming *opname* when given."""
    if x.__class__ is NDArray:
        return x
    inner = getattr(x, "_arr", None)
    if inner.__class__ is NDArray:
        return inner
    what = f"{opname}: " if opname else ""
    if isinstance(x, (_onp.generic, _ndarray)):
        buf = _NP.array(x, copy=True)
    else:
        try:
            buf = _NP.asarray(x)
        except Exception as e:
            raise DTypeError(f"{what}unsupported operand type {type(x).__name__}") from e
        if buf.dtype.kind in "biuf" and buf.dtype != float32:
            buf = buf.astype(float32)
    if buf.dtype.kind in _NON_NUMERIC:
        shown = repr(x) if len(repr(x)) <= 60 else repr(x)[:57] + "..."
        raise DTypeError(f"{what}unsupported operand type {type(x).__name__} ({shown}, "
                         f"dtype {buf.dtype}): operands must be arrays or numbers (on "
                         f"{device})")
    if device.is_gpu:
        buf = transfer(buf, _DEFAULT_DEVICE, device)
    return from_buffer(buf, device)


# ----------------------------------------------------------------------------- views
# MXNet's views (``y[1]``, ``y[1:3]``, ``y[1, 2:4]``: basic indexing that selects a
# contiguous block of the array, see ndengine.numpy.manipulation.view_region) share their
# parent's memory: ``row = y[1]; row += 1`` changes y, and a write to y shows in row.
#
# * A view shares its *root*'s engine var (the root is the array that is no view; a view
#   of a view has the same root), so every op on a view is ordered with every op on the
#   root and on its other views, and a failed root poisons its views, exactly as MXNet's
#   views share their chunk's var.
# * ``view._family`` is a _View: the root and the flat range [lo, hi) of the root's
#   buffer (C order) the view covers.  ``root._family`` is a _Root: weak references to
#   the root's views and the buffer known to belong to the family alone.
# * A view's ``_data`` is a NumPy view into its root's buffer, set by the view's op (a
#   write of the shared var, pushed when the view is made: the root may not have its
#   value yet) and refreshed whenever the root's buffer changes.
# * Every write to an array of a family goes into the root's buffer, in place; when that
#   buffer is not the family's own (it is shared with a value-semantics result such as
#   a reshape or a strided slice, read-only, pooled, or not C-contiguous), the root is
#   copied first, rebound, and its views refreshed: the other arrays keep the old buffer.
#   Every op that writes an existing array's values goes through :func:`writable` (a
#   buffer to write in place) or :func:`assign` (replace every value), so none can
#   forget; :func:`share` marks a buffer seen by another array.
# * Fresh outputs (every op's result) are untouched by all this: ``_family`` is None and
#   the runners store ``_data`` directly.
class _Root:
    __slots__ = ("views", "owned", "limit")

    def __init__(self) -> None:
        self.views: list[Any] = []       # weakref.ref of each view (dead ones pruned)
        self.owned: Any = None           # the buffer known to be the family's alone
        self.limit = 16                  # prune dead references past this many


class _View:
    __slots__ = ("root", "lo", "hi")

    def __init__(self, root: "NDArray", lo: int, hi: int) -> None:
        self.root = root
        self.lo = lo
        self.hi = hi


_FAMILY_LOCK = threading.Lock()
_weakref = weakref.ref


def root_of(a: "NDArray") -> "NDArray":
    """The array whose buffer *a* views (*a* itself when it is no view)."""
    f = a._family
    return f.root if f.__class__ is _View else a


def is_view(a: "NDArray") -> bool:
    return a._family.__class__ is _View


def covers_part(a: "NDArray") -> bool:
    """*a* is a view of only part of its root: writing all of *a* writes part of the
    root (an op doing so must read the root's var too, so that it is skipped, and not a
    repair, when the root has no value)."""
    f = a._family
    if f.__class__ is not _View:
        return False
    return f.lo != 0 or f.hi != f.root.size


def make_view(a: "NDArray", lo: int, hi: int, shape: tuple[int, ...]) -> "NDArray":
    """A view of the elements [lo, hi) of *a* (C order) with *shape*: it shares a's root
    buffer and var.  Pushes the op that sets its buffer; returns at once."""
    f = a._family
    if f.__class__ is _View:
        root = f.root
        lo += f.lo
        hi += f.lo
    else:
        root = a
    v = _new_object(NDArray)
    v._data = None
    v._var = root._var
    v._device = root._device
    v._shape = shape
    v._dtype = root._dtype
    v._shared = False
    v._grad = None
    v._grad_req = None
    v._node = None
    v._family = _View(root, lo, hi)
    with _FAMILY_LOCK:
        info = root._family
        if info is None:
            info = root._family = _Root()
        views = info.views
        if len(views) >= info.limit:
            views = [w for w in views if w() is not None]
            info.limit = max(16, 2 * len(views))
        views.append(_weakref(v))
        info.views = views
    # a read-write of the shared var: ordered after every earlier op of the family, and
    # skipped (passing the error on) when the root has no value
    _engine.push(_partial(_run_view, v), (root._var,), (root._var,), root._device, 0, "view")
    return v


def _view_buffer(buf: Any, f: _View, shape: tuple[int, ...]) -> Any:
    return buf.reshape(-1)[f.lo:f.hi].reshape(shape)


def _run_view(v: "NDArray") -> None:
    f = v._family
    root = f.root
    buf = root._data
    if buf is None:
        _no_value(root)
    if not buf.flags.c_contiguous:
        buf = _rebind_root(root, _xp(root._device).ascontiguousarray(buf))
    v._data = _view_buffer(buf, f, v._shape)


def _rebind_root(root: "NDArray", buf: Any) -> Any:
    """Give *root* the buffer *buf* (the family's own) and point its views into it."""
    info = root._family
    root._data = buf
    root._shared = False
    info.owned = buf
    for w in list(info.views):
        v = w()
        if v is not None:
            v._data = _view_buffer(buf, v._family, v._shape)
    return buf


def _own(root: "NDArray", discard: bool = False) -> Any:
    """The root's buffer, made the family's own first (copied, or, with *discard*,
    replaced by a fresh one, when another array may see it).  Runs in an op that writes
    the family's var."""
    buf = root._data
    if buf is not None and buf is root._family.owned and not root._shared:
        return buf
    if buf is None or (discard and (root._shared or buf.base is not None)):
        new = _xp(root._device).empty(root._shape, dtype=root._dtype)
    elif (not root._shared and buf.base is None and buf.flags.writeable
          and buf.flags.c_contiguous):
        new = buf                    # nobody else sees it: adopt it as it is
    else:
        new = buf.copy()             # C order
    return _rebind_root(root, new)


def writable(a: "NDArray") -> Any:
    """*a*'s buffer, safe to write in place: a view writes into its root's buffer; any
    other array's buffer is copied first when another array may see it.  Called by an op
    that writes a's var, after it has read its inputs."""
    f = a._family
    if f is None:
        buf = a._data
        if a._shared or buf.base is not None or not buf.flags.writeable:
            buf = buf.copy()
            a._data = buf
            a._shared = False
        return buf
    if f.__class__ is _Root:
        return _own(a)
    _own(f.root)
    return a._data


def assign(a: "NDArray", buf: Any, shared: bool = False) -> None:
    """Replace all of *a*'s values by *buf* (of a's shape and dtype), from an op that
    writes a's var.  An array of no family simply takes *buf* (*shared*: another array
    holds it too, so a later in-place write copies first); a family's buffer is written
    in place, so the other arrays of the family see the values."""
    f = a._family
    if f is None:
        a._data = buf
        a._shared = shared
        return
    if f.__class__ is _Root:
        dst = _own(a, discard=True)
    else:
        _own(f.root)
        dst = a._data
    dst[...] = buf


def overwrite_target(a: "NDArray") -> Any:
    """A buffer to write *all* of a's values into (``a[...] = v``): a's own one when it
    can be written in place, else a fresh one (also when a's op failed and it has none:
    such a write gives it a value again).  Called by an op that writes a's var."""
    f = a._family
    if f is None:
        buf = a._data
        if buf is None or a._shared or buf.base is not None or not buf.flags.writeable:
            buf = _xp(a._device).empty(a._shape, dtype=a._dtype)
            a._data = buf
            a._shared = False
        return buf
    if f.__class__ is _Root:
        return _own(a, discard=True)
    _own(f.root)
    return a._data


def adopt(dst: "NDArray", src: "NDArray") -> None:
    """*dst* takes *src*'s values (same shape and dtype), sharing src's buffer when dst is
    of no family (no copy; both then copy before an in-place write), else copied into
    dst's family buffer.  From an op that reads src's var and writes dst's."""
    if src is dst:
        return
    if dst._family is None:
        share(src)
        assign(dst, src._data, shared=True)
    else:
        assign(dst, src._data)


def share(a: "NDArray") -> None:
    """Another array holds (a view of) *a*'s buffer: the next write of a's family copies
    first, so that array keeps its values."""
    f = a._family
    if f.__class__ is _View:
        f.root._shared = True
    else:
        a._shared = True


# ----------------------------------------------------------------------------- in place
def _run_inplace(kernel: Any, xp: Any, a: "NDArray", b: Any, bnd: bool) -> None:
    src = b._data if bnd else b
    buf = writable(a)
    kernel(xp, buf, src, out=buf)


def _check_inplace_autograd(a: "NDArray", opname: str) -> None:
    if _TAPE.recording and (a._node is not None or a._grad_req not in (None, "null")):
        raise MXNetError(
            f"{opname}: in-place update of an array that autograd is recording "
            f"(shape {a.shape}); write it out of place (x = x + y) inside record()")


def _inplace(opdef: OpDef, a: "NDArray", b: Any) -> "NDArray":
    """``a op= b``: a write of a's var, ordered after every earlier read of a."""
    _check_inplace_autograd(a, opdef.name)
    if b.__class__ is not NDArray and b.__class__ not in _SCALARS:
        b = _coerce(b, a._device, opdef.name)
    bnd = b.__class__ is NDArray
    if bnd and b._device is not a._device:
        _mismatch(opdef, [a, b])
    shape, dtype = _infer(opdef, None, (a, b), {}, a._device)[:2]
    if tuple(shape) != a._shape:
        raise ShapeError(f"{opdef.name} (in place): result shape {tuple(shape)} does not match "
                         f"the left operand {a._shape} (inputs: {_fmt((a, b))}; on {a._device})")
    if not _NP.can_cast(dtype, a._dtype, casting="same_kind"):
        raise DTypeError(f"{opdef.name} (in place): cannot cast {dtype} result to {a._dtype} "
                         f"(inputs: {_fmt((a, b))}; on {a._device})")
    kernel = _INPLACE_KERNELS.get(opdef.name)
    if kernel is None:
        raise DTypeError(f"{opdef.name}: no in-place form")
    reads = (a._var, b._var) if bnd else (a._var,)
    _engine.push(_partial(_run_inplace, kernel, _xp(a._device), a, b, bnd), reads,
                 (a._var,), a._device, 0, opdef.name + "_")
    return a


def _ik(fname: str) -> Any:
    def k(xp: Any, a: Any, b: Any, out: Any) -> None:
        getattr(xp, fname)(a, b, out=out, casting="same_kind")
    return k


_INPLACE_KERNELS = {n: _ik(n) for n in ("add", "subtract", "multiply", "true_divide",
                                         "floor_divide", "mod", "power", "bitwise_and",
                                         "bitwise_or", "bitwise_xor", "left_shift",
                                         "right_shift")}


def _np_repr(buf: Any) -> str:
    """NumPy's repr, as NumPy < 2.2 wrote it (no ``shape=`` for summarized arrays),
    which is what MXNet 1.9 shows."""
    if _LEGACY_REPR is None:
        return repr(buf)
    with _onp.printoptions(legacy=_LEGACY_REPR):
        return repr(buf)


def _legacy_repr_mode() -> Any:
    try:
        with _onp.printoptions(legacy="2.1"):
            return "2.1"
    except (ValueError, TypeError):
        return None


_LEGACY_REPR = _legacy_repr_mode()


# ----------------------------------------------------------------------------- the class
def _op(name: str) -> OpDef:
    return OPS[name]


def _sync_read(a: "NDArray") -> Any:
    _engine.wait_for_var(a._var)
    buf = a._data
    if buf is None:
        _no_value(a)
    return buf


# The np namespace (ndengine.numpy, a layer above this one) registers itself here when
# it is imported (dependency inversion: this layer never imports it): ``NDArray(...)``
# is np.array, and NumPy's ufunc / function protocols dispatch to its functions.
_NUMPY: list[Any] = []


def register_numpy(namespace: Any) -> None:
    """Called by ndengine.numpy at its import."""
    _NUMPY[:] = [namespace]


def _numpy() -> Any:
    if not _NUMPY:
        raise MXNetError("ndengine.numpy is not imported (import ndengine first)")
    return _NUMPY[0]


def _no_value(a: "NDArray") -> None:
    """A sync point found no value: the op that computes *a* failed (its error, raised
    once, surfaced at an earlier sync point of *a* or of another array it wrote)."""
    raise MXNetError(f"array of shape {a._shape} {a._dtype} on {a._device} has no value: "
                     f"the op that computes it failed (its error was raised at an earlier "
                     f"sync point)")


class NDArray:
    """An n-dimensional array whose ops run asynchronously (``mxnet.numpy.ndarray``)."""

    __slots__ = ("_data", "_var", "_device", "_shape", "_dtype", "_shared", "_grad",
                 "_grad_req", "_node", "_family", "__weakref__")
    __array_priority__ = 1000.0

    def __new__(cls, *args: Any, **kwargs: Any) -> "NDArray":
        return _numpy().array(*args, **kwargs)

    # -- properties that never block ---------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def dtype(self) -> Any:
        return self._dtype

    @property
    def size(self) -> int:
        n = 1
        for s in self._shape:
            n *= s
        return n

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def nbytes(self) -> int:
        return self.size * self._dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self._dtype.itemsize

    @property
    def device(self) -> Device:
        return self._device

    ctx = device
    context = device

    @property
    def T(self) -> "NDArray":
        return self.transpose()

    @property
    def stype(self) -> str:
        return "default"

    # -- sync points ---------------------------------------------------------------
    def wait_to_read(self) -> None:
        """Block until every write pushed to this array is done (``NDArray.wait_to_read``;
        returns None, as MXNet's does)."""
        _engine.wait_for_var(self._var)
        if self._data is None:
            _no_value(self)

    def wait_to_write(self) -> None:
        """Block until every read and write pushed to this array is done (returns None,
        as legacy ``mx.nd.NDArray.wait_to_write`` does)."""
        _engine.wait_to_write(self._var)

    def asnumpy(self) -> _onp.ndarray:
        """A NumPy copy of the values (blocks until they are computed)."""
        return _onp.array(to_host(_sync_read(self), self._device), copy=True)

    def item(self, *args: Any) -> Any:
        """The value as a Python scalar (blocks)."""
        if not args and self.size != 1:
            raise ValueError(f"item: can only convert an array of size 1 to a Python scalar, "
                             f"got shape {self._shape}")
        return to_host(_sync_read(self), self._device).item(*args)

    def tolist(self) -> Any:
        return to_host(_sync_read(self), self._device).tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> _onp.ndarray:
        """NumPy functions accept NDArrays (blocks).  A copy unless ``copy=False``, which
        gives a read-only view of the current buffer."""
        if copy is False:
            buf = to_host(_sync_read(self), self._device)
            if dtype is not None and _NP.dtype(dtype) != buf.dtype:
                raise ValueError("__array__: a dtype conversion needs a copy (copy=False)")
            view = buf.view()
            view.flags.writeable = False
            return view
        buf = self.asnumpy()
        return buf if dtype is None else buf.astype(dtype, copy=False)

    def _scalar_value(self, kind: str) -> Any:
        if self.size != 1:
            raise TypeError(f"only size-1 arrays can be converted to Python scalars "
                            f"({kind}() of shape {self._shape})")
        return self.item()

    def __bool__(self) -> bool:
        if self.size != 1:
            what = "an empty array" if self.size == 0 else "an array with more than one element"
            raise ValueError(f"The truth value of {what} is ambiguous. Use a.any() or a.all()")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self._scalar_value("float"))

    def __int__(self) -> int:
        return int(self._scalar_value("int"))

    def __index__(self) -> int:
        if self._dtype.kind not in "biu":
            raise TypeError(f"only integer arrays can be used as an index, got {self._dtype}")
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self._scalar_value("complex"))

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of unsized object")
        return self._shape[0]

    def __iter__(self):
        """Rows ``self[0], self[1], ...``, each pushed as it is asked for (no wait)."""
        if not self._shape:
            raise TypeError("iteration over a 0-d array")
        for i in range(self._shape[0]):
            yield self[i]

    def __repr__(self) -> str:
        """MXNet's format: NumPy's repr without ``dtype=float32`` (the default), with the
        dtype of other non-bool arrays, and ``ctx=`` when not on a cpu (MXNet shows none for
        cpu(1) either; cpu_pinned(0) shows).  Blocks."""
        if SYMBOL_TEXT is not None:
            text = SYMBOL_TEXT(self)
            if text is not None:
                return text
        buf = to_host(_sync_read(self), self._device)
        text = _np_repr(buf)
        if "dtype=" in text:
            if self._dtype == float32:
                text = text[:text.rindex(",")] + ")"
        elif self._dtype != float32 and self._dtype != _onp.bool_:
            text = text[:-1] + f", dtype={self._dtype})"
        if self._device.device_type != "cpu":   # MXNet: no ctx for any cpu(i)
            text = text[:-1] + f", ctx={self._device})"
        return text

    def __str__(self) -> str:
        """``str`` of the values (what ``print`` shows), with `` @device`` when not on a
        cpu (MXNet's format).  Blocks."""
        if SYMBOL_TEXT is not None:
            text = SYMBOL_TEXT(self)
            if text is not None:
                return text
        buf = to_host(_sync_read(self), self._device)
        s = str(buf)
        if self._device.device_type != "cpu" and self._shape:
            s += f" @{self._device}"
        return s

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        return format(to_host(_sync_read(self), self._device).item()
                      if self.size == 1 else str(self), spec)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self):
        return (from_buffer, (self.asnumpy(), self._device))

    def __copy__(self) -> "NDArray":
        return self.copy()

    def __deepcopy__(self, memo: Any) -> "NDArray":
        return self.copy()

    # -- devices -----------------------------------------------------------------------
    def copyto(self, other: Any) -> "NDArray":
        """See mxnet ``NDArray.copyto``: a copy on a device (a new array there), or into
        another array (whose values are replaced; shapes must match, the dtype is
        cast).  A copy op on the destination's copy workers: returns at once, and
        overlaps the computation of other arrays."""
        if isinstance(other, Device):
            return copy_to_device(self, other)
        if other.__class__ is NDArray:
            return copy_into(self, other)
        raise TypeError(f"copyto: expected a Device such as cpu(1) or an NDArray, got "
                        f"{type(other).__name__} (copying {self._shape} {self._dtype} "
                        f"from {self._device})")

    def as_in_ctx(self, ctx: Device) -> "NDArray":
        """See mxnet ``as_in_ctx``: this array on *ctx*, itself if it is already there,
        else an asynchronous copy (see :meth:`copyto`)."""
        if ctx is self._device:
            return self
        if not isinstance(ctx, Device):
            raise TypeError(f"as_in_ctx: expected a Device such as cpu(1), got {ctx!r}")
        return copy_to_device(self, ctx)

    as_in_context = as_in_ctx

    def to_device(self, device: Device, /, *, stream: Any = None) -> "NDArray":
        """See the array API's ``to_device`` (as :meth:`as_in_ctx`).  *stream* is
        accepted and not used: copies run on the destination's copy workers, each on
        its own stream (see ndengine.device.streams)."""
        if device is self._device:
            return self
        if not isinstance(device, Device):
            raise TypeError(f"to_device: expected a Device such as cpu(1), got {device!r}")
        return copy_to_device(self, device)

    # -- arithmetic ------------------------------------------------------------------
    def __add__(self, o: Any) -> "NDArray":
        return _binary(_ADD, self, o)

    def __radd__(self, o: Any) -> "NDArray":
        return _binary(_ADD, o, self)

    def __sub__(self, o: Any) -> "NDArray":
        return _binary(_SUB, self, o)

    def __rsub__(self, o: Any) -> "NDArray":
        return _binary(_SUB, o, self)

    def __mul__(self, o: Any) -> "NDArray":
        return _binary(_MUL, self, o)

    def __rmul__(self, o: Any) -> "NDArray":
        return _binary(_MUL, o, self)

    def __truediv__(self, o: Any) -> "NDArray":
        return _binary(_DIV, self, o)

    def __rtruediv__(self, o: Any) -> "NDArray":
        return _binary(_DIV, o, self)

    def __floordiv__(self, o: Any) -> "NDArray":
        return _binary(_op("floor_divide"), self, o)

    def __rfloordiv__(self, o: Any) -> "NDArray":
        return _binary(_op("floor_divide"), o, self)

    def __mod__(self, o: Any) -> "NDArray":
        return _binary(_op("mod"), self, o)

    def __rmod__(self, o: Any) -> "NDArray":
        return _binary(_op("mod"), o, self)

    def __pow__(self, o: Any) -> "NDArray":
        return _binary(_op("power"), self, o)

    def __rpow__(self, o: Any) -> "NDArray":
        return _binary(_op("power"), o, self)

    def __matmul__(self, o: Any) -> "NDArray":
        return product(_op("matmul"), self, _as_nd(o, self))

    def __rmatmul__(self, o: Any) -> "NDArray":
        return product(_op("matmul"), _as_nd(o, self), self)

    def __and__(self, o: Any) -> "NDArray":
        return _binary(_op("bitwise_and" if self._dtype.kind != "b" else "logical_and"), self, o)

    __rand__ = __and__

    def __or__(self, o: Any) -> "NDArray":
        return _binary(_op("bitwise_or" if self._dtype.kind != "b" else "logical_or"), self, o)

    __ror__ = __or__

    def __xor__(self, o: Any) -> "NDArray":
        return _binary(_op("bitwise_xor" if self._dtype.kind != "b" else "logical_xor"), self, o)

    __rxor__ = __xor__

    def __lshift__(self, o: Any) -> "NDArray":
        return _binary(_op("left_shift"), self, o)

    def __rshift__(self, o: Any) -> "NDArray":
        return _binary(_op("right_shift"), self, o)

    def __rlshift__(self, o: Any) -> "NDArray":
        return _binary(_op("left_shift"), o, self)

    def __rrshift__(self, o: Any) -> "NDArray":
        return _binary(_op("right_shift"), o, self)

    def __divmod__(self, o: Any) -> tuple["NDArray", "NDArray"]:
        return self.__floordiv__(o), self.__mod__(o)

    def __rdivmod__(self, o: Any) -> tuple["NDArray", "NDArray"]:
        return self.__rfloordiv__(o), self.__rmod__(o)

    def __neg__(self) -> "NDArray":
        return _unary(_op("negative"), self)

    def __pos__(self) -> "NDArray":
        return _unary(_op("positive"), self)

    def __abs__(self) -> "NDArray":
        return _unary(_op("absolute"), self)

    def __invert__(self) -> "NDArray":
        return _unary(_op("bitwise_not" if self._dtype.kind != "b" else "logical_not"), self)

    def __eq__(self, o: Any) -> "NDArray":  # type: ignore[override]
        if o is None:
            return False  # type: ignore[return-value]
        return _binary(_op("equal"), self, o)

    def __ne__(self, o: Any) -> "NDArray":  # type: ignore[override]
        if o is None:
            return True  # type: ignore[return-value]
        return _binary(_op("not_equal"), self, o)

    def __lt__(self, o: Any) -> "NDArray":
        return _binary(_op("less"), self, o)

    def __le__(self, o: Any) -> "NDArray":
        return _binary(_op("less_equal"), self, o)

    def __gt__(self, o: Any) -> "NDArray":
        return _binary(_op("greater"), self, o)

    def __ge__(self, o: Any) -> "NDArray":
        return _binary(_op("greater_equal"), self, o)

    # in place: writes of this array's var
    def __iadd__(self, o: Any) -> "NDArray":
        return _inplace(_ADD, self, o)

    def __isub__(self, o: Any) -> "NDArray":
        return _inplace(_SUB, self, o)

    def __imul__(self, o: Any) -> "NDArray":
        return _inplace(_MUL, self, o)

    def __itruediv__(self, o: Any) -> "NDArray":
        return _inplace(_DIV, self, o)

    def __ifloordiv__(self, o: Any) -> "NDArray":
        return _inplace(_op("floor_divide"), self, o)

    def __imod__(self, o: Any) -> "NDArray":
        return _inplace(_op("mod"), self, o)

    def __ipow__(self, o: Any) -> "NDArray":
        return _inplace(_op("power"), self, o)

    def __iand__(self, o: Any) -> "NDArray":
        return _inplace(_op("bitwise_and"), self, o)

    def __ior__(self, o: Any) -> "NDArray":
        return _inplace(_op("bitwise_or"), self, o)

    def __ixor__(self, o: Any) -> "NDArray":
        return _inplace(_op("bitwise_xor"), self, o)

    def __ilshift__(self, o: Any) -> "NDArray":
        return _inplace(_op("left_shift"), self, o)

    def __irshift__(self, o: Any) -> "NDArray":
        return _inplace(_op("right_shift"), self, o)

    def __imatmul__(self, o: Any) -> "NDArray":
        """``a @= b``: the product (of a's shape, as NumPy requires) written into a."""
        r = self.__matmul__(o)
        if r._shape != self._shape:
            raise ShapeError(f"matmul (in place): result shape {r._shape} does not match the "
                             f"left operand {self._shape} (on {self._device})")
        _check_inplace_autograd(self, "matmul")
        self[...] = r
        return self

    # -- NumPy interoperability (NEP 13/18), as MXNet's np does --------------------------
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        fn = getattr(_numpy(), ufunc.__name__, None)
        if method == "__call__" and not kwargs and fn is not None and callable(fn):
            return fn(*inputs)
        conv = [x.asnumpy() if isinstance(x, NDArray) else x for x in inputs]
        if "out" in kwargs:
            raise TypeError(f"numpy.{ufunc.__name__} with out= an ndengine array is not "
                            "supported; use the ndengine.np function")
        return getattr(ufunc, method)(*conv, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        mod = func.__module__ or ""
        target: Any = _numpy()
        for part in mod.split(".")[1:]:
            if part in ("_core", "core", "fromnumeric", "numeric", "multiarray", "shape_base",
                        "function_base", "_function_base_impl", "_shape_base_impl",
                        "_multiarray_umath", "_methods", "lib", "_fromnumeric_impl"):
                continue
            target = getattr(target, part, None)
            if target is None:
                break
        fn = getattr(target, func.__name__, None) if target is not None else None
        if fn is not None and fn is not func and callable(fn):
            return fn(*args, **kwargs)

        def conv(x: Any) -> Any:
            if isinstance(x, NDArray):
                return x.asnumpy()
            if isinstance(x, (list, tuple)):
                return type(x)(conv(v) for v in x)
            return x
        return func(*conv(args), **{k: conv(v) for k, v in kwargs.items()})


_tape.install_methods(NDArray)   # attach_grad, grad, backward, detach, grad_req
_ADD = OPS["add"]
_SUB = OPS["subtract"]
_MUL = OPS["multiply"]
_DIV = OPS["true_divide"]


def _run_copy(src: NDArray, out: NDArray) -> None:
    out._data = transfer(src._data, src._device, out._device)


def _run_copy_into(src: NDArray, dst: NDArray) -> None:
    buf = transfer(src._data, src._device, dst._device)
    if buf.dtype != dst._dtype:
        buf = buf.astype(dst._dtype)
    assign(dst, buf)


def copy_to_device(src: NDArray, device: Device, non_blocking: bool = True,
                   priority: int = 0) -> NDArray:
    """A copy of *src* on *device*, made by a copy op on *device*'s copy workers (it
    reads src's var and writes the new array's).  Recorded by autograd.  With
    ``non_blocking=False`` it returns once the copy is done."""
    if not isinstance(device, Device):
        raise TypeError(f"copyto: expected a Device such as cpu(1), got {device!r}")
    out = _new(src._shape, src._dtype, device)
    job = _partial(_run_copy, src, out)
    if _storage.LIMITED:
        job = charged(job, (out,), device, out.nbytes, "copyto")
    _engine.push(job, (src._var,), (out._var,), device, priority, "copyto", True, out.nbytes)
    if _TAPE.recording:
        _tape.record(_COPY_OP, (src,), out, {"device": device})
    if not non_blocking:
        _engine.wait_for_var(out._var)
    return out


def copy_into(src: NDArray, dst: NDArray, priority: int = 0) -> NDArray:
    """Replace *dst*'s values with *src*'s (cast to dst's dtype): a copy op on *dst*'s
    device's copy workers that reads src's var and writes dst's.  Not recorded."""
    if dst._shape != src._shape:
        raise ShapeError(f"copyto: shape {src._shape} (on {src._device}) does not match the "
                         f"target's {dst._shape} (on {dst._device})")
    # a copy into a view writes part of its root: it reads the root's value too (it is
    # skipped, and passes the error on, when the root has none)
    reads = (src._var, dst._var) if covers_part(dst) else (src._var,)
    _engine.push(_partial(_run_copy_into, src, dst), reads, (dst._var,), dst._device,
                 priority, "copyto", True, dst.nbytes)
    return dst


def _copy_grad(g: Any, out: Any, a: Any, device: Any = None) -> tuple[Any]:
    return (copy_to_device(g, a._device),)


# a copy between devices is pushed by copy_to_device (the transfer runs on the copy
# workers); the table's entry is what autograd records (its kernel: the value itself)
_COPY_OP = register("copyto", lambda xp, a, device=None: a,
                    lambda a, device=None: (a.shape, a.dtype), _copy_grad, kind="copy")


def _as_nd(x: Any, like: NDArray) -> NDArray:
    return x if x.__class__ is NDArray else _coerce(x, like._device)


def _nbytes(self: NDArray) -> int:
    return self.size * self._dtype.itemsize
