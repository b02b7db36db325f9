"""The legacy neural-network ops (``mx.nd.FullyConnected``, ``Activation``,
``BatchNorm``, ``softmax``...), with MXNet 1.x's parameter names and defaults, written
on np/npx ops (so autograd differentiates them).  ``SoftmaxOutput`` is its own op
(ndengine.ndarray.ops_legacy): its backward is MXNet's loss-layer gradient."""
from __future__ import annotations

from typing import Any

import numpy as _onp

from .. import npx as _npx
from .. import numpy as _np
from ..ndarray import ops_legacy as _lops
from ..ndarray import tape as _tape
from ..ndarray.ndarray import apply_op
from ..ndarray.ops import OPS, ShapeError
from ._util import OpParamError, arr, dt, ret

__all__ = ["Activation", "FullyConnected", "softmax", "log_softmax", "softmin",
           "SoftmaxActivation", "SoftmaxOutput", "Softmax", "LeakyReLU", "Dropout",
           "BatchNorm", "LayerNorm", "InstanceNorm", "Embedding", "L2Normalization",
           "Convolution", "Pooling", "Deconvolution"]

_INT64 = _onp.dtype(_onp.int64)


def _npx_fn(name: str) -> Any:
    """An npx function if npx has it (others are adding npx ops), else None."""
    return getattr(_npx, name, None)


def Activation(data: Any, act_type: str, out: Any = None, name: Any = None) -> Any:
    """relu, sigmoid, tanh, softrelu (log(1 + exp(x))) or softsign (x / (1 + |x|))."""
    a = arr(data, "Activation")
    if act_type not in ("relu", "sigmoid", "tanh", "softrelu", "softsign"):
        raise OpParamError(f"Activation: act_type must be one of relu, sigmoid, tanh, softrelu, "
                         f"softsign, got {act_type!r}")
    return ret(_npx.activation(a, act_type=act_type), out)


def FullyConnected(data: Any, weight: Any, bias: Any = None, num_hidden: int = 0,
                   no_bias: bool = False, flatten: bool = True, out: Any = None,
                   name: Any = None) -> Any:
    """``data @ weight.T + bias``: *data* is flattened to (batch, -1) first, or with
    ``flatten=False`` the product applies to its last axis."""
    x = arr(data, "FullyConnected")
    w = arr(weight, "FullyConnected", "weight")
    b = None if no_bias or bias is None else arr(bias, "FullyConnected", "bias")
    if not no_bias and bias is None:
        raise TypeError("FullyConnected: bias is required unless no_bias=True")
    if w.ndim != 2 or (num_hidden and w.shape[0] != num_hidden):
        raise ShapeError(f"FullyConnected: weight {w.shape} must be (num_hidden={num_hidden}, "
                         f"in_units) (data {x.shape}, on {x.device})")
    fc = _npx_fn("fully_connected")
    if fc is not None:
        return ret(fc(x, w, b, num_hidden=w.shape[0], no_bias=b is None, flatten=flatten), out)
    x2 = x.reshape((x.shape[0], -1)) if flatten else x
    if x2.shape[-1] != w.shape[1]:
        raise ShapeError(f"FullyConnected: data {x.shape} has {x2.shape[-1]} features"
                         f"{' (flattened)' if flatten else ''}, weight {w.shape} expects "
                         f"{w.shape[1]} (on {x.device})")
    r = _np.dot(x2, w.T) if x2.ndim == 2 else _np.matmul(x2, w.T)
    if b is not None:
        r = r + b
    return ret(r, out)


def _temp(t: Any) -> Any:
    return None if t is None or t == 1.0 else float(t)


