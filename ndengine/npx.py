"""``ndengine.npx``: MXNet's NumPy-extension namespace (neural-network ops, devices,
synchronization)."""
from __future__ import annotations

from typing import Any

import numpy as _onp

from . import engine as _engine
from .device import Device, cpu, cpu_pinned, current_device, gpu, num_gpus
from .ndarray.ndarray import NDArray, _unary, apply_op
from .ndarray.ops import OPS
from .numpy._util import as_nd

__all__ = ["set_np", "reset_np", "is_np_array", "is_np_shape", "waitall", "cpu", "gpu",
           "cpu_pinned", "num_gpus", "current_context", "current_device", "relu", "sigmoid",
           "softmax", "log_softmax", "one_hot", "pick", "batch_flatten", "seed", "activation",
           "leaky_relu", "dropout", "batch_dot", "reshape_like", "gpu_memory_info", "save",
           "load"]

_np_active = [False]


def set_np(shape: bool = True, array: bool = True, dtype: bool = False) -> None:
    """ndengine's arrays always follow NumPy semantics; the mode only decides how
    ``Block.save_parameters`` writes its file (NumPy-shape arrays, as MXNet's
    ``npx.save``, after set_np; legacy arrays, as ``mx.nd.save``, otherwise)."""
    _np_active[0] = True


def reset_np() -> None:
    """Leave np mode (see :func:`set_np`)."""
    _np_active[0] = False


def _np_semantics() -> bool:
    """Whether ``npx.set_np()`` is in force (not reset)."""
    return _np_active[0]


def is_np_array() -> bool:
    return True


def is_np_shape() -> bool:
    return True


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


def relu(data: Any) -> NDArray:
    """max(x, 0)."""
    return _unary(OPS["relu"], as_nd(data))


def sigmoid(data: Any) -> NDArray:
    """1 / (1 + exp(-x))."""
    return _unary(OPS["sigmoid"], as_nd(data))


def softrelu(data: Any) -> NDArray:
    return _unary(OPS["softrelu"], as_nd(data))


def leaky_relu(data: Any, act_type: str = "leaky", slope: float = 0.25) -> NDArray:
    if act_type != "leaky":
        raise NotImplementedError(f"leaky_relu: act_type {act_type!r} is not supported")
    return apply_op(OPS["leaky_relu"], (as_nd(data),), {"slope": slope})


def activation(data: Any, act_type: str = "relu") -> NDArray:
    """See ``npx.activation``: relu, sigmoid, tanh, softrelu, softsign."""
    x = as_nd(data)
    if act_type == "relu":
        return relu(x)
    if act_type == "sigmoid":
        return sigmoid(x)
    if act_type == "tanh":
        return _unary(OPS["tanh"], x)
    if act_type == "softrelu":
        return softrelu(x)
    if act_type == "softsign":
        return x / (abs(x) + 1)
    raise ValueError(f"activation: unknown act_type {act_type!r} (relu, sigmoid, tanh, "
                     "softrelu, softsign)")


def softmax(data: Any, axis: int = -1, length: Any = None, temperature: Any = None,
            use_length: bool = False, dtype: Any = None) -> NDArray:
    """Softmax along *axis*."""
    if use_length or length is not None:
        raise NotImplementedError("softmax: length masking is not supported")
    r = apply_op(OPS["softmax"], (as_nd(data),), {"axis": axis, "temperature": temperature})
    return r.astype(dtype) if dtype is not None else r


def log_softmax(data: Any, axis: int = -1, length: Any = None, temperature: Any = None,
                use_length: bool = False, dtype: Any = None) -> NDArray:
    """log(softmax(x)), computed stably."""
    if use_length or length is not None:
        raise NotImplementedError("log_softmax: length masking is not supported")
    r = apply_op(OPS["log_softmax"], (as_nd(data),), {"axis": axis, "temperature": temperature})
    return r.astype(dtype) if dtype is not None else r


def one_hot(data: Any, depth: int, on_value: float = 1.0, off_value: float = 0.0,
            dtype: Any = "float32") -> NDArray:
    """One-hot encoding along a new last axis (out-of-range indices give all off_value)."""
    if not isinstance(depth, (int, _onp.integer)) or depth <= 0:
        raise ValueError(f"one_hot: depth must be a positive int, got {depth!r}")
    return apply_op(OPS["one_hot"], (as_nd(data),), {"depth": int(depth), "on_value": on_value,
                                                      "off_value": off_value,
                                                      "dtype": _onp.dtype(dtype)})


def pick(data: Any, index: Any, axis: int = -1, mode: str = "clip",
         keepdims: bool = False) -> NDArray:
    """``data[..., index[...], ...]`` along *axis* (clip or wrap out-of-range indices)."""
    d = as_nd(data)
    return apply_op(OPS["pick"], (d, as_nd(index, d.device)),
                    {"axis": axis, "keepdims": keepdims, "mode": mode})


def batch_flatten(data: Any) -> NDArray:
    """Collapse all axes but the first."""
    d = as_nd(data)
    return d.reshape((d.shape[0], -1)) if d.ndim else d.reshape((1, 1))


def reshape_like(lhs: Any, rhs: Any) -> NDArray:
    return as_nd(lhs).reshape(as_nd(rhs).shape)


def batch_dot(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False) -> NDArray:
    from .numpy import matmul, swapaxes

    if transpose_a:
        a = swapaxes(a, -1, -2)
    if transpose_b:
        b = swapaxes(b, -1, -2)
    return matmul(a, b)


def dropout(data: Any, p: float = 0.5, mode: str = "training", axes: Any = None,
            cudnn_off: bool = True) -> NDArray:
    """Inverted dropout: zero elements with probability *p* when training (autograd's
    train mode) or when ``mode='always'``; identity otherwise."""
    from .ndarray.tape import STATE
    from .numpy import random

    x = as_nd(data)
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    if p == 0 or (mode != "always" and not STATE.training):
        return x
    shape = x.shape
    if axes:
        shape = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
    keep = random.uniform(0, 1, size=shape, dtype=x.dtype, device=x.device) >= p
    mask = keep.astype(x.dtype) / (1 - p)
    return apply_op(OPS["_mask_mul"], (x, mask))


def gpu_memory_info(device_id: int = 0) -> tuple[int, int]:
    gpu(device_id).check_available()
    import cupy  # type: ignore[import-not-found]

    with cupy.cuda.Device(device_id):
        free, total = cupy.cuda.runtime.memGetInfo()
    return free, total


class _NpxRandom:
    """``npx.random``: seed and bernoulli (see ``np.random``)."""

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
