"""``mxnet.gluon.utils``: split a batch over devices, and clip gradients by their global norm.

``split_and_load(batch, [cpu(0), cpu(1)])`` slices the batch along its batch axis and
copies each slice to its device: the slices are views (no data moves), the copies are
copy ops on each destination's copy workers, so the call returns at once and the
devices start as soon as their slice has arrived.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Sequence

import numpy as _onp

from .. import numpy as np
from ..device import Device
from ..ndarray.ndarray import NDArray

__all__ = ["split_data", "split_and_load", "clip_global_norm"]


def _bounds(size: int, num_slice: int, even_split: bool, shape: tuple, axis: int) -> list[tuple[int, int]]:
    if not isinstance(num_slice, int) or isinstance(num_slice, bool) or num_slice < 1:
        raise ValueError(f"split_data: num_slice must be a positive int, got {num_slice!r}")
    if even_split and size % num_slice:
        raise ValueError(
            f"split_data: data with shape {shape} cannot be evenly split into {num_slice} "
            f"slices along axis {axis}. Use a batch size that's a multiple of {num_slice} "
            f"or set even_split=False to allow uneven partitioning of data.")
    if not even_split and size < num_slice:
        num_slice = size                 # fewer slices, one row each
    step = size // num_slice
    return [(i * step, (i + 1) * step if i < num_slice - 1 else size)
            for i in range(num_slice)]


def _norm_axis(axis: int, ndim: int, fname: str) -> int:
    if not isinstance(axis, int) or isinstance(axis, bool) or not -ndim <= axis < ndim:
        raise ValueError(f"{fname}: batch_axis {axis!r} is out of range for {ndim}-d data")
    return axis % ndim


def _slice(data: Any, axis: int, lo: int, hi: int) -> Any:
    if axis == 0:
        return data[lo:hi]
    return data[(slice(None),) * axis + (slice(lo, hi),)]


def split_data(data: Any, num_slice: int, batch_axis: int = 0,
               even_split: bool = True) -> list:
    """See ``mxnet.gluon.utils.split_data``: *num_slice* slices of *data* along
    *batch_axis* (views, on data's device).  With ``even_split=False`` the last slice
    takes the remainder, and a batch smaller than *num_slice* gives one-row slices."""
    shape = tuple(data.shape)
    if not shape:
        raise ValueError("split_data: cannot split a 0-d array")
    axis = _norm_axis(batch_axis, len(shape), "split_data")
    bounds = _bounds(shape[axis], num_slice, even_split, shape, batch_axis)
    return [_slice(data, axis, lo, hi) for lo, hi in bounds]


def split_and_load(data: Any, ctx_list: Sequence[Device], batch_axis: int = 0,
                   even_split: bool = True) -> list[NDArray]:
    """See ``mxnet.gluon.utils.split_and_load``: split *data* along *batch_axis* into
    ``len(ctx_list)`` slices and put slice *i* on ``ctx_list[i]`` (asynchronous copies).
    *data* may be an NDArray or anything ``np.array`` accepts (NumPy arrays are sliced
    on the host and each slice created on its device directly)."""
    if isinstance(ctx_list, Device):
        ctx_list = [ctx_list]
    ctx_list = list(ctx_list)
    if not ctx_list or not all(isinstance(c, Device) for c in ctx_list):
        raise ValueError(f"split_and_load: ctx_list must be a non-empty list of devices, "
                         f"got {ctx_list!r}")
    if isinstance(data, _onp.ndarray):      # slice on the host, create on each device
        if len(ctx_list) == 1:
            return [np.array(data, device=ctx_list[0])]
        parts = split_data(data, len(ctx_list), batch_axis, even_split)
        return [np.array(p, device=c) for p, c in zip(parts, ctx_list)]
    if not isinstance(data, NDArray):
        data = np.array(data, device=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_ctx(ctx_list[0])]
    parts = split_data(data, len(ctx_list), batch_axis, even_split)
    return [p.as_in_ctx(c) for p, c in zip(parts, ctx_list)]


def clip_global_norm(arrays: Sequence[NDArray], max_norm: float,
                     check_isfinite: bool = True) -> Any:
    """See ``mxnet.gluon.utils.clip_global_norm``: scale *arrays* in place so that
    their global 2-norm is at most *max_norm*; returns the norm before scaling (a
    float with ``check_isfinite``, which blocks; else a 0-d array, and nothing
    blocks).  The arrays may live on different devices."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("clip_global_norm: arrays must not be empty")
    if not all(isinstance(a, NDArray) for a in arrays):
        raise TypeError("clip_global_norm: arrays must be NDArrays")
    if not max_norm > 0:
        raise ValueError(f"clip_global_norm: max_norm must be positive, got {max_norm!r}")
    home = arrays[0].device
    squares = []
    for a in arrays:
        flat = a.reshape((-1,)).astype(_onp.float32) if a.dtype.kind != "f" else a.reshape((-1,))
        squares.append(np.dot(flat, flat).as_in_ctx(home))
    total = squares[0]
    for s in squares[1:]:
        total = total + s
    total_norm = np.sqrt(total)
    if check_isfinite:
        value = float(total_norm.item())
        if not math.isfinite(value):
            warnings.warn(UserWarning("nan or inf is detected. Clipping results will be "
                                      "undefined."), stacklevel=2)
    scale = np.minimum(max_norm / (total_norm + 1e-8), 1.0)
    for a in arrays:
        a *= scale.as_in_ctx(a.device).astype(a.dtype)
    return value if check_isfinite else total_norm