def _masked(a: Any, length: Any, axis: int, fill: float) -> Any:
    """*a* with the positions at or past *length* along *axis* set to *fill*."""
    n = arr(length, "softmax", "length")
    ax = axis % a.ndim
    steps = _np.arange(a.shape[ax], dtype=n.dtype, ctx=a.device)
    shape_s = [1] * a.ndim
    shape_s[ax] = a.shape[ax]
    shape_n = list(a.shape)
    shape_n[ax] = 1
    keep = steps.reshape(tuple(shape_s)) < n.reshape(tuple(shape_n))
    return _np.where(keep, a, _np.array(fill, dtype=a.dtype, ctx=a.device)), keep


def softmax(data: Any, length: Any = None, axis: int = -1, temperature: Any = None,
            dtype: Any = None, use_length: bool = False, out: Any = None,
            name: Any = None) -> Any:
    """exp(x / t) normalized along *axis*; with ``use_length`` positions past each
    row's *length* get probability 0."""
    a = arr(data, "softmax")
    if use_length:
        m, keep = _masked(a, length, axis, -_onp.inf)
        r = _npx.softmax(m, axis=axis, temperature=_temp(temperature))
        r = _np.where(keep, r, _np.zeros((), dtype=r.dtype, ctx=a.device))
    else:
        r = _npx.softmax(a, axis=axis, temperature=_temp(temperature))
    return ret(r if dtype is None else r.astype(dt(dtype)), out)


def log_softmax(data: Any, axis: int = -1, temperature: Any = None, dtype: Any = None,
                use_length: bool = False, length: Any = None, out: Any = None,
                name: Any = None) -> Any:
    a = arr(data, "log_softmax")
    if use_length:
        a, _ = _masked(a, length, axis, -_onp.inf)
    r = _npx.log_softmax(a, axis=axis, temperature=_temp(temperature))
    return ret(r if dtype is None else r.astype(dt(dtype)), out)


def softmin(data: Any, axis: int = -1, temperature: Any = None, dtype: Any = None,
            use_length: bool = False, out: Any = None, name: Any = None) -> Any:
    """softmax(-x)."""
    a = arr(data, "softmin")
    r = _npx.softmax(-a, axis=axis, temperature=_temp(temperature))
    return ret(r if dtype is None else r.astype(dt(dtype)), out)


def SoftmaxActivation(data: Any, mode: str = "instance", out: Any = None,
                      name: Any = None) -> Any:
    """softmax over all but the first axis (``'instance'``) or over axis 1
    (``'channel'``)."""
    a = arr(data, "SoftmaxActivation")
    if mode == "channel":
        return ret(_npx.softmax(a, axis=1), out)
    if mode != "instance":
        raise OpParamError(f"SoftmaxActivation: mode must be 'instance' or 'channel', got {mode!r}")
    return ret(_npx.softmax(a.reshape((a.shape[0], -1)), axis=-1).reshape(a.shape), out)


def SoftmaxOutput(data: Any, label: Any, grad_scale: float = 1.0, ignore_label: float = -1.0,
                  multi_output: bool = False, use_ignore: bool = False,
                  preserve_shape: bool = False, normalization: str = "null",
                  out_grad: bool = False, smooth_alpha: float = 0.0, out: Any = None,
                  name: Any = None) -> Any:
    """softmax of *data* (over axis 1, the rest flattened; per position with
    ``multi_output``; over the last axis with ``preserve_shape``).  Its gradient is the
    cross-entropy's against *label*, ``(p - one_hot(label)) * grad_scale``, whatever
    the head gradient (MXNet's loss layer)."""
    a = arr(data, "SoftmaxOutput")
    lab = arr(label, "SoftmaxOutput", "label")
    if normalization not in ("null", "batch", "valid"):
        raise OpParamError(f"SoftmaxOutput: normalization must be 'null', 'batch' or 'valid', "
                         f"got {normalization!r}")
    axis = a.ndim - 1 if preserve_shape or a.ndim <= 1 else 1
    return ret(apply_op(_lops.LEGACY_OPS["SoftmaxOutput"], (a, lab), {
        "axis": axis, "grad_scale": float(grad_scale), "ignore_label": float(ignore_label),
        "use_ignore": bool(use_ignore), "normalization": normalization,
        "multi_output": bool(multi_output), "preserve_shape": bool(preserve_shape),
        "smooth_alpha": float(smooth_alpha)}), out)


