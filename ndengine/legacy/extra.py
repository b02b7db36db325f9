"""More legacy ops, composed from np ops: padding, depth/space rearrangements, nearest
upsampling, group normalization, index (un)raveling, the regression output layers, and
the per-element samplers ``sample_*``."""
from __future__ import annotations

from typing import Any

import numpy as _onp

from .. import numpy as _np
from ..ndarray import ops_legacy as _lops
from ..ndarray.ndarray import apply_op
from ..ndarray.ops import ShapeError
from . import random as _random
from ._util import OpParamError, arr, arrs, ret
from .tensor import slice as _slice

__all__ = ["pad", "Pad", "depth_to_space", "space_to_depth", "UpSampling", "GroupNorm",
           "ravel_multi_index", "unravel_index", "crop", "LinearRegressionOutput",
           "LogisticRegressionOutput", "MAERegressionOutput", "sample_uniform",
           "sample_normal", "sample_gamma", "sample_exponential", "sample_poisson",
           "sample_negative_binomial", "sample_generalized_negative_binomial"]


def _cut(a: Any, axis: int, lo: int, hi: int) -> Any:
    key = [slice(None)] * a.ndim
    key[axis] = slice(lo, hi)
    return a[tuple(key)]


def pad(data: Any, mode: str = "constant", pad_width: Any = (), constant_value: float = 0.0,
        out: Any = None, name: Any = None) -> Any:
    """Pad a 4-D or 5-D array on its spatial axes: *pad_width* holds (before, after) for
    every axis (the first two must be 0); ``mode`` constant, edge or reflect."""
    a = arr(data, "pad")
    pw = tuple(int(p) for p in pad_width)
    if a.ndim not in (4, 5) or len(pw) != 2 * a.ndim or any(pw[:4]):
        raise OpParamError(f"pad: data must be 4-D or 5-D with pad_width of {2 * a.ndim} "
                           f"values, zero for the first two axes; got shape {a.shape}, "
                           f"pad_width {pad_width}")
    if mode not in ("constant", "edge", "reflect"):
        raise OpParamError(f"pad: mode must be constant, edge or reflect, got {mode!r}")
    r = a
    for ax in range(2, a.ndim):
        before, after = pw[2 * ax], pw[2 * ax + 1]
        n = r.shape[ax]
        if mode == "reflect" and (before >= n or after >= n):
            raise OpParamError(f"pad: reflect padding ({before}, {after}) must be smaller "
                               f"than axis {ax} ({n})")
        parts = []
        for k, at_end in ((before, False), (after, True)):
            if not k:
                parts.append(None)
                continue
            shape = list(r.shape)
            shape[ax] = k
            if mode == "constant":
                p = _np.full(tuple(shape), constant_value, dtype=r.dtype, ctx=r.device)
            elif mode == "edge":
                edge = _cut(r, ax, n - 1, n) if at_end else _cut(r, ax, 0, 1)
                p = _np.broadcast_to(edge, tuple(shape))
            else:
                p = _np.flip(_cut(r, ax, n - 1 - k, n - 1) if at_end else _cut(r, ax, 1, k + 1),
                             ax)
            parts.append(p)
        seq = [p for p in (parts[0], r, parts[1]) if p is not None]
        r = _np.concatenate(seq, axis=ax) if len(seq) > 1 else r
    return ret(r, out)


Pad = pad


