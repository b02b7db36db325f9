"""``ndengine.npx``: MXNet's NumPy-extension namespace (neural-network ops, devices,
synchronization, MXNet's file format).

Each array function here is an op of the op table (``ndarray/ops.py``,
``ndarray/ops_nn.py``) or is written from such ops, so its values are computed
asynchronously and it has a gradient where MXNet has one.  ``nonzero`` blocks (its
output's shape depends on the values, as in MXNet).  Parameters follow MXNet 1.9.1's
``mxnet.npx`` (names, defaults, special codes); see docs/mxnet-differences.md for the
few deliberate differences.  The functions MXNet generates from its C++ ops accept
``name=`` (ignored: there is no graph to name), as ``F.npx.relu(x, name='fwd')`` in
MXNet's own gluon code passes it.
"""
from __future__ import annotations

import builtins as _builtins
import importlib.machinery as _machinery
import sys as _sys
import types as _types
from typing import Any

import numpy as _onp

from . import engine as _engine
from .base import MXNetError
from .device import Device, cpu, cpu_pinned, current_device, gpu, num_gpus
from .ndarray import ops_conv as _ops_conv  # noqa: F401  (registers the conv/pool ops)
from .ndarray import ops_nn as _ops_nn  # noqa: F401  (registers the nn ops)
from .ndarray import ops_detect as _ops_detect  # noqa: F401  (registers roi_pooling)
from .ndarray import tape as _tape
from .ndarray.ndarray import NDArray, _unary, apply_op
from .ndarray.ops import OPS, DTypeError, ShapeError, norm_axis
from .numpy._util import as_nd

Context = Device

__all__ = ["set_np", "reset_np", "is_np_array", "is_np_shape", "waitall", "cpu", "gpu",
           "cpu_pinned", "num_gpus", "current_context", "current_device", "Context",
           "relu", "sigmoid", "softmax", "log_softmax", "one_hot", "pick", "batch_flatten",
           "seed", "activation", "leaky_relu", "dropout", "batch_dot", "reshape_like",
           "gpu_memory_info", "save", "load", "reshape", "arange_like", "batch_norm",
           "layer_norm", "cast", "constraint_check", "embedding", "erf", "erfinv", "gamma",
           "gammaln", "fully_connected", "gather_nd", "nonzero", "sequence_mask",
           "shape_array", "slice", "smooth_l1", "topk", "convolution", "deconvolution",
           "pooling", "group_norm", "instance_norm", "masked_softmax", "masked_log_softmax",
           "roi_pooling", "multibox_prior", "multibox_target", "multibox_detection"]


class NpxParamError(MXNetError, ValueError):
    """A parameter of an npx function has a value the function does not accept."""


_np_active = [False]        # npx.set_np(): MXNet's NumPy-array semantics
_np_shape = [False]         # NumPy-shape semantics (set_np(array=False) sets only this)


def set_np(shape: bool = True, array: bool = True, dtype: bool = False) -> None:
    """Enter MXNet's np mode, as MXNet: after it, gluon gives np arrays (parameters'
    ``data()``, ``DataLoader`` batches) and ``Block.save_parameters`` writes NumPy-shape
    arrays (as ``npx.save``); before it (MXNet's default), those are legacy ``mx.nd``
    arrays.  ndengine's arrays themselves always follow NumPy's semantics.  Unlike
    MXNet's, the flags are the process's, not the calling thread's (see
    docs/mxnet-differences.md)."""
    if array and not shape:
        raise ValueError("NumPy Shape semantics is required in using NumPy array semantics.")
    _np_active[0] = bool(array)
    _np_shape[0] = bool(shape)


def reset_np() -> None:
    """Leave np mode (see :func:`set_np`)."""
    _np_active[0] = False
    _np_shape[0] = False


def _np_semantics() -> bool:
    """Whether ``npx.set_np()`` is in force (not reset)."""
    return _np_active[0]


def is_np_array() -> bool:
    """Whether MXNet's NumPy-array semantics are on (``set_np``; off by default)."""
    return _np_active[0]


def is_np_shape() -> bool:
    """Whether NumPy-shape semantics are on (``set_np``; off by default)."""
    return _np_shape[0]


from .device.blas import BLAS as _BLAS  # noqa: E402


def waitall() -> None:
    """Wait for all pushed work; raise the first error no sync point has raised yet."""
    try:
        _engine.wait_all()
    finally:
        _BLAS.settle()      # plain NumPy after waitall gets the BLAS threads it would


def save(file: Any, arr: Any) -> None:
    """Save an array, a list of arrays or a dict str -> array to *file* in MXNet's
    binary NDArray format (NumPy shape semantics, as MXNet's ``npx.save``).  A sync
    point; the file is replaced atomically."""
    from .ndarray import serialization

    serialization.save(file, arr, np_shape=True)


def load(file: Any) -> Any:
    """Load a file in MXNet's NDArray format (written by ``npx.save``, ``mx.nd.save``
    or ``save_parameters``, here or by MXNet): a list of arrays, or a dict when names
    were saved.  Unlike MXNet, files of either shape semantics load in any mode."""
    from .ndarray import serialization

    return serialization.load(file)


def current_context() -> Device:
    """The default device of this thread (``with device:`` blocks set it)."""
    return current_device()


def seed(seed: int, ctx: Any = "all") -> None:
    """Seed the random generators (see ``np.random.seed``)."""
    from .numpy import random

    random.seed(seed, ctx)


def _op(name: str, *args: Any, **params: Any) -> Any:
    return apply_op(OPS[name], args, params)


def _training() -> bool:
    return bool(_tape.STATE.training)


# ----------------------------------------------------------------------------- activations
def relu(data: Any, name: Any = None) -> NDArray:
    """max(x, 0)."""
    return _unary(OPS["relu"], as_nd(data))


def sigmoid(data: Any, name: Any = None) -> NDArray:
    """1 / (1 + exp(-x)) (integer input gives float32; MXNet computes it in the integer
    type)."""
    return _unary(OPS["sigmoid"], as_nd(data))


_ACT_TYPES = ("relu", "sigmoid", "tanh", "softrelu", "softsign")


def activation(data: Any, act_type: str = "relu", name: Any = None) -> NDArray:
    """relu, sigmoid, tanh, softrelu (log(1 + exp(x))) or softsign (x / (1 + |x|))."""
    x = as_nd(data)
    if act_type == "relu":
        return relu(x)
    if act_type == "sigmoid":
        return sigmoid(x)
    if act_type == "tanh":
        return _unary(OPS["tanh"], x)
    if act_type == "softrelu":
        return _unary(OPS["softrelu"], x)
    if act_type == "softsign":
        return x / (abs(x) + 1)
    raise NpxParamError(f"activation: invalid act_type {act_type!r}, valid values are: "
                        f"{', '.join(_ACT_TYPES)}")