Softmax = SoftmaxOutput


def LeakyReLU(data: Any, gamma: Any = None, act_type: str = "leaky", slope: float = 0.25,
              lower_bound: float = 0.125, upper_bound: float = 0.334, out: Any = None,
              name: Any = None) -> Any:
    """leaky (x or slope * x), elu (slope * (exp(x) - 1) below 0), selu, gelu, or prelu
    (a learned slope *gamma* per channel, axis 1)."""
    a = arr(data, "LeakyReLU")
    g = None if gamma is None else arr(gamma, "LeakyReLU", "gamma")
    return ret(_npx.leaky_relu(a, g, act_type=act_type, slope=slope, lower_bound=lower_bound,
                               upper_bound=upper_bound), out)


def Dropout(data: Any, p: float = 0.5, mode: str = "training", axes: Any = (),
            cudnn_off: bool = False, out: Any = None, name: Any = None) -> Any:
    """Zero elements with probability *p* (scaling the rest by 1/(1-p)) in autograd's
    training mode (or always with ``mode='always'``); identity otherwise."""
    a = arr(data, "Dropout")
    if mode not in ("training", "always"):
        raise OpParamError(f"Dropout: mode must be 'training' or 'always', got {mode!r}")
    return ret(_npx.dropout(a, p=p, mode=mode, axes=tuple(axes) or None), out)


def BatchNorm(data: Any, gamma: Any, beta: Any, moving_mean: Any, moving_var: Any,
              eps: float = 0.001, momentum: float = 0.9, fix_gamma: bool = True,
              use_global_stats: bool = False, output_mean_var: bool = False, axis: int = 1,
              cudnn_off: bool = False, min_calib_range: Any = None,
              max_calib_range: Any = None, out: Any = None, name: Any = None) -> Any:
    """Batch normalization over *axis* (MXNet 1.x defaults: eps 1e-3, fix_gamma=True).
    In autograd's training mode the batch statistics are used and the moving ones
    updated in place; otherwise the moving statistics."""
    x = arr(data, "BatchNorm")
    if fix_gamma:
        # MXNet's op sets gamma to 1 in place when it is fixed
        g = arr(gamma, "BatchNorm", "gamma")
        rec = _tape.STATE.recording
        _tape.STATE.recording = False
        try:
            g[...] = 1
        finally:
            _tape.STATE.recording = rec
    r = _npx.batch_norm(x, arr(gamma, "BatchNorm", "gamma"), arr(beta, "BatchNorm", "beta"),
                        arr(moving_mean, "BatchNorm", "moving_mean"),
                        arr(moving_var, "BatchNorm", "moving_var"), eps=eps, momentum=momentum,
                        fix_gamma=fix_gamma, use_global_stats=use_global_stats,
                        output_mean_var=output_mean_var, axis=axis)
    return ret(list(r) if isinstance(r, (list, tuple)) else r, out)


def LayerNorm(data: Any, gamma: Any, beta: Any, axis: int = -1, eps: float = 1e-5,
              output_mean_var: bool = False, out: Any = None, name: Any = None) -> Any:
    r = _npx.layer_norm(arr(data, "LayerNorm"), arr(gamma, "LayerNorm", "gamma"),
                        arr(beta, "LayerNorm", "beta"), axis=axis, eps=eps,
                        output_mean_var=output_mean_var)
    return ret(list(r) if isinstance(r, (list, tuple)) else r, out)


