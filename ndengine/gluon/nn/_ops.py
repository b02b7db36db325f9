"""Functions gluon layers need that ``ndengine.npx`` does not (yet) provide, and the
``F.npx`` view that ``hybrid_forward`` sees (npx's functions first, these as a
fallback).

``fully_connected`` is one op (``x @ W.T + b``, optionally followed by ReLU, in one
kernel on one fresh buffer) with its gradient next to it: ``dx = g @ W``,
``dW = g.T @ x`` (C-contiguous, the weight's layout), ``db = g.sum(0)``, each only when
needed.  The op is private to gluon (not in the global op table); autograd records it
like any other.  The other functions are written from np/npx ops.
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ... import npx as _npx
from ... import numpy as _np
from ...ndarray import tape as _tape
from ...ndarray.ndarray import apply_op
from ...ndarray.ops import OpDef, ShapeError, _blas, result_dtype

__all__ = ["fully_connected", "batch_norm", "layer_norm", "NpxView"]


# ----------------------------------------------------------------------- fully connected
def _fc_kernel(xp: Any, x: Any, w: Any, b: Any = None, flatten: bool = True,
               act: str | None = None) -> Any:
    x2 = x.reshape(x.shape[0], -1) if flatten else x.reshape(-1, x.shape[-1])
    out = xp.matmul(x2, w.T)
    if b is not None:
        out += b
    if act == "relu":
        xp.maximum(out, 0, out=out)
    if not flatten:
        out = out.reshape(x.shape[:-1] + (w.shape[0],))
    return out


def _fc_infer(x: Any, w: Any, b: Any = None, flatten: bool = True, act: str | None = None):
    sx, sw = tuple(x.shape), tuple(w.shape)
    if len(sw) != 2:
        raise ShapeError(f"fully_connected: weight must be 2-D (units, in_units), got {sw}")
    if not sx:
        raise ShapeError("fully_connected: input must have at least 1 dimension")
    n_in = int(_onp.prod(sx[1:])) if flatten else sx[-1]
    if n_in != sw[1]:
        raise ShapeError(f"fully_connected: input {sx} has {n_in} features"
                         f"{' (flattened)' if flatten and len(sx) != 2 else ''}, the weight "
                         f"{sw} expects {sw[1]}")
    if b is not None and tuple(b.shape) != (sw[0],):
        raise ShapeError(f"fully_connected: bias has shape {tuple(b.shape)}, expected "
                         f"({sw[0]},)")
    dt = result_dtype("fully_connected", x.dtype, w.dtype)
    shape = (sx[0], sw[0]) if flatten else sx[:-1] + (sw[0],)
    return shape, dt


def _fc_grad(g: Any, out: Any, x: Any, w: Any, b: Any = None, flatten: bool = True,
             act: str | None = None):
    units, n_in = w.shape
    if act == "relu":
        g = apply_op(_RELU_MASK, (g, out))
    g2 = g if g.ndim == 2 else g.reshape((-1, units))
    gx = gw = gb = None
    if _tape.needs(0):
        gx = _np.dot(g2, w).reshape(x.shape)
    if _tape.needs(1):
        x2 = x.reshape((x.shape[0], -1)) if flatten else x.reshape((-1, n_in))
        if x2.ndim != 2:
            x2 = x2.reshape((-1, n_in))
        gw = _np.dot(g2.T, x2)
    if b is not None and _tape.needs(2):
        gb = g2.sum(axis=0)
    return gx, gw, gb


_FC = OpDef("fully_connected", _blas(_fc_kernel), _fc_infer, _fc_grad)


def _relu_mask_grad(gg: Any, out: Any, g: Any, y: Any):
    return apply_op(_RELU_MASK, (gg, y)), None


_RELU_MASK = OpDef("relu_backward", lambda xp, g, y: xp.multiply(g, y > 0),
                   lambda g, y: (tuple(g.shape), g.dtype), _relu_mask_grad)


def fully_connected(x: Any, weight: Any, bias: Any = None, num_hidden: int | None = None,
                    no_bias: bool = False, flatten: bool = True, act_type: str | None = None,
                    **_: Any) -> Any:
    """``npx.fully_connected``: ``x @ weight.T + bias``; with *flatten* the input is
    first reshaped to (batch, -1), else the product applies to its last axis.
    ``act_type='relu'`` applies ReLU in the same kernel (a gluon extension)."""
    if num_hidden is not None and weight.shape[0] != num_hidden:
        raise ValueError(f"fully_connected: weight has {weight.shape[0]} rows, num_hidden is "
                         f"{num_hidden} (weight {weight.shape}, input {x.shape} on {x.device})")
    if act_type not in (None, "relu"):
        raise ValueError(f"fully_connected: act_type must be None or 'relu', got {act_type!r}")
    b = None if no_bias else bias
    return apply_op(_FC, (x, weight, b), {"flatten": bool(flatten), "act": act_type})


def batch_norm(x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any,
               eps: float = 1e-5, momentum: float = 0.9, fix_gamma: bool = False,
               use_global_stats: bool = False, axis: int = 1, **_: Any) -> Any:
    """``npx.batch_norm`` in training mode (batch statistics; the running statistics
    are updated in place, outside autograd) or inference mode (running statistics)."""
    from ... import autograd

    axis = axis % x.ndim
    red = tuple(i for i in range(x.ndim) if i != axis)
    shape = tuple(x.shape[axis] if i == axis else 1 for i in range(x.ndim))
    g = _np.ones_like(gamma) if fix_gamma else gamma
    if autograd.is_training() and not use_global_stats:
        mean = x.mean(axis=red)
        var = ((x - mean.reshape(shape)) ** 2).mean(axis=red)
        with autograd.pause():
            m = mean.detach()
            v = var.detach()
            running_mean[...] = running_mean * momentum + m * (1 - momentum)
            running_var[...] = running_var * momentum + v * (1 - momentum)
    else:
        mean, var = running_mean, running_var
    xhat = (x - mean.reshape(shape)) / _np.sqrt(var.reshape(shape) + eps)
    return xhat * g.reshape(shape) + beta.reshape(shape)


def layer_norm(x: Any, gamma: Any, beta: Any, axis: int = -1, eps: float = 1e-5,
               **_: Any) -> Any:
    """``npx.layer_norm``: normalize over *axis*, then scale and shift."""
    axis = axis % x.ndim
    shape = tuple(x.shape[axis] if i == axis else 1 for i in range(x.ndim))
    mean = x.mean(axis=axis, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axis, keepdims=True)
    return (x - mean) / _np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


_EXTRA = {"fully_connected": fully_connected, "batch_norm": batch_norm,
          "layer_norm": layer_norm}


class NpxView:
    """``F.npx`` inside hybrid_forward: ndengine.npx plus the functions above."""

    def __getattr__(self, name: str) -> Any:
        fn = getattr(_npx, name, None)
        if fn is None:
            fn = _EXTRA.get(name)
        if fn is None:
            raise AttributeError(f"npx has no function {name!r}")
        return fn