def depth_to_space(data: Any, block_size: int, out: Any = None, name: Any = None) -> Any:
    """(N, C, H, W) -> (N, C / b^2, H b, W b): channel blocks become pixel blocks."""
    a = arr(data, "depth_to_space")
    b = int(block_size)
    if a.ndim != 4 or b < 1 or a.shape[1] % (b * b):
        raise ShapeError(f"depth_to_space: data must be (N, C, H, W) with C divisible by "
                         f"block_size^2 = {b * b}, got {a.shape}")
    n, c, h, w = a.shape
    r = a.reshape((n, b, b, c // (b * b), h, w)).transpose((0, 3, 4, 1, 5, 2))
    return ret(r.reshape((n, c // (b * b), h * b, w * b)), out)


def space_to_depth(data: Any, block_size: int, out: Any = None, name: Any = None) -> Any:
    """(N, C, H, W) -> (N, C b^2, H / b, W / b): pixel blocks become channels."""
    a = arr(data, "space_to_depth")
    b = int(block_size)
    if a.ndim != 4 or b < 1 or a.shape[2] % b or a.shape[3] % b:
        raise ShapeError(f"space_to_depth: data must be (N, C, H, W) with H and W divisible "
                         f"by block_size {b}, got {a.shape}")
    n, c, h, w = a.shape
    r = a.reshape((n, c, h // b, b, w // b, b)).transpose((0, 3, 5, 1, 2, 4))
    return ret(r.reshape((n, c * b * b, h // b, w // b)), out)


def UpSampling(*data: Any, scale: int = 1, sample_type: str = "nearest", num_args: int = 1,
               num_filter: int = 0, multi_input_mode: str = "concat", workspace: int = 512,
               out: Any = None, name: Any = None) -> Any:
    """Nearest-neighbour upsampling of (N, C, H, W) by *scale* (several inputs are
    upsampled and concatenated on the channel axis)."""
    if sample_type != "nearest":
        raise OpParamError(f"UpSampling: sample_type {sample_type!r} is not supported "
                           f"(nearest only; bilinear is a learned deconvolution)")
    xs = arrs(data[0] if len(data) == 1 and isinstance(data[0], (list, tuple)) else data,
              "UpSampling")
    s = int(scale)
    ups = []
    for x in xs:
        if x.ndim != 4:
            raise ShapeError(f"UpSampling: inputs must be (N, C, H, W), got {x.shape}")
        f = s * xs[0].shape[2] // x.shape[2]
        ups.append(_np.repeat(_np.repeat(x, f, axis=2), f, axis=3))
    if len(ups) == 1:
        return ret(ups[0], out)
    if multi_input_mode == "sum":
        r = ups[0]
        for u in ups[1:]:
            r = r + u
        return ret(r, out)
    return ret(_np.concatenate(ups, axis=1), out)


def GroupNorm(data: Any, gamma: Any, beta: Any, num_groups: int = 1, eps: float = 1e-5,
              output_mean_var: bool = False, out: Any = None, name: Any = None) -> Any:
    """Normalize each group of channels (axis 1) over the group and the spatial axes."""
    x = arr(data, "GroupNorm")
    g = arr(gamma, "GroupNorm", "gamma")
    b = arr(beta, "GroupNorm", "beta")
    G = int(num_groups)
    if x.ndim < 2 or x.shape[1] % G:
        raise ShapeError(f"GroupNorm: channels ({x.shape[1] if x.ndim > 1 else '?'}) must be "
                         f"divisible by num_groups={G} (data {x.shape})")
    n, c = x.shape[0], x.shape[1]
    xg = x.reshape((n, G, -1))
    mean = xg.mean(axis=2, keepdims=True)
    var = ((xg - mean) ** 2).mean(axis=2, keepdims=True)
    y = ((xg - mean) / _np.sqrt(var + eps)).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    if g.shape == (G,) and G != c:
        g = _np.repeat(g, c // G)
        b = _np.repeat(b, c // G)
    y = y * g.reshape(shape) + b.reshape(shape)
    if output_mean_var:
        return ret([y, mean.reshape((n, G)), _np.sqrt(var + eps).reshape((n, G))], out)
    return ret(y, out)


def ravel_multi_index(data: Any, shape: Any, out: Any = None, name: Any = None) -> Any:
    """Flat indices into *shape* of the index tuples in *data*'s columns (data is
    (len(shape), ...))."""
    a = arr(data, "ravel_multi_index")
    shape = tuple(int(s) for s in shape)
    if a.ndim < 1 or a.shape[0] != len(shape):
        raise ShapeError(f"ravel_multi_index: data must have {len(shape)} rows, got {a.shape}")
    strides = _onp.cumprod((1,) + shape[:0:-1])[::-1]
    r = a[0] * int(strides[0])
    for i in range(1, len(shape)):
        r = r + a[i] * int(strides[i])
    return ret(r, out)


def unravel_index(data: Any, shape: Any, out: Any = None, name: Any = None) -> Any:
    """The index tuples (as rows) of flat indices *data* into *shape*."""
    a = arr(data, "unravel_index")
    shape = tuple(int(s) for s in shape)
    strides = _onp.cumprod((1,) + shape[:0:-1])[::-1]
    rows = [_np.mod(_np.floor_divide(a, int(st)), sz) for st, sz in zip(strides, shape)]
    return ret(_np.stack(rows, axis=0), out)


def crop(data: Any, begin: Any, end: Any, step: Any = (), out: Any = None,
         name: Any = None) -> Any:
    """Same as :func:`slice`."""
    return _slice(data, begin, end, step, out=out)


def _regression(name: str, doc: str) -> Any:
    def f(data: Any, label: Any, grad_scale: float = 1.0, out: Any = None,
          name: Any = None) -> Any:
        a = arr(data, f.__name__)
        lab = arr(label, f.__name__, "label")
        return ret(apply_op(_lops.LEGACY_OPS[f.__name__], (a, lab),
                            {"grad_scale": float(grad_scale)}), out)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc + (" Its gradient ignores the head gradient (a loss layer), scaled by "
                       "grad_scale / (outputs per sample).")
    return f


LinearRegressionOutput = _regression(
    "LinearRegressionOutput", "The prediction itself; gradient out - label.")
LogisticRegressionOutput = _regression(
    "LogisticRegressionOutput", "sigmoid(data); gradient out - label.")
MAERegressionOutput = _regression(
    "MAERegressionOutput", "The prediction itself; gradient sign(out - label).")


def _sampler(name: str, fn: Any, nparams: int, doc: str) -> Any:
    def f(*params: Any, shape: Any = None, dtype: Any = None, out: Any = None,
          **kwargs: Any) -> Any:
        if len(params) != nparams:
            raise TypeError(f"{name}: takes {nparams} NDArray parameters, got {len(params)}")
        arrs(list(params), name, "parameter")      # NDArrays only, as in MXNet
        return fn(*params, shape=shape, dtype=dtype, out=out)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc + " Per element of the parameter arrays: shape param.shape + shape."
    return f


sample_uniform = _sampler("sample_uniform", _random.uniform, 2, "Uniform samples in [low, high).")
sample_normal = _sampler("sample_normal", _random.normal, 2, "Normal samples (mu, sigma).")
sample_gamma = _sampler("sample_gamma", _random.gamma, 2, "Gamma samples (alpha, beta).")
sample_exponential = _sampler("sample_exponential",
                              lambda lam, **k: _random.exponential(1 / lam, **k), 1,
                              "Exponential samples of rate lam.")
sample_poisson = _sampler("sample_poisson", _random.poisson, 1, "Poisson samples of rate lam.")
sample_negative_binomial = _sampler("sample_negative_binomial", _random.negative_binomial, 2,
                                    "Negative binomial samples (k, p).")
sample_generalized_negative_binomial = _sampler(
    "sample_generalized_negative_binomial", _random.generalized_negative_binomial, 2,
    "Generalized negative binomial samples (mu, alpha).")