def InstanceNorm(data: Any, gamma: Any, beta: Any, eps: float = 0.001, out: Any = None,
                 name: Any = None) -> Any:
    """Normalize each (sample, channel) over the spatial axes (2 and on):
    ``npx.instance_norm``."""
    x = arr(data, "InstanceNorm")
    g = arr(gamma, "InstanceNorm", "gamma")
    b = arr(beta, "InstanceNorm", "beta")
    if x.ndim < 3:
        raise ShapeError(f"InstanceNorm: data must be at least 3-D (N, C, ...), got {x.shape}")
    return ret(_as_legacy("InstanceNorm", lambda: _npx.instance_norm(x, g, b, eps=eps)), out)


def Embedding(data: Any, weight: Any, input_dim: int = 0, output_dim: int = 0,
              dtype: Any = "float32", sparse_grad: bool = False, out: Any = None,
              name: Any = None) -> Any:
    """Rows of *weight* (input_dim, output_dim) picked by the indices in *data* (any
    numeric dtype; out-of-range indices are clipped)."""
    i = arr(data, "Embedding")
    w = arr(weight, "Embedding", "weight")
    if w.ndim != 2 or (input_dim and w.shape[0] != input_dim) or \
            (output_dim and w.shape[1] != output_dim):
        raise ShapeError(f"Embedding: weight {w.shape} must be (input_dim={input_dim}, "
                         f"output_dim={output_dim})")
    if i._dtype.kind not in "iu":
        i = apply_op(OPS["astype"], (i,), {"dtype": _INT64})
    emb = _npx_fn("embedding")
    if emb is not None:
        return ret(emb(i, w, input_dim=w.shape[0], output_dim=w.shape[1],
                       sparse_grad=sparse_grad), out)
    return ret(_np.take(w, i, axis=0, mode="clip"), out)


def L2Normalization(data: Any, eps: float = 1e-10, mode: str = "instance", out: Any = None,
                    name: Any = None) -> Any:
    """x / sqrt(sum(x^2) + eps) over all but the first axis (``'instance'``), over axis
    1 (``'channel'``) or over axes 2 and on (``'spatial'``)."""
    x = arr(data, "L2Normalization")
    if mode == "instance":
        red = tuple(range(1, x.ndim))
    elif mode == "channel":
        red = (1,)
    elif mode == "spatial":
        red = tuple(range(2, x.ndim))
    else:
        raise OpParamError(f"L2Normalization: mode must be instance, channel or spatial, got "
                         f"{mode!r}")
    return ret(x / _np.sqrt((x * x).sum(axis=red, keepdims=True) + eps), out)


def _layout(layout: Any, nd: int, fname: str) -> None:
    if layout not in (None, "NCW", "NCHW", "NCDHW") or \
            (layout is not None and len(layout) != nd + 2):
        raise OpParamError(f"{fname}: layout {layout!r} is not supported (channels first: "
                           f"NCW, NCHW or NCDHW)")


def _as_legacy(fname: str, call: Any) -> Any:
    """Run the npx op *call* for legacy function *fname*: its call-time errors name
    *fname* (``Convolution: ...``, not ``convolution: ...``)."""
    from ..base import MXNetError

    try:
        return call()
    except MXNetError as e:
        msg = str(e)
        low = fname.lower() + ":"
        if not msg.startswith(low):
            raise
        try:
            err = type(e)(fname + ":" + msg[len(low):])
        except Exception:       # an error type with another constructor: keep it
            raise e from None
        raise err from None