_LEAKY_TYPES = ("elu", "gelu", "leaky", "prelu", "rrelu", "selu")


def leaky_relu(data: Any, gamma: Any = None, act_type: str = "leaky", slope: float = 0.25,
               lower_bound: float = 0.125, upper_bound: float = 0.334, name: Any = None) -> Any:
    """Leaky ReLU and relatives: 'leaky' (``x`` or ``slope * x``), 'elu'
    (``slope * (exp(x) - 1)`` below 0), 'selu', 'gelu' (``x * Phi(x)``, the erf form),
    'prelu' (the slope *gamma* learned, per channel of axis 1 or one for all), 'rrelu'
    (a random slope in [lower_bound, upper_bound] per element when training, their
    mean otherwise; returns ``[out, slopes]`` as MXNet does, the slopes zero when not
    training)."""
    x = as_nd(data)
    if act_type == "leaky":
        return apply_op(OPS["leaky_relu"], (x,), {"slope": float(slope)})
    if act_type == "elu":
        return apply_op(OPS["elu"], (x,), {"slope": float(slope)})
    if act_type == "selu":
        return _unary(OPS["selu"], x)
    if act_type == "gelu":
        return _unary(OPS["gelu"], x)
    if act_type == "prelu":
        if gamma is None:
            raise NpxParamError("leaky_relu: act_type 'prelu' needs the gamma array (the "
                                "learned slopes)")
        return apply_op(OPS["prelu"], (x, as_nd(gamma, x.device)))
    if act_type == "rrelu":
        from . import numpy as np

        if _training():
            slopes = np.random.uniform(lower_bound, upper_bound, size=x.shape, dtype=x.dtype,
                                       device=x.device)
            return [np.where(x > 0, x, x * slopes), slopes]
        mid = (lower_bound + upper_bound) / 2
        return [apply_op(OPS["leaky_relu"], (x,), {"slope": mid}),
                np.zeros(x.shape, dtype=x.dtype, device=x.device)]
    raise NpxParamError(f"leaky_relu: invalid act_type {act_type!r}, valid values are: "
                        f"{', '.join(_LEAKY_TYPES)}")


# ----------------------------------------------------------------------------- softmax
def _sm_dtype(r: NDArray, dtype: Any, name: str) -> NDArray:
    if dtype is None:
        return r
    dt = _onp.dtype(dtype)
    if dt.kind != "f":
        raise NpxParamError(f"{name}: dtype must be None, float16, float32 or float64, got "
                            f"{dt}")
    return r.astype(dt) if dt != r.dtype else r


def _softmax_impl(name: str, data: Any, length: Any, axis: Any, temperature: Any,
                  use_length: Any, dtype: Any) -> NDArray:
    x = as_nd(data)
    if not isinstance(axis, (int, _onp.integer)) or isinstance(axis, bool):
        raise DTypeError(f"{name}: axis must be an int, got {type(axis).__name__} "
                         f"{axis!r}")
    if use_length:
        if length is None:
            raise NpxParamError(f"{name}: use_length=True needs the length array")
        r = apply_op(OPS[f"{name}_length"], (x, as_nd(length, x.device)),
                     {"axis": int(axis), "temperature": temperature})
    else:
        if length is not None:
            raise NpxParamError(f"{name}: a length array was given but use_length is False "
                                f"(MXNet: 'expects 1 inputs, but got 2')")
        r = apply_op(OPS[name], (x,), {"axis": int(axis), "temperature": temperature})
    return _sm_dtype(r, dtype, name)


def softmax(data: Any, length: Any = None, axis: int = -1, temperature: Any = None,
            dtype: Any = None, use_length: bool = False, name: Any = None) -> NDArray:
    """Softmax along *axis*; with ``use_length=True`` only the first ``length[...]``
    entries along *axis* count (*length* has the data's shape without *axis*), the
    rest are 0."""
    return _softmax_impl("softmax", data, length, axis, temperature, use_length, dtype)


def log_softmax(data: Any, axis: int = -1, temperature: Any = None, dtype: Any = None,
                use_length: bool = False, length: Any = None, name: Any = None) -> NDArray:
    """log(softmax(x)) along *axis*, computed stably.  ``use_length=True`` with the
    keyword *length* masks as :func:`softmax` does (the masked entries are 0; MXNet
    1.9.1's npx.log_softmax accepts no length)."""
    return _softmax_impl("log_softmax", data, length, axis, temperature, use_length, dtype)


# ----------------------------------------------------------------------------- indexing
def one_hot(data: Any, depth: int, on_value: float = 1.0, off_value: float = 0.0,
            dtype: Any = "float32", name: Any = None) -> NDArray:
    """One-hot encoding along a new last axis (out-of-range indices give all off_value;
    float indices are truncated)."""
    if not isinstance(depth, (int, _onp.integer)) or depth <= 0:
        raise NpxParamError(f"one_hot: depth must be a positive int, got {depth!r}")
    return apply_op(OPS["one_hot"], (as_nd(data),), {"depth": int(depth), "on_value": on_value,
                                                      "off_value": off_value,
                                                      "dtype": _onp.dtype(dtype)})


def pick(data: Any, index: Any, axis: int = -1, mode: str = "clip",
         keepdims: bool = False, name: Any = None) -> NDArray:
    """``data[..., index[...], ...]`` along *axis* (clip or wrap out-of-range indices)."""
    d = as_nd(data)
    return apply_op(OPS["pick"], (d, as_nd(index, d.device)),
                    {"axis": axis, "keepdims": keepdims, "mode": mode})


def embedding(data: Any, weight: Any, input_dim: int | None = None,
              output_dim: int | None = None, dtype: Any = "float32",
              sparse_grad: bool = False, name: Any = None) -> NDArray:
    """Rows of *weight* (input_dim, output_dim) picked by the integer values of *data*
    (indices clipped to [0, input_dim - 1], floats truncated): shape
    ``data.shape + (output_dim,)``.  With *sparse_grad* the weight's gradient is
    row-sparse where the weight's gradient buffer is (``attach_grad(stype='row_sparse')``,
    a Gluon Parameter with ``grad_stype='row_sparse'``): the rows looked up and their
    summed gradients; a dense buffer gets the same values dense."""
    w = as_nd(weight)
    d = as_nd(data, w.device)
    if len(w.shape) == 2:
        for what, want, got in (("input_dim", input_dim, w.shape[0]),
                                ("output_dim", output_dim, w.shape[1])):
            if want is not None and int(want) != got:
                raise ShapeError(f"embedding: {what} is {want} but the weight has shape "
                                 f"{w.shape} (on {w.device})")
    if sparse_grad:
        from .ndarray.ops_sparse import SPARSE_EMBEDDING

        return apply_op(SPARSE_EMBEDDING, (d, w))
    return apply_op(OPS["embedding"], (d, w))


def gather_nd(data: Any, indices: Any, name: Any = None) -> NDArray:
    """``data[indices[0], ..., indices[M-1]]``: indices of shape (M, Y...) pick from the
    first M axes; the result has shape ``Y... + data.shape[M:]``."""
    d = as_nd(data)
    return apply_op(OPS["gather_nd"], (d, as_nd(indices, d.device)))


def nonzero(a: Any) -> NDArray:
    """The indices of the non-zero elements, one row each: shape (N, a.ndim), int64
    (``numpy.transpose(numpy.nonzero(a))``).  Blocks: the shape depends on the values."""
    from . import numpy as np

    x = as_nd(a)
    idx = _onp.argwhere(x.asnumpy()).astype(_onp.int64)
    return np.array(idx, dtype="int64", device=x.device)


def topk(data: Any, axis: Any = -1, k: int = 1, ret_typ: str = "indices",
         is_ascend: bool = False, dtype: Any = "float32", name: Any = None) -> Any:
    """The *k* largest (or smallest, *is_ascend*) elements along *axis* (None: of the
    flattened array), sorted, ties by index: their indices (in *dtype*, float32 by
    default as in MXNet), values, both ``[values, indices]``, or a 0/1 mask
    (``ret_typ``).  ``k=0`` sorts the whole axis."""
    x = as_nd(data)
    if axis is None:
        x = x.reshape((-1,))
        axis = 0
    if ret_typ not in ("indices", "value", "both", "mask"):
        raise NpxParamError(f"topk: invalid ret_typ {ret_typ!r}, valid values are: both, "
                            f"indices, mask, value")
    if ret_typ == "mask":
        return apply_op(OPS["topk_mask"], (x,), {"axis": axis, "k": k,
                                                  "is_ascend": bool(is_ascend)})
    values, indices = apply_op(OPS["topk"], (x,), {"axis": axis, "k": k,
                                                   "is_ascend": bool(is_ascend),
                                                   "dtype": _onp.dtype(dtype)})
    if ret_typ == "value":
        return values
    if ret_typ == "indices":
        return indices
    return [values, indices]


# ----------------------------------------------------------------------------- shapes
def batch_flatten(data: Any, name: Any = None) -> NDArray:
    """Collapse all axes but the first."""
    d = as_nd(data)
    return d.reshape((d.shape[0], -1)) if d.ndim else d.reshape((1, 1))


def _norm_range(begin: Any, end: Any, ndim: int, name: str, which: str) -> tuple[int, int]:
    b = 0 if begin is None else int(begin)
    e = ndim if end is None else int(end)
    b = b + ndim if b < 0 else b
    e = e + ndim if e < 0 else e
    if not 0 <= b <= e <= ndim:
        raise ShapeError(f"reshape_like: {which}_begin {begin}, {which}_end {end} do not "
                         f"give a range of the {ndim} dimensions")
    return b, e


def reshape_like(lhs: Any, rhs: Any, lhs_begin: Any = None, lhs_end: Any = None,
                 rhs_begin: Any = None, rhs_end: Any = None, name: Any = None) -> NDArray:
    """*lhs* reshaped to *rhs*'s shape, or its dimensions ``[lhs_begin, lhs_end)``
    replaced by rhs's ``[rhs_begin, rhs_end)``."""
    a, b = as_nd(lhs), as_nd(rhs)
    lb, le = _norm_range(lhs_begin, lhs_end, a.ndim, "reshape_like", "lhs")
    rb, re_ = _norm_range(rhs_begin, rhs_end, b.ndim, "reshape_like", "rhs")
    shape = a.shape[:lb] + b.shape[rb:re_] + a.shape[le:]
    if _size(shape) != a.size:
        raise ShapeError(f"reshape_like: cannot reshape lhs with shape {a.shape} to new "
                         f"shape {shape} because they have different size (on {a.device})")
    return a.reshape(shape)