def Convolution(data: Any, weight: Any, bias: Any = None, kernel: Any = (), stride: Any = (),
                dilate: Any = (), pad: Any = (), num_filter: int = 0, num_group: int = 1,
                workspace: int = 1024, no_bias: bool = False, cudnn_tune: Any = None,
                cudnn_off: bool = False, layout: Any = None, out: Any = None,
                name: Any = None) -> Any:
    """1-D, 2-D or 3-D convolution (cross-correlation) of (N, C, ...) data with weight
    (num_filter, C / num_group, *kernel), plus bias: ``npx.convolution`` (one op) with
    MXNet 1.x's defaults; channels-first layouts only, as MXNet's CPU build."""
    x = arr(data, "Convolution")
    w = arr(weight, "Convolution", "weight")
    if not kernel:
        raise OpParamError("Convolution: kernel is required, e.g. kernel=(3, 3)")
    k = tuple(int(v) for v in kernel)
    if len(k) not in (1, 2, 3):
        raise OpParamError(f"Convolution: kernel {kernel} must have 1 to 3 values")
    _layout(layout, len(k), "Convolution")
    b = None
    if not no_bias:
        if bias is None:
            raise TypeError("Convolution: bias is required unless no_bias=True")
        b = arr(bias, "Convolution", "bias")
    return ret(_as_legacy("Convolution", lambda: _npx.convolution(
        x, w, b, kernel=k, stride=stride, dilate=dilate, pad=pad,
        num_filter=num_filter or None, num_group=num_group, no_bias=b is None)), out)


def Pooling(data: Any, kernel: Any = (), pool_type: str = "max", global_pool: bool = False,
            cudnn_off: bool = False, pooling_convention: str = "valid", stride: Any = (),
            pad: Any = (), p_value: Any = None, count_include_pad: Any = None,
            layout: Any = None, out: Any = None, name: Any = None) -> Any:
    """max, avg, sum or lp pooling over the spatial axes of (N, C, ...) data (stride 1
    by default; ``global_pool`` pools each whole map; the 'full' convention rounds the
    output size up): ``npx.pooling`` (one op); channels-first layouts only."""
    x = arr(data, "Pooling")
    if global_pool:
        if x.ndim < 3:
            raise ShapeError(f"Pooling: data must be (N, C, ...) with spatial axes, got "
                             f"{x.shape}")
        nd = x.ndim - 2
    else:
        if not kernel:
            raise OpParamError("Pooling: kernel is required unless global_pool=True")
        nd = len(tuple(kernel))
    if nd not in (1, 2, 3):
        raise OpParamError(f"Pooling: kernel {tuple(kernel)} must have 1 to 3 values")
    _layout(layout, nd, "Pooling")
    return ret(_as_legacy("Pooling", lambda: _npx.pooling(
        x, kernel=kernel, pool_type=pool_type, global_pool=global_pool,
        pooling_convention=pooling_convention, stride=stride, pad=pad, p_value=p_value,
        count_include_pad=count_include_pad)), out)


def Deconvolution(data: Any, weight: Any, bias: Any = None, kernel: Any = (), stride: Any = (),
                  dilate: Any = (), pad: Any = (), adj: Any = (), target_shape: Any = (),
                  num_filter: int = 0, num_group: int = 1, workspace: int = 512,
                  no_bias: bool = True, cudnn_tune: Any = None, cudnn_off: bool = False,
                  layout: Any = None, out: Any = None, name: Any = None) -> Any:
    """The transposed convolution of (N, C, ...) data with weight (C, num_filter /
    num_group, *kernel): output size (in - 1) * stride - 2 pad + dilate (k - 1) + 1 + adj
    (or *target_shape*, which sets pad and adj): ``npx.deconvolution`` (one op)."""
    x = arr(data, "Deconvolution")
    w = arr(weight, "Deconvolution", "weight")
    if not kernel:
        raise OpParamError("Deconvolution: kernel is required, e.g. kernel=(3, 3)")
    k = tuple(int(v) for v in kernel)
    if len(k) not in (1, 2, 3):
        raise OpParamError(f"Deconvolution: kernel {kernel} must have 1 to 3 values")
    _layout(layout, len(k), "Deconvolution")
    b = None if no_bias or bias is None else arr(bias, "Deconvolution", "bias")
    return ret(_as_legacy("Deconvolution", lambda: _npx.deconvolution(
        x, w, b, kernel=k, stride=stride, dilate=dilate, pad=pad, adj=adj,
        target_shape=target_shape or None, num_filter=num_filter or None,
        num_group=num_group, no_bias=b is None)), out)