def _size(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _reshape_codes(src: tuple, codes: tuple, opname: str = "reshape") -> tuple[int, ...]:
    """The output shape of npx.reshape's special codes (np mode), left to right."""
    out: list[int] = []
    unknown = -1
    i = j = 0
    n = len(src)

    def take() -> int:
        nonlocal i
        if i >= n:
            raise ShapeError(f"{opname}: the codes {codes} use more dimensions than the "
                             f"input shape {src} has")
        d = src[i]
        i += 1
        return d

    while j < len(codes):
        c = codes[j]
        if c >= 0:
            out.append(c)
            i += 1
        elif c == -1:
            if unknown >= 0:
                raise ShapeError(f"{opname}: can only specify one unknown dimension (-1) in "
                                 f"{codes}")
            unknown = len(out)
            out.append(1)
            i += 1
        elif c == -2:
            out.append(take())
        elif c == -3:
            d = take()
            if d != 1:
                raise ShapeError(f"{opname}: -3 may only skip a dimension of size 1, "
                                 f"dimension {i - 1} of {src} is {d}")
        elif c == -4:
            while i < n:
                out.append(src[i])
                i += 1
        elif c == -5:
            out.append(take() * take())
        elif c == -6:
            if j + 2 >= len(codes):
                raise ShapeError(f"{opname}: -6 must be followed by the two split sizes in "
                                 f"{codes}")
            d0 = take()
            d1, d2 = codes[j + 1], codes[j + 2]
            j += 2
            if d1 == -1 and d2 == -1:
                raise ShapeError(f"{opname}: split dims cannot both be -1 in {codes}")
            if d1 == -1:
                d1 = d0 // d2 if d2 else 0
            elif d2 == -1:
                d2 = d0 // d1 if d1 else 0
            if d1 < 0 or d2 < 0 or d1 * d2 != d0:
                raise ShapeError(f"{opname}: split dims {codes[j - 1]}, {codes[j]} do not "
                                 f"divide original dim {d0} (input shape {src})")
            out.extend((d1, d2))
        else:
            raise ShapeError(f"{opname}: invalid shape code {c} in {codes} (codes are >= 0, "
                             f"-1 ... -6)")
        j += 1
    total = _size(src)
    if unknown >= 0:
        known = _size(out[:unknown] + out[unknown + 1:])
        if known == 0 or total % known:
            raise ShapeError(f"{opname}: cannot reshape array of shape {src} into shape "
                             f"{codes}")
        out[unknown] = total // known
    if _size(out) != total:
        raise ShapeError(f"{opname}: cannot reshape array of shape {src} into shape {codes} "
                         f"(sizes {total} vs. {_size(out)})")
    return tuple(out)


def reshape(a: Any, newshape: Any, reverse: bool = False, order: str = "C") -> NDArray:
    """Reshape with MXNet's special codes: -1 infer, -2 copy one input dimension,
    -3 drop a dimension of size 1, -4 copy all remaining ones, -5 merge two,
    -6 split one into the next two codes (one may be -1); other values are sizes (0
    is a size).  *reverse*: read the codes and the shape from the right.  The result
    is a new array (a copy, as in MXNet)."""
    x = as_nd(a)
    if order != "C":
        raise NpxParamError(f"reshape: only order='C' is supported, got {order!r}")
    codes = (int(newshape),) if isinstance(newshape, (int, _onp.integer)) else \
        tuple(int(c) for c in newshape)
    where = f" (input {x.shape} {x.dtype} on {x.device})"
    try:
        if reverse:
            shape = _reshape_codes(x.shape[::-1], codes[::-1])[::-1]
        else:
            shape = _reshape_codes(x.shape, codes)
    except ShapeError as e:
        raise ShapeError(str(e) + where) from None
    return apply_op(OPS["reshape"], (x,), {"newshape": shape})


def shape_array(data: Any, name: Any = None) -> NDArray:
    """The shape of *data* as a 1-D int64 array (no wait: shapes are always known)."""
    from . import numpy as np

    x = as_nd(data)
    return np.array(_onp.array(x.shape, dtype=_onp.int64), dtype="int64", device=x.device)


def _slice_key(shape: tuple, begin: Any, end: Any, step: Any) -> tuple:
    begin = tuple(begin) if isinstance(begin, (list, tuple)) else (begin,)
    end = tuple(end) if isinstance(end, (list, tuple)) else (end,)
    step = () if step is None else tuple(step) if isinstance(step, (list, tuple)) else (step,)
    if len(begin) != len(end):
        raise ShapeError(f"slice: begin {begin} and end {end} must have the same length")
    if len(begin) > len(shape):
        raise ShapeError(f"slice: slicing axis exceeds data dimensions (begin {begin} for "
                         f"an array of shape {shape})")
    if len(step) > len(begin):
        raise ShapeError(f"slice: step {step} is longer than begin {begin}")
    step = step + (None,) * (len(begin) - len(step))
    key = []
    for b, e, s in zip(begin, end, step):
        if s == 0:
            raise ShapeError("slice: step cannot be 0")
        key.append(_builtins.slice(b, e, s))
    return tuple(key)


def slice(data: Any, begin: Any, end: Any, step: Any = None,  # noqa: A001
          name: Any = None) -> NDArray:
    """``data[b0:e0:s0, b1:e1:s1, ...]`` for the given begins, ends and steps (None:
    the default, as in Python slices): a new array."""
    x = as_nd(data)
    key = _slice_key(x.shape, begin, end, step)
    return apply_op(OPS["getitem"], (x, key)).copy()


def arange_like(data: Any, start: float = 0.0, step: float = 1.0, repeat: int = 1,
                ctx: Any = None, axis: Any = None, name: Any = None) -> NDArray:
    """``start + step * (i // repeat)`` over an array shaped like *data* (or of its
    *axis*'s length), in data's dtype.  Reads only data's shape."""
    x = as_nd(data)
    if not isinstance(repeat, (int, _onp.integer)) or repeat < 1:
        raise NpxParamError(f"arange_like: repeat must be a positive int, got {repeat!r}")
    shape = x.shape if axis is None else (x.shape[norm_axis(axis, x.ndim, "arange_like")],)
    dev = x.device if ctx is None else Device(ctx) if isinstance(ctx, Device) else ctx
    return apply_op(OPS["arange_like"], (), {"shape": tuple(shape), "start": float(start),
                                             "step": float(step), "repeat": int(repeat),
                                             "dtype": x.dtype}, device=dev)


# ----------------------------------------------------------------------------- elementwise
def cast(data: Any, dtype: Any, name: Any = None) -> NDArray:
    """*data* converted to *dtype* (floats to integers truncate toward zero)."""
    return as_nd(data).astype(_onp.dtype(dtype))


def erf(data: Any, name: Any = None) -> NDArray:
    """The Gauss error function, elementwise."""
    return _unary(OPS["erf"], as_nd(data))


def erfinv(data: Any, name: Any = None) -> NDArray:
    """The inverse error function, elementwise (+-inf at +-1, nan outside [-1, 1])."""
    return _unary(OPS["erfinv"], as_nd(data))


def gamma(data: Any, name: Any = None) -> NDArray:
    """The gamma function, elementwise (inf at 0, nan at negative integers)."""
    return _unary(OPS["gamma"], as_nd(data))


def gammaln(data: Any, name: Any = None) -> NDArray:
    """log |gamma(x)|, elementwise."""
    return _unary(OPS["gammaln"], as_nd(data))


def smooth_l1(data: Any, scalar: float, name: Any = None) -> NDArray:
    """``0.5 * (scalar * x)**2`` where ``|x| < 1 / scalar**2``, else
    ``|x| - 0.5 / scalar**2``."""
    if scalar is None:
        raise NpxParamError("smooth_l1: the scalar (sigma) is required")
    return apply_op(OPS["smooth_l1"], (as_nd(data),), {"scalar": float(scalar)})


def constraint_check(x: Any, msg: str = "Constraint violated.") -> NDArray:
    """``array(True)`` if every element of the boolean array *x* is true; otherwise its
    op fails with ValueError(*msg*), raised at the next sync point of the result (the
    check runs asynchronously, as in MXNet)."""
    return apply_op(OPS["constraint_check"], (as_nd(x),), {"msg": str(msg)})


def sequence_mask(data: Any, sequence_length: Any = None, use_sequence_length: bool = False,
                  value: float = 0.0, axis: int = 0, name: Any = None) -> NDArray:
    """Set the steps past each sequence's length to *value*: *data* is (sequence,
    batch, ...) for axis=0 or (batch, sequence, ...) for axis=1, *sequence_length* has
    one length per batch item.  Identity without use_sequence_length."""
    x = as_nd(data)
    if not use_sequence_length:
        return x
    if sequence_length is None:
        raise NpxParamError("sequence_mask: use_sequence_length=True needs sequence_length")
    return apply_op(OPS["sequence_mask"], (x, as_nd(sequence_length, x.device)),
                    {"value": float(value), "axis": axis})


# ----------------------------------------------------------------------------- layers as ops
def fully_connected(x: Any, weight: Any, bias: Any = None, num_hidden: int | None = None,
                    no_bias: bool = False, flatten: bool = True, name: Any = None) -> NDArray:
    """``x @ weight.T + bias``; with *flatten* the input is first reshaped to
    (batch, -1), else the product applies to its last axis."""
    x = as_nd(x)
    w = as_nd(weight, x.device)
    if num_hidden is not None and len(w.shape) >= 1 and w.shape[0] != num_hidden:
        raise ShapeError(f"fully_connected: weight has {w.shape[0]} rows, num_hidden is "
                         f"{num_hidden} (weight {w.shape}, input {x.shape} on {x.device})")
    b = None if no_bias or bias is None else as_nd(bias, x.device)
    return apply_op(OPS["fully_connected"], (x, w, b), {"flatten": bool(flatten),
                                                        "act": None})


def batch_norm(data: Any, gamma: Any, beta: Any, moving_mean: Any, moving_var: Any,
               eps: float = 1e-3, momentum: float = 0.9, fix_gamma: bool = True,
               use_global_stats: bool = False, output_mean_var: bool = False, axis: int = 1,
               cudnn_off: bool = False, min_calib_range: Any = None,
               max_calib_range: Any = None, name: Any = None) -> Any:
    """Batch normalization over the channel *axis*.  In training mode (autograd's) the
    batch's mean and (biased) variance are used, and the moving statistics are
    updated in place when the gradient is computed, as in MXNet 1.9.1:
    ``moving = moving * momentum + batch * (1 - momentum)``; otherwise (or with
    use_global_stats) the moving statistics are used.  *fix_gamma*: a gamma of ones
    (its gradient is 0).  *output_mean_var*: also return the mean and the inverse
    standard deviation used."""
    x = as_nd(data)
    dev = x.device
    args = (x, as_nd(gamma, dev), as_nd(beta, dev), as_nd(moving_mean, dev),
            as_nd(moving_var, dev))
    training = _training() and not use_global_stats
    out, mean, inv = apply_op(OPS["batch_norm"], args,
                              {"eps": float(eps), "fix_gamma": bool(fix_gamma),
                               "training": training, "axis": int(axis),
                               "momentum": float(momentum)})
    return [out, mean, inv] if output_mean_var else out


def layer_norm(data: Any, gamma: Any, beta: Any, axis: int = -1, eps: float = 1e-5,
               output_mean_var: bool = False, name: Any = None) -> Any:
    """Normalize over *axis*, then scale by gamma and shift by beta.
    *output_mean_var*: also return the mean and the standard deviation (with eps), with
    *axis* kept as size 1."""
    x = as_nd(data)
    dev = x.device
    out, mean, std = apply_op(OPS["layer_norm"], (x, as_nd(gamma, dev), as_nd(beta, dev)),
                              {"axis": int(axis), "eps": float(eps)})
    return [out, mean, std] if output_mean_var else out


def group_norm(data: Any, gamma: Any, beta: Any, num_groups: int = 1, eps: float = 1e-5,
               output_mean_var: bool = False, name: Any = None) -> Any:
    """Split the channels (axis 1) of *data* (N, C, ...) into *num_groups* groups;
    normalize each sample's group over its channels and spatial axes, then scale and
    shift by *gamma* and *beta*, of shape (C,) (per channel) or (num_groups,) (per
    group, MXNet 1.9.1's ``nd.GroupNorm``).  *output_mean_var*: also return the mean
    and the standard deviation (with eps), each (N, num_groups)."""
    x = as_nd(data)
    dev = x.device
    if not isinstance(num_groups, (int, _onp.integer)) or isinstance(num_groups, bool):
        raise NpxParamError(f"group_norm: num_groups must be an int, got {num_groups!r}")
    out, mean, std = apply_op(OPS["group_norm"], (x, as_nd(gamma, dev), as_nd(beta, dev)),
                              {"num_groups": int(num_groups), "eps": float(eps)})
    return [out, mean, std] if output_mean_var else out


def instance_norm(data: Any, gamma: Any, beta: Any, eps: float = 1e-3,
                  name: Any = None) -> NDArray:
    """Normalize each (sample, channel) of *data* (N, C, *spatial) over its spatial
    axes, then scale and shift per channel by *gamma*, *beta* (C,) (MXNet's
    InstanceNorm; eps 1e-3 by default as there): :func:`group_norm` with one group per
    channel."""
    x = as_nd(data)
    if x.ndim < 3:
        raise ShapeError(f"instance_norm: data {x.shape} must have at least 3 axes (N, C, "
                         f"*spatial) (on {x.device})")
    dev = x.device
    return apply_op(OPS["group_norm"], (x, as_nd(gamma, dev), as_nd(beta, dev)),
                    {"num_groups": int(x.shape[1]), "eps": float(eps)})[0]


def _masked(name: str, data: Any, mask: Any, axis: Any, temperature: Any) -> NDArray:
    x = as_nd(data)
    if mask is None:
        raise NpxParamError(f"{name}: the mask array is required")
    if not isinstance(axis, (int, _onp.integer)) or isinstance(axis, bool):
        raise DTypeError(f"{name}: axis must be an int, got {axis!r}")
    t = 1.0 if temperature is None else float(temperature)
    if t == 0:
        raise NpxParamError(f"{name}: temperature must not be 0")
    return apply_op(OPS[name], (x, as_nd(mask, x.device)),
                    {"axis": int(axis), "temperature": t})


def masked_softmax(data: Any, mask: Any, axis: int = -1, temperature: float = 1.0,
                   normalize: bool = True, name: Any = None) -> NDArray:
    """Softmax of ``data / temperature`` along *axis* over the entries where *mask*
    (bool or 0/1, broadcast to the data's shape) is true; the others are 0 (as MXNet
    2's npx.masked_softmax; a row with no entry kept is all 0).  The maximum is always
    subtracted first (*normalize* is accepted: the values are the same)."""
    return _masked("masked_softmax", data, mask, axis, temperature)


def masked_log_softmax(data: Any, mask: Any, axis: int = -1, temperature: float = 1.0,
                       normalize: bool = True, name: Any = None) -> NDArray:
    """log of :func:`masked_softmax`: -inf where *mask* is false."""
    return _masked("masked_log_softmax", data, mask, axis, temperature)


def batch_dot(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
              forward_stype: Any = None, name: Any = None) -> NDArray:
    """Matrix products of the batches of *a* and *b* (..., M, K) x (..., K, N), with
    the same batch dimensions."""
    from .numpy import matmul, swapaxes

    a, b = as_nd(a), as_nd(b)
    b = as_nd(b, a.device)
    if a.ndim < 3 or b.ndim != a.ndim or a.shape[:-2] != b.shape[:-2]:
        raise ShapeError(f"batch_dot: the inputs must have the same batch dimensions and at "
                         f"least 3 dimensions, got {a.shape} and {b.shape} (on {a.device})")
    ka = a.shape[-2] if transpose_a else a.shape[-1]
    kb = b.shape[-1] if transpose_b else b.shape[-2]
    if ka != kb:
        raise ShapeError(f"batch_dot: shape mismatch: {a.shape} x {b.shape} with "
                         f"transpose_a={bool(transpose_a)}, transpose_b={bool(transpose_b)}: "
                         f"{ka} vs. {kb} (on {a.device})")
    if transpose_a:
        a = swapaxes(a, -1, -2)
    if transpose_b:
        b = swapaxes(b, -1, -2)
    return matmul(a, b)


def dropout(data: Any, p: float = 0.5, mode: str = "training", axes: Any = None,
            cudnn_off: bool = True, name: Any = None) -> NDArray:
    """Inverted dropout: zero elements with probability *p* when training (autograd's
    train mode) or when ``mode='always'``; identity otherwise.  *axes*: the mask is
    shared along these axes."""
    from .numpy import random

    x = as_nd(data)
    if not 0 <= p < 1:
        raise NpxParamError(f"dropout: p must be in [0, 1), got {p}")
    if mode not in ("training", "always"):
        raise NpxParamError(f"dropout: mode must be 'training' or 'always', got {mode!r}")
    if p == 0 or (mode != "always" and not _training()):
        return x
    shape = x.shape
    if axes:
        shared = {norm_axis(a, x.ndim, "dropout") for a in axes}
        shape = tuple(1 if i in shared else s for i, s in enumerate(x.shape))
    keep = random.uniform(0, 1, size=shape, dtype=x.dtype, device=x.device) >= p
    mask = keep.astype(x.dtype) / (1 - p)
    return apply_op(OPS["_mask_mul"], (x, mask))


# ----------------------------------------------------------------------------- convolution
_CHANNELS_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_CHANNELS_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def _spatial(name: str, what: str, v: Any, nd: int, default: int,
             minimum: int = 0) -> tuple[int, ...]:
    """A per-axis parameter (stride, dilate, pad, adj): () or None gives *default* on
    every axis; an int is repeated; a sequence must have one value per axis."""
    if v is None or (isinstance(v, (tuple, list)) and len(v) == 0):
        return (default,) * nd
    if isinstance(v, (int, _onp.integer)) and not isinstance(v, bool):
        t = (int(v),) * nd
    else:
        try:
            t = tuple(int(a) for a in v)
        except TypeError:
            raise NpxParamError(f"{name}: {what} must be an int or a tuple of ints, got "
                                f"{v!r}") from None
        if len(t) != nd:
            raise NpxParamError(f"{name}: {what} {tuple(v)} must have {nd} values (one per "
                                f"spatial axis of the {nd}-D kernel)")
    if any(a < minimum for a in t):
        raise NpxParamError(f"{name}: {what} {t} must be >= {minimum}")
    return t


def _kernel(name: str, kernel: Any) -> tuple[int, ...]:
    if kernel is None or (isinstance(kernel, (tuple, list)) and len(kernel) == 0):
        raise NpxParamError(f"{name}: kernel is required, e.g. kernel=(3, 3)")
    k = (int(kernel),) if isinstance(kernel, (int, _onp.integer)) else \
        tuple(int(a) for a in kernel)
    if len(k) not in (1, 2, 3) or any(a < 1 for a in k):
        raise NpxParamError(f"{name}: kernel {tuple(k)} must have 1, 2 or 3 positive values")
    return k


def _layout(name: str, layout: Any, nd: int, allowed_last: bool = True) -> bool:
    """Whether *layout* is channels-last (else channels-first; None is channels-first)."""
    if layout is None or layout == _CHANNELS_FIRST[nd]:
        return False
    if allowed_last and layout == _CHANNELS_LAST[nd]:
        return True
    valid = [_CHANNELS_FIRST[nd]] + ([_CHANNELS_LAST[nd]] if allowed_last else [])
    raise NpxParamError(f"{name}: layout {layout!r} does not fit a {nd}-D kernel; valid: "
                        f"None, {', '.join(repr(v) for v in valid)}")


def _to_first(a: NDArray) -> NDArray:
    from .numpy import moveaxis

    return moveaxis(a, -1, 1)


def _to_last(a: NDArray) -> NDArray:
    from .numpy import moveaxis

    return moveaxis(a, 1, -1)


def _conv_args(name: str, data: Any, weight: Any, bias: Any, no_bias: bool, kernel: Any,
               stride: Any, dilate: Any, pad: Any, num_group: Any, layout: Any):
    x = as_nd(data)
    if weight is None:
        raise NpxParamError(f"{name}: the weight array is required")
    w = as_nd(weight, x.device)
    k = _kernel(name, kernel)
    nd = len(k)
    b = None
    if not no_bias:
        if bias is None:
            raise NpxParamError(f"{name}: a bias array is required unless no_bias=True")
        b = as_nd(bias, x.device)
    if not isinstance(num_group, (int, _onp.integer)) or num_group < 1:
        raise NpxParamError(f"{name}: num_group must be a positive int, got {num_group!r}")
    last = _layout(name, layout, nd)
    params = {"kernel": k, "stride": _spatial(name, "stride", stride, nd, 1, 1),
              "dilate": _spatial(name, "dilate", dilate, nd, 1, 1),
              "pad": _spatial(name, "pad", pad, nd, 0), "num_group": int(num_group)}
    if last:
        if x.ndim != nd + 2 or w.ndim != nd + 2:
            raise ShapeError(f"{name}: data {x.shape} and weight {w.shape} must have "
                             f"{nd + 2} axes for layout {layout!r} (on {x.device})")
        x, w = _to_first(x), _to_first(w)
    return x, w, b, params, last


def convolution(data: Any = None, weight: Any = None, bias: Any = None, kernel: Any = None,
                stride: Any = None, dilate: Any = None, pad: Any = None,
                num_filter: Any = None, num_group: int = 1, workspace: int = 1024,
                no_bias: bool = False, cudnn_tune: Any = None, cudnn_off: bool = False,
                layout: Any = None, name: Any = None) -> NDArray:
    """1-D, 2-D or 3-D convolution (cross-correlation, as MXNet) of *data* (N, C, *sp)
    with *weight* (num_filter, C / num_group, *kernel), plus *bias* (num_filter,)
    unless *no_bias*.  Output size per axis
    ``floor((x + 2 * pad - dilate * (kernel - 1) - 1) / stride) + 1``.  Channels-last
    layouts (NWC, NHWC, NDHWC: data (N, *sp, C), weight (F, *kernel, C / G)) are
    computed by transposing (MXNet's CPU build rejects them)."""
    x, w, b, params, last = _conv_args("convolution", data, weight, bias, no_bias, kernel,
                                       stride, dilate, pad, num_group, layout)
    if num_filter is not None and w.ndim >= 1 and int(num_filter) != w.shape[0]:
        raise ShapeError(f"convolution: num_filter is {num_filter} but the weight {w.shape} "
                         f"has {w.shape[0]} filters (data {x.shape} on {x.device})")
    # under autograd the op keeps its column matrix (second output) for the weight
    # gradient, when it is small enough
    params["keep_cols"] = bool(_tape.STATE.recording)
    y = apply_op(OPS["convolution"], (x, w, b), params)[0]
    return _to_last(y) if last else y


def deconvolution(data: Any = None, weight: Any = None, bias: Any = None, kernel: Any = None,
                  stride: Any = None, dilate: Any = None, pad: Any = None, adj: Any = None,
                  target_shape: Any = None, num_filter: Any = None, num_group: int = 1,
                  workspace: int = 512, no_bias: bool = True, cudnn_tune: Any = None,
                  cudnn_off: bool = False, layout: Any = None, name: Any = None) -> NDArray:
    """Transposed convolution (the gradient of :func:`convolution` with respect to its
    data) of *data* (N, C, *sp) with *weight* (C, num_filter / num_group, *kernel);
    output size per axis ``stride * (x - 1) + dilate * (kernel - 1) + 1 - 2 * pad +
    adj`` (``adj`` smaller than the stride or the dilation), or *target_shape* (pad and
    adj then derived from it, as MXNet).  As in MXNet, there is no bias unless ``no_bias=False``."""
    x, w, b, params, last = _conv_args("deconvolution", data, weight, bias, no_bias, kernel,
                                       stride, dilate, pad, num_group, layout)
    k = params["kernel"]
    nd = len(k)
    params["adj"] = _spatial("deconvolution", "adj", adj, nd, 0)
    if target_shape is not None and len(tuple(target_shape)) > 0:
        ts = _spatial("deconvolution", "target_shape", target_shape, nd, 0, 1)
        if x.ndim == nd + 2:
            pads, adjs = [], []
            for i in range(nd):
                full = params["stride"][i] * (x.shape[2 + i] - 1) + \
                    params["dilate"][i] * (k[i] - 1) + 1
                if full < ts[i]:
                    raise ShapeError(f"deconvolution: target_shape {ts} is too big for data "
                                     f"{x.shape} (at most {full} on axis {i})")
                total = full - ts[i]
                adjs.append(total % 2)
                pads.append((total + 1) // 2)
            params["pad"], params["adj"] = tuple(pads), tuple(adjs)
    if num_filter is not None and w.ndim >= 2 and int(num_filter) != w.shape[1] * \
            params["num_group"]:
        raise ShapeError(f"deconvolution: num_filter is {num_filter} but the weight "
                         f"{w.shape} with num_group={params['num_group']} gives "
                         f"{w.shape[1] * params['num_group']} (data {x.shape} on {x.device})")
    y = apply_op(OPS["deconvolution"], (x, w, b), params)
    return _to_last(y) if last else y


_POOL_TYPES = ("avg", "lp", "max", "sum")


def pooling(data: Any = None, kernel: Any = None, pool_type: str = "max",
            global_pool: bool = False, cudnn_off: bool = False,
            pooling_convention: str = "valid", stride: Any = None, pad: Any = None,
            p_value: Any = None, count_include_pad: Any = None, layout: Any = None,
            name: Any = None) -> NDArray:
    """Max, average, sum or Lp pooling over the 1 to 3 spatial axes of *data*
    (N, C, *sp): windows of *kernel* every *stride* (1 by default) over the input
    padded by *pad* (with -inf for max, 0 otherwise).  'valid' rounds the output size
    down, 'full' up.  'avg' divides by the window's cells inside the padded input
    (``count_include_pad``, the default) or inside the input only.  'lp' is
    ``(sum x**p) ** (1/p)`` (*p_value*, default 2).  *global_pool* pools each whole
    map (kernel ignored).  Channels-last layouts are computed by transposing."""
    x = as_nd(data)
    if pool_type not in _POOL_TYPES:
        raise NpxParamError(f"pooling: invalid pool_type {pool_type!r}, valid values are: "
                            f"{', '.join(_POOL_TYPES)}")
    if pooling_convention not in ("valid", "full"):
        raise NpxParamError(f"pooling: pooling_convention must be 'valid' or 'full', got "
                            f"{pooling_convention!r} ('same' is not supported)")
    p = 2 if p_value is None else p_value
    if not isinstance(p, (int, _onp.integer)) or isinstance(p, bool) or p < 1:
        raise NpxParamError(f"pooling: p_value must be a positive int, got {p_value!r}")
    if global_pool:
        nd = x.ndim - 2
        if nd not in (1, 2, 3):
            raise ShapeError(f"pooling: data {x.shape} must have 3 to 5 axes (N, C, *spatial) "
                             f"(on {x.device})")
    else:
        k = _kernel("pooling", kernel)
        nd = len(k)
    last = _layout("pooling", layout, nd)
    if last:
        x = _to_first(x)
    if global_pool:
        y = apply_op(OPS["global_pooling"], (x,), {"pool_type": pool_type, "p_value": int(p)})
    else:
        params = {"kernel": k, "stride": _spatial("pooling", "stride", stride, nd, 1, 1),
                  "pad": _spatial("pooling", "pad", pad, nd, 0), "pool_type": pool_type,
                  "full": pooling_convention == "full",
                  "count_include_pad": True if count_include_pad is None
                  else bool(count_include_pad), "p_value": int(p)}
        y = apply_op(OPS["pooling"], (x,), params)
    return _to_last(y) if last else y


def roi_pooling(data: Any = None, rois: Any = None, pooled_size: Any = None,
                spatial_scale: Any = None, out: Any = None, name: Any = None) -> NDArray:
    """Max pooling of each region of interest (rows ``[batch_index, x1, y1, x2, y2]`` of
    *rois*, in input coordinates times *spatial_scale*, rounded) into *pooled_size*
    bins: (R, C, ph, pw), as MXNet's ROIPooling; the gradient goes to each bin's
    maximum (first in row-major order), none to *rois*."""
    if pooled_size is None or spatial_scale is None:
        raise NpxParamError("roi_pooling: pooled_size and spatial_scale are required")
    ps = (pooled_size, pooled_size) if isinstance(pooled_size, int) else tuple(pooled_size)
    r = apply_op(OPS["roi_pooling"], (as_nd(data), as_nd(rois)),
                 {"pooled_size": ps, "spatial_scale": float(spatial_scale)})
    if out is not None:
        out[...] = r
        return out
    return r


def multibox_prior(data: Any = None, sizes: Any = (1.0,), ratios: Any = (1.0,),
                   clip: bool = False, steps: Any = (-1.0, -1.0), offsets: Any = (0.5, 0.5),
                   out: Any = None, name: Any = None) -> NDArray:
    """Anchor boxes (1, H*W*(len(sizes)+len(ratios)-1), 4) centred on each pixel of
    *data* (N, C, H, W), as MXNet's MultiBoxPrior: per pixel the sizes with the first
    ratio, then the other ratios with the first size; corners normalised by the map's
    width and height (``steps`` > 0 sets the centre spacing, ``offsets`` the centre
    within a cell), clipped to [0, 1] if *clip*.  No gradient flows to *data*."""
    r = apply_op(OPS["multibox_prior"], (as_nd(data),),
                 {"sizes": tuple(float(s) for s in sizes),
                  "ratios": tuple(float(v) for v in ratios), "clip": bool(clip),
                  "steps": tuple(float(v) for v in steps),
                  "offsets": tuple(float(v) for v in offsets)})
    if out is not None:
        out[...] = r
        return out
    return r


def _write_out(r: Any, out: Any) -> Any:
    if out is None:
        return r
    if isinstance(r, list):
        for o, v in zip(out, r):
            o[...] = v
    else:
        out[...] = r
    return out


def multibox_target(anchor: Any = None, label: Any = None, cls_pred: Any = None,
                    overlap_threshold: float = 0.5, ignore_label: float = -1.0,
                    negative_mining_ratio: float = -1.0, negative_mining_thresh: float = 0.5,
                    minimum_negative_samples: int = 0,
                    variances: Any = (0.1, 0.1, 0.2, 0.2), out: Any = None,
                    name: Any = None) -> list:
    """Training targets of *anchor* (1, A, 4) for ground truths *label* (B, L, >= 5),
    rows [class, xmin, ymin, xmax, ymax] padded with -1, and class predictions
    *cls_pred* (B, C, A) (used for negative mining): [loc_target (B, A*4), loc_mask
    (B, A*4), cls_target (B, A)] as MXNet's MultiBoxTarget (class 0 is the background,
    *ignore_label* marks anchors neither positive nor mined negative).  No gradient
    flows (MXNet's is 0)."""
    r = apply_op(OPS["multibox_target"], (as_nd(anchor), as_nd(label), as_nd(cls_pred)),
                 {"overlap_threshold": float(overlap_threshold),
                  "ignore_label": float(ignore_label),
                  "negative_mining_ratio": float(negative_mining_ratio),
                  "negative_mining_thresh": float(negative_mining_thresh),
                  "minimum_negative_samples": int(minimum_negative_samples),
                  "variances": tuple(float(v) for v in variances)})
    return _write_out(r, out)


def multibox_detection(cls_prob: Any = None, loc_pred: Any = None, anchor: Any = None,
                       clip: bool = True, threshold: float = 0.01, background_id: int = 0,
                       nms_threshold: float = 0.5, force_suppress: bool = False,
                       variances: Any = (0.1, 0.1, 0.2, 0.2), nms_topk: int = -1,
                       out: Any = None, name: Any = None) -> NDArray:
    """Detections (B, A, 6) rows [class, score, xmin, ymin, xmax, ymax] from class
    probabilities *cls_prob* (B, C, A), box offsets *loc_pred* (B, A*4) and *anchor*
    (1, A, 4), as MXNet's MultiBoxDetection: sorted by score, non-maximum suppressed
    (a suppressed row's class is -1), unused rows -1.  No gradient flows."""
    r = apply_op(OPS["multibox_detection"], (as_nd(cls_prob), as_nd(loc_pred), as_nd(anchor)),
                 {"clip": bool(clip), "threshold": float(threshold),
                  "background_id": int(background_id), "nms_threshold": float(nms_threshold),
                  "force_suppress": bool(force_suppress),
                  "variances": tuple(float(v) for v in variances), "nms_topk": int(nms_topk)})
    return _write_out(r, out)


def gpu_memory_info(device_id: int = 0) -> tuple[int, int]:
    """(free, total) bytes of GPU *device_id* (needs CuPy and a GPU)."""
    gpu(device_id).check_available()
    import cupy  # type: ignore[import-not-found]

    with cupy.cuda.Device(device_id):
        free, total = cupy.cuda.runtime.memGetInfo()
    return free, total


def _n_shape(a: Any, b: Any, batch_shape: Any) -> tuple[int, ...]:
    """batch_shape + the broadcast shape of the two parameters (normal_n, uniform_n)."""
    if batch_shape is None:
        batch = ()
    elif isinstance(batch_shape, (int, _onp.integer)):
        batch = (int(batch_shape),)
    else:
        batch = tuple(int(s) for s in batch_shape)
    shapes = [tuple(getattr(v, "shape", _onp.shape(v))) for v in (a, b)]
    try:
        params = tuple(_onp.broadcast_shapes(*shapes))
    except ValueError:
        raise ShapeError(f"shapes {shapes[0]} and {shapes[1]} of the parameters do not "
                         f"broadcast") from None
    return batch + params


class _NpxRandom:
    """``npx.random``: seed, bernoulli, normal_n and uniform_n (see ``np.random``)."""

    @staticmethod
    def normal_n(loc: Any = 0.0, scale: Any = 1.0, batch_shape: Any = None, dtype: Any = None,
                 ctx: Any = None, device: Any = None) -> NDArray:
        """Normal samples of shape ``batch_shape + broadcast(loc, scale).shape``."""
        from .numpy import random

        return random.normal(loc, scale, size=_n_shape(loc, scale, batch_shape), dtype=dtype,
                             ctx=ctx, device=device)

    @staticmethod
    def uniform_n(low: Any = 0.0, high: Any = 1.0, batch_shape: Any = None, dtype: Any = None,
                  ctx: Any = None, device: Any = None) -> NDArray:
        """Uniform samples in [low, high) of shape
        ``batch_shape + broadcast(low, high).shape``."""
        from .numpy import random

        return random.uniform(low, high, size=_n_shape(low, high, batch_shape), dtype=dtype,
                              ctx=ctx, device=device)

    @staticmethod
    def seed(seed: int, ctx: Any = "all") -> None:
        from .numpy import random

        random.seed(seed, ctx)

    @staticmethod
    def bernoulli(prob: Any = 0.5, size: Any = None, dtype: Any = None, ctx: Any = None,
                  device: Any = None) -> NDArray:
        from .numpy import random

        return random.bernoulli(prob, size=size, dtype=dtype, ctx=ctx, device=device)


random = _NpxRandom()

# ``npx.utils`` (``mxnet.numpy_extension.utils``): the file functions.  An empty
# ``__path__`` lets ``import mxnet.numpy_extension.utils`` find it in sys.modules.
__path__: list[str] = []
utils = _types.ModuleType(f"{__name__}.utils", "MXNet's NDArray files: save, load.")
utils.save = save  # type: ignore[attr-defined]
utils.load = load  # type: ignore[attr-defined]
utils.__all__ = ["save", "load"]  # type: ignore[attr-defined]
utils.__spec__ = _machinery.ModuleSpec(utils.__name__, None)
_sys.modules[utils.__name__] = utils


def __getattr__(name: str) -> Any:
    if name == "image":         # ``npx.image`` is ``mxnet.image`` (as in MXNet)
        import importlib

        try:
            return importlib.import_module(f"{__package__}.image")
        except ModuleNotFoundError as e:
            raise AttributeError("npx.image: ndengine has no image module yet") from e
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"image"})


# npx.rnn and the sequence ops live in their own module (re-exported here)
from ._npx_seq import *  # noqa: E402,F401,F403
from ._npx_seq import __all__ as _seq_all  # noqa: E402

__all__ += _seq_all


from .base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals(), hide=('DTypeError', 'Device', 'MXNetError', 'NDArray', 'OPS', 'ShapeError', 'apply_op', 'as_nd', 'norm_axis'))
